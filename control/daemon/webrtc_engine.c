/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WebRTC sessions, the engine (webrtc_priv.h): the session table, the
 * punt channel's datagrams to each session's ICE agent and DTLS server and
 * their answers back, and time (setup deadline, consent, DTLS timers).
 *
 * Demultiplexing: a session owns its port (WHEP: one of its own; WHIP: its
 * stream's listen port, one publisher at a time), so the datagram's local
 * endpoint names the session. STUN (RFC 7983: first byte 0-3) goes to the
 * ICE agent; DTLS (20-63) to the DTLS server, and only from an address
 * that passed an authenticated ICE check (the server sends no
 * HelloVerifyRequest cookie: ICE is what proves the peer owns its
 * address).
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
#include "control/daemon/webrtc.h"
#include "control/daemon/webrtc_priv.h"

static struct wrtc *W(struct ctl_daemon *d)
{
	return d->wrtc;
}

/* ---- sessions ------------------------------------------------------------------- */

struct wrtc_session *wrtc_session_new(struct ctl_daemon *d, bool whip, uint64_t now_ms)
{
	struct wrtc_session *s = calloc(1, sizeof(*s));
	uint8_t r[WRTC_ID_LEN / 2];

	if (s == NULL)
		return NULL;
	if (RAND_bytes(r, sizeof(r)) != 1) {
		free(s);
		return NULL;
	}
	for (unsigned i = 0; i < sizeof(r); i++)
		snprintf(s->id + 2 * i, 3, "%02x", r[i]);
	s->whip = whip;
	s->state = WRTC_SETUP;
	s->created_ms = now_ms;
	s->next = W(d)->sessions;
	W(d)->sessions = s;
	W(d)->n_sessions++;
	return s;
}

void wrtc_session_free(struct ctl_daemon *d, struct wrtc_session *s)
{
	for (struct wrtc_session **p = &W(d)->sessions; *p != NULL; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			W(d)->n_sessions--;
			break;
		}
	}
	ice_agent_free(s->ice);
	dtls_session_free(s->dtls);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

struct wrtc_session *wrtc_find_id(struct ctl_daemon *d, const char *id)
{
	for (struct wrtc_session *s = W(d)->sessions; s != NULL; s = s->next)
		if (strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

static struct wrtc_session *find_local(struct ctl_daemon *d, const struct sgw_endpoint *local)
{
	for (struct wrtc_session *s = W(d)->sessions; s != NULL; s = s->next)
		if (s->local.port == local->port && sgw_addr_equal(&s->local.addr, &local->addr))
			return s;
	return NULL;
}

int wrtc_ice_pwd(struct ctl_daemon *d, const char *id, char pwd[ICE_PWD_LEN + 1])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char label[64];
	uint8_t sec[32];
	int rc;

	snprintf(label, sizeof(label), "ice-pwd/%s", id);
	rc = store_derive_secret(d->store, label, sec);
	if (rc != 0)
		return rc;
	/* 6 bits a character: 32 ice-chars (ALPHA DIGIT + /) from 24 bytes */
	for (unsigned i = 0; i < ICE_PWD_LEN; i++) {
		unsigned bit = 6 * i;
		unsigned v = (unsigned)(sec[bit / 8] << 8 | sec[bit / 8 + 1]) >> (10 - bit % 8);
		pwd[i] = b64[v & 63];
	}
	pwd[ICE_PWD_LEN] = '\0';
	OPENSSL_cleanse(sec, sizeof(sec));
	return 0;
}

void wrtc_flush_dtls(struct ctl_daemon *d, struct wrtc_session *s)
{
	uint8_t buf[DTLS_MTU_MAX];
	size_t n;

	if (s->dtls == NULL)
		return;
	while ((n = dtls_session_pop(s->dtls, buf, sizeof(buf))) > 0) {
		/* to where the handshake comes from: an address ICE validated */
		if (s->remote.addr.family != SGW_AF_NONE)
			punt_link_send(&W(d)->punt, &s->local, &s->remote, buf, n);
	}
}

/* ---- what happens to a session ------------------------------------------------------- */

static void end_session(struct ctl_daemon *d, struct wrtc_session *s, const char *why)
{
	wrtc_end(d, s, why, NULL);
	wrtc_session_free(d, s);
}

/* ICE and DTLS both done: the keys and the address into the gateway. */
static void maybe_install(struct ctl_daemon *d, struct wrtc_session *s)
{
	struct dtls_srtp_keys k;
	struct sgw_endpoint sel;
	char err[256];

	if (s->state != WRTC_SETUP || s->dtls == NULL || dtls_session_state(s->dtls) != DTLS_CONNECTED)
		return;
	/* The nominated address; before the peer nominated one (Chromium may
	 * nominate a second after DTLS is done), the address DTLS came from,
	 * which passed an authenticated check: RFC 8445 12.1 lets data go on
	 * any valid pair before one is selected, and a later nomination moves
	 * the media (ice_events). */
	if (ice_agent_selected(s->ice, &sel))
		s->remote = sel;
	else if (s->remote.addr.family == SGW_AF_NONE || !ice_agent_is_valid(s->ice, &s->remote))
		return;
	if (dtls_session_srtp_keys(s->dtls, &k) != 0)
		return;
	if (wrtc_install(d, s, &k, err, sizeof(err)) != 0) {
		W(d)->install_failed++;
		sgw_log(LOG_WARNING, "webrtc session %s: cannot install it: %s", s->id, err);
		OPENSSL_cleanse(&k, sizeof(k));
		end_session(d, s, "install failed");
		return;
	}
	OPENSSL_cleanse(&k, sizeof(k));
	s->state = WRTC_LIVE;
	s->last_check_ms = ctl_now_ms();
	W(d)->installed++;
}

static void set_dest(struct ctl_daemon *d, struct wrtc_session *s, const struct sgw_endpoint *to)
{
	char err[256], at[SGW_ADDR_STRLEN + 8];

	if (wrtc_set_dest(d, s, to, err, sizeof(err)) != 0) {
		sgw_log(LOG_WARNING, "webrtc session %s: %s", s->id, err);
		return;
	}
	if (to->addr.family == SGW_AF_NONE) {
		s->state = WRTC_PAUSED;
		s->paused_ms = ctl_now_ms();
		W(d)->paused++;
		sgw_log(LOG_INFO, "webrtc session %s: consent lapsed, paused", s->id);
	} else {
		if (s->state == WRTC_PAUSED)
			W(d)->resumed++;
		s->state = WRTC_LIVE;
		s->remote = *to;
		sgw_log(LOG_INFO, "webrtc session %s: sending to %s", s->id,
			sgw_endpoint_format(to, at, sizeof(at)));
	}
}

static void ice_events(struct ctl_daemon *d, struct wrtc_session *s, const struct ice_output *o,
		       uint64_t now_ms)
{
	for (unsigned i = 0; i < o->n_events; i++) {
		const struct ice_event *ev = &o->events[i];
		bool ours = ev->addr.port == s->remote.port && sgw_addr_equal(&ev->addr.addr, &s->remote.addr);

		switch (ev->type) {
		case ICE_EV_CHECK:
			/* consent (RFC 7675) of the address media goes to */
			if (ours || s->remote.addr.family == SGW_AF_NONE)
				s->last_check_ms = now_ms;
			if (ours && s->state == WRTC_PAUSED)
				set_dest(d, s, &ev->addr);
			break;
		case ICE_EV_SELECTED:
			if (ev->addr.addr.family == SGW_AF_NONE)
				break; /* the consent timer pauses it */
			if (s->state == WRTC_SETUP) {
				s->remote = ev->addr; /* where DTLS goes, and media once live */
				s->last_check_ms = now_ms;
			} else if (!ours || s->state == WRTC_PAUSED) {
				s->last_check_ms = now_ms;
				set_dest(d, s, &ev->addr); /* nominated elsewhere: media follows */
			}
			break;
		case ICE_EV_CONSENT_LAPSED:
		case ICE_EV_FAILED:
			break;
		}
	}
}

static void stun_in(struct ctl_daemon *d, struct wrtc_session *s, const uint8_t *p, size_t n,
		    const struct sgw_endpoint *from, uint64_t now_ms)
{
	uint8_t reply[ICE_REPLY_MAX];
	struct ice_output o;

	ice_agent_input(s->ice, p, n, from, now_ms, reply, &o);
	/* what failed integrity or named another username got nothing */
	if (o.refusal == ICE_ACCEPTED)
		W(d)->stun_answered++;
	else if (o.refusal == ICE_REFUSED_BAD_INTEGRITY)
		W(d)->stun_bad_integrity++;
	else if (o.refusal == ICE_REFUSED_UNKNOWN_USERNAME)
		W(d)->stun_unknown_username++;
	else
		W(d)->stun_refused_other++;
	if (o.reply_len > 0)
		punt_link_send(&W(d)->punt, &s->local, from, reply, o.reply_len);
	ice_events(d, s, &o, now_ms);
}

static void dtls_in(struct ctl_daemon *d, struct wrtc_session *s, const uint8_t *p, size_t n,
		    const struct sgw_endpoint *from, uint64_t now_ms)
{
	enum dtls_event_type ev;

	if (s->dtls == NULL) {
		W(d)->dtls_no_session++;
		return;
	}
	if (!ice_agent_is_valid(s->ice, from)) {
		W(d)->dtls_unchecked++;
		return;
	}
	if (s->state == WRTC_SETUP && s->remote.addr.family == SGW_AF_NONE)
		s->remote = *from;
	dtls_session_input(s->dtls, p, n, now_ms);
	wrtc_flush_dtls(d, s);
	while (dtls_session_poll_event(s->dtls, &ev)) {
		if (ev == DTLS_EV_CONNECTED) {
			s->dtls_done_ms = now_ms;
			maybe_install(d, s);
			return; /* s may be gone */
		}
		if (ev == DTLS_EV_FAILED || ev == DTLS_EV_CLOSED) {
			sgw_log(LOG_INFO, "webrtc session %s: DTLS %s%s%s", s->id,
				ev == DTLS_EV_CLOSED ? "closed by the peer" : "failed",
				ev == DTLS_EV_FAILED ? ": " : "",
				ev == DTLS_EV_FAILED ? dtls_session_error(s->dtls) : "");
			end_session(d, s, ev == DTLS_EV_CLOSED ? "closed by the peer" : "DTLS failed");
			return;
		}
	}
}

static void datagram(struct ctl_daemon *d, const struct sgw_punt_hdr *h, const uint8_t *p,
		     uint64_t now_ms)
{
	struct wrtc_session *s = find_local(d, &h->local);

	if (h->len == 0)
		return;
	if (p[0] <= 3) {
		if (s == NULL || s->ice == NULL) {
			W(d)->stun_no_session++;
			return;
		}
		stun_in(d, s, p, h->len, &h->remote, now_ms);
		if (s->state == WRTC_SETUP)
			maybe_install(d, s);
	} else if (p[0] >= 20 && p[0] <= 63) {
		if (s == NULL) {
			W(d)->dtls_no_session++;
			return;
		}
		dtls_in(d, s, p, h->len, &h->remote, now_ms);
	}
}

/* ---- time ---------------------------------------------------------------------- */

/* ms from then to now; 0 if then is later (a time taken after now was) */
static uint64_t since(uint64_t now_ms, uint64_t then_ms)
{
	return now_ms > then_ms ? now_ms - then_ms : 0;
}

static void session_tick(struct ctl_daemon *d, struct wrtc_session *s, uint64_t now_ms)
{
	struct ice_output o;

	ice_agent_tick(s->ice, now_ms, &o);
	ice_events(d, s, &o, now_ms);
	if (s->dtls != NULL && now_ms >= dtls_session_next_timeout(s->dtls)) {
		dtls_session_tick(s->dtls, now_ms);
		wrtc_flush_dtls(d, s);
		if (dtls_session_state(s->dtls) == DTLS_FAILED) {
			sgw_log(LOG_INFO, "webrtc session %s: DTLS failed: %s", s->id,
				dtls_session_error(s->dtls));
			end_session(d, s, "DTLS failed");
			return;
		}
	}
	switch (s->state) {
	case WRTC_SETUP:
		if (since(now_ms, s->created_ms) >= WRTC_SETUP_MS) {
			sgw_log(LOG_INFO, "webrtc session %s: ICE and DTLS not done within %u s", s->id,
				WRTC_SETUP_MS / 1000);
			end_session(d, s, "setup timed out");
		}
		break;
	case WRTC_LIVE:
		if (since(now_ms, s->last_check_ms) >= WRTC_CONSENT_MS) {
			static const struct sgw_endpoint none;
			set_dest(d, s, &none);
		}
		break;
	case WRTC_PAUSED:
		if (since(now_ms, s->paused_ms) >= WRTC_PAUSED_END_MS) {
			sgw_log(LOG_INFO, "webrtc session %s: paused for %u s, ended", s->id,
				WRTC_PAUSED_END_MS / 1000);
			end_session(d, s, "consent lapsed");
		}
		break;
	}
}

/* Whether session s's viewer row is gone (in the store's current view:
 * inside a change's transaction, that change's deletions count). */
bool wrtc_viewer_gone(struct ctl_daemon *d, const struct wrtc_session *s)
{
	struct store_webrtc w;
	int rc;

	if (s->state == WRTC_SETUP)
		return false;
	rc = store_webrtc_get(d->store, s->viewer_id, &w);
	store_webrtc_cleanse(&w);
	return rc == -ENOENT;
}

/* A live session whose viewer was deleted meanwhile (srtpgwctl viewer del,
 * stream del, owner del, grant del: the gateway stopped sending in that
 * change) ends; webrtc_before_push told its peer already. */
static void forget_deleted(struct ctl_daemon *d)
{
	for (struct wrtc_session *s = W(d)->sessions, *next; s != NULL; s = next) {
		next = s->next;
		if (!wrtc_viewer_gone(d, s))
			continue;
		sgw_log(LOG_INFO, "webrtc session %s: its viewer was deleted, ended", s->id);
		if (s->dtls != NULL) { /* told already unless the change was made while the gateway was away */
			dtls_session_close(s->dtls);
			wrtc_flush_dtls(d, s);
		}
		W(d)->ended++;
		wrtc_session_free(d, s);
	}
}

void webrtc_before_push(struct ctl_daemon *d)
{
	if (W(d) == NULL)
		return;
	/* The session's port goes with its viewer in the push; the punt
	 * channel sends only from a port that punts: the close_notify must
	 * go first. Should the gateway refuse the change, the peer that was
	 * told leaves, and its session ends when consent lapses. */
	for (struct wrtc_session *s = W(d)->sessions; s != NULL; s = s->next) {
		if (s->dtls == NULL || !wrtc_viewer_gone(d, s))
			continue;
		dtls_session_close(s->dtls);
		wrtc_flush_dtls(d, s);
	}
}

/* ---- the daemon's side (webrtc.h) ---------------------------------------------------- */

int webrtc_open(struct ctl_daemon *d, char *err, size_t errlen)
{
	struct wrtc *w = calloc(1, sizeof(*w));

	d->wrtc = w;
	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	punt_link_init(&w->punt, d->cfg.punt_socket);
	if (cert_make_self_signed(&w->cert, "srtpgw-control", err, errlen) != 0)
		return -1;
	w->dtls = dtls_ctx_new(w->cert.x509, w->cert.key, err, errlen);
	if (w->dtls == NULL)
		return -1;
	if (wrtc_restore(d, ctl_now_ms()) != 0)
		sgw_log(LOG_WARNING, "webrtc: restoring the sessions: %s", store_errmsg(d->store));
	return 0;
}

void webrtc_close(struct ctl_daemon *d)
{
	struct wrtc *w = W(d);

	if (w == NULL)
		return;
	while (w->sessions != NULL)
		wrtc_session_free(d, w->sessions);
	punt_link_close(&w->punt);
	dtls_ctx_free(w->dtls);
	cert_free(&w->cert);
	free(w);
	d->wrtc = NULL;
}

int webrtc_poll_fd(struct ctl_daemon *d)
{
	return W(d) != NULL ? W(d)->punt.fd : -1;
}

void webrtc_service(struct ctl_daemon *d, bool readable, uint64_t now_ms)
{
	struct wrtc *w = W(d);
	uint8_t payload[SGW_PUNT_MAX_PAYLOAD];
	struct sgw_punt_hdr h;

	if (w == NULL)
		return;
	if (!punt_link_up(&w->punt) && now_ms >= w->punt_retry_ms) {
		w->punt_retry_ms = now_ms + WRTC_PUNT_RETRY_MS;
		if (punt_link_connect(&w->punt) == 0)
			sgw_log(LOG_INFO, "connected to the gateway's punt socket at %s", w->punt.path);
	}
	for (unsigned k = 0; readable && k < WRTC_PUNT_BATCH; k++) {
		int r = punt_link_recv(&w->punt, &h, payload, sizeof(payload));
		if (r <= 0) {
			if (r < 0)
				sgw_log(LOG_WARNING, "%s", w->punt.last_error);
			break;
		}
		datagram(d, &h, payload, now_ms);
	}
	for (struct wrtc_session *s = w->sessions, *next; s != NULL; s = next) {
		next = s->next; /* the tick may end s */
		session_tick(d, s, now_ms);
	}
	if (now_ms >= w->next_check_ms) {
		w->next_check_ms = now_ms + WRTC_CHECK_MS;
		forget_deleted(d);
	}
	OPENSSL_cleanse(payload, sizeof(payload));
}

int webrtc_sync_ops(struct ctl_daemon *d, struct gw_ops *ops)
{
	if (W(d) == NULL)
		return 0;
	for (struct wrtc_session *s = W(d)->sessions; s != NULL; s = s->next) {
		struct sgw_op_port op = { .local = s->local, .flags = SGW_PORT_PUNT };
		/* a WHEP session being set up holds its port (a WHIP one uses
		 * its stream's, which punts) */
		if (s->state == WRTC_SETUP && !s->whip && gw_ops_add(ops, SGW_OP_PORT_ADD, &op, sizeof(op)) != 0)
			return -ENOMEM;
	}
	return 0;
}

unsigned webrtc_sessions(const struct ctl_daemon *d)
{
	return d->wrtc != NULL ? d->wrtc->n_sessions : 0;
}
