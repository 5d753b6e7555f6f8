/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The burst SRTP engine (dataplane/srtp_burst.h) against the libsrtp loop,
 * side by side on one core (no DPDK, no gateway): transcrypt of
 * AES_CM_128_HMAC_SHA1_80 (or --suite AEAD_AES_128_GCM) packets of one size, what a worker does for a
 * stream with one viewer: the received SRTP copied into a work buffer,
 * unprotected under the camera's key, protected under the viewer's.
 *   libsrtp  per packet: srtp_unprotect, then srtp_protect (the sessions
 *            dataplane/srtp_ctx.c makes: wildcard SSRC, window 128);
 *   burst    per burst of B packets: sgw_burst_unprotect of the B, then
 *            sgw_burst_protect of the B.
 * S streams (contexts per direction); a burst takes the next B packets of
 * the streams in turn (S = 1: all of one stream). Each round makes fresh
 * contexts (outside the timing) and sends each stream's first packet
 * (libsrtp clones its stream then; outside the timing too); the variants
 * alternate round by round and each reports its median round, so a noisy
 * neighbour hits both alike; the ratio printed is the median of the
 * rounds' ratios. Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID),
 * not wall time: on a shared machine the time descheduled is neither's.
 * Before timing, one pass checks that both produce the same bytes.
 *
 *   bench_burst [--rounds N] [--packets N] [--size BYTES] [--burst B]
 *               [--streams S[,S...]] [--suite NAME] [--json]
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

#define MAX_PKT 1600
#define MAX_STREAMS 4096
#define MAX_BURST SGW_BURST_MAX

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

struct stream {
	struct sgw_key cam, view;
	uint32_t ssrc;
};

struct set {
	unsigned n_streams, n;  /* packets in all, first ones included */
	struct stream *st;
	uint8_t *enc;           /* n packets, MAX_PKT apart, in sending order */
	int *len;
	unsigned *sidx;         /* the stream of each */
};

static void policy(srtp_policy_t *p, struct sgw_key *k, bool inbound)
{
	memset(p, 0, sizeof(*p));
	suite->set(&p->rtp);
	suite->set(&p->rtcp);
	p->ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p->key = k->material;
	p->window_size = 128;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_burst: %s\n", what);
	exit(1);
}

/* Packets are sent round robin over the streams: packet i is stream
 * i % S's (i / S)-th. The first S are the warm-up. */
