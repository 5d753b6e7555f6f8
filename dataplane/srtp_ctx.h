/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Thin wrapper over libsrtp (built on OpenSSL): one context per direction of
 * one stream or viewer. A context holds mutable state (ROC, replay window,
 * SRTCP index) and is used by one worker at a time (its home worker), which
 * also publishes the context's position for other threads to read.
 * Key material is copied into libsrtp and the caller's copy is not kept;
 * sgw_srtp_free() zeroes what libsrtp held (libsrtp's srtp_dealloc does,
 * and the policy copy here is cleansed).
 */
#ifndef SRTPGW_SRTP_CTX_H
#define SRTPGW_SRTP_CTX_H

#include <stdbool.h>
#include <stdint.h>
#include "api/srtpgw_agent.h"

/* Space libsrtp may append to an RTP/RTCP packet on protect. */
#define SGW_SRTP_MAX_TRAILER 32 /* >= 16-byte tag + 4-byte SRTCP index (no MKI) */

enum sgw_srtp_dir { SGW_SRTP_INBOUND, SGW_SRTP_OUTBOUND };

enum sgw_srtp_result {
	SGW_SRTP_OK = 0,
	SGW_SRTP_ERR_AUTH = -1,   /* authentication tag did not verify */
	SGW_SRTP_ERR_REPLAY = -2, /* replayed, or older than the replay window */
	SGW_SRTP_ERR_OTHER = -3,  /* malformed, too short, or libsrtp failure */
	SGW_SRTP_ERR_RESERVE = -4, /* egress: the index is past the lane's
	                              reservation, or below where it began */
	SGW_SRTP_ERR_SSRCS = -5,  /* a new SSRC, and the context has as many
	                             as it may, none idle */
};

/* SSRCs one context keeps state for (libsrtp streams, or egress lanes).
 * A new SSRC beyond them takes the place of one that has been idle for
 * SGW_SRTP_IDLE_PKTS packets of the others, or is refused
 * (SGW_SRTP_ERR_SSRCS): a source cycling SSRCs cannot grow a context. */
#define SGW_SRTP_MAX_SSRCS 8
#define SGW_SRTP_IDLE_PKTS 256

struct sgw_srtp;

/*
 * Where a context is in one RTP stream: the SSRC it follows and the highest
 * packet index, ROC << 16 | SEQ (RFC 3711 3.3.1), it accepted (inbound) or
 * sent (outbound). The ROC is in no packet: a context made anew, as by a
 * restarted gateway, counts from ROC 0, and so can neither authenticate a
 * source whose sequence numbers have wrapped nor be decrypted by a viewer
 * that has seen them wrap. A context made from an earlier position goes on
 * counting from there (sgw_srtp_create_at).
 */
struct sgw_srtp_pos {
	uint32_t ssrc;
	uint32_t roc;
	uint16_t seq;
};

/* Inbound: how many ROCs a resumed context tries on a packet of the resumed
 * SSRC until one authenticates: the estimate from the position, then the
 * next ones (the position may be a few wraps old). */
#define SGW_SRTP_RESUME_TRIES 3
/* A context follows another SSRC after this many accepted packets of other
 * SSRCs in a row (so an interleaved RTX or FEC stream does not take over). */
#define SGW_SRTP_FOLLOW_AFTER 64

/*
 * Egress lanes (invariant 8: no packet index is used twice under a key).
 * A context made with lanes sends each source SSRC it meets on a lane of
 * its own: the lane's SSRC (chosen by the control plane, never the
 * source's) and sequence numbers of the lane's own, so that its packet
 * index (ROC << 16 | SEQ) and its SRTCP index go on from where the lane
 * was, whatever the source does, and never past what the control plane
 * durably reserved for it. A source SSRC that goes quiet leaves its lane
 * to the next new one, which goes on from the same index (a camera that
 * restarts with a new SSRC keeps the viewer's stream continuous).
 */
struct sgw_srtp_lane {
	uint32_t ssrc;        /* the SSRC the viewer receives */
	uint32_t rtcp_next;   /* the first SRTCP index this context may use, 1.. */
	uint32_t rtcp_limit;  /* the highest it may use; rtcp_next - 1: none yet */
	uint32_t pad;
	uint64_t next;        /* the first RTP packet index it may use */
	uint64_t limit;       /* the highest it may use; next - 1: none yet */
};

