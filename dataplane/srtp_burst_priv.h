/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The burst engine's state layout and the pieces its files share:
 * srtp_burst_ctx.c (managers, contexts, key derivation), srtp_burst.c
 * (SRTP), srtcp_burst.c (SRTCP). docs/crypto-engine.md has the design.
 */
#ifndef SRTPGW_SRTP_BURST_PRIV_H
#define SRTPGW_SRTP_BURST_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "dataplane/srtp_burst.h"

#define BURST_RTP_HDR_MIN 12
#define BURST_RTCP_HDR 8
#define BURST_SRTCP_TRAILER 4      /* E flag + 31-bit SRTCP index */
#define BURST_SRTCP_TAG 10         /* SRTCP's HMAC-SHA1-80, every AES-CM suite */
#define BURST_SRTCP_E 0x80000000u
#define BURST_SRTCP_INDEX_MAX 0x7fffffffu
#define BURST_HMAC_OUT 12          /* HMAC-SHA1 bytes ipsec-mb writes (>= any tag) */
#define BURST_SEQ_MEDIAN 0x8000
#define BURST_SRTCP_WINDOW 128     /* libsrtp's srtp_rdb_t: fixed */

/* One half (RTP or RTCP) of a context's session keys. ipsec-mb wants the
 * round keys and HMAC states 16-byte aligned. */
struct burst_keys {
	uint8_t aes_enc[16 * 11] __attribute__((aligned(16))); /* AES-128 round keys */
	uint8_t ipad[32] __attribute__((aligned(16)));  /* SHA-1 state after K ^ ipad */
	uint8_t opad[32] __attribute__((aligned(16)));  /* SHA-1 state after K ^ opad */
	uint8_t salt[16];   /* the 112-bit session salt, then two zero bytes */
};

/* AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714): ipsec-mb's expanded
 * key and GHASH key table per half, the 96-bit session salts. In the
 * context's allocation, after the window; AES-CM contexts have none. */
struct burst_gcm {
	struct gcm_key_data rtp __attribute__((aligned(64)));
	struct gcm_key_data rtcp __attribute__((aligned(64)));
	uint8_t rtp_salt[12];
	uint8_t rtcp_salt[12];
};

#define BURST_GCM_TAG 16
/* E = 0 SRTCP under GCM authenticates the packet as AAD: copied here */
#define BURST_AAD_MAX 9216

/*
 * A context: the mutable state first (one cache line with a 128-packet
 * window), then the keys. The replay window's words follow the keys
 * (window_words of them), allocated with the context.
 */
struct sgw_burst_ctx {
	/* mutable, the owner's */
	uint64_t index;        /* libsrtp's rdbx index: the highest RTP index
	                          accepted (in) or used (out); 0 at first */
	uint32_t ssrc;         /* the SSRC bound, if bound */
	uint32_t rtcp_ws;      /* SRTCP: libsrtp's srtp_rdb_t window_start (in);
	                          the last index used (out) */
	uint64_t rtcp_mask[2]; /* SRTCP: bit j: index rtcp_ws + j seen (in) */
	bool bound;            /* ssrc is set */
	bool rtp_seen;         /* index is a real position */
	uint32_t pending_roc;  /* inbound: a ROC told (sgw_burst_set_roc), 0: none */
	/* constant after creation */
	uint8_t dir;           /* enum sgw_srtp_dir */
	uint8_t suite;
	uint8_t rtp_tag_len;   /* 10 or 4 */
	uint16_t window_bits;  /* the replay window, a multiple of 32 */
	uint16_t window_words; /* 64-bit words of its ring: a power of two */
	uint32_t size;         /* bytes of the allocation (sgw_burst_ctx_clone) */
	struct burst_gcm *gcm; /* GCM suites: the keys (in this allocation) */
	struct burst_keys rtp __attribute__((aligned(64)));
	struct burst_keys rtcp;
	/* the window's ring: bit x mod (window_words * 64) (word / 64):
	 * index x seen (burst_replay_check) */
	uint64_t window[];
};

