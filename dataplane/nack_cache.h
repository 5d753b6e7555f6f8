/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Answering a WebRTC viewer's NACKs (RFC 4585 6.2.1, generic NACK).
 *
 * What is resent is the very SRTP packet the viewer was sent (the same
 * bytes: same index, same plaintext, same ciphertext), so a retransmission
 * can never be an index reuse, and no crypto runs for it. The cost is
 * memory: a viewer that asked for NACK (SGW_VIEWER_NACK) has a cache of
 * the last SGW_NACK_SLOTS packets sent to it, indexed by their sequence
 * number. A per-stream cache of plaintext would be smaller with many
 * viewers per stream, but re-protecting at an index already used is what
 * the index rules forbid the egress context to do (docs/security.md).
 *
 * Two workers meet here. The worker of the viewer's port reads its RTCP
 * and posts each NACK's (SSRC, PID, BLP) to the viewer's mailbox (in its
 * sgw_viewer_state, a single-producer ring: head written by that worker);
 * the stream's home worker, which alone writes the cache and sends to the
 * viewer, takes them on the stream's next packet and resends what it still
 * holds. A mailbox that overflowed loses its oldest requests (counted).
 * A request read while being overwritten can only name another packet of
 * the same viewer's cache: harmless. Bounds against a viewer that NACKs
 * everything: each packet is resent at most SGW_NACK_RESENDS times, and
 * at most SGW_NACK_PER_PACKET are resent per packet of the stream.
 */
#ifndef SRTPGW_NACK_CACHE_H
#define SRTPGW_NACK_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#define SGW_NACK_SLOTS 512     /* packets kept per viewer: ~1 s at 5 Mb/s of 1200 B */
#define SGW_NACK_PKT_MAX 1472  /* bigger packets are not kept */
#define SGW_NACK_MAILBOX 32    /* NACK items (PID + BLP) in flight per viewer */
#define SGW_NACK_RESENDS 3     /* a packet is resent at most this often */
#define SGW_NACK_PER_PACKET 16 /* resends per packet of the stream, at most */

struct sgw_nack_req {
	uint32_t ssrc; /* media source SSRC the NACK names */
	uint16_t pid;  /* a lost packet's sequence number */
	uint16_t blp;  /* bit i: pid + i + 1 lost too */
};

struct sgw_nack_mailbox {
	uint32_t head; /* written by the viewer port's worker (release) */
	struct sgw_nack_req req[SGW_NACK_MAILBOX];
};

struct sgw_nack_slot {
	uint32_t ssrc;
	uint16_t seq;
	uint16_t len;  /* 0: empty */
	uint8_t resent; /* times resent: at most SGW_NACK_RESENDS */
	uint8_t data[SGW_NACK_PKT_MAX];
};

/* Written and read by the stream's home worker only. */
struct sgw_nack_cache {
	uint32_t tail; /* mailbox requests taken */
	uint32_t it;   /* in the request at tail: 0 its PID, k its BLP bit k - 1 */
	struct sgw_nack_slot slot[SGW_NACK_SLOTS];
};

/* Viewer port's worker: post one NACK item. */
static inline void sgw_nack_post(struct sgw_nack_mailbox *mb, uint32_t ssrc, uint16_t pid, uint16_t blp)
{
	uint32_t h = mb->head;

	mb->req[h % SGW_NACK_MAILBOX] = (struct sgw_nack_req){ .ssrc = ssrc, .pid = pid, .blp = blp };
	__atomic_store_n(&mb->head, h + 1, __ATOMIC_RELEASE);
}

/* Home worker: whether requests wait (one load). */
static inline bool sgw_nack_pending(const struct sgw_nack_mailbox *mb, const struct sgw_nack_cache *c)
{
	return __atomic_load_n(&mb->head, __ATOMIC_ACQUIRE) != c->tail;
}

/* Home worker: keep the protected RTP packet p (len bytes, its header
 * already the viewer's: SSRC and sequence number). */
void sgw_nack_keep(struct sgw_nack_cache *c, const uint8_t *p, uint32_t len);

/* Home worker: the next packet a request names, or NULL when none is
 * left. Each item expands to up to 17 sequence numbers. Counts into lost what
 * the mailbox overwrote and into missed what the cache no longer holds. */
const struct sgw_nack_slot *sgw_nack_next(struct sgw_nack_cache *c, const struct sgw_nack_mailbox *mb,
					  uint64_t *missed, uint64_t *lost);

#endif
