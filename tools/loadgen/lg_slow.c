/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP and neighbour discovery. The load generator stands for the cameras
 * (stream sources) and the viewers: it answers ARP requests and neighbour
 * solicitations for those addresses, so the gateway resolves its next hops
 * to it. Before sending it asks the gateway, from each of those addresses,
 * for the MAC of the listen addresses: the answers give the destination
 * MAC. The gateway learns a next hop only from the answer to its own probe
 * (docs/architecture.md, "Next hops"; a port with learn_unsolicited also
 * from our requests), so the load generator also waits, up to
 * PROBE_WAIT_MS, until the gateway has asked for every viewer address and
 * had its answer: then no packet is lost to an unresolved next hop. A
 * viewer the gateway reaches through a static neighbour or a router is
 * never asked for; the wait ends at PROBE_WAIT_MS then.
 * Frames come from the gateway's own builders (dataplane/pkt_reply.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "api/addr.h"
#include "dataplane/pkt_parse.h"
#include "dataplane/pkt_reply.h"
#include "tools/loadgen/lg_slow.h"

#define RESOLVE_RETRY_MS 250
#define RESOLVE_TIMEOUT_S 5.0
#define PROBE_WAIT_MS 2500 /* the gateway probes an unresolved next hop every second */

static struct lg_addr_entry *find(const struct lg_run *r, uint8_t family, const uint8_t *a)
{
	unsigned n = family == SGW_AF_INET ? 4 : 16;

	for (unsigned i = 0; i < r->n_addrs; i++)
		if (r->addrs[i].family == family && memcmp(r->addrs[i].a, a, n) == 0)
			return &r->addrs[i];
	return NULL;
}

/* One of ours: the gateway asked for it (noted while resolving). */
static bool ours(const struct lg_run *r, uint8_t family, const uint8_t *a)
{
	struct lg_addr_entry *e = find(r, family, a);

	if (e != NULL && r->resolving)
		e->asked = true;
	return e != NULL;
}

