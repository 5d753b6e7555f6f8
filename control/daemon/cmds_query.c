/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands that only read: lists, shows, statistics, status.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "api/addr.h"
#include "api/srtpgw_counters.h"
#include "api/suite.h"
#include "api/log.h"
#include "control/daemon/cmds.h"
#include "control/daemon/fleet.h"
#include "control/daemon/webrtc.h"

/* ---- queries ------------------------------------------------------------- */

struct list_ctx {
	struct ctl_daemon *d;
	const struct cmd_ctx *c;
	struct json_object *arr;
	const char *only;           /* a name, or NULL for all */
	int64_t stream_id;          /* viewers of one stream, or 0 */
	struct json_object *flows;  /* stream id (string) -> gateway stats */
	struct sgw_viewer_stats *vstats; /* the gateway's viewer stats (WebRTC RTCP), or NULL */
	size_t n_vstats;
};

/* The owner whose objects an owner principal sees; 0 for admin (all). */
static int64_t visible_to(const struct cmd_ctx *c)
{
	return c->who->admin ? 0 : c->who->owner_id;
}

static int list_owner(void *arg, const struct store_owner *o, unsigned ns, unsigned nv)
{
	struct list_ctx *x = arg;
	struct json_object *j;

	/* an owner principal sees itself only */
	if (!cmd_may(x->c, o->id))
		return 0;
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(o->name));
	json_object_object_add(j, "streams", json_object_new_int((int)ns));
	json_object_object_add(j, "viewers", json_object_new_int((int)nv));
	json_object_array_add(x->arr, j);
	return 0;
}

static int list_viewer_name(void *arg, const struct store_viewer_info *v)
{
	json_object_array_add(arg, json_object_new_string(v->name));
	return 0;
}

/* Per-stream counters from the gateway, by stream id; NULL if it is away. */
static struct json_object *gateway_flows(struct ctl_daemon *d)
{
	static uint8_t buf[SGW_AGENT_MAX_PAYLOAD];
	struct sgw_flow_stats_req req = { 0 };
	struct json_object *m;
	struct sgw_stats_page pg;
	uint32_t n;

	if (!gw_link_up(&d->gw))
		return NULL;
	m = json_object_new_object();
	do {
		int rc = gw_link_request(&d->gw, SGW_MSG_STATS_FLOWS, &req, sizeof(req), buf, sizeof(buf), &n);
		if (rc != SGW_MSG_FLOW_STATS || n < sizeof(pg)) {
			json_object_put(m);
			return NULL;
		}
		memcpy(&pg, buf, sizeof(pg));
		for (uint32_t i = 0; i < pg.n && sizeof(pg) + (i + 1) * sizeof(struct sgw_flow_stats) <= n; i++) {
			struct sgw_flow_stats f;
			struct json_object *j = json_object_new_object();
			char key[24];
			memcpy(&f, buf + sizeof(pg) + i * sizeof(f), sizeof(f));
			req.after_id = f.stream_id;
			json_object_object_add(j, "packets", json_object_new_int64((int64_t)f.packets));
			json_object_object_add(j, "bytes", json_object_new_int64((int64_t)f.bytes));
			json_object_object_add(j, "auth_fail", json_object_new_int64((int64_t)f.auth_fail));
			json_object_object_add(j, "replay_fail", json_object_new_int64((int64_t)f.replay_fail));
			json_object_object_add(j, "other_fail", json_object_new_int64((int64_t)f.other_fail));
			json_object_object_add(j, "idle_ms", f.idle_ms == UINT64_MAX ? NULL :
					       json_object_new_int64((int64_t)f.idle_ms));
			json_object_object_add(j, "worker", f.worker == UINT32_MAX ? NULL :
					       json_object_new_int((int)f.worker));
			snprintf(key, sizeof(key), "%llu", (unsigned long long)f.stream_id);
			json_object_object_add(m, key, j);
		}
	} while (pg.more);
	return m;
}

/* The gateway's statistics of every viewer (what their RTCP said), into
 * x->vstats; none when the gateway is not connected. */
