/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path, on the agent thread: ARP, ICMP echo, ICMPv6 echo and
 * neighbour discovery for the gateway's own addresses, learning next-hop
 * MACs, probing unresolved next hops, and the STUN and DTLS datagrams the
 * workers punt for srtpgw-control (agent_punt.c). The workers queue these frames
 * to dp->slow_ring; answers go out on each port's slow_txq.
 *
 * Anyone on a port's LAN can send these frames, as fast as the link goes:
 * a turn of the agent loop takes at most SGW_SLOW_BATCH of them, so the
 * agent socket is served between batches whatever the flood, and what the
 * ring cannot hold the workers drop (drop_slowpath_full). Next-hop MACs
 * are learned only from answers to our own probes, on the port's VLAN,
 * unless the port is trusted for learning (learn_unsolicited).
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "api/addr.h"
#include "dataplane/pkt_parse.h"
#include "dataplane/pkt_reply.h"
#include "gateway/agent.h"
#include "gateway/agent_punt.h"
#include "gateway/agent_slowpath.h"

#define PROBE_UNRESOLVED_MS 1000
#define PROBE_RESOLVED_MS 30000

uint64_t agent_slow_ctr[SGW_CTR_MAX];

static void count(enum sgw_counter c)
{
	sgw_ctr_add(&agent_slow_ctr[c], 1);
}

void agent_slow_send(struct sgw_agent *a, uint16_t port_idx, struct rte_mbuf *m)
{
	const struct sgw_port_rt *p = &a->dp->ports[port_idx];
	uint16_t sent;

	/* online in the workers' RCU (as thread n_workers) while in the
	 * PMD: a memif peer's memory is not unmapped under us (port_guard.c) */
	rte_rcu_qsbr_thread_online(a->dp->qs, a->dp->n_workers);
	sent = rte_eth_tx_burst(p->port_id, p->slow_txq, &m, 1);
	rte_rcu_qsbr_thread_offline(a->dp->qs, a->dp->n_workers);
	if (sent == 1) {
		count(SGW_CTR_TX);
	} else {
		count(SGW_CTR_DROP_TX_FULL);
		rte_pktmbuf_free(m);
	}
}

/* Is ip one of the gateway's addresses on that port, in the published
 * version (config and service addresses), and held now (a leased one
 * only before the lease deadline)? */
static bool ours(const struct sgw_agent *a, uint16_t port_idx, uint8_t family, const uint8_t *ip)
{
	const struct sgw_addr_set *s = agent_addrs_pub(a);
	const struct sgw_local_addr *l = sgw_addr_set_get(s, sgw_addr_set_find(s, family, ip));

	return l != NULL && l->port_idx == port_idx && agent_addr_held(a, l);
}

/* The frame's VLAN id, 0 untagged: from its tag, or from the mbuf when
 * the port stripped it. */
static uint16_t frame_vlan(const struct rte_mbuf *m, const struct pkt_info *pi)
{
	if (pi->has_vlan)
		return pi->vlan_tci & 0xfff;
	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)
		return m->vlan_tci & 0xfff;
	return 0;
}

/*
 * A MAC for a next hop, from ARP or ND. An answer (ARP reply, neighbour
 * advertisement) is taken if it answers our probe; anything else only on a
 * port trusted for learning; nothing from another VLAN than the port's.
 * Counts a learned MAC under c; *bad becomes drop_neigh_unsolicited when
 * the frame made a claim we ignored (an answer, or about a next hop of
 * ours).
 */
static bool learn(struct sgw_agent *a, const struct rte_mbuf *m, const struct pkt_info *pi,
		  uint16_t port_idx, uint8_t family, const uint8_t *ip, const uint8_t mac[6],
		  bool answer, enum sgw_counter c, enum sgw_counter *bad, uint64_t now_ms)
{
	struct sgw_addr addr = { .family = family };
	bool trusted = a->cfg->ports[port_idx].learn_unsolicited;
	enum agent_neigh_learned r;

	memcpy(addr.a, ip, family == SGW_AF_INET ? 4 : 16);
	if (frame_vlan(m, pi) != a->dp->ports[port_idx].vlan) {
		*bad = SGW_CTR_DROP_NEIGH_UNSOLICITED;
		return false;
	}
	r = agent_neigh_learn(a, port_idx, &addr, mac, trusted ? AGENT_NEIGH_TRUSTED :
			      answer ? AGENT_NEIGH_ANSWER : AGENT_NEIGH_CLAIM, now_ms);
	if (r == AGENT_NEIGH_LEARNED) {
		count(c);
		return true;
	}
	if (answer || r == AGENT_NEIGH_IGNORED)
		*bad = SGW_CTR_DROP_NEIGH_UNSOLICITED;
	return false;
}

