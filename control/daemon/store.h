/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's durable state: owners, streams, viewers, grants,
 * quarantined listen ports, the positions of SRTP contexts, bearer tokens
 * (hashed) and a change counter, in SQLite (WAL,
 * synchronous=FULL, foreign keys on). Keys are stored encrypted with the
 * key-encryption key (AES-256-GCM, a random nonce per key, the row's kind
 * and name as associated data), and come back decrypted in the structs
 * below; callers cleanse them (store_*_cleanse) when done.
 *
 * Every function returns 0 or a negative errno: -ENOENT (no such row),
 * -EEXIST (name taken), -EADDRINUSE (listen endpoint used by a stream),
 * -EIO (SQLite or crypto failure; store_errmsg() says more, never with key
 * material). Writes must happen inside store_begin()/store_commit().
 */
#ifndef SRTPGW_STORE_H
#define SRTPGW_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "api/srtpgw_agent.h"

#define STORE_NAME_MAX 64 /* including the NUL */

struct store;

struct store_owner {
	int64_t id;
	char name[STORE_NAME_MAX];
};

struct store_stream {
	int64_t id;
	char name[STORE_NAME_MAX];
	int64_t owner_id;
	struct sgw_endpoint listen;
	struct sgw_endpoint source;   /* family SGW_AF_NONE = any sender */
	struct sgw_key key;           /* suite PLAIN (len 0) for plain RTP */
	struct sgw_key old_key;       /* during a rekey overlap, else len 0 */
	int64_t overlap_until;        /* unix seconds, 0 = no overlap */
	uint32_t idle_timeout_s;      /* 0 = never idle */
};

struct store_viewer {
	int64_t id;
	char name[STORE_NAME_MAX];
	int64_t stream_id;
	int64_t owner_id;
	struct sgw_endpoint dest;
	struct sgw_key key;           /* suite PLAIN (len 0) for plain RTP */
};

/* The key-encryption key: 32 bytes read from path; if path does not exist
 * it is created (mode 0600) with 32 bytes from OpenSSL's CSPRNG. A file
 * that is not 32 bytes, or that group or others may read or write, is
 * refused. 0, or -1 with err set. */
int store_kek_load(const char *path, uint8_t kek[32], char *err, size_t errlen);

/* Open (creating the schema if needed). The kek is copied. */
int store_open(const char *path, const uint8_t kek[32], struct store **out,
	       char *err, size_t errlen);
void store_close(struct store *s);
const char *store_errmsg(const struct store *s);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Hooks around every transaction, for a fleet (fleet.h): begin runs right
 * after BEGIN, commit right before COMMIT; an error of either rolls the
 * transaction back and is returned, its err text in store_errmsg(). */
struct store_hooks {
	int (*begin)(void *arg, char *err, size_t errlen);
	int (*commit)(void *arg, char *err, size_t errlen);
	/* the transaction ended: committed, or rolled back (also after the
	 * commit hook ran: what it wrote elsewhere is not in this store) */
	void (*end)(void *arg, bool committed);
	void *arg;
};
void store_set_hooks(struct store *s, const struct store_hooks *h);
/* Run the commit hook now, so that a change is written to the fleet before
 * the gateway is told; store_commit then does not run it again. After it,
 * the transaction may write only the controller's own tables (the change
 * counter, pending changes, the gateway's version). On error the
 * transaction stays open: the caller rolls back. */
int store_prepare_commit(struct store *s);

/* The change counter: store_bump_seq() (inside a transaction) increments
 * it and returns the new value; store_seq() reads the committed value. */
int store_bump_seq(struct store *s, uint64_t *seq);
uint64_t store_seq(struct store *s);

int store_counts(struct store *s, unsigned *owners, unsigned *streams, unsigned *viewers);

/* ---- owners ---- */
int store_owner_add(struct store *s, const char *name, int64_t *id);
int store_owner_by_name(struct store *s, const char *name, struct store_owner *o);
int store_owner_by_id(struct store *s, int64_t id, struct store_owner *o);
/* Deletes the owner, its streams (with their viewers and grants), its own
 * viewers on other streams and the grants it holds; *n_streams and
 * *n_viewers say how many went. Deleted streams' listen endpoints are
 * quarantined until now + quarantine_s. */
