/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: rx burst -> parse -> lookup -> (hand off to the stream's
 * home worker) -> source check -> unprotect -> fan out to the viewers
 * (dataplane/fanout.c) -> tx buffers. One flow-table version per burst;
 * each burst goes through in stages (process_burst).
 */
#include <stddef.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/dp.h"
#include "dataplane/fanout.h"
#include "dataplane/pkt_parse.h"
#include "dataplane/srtp_ctx.h"
#include "dataplane/viewer_rtcp.h"

struct sgw_dp *sgw_dp;

static inline void drop(struct sgw_worker *w, struct rte_mbuf *m, enum sgw_counter why)
{
	w->ctr[why]++;
	rte_pktmbuf_free(m);
}

static bool source_ok(const struct sgw_flow_entry *e, const struct pkt_info *pi)
{
	const struct sgw_endpoint *s = &e->source;

	if (s->addr.family == SGW_AF_NONE)
		return true;
	if (s->addr.family != pi->family ||
	    memcmp(s->addr.a, pi->src, pi->family == SGW_AF_INET ? 4 : 16) != 0)
		return false;
	return s->port == 0 || s->port == pi->sport;
}

/* One packet with one context, on the worker's own crypto state (a lone
 * sgw_srtp_unprotect() on a burst-engine context would take the shared
 * manager's lock). */
static enum sgw_srtp_result unprotect_one(struct sgw_worker *w, struct sgw_srtp *ctx, bool rtcp,
					  uint8_t *p, int *len)
{
	struct sgw_srtp_op op = { .ctx = ctx, .pkt = p, .len = *len, .rtcp = rtcp };

	sgw_srtp_unprotect_burst(w->crypto, &op, 1);
	if (op.res == SGW_SRTP_OK)
		*len = op.len;
	return op.res;
}

/* Unprotect with the current key, then with the previous one during a
 * rekey overlap. libsrtp's GCM decrypts in place before it checks the tag,
 * so the second attempt works on a copy taken before the first. */
static enum sgw_srtp_result unprotect(struct sgw_worker *w, const struct sgw_flow_entry *e, bool rtcp,
				      uint8_t *p, int *len)
{
	uint8_t copy[RTE_MBUF_DEFAULT_DATAROOM];
	int len0 = *len;
	enum sgw_srtp_result r;

	if (unlikely(e->ingress_old != NULL)) {
		if (len0 > (int)sizeof(copy))
			return SGW_SRTP_ERR_OTHER;
		memcpy(copy, p, (size_t)len0);
	}
	r = unprotect_one(w, e->ingress, rtcp, p, len);
	if (r == SGW_SRTP_ERR_AUTH && e->ingress_old != NULL) {
		memcpy(p, copy, (size_t)len0);
		*len = len0;
		r = unprotect_one(w, e->ingress_old, rtcp, p, len);
	}
	return r;
}

/* Stage 1 of a packet: offload flags, parse, our MAC and address. Returns
 * the flow-table slot the packet's entry is in (not yet read: the caller
 * prefetches it), or NULL when m was consumed (dropped and counted, given
 * to the slow path, or no stream can be on that address and port). */
static struct sgw_flow_entry *const *classify(struct sgw_worker *w, const struct ft_root *root,
					      struct rte_mbuf *m, struct pkt_info *pi)
{
	struct sgw_dp *dp = sgw_dp;
	const struct ft_dir *d;
	const struct ft_page *pg;
	enum pkt_class cls;
	uint16_t port_idx;
	int aidx;

	if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m) != 0) {
		drop(w, m, SGW_CTR_DROP_MULTISEG);
		return NULL;
	}
	if (unlikely((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		     (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD)) {
		drop(w, m, SGW_CTR_DROP_RX_CKSUM);
		return NULL;
	}
	cls = pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, pi);
	if (unlikely(cls != PKT_RTP && cls != PKT_RTCP && cls != PKT_STUN && cls != PKT_DTLS)) {
		if (cls == PKT_DROP) {
			drop(w, m, pi->drop);
			return NULL;
		}
		/* ARP, ICMP, ND: the agent thread answers and learns */
		if (rte_ring_mp_enqueue(dp->slow_ring, m) != 0)
			drop(w, m, SGW_CTR_DROP_SLOWPATH_FULL);
		return NULL;
	}
	port_idx = dp->port_idx_by_id[m->port];
	if (unlikely(!rte_is_same_ether_addr((const struct rte_ether_addr *)pi->eth_dst,
					     &dp->ports[port_idx].mac))) {
		drop(w, m, SGW_CTR_DROP_L2_NOT_US);
		return NULL;
	}
	/* the burst's version: its addresses go with its directories */
	aidx = sgw_addr_set_find(root->addrs, pi->family, pi->dst);
	if (unlikely(aidx < 0)) {
		drop(w, m, SGW_CTR_DROP_IP_NOT_LOCAL);
		return NULL;
	}
	/* ft_lookup() in two halves: the page here, the entry in stage 2 */
	d = root->dir[aidx];
	pg = d != NULL ? d->page[pi->dport >> 8] : NULL;
	if (unlikely(pg == NULL)) {
		drop(w, m, SGW_CTR_DROP_NO_FLOW);
		return NULL;
	}
	return &pg->e[pi->dport & 0xff];
}

