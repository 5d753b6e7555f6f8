/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingress on the burst engine (docs/crypto-engine.md): an inbound context
 * made while the engine is SGW_SRTP_ENGINE_BURST has no libsrtp session;
 * this file stands in for it, with libsrtp 2.5's semantics, under the
 * same code in srtp_ctx.c (slots, LRU eviction, resume entries, the
 * position), which calls it where it would call libsrtp.
 *
 * The session: a template and streams, as libsrtp's.
 *   - The template is an engine context made (keys derived) once per
 *     context and kept as made. A packet of an SSRC without a stream is
 *     tried on it (libsrtp's provisional stream); if it authenticates, the
 *     template, which took the packet, is cloned into the SSRC's stream
 *     (a memcpy: no key derivation per SSRC; the only allocation, after
 *     authentication, as libsrtp's clone) and reset. Forged packets of new
 *     SSRCs cost neither an allocation nor a slot.
 *   - Streams: one per SSRC (struct in_stream), as libsrtp keeps them:
 *     made by an authenticated RTP or SRTCP packet of an SSRC without one,
 *     or added for a resumed SSRC's first tries (srtp_ctx.c's
 *     resume_stream: there it stays "as made", c NULL, with the ROC told
 *     to it, and tries its packets on the template, until one
 *     authenticates); removed with their slot's eviction, and where
 *     srtp_ctx.c bounds those without a slot (at most STREAMS_MAX in all:
 *     the array is made once). Every slot's SSRC has one (slot.bctx), and
 *     only SRTCP or resumes make streams without a slot, as with libsrtp.
 *   - A ROC told (srtp_set_stream_roc) is the engine context's
 *     pending_roc, with libsrtp's rules (sgw_burst_set_roc).
 *
 * sgw_srtp_unprotect_burst(): RTP packets of an SSRC with a slot (the
 * common case) are queued and go through sgw_burst_unprotect together
 * (SGW_BURST_MAX at a time), their slots' bookkeeping done after, in
 * array order (with each packet's stream index as the engine left it:
 * what srtp_get_stream_roc would have said then). Anything that can
 * change the slots (a new SSRC, an eviction, a resume) goes packet by
 * packet through srtp_ctx.c, after the queue has been run: the queue
 * points into the slots. SRTCP goes packet by packet too, without running
 * the queue: it touches no slot and no RTP state, and may only add a
 * stream, or undo the one it added (srtp_ctx.c's cap on SRTCP-only
 * SSRCs); the queue holds no stream pointer but the slots' engine
 * contexts, which do not move.
 *
 * A refused packet is left unchanged by the engine (its tag put back; GCM
 * encrypted back), but for SGW_SRTP_ERR_SSRCS after a new SSRC's packet
 * authenticated (decrypted, then refused as libsrtp does) and allocation
 * failures.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dataplane/srtp_burst_priv.h"
#include "dataplane/srtp_ctx_priv.h"

int
srtp_in_init(struct sgw_srtp *ctx)
{
	ctx->tmpl = srtp_ctx_burst_ctx(&ctx->key, SGW_SRTP_INBOUND, ctx->window);
	/* streams are clones of the template: the master key is not kept */
	OPENSSL_cleanse(ctx->key.material, sizeof(ctx->key.material));
	/* as many as srtp_ctx.c lets a context have: made once */
	ctx->streams = calloc(STREAMS_MAX, sizeof(*ctx->streams));
	if (ctx->tmpl == NULL || ctx->streams == NULL)
		return -1;
	return 0;
}

void
srtp_in_free(struct sgw_srtp *ctx)
{
	for (unsigned i = 0; i < ctx->n_streams; i++)
		sgw_burst_ctx_free(ctx->streams[i].c); /* zeroes the keys */
	free(ctx->streams);
	sgw_burst_ctx_free(ctx->tmpl);
	ctx->streams = NULL;
	ctx->tmpl = NULL;
	ctx->n_streams = 0;
}

static struct in_stream *
find(const struct sgw_srtp *ctx, uint32_t ssrc)
{
	for (unsigned i = 0; i < ctx->n_streams; i++)
		if (ctx->streams[i].ssrc == ssrc)
			return &ctx->streams[i];
	return NULL;
}

static struct in_stream *
add(struct sgw_srtp *ctx, uint32_t ssrc, struct sgw_burst_ctx *c)
{
	struct in_stream *e;

	if (ctx->n_streams == STREAMS_MAX)
		return NULL; /* cannot happen (srtp_ctx.c's caps) */
	e = &ctx->streams[ctx->n_streams++];
	*e = (struct in_stream){ .ssrc = ssrc, .c = c };
	return e;
}

bool
srtp_in_has_stream(const struct sgw_srtp *ctx, uint32_t ssrc)
{
	return find(ctx, ssrc) != NULL;
}

int
srtp_in_add_stream(struct sgw_srtp *ctx, uint32_t ssrc)
{
	return add(ctx, ssrc, NULL) != NULL ? 0 : -1;
}

void
srtp_in_remove_stream(struct sgw_srtp *ctx, uint32_t ssrc)
{
	struct in_stream *e = find(ctx, ssrc);

	if (e == NULL)
		return;
	/* (a slot's SSRC has a stream: only an evicted slot's goes, with it;
	 * but no slot may point at a freed one) */
	for (unsigned i = 0; i < ctx->n_slots; i++)
		if (ctx->slots[i].bctx == e->c)
			ctx->slots[i].bctx = NULL;
	sgw_burst_ctx_free(e->c);
	*e = ctx->streams[--ctx->n_streams];
}

void
srtp_in_set_roc(struct sgw_srtp *ctx, uint32_t ssrc, uint32_t roc)
{
	struct in_stream *e = find(ctx, ssrc);

	if (e == NULL)
		return;
	if (e->c != NULL)
		sgw_burst_set_roc(e->c, roc);
	else
		e->pending_roc = roc;
}

int
srtp_in_stream_index(const struct sgw_srtp *ctx, uint32_t ssrc, uint64_t *index)
{
	const struct in_stream *e = find(ctx, ssrc);

	if (e == NULL)
		return -1;
	*index = e->c != NULL ? e->c->index : 0;
	return 0;
}

struct sgw_burst_ctx *
srtp_in_stream_ctx(const struct sgw_srtp *ctx, uint32_t ssrc)
{
	const struct in_stream *e = find(ctx, ssrc);

	return e != NULL ? e->c : NULL;
}

static enum sgw_srtp_result
one(struct sgw_burst_mgr *m, struct sgw_burst_ctx *c, uint8_t *p, int *len, bool rtcp)
{
	enum sgw_srtp_result r;

	if (rtcp)
		sgw_burst_unprotect_rtcp(m, &c, &p, len, &r, 1);
	else
		sgw_burst_unprotect(m, &c, &p, len, &r, 1);
	return r;
}

/* A packet of ssrc, whose stream e is as made or does not exist, on the
 * template (libsrtp: the stream as made, or the provisional one); if it
 * authenticates, the template as it left it becomes ssrc's stream. */
static enum sgw_srtp_result
on_template(struct sgw_srtp *ctx, struct sgw_burst_mgr *m, struct in_stream *e, uint32_t ssrc,
	    uint8_t *p, int *len, bool rtcp)
{
	struct sgw_burst_ctx *t = ctx->tmpl, *c;
	enum sgw_srtp_result r;

	sgw_burst_set_roc(t, e != NULL ? e->pending_roc : 0);
	r = one(m, t, p, len, rtcp);
	if (r == SGW_SRTP_OK) {
		struct ssrc_slot *s;

		c = sgw_burst_ctx_clone(t);
		if (c == NULL) {
			r = SGW_SRTP_ERR_OTHER; /* libsrtp: alloc_fail */
		} else if (e != NULL) {
			e->c = c;
		} else if (add(ctx, ssrc, c) == NULL) {
			sgw_burst_ctx_free(c);
			c = NULL;
			r = SGW_SRTP_ERR_OTHER;
		}
		if (c != NULL && (s = srtp_ctx_slot(ctx, ssrc)) != NULL)
			s->bctx = c; /* (a slot has a stream: not reached) */
	}
	sgw_burst_ctx_reset(t);
	return r;
}

enum sgw_srtp_result
srtp_in_unprotect(struct sgw_srtp *ctx, struct sgw_burst_mgr *m, struct sgw_burst_ctx *c,
		  uint8_t *p, int *len)
{
	struct in_stream *e;

	if (c != NULL)
		return one(m, c, p, len, false);
	e = find(ctx, rtp_ssrc(p));
	if (e != NULL && e->c != NULL)
		return one(m, e->c, p, len, false);
	return on_template(ctx, m, e, rtp_ssrc(p), p, len, false);
}

enum sgw_srtp_result
srtp_in_unprotect_rtcp(struct sgw_srtp *ctx, struct sgw_burst_mgr *m, uint8_t *p, int *len)
{
	uint32_t ssrc = rd32(p + 4);
	struct in_stream *e = find(ctx, ssrc);

	if (e != NULL && e->c != NULL)
		return one(m, e->c, p, len, true);
	return on_template(ctx, m, e, ssrc, p, len, true);
}

/* ---- bursts ---------------------------------------------------------------- */

/* The queued packets through the engine, then their slots' bookkeeping in
 * array order, as srtp_ctx_unprotect_m() does after each. */
static void
run_queue(struct sgw_srtp_lcore *lc)
{
	if (lc->n == 0)
		return;
	sgw_burst_unprotect_idx(lc->mgr, lc->bctx, lc->pkt, lc->len, lc->res, lc->idx, lc->n);
	for (unsigned j = 0; j < lc->n; j++) {
		struct sgw_srtp_op *o = lc->op[j];

		o->res = lc->res[j];
		if (o->res != SGW_SRTP_OK)
			continue;
		o->len = lc->len[j];
		srtp_ctx_accepted(o->ctx, lc->slot[j], o->pkt, &lc->idx[j]);
	}
	lc->n = 0;
}

void
sgw_srtp_unprotect_burst(struct sgw_srtp_lcore *lc, struct sgw_srtp_op *ops, unsigned n)
{
	if (lc == NULL || lc->mgr == NULL) {
		/* no engine on this lcore: packet by packet (an engine
		 * context's on the shared manager) */
		for (unsigned i = 0; i < n; i++) {
			struct sgw_srtp_op *o = &ops[i];

			o->res = o->rtcp ? sgw_srtp_unprotect_rtcp(o->ctx, o->pkt, &o->len)
					 : sgw_srtp_unprotect(o->ctx, o->pkt, &o->len);
		}
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct sgw_srtp_op *o = &ops[i];
		struct sgw_srtp *ctx = o->ctx;
		struct ssrc_slot *s;

		if (ctx == NULL || !ctx->burst || ctx->dir != SGW_SRTP_INBOUND) {
			/* libsrtp's contexts (and wrong ones): at once */
			o->res = o->rtcp ? sgw_srtp_unprotect_rtcp(ctx, o->pkt, &o->len)
					 : sgw_srtp_unprotect(ctx, o->pkt, &o->len);
			continue;
		}
		if (o->len < (o->rtcp ? RTCP_HDR_MIN : RTP_HDR_MIN)) {
			o->res = SGW_SRTP_ERR_OTHER;
			continue;
		}
		if (o->rtcp) {
			o->res = srtp_ctx_unprotect_rtcp_m(ctx, lc->mgr, o->pkt, &o->len);
			continue;
		}
		s = srtp_ctx_slot(ctx, rtp_ssrc(o->pkt));
		if (__builtin_expect(s != NULL && s->bctx != NULL, 1)) {
			lc->bctx[lc->n] = s->bctx;
			lc->pkt[lc->n] = o->pkt;
			lc->len[lc->n] = o->len;
			lc->op[lc->n] = o;
			lc->slot[lc->n] = s;
			if (++lc->n == SGW_BURST_MAX)
				run_queue(lc);
			continue;
		}
		/* a new or resumed SSRC: the slots may change */
		run_queue(lc);
		o->res = srtp_ctx_unprotect_m(ctx, lc->mgr, o->pkt, &o->len);
	}
	run_queue(lc);
}
