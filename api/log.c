/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>

#include "api/log.h"

int sgw_log_level = LOG_INFO;
const char *sgw_log_prog = "srtpgw";

void sgw_log(int level, const char *fmt, ...)
{
	static const char *names[] = { "emerg", "alert", "crit", "error", "warning",
				       "notice", "info", "debug" };
	va_list ap;

	if (level > sgw_log_level)
		return;
	/* one line at a time: srtpgw-control's HTTP thread logs too */
	flockfile(stderr);
	fprintf(stderr, "%s: %s: ", sgw_log_prog, names[level & 7]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
