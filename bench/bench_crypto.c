/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The crypto limit (scripts/bench, figure 1): raw libsrtp (on OpenSSL) on
 * one core, no DPDK, no gateway. Per suite and packet size it times
 *   U   srtp_unprotect of a camera's packet (ssrc_any_inbound, window 128),
 *   P   srtp_protect of a plain packet for a viewer (ssrc_any_outbound),
 *   UP  both in place, one after the other: what the gateway does per
 *       packet for a stream with one viewer (plus the copy of the received
 *       ciphertext into the work buffer, which both U and UP pay),
 *   W   UP through the gateway's wrapper (dataplane/srtp_ctx.c), which also
 *       follows and publishes each context's position: W/UP is its cost,
 *   L   W with the viewer's context on a lane (dataplane/srtp_egress.c:
 *       SSRC and sequence rewritten, the index counted and checked against
 *       the reservation, libsrtp told the ROC; at ROC 1): L/W is the cost
 *       of invariant 8's bookkeeping,
 * with the same policies the gateway's dataplane/srtp_ctx.c uses. The
 * variants are measured in interleaved rounds and each reports its median
 * round, so a noisy neighbour hits them alike and their ratios hold.
 *
 *   bench_crypto [--rounds N] [--packets N] [--suite NAME] [--size N] [--json]
 * Prints one line per suite and size (JSON objects with --json); --suite
 * and --size keep one of each (scripts/bench's short runs beside a
 * gateway run need one row).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#include "bench/bench_util.h"
#include "dataplane/srtp_ctx.h"

#define MAX_PKT 1500
#define HDR 12

struct suite {
	const char *name;
	void (*set)(srtp_crypto_policy_t *p);
	unsigned master_len;
	uint8_t sgw_suite;
};

static const struct suite suites[] = {
	{ "AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default, 30,
	  SGW_SUITE_AES_CM_128_HMAC_SHA1_80 },
	{ "AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth, 28, SGW_SUITE_AEAD_AES_128_GCM },
};
static const unsigned sizes[] = { 200, 1200 }; /* RTP packet bytes before SRTP */

static srtp_t session(const struct suite *s, const uint8_t *key, srtp_ssrc_type_t type)
{
	srtp_policy_t p;
	srtp_t ctx;

	memset(&p, 0, sizeof(p));
	s->set(&p.rtp);
	s->set(&p.rtcp);
	p.ssrc.type = type;
	p.key = (unsigned char *)key;
	p.window_size = 128;
	p.allow_repeat_tx = type == ssrc_any_outbound;
	if (srtp_create(&ctx, &p) != srtp_err_status_ok) {
		fprintf(stderr, "bench_crypto: srtp_create failed for %s\n", s->name);
		exit(1);
	}
	return ctx;
}

static void rtp_packet(uint8_t *b, unsigned size, uint16_t seq)
{
	memset(b, 0, size);
	b[0] = 0x80;
	b[1] = 96;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(seq >> 2); /* timestamp: anything */
	b[8] = 0x11, b[9] = 0x22, b[10] = 0x33, b[11] = 0x44;
	for (unsigned i = HDR; i < size; i++)
		b[i] = (uint8_t)(i * 7 + seq);
}

struct set {
	uint8_t *enc;   /* n packets of the camera, protected, MAX_PKT apart */
	int *enc_len;
	uint8_t *plain; /* the same packets in clear */
	unsigned n, size;
};

static void make_set(struct set *st, const struct suite *s, const uint8_t *cam_key,
		     unsigned size, unsigned n)
{
	srtp_t tx = session(s, cam_key, ssrc_any_outbound);

	st->n = n;
	st->size = size;
	st->enc = malloc((size_t)n * MAX_PKT);
	st->plain = malloc((size_t)n * MAX_PKT);
	st->enc_len = malloc(n * sizeof(int));
	if (!st->enc || !st->plain || !st->enc_len) {
		fprintf(stderr, "bench_crypto: out of memory\n");
		exit(1);
	}
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = st->plain + (size_t)i * MAX_PKT, *e = st->enc + (size_t)i * MAX_PKT;
		int len = (int)size;

		rtp_packet(p, size, (uint16_t)(1000 + i));
		memcpy(e, p, size);
		if (srtp_protect(tx, e, &len) != srtp_err_status_ok) {
			fprintf(stderr, "bench_crypto: protect failed\n");
			exit(1);
		}
		st->enc_len[i] = len;
	}
	srtp_dealloc(tx);
}