/* One lcore's: the ipsec-mb manager and the burst's scratch. */
struct sgw_burst_mgr {
	IMB_MGR *imb;
	const char *arch;
	IMB_JOB jobs[SGW_BURST_MAX];
	IMB_JOB redo;                          /* one packet's hash again */
	uint8_t jpkt[SGW_BURST_MAX];           /* job -> packet of the chunk */
	/* per packet of the chunk */
	uint8_t tag[SGW_BURST_MAX][16] __attribute__((aligned(16))); /* computed */
	uint8_t rx_tag[SGW_BURST_MAX][16];     /* the tag the packet carried */
	uint8_t iv[SGW_BURST_MAX][16] __attribute__((aligned(16)));
	uint64_t est[SGW_BURST_MAX];           /* index guessed before auth */
	uint16_t hdr_len[SGW_BURST_MAX];
	uint8_t state[SGW_BURST_MAX];          /* enum burst_pkt_state */
	struct gcm_context_data gcm_ctx;       /* one GCM call's */
	uint8_t aad[BURST_AAD_MAX];            /* GCM SRTCP's AAD, assembled */
};

enum burst_pkt_state {
	PKT_DONE = 0,      /* res[] is final */
	PKT_HASHED,        /* waits for its verdict */
	PKT_PARSE_ERR,     /* libsrtp's parse_err: after its replay check */
	PKT_GCM,           /* an AEAD packet: all done in packet order */
};

static inline uint16_t burst_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t burst_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void burst_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Tags (4, 10 or 16 bytes: HMAC-SHA1-32, -80, GCM) copied and compared as
 * two overlapping words. A memcpy of a length known only at run time
 * compiles to a byte loop or `rep movsq` (a fifth of protect_chunk's
 * samples), and CRYPTO_memcmp is a call and a byte loop.
 * The compare is constant time in the bytes (only t, public, branches).
 */
static inline void burst_tag_copy(uint8_t *d, const uint8_t *s, unsigned t)
{
	if (t >= 8 && t <= 16) {
		uint64_t a, b;

		memcpy(&a, s, 8);
		memcpy(&b, s + t - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + t - 8, &b, 8);
	} else if (t >= 4 && t < 8) {
		uint32_t a, b;

		memcpy(&a, s, 4);
		memcpy(&b, s + t - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + t - 4, &b, 4);
	} else {
		for (unsigned k = 0; k < t; k++)
			d[k] = s[k];
	}
}

static inline bool burst_tag_equal(const uint8_t *x, const uint8_t *y, unsigned t)
{
	uint64_t diff = 0;

	if (t >= 8 && t <= 16) {
		uint64_t a0, a1, b0, b1;

		memcpy(&a0, x, 8), memcpy(&a1, x + t - 8, 8);
		memcpy(&b0, y, 8), memcpy(&b1, y + t - 8, 8);
		diff = (a0 ^ b0) | (a1 ^ b1);
	} else if (t >= 4 && t < 8) {
		uint32_t a0, a1, b0, b1;

		memcpy(&a0, x, 4), memcpy(&a1, x + t - 4, 4);
		memcpy(&b0, y, 4), memcpy(&b1, y + t - 4, 4);
		diff = (a0 ^ b0) | (a1 ^ b1);
	} else {
		for (unsigned k = 0; k < t; k++)
			diff |= (uint64_t)(x[k] ^ y[k]);
	}
	return diff == 0;
}

static inline bool burst_is_gcm(const struct sgw_burst_ctx *c)
{
	return c->gcm != NULL;
}

/* RFC 7714 8.1: the 12-byte IV, 00 00 || SSRC || ROC || SEQ XOR salt;
 * 9.1 (SRTCP): 00 00 || SSRC || 00 00 || 0 || index XOR salt. */
static inline void burst_gcm_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc,
				uint32_t hi, uint32_t lo)
{
	uint8_t in[12] = { 0 };

	burst_wr32(in + 2, ssrc);
	in[6] = (uint8_t)(hi >> 8);
	in[7] = (uint8_t)hi;
	burst_wr32(in + 8, lo);
	for (int i = 0; i < 12; i++)
		iv[i] = in[i] ^ salt[i];
}

