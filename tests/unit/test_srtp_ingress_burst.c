/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingress on the burst engine against ingress on libsrtp, through the
 * srtp_ctx API: inbound contexts made alike (sgw_srtp_create_at, from no
 * position or from one) on each engine; random packets from a libsrtp
 * sender go through the libsrtp context one by one (sgw_srtp_unprotect,
 * sgw_srtp_unprotect_rtcp) and through the engine's in bursts of random
 * sizes (sgw_srtp_unprotect_burst, as the worker calls it, several
 * contexts mixed in one burst; now and then without a manager or one by
 * one, the lone-packet path). Every result must be the same, and the
 * plaintext and length of every accepted packet, and every context's
 * position after each burst. The engine leaves a refused packet
 * unchanged (but for SGW_SRTP_ERR_SSRCS): checked too.
 *
 * The senders: up to 12 SSRCs per context (the cap is 8: SSRCs go idle
 * and are evicted, come back and resume above their tombstone, new ones
 * are refused while none is idle), in order with losses, gaps, jumps near
 * and past 2^15, wraps (starts near 65535, ROCs up to 2^20), late packets
 * (within and beyond the window), repeats, replays of old packets,
 * tampered bytes, truncated and lengthened packets, forged packets of new
 * and known SSRCs (another key), valid packets of new SSRCs, SRTCP (with
 * replays and tampering, of SSRCs with and without RTP), and contexts
 * resumed from a position (the source 0..3 wraps ahead of it, its old
 * packets replayed). All four suites, replay windows 64 to 0x7fff (libsrtp's widest).
 *
 * SGW_TEST_SEED=N replays a run (the seed is printed).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "api/suite.h"
#include "dataplane/srtp_ctx.h"
#include "check.h"

#define BUF 1600
#define MAX_BURST 200  /* more than SGW_BURST_MAX: the queue runs in chunks */
#define N_PAIRS 3
#define N_SRC 12
#define HIST 256
#define DELAY_MAX 512

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

static void policy(srtp_policy_t *p, struct sgw_key *k, uint32_t ssrc, bool any)
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
	p->ssrc.type = any ? ssrc_any_outbound : ssrc_specific;
	p->ssrc.value = ssrc;
	p->key = k->material;
	p->window_size = 1024;
	p->allow_repeat_tx = 1;
}

static void key_fill(struct sgw_key *k, unsigned suite)
{
	memset(k, 0, sizeof(*k));
	k->suite = (uint8_t)suite;
	k->len = (uint8_t)sgw_suite_master_len(suite);
	for (unsigned i = 0; i < k->len; i++)
		k->material[i] = (uint8_t)rnd();
}

/* An RTP packet of ssrc at seq: CSRCs, an extension, a payload of random
 * size. */
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
		len += 4;
		for (unsigned i = 0; i < 4 * xwords; i++)
			p[len++] = (uint8_t)rnd();
	}
	for (unsigned n = below(6) == 0 ? below(1200) : below(200); n > 0; n--)
		p[len++] = (uint8_t)rnd();
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
	if (below(2)) {
		uint8_t *s = p + len;
		s[0] = 0x81, s[1] = 202, s[3] = 3;
		wr32(s + 4, ssrc);
		s[8] = 1, s[9] = 3, s[10] = 'c', s[11] = 'a', s[12] = 'm';
		len += 16;
	}
	return len;
}

/* A protected packet on its way to a pair's receivers. */
struct pk {
	unsigned pair;
	bool rtcp;
	int len;
	uint8_t b[BUF];
};

struct src {
	uint32_t ssrc;
	uint64_t next;  /* the index of its next packet */
	bool added;     /* its stream is in the sender's session */
	bool active;
};

struct pair {
	struct sgw_key key;
	srtp_t tx, forger;       /* the camera's sender; another key's */
	struct sgw_srtp *a, *b;  /* libsrtp, the engine (now and then libsrtp) */
	bool engine;             /* b is the engine's */
	struct src src[N_SRC];
	unsigned n_src;
	struct pk hist[HIST];    /* packets sent, for replays */
	unsigned n_hist;
	struct pk old[64];       /* a resumed source's packets the old context had */
	unsigned n_old;
};

