/* SPDX-License-Identifier: BSD-3-Clause */
/* Core dumps and root: see privs.c. */
#ifndef SRTPGW_PRIVS_H
#define SRTPGW_PRIVS_H

#include <stddef.h>
#include "gateway/config.h"

/* PR_SET_DUMPABLE 0: no core dump, no ptrace or /proc/PID/mem by others. */
void privs_no_core_dumps(void);
/* After start-up: become the config's user and group, with no capability
 * left (nothing to do without user). 0, or -1 with a one-line error. */
int privs_drop(const struct sgw_config *cfg, char *err, size_t errlen);

#endif
