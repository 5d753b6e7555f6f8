/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What srtp_ctx.c (creation, ingress, positions) and srtp_egress.c
 * (egress: lanes and reservations) share. Fields are the owner's (the
 * context's home worker) unless marked.
 */
#ifndef SRTPGW_SRTP_CTX_PRIV_H
#define SRTPGW_SRTP_CTX_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <srtp2/srtp.h>

#include "dataplane/srtcp_tx.h"
#include "dataplane/srtp_burst.h"
#include "dataplane/srtp_ctx.h"

#define RTP_HDR_MIN 12
#define RTCP_HDR_MIN 8
#define POS_VALID (1ull << 63)
#define SEQ_HALF 0x8000
/* Inbound resume tries restore the packet from a copy (GCM decrypts in
 * place before it checks the tag); longer packets get one try. */
#define RESUME_COPY_MAX 9216
/* Resume entries: the position a context was made from, and SSRCs whose
 * libsrtp streams were evicted (their highest index: a floor). */
#define RESUME_MAX 4
/* Inbound: SSRCs without a slot whose SRTCP was accepted keep their
 * streams (their SRTCP replay windows), as many as the slots at most: a
 * receiver-only participant (a viewer's RTCP) has one or a few, and a
 * source's SSRCs may each send SRTCP before RTP. A new one past them is
 * refused (SGW_SRTP_ERR_SSRCS), not made room for: an evicted one's
 * replay window would go with its stream (its old packets accepted
 * again). */
#define RTCP_SSRCS_MAX SGW_SRTP_MAX_SSRCS
/* Inbound streams at most: the slots', the SRTCP-only SSRCs', one per
 * resume entry (made for its SSRC's tries, removed if the entry goes),
 * and one a packet just made (undone if the packet is refused). */
#define STREAMS_MAX (SGW_SRTP_MAX_SSRCS + RTCP_SSRCS_MAX + RESUME_MAX + 1)

/* A libsrtp stream of the context (one per SSRC met). */
struct ssrc_slot {
	uint32_t ssrc;
	uint64_t hi;    /* highest index accepted (inbound) or sent (outbound) */
	uint64_t last;  /* the context's n_ok at its last packet: LRU clock */
	struct sgw_burst_ctx *bctx; /* ingress on the engine: the SSRC's stream */
};

/* Ingress on the burst engine (srtp_ingress_burst.c): what libsrtp calls a
 * stream. Slots are a subset of the streams, as with libsrtp (SRTCP of an
 * SSRC without a slot, a resumed SSRC's first tries, make one too). */
struct in_stream {
	uint32_t ssrc;
	uint32_t pending_roc;      /* a ROC told while c is NULL */
	struct sgw_burst_ctx *c;   /* NULL: as made, no packet taken yet (no
	                              allocation until one authenticates) */
};

/* An SSRC to go on from index (a position, or an evicted stream). */
struct resume_ent {
	bool valid;
	uint32_t ssrc;
	uint64_t index;
};

/* An egress lane: one SSRC the viewer receives, the source SSRC mapped
 * onto it, and the index range it may use. */
struct lane {
	uint32_t out_ssrc;
	uint64_t start;       /* the first index this context may use */
	/* the agent thread raises these (release); the owner reads (acquire) */
	uint64_t limit;
	uint32_t rtcp_limit;
	/* the owner writes these (release); anyone reads */
	uint64_t next;        /* the next index: hi + 1 once used, else start */
	uint32_t rtcp_next;   /* the next SRTCP index */
	uint32_t in_ssrc;     /* the source SSRC mapped here, if mapped */
	uint8_t pub_mapped;   /* mapped, for other threads */
	/* the owner's alone */
	bool mapped;          /* in_ssrc is set */
	bool delta_set;       /* seq_delta is set (RTCP may map a lane first) */
	bool used;            /* hi is set */
	uint16_t seq_delta;   /* out seq = in seq + seq_delta */
	uint64_t floor;       /* no index below this (where this mapping began) */
	uint64_t hi;          /* highest index sent */
	uint64_t last;        /* n_ok at its last packet: LRU clock */
	struct sgw_burst_ctx *bctx; /* the burst engine's context for out_ssrc, or NULL */
};