static struct pair pairs[N_PAIRS];
static bool directed; /* pair_make: no position, the engine */
static unsigned n_pairs;
static struct sgw_srtp_lcore *lc;
static struct pk delay[DELAY_MAX];
static unsigned delay_until[DELAY_MAX], n_delay;
static struct pk burst[MAX_BURST];
static unsigned n_burst;
static uint8_t a_buf[MAX_BURST][BUF], b_buf[MAX_BURST][BUF];
static unsigned long packets, accepted, by_res[6], lone, unlocked;

/* Where a source starts: a receiver without a position counts from ROC 0,
 * and refuses the rest (resumed contexts know). */
static uint64_t start_index(bool any_roc)
{
	switch (below(any_roc ? 6 : 12)) {
	case 0: return 0xff00u + below(0x100);                     /* wraps soon */
	case 1: return 0x7f00u + below(0x200);                     /* near 2^15 */
	case 2: return (uint64_t)(1 + below(1u << 20)) << 16 | (0xff80u + below(0x80));
	case 3: return (uint64_t)below(1u << 20) << 16 | below(0x10000);
	case 4: return 0xfff0u + below(0x10);
	default: return below(0x10000);
	}
}

/* The sender's packet of source s at its index: told the ROC
 * (srtp_set_stream_roc; indices only grow per source, so the ROC told is
 * always the one used). */
static void send_rtp(struct pair *pr, struct src *s, struct pk *out)
{
	uint64_t idx = s->next;
	srtp_policy_t p;

	if (!s->added) {
		policy(&p, &pr->key, s->ssrc, false);
		CHECK(srtp_add_stream(pr->tx, &p) == srtp_err_status_ok);
		s->added = true;
	}
	out->rtcp = false;
	out->len = make_rtp(out->b, s->ssrc, (uint16_t)idx);
	CHECK(srtp_set_stream_roc(pr->tx, s->ssrc, (uint32_t)(idx >> 16)) == srtp_err_status_ok);
	CHECK(srtp_protect(pr->tx, out->b, &out->len) == srtp_err_status_ok);
}

static void send_rtcp(struct pair *pr, struct src *s, struct pk *out)
{
	srtp_policy_t p;

	if (!s->added) {
		policy(&p, &pr->key, s->ssrc, false);
		CHECK(srtp_add_stream(pr->tx, &p) == srtp_err_status_ok);
		s->added = true;
	}
	out->rtcp = true;
	out->len = make_rtcp(out->b, s->ssrc);
	CHECK(srtp_protect_rtcp(pr->tx, out->b, &out->len) == srtp_err_status_ok);
}

static uint32_t ssrc_count;

static void new_src(struct src *s)
{
	/* distinct (an odd multiplier is a bijection): a sender's session
	 * has one stream per SSRC */
	s->ssrc = ++ssrc_count * 2654435761u;
	s->next = start_index(false);
	s->added = false;
	s->active = true;
}

