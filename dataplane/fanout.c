/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dataplane/fanout.h"
#include "dataplane/srtp_ctx.h"
#include "dataplane/viewer_hdr.h"

/* The viewer numbers some payload types otherwise (a WebRTC viewer's
 * offer): the marker bit stays. */
static void rewrite_pt(const struct sgw_flow_viewer *v, uint8_t *rtp)
{
	uint8_t pt = rtp[1] & 0x7f;

	for (unsigned i = 0; i < v->n_pt; i++) {
		if (v->pt_in[i] == pt) {
			rtp[1] = (uint8_t)((rtp[1] & 0x80) | v->pt_out[i]);
			return;
		}
	}
}

/* Put the viewer's headers before out's payload (plen bytes, at its data
 * offset) and queue it; -1 (out not consumed) if there is no headroom. */
static int frame_and_send(struct sgw_worker *w, const struct sgw_flow_viewer *v,
			  const struct sgw_port_rt *port, const struct rte_ether_addr *mac,
			  struct rte_mbuf *out, uint32_t plen)
{
	uint8_t *frame = (uint8_t *)rte_pktmbuf_prepend(out, v->hdr_len);

	if (unlikely(frame == NULL))
		return -1;
	rte_memcpy(frame, v->hdr, v->hdr_len);
	rte_ether_addr_copy(mac, (struct rte_ether_addr *)frame);
	out->ol_flags = 0;
	sgw_viewer_hdr_finish(v, out, frame, plen, (port->tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0);
	w->ctr[SGW_CTR_TX] += rte_eth_tx_buffer(port->port_id, (uint16_t)w->idx,
						w->txb[v->port], out);
	return 0;
}

/* The viewer's NACKs that wait: resend what its cache holds, at most
 * SGW_NACK_PER_PACKET now (nack_cache.h). Called with a packet for the
 * viewer: a paused or unresolved viewer's requests wait. */
static void nack_answer(struct sgw_worker *w, const struct sgw_flow_viewer *v,
			const struct sgw_port_rt *port, const struct rte_ether_addr *mac)
{
	struct sgw_viewer_state *st = v->st;
	uint64_t missed = 0, lost = 0;
	unsigned sent = 0;

	while (sent < SGW_NACK_PER_PACKET) {
		const struct sgw_nack_slot *s = sgw_nack_next(v->nack, &st->nack_mb, &missed, &lost);
		struct rte_mbuf *m;
		uint8_t *dst;

		if (s == NULL)
			break;
		m = rte_pktmbuf_alloc(sgw_dp->pool);
		if (unlikely(m == NULL)) {
			w->ctr[SGW_CTR_DROP_NO_MBUF]++;
			break;
		}
		dst = (uint8_t *)rte_pktmbuf_append(m, s->len);
		if (likely(dst != NULL))
			rte_memcpy(dst, s->data, s->len);
		if (unlikely(dst == NULL || frame_and_send(w, v, port, mac, m, s->len) != 0)) {
			w->ctr[SGW_CTR_DROP_TOO_BIG]++;
			rte_pktmbuf_free(m);
			break;
		}
		sent++;
	}
	w->ctr[SGW_CTR_NACK_RESENT] += sent;
	w->ctr[SGW_CTR_NACK_MISSED] += missed;
	if (sent != 0)
		sgw_ctr_add(&st->nack_resent, sent);
	if (missed != 0)
		sgw_ctr_add(&st->nack_missed, missed);
	if (lost != 0)
		sgw_ctr_add(&st->nack_lost, lost);
}

/* The rest of a viewer's packet once protected (plen bytes in out): the
 * MTU, the NACK cache, the frame, the counters. Consumes out. */
static void finish_one(struct sgw_worker *w, const struct sgw_flow_viewer *v,
		       const struct rte_ether_addr *mac, struct rte_mbuf *out, uint32_t plen, bool rtcp)
{
	const struct sgw_port_rt *port = &sgw_dp->ports[v->port];

	if (unlikely(plen + v->hdr_len - v->l3_off > v->mtu)) {
		w->ctr[SGW_CTR_DROP_TOO_BIG]++;
		goto drop;
	}
	if (unlikely(v->nack != NULL) && !rtcp)
		sgw_nack_keep(v->nack, rte_pktmbuf_mtod(out, const uint8_t *), plen);
	if (unlikely(frame_and_send(w, v, port, mac, out, plen) != 0)) {
		w->ctr[SGW_CTR_DROP_TOO_BIG]++;
		goto drop;
	}
	sgw_ctr_add(&v->st->packets, 1);
	sgw_ctr_add(&v->st->bytes, (uint64_t)plen);
	return;
drop:
	sgw_ctr_add(&v->st->drops, 1);
	rte_pktmbuf_free(out);
}

void sgw_fanout_flush(struct sgw_worker *w)
{
	unsigned n = w->n_pending;

	if (n == 0)
		return;
	for (unsigned i = 0; i < n; i++) {
		const struct sgw_pending_tx *q = &w->pending[i];

		w->ops[i] = (struct sgw_srtp_op){ .ctx = q->v->egress, .len = (int)q->len, .rtcp = q->rtcp,
						  .pkt = rte_pktmbuf_mtod(q->m, uint8_t *) };
	}
	sgw_srtp_protect_burst(w->crypto, w->ops, n);
	w->n_pending = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct sgw_pending_tx *q = &w->pending[i];
		const struct sgw_srtp_op *o = &w->ops[i];

		if (unlikely(o->res != SGW_SRTP_OK)) {
			w->ctr[o->res == SGW_SRTP_ERR_RESERVE ? SGW_CTR_DROP_SRTP_RESERVE :
			       o->res == SGW_SRTP_ERR_SSRCS   ? SGW_CTR_DROP_SRTP_SSRCS :
			       o->res == SGW_SRTP_ERR_REPLAY  ? SGW_CTR_DROP_SRTP_INDEX_USED :
								SGW_CTR_DROP_SRTP_OTHER]++;
			sgw_ctr_add(&q->v->st->drops, 1);
			rte_pktmbuf_free(q->m);
			continue;
		}
		rte_pktmbuf_append(q->m, (uint16_t)((uint32_t)o->len - q->len));
		finish_one(w, q->v, &q->mac, q->m, (uint32_t)o->len, q->rtcp);
	}
}