static void hand_off(struct sgw_worker *w, struct rte_mbuf *m, uint16_t to)
{
	if (rte_ring_sp_enqueue(sgw_dp->handoff[w->idx][to], m) != 0)
		drop(w, m, SGW_CTR_DROP_HANDOFF_FULL);
	else
		w->ctr[SGW_CTR_HANDOFF_OUT]++;
}

/* An unprotect's verdict on m: true if it authenticated; else m is
 * dropped and counted. */
static bool verdict(struct sgw_worker *w, const struct sgw_flow_entry *e, struct rte_mbuf *m,
		    enum sgw_srtp_result r)
{
	struct sgw_stream_state *st = e->st;

	if (likely(r == SGW_SRTP_OK))
		return true;
	if (r == SGW_SRTP_ERR_AUTH) {
		sgw_ctr_add(&st->auth_fail, 1);
		drop(w, m, SGW_CTR_DROP_SRTP_AUTH);
	} else if (r == SGW_SRTP_ERR_REPLAY) {
		sgw_ctr_add(&st->replay_fail, 1);
		drop(w, m, SGW_CTR_DROP_SRTP_REPLAY);
	} else if (r == SGW_SRTP_ERR_SSRCS) {
		sgw_ctr_add(&st->other_fail, 1);
		drop(w, m, SGW_CTR_DROP_SRTP_SSRCS);
	} else {
		sgw_ctr_add(&st->other_fail, 1);
		drop(w, m, SGW_CTR_DROP_SRTP_OTHER);
	}
	return false;
}

/* The source check (invariant 4): false if m was dropped and counted. */
static bool from_source(struct sgw_worker *w, const struct sgw_flow_entry *e, struct rte_mbuf *m,
			const struct pkt_info *pi)
{
	if (likely(source_ok(e, pi)))
		return true;
	sgw_ctr_add(&e->st->other_fail, 1);
	drop(w, m, SGW_CTR_DROP_SOURCE_MISMATCH);
	return false;
}

/* Source check and unprotect, one packet. True: m is authentic and *len
 * its plain RTP/RTCP length; false: m was dropped and counted. */
static bool authenticate(struct sgw_worker *w, const struct sgw_flow_entry *e,
			 struct rte_mbuf *m, const struct pkt_info *pi, int *len)
{
	if (!from_source(w, e, m, pi))
		return false;
	*len = pi->payload_len;
	if (e->plain_in)
		return true;
	return verdict(w, e, m, unprotect(w, e, pi->cls == PKT_RTCP,
					  rte_pktmbuf_mtod_offset(m, uint8_t *, pi->payload_off), len));
}

/* The packets of a burst whose unprotect waits, so that all of them are
 * unprotected in one sgw_srtp_unprotect_burst() call (in arrival order;
 * a stream's packets keep theirs). */
struct ingress_batch {
	unsigned n;
	struct sgw_srtp_op ops[SGW_BURST];
	const struct sgw_flow_entry *e[SGW_BURST];
	struct rte_mbuf *m[SGW_BURST];
	const struct pkt_info *pi[SGW_BURST];
};