enum variant { V_U, V_P, V_UP, V_W, V_L, N_VARIANTS };
static const char *const variant_name[] = { "unprotect", "protect", "unprotect+protect", "wrapper",
					     "lanes" };

/* V_W: the same as V_UP through dataplane/srtp_ctx.c; V_L with the
 * viewer's context on a lane. */
static double pass_wrapper(const struct set *st, const struct suite *s, const uint8_t *cam_key,
			   const uint8_t *view_key, bool lanes)
{
	struct sgw_key ck = { .suite = s->sgw_suite, .len = (uint8_t)s->master_len };
	struct sgw_key vk = ck;
	struct sgw_srtp *rx, *tx;
	static uint8_t work[MAX_PKT + 64];
	uint64_t t0, t1;
	unsigned bad = 0;

	memcpy(ck.material, cam_key, s->master_len);
	memcpy(vk.material, view_key, s->master_len);
	rx = sgw_srtp_create(&ck, SGW_SRTP_INBOUND, 128);
	if (lanes) {
		struct sgw_srtp_lane l = { .ssrc = 0x5eed, .next = 1ull << 16, .limit = SGW_SRTP_INDEX_MAX,
					   .rtcp_next = 1, .rtcp_limit = 1 };
		tx = sgw_srtp_create_lanes(&vk, 128, &l, 1);
	} else {
		tx = sgw_srtp_create(&vk, SGW_SRTP_OUTBOUND, 128);
	}
	if (rx == NULL || tx == NULL) {
		fprintf(stderr, "bench_crypto: sgw_srtp_create failed for %s\n", s->name);
		exit(1);
	}
	t0 = bench_now_ns();
	for (unsigned i = 0; i < st->n; i++) {
		int len = st->enc_len[i];

		memcpy(work, st->enc + (size_t)i * MAX_PKT, (size_t)len);
		bad += sgw_srtp_unprotect(rx, work, &len) != SGW_SRTP_OK;
		bad += sgw_srtp_protect(tx, work, &len) != SGW_SRTP_OK;
	}
	t1 = bench_now_ns();
	sgw_srtp_free(rx);
	sgw_srtp_free(tx);
	if (bad) {
		fprintf(stderr, "bench_crypto: %u packets failed in the wrapper (%s)\n", bad, s->name);
		exit(1);
	}
	return (double)(t1 - t0) / st->n;
}

/* One pass over the set; returns ns per packet. A fresh receiving session
 * per pass: the set's sequence numbers are then new to it. */
