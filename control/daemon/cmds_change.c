/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands that change something (docs/control-protocol.md): one
 * database transaction each, with the agent ops it pushes to the gateway
 * (ctl_change).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "api/addr.h"
#include "api/srtpgw_counters.h"
#include "api/suite.h"
#include "api/log.h"
#include "control/daemon/cmds.h"
#include "control/daemon/fleet.h"
#include "control/daemon/sdp.h"
#include "control/daemon/webrtc.h"

/* ---- changes ------------------------------------------------------------- */

int ctl_change(struct ctl_daemon *d,
	       int (*fn)(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen),
	       void *arg, char *err, size_t errlen)
{
	return ctl_change_cmd(d, fn, arg, 0, NULL, NULL, err, errlen);
}

#define FLEET_RETRIES 8

/* One run of a change; *raced: it lost to another controller of the fleet
 * (nothing done: run it again). */
static int change_once(struct ctl_daemon *d,
		       int (*fn)(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen),
		       void *arg, int64_t actor, const char *what, bool *pending, bool *raced, char *err,
		       size_t errlen)
{
	struct gw_ops ops;
	bool applied = false;
	uint64_t seq;
	uint32_t bad;
	int rc;

	if (pending != NULL)
		*pending = false;
	if (store_begin(d->store) != 0)
		return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	gw_ops_init(&ops);
	rc = fn(d, arg, &ops, err, errlen);
	if (rc == 0 && store_bump_seq(d->store, &seq) != 0)
		rc = cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	/* A daemon killed between a push and its COMMIT leaves the gateway
	 * one change number ahead of the database, with a change that was
	 * rolled back. Until we have compared numbers with the gateway, skip
	 * that number: reusing it for another change would make the gateway
	 * look in sync without it. */
	if (rc == 0 && !d->seq_checked && store_bump_seq(d->store, &seq) != 0)
		rc = cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	/* In a fleet the change is decided in etcd, before the gateway is
	 * told (docs/fleet.md): one that lost to another controller's runs
	 * again on the new state */
	if (rc == 0 && d->fleet != NULL) {
		int w = store_prepare_commit(d->store);

		if (w == -EAGAIN) {
			*raced = true;
			rc = -EAGAIN;
		} else if (w < 0)
			rc = cmd_fail(err, errlen, -w, "%s", store_errmsg(d->store));
	}
	/* Sessions whose viewers this change deletes tell their peers now,
	 * while the gateway's ports still punt: also when the gateway is away
	 * (stopped, say), where the close_notify waits on the punt channel
	 * and leaves before the gateway takes the change (agent_server.c). */
	if (rc == 0)
		webrtc_before_push(d);
	/* a fleet's gateway gets the whole state after the commit (below) */
	if (rc == 0 && d->fleet == NULL && gw_link_up(&d->gw) && d->gw.in_sync) {
		char gerr[256];
		int g;

		gw_link_set_timeout(&d->gw, d->cfg.apply_timeout_ms);
		g = gw_link_apply(&d->gw, seq, 0, &ops, &bad, gerr, sizeof(gerr));
		if (g > 0) { /* refused: the change does not happen */
			rc = cmd_fail(err, errlen, g, "%s", gerr);
		} else if (g < 0) {
			sgw_log(LOG_WARNING, "gateway lost (%s): the change is kept and pushed when it is back",
				d->gw.last_error);
		} else {
			applied = true;
			/* the table version this change made, for the next start:
			 * the same version then means nobody else wrote */
			if (store_gw_set(d->store, d->gw.boot_id, d->gw.version) != 0)
				rc = cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
			if (d->gw.other_writer) {
				sgw_log(LOG_WARNING, "another client changed the gateway (table version %llu "
					"did not follow ours): pushing the whole state again",
					(unsigned long long)d->gw.version);
				d->gw.in_sync = false;
			}
		}
	}
	if (rc == 0 && !applied && what != NULL &&
	    store_pending_add(d->store, seq, ctl_now_s(), actor, what) != 0)
		rc = cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	gw_ops_free(&ops);
	if (rc != 0) {
		store_rollback(d->store);
		return rc;
	}
	if (store_commit(d->store) != 0) {
		/* the gateway may have it: a full push will undo that */
		d->gw.in_sync = false;
		store_rollback(d->store);
		return cmd_fail(err, errlen, EIO, "database commit failed: %s", store_errmsg(d->store));
	}
	/* A fleet: the change is the fleet's now. This gateway gets what is
	 * placed on it, with fencing tokens (placement.c): the whole state
	 * again (sync_full runs the placement rule first), which keeps what
	 * did not change; what it refuses is left out and listed (status,
	 * rejected), the change stays. */
	if (d->fleet != NULL && gw_link_up(&d->gw)) {
		d->gw.in_sync = false;
		applied = sync_full(d) == 0;
	}
	if (pending != NULL)
		*pending = !applied;
	return 0;
}