/* Answer m in place, or drop it. Consumes m. */
static void handle(struct sgw_agent *a, struct rte_mbuf *m, uint64_t now_ms)
{
	uint16_t port_idx = a->dp->port_idx_by_id[m->port];
	const uint8_t *mac = a->dp->ports[port_idx].mac.addr_bytes;
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	struct pkt_info pi;
	uint32_t len = 0;
	bool learned = false;
	enum sgw_counter ok = SGW_CTR_RX, bad = SGW_CTR_DROP_ICMP_OTHER;

	count(SGW_CTR_RX);
	switch (pkt_parse(frame, m->data_len, &pi)) {
	case PKT_ARP:
		bad = SGW_CTR_DROP_ARP_OTHER;
		/* RFC 826 learns every sender; we learn a next hop's answer */
		learned = learn(a, m, &pi, port_idx, SGW_AF_INET, pi.src, pi.arp_sha, pi.arp_op == 2,
				SGW_CTR_ARP_LEARNED, &bad, now_ms);
		if (pi.arp_op == 1 && ours(a, port_idx, SGW_AF_INET, pi.dst)) {
			len = pkt_reply_arp(frame, m->data_len, &pi, mac);
			ok = SGW_CTR_ARP_REPLIED;
		}
		break;
	case PKT_ICMP4:
		if (pi.icmp_type == 8 && ours(a, port_idx, SGW_AF_INET, pi.dst)) {
			len = pkt_reply_icmp4_echo(frame, m->data_len, &pi, mac);
			ok = SGW_CTR_ICMP_ECHO_REPLIED;
		}
		break;
	case PKT_ICMP6:
		if (pi.icmp_type == 135) { /* neighbour solicitation */
			if (pi.has_nd_lladdr)
				learned = learn(a, m, &pi, port_idx, SGW_AF_INET6, pi.src, pi.nd_lladdr,
						false, SGW_CTR_ND_LEARNED, &bad, now_ms);
			if (ours(a, port_idx, SGW_AF_INET6, pi.nd_target)) {
				uint32_t room = (uint32_t)(m->buf_len - m->data_off);
				len = pkt_reply_nd_ns(frame, m->data_len, room, &pi, mac);
				ok = SGW_CTR_ND_REPLIED;
			}
		} else if (pi.icmp_type == 136) { /* neighbour advertisement */
			if (pi.has_nd_lladdr)
				learned = learn(a, m, &pi, port_idx, SGW_AF_INET6, pi.nd_target,
						pi.nd_lladdr, true, SGW_CTR_ND_LEARNED, &bad, now_ms);
		} else if (pi.icmp_type == 128 && ours(a, port_idx, SGW_AF_INET6, pi.dst)) {
			len = pkt_reply_icmp6_echo(frame, m->data_len, &pi, mac);
			ok = SGW_CTR_ICMP6_ECHO_REPLIED;
		}
		break;
	case PKT_STUN:
	case PKT_DTLS:
		/* the workers punted it: a port marked for srtpgw-control */
		agent_punt_rx(a, frame, &pi);
		rte_pktmbuf_free(m);
		return;
	case PKT_DROP:
		bad = pi.drop;
		break;
	default:
		break;
	}
	if (len == 0) {
		/* nothing to answer: a drop unless we learned from it */
		if (!learned)
			count(bad);
		rte_pktmbuf_free(m);
		return;
	}
	count(ok);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->ol_flags = 0;
	agent_slow_send(a, port_idx, m);
}

static void probe(struct sgw_agent *a, struct sgw_neigh *n, uint64_t now_ms)
{
	const struct sgw_port_rt *p = &a->dp->ports[n->port_idx];
	const struct sgw_addr *src = NULL;
	struct rte_mbuf *m;
	uint32_t room, len;
	uint8_t *buf;

	for (unsigned i = 0; i < a->dp->n_laddrs; i++) {
		const struct sgw_local_addr *l = &a->dp->laddrs[i];
		if (l->port_idx != n->port_idx || l->ip.family != n->ip.family)
			continue;
		if (src == NULL || sgw_addr_in_prefix(&n->ip, &l->ip, l->prefix_len))
			src = &l->ip;
	}
	if (src == NULL)
		return;
	m = rte_pktmbuf_alloc(a->dp->pool);
	if (m == NULL) {
		count(SGW_CTR_DROP_NO_MBUF);
		return;
	}
	buf = rte_pktmbuf_mtod(m, uint8_t *);
	room = rte_pktmbuf_tailroom(m);
	if (n->ip.family == SGW_AF_INET)
		len = pkt_build_arp_request(buf, room, p->vlan, p->mac.addr_bytes, src->a, n->ip.a);
	else
		len = pkt_build_nd_ns(buf, room, p->vlan, p->mac.addr_bytes, src->a, n->ip.a);
	if (len == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	count(n->ip.family == SGW_AF_INET ? SGW_CTR_ARP_SENT : SGW_CTR_ND_SENT);
	/* its answer may set the MAC (agent_neigh_learn) */
	n->awaiting = 1;
	n->probe_ms = now_ms;
	agent_slow_send(a, n->port_idx, m);
}

unsigned agent_slowpath_poll(struct sgw_agent *a, uint64_t now_ms)
{
	struct sgw_dp *dp = a->dp;
	struct rte_mbuf *pkts[SGW_SLOW_BATCH];
	unsigned n;

	/* one batch per turn: the caller serves the agent socket in between */
	n = rte_ring_sc_dequeue_burst(dp->slow_ring, (void **)pkts, SGW_SLOW_BATCH, NULL);
	for (unsigned i = 0; i < n; i++)
		handle(a, pkts[i], now_ms);
	agent_announce_poll(a, now_ms);
	for (unsigned i = 0; i < dp->n_neigh; i++) {
		struct sgw_neigh *nb = &dp->neigh[i];
		bool resolved;
		if (!nb->in_use || nb->dying || nb->is_static || now_ms < nb->next_probe_ms)
			continue;
		resolved = __atomic_load_n(&nb->mac, __ATOMIC_RELAXED) & SGW_NEIGH_VALID;
		probe(a, nb, now_ms);
		nb->probes++;
		nb->next_probe_ms = now_ms + (resolved ? PROBE_RESOLVED_MS : PROBE_UNRESOLVED_MS);
	}
	return n;
}
