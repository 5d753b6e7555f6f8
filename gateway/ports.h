/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SRTPGW_PORTS_H
#define SRTPGW_PORTS_H

#include <stddef.h>
#include "dataplane/dp.h"
#include "gateway/config.h"

/* Find, configure and set up the queues of every configured port, and fill
 * dp->ports, dp->port_idx_by_id and dp->laddrs. 0, or -1 with err set. */
int ports_init(const struct sgw_config *cfg, struct sgw_dp *dp, char *err, size_t errlen);
int ports_start(struct sgw_dp *dp, char *err, size_t errlen);
void ports_stop(struct sgw_dp *dp);

#endif