int store_owner_del(struct store *s, int64_t id, int64_t now, uint32_t quarantine_s,
		    unsigned *n_streams, unsigned *n_viewers);
/* Calls cb for every owner in name order; a non-zero return stops and is
 * returned. */
int store_owner_foreach(struct store *s,
			int (*cb)(void *arg, const struct store_owner *o, unsigned n_streams,
				  unsigned n_viewers),
			void *arg);

/* ---- streams ---- */
/* Sets st->id. -EEXIST if the name is taken, -EADDRINUSE if a stream
 * listens on st->listen. (Quarantine is checked by the caller with
 * store_listen_state().) */
int store_stream_add(struct store *s, struct store_stream *st);
int store_stream_by_name(struct store *s, const char *name, struct store_stream *st);
int store_stream_by_id(struct store *s, int64_t id, struct store_stream *st);
/* Writes key, old_key and overlap_until of st->id. */
int store_stream_set_keys(struct store *s, const struct store_stream *st);
/* Deletes the stream, its viewers and grants; *n_viewers says how many
 * viewers went; its listen endpoint is quarantined until now + quarantine_s. */
int store_stream_del(struct store *s, int64_t id, int64_t now, uint32_t quarantine_s,
		     unsigned *n_viewers);
/* owner_id 0 = every stream; in name order. */
int store_stream_foreach(struct store *s, int64_t owner_id,
			 int (*cb)(void *arg, const struct store_stream *st), void *arg);
/* Streams whose rekey overlap ended at or before now. */
int store_stream_foreach_overlap_expired(struct store *s, int64_t now,
					 int (*cb)(void *arg, const struct store_stream *st),
					 void *arg);

enum store_listen_state { STORE_LISTEN_FREE, STORE_LISTEN_IN_USE, STORE_LISTEN_QUARANTINED };
/* Is the endpoint (address and port) used by a stream, or quarantined at now? */
int store_listen_state(struct store *s, const struct sgw_endpoint *listen, int64_t now,
		       enum store_listen_state *state);

/* ---- viewers ---- */
int store_viewer_add(struct store *s, struct store_viewer *v); /* sets v->id */
int store_viewer_by_name(struct store *s, const char *name, struct store_viewer *v);
int store_viewer_set_key(struct store *s, const struct store_viewer *v);
int store_viewer_del(struct store *s, int64_t id);
/* stream_id 0 = every viewer; in name order. */
int store_viewer_foreach(struct store *s, int64_t stream_id,
			 int (*cb)(void *arg, const struct store_viewer *v), void *arg);
/* Deletes owner_id's viewers on stream_id; *n says how many. */
int store_viewer_del_by_owner(struct store *s, int64_t stream_id, int64_t owner_id, unsigned *n);

/* ---- grants: owner_id may receive stream_id ---- */
int store_grant_add(struct store *s, int64_t stream_id, int64_t owner_id);
int store_grant_del(struct store *s, int64_t stream_id, int64_t owner_id);
int store_grant_exists(struct store *s, int64_t stream_id, int64_t owner_id);  /* 1, 0 or <0 */
/* The owners granted on stream_id, up to max; returns the count or <0. */
int store_grant_list(struct store *s, int64_t stream_id, int64_t *owners, unsigned max);

/* Positions (struct sgw_pos, api/srtpgw_agent.h) of a stream's ingress
 * (viewer false) or a viewer's egress context, as the gateway reported
 * them: kept to hand back to a gateway that restarted. Not changes: they
 * do not move the change counter. Deleted with their stream or viewer. */
int store_pos_get(struct store *s, bool viewer, int64_t id, struct sgw_pos *p); /* -ENOENT: none */
/* A position without SGW_POS_VALID deletes the stored one. -ENOENT if the
 * stream or viewer does not exist. */
int store_pos_set(struct store *s, bool viewer, int64_t id, const struct sgw_pos *p);

/* ---- egress lanes (invariant 8) ---- */
/* A viewer's lane: the SSRC the viewer receives on it and the highest RTP
 * and SRTCP index a gateway may have used on it (its reservation): a
 * gateway's new context for the viewer starts above them. Deleted with
 * the viewer. */