int ctl_change_cmd(struct ctl_daemon *d,
		   int (*fn)(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err,
			     size_t errlen),
		   void *arg, int64_t actor, const char *what, bool *pending, char *err, size_t errlen)
{
	for (unsigned attempt = 0;; attempt++) {
		bool raced = false;
		int rc = change_once(d, fn, arg, actor, what, pending, &raced, err, errlen);

		if (!raced)
			return rc;
		if (attempt == FLEET_RETRIES || fleet_wait_current(d->fleet, d->cfg.etcd_timeout_ms) != 0)
			return cmd_fail(err, errlen, EAGAIN, "another controller of the fleet changed the same "
					"state at the same time, %u times: try again", attempt + 1);
		/* two controllers changing as fast as they can would otherwise
		 * meet again at once: up to a millisecond per loss, at random */
		{
			struct timespec ts = { 0, (long)(random() % (1000000L * (attempt + 1))) };

			nanosleep(&ts, NULL);
		}
	}
}

int do_owner_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	const char *name;
	int64_t id;
	int rc;

	(void)ops;
	if ((rc = cmd_need_admin(c, err, errlen, "add owners")) != 0 || (rc = need_name(&c->a, "name", &name)) != 0)
		return rc;
	/* principals in control.conf name owners; this name is admin's */
	if (strcmp(name, CTL_ADMIN) == 0)
		return cmd_fail(err, errlen, EINVAL, "\"%s\" is the administrator principal's name, not an owner's",
				CTL_ADMIN);
	rc = store_owner_add(d->store, name, &id);
	if (rc == -EEXIST)
		return cmd_fail(err, errlen, EEXIST, "an owner named \"%s\" exists", name);
	if ((rc = cmd_db(d, rc, err, errlen, "owner")) != 0)
		return rc;
	json_object_object_add(c->result, "name", json_object_new_string(name));
	return 0;
}

struct del_ctx {
	struct ctl_daemon *d;
	struct gw_ops *ops;
	int64_t owner_id;
	int rc;
};

static int del_owner_stream(void *arg, const struct store_stream_info *st)
{
	struct del_ctx *x = arg;

	if (st->owner_id == x->owner_id)
		return sync_ops_id(x->ops, SGW_OP_STREAM_DEL, st->id);
	/* grants it holds on other owners' streams */
	if (store_grant_exists(x->d->store, st->id, x->owner_id) == 1)
		return sync_ops_grant(x->ops, SGW_OP_GRANT_DEL, st->id, x->owner_id);
	return 0;
}

struct viewer_owner {
	struct ctl_daemon *d;
	struct gw_ops *ops;
	int64_t owner_id;
	int64_t stream_id; /* 0 = any */
};

static int del_owner_viewer(void *arg, const struct store_viewer_info *v)
{
	struct viewer_owner *x = arg;
	struct store_stream_info st;

	if (v->owner_id != x->owner_id)
		return 0;
	if (x->stream_id != 0)
		return v->stream_id == x->stream_id ? sync_ops_id(x->ops, SGW_OP_VIEWER_DEL, v->id) : 0;
	/* its viewers on streams it does not own (its own go with the streams) */
	if (store_stream_info_by_id(x->d->store, v->stream_id, &st) != 0)
		return -EIO;
	return st.owner_id == x->owner_id ? 0 : sync_ops_id(x->ops, SGW_OP_VIEWER_DEL, v->id);
}

