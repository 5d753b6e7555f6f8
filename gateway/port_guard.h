/* SPDX-License-Identifier: BSD-3-Clause */
/* Nothing is unmapped under a worker's rx/tx burst: see port_guard.c. */
#ifndef SRTPGW_PORT_GUARD_H
#define SRTPGW_PORT_GUARD_H

#include <rte_rcu_qsbr.h>

/* From now on, munmap() on the EAL interrupt thread waits for a grace
 * period of qs (every thread that transmits or receives on a port). */
void port_guard_enable(struct rte_rcu_qsbr *qs);
/* Before qs goes away. */
void port_guard_disable(void);

#endif
