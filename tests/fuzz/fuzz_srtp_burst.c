/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_srtp_burst: the burst SRTP engine (dataplane/srtp_burst.h) against
 * libsrtp, differential. libsrtp is configured as dataplane/srtp_ctx.c
 * configures it (and as tests/unit/test_srtp_burst.c does): a wildcard
 * SSRC template, allow_repeat_tx off, SRTCP's tag 80 bits under AES-CM.
 * Every packet goes through the engine (in bursts, several contexts
 * interleaved) and through libsrtp (one by one, in the same order), and
 * any difference aborts.
 *
 * Input: a set-up, then ops.
 *   byte 0  bits 0-1: 1..3 context pairs; bit 2: one key (and suite) for
 *           all pairs; bits 3-6: the replay window of every context (128,
 *           64, 96, 100, 160, 256, 1000, 1024, 0, 65, 127, 129, 192, 320,
 *           4097, 0x7fff packets)
 *   u32     seed of the bytes the harness makes up (payloads, timestamps)
 *   per pair: u8 suite (AES_CM_128_HMAC_SHA1_80, _32, AEAD_AES_128_GCM,
 *           AEAD_AES_256_GCM), u8 key seed, u32 SSRC, u16 first sequence
 *           number. A pair is a sender (engine context and libsrtp session,
 *           outbound) and a receiver (the same, inbound), with one key.
 *   ops, each: u8 op: bits 0-1 the kind (protect RTP, unprotect RTP,
 *           protect RTCP, unprotect RTCP); bit 2 clear: 1 + (op >> 3)
 *           packets, set: 1 + u8 packets; then u8 split: the engine is
 *           called on that many packets at a time (0: all at once; the
 *           engine takes 64 at a time); then one byte or more per packet.
 *
 * Protect RTP, per packet (after one op byte: the payload size):
 *   bits 0-1 the pair; bits 2-4 its sequence number: the next (0-3), a
 *   gap of 1 + u8, a jump of u16 (across ROC wraps), a step back of
 *   1 + u8 (the sender's next ones are repeats, which libsrtp refuses),
 *   or (7) u8 x: another SSRC (x & 3 == 0), a packet shorter than a
 *   header (1), the sequence number u16 (2), the last one again (3);
 *   bits 5-6: CSRCs and/or a header extension (u8: count, words); bit 7:
 *   the payload size u16 % 1301.
 * Protect RTCP, per packet: bits 0-1 the pair; bits 2-5 8 + 4 * n bytes
 *   (15: 8 + u16 % 1400); bit 6: u8 % 12 bytes instead; bit 7 another SSRC.
 * Packets both sides protected (byte for byte the same) are kept, per pair
 * and per kind, the last 256, as what the pair's receiver may be given.
 * Unprotect, per packet: bits 0-1 the pair whose packet it is; bits 2-4:
 *   the next one in order (0), the next 1 + u8 in order (1: a run, as
 *   many packets, never mutated), a replay (2: u8 back), one ahead of
 *   order, not consumed (3: u8), skip 1 + u8 then the next (4), the newest
 *   sent (5), RTP: one made at any ROC and sequence number (6: u8 x,
 *   u16 seq, u8 payload; ROC the receiver's - 1, + 0, + 1, + 2, or with
 *   x & 8 an u32; x & 4 another SSRC) / RTCP: one from an
 *   authentication-only sender (6: u8 size; no E flag: GCM accepts it as
 *   libsrtp 2.5 does), raw bytes (7: u8 length, the bytes); bit 5:
 *   mutations follow (below); bit 6: given to the next pair's receiver
 *   instead (another key, another SSRC), and for raw bytes: version 2 and
 *   the receiver's SSRC written in.
 * Mutations, u8 m each (m & 0x80: another follows; 4 at most): m & 7 =
 *   0 a bit flipped (u16 position), 1 a byte xored (u16 position, u8),
 *   2 truncated (u16 length), 3 1 + ((m >> 3) & 15) bytes appended, 4 RTP:
 *   the sequence number set (u16), RTCP: the E flag flipped, 5 the SSRC
 *   changed, 6 a byte of the last 16 (the tag) xored (u8), 7 RTP: byte 0
 *   set (u8: version, padding, extension, CSRC count), RTCP: the index
 *   set (u32).
 *
 * Checked for every packet: the engine's result is libsrtp's (mapped as
 * srtp_ctx.c maps it); protected packets have the same length and bytes;
 * unprotected packets accepted by both have the same length and bytes; a
 * packet the engine refuses keeps its length, and its bytes (within the
 * length; protect: within the old length). The one documented difference:
 * a context follows one SSRC (the first it accepts or sends), and packets
 * of another get SGW_SRTP_ERR_SSRCS whatever libsrtp does with them
 * (libsrtp makes a stream per SSRC); the harness follows each engine
 * context's SSRC and checks that SSRCS comes exactly for packets of
 * another SSRC than the bound one and that nothing of another SSRC is
 * accepted. After every op, each engine context's position (ROC) is
 * libsrtp's for that SSRC. Engine packets lie in heap blocks of exactly
 * their size (unprotect) or their size and SGW_SRTP_MAX_TRAILER (protect):
 * ASan sees the engine's own code read or write past them.
 *
 * Keys are made from the input's key seeds and never printed.
 */
#include <srtp2/srtp.h>

#include "api/suite.h"
#include "dataplane/srtp_burst.h"
#include "dataplane/srtp_ctx_priv.h" /* libsrtp's statuses as the gateway maps them; rd32, wr32 */
#include "fuzz_common.h"

#define NPAIR 3
#define HIST 256     /* packets kept per pair and kind */
#define MAXN 256     /* packets per op */
#define BUF 1600
#define MAX_PKTS 4096 /* packets per input */
#define MAX_OPS 256

static const unsigned suites[4] = {
	SGW_SUITE_AES_CM_128_HMAC_SHA1_80, SGW_SUITE_AES_CM_128_HMAC_SHA1_32,
	SGW_SUITE_AEAD_AES_128_GCM, SGW_SUITE_AEAD_AES_256_GCM,
};
/* 0 is the default (128) for both; libsrtp and the engine round up to 32 */
static const unsigned windows[16] = { 128, 64, 96, 100, 160, 256, 1000, 1024,
				      0,   65, 127, 129, 192, 320, 4097, 0x7fff };

/* the SSRC an engine context follows, as the harness sees it */
struct bind {
	bool bound;
	uint32_t ssrc;
};

struct pair {
	unsigned suite;
	struct sgw_key key;
	uint32_t ssrc;              /* its sender's packets' */
	uint16_t seq;               /* its sender's next sequence number */
	struct sgw_burst_ctx *eo, *ei;
	srtp_t so, si, sauth;       /* libsrtp: sender, receiver, auth-only SRTCP sender */
	struct bind bo, bi;
	uint64_t sent[2], next[2];  /* [0] RTP, [1] RTCP: kept so far, receiver's cursor */
};

struct kept {
	int len;
	uint8_t b[BUF];
};

struct item {
	unsigned pair; /* whose context takes it */
	int len;
	uint8_t b[BUF] __attribute__((aligned(16)));
};

static struct {
	struct pair p[NPAIR];
	unsigned npairs, window, pkts, op;
	uint64_t rng;
} r;

static struct kept hist[NPAIR][2][HIST];
static struct item items[MAXN];
static uint8_t lbuf[MAXN][BUF] __attribute__((aligned(16)));
static uint8_t *ebuf[MAXN];
static struct sgw_burst_mgr *mgr;
static bool verbose;

static struct {
	uint64_t inputs, ops[4], pkts[4], ok[4], refused[4], by_res[6], ssrcs, ssrcs_lib_ok,
		forged, raw, mutated, auth_only, max_roc, suite[4];
} st;

static void fz_summary(void)
{
	fprintf(stderr,
		"fuzz_srtp_burst: %llu inputs (suites %llu/%llu/%llu/%llu); ops protect %llu, "
		"unprotect %llu, protect_rtcp %llu, unprotect_rtcp %llu; packets %llu/%llu/%llu/%llu, "
		"accepted by both %llu/%llu/%llu/%llu, refused by both %llu/%llu/%llu/%llu "
		"(auth %llu, replay %llu, other %llu); other SSRC %llu (libsrtp accepted %llu); "
		"made at a ROC %llu, raw %llu, mutated %llu, auth-only SRTCP %llu; highest ROC %llu\n",
		(unsigned long long)st.inputs, (unsigned long long)st.suite[0],
		(unsigned long long)st.suite[1], (unsigned long long)st.suite[2],
		(unsigned long long)st.suite[3], (unsigned long long)st.ops[0],
		(unsigned long long)st.ops[1], (unsigned long long)st.ops[2],
		(unsigned long long)st.ops[3], (unsigned long long)st.pkts[0],
		(unsigned long long)st.pkts[1], (unsigned long long)st.pkts[2],
		(unsigned long long)st.pkts[3], (unsigned long long)st.ok[0],
		(unsigned long long)st.ok[1], (unsigned long long)st.ok[2],
		(unsigned long long)st.ok[3], (unsigned long long)st.refused[0],
		(unsigned long long)st.refused[1], (unsigned long long)st.refused[2],
		(unsigned long long)st.refused[3], (unsigned long long)st.by_res[1],
		(unsigned long long)st.by_res[2], (unsigned long long)st.by_res[3],
		(unsigned long long)st.ssrcs, (unsigned long long)st.ssrcs_lib_ok,
		(unsigned long long)st.forged, (unsigned long long)st.raw,
		(unsigned long long)st.mutated, (unsigned long long)st.auth_only,
		(unsigned long long)st.max_roc);
}

static uint64_t rnd(void)
{
	/* xorshift64*, seeded from the input */
	r.rng ^= r.rng >> 12;
	r.rng ^= r.rng << 25;
	r.rng ^= r.rng >> 27;
	return r.rng * 0x2545F4914F6CDD1Dull;
}

static void fill(uint8_t *p, unsigned n)
{
	while (n > 0) {
		uint64_t x = rnd();
		unsigned k = n < 8 ? n : 8;

		memcpy(p, &x, k);
		p += k;
		n -= k;
	}
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static bool is_gcm(unsigned suite)
{
	return suite == SGW_SUITE_AEAD_AES_128_GCM || suite == SGW_SUITE_AEAD_AES_256_GCM;
}

/* libsrtp as dataplane/srtp_ctx.c sets it up. */
static void policy_for(srtp_policy_t *p, const struct pair *pr, bool inbound)
{
	memset(p, 0, sizeof(*p));
	switch (pr->suite) {
	case SGW_SUITE_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case SGW_SUITE_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		break;
	case SGW_SUITE_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		break;
	default:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	}
	p->ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	/* libsrtp copies the key; the policy does not outlive the pair */
	p->key = (unsigned char *)pr->key.material;
	p->window_size = r.window;
	p->allow_repeat_tx = 0;
}

static void init_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	FZ_CHECK(srtp_init() == srtp_err_status_ok, "srtp_init");
	mgr = sgw_burst_mgr_create();
	FZ_CHECK(mgr != NULL, "no ipsec-mb manager (a CPU without AES-NI?)");
	verbose = getenv("SGW_FUZZ_VERBOSE") != NULL;
#ifdef SGW_LIBFUZZER
	/* (the replay program's main prints it anyway) */
	if (getenv("SGW_FUZZ_STATS") != NULL)
		atexit(fz_summary);
#endif
}

static void pair_make(struct pair *p, unsigned suite, uint8_t key_seed, unsigned idx)
{
	srtp_policy_t pol;
	uint64_t x = 0x9e3779b97f4a7c15ull * (key_seed + 1u) + idx;

	memset(p, 0, sizeof(*p));
	p->suite = suite;
	p->key.suite = (uint8_t)suite;
	p->key.len = (uint8_t)sgw_suite_master_len(suite);
	for (unsigned i = 0; i < p->key.len; i++) {
		/* splitmix64's mixer: a key per seed, no two bytes alike */
		uint64_t z = (x += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		p->key.material[i] = (uint8_t)(z ^ (z >> 31));
	}
	p->eo = sgw_burst_ctx_create(mgr, &p->key, SGW_SRTP_OUTBOUND, r.window);
	p->ei = sgw_burst_ctx_create(mgr, &p->key, SGW_SRTP_INBOUND, r.window);
	FZ_CHECK(p->eo != NULL && p->ei != NULL, "sgw_burst_ctx_create (window %u)", r.window);
	policy_for(&pol, p, false);
	FZ_CHECK(srtp_create(&p->so, &pol) == srtp_err_status_ok, "srtp_create out");
	policy_for(&pol, p, true);
	FZ_CHECK(srtp_create(&p->si, &pol) == srtp_err_status_ok, "srtp_create in");
}

static void pair_free(struct pair *p)
{
	sgw_burst_ctx_free(p->eo);
	sgw_burst_ctx_free(p->ei);
	srtp_dealloc(p->so);
	srtp_dealloc(p->si);
	if (p->sauth != NULL)
		srtp_dealloc(p->sauth);
	memset(&p->key, 0, sizeof(p->key));
}

/* ---- packets ------------------------------------------------------------ */

/* A plain RTP packet: cc CSRCs, an extension of ext words (none if < 0). */
static int make_rtp(uint8_t *b, uint32_t ssrc, uint16_t seq, unsigned cc, int ext, unsigned payload)
{
	unsigned h = 12 + 4 * cc;

	fill(b, 12);
	b[0] = (uint8_t)(0x80 | cc | (ext >= 0 ? 0x10 : 0));
	wr16(b + 2, seq);
	wr32(b + 8, ssrc);
	fill(b + 12, 4 * cc);
	if (ext >= 0) {
		b[h] = 0xbe, b[h + 1] = 0xde;
		wr16(b + h + 2, (uint16_t)ext);
		h += 4;
		fill(b + h, 4 * (unsigned)ext);
		h += 4 * (unsigned)ext;
	}
	fill(b + h, payload);
	return (int)(h + payload);
}

/* A plain RTCP packet of len (>= 8) bytes: a header, then made-up words. */
static int make_rtcp(uint8_t *b, uint32_t ssrc, int len)
{
	fill(b, (unsigned)len);
	b[0] = (uint8_t)(0x80 | (b[0] & 0x1f));
	b[1] = (uint8_t)(200 + b[1] % 5);
	wr16(b + 2, (uint16_t)((len + 3) / 4 - 1));
	wr32(b + 4, ssrc);
	return len;
}

/* The SSRC a packet of the pair is sent with (its receiver's, once bound:
 * another pair's may have bound it). */
static uint32_t target_ssrc(const struct pair *p)
{
	return p->bi.bound ? p->bi.ssrc : p->ssrc;
}

static uint32_t foreign_ssrc(uint32_t ssrc, unsigned x)
{
	return ssrc ^ (0x01000000u << (x & 7)) ^ x;
}

/* An RTP packet of pair p at (roc, seq), protected by a libsrtp sender of
 * its own that starts there (srtp_set_stream_roc). */
static int forge_rtp(struct pair *p, uint8_t *b, uint32_t ssrc, uint32_t roc, uint16_t seq,
		     unsigned payload)
{
	srtp_policy_t pol;
	srtp_t s;
	int len;
	srtp_err_status_t e;

	policy_for(&pol, p, false);
	pol.ssrc.type = ssrc_specific;
	pol.ssrc.value = ssrc;
	pol.allow_repeat_tx = 1;
	FZ_CHECK(srtp_create(&s, &pol) == srtp_err_status_ok, "srtp_create forger");
	if (roc != 0)
		FZ_CHECK(srtp_set_stream_roc(s, ssrc, roc) == srtp_err_status_ok, "set_stream_roc");
	len = make_rtp(b, ssrc, seq, 0, -1, payload);
	e = srtp_protect(s, b, &len);
	FZ_CHECK(e == srtp_err_status_ok, "forger's srtp_protect: %d", e);
	srtp_dealloc(s);
	st.forged++;
	return len;
}

/* An SRTCP packet without the E flag, from the pair's authentication-only
 * sender (its own index: 1, 2, ...). */
static int auth_only_rtcp(struct pair *p, uint8_t *b, int len)
{
	srtp_err_status_t e;

	if (p->sauth == NULL) {
		srtp_policy_t pol;

		policy_for(&pol, p, false);
		pol.rtcp.sec_serv = sec_serv_auth;
		FZ_CHECK(srtp_create(&p->sauth, &pol) == srtp_err_status_ok, "srtp_create auth");
	}
	make_rtcp(b, target_ssrc(p), len);
	e = srtp_protect_rtcp(p->sauth, b, &len);
	FZ_CHECK(e == srtp_err_status_ok, "auth-only srtp_protect_rtcp: %d", e);
	st.auth_only++;
	return len;
}

/* ---- the comparison ----------------------------------------------------- */

static const char *const kind_name[4] = { "protect", "unprotect", "protect_rtcp",
					  "unprotect_rtcp" };

static void keep(struct pair *p, bool rtcp, const uint8_t *b, int len)
{
	struct kept *k = &hist[p - r.p][rtcp][p->sent[rtcp] % HIST];

	k->len = len;
	memcpy(k->b, b, (size_t)len);
	p->sent[rtcp]++;
}

/*
 * items[0..n) through the engine (calls of split packets; 0: all at once)
 * and libsrtp (one by one); kind 0..3 as kind_name. Aborts on any
 * difference.
 */
static void diff(unsigned kind, unsigned n, unsigned split)
{
	struct sgw_burst_ctx *ctx[MAXN];
	int len[MAXN];
	enum sgw_srtp_result res[MAXN];
	bool protect = (kind & 1) == 0, rtcp = kind >= 2;
	unsigned ssrc_at = rtcp ? 4 : 8;

	if (n == 0)
		return;
	st.ops[kind]++;
	for (unsigned i = 0; i < n; i++) {
		struct pair *p = &r.p[items[i].pair];
		size_t room = (size_t)items[i].len + (protect ? SGW_SRTP_MAX_TRAILER : 0);

		/* exactly the packet (and the trailer's room): ASan sees the
		 * engine go past it */
		ebuf[i] = malloc(room > 0 ? room : 1);
		FZ_CHECK(ebuf[i] != NULL, "malloc");
		memcpy(ebuf[i], items[i].b, (size_t)items[i].len);
		memcpy(lbuf[i], items[i].b, (size_t)items[i].len);
		ctx[i] = protect ? p->eo : p->ei;
		len[i] = items[i].len;
		res[i] = (enum sgw_srtp_result)1; /* none */
	}
	if (split == 0)
		split = n;
	for (unsigned off = 0; off < n; off += split) {
		unsigned k = n - off < split ? n - off : split;

		switch (kind) {
		case 0:
			sgw_burst_protect(mgr, ctx + off, ebuf + off, len + off, res + off, k);
			break;
		case 1:
			sgw_burst_unprotect(mgr, ctx + off, ebuf + off, len + off, res + off, k);
			break;
		case 2:
			sgw_burst_protect_rtcp(mgr, ctx + off, ebuf + off, len + off, res + off, k);
			break;
		default:
			sgw_burst_unprotect_rtcp(mgr, ctx + off, ebuf + off, len + off, res + off, k);
			break;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct pair *p = &r.p[items[i].pair];
		srtp_t s = protect ? p->so : p->si;
		struct bind *b = protect ? &p->bo : &p->bi;
		int l = items[i].len;
		srtp_err_status_t ls;
		enum sgw_srtp_result lr;
		uint32_t ssrc = 0;
		bool other = false;

		switch (kind) {
		case 0:
			ls = srtp_protect(s, lbuf[i], &l);
			break;
		case 1:
			ls = srtp_unprotect(s, lbuf[i], &l);
			break;
		case 2:
			ls = srtp_protect_rtcp(s, lbuf[i], &l);
			break;
		default:
			ls = srtp_unprotect_rtcp(s, lbuf[i], &l);
			break;
		}
		lr = srtp_ctx_map_status(ls);
		st.pkts[kind]++;
		if (items[i].len >= (int)ssrc_at + 4) {
			ssrc = rd32(items[i].b + ssrc_at);
			other = b->bound && ssrc != b->ssrc;
		}
		if (verbose)
			fprintf(stderr, "  %s %u: pair %u, %d bytes, ssrc %08x: engine %d (%d bytes), "
				"libsrtp %d (%d bytes)\n", kind_name[kind], i, items[i].pair,
				items[i].len, ssrc, res[i], len[i], lr, l);
		FZ_CHECK(res[i] <= 0 && res[i] >= SGW_SRTP_ERR_SSRCS && res[i] != SGW_SRTP_ERR_RESERVE,
			 "op %u %s packet %u: engine result %d", r.op, kind_name[kind], i, res[i]);
		if (res[i] != SGW_SRTP_OK) {
			/* refused: the engine left it as it was */
			FZ_CHECK(len[i] == items[i].len, "op %u %s packet %u: refused (%d), length %d -> %d",
				 r.op, kind_name[kind], i, res[i], items[i].len, len[i]);
			FZ_CHECK(memcmp(ebuf[i], items[i].b, (size_t)items[i].len) == 0,
				 "op %u %s packet %u (pair %u, %d bytes): refused (%d) but changed",
				 r.op, kind_name[kind], i, items[i].pair, items[i].len, res[i]);
		}
		if (res[i] == SGW_SRTP_ERR_SSRCS) {
			/* the one difference allowed: another SSRC than the
			 * context's; libsrtp may make a stream for it */
			FZ_CHECK(other, "op %u %s packet %u (pair %u): SSRCS for ssrc %08x, context %s %08x",
				 r.op, kind_name[kind], i, items[i].pair, ssrc,
				 b->bound ? "bound to" : "unbound", b->ssrc);
			st.ssrcs++;
			if (lr == SGW_SRTP_OK)
				st.ssrcs_lib_ok++;
			free(ebuf[i]);
			continue;
		}
		if (res[i] != lr) {
			fprintf(stderr, "op %u %s packet %u of %u (pair %u, %d bytes, split %u): "
				"engine %d, libsrtp %d (status %d)\n", r.op, kind_name[kind], i, n,
				items[i].pair, items[i].len, split, res[i], lr, ls);
			abort();
		}
		if (res[i] == SGW_SRTP_OK) {
			FZ_CHECK(!other, "op %u %s packet %u: accepted ssrc %08x, context bound to %08x",
				 r.op, kind_name[kind], i, ssrc, b->ssrc);
			FZ_CHECK(len[i] == l, "op %u %s packet %u (pair %u): length engine %d, libsrtp %d",
				 r.op, kind_name[kind], i, items[i].pair, len[i], l);
			FZ_CHECK(memcmp(ebuf[i], lbuf[i], (size_t)l) == 0,
				 "op %u %s packet %u (pair %u, %d bytes): bytes differ", r.op,
				 kind_name[kind], i, items[i].pair, l);
			b->bound = true;
			b->ssrc = ssrc;
			st.ok[kind]++;
			if (protect)
				keep(p, rtcp, ebuf[i], l);
		} else {
			st.refused[kind]++;
			st.by_res[-res[i] < 6 ? -res[i] : 0]++;
		}
		free(ebuf[i]);
	}
}

/* Each engine context's ROC is libsrtp's for the SSRC it follows. */
static void check_positions(void)
{
	for (unsigned i = 0; i < r.npairs; i++) {
		struct pair *p = &r.p[i];

		for (unsigned d = 0; d < 2; d++) {
			struct sgw_srtp_pos pos;
			struct bind *b = d ? &p->bi : &p->bo;
			uint32_t roc;

			if (sgw_burst_position(d ? p->ei : p->eo, &pos) != 0)
				continue;
			FZ_CHECK(b->bound && pos.ssrc == b->ssrc, "op %u pair %u %s: position ssrc %08x",
				 r.op, i, d ? "in" : "out", pos.ssrc);
			FZ_CHECK(srtp_get_stream_roc(d ? p->si : p->so, pos.ssrc, &roc) ==
					 srtp_err_status_ok && roc == pos.roc,
				 "op %u pair %u %s: engine ROC %u, libsrtp %u", r.op, i,
				 d ? "in" : "out", pos.roc, roc);
			if (pos.roc > st.max_roc)
				st.max_roc = pos.roc;
		}
	}
}

/* ---- ops ---------------------------------------------------------------- */

static void op_protect_rtp(struct fz *f, unsigned n, unsigned split)
{
	unsigned plen = fz_u8(f);

	for (unsigned i = 0; i < n; i++) {
		uint8_t s = fz_u8(f);
		unsigned pi = (s & 3) % r.npairs, cc = 0, payload = plen;
		struct pair *p = &r.p[pi];
		uint32_t ssrc = p->ssrc;
		int ext = -1;
		bool shorter = false;
		uint8_t x;

		switch ((s >> 2) & 7) {
		case 4:
			p->seq = (uint16_t)(p->seq + 1 + fz_u8(f));
			break;
		case 5:
			p->seq = (uint16_t)(p->seq + fz_u16(f));
			break;
		case 6:
			p->seq = (uint16_t)(p->seq - 1 - fz_u8(f));
			break;
		case 7:
			x = fz_u8(f);
			switch (x & 3) {
			case 0:
				ssrc = foreign_ssrc(ssrc, x >> 2);
				break;
			case 1:
				shorter = true;
				break;
			case 2:
				p->seq = fz_u16(f);
				break;
			default:
				p->seq--;
				break;
			}
			break;
		default:
			break;
		}
		if ((s >> 5) & 3) {
			uint8_t h = fz_u8(f);

			if (s & 0x20)
				cc = h & 15;
			if (s & 0x40)
				ext = h >> 4;
		}
		if (s & 0x80)
			payload = fz_u16(f) % 1301;
		items[i].pair = pi;
		items[i].len = make_rtp(items[i].b, ssrc, p->seq++, cc, ext, payload);
		if (shorter)
			items[i].len %= 12;
	}
	diff(0, n, split);
}

static void op_protect_rtcp(struct fz *f, unsigned n, unsigned split)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t s = fz_u8(f);
		unsigned pi = (s & 3) % r.npairs, words = (s >> 2) & 15;
		struct pair *p = &r.p[pi];
		int len = words == 15 ? 8 + fz_u16(f) % 1400 : 8 + 4 * (int)words;
		uint32_t ssrc = p->ssrc;

		if (s & 0x40)
			len = fz_u8(f) % 12;
		if (s & 0x80)
			ssrc = foreign_ssrc(ssrc, s >> 2);
		items[i].pair = pi;
		if (len >= 8)
			items[i].len = make_rtcp(items[i].b, ssrc, len);
		else
			fill(items[i].b, (unsigned)(items[i].len = len));
	}
	diff(2, n, split);
}

static void mutate(struct fz *f, struct item *it, bool rtcp)
{
	for (unsigned k = 0; k < 4; k++) {
		uint8_t m = fz_u8(f);
		unsigned arg = (m >> 3) & 15;
		int len = it->len;

		st.mutated++;
		switch (m & 7) {
		case 0:
			if (len > 0)
				it->b[fz_u16(f) % (unsigned)len] ^= (uint8_t)(1u << (arg & 7));
			break;
		case 1:
			if (len > 0) {
				unsigned at = fz_u16(f) % (unsigned)len;

				it->b[at] ^= (uint8_t)(fz_u8(f) | 1);
			}
			break;
		case 2:
			if (len > 0)
				it->len = fz_u16(f) % (unsigned)len;
			break;
		case 3:
			if (len + 16 <= BUF - SGW_SRTP_MAX_TRAILER) {
				fill(it->b + len, 1 + arg);
				it->len += 1 + (int)arg;
			}
			break;
		case 4:
			if (!rtcp && len >= 4) {
				wr16(it->b + 2, fz_u16(f));
			} else if (rtcp) {
				int at = len - (is_gcm(r.p[it->pair].suite) ? 4 : 14);

				if (at >= 0)
					it->b[at] ^= 0x80;
			}
			break;
		case 5:
			if (len >= (rtcp ? 8 : 12)) {
				unsigned at = rtcp ? 4 : 8;
				uint32_t s = arg < 8 ? r.p[arg % r.npairs].ssrc
						     : rd32(it->b + at) ^ (1u << (arg * 4 % 32));

				wr32(it->b + at, s);
			}
			break;
		case 6:
			if (len > 0)
				it->b[len - 1 - (int)(arg % (len < 16 ? (unsigned)len : 16))] ^=
					(uint8_t)(fz_u8(f) | 1);
			break;
		default:
			if (!rtcp && len > 0) {
				it->b[0] = fz_u8(f);
			} else if (rtcp) {
				int at = len - (is_gcm(r.p[it->pair].suite) ? 4 : 14);
				uint32_t v = fz_u32(f);

				if (at >= 0)
					wr32(it->b + at, (rd32(it->b + at) & 0x80000000u) | (v & 0x7fffffffu));
			}
			break;
		}
		if (!(m & 0x80))
			break;
	}
}

/* Packets for the receivers: it[0..room) get up to room of them; how
 * many (none if the pair has sent nothing yet). */
static unsigned pick(struct fz *f, struct item *it, unsigned room, bool rtcp)
{
	uint8_t s = fz_u8(f);
	unsigned pi = (s & 3) % r.npairs, kind = (s >> 2) & 7;
	struct pair *p = &r.p[pi];
	unsigned rx = s & 0x40 ? (pi + 1) % r.npairs : pi;
	uint64_t sent = p->sent[rtcp], oldest = sent > HIST ? sent - HIST : 0, at;
	uint64_t *next = &p->next[rtcp];
	const struct kept *k;

	if (*next < oldest)
		*next = oldest;
	it->pair = rx;
	switch (kind) {
	case 1: { /* a run of 1 + u8 in order */
		unsigned want = 1u + fz_u8(f), c = 0;

		while (c < want && c < room && *next < sent) {
			k = &hist[pi][rtcp][(*next)++ % HIST];
			it[c].pair = rx;
			it[c].len = k->len;
			memcpy(it[c].b, k->b, (size_t)k->len);
			c++;
		}
		return c;
	}
	case 2: /* a replay */
		at = *next - 1 - fz_u8(f);
		if (*next == 0 || at >= *next || at < oldest)
			at = oldest;
		break;
	case 3: /* ahead of order, not consumed */
		at = *next + fz_u8(f);
		break;
	case 4: /* some skipped (they may come late) */
		*next += 1 + fz_u8(f);
		if (*next > sent)
			*next = sent;
		at = (*next)++;
		break;
	case 5: /* the newest */
		at = sent - 1;
		break;
	case 6:
		if (rtcp) {
			it->len = auth_only_rtcp(&r.p[rx], it->b, 8 + 4 * (fz_u8(f) & 15));
		} else {
			uint8_t x = fz_u8(f);
			struct pair *q = &r.p[rx];
			uint32_t ssrc = x & 4 ? foreign_ssrc(target_ssrc(q), x >> 4) : target_ssrc(q);
			uint32_t roc = 0;
			uint16_t seq = fz_u16(f);
			unsigned payload = fz_u8(f);

			if (srtp_get_stream_roc(q->si, ssrc, &roc) != srtp_err_status_ok &&
			    srtp_get_stream_roc(q->so, ssrc, &roc) != srtp_err_status_ok)
				roc = 0;
			if (x & 8)
				roc = fz_u32(f);
			else if ((x & 3) == 0)
				roc = roc > 0 ? roc - 1 : 0;
			else
				roc += (x & 3) - 1u;
			it->len = forge_rtp(q, it->b, ssrc, roc, seq, payload);
		}
		goto mutations;
	case 7: /* raw bytes */
		it->len = fz_u8(f);
		fz_bytes(f, it->b, (size_t)it->len);
		st.raw++;
		if (s & 0x40) {
			unsigned ssrc_at = rtcp ? 4 : 8;

			if (it->len > 0)
				it->b[0] = (uint8_t)(0x80 | (it->b[0] & 0x3f));
			if (it->len >= (int)ssrc_at + 4)
				wr32(it->b + ssrc_at, target_ssrc(&r.p[rx]));
		}
		goto mutations;
	default: /* the next in order */
		at = *next < sent ? (*next)++ : sent - 1;
		break;
	}
	if (sent == 0)
		return 0;
	if (at >= sent)
		at = sent - 1;
	if (at < oldest)
		at = oldest;
	k = &hist[pi][rtcp][at % HIST];
	it->len = k->len;
	memcpy(it->b, k->b, (size_t)k->len);
mutations:
	if (s & 0x20)
		mutate(f, it, rtcp);
	return 1;
}

static void op_unprotect(struct fz *f, unsigned n, unsigned split, bool rtcp)
{
	unsigned m = 0;

	/* n packets (a run is many), n picks at most */
	for (unsigned i = 0; i < n && m < n; i++)
		m += pick(f, &items[m], n - m, rtcp);
	diff(rtcp ? 3 : 1, m, split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags;

	if (size > 8192) /* keeps an input's packets bounded */
		return 0;
	init_once();
	st.inputs++;
	memset(&r, 0, sizeof(r));
	flags = fz_u8(&f);
	r.npairs = 1 + (flags & 3) % NPAIR;
	r.window = windows[(flags >> 3) & 15];
	r.rng = fz_u32(&f) | 0x100000000ull;
	for (unsigned i = 0; i < r.npairs; i++) {
		unsigned suite = suites[fz_u8(&f) & 3];
		uint8_t key_seed = fz_u8(&f);
		struct pair *p = &r.p[i];

		if ((flags & 4) && i > 0) {
			suite = r.p[0].suite;
			key_seed = 0;
		}
		pair_make(p, suite, (flags & 4) ? 0 : key_seed, (flags & 4) ? 0 : i);
		p->ssrc = fz_u32(&f);
		p->seq = fz_u16(&f);
		for (unsigned j = 0; j < 4; j++)
			if (suites[j] == suite)
				st.suite[j]++;
	}
	if (verbose)
		fprintf(stderr, "input: %u pairs, window %u\n", r.npairs, r.window);
	while (!fz_empty(&f) && r.op < MAX_OPS && r.pkts < MAX_PKTS) {
		uint8_t op = fz_u8(&f);
		unsigned n = op & 4 ? 1u + fz_u8(&f) : 1u + (op >> 3);
		unsigned split = fz_u8(&f);

		r.op++;
		r.pkts += n;
		if (verbose)
			fprintf(stderr, "op %u: %s, %u packets, split %u\n", r.op, kind_name[op & 3], n,
				split);
		switch (op & 3) {
		case 0:
			op_protect_rtp(&f, n, split);
			break;
		case 1:
			op_unprotect(&f, n, split, false);
			break;
		case 2:
			op_protect_rtcp(&f, n, split);
			break;
		default:
			op_unprotect(&f, n, split, true);
			break;
		}
		check_positions();
	}
	for (unsigned i = 0; i < r.npairs; i++)
		pair_free(&r.p[i]);
	return 0;
}

#ifdef SGW_LIBFUZZER
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	init_once();
	return 0;
}
#endif
