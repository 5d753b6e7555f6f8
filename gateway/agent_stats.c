/* SPDX-License-Identifier: BSD-3-Clause */
/* Statistics replies: worker counters, per-stream and per-viewer counters. */
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "dataplane/srtp_ctx.h"
#include "gateway/agent.h"
#include "gateway/agent_slowpath.h"

#define STATS_PAGE_MAX 1024

static uint64_t rd(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

size_t agent_stats_workers(struct sgw_agent *a, uint8_t *buf, size_t cap)
{
	struct sgw_worker_stats_hdr h = { .n_workers = a->dp->n_workers + 1, .n_counters = SGW_CTR_MAX };
	size_t entry = sizeof(struct sgw_worker_stats_entry) + SGW_CTR_MAX * sizeof(uint64_t);
	size_t off = sizeof(h);

	if (cap < sizeof(h) + h.n_workers * entry)
		return 0;
	memcpy(buf, &h, sizeof(h));
	/* the workers, then the agent thread (slow path) */
	for (unsigned w = 0; w <= a->dp->n_workers; w++) {
		const uint64_t *ctr = w < a->dp->n_workers ? a->dp->workers[w]->ctr : agent_slow_ctr;
		uint32_t lcore = w < a->dp->n_workers ? a->dp->workers[w]->lcore : rte_get_main_lcore();
		uint32_t pad = 0;
		memcpy(buf + off, &lcore, 4);
		memcpy(buf + off + 4, &pad, 4);
		for (unsigned c = 0; c < SGW_CTR_MAX; c++) {
			uint64_t v = rd(&ctr[c]);

			if (c == SGW_CTR_BUSY_US) /* the worker counts TSC cycles */
				v = (uint64_t)((double)v * 1e6 / (double)a->tsc_hz);
			memcpy(buf + off + 8 + c * 8, &v, 8);
		}
		off += entry;
	}
	return off;
}

static struct sgw_pos position(const struct sgw_srtp *ctx)
{
	struct sgw_srtp_pos p;
	struct sgw_pos out = { 0 };

	if (sgw_srtp_position(ctx, &p) == 0)
		out = (struct sgw_pos){ .ssrc = p.ssrc, .roc = p.roc, .seq = p.seq,
					.flags = SGW_POS_VALID };
	return out;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Sift a[i] down the max-heap a[0..n). */
static void sift_down(uint64_t *a, size_t n, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, big = i;
		uint64_t t;

		if (c < n && a[c] > a[big])
			big = c;
		if (c + 1 < n && a[c + 1] > a[big])
			big = c + 1;
		if (big == i)
			return;
		t = a[i];
		a[i] = a[big];
		a[big] = t;
		i = big;
	}
}

/* Ids > after (with keep(arg, val) true, if keep is given), ascending, at
 * most max: sorted into ids[]. Returns count; *more set if further ids
 * exist. */
static size_t page_ids_if(const struct idmap *m, uint64_t after, size_t max, uint64_t *ids,
			  uint32_t *more, bool (*keep)(const void *arg, const void *val), const void *arg)
{
	size_t n = 0, pos = 0;
	uint64_t id;
	void *val;

	/* the max smallest in a max-heap: O(ids log max) a page, not
	 * O(ids log ids) (a sweep of 100k streams is a hundred pages) */
	*more = 0;
	while (idmap_next(m, &pos, &id, &val)) {
		if (id <= after || (keep != NULL && !keep(arg, val)))
			continue;
		if (n < max) {
			size_t i = n++;
			ids[i] = id;
			while (i > 0 && ids[(i - 1) / 2] < ids[i]) {
				uint64_t t = ids[i];
				ids[i] = ids[(i - 1) / 2];
				ids[(i - 1) / 2] = t;
				i = (i - 1) / 2;
			}
		} else {
			*more = 1;
			if (n > 0 && id < ids[0]) {
				ids[0] = id;
				sift_down(ids, n, 0);
			}
		}
	}
	qsort(ids, n, sizeof(*ids), cmp_u64);
	return n;
}

static size_t page_ids(const struct idmap *m, uint64_t after, size_t max, uint64_t *ids, uint32_t *more)
{
	return page_ids_if(m, after, max, ids, more, NULL, NULL);
}

static size_t page_max(const struct sgw_flow_stats_req *req, size_t cap, size_t entry)
{
	size_t max = req->max ? req->max : STATS_PAGE_MAX;

	if (max > STATS_PAGE_MAX)
		max = STATS_PAGE_MAX;
	if (max > (cap - sizeof(struct sgw_stats_page)) / entry)
		max = (cap - sizeof(struct sgw_stats_page)) / entry;
	return max;
}

size_t agent_stats_flows(struct sgw_agent *a, const struct sgw_flow_stats_req *req,
			 uint8_t *buf, size_t cap)
{
	uint64_t ids[STATS_PAGE_MAX];
	struct sgw_stats_page pg;
	uint64_t now = rte_rdtsc();
	size_t n = page_ids(&a->streams, req->after_id, page_max(req, cap, sizeof(struct sgw_flow_stats)),
			    ids, &pg.more);

	pg.n = (uint32_t)n;
	memcpy(buf, &pg, sizeof(pg));
	for (size_t i = 0; i < n; i++) {
		const struct stream_rec *s = idmap_get(&a->streams, ids[i]);
		const struct sgw_stream_state *st = s->st;
		uint64_t last = rd(&st->last_rx_tsc);
		struct sgw_flow_stats f = {
			.stream_id = s->id,
			.owner = s->owner,
			.worker = __atomic_load_n(&st->home, __ATOMIC_RELAXED),
			.packets = rd(&st->packets),
			.bytes = rd(&st->bytes),
			.auth_fail = rd(&st->auth_fail),
			.replay_fail = rd(&st->replay_fail),
			.other_fail = rd(&st->other_fail),
			.idle_ms = last == 0 ? UINT64_MAX : (now - last) * 1000 / a->tsc_hz,
			.pos = position(s->ingress),
			.fence = s->fence,
		};
		if (f.worker == SGW_NO_WORKER)
			f.worker = UINT32_MAX;
		memcpy(buf + sizeof(pg) + i * sizeof(f), &f, sizeof(f));
	}
	return sizeof(pg) + n * sizeof(struct sgw_flow_stats);
}

size_t agent_stats_viewers(struct sgw_agent *a, const struct sgw_flow_stats_req *req,
			   uint8_t *buf, size_t cap)
{
	uint64_t ids[STATS_PAGE_MAX];
	struct sgw_stats_page pg;
	size_t n = page_ids(&a->viewers, req->after_id,
			    page_max(req, cap, sizeof(struct sgw_viewer_stats)), ids, &pg.more);

	pg.n = (uint32_t)n;
	memcpy(buf, &pg, sizeof(pg));
	for (size_t i = 0; i < n; i++) {
		const struct viewer_rec *v = idmap_get(&a->viewers, ids[i]);
		uint64_t last_rr = rd(&v->st->last_rr_tsc), now = rte_rdtsc();
		struct sgw_viewer_stats s = {
			.viewer_id = v->id,
			.stream_id = v->stream_id,
			.owner = v->owner,
			.packets = rd(&v->st->packets),
			.bytes = rd(&v->st->bytes),
			.drops = rd(&v->st->drops),
			.pos = position(v->egress),
			.rtcp_in = rd(&v->st->rtcp_in),
			.rtcp_bad = v->port_st == NULL ? 0 :
				rd(&v->port_st->auth_fail) + rd(&v->port_st->replay_fail) +
				rd(&v->port_st->other_fail),
			.rr = rd(&v->st->rr),
			.pli = rd(&v->st->pli),
			.fir = rd(&v->st->fir),
			.nack = rd(&v->st->nack),
			.fraction_lost = __atomic_load_n(&v->st->fraction_lost, __ATOMIC_RELAXED),
			.cumulative_lost = __atomic_load_n(&v->st->cumulative_lost, __ATOMIC_RELAXED),
			.jitter = __atomic_load_n(&v->st->jitter, __ATOMIC_RELAXED),
			.rtt_us = __atomic_load_n(&v->st->rtt_us, __ATOMIC_RELAXED),
			.last_rr_ms = last_rr == 0 ? UINT64_MAX : (now - last_rr) * 1000 / a->tsc_hz,
			.nack_resent = rd(&v->st->nack_resent),
			.nack_missed = rd(&v->st->nack_missed) + rd(&v->st->nack_lost),
		};
		memcpy(buf + sizeof(pg) + i * sizeof(s), &s, sizeof(s));
	}
	return sizeof(pg) + n * sizeof(struct sgw_viewer_stats);
}

/* ---- lanes -------------------------------------------------------------- */

/* A viewer with a lane that has at most req's low marks left. */
static bool lanes_low(const void *arg, const void *val)
{
	const struct sgw_lanes_req *req = arg;
	const struct viewer_rec *v = val;
	unsigned n = sgw_srtp_n_lanes(v->egress);

	for (unsigned i = 0; i < n; i++) {
		struct sgw_srtp_lane_state s;

		if (sgw_srtp_lane_state(v->egress, i, &s) != 0)
			continue;
		if ((req->rtp_low != 0 && s.limit + 1 - s.next <= req->rtp_low) ||
		    (req->rtcp_low != 0 && (uint64_t)s.rtcp_limit + 1 - s.rtcp_next <= req->rtcp_low))
			return true;
	}
	return false;
}

static bool has_lanes(const void *arg, const void *val)
{
	(void)arg;
	return sgw_srtp_n_lanes(((const struct viewer_rec *)val)->egress) != 0;
}

size_t agent_stats_lanes(struct sgw_agent *a, const struct sgw_lanes_req *req, uint8_t *buf,
			 size_t cap)
{
	uint64_t ids[STATS_PAGE_MAX];
	struct sgw_stats_page pg;
	size_t max = req->max ? req->max : STATS_PAGE_MAX, n, out = 0;
	bool filter = req->rtp_low != 0 || req->rtcp_low != 0;

	if (max > STATS_PAGE_MAX)
		max = STATS_PAGE_MAX;
	if (max > (cap - sizeof(pg)) / sizeof(struct sgw_lane_stats))
		max = (cap - sizeof(pg)) / sizeof(struct sgw_lane_stats);
	n = page_ids_if(&a->viewers, req->after_id, max, ids, &pg.more,
			filter ? lanes_low : has_lanes, req);
	for (size_t i = 0; i < n; i++) {
		const struct viewer_rec *v = idmap_get(&a->viewers, ids[i]);
		unsigned nl = sgw_srtp_n_lanes(v->egress);

		if (out + nl > max) { /* never part of a viewer's lanes */
			pg.more = 1;
			break;
		}
		for (unsigned l = 0; l < nl; l++) {
			struct sgw_srtp_lane_state s;
			struct sgw_lane_stats e;

			sgw_srtp_lane_state(v->egress, l, &s);
			e = (struct sgw_lane_stats){
				.viewer_id = v->id, .lane = l, .ssrc = s.ssrc, .next = s.next,
				.limit = s.limit, .rtcp_next = s.rtcp_next, .rtcp_limit = s.rtcp_limit,
				.in_ssrc = s.in_ssrc, .flags = s.mapped ? SGW_LANE_MAPPED : 0,
			};
			memcpy(buf + sizeof(pg) + out * sizeof(e), &e, sizeof(e));
			out++;
		}
	}
	pg.n = (uint32_t)out;
	memcpy(buf, &pg, sizeof(pg));
	return sizeof(pg) + out * sizeof(struct sgw_lane_stats);
}
