/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP and neighbour discovery of the load generator (lg_slow.c). */
#ifndef SRTPGW_LOADGEN_SLOW_H
#define SRTPGW_LOADGEN_SLOW_H

#include <stdbool.h>

#include <rte_mbuf.h>

#include "dataplane/pkt_parse.h"
#include "tools/loadgen/lg.h"

/* Collect the addresses we answer for (stream sources, viewers). 0 or -1. */
int lg_slow_init(struct lg_run *r);
/* Ask the gateway for each stream's destination MAC (unless --no-arp);
 * with --dst-mac, use that. 0, or -1 + err if a MAC stays unknown. */
int lg_slow_resolve(struct lg_run *r, char *err, size_t errlen);
/* An ARP or ICMPv6 frame: answer it (true: m consumed) or not (false). */
bool lg_slow_frame(struct lg_run *r, struct rte_mbuf *m, const struct pkt_info *pi);
/* Send m on port m->port, queue 0: directly on the main lcore, through
 * r->replies from the RX lcore. */
void lg_slow_send(struct lg_run *r, struct rte_mbuf *m);
/* Main lcore: send what the RX lcore queued. */
void lg_slow_flush(struct lg_run *r);

#endif
