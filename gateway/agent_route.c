/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a datagram to dst leaves: the port whose prefix holds dst (the
 * next hop is dst itself), else the first port with a default gateway of
 * dst's family. A viewer's packets and the punt channel's answers route
 * so. Routes come from the config file's addresses only: a service
 * address (agent_addrs.c) is a source, never a route.
 */
#include <errno.h>
#include <stdio.h>

#include "api/addr.h"
#include "gateway/agent_txn.h"

int agent_route(struct sgw_agent *a, const struct sgw_addr *dst, const struct sgw_addr *listen,
		 uint16_t *port_idx, struct sgw_addr *nexthop, struct sgw_addr *src,
		 char *err, size_t errlen)
{
	const struct sgw_dp *dp = a->dp;
	char buf[SGW_ADDR_STRLEN];
	int found = -1;

	for (unsigned i = 0; i < dp->n_laddrs; i++) {
		const struct sgw_local_addr *l = &dp->laddrs[i];
		if (sgw_addr_in_prefix(dst, &l->ip, l->prefix_len)) {
			*port_idx = l->port_idx;
			*nexthop = *dst;
			*src = l->ip;
			found = (int)i;
			break;
		}
	}
	if (found < 0) {
		for (unsigned p = 0; p < a->cfg->n_ports && found < 0; p++) {
			const struct sgw_port_config *pc = &a->cfg->ports[p];
			if (dst->family == SGW_AF_INET && pc->has_gw4) {
				*nexthop = pc->gw4;
				found = (int)p;
			} else if (dst->family == SGW_AF_INET6 && pc->has_gw6) {
				*nexthop = pc->gw6;
				found = (int)p;
			}
			if (found >= 0) {
				*port_idx = (uint16_t)p;
				/* source: an address of the port in the gateway's prefix */
				for (unsigned i = 0; i < dp->n_laddrs; i++)
					if (dp->laddrs[i].port_idx == p &&
					    sgw_addr_in_prefix(nexthop, &dp->laddrs[i].ip, dp->laddrs[i].prefix_len))
						*src = dp->laddrs[i].ip;
			}
		}
		if (found < 0) {
			snprintf(err, errlen, "no route to %s", sgw_addr_format(dst, buf, sizeof(buf)));
			return -EHOSTUNREACH;
		}
	}
	/* The stream's own listen address, when it can be used on that port
	 * (a service address too: those add no route, above) */
	const struct sgw_local_addr *l = listen->family == dst->family ?
		sgw_addr_set_get(agent_addrs_txn(a), txn_addr_find(a, listen)) : NULL;
	if (l != NULL && l->port_idx == *port_idx)
		*src = *listen;
	return 0;
}
