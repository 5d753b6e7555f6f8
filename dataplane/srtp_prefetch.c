/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prefetching a context's state a stage ahead (srtp_ctx.h). With many
 * streams every packet's contexts are cold: the wrapper (struct
 * sgw_srtp), then the engine context it points to. Read one after the
 * other inside the burst call, their misses queue; prefetched for the
 * whole burst, stage by stage, they overlap.
 * (No DPDK here: the library is linked by tools without it.)
 */
#include <stddef.h>

#include "dataplane/srtp_burst_priv.h"
#include "dataplane/srtp_ctx_priv.h"

static inline void prefetch(const void *p)
{
	__builtin_prefetch(p, 0, 3);
}

void
sgw_srtp_prefetch(const struct sgw_srtp *ctx)
{
	if (ctx == NULL)
		return;
	prefetch(ctx);
	/* the fields the burst path reads (burst, dir, n_slots, n_lanes, the
	 * first slot or lane) sit on a few lines; the first of the array is
	 * the common case (one SSRC a stream, one lane a viewer) */
	prefetch(&ctx->n_slots);
	prefetch(&ctx->slots[0]);
	prefetch(&ctx->n_lanes);
	prefetch((const uint8_t *)&ctx->lanes[0] + sizeof(ctx->lanes[0]) - 1);
}

const struct sgw_burst_ctx *
srtp_prefetch_target(const struct sgw_srtp *ctx)
{
	if (ctx == NULL || !ctx->burst)
		return NULL;
	if (ctx->dir == SGW_SRTP_INBOUND)
		return ctx->n_slots != 0 ? ctx->slots[0].bctx : NULL;
	return ctx->n_lanes != 0 ? ctx->lanes[0].bctx : NULL;
}

void
sgw_srtp_prefetch_keys(const struct sgw_srtp *ctx)
{
	const struct sgw_burst_ctx *c = srtp_prefetch_target(ctx);

	if (c == NULL)
		return;
	/* the mutable state, then the RTP half's AES-CM keys (round keys,
	 * HMAC states, salt; GCM's lie after the window, behind a pointer
	 * on a line not in yet: not fetched here) */
	prefetch(c);
	for (size_t off = offsetof(struct sgw_burst_ctx, rtp); off < offsetof(struct sgw_burst_ctx, rtcp);
	     off += 64)
		prefetch((const uint8_t *)c + off);
	/* the window (both ways: an outbound one records the indices used),
	 * where a small one lies whole */
	prefetch(c->window);
}
