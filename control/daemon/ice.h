/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICE-lite agent of one WebRTC session (RFC 8445 2.5 lite, consent
 * freshness RFC 7675), sans-I/O: a STUN datagram from an address at a time
 * goes in; maybe a response to send back to that address, a refusal reason
 * and events come out. Time goes in with ice_agent_tick(). No sockets, no
 * threads, no global state. docs/webrtc.md, "ICE-lite".
 *
 * A lite agent never sends checks and is always controlled: the peer (a
 * browser, a full agent) checks, and nominates with USE-CANDIDATE.
 *
 * - A Binding request is answered (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY
 *   with the local password, FINGERPRINT) only if its USERNAME is
 *   "<local ufrag>:<remote ufrag>" and its MESSAGE-INTEGRITY verifies. A
 *   request that names another username or fails integrity gets nothing
 *   at all and is counted. A request without USERNAME or MESSAGE-INTEGRITY
 *   gets 400 (RFC 8489 9.1.3); an authenticated one without PRIORITY or a
 *   role gets 400, with ICE-CONTROLLED 487, with an unknown
 *   comprehension-required attribute 420.
 * - Addresses are learned only from authenticated checks. Each such
 *   address has its own consent: it lapses ICE_CONSENT_MS (30 s) after the
 *   last authenticated check from it.
 * - The selected address is the source of the latest authenticated check
 *   that carried USE-CANDIDATE (the latest nominated valid pair, as lite
 *   agents do). It changes only on such a check, and becomes none when its
 *   consent lapses: media must then stop. An address whose consent lapsed
 *   is forgotten; only a new authenticated check brings it back.
 */
#ifndef SRTPGW_CONTROL_ICE_H
#define SRTPGW_CONTROL_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/srtpgw_agent.h"
#include "control/daemon/stun.h"

/* Local credentials we generate: 48 and 192 bits of ice-char. */
#define ICE_UFRAG_LEN 8
#define ICE_PWD_LEN 32
/* What RFC 8839 5.4 allows: ufrag 4..256, pwd 22..256 ice-chars. */
#define ICE_UFRAG_MIN 4
#define ICE_UFRAG_MAX 256
#define ICE_PWD_MIN 22
#define ICE_PWD_MAX 256

#define ICE_CONSENT_MS 30000 /* RFC 7675 5.1 */
#define ICE_CONNECT_MS 30000 /* no authenticated check that long after creation: failed */
/* Authenticated addresses kept per session (a peer has a few candidates). */
#define ICE_MAX_ADDRS 8
/* At most this many events from one call (a tick may lapse every address). */
#define ICE_MAX_EVENTS (ICE_MAX_ADDRS + 2)
/* A reply buffer of this size always suffices. */
#define ICE_REPLY_MAX STUN_REPLY_MAX

struct ice_creds {
	char ufrag[ICE_UFRAG_MAX + 1];
	char pwd[ICE_PWD_MAX + 1];
};

/* Fresh local credentials from OpenSSL's CSPRNG. 0, or -EIO. */
int ice_creds_generate(struct ice_creds *c);
/* s is min..max ice-chars (ALPHA / DIGIT / "+" / "/"). */
bool ice_chars_valid(const char *s, size_t min, size_t max);

struct ice_config {
	uint32_t consent_ms; /* 0: ICE_CONSENT_MS */
	uint32_t connect_ms; /* 0: ICE_CONNECT_MS */
	const char *software; /* SOFTWARE in responses; NULL: none */
};

enum ice_state {
	ICE_NEW,          /* no nominated authenticated check yet */
	ICE_CONNECTED,    /* an address is selected */
	ICE_DISCONNECTED, /* the selected address's consent lapsed; a new nomination reconnects */
	ICE_FAILED,       /* nothing nominated within connect_ms: the agent ignores everything */
};

enum ice_event_type {
	ICE_EV_CHECK,          /* an authenticated check from addr (nominated: USE-CANDIDATE) */
	ICE_EV_SELECTED,       /* the selected address is now addr; family SGW_AF_NONE: none, stop */
	ICE_EV_CONSENT_LAPSED, /* no authenticated check from addr for consent_ms */
	ICE_EV_FAILED,         /* nothing nominated within connect_ms */
};

struct ice_event {
	enum ice_event_type type;
	bool nominated;
	struct sgw_endpoint addr;
};