/* One viewer's packet from out, which holds exactly the plain RTP/RTCP
 * packet (len bytes): sent now if the viewer takes plain RTP, else queued
 * for its protect (sgw_fanout_flush). Consumes out. */
static void send_one(struct sgw_worker *w, const struct sgw_flow_viewer *v,
		     struct rte_mbuf *out, uint32_t len, bool rtcp)
{
	const struct sgw_port_rt *port = &sgw_dp->ports[v->port];
	struct sgw_pending_tx *q;
	struct rte_ether_addr mac;

	if (unlikely(v->neigh == SGW_NEIGH_NONE)) {
		w->ctr[SGW_CTR_DROP_VIEWER_PAUSED]++;
		goto drop;
	}
	if (unlikely(sgw_neigh_mac(&sgw_dp->neigh[v->neigh], &mac) != 0)) {
		w->ctr[SGW_CTR_DROP_NEIGH_UNRESOLVED]++;
		goto drop;
	}
	if (unlikely(v->nack != NULL) && sgw_nack_pending(&v->st->nack_mb, v->nack))
		nack_answer(w, v, port, &mac);
	if (unlikely(v->n_pt != 0) && !rtcp)
		rewrite_pt(v, rte_pktmbuf_mtod(out, uint8_t *));
	if (v->egress == NULL) {
		finish_one(w, v, &mac, out, len, rtcp);
		return;
	}
	if (unlikely(rte_pktmbuf_tailroom(out) < SGW_SRTP_MAX_TRAILER)) {
		w->ctr[SGW_CTR_DROP_TOO_BIG]++;
		goto drop;
	}
	if (unlikely(w->n_pending == SGW_PROTECT_Q))
		sgw_fanout_flush(w);
	q = &w->pending[w->n_pending++];
	q->v = v;
	q->m = out;
	q->len = len;
	q->rtcp = rtcp;
	q->mac = mac;
	return;
drop:
	sgw_ctr_add(&v->st->drops, 1);
	rte_pktmbuf_free(out);
}

