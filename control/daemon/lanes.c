/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Egress lanes and their index reservations (invariant 8: no SRTP or SRTCP
 * index is used twice under one key; docs/control.md "Index
 * reservations").
 *
 * Every lane of every viewer has a reservation in the store: the highest
 * RTP and SRTCP index any context of the gateway may have used on it. The
 * gateway never passes the limit it was given, and it is given a limit
 * only after the store holds it (committed, synchronous=FULL). A context
 * the gateway makes anew (it restarted, or a full push replaced the
 * viewer) starts just past the stored reservation with nothing granted,
 * and the next round grants it a block: so a lane never goes back, and
 * never jumps by more than a block, which keeps the viewer's receiver's
 * ROC estimate right (a block is at most 2^14, under RFC 3711's 2^15).
 * A round asks the gateway only for the lanes with half a block or less
 * left, every tick.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <openssl/rand.h>

#include "api/log.h"
#include "control/daemon/daemon.h"
#include "control/daemon/fleet.h"
#include "control/daemon/placement.h"

#define RTCP_BLOCK 1024u
#define SRTCP_MAX 0x7fffffffu
#define INDEX_MAX ((1ull << 48) - 1)
#define LANES_PAGE 1024
#define TICK_MS 100

int lanes_create(struct ctl_daemon *d, int64_t viewer_id, struct sgw_lanes *op)
{
	return lanes_create_ssrc(d, viewer_id, 0, op);
}

int lanes_create_ssrc(struct ctl_daemon *d, int64_t viewer_id, uint32_t first_ssrc, struct sgw_lanes *op)
{
	struct store_lane l[SGW_MAX_LANES];
	unsigned n = d->cfg.viewer_lanes;
	int rc;

	memset(op, 0, sizeof(*op));
	for (unsigned i = 0; i < n; i++) {
		uint32_t r[2];
		bool dup;

		do {
			if (RAND_bytes((unsigned char *)r, sizeof(r)) != 1)
				return -EIO;
			if (i == 0 && first_ssrc != 0)
				r[0] = first_ssrc;
			dup = r[0] == 0;
			for (unsigned j = 0; j < i && !dup; j++)
				dup = l[j].ssrc == r[0];
		} while (dup);
		l[i].ssrc = r[0];
		/* RFC 3550 5.1: a random first sequence number, at ROC 0 */
		op->lane[i].next = 1 + r[1] % 0x7fff;
		l[i].rtp_res = op->lane[i].next + d->cfg.reserve_block - 1;
		l[i].rtcp_res = RTCP_BLOCK;
		op->lane[i].ssrc = l[i].ssrc;
		op->lane[i].limit = l[i].rtp_res;
		op->lane[i].rtcp_next = 1;
		op->lane[i].rtcp_limit = l[i].rtcp_res;
	}
	rc = store_lanes_set(d->store, viewer_id, l, n);
	if (rc == 0)
		op->n = n;
	return rc;
}

int lanes_resume(struct ctl_daemon *d, int64_t viewer_id, struct sgw_lanes *op)
{
	struct store_lane l[SGW_MAX_LANES];
	int n = store_lanes_get(d->store, viewer_id, l, SGW_MAX_LANES);

	memset(op, 0, sizeof(*op));
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (l[i].rtp_res >= INDEX_MAX || l[i].rtcp_res >= SRTCP_MAX)
			return -ERANGE; /* the key's indices are used up: rekey */
		op->lane[i] = (struct sgw_lane_res){
			.ssrc = l[i].ssrc,
			.next = l[i].rtp_res + 1, .limit = l[i].rtp_res,
			.rtcp_next = l[i].rtcp_res + 1, .rtcp_limit = l[i].rtcp_res,
		};
	}
	op->n = (uint32_t)n;
	return 0;
}

/* One page of lanes that need more: the grants, stored, then sent. 1 if
 * more pages follow, 0 at the end, -1 on a failure (the round ends). */
static int round_page(struct ctl_daemon *d, uint64_t *after)
{
	static uint8_t buf[sizeof(struct sgw_stats_page) + LANES_PAGE * sizeof(struct sgw_lane_stats)];
	static uint8_t msg[sizeof(struct sgw_reserve_hdr) + LANES_PAGE * sizeof(struct sgw_reserve)];
	/* a fleet: each stream's placement is a compare of the etcd
	 * transaction, at most FLEET_REQUIRE_MAX of them */
	struct sgw_lanes_req req = { .after_id = *after,
				     .max = d->fleet != NULL ? FLEET_REQUIRE_MAX : LANES_PAGE,
				     .rtp_low = d->cfg.reserve_block / 2, .rtcp_low = RTCP_BLOCK / 2 };
	struct sgw_reserve_hdr h = { 0 };
	struct sgw_stats_page pg;
	uint32_t n;
	int rc;

	rc = gw_link_request(&d->gw, SGW_MSG_STATS_LANES, &req, sizeof(req), buf, sizeof(buf), &n);
	if (rc != SGW_MSG_LANE_STATS || n < sizeof(pg))
		return -1;
	memcpy(&pg, buf, sizeof(pg));
	if (pg.n > LANES_PAGE || sizeof(pg) + pg.n * sizeof(struct sgw_lane_stats) > n)
		return -1;
	if (pg.n == 0)
		return 0;
	if (store_begin(d->store) != 0)
		return -1;
	for (uint32_t i = 0; i < pg.n; i++) {
		struct sgw_lane_stats e;
		struct sgw_reserve r;

		memcpy(&e, buf + sizeof(pg) + i * sizeof(e), sizeof(e));
		*after = e.viewer_id;
		/* a fleet: only the gateway the stream is placed on reserves,
		 * and etcd checks that it still is (fleet_change_require) */
		if (d->fleet != NULL) {
			struct store_viewer_info v;
			uint64_t token;

			if (store_viewer_info_by_id(d->store, (int64_t)e.viewer_id, &v) != 0 ||
			    !placement_owned(d, v.stream_id, &token))
				continue;
			rc = fleet_change_require(d->fleet, v.stream_id, (int64_t)token);
			if (rc < 0)
				break;
		}
		r = (struct sgw_reserve){
			.viewer_id = e.viewer_id, .lane = e.lane, .ssrc = e.ssrc,
			/* a block past the last index used: a restart jumps at
			 * most a block (see the top) */
			.limit = e.next - 1 + d->cfg.reserve_block,
			.rtcp_limit = (uint32_t)((uint64_t)e.rtcp_next - 1 + RTCP_BLOCK > SRTCP_MAX ?
						 SRTCP_MAX : e.rtcp_next - 1 + RTCP_BLOCK),
		};
		if (r.limit > INDEX_MAX)
			r.limit = INDEX_MAX;
		if (r.limit <= e.limit && r.rtcp_limit <= e.rtcp_limit)
			continue;
		rc = store_lane_reserve(d->store, (int64_t)e.viewer_id, e.lane, e.ssrc, r.limit,
					r.rtcp_limit);
		if (rc < 0)
			break;
		if (rc == 1)
			memcpy(msg + sizeof(h) + h.n++ * sizeof(r), &r, sizeof(r));
		rc = 0;
	}
	if (rc < 0 || store_commit(d->store) != 0) {
		sgw_log(LOG_WARNING, "storing reservations: %s", store_errmsg(d->store));
		store_rollback(d->store);
		return -1;
	}
	if (h.n > 0) {
		struct sgw_reserved done;

		memcpy(msg, &h, sizeof(h));
		rc = gw_link_request(&d->gw, SGW_MSG_RESERVE, msg,
				     (uint32_t)(sizeof(h) + h.n * sizeof(struct sgw_reserve)), buf,
				     sizeof(buf), &n);
		if (rc != SGW_MSG_RESERVED || n != sizeof(done))
			return -1; /* stored anyway: never less than the gateway holds */
		memcpy(&done, buf, sizeof(done));
		d->res.granted += done.applied;
	}
	return pg.more ? 1 : 0;
}

void lanes_tick(struct ctl_daemon *d, uint64_t now_ms)
{
	uint64_t after = 0;
	int rc;

	if (!gw_link_up(&d->gw) || !d->gw.in_sync)
		return;
	if (!d->res.due && now_ms < d->res.next_ms)
		return;
	d->res.due = false;
	d->res.next_ms = now_ms + TICK_MS;
	gw_link_set_timeout(&d->gw, d->cfg.apply_timeout_ms);
	uint64_t before = d->res.granted;
	while ((rc = round_page(d, &after)) > 0)
		;
	if (d->res.granted != before)
		d->res.rounds++;
}
