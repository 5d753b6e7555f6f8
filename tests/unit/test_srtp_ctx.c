/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of dataplane/srtp_ctx: known answers, round trips, failures. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "api/suite.h"
#include "dataplane/srtp_ctx.h"

#define BUF_LEN 512
#define CANARY 0x5a

static const unsigned all_suites[] = {
	SGW_SUITE_AES_CM_128_HMAC_SHA1_80,
	SGW_SUITE_AES_CM_128_HMAC_SHA1_32,
	SGW_SUITE_AEAD_AES_128_GCM,
	SGW_SUITE_AEAD_AES_256_GCM,
};
#define N_SUITES (sizeof(all_suites) / sizeof(all_suites[0]))

/* ---- helpers ------------------------------------------------------------ */

/* Hex string (spaces ignored) into out; returns the byte count. */
static int
unhex(uint8_t *out, const char *s)
{
	int n = 0, hi = -1;

	for (; *s != '\0'; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static void
key_set(struct sgw_key *k, unsigned suite, const char *hex)
{
	memset(k, 0, sizeof(*k));
	k->suite = (uint8_t)suite;
	k->len = (uint8_t)unhex(k->material, hex);
}

static void
key_fill(struct sgw_key *k, unsigned suite, uint8_t seed)
{
	memset(k, 0, sizeof(*k));
	k->suite = (uint8_t)suite;
	k->len = (uint8_t)sgw_suite_master_len(suite);
	for (unsigned i = 0; i < k->len; i++)
		k->material[i] = (uint8_t)(seed + 37 * i);
}

/* An RTP packet: PT 96, given seq and SSRC, patterned payload. */
static int
rtp_build(uint8_t *p, uint16_t seq, uint32_t ssrc, unsigned payload)
{
	uint32_t ts = seq * 160u;

	memset(p, 0, BUF_LEN);
	p[0] = 0x80;
	p[1] = 96;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (unsigned i = 0; i < payload; i++)
		p[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + (int)payload;
}

/* An RTCP sender report without report blocks (28 bytes). */
static int
rtcp_build(uint8_t *p, uint32_t ssrc)
{
	memset(p, 0, BUF_LEN);
	p[0] = 0x80;
	p[1] = 200;
	p[3] = 6;
	p[4] = (uint8_t)(ssrc >> 24);
	p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8);
	p[7] = (uint8_t)ssrc;
	for (unsigned i = 8; i < 28; i++)
		p[i] = (uint8_t)(i * 13);
	return 28;
}

/* Bytes libsrtp appends to an RTCP packet: SRTCP index and tag. */
static int
rtcp_trailer_len(unsigned suite)
{
	/* AES_CM_*_32 keeps the 80-bit tag for SRTCP. */
	return 4 + (suite == SGW_SUITE_AEAD_AES_128_GCM ||
		    suite == SGW_SUITE_AEAD_AES_256_GCM ? 16 : 10);
}

static int
rtp_tag_len(unsigned suite)
{
	return (int)sgw_suite_info(suite)->rtp_tag_len;
}

/* Fill what lies beyond the allowed trailer with a canary. */
static void
canary_set(uint8_t *buf, int len)
{
	memset(buf + len + SGW_SRTP_MAX_TRAILER, CANARY,
	       BUF_LEN - len - SGW_SRTP_MAX_TRAILER);
}

static int
canary_ok(const uint8_t *buf, int len)
{
	for (int i = len + SGW_SRTP_MAX_TRAILER; i < BUF_LEN; i++)
		if (buf[i] != CANARY)
			return 0;
	return 1;
}

/* ---- known answers ------------------------------------------------------ */

struct kat {
	unsigned suite;
	const char *key;   /* master key || master salt */
	const char *rtp;   /* plain RTP */
	const char *srtp;  /* protected, first packet of the stream */
	const char *rtcp;  /* plain RTCP */
	const char *srtcp; /* protected, SRTCP index 1 */
};

static void
kat_run(const struct kat *k)
{
	_Alignas(8) uint8_t buf[BUF_LEN];
	uint8_t rtp[BUF_LEN], srtp[BUF_LEN], rtcp[BUF_LEN], srtcp[BUF_LEN];
	int rtp_len = unhex(rtp, k->rtp), srtp_len = unhex(srtp, k->srtp);
	int rtcp_len = unhex(rtcp, k->rtcp), srtcp_len = unhex(srtcp, k->srtcp);
	struct sgw_srtp *out, *in;
	struct sgw_key key;
	int len;

	key_set(&key, k->suite, k->key);
	CHECK_EQ(key.len, sgw_suite_master_len(k->suite));
	out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
	in = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
	CHECK(out != NULL);
	CHECK(in != NULL);
	if (out == NULL || in == NULL)
		goto done;

	memcpy(buf, rtp, rtp_len);
	len = rtp_len;
	CHECK_EQ(sgw_srtp_protect(out, buf, &len), SGW_SRTP_OK);
	CHECK_EQ(len, srtp_len);
	CHECK_MEM(buf, srtp, srtp_len);

	memcpy(buf, srtp, srtp_len);
	len = srtp_len;
	CHECK_EQ(sgw_srtp_unprotect(in, buf, &len), SGW_SRTP_OK);
	CHECK_EQ(len, rtp_len);
	CHECK_MEM(buf, rtp, rtp_len);

	memcpy(buf, rtcp, rtcp_len);
	len = rtcp_len;
	CHECK_EQ(sgw_srtp_protect_rtcp(out, buf, &len), SGW_SRTP_OK);
	CHECK_EQ(len, srtcp_len);
	CHECK_MEM(buf, srtcp, srtcp_len);

	memcpy(buf, srtcp, srtcp_len);
	len = srtcp_len;
	CHECK_EQ(sgw_srtp_unprotect_rtcp(in, buf, &len), SGW_SRTP_OK);
	CHECK_EQ(len, rtcp_len);
	CHECK_MEM(buf, rtcp, rtcp_len);
done:
	sgw_srtp_free(out);
	sgw_srtp_free(in);
}

#define KAT_RTP "800f1234 decafbad cafebabe abababab abababab abababab abababab"
#define KAT_RTCP "81c8000b cafebabe abababab abababab abababab abababab"

/* libsrtp 2.5 test/srtp_driver.c, srtp_validate(): test_key, default policy. */
static void
kat_aes_cm_128_hmac_sha1_80(void)
{
	const struct kat k = {
		.suite = SGW_SUITE_AES_CM_128_HMAC_SHA1_80,
		.key = "e1f97a0d3e018be0d64fa32c06de4139"
		       "0ec675ad498afeebb6960b3aabe6",
		.rtp = KAT_RTP,
		.srtp = "800f1234 decafbad cafebabe 4e55dc4c e79978d8"
			"8ca4d215 949d2402 b78d6acc 99ea179b 8dbb",
		.rtcp = KAT_RTCP,
		.srtcp = "81c8000b cafebabe 7128035b e487b9bd bef89041"
			 "f977a5a8 80000001 993e08cd 54d6c123 0798",
	};
	kat_run(&k);
}

/*
 * pion/srtp srtp_cipher_test.go (createTestCiphers), an independent
 * implementation: master key 00..0f, salt a0..ad. SRTCP carries an 80-bit
 * tag although SRTP carries 32 bits.
 */
static void
kat_aes_cm_128_hmac_sha1_32(void)
{
	const struct kat k = {
		.suite = SGW_SUITE_AES_CM_128_HMAC_SHA1_32,
		.key = "000102030405060708090a0b0c0d0e0f"
		       "a0a1a2a3a4a5a6a7a8a9aaabacad",
		.rtp = KAT_RTP,
		.srtp = "800f1234 decafbad cafebabe e2d8df8f 7a75d688"
			"c3502eee c2a98066 cd7c0d09",
		.rtcp = KAT_RTCP,
		.srtcp = "81c8000b cafebabe 5674bf01 813dc062 ac1df6f7"
			 "5f77c688 80000001 3db7a198 37ff64e5 cbd2",
	};
	kat_run(&k);
}

/*
 * libsrtp 2.5 test/srtp_driver.c, srtp_validate_gcm(): test_key_gcm
 * (key 00..0f, salt a0..ab). The same vector is in pion/srtp
 * srtp_cipher_aead_aes_gcm_test.go. (RFC 7714 sections 16-17 give session
 * keys, which cannot be fed through a master-key interface.)
 */
static void
kat_aead_aes_128_gcm(void)
{
	const struct kat k = {
		.suite = SGW_SUITE_AEAD_AES_128_GCM,
		.key = "000102030405060708090a0b0c0d0e0f"
		       "a0a1a2a3a4a5a6a7a8a9aaab",
		.rtp = KAT_RTP,
		.srtp = "800f1234 decafbad cafebabe c5002ede 04cfdd2e"
			"b91159e0 880aa06e d2976826 f796b201 df3131a1 27e8a392",
		.rtcp = KAT_RTCP,
		.srtcp = "81c8000b cafebabe c98b8b5d f0392a55 852b6c21"
			 "ac8e7025 c52c6fbe a2b3b446 ea31123b a88ce61e 80000001",
	};
	kat_run(&k);
}

/*
 * libsrtp has no AES-256-GCM master-key vector; this one is from pion/srtp
 * srtp_cipher_test.go (createTestCiphers): key 00..0f 00..0f, salt a0..ab.
 */
static void
kat_aead_aes_256_gcm(void)
{
	const struct kat k = {
		.suite = SGW_SUITE_AEAD_AES_256_GCM,
		.key = "000102030405060708090a0b0c0d0e0f"
		       "000102030405060708090a0b0c0d0e0f"
		       "a0a1a2a3a4a5a6a7a8a9aaab",
		.rtp = KAT_RTP,
		.srtp = "800f1234 decafbad cafebabe af49968f 7e9c43f8"
			"01dd0c84 8b1ec9b0 29cdf85c b79a2f95 60d46975 98507725",
		.rtcp = KAT_RTCP,
		.srtcp = "81c8000b cafebabe 9822ba22 961c3148 e7b7ec4f"
			 "09f426dc f6b59a75 adec74fd b951b666 8424d4e2 80000001",
	};
	kat_run(&k);
}

/* ---- behaviour ---------------------------------------------------------- */

static void
global_init(void)
{
	CHECK_EQ(sgw_srtp_global_init(), 0);
	CHECK_EQ(sgw_srtp_global_init(), 0);
}

/* Protect then unprotect RTP for every suite; the trailer stays in bounds. */
static void
rtp_roundtrip_all_suites(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		unsigned suite = all_suites[s];
		_Alignas(8) uint8_t buf[BUF_LEN];
		uint8_t ref[BUF_LEN];
		struct sgw_srtp *out, *in;
		struct sgw_key key;

		key_fill(&key, suite, (uint8_t)(0x10 + s));
		out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
		in = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		CHECK(out != NULL && in != NULL);
		if (out == NULL || in == NULL) {
			sgw_srtp_free(out);
			sgw_srtp_free(in);
			continue;
		}
		for (unsigned i = 0; i < 20; i++) {
			int plain = rtp_build(ref, (uint16_t)(1000 + i),
					      0x11223344, 20 + 17 * i);
			int len = plain;

			memcpy(buf, ref, BUF_LEN);
			canary_set(buf, plain);
			CHECK_EQ(sgw_srtp_protect(out, buf, &len), SGW_SRTP_OK);
			CHECK_EQ(len, plain + rtp_tag_len(suite));
			CHECK(canary_ok(buf, plain));
			CHECK_MEM(buf, ref, 12); /* header in the clear */
			CHECK(memcmp(buf + 12, ref + 12, plain - 12) != 0);

			CHECK_EQ(sgw_srtp_unprotect(in, buf, &len), SGW_SRTP_OK);
			CHECK_EQ(len, plain);
			CHECK_MEM(buf, ref, plain);
		}
		sgw_srtp_free(out);
		sgw_srtp_free(in);
	}
}

/* A header with a CSRC and an extension is authenticated, not encrypted. */
static void
rtp_roundtrip_csrc_extension(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		unsigned suite = all_suites[s];
		_Alignas(8) uint8_t buf[BUF_LEN], pkt[BUF_LEN];
		uint8_t ref[BUF_LEN];
		struct sgw_srtp *out, *in;
		struct sgw_key key;
		int plain, len, hdr = 12 + 4 + 8;

		key_fill(&key, suite, 0x77);
		out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
		in = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		CHECK(out != NULL && in != NULL);
		if (out == NULL || in == NULL) {
			sgw_srtp_free(out);
			sgw_srtp_free(in);
			continue;
		}
		rtp_build(ref, 7, 0xabcdef01, 0);
		ref[0] = 0x91; /* V=2, X=1, CC=1 */
		memcpy(ref + 12, "\x01\x02\x03\x04", 4);                 /* CSRC */
		memcpy(ref + 16, "\xbe\xde\x00\x01\x10\xaa\x00\x00", 8); /* ext */
		for (int i = 0; i < 40; i++)
			ref[hdr + i] = (uint8_t)(i + 1);
		plain = hdr + 40;

		memcpy(buf, ref, BUF_LEN);
		len = plain;
		CHECK_EQ(sgw_srtp_protect(out, buf, &len), SGW_SRTP_OK);
		CHECK_EQ(len, plain + rtp_tag_len(suite));
		CHECK_MEM(buf, ref, hdr);
		CHECK(memcmp(buf + hdr, ref + hdr, 40) != 0);
		memcpy(pkt, buf, BUF_LEN);
		buf[17] ^= 0x01; /* header bit: must not authenticate */
		CHECK_EQ(sgw_srtp_unprotect(in, buf, &len), SGW_SRTP_ERR_AUTH);
		/* a failed unprotect may leave the buffer changed (GCM
		 * decrypts in place before checking the tag): use the copy */
		memcpy(buf, pkt, BUF_LEN);
		CHECK_EQ(sgw_srtp_unprotect(in, buf, &len), SGW_SRTP_OK);
		CHECK_EQ(len, plain);
		CHECK_MEM(buf, ref, plain);
		sgw_srtp_free(out);
		sgw_srtp_free(in);
	}
}