/* A lane's state (any thread: what the owner published). */
struct sgw_srtp_lane_state {
	uint32_t ssrc;
	uint32_t in_ssrc;     /* the source SSRC mapped onto it, if mapped */
	bool mapped;
	uint32_t rtcp_next;   /* the next SRTCP index it would use */
	uint32_t rtcp_limit;
	uint64_t next;        /* the next RTP index it would use (at least) */
	uint64_t limit;
};

#define SGW_SRTP_INDEX_MAX ((1ull << 48) - 1)

/* Once per process, before any other call. 0 or -1. */
int sgw_srtp_global_init(void);

/*
 * A context for suite key->suite (not PLAIN) using key->material
 * (key->len must equal the suite's master key + salt length).
 * replay_window: packets (64..32767, libsrtp's limit), 0 = 128. Returns NULL on bad
 * parameters or allocation failure.
 */
struct sgw_srtp *sgw_srtp_create(const struct sgw_key *key,
				 enum sgw_srtp_dir dir, unsigned replay_window);
/*
 * The same, going on from position from (NULL: from nothing, as above) for
 * packets of from->ssrc. Outbound, the first such packet gets the ROC that
 * a receiver at that position estimates for its sequence number (RFC 3711
 * Appendix A). Inbound, the first such packet that authenticates under the
 * estimate or one of the SGW_SRTP_RESUME_TRIES - 1 ROCs after it sets the
 * count; packets that authenticate under none are refused as
 * SGW_SRTP_ERR_AUTH and the next one tries again, and packets at or below
 * the position (the old context had them) as SGW_SRTP_ERR_REPLAY.
 */
struct sgw_srtp *sgw_srtp_create_at(const struct sgw_key *key, enum sgw_srtp_dir dir,
				    unsigned replay_window, const struct sgw_srtp_pos *from);
/*
 * An egress context with n lanes (1..SGW_SRTP_MAX_SSRCS, distinct SSRCs,
 * 0 < next <= SGW_SRTP_INDEX_MAX, limit >= next - 1; SRTCP indices within
 * 1..2^31-1). Packets whose index would pass a lane's limit are refused
 * (SGW_SRTP_ERR_RESERVE) until sgw_srtp_reserve() raises it. Plain key:
 * NULL.
 */
struct sgw_srtp *sgw_srtp_create_lanes(const struct sgw_key *key, unsigned replay_window,
				       const struct sgw_srtp_lane *lanes, unsigned n);
void sgw_srtp_free(struct sgw_srtp *ctx);

/* Lanes of an egress context (0: a context without lanes). */
unsigned sgw_srtp_n_lanes(const struct sgw_srtp *ctx);
/* Agent thread: raise lane's limits (a lower value changes nothing). 0, or
 * -1 for no such lane or a limit out of range. */
int sgw_srtp_reserve(struct sgw_srtp *ctx, unsigned lane, uint64_t limit, uint32_t rtcp_limit);
/* Any thread. 0, or -1 for no such lane. */
int sgw_srtp_lane_state(const struct sgw_srtp *ctx, unsigned lane,
			struct sgw_srtp_lane_state *out);

/* The context's position: 0, or -1 if it has none (no RTP packet yet and
 * not made from a position). Any thread: reads what the owner published. */
int sgw_srtp_position(const struct sgw_srtp *ctx, struct sgw_srtp_pos *out);

/* The ROC a receiver whose highest index is `index` estimates for seq
 * (RFC 3711 Appendix A; never below 0). */
uint32_t sgw_srtp_roc_estimate(uint64_t index, uint16_t seq);

/* In place. *len in: bytes of the SRTP packet; out: bytes of RTP. On
 * failure the buffer is undefined (libsrtp's GCM decrypts before it checks
 * the tag): drop the packet, or retry from a copy. Wrong-direction calls
 * fail with SGW_SRTP_ERR_OTHER. On an engine context (sgw_srtp_is_burst)
 * a packet outside a burst uses a shared manager, under a lock: for tests
 * and tools; the workers use sgw_srtp_unprotect_burst(). */
enum sgw_srtp_result sgw_srtp_unprotect(struct sgw_srtp *ctx, void *pkt, int *len);
enum sgw_srtp_result sgw_srtp_unprotect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len);
/* In place. The buffer must have SGW_SRTP_MAX_TRAILER bytes free after *len.
 * With lanes, the RTP header's SSRC and sequence number (RTCP: the source's
 * SSRC wherever it appears) are rewritten to the lane's first. */
