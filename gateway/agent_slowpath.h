/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SRTPGW_AGENT_SLOWPATH_H
#define SRTPGW_AGENT_SLOWPATH_H

#include <stdint.h>
#include "api/srtpgw_counters.h"

/* The agent thread's own counters (ARP/ND/ICMP answers, probes), reported
 * as the last entry of the worker statistics. */
extern uint64_t agent_slow_ctr[SGW_CTR_MAX];

struct sgw_agent;
struct rte_mbuf;
/* Sends a whole frame on the port's slow TX queue (counted tx, or
 * drop_tx_full). Consumes m. */
void agent_slow_send(struct sgw_agent *a, uint16_t port_idx, struct rte_mbuf *m);

#endif