/* GCM in place (ipsec-mb's direct API), the tag to tag. */
void burst_gcm_enc(struct sgw_burst_mgr *m, const struct sgw_burst_ctx *c,
		   const struct gcm_key_data *k, uint8_t *p, uint64_t len, const uint8_t *iv,
		   const uint8_t *aad, uint64_t aad_len, uint8_t *tag);
void burst_gcm_dec(struct sgw_burst_mgr *m, const struct sgw_burst_ctx *c,
		   const struct gcm_key_data *k, uint8_t *p, uint64_t len, const uint8_t *iv,
		   const uint8_t *aad, uint64_t aad_len, uint8_t *tag);

/* The AES-CM IV of RFC 3711 4.1.1: (salt * 2^16) XOR (SSRC * 2^64) XOR
 * (index * 2^16), index 48 bits (SRTP) or 31 (SRTCP). */
static inline void burst_iv(uint8_t iv[16], const uint8_t salt[16], uint32_t ssrc, uint64_t index)
{
	memcpy(iv, salt, 16);
	iv[4] ^= (uint8_t)(ssrc >> 24);
	iv[5] ^= (uint8_t)(ssrc >> 16);
	iv[6] ^= (uint8_t)(ssrc >> 8);
	iv[7] ^= (uint8_t)ssrc;
	iv[8] ^= (uint8_t)(index >> 40);
	iv[9] ^= (uint8_t)(index >> 32);
	iv[10] ^= (uint8_t)(index >> 24);
	iv[11] ^= (uint8_t)(index >> 16);
	iv[12] ^= (uint8_t)(index >> 8);
	iv[13] ^= (uint8_t)index;
}

/*
 * libsrtp 2.5's srtp_rdbx_estimate_index (RFC 3711 Appendix A, with
 * libsrtp's rule that an index at or below 2^15 never guesses ROC - 1):
 * the index of seq s for a receiver (or sender) at local; returns delta,
 * the guess minus local.
 */
static inline int32_t burst_estimate(uint64_t local, uint16_t s, uint64_t *guess)
{
	uint32_t local_roc = (uint32_t)(local >> 16), roc;
	uint16_t local_seq = (uint16_t)local;
	int32_t diff;

	if (local <= BURST_SEQ_MEDIAN) {
		*guess = s;
		return (int32_t)s - (int32_t)local_seq;
	}
	if (local_seq < BURST_SEQ_MEDIAN) {
		if ((int32_t)s - (int32_t)local_seq > BURST_SEQ_MEDIAN) {
			roc = local_roc - 1;
			diff = (int32_t)s - (int32_t)local_seq - 0x10000;
		} else {
			roc = local_roc;
			diff = (int32_t)s - (int32_t)local_seq;
		}
	} else if ((int32_t)local_seq - BURST_SEQ_MEDIAN > (int32_t)s) {
		roc = local_roc + 1;
		diff = (int32_t)s - (int32_t)local_seq + 0x10000;
	} else {
		roc = local_roc;
		diff = (int32_t)s - (int32_t)local_seq;
	}
	*guess = (uint64_t)roc << 16 | s;
	return diff;
}

/* How an inbound packet's index relates to its context's (libsrtp's
 * srtp_get_est_pkt_index). */
enum burst_est {
	EST_OK,  /* delta is the index minus the context's: replay-check it */
	EST_ADV, /* a told ROC put it more than 2^15 ahead: no replay check;
	            accepted, it becomes the index with an empty window */
	EST_OLD, /* a told ROC put it more than 2^15 behind: refused
	            (srtp_err_status_pkt_idx_old) before anything else */
};

/*
 * An inbound packet's index: the usual estimate (burst_estimate), or with
 * a ROC told (c->pending_roc != 0) libsrtp's srtp_estimate_index: that ROC
 * and seq s, whatever the context's index. libsrtp keeps a told ROC until
 * a packet accepted under it is more than 2^15 ahead (EST_ADV); packets
 * within 2^15 take it too, and move the window as usual.
 */
