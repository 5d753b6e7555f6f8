/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Egress lanes and reservations (dataplane/srtp_egress.c), and the SSRC
 * cap of a context, checked with libsrtp as the receiver: what a lane
 * sends decrypts under exactly the index the lane says, never past its
 * reservation, never below where it began, and a context made after it
 * (a restarted gateway) goes on above everything it sent.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "api/suite.h"
#include "dataplane/srtp_ctx.h"
#include "dataplane/srtp_ctx_priv.h" /* a context's slots and streams, and rd32 */
#include "check.h"

#define BUF 512

static const unsigned suites[] = {
	SGW_SUITE_AES_CM_128_HMAC_SHA1_80, SGW_SUITE_AES_CM_128_HMAC_SHA1_32,
	SGW_SUITE_AEAD_AES_128_GCM, SGW_SUITE_AEAD_AES_256_GCM,
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

static void key_fill(struct sgw_key *k, unsigned suite, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->suite = (uint8_t)suite;
	k->len = (uint8_t)sgw_suite_master_len(suite);
	for (unsigned i = 0; i < k->len; i++)
		k->material[i] = (uint8_t)(seed + 41 * i);
}

static int rtp(uint8_t *p, uint16_t seq, uint32_t ssrc, uint8_t fill)
{
	memset(p, 0, BUF);
	p[0] = 0x80;
	p[1] = 0x80 | 96; /* marker set: must survive */
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	p[4] = 0x11, p[5] = 0x22, p[6] = 0x33, p[7] = 0x44;
	p[8] = (uint8_t)(ssrc >> 24), p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8), p[11] = (uint8_t)ssrc;
	memset(p + 12, fill, 100);
	return 112;
}

static void policy(srtp_policy_t *p, const struct sgw_key *k, uint32_t ssrc)
{
	memset(p, 0, sizeof(*p));
	switch (k->suite) {
	case SGW_SUITE_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case SGW_SUITE_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case SGW_SUITE_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		break;
	default:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		break;
	}
	p->ssrc.type = ssrc_specific;
	p->ssrc.value = ssrc;
	p->key = (unsigned char *)k->material;
	p->window_size = 1024;
}

/* Does pkt decrypt under key at exactly this index? (A fresh receiver
 * told the ROC: the oracle of which index the sender used.) */
static bool decrypts_at(const struct sgw_key *k, const uint8_t *pkt, int len, uint64_t index,
			uint8_t *plain, int *plen)
{
	srtp_policy_t p;
	srtp_t s;
	uint8_t buf[BUF];
	bool ok;

	memcpy(buf, pkt, (size_t)len);
	policy(&p, k, rd32(pkt + 8));
	if (srtp_create(&s, &p) != srtp_err_status_ok)
		return false;
	if (index >> 16)
		srtp_set_stream_roc(s, rd32(pkt + 8), (uint32_t)(index >> 16));
	ok = ((uint16_t)index == (uint16_t)(pkt[2] << 8 | pkt[3])) &&
	     srtp_unprotect(s, buf, &len) == srtp_err_status_ok;
	srtp_dealloc(s);
	if (ok && plain != NULL) {
		memcpy(plain, buf, (size_t)len);
		*plen = len;
	}
	return ok;
}

static struct sgw_srtp *lanes1(const struct sgw_key *k, uint32_t ssrc, uint64_t next,
			       uint64_t limit, uint32_t rtcp_next, uint32_t rtcp_limit)
{
	struct sgw_srtp_lane l = { .ssrc = ssrc, .next = next, .limit = limit,
				   .rtcp_next = rtcp_next, .rtcp_limit = rtcp_limit };

	return sgw_srtp_create_lanes(k, 0, &l, 1);
}

/* Every suite: the lane's SSRC and its own sequence, across its wrap,
 * each packet at the index the lane counts, the rest of the header and
 * the payload untouched; a receiver that follows decrypts them all. */
static void lane_rewrites_and_counts(void)
{
	for (unsigned i = 0; i < N_SUITES; i++) {
		struct sgw_key k;
		uint64_t next = (1ull << 16) | 0xfff0;
		struct sgw_srtp *c;
		srtp_policy_t p;
		srtp_t rx;

		key_fill(&k, suites[i], (uint8_t)(3 + i));
		c = lanes1(&k, 0xaaaa0001, next, next + 1000, 1, 10);
		CHECK(c != NULL);
		CHECK_EQ(sgw_srtp_n_lanes(c), 1);
		policy(&p, &k, 0xaaaa0001);
		CHECK(srtp_create(&rx, &p) == srtp_err_status_ok);
		srtp_set_stream_roc(rx, 0xaaaa0001, 1);
		for (unsigned n = 0; n < 40; n++) {
			uint8_t pkt[BUF], in[BUF], plain[BUF];
			int len = rtp(pkt, (uint16_t)(100 + n), 0x1234, (uint8_t)n), plen;

			memcpy(in, pkt, (size_t)len);
			CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
			CHECK_EQ(rd32(pkt + 8), 0xaaaa0001);
			CHECK_EQ(pkt[2] << 8 | pkt[3], (uint16_t)(next + n));
			CHECK(decrypts_at(&k, pkt, len, next + n, plain, &plen));
			CHECK_EQ(plen, 112);
			CHECK_MEM(plain, in, 2);            /* V, M, PT */
			CHECK_MEM(plain + 4, in + 4, 4);    /* timestamp */
			CHECK_MEM(plain + 12, in + 12, 100); /* payload */
			CHECK(srtp_unprotect(rx, pkt, &len) == srtp_err_status_ok);
		}
		struct sgw_srtp_lane_state st;
		CHECK(sgw_srtp_lane_state(c, 0, &st) == 0);
		CHECK_EQ(st.next, next + 40);
		CHECK_EQ(st.in_ssrc, 0x1234);
		CHECK(st.mapped);
		CHECK(sgw_srtp_lane_state(c, 1, &st) != 0);
		srtp_dealloc(rx);
		sgw_srtp_free(c);
	}
}