static void gateway_viewers(struct ctl_daemon *d, struct list_ctx *x)
{
	static uint8_t buf[SGW_AGENT_MAX_PAYLOAD];
	struct sgw_flow_stats_req req = { 0 };
	struct sgw_stats_page pg;
	size_t cap = 0;
	uint32_t n;

	if (!gw_link_up(&d->gw))
		return;
	do {
		int rc = gw_link_request(&d->gw, SGW_MSG_STATS_VIEWERS, &req, sizeof(req), buf, sizeof(buf), &n);
		if (rc != SGW_MSG_VIEWER_STATS || n < sizeof(pg))
			break;
		memcpy(&pg, buf, sizeof(pg));
		for (uint32_t i = 0; i < pg.n && sizeof(pg) + (i + 1) * sizeof(struct sgw_viewer_stats) <= n; i++) {
			if (x->n_vstats == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct sgw_viewer_stats *nv = realloc(x->vstats, nc * sizeof(*nv));
				if (nv == NULL)
					return;
				x->vstats = nv;
				cap = nc;
			}
			memcpy(&x->vstats[x->n_vstats], buf + sizeof(pg) + i * sizeof(struct sgw_viewer_stats),
			       sizeof(struct sgw_viewer_stats));
			req.after_id = x->vstats[x->n_vstats++].viewer_id;
		}
	} while (pg.more);
}

static const struct sgw_viewer_stats *vstats_of(const struct list_ctx *x, int64_t id)
{
	for (size_t i = 0; i < x->n_vstats; i++)
		if (x->vstats[i].viewer_id == (uint64_t)id)
			return &x->vstats[i];
	return NULL;
}

/* idle: nothing accepted for the stream's idle timeout (null: unknown) */
static struct json_object *idle_of(const struct store_stream_info *st, struct json_object *flow)
{
	struct json_object *v;

	if (flow == NULL)
		return NULL;
	if (st->idle_timeout_s == 0)
		return json_object_new_boolean(0);
	if (!json_object_object_get_ex(flow, "idle_ms", &v) || v == NULL)
		return json_object_new_boolean(1);
	return json_object_new_boolean(json_object_get_int64(v) >= (int64_t)st->idle_timeout_s * 1000);
}

static struct json_object *flow_of(struct list_ctx *x, int64_t id)
{
	char key[24];
	struct json_object *f;

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return x->flows && json_object_object_get_ex(x->flows, key, &f) ? f : NULL;
}

/* A stored position (daemon_positions.c) as {ssrc, roc, seq}, or null. */
static struct json_object *jpos(struct ctl_daemon *d, bool viewer, int64_t id)
{
	struct json_object *j;
	struct sgw_pos p;

	if (store_pos_get(d->store, viewer, id, &p) != 0)
		return NULL;
	j = json_object_new_object();
	json_object_object_add(j, "ssrc", json_object_new_int64(p.ssrc));
	json_object_object_add(j, "roc", json_object_new_int64(p.roc));
	json_object_object_add(j, "seq", json_object_new_int(p.seq));
	return j;
}

/* A stream an owner principal holds a grant on: its name and owner, its
 * own viewers on it, its own grant, whether it is idle; not where it
 * listens, where it comes from, its suite or its other receivers. */
static int list_granted_stream(struct list_ctx *x, const struct store_stream_info *st)
{
	struct json_object *j = json_object_new_object(), *viewers = json_object_new_array(),
			   *grants = json_object_new_array();
	struct store_owner o;

	json_object_object_add(j, "name", json_object_new_string(st->name));
	json_object_object_add(j, "owner", json_object_new_string(cmd_owner_name(x->d, st->owner_id, &o)));
	json_object_object_add(j, "granted", json_object_new_boolean(1));
	store_viewer_list(x->d->store, st->id, x->c->who->owner_id, list_viewer_name, viewers);
	json_object_object_add(j, "viewers", viewers);
	json_object_array_add(grants, json_object_new_string(x->c->who->name));
	json_object_object_add(j, "grants", grants);
	json_object_object_add(j, "idle", idle_of(st, flow_of(x, st->id)));
	json_object_array_add(x->arr, j);
	return 0;
}

