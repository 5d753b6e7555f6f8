/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GCM one packet at a time or as jobs (docs/crypto-engine.md, "GCM in
 * bursts"): intel-ipsec-mb alone, no libsrtp, no DPDK. RTP-like packets
 * (a 12-byte header as AAD, the rest encrypted, a 16-byte tag after it),
 * every packet of a burst under another of --keys expanded keys (rotated),
 * AES-128-GCM and AES-256-GCM, encrypted and decrypted three ways:
 *   direct  IMB_AES128/256_GCM_ENC/DEC per packet: what the burst engine
 *           does now (dataplane/srtp_burst_ctx.c, burst_gcm_enc/dec),
 *   job     the burst's packets as GCM jobs (IMB_CIPHER_GCM with
 *           IMB_AUTH_AES_GMAC): IMB_GET_NEXT_JOB and IMB_SUBMIT_JOB for each,
 *           then IMB_GET_COMPLETED_JOB / IMB_FLUSH_JOB until all are back,
 *   burst   the same jobs through the generic burst API (IMB_GET_NEXT_BURST,
 *           IMB_SUBMIT_BURST, IMB_FLUSH_BURST for any left),
 *   job_nocheck, burst_nocheck: the same with IMB_SUBMIT_JOB_NOCHECK and
 *           IMB_SUBMIT_BURST_NOCHECK (no validation of the jobs).
 * Out of place (the packet stays for the next round; GCM's cost is the same
 * in place), the tag compared with the packet's on decryption as the engine
 * does. Every pass is checked outside its timing: each way's ciphertext and
 * tag against OpenSSL's, each way's decryption against the plaintext; any
 * difference exits 1. Thread CPU time; the ways and directions are measured
 * in interleaved rounds, each reports its median round.
 *
 * It also prints where ipsec-mb returned the jobs: a job that comes back
 * from its own IMB_SUBMIT_JOB was done there and then, one packet at a time;
 * a multi-buffer algorithm (HMAC-SHA1, shown for comparison) holds jobs in
 * its lanes and returns them later or from IMB_FLUSH_JOB.
 *
 *   bench_gcm_jobs [--rounds N] [--packets N] [--keys N] [--burst N] [--json]
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <openssl/evp.h>

#include "bench/bench_util.h"

#define HDR 12 /* the RTP header: GCM's AAD */
#define TAG 16
#define IV_LEN 12

static const unsigned sizes[] = { 64, 200, 1200 }; /* RTP packet bytes before the tag */
static const unsigned key_lens[] = { 16, 32 };

enum way { W_DIRECT, W_JOB, W_JOB_NC, W_BURST, W_BURST_NC, N_WAYS };
static const char *const way_name[] = { "direct", "job", "job_nocheck", "burst", "burst_nocheck" };
enum dir { D_ENC, D_DEC, N_DIRS };
static const char *const dir_name[] = { "enc", "dec" };

struct set {
	unsigned size, stride, n, nkeys, burst;
	uint8_t *plain;      /* n packets in clear, stride apart */
	uint8_t *ref;        /* the same encrypted by OpenSSL, the tag after each */
	uint8_t *out;        /* what a pass writes */
	uint8_t (*iv)[IV_LEN];
	uint8_t (*tag)[TAG]; /* decryption: the tags computed */
};

/* Where the job ways got their jobs back (all passes): from the job's own
 * submit call, from a later submit or IMB_GET_COMPLETED_JOB, from a flush. */
static unsigned long at_own, at_later, at_flush;

static void die(const char *what)
{
	fprintf(stderr, "bench_gcm_jobs: %s\n", what);
	exit(1);
}

static void *alloc(size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, 64, n) != 0)
		die("out of memory");
	return p;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint8_t rnd8(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

/* OpenSSL's AES-GCM of one packet: the reference every way must match. */
static void ref_encrypt(const uint8_t *key, unsigned key_len, const uint8_t *iv, const uint8_t *in,
			unsigned size, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len;

	memcpy(out, in, HDR);
	if (c == NULL ||
	    EVP_EncryptInit_ex(c, key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(), NULL, key,
			       iv) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &len, in, HDR) != 1 ||
	    EVP_EncryptUpdate(c, out + HDR, &len, in + HDR, (int)(size - HDR)) != 1 ||
	    EVP_EncryptFinal_ex(c, out + size, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, out + size) != 1)
		die("OpenSSL AES-GCM failed");
	EVP_CIPHER_CTX_free(c);
}

