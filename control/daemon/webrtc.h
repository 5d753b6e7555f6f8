/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * WebRTC sessions: what the HTTP API (http_*.c, docs/webrtc.md "HTTP
 * API") asks of the daemon's main thread for WHEP and WHIP.
 *
 * Both functions run on the main thread (SQLite and the gateway link are
 * its), called by http_service() for one request at a time, after the
 * HTTP layer has checked:
 *   - the bearer token: who is its owner's principal (never admin: there
 *     are no admin tokens);
 *   - for an offer: the stream exists, and who may view it (WHEP: its
 *     owner, or an owner holding a grant on it) or publish to it (WHIP:
 *     its owner), by http_stream_access() (http.h);
 *   - the names: a stream's name or a session's id is 1 to 63 of
 *     A-Z a-z 0-9 _ . - (a session id the answer's Location gave out
 *     must be made of those too);
 *   - the offer: Content-Type application/sdp, 1 to http_max_body bytes,
 *     with a NUL after offer[len] (the bytes themselves are unchecked:
 *     they may hold anything, NULs included).
 *
 * Each returns the HTTP status and fills out (zeroed by the caller):
 *   - 201 for a session made: body and len the SDP answer (malloc'd; the
 *     HTTP layer sends it, then cleanses and frees it: it holds the
 *     session's ICE password), location "/whep/session/ID" (or
 *     /whip/session/ID), etag the session's entity tag with its quotes
 *     ("\"...\"", RFC 9110 8.8.3); content_type "" means application/sdp;
 *   - 200 for a session ended (webrtc_delete); no body needed;
 *   - otherwise an error status (400/422 for an offer the SDP module
 *     refuses, 403 for a session of another owner, 404 for no such
 *     session, 409, 503 with retry_after when http_max_sessions sessions
 *     exist, 500): reason one line saying why (no newline; never a key, an
 *     ICE password or a token), body NULL. Nothing may be left created.
 * A status outside 200..599, or a 201 without location, is answered 500
 * by the HTTP layer (and logged): the caller's bug.
 *
 * control/daemon/webrtc_stub.c answers 501 to both until the sessions
 * exist.
 */
#ifndef SRTPGW_WEBRTC_H
#define SRTPGW_WEBRTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_daemon;
struct ctl_principal;
struct gw_ops;

struct webrtc_reply {
	char *body;             /* malloc'd, or NULL */
	size_t len;
	char content_type[64];  /* "" = application/sdp when there is a body */
	char location[128];     /* 201: the session's path */
	char etag[64];          /* 201: the session's entity tag, quoted */
	char reason[200];       /* an error's one line */
	unsigned retry_after;   /* 503, 429: seconds (0: no Retry-After) */
};

/* An offer for stream: WHIP (whip, a camera publishing) or WHEP (a
 * viewer). The offer is len bytes at offer. */
int webrtc_offer(struct ctl_daemon *d, const struct ctl_principal *who, bool whip, const char *stream,
		 const char *offer, size_t len, struct webrtc_reply *out);

/* End the session of that id (who must be its owner, or admin). */
int webrtc_delete(struct ctl_daemon *d, const struct ctl_principal *who, bool whip, const char *session,
		  struct webrtc_reply *out);

/* The daemon's side (webrtc_engine.c). At start, after the store is open:
 * the DTLS certificate (its key only in memory) and the sessions of the
 * WebRTC legs in the store. 0, or -1 with err. */
int webrtc_open(struct ctl_daemon *d, char *err, size_t errlen);
void webrtc_close(struct ctl_daemon *d);
/* The punt channel's descriptor to poll (-1: not connected). */
int webrtc_poll_fd(struct ctl_daemon *d);
/* Every turn of the poll loop: (re)connect the punt channel, read what
 * arrived (readable), and let time pass for every session. */
void webrtc_service(struct ctl_daemon *d, bool readable, uint64_t now_ms);
/* The full push: PORT_ADD for the ports of sessions being set up. */
int webrtc_sync_ops(struct ctl_daemon *d, struct gw_ops *ops);
/* Inside a change, before its push: the sessions whose viewers it deletes
 * tell their peers (DTLS close_notify) while their ports still punt. */
void webrtc_before_push(struct ctl_daemon *d);
unsigned webrtc_sessions(const struct ctl_daemon *d);

/* Queries (webrtc_show.c): what viewer show, stream show and status say
 * of WebRTC, added to j. gw: the gateway's stats of the viewer, or NULL. */
struct json_object;
struct sgw_viewer_stats;
void webrtc_viewer_json(struct ctl_daemon *d, int64_t viewer_id, const struct sgw_viewer_stats *gw,
			struct json_object *j);
void webrtc_stream_json(struct ctl_daemon *d, int64_t stream_id, struct json_object *j);
void webrtc_status_json(struct ctl_daemon *d, struct json_object *j);

#endif