static void
wrong_key_auth_fail(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		unsigned suite = all_suites[s];
		_Alignas(8) uint8_t buf[BUF_LEN];
		struct sgw_key ka, kb;
		struct sgw_srtp *out, *in;
		int len;

		key_fill(&ka, suite, 1);
		kb = ka;
		kb.material[kb.len - 1] ^= 0x01; /* differ in the salt only */
		out = sgw_srtp_create(&ka, SGW_SRTP_OUTBOUND, 0);
		in = sgw_srtp_create(&kb, SGW_SRTP_INBOUND, 0);
		CHECK(out != NULL && in != NULL);
		if (out != NULL && in != NULL) {
			len = rtp_build(buf, 1, 0x1234, 100);
			CHECK_EQ(sgw_srtp_protect(out, buf, &len), SGW_SRTP_OK);
			CHECK_EQ(sgw_srtp_unprotect(in, buf, &len),
				 SGW_SRTP_ERR_AUTH);
		}
		sgw_srtp_free(out);
		sgw_srtp_free(in);
	}
}

/* Tampering: payload bit, tag bit, header bit, truncation. */
static void
tamper_auth_fail(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		unsigned suite = all_suites[s];
		_Alignas(8) uint8_t pkt[BUF_LEN], buf[BUF_LEN];
		struct sgw_srtp *out, *in;
		struct sgw_key key;
		int plain, len, l;

		key_fill(&key, suite, 2);
		out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
		in = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		CHECK(out != NULL && in != NULL);
		if (out == NULL || in == NULL) {
			sgw_srtp_free(out);
			sgw_srtp_free(in);
			continue;
		}
		plain = rtp_build(pkt, 500, 0x5555, 160);
		len = plain;
		CHECK_EQ(sgw_srtp_protect(out, pkt, &len), SGW_SRTP_OK);

		memcpy(buf, pkt, BUF_LEN);
		buf[12 + 80] ^= 0x10; /* payload */
		l = len;
		CHECK_EQ(sgw_srtp_unprotect(in, buf, &l), SGW_SRTP_ERR_AUTH);

		memcpy(buf, pkt, BUF_LEN);
		buf[len - 1] ^= 0x80; /* tag */
		l = len;
		CHECK_EQ(sgw_srtp_unprotect(in, buf, &l), SGW_SRTP_ERR_AUTH);

		memcpy(buf, pkt, BUF_LEN);
		buf[5] ^= 0x01; /* timestamp */
		l = len;
		CHECK_EQ(sgw_srtp_unprotect(in, buf, &l), SGW_SRTP_ERR_AUTH);

		memcpy(buf, pkt, BUF_LEN);
		l = len - 1; /* one byte short */
		CHECK_EQ(sgw_srtp_unprotect(in, buf, &l), SGW_SRTP_ERR_AUTH);

		memcpy(buf, pkt, BUF_LEN);
		l = 12 + rtp_tag_len(suite) - 1; /* shorter than header + tag */
		CHECK(sgw_srtp_unprotect(in, buf, &l) != SGW_SRTP_OK);

		memcpy(buf, pkt, BUF_LEN);
		l = 11; /* not even an RTP header */
		CHECK_EQ(sgw_srtp_unprotect(in, buf, &l), SGW_SRTP_ERR_OTHER);
		CHECK_EQ(l, 11);

		/* failures did not poison the stream: the genuine one passes */
		memcpy(buf, pkt, BUF_LEN);
		l = len;
		CHECK_EQ(sgw_srtp_unprotect(in, buf, &l), SGW_SRTP_OK);
		CHECK_EQ(l, plain);
		sgw_srtp_free(out);
		sgw_srtp_free(in);
	}
}

