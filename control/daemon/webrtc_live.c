/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WebRTC sessions in the store and the gateway (webrtc_priv.h): a session
 * that finished ICE and DTLS is installed as one change, as durable as an
 * SDES viewer: a restarted srtpgw-control finds it in the store (its ICE
 * password is derived, not stored) and goes on answering its consent
 * checks; a restarted gateway gets it back in the full push.
 *
 * WHEP: a viewer of the stream, named "webrtc-<session>", with the server's
 * DTLS write key as its egress key (under lanes: the first lane's SSRC is
 * the one the answer named), a port of its own that punts, the viewer's
 * payload type and the client's write key for its RTCP. The session's
 * PORT_ADD goes in the same transaction.
 * WHIP: the stream's key becomes the client's write key; its camera leg, a
 * viewer flagged SGW_VIEWER_FEEDBACK with the server's write key, is where
 * keyframe requests go; the stream's media is what the offer chose.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "api/addr.h"
#include "api/log.h"
#include "api/suite.h"
#include "control/daemon/cmds.h"
#include "control/daemon/sdp.h"
#include "control/daemon/webrtc_priv.h"

struct install {
	struct wrtc_session *s;
	const struct dtls_srtp_keys *k;
};

static int db(struct ctl_daemon *d, int rc, char *err, size_t errlen, const char *what)
{
	if (rc == 0)
		return 0;
	return cmd_fail(err, errlen, rc == -EEXIST ? EEXIST : EIO, "%s: %s", what, store_errmsg(d->store));
}

static void leg_name(const struct wrtc_session *s, char name[STORE_NAME_MAX])
{
	snprintf(name, STORE_NAME_MAX, "webrtc-%s", s->id);
}

/* The viewer (WHEP) or camera leg (WHIP) of s, its lanes and WebRTC leg. */
static int add_leg(struct ctl_daemon *d, struct wrtc_session *s, const struct sgw_key *egress,
		   int64_t owner_id, struct store_webrtc *w, struct gw_ops *ops, char *err, size_t errlen)
{
	struct store_viewer v = { .stream_id = s->stream_id, .owner_id = owner_id, .dest = s->remote,
				  .key = *egress };
	struct sgw_lanes lanes;
	int rc;

	leg_name(s, v.name);
	rc = db(d, store_key_claim(d->store, &v.key), err, errlen, "the session's key");
	if (rc == 0)
		rc = db(d, store_viewer_add(d->store, &v), err, errlen, "the session's viewer");
	if (rc == 0)
		rc = db(d, lanes_create_ssrc(d, v.id, s->whip ? 0 : s->ssrc, &lanes), err, errlen,
			"the session's lanes");
	if (rc == 0) {
		w->viewer_id = v.id;
		snprintf(w->session, sizeof(w->session), "%s", s->id);
		w->whip = s->whip;
		snprintf(w->ufrag, sizeof(w->ufrag), "%s", s->ufrag);
		snprintf(w->remote_ufrag, sizeof(w->remote_ufrag), "%s", s->remote_ufrag);
		w->created = ctl_now_s();
		rc = db(d, store_webrtc_add(d->store, w), err, errlen, "the session");
	}
	if (rc == 0 && sync_ops_viewer_add(ops, &v, NULL, &lanes, w) != 0)
		rc = cmd_fail(err, errlen, ENOMEM, "out of memory");
	if (rc == 0)
		s->viewer_id = v.id;
	store_viewer_cleanse(&v);
	OPENSSL_cleanse(&lanes, sizeof(lanes));
	return rc;
}

static int install_whep(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	const struct install *in = arg;
	struct wrtc_session *s = in->s;
	struct sgw_op_port del = { .local = s->local };
	struct store_webrtc w = { .local_port = s->local.port, .pt_out = s->pt,
				  .flags = SGW_VIEWER_PUNT | (s->nack ? SGW_VIEWER_NACK : 0) };
	struct store_media m;
	int rc;

	rc = db(d, store_media_get(d->store, s->stream_id, &m), err, errlen, "the stream's media");
	if (rc != 0)
		return rc;
	w.pt_in = m.pt;
	w.rtcp_key = in->k->ingress;
	/* the port changes hands in one transaction: from the session to its viewer */
	rc = gw_ops_add(ops, SGW_OP_PORT_DEL, &del, sizeof(del));
	if (rc == 0)
		rc = add_leg(d, s, &in->k->egress, s->owner_id, &w, ops, err, errlen);
	store_webrtc_cleanse(&w);
	return rc;
}

