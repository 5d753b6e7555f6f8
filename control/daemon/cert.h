/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificates of srtpgw-control's WebRTC endpoints (and any other TLS
 * server of the daemon that has none configured): a self-signed ECDSA
 * P-256 certificate made in memory, or one loaded from PEM files; and
 * certificate fingerprints as SDP's a=fingerprint carries them (RFC 8122).
 * The private key stays in this process: it is never written anywhere.
 * docs/webrtc.md, "DTLS-SRTP".
 */
#ifndef SRTPGW_CONTROL_CERT_H
#define SRTPGW_CONTROL_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Hash functions a fingerprint may use; weaker ones (sha-1, md5) are refused. */
enum cert_fp_alg {
	CERT_FP_NONE = 0,
	CERT_FP_SHA256,
	CERT_FP_SHA384,
	CERT_FP_SHA512,
};

#define CERT_FP_MAX 64 /* bytes of the largest digest */
/* "sha-512 " and 64 hex pairs with colons, NUL */
#define CERT_FP_STRLEN (8 + 3 * CERT_FP_MAX)

struct cert_fp {
	uint8_t alg; /* enum cert_fp_alg */
	uint8_t len;
	uint8_t md[CERT_FP_MAX];
};

struct cert {
	X509 *x509;
	EVP_PKEY *key;
	struct cert_fp sha256;
	/* "sha-256 AB:CD:...": the value of the SDP's a=fingerprint line */
	char fingerprint[CERT_FP_STRLEN];
};

/* A new self-signed certificate with an ECDSA P-256 key (from the CSPRNG),
 * subject CN=cn, a random 64-bit serial, valid from a day ago for a year,
 * signed with SHA-256. 0, or -1 and err. */
int cert_make_self_signed(struct cert *c, const char *cn, char *err, size_t errlen);
/* Certificate and key from PEM files; the key must match. 0, or -1 and err. */
int cert_load(struct cert *c, const char *cert_path, const char *key_path, char *err,
	      size_t errlen);
/* Frees the key (OpenSSL clears it) and the certificate. NULL members are fine. */
void cert_free(struct cert *c);

/* SDP's a=fingerprint value: alg ("sha-256", case-insensitive) and hex
 * pairs separated by colons (either case). 0, or -EINVAL (unknown or weak
 * hash, wrong length, not hex). */
int cert_fp_parse(const char *alg, const char *hex, struct cert_fp *out);
/* The whole line's value, "sha-256 AB:CD:..." (one space or more). */
int cert_fp_parse_line(const char *value, struct cert_fp *out);
/* x's fingerprint with alg. 0, or -EINVAL. */
int cert_fp_of(X509 *x, enum cert_fp_alg alg, struct cert_fp *out);
/* x matches one of fps[0..n). */
bool cert_fp_match(X509 *x, const struct cert_fp *fps, unsigned n);
/* "sha-256 AB:CD:..." into out (CERT_FP_STRLEN). Returns out. */
const char *cert_fp_format(const struct cert_fp *fp, char *out, size_t len);

#endif