static void make_set(struct set *s, unsigned n_streams)
{
	srtp_t *tx = calloc(n_streams, sizeof(*tx));

	s->n_streams = n_streams;
	s->n = n_packets + n_streams;
	s->st = calloc(n_streams, sizeof(*s->st));
	s->enc = malloc((size_t)s->n * MAX_PKT);
	s->len = malloc(s->n * sizeof(int));
	s->sidx = malloc(s->n * sizeof(unsigned));
	if (!tx || !s->st || !s->enc || !s->len || !s->sidx)
		die("out of memory");
	for (unsigned i = 0; i < n_streams; i++) {
		struct stream *st = &s->st[i];
		srtp_policy_t p;

		st->cam.suite = st->view.suite = suite->sgw_suite;
		st->cam.len = st->view.len = (uint8_t)suite->master_len;
		for (unsigned b = 0; b < suite->master_len; b++) {
			st->cam.material[b] = (uint8_t)random();
			st->view.material[b] = (uint8_t)random();
		}
		st->ssrc = (uint32_t)random();
		policy(&p, &st->cam, false);
		if (srtp_create(&tx[i], &p) != srtp_err_status_ok)
			die("srtp_create");
	}
	for (unsigned i = 0; i < s->n; i++) {
		unsigned si = i % n_streams;
		uint16_t seq = (uint16_t)(1000 + i / n_streams);
		uint8_t *b = s->enc + (size_t)i * MAX_PKT;
		uint32_t ssrc = s->st[si].ssrc;

		memset(b, 0, pkt_size);
		b[0] = 0x80, b[1] = 96, b[2] = (uint8_t)(seq >> 8), b[3] = (uint8_t)seq;
		b[8] = (uint8_t)(ssrc >> 24), b[9] = (uint8_t)(ssrc >> 16);
		b[10] = (uint8_t)(ssrc >> 8), b[11] = (uint8_t)ssrc;
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
}

static uint8_t work[MAX_BURST][MAX_PKT + 64] __attribute__((aligned(64)));

/* libsrtp: one pass; ns per packet. out (optional): the last burst's
 * results, for the check. */
static double pass_libsrtp(const struct set *s, uint8_t (*out)[MAX_PKT + 64])
{
	srtp_t *rx = calloc(s->n_streams, sizeof(*rx)), *tx = calloc(s->n_streams, sizeof(*tx));
	unsigned bad = 0;
	uint64_t t0, t1;

	if (!rx || !tx)
		die("out of memory");
	for (unsigned i = 0; i < s->n_streams; i++) {
		srtp_policy_t p;
		struct stream *st = &s->st[i];

		policy(&p, &st->cam, true);
		if (srtp_create(&rx[i], &p) != srtp_err_status_ok)
			die("srtp_create");
		policy(&p, &st->view, false);
		if (srtp_create(&tx[i], &p) != srtp_err_status_ok)
			die("srtp_create");
	}
	for (unsigned i = 0; i < s->n_streams; i++) { /* the warm-up */
		int len = s->len[i];

		memcpy(work[0], s->enc + (size_t)i * MAX_PKT, (size_t)len);
		bad += srtp_unprotect(rx[i], work[0], &len) != srtp_err_status_ok;
		bad += srtp_protect(tx[i], work[0], &len) != srtp_err_status_ok;
	}
	t0 = bench_cpu_ns();
	for (unsigned i = s->n_streams; i < s->n; i++) {
		unsigned si = s->sidx[i];
		int len = s->len[i];
		uint8_t *w = out ? out[(i - s->n_streams) % burst] : work[0];

		memcpy(w, s->enc + (size_t)i * MAX_PKT, (size_t)len);
		bad += srtp_unprotect(rx[si], w, &len) != srtp_err_status_ok;
		bad += srtp_protect(tx[si], w, &len) != srtp_err_status_ok;
	}
	t1 = bench_cpu_ns();
	for (unsigned i = 0; i < s->n_streams; i++) {
		srtp_dealloc(rx[i]);
		srtp_dealloc(tx[i]);
	}
	free(rx);
	free(tx);
	if (bad)
		die("libsrtp refused packets");
	return (double)(t1 - t0) / (s->n - s->n_streams);
}

static double pass_burst(struct sgw_burst_mgr *m, const struct set *s,
			 uint8_t (*out)[MAX_PKT + 64])
{
	struct sgw_burst_ctx **rx = calloc(s->n_streams, sizeof(*rx));
	struct sgw_burst_ctx **tx = calloc(s->n_streams, sizeof(*tx));
	struct sgw_burst_ctx *crx[MAX_BURST], *ctx_[MAX_BURST];
	uint8_t *pkt[MAX_BURST];
	int len[MAX_BURST];
	enum sgw_srtp_result res[MAX_BURST];
	unsigned bad = 0;
	uint64_t t0, t1;

	if (!rx || !tx)
		die("out of memory");
	for (unsigned i = 0; i < s->n_streams; i++) {
		rx[i] = sgw_burst_ctx_create(m, &s->st[i].cam, SGW_SRTP_INBOUND, 128);
		tx[i] = sgw_burst_ctx_create(m, &s->st[i].view, SGW_SRTP_OUTBOUND, 128);
		if (rx[i] == NULL || tx[i] == NULL)
			die("sgw_burst_ctx_create");
	}
	for (unsigned i = 0; i < s->n_streams; i++) { /* the warm-up */
		len[0] = s->len[i];
		pkt[0] = work[0];
		memcpy(work[0], s->enc + (size_t)i * MAX_PKT, (size_t)len[0]);
		sgw_burst_unprotect(m, &rx[i], pkt, len, res, 1);
		bad += res[0] != SGW_SRTP_OK;
		sgw_burst_protect(m, &tx[i], pkt, len, res, 1);
		bad += res[0] != SGW_SRTP_OK;
	}
	t0 = bench_cpu_ns();
	for (unsigned i = s->n_streams; i < s->n; i += burst) {
		unsigned k = s->n - i < burst ? s->n - i : burst;

		for (unsigned j = 0; j < k; j++) {
			unsigned si = s->sidx[i + j];

			crx[j] = rx[si];
			ctx_[j] = tx[si];
			pkt[j] = out ? out[j] : work[j];
			len[j] = s->len[i + j];
			memcpy(pkt[j], s->enc + (size_t)(i + j) * MAX_PKT, (size_t)len[j]);
		}
		sgw_burst_unprotect(m, crx, pkt, len, res, k);
		for (unsigned j = 0; j < k; j++)
			bad += res[j] != SGW_SRTP_OK;
		sgw_burst_protect(m, ctx_, pkt, len, res, k);
		for (unsigned j = 0; j < k; j++)
			bad += res[j] != SGW_SRTP_OK;
	}
	t1 = bench_cpu_ns();
	for (unsigned i = 0; i < s->n_streams; i++) {
		sgw_burst_ctx_free(rx[i]);
		sgw_burst_ctx_free(tx[i]);
	}
	free(rx);
	free(tx);
	if (bad)
		die("the engine refused packets");
	return (double)(t1 - t0) / (s->n - s->n_streams);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_burst [--rounds N] [--packets N] [--size BYTES] [--burst B]\n"
		   "                   [--streams S[,S...]] [--suite AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM]\n"
		   "                   [--json]\n");
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
	struct sgw_burst_mgr *m;
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
	if (srtp_init() != srtp_err_status_ok)
		die("srtp_init");
	m = sgw_burst_mgr_create();
	if (m == NULL)
		die("no ipsec-mb manager (no AES-NI?)");
	for (char *tok = strtok(streams_arg, ","); tok; tok = strtok(NULL, ",")) {
		unsigned n_streams = (unsigned)atoi(tok);
		static uint8_t out_l[MAX_BURST][MAX_PKT + 64], out_b[MAX_BURST][MAX_PKT + 64];
		double *tl = malloc(rounds * sizeof(double)), *tb = malloc(rounds * sizeof(double));
		double *rr = malloc(rounds * sizeof(double)), ratio;
		struct set s;
		double ml, mb;

		if (n_streams < 1 || n_streams > MAX_STREAMS || !tl || !tb || !rr)
			die("--streams: 1..4096 each");
		make_set(&s, n_streams);
		/* the check: the last packets of a pass, byte for byte */
		memset(out_l, 0, sizeof(out_l));
		memset(out_b, 0, sizeof(out_b));
		pass_libsrtp(&s, out_l);
		pass_burst(m, &s, out_b);
		if (n_packets % burst == 0 && memcmp(out_l, out_b, sizeof(out_l)) != 0)
			die("the engine and libsrtp sent different bytes");
		for (unsigned r = 0; r < rounds; r++) {
			if (r & 1) {
				tb[r] = pass_burst(m, &s, NULL);
				tl[r] = pass_libsrtp(&s, NULL);
			} else {
				tl[r] = pass_libsrtp(&s, NULL);
				tb[r] = pass_burst(m, &s, NULL);
			}
			rr[r] = tl[r] / tb[r];
		}
		ratio = bench_median(rr, rounds);
		ml = bench_median(tl, rounds);
		mb = bench_median(tb, rounds);
		if (json)
			printf("{\"suite\": \"%s\", \"size\": %u, \"streams\": %u, "
			       "\"burst\": %u, \"packets\": %u, \"rounds\": %u, \"arch\": \"%s\", "
			       "\"libsrtp_ns\": %.1f, \"burst_ns\": %.1f, \"libsrtp_mpps\": %.3f, "
			       "\"burst_mpps\": %.3f, \"ratio\": %.2f}\n",
			       suite->name, pkt_size, n_streams, burst, n_packets, rounds,
			       sgw_burst_mgr_arch(m), ml,
			       mb, 1e3 / ml, 1e3 / mb, ratio);
		else
			printf("transcrypt %s %u B, %u stream%s, burst %u (ipsec-mb %s): "
			       "libsrtp %.1f ns/pkt (%.3f Mpps), burst engine %.1f ns/pkt (%.3f Mpps), "
			       "engine/libsrtp %.2fx\n",
			       suite->name, pkt_size, n_streams, n_streams == 1 ? "" : "s", burst,
			       sgw_burst_mgr_arch(m), ml, 1e3 / ml, mb, 1e3 / mb, ratio);
		fflush(stdout);
		free(tl);
		free(tb);
		free(rr);
		free(s.st);
		free(s.enc);
		free(s.len);
		free(s.sidx);
	}
	sgw_burst_mgr_free(m);
	return 0;
}