struct sgw_srtp {
	srtp_t session;       /* NULL on the burst engine */
	bool burst;           /* on the burst engine: egress lanes (lane.bctx),
	                         or ingress (streams) */
	enum sgw_srtp_dir dir;
	unsigned window;
	/* the master key, to add libsrtp streams for SSRCs met again after
	 * their eviction; cleansed on free (ingress on the engine: once the
	 * template is made) */
	struct sgw_key key;
	uint64_t n_ok;        /* packets accepted or sent: the LRU clock */
	unsigned max_ssrcs;
	unsigned n_slots;
	struct ssrc_slot slots[SGW_SRTP_MAX_SSRCS];
	struct resume_ent resume[RESUME_MAX];
	unsigned n_rtcp;      /* inbound: SRTCP-only SSRCs (RTCP_SSRCS_MAX) */
	uint32_t rtcp_ssrcs[RTCP_SSRCS_MAX];
	unsigned n_lanes;     /* 0: a context without lanes */
	struct lane lanes[SGW_SRTP_MAX_SSRCS];
	struct sgw_srtcp_tx *rtcp_tx; /* lanes' SRTCP */
	/* ingress on the burst engine: libsrtp's template (keys derived once,
	 * kept as made: it tries the packets of SSRCs without a stream, and
	 * is cloned when one authenticates) and its streams */
	struct sgw_burst_ctx *tmpl;
	struct in_stream *streams; /* STREAMS_MAX */
	unsigned n_streams;
	/* position: the owner's alone */
	bool following;       /* f_ssrc and f_index are set */
	uint32_t f_ssrc;
	uint32_t others;      /* accepted packets of other SSRCs in a row */
	uint64_t f_index;
	/* position: the owner writes (release), anyone reads (acquire) */
	uint32_t pub_ssrc;
	uint64_t pub_index;   /* POS_VALID | index, or 0 */
};

