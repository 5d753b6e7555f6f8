/* SPDX-License-Identifier: BSD-3-Clause */
/* Certificates and fingerprints (control/daemon/cert.c): the self-signed
 * ECDSA P-256 certificate, PEM loading, SDP fingerprints parsed and
 * formatted, checked against OpenSSL's own digest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/pem.h>

#include "control/daemon/cert.h"
#include "check.h"

static char tmpdir[64];

static void self_signed(void)
{
	struct cert c, c2;
	char err[256] = "", name[64];
	uint8_t md[32];
	unsigned int n = 0;
	char want[CERT_FP_STRLEN], hex[4];
	size_t glen = 0;

	CHECK_EQ(cert_make_self_signed(&c, "srtpgw", err, sizeof(err)), 0);
	CHECK(c.x509 != NULL && c.key != NULL);
	/* ECDSA on P-256, self-signed with SHA-256, CN=srtpgw */
	CHECK(EVP_PKEY_is_a(c.key, "EC"));
	CHECK(EVP_PKEY_get_group_name(c.key, name, sizeof(name), &glen) == 1);
	CHECK(strcmp(name, "prime256v1") == 0);
	CHECK_EQ(X509_verify(c.x509, c.key), 1);
	CHECK_EQ(X509_get_signature_nid(c.x509), NID_ecdsa_with_SHA256);
	CHECK_EQ(X509_NAME_get_text_by_NID(X509_get_subject_name(c.x509), NID_commonName, name,
					   sizeof(name)), 6);
	CHECK(strcmp(name, "srtpgw") == 0);
	CHECK_EQ(X509_NAME_cmp(X509_get_subject_name(c.x509), X509_get_issuer_name(c.x509)), 0);
	CHECK(X509_cmp_current_time(X509_get0_notBefore(c.x509)) < 0);
	CHECK(X509_cmp_current_time(X509_get0_notAfter(c.x509)) > 0);
	/* the fingerprint is OpenSSL's SHA-256 of the DER, as SDP writes it */
	CHECK(X509_digest(c.x509, EVP_sha256(), md, &n) == 1 && n == 32);
	strcpy(want, "sha-256 ");
	for (unsigned i = 0; i < 32; i++) {
		snprintf(hex, sizeof(hex), i ? ":%02X" : "%02X", md[i]);
		strcat(want, hex);
	}
	CHECK(strcmp(c.fingerprint, want) == 0);
	CHECK_EQ(strlen(c.fingerprint), 8 + 32 * 3 - 1);
	CHECK(c.sha256.alg == CERT_FP_SHA256 && c.sha256.len == 32);
	CHECK_MEM(c.sha256.md, md, 32);
	CHECK(cert_fp_match(c.x509, &c.sha256, 1));
	/* a second one has another key, serial and fingerprint */
	CHECK_EQ(cert_make_self_signed(&c2, "srtpgw", err, sizeof(err)), 0);
	CHECK(strcmp(c.fingerprint, c2.fingerprint) != 0);
	CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(c.x509), X509_get0_serialNumber(c2.x509)) != 0);
	CHECK(!cert_fp_match(c2.x509, &c.sha256, 1));
	cert_free(&c);
	cert_free(&c2);
	CHECK(c.x509 == NULL && c.key == NULL);
	cert_free(&c);
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f == NULL)
		return;
	if (x != NULL)
		CHECK(PEM_write_X509(f, x) == 1);
	if (k != NULL)
		CHECK(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1);
	fclose(f);
}

static void load_pem(void)
{
	struct cert made, other, got;
	char err[512] = "", crt[128], key[128], key2[128], missing[128];

	CHECK_EQ(cert_make_self_signed(&made, "a", err, sizeof(err)), 0);
	CHECK_EQ(cert_make_self_signed(&other, "b", err, sizeof(err)), 0);
	snprintf(crt, sizeof(crt), "%s/cert.pem", tmpdir);
	snprintf(key, sizeof(key), "%s/key.pem", tmpdir);
	snprintf(key2, sizeof(key2), "%s/key2.pem", tmpdir);
	snprintf(missing, sizeof(missing), "%s/missing.pem", tmpdir);
	write_pem(crt, made.x509, NULL);
	write_pem(key, NULL, made.key);
	write_pem(key2, NULL, other.key);

	CHECK_EQ(cert_load(&got, crt, key, err, sizeof(err)), 0);
	CHECK(strcmp(got.fingerprint, made.fingerprint) == 0);
	cert_free(&got);

	CHECK_EQ(cert_load(&got, crt, key2, err, sizeof(err)), -1);
	CHECK(strstr(err, "does not match") != NULL);
	CHECK(got.x509 == NULL && got.key == NULL);
	CHECK_EQ(cert_load(&got, missing, key, err, sizeof(err)), -1);
	CHECK(strstr(err, "cannot open") != NULL && strstr(err, "missing.pem") != NULL);
	CHECK_EQ(cert_load(&got, key, key, err, sizeof(err)), -1); /* a key is no certificate */
	CHECK(strstr(err, "no PEM certificate") != NULL);
	CHECK_EQ(cert_load(&got, crt, crt, err, sizeof(err)), -1);
	CHECK(strstr(err, "no PEM private key") != NULL);
	/* errors name files, never key bytes */
	CHECK(strstr(err, "BEGIN") == NULL);
	cert_free(&made);
	cert_free(&other);
	unlink(crt);
	unlink(key);
	unlink(key2);
}