static void
replay_same_packet(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		_Alignas(8) uint8_t pkt[BUF_LEN], buf[BUF_LEN];
		struct sgw_srtp *out, *in;
		struct sgw_key key;
		int len, l;

		key_fill(&key, all_suites[s], 3);
		out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
		in = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		CHECK(out != NULL && in != NULL);
		if (out != NULL && in != NULL) {
			len = rtp_build(pkt, 42, 0x99, 50);
			CHECK_EQ(sgw_srtp_protect(out, pkt, &len), SGW_SRTP_OK);
			memcpy(buf, pkt, BUF_LEN);
			l = len;
			CHECK_EQ(sgw_srtp_unprotect(in, buf, &l), SGW_SRTP_OK);
			memcpy(buf, pkt, BUF_LEN);
			l = len;
			CHECK_EQ(sgw_srtp_unprotect(in, buf, &l),
				 SGW_SRTP_ERR_REPLAY);
		}
		sgw_srtp_free(out);
		sgw_srtp_free(in);
	}
}

/*
 * Packets 1..200 are protected; 150, 120 and 1 are held back and delivered
 * after 200. With a window of 64, 150 (50 behind) passes, 120 (80 behind)
 * and 1 are too old. With the default window of 128, 120 passes.
 */
static void
replay_window(void)
{
	static _Alignas(8) uint8_t pkts[201][BUF_LEN];
	static int lens[201];
	struct sgw_srtp *out, *in64, *in128;
	struct sgw_key key;

	key_fill(&key, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 4);
	out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
	in64 = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 64);
	in128 = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
	CHECK(out != NULL && in64 != NULL && in128 != NULL);
	if (out == NULL || in64 == NULL || in128 == NULL)
		goto done;
	for (int seq = 1; seq <= 200; seq++) {
		lens[seq] = rtp_build(pkts[seq], (uint16_t)seq, 0xfeed, 40);
		CHECK_EQ(sgw_srtp_protect(out, pkts[seq], &lens[seq]),
			 SGW_SRTP_OK);
	}
	for (int seq = 1; seq <= 200; seq++) {
		_Alignas(8) uint8_t buf[BUF_LEN];
		int l;

		if (seq == 1 || seq == 120 || seq == 150)
			continue;
		memcpy(buf, pkts[seq], BUF_LEN);
		l = lens[seq];
		CHECK_EQ(sgw_srtp_unprotect(in64, buf, &l), SGW_SRTP_OK);
		memcpy(buf, pkts[seq], BUF_LEN);
		l = lens[seq];
		CHECK_EQ(sgw_srtp_unprotect(in128, buf, &l), SGW_SRTP_OK);
	}
	{
		_Alignas(8) uint8_t buf[BUF_LEN];
		int l;

		memcpy(buf, pkts[150], BUF_LEN);
		l = lens[150];
		CHECK_EQ(sgw_srtp_unprotect(in64, buf, &l), SGW_SRTP_OK);
		memcpy(buf, pkts[120], BUF_LEN);
		l = lens[120];
		CHECK_EQ(sgw_srtp_unprotect(in64, buf, &l), SGW_SRTP_ERR_REPLAY);
		memcpy(buf, pkts[1], BUF_LEN);
		l = lens[1];
		CHECK_EQ(sgw_srtp_unprotect(in64, buf, &l), SGW_SRTP_ERR_REPLAY);

		memcpy(buf, pkts[120], BUF_LEN);
		l = lens[120];
		CHECK_EQ(sgw_srtp_unprotect(in128, buf, &l), SGW_SRTP_OK);
		memcpy(buf, pkts[1], BUF_LEN);
		l = lens[1];
		CHECK_EQ(sgw_srtp_unprotect(in128, buf, &l),
			 SGW_SRTP_ERR_REPLAY);
	}
