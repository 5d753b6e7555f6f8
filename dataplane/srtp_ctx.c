/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One libsrtp session per context, with a single wildcard stream template:
 * ssrc_any_inbound for INBOUND, ssrc_any_outbound for OUTBOUND. libsrtp
 * clones the template per SSRC on first use. No MKI is ever used.
 */
#include <pthread.h>
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

struct sgw_srtp {
	srtp_t session;
	enum sgw_srtp_dir dir;
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

struct sgw_srtp *
sgw_srtp_create(const struct sgw_key *key, enum sgw_srtp_dir dir,
		unsigned replay_window)
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

enum sgw_srtp_result
sgw_srtp_unprotect(struct sgw_srtp *ctx, void *pkt, int *len)
{
	if (!usable(ctx, SGW_SRTP_INBOUND, len, RTP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	return map_status(srtp_unprotect(ctx->session, pkt, len));
}

enum sgw_srtp_result
sgw_srtp_unprotect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len)
{
	if (!usable(ctx, SGW_SRTP_INBOUND, len, RTCP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	return map_status(srtp_unprotect_rtcp(ctx->session, pkt, len));
}

enum sgw_srtp_result
sgw_srtp_protect(struct sgw_srtp *ctx, void *pkt, int *len)
{
	if (!usable(ctx, SGW_SRTP_OUTBOUND, len, RTP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	return map_status(srtp_protect(ctx->session, pkt, len));
}

enum sgw_srtp_result
sgw_srtp_protect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len)
{
	if (!usable(ctx, SGW_SRTP_OUTBOUND, len, RTCP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	return map_status(srtp_protect_rtcp(ctx->session, pkt, len));
}