static int list_stream(void *arg, const struct store_stream_info *st)
{
	struct list_ctx *x = arg;
	struct json_object *j, *viewers, *grants;
	struct store_owner o;
	int64_t g[SGW_MAX_GRANTS];
	int n;

	if (x->only && strcmp(x->only, st->name) != 0)
		return 0;
	if (!cmd_may(x->c, st->owner_id))
		return list_granted_stream(x, st);
	j = json_object_new_object();
	viewers = json_object_new_array();
	grants = json_object_new_array();
	json_object_object_add(j, "name", json_object_new_string(st->name));
	json_object_object_add(j, "owner", json_object_new_string(cmd_owner_name(x->d, st->owner_id, &o)));
	json_object_object_add(j, "listen", jstr_endpoint(&st->listen));
	json_object_object_add(j, "source", jstr_endpoint(&st->source));
	json_object_object_add(j, "suite", jstr_suite(st->suite));
	store_viewer_list(x->d->store, st->id, 0, list_viewer_name, viewers);
	json_object_object_add(j, "viewers", viewers);
	n = store_grant_list(x->d->store, st->id, g, SGW_MAX_GRANTS);
	for (int i = 0; i < n; i++)
		json_object_array_add(grants, json_object_new_string(cmd_owner_name(x->d, g[i], &o)));
	json_object_object_add(j, "grants", grants);
	json_object_object_add(j, "idle_timeout", json_object_new_int((int)st->idle_timeout_s));
	json_object_object_add(j, "rekey_overlap_until", st->overlap_until ?
			       json_object_new_int64(st->overlap_until) : NULL);
	json_object_object_add(j, "idle", idle_of(st, flow_of(x, st->id)));
	json_object_object_add(j, "position", jpos(x->d, false, st->id));
	if (x->d->fleet != NULL) { /* where it is forwarded */
		const struct fleet_placement *p = fleet_placement_of(x->d->fleet, st->id);

		json_object_object_add(j, "gateway", p != NULL ? json_object_new_string(p->gw) : NULL);
	}
	webrtc_stream_json(x->d, st->id, j);
	json_object_array_add(x->arr, j);
	return 0;
}

static int list_viewer(void *arg, const struct store_viewer_info *v)
{
	struct list_ctx *x = arg;
	struct json_object *j;
	struct store_owner o;
	struct store_stream_info st;

	if (x->only && strcmp(x->only, v->name) != 0)
		return 0;
	if (store_stream_info_by_id(x->d->store, v->stream_id, &st) != 0)
		return -EIO;
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(v->name));
	json_object_object_add(j, "stream", json_object_new_string(st.name));
	json_object_object_add(j, "owner", json_object_new_string(cmd_owner_name(x->d, v->owner_id, &o)));
	json_object_object_add(j, "to", jstr_endpoint(&v->dest));
	json_object_object_add(j, "suite", jstr_suite(v->suite));
	json_object_object_add(j, "position", jpos(x->d, true, v->id));
	webrtc_viewer_json(x->d, v->id, vstats_of(x, v->id), j);
	json_object_array_add(x->arr, j);
	return 0;
}

static int list_stats(void *arg, const struct store_stream_info *st)
{
	struct list_ctx *x = arg;
	struct json_object *f = flow_of(x, st->id), *j;
	struct store_owner o;

	if (x->only && strcmp(x->only, st->name) != 0)
		return 0;
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(st->name));
	json_object_object_add(j, "owner", json_object_new_string(cmd_owner_name(x->d, st->owner_id, &o)));
	if (f != NULL) {
		json_object_object_foreach(f, key, val)
			json_object_object_add(j, key, json_object_get(val));
	}
	json_object_object_add(j, "idle", idle_of(st, f));
	json_object_array_add(x->arr, j);
	return 0;
}

/* May the principal see stream name (own, or granted with granted)? */
static int visible_stream(struct ctl_daemon *d, const struct cmd_ctx *c, const char *name, bool granted,
			  const char *what, struct store_stream_info *st, char *err, size_t errlen)
{
	int rc = cmd_stream_info(d, name, st, err, errlen);

	if (rc != 0 || cmd_may(c, st->owner_id))
		return rc;
	if (granted) {
		rc = store_grant_exists(d->store, st->id, c->who->owner_id);
		if (rc < 0)
			return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
		if (rc == 1)
			return 0;
		return cmd_deny(c, err, errlen, "%s %s (not %s's, no grant)", what, name, c->who->name);
	}
	return cmd_deny(c, err, errlen, "%s %s (not %s's)", what, name, c->who->name);
}

/* The objects the gateway refused in its last full push that the
 * principal may see. */
static struct json_object *rejected_of(struct ctl_daemon *d, const struct cmd_ctx *c)
{
	struct json_object *rej = json_object_new_array();

	for (unsigned i = 0; i < d->n_rejected; i++) {
		struct json_object *j;
		struct store_stream_info st;
		struct store_viewer_info v;
		int64_t owner = 0;

		if (d->rejected[i].is_stream && store_stream_info_by_id(d->store, d->rejected[i].id, &st) == 0)
			owner = st.owner_id;
		else if (!d->rejected[i].is_stream && store_viewer_info_by_id(d->store, d->rejected[i].id, &v) == 0)
			owner = v.owner_id;
		if (!c->who->admin && owner != c->who->owner_id)
			continue;
		j = json_object_new_object();
		json_object_object_add(j, d->rejected[i].is_stream ? "stream" : "viewer",
				       json_object_new_int64(d->rejected[i].id));
		json_object_object_add(j, "error", json_object_new_string(d->rejected[i].why));
		json_object_array_add(rej, j);
	}
	return rej;
}