/* An authentic packet: count it and fan it out to the viewers. */
static void forward(struct sgw_worker *w, const struct sgw_flow_entry *e, struct rte_mbuf *m,
		    const struct pkt_info *pi, int len, uint64_t now)
{
	struct sgw_stream_state *st = e->st;

	sgw_ctr_add(&st->packets, 1);
	sgw_ctr_add(&st->bytes, (uint64_t)len);
	__atomic_store_n(&st->last_rx_tsc, now, __ATOMIC_RELAXED);
	if (unlikely(e->kind == SGW_ENTRY_VIEWER_PORT)) {
		/* a viewer's RTCP: read, not forwarded */
		sgw_viewer_rtcp(e->vst, rte_pktmbuf_mtod_offset(m, const uint8_t *, pi->payload_off),
				(uint32_t)len, e->sst, now, sgw_dp->tsc_hz);
		rte_pktmbuf_free(m);
		return;
	}
	if (pi->cls == PKT_RTCP)
		sgw_sr_note(&st->sr, rte_pktmbuf_mtod_offset(m, const uint8_t *, pi->payload_off),
			    (uint32_t)len, now);
	else if (unlikely(__atomic_load_n(&st->kf_wanted, __ATOMIC_RELAXED)))
		sgw_keyframe_request(w, e, rte_pktmbuf_mtod_offset(m, const uint8_t *, pi->payload_off),
				     now);
	w->ctr[SGW_CTR_FORWARDED]++;
	if (unlikely(e->n_viewers == 0)) {
		drop(w, m, SGW_CTR_DROP_NO_VIEWERS);
		return;
	}
	sgw_fanout(w, e, m, pi->payload_off, (uint32_t)len, pi->cls == PKT_RTCP);
}

/*
 * A packet of a stream that has no home yet. Its crypto state may be
 * touched by one worker at a time: this one claims it (one CAS), or hands
 * the packet to the worker that holds the claim. The claimer
 * authenticates; a packet that fails lets the claim go (forged packets do
 * not choose the home); the first one that passes is forwarded and makes
 * the worker it arrived at (origin: this one, or the one that handed it
 * over) the home, for good. Release/acquire on claim and home pass the
 * crypto state from one worker to the next.
 */