static inline enum burst_est burst_in_estimate(const struct sgw_burst_ctx *c, uint16_t s,
					       uint64_t *est, int32_t *delta)
{
	if (__builtin_expect(c->pending_roc == 0, 1)) {
		*delta = burst_estimate(c->index, s, est);
		return EST_OK;
	}
	*est = (uint64_t)c->pending_roc << 16 | s;
	if (*est > c->index && *est - c->index > BURST_SEQ_MEDIAN)
		return EST_ADV;
	if (*est < c->index && c->index - *est > BURST_SEQ_MEDIAN)
		return EST_OLD;
	*delta = (int32_t)(int64_t)(*est - c->index);
	return EST_OK;
}

/*
 * The replay window is a ring of window_words * 64 bits (a power of two,
 * at least window_bits): index x's bit is x modulo that. Moving the top
 * by delta clears the delta positions the new indices take, so a packet
 * in order costs one word whatever the window's size (libsrtp shifts its
 * whole bitvector: 512 words at its widest, 0x7fff). Only the bits of
 * the window_bits indices up to the top are ever read.
 */
static inline uint32_t burst_ring_mask(const struct sgw_burst_ctx *c)
{
	return (uint32_t)c->window_words * 64 - 1;
}

static inline void burst_ring_set(struct sgw_burst_ctx *c, uint64_t x)
{
	uint32_t p = (uint32_t)x & burst_ring_mask(c);

	c->window[p >> 6] |= 1ull << (p & 63);
}

/* Clear the bits of the count indices from x on. */
static inline void burst_ring_clear(struct sgw_burst_ctx *c, uint64_t x, uint32_t count)
{
	uint32_t mask = burst_ring_mask(c), p = (uint32_t)x & mask;

	if (count > mask) {
		memset(c->window, 0, (size_t)c->window_words * 8);
		return;
	}
	while (count > 0) {
		uint32_t b = p & 63, take = 64 - b < count ? 64 - b : count;
		uint64_t bits = take == 64 ? ~0ull : ((1ull << take) - 1) << b;

		c->window[p >> 6] &= ~bits;
		count -= take;
		p = (p + take) & mask;
	}
}

/* libsrtp's srtp_rdbx_check: SGW_SRTP_OK, or SGW_SRTP_ERR_REPLAY (a
 * replay, or older than the window). */
static inline enum sgw_srtp_result burst_replay_check(const struct sgw_burst_ctx *c, int32_t delta)
{
	uint32_t k, p;

	if (delta > 0)
		return SGW_SRTP_OK;
	k = (uint32_t)-delta;
	if (k >= c->window_bits)
		return SGW_SRTP_ERR_REPLAY;
	p = (uint32_t)(c->index - k) & burst_ring_mask(c);
	return (c->window[p >> 6] >> (p & 63)) & 1 ? SGW_SRTP_ERR_REPLAY : SGW_SRTP_OK;
}

/* libsrtp's srtp_rdbx_add_index, after a check passed. */
static inline void burst_replay_add(struct sgw_burst_ctx *c, int32_t delta)
{
	if (delta <= 0) {
		burst_ring_set(c, c->index - (uint32_t)-delta);
		return;
	}
	/* index + (uint16_t)delta, as libsrtp's srtp_index_advance: delta
	 * is at most 2^16 - 1 here */
	burst_ring_clear(c, c->index + 1, (uint16_t)delta);
	c->index += (uint16_t)delta;
	burst_ring_set(c, c->index);
}

/* An inbound packet authenticated: its index into the window (as libsrtp
 * after srtp_unprotect's tag check). */
static inline void burst_in_take(struct sgw_burst_ctx *c, enum burst_est e, uint64_t est,
				 int32_t delta)
{
	if (__builtin_expect(e == EST_ADV, 0)) {
		/* srtp_rdbx_set_roc_seq, pending_roc = 0, srtp_rdbx_add_index(0) */
		c->index = est;
		memset(c->window, 0, (size_t)c->window_words * 8);
		c->pending_roc = 0;
		delta = 0;
	}
	burst_replay_add(c, delta);
}

