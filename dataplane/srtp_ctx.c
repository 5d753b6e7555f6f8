/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One libsrtp session per context, with a single wildcard stream template:
 * ssrc_any_inbound for INBOUND, ssrc_any_outbound for OUTBOUND. libsrtp
 * clones the template per SSRC on first use. No MKI is ever used.
 *
 * Position (srtp_ctx.h): the owner follows one SSRC's highest packet index
 * with the RFC 3711 estimate, as libsrtp does, and publishes it. A context
 * made from a position also has a stream of its own for that SSRC, made
 * with the key while it is at hand, whose ROC is set (srtp_set_stream_roc:
 * the ROC of the next packet exactly) when the first packet of it comes.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "api/suite.h"
#include "dataplane/srtp_ctx.h"

#define RTP_HDR_MIN 12
#define RTCP_HDR_MIN 8
#define SRTCP_INDEX_LEN 4 /* E flag + 31-bit SRTCP index */

#define WINDOW_DEFAULT 128
#define WINDOW_MIN 64
/* libsrtp (srtp_stream_init) rejects window_size >= 0x8000. */
#define WINDOW_MAX 0x7fff

/*
 * Without MKI, libsrtp appends at most a tag (RTP) or the SRTCP index and a
 * tag (RTCP). SRTP_MAX_TRAILER_LEN also counts a 128-byte MKI, which is
 * never configured here; sgw_srtp_create() checks the real trailer too.
 */
_Static_assert(SGW_SRTP_MAX_TRAILER >= SRTP_MAX_TAG_LEN + SRTCP_INDEX_LEN,
	       "SGW_SRTP_MAX_TRAILER too small for an SRTCP index and tag");
_Static_assert(SGW_KEY_MAX <= SRTP_MAX_KEY_LEN,
	       "sgw_key material does not fit a libsrtp key");

#define POS_VALID (1ull << 63)
#define SEQ_HALF 0x8000
/* Inbound resume tries restore the packet from a copy (GCM decrypts in
 * place before it checks the tag); longer packets get one try. */
#define RESUME_COPY_MAX 9216