static void deliver_homeless(struct sgw_worker *w, struct sgw_flow_entry *e, struct rte_mbuf *m,
			     const struct pkt_info *pi, uint64_t now, uint16_t origin)
{
	struct sgw_stream_state *st = e->st;
	uint16_t claim = 0;
	int len;

	if (!__atomic_compare_exchange_n(&st->claim, &claim, (uint16_t)(w->idx + 1), false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		hand_off(w, m, (uint16_t)(claim - 1));
		return;
	}
	/* a claim is let go only while the stream has no home: it still has none */
	if (!authenticate(w, e, m, pi, &len)) {
		__atomic_store_n(&st->claim, 0, __ATOMIC_RELEASE);
		return;
	}
	forward(w, e, m, pi, len, now);
	/* the claim stays taken: nobody else claims a stream with a home */
	__atomic_store_n(&st->home, origin, __ATOMIC_RELEASE);
}

/* STUN and DTLS, and what comes in on a viewer's port: false when m was
 * consumed. STUN and DTLS go to srtpgw-control through the agent thread
 * (api/srtpgw_punt.h) on ports marked for it, and are not ours elsewhere; a
 * viewer's port takes its RTCP, never media. */
static bool __attribute__((noinline))
not_media(struct sgw_worker *w, const struct sgw_flow_entry *e, struct rte_mbuf *m,
	  const struct pkt_info *pi)
{
	if (pi->cls == PKT_STUN || pi->cls == PKT_DTLS) {
		if (!e->punt) {
			drop(w, m, SGW_CTR_DROP_NOT_RTP);
		} else if (rte_ring_mp_enqueue(sgw_dp->slow_ring, m) != 0) {
			drop(w, m, SGW_CTR_DROP_SLOWPATH_FULL);
		} else {
			w->ctr[SGW_CTR_PUNTED]++;
		}
		return false;
	}
	if (e->kind == SGW_ENTRY_PORT) { /* no keys yet */
		drop(w, m, SGW_CTR_DROP_PORT_NOT_READY);
		return false;
	}
	if (e->kind == SGW_ENTRY_STREAM_RTCP) { /* RTCP as on the listen port */
		if (pi->cls == PKT_RTCP)
			return true;
		drop(w, m, SGW_CTR_DROP_RTCP_PORT_RTP);
		return false;
	}
	if (pi->cls == PKT_RTP) {
		drop(w, m, SGW_CTR_DROP_VIEWER_MEDIA);
		return false;
	}
	return true;
}

/* Stage 3 of a packet whose entry e was found: home worker, source,
 * unprotect, fan out. Consumes m: sent, dropped (counted), or handed to the
 * home worker. origin: the worker m came in at (w, or the one that handed
 * it over). */
static void deliver(struct sgw_worker *w, struct sgw_flow_entry *e, struct rte_mbuf *m,
		    const struct pkt_info *pi, uint64_t now, uint16_t origin, struct ingress_batch *b)
{
	/* A fenced stream after the lease deadline: its controller stopped
	 * renewing, another gateway may own it now. Everything to its ports
	 * (media, RTCP, its viewers' RTCP to their own ports, STUN, DTLS) goes,
	 * before any crypto work and before a hand-off. */
	if (unlikely(e->fence != 0) && unlikely(w->lease_expired)) {
		drop(w, m, SGW_CTR_DROP_LEASE_EXPIRED);
		return;
	}
	if (unlikely(pi->cls == PKT_STUN || pi->cls == PKT_DTLS || e->kind != SGW_ENTRY_STREAM)) {
		if (!not_media(w, e, m, pi))
			return;
	}
	/* The stream's crypto state belongs to its home worker. With RSS on
	 * the 5-tuple that is where its packets keep arriving; anything else
	 * is handed to it. Acquire: the home may have been latched by the
	 * worker that authenticated the stream's first packet. */
	uint16_t home = __atomic_load_n(&e->st->home, __ATOMIC_ACQUIRE);
	int len;

	if (unlikely(home != w->idx)) {
		if (home == SGW_NO_WORKER)
			deliver_homeless(w, e, m, pi, now, origin);
		else
			hand_off(w, m, home);
		return;
	}
	/* the common case waits for the burst's unprotect; a rekey
	 * overlap's two keys and plain RTP go one by one */
	if (likely(!e->plain_in && e->ingress_old == NULL)) {
		unsigned i = b->n;

		if (!from_source(w, e, m, pi))
			return;
		b->ops[i] = (struct sgw_srtp_op){ .ctx = e->ingress, .len = (int)pi->payload_len,
						  .rtcp = pi->cls == PKT_RTCP,
						  .pkt = rte_pktmbuf_mtod_offset(m, uint8_t *, pi->payload_off) };
		b->e[i] = e;
		b->m[i] = m;
		b->pi[i] = pi;
		b->n++;
		return;
	}
	if (authenticate(w, e, m, pi, &len))
		forward(w, e, m, pi, len, now);
}

/* Unprotect what deliver() queued, together, and forward what
 * authenticated, in order. */
static void ingress_flush(struct sgw_worker *w, struct ingress_batch *b, uint64_t now)
{
	sgw_srtp_unprotect_burst(w->crypto, b->ops, b->n);
	for (unsigned i = 0; i < b->n; i++)
		if (verdict(w, b->e[i], b->m[i], b->ops[i].res))
			forward(w, b->e[i], b->m[i], b->pi[i], b->ops[i].len, now);
	b->n = 0;
}

/*
 * A burst in stages, so that the cache misses of its packets overlap
 * instead of queueing one behind the other (bench_lookup: at 1M streams
 * the table work per packet halves): (1) parse every packet and prefetch
 * its page slot; (2) read the slots, prefetch each entry and its first
 * viewer; (3) prefetch the stream's counters, its ingress context and
 * the first viewer's counters and egress context; (4) the engine state
 * and keys those contexts point to; then deliver each. Packets keep
 * their order.
 */
static void process_burst(struct sgw_worker *w, const struct ft_root *root,
			  struct rte_mbuf **pkts, unsigned n, uint64_t now, uint16_t origin)
{
	struct pkt_info pi[SGW_BURST];
	struct sgw_flow_entry *const *slot[SGW_BURST];
	struct sgw_flow_entry *e[SGW_BURST];

	for (unsigned i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		slot[i] = classify(w, root, pkts[i], &pi[i]);
		if (slot[i] != NULL)
			rte_prefetch0(slot[i]);
	}
	for (unsigned i = 0; i < n; i++) {
		e[i] = slot[i] != NULL ? *slot[i] : NULL;
		if (e[i] != NULL) {
			/* the entry up to the end of its first viewer (its
			 * pointers, then its header template): five lines */
			const uint8_t *p = (const uint8_t *)e[i];
			const uint8_t *end = p + offsetof(struct sgw_flow_entry, viewers) +
					     sizeof(struct sgw_flow_viewer);

			for (; p < end; p += RTE_CACHE_LINE_SIZE)
				rte_prefetch0(p);
			rte_prefetch0(end - 1);
		} else if (slot[i] != NULL) {
			drop(w, pkts[i], SGW_CTR_DROP_NO_FLOW);
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (e[i] != NULL) {
			rte_prefetch0(e[i]->st);
			sgw_srtp_prefetch(e[i]->ingress);
			if (e[i]->n_viewers != 0) {
				rte_prefetch0(e[i]->viewers[0].st);
				sgw_srtp_prefetch(e[i]->viewers[0].egress);
			}
		}
	/* the contexts' mutable fields are the home worker's: only it looks */
	for (unsigned i = 0; i < n; i++)
		if (e[i] != NULL && __atomic_load_n(&e[i]->st->home, __ATOMIC_RELAXED) == w->idx) {
			sgw_srtp_prefetch_keys(e[i]->ingress);
			if (e[i]->n_viewers != 0)
				sgw_srtp_prefetch_keys(e[i]->viewers[0].egress);
		}
	struct ingress_batch b;

	b.n = 0;
	for (unsigned i = 0; i < n; i++)
		if (e[i] != NULL)
			deliver(w, e[i], pkts[i], &pi[i], now, origin, &b);
	/* the streams' packets of the whole burst, unprotected together,
	 * then the viewers' copies, protected together */
	ingress_flush(w, &b, now);
	sgw_fanout_flush(w);
}

static unsigned flush_tx(struct sgw_worker *w)
{
	unsigned sent = 0;

	for (unsigned i = 0; i < sgw_dp->n_ports; i++)
		sent += rte_eth_tx_buffer_flush(sgw_dp->ports[i].port_id, (uint16_t)w->idx, w->txb[i]);
	return sent;
}

static void idle_sleep(struct sgw_worker *w, unsigned us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };

	/* Offline while asleep, so a writer's grace period does not wait. */
	rte_rcu_qsbr_thread_offline(sgw_dp->qs, w->idx);
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(sgw_dp->qs, w->idx);
}

int sgw_worker_main(void *arg)
{
	struct sgw_worker *w = arg;
	struct sgw_dp *dp = sgw_dp;
	struct rte_mbuf *pkts[SGW_BURST];
	unsigned idle = 0, sleep_us = 0;
	/* the previous pass's start, if it got packets: its time is counted
	 * at the next pass's start (no TSC read of its own) */
	uint64_t busy_since = 0;

	rte_rcu_qsbr_thread_register(dp->qs, w->idx);
	rte_rcu_qsbr_thread_online(dp->qs, w->idx);

	while (!__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
		const struct ft_root *root = ft_acquire(&dp->ft);
		uint64_t now = rte_rdtsc();
		unsigned got = 0;

		/* The lease deadline, once a pass. Relaxed is enough: it is one
		 * aligned u64 that publishes nothing else (the entries come with
		 * the table root's acquire), and the agent thread takes the
		 * value from the same TSC (invariant across cores). A change is
		 * seen at most a pass late: microseconds, within the margin the
		 * controller leaves between its deadline and its etcd lease's
		 * expiry. */
		w->lease_expired = now > __atomic_load_n(&dp->lease_deadline, __ATOMIC_RELAXED);

		if (busy_since != 0) {
			w->ctr[SGW_CTR_BUSY_US] += now - busy_since; /* cycles: agent_stats.c */
			busy_since = 0;
		}

		for (unsigned q = 0; q < w->n_rxq; q++) {
			uint16_t n = rte_eth_rx_burst(w->rxq[q].port_id, w->rxq[q].queue,
						      pkts, SGW_BURST);
			w->ctr[SGW_CTR_RX] += n;
			got += n;
			process_burst(w, root, pkts, n, now, (uint16_t)w->idx);
		}
		for (unsigned from = 0; from < dp->n_workers; from++) {
			struct rte_ring *r = dp->handoff[from][w->idx];
			unsigned n;
			if (r == NULL)
				continue;
			n = rte_ring_sc_dequeue_burst(r, (void **)pkts, SGW_BURST, NULL);
			w->ctr[SGW_CTR_HANDOFF_IN] += n;
			got += n;
			process_burst(w, root, pkts, n, now, (uint16_t)from);
		}
		w->ctr[SGW_CTR_TX] += flush_tx(w);

		/* Done with this version: the writer may free what it retired. */
		rte_rcu_qsbr_quiescent(dp->qs, w->idx);

		if (got > 0) {
			w->ctr[SGW_CTR_BUSY_POLLS]++;
			busy_since = now;
		}
		if (got > 0 || dp->idle_sleep_us == 0) {
			idle = 0;
			sleep_us = 0;
			continue;
		}
		if (++idle < 256)
			continue;
		sleep_us = sleep_us ? RTE_MIN(sleep_us * 2, dp->idle_sleep_us) : 8;
		idle_sleep(w, sleep_us);
	}
	w->ctr[SGW_CTR_TX] += flush_tx(w);
	rte_rcu_qsbr_thread_offline(dp->qs, w->idx);
	rte_rcu_qsbr_thread_unregister(dp->qs, w->idx);
	return 0;
}