static struct json_object *worker_stats(struct ctl_daemon *d, struct json_object *totals)
{
	static const char *names[] = {
#define NAME(e, name, help) name,
		SGW_FOREACH_COUNTER(NAME)
#undef NAME
	};
	static uint8_t buf[SGW_AGENT_MAX_PAYLOAD];
	struct sgw_worker_stats_hdr h;
	struct json_object *arr = json_object_new_array();
	uint32_t n;
	size_t off, entry;

	if (gw_link_request(&d->gw, SGW_MSG_STATS_WORKERS, NULL, 0, buf, sizeof(buf), &n) !=
	    SGW_MSG_WORKER_STATS || n < sizeof(h))
		return arr;
	memcpy(&h, buf, sizeof(h));
	entry = 8 + (size_t)h.n_counters * 8;
	off = sizeof(h);
	for (uint32_t w = 0; w < h.n_workers && off + entry <= n; w++, off += entry) {
		struct json_object *j = json_object_new_object(), *drops = json_object_new_object();
		bool agent = w == h.n_workers - 1;
		for (uint32_t c = 0; c < h.n_counters && c < SGW_CTR_MAX; c++) {
			uint64_t v;
			struct json_object *t;
			memcpy(&v, buf + off + 8 + c * 8, 8);
			if (strncmp(names[c], "drop_", 5) == 0) {
				json_object_object_add(drops, names[c] + 5, json_object_new_int64((int64_t)v));
				int64_t sum = json_object_object_get_ex(totals, names[c] + 5, &t) ?
					json_object_get_int64(t) : 0;
				json_object_object_add(totals, names[c] + 5, json_object_new_int64(sum + (int64_t)v));
			} else {
				json_object_object_add(j, names[c], json_object_new_int64((int64_t)v));
			}
		}
		json_object_object_add(j, "worker", agent ? json_object_new_string("agent") :
				       json_object_new_int((int)w));
		json_object_object_add(j, "drops", drops);
		json_object_array_add(arr, j);
	}
	return arr;
}

/* The changes committed that the gateway has not applied: admin sees
 * every one, an owner those its own principal made. */
struct pending_ctx {
	struct json_object *arr;
	const struct ctl_principal *who;
};

