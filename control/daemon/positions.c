/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The positions of the gateway's SRTP contexts (struct sgw_pos: SSRC, ROC,
 * sequence number), kept so that a gateway that restarts goes on counting
 * where its sources and viewers are (docs/control.md, "Positions").
 *
 * Every position_poll seconds a sweep reads the gateway's per-stream and
 * per-viewer statistics, a few pages per tick so that srtpgwctl is never
 * kept waiting long, and stores a context's position when it moved enough
 * to matter: another SSRC or ROC, or POS_STEP packets past the stored one.
 * A restarted gateway's egress is right while the packets it missed and
 * those since the stored position stay under 2^15 (RFC 3711's estimate,
 * which the viewer's receiver makes too); the step keeps the stored one
 * within POS_STEP plus one sweep of traffic of the truth.
 *
 * Each page is stored before anything else runs (the daemon has one
 * thread), so a rekey, which clears the stored position, is never undone
 * by a page read before it. Only what the gateway reports is written: a
 * stream it does not report keeps its stored position.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include "api/log.h"
#include "control/daemon/daemon.h"

#define POS_STEP 8192
#define POS_PAGE 1024
#define POS_PAGES_PER_TICK 4

static uint64_t pos_index(const struct sgw_pos *p)
{
	return (uint64_t)p->roc << 16 | p->seq;
}

/* Store now over old (flags 0: none)? */
static bool worth_storing(const struct sgw_pos *old, const struct sgw_pos *now)
{
	if (!(now->flags & SGW_POS_VALID))
		return (old->flags & SGW_POS_VALID) != 0;
	/* a wrap is stored at once: a restarted gateway can estimate the ROC
	 * only from a position of the same ROC or at most two wraps old */
	if (!(old->flags & SGW_POS_VALID) || old->ssrc != now->ssrc || old->roc != now->roc)
		return true;
	return pos_index(now) < pos_index(old) || pos_index(now) - pos_index(old) >= POS_STEP;
}

static int store_one(struct ctl_daemon *d, bool viewer, uint64_t id, const struct sgw_pos *now)
{
	struct sgw_pos old;
	int rc = store_pos_get(d->store, viewer, (int64_t)id, &old);

	if (rc != 0 && rc != -ENOENT)
		return rc;
	/* in a fleet the position is the fleet's: another gateway may carry
	 * the stream and have stored it, so "none here" deletes nothing */
	if (d->fleet != NULL && !(now->flags & SGW_POS_VALID))
		return 0;
	if (!worth_storing(&old, now))
		return 0;
	rc = store_pos_set(d->store, viewer, (int64_t)id, now);
	if (rc == -ENOENT) /* deleted here since: nothing to keep */
		return 0;
	if (rc == 0)
		d->pos.stored++;
	return rc;
}

/* One page of the sweep. 0, or -1 to end the sweep. */
static int sweep_page(struct ctl_daemon *d)
{
	static uint8_t buf[sizeof(struct sgw_stats_page) +
			  POS_PAGE * (sizeof(struct sgw_viewer_stats) > sizeof(struct sgw_flow_stats) ?
				      sizeof(struct sgw_viewer_stats) : sizeof(struct sgw_flow_stats))];
	struct sgw_flow_stats_req req = { .after_id = d->pos.after, .max = POS_PAGE };
	bool viewer = d->pos.viewers;
	size_t esz = viewer ? sizeof(struct sgw_viewer_stats) : sizeof(struct sgw_flow_stats);
	struct sgw_stats_page pg;
	uint32_t n;
	int rc;

	rc = gw_link_request(&d->gw, viewer ? SGW_MSG_STATS_VIEWERS : SGW_MSG_STATS_FLOWS, &req,
			     sizeof(req), buf, sizeof(buf), &n);
	if (rc != (viewer ? SGW_MSG_VIEWER_STATS : SGW_MSG_FLOW_STATS) || n < sizeof(pg))
		return -1; /* the link is down (it will resync) or the gateway is odd */
	memcpy(&pg, buf, sizeof(pg));
	if (pg.n > POS_PAGE || sizeof(pg) + pg.n * esz > n)
		return -1;
	rc = 0;
	if (pg.n > 0) {
		if (store_begin(d->store) != 0) {
			sgw_log(LOG_WARNING, "storing positions: %s", store_errmsg(d->store));
			return -1;
		}
		for (uint32_t i = 0; i < pg.n && rc == 0; i++) {
			const uint8_t *e = buf + sizeof(pg) + i * esz;
			uint64_t id;
			struct sgw_pos pos;

			if (viewer) {
				struct sgw_viewer_stats v;
				memcpy(&v, e, sizeof(v));
				id = v.viewer_id;
				pos = v.pos;
			} else {
				struct sgw_flow_stats f;
				memcpy(&f, e, sizeof(f));
				id = f.stream_id;
				pos = f.pos;
			}
			d->pos.after = id;
			rc = store_one(d, viewer, id, &pos);
		}
		if (rc < 0 || store_commit(d->store) != 0) {
			sgw_log(LOG_WARNING, "storing positions: %s", store_errmsg(d->store));
			store_rollback(d->store);
			return -1;
		}
	}
	if (!pg.more || pg.n == 0) {
		if (viewer) {
			d->pos.running = false;
			d->pos.sweeps++;
		} else {
			d->pos.viewers = true;
			d->pos.after = 0;
		}
	}
	return 0;
}

void positions_tick(struct ctl_daemon *d, uint64_t now_ms)
{
	if (d->cfg.position_poll_s == 0 || !gw_link_up(&d->gw) || !d->gw.in_sync) {
		d->pos.running = false;
		return;
	}
	gw_link_set_timeout(&d->gw, d->cfg.apply_timeout_ms);
	if (!d->pos.running) {
		if (now_ms < d->pos.next_ms)
			return;
		d->pos.running = true;
		d->pos.viewers = false;
		d->pos.after = 0;
		d->pos.next_ms = now_ms + (uint64_t)d->cfg.position_poll_s * 1000;
	}
	for (int i = 0; i < POS_PAGES_PER_TICK && d->pos.running; i++)
		if (sweep_page(d) != 0)
			d->pos.running = false;
}