done:
	sgw_srtp_free(out);
	sgw_srtp_free(in64);
	sgw_srtp_free(in128);
}

static void
rtcp_roundtrip_all_suites(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		unsigned suite = all_suites[s];
		_Alignas(8) uint8_t buf[BUF_LEN], pkt[BUF_LEN];
		uint8_t ref[BUF_LEN];
		struct sgw_srtp *out, *in;
		struct sgw_key key;
		int plain, len, l;

		key_fill(&key, suite, (uint8_t)(0x20 + s));
		out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
		in = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		CHECK(out != NULL && in != NULL);
		if (out == NULL || in == NULL) {
			sgw_srtp_free(out);
			sgw_srtp_free(in);
			continue;
		}
		for (int i = 0; i < 5; i++) {
			plain = rtcp_build(ref, 0x0badcafe);
			ref[27] = (uint8_t)i;
			memcpy(buf, ref, BUF_LEN);
			canary_set(buf, plain);
			len = plain;
			CHECK_EQ(sgw_srtp_protect_rtcp(out, buf, &len),
				 SGW_SRTP_OK);
			CHECK_EQ(len, plain + rtcp_trailer_len(suite));
			CHECK(canary_ok(buf, plain));
			CHECK_MEM(buf, ref, 8);
			CHECK(memcmp(buf + 8, ref + 8, plain - 8) != 0);
			memcpy(pkt, buf, BUF_LEN);
			CHECK_EQ(sgw_srtp_unprotect_rtcp(in, buf, &len),
				 SGW_SRTP_OK);
			CHECK_EQ(len, plain);
			CHECK_MEM(buf, ref, plain);
		}
		/* the last one again: replay */
		memcpy(buf, pkt, BUF_LEN);
		l = plain + rtcp_trailer_len(suite);
		CHECK_EQ(sgw_srtp_unprotect_rtcp(in, buf, &l),
			 SGW_SRTP_ERR_REPLAY);

		/* a fresh one, tampered: auth failure, then the genuine one */
		plain = rtcp_build(ref, 0x0badcafe);
		memcpy(pkt, ref, BUF_LEN);
		len = plain;
		CHECK_EQ(sgw_srtp_protect_rtcp(out, pkt, &len), SGW_SRTP_OK);
		memcpy(buf, pkt, BUF_LEN);
		buf[10] ^= 0x04;
		l = len;
		CHECK_EQ(sgw_srtp_unprotect_rtcp(in, buf, &l), SGW_SRTP_ERR_AUTH);
		memcpy(buf, pkt, BUF_LEN);
		buf[len - 1] ^= 0x01;
		l = len;
		CHECK_EQ(sgw_srtp_unprotect_rtcp(in, buf, &l), SGW_SRTP_ERR_AUTH);
		memcpy(buf, pkt, BUF_LEN);
		l = len - 1;
		CHECK(sgw_srtp_unprotect_rtcp(in, buf, &l) != SGW_SRTP_OK);
		memcpy(buf, pkt, BUF_LEN);
		l = 7;
		CHECK_EQ(sgw_srtp_unprotect_rtcp(in, buf, &l), SGW_SRTP_ERR_OTHER);
		memcpy(buf, pkt, BUF_LEN);
		l = len;
		CHECK_EQ(sgw_srtp_unprotect_rtcp(in, buf, &l), SGW_SRTP_OK);
		CHECK_EQ(l, plain);
		CHECK_MEM(buf, ref, plain);

		/* RTCP under the wrong key */
		{
			struct sgw_key kb = key;
			struct sgw_srtp *in_b;

			kb.material[0] ^= 0xff;
			in_b = sgw_srtp_create(&kb, SGW_SRTP_INBOUND, 0);
			CHECK(in_b != NULL);
			if (in_b != NULL) {
				memcpy(buf, pkt, BUF_LEN);
				l = len;
				CHECK_EQ(sgw_srtp_unprotect_rtcp(in_b, buf, &l),
					 SGW_SRTP_ERR_AUTH);
			}
			sgw_srtp_free(in_b);
		}
		sgw_srtp_free(out);
		sgw_srtp_free(in);
	}
}

