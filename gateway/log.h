/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging to stderr with syslog levels. Never pass key material. */
#ifndef SRTPGW_LOG_H
#define SRTPGW_LOG_H

#include <syslog.h>

void sgw_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int sgw_log_level;

#endif