static void pair_make(unsigned k, unsigned suite)
{
	static const unsigned windows[] = { 0, 64, 100, 128, 128, 256, 1024, 4096, 0x7fff };
	struct pair *pr = &pairs[k];
	unsigned window = windows[below(sizeof(windows) / sizeof(windows[0]))];
	struct sgw_srtp_pos from, *fromp = NULL;
	struct sgw_key bad;
	srtp_policy_t p;
	bool engine;

	memset(pr, 0, sizeof(*pr));
	key_fill(&pr->key, suite);
	CHECK(srtp_create(&pr->tx, NULL) == srtp_err_status_ok);
	bad = pr->key;
	bad.material[below(bad.len)] ^= (uint8_t)(1 + below(255));
	policy(&p, &bad, 0, true);
	CHECK(srtp_create(&pr->forger, &p) == srtp_err_status_ok);
	pr->n_src = 2 + below(N_SRC - 1);
	for (unsigned i = 0; i < pr->n_src; i++) {
		new_src(&pr->src[i]);
		pr->src[i].active = i < 3 || below(3) == 0;
	}
	if (!directed && below(3) == 0) {
		/* resumed: source 0 (or, now and then, one never seen) was at
		 * from; what it sent up to there is old; it goes on 0..3
		 * wraps ahead */
		struct src *s = &pr->src[0];
		uint64_t at = start_index(true) + 100;
		static const uint64_t ahead[] = { 1, 2, 40, 300, 0x10000, 0x10000 + 500,
						  0x20000 + 30, 0x30000 + 7, 0x8000 };

		from = (struct sgw_srtp_pos){ .ssrc = below(10) ? s->ssrc : rnd(),
					      .roc = (uint32_t)(at >> 16), .seq = (uint16_t)at };
		fromp = &from;
		for (unsigned i = 0; i < 64; i++) {
			s->next = at - 63 + i;
			send_rtp(pr, s, &pr->old[i]);
			pr->old[i].pair = k;
		}
		pr->n_old = 64;
		s->next = at + ahead[below(sizeof(ahead) / sizeof(ahead[0]))];
	}
	CHECK(sgw_srtp_set_engine(SGW_SRTP_ENGINE_LIBSRTP) == 0);
	pr->a = sgw_srtp_create_at(&pr->key, SGW_SRTP_INBOUND, window, fromp);
	/* now and then a libsrtp context among the engine's in the bursts */
	engine = directed || below(8) != 0;
	CHECK(sgw_srtp_set_engine(engine ? SGW_SRTP_ENGINE_BURST : SGW_SRTP_ENGINE_LIBSRTP) == 0);
	pr->b = sgw_srtp_create_at(&pr->key, SGW_SRTP_INBOUND, window, fromp);
	CHECK(sgw_srtp_set_engine(SGW_SRTP_ENGINE_BURST) == 0);
	CHECK(pr->a != NULL && pr->b != NULL);
	CHECK(!sgw_srtp_is_burst(pr->a) && sgw_srtp_is_burst(pr->b) == engine);
	pr->engine = engine;
}

static void pair_free(struct pair *pr)
{
	sgw_srtp_free(pr->a);
	sgw_srtp_free(pr->b);
	srtp_dealloc(pr->tx);
	srtp_dealloc(pr->forger);
}

static void same_position(struct pair *pr)
{
	struct sgw_srtp_pos pa, pb;
	int ra = sgw_srtp_position(pr->a, &pa), rb = sgw_srtp_position(pr->b, &pb);

	CHECK_EQ(ra, rb);
	if (ra == 0 && rb == 0) {
		CHECK_EQ(pa.ssrc, pb.ssrc);
		CHECK_EQ(pa.roc, pb.roc);
		CHECK_EQ(pa.seq, pb.seq);
	}
}

/* Deliver: into the current burst, or held back for a while. */
static void deliver(const struct pk *p, unsigned step)
{
	if (below(10) == 0 && n_delay < DELAY_MAX) {
		/* late: a few packets, or beyond the window */
		delay[n_delay] = *p;
		delay_until[n_delay++] = step + 1 + (below(4) ? below(40) : below(1500));
		return;
	}
	if (n_burst < MAX_BURST)
		burst[n_burst++] = *p;
}

static void remember(struct pair *pr, const struct pk *p)
{
	pr->hist[pr->n_hist++ % HIST] = *p;
}

