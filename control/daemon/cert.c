/* SPDX-License-Identifier: BSD-3-Clause */
/* Certificates and fingerprints (cert.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "control/daemon/cert.h"

#define CERT_DAYS 365

static const struct {
	const char *name; /* RFC 8122's hash function name */
	enum cert_fp_alg alg;
	unsigned len;
} fp_algs[] = {
	{ "sha-256", CERT_FP_SHA256, 32 },
	{ "sha-384", CERT_FP_SHA384, 48 },
	{ "sha-512", CERT_FP_SHA512, 64 },
};

static const EVP_MD *fp_md(enum cert_fp_alg alg)
{
	switch (alg) {
	case CERT_FP_SHA256:
		return EVP_sha256();
	case CERT_FP_SHA384:
		return EVP_sha384();
	case CERT_FP_SHA512:
		return EVP_sha512();
	case CERT_FP_NONE:
		break;
	}
	return NULL;
}

/* err: what failed and OpenSSL's first queued error (the queue emptied). */
static int fail(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	ERR_clear_error();
	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, errlen, "%s: %s", what, buf);
	} else {
		snprintf(err, errlen, "%s", what);
	}
	return -1;
}

static int fill_fingerprint(struct cert *c, char *err, size_t errlen)
{
	if (cert_fp_of(c->x509, CERT_FP_SHA256, &c->sha256) != 0)
		return fail(err, errlen, "cannot hash the certificate");
	cert_fp_format(&c->sha256, c->fingerprint, sizeof(c->fingerprint));
	return 0;
}

int cert_make_self_signed(struct cert *c, const char *cn, char *err, size_t errlen)
{
	X509_NAME *name;
	BIGNUM *serial = NULL;
	bool ok = false;

	memset(c, 0, sizeof(*c));
	c->key = EVP_EC_gen("P-256");
	c->x509 = X509_new();
	serial = BN_new();
	if (c->key == NULL || c->x509 == NULL || serial == NULL) {
		fail(err, errlen, "cannot make an ECDSA P-256 key");
		goto out;
	}
	/* a positive 64-bit serial (RFC 5280 4.1.2.2: at most 20 bytes) */
	if (BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(c->x509)) == NULL ||
	    X509_set_version(c->x509, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(c->x509), -24L * 3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(c->x509), CERT_DAYS * 24L * 3600) == NULL) {
		fail(err, errlen, "cannot fill the certificate");
		goto out;
	}
	name = X509_get_subject_name(c->x509);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
				       -1, 0) != 1 ||
	    X509_set_issuer_name(c->x509, name) != 1 || X509_set_pubkey(c->x509, c->key) != 1 ||
	    X509_sign(c->x509, c->key, EVP_sha256()) <= 0) {
		fail(err, errlen, "cannot sign the certificate");
		goto out;
	}
	ok = fill_fingerprint(c, err, errlen) == 0;
out:
	BN_free(serial);
	if (!ok)
		cert_free(c);
	return ok ? 0 : -1;
}

int cert_load(struct cert *c, const char *cert_path, const char *key_path, char *err,
	      size_t errlen)
{
	char what[300];
	FILE *f;

	memset(c, 0, sizeof(*c));
	f = fopen(cert_path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", cert_path, strerror(errno));
		return -1;
	}
	c->x509 = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (c->x509 == NULL) {
		snprintf(what, sizeof(what), "no PEM certificate in %s", cert_path);
		return fail(err, errlen, what);
	}
	f = fopen(key_path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", key_path, strerror(errno));
		cert_free(c);
		return -1;
	}
	c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (c->key == NULL) {
		snprintf(what, sizeof(what), "no PEM private key in %s", key_path);
		cert_free(c);
		return fail(err, errlen, what);
	}
	if (X509_check_private_key(c->x509, c->key) != 1) {
		snprintf(what, sizeof(what), "the key in %s does not match the certificate in %s",
			 key_path, cert_path);
		cert_free(c);
		return fail(err, errlen, what);
	}
	if (fill_fingerprint(c, err, errlen) != 0) {
		cert_free(c);
		return -1;
	}
	return 0;
}

void cert_free(struct cert *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->x509);
	memset(c, 0, sizeof(*c));
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int cert_fp_parse(const char *alg, const char *hex, struct cert_fp *out)
{
	size_t n = 0;
	unsigned want = 0;
	const char *p = hex;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(fp_algs) / sizeof(fp_algs[0]); i++) {
		if (strcasecmp(alg, fp_algs[i].name) == 0) {
			out->alg = (uint8_t)fp_algs[i].alg;
			want = fp_algs[i].len;
		}
	}
	if (want == 0)
		return -EINVAL;
	/* XX(:XX)*, exactly want pairs */
	for (;;) {
		int hi = hex_value(p[0]), lo = hi < 0 ? -1 : hex_value(p[1]);

		if (lo < 0 || n == want)
			return -EINVAL;
		out->md[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (*p == '\0')
			break;
		if (*p++ != ':')
			return -EINVAL;
	}
	if (n != want)
		return -EINVAL;
	out->len = (uint8_t)n;
	return 0;
}

int cert_fp_parse_line(const char *value, struct cert_fp *out)
{
	char alg[16];
	size_t n = strcspn(value, " \t");

	if (n == 0 || n >= sizeof(alg)) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	memcpy(alg, value, n);
	alg[n] = '\0';
	value += n;
	value += strspn(value, " \t");
	return cert_fp_parse(alg, value, out);
}

int cert_fp_of(X509 *x, enum cert_fp_alg alg, struct cert_fp *out)
{
	const EVP_MD *md = fp_md(alg);
	unsigned int n = 0;

	memset(out, 0, sizeof(*out));
	if (md == NULL || X509_digest(x, md, out->md, &n) != 1 || n > CERT_FP_MAX)
		return -EINVAL;
	out->alg = (uint8_t)alg;
	out->len = (uint8_t)n;
	return 0;
}

bool cert_fp_match(X509 *x, const struct cert_fp *fps, unsigned n)
{
	struct cert_fp got;

	for (unsigned i = 0; i < n; i++) {
		if (cert_fp_of(x, (enum cert_fp_alg)fps[i].alg, &got) != 0)
			continue;
		if (got.len == fps[i].len && CRYPTO_memcmp(got.md, fps[i].md, got.len) == 0)
			return true;
	}
	return false;
}

const char *cert_fp_format(const struct cert_fp *fp, char *out, size_t len)
{
	const char *name = "?";
	size_t off;

	for (size_t i = 0; i < sizeof(fp_algs) / sizeof(fp_algs[0]); i++)
		if (fp_algs[i].alg == fp->alg)
			name = fp_algs[i].name;
	off = (size_t)snprintf(out, len, "%s ", name);
	for (unsigned i = 0; i < fp->len && off + 3 < len; i++)
		off += (size_t)snprintf(out + off, len - off, i ? ":%02X" : "%02X", fp->md[i]);
	return out;
}
