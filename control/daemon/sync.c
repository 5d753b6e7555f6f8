/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keeping the gateway in step with the database: agent ops for stored
 * objects, the full push (REPLACE_ALL) when the link comes up or after a
 * failure, and the end of rekey overlaps.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/crypto.h>

#include "api/log.h"
#include "control/daemon/daemon.h"
#include "control/daemon/fleet.h"
#include "control/daemon/placement.h"
#include "control/daemon/webrtc.h"

/* A full push may take a while on a large state; a HELLO never should. */
#define SYNC_TIMEOUT_MS 60000
#define HELLO_TIMEOUT_MS 250


uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t ctl_now_s(void)
{
	return (int64_t)time(NULL);
}

int sync_ops_stream_add(struct gw_ops *o, const struct store_stream *st, const struct sgw_pos *resume,
			uint32_t flags)
{
	struct sgw_op_stream_add op = {
		.stream_id = (uint64_t)st->id,
		.owner = (uint32_t)st->owner_id,
		.listen = st->listen,
		.source = st->source,
		.key = st->key,
		.flags = flags,
	};
	if (resume != NULL)
		op.resume = *resume;
	/* the whole desired state: an overlap's old key, or none */
	if (st->overlap_until != 0 && st->old_key.len != 0)
		op.old_key = st->old_key;
	int rc = gw_ops_add(o, SGW_OP_STREAM_ADD, &op, sizeof(op));

	OPENSSL_cleanse(&op, sizeof(op));
	return rc;
}

int sync_ops_viewer_add(struct gw_ops *o, const struct store_viewer *v, const struct sgw_pos *resume,
			const struct sgw_lanes *lanes, const struct store_webrtc *w)
{
	struct sgw_op_viewer_add op = {
		.viewer_id = (uint64_t)v->id,
		.stream_id = (uint64_t)v->stream_id,
		.owner = (uint32_t)v->owner_id,
		.dest = v->dest,
		.key = v->key,
	};
	if (resume != NULL)
		op.resume = *resume;
	if (lanes != NULL)
		op.lanes = *lanes;
	if (w != NULL) { /* a WebRTC leg: its port, payload type, RTCP key; paused: no address */
		op.port.local_port = w->local_port;
		op.port.flags = w->flags;
		if (w->pt_in >= 0 && w->pt_out >= 0 && w->pt_in != w->pt_out) {
			op.port.n_pt = 1;
			op.port.pt_in[0] = (uint8_t)w->pt_in;
			op.port.pt_out[0] = (uint8_t)w->pt_out;
		}
		op.port.rtcp_key = w->rtcp_key;
		if (w->paused)
			memset(&op.dest, 0, sizeof(op.dest));
	}
	int rc = gw_ops_add(o, SGW_OP_VIEWER_ADD, &op, sizeof(op));

	OPENSSL_cleanse(&op, sizeof(op));
	return rc;
}

int sync_ops_id(struct gw_ops *o, unsigned type, int64_t id)
{
	struct sgw_op_id op = { (uint64_t)id };

	return gw_ops_add(o, type, &op, sizeof(op));
}

int sync_ops_grant(struct gw_ops *o, unsigned type, int64_t stream_id, int64_t owner_id)
{
	struct sgw_op_grant op = { .stream_id = (uint64_t)stream_id, .owner = (uint32_t)owner_id };

	return gw_ops_add(o, type, &op, sizeof(op));
}

uint32_t sync_stream_flags(struct ctl_daemon *d, int64_t stream_id)
{
	struct store_stream_info st;
	struct store_media m;
	enum store_listen_state ls;
	struct sgw_endpoint rtcp;

	/* a WHIP stream's listen port takes its camera's ICE and DTLS (and
	 * its RTCP: rtcp-mux) */
	if (store_media_get(d->store, stream_id, &m) == 0 && m.whip)
		return SGW_STREAM_PUNT;
	/* an SDES camera may send its RTCP to listen port + 1 (RFC 3550), as
	 * ffmpeg does: taken there when that port is nobody else's */
	if (store_stream_info_by_id(d->store, stream_id, &st) != 0 || st.listen.port == 65535)
		return 0;
	rtcp = st.listen;
	rtcp.port++;
	if (store_listen_state(d->store, &rtcp, ctl_now_s(), &ls) != 0 || ls == STORE_LISTEN_IN_USE ||
	    store_webrtc_port_used(d->store, rtcp.port) != 0)
		return 0;
	return SGW_STREAM_RTCP_PORT;
}