static int install_whip(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	const struct install *in = arg;
	struct wrtc_session *s = in->s;
	struct store_webrtc w = { .flags = SGW_VIEWER_FEEDBACK, .pt_in = -1, .pt_out = -1 };
	struct store_media m = { .codec = s->codec, .pt = s->pt, .pmode = s->pmode, .plid = s->plid,
				 .whip = true };
	struct sgw_op_rekey rk = { .id = (uint64_t)s->stream_id };
	struct store_stream st;
	int rc;

	rc = db(d, store_stream_by_id(d->store, s->stream_id, &st), err, errlen, "the stream");
	if (rc != 0)
		return rc;
	/* what the camera sends: under the client's write key */
	st.key = in->k->ingress;
	memset(&st.old_key, 0, sizeof(st.old_key));
	st.overlap_until = 0;
	rc = db(d, store_key_claim(d->store, &st.key), err, errlen, "the camera's key");
	if (rc == 0)
		rc = db(d, store_stream_set_keys(d->store, &st), err, errlen, "the stream's key");
	if (rc == 0)
		rc = db(d, store_media_set(d->store, st.id, &m), err, errlen, "the stream's media");
	rk.key = st.key;
	if (rc == 0)
		rc = gw_ops_add(ops, SGW_OP_STREAM_REKEY, &rk, offsetof(struct sgw_op_rekey, lanes));
	if (rc == 0)
		rc = add_leg(d, s, &in->k->egress, st.owner_id, &w, ops, err, errlen);
	OPENSSL_cleanse(&rk, sizeof(rk));
	store_stream_cleanse(&st);
	return rc;
}

int wrtc_install(struct ctl_daemon *d, struct wrtc_session *s, const struct dtls_srtp_keys *k,
		 char *err, size_t errlen)
{
	struct install in = { s, k };
	char at[SGW_ADDR_STRLEN + 8];
	bool pending = false;
	uint64_t t0 = ctl_now_ms();
	int rc = ctl_change_cmd(d, s->whip ? install_whip : install_whep, &in, s->owner_id,
				s->whip ? "a WHIP camera" : "a WHEP viewer", &pending, err, errlen);

	/* the times say where a slow start went: waiting for the peer's
	 * nomination after DTLS, or the change itself */
	if (rc == 0)
		sgw_log(LOG_INFO, "webrtc session %s: live, %s %s (%s), %llu ms after DTLS, installed in %llu ms%s",
			s->id, s->whip ? "receiving from" : "sending to",
			sgw_endpoint_format(&s->remote, at, sizeof(at)), sdp_codec_name(s->codec),
			(unsigned long long)(t0 - s->dtls_done_ms), (unsigned long long)(ctl_now_ms() - t0),
			pending ? "; the gateway gets it when it is back" : "");
	return rc;
}

/* ---- destination, pause ------------------------------------------------------------ */

struct dest {
	struct wrtc_session *s;
	const struct sgw_endpoint *to;
};

static int set_dest(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	const struct dest *x = arg;
	struct sgw_op_viewer_dest op = { .viewer_id = (uint64_t)x->s->viewer_id, .dest = *x->to };
	bool paused = x->to->addr.family == SGW_AF_NONE;
	int rc = 0;

	if (!paused)
		rc = db(d, store_viewer_set_dest(d->store, x->s->viewer_id, x->to), err, errlen, "the viewer");
	if (rc == 0)
		rc = db(d, store_webrtc_set_paused(d->store, x->s->viewer_id, paused), err, errlen, "the session");
	if (rc == 0)
		rc = gw_ops_add(ops, SGW_OP_VIEWER_SET_DEST, &op, sizeof(op));
	return rc;
}

int wrtc_set_dest(struct ctl_daemon *d, struct wrtc_session *s, const struct sgw_endpoint *to,
		  char *err, size_t errlen)
{
	struct dest x = { s, to };

	return ctl_change_cmd(d, set_dest, &x, s->owner_id,
			      to->addr.family == SGW_AF_NONE ? "a WebRTC peer's consent lapsed"
							       : "a WebRTC peer's address", NULL, err, errlen);
}

/* ---- the end ---------------------------------------------------------------------- */

static int end_setup(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	const struct wrtc_session *s = arg;
	struct sgw_op_port op = { .local = s->local };

	(void)d, (void)err, (void)errlen;
	return gw_ops_add(ops, SGW_OP_PORT_DEL, &op, sizeof(op));
}

