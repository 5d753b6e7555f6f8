/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One libsrtp session per context. Without lanes: a single wildcard stream
 * template (ssrc_any_inbound for INBOUND, ssrc_any_outbound for OUTBOUND)
 * that libsrtp clones per SSRC on first use. With lanes (egress only,
 * srtp_egress.c): one stream per lane SSRC. No MKI is ever used.
 *
 * SSRCs: a context keeps at most max_ssrcs libsrtp streams (slots). A new
 * SSRC beyond them evicts one idle for SGW_SRTP_IDLE_PKTS packets of the
 * others (the LRU clock counts packets that went through, so forged
 * packets age nothing), leaving its highest index as a resume entry: if
 * it comes back it goes on above it, as a context made from a position
 * does; with no idle one the packet is refused (SGW_SRTP_ERR_SSRCS).
 * Inbound, an SSRC's SRTCP makes its stream too, without a slot: at most
 * RTCP_SSRCS_MAX SSRCs have one, SRTCP of a new SSRC past them is refused
 * (SGW_SRTP_ERR_SSRCS) and the stream it made undone.
 *
 * Position (srtp_ctx.h): the owner follows one SSRC's highest packet index
 * with the RFC 3711 estimate, as libsrtp does, and publishes it. A context
 * made from a position has a resume entry for that SSRC: its libsrtp
 * stream is added when the first packet of it comes, with its ROC set
 * (srtp_set_stream_roc: the ROC of the next packet exactly).
 *
 * Ingress on the burst engine: an inbound context made with the engine
 * set has no libsrtp session; srtp_ingress_burst.c stands in for it with
 * the engine's contexts, under the same code here (the sess_* calls),
 * and runs the known SSRCs' packets of a burst together
 * (sgw_srtp_unprotect_burst).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "api/suite.h"
#include "dataplane/srtp_ctx_priv.h"


#define MAX64(a, b) ((a) > (b) ? (a) : (b))
#define WINDOW_DEFAULT 128
#define WINDOW_MIN 64
/* libsrtp (srtp_stream_init) rejects window_size >= 0x8000. */
#define WINDOW_MAX 0x7fff
_Static_assert(SGW_BURST_WINDOW_MAX >= WINDOW_MAX, "the burst engine takes every window libsrtp takes");

/*
 * Without MKI, libsrtp appends at most a tag (RTP) or the SRTCP index and a
 * tag (RTCP). SRTP_MAX_TRAILER_LEN also counts a 128-byte MKI, which is
 * never configured here; sgw_srtp_create() checks the real trailer too.
 */
#define SRTCP_INDEX_LEN 4 /* E flag + 31-bit SRTCP index */
_Static_assert(SGW_SRTP_MAX_TRAILER >= SRTP_MAX_TAG_LEN + SRTCP_INDEX_LEN,
	       "SGW_SRTP_MAX_TRAILER too small for an SRTCP index and tag");
_Static_assert(SGW_KEY_MAX <= SRTP_MAX_KEY_LEN,
	       "sgw_key material does not fit a libsrtp key");



/* ---- the burst engine outside the workers ----------------------------------- */

static enum sgw_srtp_engine engine = SGW_SRTP_ENGINE_LIBSRTP;
/* Contexts are made (keys expanded) on the agent thread and tests' threads,
 * and a lone packet protected outside a burst: on this manager, locked. */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sgw_burst_mgr *shared_mgr;

static struct sgw_burst_mgr *
shared_mgr_locked(void)
{
	if (shared_mgr == NULL)
		shared_mgr = sgw_burst_mgr_create();
	return shared_mgr;
}

int
sgw_srtp_set_engine(enum sgw_srtp_engine e)
{
	int rc = 0;

	if (e == SGW_SRTP_ENGINE_BURST) {
		pthread_mutex_lock(&shared_lock);
		rc = shared_mgr_locked() != NULL ? 0 : -1;
		pthread_mutex_unlock(&shared_lock);
	}
	if (rc == 0)
		__atomic_store_n(&engine, e, __ATOMIC_RELEASE);
	return rc;
}