struct store_lane {
	uint32_t ssrc;
	uint64_t rtp_res;
	uint32_t rtcp_res;
};
/* The viewer's lanes, in lane order, up to max: the count, or <0. */
int store_lanes_get(struct store *s, int64_t viewer_id, struct store_lane *l, unsigned max);
/* Replace the viewer's lanes (a new viewer or a rekey). */
int store_lanes_set(struct store *s, int64_t viewer_id, const struct store_lane *l, unsigned n);
/* Raise lane's reservations (never lowers) if the lane has that SSRC:
 * 1 if it has, 0 if there is no such lane (deleted, rekeyed), or <0. */
int store_lane_reserve(struct store *s, int64_t viewer_id, unsigned lane, uint32_t ssrc,
		       uint64_t rtp_res, uint32_t rtcp_res);

/* ---- keys ever used ---- */
/* Remember a key (not PLAIN) by a fingerprint keyed with the KEK: -EEXIST
 * if any stream or viewer was ever given it before, deleted or not (SRTP
 * forbids two contexts of one key: their indices would repeat). */
int store_key_claim(struct store *s, const struct sgw_key *k);

/* ---- the gateway, and changes it has not applied ---- */
/* boot_id and table version of the gateway after the last change it
 * applied for us (0 and 0: none known). */
int store_gw_get(struct store *s, uint64_t *boot_id, uint64_t *version);
int store_gw_set(struct store *s, uint64_t boot_id, uint64_t version);
#define STORE_PENDING_WHAT_MAX 160
/* A change (its ctl_seq) committed while the gateway could not apply it;
 * actor: the owner whose principal made it (0: admin, or the daemon). */
int store_pending_add(struct store *s, uint64_t seq, int64_t at, int64_t actor, const char *what);
/* Forget those up to seq: the gateway has them. */
int store_pending_clear(struct store *s, uint64_t upto);
/* In order of seq; a non-zero return stops and is returned. */
int store_pending_foreach(struct store *s,
			  int (*cb)(void *arg, uint64_t seq, int64_t at, int64_t actor, const char *what),
			  void *arg);

/* ---- WebRTC (store_webrtc.c) ---- */
/* What a stream carries: its codec and RTP payload type (SDES: as the
 * operator declared it; WHIP: as the camera's offer chose), for the
 * answers to its WebRTC viewers. whip: the stream's camera publishes over
 * WHIP (its key is set by each session). Deleted with the stream. */
struct store_media {
	uint8_t codec;                /* enum sdp_codec (control/daemon/sdp.h) */
	uint8_t pt;                   /* what the camera sends */
	int8_t pmode;                 /* H.264 packetization-mode, -1: any */
	bool whip;
	uint32_t plid;                /* H.264 profile-level-id, 0: any */
};
int store_media_get(struct store *s, int64_t stream_id, struct store_media *m); /* -ENOENT: none */
int store_media_set(struct store *s, int64_t stream_id, const struct store_media *m);

/* A WebRTC leg: a WHEP viewer, or the camera leg of a WHIP stream (whip),
 * kept with its viewer row (deleted with it): what the gateway needs
 * besides the viewer (its port of its own, payload type, the peer's RTCP
 * key) and what the session needs to go on after a restart of
 * srtpgw-control (its ICE username fragments; the password is derived,
 * store_derive_secret, never stored). */
#define STORE_SESSION_MAX 40
#define STORE_UFRAG_MAX 257
struct store_webrtc {
	int64_t viewer_id;
	char session[STORE_SESSION_MAX];
	bool whip;
	bool paused;                  /* its consent lapsed: nothing is sent to it */
	uint16_t local_port;          /* 0: the stream's listen port */
	uint16_t flags;               /* SGW_VIEWER_* */
	int16_t pt_in, pt_out;        /* -1: no rewrite */
	struct sgw_key rtcp_key;      /* suite PLAIN, len 0: none */
	char ufrag[STORE_UFRAG_MAX];
	char remote_ufrag[STORE_UFRAG_MAX];
	int64_t created;              /* unix seconds */
};
int store_webrtc_add(struct store *s, const struct store_webrtc *w);
int store_webrtc_get(struct store *s, int64_t viewer_id, struct store_webrtc *w); /* -ENOENT: none */
int store_webrtc_by_session(struct store *s, const char *session, struct store_webrtc *w);
int store_webrtc_set_paused(struct store *s, int64_t viewer_id, bool paused);
/* Is local_port some leg's port of its own? 1, 0, or <0. */
int store_webrtc_port_used(struct store *s, uint16_t local_port);
/* A viewer's destination (a WebRTC viewer's address moved). */
int store_viewer_set_dest(struct store *s, int64_t viewer_id, const struct sgw_endpoint *dest);
/* Every leg, in viewer id order. */
int store_webrtc_foreach(struct store *s, int (*cb)(void *arg, const struct store_webrtc *w), void *arg);
void store_webrtc_cleanse(struct store_webrtc *w);
/* A secret for label, derived from the key-encryption key (HMAC-SHA256):
 * the same for the same label as long as the KEK is. */
