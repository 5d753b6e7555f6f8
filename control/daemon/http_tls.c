/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP API's TLS context (docs/webrtc.md, "HTTP API", TLS): TLS 1.2
 * and up (1.3 when the client has it), ECDHE with AEAD ciphers for 1.2,
 * no renegotiation, no compression, no session resumption; ALPN answers
 * http/1.1 (a client that offers only h2 gets no ALPN and may go on with
 * HTTP/1.1 or leave).
 *
 * The certificate is http_cert/http_key when configured (the key 0600 or
 * stricter, like tls_key). Otherwise a self-signed one: ECDSA P-256,
 * CN=srtpgw-control, subjectAltName the listen address (unless it is a
 * wildcard) and http_names (localhost when that leaves none), valid 397
 * days, kept with its key in HTTP_SELF_SIGNED next to the database, mode
 * 0600. It is made at the first start, and again when the names it should
 * carry changed or it expires within 30 days; otherwise it is kept, so
 * that a client that pinned it goes on working. Its SHA-256 fingerprint
 * and its public key's (SPKI, what Chromium's
 * --ignore-certificate-errors-spki-list takes) are logged at every start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "api/addr.h"
#include "api/log.h"
#include "control/daemon/http_priv.h"

#define HTTP_SELF_SIGNED "http-selfsigned.pem"
#define CERT_DAYS 397         /* what browsers accept of any certificate */
#define RENEW_DAYS 30         /* made anew when it expires within this */
#define MAX_SANS (CTL_MAX_HTTP_NAMES + 2)
#define SAN_MAX (CTL_HTTP_NAME_MAX + 8)

/* OpenSSL's first queued error as text (the queue emptied). */
static const char *ssl_error(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

/* "IP:10.0.0.1" and "DNS:name" entries the self-signed certificate
 * should carry, in order, without repeats. */
static unsigned wanted_sans(const struct ctl_config *cfg, char sans[MAX_SANS][SAN_MAX])
{
	static const uint8_t zero[16];
	const struct sgw_addr *a = &cfg->http_listen.addr;
	char text[SGW_ADDR_STRLEN];
	unsigned n = 0;

	if (memcmp(a->a, zero, a->family == SGW_AF_INET ? 4 : 16) != 0)
		snprintf(sans[n++], SAN_MAX, "IP:%s", sgw_addr_format(a, text, sizeof(text)));
	for (unsigned i = 0; i < cfg->n_http_names; i++) {
		struct sgw_addr ip;
		bool seen = false;

		if (sgw_addr_parse(cfg->http_names[i], &ip) == 0)
			snprintf(sans[n], SAN_MAX, "IP:%s", sgw_addr_format(&ip, text, sizeof(text)));
		else
			snprintf(sans[n], SAN_MAX, "DNS:%s", cfg->http_names[i]);
		for (unsigned k = 0; k < n && !seen; k++)
			seen = strcmp(sans[k], sans[n]) == 0;
		n += !seen;
	}
	if (n == 0)
		snprintf(sans[n++], SAN_MAX, "DNS:localhost");
	return n;
}

/* The subjectAltName entries a certificate has, as wanted_sans() writes
 * them; MAX_SANS + 1 if more than MAX_SANS (never equal to a wanted set). */
static unsigned cert_sans(X509 *x, char sans[MAX_SANS][SAN_MAX])
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int count = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	unsigned n = 0;

	for (int i = 0; i < count; i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char text[INET6_ADDRSTRLEN] = "";

		if (n == MAX_SANS) {
			n++;
			break;
		}
		if (g->type == GEN_DNS) {
			const unsigned char *s = ASN1_STRING_get0_data(g->d.dNSName);
			int len = ASN1_STRING_length(g->d.dNSName);
			snprintf(sans[n++], SAN_MAX, "DNS:%.*s", len, (const char *)s);
		} else if (g->type == GEN_IPADD) {
			int len = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *s = ASN1_STRING_get0_data(g->d.iPAddress);
			inet_ntop(len == 4 ? AF_INET : AF_INET6, s, text, sizeof(text));
			snprintf(sans[n++], SAN_MAX, "IP:%s", text);
		} else {
			snprintf(sans[n++], SAN_MAX, "other");
		}
	}
	GENERAL_NAMES_free(gens);
	return n;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	ok = e != NULL && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* A new key and a certificate of it for sans, signed by itself. */
static int make_cert(char sans[MAX_SANS][SAN_MAX], unsigned n_sans, EVP_PKEY **pkey_out, X509 **x_out)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509_NAME *name;
	char san[MAX_SANS * (SAN_MAX + 1)] = "";
	int rc = -1;

	for (unsigned i = 0; i < n_sans; i++)
		snprintf(san + strlen(san), sizeof(san) - strlen(san), "%s%s", i ? "," : "", sans[i]);
	if (pkey == NULL || x == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x01; /* and 16 bytes long */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	name = X509_get_subject_name(x);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400) == NULL ||
	    X509_set_pubkey(x, pkey) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"srtpgw-control", -1,
				       -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || add_ext(x, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") != 0 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") != 0 || add_ext(x, NID_subject_alt_name, san) != 0 ||
	    add_ext(x, NID_subject_key_identifier, "hash") != 0 || X509_sign(x, pkey, EVP_sha256()) <= 0)
		goto out;
	*pkey_out = pkey;
	*x_out = x;
	pkey = NULL;
	x = NULL;
	rc = 0;