/* Two viewers of one stream, two keys: each decrypts only its own copy. */
static void
two_viewers_independent(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		unsigned suite = all_suites[s];
		_Alignas(8) uint8_t ref[BUF_LEN], pa[BUF_LEN], pb[BUF_LEN];
		_Alignas(8) uint8_t buf[BUF_LEN];
		struct sgw_srtp *out_a, *out_b, *in_a, *in_b;
		struct sgw_key ka, kb;
		int plain, la, lb, l;

		key_fill(&ka, suite, 0x31);
		key_fill(&kb, suite, 0x32);
		out_a = sgw_srtp_create(&ka, SGW_SRTP_OUTBOUND, 0);
		out_b = sgw_srtp_create(&kb, SGW_SRTP_OUTBOUND, 0);
		in_a = sgw_srtp_create(&ka, SGW_SRTP_INBOUND, 0);
		in_b = sgw_srtp_create(&kb, SGW_SRTP_INBOUND, 0);
		CHECK(out_a && out_b && in_a && in_b);
		if (out_a && out_b && in_a && in_b) {
			plain = rtp_build(ref, 9000, 0xc0ffee, 120);
			memcpy(pa, ref, BUF_LEN);
			memcpy(pb, ref, BUF_LEN);
			la = lb = plain;
			CHECK_EQ(sgw_srtp_protect(out_a, pa, &la), SGW_SRTP_OK);
			CHECK_EQ(sgw_srtp_protect(out_b, pb, &lb), SGW_SRTP_OK);
			CHECK_EQ(la, lb);
			CHECK(memcmp(pa + 12, pb + 12, la - 12) != 0);

			memcpy(buf, pb, BUF_LEN);
			l = lb;
			CHECK_EQ(sgw_srtp_unprotect(in_a, buf, &l),
				 SGW_SRTP_ERR_AUTH);
			memcpy(buf, pa, BUF_LEN);
			l = la;
			CHECK_EQ(sgw_srtp_unprotect(in_b, buf, &l),
				 SGW_SRTP_ERR_AUTH);
			memcpy(buf, pa, BUF_LEN);
			l = la;
			CHECK_EQ(sgw_srtp_unprotect(in_a, buf, &l), SGW_SRTP_OK);
			CHECK_EQ(l, plain);
			CHECK_MEM(buf, ref, plain);
			memcpy(buf, pb, BUF_LEN);
			l = lb;
			CHECK_EQ(sgw_srtp_unprotect(in_b, buf, &l), SGW_SRTP_OK);
			CHECK_EQ(l, plain);
			CHECK_MEM(buf, ref, plain);
		}
		sgw_srtp_free(out_a);
		sgw_srtp_free(out_b);
		sgw_srtp_free(in_a);
		sgw_srtp_free(in_b);
	}
}

static void
param_validation(void)
{
	_Alignas(8) uint8_t buf[BUF_LEN];
	struct sgw_srtp *c;
	struct sgw_key key;
	int len;

	for (unsigned s = 0; s < N_SUITES; s++) {
		unsigned suite = all_suites[s];
		unsigned ml = sgw_suite_master_len(suite);

		key_fill(&key, suite, 5);
		key.len = (uint8_t)(ml - 1);
		CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0) == NULL);
		key.len = (uint8_t)(ml + 1);
		CHECK(sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0) == NULL);
		key.len = 0;
		CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0) == NULL);
		key.len = (uint8_t)ml;
		c = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		CHECK(c != NULL);
		sgw_srtp_free(c);
	}

	key_fill(&key, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 6);
	key.suite = SGW_SUITE_PLAIN;
	CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0) == NULL);
	key.len = 0;
	CHECK(sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0) == NULL);
	key_fill(&key, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 6);
	key.suite = SGW_SUITE_MAX;
	CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0) == NULL);
	key.suite = 255;
	CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0) == NULL);
	CHECK(sgw_srtp_create(NULL, SGW_SRTP_INBOUND, 0) == NULL);
	key_fill(&key, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 6);
	CHECK(sgw_srtp_create(&key, (enum sgw_srtp_dir)7, 0) == NULL);

	/* replay window: 0 = default; 64 .. 32767 (libsrtp's limit) */
	CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, 1) == NULL);
	CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, 63) == NULL);
	CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, 32768) == NULL);
	CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, 40000) == NULL);
	CHECK(sgw_srtp_create(&key, SGW_SRTP_INBOUND, UINT_MAX) == NULL);
	c = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 64);
	CHECK(c != NULL);
	sgw_srtp_free(c);
	c = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 32767);
	CHECK(c != NULL);
	sgw_srtp_free(c);

	sgw_srtp_free(NULL);

	/* a context refuses the other direction and short packets */
	c = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
	CHECK(c != NULL);
	if (c != NULL) {
		len = rtp_build(buf, 1, 1, 20);
		CHECK_EQ(sgw_srtp_protect(c, buf, &len), SGW_SRTP_ERR_OTHER);
		CHECK_EQ(len, 32);
		len = rtcp_build(buf, 1);
		CHECK_EQ(sgw_srtp_protect_rtcp(c, buf, &len), SGW_SRTP_ERR_OTHER);
		len = -1;
		CHECK_EQ(sgw_srtp_unprotect(c, buf, &len), SGW_SRTP_ERR_OTHER);
	}
	sgw_srtp_free(c);
	c = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
	CHECK(c != NULL);
	if (c != NULL) {
		len = rtp_build(buf, 1, 1, 20);
		CHECK_EQ(sgw_srtp_unprotect(c, buf, &len), SGW_SRTP_ERR_OTHER);
		len = rtcp_build(buf, 1);
		CHECK_EQ(sgw_srtp_unprotect_rtcp(c, buf, &len),
			 SGW_SRTP_ERR_OTHER);
		rtp_build(buf, 1, 1, 0);
		len = 11;
		CHECK_EQ(sgw_srtp_protect(c, buf, &len), SGW_SRTP_ERR_OTHER);
		CHECK_EQ(len, 11);
		rtcp_build(buf, 1);
		len = 7;
		CHECK_EQ(sgw_srtp_protect_rtcp(c, buf, &len), SGW_SRTP_ERR_OTHER);
		CHECK_EQ(len, 7);
		rtp_build(buf, 2, 1, 0);
		len = 12; /* a bare header is a valid RTP packet */
		CHECK_EQ(sgw_srtp_protect(c, buf, &len), SGW_SRTP_OK);
	}
	sgw_srtp_free(c);
}