int store_derive_secret(struct store *s, const char *label, uint8_t out[32]);

/* Zero key material held in a struct. */
void store_stream_cleanse(struct store_stream *st);
void store_viewer_cleanse(struct store_viewer *v);

/* ---- listings: what queries show, without unsealing any key ----
 * (store_list.c). Queries use these: a listing never decrypts a key, so
 * showing a thousand streams puts no key in memory. */
struct store_stream_info {
	int64_t id;
	char name[STORE_NAME_MAX];
	int64_t owner_id;
	struct sgw_endpoint listen;
	struct sgw_endpoint source;   /* family SGW_AF_NONE = any sender */
	uint8_t suite;                /* SGW_SUITE_PLAIN for plain RTP */
	int64_t overlap_until;        /* unix seconds, 0 = no overlap */
	uint32_t idle_timeout_s;
};

struct store_viewer_info {
	int64_t id;
	char name[STORE_NAME_MAX];
	int64_t stream_id;
	int64_t owner_id;
	struct sgw_endpoint dest;
	uint8_t suite;
};

int store_stream_info_by_name(struct store *s, const char *name, struct store_stream_info *st);
int store_stream_info_by_id(struct store *s, int64_t id, struct store_stream_info *st);
int store_viewer_info_by_name(struct store *s, const char *name, struct store_viewer_info *v);
int store_viewer_info_by_id(struct store *s, int64_t id, struct store_viewer_info *v);
/* Streams in name order: owner_id 0 = every stream; else that owner's
 * streams and, with granted, also those it holds a grant on. */
int store_stream_list(struct store *s, int64_t owner_id, bool granted,
		      int (*cb)(void *arg, const struct store_stream_info *st), void *arg);
/* Viewers in name order: stream_id 0 = of every stream; visible_to 0 =
 * anyone's, else those visible_to owns and those on streams it owns. */
int store_viewer_list(struct store *s, int64_t stream_id, int64_t visible_to,
		      int (*cb)(void *arg, const struct store_viewer_info *v), void *arg);
/* How many streams and viewers owner_id owns. */
int store_owner_counts(struct store *s, int64_t owner_id, unsigned *streams, unsigned *viewers);

/* ---- bearer tokens (store_tokens.c) ----
 * A token acts for its owner. Only SHA-256 of the token's text is stored
 * (store_token_hash): the text itself is shown once, to its maker. */
#define STORE_TOKEN_HASH_LEN 32

struct store_token {
	int64_t id;
	char name[STORE_NAME_MAX];
	int64_t owner_id;
	int64_t created;              /* unix seconds */
	int64_t expires;              /* unix seconds, 0 = never */
};

void store_token_hash(const char *text, uint8_t hash[STORE_TOKEN_HASH_LEN]);
/* Stores t (owner_id, created, expires, name) with hash; an empty name
 * gets one made ("tok" and a number). Sets t->id and t->name. -EEXIST if
 * the name or the hash is taken, -ENOENT if the owner does not exist. */
int store_token_add(struct store *s, struct store_token *t, const uint8_t hash[STORE_TOKEN_HASH_LEN]);
/* -ENOENT: no token has that hash. */
int store_token_by_hash(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], struct store_token *t);
int store_token_by_name(struct store *s, const char *name, struct store_token *t);
int store_token_del(struct store *s, int64_t id);
/* owner_id 0 = every token; in name order. */
int store_token_foreach(struct store *s, int64_t owner_id,
			int (*cb)(void *arg, const struct store_token *t), void *arg);

#endif
