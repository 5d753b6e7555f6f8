/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Egress: protect for one viewer.
 *
 * With lanes (srtp_ctx.h): the source SSRC of a packet finds its lane, or
 * takes a free one, or the one idle for SGW_SRTP_IDLE_PKTS packets of the
 * others; the lane's index goes on from where it was (from its start for
 * its first packet in this context). The header gets the lane's SSRC and
 * a sequence number that keeps the source's gaps and order (a fixed
 * offset per mapping), so the viewer's receiver estimates the ROC as we
 * count it. Before libsrtp protects a packet we know its index exactly
 * and refuse it past the lane's limit or below where the mapping began;
 * libsrtp is told the ROC (srtp_set_stream_roc) so that it uses the same
 * index. SRTCP goes out with the lane's own index (srtcp_tx.c).
 *
 * Without lanes (agent clients that do not reserve: srtpgw-agentctl, the
 * load generator, tests): the source's SSRC and sequence numbers, indices
 * estimated by libsrtp, its SRTCP counter; no guarantee across a gateway
 * restart (docs/security.md).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/srtp_ctx_priv.h"

#define IDX16(i) ((uint16_t)(i))

unsigned
sgw_srtp_n_lanes(const struct sgw_srtp *ctx)
{
	return ctx != NULL ? ctx->n_lanes : 0;
}

int
sgw_srtp_reserve(struct sgw_srtp *ctx, unsigned lane, uint64_t limit, uint32_t rtcp_limit)
{
	struct lane *l;

	if (ctx == NULL || lane >= ctx->n_lanes || limit > SGW_SRTP_INDEX_MAX ||
	    rtcp_limit > SGW_SRTCP_INDEX_MAX)
		return -1;
	l = &ctx->lanes[lane];
	/* only this thread writes the limits: no lost raise */
	if (limit > __atomic_load_n(&l->limit, __ATOMIC_RELAXED))
		__atomic_store_n(&l->limit, limit, __ATOMIC_RELEASE);
	if (rtcp_limit > __atomic_load_n(&l->rtcp_limit, __ATOMIC_RELAXED))
		__atomic_store_n(&l->rtcp_limit, rtcp_limit, __ATOMIC_RELEASE);
	return 0;
}

int
sgw_srtp_lane_state(const struct sgw_srtp *ctx, unsigned lane, struct sgw_srtp_lane_state *out)
{
	const struct lane *l;

	if (ctx == NULL || lane >= ctx->n_lanes)
		return -1;
	l = &ctx->lanes[lane];
	memset(out, 0, sizeof(*out));
	out->ssrc = l->out_ssrc;
	out->next = __atomic_load_n(&l->next, __ATOMIC_ACQUIRE);
	out->limit = __atomic_load_n(&l->limit, __ATOMIC_ACQUIRE);
	out->rtcp_next = __atomic_load_n(&l->rtcp_next, __ATOMIC_ACQUIRE);
	out->rtcp_limit = __atomic_load_n(&l->rtcp_limit, __ATOMIC_ACQUIRE);
	out->in_ssrc = __atomic_load_n(&l->in_ssrc, __ATOMIC_ACQUIRE);
	out->mapped = __atomic_load_n(&l->pub_mapped, __ATOMIC_ACQUIRE) != 0;
	return 0;
}

/* ---- lanes ---------------------------------------------------------------- */

/* The lane of source SSRC in, mapping one if needed; NULL if none is free
 * or idle. */
static struct lane *
lane_for(struct sgw_srtp *ctx, uint32_t in)
{
	struct lane *free_l = NULL, *lru = NULL, *l;
	uint64_t base;

	for (unsigned i = 0; i < ctx->n_lanes; i++) {
		l = &ctx->lanes[i];
		if (l->mapped) {
			if (l->in_ssrc == in)
				return l;
			if (lru == NULL || l->last < lru->last)
				lru = l;
		} else if (free_l == NULL) {
			free_l = l;
		}
	}
	l = free_l;
	if (l == NULL && lru != NULL && ctx->n_ok - lru->last >= SGW_SRTP_IDLE_PKTS)
		l = lru;
	if (l == NULL)
		return NULL;
	/* a new mapping goes on after everything the lane sent */
	base = l->used ? l->hi + 1 : l->start;
	l->mapped = true;
	l->delta_set = false;
	l->floor = base;
	__atomic_store_n(&l->in_ssrc, in, __ATOMIC_RELEASE);
	__atomic_store_n(&l->pub_mapped, 1, __ATOMIC_RELEASE);
	return l;
}

