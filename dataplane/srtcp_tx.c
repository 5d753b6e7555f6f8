/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTCP protect with a chosen index (srtcp_tx.h).
 *
 * AES_CM_128_HMAC_SHA1_80/_32 (RFC 3711): the payload after the 8-byte
 * header is encrypted with AES-CTR under IV = k_s * 2^16 XOR SSRC * 2^64 XOR
 * index * 2^16; then E||index; then HMAC-SHA1-80 over all of it (SRTCP
 * keeps the 80-bit tag with the _32 suite, RFC 3711 5.2, as srtp_ctx.c
 * configures libsrtp). AEAD_AES_128/256_GCM (RFC 7714 9.1): IV = 00 00 ||
 * SSRC || 00 00 || index, XOR the 96-bit salt; AAD = header || E||index;
 * then ciphertext || tag || E||index.
 *
 * The HMAC's inner and outer states are precomputed SHA_CTX structs, copied
 * per packet: OpenSSL 3's EVP HMAC duplicates a provider context (an
 * allocation) on every reinitialisation. SHA1_Init and friends are
 * deprecated in OpenSSL 3.0 but present; the burst engine (issue 13)
 * replaces this file's crypto.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "api/suite.h"
#include "dataplane/srtcp_tx.h"

#define RTCP_HDR 8
#define TRAILER 4
#define E_FLAG 0x80000000u
#define SALT_CM 14
#define SALT_GCM 12
#define AUTH_KEY 20
#define TAG_CM 10
#define TAG_GCM 16

enum { LABEL_RTCP_ENC = 3, LABEL_RTCP_AUTH = 4, LABEL_RTCP_SALT = 5 };

struct sgw_srtcp_tx {
	bool gcm;
	EVP_CIPHER_CTX *c;     /* AES-CTR or AES-GCM, keyed with the session key */
	uint8_t salt[SALT_CM]; /* session salt: 14 bytes (CM) or 12 (GCM) */
	SHA_CTX inner, outer;  /* HMAC-SHA1 after the padded key (CM only) */
};

/* RFC 3711 4.3.3 with key derivation rate 0: the AES-CM PRF keyed with the
 * master key, IV = (master salt, right-padded to 112 bits) XOR label at
 * byte 7. GCM's 96-bit master salt is padded with zeros, as libsrtp does
 * (RFC 7714 11 uses the same KDF). */