/*
 * Seq 65530..65535 then 0..5: the sender's ROC goes 0 -> 1. An in-order
 * receiver follows; a fresh receiver that first sees seq 0 assumes ROC 0
 * and must reject it, which shows the sender really used ROC 1.
 */
static void
seq_wrap(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		_Alignas(8) uint8_t pkts[12][BUF_LEN], ref[12][BUF_LEN];
		_Alignas(8) uint8_t buf[BUF_LEN];
		struct sgw_srtp *out, *in, *late;
		struct sgw_key key;
		int lens[12], plain[12], l;

		key_fill(&key, all_suites[s], 7);
		out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
		in = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		late = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		CHECK(out != NULL && in != NULL && late != NULL);
		if (out == NULL || in == NULL || late == NULL)
			goto next;
		for (int i = 0; i < 12; i++) {
			uint16_t seq = (uint16_t)(65530 + i);

			plain[i] = rtp_build(ref[i], seq, 0x600d, 64);
			memcpy(pkts[i], ref[i], BUF_LEN);
			lens[i] = plain[i];
			CHECK_EQ(sgw_srtp_protect(out, pkts[i], &lens[i]),
				 SGW_SRTP_OK);
		}
		CHECK_EQ(pkts[6][2], 0);
		CHECK_EQ(pkts[6][3], 0);
		for (int i = 0; i < 12; i++) {
			memcpy(buf, pkts[i], BUF_LEN);
			l = lens[i];
			CHECK_EQ(sgw_srtp_unprotect(in, buf, &l), SGW_SRTP_OK);
			CHECK_EQ(l, plain[i]);
			CHECK_MEM(buf, ref[i], plain[i]);
		}
		memcpy(buf, pkts[6], BUF_LEN);
		l = lens[6];
		CHECK_EQ(sgw_srtp_unprotect(late, buf, &l), SGW_SRTP_ERR_AUTH);
next:
		sgw_srtp_free(out);
		sgw_srtp_free(in);
		sgw_srtp_free(late);
	}
}

/* ---- position and resume ------------------------------------------------- */

/* RFC 3711 Appendix A, including the edges of each half. */
static void
roc_estimate(void)
{
	CHECK_EQ(sgw_srtp_roc_estimate(0, 5), 0);
	CHECK_EQ(sgw_srtp_roc_estimate(0, 40000), 0);            /* no ROC -1 */
	CHECK_EQ(sgw_srtp_roc_estimate(3ull << 16 | 100, 40000), 2);
	CHECK_EQ(sgw_srtp_roc_estimate(3ull << 16 | 100, 32868), 3);  /* 100 + 2^15 */
	CHECK_EQ(sgw_srtp_roc_estimate(3ull << 16 | 100, 32869), 2);
	CHECK_EQ(sgw_srtp_roc_estimate(3ull << 16 | 65000, 100), 4);
	CHECK_EQ(sgw_srtp_roc_estimate(3ull << 16 | 65000, 32231), 4); /* 65000 - 2^15 - 1 */
	CHECK_EQ(sgw_srtp_roc_estimate(3ull << 16 | 65000, 32232), 3);
	CHECK_EQ(sgw_srtp_roc_estimate(3ull << 16 | 32768, 0), 3);
	CHECK_EQ(sgw_srtp_roc_estimate(3ull << 16 | 32769, 0), 4);
}

/* Protect packets seq0, seq0+1, ... (n of them) of ssrc into pkts/lens. */
static void
send_run(struct sgw_srtp *out, uint32_t ssrc, uint16_t seq0, int n,
	 uint8_t (*pkts)[BUF_LEN], int *lens)
{
	for (int i = 0; i < n; i++) {
		int plain = rtp_build(pkts[i], (uint16_t)(seq0 + i), ssrc, 40);

		lens[i] = plain;
		CHECK_EQ(sgw_srtp_protect(out, pkts[i], &lens[i]), SGW_SRTP_OK);
	}
}

static int
recv_one(struct sgw_srtp *in, const uint8_t *pkt, int len)
{
	_Alignas(8) uint8_t buf[BUF_LEN];

	memcpy(buf, pkt, BUF_LEN);
	return sgw_srtp_unprotect(in, buf, &len);
}

/* Both directions follow the highest index across a wrap, and a reordered
 * packet from before the wrap does not move them back. */
static void
position_follows_wrap(void)
{
	static uint8_t pkts[40][BUF_LEN];
	int lens[40];
	struct sgw_srtp_pos pos;
	struct sgw_key key;
	struct sgw_srtp *out, *in;

	key_fill(&key, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 3);
	out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
	in = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
	CHECK(out != NULL && in != NULL);
	if (out == NULL || in == NULL)
		goto out;
	CHECK_EQ(sgw_srtp_position(out, &pos), -1);
	CHECK_EQ(sgw_srtp_position(in, &pos), -1);
	send_run(out, 0xabcdef01, 65520, 40, pkts, lens); /* 65520 .. 65535, 0 .. 23 */
	CHECK_EQ(sgw_srtp_position(out, &pos), 0);
	CHECK_EQ(pos.ssrc, 0xabcdef01);
	CHECK_EQ(pos.roc, 1);
	CHECK_EQ(pos.seq, 23);
	for (int i = 0; i < 40; i++)
		if (i != 10)
			CHECK_EQ(recv_one(in, pkts[i], lens[i]), SGW_SRTP_OK);
	CHECK_EQ(recv_one(in, pkts[10], lens[10]), SGW_SRTP_OK); /* 65530, late */
	CHECK_EQ(sgw_srtp_position(in, &pos), 0);
	CHECK_EQ(pos.ssrc, 0xabcdef01);
	CHECK_EQ(pos.roc, 1);
	CHECK_EQ(pos.seq, 23);
out:
	sgw_srtp_free(out);
	sgw_srtp_free(in);
}