static void fingerprints(void)
{
	struct cert c;
	struct cert_fp fp, fp2;
	char err[256], text[CERT_FP_STRLEN], lower[CERT_FP_STRLEN];

	CHECK_EQ(cert_make_self_signed(&c, "srtpgw", err, sizeof(err)), 0);
	/* what we print is what we parse, in either case */
	CHECK_EQ(cert_fp_parse_line(c.fingerprint, &fp), 0);
	CHECK(fp.alg == CERT_FP_SHA256 && fp.len == 32 && memcmp(fp.md, c.sha256.md, 32) == 0);
	for (size_t i = 0; i <= strlen(c.fingerprint); i++)
		lower[i] = (char)((c.fingerprint[i] >= 'A' && c.fingerprint[i] <= 'F')
					  ? c.fingerprint[i] + 32 : c.fingerprint[i]);
	CHECK_EQ(cert_fp_parse("SHA-256", lower + 8, &fp2), 0);
	CHECK_MEM(fp2.md, fp.md, 32);
	CHECK(strcmp(cert_fp_format(&fp2, text, sizeof(text)), c.fingerprint) == 0);
	/* sha-384 and sha-512 of the same certificate match it */
	CHECK_EQ(cert_fp_of(c.x509, CERT_FP_SHA384, &fp), 0);
	CHECK_EQ(fp.len, 48);
	cert_fp_format(&fp, text, sizeof(text));
	CHECK(strncmp(text, "sha-384 ", 8) == 0 && strlen(text) == 8 + 48 * 3 - 1);
	CHECK_EQ(cert_fp_parse_line(text, &fp2), 0);
	CHECK(cert_fp_match(c.x509, &fp2, 1));
	CHECK_EQ(cert_fp_of(c.x509, CERT_FP_SHA512, &fp), 0);
	cert_fp_format(&fp, text, sizeof(text));
	CHECK_EQ(strlen(text), 8 + 64 * 3 - 1);
	CHECK_EQ(cert_fp_parse_line(text, &fp2), 0);
	CHECK(cert_fp_match(c.x509, &fp2, 1));
	/* one wrong byte: no match, even among others that do not match either */
	fp2.md[5] ^= 1;
	CHECK(!cert_fp_match(c.x509, &fp2, 1));
	{
		struct cert_fp two[2] = { fp2, c.sha256 };

		CHECK(cert_fp_match(c.x509, two, 2));
		CHECK(!cert_fp_match(c.x509, two, 1));
	}

	/* refusals: weak or unknown hashes, lengths, separators, hex */
	CHECK_EQ(cert_fp_parse("sha-1", "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01", &fp), -22);
	CHECK_EQ(cert_fp_parse("md5", "AB:CD", &fp), -22);
	CHECK_EQ(cert_fp_parse("sha-256", "AB:CD", &fp), -22);
	strcpy(text, c.fingerprint + 8);
	CHECK_EQ(cert_fp_parse("sha-256", text, &fp), 0);
	strcat(text, ":00");
	CHECK_EQ(cert_fp_parse("sha-256", text, &fp), -22);
	strcpy(text, c.fingerprint + 8);
	text[2] = '-';
	CHECK_EQ(cert_fp_parse("sha-256", text, &fp), -22);
	strcpy(text, c.fingerprint + 8);
	text[0] = 'G';
	CHECK_EQ(cert_fp_parse("sha-256", text, &fp), -22);
	strcpy(text, c.fingerprint + 8);
	strcat(text, ":");
	CHECK_EQ(cert_fp_parse("sha-256", text, &fp), -22);
	text[strlen(text) - 2] = '\0'; /* a half pair at the end */
	CHECK_EQ(cert_fp_parse("sha-256", text, &fp), -22);
	CHECK_EQ(cert_fp_parse("sha-256", "", &fp), -22);
	CHECK_EQ(cert_fp_parse_line("", &fp), -22);
	CHECK_EQ(cert_fp_parse_line("sha-256", &fp), -22);
	CHECK_EQ(cert_fp_parse_line("a-very-long-hash-name AB", &fp), -22);
	CHECK_EQ(fp.alg, CERT_FP_NONE);
	cert_free(&c);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sgw_test_cert.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(self_signed);
	RUN(load_pem);
	RUN(fingerprints);
	rmdir(tmpdir);
	return CHECK_DONE();
}