out:
	BN_free(bn);
	EVP_PKEY_free(pkey);
	X509_free(x);
	return rc;
}

/* Key and certificate into path, atomically: a file of mode 0600 made
 * anew beside it, synced, renamed over it. */
static int write_pem(const char *path, EVP_PKEY *pkey, X509 *x, char *err, size_t errlen)
{
	char tmp[4400];
	FILE *f = NULL;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp); /* a start that died while writing it */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1 && PEM_write_X509(f, x) == 1 &&
	     fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot write it: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The self-signed certificate's file: next to the database. */
static void self_signed_path(const struct ctl_config *cfg, char *path, size_t len)
{
	const char *slash = strrchr(cfg->database, '/');

	if (slash == NULL)
		snprintf(path, len, "%s", HTTP_SELF_SIGNED);
	else
		snprintf(path, len, "%.*s/%s", (int)(slash - cfg->database), cfg->database, HTTP_SELF_SIGNED);
}

/* A file that holds a private key: its own, 0600 or stricter. */
static int key_mode_ok(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s %s has mode %04o: group or others may access it; it must be 0600 or "
			 "stricter", what, path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The kept self-signed key and certificate, if usable: 1 (loaded), 0
 * (none, or to be made anew: why says which), -1 (a file that is not
 * ours to replace: err). */
static int load_self_signed(const char *path, char sans[MAX_SANS][SAN_MAX], unsigned n_sans, EVP_PKEY **pkey,
			    X509 **x, const char **why, char *err, size_t errlen)
{
	char have[MAX_SANS][SAN_MAX];
	unsigned n_have;
	time_t renew = time(NULL) + (time_t)RENEW_DAYS * 86400;
	FILE *f;

	*why = "none was made yet";
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	if (key_mode_ok("the HTTP API's self-signed certificate", path, err, errlen) != 0)
		return -1;
	f = fopen(path, "r");
	if (f != NULL) {
		*pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		*x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (f == NULL || *pkey == NULL || *x == NULL || X509_check_private_key(*x, *pkey) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: not a private key followed by its certificate (remove it, and a new "
			 "self-signed certificate is made)", path);
		return -1;
	}
	n_have = cert_sans(*x, have);
	*why = "the names it should carry changed";
	for (unsigned i = 0; n_have == n_sans && i < n_sans; i++)
		if (strcmp(have[i], sans[i]) != 0)
			n_have = 0;
	if (n_have == n_sans) {
		*why = "it expires within 30 days";
		if (X509_cmp_time(X509_get0_notAfter(*x), &renew) > 0)
			return 1;
	}
	EVP_PKEY_free(*pkey);
	X509_free(*x);
	*pkey = NULL;
	*x = NULL;
	return 0;
}

static void hex_colons(const unsigned char *md, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
}

/* Logs what a client pins: the certificate's SHA-256 fingerprint (as
 * `openssl x509 -noout -fingerprint -sha256` prints it) and its public
 * key's (base64 of SHA-256 of the DER SubjectPublicKeyInfo). */
static void log_fingerprints(const struct ctl_config *cfg, X509 *x, const char *what)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	char fp[3 * EVP_MAX_MD_SIZE + 1] = "?", spki[64] = "?";
	unsigned n = 0;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	char at[HTTP_PEER_MAX];

	if (X509_digest(x, EVP_sha256(), md, &n) == 1)
		hex_colons(md, n, fp);
	if (len > 0 && EVP_Digest(der, (size_t)len, md, &n, EVP_sha256(), NULL) == 1)
		EVP_EncodeBlock((unsigned char *)spki, md, (int)n);
	OPENSSL_free(der);
	sgw_log(LOG_INFO, "HTTP: %s certificate of https://%s: SHA-256 fingerprint %s; public key (SPKI) "
		"SHA-256 %s", what, sgw_endpoint_format(&cfg->http_listen, at, sizeof(at)), fp, spki);
}

static int use_self_signed(SSL_CTX *ctx, const struct ctl_config *cfg, char *err, size_t errlen)
{
	char path[4200], sans[MAX_SANS][SAN_MAX], names[MAX_SANS * (SAN_MAX + 2)] = "";
	unsigned n_sans;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	const char *why;
	int rc;

	n_sans = wanted_sans(cfg, sans);
	self_signed_path(cfg, path, sizeof(path));
	rc = load_self_signed(path, sans, n_sans, &pkey, &x, &why, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		for (unsigned i = 0; i < n_sans; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
				 sans[i]);
		if (make_cert(sans, n_sans, &pkey, &x) != 0) {
			snprintf(err, errlen, "the HTTP API's self-signed certificate: %s", ssl_error());
			return -1;
		}
		if (write_pem(path, pkey, x, err, errlen) != 0) {
			EVP_PKEY_free(pkey);
			X509_free(x);
			return -1;
		}
		sgw_log(LOG_NOTICE, "HTTP: made a self-signed certificate (ECDSA P-256, %s, valid %d days) in %s: "
			"%s", names, CERT_DAYS, path, why);
	}
	rc = SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, pkey) == 1 ? 0 : -1;
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, ssl_error());
	else
		log_fingerprints(cfg, x, "self-signed");
	EVP_PKEY_free(pkey);
	X509_free(x);
	return rc;
}