static int pending_one(void *arg, uint64_t seq, int64_t at, int64_t actor, const char *what)
{
	struct pending_ctx *x = arg;
	struct json_object *j;

	if (!x->who->admin && actor != x->who->owner_id)
		return 0;
	j = json_object_new_object();

	json_object_object_add(j, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(j, "at", json_object_new_int64(at));
	json_object_object_add(j, "what", json_object_new_string(what));
	json_object_array_add(x->arr, j);
	return 0;
}

static struct json_object *pending_list(struct ctl_daemon *d, const struct cmd_ctx *c)
{
	struct pending_ctx x = { json_object_new_array(), c->who };

	store_pending_foreach(d->store, pending_one, &x);
	return x.arr;
}

/* show: the pending changes too, when there are any */
static void add_pending(struct ctl_daemon *d, const struct cmd_ctx *c, struct json_object *result)
{
	struct json_object *p = pending_list(d, c);

	if (json_object_array_length(p) > 0)
		json_object_object_add(result, "pending", p);
	else
		json_object_put(p);
}

int cmd_query(struct ctl_daemon *d, const char *cmd, struct cmd_ctx *c, char *err, size_t errlen)
{
	struct list_ctx x = { .d = d, .c = c, .arr = json_object_new_array() };
	const char *const name_only[] = { "name", NULL };
	int rc = 0;

	if (strcmp(cmd, "owner.list") == 0) {
		rc = check_args(&c->a, NULL, NULL);
		if (rc == 0)
			rc = store_owner_foreach(d->store, list_owner, &x);
		json_object_object_add(c->result, "owners", x.arr);
	} else if (strcmp(cmd, "stream.show") == 0) {
		rc = check_args(&c->a, name_only, NULL);
		x.only = arg_str(&c->a, "name");
		x.flows = gateway_flows(d);
		/* an owner's streams and those it holds a grant on */
		if (rc == 0)
			rc = store_stream_list(d->store, visible_to(c), true, list_stream, &x);
		json_object_object_add(c->result, "streams", x.arr);
		add_pending(d, c, c->result);
	} else if (strcmp(cmd, "viewer.show") == 0) {
		const char *const keys[] = { "name", "stream", NULL };
		const char *stream;
		struct store_stream_info st;
		rc = check_args(&c->a, keys, NULL);
		x.only = arg_str(&c->a, "name");
		stream = arg_str(&c->a, "stream");
		if (rc == 0 && stream != NULL &&
		    (rc = visible_stream(d, c, stream, true, "see the viewers of stream", &st, err, errlen)) == 0)
			x.stream_id = st.id;
		/* an owner's viewers, and every viewer on its streams */
		gateway_viewers(d, &x);
		if (rc == 0)
			rc = store_viewer_list(d->store, x.stream_id, visible_to(c), list_viewer, &x);
		free(x.vstats);
		json_object_object_add(c->result, "viewers", x.arr);
		add_pending(d, c, c->result);
	} else if (strcmp(cmd, "stats") == 0) {
		const char *const keys[] = { "stream", NULL };
		struct json_object *totals = json_object_new_object();
		rc = check_args(&c->a, keys, NULL);
		x.only = arg_str(&c->a, "stream");
		x.flows = gateway_flows(d);
		if (rc == 0 && x.flows == NULL)
			rc = cmd_fail(err, errlen, EHOSTDOWN, "the gateway is not connected (%s)", d->gw.last_error);
		if (rc == 0 && x.only != NULL) {
			struct store_stream_info st;
			rc = visible_stream(d, c, x.only, false, "see the counters of stream", &st, err, errlen);
		}
		/* an owner's own streams; the gateway's workers and drops,
		 * which count every owner's packets, are admin's */
		if (rc == 0)
			rc = store_stream_list(d->store, visible_to(c), false, list_stats, &x);
		json_object_object_add(c->result, "streams", x.arr);
		if (c->who->admin) {
			json_object_object_add(c->result, "workers",
					       rc == 0 ? worker_stats(d, totals) : json_object_new_array());
			json_object_object_add(c->result, "drops", totals);
		} else {
			json_object_put(totals);
		}
	} else if (strcmp(cmd, "status") == 0) {
		unsigned no = 0, ns = 0, nv = 0;
		json_object_put(x.arr);
		x.arr = NULL;
		rc = check_args(&c->a, NULL, NULL);
		if (rc == 0 && c->who->admin)
			rc = store_counts(d->store, &no, &ns, &nv);
		else if (rc == 0) {
			no = 1;
			rc = store_owner_counts(d->store, c->who->owner_id, &ns, &nv);
		}
		json_object_object_add(c->result, "gateway", json_object_new_string(
			gw_link_up(&d->gw) ? (d->gw.in_sync ? "connected" : "connected, syncing") : "disconnected"));
		json_object_object_add(c->result, "version", json_object_new_int64((int64_t)d->gw.version));
		json_object_object_add(c->result, "ctl_seq", json_object_new_int64((int64_t)store_seq(d->store)));
		json_object_object_add(c->result, "applied_seq", json_object_new_int64((int64_t)d->gw.applied_seq));
		json_object_object_add(c->result, "owners", json_object_new_int((int)no));
		json_object_object_add(c->result, "streams", json_object_new_int((int)ns));
		json_object_object_add(c->result, "viewers", json_object_new_int((int)nv));
		json_object_object_add(c->result, "rejected", rejected_of(d, c));
		json_object_object_add(c->result, "pending", pending_list(d, c));
		json_object_object_add(c->result, "reservations_granted",
				       json_object_new_int64((int64_t)d->res.granted));
		json_object_object_add(c->result, "position_sweeps",
				       json_object_new_int64((int64_t)d->pos.sweeps));
		if (c->who->admin)
			webrtc_status_json(d, c->result);
		if (c->who->admin && d->fleet != NULL) {
			json_object *fl = json_object_new_object();

			json_object_object_add(fl, "gateway", json_object_new_string(d->cfg.fleet_gateway));
			json_object_object_add(fl, "revision", json_object_new_int64(fleet_revision(d->fleet)));
			json_object_object_add(fl, "conflicts",
					       json_object_new_int64((int64_t)fleet_conflicts(d->fleet)));
			json_object_object_add(c->result, "fleet", fl);
		}
	} else if (strcmp(cmd, "fleet.status") == 0 || strcmp(cmd, "stream.move") == 0) {
		json_object_put(x.arr);
		x.arr = NULL;
		rc = cmd_fleet(d, cmd, c, err, errlen);
	} else {
		json_object_put(x.arr);
		return cmd_fail(err, errlen, EINVAL, "unknown command \"%.40s\"", cmd);
	}
	json_object_put(x.flows);
	if (rc < 0 && err[0] == '\0')
		cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	return rc;
}