/* ---- the full push ------------------------------------------------------ */

struct full {
	struct ctl_daemon *d;
	struct gw_ops ops;
	/* which object each op is about, to find the one the gateway refused */
	struct ctl_rejected *who;
	size_t n_who, cap_who;
	int rc;
};

static bool rejected(const struct ctl_daemon *d, bool is_stream, int64_t id)
{
	for (unsigned i = 0; i < d->n_rejected; i++)
		if (d->rejected[i].is_stream == is_stream && d->rejected[i].id == id)
			return true;
	return false;
}

static int note(struct full *f, bool is_stream, int64_t id, uint32_t n_ops)
{
	while (f->n_who < n_ops) {
		if (f->n_who == f->cap_who) {
			size_t nc = f->cap_who ? f->cap_who * 2 : 256;
			struct ctl_rejected *nw = realloc(f->who, nc * sizeof(*nw));
			if (nw == NULL)
				return -ENOMEM;
			f->who = nw;
			f->cap_who = nc;
		}
		f->who[f->n_who].is_stream = is_stream;
		f->who[f->n_who].id = id;
		f->n_who++;
	}
	return 0;
}

static int full_viewer(void *arg, const struct store_viewer *v)
{
	struct full *f = arg;
	struct sgw_lanes lanes;
	struct store_webrtc w;
	struct sgw_pos pos;
	uint64_t token;
	int rc;

	if (rejected(f->d, true, v->stream_id) || rejected(f->d, false, v->id) ||
	    !placement_mine(f->d, v->stream_id, &token))
		return 0;
	/* a gateway that restarted makes the viewer's context anew: past its
	 * lanes' reservations (one that kept it keeps its own indices); the
	 * position is for a viewer without lanes (none since lanes exist) */
	rc = lanes_resume(f->d, v->id, &lanes);
	if (rc != 0)
		return rc;
	store_pos_get(f->d->store, true, v->id, &pos);
	rc = store_webrtc_get(f->d->store, v->id, &w);
	if (rc != 0 && rc != -ENOENT)
		return rc;
	rc = sync_ops_viewer_add(&f->ops, v, &pos, &lanes, rc == 0 ? &w : NULL);
	store_webrtc_cleanse(&w);
	if (rc != 0)
		return -ENOMEM;
	return note(f, false, v->id, gw_ops_count(&f->ops));
}

/* Viewers stored before lanes existed get theirs before they are pushed. */
static int give_lanes(void *arg, const struct store_viewer *v)
{
	struct ctl_daemon *d = arg;
	struct store_lane l;
	struct sgw_lanes op;

	if (v->key.len == 0 || store_lanes_get(d->store, v->id, &l, 1) != 0)
		return 0;
	return lanes_create(d, v->id, &op);
}

static int migrate_lanes(struct ctl_daemon *d)
{
	int rc = store_begin(d->store);

	if (rc == 0)
		rc = store_viewer_foreach(d->store, 0, give_lanes, d);
	if (rc == 0)
		return store_commit(d->store);
	store_rollback(d->store);
	return rc;
}

/* The gateway has everything up to the store's change: remember it, and
 * that nothing is pending. */
static void synced(struct ctl_daemon *d)
{
	if (store_begin(d->store) == 0) {
		if (store_gw_set(d->store, d->gw.boot_id, d->gw.version) != 0 ||
		    store_pending_clear(d->store, d->gw.applied_seq) != 0 || store_commit(d->store) != 0)
			store_rollback(d->store);
	}
	d->gw.in_sync = true;
	d->gw.other_writer = false;
	d->res.due = true; /* contexts made anew have nothing reserved yet */
}