static int use_configured(SSL_CTX *ctx, const struct ctl_config *cfg, char *err, size_t errlen)
{
	if (access(cfg->http_cert, R_OK) != 0) {
		snprintf(err, errlen, "http_cert %s: %s", cfg->http_cert, strerror(errno));
		return -1;
	}
	if (key_mode_ok("http_key", cfg->http_key, err, errlen) != 0)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->http_cert) != 1) {
		snprintf(err, errlen, "http_cert %s: %s", cfg->http_cert, ssl_error());
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->http_key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "http_key %s: %s", cfg->http_key, ssl_error());
		return -1;
	}
	/* a key of another type lands beside the certificate, not with it:
	 * "no certificate assigned" means a mismatch too */
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "http_key %s is not the key of http_cert %s", cfg->http_key, cfg->http_cert);
		return -1;
	}
	log_fingerprints(cfg, SSL_CTX_get0_certificate(ctx), "configured");
	return 0;
}

/* ALPN: http/1.1 if the client offers it; else none (not an error). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
		       unsigned int inlen, void *arg)
{
	static const unsigned char h11[] = "\x08http/1.1";

	(void)ssl, (void)arg;
	for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
		if (in[i] == 8 && i + 9 <= inlen && memcmp(in + i, h11, 9) == 0) {
			*out = in + i + 1;
			*outlen = 8;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

SSL_CTX *http_tls_context(const struct ctl_config *cfg, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
		snprintf(err, errlen, "HTTP TLS: %s", ssl_error());
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
			    SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	if ((cfg->http_cert[0] != '\0' ? use_configured(ctx, cfg, err, errlen)
				       : use_self_signed(ctx, cfg, err, errlen)) != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
