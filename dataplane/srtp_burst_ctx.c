/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The burst engine's managers and contexts: ipsec-mb set up per lcore,
 * session keys derived (RFC 3711 4.3.1, AES-CM PRF) and expanded once per
 * context. Nothing here runs per packet but burst_run_hash/cipher.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api/suite.h"
#include "dataplane/srtp_burst_priv.h"

#define KDF_LABEL_RTP_ENC 0
#define KDF_LABEL_RTP_AUTH 1
#define KDF_LABEL_RTP_SALT 2
#define KDF_LABEL_RTCP_ENC 3
#define KDF_LABEL_RTCP_AUTH 4
#define KDF_LABEL_RTCP_SALT 5
#define SESSION_AUTH_LEN 20 /* HMAC-SHA1 session key, RFC 3711 4.3.2 */
#define SESSION_SALT_LEN 14

struct sgw_burst_mgr *
sgw_burst_mgr_create(void)
{
	struct sgw_burst_mgr *m;
	IMB_ARCH arch = IMB_ARCH_NONE;

	if (posix_memalign((void **)&m, 64, sizeof(*m)) != 0)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->imb = alloc_mb_mgr(0);
	if (m->imb == NULL) {
		free(m);
		return NULL;
	}
	init_mb_mgr_auto(m->imb, &arch);
	switch (arch) {
	case IMB_ARCH_SSE: m->arch = "SSE"; break;
	case IMB_ARCH_AVX: m->arch = "AVX"; break;
	case IMB_ARCH_AVX2: m->arch = "AVX2"; break;
	case IMB_ARCH_AVX512: m->arch = "AVX512"; break;
	default:
		/* no AES-NI (IMB_ARCH_NOAESNI) or nothing usable */
		free_mb_mgr(m->imb);
		free(m);
		return NULL;
	}
	if (imb_get_errno(m->imb) != 0) {
		free_mb_mgr(m->imb);
		free(m);
		return NULL;
	}
	return m;
}

void
sgw_burst_mgr_free(struct sgw_burst_mgr *m)
{
	if (m == NULL)
		return;
	free_mb_mgr(m->imb);
	/* the scratch held tags and packet bytes, never keys */
	free(m);
}

const char *
sgw_burst_mgr_arch(const struct sgw_burst_mgr *m)
{
	return m->arch;
}

int
burst_run_hash(struct sgw_burst_mgr *m, IMB_JOB *jobs, unsigned nj)
{
	if (nj == 0)
		return 0;
	if (IMB_SUBMIT_HASH_BURST(m->imb, jobs, nj, IMB_AUTH_HMAC_SHA_1) != nj)
		return -1;
	for (unsigned j = 0; j < nj; j++)
		if (jobs[j].status != IMB_STATUS_COMPLETED)
			return -1;
	return 0;
}

int
burst_run_cipher(struct sgw_burst_mgr *m, IMB_JOB *jobs, unsigned nj, IMB_CIPHER_DIRECTION dir)
{
	if (nj == 0)
		return 0;
	if (IMB_SUBMIT_CIPHER_BURST(m->imb, jobs, nj, IMB_CIPHER_CNTR, dir,
				    IMB_KEY_128_BYTES) != nj)
		return -1;
	for (unsigned j = 0; j < nj; j++)
		if (jobs[j].status != IMB_STATUS_COMPLETED)
			return -1;
	return 0;
}

/* The AES-CM PRF with a 16- or 32-byte master key (libsrtp derives
 * AES-256 suites' keys with AES-256). */