int do_owner_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_owner o;
	const char *name;
	unsigned ns = 0, nv = 0;
	int rc;

	if ((rc = cmd_need_admin(c, err, errlen, "delete owners")) != 0 ||
	    (rc = need_name(&c->a, "name", &name)) != 0 || (rc = cmd_owner_get(d, name, &o, err, errlen)) != 0)
		return rc;
	struct viewer_owner vo = { d, ops, o.id, 0 };
	struct del_ctx dc = { d, ops, o.id, 0 };
	/* viewers first: the gateway deletes a stream's viewers with it, not
	 * this owner's viewers on other streams */
	rc = store_viewer_list(d->store, 0, 0, del_owner_viewer, &vo);
	if (rc == 0)
		rc = store_stream_list(d->store, 0, false, del_owner_stream, &dc);
	/* its tokens go with it (the database cascades) */
	if (rc == 0)
		rc = store_owner_del(d->store, o.id, ctl_now_s(), d->cfg.quarantine_s, &ns, &nv);
	if ((rc = cmd_db(d, rc, err, errlen, "owner")) != 0)
		return rc;
	json_object_object_add(c->result, "name", json_object_new_string(name));
	json_object_object_add(c->result, "streams", json_object_new_int((int)ns));
	json_object_object_add(c->result, "viewers", json_object_new_int((int)nv));
	return 0;
}

/* The listen endpoint: a configured gateway address; the port given (free
 * and not quarantined) or the lowest free even port of the range. */
static int pick_listen(struct ctl_daemon *d, const char *text, struct sgw_endpoint *out, char *err,
		       size_t errlen)
{
	enum store_listen_state state;
	bool ok = false;
	int64_t now = ctl_now_s();

	memset(out, 0, sizeof(*out));
	if (text == NULL) {
		out->addr = d->cfg.listen[0];
	} else if (sgw_endpoint_parse(text, out, true) != 0) {
		return cmd_fail(err, errlen, EINVAL, "listen: not ADDR[:PORT]: \"%.60s\"", text);
	}
	for (unsigned i = 0; i < d->cfg.n_listen && !ok; i++)
		ok = sgw_addr_equal(&d->cfg.listen[i], &out->addr);
	if (!ok) {
		char a[SGW_ADDR_STRLEN];
		return cmd_fail(err, errlen, EADDRNOTAVAIL, "listen: %s is not one of the gateway's listen_addresses",
			    sgw_addr_format(&out->addr, a, sizeof(a)));
	}
	if (out->port != 0) {
		struct sgw_endpoint below = *out;
		enum store_listen_state bstate = STORE_LISTEN_FREE;
		below.port--;
		if (store_listen_state(d->store, out, now, &state) != 0 ||
		    (below.port > 0 && store_listen_state(d->store, &below, now, &bstate) != 0))
			return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
		if (state == STORE_LISTEN_IN_USE)
			return cmd_fail(err, errlen, EADDRINUSE, "listen: port %u is in use by another stream", out->port);
		if (bstate == STORE_LISTEN_IN_USE)
			return cmd_fail(err, errlen, EADDRINUSE, "listen: port %u is the RTCP port (listen + 1) of the "
				    "stream on port %u", out->port, below.port);
		if (state == STORE_LISTEN_QUARANTINED)
			return cmd_fail(err, errlen, EADDRINUSE,
				    "listen: port %u was freed less than %u s ago (quarantine)", out->port,
				    d->cfg.quarantine_s);
		return 0;
	}
	for (uint32_t p = d->cfg.port_min + (d->cfg.port_min & 1); p <= d->cfg.port_max; p += 2) {
		out->port = (uint16_t)p;
		if (store_listen_state(d->store, out, now, &state) != 0)
			return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
		if (state == STORE_LISTEN_FREE)
			return 0;
	}
	return cmd_fail(err, errlen, ENOSPC, "no free listen port in %u..%u", d->cfg.port_min, d->cfg.port_max);
}