static int add_addr(struct lg_run *r, const struct sgw_addr *a, bool viewer)
{
	struct lg_addr_entry *n, *e = find(r, a->family, a->a);

	if (e != NULL) {
		e->viewer |= viewer;
		return 0;
	}
	n = realloc(r->addrs, (r->n_addrs + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	r->addrs = n;
	memset(&n[r->n_addrs], 0, sizeof(*n));
	n[r->n_addrs].family = a->family;
	memcpy(n[r->n_addrs].a, a->a, sizeof(a->a));
	n[r->n_addrs].viewer = viewer;
	r->n_addrs++;
	return 0;
}

int lg_slow_init(struct lg_run *r)
{
	for (unsigned i = 0; i < r->m->n_streams; i++)
		if (add_addr(r, &r->m->streams[i].source.addr, false) != 0)
			return -1;
	for (unsigned i = 0; i < r->m->n_viewers; i++)
		if (add_addr(r, &r->m->viewers[i].to.addr, true) != 0)
			return -1;
	return 0;
}

void lg_slow_send(struct lg_run *r, struct rte_mbuf *m)
{
	if (rte_lcore_id() == rte_get_main_lcore()) {
		if (rte_eth_tx_burst(m->port, 0, &m, 1) != 1)
			rte_pktmbuf_free(m);
	} else if (rte_ring_sp_enqueue(r->replies, m) != 0) {
		rte_pktmbuf_free(m);
	}
}

void lg_slow_flush(struct lg_run *r)
{
	struct rte_mbuf *m;

	while (rte_ring_sc_dequeue(r->replies, (void **)&m) == 0)
		if (rte_eth_tx_burst(m->port, 0, &m, 1) != 1)
			rte_pktmbuf_free(m);
}

/* ---- resolution --------------------------------------------------------- */

struct ask {
	struct sgw_addr from, target;
	uint16_t port;  /* DPDK port to ask on */
	bool answered;
};

static struct ask *asks;
static unsigned n_asks;

static void learn(struct lg_run *r, uint8_t family, const uint8_t *from, const uint8_t *to,
		  const uint8_t mac[6])
{
	unsigned n = family == SGW_AF_INET ? 4 : 16;

	for (unsigned i = 0; i < n_asks; i++) {
		struct ask *a = &asks[i];
		if (a->target.family != family || memcmp(a->target.a, from, n) != 0 ||
		    memcmp(a->from.a, to, n) != 0)
			continue;
		a->answered = true;
	}
	for (unsigned i = 0; i < r->m->n_streams; i++) {
		struct lg_stream *st = &r->m->streams[i];
		if (st->dst_mac_known || st->listen.addr.family != family ||
		    memcmp(st->listen.addr.a, from, n) != 0)
			continue;
		memcpy(st->dst_mac.addr_bytes, mac, 6);
		st->dst_mac_known = true;
	}
}

bool lg_slow_frame(struct lg_run *r, struct rte_mbuf *m, const struct pkt_info *pi)
{
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = 0;

	if (pi->cls == PKT_ARP) {
		if (pi->arp_op == 1 && ours(r, SGW_AF_INET, pi->dst)) {
			len = pkt_reply_arp(frame, m->data_len, pi, r->mac.addr_bytes);
			r->arp_answered++;
		} else if (pi->arp_op == 2 && r->resolving) {
			learn(r, SGW_AF_INET, pi->src, pi->dst, pi->arp_sha);
		}
	} else if (pi->cls == PKT_ICMP6) {
		if (pi->icmp_type == 135 && ours(r, SGW_AF_INET6, pi->nd_target)) {
			len = pkt_reply_nd_ns(frame, m->data_len, (uint32_t)(m->buf_len - m->data_off), pi,
					      r->mac.addr_bytes);
			r->nd_answered++;
		} else if (pi->icmp_type == 136 && pi->has_nd_lladdr && r->resolving) {
			learn(r, SGW_AF_INET6, pi->nd_target, pi->dst, pi->nd_lladdr);
		}
	}
	if (len == 0)
		return false;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	lg_slow_send(r, m);
	return true;
}

static int add_ask(const struct sgw_addr *from, const struct sgw_addr *target, uint16_t port)
{
	struct ask *n;

	for (unsigned i = 0; i < n_asks; i++)
		if (sgw_addr_equal(&asks[i].from, from) && sgw_addr_equal(&asks[i].target, target))
			return 0;
	n = realloc(asks, (n_asks + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	asks = n;
	asks[n_asks] = (struct ask){ .from = *from, .target = *target, .port = port };
	n_asks++;
	return 0;
}

/* Each stream's source asks for its listen address; each viewer address
 * asks for the first listen address of its family. */
static int plan(struct lg_run *r)
{
	const struct lg_model *m = r->m;

	for (unsigned i = 0; i < m->n_streams; i++)
		if (add_ask(&m->streams[i].source.addr, &m->streams[i].listen.addr, r->tx_port) != 0)
			return -1;
	for (unsigned j = 0; j < m->n_viewers; j++) {
		const struct sgw_addr *to = &m->viewers[j].to.addr;
		bool asked = false;
		for (unsigned i = 0; i < n_asks && !asked; i++)
			asked = sgw_addr_equal(&asks[i].from, to);
		for (unsigned i = 0; i < m->n_streams && !asked; i++) {
			if (m->streams[i].listen.addr.family == to->family) {
				if (add_ask(to, &m->streams[i].listen.addr, r->rx_port) != 0)
					return -1;
				asked = true;
			}
		}
	}
	return 0;
}

static void ask(struct lg_run *r, const struct ask *a)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(r->pool);
	uint8_t *buf;
	uint32_t len;

	if (m == NULL)
		return;
	buf = rte_pktmbuf_mtod(m, uint8_t *);
	if (a->target.family == SGW_AF_INET)
		len = pkt_build_arp_request(buf, rte_pktmbuf_tailroom(m), 0, r->mac.addr_bytes,
					    a->from.a, a->target.a);
	else
		len = pkt_build_nd_ns(buf, rte_pktmbuf_tailroom(m), 0, r->mac.addr_bytes,
				      a->from.a, a->target.a);
	if (len == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->port = a->port;
	lg_slow_send(r, m);
}

int lg_slow_resolve(struct lg_run *r, char *err, size_t errlen)
{
	const struct lg_opts *o = r->o;
	uint64_t deadline, probe_deadline, next = 0, retry = r->hz * RESOLVE_RETRY_MS / 1000;
	unsigned left, unasked;
	char a[SGW_ADDR_STRLEN];
	int rc = 0;

	for (unsigned i = 0; i < r->m->n_streams; i++) {
		if (o->have_dst_mac) {
			r->m->streams[i].dst_mac = o->dst_mac;
			r->m->streams[i].dst_mac_known = true;
		}
	}
	if (o->no_arp)
		return 0;
	if (plan(r) != 0) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto out;
	}
	r->resolving = true;
	deadline = rte_rdtsc() + (uint64_t)(RESOLVE_TIMEOUT_S * (double)r->hz);
	probe_deadline = rte_rdtsc() + r->hz * PROBE_WAIT_MS / 1000;
	do {
		uint64_t now = rte_rdtsc();
		if (now >= next) {
			for (unsigned i = 0; i < n_asks; i++)
				if (!asks[i].answered)
					ask(r, &asks[i]);
			next = now + retry;
		}
		if (lg_rx_poll(r) == 0) {
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL);
		}
		left = unasked = 0;
		for (unsigned i = 0; i < n_asks; i++)
			left += !asks[i].answered;
		for (unsigned i = 0; i < r->n_addrs; i++)
			unasked += r->addrs[i].viewer && !r->addrs[i].asked;
	} while ((left > 0 || (unasked > 0 && rte_rdtsc() < probe_deadline)) &&
		 rte_rdtsc() < deadline && !r->stop_tx);
	r->resolving = false;
	for (unsigned i = 0; i < n_asks && left > 0; i++) {
		if (asks[i].answered)
			continue;
		sgw_addr_format(&asks[i].target, a, sizeof(a));
		if (!o->have_dst_mac) {
			snprintf(err, errlen, "the gateway did not answer ARP/ND for %s in %.0f s "
				 "(is %s its address? over memif, --rx-queues must match srtpgw's "
				 "TX queues, workers + 1; --dst-mac skips asking)",
				 a, RESOLVE_TIMEOUT_S, a);
			rc = -1;
			break;
		}
		fprintf(stderr, "srtpgw-loadgen: warning: no ARP/ND answer for %s; using --dst-mac\n", a);
		break;
	}
out:
	free(asks);
	asks = NULL;
	n_asks = 0;
	return rc;
}
