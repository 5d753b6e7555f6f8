/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingress through the srtp_ctx API (dataplane/srtp_ctx.h), the burst
 * engine against libsrtp, on one core (no DPDK, no gateway): what a worker
 * does with the cameras' packets of an RX burst, sgw_srtp_unprotect_burst()
 * of the B packets of a burst on inbound contexts made with
 *   libsrtp  sgw_srtp_set_engine(SGW_SRTP_ENGINE_LIBSRTP): packet by packet
 *            in libsrtp;
 *   burst    sgw_srtp_set_engine(SGW_SRTP_ENGINE_BURST): the known SSRCs'
 *            packets through the engine together (srtp_ingress_burst.c),
 * with the slots, LRU clock and position bookkeeping of srtp_ctx.c on both.
 * S streams (one inbound context each, its own key and SSRC); a burst
 * takes the next B packets of the streams in turn. Each packet is copied
 * into the burst's buffer first (as bench_burst does; the same for both).
 * Each round makes fresh contexts and sends each stream's first packet
 * (a new SSRC; outside the timing); the variants alternate round by round
 * and each reports its median round; the ratio printed is the median of
 * the rounds' ratios. Times are the thread's CPU time. Before timing, one
 * pass checks that both give the same plaintext.
 *
 *   bench_ingress [--rounds N] [--packets N] [--size BYTES] [--burst B]
 *                 [--streams S[,S...]] [--suite NAME] [--json]
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "api/suite.h"
#include "bench/bench_util.h"
#include "dataplane/srtp_burst.h"
#include "dataplane/srtp_ctx.h"

#define MAX_PKT 1600
#define MAX_STREAMS 4096
#define MAX_BURST 256

static unsigned rounds = 15, n_packets = 32000, pkt_size = 200, burst = 32;

struct suite {
	const char *name;
	uint8_t sgw_suite;
	unsigned master_len;
	void (*set)(srtp_crypto_policy_t *p);
};

static const struct suite suites[] = {
	{ "AES_CM_128_HMAC_SHA1_80", SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 30,
	  srtp_crypto_policy_set_rtp_default },
	{ "AEAD_AES_128_GCM", SGW_SUITE_AEAD_AES_128_GCM, 28,
	  srtp_crypto_policy_set_aes_gcm_128_16_auth },
};
static const struct suite *suite = &suites[0];

struct set {
	unsigned n_streams, n;  /* packets in all, first ones included */
	struct sgw_key *key;
	uint8_t *enc;           /* n packets, MAX_PKT apart, in sending order */
	int *len;
	unsigned *sidx;         /* the stream of each */
};

static void die(const char *what)
{
	fprintf(stderr, "bench_ingress: %s\n", what);
	exit(1);
}

/* Packet i is stream i % S's (i / S)-th; the first S are the warm-up. */
static void make_set(struct set *s, unsigned n_streams)
{
	srtp_t *tx = calloc(n_streams, sizeof(*tx));
	uint32_t *ssrc = calloc(n_streams, sizeof(*ssrc));

	s->n_streams = n_streams;
	s->n = n_packets + n_streams;
	s->key = calloc(n_streams, sizeof(*s->key));
	s->enc = malloc((size_t)s->n * MAX_PKT);
	s->len = malloc(s->n * sizeof(int));
	s->sidx = malloc(s->n * sizeof(unsigned));
	if (!tx || !ssrc || !s->key || !s->enc || !s->len || !s->sidx)
		die("out of memory");
	for (unsigned i = 0; i < n_streams; i++) {
		struct sgw_key *k = &s->key[i];
		srtp_policy_t p;

		k->suite = suite->sgw_suite;
		k->len = (uint8_t)suite->master_len;
		for (unsigned b = 0; b < suite->master_len; b++)
			k->material[b] = (uint8_t)random();
		ssrc[i] = (uint32_t)random();
		memset(&p, 0, sizeof(p));
		suite->set(&p.rtp);
		suite->set(&p.rtcp);
		p.ssrc.type = ssrc_any_outbound;
		p.key = k->material;
		p.window_size = 128;
		if (srtp_create(&tx[i], &p) != srtp_err_status_ok)
			die("srtp_create");
	}
	for (unsigned i = 0; i < s->n; i++) {
		unsigned si = i % n_streams;
		uint16_t seq = (uint16_t)(1000 + i / n_streams);
		uint8_t *b = s->enc + (size_t)i * MAX_PKT;

		memset(b, 0, pkt_size);
		b[0] = 0x80, b[1] = 96, b[2] = (uint8_t)(seq >> 8), b[3] = (uint8_t)seq;
		b[8] = (uint8_t)(ssrc[si] >> 24), b[9] = (uint8_t)(ssrc[si] >> 16);
		b[10] = (uint8_t)(ssrc[si] >> 8), b[11] = (uint8_t)ssrc[si];
		for (unsigned j = 12; j < pkt_size; j++)
			b[j] = (uint8_t)(j * 7 + i);
		s->len[i] = (int)pkt_size;
		s->sidx[i] = si;
		if (srtp_protect(tx[si], b, &s->len[i]) != srtp_err_status_ok)
			die("protect");
	}
	for (unsigned i = 0; i < n_streams; i++)
		srtp_dealloc(tx[i]);
	free(tx);
	free(ssrc);
}