void sgw_fanout(struct sgw_worker *w, const struct sgw_flow_entry *e,
		struct rte_mbuf *m, uint32_t off, uint32_t len, bool rtcp)
{
	const uint8_t *plain = rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
	unsigned last = e->n_viewers - 1;

	for (unsigned i = 0; i < last; i++) {
		const struct sgw_flow_viewer *v = &e->viewers[i];
		struct rte_mbuf *c;
		uint8_t *dst;

		if (unlikely(!sgw_owner_allowed(e, v->owner))) {
			w->ctr[SGW_CTR_DROP_OWNER_MISMATCH]++;
			sgw_ctr_add(&v->st->drops, 1);
			continue;
		}
		c = rte_pktmbuf_alloc(sgw_dp->pool);
		if (unlikely(c == NULL)) {
			w->ctr[SGW_CTR_DROP_NO_MBUF]++;
			sgw_ctr_add(&v->st->drops, 1);
			continue;
		}
		dst = (uint8_t *)rte_pktmbuf_append(c, (uint16_t)len);
		if (unlikely(dst == NULL)) {
			w->ctr[SGW_CTR_DROP_TOO_BIG]++;
			sgw_ctr_add(&v->st->drops, 1);
			rte_pktmbuf_free(c);
			continue;
		}
		rte_memcpy(dst, plain, len);
		send_one(w, v, c, len, rtcp);
	}

	/* The last viewer gets the original mbuf, trimmed to the RTP packet. */
	const struct sgw_flow_viewer *v = &e->viewers[last];
	if (unlikely(!sgw_owner_allowed(e, v->owner))) {
		w->ctr[SGW_CTR_DROP_OWNER_MISMATCH]++;
		sgw_ctr_add(&v->st->drops, 1);
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_adj(m, (uint16_t)off);
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - len));
	send_one(w, v, m, len, rtcp);
}

/* The PLI's sender SSRC before the camera leg's lanes give it theirs. */
#define FB_SENDER_SSRC 0x53475746u /* "SGWF" */

void sgw_keyframe_request(struct sgw_worker *w, const struct sgw_flow_entry *e,
			  const uint8_t *rtp, uint64_t now)
{
	struct sgw_stream_state *st = e->st;
	const struct sgw_flow_viewer *fb = &e->viewers[e->n_viewers];
	struct rte_mbuf *m;
	uint8_t *p;

	if (unlikely(!e->has_fb)) {
		/* no camera leg (an SDES camera): nobody to ask */
		w->ctr[SGW_CTR_KEYFRAME_NO_CAMERA]++;
		__atomic_store_n(&st->kf_wanted, 0, __ATOMIC_RELAXED);
		return;
	}
	if (now - st->kf_last_tsc < sgw_dp->tsc_hz / 1000 * SGW_KF_INTERVAL_MS && st->kf_last_tsc != 0)
		return; /* the wish stays: asked on a packet after the interval */
	__atomic_store_n(&st->kf_wanted, 0, __ATOMIC_RELAXED);
	st->kf_last_tsc = now;
	if (unlikely(!sgw_owner_allowed(e, fb->owner)))
		return;
	m = rte_pktmbuf_alloc(sgw_dp->pool);
	if (unlikely(m == NULL)) {
		w->ctr[SGW_CTR_DROP_NO_MBUF]++;
		return;
	}
	p = (uint8_t *)rte_pktmbuf_append(m, 12);
	p[0] = 0x81; /* V=2, FMT 1: PLI */
	p[1] = 206;  /* PSFB */
	p[2] = 0;
	p[3] = 2;
	*(unaligned_uint32_t *)(p + 4) = rte_cpu_to_be_32(FB_SENDER_SSRC);
	memcpy(p + 8, rtp + 8, 4); /* the media source: the camera's SSRC */
	st->kf_sent++;
	w->ctr[SGW_CTR_KEYFRAME_REQUESTED]++;
	send_one(w, fb, m, 12, true);
}