static int kdf(const uint8_t *mkey, unsigned klen, const uint8_t *msalt, unsigned slen,
	       unsigned label, uint8_t *out, unsigned outlen)
{
	uint8_t block[16] = { 0 }, ks[64];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	memcpy(block, msalt, slen);
	block[7] ^= (uint8_t)label;
	ok = c != NULL && outlen <= sizeof(ks) &&
	     EVP_EncryptInit_ex(c, klen == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(), NULL, mkey,
				block) == 1;
	memset(ks, 0, sizeof(ks));
	ok = ok && EVP_EncryptUpdate(c, ks, &n, ks, (int)outlen) == 1 && n == (int)outlen;
	if (ok)
		memcpy(out, ks, outlen);
	OPENSSL_cleanse(ks, sizeof(ks));
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int hmac_init(struct sgw_srtcp_tx *t, const uint8_t key[AUTH_KEY])
{
	uint8_t pad[SHA_CBLOCK];
	int ok;

	memset(pad, 0x36, sizeof(pad));
	for (unsigned i = 0; i < AUTH_KEY; i++)
		pad[i] ^= key[i];
	ok = SHA1_Init(&t->inner) && SHA1_Update(&t->inner, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (unsigned i = 0; i < AUTH_KEY; i++)
		pad[i] ^= key[i];
	ok = ok && SHA1_Init(&t->outer) && SHA1_Update(&t->outer, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
	return ok ? 0 : -1;
}

struct sgw_srtcp_tx *sgw_srtcp_tx_create(const struct sgw_key *key)
{
	const struct sgw_suite_info *si = key != NULL ? sgw_suite_info(key->suite) : NULL;
	uint8_t skey[32], akey[AUTH_KEY];
	struct sgw_srtcp_tx *t;
	const EVP_CIPHER *cipher;
	unsigned klen, slen;
	int ok;

	if (si == NULL || key->suite == SGW_SUITE_PLAIN ||
	    key->len != sgw_suite_master_len(key->suite))
		return NULL;
	klen = si->key_len;
	slen = si->salt_len;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	switch (key->suite) {
	case SGW_SUITE_AES_CM_128_HMAC_SHA1_80:
	case SGW_SUITE_AES_CM_128_HMAC_SHA1_32:
		cipher = EVP_aes_128_ctr();
		break;
	case SGW_SUITE_AEAD_AES_128_GCM:
		cipher = EVP_aes_128_gcm();
		t->gcm = true;
		break;
	case SGW_SUITE_AEAD_AES_256_GCM:
		cipher = EVP_aes_256_gcm();
		t->gcm = true;
		break;
	default:
		free(t);
		return NULL;
	}
	ok = kdf(key->material, klen, key->material + klen, slen, LABEL_RTCP_ENC, skey, klen) == 0 &&
	     kdf(key->material, klen, key->material + klen, slen, LABEL_RTCP_SALT, t->salt,
		 t->gcm ? SALT_GCM : SALT_CM) == 0;
	if (ok && !t->gcm)
		ok = kdf(key->material, klen, key->material + klen, slen, LABEL_RTCP_AUTH, akey,
			 AUTH_KEY) == 0 &&
		     hmac_init(t, akey) == 0;
	t->c = ok ? EVP_CIPHER_CTX_new() : NULL;
	ok = t->c != NULL && EVP_EncryptInit_ex(t->c, cipher, NULL, skey, NULL) == 1;
	OPENSSL_cleanse(skey, sizeof(skey));
	OPENSSL_cleanse(akey, sizeof(akey));
	if (!ok) {
		sgw_srtcp_tx_free(t);
		return NULL;
	}
	return t;
}

void sgw_srtcp_tx_free(struct sgw_srtcp_tx *t)
{
	if (t == NULL)
		return;
	EVP_CIPHER_CTX_free(t->c); /* cleanses the key schedule */
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int protect_cm(struct sgw_srtcp_tx *t, uint8_t *pkt, int *len, uint32_t idx)
{
	uint8_t iv[16] = { 0 }, md[SHA_DIGEST_LENGTH];
	SHA_CTX h;
	int n = 0, plen = *len - RTCP_HDR;

	memcpy(iv + 4, pkt + 4, 4);  /* the sender's SSRC */
	put32(iv + 10, idx);         /* index * 2^16 in a 128-bit block */
	for (unsigned i = 0; i < SALT_CM; i++)
		iv[i] ^= t->salt[i];
	if (EVP_EncryptInit_ex(t->c, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(t->c, pkt + RTCP_HDR, &n, pkt + RTCP_HDR, plen) != 1 || n != plen)
		return -1;
	put32(pkt + *len, E_FLAG | idx);
	*len += TRAILER;
	h = t->inner;
	SHA1_Update(&h, pkt, (size_t)*len);
	SHA1_Final(md, &h);
	h = t->outer;
	SHA1_Update(&h, md, sizeof(md));
	SHA1_Final(md, &h);
	memcpy(pkt + *len, md, TAG_CM);
	*len += TAG_CM;
	OPENSSL_cleanse(&h, sizeof(h));
	return 0;
}

static int protect_gcm(struct sgw_srtcp_tx *t, uint8_t *pkt, int *len, uint32_t idx)
{
	uint8_t iv[SALT_GCM] = { 0 }, trailer[TRAILER];
	int n = 0, fin = 0, plen = *len - RTCP_HDR;

	memcpy(iv + 2, pkt + 4, 4);
	put32(iv + 8, idx);
	for (unsigned i = 0; i < SALT_GCM; i++)
		iv[i] ^= t->salt[i];
	put32(trailer, E_FLAG | idx);
	if (EVP_EncryptInit_ex(t->c, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(t->c, NULL, &n, pkt, RTCP_HDR) != 1 ||
	    EVP_EncryptUpdate(t->c, NULL, &n, trailer, TRAILER) != 1 ||
	    EVP_EncryptUpdate(t->c, pkt + RTCP_HDR, &n, pkt + RTCP_HDR, plen) != 1 || n != plen ||
	    EVP_EncryptFinal_ex(t->c, pkt + *len, &fin) != 1 || fin != 0 ||
	    EVP_CIPHER_CTX_ctrl(t->c, EVP_CTRL_AEAD_GET_TAG, TAG_GCM, pkt + *len) != 1)
		return -1;
	*len += TAG_GCM;
	memcpy(pkt + *len, trailer, TRAILER);
	*len += TRAILER;
	return 0;
}

int sgw_srtcp_tx_protect(struct sgw_srtcp_tx *t, uint8_t *pkt, int *len, uint32_t idx)
{
	if (t == NULL || *len < RTCP_HDR || idx == 0 || idx > SGW_SRTCP_INDEX_MAX)
		return -1;
	return t->gcm ? protect_gcm(t, pkt, len, idx) : protect_cm(t, pkt, len, idx);
}
