/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_dtls: a fresh DTLS-SRTP server session (control/daemon/dtls.c) per
 * input, fed either raw datagrams or a real OpenSSL DTLS client's records
 * that the input drops, repeats, corrupts or cuts.
 *
 * Input: byte 0 = flags. Bit 0: raw mode: the rest is datagrams, each
 * [u16 length][u8 100 ms steps before it][bytes]. Otherwise client mode:
 * bits 1-2 pick the client's use_srtp offer (GCM and CM, CM only, none,
 * only AES_CM_128_HMAC_SHA1_32), bit 3 gives the session a fingerprint
 * that is not the client's; the rest is one action per record the client
 * sends and per datagram the server sends: deliver, drop, deliver twice,
 * flip bits of a byte, cut it short, deliver and let 100 ms pass.
 *
 * Checked: what the server sends fits the MTU; a session that failed or
 * closed stays so and takes nothing more; it is connected only with a
 * client that offered a profile we support and whose certificate matches
 * the fingerprint, then with GCM whenever the client offered it; whenever
 * both ends finished, they export the same keys, split as RFC 5764 4.2
 * says; keys are unavailable unless connected; an error is given exactly
 * when the session failed; every datagram given is counted.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "api/suite.h"
#include "control/daemon/cert.h"
#include "control/daemon/dtls.h"
#include "fuzz_common.h"

/* Low byte first. Not fz_u16(): the order in which its two fz_u8() calls
 * run is unspecified in C, and gcc and its ASan build differ. */
static uint16_t u16le(struct fz *f)
{
	uint16_t lo = fz_u8(f);

	return (uint16_t)(lo | fz_u8(f) << 8);
}

#define T0 1000000ull

static const char *const offers[4] = {
	"SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM",
	"SRTP_AES128_CM_SHA1_80",
	NULL,
	"SRTP_AES128_CM_SHA1_32",
};

/* Made once per process: certificates and contexts. */
static struct cert server_cert, client_cert, other_cert;
static struct dtls_ctx *ctx;
static SSL_CTX *client_ctx[4];

static struct {
	uint64_t inputs, datagrams, refused, connected, failed, closed, both_done;
} st;

static void fz_summary(void)
{
	fprintf(stderr, "fuzz_dtls: %llu inputs, %llu datagrams in (%llu refused); sessions: "
		"%llu connected (%llu with the client done too), %llu failed, %llu closed\n",
		(unsigned long long)st.inputs, (unsigned long long)st.datagrams,
		(unsigned long long)st.refused, (unsigned long long)st.connected,
		(unsigned long long)st.both_done, (unsigned long long)st.failed,
		(unsigned long long)st.closed);
}

static int accept_any(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return 1;
}

static void setup(void)
{
	char err[256];

	if (ctx != NULL)
		return;
	FZ_CHECK(cert_make_self_signed(&server_cert, "srtpgw", err, sizeof(err)) == 0, "%s", err);
	FZ_CHECK(cert_make_self_signed(&client_cert, "client", err, sizeof(err)) == 0, "%s", err);
	FZ_CHECK(cert_make_self_signed(&other_cert, "other", err, sizeof(err)) == 0, "%s", err);
	ctx = dtls_ctx_new(server_cert.x509, server_cert.key, err, sizeof(err));
	FZ_CHECK(ctx != NULL, "%s", err);
	for (int i = 0; i < 4; i++) {
		SSL_CTX *c = SSL_CTX_new(DTLS_client_method());

		FZ_CHECK(c != NULL, "client context");
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER, accept_any);
		FZ_CHECK(SSL_CTX_use_certificate(c, client_cert.x509) == 1 &&
			 SSL_CTX_use_PrivateKey(c, client_cert.key) == 1, "client certificate");
		if (offers[i] != NULL)
			FZ_CHECK(SSL_CTX_set_tlsext_use_srtp(c, offers[i]) == 0, "use_srtp");
		client_ctx[i] = c;
	}
}

