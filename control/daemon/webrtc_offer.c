/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WHEP and WHIP requests (webrtc.h): an offer makes a session in SETUP and
 * answers it; DELETE ends one. Nothing is left created on an error.
 *
 * WHEP: the viewer gets a port of its own on its stream's listen address
 * (from port_range, free of streams, quarantine and other sessions), held
 * in the gateway for it (PORT_ADD, STUN and DTLS punted) until ICE and
 * DTLS are done; the answer names the stream's codec with the viewer's
 * payload type, and the SSRC the viewer's first lane will have.
 * WHIP: the camera publishes to its stream's listen port (a WHIP stream's
 * port punts); one publisher a stream at a time (409).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "api/addr.h"
#include "api/log.h"
#include "api/suite.h"
#include "control/daemon/auth.h"
#include "control/daemon/sdp.h"
#include "control/daemon/webrtc.h"
#include "control/daemon/webrtc_priv.h"

#define PORT_TRIES 64

static int reply_err(struct webrtc_reply *out, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int reply_err(struct webrtc_reply *out, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return status;
}

static bool video_codec(uint8_t c)
{
	return c == SDP_CODEC_H264 || c == SDP_CODEC_VP8 || c == SDP_CODEC_VP9 || c == SDP_CODEC_AV1 ||
	       c == SDP_CODEC_H265;
}

/* A free port for a WHEP session on addr: not a stream's (or quarantined),
 * not another session's, not a WebRTC leg's. */
static int alloc_port(struct ctl_daemon *d, const struct sgw_addr *addr, struct sgw_endpoint *out)
{
	uint32_t span = (uint32_t)d->cfg.port_max - d->cfg.port_min + 1u;

	for (unsigned k = 0; k < PORT_TRIES; k++) {
		struct sgw_endpoint ep = { .addr = *addr };
		enum store_listen_state st;
		bool taken = false;
		uint32_t r;
		int used;

		if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
			return -EIO;
		ep.port = (uint16_t)(d->cfg.port_min + r % span);
		if (store_listen_state(d->store, &ep, ctl_now_s(), &st) != 0)
			return -EIO;
		if (st == STORE_LISTEN_FREE) { /* nor a stream's RTCP port (listen + 1) */
			struct sgw_endpoint below = ep;
			below.port--;
			if (store_listen_state(d->store, &below, ctl_now_s(), &st) != 0)
				return -EIO;
			st = st == STORE_LISTEN_IN_USE ? STORE_LISTEN_IN_USE : STORE_LISTEN_FREE;
		}
		for (struct wrtc_session *s = d->wrtc->sessions; s != NULL && !taken; s = s->next)
			taken = s->local.port == ep.port && sgw_addr_equal(&s->local.addr, addr);
		if (st != STORE_LISTEN_FREE || taken)
			continue;
		used = store_webrtc_port_used(d->store, ep.port);
		if (used < 0)
			return -EIO;
		if (used == 0) {
			*out = ep;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

/* What srtpgw serves: WHEP, the stream's codec; WHIP, video (H.264 or VP8). */
static void want_of(bool whip, const struct store_media *m, struct sdp_want *w)
{
	memset(w, 0, sizeof(*w));
	/* PLI and FIR reach the camera (its leg); a viewer's NACKs are answered
	 * by the gateway (SGW_VIEWER_NACK); a camera is sent no NACKs */
	w->fb = SDP_FB_PLI | SDP_FB_FIR;
	if (whip) {
		w->role = SDP_WHIP;
		w->n_video = 2;
		w->video[0] = (struct sdp_codec_spec){ .codec = SDP_CODEC_H264, .pmode = 1, .plid = 0 };
		w->video[1] = (struct sdp_codec_spec){ .codec = SDP_CODEC_VP8, .pmode = -1 };
		return;
	}
	w->role = SDP_WHEP;
	w->fb |= SDP_FB_NACK;
	if (video_codec(m->codec)) {
		w->n_video = 1;
		w->video[0] = (struct sdp_codec_spec){ .codec = m->codec, .pmode = m->pmode, .plid = m->plid };
	} else {
		w->n_audio = 1;
		w->audio[0] = (struct sdp_codec_spec){ .codec = m->codec, .pmode = -1 };
	}
}

/* PORT_ADD of a WHEP session's port: a change, pushed now or refused. */
static int port_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	const struct wrtc_session *s = arg;
	struct sgw_op_port op = { .local = s->local, .flags = SGW_PORT_PUNT };

	(void)d, (void)err, (void)errlen;
	return gw_ops_add(ops, SGW_OP_PORT_ADD, &op, sizeof(op));
}

static int port_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	const struct wrtc_session *s = arg;
	struct sgw_op_port op = { .local = s->local };

	(void)d, (void)err, (void)errlen;
	return gw_ops_add(ops, SGW_OP_PORT_DEL, &op, sizeof(op));
}

/* The session's ICE agent and DTLS server for the chosen peer. */
static int session_modules(struct ctl_daemon *d, struct wrtc_session *s, const struct sdp_choice *c,
			   const char *pwd, uint8_t stream_suite, struct webrtc_reply *out)
{
	const struct sgw_suite_info *si = sgw_suite_info(stream_suite);
	/* a viewer's packets are the camera's, re-protected: a tag longer than
	 * the camera's pushes a full-size packet over the MTU (ffmpeg sends
	 * 1472-byte packets with a 10-byte tag; GCM's is 16): the shorter
	 * tag first for a camera whose tag is shorter than GCM's */
	struct dtls_config dc = { .cm_first = !s->whip && si != NULL && si->rtp_tag_len < 16 };
	struct ice_creds cr;
	struct cert_fp fp = { .alg = CERT_FP_SHA256, .len = 32 };
	const char *why = NULL;
	uint64_t now = ctl_now_ms();

	memset(&cr, 0, sizeof(cr));
	snprintf(cr.ufrag, sizeof(cr.ufrag), "%s", s->ufrag);
	snprintf(cr.pwd, sizeof(cr.pwd), "%s", pwd);
	snprintf(s->remote_ufrag, sizeof(s->remote_ufrag), "%s", c->remote_ufrag);
	s->ice = ice_agent_new(&cr, c->remote_ufrag, NULL, now, &why);
	OPENSSL_cleanse(&cr, sizeof(cr));
	if (s->ice == NULL)
		return reply_err(out, 500, "internal error: ICE: %s", why);
	memcpy(fp.md, c->remote_fp, 32);
	s->dtls = dtls_session_new(d->wrtc->dtls, &fp, 1, &dc, now, &why);
	if (s->dtls == NULL)
		return reply_err(out, 500, "internal error: DTLS: %s", why);
	return 0;
}

static int answer(struct ctl_daemon *d, struct wrtc_session *s, const struct sdp_offer *o,
		  const struct sdp_choice *c, const char *pwd, struct webrtc_reply *out)
{
	struct sdp_local l = {
		.ice_ufrag = s->ufrag, .ice_pwd = pwd, .addr = s->local, .session_version = 1,
		.cname = "srtpgw", .msid = "srtpgw",
	};
	char err[200];
	uint64_t sid;
	int n;

	memcpy(l.fingerprint, d->wrtc->cert.sha256.md, sizeof(l.fingerprint));
	if (RAND_bytes((unsigned char *)&sid, sizeof(sid)) != 1)
		return reply_err(out, 500, "internal error: no randomness");
	l.session_id = sid >> 1;
	if (!s->whip) {
		if (video_codec(s->codec))
			l.ssrc_video = s->ssrc;
		else
			l.ssrc_audio = s->ssrc;
	}
	out->body = malloc(SDP_ANSWER_MAX);
	if (out->body == NULL)
		return reply_err(out, 500, "internal error: out of memory");
	n = sdp_answer(o, c, &l, out->body, SDP_ANSWER_MAX, err, sizeof(err));
	if (n < 0) {
		free(out->body);
		out->body = NULL;
		return reply_err(out, 500, "internal error: the answer: %s", err);
	}
	out->len = (size_t)n;
	snprintf(out->location, sizeof(out->location), "/%s/session/%s", s->whip ? "whip" : "whep", s->id);
	snprintf(out->etag, sizeof(out->etag), "\"%s\"", s->id);
	return 201;
}

/* The choice's served section: codec, payload type, H.264 parameters. */
static void chosen(struct wrtc_session *s, const struct sdp_choice *c)
{
	int i = c->video >= 0 ? c->video : c->audio;
	const struct sdp_choice_media *m = &c->media[i];

	s->codec = m->codec;
	s->pt = m->pt;
	s->plid = m->plid;
	s->pmode = m->pmode;
	s->nack = (m->fb & SDP_FB_NACK) != 0;
}

int webrtc_offer(struct ctl_daemon *d, const struct ctl_principal *who, bool whip, const char *stream,
		 const char *offer, size_t len, struct webrtc_reply *out)
{
	struct wrtc *w = d->wrtc;
	struct store_stream_info st;
	struct store_media media;
	struct sdp_offer *o = NULL;
	struct sdp_choice c;
	struct sdp_want want;
	struct wrtc_session *s = NULL;
	char err[256], pwd[ICE_PWD_LEN + 1] = "";
	struct ice_creds gen;
	int rc, status;

	(void)who; /* the HTTP layer checked who may view or publish */
	w->offers++;
	if (w->n_sessions >= d->cfg.http_max_sessions) {
		out->retry_after = 5;
		status = reply_err(out, 503, "too many WebRTC sessions (http_max_sessions %u)",
				   d->cfg.http_max_sessions);
		goto refused;
	}
	if (!gw_link_up(&d->gw) || !d->gw.in_sync || !punt_link_up(&w->punt)) {
		out->retry_after = 2;
		status = reply_err(out, 503, "the gateway is not reachable now");
		goto refused;
	}
	rc = store_stream_info_by_name(d->store, stream, &st);
	if (rc == 0)
		rc = store_media_get(d->store, st.id, &media);
	if (rc == -ENOENT && whip) {
		status = reply_err(out, 409, "stream %s is not a WHIP stream (srtpgwctl stream add --whip)", stream);
		goto refused;
	}
	if (rc == -ENOENT) {
		status = reply_err(out, 409, "stream %s declares no media (srtpgwctl stream add --codec)", stream);
		goto refused;
	}
	if (rc != 0) {
		status = reply_err(out, 500, "internal error: the database failed");
		goto refused;
	}
	if (whip && !media.whip) {
		status = reply_err(out, 409, "stream %s is not a WHIP stream (srtpgwctl stream add --whip)",
				   stream);
		goto refused;
	}
	if (!whip && media.codec == SDP_CODEC_NONE) {
		status = reply_err(out, 409, "stream %s has no publisher yet", stream);
		goto refused;
	}
	if (!whip && media.codec == SDP_CODEC_JPEG) {
		status = reply_err(out, 422, "stream %s carries JPEG, which browsers do not decode over WebRTC",
				   stream);
		goto refused;
	}
	if (whip) {
		for (struct wrtc_session *x = w->sessions; x != NULL; x = x->next)
			if (x->whip && x->stream_id == st.id) {
				status = reply_err(out, 409, "stream %s has a publisher (session %s): DELETE it "
						   "first", stream, x->id);
				goto refused;
			}
	}
	o = malloc(sizeof(*o));
	if (o == NULL) {
		status = reply_err(out, 500, "internal error: out of memory");
		goto refused;
	}
	rc = sdp_parse_offer(offer, len, o, err, sizeof(err));
	want_of(whip, &media, &want);
	if (rc == 0)
		rc = sdp_choose(o, &want, &c, err, sizeof(err));
	if (rc != 0) {
		status = reply_err(out, sdp_status(-rc), "%s", err);
		goto refused;
	}
	s = wrtc_session_new(d, whip, ctl_now_ms());
	if (s == NULL) {
		status = reply_err(out, 500, "internal error: out of memory");
		goto refused;
	}
	s->stream_id = st.id;
	s->owner_id = who->admin ? st.owner_id : who->owner_id;
	chosen(s, &c);
	if (whip) {
		s->local = st.listen;
	} else if ((rc = alloc_port(d, &st.listen.addr, &s->local)) != 0) {
		if (rc != -EADDRNOTAVAIL) {
			sgw_log(LOG_ERR, "webrtc: a port for a viewer: %s", store_errmsg(d->store));
			status = reply_err(out, 500, "internal error: the database failed");
			goto refused;
		}
		out->retry_after = 5;
		status = reply_err(out, 503, "no free port for a WebRTC viewer in port_range");
		goto refused;
	}
	if (ice_creds_generate(&gen) != 0 || wrtc_ice_pwd(d, s->id, pwd) != 0 ||
	    RAND_bytes((unsigned char *)&s->ssrc, sizeof(s->ssrc)) != 1) {
		OPENSSL_cleanse(&gen, sizeof(gen));
		status = reply_err(out, 500, "internal error: no randomness");
		goto refused;
	}
	snprintf(s->ufrag, sizeof(s->ufrag), "%s", gen.ufrag);
	OPENSSL_cleanse(&gen, sizeof(gen));
	s->ssrc |= 1; /* never 0 */
	status = session_modules(d, s, &c, pwd, st.suite, out);
	if (status != 0)
		goto refused;
	if (!whip) {
		bool pending = false;
		rc = ctl_change_cmd(d, port_add, s, 0, NULL, &pending, err, sizeof(err));
		if (rc != 0 || pending) {
			out->retry_after = 2;
			status = reply_err(out, 503, "the gateway did not take the session's port: %s",
					   rc != 0 ? err : "not reachable");
			if (rc == 0) /* committed but not applied: take it back */
				ctl_change(d, port_del, s, err, sizeof(err));
			goto refused;
		}
	}
	status = answer(d, s, o, &c, pwd, out);
	if (status != 201) {
		if (!whip)
			ctl_change(d, port_del, s, err, sizeof(err));
		goto refused;
	}
	w->answered++;
	sgw_log(LOG_INFO, "webrtc session %s: %s of stream %s for %s, on port %u", s->id,
		whip ? "WHIP camera" : "WHEP viewer", stream, who->name, s->local.port);
	sdp_offer_clear(o);
	free(o);
	OPENSSL_cleanse(pwd, sizeof(pwd));
	return 201;
refused:
	w->refused++;
	if (s != NULL)
		wrtc_session_free(d, s);
	if (o != NULL) {
		sdp_offer_clear(o);
		free(o);
	}
	OPENSSL_cleanse(pwd, sizeof(pwd));
	return status;
}

int webrtc_delete(struct ctl_daemon *d, const struct ctl_principal *who, bool whip, const char *session,
		  struct webrtc_reply *out)
{
	struct wrtc_session *s = wrtc_find_id(d, session);

	if (s == NULL || s->whip != whip)
		return reply_err(out, 404, "no %s session %s", whip ? "WHIP" : "WHEP", session);
	if (!who->admin && who->owner_id != s->owner_id)
		return reply_err(out, 403, "permission denied: session %s is not %s's", session, who->name);
	bool pending = false;
	int rc = 0;

	/* a change (a revoke) that deleted its viewer ended it already: it is
	 * over either way */
	if (!wrtc_viewer_gone(d, s))
		rc = wrtc_end(d, s, "deleted", &pending);
	wrtc_session_free(d, s);
	if (rc != 0)
		return reply_err(out, 500, "session %s: ending it failed (the daemon's log says why); "
				 "consent will lapse", session);
	/* the gateway has not taken the change yet (away, or not within
	 * apply_timeout): the session is over, its packets stop when it is back */
	if (pending)
		return reply_err(out, 202, "session %s ended; the gateway has not applied it yet, "
				 "it will when it is back (srtpgwctl status lists it pending)", session);
	return 200;
}