/* One event of pair k's senders. */
static void event(unsigned k, unsigned step)
{
	struct pair *pr = &pairs[k];
	unsigned what = below(1000), si;
	struct src *s;
	struct pk p;

	/* mostly the active sources; the first most of all */
	do {
		si = below(3) == 0 ? 0 : below(pr->n_src);
	} while (!pr->src[si].active && below(20) != 0);
	s = &pr->src[si];
	p.pair = k;
	if (below(400) == 0) { /* sources go quiet and come back */
		unsigned j = below(pr->n_src);

		pr->src[j].active = !pr->src[j].active;
	}
	if (what < 780) { /* the next packet, after a loss or a jump now and then */
		unsigned j = below(1000);

		if (j < 40)
			s->next += 2 + below(300);
		else if (j < 42)
			s->next += 0x7f00 + below(0x200); /* either side of 2^15 */
		else if (j == 42 && below(4) == 0)
			s->next += 0x8000 + below(0x30000); /* lost: libsrtp guesses ROC - 1 */
		send_rtp(pr, s, &p);
		s->next++;
		remember(pr, &p);
		deliver(&p, step);
		if (below(50) == 0)
			deliver(&p, step); /* a repeat */
	} else if (what < 830) { /* SRTCP */
		send_rtcp(pr, s, &p);
		remember(pr, &p);
		deliver(&p, step);
		if (below(10) == 0)
			deliver(&p, step);
	} else if (what < 870) { /* an old packet again */
		if (pr->n_hist > 0) {
			unsigned n = pr->n_hist < HIST ? pr->n_hist : HIST;

			deliver(&pr->hist[below(n)], step);
		}
	} else if (what < 900) { /* what a resumed context's old one had */
		if (pr->n_old > 0)
			deliver(&pr->old[below(pr->n_old)], step);
	} else if (what < 950) { /* tampered, truncated, lengthened */
		if (pr->n_hist > 0) {
			unsigned n = pr->n_hist < HIST ? pr->n_hist : HIST;

			p = pr->hist[below(n)];
			switch (below(4)) {
			case 0:
				p.b[below((unsigned)p.len)] ^= (uint8_t)(1 << below(8));
				break;
			case 1:
				p.len = (int)below((unsigned)p.len);
				break;
			case 2:
				p.len += 1 + (int)below(4);
				break;
			default: /* the tag only */
				p.b[p.len - 1 - (int)below(4)] ^= 0x01;
				break;
			}
			deliver(&p, step);
		}
	} else if (what < 975) { /* forged: another key, a new or known SSRC */
		uint32_t ssrc = below(2) ? 0x7000000u + rnd() % 1000000u : s->ssrc;

		srtp_err_status_t st;

		if (below(5) == 0) {
			p.rtcp = true;
			p.len = make_rtcp(p.b, ssrc);
			st = srtp_protect_rtcp(pr->forger, p.b, &p.len);
		} else {
			/* (the forger refuses what its stream of that SSRC
			 * takes for an old index: nothing to send then) */
			p.rtcp = false;
			p.len = make_rtp(p.b, ssrc, (uint16_t)(s->next + below(20)));
			st = srtp_protect(pr->forger, p.b, &p.len);
		}
		if (st == srtp_err_status_ok)
			deliver(&p, step);
	} else if (what < 985) { /* a source makes way for a new SSRC */
		new_src(s);
	} else { /* a truncated header, of any length below 12 */
		p.rtcp = below(2);
		p.len = (int)below(p.rtcp ? 8 : 12);
		memset(p.b, 0x80, sizeof(p.b));
		deliver(&p, step);
	}
}

/* Run the burst: the engine's contexts in one call (or one by one), the
 * libsrtp ones packet by packet; compare. */