/* Nothing past the reservation; sgw_srtp_reserve raises it, never lowers. */
static void reservation_enforced(void)
{
	struct sgw_key k;
	struct sgw_srtp *c;
	uint8_t pkt[BUF];
	int len;

	key_fill(&k, SGW_SUITE_AEAD_AES_128_GCM, 9);
	c = lanes1(&k, 7, 500, 509, 1, 1);
	for (unsigned n = 0; n < 10; n++) {
		len = rtp(pkt, (uint16_t)(9000 + n), 99, 1);
		CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
	}
	len = rtp(pkt, 9010, 99, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_ERR_RESERVE);
	CHECK(sgw_srtp_reserve(c, 0, 515, 1) == 0);
	CHECK(sgw_srtp_reserve(c, 0, 100, 0) == 0); /* lower: no effect */
	for (unsigned n = 11; n < 16; n++) {
		len = rtp(pkt, (uint16_t)(9000 + n), 99, 1);
		CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
		CHECK(decrypts_at(&k, pkt, len, 500 + n, NULL, NULL));
	}
	len = rtp(pkt, 9016, 99, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_ERR_RESERVE);
	CHECK(sgw_srtp_reserve(c, 1, 1000, 1) != 0);
	CHECK(sgw_srtp_reserve(c, 0, SGW_SRTP_INDEX_MAX + 1, 1) != 0);
	sgw_srtp_free(c);
	/* a lane with nothing reserved yet (limit = next - 1) sends nothing */
	c = lanes1(&k, 7, 500, 499, 1, 0);
	CHECK(c != NULL);
	len = rtp(pkt, 1, 99, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_ERR_RESERVE);
	sgw_srtp_free(c);
}

/* A context made after another (a restarted gateway) from its limit goes
 * on above every index the first one used, under the same key and SSRC,
 * and a receiver that saw the first goes on decrypting. */
static void restart_goes_on_above(void)
{
	struct sgw_key k;
	struct sgw_srtp *a, *b;
	srtp_policy_t p;
	srtp_t rx;
	uint64_t used[64];
	unsigned n_used = 0;

	key_fill(&k, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 77);
	a = lanes1(&k, 0x51, 0xfff0, 0xfff0 + 49, 1, 100);
	policy(&p, &k, 0x51);
	CHECK(srtp_create(&rx, &p) == srtp_err_status_ok);
	for (unsigned n = 0; n < 30; n++) {
		uint8_t pkt[BUF];
		int len = rtp(pkt, (uint16_t)(40000 + n), 0x99, 2);

		CHECK_EQ(sgw_srtp_protect(a, pkt, &len), SGW_SRTP_OK);
		used[n_used++] = 0xfff0 + n;
		CHECK(srtp_unprotect(rx, pkt, &len) == srtp_err_status_ok);
	}
	sgw_srtp_free(a);
	/* the camera went on meanwhile (another sequence number entirely) */
	b = lanes1(&k, 0x51, 0xfff0 + 50, 0xfff0 + 50 + 100, 101, 200);
	for (unsigned n = 0; n < 30; n++) {
		uint8_t pkt[BUF];
		int len = rtp(pkt, (uint16_t)(2000 + n), 0x99, 3);

		CHECK_EQ(sgw_srtp_protect(b, pkt, &len), SGW_SRTP_OK);
		uint64_t idx = 0xfff0 + 50 + n;
		CHECK(decrypts_at(&k, pkt, len, idx, NULL, NULL));
		for (unsigned j = 0; j < n_used; j++)
			CHECK(used[j] != idx);
		CHECK(srtp_unprotect(rx, pkt, &len) == srtp_err_status_ok);
	}
	srtp_dealloc(rx);
	sgw_srtp_free(b);
}

/* Reordered packets of the source keep their order on the lane; one from
 * before the mapping began is refused (its index could be one an earlier
 * context used). */