/* libsrtp's srtp_rdb_check (SRTCP, inbound). */
static inline enum sgw_srtp_result burst_rtcp_check(const struct sgw_burst_ctx *c, uint32_t idx)
{
	uint32_t j;

	if (idx >= c->rtcp_ws + BURST_SRTCP_WINDOW)
		return SGW_SRTP_OK;
	if (idx < c->rtcp_ws)
		return SGW_SRTP_ERR_REPLAY;
	j = idx - c->rtcp_ws;
	return (c->rtcp_mask[j >> 6] >> (j & 63)) & 1 ? SGW_SRTP_ERR_REPLAY : SGW_SRTP_OK;
}

/* libsrtp's srtp_rdb_add_index, after a check passed. */
static inline void burst_rtcp_add(struct sgw_burst_ctx *c, uint32_t idx)
{
	uint32_t j = idx - c->rtcp_ws;

	if (j >= BURST_SRTCP_WINDOW) {
		uint32_t d = j - (BURST_SRTCP_WINDOW - 1);

		if (d >= 128) {
			c->rtcp_mask[0] = c->rtcp_mask[1] = 0;
		} else if (d >= 64) {
			c->rtcp_mask[0] = c->rtcp_mask[1] >> (d - 64);
			c->rtcp_mask[1] = 0;
		} else if (d > 0) {
			c->rtcp_mask[0] = c->rtcp_mask[0] >> d | c->rtcp_mask[1] << (64 - d);
			c->rtcp_mask[1] >>= d;
		}
		c->rtcp_ws += d;
		j = BURST_SRTCP_WINDOW - 1;
	}
	c->rtcp_mask[j >> 6] |= 1ull << (j & 63);
}

/* RTP header length as libsrtp's srtp_validate_rtp_header counts it (the
 * start of the encrypted part), or -1 if the packet is too short for it. */
static inline int burst_rtp_hdr_len(const uint8_t *p, int len)
{
	int h;

	if (len < BURST_RTP_HDR_MIN)
		return -1;
	h = BURST_RTP_HDR_MIN + 4 * (p[0] & 0x0f);
	if (p[0] & 0x10) {
		h += 4;
		if (len < h)
			return -1;
		h += 4 * burst_rd16(p + h - 2);
	}
	return len < h ? -1 : h;
}

/* A hash (HMAC-SHA1) job over len bytes of src, the tag to out. */
static inline void burst_hash_job(IMB_JOB *j, const struct burst_keys *k, const uint8_t *src,
				  uint64_t len, uint8_t *out)
{
	j->src = src;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->auth_tag_output = out;
	j->auth_tag_output_len_in_bytes = BURST_HMAC_OUT;
	j->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = k->opad;
	j->hash_alg = IMB_AUTH_HMAC_SHA_1;
	j->cipher_mode = IMB_CIPHER_NULL;
	j->chain_order = IMB_ORDER_HASH_CIPHER;
}

/* An AES-128-CTR job over len bytes at p (in place). */
static inline void burst_cipher_job(IMB_JOB *j, const struct burst_keys *k, uint8_t *p,
				    uint64_t len, const uint8_t *iv, IMB_CIPHER_DIRECTION dir)
{
	j->enc_keys = k->aes_enc;
	j->dec_keys = k->aes_enc;
	j->key_len_in_bytes = IMB_KEY_128_BYTES;
	j->src = p;
	j->dst = p;
	j->cipher_start_src_offset_in_bytes = 0;
	j->msg_len_to_cipher_in_bytes = len;
	j->iv = iv;
	j->iv_len_in_bytes = 16;
	j->cipher_mode = IMB_CIPHER_CNTR;
	j->cipher_direction = dir;
	j->hash_alg = IMB_AUTH_NULL;
	j->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
}

/* Submit nj hash (HMAC-SHA1) or cipher (AES-128-CTR) jobs; 0, or -1 if
 * ipsec-mb refused one (then no result of the burst may be trusted). */
int burst_run_hash(struct sgw_burst_mgr *m, IMB_JOB *jobs, unsigned nj);
int burst_run_cipher(struct sgw_burst_mgr *m, IMB_JOB *jobs, unsigned nj,
		     IMB_CIPHER_DIRECTION dir);

#endif
