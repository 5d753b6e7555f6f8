/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When a token expires, as srtpgwctl's --expires and the protocol's
 * token.add "expires" give it: a duration from now (90s, 45m, 12h, 30d,
 * 2w) or a UTC date (2025-12-31, 00:00 UTC that day; or
 * 2025-12-31T18:00:00Z). Shared by srtpgw-control and srtpgwctl, which
 * checks it before sending.
 */
#ifndef SRTPGW_EXPIRES_H
#define SRTPGW_EXPIRES_H

#include <stddef.h>
#include <stdint.h>

#define CTL_EXPIRES_MAX_S (3650LL * 86400) /* ten years ahead at most */

/* *at = unix seconds. 0, or -1 with one line in err (which repeats s). */
int ctl_expires_parse(const char *s, int64_t now, int64_t *at, char *err, size_t errlen);

#endif