enum sgw_srtp_result sgw_srtp_protect(struct sgw_srtp *ctx, void *pkt, int *len);
enum sgw_srtp_result sgw_srtp_protect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len);

/*
 * The crypto under egress lanes and ingress (docs/crypto-engine.md):
 * libsrtp, or the burst engine (dataplane/srtp_burst.h, intel-ipsec-mb),
 * which protects all the lanes' packets of a burst together in
 * sgw_srtp_protect_burst(), and unprotects the inbound contexts' packets
 * of a burst together in sgw_srtp_unprotect_burst(), with libsrtp's
 * semantics either way. A context keeps the engine it was made with;
 * egress contexts without lanes are libsrtp's either way. Set it
 * before the workers run (the gateway's `crypto`). 0, or -1 if the burst
 * engine cannot run on this CPU (no AES-NI).
 */
enum sgw_srtp_engine { SGW_SRTP_ENGINE_LIBSRTP, SGW_SRTP_ENGINE_BURST };
int sgw_srtp_set_engine(enum sgw_srtp_engine e);
enum sgw_srtp_engine sgw_srtp_get_engine(void);
/* The engine for a log line: "libsrtp", or "burst (intel-ipsec-mb, AVX2)"
 * with the code path ipsec-mb picked on this CPU. */
const char *sgw_srtp_engine_name(void);
/* True if ctx runs on the burst engine (its lanes, or ingress). */
bool sgw_srtp_is_burst(const struct sgw_srtp *ctx);

/*
 * Protect a burst: ops[i].ctx's packet at ops[i].pkt (ops[i].len bytes, the
 * SGW_SRTP_MAX_TRAILER bytes after it free), RTP or RTCP, in array order,
 * exactly as sgw_srtp_protect() or sgw_srtp_protect_rtcp() would one by
 * one; ops[i].res gets the result and ops[i].len the new length. The
 * worker queues every viewer copy of an RX burst and protects them here in
 * one call, so that the crypto of the whole burst can run together.
 */
struct sgw_srtp_op {
	struct sgw_srtp *ctx;
	uint8_t *pkt;
	int len;
	bool rtcp;
	enum sgw_srtp_result res;
};
struct sgw_srtp_lcore;
void sgw_srtp_protect_burst(struct sgw_srtp_lcore *lc, struct sgw_srtp_op *ops, unsigned n);
/* Unprotect a burst: as sgw_srtp_unprotect() or sgw_srtp_unprotect_rtcp()
 * one by one, in array order; ops[i].len is the plain length when
 * ops[i].res is SGW_SRTP_OK. A refused packet's bytes are undefined (as
 * with sgw_srtp_unprotect: retry from a copy; the burst engine leaves
 * them unchanged but for SGW_SRTP_ERR_SSRCS, which libsrtp does not). The
 * RTP packets of engine contexts' known SSRCs are unprotected together
 * (with lc's manager; lc NULL or without one: one by one). */
void sgw_srtp_unprotect_burst(struct sgw_srtp_lcore *lc, struct sgw_srtp_op *ops, unsigned n);
/*
 * Prefetch what a burst call will read of ctx, in two steps a stage
 * apart (the worker's process_burst): sgw_srtp_prefetch() the context's
 * own lines (address arithmetic only); then, once those are in,
 * sgw_srtp_prefetch_keys() the engine context of its first SSRC (ingress)
 * or lane (egress): its state, the RTP keys and the replay window. Hints
 * only: any context, NULL included, and any state are fine; but the
 * second reads the context's SSRC slots and lanes, which only its owner
 * (the stream's home worker) may.
 */
void sgw_srtp_prefetch(const struct sgw_srtp *ctx);
void sgw_srtp_prefetch_keys(const struct sgw_srtp *ctx);
/* A worker's state for sgw_srtp_protect_burst() and
 * sgw_srtp_unprotect_burst(): the engine's manager and the burst's scratch, made once per lcore and used by it alone. NULL on
 * allocation failure. */
struct sgw_srtp_lcore *sgw_srtp_lcore_create(void);
void sgw_srtp_lcore_free(struct sgw_srtp_lcore *lc);

#endif