/* What holds after every step. */
static void check_session(struct dtls_session *s, enum dtls_state before)
{
	enum dtls_state now = dtls_session_state(s);
	struct dtls_srtp_keys keys;

	if (before == DTLS_FAILED || before == DTLS_CLOSED)
		FZ_CHECK(now == before, "left state %s for %s", dtls_state_name(before),
			 dtls_state_name(now));
	if (before == DTLS_CONNECTED)
		FZ_CHECK(now != DTLS_NEW && now != DTLS_HANDSHAKING, "connected went back");
	FZ_CHECK((dtls_session_error(s)[0] != '\0') == (now == DTLS_FAILED), "error iff failed");
	FZ_CHECK((dtls_session_srtp_keys(s, &keys) == 0) == (now == DTLS_CONNECTED), "keys");
}

static void drain(struct dtls_session *s, BIO *to_client, struct fz *f)
{
	uint8_t buf[DTLS_MTU_MAX];
	size_t n;

	while ((n = dtls_session_pop(s, buf, sizeof(buf))) > 0) {
		FZ_CHECK(n <= DTLS_MTU, "a datagram of %zu bytes", n);
		if (to_client == NULL)
			continue;
		switch (fz_pick(f, 8)) {
		case 0:
			break; /* lost */
		case 1:
			buf[u16le(f) % n] ^= (uint8_t)(fz_u8(f) | 1);
			BIO_write(to_client, buf, (int)n);
			break;
		default:
			BIO_write(to_client, buf, (int)n);
			break;
		}
	}
}

static void feed(struct dtls_session *s, const uint8_t *d, size_t len, uint64_t now)
{
	enum dtls_state before = dtls_session_state(s);
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int rc;

	FZ_CHECK(copy != NULL, "malloc");
	memcpy(copy, d, len); /* exactly its size: ASan sees reads past it */
	rc = dtls_session_input(s, copy, len, now);
	free(copy);
	st.datagrams++;
	FZ_CHECK(rc == 0 || rc == -EINVAL || rc == -EPIPE, "input returned %d", rc);
	if (rc != 0)
		st.refused++;
	if (before == DTLS_FAILED || before == DTLS_CLOSED)
		FZ_CHECK(rc == -EPIPE, "a finished session took a datagram");
	check_session(s, before);
}

static void raw_mode(struct fz *f)
{
	const char *err;
	uint64_t now = T0, fed = 0;
	struct dtls_session *s = dtls_session_new(ctx, &client_cert.sha256, 1, NULL, now, &err);

	FZ_CHECK(s != NULL, "%s", err);
	while (!fz_empty(f)) {
		size_t len = u16le(f) % (DTLS_MAX_DATAGRAM + 64);
		uint8_t d[DTLS_MAX_DATAGRAM + 64];
		enum dtls_state before;

		now += fz_u8(f) * 100u;
		if (len > f->n)
			len = f->n;
		fz_bytes(f, d, len);
		before = dtls_session_state(s);
		dtls_session_tick(s, now);
		check_session(s, before);
		feed(s, d, len, now);
		fed++;
		drain(s, NULL, f);
	}
	FZ_CHECK(dtls_session_counters(s)->dgrams_in == fed, "datagrams counted");
	/* nobody completes a handshake with our client's key by chance */
	FZ_CHECK(dtls_session_state(s) != DTLS_CONNECTED, "connected to random bytes");
	dtls_session_free(s);
}

/* The client's records, one datagram each, through the input's actions. */
static void client_to_server(SSL *cl, struct dtls_session *s, struct fz *f, uint64_t *now)
{
	uint8_t buf[32768];
	int n = BIO_read(SSL_get_wbio(cl), buf, sizeof(buf));

	for (int off = 0; n > 0 && off + 13 <= n;) {
		int rl = 13 + (buf[off + 11] << 8 | buf[off + 12]);
		uint8_t *r = buf + off;

		if (off + rl > n)
			break;
		off += rl;
		switch (fz_pick(f, 8)) {
		case 0:
			break; /* lost */
		case 1:
			feed(s, r, (size_t)rl, *now);
			feed(s, r, (size_t)rl, *now);
			break;
		case 2:
			r[u16le(f) % rl] ^= (uint8_t)(fz_u8(f) | 1);
			feed(s, r, (size_t)rl, *now);
			break;
		case 3:
			feed(s, r, u16le(f) % (size_t)rl, *now);
			break;
		case 4:
			*now += 100;
			feed(s, r, (size_t)rl, *now);
			break;
		default:
			feed(s, r, (size_t)rl, *now);
			break;
		}
	}
}