/* codec, pt, whip: what a stream carries, for WebRTC (store_media) */
static int media_from_args(struct cmd_ctx *c, struct store_media *m, char *err, size_t errlen)
{
	static const struct { const char *name; uint8_t codec; } codecs[] = {
		{ "H264", SDP_CODEC_H264 }, { "VP8", SDP_CODEC_VP8 }, { "VP9", SDP_CODEC_VP9 },
		{ "AV1", SDP_CODEC_AV1 }, { "OPUS", SDP_CODEC_OPUS }, { "JPEG", SDP_CODEC_JPEG },
	};
	const char *codec = arg_str(&c->a, "codec");
	struct json_object *v;

	m->whip = arg_bool(&c->a, "whip");
	if (codec != NULL) {
		for (unsigned i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
			if (strcmp(codec, codecs[i].name) == 0)
				m->codec = codecs[i].codec;
		if (m->codec == 0)
			return cmd_fail(err, errlen, EINVAL, "codec: one of H264, VP8, VP9, AV1, OPUS, JPEG");
		if (m->whip)
			return cmd_fail(err, errlen, EINVAL, "codec: a WHIP stream's codec is what its camera offers");
		if (m->codec == SDP_CODEC_OPUS)
			m->pt = 111;
		else if (m->codec == SDP_CODEC_JPEG)
			m->pt = 26; /* RFC 3551's static payload type */
	}
	if (c->a.o && json_object_object_get_ex(c->a.o, "pt", &v)) {
		if (codec == NULL || !json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > 127)
			return cmd_fail(err, errlen, EINVAL, "pt: a payload type 0..127, with codec");
		m->pt = (uint8_t)json_object_get_int64(v);
	}
	return 0;
}

int do_stream_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "owner", "listen", "source", "suite", "key", "codec",
					    "gateway", NULL };
	static const char *const others[] = { "plain", "idle_timeout", "pt", "whip", NULL };
	struct cmd_ctx *c = arg;
	const char *gw_name = arg_str(&c->a, "gateway");
	const struct fleet_gw *gw = NULL;
	struct store_stream st = { 0 };
	struct store_media media = { .pt = 96, .pmode = -1 };
	struct store_owner o;
	const char *name, *owner, *src;
	struct json_object *v;
	bool generated;
	int rc;

	if ((rc = check_args(&c->a, strs, others)) != 0 || (rc = need_name(&c->a, "name", &name)) != 0 ||
	    (rc = need_name(&c->a, "owner", &owner)) != 0 || (rc = cmd_owner_get(d, owner, &o, err, errlen)) != 0)
		return rc;
	if (!cmd_may(c, o.id))
		return cmd_deny(c, err, errlen, "add streams for owner %s", o.name);
	/* a fleet: the operator's choice of gateway, placed with the stream */
	if (gw_name != NULL) {
		if (d->fleet == NULL)
			return cmd_fail(err, errlen, EINVAL, "gateway: only in a fleet (store = \"etcd\")");
		if ((rc = cmd_need_admin(c, err, errlen, "choose a stream's gateway")) != 0)
			return rc;
		gw = fleet_gw_of(d->fleet, gw_name);
		if (gw == NULL)
			return cmd_fail(err, errlen, EHOSTUNREACH, "gateway \"%.63s\" holds no lease in the fleet now",
					gw_name);
	}
	snprintf(st.name, sizeof(st.name), "%s", name);
	st.owner_id = o.id;
	st.idle_timeout_s = d->cfg.idle_timeout_s;
	if (c->a.o && json_object_object_get_ex(c->a.o, "idle_timeout", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > 86400 * 365)
			return cmd_fail(err, errlen, EINVAL, "idle_timeout must be 0..31536000 seconds");
		st.idle_timeout_s = (uint32_t)json_object_get_int64(v);
	}
	src = arg_str(&c->a, "source");
	if (src != NULL && sgw_endpoint_parse(src, &st.source, true) != 0)
		return cmd_fail(err, errlen, EINVAL, "source: not ADDR[:PORT]: \"%.60s\"", src);
	if ((rc = media_from_args(c, &media, err, errlen)) != 0)
		return rc;
	if (media.whip && (arg_str(&c->a, "key") != NULL || arg_bool(&c->a, "plain")))
		return cmd_fail(err, errlen, EINVAL, "whip: the camera's session sets the key (no key, no plain)");
	if ((rc = pick_listen(d, arg_str(&c->a, "listen"), &st.listen, err, errlen)) != 0 ||
	    (rc = key_from_args(d, &c->a, &st.key, &generated)) != 0)
		return rc;
	rc = store_stream_add(d->store, &st);
	if (rc == -EEXIST)
		rc = cmd_fail(err, errlen, EEXIST, "a stream named \"%s\" exists", name);
	else if ((rc = cmd_db(d, rc, err, errlen, "stream")) == 0 && (media.codec != 0 || media.whip))
		rc = cmd_db(d, store_media_set(d->store, st.id, &media), err, errlen, "stream media");
	if (rc == 0)
		rc = sync_ops_stream_add(ops, &st, NULL, sync_stream_flags(d, st.id));
	if (rc == 0 && gw != NULL && fleet_change_place(d->fleet, st.id, gw->name, gw->lease) != 0)
		rc = cmd_fail(err, errlen, ENOMEM, "out of memory");
	if (rc == 0) {
		json_object_object_add(c->result, "name", json_object_new_string(name));
		if (gw != NULL)
			json_object_object_add(c->result, "gateway", json_object_new_string(gw->name));
		json_object_object_add(c->result, "owner", json_object_new_string(owner));
		json_object_object_add(c->result, "listen", jstr_endpoint(&st.listen));
		json_object_object_add(c->result, "suite", jstr_suite(st.key.suite));
		if (media.whip)
			json_object_object_add(c->result, "kind", json_object_new_string("whip"));
		else if (media.codec != 0)
			json_object_object_add(c->result, "codec", json_object_new_string(sdp_codec_name(media.codec)));
		/* a WHIP stream's key is a placeholder nobody has: never shown */
		if (generated && !media.whip)
			add_key(c->result, &st.key);
	}
	store_stream_cleanse(&st);
	return rc;
}