static uint8_t work[MAX_BURST][MAX_PKT] __attribute__((aligned(64)));

/* One pass on engine e; ns per packet. out (optional): the last burst's
 * plaintext, for the check. */
static double pass(enum sgw_srtp_engine e, const struct set *s, uint8_t (*out)[MAX_PKT])
{
	struct sgw_srtp **rx = calloc(s->n_streams, sizeof(*rx));
	struct sgw_srtp_op ops[MAX_BURST];
	struct sgw_srtp_lcore *lc;
	unsigned bad = 0;
	uint64_t t0, t1;

	if (rx == NULL || sgw_srtp_set_engine(e) != 0)
		die("no engine");
	lc = sgw_srtp_lcore_create();
	if (lc == NULL)
		die("sgw_srtp_lcore_create");
	for (unsigned i = 0; i < s->n_streams; i++) {
		rx[i] = sgw_srtp_create(&s->key[i], SGW_SRTP_INBOUND, 0);
		if (rx[i] == NULL || sgw_srtp_is_burst(rx[i]) != (e == SGW_SRTP_ENGINE_BURST))
			die("sgw_srtp_create");
	}
	for (unsigned i = 0; i < s->n_streams; i++) { /* the warm-up: new SSRCs */
		ops[0] = (struct sgw_srtp_op){ .ctx = rx[i], .pkt = work[0], .len = s->len[i] };
		memcpy(work[0], s->enc + (size_t)i * MAX_PKT, (size_t)s->len[i]);
		sgw_srtp_unprotect_burst(lc, ops, 1);
		bad += ops[0].res != SGW_SRTP_OK;
	}
	t0 = bench_cpu_ns();
	for (unsigned i = s->n_streams; i < s->n; i += burst) {
		unsigned k = s->n - i < burst ? s->n - i : burst;

		for (unsigned j = 0; j < k; j++) {
			uint8_t *w = out ? out[j] : work[j];

			memcpy(w, s->enc + (size_t)(i + j) * MAX_PKT, (size_t)s->len[i + j]);
			ops[j] = (struct sgw_srtp_op){ .ctx = rx[s->sidx[i + j]], .pkt = w,
						       .len = s->len[i + j] };
		}
		sgw_srtp_unprotect_burst(lc, ops, k);
		for (unsigned j = 0; j < k; j++)
			bad += ops[j].res != SGW_SRTP_OK;
	}
	t1 = bench_cpu_ns();
	for (unsigned i = 0; i < s->n_streams; i++)
		sgw_srtp_free(rx[i]);
	free(rx);
	sgw_srtp_lcore_free(lc);
	if (bad)
		die("packets refused");
	return (double)(t1 - t0) / (s->n - s->n_streams);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_ingress [--rounds N] [--packets N] [--size BYTES] [--burst B]\n"
		   "                     [--streams S[,S...]] [--suite AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM]\n"
		   "                     [--json]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "packets", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "burst", required_argument, NULL, 'b' },
		{ "streams", required_argument, NULL, 'S' },
		{ "suite", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char streams_arg[256] = "1,100";
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rounds = (unsigned)atoi(optarg); break;
		case 'n': n_packets = (unsigned)atoi(optarg); break;
		case 's': pkt_size = (unsigned)atoi(optarg); break;
		case 'b': burst = (unsigned)atoi(optarg); break;
		case 'S': snprintf(streams_arg, sizeof(streams_arg), "%s", optarg); break;
		case 'u':
			suite = NULL;
			for (unsigned i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
				if (strcmp(optarg, suites[i].name) == 0)
					suite = &suites[i];
			if (suite == NULL) {
				usage(stderr);
				return 2;
			}
			break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (rounds < 1 || n_packets < 1 || pkt_size < 12 || pkt_size > 1400 || burst < 1 ||
	    burst > MAX_BURST) {
		usage(stderr);
		return 2;
	}
	srandom(12345);
	if (sgw_srtp_global_init() != 0)
		die("sgw_srtp_global_init");
	if (sgw_srtp_set_engine(SGW_SRTP_ENGINE_BURST) != 0)
		die("no burst engine (no AES-NI?)");
	for (char *tok = strtok(streams_arg, ","); tok; tok = strtok(NULL, ",")) {
		unsigned n_streams = (unsigned)atoi(tok);
		static uint8_t out_l[MAX_BURST][MAX_PKT], out_b[MAX_BURST][MAX_PKT];
		double *tl = malloc(rounds * sizeof(double)), *tb = malloc(rounds * sizeof(double));
		double *rr = malloc(rounds * sizeof(double)), ratio;
		struct set s;
		double ml, mb;

		if (n_streams < 1 || n_streams > MAX_STREAMS || !tl || !tb || !rr)
			die("--streams: 1..4096 each");
		make_set(&s, n_streams);
		memset(out_l, 0, sizeof(out_l));
		memset(out_b, 0, sizeof(out_b));
		pass(SGW_SRTP_ENGINE_LIBSRTP, &s, out_l);
		pass(SGW_SRTP_ENGINE_BURST, &s, out_b);
		for (unsigned j = 0; j < MAX_BURST; j++) /* the plaintext (beyond: tags) */
			if (memcmp(out_l[j], out_b[j], pkt_size) != 0)
				die("the engine and libsrtp decrypted differently");
		for (unsigned r = 0; r < rounds; r++) {
			if (r & 1) {
				tb[r] = pass(SGW_SRTP_ENGINE_BURST, &s, NULL);
				tl[r] = pass(SGW_SRTP_ENGINE_LIBSRTP, &s, NULL);
			} else {
				tl[r] = pass(SGW_SRTP_ENGINE_LIBSRTP, &s, NULL);
				tb[r] = pass(SGW_SRTP_ENGINE_BURST, &s, NULL);
			}
			rr[r] = tl[r] / tb[r];
		}
		ratio = bench_median(rr, rounds);
		ml = bench_median(tl, rounds);
		mb = bench_median(tb, rounds);
		if (json)
			printf("{\"suite\": \"%s\", \"size\": %u, \"streams\": %u, \"burst\": %u, "
			       "\"packets\": %u, \"rounds\": %u, \"libsrtp_ns\": %.1f, \"burst_ns\": %.1f, "
			       "\"libsrtp_mpps\": %.3f, \"burst_mpps\": %.3f, \"ratio\": %.2f}\n",
			       suite->name, pkt_size, n_streams, burst, n_packets, rounds, ml, mb,
			       1e3 / ml, 1e3 / mb, ratio);
		else
			printf("ingress (sgw_srtp_unprotect_burst) %s %u B, %u stream%s, burst %u: "
			       "libsrtp %.1f ns/pkt (%.3f Mpps), burst engine %.1f ns/pkt (%.3f Mpps), "
			       "engine/libsrtp %.2fx\n",
			       suite->name, pkt_size, n_streams, n_streams == 1 ? "" : "s", burst, ml,
			       1e3 / ml, mb, 1e3 / mb, ratio);
		fflush(stdout);
		free(tl);
		free(tb);
		free(rr);
		free(s.key);
		free(s.enc);
		free(s.len);
		free(s.sidx);
	}
	sgw_srtp_set_engine(SGW_SRTP_ENGINE_LIBSRTP);
	return 0;
}
