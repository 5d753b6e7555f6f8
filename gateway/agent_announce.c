/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Announcing the service addresses a transaction added (agent_addrs.c), so
 * that the LAN's next packets for them come to this gateway: on the
 * address's port (and its VLAN), SGW_ADDR_ANNOUNCE_COUNT times,
 * SGW_ADDR_ANNOUNCE_MS apart, the first at the agent thread's first turn
 * after the publish. IPv4: an ARP announcement (RFC 5227); IPv6: an
 * unsolicited neighbour advertisement with Override (RFC 4861 7.2.6).
 * Timer-driven from the slow path's poll: never waits. An address deleted
 * before its last announcement is not announced any more; a frame that
 * cannot go (no mbuf, TX queue full) is counted there and not sent again.
 */
#include <rte_mbuf.h>

#include "dataplane/pkt_reply.h"
#include "gateway/agent.h"
#include "gateway/agent_slowpath.h"

static void announce(struct sgw_agent *a, const struct sgw_local_addr *l)
{
	const struct sgw_port_rt *p = &a->dp->ports[l->port_idx];
	struct rte_mbuf *m = rte_pktmbuf_alloc(a->dp->pool);
	uint8_t *buf;
	uint32_t len;

	if (m == NULL) {
		sgw_ctr_add(&agent_slow_ctr[SGW_CTR_DROP_NO_MBUF], 1);
		return;
	}
	buf = rte_pktmbuf_mtod(m, uint8_t *);
	if (l->ip.family == SGW_AF_INET)
		len = pkt_build_arp_announce(buf, rte_pktmbuf_tailroom(m), p->vlan, p->mac.addr_bytes,
					     l->ip.a);
	else
		len = pkt_build_nd_na_unsolicited(buf, rte_pktmbuf_tailroom(m), p->vlan,
						  p->mac.addr_bytes, l->ip.a);
	if (len == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	sgw_ctr_add(&agent_slow_ctr[SGW_CTR_ADDR_ANNOUNCED], 1);
	agent_slow_send(a, l->port_idx, m);
}

void agent_announce_poll(struct sgw_agent *a, uint64_t now_ms)
{
	struct agent_addrs *ad = &a->addrs;
	const struct sgw_addr_set *pub;

	if (ad->n_announcing == 0)
		return;
	pub = agent_addrs_pub(a);
	for (unsigned i = 0; i < SGW_FT_MAX_ADDRS; i++) {
		const struct sgw_local_addr *l = sgw_addr_set_get(pub, (int)i);

		if (ad->announce[i].left == 0 || now_ms < ad->announce[i].next_ms)
			continue;
		if (l == NULL || l->port_idx >= a->dp->n_ports) {
			ad->announce[i].left = 0; /* gone */
			ad->n_announcing--;
			continue;
		}
		/* a leased address past the deadline is not ours to announce:
		 * the turn passes silently */
		if (agent_addr_held(a, l))
			announce(a, l);
		ad->announce[i].next_ms = now_ms + SGW_ADDR_ANNOUNCE_MS;
		if (--ad->announce[i].left == 0)
			ad->n_announcing--;
	}
}