/* The stream named by args[key], which the principal must own; what
 * says what it may not do otherwise ("delete stream"). */
static int own_stream(struct ctl_daemon *d, struct cmd_ctx *c, const char *key, const char *what,
		      struct store_stream_info *st, char *err, size_t errlen)
{
	const char *name;
	int rc;

	if ((rc = need_name(&c->a, key, &name)) != 0 || (rc = cmd_stream_info(d, name, st, err, errlen)) != 0)
		return rc;
	if (!cmd_may(c, st->owner_id))
		return cmd_deny(c, err, errlen, "%s %s (not %s's)", what, name, c->who->name);
	return 0;
}

int do_stream_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_stream_info st;
	unsigned nv = 0;
	int rc;

	if ((rc = own_stream(d, c, "name", "delete stream", &st, err, errlen)) != 0)
		return rc;
	rc = store_stream_del(d->store, st.id, ctl_now_s(), d->cfg.quarantine_s, &nv);
	if ((rc = cmd_db(d, rc, err, errlen, "stream")) != 0)
		return rc;
	json_object_object_add(c->result, "name", json_object_new_string(st.name));
	json_object_object_add(c->result, "viewers", json_object_new_int((int)nv));
	return sync_ops_id(ops, SGW_OP_STREAM_DEL, st.id);
}