struct sgw_srtp {
	srtp_t session;
	enum sgw_srtp_dir dir;
	/* the owner's alone */
	bool following;      /* f_ssrc and f_index are set */
	bool resume_pending; /* made from a position, no packet of r_ssrc yet */
	uint32_t f_ssrc;
	uint32_t others;     /* accepted packets of other SSRCs in a row */
	uint64_t f_index;
	uint32_t r_ssrc;
	uint64_t r_index;
	/* the owner writes (release), anyone reads (acquire) */
	uint32_t pub_ssrc;
	uint64_t pub_index;  /* POS_VALID | index, or 0 */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;

static void
global_init_once(void)
{
	init_rc = srtp_init() == srtp_err_status_ok ? 0 : -1;
}

int
sgw_srtp_global_init(void)
{
	if (pthread_once(&init_once, global_init_once) != 0)
		return -1;
	return init_rc;
}

static int
set_crypto_policy(srtp_policy_t *p, unsigned suite)
{
	switch (suite) {
	case SGW_SUITE_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		return 0;
	case SGW_SUITE_AES_CM_128_HMAC_SHA1_32:
		/* SRTCP keeps the 80-bit tag (RFC 5764 4.1.2, RFC 3711 7.5). */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		return 0;
	case SGW_SUITE_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		return 0;
	case SGW_SUITE_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		return 0;
	default:
		return -1;
	}
}

/* 0 if what libsrtp will append fits in SGW_SRTP_MAX_TRAILER. */
static int
check_trailer(srtp_t session)
{
	uint32_t rtp, rtcp;

	if (srtp_get_protect_trailer_length(session, 0, 0, &rtp) !=
	    srtp_err_status_ok ||
	    srtp_get_protect_rtcp_trailer_length(session, 0, 0, &rtcp) !=
	    srtp_err_status_ok)
		return -1;
	return rtp <= SGW_SRTP_MAX_TRAILER && rtcp <= SGW_SRTP_MAX_TRAILER ?
		0 : -1;
}

static inline uint16_t
rtp_seq(const uint8_t *p)
{
	return (uint16_t)(p[2] << 8 | p[3]);
}

static inline uint32_t
rtp_ssrc(const uint8_t *p)
{
	return (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
}

uint32_t
sgw_srtp_roc_estimate(uint64_t index, uint16_t seq)
{
	uint32_t roc = (uint32_t)(index >> 16);
	int s_l = (int)(index & 0xffff);

	if (s_l < SEQ_HALF) {
		if ((int)seq - s_l > SEQ_HALF && roc > 0)
			return roc - 1;
	} else if (s_l - SEQ_HALF > (int)seq) {
		return roc + 1;
	}
	return roc;
}

/* Follow ssrc from index on, and publish it. A reader that sees pub_index
 * unchanged around its read of pub_ssrc has a matching pair. */
static void
follow_at(struct sgw_srtp *ctx, uint32_t ssrc, uint64_t index)
{
	bool same = ctx->following && ctx->f_ssrc == ssrc;

	ctx->following = true;
	ctx->f_ssrc = ssrc;
	ctx->f_index = index;
	ctx->others = 0;
	if (!same) {
		__atomic_store_n(&ctx->pub_index, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&ctx->pub_ssrc, ssrc, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&ctx->pub_index, POS_VALID | index, __ATOMIC_RELEASE);
}

/* A packet of another SSRC than the one followed was accepted. */
static void __attribute__((noinline))
follow_other(struct sgw_srtp *ctx, uint32_t ssrc, uint16_t seq)
{
	uint32_t roc;

	if (ctx->following && ++ctx->others < SGW_SRTP_FOLLOW_AFTER)
		return;
	/* libsrtp's ROC of that SSRC (its highest index), with this seq: at
	 * most a reordered packet's distance from the truth */
	if (srtp_get_stream_roc(ctx->session, ssrc, &roc) != srtp_err_status_ok)
		roc = 0;
	follow_at(ctx, ssrc, (uint64_t)roc << 16 | seq);
}

/* After a packet was accepted or sent: move the followed index. */
static inline void
follow(struct sgw_srtp *ctx, const uint8_t *pkt)
{
	uint32_t ssrc = rtp_ssrc(pkt);
	uint16_t seq = rtp_seq(pkt);
	uint64_t est;

	if (__builtin_expect(!ctx->following || ssrc != ctx->f_ssrc, 0)) {
		follow_other(ctx, ssrc, seq);
		return;
	}
	ctx->others = 0;
	est = (uint64_t)sgw_srtp_roc_estimate(ctx->f_index, seq) << 16 | seq;
	if (est > ctx->f_index) {
		ctx->f_index = est;
		__atomic_store_n(&ctx->pub_index, POS_VALID | est, __ATOMIC_RELEASE);
	}
}

int
sgw_srtp_position(const struct sgw_srtp *ctx, struct sgw_srtp_pos *out)
{
	if (ctx == NULL)
		return -1;
	for (int tries = 0; tries < 8; tries++) {
		uint64_t i1 = __atomic_load_n(&ctx->pub_index, __ATOMIC_ACQUIRE);
		uint32_t ssrc = __atomic_load_n(&ctx->pub_ssrc, __ATOMIC_ACQUIRE);
		uint64_t i2 = __atomic_load_n(&ctx->pub_index, __ATOMIC_ACQUIRE);

		if (i1 != i2)
			continue;
		if (!(i1 & POS_VALID))
			return -1;
		out->ssrc = ssrc;
		out->roc = (uint32_t)((i1 & ~POS_VALID) >> 16);
		out->seq = (uint16_t)i1;
		return 0;
	}
	return -1;
}

struct sgw_srtp *
sgw_srtp_create(const struct sgw_key *key, enum sgw_srtp_dir dir,
		unsigned replay_window)
{
	return sgw_srtp_create_at(key, dir, replay_window, NULL);
}

struct sgw_srtp *
sgw_srtp_create_at(const struct sgw_key *key, enum sgw_srtp_dir dir,
		   unsigned replay_window, const struct sgw_srtp_pos *from)
{
	uint8_t material[SRTP_MAX_KEY_LEN];
	struct sgw_srtp *ctx = NULL;
	srtp_policy_t policy;
	unsigned len;

	if (key == NULL || (dir != SGW_SRTP_INBOUND && dir != SGW_SRTP_OUTBOUND))
		return NULL;
	len = sgw_suite_master_len(key->suite);
	if (len == 0 || key->len != len || len > sizeof(material))
		return NULL;
	if (replay_window == 0)
		replay_window = WINDOW_DEFAULT;
	if (replay_window < WINDOW_MIN || replay_window > WINDOW_MAX)
		return NULL;
	if (sgw_srtp_global_init() != 0)
		return NULL;

	memset(&policy, 0, sizeof(policy));
	if (set_crypto_policy(&policy, key->suite) != 0)
		return NULL;
	policy.ssrc.type = dir == SGW_SRTP_INBOUND ? ssrc_any_inbound :
						     ssrc_any_outbound;
	policy.window_size = replay_window;
	policy.allow_repeat_tx = dir == SGW_SRTP_OUTBOUND;
	memcpy(material, key->material, len);
	policy.key = material;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		goto out;
	ctx->dir = dir;
	if (srtp_create(&ctx->session, &policy) != srtp_err_status_ok) {
		free(ctx);
		ctx = NULL;
		goto out;
	}
	if (check_trailer(ctx->session) != 0) {
		sgw_srtp_free(ctx);
		ctx = NULL;
		goto out;
	}
	if (from != NULL) {
		/* a stream of its own for the SSRC, so that its ROC can be set */
		policy.ssrc.type = ssrc_specific;
		policy.ssrc.value = from->ssrc;
		if (srtp_add_stream(ctx->session, &policy) != srtp_err_status_ok) {
			sgw_srtp_free(ctx);
			ctx = NULL;
			goto out;
		}
		ctx->resume_pending = true;
		ctx->r_ssrc = from->ssrc;
		ctx->r_index = (uint64_t)from->roc << 16 | from->seq;
		follow_at(ctx, from->ssrc, ctx->r_index);
	}
out:
	OPENSSL_cleanse(material, sizeof(material));
	OPENSSL_cleanse(&policy, sizeof(policy));
	return ctx;
}

void
sgw_srtp_free(struct sgw_srtp *ctx)
{
	if (ctx == NULL)
		return;
	srtp_dealloc(ctx->session); /* zeroes the session keys */
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

static enum sgw_srtp_result
map_status(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return SGW_SRTP_OK;
	case srtp_err_status_auth_fail:
		return SGW_SRTP_ERR_AUTH;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return SGW_SRTP_ERR_REPLAY;
	default:
		return SGW_SRTP_ERR_OTHER;
	}
}

/* A context only works in its own direction: never encrypt with a receive key. */
static int
usable(const struct sgw_srtp *ctx, enum sgw_srtp_dir dir, const int *len,
       int min_len)
{
	return ctx != NULL && ctx->dir == dir && *len >= min_len;
}

/* The first packet of the resumed SSRC went through under roc. */
static void
resumed(struct sgw_srtp *ctx, uint32_t roc, uint16_t seq)
{
	ctx->resume_pending = false;
	if (!ctx->following || ctx->f_ssrc == ctx->r_ssrc)
		follow_at(ctx, ctx->r_ssrc, (uint64_t)roc << 16 | seq);
}

/* The first packets of the resumed SSRC: the estimated ROC, then the
 * next ones, until one authenticates. libsrtp checks no replay for a
 * packet whose ROC is set, and the position is the highest index the old
 * context accepted: a packet at or below it is one it had, and is refused
 * as a replay without a try. */
static enum sgw_srtp_result __attribute__((noinline))
unprotect_resumed(struct sgw_srtp *ctx, uint8_t *pkt, int *len)
{
	uint8_t copy[RESUME_COPY_MAX];
	uint16_t seq = rtp_seq(pkt);
	uint32_t roc = sgw_srtp_roc_estimate(ctx->r_index, seq);
	int len0 = *len;
	bool retry = len0 <= (int)sizeof(copy), tried = false, older = false;
	srtp_err_status_t st = srtp_err_status_fail;

	if (retry)
		memcpy(copy, pkt, (size_t)len0);
	for (unsigned i = 0; i < SGW_SRTP_RESUME_TRIES; i++, roc++) {
		if (((uint64_t)roc << 16 | seq) <= ctx->r_index) {
			older = true;
			continue;
		}
		if (tried) {
			if (!retry)
				break;
			memcpy(pkt, copy, (size_t)len0);
			*len = len0;
		}
		tried = true;
		/* ROC 0 clears what an earlier try set: a fresh stream
		 * estimates ROC 0 by itself */
		srtp_set_stream_roc(ctx->session, ctx->r_ssrc, roc);
		st = srtp_unprotect(ctx->session, pkt, len);
		if (st == srtp_err_status_ok) {
			resumed(ctx, roc, seq);
			break;
		}
		if (st != srtp_err_status_auth_fail)
			break;
	}
	if (retry)
		OPENSSL_cleanse(copy, (size_t)len0);
	if (st != srtp_err_status_ok && older)
		return SGW_SRTP_ERR_REPLAY;
	return map_status(st);
}

enum sgw_srtp_result
sgw_srtp_unprotect(struct sgw_srtp *ctx, void *pkt, int *len)
{
	srtp_err_status_t st;

	if (!usable(ctx, SGW_SRTP_INBOUND, len, RTP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	if (__builtin_expect(ctx->resume_pending, 0) && rtp_ssrc(pkt) == ctx->r_ssrc)
		return unprotect_resumed(ctx, pkt, len);
	st = srtp_unprotect(ctx->session, pkt, len);
	if (st == srtp_err_status_ok)
		follow(ctx, pkt);
	return map_status(st);
}

enum sgw_srtp_result
sgw_srtp_unprotect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len)
{
	if (!usable(ctx, SGW_SRTP_INBOUND, len, RTCP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	return map_status(srtp_unprotect_rtcp(ctx->session, pkt, len));
}

/* The first packet of the resumed SSRC gets the ROC a receiver at the
 * position estimates for it. */
static enum sgw_srtp_result __attribute__((noinline))
protect_resumed(struct sgw_srtp *ctx, uint8_t *pkt, int *len)
{
	uint16_t seq = rtp_seq(pkt);
	uint32_t roc = sgw_srtp_roc_estimate(ctx->r_index, seq);
	srtp_err_status_t st;

	srtp_set_stream_roc(ctx->session, ctx->r_ssrc, roc);
	st = srtp_protect(ctx->session, pkt, len);
	if (st == srtp_err_status_ok)
		resumed(ctx, roc, seq);
	return map_status(st);
}

enum sgw_srtp_result
sgw_srtp_protect(struct sgw_srtp *ctx, void *pkt, int *len)
{
	srtp_err_status_t st;

	if (!usable(ctx, SGW_SRTP_OUTBOUND, len, RTP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	if (__builtin_expect(ctx->resume_pending, 0) && rtp_ssrc(pkt) == ctx->r_ssrc)
		return protect_resumed(ctx, pkt, len);
	st = srtp_protect(ctx->session, pkt, len);
	if (st == srtp_err_status_ok)
		follow(ctx, pkt);
	return map_status(st);
}

enum sgw_srtp_result
sgw_srtp_protect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len)
{
	if (!usable(ctx, SGW_SRTP_OUTBOUND, len, RTCP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	return map_status(srtp_protect_rtcp(ctx->session, pkt, len));
}
