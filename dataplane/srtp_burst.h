/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The burst SRTP engine (issue 13, docs/crypto-engine.md): SRTP and SRTCP
 * transforms over a whole burst of packets at once, on intel-ipsec-mb's
 * synchronous burst API (AES-128-CTR and HMAC-SHA1 of all packets of a
 * burst submitted together, whatever context each belongs to).
 *
 * With crypto = "burst", egress lanes (dataplane/srtp_egress.c:
 * sgw_srtp_protect_burst) and inbound contexts
 * (dataplane/srtp_ingress_burst.c: sgw_srtp_unprotect_burst) run on it;
 * libsrtp (dataplane/srtp_ctx.h) stays for the rest and is the reference
 * the engine is tested against (tests/unit/test_srtp_burst.c,
 * test_srtp_lanes_burst.c, test_srtp_ingress_burst.c: byte-identical
 * output, the same packets accepted and refused).
 *
 * Two objects:
 *   struct sgw_burst_mgr  one per lcore: the ipsec-mb manager and the
 *                         burst's job and scratch arrays. Never shared.
 *   struct sgw_burst_ctx  one per direction of one stream or viewer: the
 *                         session keys derived once (RFC 3711 4.3),
 *                         expanded AES round keys, precomputed HMAC-SHA1
 *                         inner and outer states, salts, and one SSRC's
 *                         ROC, replay window and SRTCP index. Allocated
 *                         once; used by one lcore at a time.
 * Nothing is allocated, locked or atomically updated per packet.
 *
 * Semantics are libsrtp 2.5's (srtp_protect / srtp_unprotect and their
 * RTCP forms, allow_repeat_tx off), for one SSRC per context: the first
 * packet a context accepts (inbound) or sends (outbound) binds its SSRC;
 * packets of any other SSRC are refused with SGW_SRTP_ERR_SSRCS (libsrtp
 * would make a stream for them). An engine context is what libsrtp calls
 * a stream; dataplane/srtp_ctx.c keeps several per srtp_ctx context (the
 * SSRCs, egress lanes; ingress: dataplane/srtp_ingress_burst.c clones a
 * context per SSRC from one whose keys were derived once).
 *
 * Suites: AES_CM_128_HMAC_SHA1_80 and _32 (SRTCP keeps the 80-bit tag),
 * in ipsec-mb bursts; AEAD_AES_128_GCM and AEAD_AES_256_GCM (RFC 7714)
 * packet by packet within the burst (ipsec-mb's direct GCM calls: its
 * cipher and hash burst calls take no GCM). No MKI.
 */
#ifndef SRTPGW_SRTP_BURST_H
#define SRTPGW_SRTP_BURST_H

#include <stdint.h>

#include "api/srtpgw_agent.h"
#include "dataplane/srtp_ctx.h"

/* Packets the engine submits to ipsec-mb at once; longer bursts are taken
 * in chunks of this many. */
#define SGW_BURST_MAX 64
/* Replay window the engine supports (packets; libsrtp rounds the size up
 * to a multiple of 32, and so does the engine): libsrtp's largest. The
 * gateway's default is 128. */
#define SGW_BURST_WINDOW_MAX 0x7fff

struct sgw_burst_mgr;
struct sgw_burst_ctx;

/* A manager for the calling lcore. NULL if the CPU lacks AES-NI (ipsec-mb
 * would fall back to its slow no-AESNI code: use libsrtp then) or on
 * allocation failure. */
struct sgw_burst_mgr *sgw_burst_mgr_create(void);
void sgw_burst_mgr_free(struct sgw_burst_mgr *m);
/* ipsec-mb's name of the code path it picked ("SSE", "AVX2", ...). */
const char *sgw_burst_mgr_arch(const struct sgw_burst_mgr *m);

/*
 * A context for key (any suite but PLAIN; key->len its master key + salt
 * length) in direction dir; replay_window 64..SGW_BURST_WINDOW_MAX
 * packets, 0 = 128. The manager is used to expand the keys only, but like
 * any manager it must not be used by two threads at once: a thread that
 * makes contexts for the workers (the agent) has a manager of its own.
 * NULL on bad parameters or allocation failure. The caller's key is not
 * kept.
 */
struct sgw_burst_ctx *sgw_burst_ctx_create(struct sgw_burst_mgr *m, const struct sgw_key *key,
					   enum sgw_srtp_dir dir, unsigned replay_window);
/* Zeroes the keys and frees. */
void sgw_burst_ctx_free(struct sgw_burst_ctx *c);

