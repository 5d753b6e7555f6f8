/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DTLS-SRTP server of one WebRTC session (RFC 5763, RFC 5764) on OpenSSL,
 * sans-I/O: datagrams and time go in, datagrams to send, events and the
 * SRTP keys come out. No sockets (OpenSSL reads and writes through a BIO
 * of our own that keeps datagram boundaries), no threads, no global state.
 * srtpgw-control is always the DTLS server (a=setup:passive); the
 * gateway's RFC 7983 demultiplexing hands it the peer's DTLS datagrams.
 * docs/webrtc.md, "DTLS-SRTP".
 *
 * - DTLS 1.2; ECDHE only; no session resumption, tickets or renegotiation
 *   (each handshake shows the peer's certificate, keys never change under
 *   a session).
 * - The client must present a certificate whose fingerprint is one the
 *   SDP gave (sha-256, -384 or -512); otherwise the handshake fails.
 * - use_srtp: SRTP_AEAD_AES_128_GCM, then SRTP_AES128_CM_SHA1_80, or the
 *   other way round with cm_first (the server's order wins). A ClientHello without use_srtp, or offering
 *   neither, fails the handshake.
 * - When the handshake is done, the keys come from
 *   SSL_export_keying_material("EXTRACTOR-dtls_srtp") split as RFC 5764
 *   4.2 says: the client's write key and salt protect what the peer sends
 *   (ingress), the server's what srtpgw sends (egress).
 * - Bounded: a handshake not done within handshake_ms of the session's
 *   creation fails; datagrams over DTLS_MAX_DATAGRAM or that are not DTLS
 *   records are refused; at most DTLS_OUT_MAX datagrams wait to be sent.
 *
 * Timers: OpenSSL 3.0 times DTLS retransmissions with the system clock
 * (gettimeofday), which no caller can replace. dtls_session_next_timeout()
 * says when, on the caller's clock, the next retransmission or the
 * handshake deadline is due; dtls_session_tick() then acts. With a
 * monotonic millisecond clock both agree (to OpenSSL's 15 ms rounding).
 */
#ifndef SRTPGW_CONTROL_DTLS_H
#define SRTPGW_CONTROL_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "api/srtpgw_agent.h"
#include "control/daemon/cert.h"

#define DTLS_MTU 1200          /* default: the largest datagram we send */
#define DTLS_MTU_MAX 1500
#define DTLS_MAX_DATAGRAM 4096 /* larger datagrams from the peer are refused */
#define DTLS_OUT_MAX 16        /* datagrams waiting to be sent; more are dropped */
#define DTLS_HANDSHAKE_MS 30000
#define DTLS_RETRANSMIT_MS 1000 /* the first retransmission (RFC 6347 4.2.4.1), then doubling */
#define DTLS_RETRANSMIT_MAX_MS 8000
#define DTLS_MAX_FPS 4          /* fingerprints accepted per session */

/* The daemon's DTLS server context: one certificate, shared by sessions. */
struct dtls_ctx;

/* Takes its own references to cert and key. NULL and err on failure. */
struct dtls_ctx *dtls_ctx_new(X509 *cert, EVP_PKEY *key, char *err, size_t errlen);
/* Sessions keep the context alive: it goes with the last of them. */
void dtls_ctx_free(struct dtls_ctx *c);

struct dtls_config {
	uint32_t handshake_ms;  /* 0: DTLS_HANDSHAKE_MS */
	uint32_t retransmit_ms; /* 0: DTLS_RETRANSMIT_MS */
	uint16_t mtu;           /* 0: DTLS_MTU; at most DTLS_MTU_MAX */
	/* SRTP_AES128_CM_SHA1_80 before GCM: for a viewer of a camera whose
	 * packets carry a 10-byte tag (or 4), a GCM tag (16) would not fit a
	 * packet the camera made as big as the MTU allows */
	bool cm_first;
};

enum dtls_state {
	DTLS_NEW,         /* nothing received yet */
	DTLS_HANDSHAKING,
	DTLS_CONNECTED,   /* keys ready */
	DTLS_FAILED,      /* see dtls_session_error() */
	DTLS_CLOSED,      /* close_notify received or sent */
};

enum dtls_event_type {
	DTLS_EV_CONNECTED, /* handshake done: dtls_session_srtp_keys() */
	DTLS_EV_FAILED,    /* handshake or connection failed: dtls_session_error() */
	DTLS_EV_CLOSED,    /* the peer sent close_notify (answered) */
};

struct dtls_counters {
	uint64_t dgrams_in;       /* given to dtls_session_input */
	uint64_t refused;         /* not DTLS records, too long, or after the end */
	uint64_t dgrams_out;      /* handed out by dtls_session_pop() */
	uint64_t out_dropped;     /* no room in the queue (as if lost) */
	uint64_t retransmits;     /* timer expiries that resent a flight */
	uint64_t app_data_dropped; /* application data records (no data channels) */
};

/* Keys for the session's SRTP contexts. material = master key || salt. */
struct dtls_srtp_keys {
	struct sgw_key ingress; /* the client's write key: what the peer sends */
	struct sgw_key egress;  /* the server's write key: what srtpgw sends */
};

struct dtls_session;

/* A session that accepts a client certificate matching one of fps[0..n)
 * (1..DTLS_MAX_FPS, from the SDP). cfg NULL: defaults. NULL and *err (a
 * static string) on failure. */
struct dtls_session *dtls_session_new(struct dtls_ctx *c, const struct cert_fp *fps, unsigned n,
				      const struct dtls_config *cfg, uint64_t now_ms,
				      const char **err);
/* Cleanses the keys. NULL is fine. */
void dtls_session_free(struct dtls_session *s);

/* A datagram from the peer. 0, or -EINVAL (refused: not DTLS records or
 * too long) or -EPIPE (the session failed or closed): counted, ignored. */
int dtls_session_input(struct dtls_session *s, const uint8_t *dgram, size_t len,
		       uint64_t now_ms);
/* Retransmissions and the handshake deadline. */
void dtls_session_tick(struct dtls_session *s, uint64_t now_ms);
/* When dtls_session_tick() is next due (absolute ms), UINT64_MAX: never. */
uint64_t dtls_session_next_timeout(const struct dtls_session *s);
/* Ends the session: a close_notify when connected. */
void dtls_session_close(struct dtls_session *s);

/* The next datagram to send to the peer into buf: its length, or 0 when
 * none waits (or cap is smaller than it: then it is dropped). Call after
 * each input, tick and close until 0. */
size_t dtls_session_pop(struct dtls_session *s, uint8_t *buf, size_t cap);
/* The next event: true and *ev, or false. */
bool dtls_session_poll_event(struct dtls_session *s, enum dtls_event_type *ev);

enum dtls_state dtls_session_state(const struct dtls_session *s);
/* Why the session failed ("" if it did not): no secrets in it. */
const char *dtls_session_error(const struct dtls_session *s);
/* The SRTP keys once connected: 0, or -EAGAIN. The caller cleanses its copy. */
int dtls_session_srtp_keys(const struct dtls_session *s, struct dtls_srtp_keys *out);
/* The negotiated suite (SGW_SUITE_PLAIN before the handshake is done). */
enum sgw_suite dtls_session_suite(const struct dtls_session *s);
const struct dtls_counters *dtls_session_counters(const struct dtls_session *s);
const char *dtls_state_name(enum dtls_state s);

#endif