static int full_stream(void *arg, const struct store_stream *st)
{
	struct full *f = arg;
	int64_t grants[SGW_MAX_GRANTS];
	struct sgw_pos pos;
	int n;

	uint64_t token;

	if (rejected(f->d, true, st->id) || !placement_mine(f->d, st->id, &token))
		return 0;
	/* during a rekey overlap only the current key: a gateway that kept
	 * the stream keeps its old key too; a restarted one lost it. The
	 * stored position: where the source is (ignored if kept). */
	store_pos_get(f->d->store, false, st->id, &pos);
	if (sync_ops_stream_add(&f->ops, st, &pos, sync_stream_flags(f->d, st->id)) != 0)
		return -ENOMEM;
	n = store_grant_list(f->d->store, st->id, grants, SGW_MAX_GRANTS);
	for (int i = 0; i < n; i++)
		if (sync_ops_grant(&f->ops, SGW_OP_GRANT_ADD, st->id, grants[i]) != 0)
			return -ENOMEM;
	/* a fleet's stream: with the placement's revision as fencing token */
	if (token != 0) {
		struct sgw_op_fence op = { .stream_id = (uint64_t)st->id, .token = token };

		if (gw_ops_add(&f->ops, SGW_OP_STREAM_FENCE, &op, sizeof(op)) != 0)
			return -ENOMEM;
	}
	return note(f, true, st->id, gw_ops_count(&f->ops));
}

/* A fleet: the listen addresses of the streams placed here are service
 * addresses of this gateway, answered only before its lease deadline; a
 * full push names them all before the streams that listen on them (a
 * REPLACE_ALL drops the ones it does not name: those of streams that went
 * elsewhere). */
struct full_addrs {
	struct full *f;
	struct sgw_addr seen[CTL_MAX_LISTEN_ADDRS];
	unsigned n;
};

static int full_addr(void *arg, const struct store_stream *st)
{
	struct full_addrs *a = arg;
	struct sgw_op_addr op = { .ip = st->listen.addr, .port_idx = a->f->d->cfg.fleet_service_port,
				  .flags = SGW_ADDR_LEASED };
	uint64_t token;

	if (rejected(a->f->d, true, st->id) || !placement_mine(a->f->d, st->id, &token))
		return 0;
	for (unsigned i = 0; i < a->n; i++)
		if (memcmp(&a->seen[i], &st->listen.addr, sizeof(st->listen.addr)) == 0)
			return 0;
	if (a->n == CTL_MAX_LISTEN_ADDRS)
		return -ENOSPC; /* listen_addresses holds at most this many */
	a->seen[a->n++] = st->listen.addr;
	op.prefix_len = st->listen.addr.family == SGW_AF_INET ? 32 : 128;
	if (gw_ops_add(&a->f->ops, SGW_OP_ADDR_ADD, &op, sizeof(op)) != 0)
		return -ENOMEM;
	/* refused (a gateway's own address, say): the stream is left out */
	return note(a->f, true, st->id, gw_ops_count(&a->f->ops));
}

int sync_full(struct ctl_daemon *d)
{
	struct full f = { .d = d };
	char err[256];
	uint32_t bad;
	int rc;

	d->n_rejected = 0;
	/* a fleet: the streams placed under the lease held now */
	placement_tick(d, ctl_now_ms());
	if (migrate_lanes(d) != 0)
		sgw_log(LOG_WARNING, "giving lanes to older viewers: %s", store_errmsg(d->store));
	/* a full push may take a while on a large state */
	gw_link_set_timeout(&d->gw, d->cfg.apply_timeout_ms > SYNC_TIMEOUT_MS ?
				    d->cfg.apply_timeout_ms : SYNC_TIMEOUT_MS);
	for (;;) {
		uint64_t seq = store_seq(d->store);

		gw_ops_init(&f.ops);
		f.n_who = 0;
		rc = 0;
		if (d->fleet != NULL) {
			struct full_addrs a = { .f = &f };

			rc = store_stream_foreach(d->store, 0, full_addr, &a);
		}
		if (rc == 0)
			rc = store_stream_foreach(d->store, 0, full_stream, &f);
		if (rc == 0)
			rc = store_viewer_foreach(d->store, 0, full_viewer, &f);
		/* the ports of WebRTC sessions still being set up */
		if (rc == 0)
			rc = webrtc_sync_ops(d, &f.ops);
		if (rc == 0)
			rc = gw_link_apply(&d->gw, seq, SGW_TXN_REPLACE_ALL, &f.ops, &bad, err, sizeof(err));
		gw_ops_free(&f.ops);
		if (rc <= 0 || bad >= f.n_who || d->n_rejected == CTL_MAX_REJECTED)
			break;
		/* the gateway refused one object (no route to a viewer, say):
		 * leave it out, say so, push the rest */
		struct ctl_rejected *r = &d->rejected[d->n_rejected++];
		*r = f.who[bad];
		snprintf(r->why, sizeof(r->why), "%.*s", (int)sizeof(r->why) - 1, err);
		sgw_log(LOG_WARNING, "gateway refused %s %lld: %s; pushing the rest without it",
			r->is_stream ? "stream" : "viewer", (long long)r->id, err);
	}
	free(f.who);
	gw_link_set_timeout(&d->gw, d->cfg.apply_timeout_ms);
	if (rc == 0) {
		synced(d);
		if (d->fleet != NULL) {
			fleet_lease_pushed(d->lease, d->place.lease);
			placement_pushed(d);
		}
		sgw_log(LOG_INFO, "gateway in sync at change %llu (table version %llu)",
			(unsigned long long)d->gw.applied_seq, (unsigned long long)d->gw.version);
	} else if (rc > 0) {
		sgw_log(LOG_ERR, "gateway refused the full state: %s", err);
		gw_link_close(&d->gw);
		rc = -rc;
	}
	return rc;
}