static void client_mode(struct fz *f, uint8_t flags)
{
	unsigned offer = (flags >> 1) & 3;
	bool wrong_fp = flags & 8;
	const char *err;
	uint64_t now = T0;
	struct dtls_session *s;
	SSL *cl = SSL_new(client_ctx[offer]);
	BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
	int client_done = 0;

	FZ_CHECK(cl != NULL && rb != NULL && wb != NULL, "client");
	BIO_set_mem_eof_return(rb, -1);
	SSL_set_bio(cl, rb, wb);
	SSL_set_connect_state(cl);
	SSL_set_mtu(cl, 1200);
	SSL_set_options(cl, SSL_OP_NO_QUERY_MTU);
	s = dtls_session_new(ctx, wrong_fp ? &other_cert.sha256 : &client_cert.sha256, 1, NULL, now,
			     &err);
	FZ_CHECK(s != NULL, "%s", err);

	for (int round = 0; round < 24 && !fz_empty(f); round++) {
		enum dtls_state before;

		if (client_done == 0) {
			int r = SSL_do_handshake(cl);

			if (r == 1)
				client_done = 1;
			else if (SSL_get_error(cl, r) != SSL_ERROR_WANT_READ)
				client_done = -1;
		} else if (client_done == 1 && fz_pick(f, 16) == 0) {
			SSL_shutdown(cl); /* close_notify */
		}
		ERR_clear_error();
		client_to_server(cl, s, f, &now);
		before = dtls_session_state(s);
		dtls_session_tick(s, now);
		check_session(s, before);
		drain(s, rb, f);
	}

	switch (dtls_session_state(s)) {
	case DTLS_CONNECTED: {
		struct dtls_srtp_keys keys;

		st.connected++;
		FZ_CHECK(!wrong_fp && (offer == 0 || offer == 1), "connected: offer %u, wrong fp %d",
			 offer, wrong_fp);
		FZ_CHECK(dtls_session_suite(s) == (offer == 0 ? SGW_SUITE_AEAD_AES_128_GCM
							      : SGW_SUITE_AES_CM_128_HMAC_SHA1_80),
			 "suite %d for offer %u", dtls_session_suite(s), offer);
		FZ_CHECK(dtls_session_srtp_keys(s, &keys) == 0, "keys");
		if (client_done == 1) {
			const struct sgw_suite_info *si = sgw_suite_info(dtls_session_suite(s));
			unsigned k = si->key_len, sl = si->salt_len;
			uint8_t km[2 * SGW_KEY_MAX];

			st.both_done++;
			FZ_CHECK(SSL_export_keying_material(cl, km, 2 * (k + sl), "EXTRACTOR-dtls_srtp",
							    19, NULL, 0, 0) == 1, "client export");
			FZ_CHECK(keys.ingress.len == k + sl && keys.egress.len == k + sl, "key length");
			FZ_CHECK(memcmp(keys.ingress.material, km, k) == 0 &&
				 memcmp(keys.ingress.material + k, km + 2 * k, sl) == 0, "ingress key");
			FZ_CHECK(memcmp(keys.egress.material, km + k, k) == 0 &&
				 memcmp(keys.egress.material + k, km + 2 * k + sl, sl) == 0, "egress key");
		}
		break;
	}
	case DTLS_FAILED:
		st.failed++;
		break;
	case DTLS_CLOSED:
		st.closed++;
		FZ_CHECK(!wrong_fp && (offer == 0 || offer == 1), "closed after a handshake it refuses");
		break;
	default:
		break;
	}
	/* the deadline ends every handshake */
	dtls_session_tick(s, T0 + DTLS_HANDSHAKE_MS + 100000);
	FZ_CHECK(dtls_session_state(s) != DTLS_NEW && dtls_session_state(s) != DTLS_HANDSHAKING,
		 "handshake outlived its deadline");
	dtls_session_free(s);
	SSL_free(cl);
	ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags = fz_u8(&f);

	setup();
	st.inputs++;
	if (flags & 1)
		raw_mode(&f);
	else
		client_mode(&f, flags);
	ERR_clear_error();
	return 0;
}

#ifdef SGW_LIBFUZZER
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (getenv("SGW_FUZZ_STATS") != NULL)
		atexit(fz_summary);
	return 0;
}
#endif