/*
 * A gateway that restarts makes its contexts anew. A source that has
 * wrapped is then refused by a fresh inbound context; one made from the
 * position the old context published (or from one up to two wraps older)
 * accepts it, in every suite, and the replay protection goes on.
 */
static void
resume_inbound(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		static uint8_t pkts[8][BUF_LEN], old[8][BUF_LEN];
		int lens[8], old_lens[8];
		struct sgw_srtp_pos pos, stale, now;
		struct sgw_key key;
		struct sgw_srtp *out, *in, *fresh = NULL, *resumed = NULL, *from_stale = NULL;

		key_fill(&key, all_suites[s], (uint8_t)(40 + s));
		out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
		in = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		CHECK(out != NULL && in != NULL);
		if (out == NULL || in == NULL)
			goto next;
		/* the source has gone round twice (ROC 2) and is 37 packets
		 * before the next wrap */
		for (uint32_t i = 0; i < 2 * 65536; i += 8) {
			send_run(out, 0x5eed, (uint16_t)(65500 + i), 8, pkts, lens);
			for (int j = 0; j < 8; j++)
				CHECK_EQ(recv_one(in, pkts[j], lens[j]), SGW_SRTP_OK);
			if (i == 40000)
				CHECK_EQ(sgw_srtp_position(in, &stale), 0); /* ROC 1 */
		}
		CHECK_EQ(sgw_srtp_position(in, &pos), 0);
		CHECK_EQ(pos.roc, 2);
		CHECK_EQ(stale.roc, 1);
		memcpy(old, pkts, sizeof(old)); /* the last 8 the old context accepted */
		memcpy(old_lens, lens, sizeof(old_lens));

		/* the restart: 1000 packets lost meanwhile (the wrap among
		 * them), then 8 more under ROC 3; stale is two wraps behind */
		for (int i = 0; i < 1000; i += 8)
			send_run(out, 0x5eed, (uint16_t)(pos.seq + 1 + i), 8, pkts, lens);
		send_run(out, 0x5eed, (uint16_t)(pos.seq + 1001), 8, pkts, lens);

		fresh = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		resumed = sgw_srtp_create_at(&key, SGW_SRTP_INBOUND, 0, &pos);
		from_stale = sgw_srtp_create_at(&key, SGW_SRTP_INBOUND, 0, &stale);
		CHECK(fresh != NULL && resumed != NULL && from_stale != NULL);
		if (fresh == NULL || resumed == NULL || from_stale == NULL)
			goto next;
		CHECK_EQ(sgw_srtp_position(resumed, &now), 0); /* before any packet */
		CHECK_EQ(now.roc, pos.roc);
		CHECK_EQ(now.seq, pos.seq);
		CHECK_EQ(recv_one(fresh, pkts[0], lens[0]), SGW_SRTP_ERR_AUTH);
		/* what the old context had accepted is a replay to the new one */
		CHECK_EQ(recv_one(resumed, old[0], old_lens[0]), SGW_SRTP_ERR_REPLAY);
		CHECK_EQ(recv_one(resumed, old[7], old_lens[7]), SGW_SRTP_ERR_REPLAY);
		for (int j = 0; j < 8; j++) {
			CHECK_EQ(recv_one(resumed, pkts[j], lens[j]), SGW_SRTP_OK);
			CHECK_EQ(recv_one(from_stale, pkts[j], lens[j]), SGW_SRTP_OK);
		}
		CHECK_EQ(recv_one(resumed, pkts[3], lens[3]), SGW_SRTP_ERR_REPLAY);
		CHECK_EQ(sgw_srtp_position(from_stale, &now), 0);
		CHECK_EQ(now.roc, 3);
		CHECK_EQ(now.seq, (uint16_t)(pos.seq + 1008));
next:
		sgw_srtp_free(out);
		sgw_srtp_free(in);
		sgw_srtp_free(fresh);
		sgw_srtp_free(resumed);
		sgw_srtp_free(from_stale);
	}
}

/* Forged packets of the resumed SSRC are refused under every ROC tried and
 * leave the resume pending; a packet of another SSRC is decided as by a
 * fresh context. */
static void
resume_inbound_refuses(void)
{
	static uint8_t pkts[4][BUF_LEN], other[1][BUF_LEN];
	int lens[4], olen[1];
	struct sgw_srtp_pos pos = { .ssrc = 0x77, .roc = 5, .seq = 1000 };
	struct sgw_key key, wrong;
	struct sgw_srtp *out, *bad, *in;
	struct sgw_srtp_pos now;

	key_fill(&key, SGW_SUITE_AEAD_AES_128_GCM, 9);
	key_fill(&wrong, SGW_SUITE_AEAD_AES_128_GCM, 10);
	out = sgw_srtp_create_at(&key, SGW_SRTP_OUTBOUND, 0, &pos);
	bad = sgw_srtp_create_at(&wrong, SGW_SRTP_OUTBOUND, 0, &pos);
	in = sgw_srtp_create_at(&key, SGW_SRTP_INBOUND, 0, &pos);
	CHECK(out != NULL && bad != NULL && in != NULL);
	if (out == NULL || bad == NULL || in == NULL)
		goto out;
	send_run(bad, 0x77, 1001, 2, pkts, lens);
	CHECK_EQ(recv_one(in, pkts[0], lens[0]), SGW_SRTP_ERR_AUTH);
	CHECK_EQ(recv_one(in, pkts[1], lens[1]), SGW_SRTP_ERR_AUTH);
	send_run(out, 0x77, 1001, 4, pkts, lens);
	for (int j = 0; j < 4; j++)
		CHECK_EQ(recv_one(in, pkts[j], lens[j]), SGW_SRTP_OK);
	CHECK_EQ(sgw_srtp_position(in, &now), 0);
	CHECK_EQ(now.ssrc, 0x77);
	CHECK_EQ(now.roc, 5);
	CHECK_EQ(now.seq, 1004);
	/* another SSRC from the same sender starts at ROC 0 on both sides */
	send_run(out, 0x78, 60000, 1, other, olen);
	CHECK_EQ(recv_one(in, other[0], olen[0]), SGW_SRTP_OK);
out:
	sgw_srtp_free(out);
	sgw_srtp_free(bad);
	sgw_srtp_free(in);
}

