/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WebRTC sessions inside srtpgw-control (docs/webrtc.md, "Sessions"): the
 * glue between the HTTP API (webrtc.h), the protocol modules (sdp, ice,
 * dtls: sans-I/O), the punt channel (punt_link.h) and the daemon's
 * changes (store and gateway). Main thread only.
 *
 * A session's life:
 *   SETUP   the answer is out; the peer's ICE checks and DTLS handshake
 *           arrive on its port through the punt channel (WHEP: a port of
 *           its own, PORT_ADD with SGW_PORT_PUNT; WHIP: the stream's
 *           listen port, which punts for a WHIP stream)
 *   LIVE    ICE selected an address and DTLS is done: the keys and the
 *           address are in the store and the gateway (WHEP: a viewer with
 *           a port of its own; WHIP: the stream's key and its camera leg)
 *   PAUSED  no authenticated check from its address for consent_ms: the
 *           gateway sends it nothing (VIEWER_SET_DEST to none); a check
 *           from that address, or a nomination of another, resumes it
 *   then ended: by DELETE, the peer's DTLS close_notify, a failure, a
 *   setup that did not finish, or a pause longer than WRTC_PAUSED_END_MS.
 */
#ifndef SRTPGW_WEBRTC_PRIV_H
#define SRTPGW_WEBRTC_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "control/daemon/cert.h"
#include "control/daemon/daemon.h"
#include "control/daemon/dtls.h"
#include "control/daemon/ice.h"
#include "control/daemon/punt_link.h"
#include "control/daemon/store.h"

#define WRTC_ID_LEN 32              /* hex characters of a session id */
#define WRTC_SETUP_MS 30000         /* ICE and DTLS must be done within */
#define WRTC_CONSENT_MS 30000       /* RFC 7675: no authenticated check that long: paused */
#define WRTC_PAUSED_END_MS 120000   /* paused that long: ended */
#define WRTC_PUNT_RETRY_MS 1000     /* between attempts to reach the punt socket */
#define WRTC_PUNT_BATCH 64          /* datagrams read a turn */
#define WRTC_CHECK_MS 1000          /* how often live sessions are checked against the store */

enum wrtc_state { WRTC_SETUP, WRTC_LIVE, WRTC_PAUSED };

struct wrtc_session {
	struct wrtc_session *next;
	char id[WRTC_ID_LEN + 1];
	bool whip;
	enum wrtc_state state;
	bool restored;                  /* made from the store at start: no DTLS */
	int64_t stream_id, owner_id;
	int64_t viewer_id;              /* LIVE: the viewer (WHEP) or camera leg (WHIP) */
	struct sgw_endpoint local;      /* the gateway's address and port: our candidate */
	struct sgw_endpoint remote;     /* the address media goes to; family NONE: none yet */
	struct ice_agent *ice;
	struct dtls_session *dtls;
	char ufrag[ICE_UFRAG_MAX + 1], remote_ufrag[ICE_UFRAG_MAX + 1];
	/* what the answer chose */
	uint8_t codec, pt;              /* WHEP: the viewer's; WHIP: the camera's */
	int8_t pmode;
	uint32_t plid;
	bool nack;                      /* WHEP: the answer took generic NACK: the gateway answers them */
	uint32_t ssrc;                  /* WHEP: the SSRC the answer named (the first lane's) */
	uint64_t created_ms, last_check_ms, paused_ms;
	uint64_t dtls_done_ms;          /* when DTLS connected; 0 = not yet */
};

struct wrtc {
	struct punt_link punt;
	uint64_t punt_retry_ms;
	struct cert cert;               /* DTLS: made at start, its key only in memory */
	struct dtls_ctx *dtls;
	struct wrtc_session *sessions;
	unsigned n_sessions;
	uint64_t next_check_ms;         /* when the sessions are next checked against the store */
	/* counters (docs/webrtc.md "Counters") */
	uint64_t offers, answered, refused, installed, ended, paused, resumed;
	uint64_t stun_no_session, dtls_no_session, dtls_unchecked, install_failed;
	uint64_t stun_answered, stun_bad_integrity, stun_unknown_username, stun_refused_other;
};

/* webrtc_engine.c */
struct wrtc_session *wrtc_session_new(struct ctl_daemon *d, bool whip, uint64_t now_ms);
/* Unlinks and frees (cleanses) s; nothing of the store or gateway. */
void wrtc_session_free(struct ctl_daemon *d, struct wrtc_session *s);
struct wrtc_session *wrtc_find_id(struct ctl_daemon *d, const char *id);
/* The ICE password of session id: derived from the KEK, so that a
 * restarted srtpgw-control answers the same checks (store_derive_secret). */
int wrtc_ice_pwd(struct ctl_daemon *d, const char *id, char pwd[ICE_PWD_LEN + 1]);
/* Datagrams s's modules want sent, out through the punt channel. */
void wrtc_flush_dtls(struct ctl_daemon *d, struct wrtc_session *s);

/* webrtc_live.c: changes of the store and the gateway. 0, or -errno with
 * err set (the session is as it was). */
int wrtc_install(struct ctl_daemon *d, struct wrtc_session *s, const struct dtls_srtp_keys *k,
		 char *err, size_t errlen);
int wrtc_set_dest(struct ctl_daemon *d, struct wrtc_session *s, const struct sgw_endpoint *to,
		  char *err, size_t errlen);
/* Ends s in the store and the gateway (the session itself stays: the
 * caller frees it). why: for the log; *pending (pending may be NULL): the
 * gateway has not applied it yet (away, or not within apply_timeout). */
int wrtc_end(struct ctl_daemon *d, struct wrtc_session *s, const char *why, bool *pending);
/* Whether a live session's viewer row is gone (in the store's current
 * view: a change that deleted it ended the session already). */
bool wrtc_viewer_gone(struct ctl_daemon *d, const struct wrtc_session *s);
/* At start: a session for every WebRTC leg in the store. */
int wrtc_restore(struct ctl_daemon *d, uint64_t now_ms);

#endif