/*
 * The transforms, in place, over n packets (any n: taken in chunks of
 * SGW_BURST_MAX). Packet i belongs to context ctx[i] (the same context may
 * appear several times: its packets are taken in array order, exactly as
 * libsrtp would take them one by one), lies at pkt[i] with len[i] bytes;
 * res[i] gets its result, and len[i] its new length when res[i] is
 * SGW_SRTP_OK (else len[i] is unchanged).
 *
 * Unprotect: RTP/RTCP out. Nothing is OK that did not authenticate; a
 * refused packet's bytes are unchanged (GCM: decrypted in place, then
 * encrypted back). The replay window and the ROC move
 * only for authenticated packets.
 * Protect: the buffer must have SGW_SRTP_MAX_TRAILER bytes free after
 * len[i]. A refused packet's bytes are undefined past len[i].
 * Wrong-direction calls: SGW_SRTP_ERR_OTHER.
 */
void sgw_burst_protect(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
		       uint8_t *const pkt[], int len[], enum sgw_srtp_result res[], unsigned n);
void sgw_burst_unprotect(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
			 uint8_t *const pkt[], int len[], enum sgw_srtp_result res[], unsigned n);
void sgw_burst_protect_rtcp(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
			    uint8_t *const pkt[], int len[], enum sgw_srtp_result res[],
			    unsigned n);
void sgw_burst_unprotect_rtcp(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
			      uint8_t *const pkt[], int len[], enum sgw_srtp_result res[],
			      unsigned n);

/*
 * Unprotect as above; after[i] gets ctx[i]'s RTP index (libsrtp's rdbx
 * index: the highest accepted) as packet i left it, accepted or not: what
 * srtp_get_stream_roc() would have said right after that packet.
 */
void sgw_burst_unprotect_idx(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
			     uint8_t *const pkt[], int len[], enum sgw_srtp_result res[],
			     uint64_t after[], unsigned n);

/*
 * Inbound: tell the context the ROC of its next packets, as libsrtp's
 * srtp_set_stream_roc() does (0: none, the usual estimate). libsrtp's
 * rules, which the engine follows: a packet's index is then that ROC and
 * its sequence number; one more than 2^15 ahead of the context is taken
 * without a replay check and, accepted, becomes the context's index with
 * an empty window, and the ROC told is forgotten; one more than 2^15
 * behind is refused (SGW_SRTP_ERR_OTHER); one within 2^15 is checked and
 * taken as usual, and the ROC told stays for the packets after it (until
 * one is more than 2^15 ahead).
 */
void sgw_burst_set_roc(struct sgw_burst_ctx *c, uint32_t roc);

/* A copy of c (its keys and state) in an allocation of its own: a
 * context per SSRC without deriving the keys again. NULL on allocation
 * failure. */
struct sgw_burst_ctx *sgw_burst_ctx_clone(const struct sgw_burst_ctx *c);
/* c as made: no packet seen, no ROC told (the keys are kept). */
void sgw_burst_ctx_reset(struct sgw_burst_ctx *c);

/*
 * Protect with the index the caller chose: idx[i] is packet i's index,
 * ROC << 16 | its sequence number (else SGW_SRTP_ERR_OTHER), taken as
 * libsrtp takes it after srtp_set_stream_roc(): checked against the
 * context's window (SGW_SRTP_ERR_REPLAY for an index it used or one older
 * than the window), and an index more than 2^15 ahead of the context moves
 * it there with an empty window. For egress lanes, which choose each
 * packet's index themselves (dataplane/srtp_egress.c).
 */
void sgw_burst_protect_at(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
			  uint8_t *const pkt[], int len[], const uint64_t idx[],
			  enum sgw_srtp_result res[], unsigned n);

/* The length of an RTP packet's header as the engine (and libsrtp's
 * srtp_validate_rtp_header) counts it, or -1 if len is too short for it:
 * a packet the engine protects parses. */
int sgw_burst_rtp_header_len(const uint8_t *p, int len);

/* The context's RTP position: 0 and *out, or -1 before its first packet.
 * The owner's lcore only (no publication yet). */
int sgw_burst_position(const struct sgw_burst_ctx *c, struct sgw_srtp_pos *out);

/*
 * RFC 3711 4.3.1 with the AES-CM PRF and key_derivation_rate 0: the
 * session key of label (0..5) from the master key (16 bytes) and salt
 * (14 bytes), out_len bytes. 0, or -1. Exposed for the tests (checked
 * against RFC 3711 B.3 and, through whole packets, against libsrtp).
 */
int sgw_burst_kdf(const uint8_t master_key[16], const uint8_t master_salt[14], uint8_t label,
		  uint8_t *out, unsigned out_len);

#endif