static double pass(const struct set *st, const struct suite *s, enum variant v,
		   const uint8_t *cam_key, const uint8_t *view_key)
{
	srtp_t rx, tx;
	static uint8_t work[MAX_PKT + 64];
	uint64_t t0, t1;
	unsigned bad = 0;

	if (v == V_W || v == V_L)
		return pass_wrapper(st, s, cam_key, view_key, v == V_L);
	rx = session(s, cam_key, ssrc_any_inbound);
	tx = session(s, view_key, ssrc_any_outbound);

	/* first packet outside the timing: it clones the stream template */
	t0 = bench_now_ns();
	for (unsigned i = 0; i < st->n; i++) {
		int len;

		if (v == V_P) {
			len = (int)st->size;
			memcpy(work, st->plain + (size_t)i * MAX_PKT, st->size);
			bad += srtp_protect(tx, work, &len) != srtp_err_status_ok;
			continue;
		}
		len = st->enc_len[i];
		memcpy(work, st->enc + (size_t)i * MAX_PKT, (size_t)len);
		bad += srtp_unprotect(rx, work, &len) != srtp_err_status_ok;
		if (v == V_UP)
			bad += srtp_protect(tx, work, &len) != srtp_err_status_ok;
	}
	t1 = bench_now_ns();
	srtp_dealloc(rx);
	srtp_dealloc(tx);
	if (bad) {
		fprintf(stderr, "bench_crypto: %u packets failed (%s)\n", bad, s->name);
		exit(1);
	}
	return (double)(t1 - t0) / st->n;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_crypto [--rounds N] [--packets N] [--suite NAME] [--size N] [--json]\n"
		   "  raw libsrtp unprotect/protect per packet on one core (scripts/bench, figure 1),\n"
		   "  and both through srtpgw's wrapper (dataplane/srtp_ctx.c)\n"
		   "  --rounds N   interleaved rounds per case (default 15); the median is reported\n"
		   "  --packets N  packets per round (default 8192)\n"
		   "  --suite NAME only this suite (AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM)\n"
		   "  --size N     only this packet size (200, 1200)\n"
		   "  --json       one JSON object per line\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' }, { "packets", required_argument, NULL, 'n' },
		{ "suite", required_argument, NULL, 's' }, { "size", required_argument, NULL, 'z' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }, { 0 } };
	unsigned rounds = 15, n = 8192, only_size = 0;
	const char *only_suite = NULL;
	bool matched = false;
	int json = 0, c;
	uint8_t cam_key[32], view_key[32];

	while ((c = getopt_long(argc, argv, "r:n:s:z:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'n':
			if (!bench_count(optarg, 1000000, c == 'r' ? &rounds : &n)) {
				fprintf(stderr, "bench_crypto: bad --%s %s\n", c == 'r' ? "rounds" : "packets", optarg);
				return 2;
			}
			break;
		case 's': only_suite = optarg; break;
		case 'z':
			if (!bench_count(optarg, 65535, &only_size)) {
				fprintf(stderr, "bench_crypto: bad --size %s\n", optarg);
				return 2;
			}
			break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (sgw_srtp_global_init() != 0) { /* srtp_init(), once, for both */
		fprintf(stderr, "bench_crypto: srtp_init failed\n");
		return 1;
	}
	for (unsigned i = 0; i < sizeof(cam_key); i++)
		cam_key[i] = (uint8_t)(i * 13 + 1), view_key[i] = (uint8_t)(i * 29 + 7);

	for (unsigned si = 0; si < sizeof(suites) / sizeof(suites[0]); si++) {
		for (unsigned zi = 0; zi < sizeof(sizes) / sizeof(sizes[0]); zi++) {
			const struct suite *s = &suites[si];
			struct set st;
			double *r[N_VARIANTS], med[N_VARIANTS];

			if ((only_suite != NULL && strcmp(only_suite, s->name) != 0) ||
			    (only_size != 0 && only_size != sizes[zi]))
				continue;
			matched = true;
			make_set(&st, s, cam_key, sizes[zi], n);
			for (int v = 0; v < N_VARIANTS; v++)
				r[v] = calloc(rounds, sizeof(double));
			for (unsigned k = 0; k < rounds; k++)
				for (int v = 0; v < N_VARIANTS; v++)
					r[v][k] = pass(&st, s, (enum variant)v, cam_key, view_key);
			for (int v = 0; v < N_VARIANTS; v++) {
				med[v] = bench_median(r[v], rounds);
				free(r[v]);
			}
			if (json)
				printf("{\"bench\": \"crypto\", \"suite\": \"%s\", \"size\": %u, "
				       "\"unprotect_ns\": %.1f, \"protect_ns\": %.1f, \"roundtrip_ns\": %.1f, "
				       "\"wrapper_roundtrip_ns\": %.1f, \"lanes_roundtrip_ns\": %.1f}\n",
				       s->name, sizes[zi], med[V_U], med[V_P], med[V_UP], med[V_W], med[V_L]);
			else
				printf("%-24s %4u B  %s %7.1f ns  %s %7.1f ns  %s %7.1f ns  (%.2f Mpps one core)"
				       "  %s %7.1f ns (%.3fx)  %s %7.1f ns (%.3fx of wrapper)\n",
				       s->name, sizes[zi], variant_name[V_U], med[V_U], variant_name[V_P],
				       med[V_P], variant_name[V_UP], med[V_UP], 1e3 / med[V_UP],
				       variant_name[V_W], med[V_W], med[V_W] / med[V_UP], variant_name[V_L],
				       med[V_L], med[V_L] / med[V_W]);
			fflush(stdout);
			free(st.enc);
			free(st.plain);
			free(st.enc_len);
		}
	}
	srtp_shutdown();
	if (!matched) {
		fprintf(stderr, "bench_crypto: no case matches --suite and --size (suites: "
			"AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM; sizes: 200, 1200)\n");
		return 2;
	}
	return 0;
}