enum sgw_srtp_engine
sgw_srtp_get_engine(void)
{
	return __atomic_load_n(&engine, __ATOMIC_ACQUIRE);
}

const char *
sgw_srtp_engine_name(void)
{
	static char name[64];

	if (sgw_srtp_get_engine() != SGW_SRTP_ENGINE_BURST)
		return "libsrtp";
	pthread_mutex_lock(&shared_lock);
	snprintf(name, sizeof(name), "burst (intel-ipsec-mb, %s)",
		 shared_mgr != NULL ? sgw_burst_mgr_arch(shared_mgr) : "?");
	pthread_mutex_unlock(&shared_lock);
	return name;
}

bool
sgw_srtp_is_burst(const struct sgw_srtp *ctx)
{
	return ctx != NULL && ctx->burst;
}

struct sgw_burst_ctx *
srtp_ctx_burst_ctx(const struct sgw_key *key, enum sgw_srtp_dir dir, unsigned window)
{
	struct sgw_burst_ctx *c = NULL;
	struct sgw_burst_mgr *m;

	pthread_mutex_lock(&shared_lock);
	m = shared_mgr_locked();
	if (m != NULL)
		c = sgw_burst_ctx_create(m, key, dir, window);
	pthread_mutex_unlock(&shared_lock);
	return c;
}

enum sgw_srtp_result
srtp_ctx_burst_one(struct sgw_burst_ctx *c, uint8_t *p, int *len, uint64_t idx)
{
	enum sgw_srtp_result r = SGW_SRTP_ERR_OTHER;
	struct sgw_burst_mgr *m;

	pthread_mutex_lock(&shared_lock);
	m = shared_mgr_locked();
	if (m != NULL)
		sgw_burst_protect_at(m, &c, &p, len, &idx, &r, 1);
	pthread_mutex_unlock(&shared_lock);
	return r;
}

/* ---- libsrtp ------------------------------------------------------------------ */

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
void
srtp_ctx_follow_at(struct sgw_srtp *ctx, uint32_t ssrc, uint64_t index)
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

static int sess_stream_roc(const struct sgw_srtp *ctx, uint32_t ssrc, uint32_t *roc);

/* A packet of another SSRC than the one followed was accepted. known: its
 * stream's index after it, if the caller knows it. */
static void __attribute__((noinline))
follow_other(struct sgw_srtp *ctx, uint32_t ssrc, uint16_t seq, const uint64_t *known)
{
	uint32_t roc;

	if (ctx->following && ++ctx->others < SGW_SRTP_FOLLOW_AFTER)
		return;
	/* libsrtp's ROC of that SSRC (its highest index), with this seq: at
	 * most a reordered packet's distance from the truth */
	if (known != NULL)
		roc = (uint32_t)(*known >> 16);
	else if (sess_stream_roc(ctx, ssrc, &roc) != 0)
		roc = 0;
	srtp_ctx_follow_at(ctx, ssrc, (uint64_t)roc << 16 | seq);
}

/* After a packet was accepted or sent: move the followed index. */
static inline void
follow(struct sgw_srtp *ctx, const uint8_t *pkt, const uint64_t *known)
{
	uint32_t ssrc = rtp_ssrc(pkt);
	uint16_t seq = rtp_seq(pkt);
	uint64_t est;

	if (__builtin_expect(!ctx->following || ssrc != ctx->f_ssrc, 0)) {
		follow_other(ctx, ssrc, seq, known);
		return;
	}
	ctx->others = 0;
	est = (uint64_t)sgw_srtp_roc_estimate(ctx->f_index, seq) << 16 | seq;
	if (est > ctx->f_index) {
		ctx->f_index = est;
		__atomic_store_n(&ctx->pub_index, POS_VALID | est, __ATOMIC_RELEASE);
	}
}

void
srtp_ctx_follow(struct sgw_srtp *ctx, const uint8_t *pkt)
{
	follow(ctx, pkt, NULL);
}

