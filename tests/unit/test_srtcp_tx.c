/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SRTCP transform with a chosen index (dataplane/srtcp_tx.c) against
 * libsrtp, for every suite: at index 1 its output is byte for byte what a
 * fresh libsrtp context sends; at any index libsrtp's receiver accepts it
 * and recovers the plaintext, and rejects it tampered at any byte.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "api/suite.h"
#include "dataplane/srtcp_tx.h"
#include "check.h"

static const unsigned suites[] = {
	SGW_SUITE_AES_CM_128_HMAC_SHA1_80, SGW_SUITE_AES_CM_128_HMAC_SHA1_32,
	SGW_SUITE_AEAD_AES_128_GCM, SGW_SUITE_AEAD_AES_256_GCM,
};

/* What dataplane/srtp_ctx.c configures: SRTCP keeps the 80-bit tag. */
static void policy_for(srtp_policy_t *p, unsigned suite, struct sgw_key *k, bool inbound)
{
	memset(p, 0, sizeof(*p));
	switch (suite) {
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
	p->ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p->key = k->material;
	p->window_size = 128;
}

static void random_key(unsigned suite, struct sgw_key *k)
{
	memset(k, 0, sizeof(*k));
	k->suite = (uint8_t)suite;
	k->len = (uint8_t)sgw_suite_master_len(suite);
	RAND_bytes(k->material, k->len);
}

/* A compound RTCP packet: an SR and an SDES CNAME chunk, 52 bytes. */
static int make_rtcp(uint8_t *p, uint32_t ssrc, uint8_t fill)
{
	static const uint8_t sr[28] = { 0x80, 200, 0, 6 };
	uint8_t *sd = p + 28;

	memcpy(p, sr, sizeof(sr));
	p[4] = (uint8_t)(ssrc >> 24), p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8), p[7] = (uint8_t)ssrc;
	memset(p + 8, fill, 20);
	sd[0] = 0x81, sd[1] = 202, sd[2] = 0, sd[3] = 5;
	memcpy(sd + 4, p + 4, 4);
	sd[8] = 1, sd[9] = 10;
	memcpy(sd + 10, "camera@gw1", 10);
	sd[20] = sd[21] = sd[22] = sd[23] = 0;
	return 52;
}

static void same_bytes_as_libsrtp_at_index_1(void)
{
	for (unsigned i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		struct sgw_key k;
		srtp_policy_t p;
		srtp_t out;
		uint8_t a[128], b[128];
		int la, lb;

		random_key(suites[i], &k);
		policy_for(&p, suites[i], &k, false);
		CHECK(srtp_create(&out, &p) == srtp_err_status_ok);
		la = lb = make_rtcp(a, 0x01020304, (uint8_t)i);
		make_rtcp(b, 0x01020304, (uint8_t)i);
		CHECK(srtp_protect_rtcp(out, a, &la) == srtp_err_status_ok);
		struct sgw_srtcp_tx *t = sgw_srtcp_tx_create(&k);
		CHECK(t != NULL);
		CHECK(sgw_srtcp_tx_protect(t, b, &lb, 1) == 0);
		CHECK_EQ(la, lb);
		CHECK_MEM(a, b, (size_t)la);
		sgw_srtcp_tx_free(t);
		srtp_dealloc(out);
	}
}

static void libsrtp_accepts_any_index(void)
{
	static const uint32_t idx[] = { 1, 2, 1000, 65536, 1u << 24, SGW_SRTCP_INDEX_MAX };

	for (unsigned i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		struct sgw_key k;
		srtp_policy_t p;
		srtp_t in;

		random_key(suites[i], &k);
		policy_for(&p, suites[i], &k, true);
		CHECK(srtp_create(&in, &p) == srtp_err_status_ok);
		struct sgw_srtcp_tx *t = sgw_srtcp_tx_create(&k);
		CHECK(t != NULL);
		for (unsigned j = 0; j < sizeof(idx) / sizeof(idx[0]); j++) {
			uint8_t plain[128], pkt[128];
			int len = make_rtcp(plain, 0xcafe0000 + j, (uint8_t)j), plen = len;

			memcpy(pkt, plain, (size_t)len);
			CHECK(sgw_srtcp_tx_protect(t, pkt, &len, idx[j]) == 0);
			/* the index is in the trailer, with the E flag */
			const uint8_t *tr = pkt + len - 4 -
				(suites[i] >= SGW_SUITE_AEAD_AES_128_GCM ? 0 : 10);
			uint32_t got = (uint32_t)tr[0] << 24 | (uint32_t)tr[1] << 16 |
				       (uint32_t)tr[2] << 8 | tr[3];
			CHECK_EQ(got, 0x80000000u | idx[j]);
			CHECK(srtp_unprotect_rtcp(in, pkt, &len) == srtp_err_status_ok);
			CHECK_EQ(len, plen);
			CHECK_MEM(pkt, plain, (size_t)plen);
		}
		/* tampered anywhere: refused */
		for (int pos = 0; pos < 52 + 4 + 16; pos++) {
			uint8_t pkt[128];
			int len = make_rtcp(pkt, 0x0badcafe, 7);

			if (sgw_srtcp_tx_protect(t, pkt, &len, 5000 + (uint32_t)pos) != 0 || pos >= len)
				continue;
			pkt[pos] ^= 0x10;
			CHECK(srtp_unprotect_rtcp(in, pkt, &len) != srtp_err_status_ok);
		}
		sgw_srtcp_tx_free(t);
		srtp_dealloc(in);
	}
}

static void bad_arguments(void)
{
	struct sgw_key k;
	uint8_t pkt[128];
	int len = make_rtcp(pkt, 1, 1);

	random_key(SGW_SUITE_AES_CM_128_HMAC_SHA1_80, &k);
	struct sgw_srtcp_tx *t = sgw_srtcp_tx_create(&k);
	CHECK(sgw_srtcp_tx_protect(t, pkt, &len, 0) != 0);
	CHECK(sgw_srtcp_tx_protect(t, pkt, &len, SGW_SRTCP_INDEX_MAX + 1) != 0);
	len = 7;
	CHECK(sgw_srtcp_tx_protect(t, pkt, &len, 1) != 0);
	sgw_srtcp_tx_free(t);
	k.len = 29;
	CHECK(sgw_srtcp_tx_create(&k) == NULL);
	k.suite = SGW_SUITE_PLAIN;
	k.len = 0;
	CHECK(sgw_srtcp_tx_create(&k) == NULL);
}

int main(void)
{
	CHECK(srtp_init() == srtp_err_status_ok);
	RUN(same_bytes_as_libsrtp_at_index_1);
	RUN(libsrtp_accepts_any_index);
	RUN(bad_arguments);
	return CHECK_DONE();
}