static void floor_and_reorder(void)
{
	struct sgw_key k;
	struct sgw_srtp *c;
	uint8_t pkt[BUF];
	int len;

	key_fill(&k, SGW_SUITE_AES_CM_128_HMAC_SHA1_32, 5);
	c = lanes1(&k, 0x77, 1000, 2000, 1, 10);
	len = rtp(pkt, 500, 0x42, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
	CHECK(decrypts_at(&k, pkt, len, 1000, NULL, NULL));
	len = rtp(pkt, 499, 0x42, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_ERR_RESERVE);
	len = rtp(pkt, 505, 0x42, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
	CHECK(decrypts_at(&k, pkt, len, 1005, NULL, NULL));
	len = rtp(pkt, 503, 0x42, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
	CHECK(decrypts_at(&k, pkt, len, 1003, NULL, NULL));
	/* the same source packet again: libsrtp refuses the index it used */
	len = rtp(pkt, 503, 0x42, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_ERR_REPLAY);
	sgw_srtp_free(c);
}

/* A packet reordered back across the lane's first wrap (ROC 1 back to
 * ROC 0) goes out at the index the lane counts. libsrtp cannot be told
 * ROC 0, and the ROC told for the packets after the wrap stayed pending:
 * it used to protect that packet at 0x1fffe, an index the lane would use
 * again later for another packet. */
static void reorder_across_the_first_wrap(void)
{
	for (unsigned i = 0; i < N_SUITES; i++) {
		struct sgw_key k;
		struct sgw_srtp *c;
		uint8_t pkt[BUF];
		int len;

		key_fill(&k, suites[i], (uint8_t)(9 + i));
		c = lanes1(&k, 0x99, 0xfff0, 0x30000, 1, 10);
		for (unsigned n = 0; n < 20; n++) { /* 0xfff0 .. 0x10003 but 0xfffe */
			if (n == 14)
				continue;
			len = rtp(pkt, (uint16_t)(0xfff0 + n), 0x42, (uint8_t)n);
			CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
		}
		/* it comes late, and goes out at 0xfffe */
		len = rtp(pkt, 0xfffe, 0x42, 14);
		CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
		CHECK(decrypts_at(&k, pkt, len, 0xfffe, NULL, NULL));
		CHECK(!decrypts_at(&k, pkt, len, 0x1fffe, NULL, NULL));
		sgw_srtp_free(c);
	}
}

/* A second source SSRC takes a free lane at once; with none free, the
 * lane of one idle for SGW_SRTP_IDLE_PKTS packets, going on after the
 * last index it sent. */
static void source_ssrcs_and_lanes(void)
{
	struct sgw_key k;
	struct sgw_srtp_lane l[2] = {
		{ .ssrc = 0x1001, .next = 100, .limit = 100000, .rtcp_next = 1, .rtcp_limit = 9 },
		{ .ssrc = 0x1002, .next = 7000, .limit = 100000, .rtcp_next = 1, .rtcp_limit = 9 },
	};
	struct sgw_srtp *c;
	uint8_t pkt[BUF];
	int len;

	key_fill(&k, SGW_SUITE_AEAD_AES_256_GCM, 1);
	c = sgw_srtp_create_lanes(&k, 0, l, 2);
	CHECK(c != NULL);
	len = rtp(pkt, 10, 0xa, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
	CHECK_EQ(rd32(pkt + 8), 0x1001);
	len = rtp(pkt, 30000, 0xb, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
	CHECK_EQ(rd32(pkt + 8), 0x1002);
	CHECK(decrypts_at(&k, pkt, len, 7000, NULL, NULL));
	/* a third: refused while both are busy */
	len = rtp(pkt, 1, 0xc, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_ERR_SSRCS);
	/* 0xa goes quiet; 0xb goes on */
	for (unsigned n = 1; n <= SGW_SRTP_IDLE_PKTS; n++) {
		len = rtp(pkt, (uint16_t)(30000 + n), 0xb, 1);
		CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
	}
	len = rtp(pkt, 40000, 0xc, 1);
	CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
	CHECK_EQ(rd32(pkt + 8), 0x1001);
	CHECK(decrypts_at(&k, pkt, len, 101, NULL, NULL)); /* after 0xa's 100 */
	sgw_srtp_free(c);
}

/* RTCP: the source's SSRC rewritten where it names the sender (SR, SDES
 * chunk), the lane's own SRTCP index, within its reservation. */
static void rtcp_on_lanes(void)
{
	for (unsigned i = 0; i < N_SUITES; i++) {
		struct sgw_key k;
		struct sgw_srtp *c;
		srtp_policy_t p;
		srtp_t rx;
		uint8_t pkt[BUF], plain[BUF];
		int len, plen;

		key_fill(&k, suites[i], (uint8_t)(50 + i));
		c = lanes1(&k, 0xbeef, 10, 100, 5000, 5001);
		len = rtp(pkt, 1, 0x5555, 1);
		CHECK_EQ(sgw_srtp_protect(c, pkt, &len), SGW_SRTP_OK);
		policy(&p, &k, 0xbeef);
		CHECK(srtp_create(&rx, &p) == srtp_err_status_ok);
		for (unsigned n = 0; n < 3; n++) {
			/* SR (28 bytes) + SDES with one CNAME chunk (16 bytes) */
			static const uint8_t sr[] = { 0x80, 200, 0, 6, 0, 0, 0x55, 0x55 };
			static const uint8_t sdes[] = { 0x81, 202, 0, 3, 0, 0, 0x55, 0x55,
							1, 3, 'c', 'a', 'm', 0, 0, 0 };
			memset(pkt, 0x3c, sizeof(pkt));
			memcpy(pkt, sr, sizeof(sr));
			memcpy(pkt + 28, sdes, sizeof(sdes));
			len = plen = 44;
			enum sgw_srtp_result r = sgw_srtp_protect_rtcp(c, pkt, &len);
			if (n == 2) {
				CHECK_EQ(r, SGW_SRTP_ERR_RESERVE);
				continue;
			}
			CHECK_EQ(r, SGW_SRTP_OK);
			CHECK(srtp_unprotect_rtcp(rx, pkt, &len) == srtp_err_status_ok);
			CHECK_EQ(len, plen);
			memcpy(plain, pkt, (size_t)len);
			CHECK_EQ(rd32(plain + 4), 0xbeef);
			CHECK_EQ(rd32(plain + 28 + 4), 0xbeef);
			CHECK(plain[28 + 10] == 'c');
		}
		struct sgw_srtp_lane_state st;
		sgw_srtp_lane_state(c, 0, &st);
		CHECK_EQ(st.rtcp_next, 5002);
		/* a malformed compound is not forwarded */
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 0x80, pkt[1] = 200, pkt[3] = 50, pkt[6] = 0x55, pkt[7] = 0x55;
		len = 28;
		sgw_srtp_reserve(c, 0, 100, 6000);
		CHECK_EQ(sgw_srtp_protect_rtcp(c, pkt, &len), SGW_SRTP_ERR_OTHER);
		srtp_dealloc(rx);
		sgw_srtp_free(c);
	}
}

static void bad_lanes(void)
{
	struct sgw_key k;
	struct sgw_srtp_lane l[2] = {
		{ .ssrc = 1, .next = 10, .limit = 20, .rtcp_next = 1, .rtcp_limit = 5 },
		{ .ssrc = 1, .next = 10, .limit = 20, .rtcp_next = 1, .rtcp_limit = 5 },
	};

	key_fill(&k, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 1);
	CHECK(sgw_srtp_create_lanes(&k, 0, l, 2) == NULL); /* same SSRC twice */
	CHECK(sgw_srtp_create_lanes(&k, 0, l, 0) == NULL);
	l[0].next = 0;
	CHECK(sgw_srtp_create_lanes(&k, 0, l, 1) == NULL);
	l[0].next = 30; /* limit below next - 1 */
	CHECK(sgw_srtp_create_lanes(&k, 0, l, 1) == NULL);
	l[0].next = 10;
	l[0].rtcp_next = 0;
	CHECK(sgw_srtp_create_lanes(&k, 0, l, 1) == NULL);
	l[0].rtcp_next = 1;
	l[0].rtcp_limit = 0x80000000u;
	CHECK(sgw_srtp_create_lanes(&k, 0, l, 1) == NULL);
	l[0].rtcp_limit = 5;
	struct sgw_srtp *c = sgw_srtp_create_lanes(&k, 0, l, 1);
	CHECK(c != NULL);
	sgw_srtp_free(c);
}

/* Inbound: at most SGW_SRTP_MAX_SSRCS SSRCs; a new one takes the place of
 * one idle for SGW_SRTP_IDLE_PKTS authenticated packets, which, if it
 * comes back, goes on above its highest index (its old packets are
 * replays, its ROC is kept); forged packets of new SSRCs evict nothing. */
static void inbound_ssrc_cap(void)
{
	struct sgw_key k;
	struct sgw_srtp *txs[16], *rx;
	uint8_t pkt[BUF], old1[BUF];
	int len, old1_len = 0;

	key_fill(&k, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 21);
	for (unsigned i = 0; i < 16; i++)
		txs[i] = sgw_srtp_create(&k, SGW_SRTP_OUTBOUND, 0);
	/* one sender per SSRC: a sender has the cap too */
#define tx txs[rd32(pkt + 8) & 15]
	rx = sgw_srtp_create(&k, SGW_SRTP_INBOUND, 0);
	/* SSRC 1 wraps (ROC 1), then 2..8 send one packet each */
	for (unsigned n = 0; n < 40; n++) {
		len = rtp(pkt, (uint16_t)(0xfff0 + n), 1, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
		if (n == 30) {
			memcpy(old1, pkt, (size_t)len);
			old1_len = len;
		}
		CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
	}
	for (uint32_t s = 2; s <= SGW_SRTP_MAX_SSRCS; s++) {
		len = rtp(pkt, 100, s, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
		CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
	}
	/* a ninth, while none is idle: refused */
	len = rtp(pkt, 100, 9, 1);
	CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	uint8_t ninth[BUF];
	int ninth_len = len;
	memcpy(ninth, pkt, (size_t)len);
	CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_ERR_SSRCS);
	/* forged packets of new SSRCs: nothing ages */
	for (unsigned n = 0; n < 2 * SGW_SRTP_IDLE_PKTS; n++) {
		len = rtp(pkt, (uint16_t)n, 1000 + n, 1);
		len += 10;
		CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_ERR_AUTH);
	}
	memcpy(pkt, ninth, (size_t)ninth_len);
	len = ninth_len;
	CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_ERR_SSRCS);
	/* SSRC 8 goes on for SGW_SRTP_IDLE_PKTS packets: 1 is the oldest idle */
	for (unsigned n = 1; n <= SGW_SRTP_IDLE_PKTS; n++) {
		len = rtp(pkt, (uint16_t)(100 + n), SGW_SRTP_MAX_SSRCS, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
		CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
	}
	len = rtp(pkt, 101, 9, 1);
	CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
	/* 1 comes back: its old packet is a replay, its next one is at ROC 1 */
	memcpy(pkt, old1, (size_t)old1_len);
	len = old1_len;
	CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_ERR_REPLAY);
	/* (the replay made room for it: 2, idle, was evicted) */
	len = rtp(pkt, (uint16_t)(0xfff0 + 40), 1, 1);
	CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
#undef tx
	for (unsigned i = 0; i < 16; i++)
		sgw_srtp_free(txs[i]);
	sgw_srtp_free(rx);
}

/* A resumed SSRC whose first packet makes room for it while every resume
 * entry is taken: the eviction's tombstone moves the entries, and the
 * packet must still be tried at its own SSRC's index (it was tried at the
 * next entry's, and the slot went to that entry's SSRC). SSRCs 2 and 3
 * wrap (ROC 1) before they are evicted; both come back. */
static void inbound_resume_while_evicting(void)
{
	struct sgw_key k;
	struct sgw_srtp_pos pos = { .ssrc = 0x51, .roc = 3, .seq = 100 };
	struct sgw_srtp *txs[16], *rx;
	uint8_t pkt[BUF];
	int len;

	key_fill(&k, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 23);
	for (unsigned i = 0; i < 16; i++)
		txs[i] = sgw_srtp_create(&k, SGW_SRTP_OUTBOUND, 0);
#define tx txs[rd32(pkt + 8) & 15]
	/* resume entry 0: the position */
	rx = sgw_srtp_create_at(&k, SGW_SRTP_INBOUND, 0, &pos);
	CHECK(rx != NULL);
	for (uint32_t s = 1; s <= SGW_SRTP_MAX_SSRCS; s++) {
		unsigned n_pkts = s == 2 || s == 3 ? 40 : 1;

		for (unsigned n = 0; n < n_pkts; n++) {
			len = rtp(pkt, (uint16_t)(0xfff0 + n), s, 1);
			CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
			CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
		}
	}
	/* 1..7 go idle; 9, 10, 11 evict 1, 2, 3: resume entries 1..3 */
	for (unsigned n = 1; n <= SGW_SRTP_IDLE_PKTS; n++) {
		len = rtp(pkt, (uint16_t)(0xfff0 + n), SGW_SRTP_MAX_SSRCS, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
		CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
	}
	for (uint32_t s = 9; s <= 11; s++) {
		len = rtp(pkt, 7, s, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
		CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
	}
	/* 2 comes back (its entry is the third): 4 is evicted for it, and
	 * its packets go on at ROC 1; then 3, for which 5 is evicted */
	for (uint32_t s = 2; s <= 3; s++) {
		for (unsigned n = 40; n < 44; n++) {
			len = rtp(pkt, (uint16_t)(0xfff0 + n), s, 1);
			CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
			CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
		}
	}
	/* 4 and 5 come back too, at ROC 0 */
	for (uint32_t s = 4; s <= 5; s++) {
		len = rtp(pkt, 0xfff1, s, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
		CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_OK);
	}
#undef tx
	for (unsigned i = 0; i < 16; i++)
		sgw_srtp_free(txs[i]);
	sgw_srtp_free(rx);
}

/* A receiver report of ssrc, without report blocks (8 bytes). */
static int rtcp_rr(uint8_t *p, uint32_t ssrc)
{
	memset(p, 0, BUF);
	p[0] = 0x80, p[1] = 201, p[3] = 1;
	wr32(p + 4, ssrc);
	return 8;
}

/* ssrc's RTP packet at seq through tx and rx: rx's verdict; if accepted,
 * it must be the plaintext tx had. */
static enum sgw_srtp_result rtp_through(struct sgw_srtp *tx, struct sgw_srtp *rx, uint32_t ssrc,
					uint16_t seq)
{
	uint8_t pkt[BUF], plain[BUF];
	int len = rtp(pkt, seq, ssrc, (uint8_t)seq), plen = len;
	enum sgw_srtp_result r;

	memcpy(plain, pkt, (size_t)len);
	CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	r = sgw_srtp_unprotect(rx, pkt, &len);
	if (r == SGW_SRTP_OK) {
		CHECK_EQ(len, plen);
		CHECK_MEM(pkt, plain, (size_t)plen);
	}
	return r;
}

/* ssrc's SRTCP through tx and rx, as rtp_through; the protected packet
 * is kept in srtcp (if not NULL), to be replayed. */
static enum sgw_srtp_result rtcp_through(struct sgw_srtp *tx, struct sgw_srtp *rx, uint32_t ssrc,
					 uint8_t *srtcp, int *srtcp_len)
{
	uint8_t pkt[BUF], plain[BUF];
	int len = rtcp_rr(pkt, ssrc), plen = len;
	enum sgw_srtp_result r;

	memcpy(plain, pkt, (size_t)len);
	CHECK_EQ(sgw_srtp_protect_rtcp(tx, pkt, &len), SGW_SRTP_OK);
	if (srtcp != NULL) {
		memcpy(srtcp, pkt, (size_t)len);
		*srtcp_len = len;
	}
	r = sgw_srtp_unprotect_rtcp(rx, pkt, &len);
	if (r == SGW_SRTP_OK) {
		CHECK_EQ(len, plen);
		CHECK_MEM(pkt, plain, (size_t)plen);
	}
	return r;
}

static enum sgw_srtp_result replay_rtcp(struct sgw_srtp *rx, const uint8_t *srtcp, int len)
{
	uint8_t pkt[BUF];

	memcpy(pkt, srtcp, (size_t)len);
	return sgw_srtp_unprotect_rtcp(rx, pkt, &len);
}

/* One sender per SSRC, TX(ssrc) (a sender has the cap too); from: the
 * position its SSRC's sender goes on from, or NULL. */
#define TX(ssrc) txs[(ssrc) & 15]
static void senders(struct sgw_srtp *txs[16], const struct sgw_key *k,
		    const struct sgw_srtp_pos *from)
{
	for (unsigned i = 0; i < 16; i++)
		txs[i] = sgw_srtp_create_at(k, SGW_SRTP_OUTBOUND, 0,
					    from != NULL && i == (from->ssrc & 15) ? from : NULL);
}

static void senders_free(struct sgw_srtp *txs[16])
{
	for (unsigned i = 0; i < 16; i++)
		sgw_srtp_free(txs[i]);
}

/* A resumed SSRC whose SRTCP comes before its RTP, while the slots are
 * full: its SRTCP makes its stream, and its RTP must still get room made
 * for it (none was, its stream existing: its first packet was accepted
 * past the cap, without a slot, and spent its resume entry; the next went
 * the new SSRC's way, whose refusal removed the stream, and from then on
 * it was tried at ROC 0, refused for good). While none is idle it is
 * refused for the cap, as a new SSRC (its stream and entry kept); then
 * every packet is accepted at its ROC, and it has a slot at its index.
 * Its SRTCP replay window is kept throughout. Both kinds of resume entry:
 * the position the context was made from (0x5f, ROC 3), and an evicted
 * SSRC (2, which wrapped: ROC 1). */
static void inbound_resume_rtcp_first(void)
{
	struct sgw_key k;
	struct sgw_srtp_pos pos = { .ssrc = 0x5f, .roc = 3, .seq = 100 };
	struct sgw_srtp *txs[16], *rx;
	uint8_t old5f[BUF], old2[BUF];
	int old5f_len = 0, old2_len = 0;
	struct ssrc_slot *s;

	key_fill(&k, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 25);
	senders(txs, &k, &pos);
	rx = sgw_srtp_create_at(&k, SGW_SRTP_INBOUND, 0, &pos);
	CHECK(rx != NULL);
	/* 2 wraps (ROC 1, up to 0x10017), then 1, 3..8: the slots are full */
	for (unsigned n = 0; n < 40; n++)
		CHECK_EQ(rtp_through(TX(2), rx, 2, (uint16_t)(0xfff0 + n)), SGW_SRTP_OK);
	for (uint32_t ssrc = 1; ssrc <= SGW_SRTP_MAX_SSRCS; ssrc++)
		if (ssrc != 2)
			CHECK_EQ(rtp_through(TX(ssrc), rx, ssrc, 10), SGW_SRTP_OK);
	/* 8 goes on, 9 comes and evicts 2 (the oldest idle): its tombstone */
	for (unsigned n = 1; n <= SGW_SRTP_IDLE_PKTS; n++)
		CHECK_EQ(rtp_through(TX(8), rx, 8, (uint16_t)(10 + n)), SGW_SRTP_OK);
	CHECK_EQ(rtp_through(TX(9), rx, 9, 10), SGW_SRTP_OK);
	CHECK(srtp_ctx_slot(rx, 2) == NULL);
	/* every slot used again: none is idle */
	for (uint32_t ssrc = 1; ssrc <= 9; ssrc++)
		if (ssrc != 2)
			CHECK_EQ(rtp_through(TX(ssrc), rx, ssrc, 1000), SGW_SRTP_OK);
	/* 0x5f's SRTCP first, then its RTP: refused for the cap */
	CHECK_EQ(rtcp_through(TX(0x5f), rx, 0x5f, old5f, &old5f_len), SGW_SRTP_OK);
	CHECK_EQ(rtp_through(TX(0x5f), rx, 0x5f, 101), SGW_SRTP_ERR_SSRCS);
	CHECK_EQ(rtp_through(TX(0x5f), rx, 0x5f, 102), SGW_SRTP_ERR_SSRCS);
	CHECK(srtp_ctx_has_stream(rx, 0x5f));
	CHECK(srtp_ctx_resume_of(rx, 0x5f) != NULL);
	CHECK_EQ(replay_rtcp(rx, old5f, old5f_len), SGW_SRTP_ERR_REPLAY);
	/* 9 goes on: the others go idle. 0x5f's RTP is accepted at ROC 3 */
	for (unsigned n = 1; n <= SGW_SRTP_IDLE_PKTS; n++)
		CHECK_EQ(rtp_through(TX(9), rx, 9, (uint16_t)(1000 + n)), SGW_SRTP_OK);
	for (uint16_t seq = 103; seq < 108; seq++)
		CHECK_EQ(rtp_through(TX(0x5f), rx, 0x5f, seq), SGW_SRTP_OK);
	s = srtp_ctx_slot(rx, 0x5f);
	CHECK(s != NULL);
	CHECK_EQ(s != NULL ? s->hi : 0, 3ull << 16 | 107);
	/* 2's SRTCP, then its RTP, with an idle slot left: at ROC 1 */
	CHECK_EQ(rtcp_through(TX(2), rx, 2, old2, &old2_len), SGW_SRTP_OK);
	for (uint16_t seq = 0x18; seq < 0x1d; seq++)
		CHECK_EQ(rtp_through(TX(2), rx, 2, seq), SGW_SRTP_OK);
	s = srtp_ctx_slot(rx, 2);
	CHECK(s != NULL);
	CHECK_EQ(s != NULL ? s->hi : 0, 1ull << 16 | 0x1c);
	/* their SRTCP: the replays refused, the next accepted */
	CHECK_EQ(replay_rtcp(rx, old5f, old5f_len), SGW_SRTP_ERR_REPLAY);
	CHECK_EQ(replay_rtcp(rx, old2, old2_len), SGW_SRTP_ERR_REPLAY);
	CHECK_EQ(rtcp_through(TX(0x5f), rx, 0x5f, NULL, NULL), SGW_SRTP_OK);
	CHECK_EQ(rtcp_through(TX(2), rx, 2, NULL, NULL), SGW_SRTP_OK);
	senders_free(txs);
	sgw_srtp_free(rx);
}

/* The streams of ssrcs lo..hi that rx has (libsrtp's, or the engine's). */
static unsigned streams_of(const struct sgw_srtp *rx, uint32_t lo, uint32_t hi)
{
	unsigned n = 0;

	for (uint32_t ssrc = lo; ssrc <= hi; ssrc++)
		n += srtp_ctx_has_stream(rx, ssrc);
	return n;
}

/* SRTCP of SSRCs without a slot makes streams outside the slots: at most
 * SGW_SRTP_MAX_SSRCS of them. Past that a new SSRC's SRTCP is refused
 * (SGW_SRTP_ERR_SSRCS) and the stream it made undone, so that SRTCP of
 * ever new SSRCs cannot grow a context. Those within the cap go on (a
 * receiver-only participant: its SRTCP accepted, its replays refused);
 * SSRCs with a slot are unaffected; one of them that sends RTP takes a
 * slot and leaves room for another. Its RTP refused for the slots' cap
 * leaves its stream (its SRTCP replay window, and its ROC: it was
 * removed, and the slot made at ROC 0). */
static void inbound_rtcp_ssrc_cap(void)
{
	struct sgw_key k;
	struct sgw_srtp *tx, *tx2, *rx;
	uint8_t old[SGW_SRTP_MAX_SSRCS][BUF];
	int old_len[SGW_SRTP_MAX_SSRCS];
	const uint32_t base = 100, n_new = 200;
	struct ssrc_slot *s;

	key_fill(&k, SGW_SUITE_AEAD_AES_128_GCM, 26);
	/* tx: RTP of 1..7, SRTCP of all; tx2: RTP of the others */
	tx = sgw_srtp_create(&k, SGW_SRTP_OUTBOUND, 0);
	tx2 = sgw_srtp_create(&k, SGW_SRTP_OUTBOUND, 0);
	rx = sgw_srtp_create(&k, SGW_SRTP_INBOUND, 0);
	/* 1..4 have slots */
	for (uint32_t ssrc = 1; ssrc <= 4; ssrc++)
		CHECK_EQ(rtp_through(tx, rx, ssrc, 7), SGW_SRTP_OK);
	for (uint32_t i = 0; i < n_new; i++) {
		uint32_t ssrc = base + i;

		if (i < SGW_SRTP_MAX_SSRCS) {
			CHECK_EQ(rtcp_through(tx, rx, ssrc, old[i], &old_len[i]), SGW_SRTP_OK);
			CHECK(srtp_ctx_has_stream(rx, ssrc));
		} else {
			CHECK_EQ(rtcp_through(tx, rx, ssrc, NULL, NULL), SGW_SRTP_ERR_SSRCS);
			CHECK_EQ(rtcp_through(tx, rx, ssrc, NULL, NULL), SGW_SRTP_ERR_SSRCS);
			CHECK(!srtp_ctx_has_stream(rx, ssrc));
		}
	}
	CHECK_EQ(streams_of(rx, 1, base + n_new), 4 + SGW_SRTP_MAX_SSRCS);
	if (rx->burst)
		CHECK_EQ(rx->n_streams, 4 + SGW_SRTP_MAX_SSRCS);
	/* the slots' SSRCs' SRTCP, and that of those within the cap */
	for (uint32_t ssrc = 1; ssrc <= 4; ssrc++)
		CHECK_EQ(rtcp_through(tx, rx, ssrc, NULL, NULL), SGW_SRTP_OK);
	for (uint32_t i = 0; i < SGW_SRTP_MAX_SSRCS; i++) {
		CHECK_EQ(rtcp_through(tx, rx, base + i, NULL, NULL), SGW_SRTP_OK);
		CHECK_EQ(replay_rtcp(rx, old[i], old_len[i]), SGW_SRTP_ERR_REPLAY);
	}
	/* base's RTP: a slot, and room for one more SRTCP-only SSRC */
	CHECK_EQ(rtp_through(tx2, rx, base, 7), SGW_SRTP_OK);
	CHECK(srtp_ctx_slot(rx, base) != NULL);
	CHECK_EQ(replay_rtcp(rx, old[0], old_len[0]), SGW_SRTP_ERR_REPLAY);
	CHECK_EQ(rtcp_through(tx, rx, base + n_new, NULL, NULL), SGW_SRTP_OK);
	CHECK_EQ(rtcp_through(tx, rx, base + n_new + 1, NULL, NULL), SGW_SRTP_ERR_SSRCS);
	CHECK_EQ(streams_of(rx, 1, base + n_new + 1), 5 + SGW_SRTP_MAX_SSRCS);
	/* 5..7 fill the slots; base + 1's RTP, refused while none is idle,
	 * wraps (ROC 1) on its stream, which stays */
	for (uint32_t ssrc = 5; ssrc <= 7; ssrc++)
		CHECK_EQ(rtp_through(tx, rx, ssrc, 7), SGW_SRTP_OK);
	for (unsigned n = 0; n < 20; n++)
		CHECK_EQ(rtp_through(tx2, rx, base + 1, (uint16_t)(0xfff6 + n)), SGW_SRTP_ERR_SSRCS);
	CHECK(srtp_ctx_has_stream(rx, base + 1));
	CHECK_EQ(replay_rtcp(rx, old[1], old_len[1]), SGW_SRTP_ERR_REPLAY);
	/* 1 goes on, the others go idle: base + 1 gets a slot, at ROC 1 */
	for (unsigned n = 1; n <= SGW_SRTP_IDLE_PKTS; n++)
		CHECK_EQ(rtp_through(tx, rx, 1, (uint16_t)(7 + n)), SGW_SRTP_OK);
	CHECK_EQ(rtp_through(tx2, rx, base + 1, 10), SGW_SRTP_OK);
	s = srtp_ctx_slot(rx, base + 1);
	CHECK(s != NULL);
	CHECK_EQ(s != NULL ? s->hi : 0, 1ull << 16 | 10);
	CHECK_EQ(replay_rtcp(rx, old[1], old_len[1]), SGW_SRTP_ERR_REPLAY);
	sgw_srtp_free(tx);
	sgw_srtp_free(tx2);
	sgw_srtp_free(rx);
}

/* The streams a resumed SSRC's tries make (forged packets of it: no
 * packet accepted) go with its resume entry when a tombstone takes the
 * entry's place, whether before its packet was tried (the room made for
 * it took its entry) or after: streams without a slot stay bounded. (They
 * stayed, each one more stream outside the cap for good, and its SSRC,
 * back as a new one, was tried under the ROC its last try told it.) */
static void inbound_resume_streams_dropped(void)
{
	struct sgw_key k;
	struct sgw_srtp *txs[16], *rx;
	uint8_t pkt[BUF];
	int len;

	key_fill(&k, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 27);
	senders(txs, &k, NULL);
	rx = sgw_srtp_create(&k, SGW_SRTP_INBOUND, 0);
	for (uint32_t ssrc = 1; ssrc <= SGW_SRTP_MAX_SSRCS; ssrc++)
		CHECK_EQ(rtp_through(TX(ssrc), rx, ssrc, 10), SGW_SRTP_OK);
	/* 8 goes on; 9..12 evict 1..4: every resume entry taken */
	for (unsigned n = 1; n <= SGW_SRTP_IDLE_PKTS; n++)
		CHECK_EQ(rtp_through(TX(8), rx, 8, (uint16_t)(10 + n)), SGW_SRTP_OK);
	for (uint32_t ssrc = 9; ssrc <= 12; ssrc++)
		CHECK_EQ(rtp_through(TX(ssrc), rx, ssrc, 10), SGW_SRTP_OK);
	/* forged packets of 2, then 3: the room made for 2 evicts 5, whose
	 * tombstone takes 2's entry; 3's stream stays with its entry */
	for (uint32_t ssrc = 2; ssrc <= 3; ssrc++) {
		len = rtp(pkt, 500, ssrc, 1);
		CHECK_EQ(sgw_srtp_protect(TX(ssrc), pkt, &len), SGW_SRTP_OK);
		pkt[20] ^= 1;
		CHECK_EQ(sgw_srtp_unprotect(rx, pkt, &len), SGW_SRTP_ERR_AUTH);
	}
	CHECK(srtp_ctx_resume_of(rx, 2) == NULL);
	CHECK(!srtp_ctx_has_stream(rx, 2));
	CHECK(srtp_ctx_has_stream(rx, 3));
	/* 13 takes the room; 14 evicts 6, whose tombstone takes 3's entry */
	CHECK_EQ(rtp_through(TX(13), rx, 13, 10), SGW_SRTP_OK);
	CHECK_EQ(rtp_through(TX(14), rx, 14, 10), SGW_SRTP_OK);
	CHECK(srtp_ctx_resume_of(rx, 3) == NULL);
	CHECK(!srtp_ctx_has_stream(rx, 3));
	CHECK_EQ(streams_of(rx, 1, 14), SGW_SRTP_MAX_SSRCS);
	/* 3 comes back as a new SSRC, at ROC 0 */
	CHECK_EQ(rtp_through(TX(3), rx, 3, 501), SGW_SRTP_OK);
	senders_free(txs);
	sgw_srtp_free(rx);
}

/* Outbound without lanes: the same cap; an evicted SSRC that comes back
 * goes on above the highest index it had (never below: no reuse). */
static void outbound_ssrc_cap(void)
{
	struct sgw_key k;
	struct sgw_srtp *tx;
	uint8_t pkt[BUF];
	int len;

	key_fill(&k, SGW_SUITE_AEAD_AES_128_GCM, 22);
	tx = sgw_srtp_create(&k, SGW_SRTP_OUTBOUND, 0);
	for (unsigned n = 0; n < 20; n++) {
		len = rtp(pkt, (uint16_t)(0xfff8 + n), 1, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	}
	for (uint32_t s = 2; s <= SGW_SRTP_MAX_SSRCS; s++) {
		len = rtp(pkt, 5, s, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	}
	len = rtp(pkt, 5, 100, 1);
	CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_ERR_SSRCS);
	for (unsigned n = 0; n < SGW_SRTP_IDLE_PKTS; n++) {
		len = rtp(pkt, (uint16_t)(6 + n), 2, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	}
	len = rtp(pkt, 5, 100, 1);
	CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	/* 1 was at index 0x1000b; it comes back with an older sequence
	 * number: it goes out above, at ROC 2 */
	for (unsigned n = 0; n < SGW_SRTP_IDLE_PKTS; n++) {
		len = rtp(pkt, (uint16_t)(300 + n), 2, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	}
	len = rtp(pkt, 3, 1, 1);
	CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	CHECK(decrypts_at(&k, pkt, len, 2ull << 16 | 3, NULL, NULL));
	sgw_srtp_free(tx);
}

/* Outbound without lanes, the same as inbound_resume_while_evicting: an
 * evicted SSRC that wrapped comes back while every resume entry is taken;
 * its first packet must go out above its old index (ROC 1), not at one
 * it used under ROC 0. */
static void outbound_resume_while_evicting(void)
{
	struct sgw_key k;
	struct sgw_srtp_pos pos = { .ssrc = 0x51, .roc = 3, .seq = 100 };
	struct sgw_srtp *tx;
	uint8_t pkt[BUF];
	int len;

	key_fill(&k, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 24);
	tx = sgw_srtp_create_at(&k, SGW_SRTP_OUTBOUND, 0, &pos); /* resume entry 0 */
	CHECK(tx != NULL);
	for (uint32_t s = 1; s <= SGW_SRTP_MAX_SSRCS; s++) {
		unsigned n_pkts = s == 2 || s == 3 ? 40 : 1;

		for (unsigned n = 0; n < n_pkts; n++) {
			len = rtp(pkt, (uint16_t)(0xfff0 + n), s, 1);
			CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
		}
	}
	for (unsigned n = 1; n <= SGW_SRTP_IDLE_PKTS; n++) {
		len = rtp(pkt, (uint16_t)(0xfff0 + n), SGW_SRTP_MAX_SSRCS, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	}
	for (uint32_t s = 9; s <= 11; s++) { /* evict 1, 2, 3: entries 1..3 */
		len = rtp(pkt, 7, s, 1);
		CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
	}
	/* 2 (the third entry) and 3 come back with the sequence numbers
	 * after their last (0x10017, ROC 1); 4 and 5 are evicted for them */
	for (uint32_t s = 2; s <= 3; s++) {
		for (unsigned n = 0; n < 3; n++) {
			len = rtp(pkt, (uint16_t)(0x18 + n), s, 1);
			CHECK_EQ(sgw_srtp_protect(tx, pkt, &len), SGW_SRTP_OK);
			CHECK(decrypts_at(&k, pkt, len, 1ull << 16 | (0x18 + n), NULL, NULL));
		}
	}
	sgw_srtp_free(tx);
}

/* The prefetch hints (srtp_prefetch.c) aim at the engine context the
 * burst path then uses: the first lane's out, the first SSRC's in; none
 * on libsrtp or before there is one. Safe on NULL (ASan checks the
 * reads). */
static void prefetch_targets(void)
{
	bool burst = sgw_srtp_get_engine() == SGW_SRTP_ENGINE_BURST;

	sgw_srtp_prefetch(NULL);
	sgw_srtp_prefetch_keys(NULL);
	CHECK(srtp_prefetch_target(NULL) == NULL);
	for (unsigned i = 0; i < N_SUITES; i++) {
		struct sgw_key k;
		struct sgw_srtp *tx, *sender, *rx;

		key_fill(&k, suites[i], (uint8_t)(40 + i));
		tx = lanes1(&k, 0xbbbb0001, 1, 1000, 1, 10);
		sender = sgw_srtp_create(&k, SGW_SRTP_OUTBOUND, 0);
		rx = sgw_srtp_create(&k, SGW_SRTP_INBOUND, 0);
		CHECK(tx != NULL && sender != NULL && rx != NULL);
		CHECK(sgw_srtp_is_burst(tx) == burst);
		CHECK(srtp_prefetch_target(tx) == (burst ? tx->lanes[0].bctx : NULL));
		CHECK(!burst || srtp_prefetch_target(tx) != NULL);
		CHECK(srtp_prefetch_target(rx) == NULL); /* no SSRC yet */
		sgw_srtp_prefetch(rx);
		sgw_srtp_prefetch_keys(rx);
		/* two SSRCs in: the first one's stream */
		CHECK_EQ(rtp_through(sender, rx, 0x1111, 7), SGW_SRTP_OK);
		CHECK_EQ(rtp_through(sender, rx, 0x2222, 9), SGW_SRTP_OK);
		if (burst) {
			CHECK(srtp_prefetch_target(rx) == srtp_in_stream_ctx(rx, 0x1111));
			CHECK(srtp_prefetch_target(rx) != NULL);
			CHECK(srtp_prefetch_target(rx) != srtp_in_stream_ctx(rx, 0x2222));
		} else {
			CHECK(srtp_prefetch_target(rx) == NULL);
		}
		sgw_srtp_prefetch(tx);
		sgw_srtp_prefetch_keys(tx);
		sgw_srtp_prefetch(rx);
		sgw_srtp_prefetch_keys(rx);
		sgw_srtp_free(tx);
		sgw_srtp_free(sender);
		sgw_srtp_free(rx);
	}
}

int main(void)
{
	CHECK(sgw_srtp_global_init() == 0);
	/* every case on libsrtp, then with the lanes on the burst engine
	 * (their packets one by one: srtp_egress.c's lone-packet path) */
	for (int e = 0; e < 2; e++) {
		CHECK(sgw_srtp_set_engine(e ? SGW_SRTP_ENGINE_BURST : SGW_SRTP_ENGINE_LIBSRTP) == 0);
		printf("engine: %s\n", e ? "burst" : "libsrtp");
		RUN(lane_rewrites_and_counts);
		RUN(reservation_enforced);
		RUN(restart_goes_on_above);
		RUN(floor_and_reorder);
		RUN(reorder_across_the_first_wrap);
		RUN(source_ssrcs_and_lanes);
		RUN(rtcp_on_lanes);
		RUN(bad_lanes);
		RUN(inbound_ssrc_cap);
		RUN(inbound_resume_while_evicting);
		RUN(inbound_resume_rtcp_first);
		RUN(inbound_rtcp_ssrc_cap);
		RUN(inbound_resume_streams_dropped);
		RUN(outbound_ssrc_cap);
		RUN(outbound_resume_while_evicting);
		RUN(prefetch_targets);
	}
	return CHECK_DONE();
}
