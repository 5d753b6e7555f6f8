/* SPDX-License-Identifier: BSD-3-Clause */
/* srtpgw-control's privileges: privs.c. */
#ifndef SRTPGW_PRIVS_H
#define SRTPGW_PRIVS_H

#include <stddef.h>

#include "control/daemon/config.h"

/* Not dumpable, RLIMIT_CORE 0. 0, or -1 with err. */
int ctl_no_core_dumps(char *err, size_t errlen);
/* Can the daemon become user (root, or already it)? 0, or -1 with err. */
int ctl_privileges_check(const struct ctl_config *cfg, char *err, size_t errlen);
/* With user configured: its groups, then its gid and uid (real, effective
 * and saved); checks that root cannot come back. 0, or -1 with err. */
int ctl_drop_privileges(const struct ctl_config *cfg, char *err, size_t errlen);

#endif