int do_stream_rekey(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "key", NULL };
	struct cmd_ctx *c = arg;
	struct store_stream_info info;
	struct store_stream st;
	struct sgw_op_rekey op = { 0 };
	const char *name;
	bool generated;
	int rc;

	/* the right first: a refused request unseals no key */
	if ((rc = check_args(&c->a, strs, NULL)) != 0 ||
	    (rc = own_stream(d, c, "name", "rekey stream", &info, err, errlen)) != 0)
		return rc;
	name = info.name;
	if ((rc = cmd_stream_get(d, name, &st, err, errlen)) != 0)
		return rc;
	if (st.key.suite == SGW_SUITE_PLAIN) {
		store_stream_cleanse(&st);
		return cmd_fail(err, errlen, EINVAL, "stream \"%s\" is plain RTP: it has no key", name);
	}
	json_object_object_add(c->a.o, "suite",
			       jstr_suite(st.key.suite));
	rc = key_from_args(d, &c->a, &op.key, &generated);
	json_object_object_del(c->a.o, "suite");
	if (rc != 0) {
		store_stream_cleanse(&st);
		return rc;
	}
	/* make before break: the old key stays accepted for the overlap */
	if (d->cfg.rekey_overlap_s > 0) {
		st.old_key = st.key;
		st.overlap_until = ctl_now_s() + d->cfg.rekey_overlap_s;
		op.flags = SGW_REKEY_KEEP_OLD;
	} else {
		memset(&st.old_key, 0, sizeof(st.old_key));
		st.overlap_until = 0;
	}
	st.key = op.key;
	op.id = (uint64_t)st.id;
	rc = cmd_db(d, store_stream_set_keys(d->store, &st), err, errlen, "stream");
	/* the new key's context counts from ROC 0 */
	if (rc == 0)
		rc = cmd_db(d, store_pos_set(d->store, false, st.id, &(struct sgw_pos){ 0 }), err, errlen,
			"stream");
	if (rc == 0)
		rc = gw_ops_add(ops, SGW_OP_STREAM_REKEY, &op, sizeof(op));
	if (rc == 0) {
		json_object_object_add(c->result, "name", json_object_new_string(name));
		json_object_object_add(c->result, "suite", jstr_suite(op.key.suite));
		json_object_object_add(c->result, "overlap", json_object_new_int((int)d->cfg.rekey_overlap_s));
		if (generated)
			add_key(c->result, &op.key);
	}
	OPENSSL_cleanse(&op, sizeof(op));
	store_stream_cleanse(&st);
	return rc;
}

/* The owner of a new viewer: args.owner; else admin's viewer is the
 * stream's owner's and an owner principal's its own. That owner must be
 * the principal's, and an owner principal must own the stream or hold a
 * grant on it. */
static int viewer_owner_of(struct ctl_daemon *d, struct cmd_ctx *c, const struct store_stream_info *st,
			   struct store_owner *o, char *err, size_t errlen)
{
	const char *owner = arg_str(&c->a, "owner");
	int rc;

	if (owner != NULL) {
		if ((rc = need_name(&c->a, "owner", &owner)) != 0 || (rc = cmd_owner_get(d, owner, o, err, errlen)) != 0)
			return rc;
	} else if ((rc = store_owner_by_id(d->store, c->who->admin ? st->owner_id : c->who->owner_id, o)) != 0) {
		return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	}
	if (!cmd_may(c, o->id))
		return cmd_deny(c, err, errlen, "add viewers for owner %s", o->name);
	if (!c->who->admin && st->owner_id != c->who->owner_id) {
		rc = store_grant_exists(d->store, st->id, c->who->owner_id);
		if (rc < 0)
			return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
		if (rc == 0)
			return cmd_deny(c, err, errlen, "add viewers to stream %s (not %s's, no grant)", st->name,
					c->who->name);
	}
	return 0;
}