/*
 * Outbound: a viewer's receiver that has seen the gateway's packets wrap
 * cannot decrypt what a fresh context sends it, and can what a context
 * made from the old one's position sends, in every suite; also when the
 * first packet after the restart comes after the next wrap.
 */
static void
resume_outbound(void)
{
	for (unsigned s = 0; s < N_SUITES; s++) {
		static uint8_t pkts[8][BUF_LEN];
		int lens[8];
		struct sgw_srtp_pos pos;
		struct sgw_key key;
		struct sgw_srtp *out, *rx, *fresh = NULL, *resumed = NULL;

		key_fill(&key, all_suites[s], (uint8_t)(70 + s));
		out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
		rx = sgw_srtp_create(&key, SGW_SRTP_INBOUND, 0);
		CHECK(out != NULL && rx != NULL);
		if (out == NULL || rx == NULL)
			goto next;
		for (uint32_t i = 0; i < 65536 + 60000; i += 8) {
			send_run(out, 0xc0ffee, (uint16_t)(10 + i), 8, pkts, lens);
			CHECK_EQ(recv_one(rx, pkts[0], lens[0]), SGW_SRTP_OK);
			CHECK_EQ(recv_one(rx, pkts[7], lens[7]), SGW_SRTP_OK);
		}
		CHECK_EQ(sgw_srtp_position(out, &pos), 0);
		CHECK_EQ(pos.roc, 1);
		CHECK_EQ(pos.seq, (uint16_t)(10 + 65536 + 60000 - 1));

		fresh = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
		resumed = sgw_srtp_create_at(&key, SGW_SRTP_OUTBOUND, 0, &pos);
		CHECK(fresh != NULL && resumed != NULL);
		if (fresh == NULL || resumed == NULL)
			goto next;
		/* the source's next packets come after its next wrap */
		send_run(fresh, 0xc0ffee, 200, 1, pkts, lens);
		CHECK_EQ(recv_one(rx, pkts[0], lens[0]), SGW_SRTP_ERR_AUTH);
		send_run(resumed, 0xc0ffee, 200, 8, pkts, lens);
		for (int j = 0; j < 8; j++)
			CHECK_EQ(recv_one(rx, pkts[j], lens[j]), SGW_SRTP_OK);
		CHECK_EQ(sgw_srtp_position(resumed, &pos), 0);
		CHECK_EQ(pos.roc, 2);
		CHECK_EQ(pos.seq, 207);
next:
		sgw_srtp_free(out);
		sgw_srtp_free(rx);
		sgw_srtp_free(fresh);
		sgw_srtp_free(resumed);
	}
}

/* Interleaved packets of a second SSRC (RTX, say) do not take the position
 * over; a source that changes its SSRC for good does, after
 * SGW_SRTP_FOLLOW_AFTER packets, with the ROC libsrtp counted for it. */
static void
position_follows_one_ssrc(void)
{
	static uint8_t pkts[1][BUF_LEN];
	int lens[1];
	struct sgw_srtp_pos pos;
	struct sgw_key key;
	struct sgw_srtp *out;

	key_fill(&key, SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 21);
	out = sgw_srtp_create(&key, SGW_SRTP_OUTBOUND, 0);
	CHECK(out != NULL);
	if (out == NULL)
		return;
	for (int i = 0; i < 300; i++) {
		send_run(out, 0x1, (uint16_t)(65400 + i), 1, pkts, lens);
		if (i % 3 == 0)
			send_run(out, 0x2, (uint16_t)(7 + i), 1, pkts, lens);
	}
	CHECK_EQ(sgw_srtp_position(out, &pos), 0);
	CHECK_EQ(pos.ssrc, 0x1);
	CHECK_EQ(pos.roc, 1);
	CHECK_EQ(pos.seq, (uint16_t)(65400 + 299));
	for (int i = 0; i < SGW_SRTP_FOLLOW_AFTER - 1; i++)
		send_run(out, 0x2, (uint16_t)(1000 + i), 1, pkts, lens);
	CHECK_EQ(sgw_srtp_position(out, &pos), 0);
	CHECK_EQ(pos.ssrc, 0x1);
	send_run(out, 0x2, 65535, 1, pkts, lens);
	send_run(out, 0x2, 3, 1, pkts, lens);
	CHECK_EQ(sgw_srtp_position(out, &pos), 0);
	CHECK_EQ(pos.ssrc, 0x2);
	CHECK_EQ(pos.roc, 1);
	CHECK_EQ(pos.seq, 3);
	sgw_srtp_free(out);
}

int
main(void)
{
	if (sgw_srtp_global_init() != 0) {
		fprintf(stderr, "sgw_srtp_global_init failed\n");
		return 1;
	}
	/* every case on libsrtp, then with inbound contexts on the burst
	 * engine (its lone-packet path: dataplane/srtp_ingress_burst.c) */
	for (int e = 0; e < 2; e++) {
		CHECK(sgw_srtp_set_engine(e ? SGW_SRTP_ENGINE_BURST : SGW_SRTP_ENGINE_LIBSRTP) == 0);
		printf("engine: %s\n", e ? "burst" : "libsrtp");
		RUN(global_init);
		RUN(kat_aes_cm_128_hmac_sha1_80);
		RUN(kat_aes_cm_128_hmac_sha1_32);
		RUN(kat_aead_aes_128_gcm);
		RUN(kat_aead_aes_256_gcm);
		RUN(rtp_roundtrip_all_suites);
		RUN(rtp_roundtrip_csrc_extension);
		RUN(wrong_key_auth_fail);
		RUN(tamper_auth_fail);
		RUN(replay_same_packet);
		RUN(replay_window);
		RUN(rtcp_roundtrip_all_suites);
		RUN(two_viewers_independent);
		RUN(param_validation);
		RUN(seq_wrap);
		RUN(roc_estimate);
		RUN(position_follows_wrap);
		RUN(resume_inbound);
		RUN(resume_inbound_refuses);
		RUN(resume_outbound);
		RUN(position_follows_one_ssrc);
	}
	return CHECK_DONE();
}
