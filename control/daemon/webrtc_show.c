/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What `srtpgwctl viewer show` and `stream show` say of WebRTC (webrtc.h):
 * a viewer's kind, its session's state, ICE and DTLS, and what its RTCP
 * reports (from the gateway's viewer statistics); a stream's kind and
 * codec, and its WHIP publisher. Never a key, an ICE password or a ufrag.
 */
#include <stdio.h>
#include <string.h>

#include "control/daemon/sdp.h"
#include "control/daemon/webrtc.h"
#include "control/daemon/webrtc_priv.h"

static const char *state_name(enum wrtc_state s)
{
	switch (s) {
	case WRTC_SETUP:
		return "setup";
	case WRTC_LIVE:
		return "live";
	case WRTC_PAUSED:
		return "paused";
	}
	return "?";
}

static struct wrtc_session *by_viewer(struct ctl_daemon *d, int64_t viewer_id)
{
	for (struct wrtc_session *s = d->wrtc != NULL ? d->wrtc->sessions : NULL; s != NULL; s = s->next)
		if (s->viewer_id == viewer_id && s->state != WRTC_SETUP)
			return s;
	return NULL;
}

static void add_session(struct json_object *j, const struct wrtc_session *s)
{
	json_object_object_add(j, "session", json_object_new_string(s->id));
	json_object_object_add(j, "state", json_object_new_string(state_name(s->state)));
	json_object_object_add(j, "ice", json_object_new_string(ice_state_name(ice_agent_state(s->ice))));
	/* a session restored after a restart has no DTLS of its own: its keys came from the store */
	json_object_object_add(j, "dtls", json_object_new_string(s->dtls != NULL ?
				dtls_state_name(dtls_session_state(s->dtls)) : "restored"));
}

/* The RTCP the viewer sent, as the gateway read it (its viewer stats). */
static struct json_object *rtcp_of(const struct sgw_viewer_stats *v)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "packets", json_object_new_int64((int64_t)v->rtcp_in));
	json_object_object_add(j, "refused", json_object_new_int64((int64_t)v->rtcp_bad));
	json_object_object_add(j, "reports", json_object_new_int64((int64_t)v->rr));
	json_object_object_add(j, "fraction_lost", json_object_new_double(v->fraction_lost / 256.0));
	json_object_object_add(j, "cumulative_lost", json_object_new_int(v->cumulative_lost));
	json_object_object_add(j, "jitter", json_object_new_int64(v->jitter));
	json_object_object_add(j, "rtt_ms", v->rtt_us ? json_object_new_double(v->rtt_us / 1000.0) : NULL);
	json_object_object_add(j, "pli", json_object_new_int64((int64_t)v->pli));
	json_object_object_add(j, "fir", json_object_new_int64((int64_t)v->fir));
	json_object_object_add(j, "nack", json_object_new_int64((int64_t)v->nack));
	json_object_object_add(j, "nack_resent", json_object_new_int64((int64_t)v->nack_resent));
	json_object_object_add(j, "nack_missed", json_object_new_int64((int64_t)v->nack_missed));
	json_object_object_add(j, "last_report_ms", v->last_rr_ms == UINT64_MAX ? NULL :
			       json_object_new_int64((int64_t)v->last_rr_ms));
	return j;
}

void webrtc_viewer_json(struct ctl_daemon *d, int64_t viewer_id, const struct sgw_viewer_stats *gw,
			struct json_object *j)
{
	struct store_webrtc w;
	struct wrtc_session *s;

	if (store_webrtc_get(d->store, viewer_id, &w) != 0) {
		json_object_object_add(j, "kind", json_object_new_string("sdes"));
		return;
	}
	json_object_object_add(j, "kind", json_object_new_string(w.whip ? "camera" : "webrtc"));
	if (w.local_port != 0)
		json_object_object_add(j, "port", json_object_new_int(w.local_port));
	if (w.pt_out >= 0)
		json_object_object_add(j, "pt", json_object_new_int(w.pt_out));
	s = by_viewer(d, viewer_id);
	if (s != NULL)
		add_session(j, s);
	else
		json_object_object_add(j, "state", json_object_new_string(w.paused ? "paused" : "live"));
	if (gw != NULL && !w.whip)
		json_object_object_add(j, "rtcp", rtcp_of(gw));
	store_webrtc_cleanse(&w);
}

void webrtc_stream_json(struct ctl_daemon *d, int64_t stream_id, struct json_object *j)
{
	struct store_media m;

	if (store_media_get(d->store, stream_id, &m) != 0) {
		json_object_object_add(j, "kind", json_object_new_string("sdes"));
		return;
	}
	json_object_object_add(j, "kind", json_object_new_string(m.whip ? "whip" : "sdes"));
	json_object_object_add(j, "codec", m.codec != 0 ? json_object_new_string(sdp_codec_name(m.codec)) : NULL);
	if (m.codec != 0)
		json_object_object_add(j, "pt", json_object_new_int(m.pt));
	for (struct wrtc_session *s = d->wrtc != NULL ? d->wrtc->sessions : NULL; s != NULL; s = s->next) {
		if (s->whip && s->stream_id == stream_id) {
			struct json_object *p = json_object_new_object();
			add_session(p, s);
			json_object_object_add(j, "publisher", p);
		}
	}
}

void webrtc_status_json(struct ctl_daemon *d, struct json_object *j)
{
	struct wrtc *w = d->wrtc;
	struct json_object *o;

	if (w == NULL)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "punt_channel", json_object_new_string(punt_link_up(&w->punt) ?
				"connected" : "disconnected"));
	json_object_object_add(o, "sessions", json_object_new_int((int)w->n_sessions));
	json_object_object_add(o, "offers", json_object_new_int64((int64_t)w->offers));
	json_object_object_add(o, "answered", json_object_new_int64((int64_t)w->answered));
	json_object_object_add(o, "refused", json_object_new_int64((int64_t)w->refused));
	json_object_object_add(o, "installed", json_object_new_int64((int64_t)w->installed));
	json_object_object_add(o, "install_failed", json_object_new_int64((int64_t)w->install_failed));
	json_object_object_add(o, "ended", json_object_new_int64((int64_t)w->ended));
	json_object_object_add(o, "paused", json_object_new_int64((int64_t)w->paused));
	json_object_object_add(o, "resumed", json_object_new_int64((int64_t)w->resumed));
	json_object_object_add(o, "stun_answered", json_object_new_int64((int64_t)w->stun_answered));
	json_object_object_add(o, "stun_bad_integrity", json_object_new_int64((int64_t)w->stun_bad_integrity));
	json_object_object_add(o, "stun_unknown_username", json_object_new_int64((int64_t)w->stun_unknown_username));
	json_object_object_add(o, "stun_refused_other", json_object_new_int64((int64_t)w->stun_refused_other));
	json_object_object_add(o, "stun_no_session", json_object_new_int64((int64_t)w->stun_no_session));
	json_object_object_add(o, "dtls_no_session", json_object_new_int64((int64_t)w->dtls_no_session));
	json_object_object_add(o, "dtls_unchecked", json_object_new_int64((int64_t)w->dtls_unchecked));
	json_object_object_add(o, "punt_rx", json_object_new_int64((int64_t)w->punt.rx));
	json_object_object_add(o, "punt_tx", json_object_new_int64((int64_t)w->punt.tx));
	json_object_object_add(o, "punt_tx_dropped", json_object_new_int64((int64_t)w->punt.tx_dropped));
	json_object_object_add(o, "punt_rx_malformed", json_object_new_int64((int64_t)w->punt.rx_bad));
	json_object_object_add(j, "webrtc", o);
}