int do_viewer_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "stream", "to", "owner", "suite", "key", NULL };
	static const char *const others[] = { "plain", NULL };
	struct cmd_ctx *c = arg;
	struct store_viewer v = { 0 };
	struct store_stream_info st;
	struct store_owner o, so;
	const char *name, *stream, *to;
	bool generated;
	int rc;

	if ((rc = check_args(&c->a, strs, others)) != 0 || (rc = need_name(&c->a, "name", &name)) != 0 ||
	    (rc = need_name(&c->a, "stream", &stream)) != 0 ||
	    (rc = cmd_stream_info(d, stream, &st, err, errlen)) != 0 ||
	    (rc = viewer_owner_of(d, c, &st, &o, err, errlen)) != 0)
		return rc;
	/* ownership: the stream's own owner, or one it granted */
	if (o.id != st.owner_id) {
		rc = store_grant_exists(d->store, st.id, o.id);
		if (rc < 0)
			return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
		if (rc == 0)
			return cmd_fail(err, errlen, EPERM, "owner \"%s\" may not receive stream \"%s\" of \"%s\": no grant",
				    o.name, stream, cmd_owner_name(d, st.owner_id, &so));
	}
	to = arg_str(&c->a, "to");
	if (to == NULL)
		return cmd_fail(err, errlen, EINVAL, "to is required");
	if (sgw_endpoint_parse(to, &v.dest, false) != 0)
		return cmd_fail(err, errlen, EINVAL, "to: not ADDR:PORT: \"%.60s\"", to);
	if ((rc = key_from_args(d, &c->a, &v.key, &generated)) != 0)
		return rc;
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.stream_id = st.id;
	v.owner_id = o.id;
	rc = store_viewer_add(d->store, &v);
	if (rc == -EEXIST)
		rc = cmd_fail(err, errlen, EEXIST, "a viewer named \"%s\" exists", name);
	else if ((rc = cmd_db(d, rc, err, errlen, "viewer")) == 0) {
		struct sgw_lanes lanes = { 0 };

		/* its egress lanes and their first reservations, stored
		 * before the gateway can use them (invariant 8) */
		if (v.key.len != 0)
			rc = cmd_db(d, lanes_create(d, v.id, &lanes), err, errlen, "viewer lanes");
		if (rc == 0)
			rc = sync_ops_viewer_add(ops, &v, NULL, &lanes, NULL);
	}
	if (rc == 0) {
		json_object_object_add(c->result, "name", json_object_new_string(name));
		json_object_object_add(c->result, "stream", json_object_new_string(stream));
		json_object_object_add(c->result, "owner", json_object_new_string(o.name));
		json_object_object_add(c->result, "to", jstr_endpoint(&v.dest));
		json_object_object_add(c->result, "suite", jstr_suite(v.key.suite));
		if (generated)
			add_key(c->result, &v.key);
	}
	store_viewer_cleanse(&v);
	return rc;
}

int do_viewer_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_viewer_info v;
	struct store_stream_info st;
	const char *name;
	int rc;

	if ((rc = need_name(&c->a, "name", &name)) != 0 || (rc = cmd_viewer_info(d, name, &v, err, errlen)) != 0)
		return rc;
	if ((rc = store_stream_info_by_id(d->store, v.stream_id, &st)) != 0)
		return cmd_db(d, rc, err, errlen, "the viewer's stream");
	/* its owner, or the owner of the stream it receives */
	if (!cmd_may(c, v.owner_id) && !cmd_may(c, st.owner_id))
		return cmd_deny(c, err, errlen, "delete viewer %s (not %s's, nor on a stream of %s's)", name,
				c->who->name, c->who->name);
	if ((rc = cmd_db(d, store_viewer_del(d->store, v.id), err, errlen, "viewer")) != 0)
		return rc;
	json_object_object_add(c->result, "name", json_object_new_string(name));
	return sync_ops_id(ops, SGW_OP_VIEWER_DEL, v.id);
}

int do_viewer_rekey(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "key", "suite", NULL };
	static const char *const others[] = { "plain", NULL };
	struct cmd_ctx *c = arg;
	struct store_viewer_info info;
	struct store_viewer v = { 0 };
	struct sgw_op_rekey op = { 0 };
	const char *name;
	bool generated, added = false;
	int rc;

	if ((rc = check_args(&c->a, strs, others)) != 0 || (rc = need_name(&c->a, "name", &name)) != 0 ||
	    (rc = cmd_viewer_info(d, name, &info, err, errlen)) != 0)
		return rc;
	/* its receiver gets the new key: the viewer's owner's business only */
	if (!cmd_may(c, info.owner_id))
		return cmd_deny(c, err, errlen, "rekey viewer %s (not %s's)", name, c->who->name);
	if (arg_str(&c->a, "suite") == NULL && !arg_bool(&c->a, "plain") && info.suite != SGW_SUITE_PLAIN) {
		json_object_object_add(c->a.o, "suite", jstr_suite(info.suite));
		added = true;
	}
	rc = key_from_args(d, &c->a, &op.key, &generated);
	if (added)
		json_object_object_del(c->a.o, "suite");
	if (rc == 0) {
		v.id = info.id;
		v.key = op.key;
		op.id = (uint64_t)v.id;
		rc = cmd_db(d, store_viewer_set_key(d->store, &v), err, errlen, "viewer");
	}
	if (rc == 0)
		rc = cmd_db(d, store_pos_set(d->store, true, v.id, &(struct sgw_pos){ 0 }), err, errlen,
			"viewer");
	/* a new key: new lanes, counted from their start */
	if (rc == 0 && op.key.len != 0)
		rc = cmd_db(d, lanes_create(d, v.id, &op.lanes), err, errlen, "viewer lanes");
	else if (rc == 0)
		rc = cmd_db(d, store_lanes_set(d->store, v.id, NULL, 0), err, errlen, "viewer lanes");
	if (rc == 0)
		rc = gw_ops_add(ops, SGW_OP_VIEWER_REKEY, &op, sizeof(op));
	if (rc == 0) {
		json_object_object_add(c->result, "name", json_object_new_string(name));
		json_object_object_add(c->result, "suite", jstr_suite(op.key.suite));
		if (generated)
			add_key(c->result, &op.key);
	}
	OPENSSL_cleanse(&op, sizeof(op));
	store_viewer_cleanse(&v);
	return rc;
}