static bool run_burst(void)
{
	static struct sgw_srtp_op ops[MAX_BURST];
	unsigned how = below(20);
	bool ok = true;

	for (unsigned j = 0; j < n_burst; j++) {
		struct pk *p = &burst[j];

		memcpy(a_buf[j], p->b, (size_t)(p->len > 0 ? p->len : 0));
		memcpy(b_buf[j], p->b, (size_t)(p->len > 0 ? p->len : 0));
		ops[j] = (struct sgw_srtp_op){ .ctx = pairs[p->pair].b, .pkt = b_buf[j], .len = p->len,
					       .rtcp = p->rtcp };
	}
	if (how == 0) { /* the lone-packet path */
		for (unsigned j = 0; j < n_burst; j++)
			ops[j].res = ops[j].rtcp ? sgw_srtp_unprotect_rtcp(ops[j].ctx, ops[j].pkt, &ops[j].len)
						 : sgw_srtp_unprotect(ops[j].ctx, ops[j].pkt, &ops[j].len);
		lone += n_burst;
	} else {
		sgw_srtp_unprotect_burst(how == 1 ? NULL : lc, ops, n_burst);
		if (how == 1)
			unlocked += n_burst;
	}
	for (unsigned j = 0; j < n_burst; j++) {
		struct pk *p = &burst[j];
		struct sgw_srtp *a = pairs[p->pair].a;
		int len = p->len;
		enum sgw_srtp_result r = p->rtcp ? sgw_srtp_unprotect_rtcp(a, a_buf[j], &len)
						 : sgw_srtp_unprotect(a, a_buf[j], &len);

		packets++;
		if (ops[j].res != r) {
			fprintf(stderr, "packet %u of %u (pair %u): %s, %d bytes, SSRC %08x seq %u: engine %d, "
				"libsrtp %d\n", j, n_burst, p->pair, p->rtcp ? "RTCP" : "RTP", p->len,
				p->len >= 12 ? (unsigned)(p->b[p->rtcp ? 4 : 8] << 24 | p->b[p->rtcp ? 5 : 9] << 16 |
						 p->b[p->rtcp ? 6 : 10] << 8 | p->b[p->rtcp ? 7 : 11]) : 0,
				p->len >= 4 ? (unsigned)(p->b[2] << 8 | p->b[3]) : 0, ops[j].res, r);
			CHECK_EQ(ops[j].res, r);
			ok = false;
			break; /* the rest would differ for that reason */
		}
		if (r == SGW_SRTP_OK) {
			accepted++;
			CHECK_EQ(ops[j].len, len);
			CHECK(ops[j].len == len && memcmp(b_buf[j], a_buf[j], (size_t)len) == 0);
		} else {
			by_res[-r]++;
			/* unchanged by the engine; a new SSRC's packet refused
			 * for the cap after it authenticated is decrypted, as
			 * libsrtp's */
			if (r != SGW_SRTP_ERR_SSRCS && pairs[p->pair].engine) {
				CHECK_EQ(ops[j].len, p->len);
				CHECK(p->len <= 0 || memcmp(b_buf[j], p->b, (size_t)p->len) == 0);
			}
		}
	}
	n_burst = 0;
	for (unsigned k = 0; k < n_pairs; k++)
		same_position(&pairs[k]);
	return ok && !check_case_failed;
}

static void one_run(unsigned suite, unsigned steps)
{
	unsigned target = 1 + below(80), step = 0;

	n_pairs = 1 + below(N_PAIRS);
	for (unsigned k = 0; k < n_pairs; k++)
		pair_make(k, suite);
	n_delay = n_burst = 0;
	for (step = 0; step < steps; step++) {
		event(below(n_pairs), step);
		for (unsigned i = 0; i < n_delay;) {
			if (delay_until[i] <= step || n_delay == DELAY_MAX) {
				if (n_burst < MAX_BURST)
					burst[n_burst++] = delay[i];
				delay[i] = delay[--n_delay];
				delay_until[i] = delay_until[n_delay];
			} else {
				i++;
			}
		}
		if (n_burst >= target) {
			if (!run_burst())
				goto out;
			target = below(4) == 0 ? 1 + below(MAX_BURST) : 1 + below(40);
		}
	}
	run_burst();
out:
	for (unsigned k = 0; k < n_pairs; k++)
		pair_free(&pairs[k]);
}

/*
 * The position moves to another SSRC in the middle of a burst (its 64th
 * packet in a row since the one followed went quiet), and a later packet
 * of it in the same burst wraps: the position takes the ROC of the
 * switching packet's stream as it was right after it (libsrtp's, packet
 * by packet), not after the burst.
 */