static int end_live(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	const struct wrtc_session *s = arg;
	struct store_stream st;
	int rc;

	rc = db(d, store_viewer_del(d->store, s->viewer_id), err, errlen, "the session's viewer");
	if (rc == 0)
		rc = sync_ops_id(ops, SGW_OP_VIEWER_DEL, s->viewer_id);
	if (rc != 0 || !s->whip)
		return rc;
	/* a WHIP camera that left: nobody may go on under its key */
	rc = db(d, store_stream_by_id(d->store, s->stream_id, &st), err, errlen, "the stream");
	if (rc == 0) {
		struct sgw_op_rekey rk = { .id = (uint64_t)s->stream_id };
		st.key.suite = st.key.suite != SGW_SUITE_PLAIN ? st.key.suite : SGW_SUITE_AES_CM_128_HMAC_SHA1_80;
		st.key.len = (uint8_t)sgw_suite_master_len(st.key.suite);
		if (RAND_bytes(st.key.material, st.key.len) != 1)
			rc = cmd_fail(err, errlen, EIO, "no randomness");
		if (rc == 0)
			rc = db(d, store_key_claim(d->store, &st.key), err, errlen, "a fresh key");
		if (rc == 0)
			rc = db(d, store_stream_set_keys(d->store, &st), err, errlen, "the stream's key");
		rk.key = st.key;
		if (rc == 0)
			rc = gw_ops_add(ops, SGW_OP_STREAM_REKEY, &rk, offsetof(struct sgw_op_rekey, lanes));
		OPENSSL_cleanse(&rk, sizeof(rk));
		store_stream_cleanse(&st);
	}
	return rc;
}

int wrtc_end(struct ctl_daemon *d, struct wrtc_session *s, const char *why, bool *pending)
{
	char err[256];
	int rc = 0;

	if (pending != NULL)
		*pending = false;
	if (s->state == WRTC_SETUP && !s->whip)
		rc = ctl_change_cmd(d, end_setup, s, 0, NULL, pending, err, sizeof(err));
	else if (s->state != WRTC_SETUP)
		rc = ctl_change_cmd(d, end_live, s, s->owner_id, "a WebRTC session ended", pending, err,
				    sizeof(err));
	d->wrtc->ended++;
	if (rc != 0)
		sgw_log(LOG_WARNING, "webrtc session %s: ending it (%s): %s", s->id, why, err);
	else
		sgw_log(LOG_INFO, "webrtc session %s: ended (%s)", s->id, why);
	return rc;
}

/* ---- a restarted srtpgw-control ------------------------------------------------------- */

static int restore_one(void *arg, const struct store_webrtc *w)
{
	struct ctl_daemon *d = arg;
	struct store_viewer_info v;
	struct store_stream_info st;
	struct ice_config ic = { .connect_ms = UINT32_MAX };
	struct ice_creds cr;
	struct wrtc_session *s;
	const char *why = NULL;
	uint64_t now = ctl_now_ms();
	int rc;

	rc = store_viewer_info_by_id(d->store, w->viewer_id, &v);
	if (rc == 0)
		rc = store_stream_info_by_id(d->store, v.stream_id, &st);
	if (rc != 0)
		return rc;
	s = wrtc_session_new(d, w->whip, now);
	if (s == NULL)
		return -ENOMEM;
	snprintf(s->id, sizeof(s->id), "%.*s", WRTC_ID_LEN, w->session);
	s->restored = true;
	s->stream_id = v.stream_id;
	s->owner_id = v.owner_id;
	s->viewer_id = v.id;
	s->local = st.listen;
	if (w->local_port != 0)
		s->local.port = w->local_port;
	s->remote = v.dest;
	s->state = w->paused ? WRTC_PAUSED : WRTC_LIVE;
	s->last_check_ms = s->paused_ms = now; /* a consent period from now */
	snprintf(s->ufrag, sizeof(s->ufrag), "%s", w->ufrag);
	snprintf(s->remote_ufrag, sizeof(s->remote_ufrag), "%s", w->remote_ufrag);
	memset(&cr, 0, sizeof(cr));
	snprintf(cr.ufrag, sizeof(cr.ufrag), "%s", w->ufrag);
	rc = wrtc_ice_pwd(d, s->id, cr.pwd);
	if (rc == 0)
		s->ice = ice_agent_new(&cr, w->remote_ufrag, &ic, now, &why);
	OPENSSL_cleanse(&cr, sizeof(cr));
	if (s->ice == NULL) {
		sgw_log(LOG_WARNING, "webrtc session %s: cannot restore it: %s", w->session, why ? why : "");
		wrtc_session_free(d, s);
		return 0;
	}
	return 0;
}

int wrtc_restore(struct ctl_daemon *d, uint64_t now_ms)
{
	(void)now_ms;
	int rc = store_webrtc_foreach(d->store, restore_one, d);

	if (rc == 0 && d->wrtc->n_sessions > 0)
		sgw_log(LOG_INFO, "webrtc: %u sessions restored from the store", d->wrtc->n_sessions);
	return rc;
}