/* A grant's stream (which the principal must own) and owner. */
static int grant_args(struct ctl_daemon *d, struct cmd_ctx *c, const char *what, struct store_stream_info *st,
		      struct store_owner *o, char *err, size_t errlen)
{
	static const char *const strs[] = { "stream", "to", NULL };
	const char *stream, *to;
	int rc;

	if ((rc = check_args(&c->a, strs, NULL)) != 0 || (rc = need_name(&c->a, "stream", &stream)) != 0 ||
	    (rc = need_name(&c->a, "to", &to)) != 0 || (rc = own_stream(d, c, "stream", what, st, err, errlen)) != 0)
		return rc;
	if ((rc = cmd_owner_get(d, to, o, err, errlen)) != 0)
		return rc;
	json_object_object_add(c->result, "stream", json_object_new_string(stream));
	json_object_object_add(c->result, "to", json_object_new_string(to));
	return 0;
}

int do_grant_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_stream_info st;
	struct store_owner o;
	int64_t grants[SGW_MAX_GRANTS + 1];
	int rc;

	if ((rc = grant_args(d, c, "grant stream", &st, &o, err, errlen)) != 0)
		return rc;
	if (o.id == st.owner_id)
		return cmd_fail(err, errlen, EINVAL, "\"%s\" owns stream \"%s\"", o.name, st.name);
	rc = store_grant_list(d->store, st.id, grants, SGW_MAX_GRANTS + 1);
	if (rc >= SGW_MAX_GRANTS && store_grant_exists(d->store, st.id, o.id) != 1)
		return cmd_fail(err, errlen, ENOSPC, "stream \"%s\" has %d grants, the most it can have",
			    st.name, SGW_MAX_GRANTS);
	rc = store_grant_add(d->store, st.id, o.id);
	if (rc == -EEXIST)
		return cmd_fail(err, errlen, EEXIST, "\"%s\" already has a grant on \"%s\"", o.name, st.name);
	if ((rc = cmd_db(d, rc, err, errlen, "grant")) != 0)
		return rc;
	return sync_ops_grant(ops, SGW_OP_GRANT_ADD, st.id, o.id);
}

int do_grant_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_stream_info st;
	struct store_owner o;
	unsigned n = 0;
	int rc;

	if ((rc = grant_args(d, c, "withdraw grants on stream", &st, &o, err, errlen)) != 0)
		return rc;
	rc = store_grant_exists(d->store, st.id, o.id);
	if (rc == 0)
		return cmd_fail(err, errlen, ENOENT, "\"%s\" has no grant on \"%s\"", o.name, st.name);
	/* its viewers on the stream go in the same transaction: after this
	 * commit no packet of the stream reaches them */
	struct viewer_owner vo = { d, ops, o.id, st.id };
	rc = store_viewer_list(d->store, st.id, 0, del_owner_viewer, &vo);
	if (rc == 0)
		rc = store_viewer_del_by_owner(d->store, st.id, o.id, &n);
	if (rc == 0)
		rc = store_grant_del(d->store, st.id, o.id);
	if ((rc = cmd_db(d, rc, err, errlen, "grant")) != 0)
		return rc;
	json_object_object_add(c->result, "viewers", json_object_new_int((int)n));
	return sync_ops_grant(ops, SGW_OP_GRANT_DEL, st.id, o.id);
}