/* An RTP packet's lane and index: the header gets the lane's SSRC and
 * sequence number. SGW_SRTP_OK with *lp and *idx, or the refusal. */
static enum sgw_srtp_result
lane_take(struct sgw_srtp *ctx, uint8_t *p, struct lane **lp, uint64_t *idx)
{
	struct lane *l;
	uint64_t ref;
	uint16_t seq;

	/* egress packets are authentic: each one, sent or not, ages the
	 * lanes of other source SSRCs */
	ctx->n_ok++;
	l = lane_for(ctx, rtp_ssrc(p));
	if (l == NULL)
		return SGW_SRTP_ERR_SSRCS;
	l->last = ctx->n_ok;
	if (!l->delta_set) {
		/* the mapping's first packet gets its floor */
		l->seq_delta = (uint16_t)(IDX16(l->floor) - rtp_seq(p));
		l->delta_set = true;
	}
	seq = (uint16_t)(rtp_seq(p) + l->seq_delta);
	ref = l->used && l->hi >= l->floor ? l->hi : l->floor;
	*idx = (uint64_t)sgw_srtp_roc_estimate(ref, seq) << 16 | seq;
	if (*idx < l->floor || *idx > __atomic_load_n(&l->limit, __ATOMIC_ACQUIRE))
		return SGW_SRTP_ERR_RESERVE;
	wr32(p + 8, l->out_ssrc);
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	*lp = l;
	return SGW_SRTP_OK;
}

/* Index idx of lane l went out (or, on the engine, will: see
 * lanes_queue). */
static void
lane_sent(struct lane *l, uint64_t idx)
{
	if (!l->used || idx > l->hi) {
		l->hi = idx;
		l->used = true;
		__atomic_store_n(&l->next, idx + 1, __ATOMIC_RELEASE);
	}
}

static enum sgw_srtp_result __attribute__((noinline))
lanes_protect(struct sgw_srtp *ctx, uint8_t *p, int *len)
{
	enum sgw_srtp_result r;
	srtp_err_status_t st;
	struct lane *l;
	uint64_t idx;
	uint32_t roc;

	if ((r = lane_take(ctx, p, &l, &idx)) != SGW_SRTP_OK)
		return r;
	if (ctx->burst) {
		/* a lone packet, outside a worker's burst */
		if (sgw_burst_rtp_header_len(p, *len) < 0)
			return SGW_SRTP_ERR_OTHER;
		lane_sent(l, idx);
		r = srtp_ctx_burst_one(l->bctx, p, len, idx);
		if (r == SGW_SRTP_OK)
			srtp_ctx_follow_index(ctx, l->out_ssrc, idx);
		return r;
	}
	/* libsrtp takes the ROC it is told. ROC 0 cannot be told: telling it
	 * 0 only clears what an earlier packet told (else a packet reordered
	 * back across the first wrap went out under that earlier ROC, at an
	 * index the lane uses later), and libsrtp estimates from its highest
	 * index, the lane's hi; a packet it would estimate otherwise than the
	 * lane does is refused. */
	roc = (uint32_t)(idx >> 16);
	if (roc == 0 && sgw_srtp_roc_estimate(l->used ? l->hi : 0, (uint16_t)idx) != 0)
		return SGW_SRTP_ERR_OTHER;
	srtp_set_stream_roc(ctx->session, l->out_ssrc, roc);
	st = srtp_protect(ctx->session, p, len);
	if (st != srtp_err_status_ok)
		return srtp_ctx_map_status(st);
	lane_sent(l, idx);
	srtp_ctx_follow_index(ctx, l->out_ssrc, idx);
	return SGW_SRTP_OK;
}

/* The RTCP compound packet's words that name the source SSRC in: each
 * packet's first SSRC (SR, RR, APP, feedback: the sender), every SDES
 * chunk's and every BYE SSRC. -1 if the compound is malformed. */
static int
rtcp_rewrite(uint8_t *p, int len, uint32_t in, uint32_t out)
{
	int off = 0;

	while (off + 4 <= len) {
		uint8_t *h = p + off;
		int plen = 4 * (((int)h[2] << 8 | h[3]) + 1), count = h[0] & 0x1f;

		if ((h[0] >> 6) != 2 || off + plen > len)
			return -1;
		if (h[1] == 202) { /* SDES: chunks of an SSRC and items, to a 0 */
			int c = off + 4;
			for (int i = 0; i < count; i++) {
				if (c + 4 > off + plen)
					return -1;
				if (rd32(p + c) == in)
					wr32(p + c, out);
				c += 4;
				while (c < off + plen && p[c] != 0)
					c += 2 + (c + 1 < off + plen ? p[c + 1] : 0);
				c = (c + 4) & ~3; /* the null item, to a word boundary */
			}
		} else if (h[1] == 203) { /* BYE: count SSRCs */
			for (int i = 0; i < count && 4 + 4 * i + 4 <= plen; i++)
				if (rd32(h + 4 + 4 * i) == in)
					wr32(h + 4 + 4 * i, out);
		} else if (plen >= 8 && rd32(h + 4) == in) {
			wr32(h + 4, out);
		}
		off += plen;
	}
	return off == len ? 0 : -1;
}