static int
kdf(const uint8_t *master_key, unsigned key_len, const uint8_t master_salt[14], uint8_t label,
    uint8_t *out, unsigned out_len)
{
	EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
	uint8_t x[16], ks[16];
	int rc = -1, n;

	if (e == NULL)
		return -1;
	/* x = (label << 48 XOR master salt) * 2^16: key_derivation_rate 0,
	 * so r = 0 (RFC 3711 4.3.1); the counter in the low 16 bits */
	memcpy(x, master_salt, 14);
	x[7] ^= label;
	x[14] = x[15] = 0;
	if (EVP_EncryptInit_ex(e, key_len == 32 ? EVP_aes_256_ecb() : EVP_aes_128_ecb(), NULL,
			       master_key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(e, 0) != 1)
		goto out;
	for (unsigned off = 0, blk = 0; off < out_len; off += 16, blk++) {
		x[14] = (uint8_t)(blk >> 8);
		x[15] = (uint8_t)blk;
		if (EVP_EncryptUpdate(e, ks, &n, x, 16) != 1 || n != 16)
			goto out;
		memcpy(out + off, ks, out_len - off < 16 ? out_len - off : 16);
	}
	rc = 0;
out:
	OPENSSL_cleanse(ks, sizeof(ks));
	OPENSSL_cleanse(x, sizeof(x));
	EVP_CIPHER_CTX_free(e);
	return rc;
}

int
sgw_burst_kdf(const uint8_t master_key[16], const uint8_t master_salt[14], uint8_t label,
	      uint8_t *out, unsigned out_len)
{
	return kdf(master_key, 16, master_salt, label, out, out_len);
}

/* One half's GCM keys (labels enc, salt: label0, label0 + 2). */
static int
derive_gcm_half(struct sgw_burst_mgr *m, struct gcm_key_data *k, uint8_t salt[12],
		const uint8_t *mkey, unsigned key_len, const uint8_t *msalt, uint8_t label0)
{
	uint8_t enc[32];
	int rc = -1;

	if (kdf(mkey, key_len, msalt, label0, enc, key_len) != 0 ||
	    kdf(mkey, key_len, msalt, (uint8_t)(label0 + 2), salt, 12) != 0)
		goto out;
	if (key_len == 32)
		IMB_AES256_GCM_PRE(m->imb, enc, k);
	else
		IMB_AES128_GCM_PRE(m->imb, enc, k);
	rc = 0;
out:
	OPENSSL_cleanse(enc, sizeof(enc));
	return rc;
}

void
burst_gcm_enc(struct sgw_burst_mgr *m, const struct sgw_burst_ctx *c, const struct gcm_key_data *k,
	      uint8_t *p, uint64_t len, const uint8_t *iv, const uint8_t *aad, uint64_t aad_len,
	      uint8_t *tag)
{
	if (c->suite == SGW_SUITE_AEAD_AES_256_GCM)
		IMB_AES256_GCM_ENC(m->imb, k, &m->gcm_ctx, p, p, len, iv, aad, aad_len, tag,
				   BURST_GCM_TAG);
	else
		IMB_AES128_GCM_ENC(m->imb, k, &m->gcm_ctx, p, p, len, iv, aad, aad_len, tag,
				   BURST_GCM_TAG);
}

void
burst_gcm_dec(struct sgw_burst_mgr *m, const struct sgw_burst_ctx *c, const struct gcm_key_data *k,
	      uint8_t *p, uint64_t len, const uint8_t *iv, const uint8_t *aad, uint64_t aad_len,
	      uint8_t *tag)
{
	if (c->suite == SGW_SUITE_AEAD_AES_256_GCM)
		IMB_AES256_GCM_DEC(m->imb, k, &m->gcm_ctx, p, p, len, iv, aad, aad_len, tag,
				   BURST_GCM_TAG);
	else
		IMB_AES128_GCM_DEC(m->imb, k, &m->gcm_ctx, p, p, len, iv, aad, aad_len, tag,
				   BURST_GCM_TAG);
}

/* One half's keys from the master key and salt (labels enc, auth, salt). */
static int
derive_half(struct sgw_burst_mgr *m, struct burst_keys *k, const uint8_t *mkey,
	    const uint8_t *msalt, uint8_t label0)
{
	uint8_t enc[16], auth[SESSION_AUTH_LEN], block[64];
	uint8_t dec_unused[16 * 11] __attribute__((aligned(16)));
	int rc = -1;

	if (sgw_burst_kdf(mkey, msalt, label0, enc, sizeof(enc)) != 0 ||
	    sgw_burst_kdf(mkey, msalt, (uint8_t)(label0 + 1), auth, sizeof(auth)) != 0 ||
	    sgw_burst_kdf(mkey, msalt, (uint8_t)(label0 + 2), k->salt, SESSION_SALT_LEN) != 0)
		goto out;
	k->salt[14] = k->salt[15] = 0;
	IMB_AES_KEYEXP_128(m->imb, enc, k->aes_enc, dec_unused);
	/* HMAC (RFC 2104): the SHA-1 states after one block of K ^ ipad and
	 * of K ^ opad, so a packet's HMAC costs its own blocks only */
	memset(block, 0x36, sizeof(block));
	for (unsigned i = 0; i < sizeof(auth); i++)
		block[i] ^= auth[i];
	IMB_SHA1_ONE_BLOCK(m->imb, block, k->ipad);
	memset(block, 0x5c, sizeof(block));
	for (unsigned i = 0; i < sizeof(auth); i++)
		block[i] ^= auth[i];
	IMB_SHA1_ONE_BLOCK(m->imb, block, k->opad);
	rc = 0;
out:
	OPENSSL_cleanse(enc, sizeof(enc));
	OPENSSL_cleanse(auth, sizeof(auth));
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(dec_unused, sizeof(dec_unused));
	return rc;
}

struct sgw_burst_ctx *
sgw_burst_ctx_create(struct sgw_burst_mgr *m, const struct sgw_key *key, enum sgw_srtp_dir dir,
		     unsigned replay_window)
{
	struct sgw_burst_ctx *c;
	unsigned bits, words;
	size_t size;
	uint8_t tag_len;
	unsigned key_len = 16, salt_len = 14;
	size_t gcm_off = 0;

	if (m == NULL || key == NULL || (dir != SGW_SRTP_INBOUND && dir != SGW_SRTP_OUTBOUND))
		return NULL;
	switch (key->suite) {
	case SGW_SUITE_AES_CM_128_HMAC_SHA1_80:
		tag_len = 10;
		break;
	case SGW_SUITE_AES_CM_128_HMAC_SHA1_32:
		tag_len = 4;
		break;
	case SGW_SUITE_AEAD_AES_128_GCM:
		tag_len = BURST_GCM_TAG;
		salt_len = 12;
		break;
	case SGW_SUITE_AEAD_AES_256_GCM:
		tag_len = BURST_GCM_TAG;
		key_len = 32;
		salt_len = 12;
		break;
	default:
		return NULL;
	}
	if (key->len != key_len + salt_len)
		return NULL;
	if (replay_window == 0)
		replay_window = 128;
	if (replay_window < 64 || replay_window > SGW_BURST_WINDOW_MAX)
		return NULL;
	bits = (replay_window + 31) & ~31u; /* as libsrtp's bitvector_alloc */
	for (words = 1; words * 64 < bits; words *= 2) /* the ring: a power of two */
		;
	size = sizeof(*c) + (size_t)words * 8;
	size = (size + 63) & ~(size_t)63;
	if (salt_len == 12) {
		gcm_off = size;
		size += sizeof(struct burst_gcm);
		size = (size + 63) & ~(size_t)63;
	}
	if (posix_memalign((void **)&c, 64, size) != 0)
		return NULL;
	memset(c, 0, size);
	c->size = (uint32_t)size;
	c->dir = (uint8_t)dir;
	c->suite = key->suite;
	c->rtp_tag_len = tag_len;
	c->window_bits = (uint16_t)bits;
	c->window_words = (uint16_t)words;
	if (gcm_off != 0) {
		/* the 96-bit master salt, zero-padded to the PRF's 112 bits
		 * (as libsrtp pads it) */
		uint8_t msalt[14] = { 0 };
		int rc;

		c->gcm = (struct burst_gcm *)((uint8_t *)c + gcm_off);
		memcpy(msalt, key->material + key_len, 12);
		rc = derive_gcm_half(m, &c->gcm->rtp, c->gcm->rtp_salt, key->material, key_len,
				     msalt, KDF_LABEL_RTP_ENC);
		if (rc == 0)
			rc = derive_gcm_half(m, &c->gcm->rtcp, c->gcm->rtcp_salt, key->material,
					     key_len, msalt, KDF_LABEL_RTCP_ENC);
		OPENSSL_cleanse(msalt, sizeof(msalt));
		if (rc != 0) {
			sgw_burst_ctx_free(c);
			return NULL;
		}
		return c;
	}
	if (derive_half(m, &c->rtp, key->material, key->material + 16, KDF_LABEL_RTP_ENC) != 0 ||
	    derive_half(m, &c->rtcp, key->material, key->material + 16, KDF_LABEL_RTCP_ENC) != 0) {
		sgw_burst_ctx_free(c);
		return NULL;
	}
	return c;
}

void
sgw_burst_ctx_free(struct sgw_burst_ctx *c)
{
	if (c == NULL)
		return;
	OPENSSL_cleanse(&c->rtp, sizeof(c->rtp));
	OPENSSL_cleanse(&c->rtcp, sizeof(c->rtcp));
	if (c->gcm != NULL)
		OPENSSL_cleanse(c->gcm, sizeof(*c->gcm));
	free(c);
}

struct sgw_burst_ctx *
sgw_burst_ctx_clone(const struct sgw_burst_ctx *c)
{
	struct sgw_burst_ctx *d;

	if (c == NULL || posix_memalign((void **)&d, 64, c->size) != 0)
		return NULL;
	memcpy(d, c, c->size);
	if (c->gcm != NULL)
		d->gcm = (struct burst_gcm *)((uint8_t *)d + ((const uint8_t *)c->gcm - (const uint8_t *)c));
	return d;
}

void
sgw_burst_ctx_reset(struct sgw_burst_ctx *c)
{
	c->index = 0;
	c->ssrc = 0;
	c->rtcp_ws = 0;
	c->rtcp_mask[0] = c->rtcp_mask[1] = 0;
	c->bound = false;
	c->rtp_seen = false;
	c->pending_roc = 0;
	memset(c->window, 0, (size_t)c->window_words * 8);
}

void
sgw_burst_set_roc(struct sgw_burst_ctx *c, uint32_t roc)
{
	c->pending_roc = roc;
}

int
sgw_burst_position(const struct sgw_burst_ctx *c, struct sgw_srtp_pos *out)
{
	if (c == NULL || !c->rtp_seen)
		return -1;
	out->ssrc = c->ssrc;
	out->roc = (uint32_t)(c->index >> 16);
	out->seq = (uint16_t)c->index;
	return 0;
}