static void follow_switch_in_burst(void)
{
	static struct sgw_srtp_op ops[8];
	static uint8_t bufs[8][BUF];
	struct sgw_srtp_pos pa, pb;
	struct pair *pr = &pairs[0];
	struct src *a, *b;
	struct pk p;

	directed = true;
	pair_make(0, SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	directed = false;
	if (pr->a == NULL || pr->b == NULL)
		goto out;
	a = &pr->src[0];
	b = &pr->src[1];
	a->next = 100;
	b->next = 0xffff - SGW_SRTP_FOLLOW_AFTER + 1;
	/* A is followed; B's first packets, one by one */
	for (unsigned i = 0; i < SGW_SRTP_FOLLOW_AFTER; i++) {
		struct src *s = i == 0 ? a : b;
		int la, lb;

		send_rtp(pr, s, &p);
		s->next++;
		memcpy(bufs[0], p.b, (size_t)p.len);
		la = lb = p.len;
		CHECK_EQ(sgw_srtp_unprotect(pr->a, p.b, &la), SGW_SRTP_OK);
		CHECK_EQ(sgw_srtp_unprotect(pr->b, bufs[0], &lb), SGW_SRTP_OK);
	}
	CHECK(sgw_srtp_position(pr->a, &pa) == 0 && pa.ssrc == a->ssrc);
	/* one burst: B's 64th in a row at 65535, then 0, 1, 2 (ROC 1) */
	CHECK_EQ(b->next, 0xffff);
	for (unsigned j = 0; j < 4; j++) {
		int la;

		send_rtp(pr, b, &p);
		b->next++;
		memcpy(bufs[j], p.b, (size_t)p.len);
		ops[j] = (struct sgw_srtp_op){ .ctx = pr->b, .pkt = bufs[j], .len = p.len };
		la = p.len;
		CHECK_EQ(sgw_srtp_unprotect(pr->a, p.b, &la), SGW_SRTP_OK);
	}
	sgw_srtp_unprotect_burst(lc, ops, 4);
	for (unsigned j = 0; j < 4; j++)
		CHECK_EQ(ops[j].res, SGW_SRTP_OK);
	CHECK(sgw_srtp_position(pr->a, &pa) == 0 && sgw_srtp_position(pr->b, &pb) == 0);
	CHECK_EQ(pa.ssrc, b->ssrc);
	CHECK_EQ(pa.roc, 1);
	CHECK_EQ(pa.seq, 2);
	CHECK_EQ(pb.ssrc, pa.ssrc);
	CHECK_EQ(pb.roc, pa.roc);
	CHECK_EQ(pb.seq, pa.seq);
out:
	pair_free(pr);
}

static unsigned runs;

static void ingress_differential(void)
{
	for (unsigned r = 0; r < runs && !check_case_failed; r++)
		for (unsigned s = 0; s < N_SUITES && !check_case_failed; s++)
			one_run(suites[s], 1500 + below(4000));
	printf("# %lu packets (%lu one by one, %lu in bursts without a manager), %lu accepted by both; "
	       "refused by both: auth %lu, replay %lu, other %lu, SSRCs %lu\n", packets, lone, unlocked,
	       accepted, by_res[-SGW_SRTP_ERR_AUTH], by_res[-SGW_SRTP_ERR_REPLAY],
	       by_res[-SGW_SRTP_ERR_OTHER], by_res[-SGW_SRTP_ERR_SSRCS]);
}

int main(void)
{
	const char *env = getenv("SGW_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : 0x1a6e55b025eedull;

	runs = getenv("SGW_TEST_RUNS") ? (unsigned)atoi(getenv("SGW_TEST_RUNS")) : 12;
	rng = seed * 2 + 1;
	printf("seed %llu (SGW_TEST_SEED)\n", (unsigned long long)seed);
	CHECK(sgw_srtp_global_init() == 0);
	CHECK(sgw_srtp_set_engine(SGW_SRTP_ENGINE_BURST) == 0);
	lc = sgw_srtp_lcore_create();
	CHECK(lc != NULL);
	RUN(follow_switch_in_burst);
	RUN(ingress_differential);
	sgw_srtp_lcore_free(lc);
	sgw_srtp_set_engine(SGW_SRTP_ENGINE_LIBSRTP);
	return CHECK_DONE();
}