/* After a lane's packet went out at index (known exactly): as
 * srtp_ctx_follow, without estimating. */
void
srtp_ctx_follow_index(struct sgw_srtp *ctx, uint32_t ssrc, uint64_t index)
{
	if (__builtin_expect(!ctx->following || ssrc != ctx->f_ssrc, 0)) {
		follow_other(ctx, ssrc, (uint16_t)index, &index);
		return;
	}
	ctx->others = 0;
	if (index > ctx->f_index) {
		ctx->f_index = index;
		__atomic_store_n(&ctx->pub_index, POS_VALID | index, __ATOMIC_RELEASE);
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

static struct sgw_srtp *
ctx_alloc(const struct sgw_key *key, enum sgw_srtp_dir dir, unsigned replay_window)
{
	struct sgw_srtp *ctx;
	unsigned len;

	if (key == NULL || (dir != SGW_SRTP_INBOUND && dir != SGW_SRTP_OUTBOUND))
		return NULL;
	len = sgw_suite_master_len(key->suite);
	if (len == 0 || key->len != len || len > SRTP_MAX_KEY_LEN)
		return NULL;
	if (replay_window == 0)
		replay_window = WINDOW_DEFAULT;
	if (replay_window < WINDOW_MIN || replay_window > WINDOW_MAX)
		return NULL;
	if (sgw_srtp_global_init() != 0)
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->dir = dir;
	ctx->window = replay_window;
	ctx->key = *key;
	ctx->max_ssrcs = SGW_SRTP_MAX_SSRCS;
	return ctx;
}

/* The policy for ctx's key; ssrc NULL: the wildcard template. The caller
 * cleanses policy and material. */
static int
ctx_policy(const struct sgw_srtp *ctx, const uint32_t *ssrc, srtp_policy_t *policy,
	   uint8_t material[SRTP_MAX_KEY_LEN])
{
	memset(policy, 0, sizeof(*policy));
	if (set_crypto_policy(policy, ctx->key.suite) != 0)
		return -1;
	if (ssrc != NULL) {
		policy->ssrc.type = ssrc_specific;
		policy->ssrc.value = *ssrc;
	} else {
		policy->ssrc.type = ctx->dir == SGW_SRTP_INBOUND ? ssrc_any_inbound :
								   ssrc_any_outbound;
	}
	policy->window_size = ctx->window;
	/* libsrtp's own guard: an outbound stream refuses an index it used */
	policy->allow_repeat_tx = 0;
	memcpy(material, ctx->key.material, ctx->key.len);
	policy->key = material;
	return 0;
}

/* A session with one stream: ssrc's, or the template (NULL). */
static int
ctx_session(struct sgw_srtp *ctx, const uint32_t *ssrc)
{
	uint8_t material[SRTP_MAX_KEY_LEN];
	srtp_policy_t policy;
	int rc = -1;

	if (ctx_policy(ctx, ssrc, &policy, material) == 0 &&
	    srtp_create(&ctx->session, &policy) == srtp_err_status_ok) {
		rc = check_trailer(ctx->session);
	}
	OPENSSL_cleanse(material, sizeof(material));
	OPENSSL_cleanse(&policy, sizeof(policy));
	return rc;
}

int
srtp_ctx_add_stream(struct sgw_srtp *ctx, uint32_t ssrc)
{
	uint8_t material[SRTP_MAX_KEY_LEN];
	srtp_policy_t policy;
	int rc = -1;

	if (ctx_policy(ctx, &ssrc, &policy, material) == 0 &&
	    srtp_add_stream(ctx->session, &policy) == srtp_err_status_ok)
		rc = 0;
	OPENSSL_cleanse(material, sizeof(material));
	OPENSSL_cleanse(&policy, sizeof(policy));
	return rc;
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
	struct sgw_srtp *ctx = ctx_alloc(key, dir, replay_window);
	int rc;

	if (ctx == NULL)
		return NULL;
	if (dir == SGW_SRTP_INBOUND && sgw_srtp_get_engine() == SGW_SRTP_ENGINE_BURST) {
		/* the engine's streams (srtp_ingress_burst.c), no libsrtp
		 * session */
		ctx->burst = true;
		rc = srtp_in_init(ctx);
	} else {
		rc = ctx_session(ctx, NULL);
	}
	if (rc != 0) {
		sgw_srtp_free(ctx);
		return NULL;
	}
	if (from != NULL) {
		uint64_t index = (uint64_t)from->roc << 16 | from->seq;

		ctx->resume[0] = (struct resume_ent){ true, from->ssrc, index };
		srtp_ctx_follow_at(ctx, from->ssrc, index);
	}
	return ctx;
}

struct sgw_srtp *
sgw_srtp_create_lanes(const struct sgw_key *key, unsigned replay_window,
		      const struct sgw_srtp_lane *lanes, unsigned n)
{
	struct sgw_srtp *ctx;

	if (lanes == NULL || n == 0 || n > SGW_SRTP_MAX_SSRCS)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		const struct sgw_srtp_lane *l = &lanes[i];

		if (l->next == 0 || l->next > SGW_SRTP_INDEX_MAX || l->limit + 1 < l->next ||
		    l->limit > SGW_SRTP_INDEX_MAX || l->rtcp_next == 0 ||
		    l->rtcp_next > SGW_SRTCP_INDEX_MAX ||
		    (uint64_t)l->rtcp_limit + 1 < l->rtcp_next || l->rtcp_limit > SGW_SRTCP_INDEX_MAX)
			return NULL;
		for (unsigned j = 0; j < i; j++)
			if (lanes[j].ssrc == l->ssrc)
				return NULL;
	}
	ctx = ctx_alloc(key, SGW_SRTP_OUTBOUND, replay_window);
	if (ctx == NULL)
		return NULL;
	ctx->n_lanes = n;
	for (unsigned i = 0; i < n; i++) {
		struct lane *l = &ctx->lanes[i];

		l->out_ssrc = lanes[i].ssrc;
		l->start = l->next = lanes[i].next;
		l->limit = lanes[i].limit;
		l->rtcp_next = lanes[i].rtcp_next;
		l->rtcp_limit = lanes[i].rtcp_limit;
	}
	if (sgw_srtp_get_engine() == SGW_SRTP_ENGINE_BURST) {
		/* a context of the engine per lane, bound to the lane's SSRC
		 * by its first packet; no libsrtp session */
		ctx->burst = true;
		for (unsigned i = 0; i < n; i++) {
			ctx->lanes[i].bctx = srtp_ctx_burst_ctx(key, SGW_SRTP_OUTBOUND, ctx->window);
			if (ctx->lanes[i].bctx == NULL) {
				sgw_srtp_free(ctx);
				return NULL;
			}
		}
	} else if (ctx_session(ctx, &lanes[0].ssrc) != 0) {
		sgw_srtp_free(ctx);
		return NULL;
	}
	for (unsigned i = 1; i < n && !ctx->burst; i++) {
		if (srtp_ctx_add_stream(ctx, lanes[i].ssrc) != 0) {
			sgw_srtp_free(ctx);
			return NULL;
		}
	}
	ctx->rtcp_tx = sgw_srtcp_tx_create(key);
	if (ctx->rtcp_tx == NULL) {
		sgw_srtp_free(ctx);
		return NULL;
	}
	return ctx;
}

void
sgw_srtp_free(struct sgw_srtp *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->session != NULL)
		srtp_dealloc(ctx->session); /* zeroes the session keys */
	for (unsigned i = 0; i < ctx->n_lanes; i++)
		sgw_burst_ctx_free(ctx->lanes[i].bctx); /* zeroes them too */
	srtp_in_free(ctx);
	sgw_srtcp_tx_free(ctx->rtcp_tx);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

enum sgw_srtp_result
srtp_ctx_map_status(srtp_err_status_t st)
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

/* ---- the session: libsrtp's, or the engine's streams (ingress) ----------------- */

bool
srtp_ctx_has_stream(const struct sgw_srtp *ctx, uint32_t ssrc)
{
	uint32_t roc;

	if (ctx->burst)
		return srtp_in_has_stream(ctx, ssrc);
	return srtp_get_stream_roc(ctx->session, ssrc, &roc) == srtp_err_status_ok;
}

static int
sess_add_stream(struct sgw_srtp *ctx, uint32_t ssrc)
{
	return ctx->burst ? srtp_in_add_stream(ctx, ssrc) : srtp_ctx_add_stream(ctx, ssrc);
}

static void
sess_remove_stream(struct sgw_srtp *ctx, uint32_t ssrc)
{
	if (ctx->burst)
		srtp_in_remove_stream(ctx, ssrc);
	else
		srtp_remove_stream(ctx->session, htonl(ssrc));
}

static void
sess_set_roc(struct sgw_srtp *ctx, uint32_t ssrc, uint32_t roc)
{
	if (ctx->burst)
		srtp_in_set_roc(ctx, ssrc, roc);
	else
		srtp_set_stream_roc(ctx->session, ssrc, roc);
}

/* The ROC of ssrc's stream (its highest index): 0, or -1 without one. */
static int
sess_stream_roc(const struct sgw_srtp *ctx, uint32_t ssrc, uint32_t *roc)
{
	uint64_t index;

	if (!ctx->burst)
		return srtp_get_stream_roc(ctx->session, ssrc, roc) == srtp_err_status_ok ? 0 : -1;
	if (srtp_in_stream_index(ctx, ssrc, &index) != 0)
		return -1;
	*roc = (uint32_t)(index >> 16);
	return 0;
}

/* srtp_unprotect: s, if not NULL, is the packet's slot. */
static enum sgw_srtp_result
sess_unprotect(struct sgw_srtp *ctx, struct sgw_burst_mgr *m, const struct ssrc_slot *s,
	       uint8_t *p, int *len)
{
	if (ctx->burst)
		return srtp_in_unprotect(ctx, m, s != NULL ? s->bctx : NULL, p, len);
	return srtp_ctx_map_status(srtp_unprotect(ctx->session, p, len));
}

/* ---- SSRCs ---------------------------------------------------------------- */

struct ssrc_slot *
srtp_ctx_slot(struct sgw_srtp *ctx, uint32_t ssrc)
{
	for (unsigned i = 0; i < ctx->n_slots; i++)
		if (ctx->slots[i].ssrc == ssrc)
			return &ctx->slots[i];
	return NULL;
}

/* Inbound: ssrc's place among the SRTCP-only SSRCs, or -1. */
static int
rtcp_only(const struct sgw_srtp *ctx, uint32_t ssrc)
{
	for (unsigned i = 0; i < ctx->n_rtcp; i++)
		if (ctx->rtcp_ssrcs[i] == ssrc)
			return (int)i;
	return -1;
}

struct resume_ent *
srtp_ctx_resume_of(struct sgw_srtp *ctx, uint32_t ssrc)
{
	for (unsigned i = 0; i < RESUME_MAX; i++)
		if (ctx->resume[i].valid && ctx->resume[i].ssrc == ssrc)
			return &ctx->resume[i];
	return NULL;
}

/* Inbound: resumed SSRC ssrc lost its entry before a packet of it went
 * through. The stream its tries made (no packet accepted on it) goes too,
 * so that streams without a slot stay bounded (STREAMS_MAX); one listed
 * SRTCP-only stays (its SRTCP replay window). */
static void
resume_lost(struct sgw_srtp *ctx, uint32_t ssrc)
{
	if (ctx->dir == SGW_SRTP_INBOUND && rtcp_only(ctx, ssrc) < 0)
		sess_remove_stream(ctx, ssrc);
}

/* Remember an evicted SSRC's highest index, in place of the oldest entry
 * that is not the position the context was made from. */
static void
tombstone(struct sgw_srtp *ctx, uint32_t ssrc, uint64_t hi)
{
	struct resume_ent *r = srtp_ctx_resume_of(ctx, ssrc);

	for (unsigned i = 0; r == NULL && i < RESUME_MAX; i++)
		if (!ctx->resume[i].valid)
			r = &ctx->resume[i];
	if (r == NULL) {
		resume_lost(ctx, ctx->resume[1].ssrc);
		memmove(&ctx->resume[1], &ctx->resume[2],
			(RESUME_MAX - 2) * sizeof(ctx->resume[0]));
		r = &ctx->resume[RESUME_MAX - 1];
	}
	*r = (struct resume_ent){ true, ssrc, hi };
}

int
srtp_ctx_make_room(struct sgw_srtp *ctx)
{
	struct ssrc_slot *victim = NULL;

	if (ctx->n_slots < ctx->max_ssrcs)
		return 0;
	for (unsigned i = 0; i < ctx->n_slots; i++) {
		struct ssrc_slot *s = &ctx->slots[i];

		if (ctx->n_ok - s->last >= SGW_SRTP_IDLE_PKTS && (victim == NULL || s->last < victim->last))
			victim = s;
	}
	if (victim == NULL)
		return -1;
	sess_remove_stream(ctx, victim->ssrc);
	tombstone(ctx, victim->ssrc, victim->hi);
	*victim = ctx->slots[--ctx->n_slots];
	return 0;
}

void
srtp_ctx_note(struct sgw_srtp *ctx, uint32_t ssrc, uint64_t index)
{
	struct ssrc_slot *s = srtp_ctx_slot(ctx, ssrc);
	int r;

	if (s == NULL) {
		if (ctx->n_slots == SGW_SRTP_MAX_SSRCS)
			return; /* cannot happen: make_room ran first */
		s = &ctx->slots[ctx->n_slots++];
		s->ssrc = ssrc;
		s->hi = index;
		s->bctx = ctx->burst ? srtp_in_stream_ctx(ctx, ssrc) : NULL;
		if ((r = rtcp_only(ctx, ssrc)) >= 0) /* its stream is the slot's now */
			ctx->rtcp_ssrcs[r] = ctx->rtcp_ssrcs[--ctx->n_rtcp];
	} else if (index > s->hi) {
		s->hi = index;
	}
	s->last = ctx->n_ok;
}

/* ---- inbound ------------------------------------------------------------ */

/* A context only works in its own direction: never encrypt with a receive key. */
static int
usable(const struct sgw_srtp *ctx, enum sgw_srtp_dir dir, const int *len,
       int min_len)
{
	return ctx != NULL && ctx->dir == dir && *len >= min_len;
}

/* The first packet of resumed SSRC ssrc went through under roc. */
static void
resumed(struct sgw_srtp *ctx, uint32_t ssrc, uint32_t roc, uint16_t seq)
{
	uint64_t index = (uint64_t)roc << 16 | seq;
	struct resume_ent *r = srtp_ctx_resume_of(ctx, ssrc);

	if (!ctx->following || ctx->f_ssrc == ssrc)
		srtp_ctx_follow_at(ctx, ssrc, index);
	ctx->n_ok++;
	srtp_ctx_note(ctx, ssrc, index);
	if (r != NULL)
		r->valid = false;
}

/* The stream of a resumed SSRC, added when its first packet comes
 * (within the SSRC cap). Room is made whatever streams exist: its SRTCP
 * may have made its stream, which has no slot. 0 or -1. */
static int
resume_stream(struct sgw_srtp *ctx, uint32_t ssrc)
{
	if (srtp_ctx_make_room(ctx) != 0)
		return -1;
	if (srtp_ctx_has_stream(ctx, ssrc))
		return 0;
	return sess_add_stream(ctx, ssrc);
}

/* The first packets of a resumed SSRC: the estimated ROC, then the next
 * ones, until one authenticates. libsrtp checks no replay for a packet
 * whose ROC is set, and the resume index is the highest the old context
 * (or the evicted stream) accepted: a packet at or below it is one it had,
 * and is refused as a replay without a try. The entry is read first: the
 * room made for the SSRC leaves a tombstone, which may move or drop it. */
static enum sgw_srtp_result __attribute__((noinline))
unprotect_resumed(struct sgw_srtp *ctx, struct sgw_burst_mgr *m, const struct resume_ent *ent,
		  uint8_t *pkt, int *len)
{
	const struct resume_ent r0 = *ent, *r = &r0;
	uint8_t copy[RESUME_COPY_MAX];
	uint16_t seq = rtp_seq(pkt);
	uint32_t roc = sgw_srtp_roc_estimate(r->index, seq);
	int len0 = *len;
	bool retry = len0 <= (int)sizeof(copy), tried = false, older = false;
	enum sgw_srtp_result st = SGW_SRTP_ERR_OTHER;

	if (resume_stream(ctx, r->ssrc) != 0)
		return SGW_SRTP_ERR_SSRCS;
	if (retry)
		memcpy(copy, pkt, (size_t)len0);
	for (unsigned i = 0; i < SGW_SRTP_RESUME_TRIES; i++, roc++) {
		if (((uint64_t)roc << 16 | seq) <= r->index) {
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
		sess_set_roc(ctx, r->ssrc, roc);
		st = sess_unprotect(ctx, m, NULL, pkt, len);
		if (st == SGW_SRTP_OK) {
			resumed(ctx, r->ssrc, roc, seq);
			break;
		}
		if (st != SGW_SRTP_ERR_AUTH)
			break;
	}
	if (retry)
		OPENSSL_cleanse(copy, (size_t)len0);
	if (st != SGW_SRTP_OK && srtp_ctx_resume_of(ctx, r->ssrc) == NULL)
		resume_lost(ctx, r->ssrc); /* the room made for it took its entry */
	if (st != SGW_SRTP_OK && older)
		return SGW_SRTP_ERR_REPLAY;
	return st;
}

/* A packet of an SSRC the context has no slot for: the template
 * authenticates it and libsrtp clones a stream (or the SSRC's stream made
 * by its SRTCP does); past the cap the stream takes the place of an idle
 * SSRC, or the packet is refused and the stream undone if it made it (one
 * its SRTCP made keeps its replay window). Room is made only after
 * authentication, so forged packets of new SSRCs evict nothing. */
static enum sgw_srtp_result __attribute__((noinline))
unprotect_new(struct sgw_srtp *ctx, struct sgw_burst_mgr *m, uint8_t *pkt, int *len)
{
	uint32_t ssrc = rtp_ssrc(pkt), roc = 0;
	uint16_t seq = rtp_seq(pkt);
	bool made = !srtp_ctx_has_stream(ctx, ssrc);
	enum sgw_srtp_result st = sess_unprotect(ctx, m, NULL, pkt, len);

	if (st != SGW_SRTP_OK)
		return st;
	/* the clock counts it even if refused: a source that moved to new
	 * SSRCs ages its old ones (only a key holder gets this far) */
	ctx->n_ok++;
	if (srtp_ctx_make_room(ctx) != 0) {
		if (made)
			sess_remove_stream(ctx, ssrc);
		return SGW_SRTP_ERR_SSRCS;
	}
	/* a new stream starts at ROC 0; one its SRTCP made may have taken
	 * packets refused for the cap, and wrapped */
	if (!made)
		sess_stream_roc(ctx, ssrc, &roc);
	srtp_ctx_note(ctx, ssrc, (uint64_t)roc << 16 | seq);
	srtp_ctx_follow(ctx, pkt);
	return SGW_SRTP_OK;
}

void
srtp_ctx_accepted(struct sgw_srtp *ctx, struct ssrc_slot *s, const uint8_t *p,
		  const uint64_t *stream_index)
{
	s->hi = MAX64(s->hi, (uint64_t)sgw_srtp_roc_estimate(s->hi, rtp_seq(p)) << 16 | rtp_seq(p));
	s->last = ++ctx->n_ok;
	follow(ctx, p, stream_index);
}

enum sgw_srtp_result
srtp_ctx_unprotect_m(struct sgw_srtp *ctx, struct sgw_burst_mgr *m, uint8_t *p, int *len)
{
	struct ssrc_slot *s = srtp_ctx_slot(ctx, rtp_ssrc(p));
	enum sgw_srtp_result st;

	if (__builtin_expect(s == NULL, 0)) {
		struct resume_ent *r = srtp_ctx_resume_of(ctx, rtp_ssrc(p));

		return r != NULL ? unprotect_resumed(ctx, m, r, p, len) : unprotect_new(ctx, m, p, len);
	}
	st = sess_unprotect(ctx, m, s, p, len);
	if (st != SGW_SRTP_OK)
		return st;
	srtp_ctx_accepted(ctx, s, p, NULL);
	return SGW_SRTP_OK;
}

/* SRTCP: the SSRC's stream, or the template's, which makes one if the
 * packet authenticates. An SSRC without a slot keeps it as SRTCP-only,
 * within the cap; past it the packet is refused, and the stream undone if
 * the packet made it (a resumed SSRC's tries made the others: kept). */
enum sgw_srtp_result
srtp_ctx_unprotect_rtcp_m(struct sgw_srtp *ctx, struct sgw_burst_mgr *m, uint8_t *p, int *len)
{
	uint32_t ssrc = rd32(p + 4);
	bool known = srtp_ctx_slot(ctx, ssrc) != NULL || rtcp_only(ctx, ssrc) >= 0;
	bool made = !known && !srtp_ctx_has_stream(ctx, ssrc);
	enum sgw_srtp_result st = ctx->burst ? srtp_in_unprotect_rtcp(ctx, m, p, len) :
		srtp_ctx_map_status(srtp_unprotect_rtcp(ctx->session, p, len));

	if (st != SGW_SRTP_OK || known)
		return st;
	if (ctx->n_rtcp == RTCP_SSRCS_MAX) {
		if (made)
			sess_remove_stream(ctx, ssrc);
		return SGW_SRTP_ERR_SSRCS;
	}
	ctx->rtcp_ssrcs[ctx->n_rtcp++] = ssrc;
	return SGW_SRTP_OK;
}

/* An engine context's packet outside a worker's burst: on the shared
 * manager (locked: tests and tools, not the hot path). */
static enum sgw_srtp_result __attribute__((noinline))
unprotect_lone(struct sgw_srtp *ctx, uint8_t *p, int *len, bool rtcp)
{
	enum sgw_srtp_result r = SGW_SRTP_ERR_OTHER;
	struct sgw_burst_mgr *m;

	pthread_mutex_lock(&shared_lock);
	m = shared_mgr_locked();
	if (m != NULL)
		r = rtcp ? srtp_ctx_unprotect_rtcp_m(ctx, m, p, len) : srtp_ctx_unprotect_m(ctx, m, p, len);
	pthread_mutex_unlock(&shared_lock);
	return r;
}

enum sgw_srtp_result
sgw_srtp_unprotect(struct sgw_srtp *ctx, void *pkt, int *len)
{
	if (!usable(ctx, SGW_SRTP_INBOUND, len, RTP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	if (ctx->burst)
		return unprotect_lone(ctx, pkt, len, false);
	return srtp_ctx_unprotect_m(ctx, NULL, pkt, len);
}

enum sgw_srtp_result
sgw_srtp_unprotect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len)
{
	if (!usable(ctx, SGW_SRTP_INBOUND, len, RTCP_HDR_MIN))
		return SGW_SRTP_ERR_OTHER;
	if (ctx->burst)
		return unprotect_lone(ctx, pkt, len, true);
	return srtp_ctx_unprotect_rtcp_m(ctx, NULL, pkt, len);
}