static inline uint16_t rtp_seq(const uint8_t *p)
{
	return (uint16_t)(p[2] << 8 | p[3]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t rtp_ssrc(const uint8_t *p)
{
	return rd32(p + 8);
}

/* A worker's (sgw_srtp_lcore_create): the engine's manager and the queue
 * of packets for it (srtp_egress.c's protect, srtp_ingress_burst.c's
 * unprotect; one at a time, each empties it before it returns). */
struct sgw_srtp_lcore {
	struct sgw_burst_mgr *mgr;    /* NULL: nothing runs on the engine here */
	unsigned n;                   /* packets queued for the engine */
	struct sgw_burst_ctx *bctx[SGW_BURST_MAX];
	uint8_t *pkt[SGW_BURST_MAX];
	int len[SGW_BURST_MAX];
	uint64_t idx[SGW_BURST_MAX];  /* protect: the index; unprotect: after */
	enum sgw_srtp_result res[SGW_BURST_MAX];
	struct sgw_srtp_op *op[SGW_BURST_MAX];
	struct ssrc_slot *slot[SGW_BURST_MAX]; /* unprotect: the packet's slot */
};

/* srtp_ctx.c */
enum sgw_srtp_result srtp_ctx_map_status(srtp_err_status_t st);
void srtp_ctx_follow(struct sgw_srtp *ctx, const uint8_t *pkt);
/* After a lane's packet of ssrc went out at index (known exactly). */
void srtp_ctx_follow_index(struct sgw_srtp *ctx, uint32_t ssrc, uint64_t index);
/* Follow ssrc from index on. */
void srtp_ctx_follow_at(struct sgw_srtp *ctx, uint32_t ssrc, uint64_t index);
/* Add a libsrtp stream of its own for ssrc (made from the kept key). */
int srtp_ctx_add_stream(struct sgw_srtp *ctx, uint32_t ssrc);
/* ssrc has a stream (libsrtp's, or the engine's; ingress). */
bool srtp_ctx_has_stream(const struct sgw_srtp *ctx, uint32_t ssrc);
/* The slot of ssrc, or NULL. */
struct ssrc_slot *srtp_ctx_slot(struct sgw_srtp *ctx, uint32_t ssrc);
/* Room for one more SSRC: 0, or -1 at the cap with no idle one to evict
 * (an evicted SSRC leaves a resume entry: its highest index a floor). */
int srtp_ctx_make_room(struct sgw_srtp *ctx);
/* After ssrc's packet went through at index: its slot, made if new, last
 * used at the clock's present value (the caller moves the clock). */
void srtp_ctx_note(struct sgw_srtp *ctx, uint32_t ssrc, uint64_t index);
struct resume_ent *srtp_ctx_resume_of(struct sgw_srtp *ctx, uint32_t ssrc);
/* The burst engine, outside the workers (srtp_ctx.c): a lane's context
 * made, or one packet protected at idx, on a shared manager (locked: not
 * for the hot path). */
struct sgw_burst_ctx *srtp_ctx_burst_ctx(const struct sgw_key *key, enum sgw_srtp_dir dir,
				       unsigned window);
enum sgw_srtp_result srtp_ctx_burst_one(struct sgw_burst_ctx *c, uint8_t *p, int *len, uint64_t idx);
/* Inbound, on ctx's own streams (m: the engine's manager, NULL for
 * libsrtp): sgw_srtp_unprotect() and sgw_srtp_unprotect_rtcp() once the
 * packet's length has been checked. */
enum sgw_srtp_result srtp_ctx_unprotect_m(struct sgw_srtp *ctx, struct sgw_burst_mgr *m,
					  uint8_t *p, int *len);
enum sgw_srtp_result srtp_ctx_unprotect_rtcp_m(struct sgw_srtp *ctx, struct sgw_burst_mgr *m,
					       uint8_t *p, int *len);
/* A packet of slot s's SSRC was accepted: the slot's highest index, the
 * LRU clock, the position (srtp_ctx_follow; stream_index, if not NULL, is
 * the index the packet's stream was at after it, which it uses instead of
 * looking the stream up: the engine tells it for the packets of a burst,
 * whose streams have moved on by then). */
void srtp_ctx_accepted(struct sgw_srtp *ctx, struct ssrc_slot *s, const uint8_t *p,
		       const uint64_t *stream_index);

/* srtp_ingress_burst.c: libsrtp's session calls, on the engine's streams.
 * The stream of ssrc exists; one is added as made (0, or -1 on allocation
 * failure); removed; told a ROC (srtp_set_stream_roc); its RTP index
 * (0 and *index, or -1 without a stream). */
int srtp_in_init(struct sgw_srtp *ctx);
void srtp_in_free(struct sgw_srtp *ctx);
bool srtp_in_has_stream(const struct sgw_srtp *ctx, uint32_t ssrc);
int srtp_in_add_stream(struct sgw_srtp *ctx, uint32_t ssrc);
void srtp_in_remove_stream(struct sgw_srtp *ctx, uint32_t ssrc);
void srtp_in_set_roc(struct sgw_srtp *ctx, uint32_t ssrc, uint32_t roc);
int srtp_in_stream_index(const struct sgw_srtp *ctx, uint32_t ssrc, uint64_t *index);
struct sgw_burst_ctx *srtp_in_stream_ctx(const struct sgw_srtp *ctx, uint32_t ssrc);
/* srtp_unprotect / srtp_unprotect_rtcp on the session: the packet's
 * stream (c if not NULL, else the one of its SSRC), or the template if
 * its SSRC has none (cloned into a stream if the packet authenticates). */
enum sgw_srtp_result srtp_in_unprotect(struct sgw_srtp *ctx, struct sgw_burst_mgr *m,
				       struct sgw_burst_ctx *c, uint8_t *p, int *len);
enum sgw_srtp_result srtp_in_unprotect_rtcp(struct sgw_srtp *ctx, struct sgw_burst_mgr *m,
					    uint8_t *p, int *len);

/* srtp_prefetch.c: the engine context sgw_srtp_prefetch_keys() fetches:
 * the first slot's stream (ingress) or the first lane's (egress); NULL
 * for libsrtp's contexts and before there is one. */
const struct sgw_burst_ctx *srtp_prefetch_target(const struct sgw_srtp *ctx);

#endif