static enum sgw_srtp_result __attribute__((noinline))
lanes_protect_rtcp(struct sgw_srtp *ctx, uint8_t *p, int *len)
{
	struct lane *l;
	uint32_t idx;

	ctx->n_ok++;
	l = lane_for(ctx, rd32(p + 4));
	if (l == NULL)
		return SGW_SRTP_ERR_SSRCS;
	l->last = ctx->n_ok;
	idx = l->rtcp_next;
	if (idx > __atomic_load_n(&l->rtcp_limit, __ATOMIC_ACQUIRE) || idx > SGW_SRTCP_INDEX_MAX)
		return SGW_SRTP_ERR_RESERVE;
	if (rtcp_rewrite(p, *len, l->in_ssrc, l->out_ssrc) != 0)
		return SGW_SRTP_ERR_OTHER;
	if (sgw_srtcp_tx_protect(ctx->rtcp_tx, p, len, idx) != 0)
		return SGW_SRTP_ERR_OTHER;
	__atomic_store_n(&l->rtcp_next, idx + 1, __ATOMIC_RELEASE);
	return SGW_SRTP_OK;
}

/* ---- without lanes ----------------------------------------------------------- */

/* The first packet of a resumed (or evicted and returning) SSRC goes out
 * above the index it had: under the ROC a receiver at that index
 * estimates, or the next one if that would not be above it. The entry is
 * read first: the room made for the SSRC leaves a tombstone, which may
 * move or drop it. */
static enum sgw_srtp_result __attribute__((noinline))
protect_resumed(struct sgw_srtp *ctx, const struct resume_ent *ent, uint8_t *p, int *len)
{
	const struct resume_ent r0 = *ent, *r = &r0;
	struct resume_ent *left;
	uint16_t seq = rtp_seq(p);
	uint32_t roc = sgw_srtp_roc_estimate(r->index, seq), have;
	srtp_err_status_t st;

	if (((uint64_t)roc << 16 | seq) <= r->index)
		roc++;
	ctx->n_ok++;
	if (srtp_get_stream_roc(ctx->session, r->ssrc, &have) != srtp_err_status_ok &&
	    (srtp_ctx_make_room(ctx) != 0 || srtp_ctx_add_stream(ctx, r->ssrc) != 0))
		return SGW_SRTP_ERR_SSRCS;
	srtp_set_stream_roc(ctx->session, r->ssrc, roc);
	st = srtp_protect(ctx->session, p, len);
	if (st != srtp_err_status_ok)
		return srtp_ctx_map_status(st);
	if (!ctx->following || ctx->f_ssrc == r->ssrc)
		srtp_ctx_follow_at(ctx, r->ssrc, (uint64_t)roc << 16 | seq);
	srtp_ctx_note(ctx, r->ssrc, (uint64_t)roc << 16 | seq);
	if ((left = srtp_ctx_resume_of(ctx, r->ssrc)) != NULL)
		left->valid = false;
	return SGW_SRTP_OK;
}

enum sgw_srtp_result
sgw_srtp_protect(struct sgw_srtp *ctx, void *pkt, int *len)
{
	uint8_t *p = pkt;
	struct ssrc_slot *s;
	srtp_err_status_t st;
	uint32_t ssrc;
	uint16_t seq;

	if (ctx == NULL || ctx->dir != SGW_SRTP_OUTBOUND || *len < RTP_HDR_MIN)
		return SGW_SRTP_ERR_OTHER;
	if (ctx->n_lanes != 0)
		return lanes_protect(ctx, p, len);
	ssrc = rtp_ssrc(p);
	seq = rtp_seq(p);
	s = srtp_ctx_slot(ctx, ssrc);
	if (__builtin_expect(s == NULL, 0)) {
		struct resume_ent *r = srtp_ctx_resume_of(ctx, ssrc);

		if (r != NULL)
			return protect_resumed(ctx, r, p, len);
		ctx->n_ok++; /* egress packets are authentic: each one ages the others */
		if (srtp_ctx_make_room(ctx) != 0)
			return SGW_SRTP_ERR_SSRCS;
		st = srtp_protect(ctx->session, p, len);
		if (st != srtp_err_status_ok)
			return srtp_ctx_map_status(st);
		srtp_ctx_note(ctx, ssrc, seq);
		srtp_ctx_follow(ctx, p);
		return SGW_SRTP_OK;
	}
	st = srtp_protect(ctx->session, p, len);
	if (st != srtp_err_status_ok)
		return srtp_ctx_map_status(st);
	uint64_t idx = (uint64_t)sgw_srtp_roc_estimate(s->hi, seq) << 16 | seq;
	if (idx > s->hi)
		s->hi = idx;
	s->last = ++ctx->n_ok;
	srtp_ctx_follow(ctx, p);
	return SGW_SRTP_OK;
}

