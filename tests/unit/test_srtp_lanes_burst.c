/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Egress lanes on the burst engine against lanes on libsrtp: the same
 * random source packets (several source SSRCs, jumps past 2^15, steps
 * back, repeats, wraps, RTCP between them, malformed headers, lanes that
 * hit their reservation and get it raised) go through a libsrtp context
 * one by one (sgw_srtp_protect) and through an engine context in bursts of
 * random sizes (sgw_srtp_protect_burst, as the worker calls it). Every
 * result, length and byte must be the same, and so must every lane's
 * state and the context's position after each burst.
 *
 * SGW_TEST_SEED=N replays a run (the seed is printed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/suite.h"
#include "dataplane/srtp_ctx.h"
#include "check.h"

#define BUF 1600
#define MAX_CHUNK 80
#define N_SRC 4

static const unsigned suites[] = {
	SGW_SUITE_AES_CM_128_HMAC_SHA1_80, SGW_SUITE_AES_CM_128_HMAC_SHA1_32,
	SGW_SUITE_AEAD_AES_128_GCM, SGW_SUITE_AEAD_AES_256_GCM,
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static uint32_t below(uint32_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* A source's RTP packet at seq: CSRCs, an extension, a payload of random
 * sizes; sometimes malformed (too short, or an extension past its end). */
static int make_rtp(uint8_t *p, uint32_t ssrc, uint16_t seq)
{
	unsigned cc = below(8) == 0 ? below(3) : 0, x = below(8) == 0, xwords = below(3);
	int len = 12 + 4 * (int)cc;

	memset(p, 0, BUF);
	p[0] = (uint8_t)(0x80 | (x ? 0x10 : 0) | cc);
	p[1] = (uint8_t)(96 | (below(2) << 7));
	p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
	wr32(p + 4, rnd());
	wr32(p + 8, ssrc);
	for (unsigned i = 0; i < cc; i++)
		wr32(p + 12 + 4 * i, rnd());
	if (x) {
		p[len] = 0xbe, p[len + 1] = 0xde;
		p[len + 2] = 0, p[len + 3] = (uint8_t)xwords;
		len += 4 + 4 * (int)xwords;
	}
	for (unsigned n = below(4) == 0 ? below(1200) : below(200); n > 0; n--)
		p[len++] = (uint8_t)rnd();
	if (below(100) == 0)
		len = (int)below((unsigned)len); /* malformed: cut anywhere */
	return len;
}

/* A sender report of ssrc, and sometimes an SDES chunk of it. */
static int make_rtcp(uint8_t *p, uint32_t ssrc)
{
	int len = 28;

	memset(p, 0, BUF);
	p[0] = 0x80, p[1] = 200, p[3] = 6;
	wr32(p + 4, ssrc);
	for (int i = 8; i < 28; i++)
		p[i] = (uint8_t)rnd();
	if (below(2)) { /* SDES, one chunk: CNAME "cam" */
		uint8_t *s = p + len;
		s[0] = 0x81, s[1] = 202, s[3] = 3;
		wr32(s + 4, ssrc);
		s[8] = 1, s[9] = 3, s[10] = 'c', s[11] = 'a', s[12] = 'm';
		len += 16;
	}
	return len;
}

static void key_fill(struct sgw_key *k, unsigned suite)
{
	memset(k, 0, sizeof(*k));
	k->suite = (uint8_t)suite;
	k->len = (uint8_t)sgw_suite_master_len(suite);
	for (unsigned i = 0; i < k->len; i++)
		k->material[i] = (uint8_t)rnd();
}

static void same_state(const struct sgw_srtp *a, const struct sgw_srtp *b, unsigned n_lanes)
{
	struct sgw_srtp_pos pa, pb;
	int ra = sgw_srtp_position(a, &pa), rb = sgw_srtp_position(b, &pb);

	CHECK_EQ(ra, rb);
	if (ra == 0 && rb == 0) {
		CHECK_EQ(pa.ssrc, pb.ssrc);
		CHECK_EQ(pa.roc, pb.roc);
		CHECK_EQ(pa.seq, pb.seq);
	}
	for (unsigned i = 0; i < n_lanes; i++) {
		struct sgw_srtp_lane_state la, lb;

		CHECK(sgw_srtp_lane_state(a, i, &la) == 0 && sgw_srtp_lane_state(b, i, &lb) == 0);
		CHECK_EQ(la.next, lb.next);
		CHECK_EQ(la.rtcp_next, lb.rtcp_next);
		CHECK_EQ(la.mapped, lb.mapped);
		CHECK_EQ(la.in_ssrc, lb.in_ssrc);
	}
}

static unsigned packets, refused, why[6];

/* One context pair of suite, and a stream of n source packets. */
static void one_run(struct sgw_srtp_lcore *lc, unsigned suite, unsigned n)
{
	static uint8_t a_pkt[MAX_CHUNK][BUF], b_pkt[MAX_CHUNK][BUF];
	struct sgw_srtp_op ops[MAX_CHUNK];
	int in_len[MAX_CHUNK];
	struct sgw_srtp_lane lanes[3];
	uint32_t src[N_SRC];
	uint16_t seq[N_SRC];
	unsigned n_lanes = 1 + below(3), n_src;
	struct sgw_srtp *a, *b;
	struct sgw_key k;

	key_fill(&k, suite);
	for (unsigned i = 0; i < n_lanes; i++) {
		static const uint64_t starts[] = { 1, 0x7ff0, 0xfff0, (1ull << 16) | 0xfff0, 5ull << 32 };
		uint64_t next = getenv("BIG") ? (5ull << 32) + rnd() : below(3) ? starts[below(5)] : 1 + rnd();
		unsigned room = below(4) ? 1u << 24 : below(900);

		lanes[i] = (struct sgw_srtp_lane){ .ssrc = 0x10000000u + i * 77 + below(1000),
						   .next = next, .limit = next - 1 + room,
						   .rtcp_next = 1 + below(1000) };
		lanes[i].rtcp_limit = lanes[i].rtcp_next - 1 + (below(4) ? 10000 : below(30));
	}
	CHECK(sgw_srtp_set_engine(SGW_SRTP_ENGINE_LIBSRTP) == 0);
	a = sgw_srtp_create_lanes(&k, 0, lanes, n_lanes);
	CHECK(sgw_srtp_set_engine(SGW_SRTP_ENGINE_BURST) == 0);
	b = sgw_srtp_create_lanes(&k, 0, lanes, n_lanes);
	CHECK(a != NULL && b != NULL && !sgw_srtp_is_burst(a) && sgw_srtp_is_burst(b));
	if (a == NULL || b == NULL)
		goto out;
	n_src = 1 + below(N_SRC);
	for (unsigned i = 0; i < N_SRC; i++) {
		src[i] = 0xc0000000u + rnd() % 100000;
		seq[i] = (uint16_t)rnd();
	}
	for (unsigned done = 0; done < n;) {
		unsigned chunk = below(4) == 0 ? 1 + below(MAX_CHUNK) : 1 + below(40);

		if (chunk > n - done)
			chunk = n - done;
		for (unsigned j = 0; j < chunk; j++) {
			/* mostly the first source; others come and go */
			unsigned s = below(10) < 8 ? 0 : below(n_src);
			unsigned what = below(100);
			bool rtcp = what < 5;
			int len;

			if (what < 70)
				seq[s]++;
			else if (what < 85)
				seq[s] = (uint16_t)(seq[s] + 2 + below(300));
			else if (what < 86)
				seq[s] = (uint16_t)(seq[s] + (below(8) ? 0x6000 + below(0x2000) : 0x8000 + below(0x1000))); /* near 2^15 on */
			/* else the same again */
			uint16_t at = seq[s];
			if (what >= 86 && what < 95)
				at = (uint16_t)(at - 1 - below(200)); /* one late packet */
			len = rtcp ? make_rtcp(a_pkt[j], src[s]) : make_rtp(a_pkt[j], src[s], at);
			memcpy(b_pkt[j], a_pkt[j], BUF);
			in_len[j] = len;
			ops[j] = (struct sgw_srtp_op){ .ctx = b, .pkt = b_pkt[j], .len = len, .rtcp = rtcp };
		}
		sgw_srtp_protect_burst(lc, ops, chunk);
		/* the same packets, one by one, through libsrtp */
		for (unsigned j = 0; j < chunk; j++) {
			int len = in_len[j];
			enum sgw_srtp_result r = ops[j].rtcp ? sgw_srtp_protect_rtcp(a, a_pkt[j], &len)
							     : sgw_srtp_protect(a, a_pkt[j], &len);

			packets++;
			if (ops[j].res != r)
				fprintf(stderr, "packet %u of %u: %s, %d bytes, seq %u: engine %d, libsrtp %d\n", j,
					chunk, ops[j].rtcp ? "RTCP" : "RTP", in_len[j], b_pkt[j][2] << 8 | b_pkt[j][3],
					ops[j].res, r);
			CHECK_EQ(ops[j].res, r);
			if (ops[j].res != r)
				goto out; /* the rest would differ for that reason */
			if (r == SGW_SRTP_OK && ops[j].res == SGW_SRTP_OK) {
				CHECK_EQ(ops[j].len, len);
				CHECK_MEM(b_pkt[j], a_pkt[j], (size_t)len);
			} else {
				refused++;
				why[-r]++;
			}
		}
		done += chunk;
		same_state(a, b, n_lanes);
		if (below(10) == 0) { /* the control plane reserves more */
			unsigned l = below(n_lanes);
			struct sgw_srtp_lane_state st;
			uint64_t limit;
			uint32_t rtcp_limit;

			CHECK(sgw_srtp_lane_state(a, l, &st) == 0);
			limit = st.limit + below(2000);
			rtcp_limit = st.rtcp_limit + below(40);
			CHECK_EQ(sgw_srtp_reserve(a, l, limit, rtcp_limit), 0);
			CHECK_EQ(sgw_srtp_reserve(b, l, limit, rtcp_limit), 0);
		}
	}
out:
	sgw_srtp_free(a);
	sgw_srtp_free(b);
}

int main(void)
{
	const char *env = getenv("SGW_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : 0x5eed1a4e5b0257ull;
	struct sgw_srtp_lcore *lc;

	rng = seed | 1;
	printf("seed %llu (SGW_TEST_SEED)\n", (unsigned long long)seed);
	CHECK(sgw_srtp_global_init() == 0);
	CHECK(sgw_srtp_set_engine(SGW_SRTP_ENGINE_BURST) == 0);
	lc = sgw_srtp_lcore_create();
	CHECK(lc != NULL);
	for (unsigned s = 0; s < N_SUITES; s++)
		for (unsigned run = 0; run < 40; run++)
			one_run(lc, suites[s], 300 + below(900));
	printf("%u packets, %u refused by both (used %u, other %u, reservation %u, SSRCs %u)\n", packets,
	       refused, why[-SGW_SRTP_ERR_REPLAY], why[-SGW_SRTP_ERR_OTHER], why[-SGW_SRTP_ERR_RESERVE],
	       why[-SGW_SRTP_ERR_SSRCS]);
	sgw_srtp_lcore_free(lc);
	return CHECK_DONE();
}