static void make_set(struct set *st, const uint8_t *raw_keys, unsigned key_len, unsigned size,
		     unsigned n, unsigned nkeys, unsigned burst)
{
	st->size = size;
	st->stride = size + TAG;
	st->n = n;
	st->nkeys = nkeys;
	st->burst = burst;
	st->plain = alloc((size_t)n * st->stride);
	st->ref = alloc((size_t)n * st->stride);
	st->out = alloc((size_t)n * st->stride);
	st->iv = alloc((size_t)n * IV_LEN);
	st->tag = alloc((size_t)n * TAG);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = st->plain + (size_t)i * st->stride;
		uint16_t seq = (uint16_t)(1000 + i);

		p[0] = 0x80;
		p[1] = 96;
		p[2] = (uint8_t)(seq >> 8), p[3] = (uint8_t)seq;
		p[4] = p[5] = p[6] = p[7] = rnd8();
		p[8] = 0x11, p[9] = 0x22, p[10] = 0x33, p[11] = (uint8_t)(i % nkeys);
		for (unsigned b = HDR; b < size; b++)
			p[b] = rnd8();
		memset(p + size, 0, TAG);
		for (unsigned b = 0; b < IV_LEN; b++) /* RFC 7714's IV: salt XOR ssrc, roc, seq */
			st->iv[i][b] = rnd8();
		ref_encrypt(raw_keys + (size_t)(i % nkeys) * key_len, key_len, st->iv[i], p, size,
			    st->ref + (size_t)i * st->stride);
	}
}

static void free_set(struct set *st)
{
	free(st->plain);
	free(st->ref);
	free(st->out);
	free(st->iv);
	free(st->tag);
}

/* One packet through the direct API, as burst_gcm_enc/dec call it. */
static inline void direct_one(IMB_MGR *mgr, const struct gcm_key_data *k, unsigned key_len,
			      struct gcm_context_data *ctx, enum dir d, const uint8_t *in,
			      uint8_t *out, uint64_t len, const uint8_t *iv, uint8_t *tag)
{
	if (d == D_ENC) {
		if (key_len == 32)
			IMB_AES256_GCM_ENC(mgr, k, ctx, out, in, len, iv, in - HDR, HDR, tag, TAG);
		else
			IMB_AES128_GCM_ENC(mgr, k, ctx, out, in, len, iv, in - HDR, HDR, tag, TAG);
	} else {
		if (key_len == 32)
			IMB_AES256_GCM_DEC(mgr, k, ctx, out, in, len, iv, in - HDR, HDR, tag, TAG);
		else
			IMB_AES128_GCM_DEC(mgr, k, ctx, out, in, len, iv, in - HDR, HDR, tag, TAG);
	}
}

/* A GCM job for packet i (the whole packet at src, the header its AAD). */
static inline void gcm_job(IMB_JOB *j, const struct set *st, const struct gcm_key_data *k,
			   unsigned key_len, enum dir d, unsigned i, const uint8_t *src, uint8_t *dst,
			   uint8_t *tag)
{
	j->enc_keys = k;
	j->dec_keys = k;
	j->key_len_in_bytes = key_len;
	j->src = src;
	j->dst = dst + HDR;
	j->cipher_start_src_offset_in_bytes = HDR;
	j->msg_len_to_cipher_in_bytes = st->size - HDR;
	j->hash_start_src_offset_in_bytes = HDR;
	j->msg_len_to_hash_in_bytes = st->size - HDR;
	j->iv = st->iv[i];
	j->iv_len_in_bytes = IV_LEN;
	j->auth_tag_output = tag;
	j->auth_tag_output_len_in_bytes = TAG;
	j->u.GCM.aad = src;
	j->u.GCM.aad_len_in_bytes = HDR;
	j->cipher_mode = IMB_CIPHER_GCM;
	j->hash_alg = IMB_AUTH_AES_GMAC;
	j->cipher_direction = d == D_ENC ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	j->chain_order = d == D_ENC ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	j->user_data = (void *)(uintptr_t)i;
}

/* A GCM job back from ipsec-mb: 1 if it failed or (decryption) its tag
 * differs from the packet's. */
static inline unsigned job_bad(const IMB_JOB *j, const uint8_t *srcs, const struct set *st,
			       enum dir d)
{
	unsigned i = (unsigned)(uintptr_t)j->user_data;