/* ---- the tick ------------------------------------------------------------ */

static int end_overlap(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct store_stream *st = arg;
	int rc;

	(void)err;
	(void)errlen;
	memset(&st->old_key, 0, sizeof(st->old_key));
	st->overlap_until = 0;
	rc = store_stream_set_keys(d->store, st);
	if (rc == 0)
		rc = sync_ops_id(ops, SGW_OP_STREAM_END_OVERLAP, st->id);
	return rc;
}

static int collect_expired(void *arg, const struct store_stream *st)
{
	struct store_stream *out = arg;

	if (out->id == 0)
		*out = *st;
	return 0;
}

void sync_tick(struct ctl_daemon *d, uint64_t now_ms)
{
	if (!gw_link_up(&d->gw) && now_ms >= d->next_retry_ms) {
		d->next_retry_ms = now_ms + d->cfg.retry_ms;
		/* a stopped gateway must not hold the daemon for long */
		gw_link_set_timeout(&d->gw, HELLO_TIMEOUT_MS);
		if (gw_link_connect(&d->gw) == 0) {
			uint64_t boot = 0, version = 0;

			gw_link_set_timeout(&d->gw, d->cfg.apply_timeout_ms);
			store_gw_get(d->store, &boot, &version);
			sgw_log(LOG_INFO, "connected to the gateway at %s (it has change %llu, we have %llu)",
				d->gw.path, (unsigned long long)d->gw.applied_seq,
				(unsigned long long)store_seq(d->store));
			/* a gateway that reports our last change, in the table
			 * version it made of it, has everything and nothing
			 * else: no other writer came in between */
			d->seq_checked = true;
			if (d->gw.applied_seq == store_seq(d->store) && d->gw.boot_id == boot &&
			    d->gw.version == version)
				synced(d);
			else
				d->gw.in_sync = false;
		}
	}
	placement_tick(d, now_ms);
	if (gw_link_up(&d->gw) && !d->gw.in_sync)
		sync_full(d);

	/* rekey overlaps that ended: one change each */
	for (;;) {
		struct store_stream st = { 0 };
		char err[256];

		if (store_stream_foreach_overlap_expired(d->store, ctl_now_s(), collect_expired, &st) != 0 ||
		    st.id == 0)
			break;
		char what[STORE_PENDING_WHAT_MAX];

		snprintf(what, sizeof(what), "stream.end_overlap name=%s", st.name);
		if (ctl_change_cmd(d, end_overlap, &st, 0, what, NULL, err, sizeof(err)) != 0) {
			sgw_log(LOG_ERR, "ending the rekey overlap of stream %s: %s", st.name, err);
			store_stream_cleanse(&st);
			break;
		}
		store_stream_cleanse(&st);
	}
	positions_tick(d, now_ms);
	lanes_tick(d, now_ms);
}