enum sgw_srtp_result
sgw_srtp_protect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len)
{
	if (ctx == NULL || ctx->dir != SGW_SRTP_OUTBOUND || *len < RTCP_HDR_MIN)
		return SGW_SRTP_ERR_OTHER;
	if (ctx->n_lanes != 0)
		return lanes_protect_rtcp(ctx, pkt, len);
	return srtp_ctx_map_status(srtp_protect_rtcp(ctx->session, pkt, len));
}

/* ---- bursts -------------------------------------------------------------------- */

struct sgw_srtp_lcore *
sgw_srtp_lcore_create(void)
{
	struct sgw_srtp_lcore *lc = calloc(1, sizeof(*lc));

	if (lc != NULL && sgw_srtp_get_engine() == SGW_SRTP_ENGINE_BURST &&
	    (lc->mgr = sgw_burst_mgr_create()) == NULL) {
		free(lc);
		return NULL;
	}
	return lc;
}

void
sgw_srtp_lcore_free(struct sgw_srtp_lcore *lc)
{
	if (lc == NULL)
		return;
	sgw_burst_mgr_free(lc->mgr);
	free(lc);
}

/* The engine protects what lanes_queue() queued; the results go back to
 * their ops, in order. */
static void
engine_run(struct sgw_srtp_lcore *lc)
{
	sgw_burst_protect_at(lc->mgr, lc->bctx, lc->pkt, lc->len, lc->idx, lc->res, lc->n);
	for (unsigned j = 0; j < lc->n; j++) {
		struct sgw_srtp_op *o = lc->op[j];

		o->res = lc->res[j];
		if (o->res == SGW_SRTP_OK) {
			o->len = lc->len[j];
			srtp_ctx_follow_index(o->ctx, rtp_ssrc(o->pkt), lc->idx[j]);
		}
	}
	lc->n = 0;
}

/* A lane's packet for the engine: its lane and index now, in order, as
 * lanes_protect() would take them; its crypto with the burst's. The lane
 * moves on at once, before the crypto: an index above the lane's highest
 * is one the engine takes for sure once the header parses (the engine
 * refuses only indices it used, or older than its window), so the next
 * packet of the lane is numbered as if this one had gone out; one below
 * is the engine's to check. */
static void
lanes_queue(struct sgw_srtp_lcore *lc, struct sgw_srtp_op *o)
{
	struct lane *l;
	uint64_t idx;

	o->res = lane_take(o->ctx, o->pkt, &l, &idx);
	if (o->res != SGW_SRTP_OK)
		return;
	if (sgw_burst_rtp_header_len(o->pkt, o->len) < 0) {
		o->res = SGW_SRTP_ERR_OTHER;
		return;
	}
	lane_sent(l, idx);
	lc->bctx[lc->n] = l->bctx;
	lc->pkt[lc->n] = o->pkt;
	lc->len[lc->n] = o->len;
	lc->idx[lc->n] = idx;
	lc->op[lc->n] = o;
	if (++lc->n == SGW_BURST_MAX)
		engine_run(lc);
}

void
sgw_srtp_protect_burst(struct sgw_srtp_lcore *lc, struct sgw_srtp_op *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct sgw_srtp_op *o = &ops[i];

		if (lc != NULL && lc->mgr != NULL && !o->rtcp && o->ctx != NULL && o->ctx->burst &&
		    o->len >= RTP_HDR_MIN) {
			lanes_queue(lc, o);
			continue;
		}
		/* RTCP (its own index, srtcp_tx.c) and libsrtp's contexts: one
		 * by one, in order (nothing here waits on the engine's) */
		o->res = o->rtcp ? sgw_srtp_protect_rtcp(o->ctx, o->pkt, &o->len)
				 : sgw_srtp_protect(o->ctx, o->pkt, &o->len);
	}
	if (lc != NULL && lc->n != 0)
		engine_run(lc);
}