	return j->status != IMB_STATUS_COMPLETED ||
	       (d == D_DEC &&
		memcmp(j->auth_tag_output, srcs + (size_t)i * st->stride + st->size, TAG) != 0);
}

/* One pass over the set in bursts; returns ns per packet (thread CPU). */
static double pass(IMB_MGR *mgr, const struct set *st, const struct gcm_key_data *keys,
		   unsigned key_len, enum way w, enum dir d)
{
	const uint8_t *srcs = d == D_ENC ? st->plain : st->ref;
	struct gcm_context_data ctx;
	IMB_JOB *jobs[IMB_MAX_BURST_SIZE];
	unsigned bad = 0, back = 0;
	uint64_t t0, t1;

	memset(st->out, 0, (size_t)st->n * st->stride);
	t0 = bench_cpu_ns();
	for (unsigned i0 = 0; i0 < st->n; i0 += st->burst) {
		unsigned m = st->n - i0 < st->burst ? st->n - i0 : st->burst, got;

		switch (w) {
		case W_DIRECT:
			for (unsigned i = i0; i < i0 + m; i++) {
				const uint8_t *in = srcs + (size_t)i * st->stride;
				uint8_t *out = st->out + (size_t)i * st->stride;
				uint8_t *tag = d == D_ENC ? out + st->size : st->tag[i];

				memcpy(out, in, HDR);
				direct_one(mgr, &keys[i % st->nkeys], key_len, &ctx, d, in + HDR,
					   out + HDR, st->size - HDR, st->iv[i], tag);
				bad += d == D_DEC && memcmp(tag, in + st->size, TAG) != 0;
				back++;
			}
			break;
		case W_JOB:
		case W_JOB_NC:
			for (unsigned i = i0; i < i0 + m; i++) {
				const uint8_t *in = srcs + (size_t)i * st->stride;
				uint8_t *out = st->out + (size_t)i * st->stride;
				IMB_JOB *mine = IMB_GET_NEXT_JOB(mgr), *j;

				memcpy(out, in, HDR);
				gcm_job(mine, st, &keys[i % st->nkeys], key_len, d, i, in, out,
					d == D_ENC ? out + st->size : st->tag[i]);
				j = w == W_JOB ? IMB_SUBMIT_JOB(mgr) : IMB_SUBMIT_JOB_NOCHECK(mgr);
				for (; j != NULL; j = IMB_GET_COMPLETED_JOB(mgr)) {
					if (j == mine)
						at_own++;
					else
						at_later++;
					bad += job_bad(j, srcs, st, d);
					back++;
				}
			}
			for (IMB_JOB *j; (j = IMB_FLUSH_JOB(mgr)) != NULL;) {
				at_flush++;
				bad += job_bad(j, srcs, st, d);
				back++;
			}
			break;
		case W_BURST:
		case W_BURST_NC:
			got = IMB_GET_NEXT_BURST(mgr, m, jobs);
			if (got != m)
				die("IMB_GET_NEXT_BURST gave fewer jobs than asked");
			for (unsigned b = 0; b < m; b++) {
				unsigned i = i0 + b;
				const uint8_t *in = srcs + (size_t)i * st->stride;
				uint8_t *out = st->out + (size_t)i * st->stride;

				memcpy(out, in, HDR);
				gcm_job(jobs[b], st, &keys[i % st->nkeys], key_len, d, i, in, out,
					d == D_ENC ? out + st->size : st->tag[i]);
			}
			got = w == W_BURST ? IMB_SUBMIT_BURST(mgr, m, jobs)
					   : IMB_SUBMIT_BURST_NOCHECK(mgr, m, jobs);
			if (got == 0 && imb_get_errno(mgr) != 0) {
				fprintf(stderr, "bench_gcm_jobs: IMB_SUBMIT_BURST: %s\n",
					imb_get_strerror(imb_get_errno(mgr)));
				exit(1);
			}
			at_own += got; /* the jobs of this very call */
			if (got < m) {
				unsigned f = IMB_FLUSH_BURST(mgr, m - got, jobs + got);

				at_flush += f;
				got += f;
			}
			for (unsigned b = 0; b < got; b++)
				bad += job_bad(jobs[b], srcs, st, d);
			back += got;
			break;
		default:
			break;
		}
	}
	t1 = bench_cpu_ns();

	/* the check, outside the timing */
	if (bad || back != st->n) {
		fprintf(stderr, "bench_gcm_jobs: %s %s %u B: %u of %u packets failed, %u came back\n",
			way_name[w], dir_name[d], st->size, bad, st->n, back);
		exit(1);
	}
	for (unsigned i = 0; i < st->n; i++) {
		const uint8_t *got = st->out + (size_t)i * st->stride;
		const uint8_t *want = d == D_ENC ? st->ref + (size_t)i * st->stride
						 : st->plain + (size_t)i * st->stride;

		if (memcmp(got, want, d == D_ENC ? st->stride : st->size) != 0 ||
		    (d == D_DEC && memcmp(st->tag[i], st->ref + (size_t)i * st->stride + st->size, TAG) != 0)) {
			fprintf(stderr, "bench_gcm_jobs: %s %s %u B AES-%u: packet %u differs from %s\n",
				way_name[w], dir_name[d], st->size, key_len * 8, i,
				d == D_ENC ? "OpenSSL's ciphertext and tag" : "the plaintext");
			exit(1);
		}
	}
	return (double)(t1 - t0) / st->n;
}

