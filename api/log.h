/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging to stderr with syslog levels, shared by the daemons. Never pass
 * key material. */
#ifndef SRTPGW_LOG_H
#define SRTPGW_LOG_H

#include <syslog.h>

void sgw_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int sgw_log_level;
extern const char *sgw_log_prog; /* prefix of every line, e.g. "srtpgw" */

#endif