/* What happened to one datagram. */
enum ice_refusal {
	ICE_ACCEPTED = 0,          /* answered with a success response */
	ICE_REFUSED_MALFORMED,     /* not a well-formed STUN message: nothing sent */
	ICE_REFUSED_NOT_REQUEST,   /* an indication, a response, another method: ignored */
	ICE_REFUSED_BAD_REQUEST,   /* 400 sent */
	ICE_REFUSED_UNKNOWN_USERNAME, /* nothing sent */
	ICE_REFUSED_BAD_INTEGRITY, /* nothing sent */
	ICE_REFUSED_UNKNOWN_ATTRIBUTE, /* 420 sent */
	ICE_REFUSED_ROLE_CONFLICT, /* 487 sent */
	ICE_REFUSED_FAILED,        /* the agent failed: nothing sent */
};

struct ice_counters {
	uint64_t received;          /* datagrams given to ice_agent_input */
	uint64_t answered;          /* success responses */
	uint64_t malformed;
	uint64_t not_request;
	uint64_t bad_request;       /* 400 */
	uint64_t unknown_username;
	uint64_t bad_integrity;
	uint64_t unknown_attribute; /* 420 */
	uint64_t role_conflict;     /* 487 */
	uint64_t after_failure;
	uint64_t consent_lapsed;    /* addresses whose consent lapsed */
	uint64_t evicted;           /* addresses forgotten to make room (ICE_MAX_ADDRS) */
};

struct ice_output {
	size_t reply_len; /* > 0: send reply[0..reply_len) to the datagram's source */
	enum ice_refusal refusal;
	unsigned n_events;
	struct ice_event events[ICE_MAX_EVENTS];
};

struct ice_agent;

/*
 * A new agent with local credentials (use ice_creds_generate(); the agent
 * keeps a copy: the caller cleanses its own once the SDP answer is out)
 * and the peer's ufrag from its SDP (NULL or "": any). cfg NULL: defaults.
 * NULL and *err (a static string) when the credentials are not valid
 * ice-chars of the allowed lengths or memory is short.
 */
struct ice_agent *ice_agent_new(const struct ice_creds *local, const char *remote_ufrag,
				const struct ice_config *cfg, uint64_t now_ms, const char **err);
/* Cleanses the password. NULL is fine. */
void ice_agent_free(struct ice_agent *a);

/* A datagram dgram[0..len) from `from` at now_ms. reply must have
 * ICE_REPLY_MAX bytes. *out says what to send, why not, and what changed. */
void ice_agent_input(struct ice_agent *a, const uint8_t *dgram, size_t len,
		     const struct sgw_endpoint *from, uint64_t now_ms, uint8_t *reply,
		     struct ice_output *out);
/* Time passes: consent lapses, the connect deadline. */
void ice_agent_tick(struct ice_agent *a, uint64_t now_ms, struct ice_output *out);
/* When ice_agent_tick() next has something to do (absolute ms), UINT64_MAX: never. */
uint64_t ice_agent_next_timeout(const struct ice_agent *a);

enum ice_state ice_agent_state(const struct ice_agent *a);
/* The selected address: true and *out, or false (none). */
bool ice_agent_selected(const struct ice_agent *a, struct sgw_endpoint *out);
/* addr passed an authenticated check and its consent has not lapsed: where
 * DTLS datagrams may come from and go to. */
bool ice_agent_is_valid(const struct ice_agent *a, const struct sgw_endpoint *addr);
const struct ice_counters *ice_agent_counters(const struct ice_agent *a);
/* The local ufrag (the session's key for demultiplexing). */
const char *ice_agent_local_ufrag(const struct ice_agent *a);

/*
 * The local ufrag a Binding request is addressed to: the part of its
 * USERNAME before ':', copied NUL-terminated into ufrag (ICE_UFRAG_MAX + 1
 * bytes), without checking integrity: to find the session a datagram on a
 * shared port belongs to, whose agent then checks it. 0, or -1 (not a
 * well-formed Binding request with such a USERNAME).
 */
int ice_request_local_ufrag(const uint8_t *dgram, size_t len, char *ufrag);

const char *ice_state_name(enum ice_state s);
const char *ice_refusal_name(enum ice_refusal r);
const char *ice_event_name(enum ice_event_type t);

#endif