/* For comparison: where HMAC-SHA1 jobs (multi-buffer) come back. */
static void probe_hmac(IMB_MGR *mgr, unsigned burst)
{
	static uint8_t buf[200], ipad[20], opad[20], out[IMB_MAX_BURST_SIZE][12];
	unsigned own = 0, later = 0, fl = 0;

	for (unsigned i = 0; i < burst; i++) {
		IMB_JOB *mine = IMB_GET_NEXT_JOB(mgr), *j;

		mine->src = buf;
		mine->hash_start_src_offset_in_bytes = 0;
		mine->msg_len_to_hash_in_bytes = sizeof(buf);
		mine->auth_tag_output = out[i];
		mine->auth_tag_output_len_in_bytes = 12;
		mine->u.HMAC._hashed_auth_key_xor_ipad = ipad;
		mine->u.HMAC._hashed_auth_key_xor_opad = opad;
		mine->hash_alg = IMB_AUTH_HMAC_SHA_1;
		mine->cipher_mode = IMB_CIPHER_NULL;
		mine->cipher_direction = IMB_DIR_ENCRYPT;
		mine->chain_order = IMB_ORDER_HASH_CIPHER;
		for (j = IMB_SUBMIT_JOB(mgr); j != NULL; j = IMB_GET_COMPLETED_JOB(mgr)) {
			if (j->status != IMB_STATUS_COMPLETED)
				die("an HMAC-SHA1 job failed");
			*(j == mine ? &own : &later) += 1;
		}
	}
	while (IMB_FLUSH_JOB(mgr) != NULL)
		fl++;
	printf("# HMAC-SHA1 jobs (multi-buffer), %u of %u B: %u returned by their own IMB_SUBMIT_JOB, "
	       "%u later by another's submit, %u by IMB_FLUSH_JOB\n",
	       burst, (unsigned)sizeof(buf), own, later, fl);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_gcm_jobs [--rounds N] [--packets N] [--keys N] [--burst N] [--json]\n"
		   "  ipsec-mb AES-GCM: direct calls per packet vs GCM jobs (job and burst API)\n"
		   "  --rounds N   interleaved rounds (default 15); the median is reported\n"
		   "  --packets N  packets per round (default 4096)\n"
		   "  --keys N     expanded keys, one per packet in turn (default 1024)\n"
		   "  --burst N    packets per burst (default 32, at most %d)\n"
		   "  --json       one JSON object per line\n",
		IMB_MAX_BURST_SIZE);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' }, { "packets", required_argument, NULL, 'n' },
		{ "keys", required_argument, NULL, 'k' },   { "burst", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
		{ 0 } };
	unsigned rounds = 15, n = 4096, nkeys = 1024, burst = 32;
	int json = 0, c;
	IMB_ARCH arch = IMB_ARCH_NONE;
	IMB_MGR *mgr;
	uint8_t *raw;
	struct gcm_key_data *keys;

	while ((c = getopt_long(argc, argv, "r:n:k:b:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'n':
		case 'k':
		case 'b':
			if (!bench_count(optarg, c == 'b' ? IMB_MAX_BURST_SIZE : 1000000,
					 c == 'r' ? &rounds : c == 'n' ? &n : c == 'k' ? &nkeys : &burst)) {
				fprintf(stderr, "bench_gcm_jobs: bad -%c %s\n", c, optarg);
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

	mgr = alloc_mb_mgr(0);
	if (mgr == NULL)
		die("alloc_mb_mgr failed");
	init_mb_mgr_auto(mgr, &arch);
	if (imb_get_errno(mgr) != 0 || arch == IMB_ARCH_NONE || arch == IMB_ARCH_NOAESNI)
		die("no usable ipsec-mb manager (AES-NI?)");
	printf("# ipsec-mb %s, arch %s%s; %u packets per round in bursts of %u, %u keys, %u rounds\n",
	       imb_get_version_str(),
	       arch == IMB_ARCH_AVX512 ? "AVX512" : arch == IMB_ARCH_AVX2 ? "AVX2"
					 : arch == IMB_ARCH_AVX	? "AVX" : "SSE",
	       arch == IMB_ARCH_AVX512 &&
			       (mgr->features & IMB_CPUFLAGS_AVX512_T2) == IMB_CPUFLAGS_AVX512_T2
		       ? " type 2 (VAES, VPCLMULQDQ)" : "",
	       n, burst, nkeys, rounds);

	raw = alloc((size_t)nkeys * 32);
	keys = alloc((size_t)nkeys * sizeof(*keys));
	for (size_t i = 0; i < (size_t)nkeys * 32; i++)
		raw[i] = rnd8();

	for (unsigned ki = 0; ki < sizeof(key_lens) / sizeof(key_lens[0]); ki++) {
		unsigned key_len = key_lens[ki];

		for (unsigned i = 0; i < nkeys; i++) {
			if (key_len == 32)
				IMB_AES256_GCM_PRE(mgr, raw + (size_t)i * key_len, &keys[i]);
			else
				IMB_AES128_GCM_PRE(mgr, raw + (size_t)i * key_len, &keys[i]);
		}
		for (unsigned zi = 0; zi < sizeof(sizes) / sizeof(sizes[0]); zi++) {
			struct set st;
			double *r[N_DIRS][N_WAYS], med[N_DIRS][N_WAYS];

			make_set(&st, raw, key_len, sizes[zi], n, nkeys, burst);
			for (int d = 0; d < N_DIRS; d++)
				for (int w = 0; w < N_WAYS; w++)
					r[d][w] = calloc(rounds, sizeof(double));
			for (unsigned k = 0; k < rounds; k++)
				for (int d = 0; d < N_DIRS; d++)
					for (int x = 0; x < N_WAYS; x++) { /* each way first in turn */
						int w = (int)((k + (unsigned)x) % N_WAYS);

						r[d][w][k] = pass(mgr, &st, keys, key_len, (enum way)w,
								  (enum dir)d);
					}
			for (int d = 0; d < N_DIRS; d++)
				for (int w = 0; w < N_WAYS; w++) {
					med[d][w] = bench_median(r[d][w], rounds);
					free(r[d][w]);
				}
			for (int d = 0; d < N_DIRS; d++) {
				if (json) {
					printf("{\"bench\": \"gcm_jobs\", \"key_bits\": %u, \"size\": %u, "
					       "\"dir\": \"%s\"",
					       key_len * 8, sizes[zi], dir_name[d]);
					for (int w = 0; w < N_WAYS; w++)
						printf(", \"%s_ns\": %.1f", way_name[w], med[d][w]);
					printf("}\n");
					continue;
				}
				printf("AES-%u-GCM %4u B %s  direct %6.1f ns", key_len * 8, sizes[zi],
				       dir_name[d], med[d][W_DIRECT]);
				for (int w = 1; w < N_WAYS; w++)
					printf("  %s %6.1f (%.2fx)", way_name[w], med[d][w],
					       med[d][w] / med[d][W_DIRECT]);
				printf("\n");
			}
			fflush(stdout);
			free_set(&st);
		}
	}
	printf("# GCM jobs: %lu returned by their own IMB_SUBMIT_JOB/IMB_SUBMIT_BURST, %lu later "
	       "by another's submit, %lu by IMB_FLUSH_JOB/IMB_FLUSH_BURST\n",
	       at_own, at_later, at_flush);
	probe_hmac(mgr, burst);
	free(raw);
	free(keys);
	free_mb_mgr(mgr);
	return 0;
}
