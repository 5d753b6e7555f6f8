/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DTLS-SRTP server (control/daemon/dtls.c) against OpenSSL's own DTLS
 * client, in memory: the handshake, the profile chosen (GCM when offered,
 * CM otherwise), both ends' exported keys split as RFC 5764 4.2 says, the
 * client's certificate checked against the SDP's fingerprint, a client
 * without use_srtp, lost flights retransmitted, garbage, the deadline,
 * close_notify both ways.
 *
 * The client writes into a memory BIO; its output is cut into records,
 * one datagram each. OpenSSL 3.0 times DTLS retransmissions with the
 * system clock, so the two retransmission cases wait for the timer
 * (200 ms, 30 ms) to expire on that clock before they tick.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "api/suite.h"
#include "control/daemon/dtls.h"
#include "check.h"

#define T0 5000000ull

static struct cert server_cert;
static struct dtls_ctx *ctx;

struct client {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;
	struct cert cert;
	unsigned timer_ms;
	int result; /* 1 done, -1 failed, 0 going on */
};

/* Loss on the way: drop the next n datagrams in that direction. */
struct net {
	unsigned drop_to_client, drop_to_server;
	unsigned to_client, to_server; /* datagrams delivered */
	size_t max_dgram;              /* the largest the server sent */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int accept_any(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return 1; /* the test checks the server's fingerprint itself */
}

static unsigned int client_timer(SSL *ssl, unsigned int previous_us)
{
	struct client *cl = SSL_get_app_data(ssl);

	return previous_us == 0 ? cl->timer_ms * 1000u : previous_us * 2;
}

/* profiles NULL: no use_srtp extension. with_cert false: the client has a
 * certificate (its fingerprint) but does not present it. */
static void client_setup(struct client *cl, const char *profiles, unsigned timer_ms,
			 bool with_cert)
{
	char err[256];

	memset(cl, 0, sizeof(*cl));
	CHECK_EQ(cert_make_self_signed(&cl->cert, "browser", err, sizeof(err)), 0);
	cl->ctx = SSL_CTX_new(DTLS_client_method());
	CHECK(cl->ctx != NULL);
	SSL_CTX_set_verify(cl->ctx, SSL_VERIFY_PEER, accept_any);
	if (with_cert) {
		CHECK(SSL_CTX_use_certificate(cl->ctx, cl->cert.x509) == 1);
		CHECK(SSL_CTX_use_PrivateKey(cl->ctx, cl->cert.key) == 1);
	}
	if (profiles != NULL)
		CHECK(SSL_CTX_set_tlsext_use_srtp(cl->ctx, profiles) == 0);
	cl->ssl = SSL_new(cl->ctx);
	cl->rbio = BIO_new(BIO_s_mem());
	cl->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(cl->rbio, -1);
	SSL_set_bio(cl->ssl, cl->rbio, cl->wbio);
	SSL_set_connect_state(cl->ssl);
	SSL_set_app_data(cl->ssl, cl);
	cl->timer_ms = timer_ms;
	DTLS_set_timer_cb(cl->ssl, client_timer);
	SSL_set_mtu(cl->ssl, 1200);
	SSL_set_options(cl->ssl, SSL_OP_NO_QUERY_MTU);
}

static void client_init(struct client *cl, const char *profiles, unsigned timer_ms)
{
	client_setup(cl, profiles, timer_ms, true);
}

static void client_free(struct client *cl)
{
	SSL_free(cl->ssl);
	SSL_CTX_free(cl->ctx);
	cert_free(&cl->cert);
}

static void client_step(struct client *cl)
{
	uint8_t buf[2048];
	int r;

	if (cl->result != 0)
		return;
	r = SSL_do_handshake(cl->ssl);
	if (r == 1) {
		cl->result = 1;
		return;
	}
	if (SSL_get_error(cl->ssl, r) != SSL_ERROR_WANT_READ)
		cl->result = -1;
	(void)buf;
	ERR_clear_error();
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The client's records to the server, one datagram each. */
static unsigned to_server(struct client *cl, struct dtls_session *s, uint64_t now, struct net *net)
{
	uint8_t buf[32768];
	unsigned moved = 0;
	int n = BIO_read(cl->wbio, buf, sizeof(buf));

	for (int off = 0; n > 0 && off + 13 <= n;) {
		int rl = 13 + rd16(buf + off + 11);

		CHECK(off + rl <= n);
		if (net->drop_to_server > 0) {
			net->drop_to_server--;
		} else {
			int rc = dtls_session_input(s, buf + off, (size_t)rl, now);

			/* the rest of a flight after the server failed is refused */
			CHECK(rc == 0 || (rc == -EPIPE && dtls_session_state(s) == DTLS_FAILED));
			net->to_server++;
		}
		moved++;
		off += rl;
	}
	return moved;
}

static unsigned to_client(struct dtls_session *s, struct client *cl, struct net *net)
{
	uint8_t buf[DTLS_MTU_MAX];
	unsigned moved = 0;
	size_t n;

	while ((n = dtls_session_pop(s, buf, sizeof(buf))) > 0) {
		if (n > net->max_dgram)
			net->max_dgram = n;
		moved++;
		if (net->drop_to_client > 0) {
			net->drop_to_client--;
			continue;
		}
		CHECK(BIO_write(cl->rbio, buf, (int)n) == (int)n);
		net->to_client++;
	}
	return moved;
}

/* Runs both ends until neither moves. */
static void run(struct client *cl, struct dtls_session *s, uint64_t now, struct net *net)
{
	for (int round = 0; round < 50; round++) {
		unsigned moved;

		client_step(cl);
		moved = to_server(cl, s, now, net);
		moved += to_client(s, cl, net);
		if (moved == 0)
			return;
	}
	CHECK(!"the handshake did not settle");
}

static struct dtls_session *session_for(const struct cert *peer, const struct dtls_config *cfg,
					uint64_t now)
{
	const char *err = NULL;
	struct dtls_session *s = dtls_session_new(ctx, &peer->sha256, 1, cfg, now, &err);

	CHECK(s != NULL);
	if (s == NULL)
		fprintf(stderr, "dtls_session_new: %s\n", err);
	return s;
}

/* Both ends agree on the keys, split as RFC 5764 4.2 lays them out. */
static void check_keys(struct client *cl, struct dtls_session *s, enum sgw_suite suite)
{
	const struct sgw_suite_info *si = sgw_suite_info(suite);
	unsigned k = si->key_len, sl = si->salt_len;
	struct dtls_srtp_keys keys;
	uint8_t km[2 * SGW_KEY_MAX], want_in[SGW_KEY_MAX], want_out[SGW_KEY_MAX];

	CHECK(SSL_export_keying_material(cl->ssl, km, 2 * (k + sl), "EXTRACTOR-dtls_srtp", 19,
					 NULL, 0, 0) == 1);
	memcpy(want_in, km, k);                    /* client write key */
	memcpy(want_in + k, km + 2 * k, sl);       /* client write salt */
	memcpy(want_out, km + k, k);               /* server write key */
	memcpy(want_out + k, km + 2 * k + sl, sl); /* server write salt */
	CHECK_EQ(dtls_session_srtp_keys(s, &keys), 0);
	CHECK_EQ(dtls_session_suite(s), suite);
	CHECK_EQ(keys.ingress.suite, suite);
	CHECK_EQ(keys.egress.suite, suite);
	CHECK_EQ(keys.ingress.len, k + sl);
	CHECK_EQ(keys.egress.len, k + sl);
	CHECK_MEM(keys.ingress.material, want_in, k + sl);
	CHECK_MEM(keys.egress.material, want_out, k + sl);
	CHECK(memcmp(want_in, want_out, k + sl) != 0);
}

static void handshake_ok_cfg(const char *profiles, const struct dtls_config *cfg, enum sgw_suite suite,
			     uint16_t profile_id)
{
	struct client cl;
	struct net net = { 0 };
	struct dtls_session *s;
	enum dtls_event_type ev;
	X509 *peer;
	struct cert_fp fp;

	client_init(&cl, profiles, 10000);
	s = session_for(&cl.cert, cfg, T0);
	CHECK_EQ(dtls_session_state(s), DTLS_NEW);
	CHECK(!dtls_session_poll_event(s, &ev));
	CHECK_EQ(dtls_session_srtp_keys(s, &(struct dtls_srtp_keys){ 0 }), -EAGAIN);
	run(&cl, s, T0, &net);
	CHECK_EQ(cl.result, 1);
	CHECK_EQ(dtls_session_state(s), DTLS_CONNECTED);
	CHECK(dtls_session_poll_event(s, &ev) && ev == DTLS_EV_CONNECTED);
	CHECK(!dtls_session_poll_event(s, &ev));
	CHECK_EQ(SSL_version(cl.ssl), DTLS1_2_VERSION);
	CHECK(SSL_get_selected_srtp_profile(cl.ssl) != NULL &&
	      SSL_get_selected_srtp_profile(cl.ssl)->id == profile_id);
	check_keys(&cl, s, suite);
	/* the client sees the certificate whose fingerprint goes in the SDP */
	peer = SSL_get1_peer_certificate(cl.ssl);
	CHECK(peer != NULL && cert_fp_of(peer, CERT_FP_SHA256, &fp) == 0 &&
	      memcmp(fp.md, server_cert.sha256.md, 32) == 0);
	X509_free(peer);
	CHECK(net.max_dgram > 0 && net.max_dgram <= DTLS_MTU);
	CHECK_EQ(dtls_session_counters(s)->refused, 0);
	CHECK_EQ(dtls_session_counters(s)->dgrams_out, net.to_client);
	CHECK_EQ(dtls_session_error(s)[0], '\0');
	dtls_session_free(s);
	client_free(&cl);
}

static void handshake_ok(const char *profiles, enum sgw_suite suite, uint16_t profile_id)
{
	handshake_ok_cfg(profiles, NULL, suite, profile_id);
}

static void gcm_when_offered(void)
{
	/* the client prefers CM; the server's order wins */
	handshake_ok("SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", SGW_SUITE_AEAD_AES_128_GCM, 0x0007);
}

/* A viewer of a camera with a 10-byte tag: CM first, GCM if it is all
 * the client has. */
static void cm_first_when_asked(void)
{
	const struct dtls_config cf = { .cm_first = true };

	handshake_ok_cfg("SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", &cf, SGW_SUITE_AES_CM_128_HMAC_SHA1_80,
			 0x0001);
	handshake_ok_cfg("SRTP_AEAD_AES_128_GCM", &cf, SGW_SUITE_AEAD_AES_128_GCM, 0x0007);
}

static void cm_when_only_cm(void)
{
	handshake_ok("SRTP_AES128_CM_SHA1_80", SGW_SUITE_AES_CM_128_HMAC_SHA1_80, 0x0001);
	handshake_ok("SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80", SGW_SUITE_AES_CM_128_HMAC_SHA1_80,
		     0x0001);
}

static void handshake_fails(const char *profiles, bool wrong_fp, const char *why)
{
	struct client cl;
	struct net net = { 0 };
	struct dtls_session *s;
	struct cert other;
	enum dtls_event_type ev;
	char err[256];
	uint8_t junk[64];

	client_init(&cl, profiles, 10000);
	CHECK_EQ(cert_make_self_signed(&other, "other", err, sizeof(err)), 0);
	s = session_for(wrong_fp ? &other : &cl.cert, NULL, T0);
	run(&cl, s, T0, &net);
	CHECK_EQ(cl.result, -1); /* the client got a fatal alert */
	CHECK_EQ(dtls_session_state(s), DTLS_FAILED);
	CHECK(dtls_session_poll_event(s, &ev) && ev == DTLS_EV_FAILED);
	CHECK(!dtls_session_poll_event(s, &ev));
	CHECK(strstr(dtls_session_error(s), why) != NULL);
	if (strstr(dtls_session_error(s), why) == NULL)
		fprintf(stderr, "error: %s\n", dtls_session_error(s));
	CHECK_EQ(dtls_session_srtp_keys(s, &(struct dtls_srtp_keys){ 0 }), -EAGAIN);
	CHECK_EQ(dtls_session_suite(s), SGW_SUITE_PLAIN);
	CHECK_EQ(dtls_session_next_timeout(s), UINT64_MAX);
	/* nothing more goes in */
	memset(junk, 0, sizeof(junk));
	junk[0] = 22;
	junk[1] = 0xFE;
	junk[12] = 51;
	CHECK_EQ(dtls_session_input(s, junk, sizeof(junk), T0), -EPIPE);
	dtls_session_free(s);
	cert_free(&other);
	client_free(&cl);
}

static void wrong_fingerprint_fails(void)
{
	handshake_fails("SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80", true, "fingerprint");
}

static void no_use_srtp_fails(void)
{
	handshake_fails(NULL, false, "did not offer use_srtp");
}

static void unsupported_profile_fails(void)
{
	handshake_fails("SRTP_AES128_CM_SHA1_32", false, "no SRTP profile");
}

/* A client that sends no certificate has nothing to match the SDP. */
static void no_client_certificate_fails(void)
{
	struct client cl;
	struct net net = { 0 };
	struct dtls_session *s;

	client_setup(&cl, "SRTP_AEAD_AES_128_GCM", 10000, false);
	s = session_for(&cl.cert, NULL, T0);
	run(&cl, s, T0, &net);
	CHECK_EQ(cl.result, -1);
	CHECK_EQ(dtls_session_state(s), DTLS_FAILED);
	CHECK(strstr(dtls_session_error(s), "did not return a certificate") != NULL);
	CHECK_EQ(dtls_session_srtp_keys(s, &(struct dtls_srtp_keys){ 0 }), -EAGAIN);
	dtls_session_free(s);
	client_free(&cl);
}

static int reject_all(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return 0;
}

/* The client refuses our certificate: its fatal alert is the reason. */
static void peer_alert_reported(void)
{
	struct client cl;
	struct net net = { 0 };
	struct dtls_session *s;
	enum dtls_event_type ev;

	client_init(&cl, "SRTP_AEAD_AES_128_GCM", 10000);
	SSL_set_verify(cl.ssl, SSL_VERIFY_PEER, reject_all);
	s = session_for(&cl.cert, NULL, T0);
	run(&cl, s, T0, &net);
	CHECK_EQ(cl.result, -1);
	CHECK_EQ(dtls_session_state(s), DTLS_FAILED);
	CHECK(dtls_session_poll_event(s, &ev) && ev == DTLS_EV_FAILED);
	CHECK(strstr(dtls_session_error(s), "the peer sent a fatal alert") != NULL);
	dtls_session_free(s);
	client_free(&cl);
}

static void wait_until(uint64_t t)
{
	uint64_t now = mono_ms();

	if (t > now) {
		struct timespec ts = { (time_t)((t - now) / 1000), (long)((t - now) % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
}

/* The server's first flight is lost: its timer sends it again. */
static void lost_server_flight(void)
{
	struct dtls_config cfg = { .retransmit_ms = 200 };
	struct client cl;
	struct net net = { .drop_to_client = 100 };
	struct dtls_session *s;
	uint64_t now = mono_ms(), due;
	unsigned lost;

	client_init(&cl, "SRTP_AEAD_AES_128_GCM", 10000); /* the client stays silent */
	s = session_for(&cl.cert, &cfg, now);
	run(&cl, s, now, &net);
	lost = 100 - net.drop_to_client;
	CHECK(lost >= 1);
	CHECK_EQ(net.to_client, 0);
	CHECK_EQ(cl.result, 0);
	CHECK_EQ(dtls_session_state(s), DTLS_HANDSHAKING);
	due = dtls_session_next_timeout(s);
	CHECK(due >= now + 100 && due <= now + 201);
	/* before it is due, nothing */
	dtls_session_tick(s, now);
	CHECK_EQ(dtls_session_pop(s, (uint8_t[DTLS_MTU_MAX]){ 0 }, DTLS_MTU_MAX), 0);
	wait_until(due);
	net.drop_to_client = 0;
	dtls_session_tick(s, mono_ms());
	CHECK_EQ(dtls_session_counters(s)->retransmits, 1);
	run(&cl, s, mono_ms(), &net);
	CHECK_EQ(cl.result, 1);
	CHECK_EQ(dtls_session_state(s), DTLS_CONNECTED);
	check_keys(&cl, s, SGW_SUITE_AEAD_AES_128_GCM);
	dtls_session_free(s);
	client_free(&cl);
}

/* The server's last flight (ChangeCipherSpec, Finished) is lost: the
 * client sends its flight again and the connected server answers it. */
static void lost_final_flight(void)
{
	struct client cl;
	struct net net = { 0 };
	struct dtls_session *s;
	enum dtls_event_type ev;
	uint64_t now = mono_ms();
	int rounds = 0;

	client_init(&cl, "SRTP_AEAD_AES_128_GCM", 30);
	s = session_for(&cl.cert, NULL, now);
	/* ClientHello, then the server's flight, then the client's flight */
	client_step(&cl);
	to_server(&cl, s, now, &net);
	to_client(s, &cl, &net);
	client_step(&cl);
	to_server(&cl, s, now, &net);
	CHECK_EQ(dtls_session_state(s), DTLS_CONNECTED);
	net.drop_to_client = 100;
	to_client(s, &cl, &net);
	CHECK(net.drop_to_client < 100);
	net.drop_to_client = 0;
	client_step(&cl);
	CHECK_EQ(cl.result, 0);
	/* the client's timer (30 ms, system clock) resends its flight */
	while (cl.result == 0 && rounds++ < 100) {
		struct timeval tv;

		if (DTLSv1_get_timeout(cl.ssl, &tv) == 1)
			wait_until(mono_ms() + (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000 + 1);
		DTLSv1_handle_timeout(cl.ssl);
		run(&cl, s, mono_ms(), &net);
	}
	CHECK_EQ(cl.result, 1);
	CHECK(dtls_session_poll_event(s, &ev) && ev == DTLS_EV_CONNECTED);
	CHECK(!dtls_session_poll_event(s, &ev)); /* connected once */
	check_keys(&cl, s, SGW_SUITE_AEAD_AES_128_GCM);
	dtls_session_free(s);
	client_free(&cl);
}

/* Datagrams that are not DTLS records are refused; records the server
 * cannot use are dropped by OpenSSL; the handshake still works. */
static void garbage_refused(void)
{
	struct client cl;
	struct net net = { 0 };
	struct dtls_session *s;
	uint8_t buf[5000];
	uint8_t rec[13 + 40];

	client_init(&cl, "SRTP_AEAD_AES_128_GCM", 10000);
	s = session_for(&cl.cert, NULL, T0);
	memset(buf, 0x01, sizeof(buf));
	CHECK_EQ(dtls_session_input(s, buf, 100, T0), -EINVAL);   /* not a record type */
	CHECK_EQ(dtls_session_input(s, buf, 0, T0), -EINVAL);
	memset(rec, 0xAB, sizeof(rec));
	rec[0] = 22;
	rec[1] = 0x03; /* TLS, not DTLS */
	rec[2] = 0x03;
	rec[11] = 0;
	rec[12] = 40;
	CHECK_EQ(dtls_session_input(s, rec, sizeof(rec), T0), -EINVAL);
	rec[1] = 0xFE;
	rec[2] = 0xFD;
	CHECK_EQ(dtls_session_input(s, rec, sizeof(rec) - 1, T0), -EINVAL); /* truncated */
	memset(buf, 0, sizeof(buf));
	buf[0] = 23;
	buf[1] = 0xFE;
	buf[11] = 0x13;
	buf[12] = 0x7B; /* 4987 bytes of one record: over DTLS_MAX_DATAGRAM */
	CHECK_EQ(dtls_session_input(s, buf, sizeof(buf), T0), -EINVAL);
	CHECK_EQ(dtls_session_counters(s)->refused, 5);
	CHECK_EQ(dtls_session_state(s), DTLS_NEW);

	run(&cl, s, T0, &net);
	CHECK_EQ(cl.result, 1);
	CHECK_EQ(dtls_session_state(s), DTLS_CONNECTED);

	/* after the handshake: well-framed junk of every record type, of the
	 * current epoch and of epoch 0, is dropped and changes nothing */
	for (uint8_t type = 20; type <= 23; type++) {
		for (uint8_t epoch = 0; epoch <= 1; epoch++) {
			memset(rec, 0x5A ^ type, sizeof(rec));
			rec[0] = type;
			rec[1] = 0xFE;
			rec[2] = 0xFD;
			rec[3] = 0;
			rec[4] = epoch;
			rec[11] = 0;
			rec[12] = 40;
			CHECK_EQ(dtls_session_input(s, rec, sizeof(rec), T0), 0);
			CHECK_EQ(dtls_session_state(s), DTLS_CONNECTED);
		}
	}
	check_keys(&cl, s, SGW_SUITE_AEAD_AES_128_GCM);
	/* application data (a data channel) is read and dropped */
	CHECK(SSL_write(cl.ssl, "sctp?", 5) == 5);
	to_server(&cl, s, T0, &net);
	CHECK_EQ(dtls_session_counters(s)->app_data_dropped, 1);
	CHECK_EQ(dtls_session_state(s), DTLS_CONNECTED);
	dtls_session_free(s);
	client_free(&cl);
}

/* A handshake that does not finish in time fails, on the caller's clock. */
static void handshake_deadline(void)
{
	struct dtls_config cfg = { .handshake_ms = 1000 };
	struct client cl;
	struct net net = { .drop_to_client = 100 };
	struct dtls_session *s, *s2;
	enum dtls_event_type ev;

	client_init(&cl, "SRTP_AEAD_AES_128_GCM", 10000);
	s = session_for(&cl.cert, &cfg, T0);
	CHECK_EQ(dtls_session_next_timeout(s), T0 + 1000);
	dtls_session_tick(s, T0 + 999);
	CHECK_EQ(dtls_session_state(s), DTLS_NEW);
	dtls_session_tick(s, T0 + 1000);
	CHECK_EQ(dtls_session_state(s), DTLS_FAILED);
	CHECK(dtls_session_poll_event(s, &ev) && ev == DTLS_EV_FAILED);
	CHECK(strstr(dtls_session_error(s), "did not finish in time") != NULL);
	CHECK_EQ(dtls_session_next_timeout(s), UINT64_MAX);

	/* and mid-handshake */
	s2 = session_for(&cl.cert, &cfg, T0);
	run(&cl, s2, T0 + 10, &net);
	CHECK_EQ(dtls_session_state(s2), DTLS_HANDSHAKING);
	CHECK(dtls_session_next_timeout(s2) <= T0 + 1000);
	dtls_session_tick(s2, T0 + 1000);
	CHECK_EQ(dtls_session_state(s2), DTLS_FAILED);
	dtls_session_free(s);
	dtls_session_free(s2);
	client_free(&cl);
}

static void close_notify_both_ways(void)
{
	struct client cl, cl2;
	struct net net = { 0 };
	struct dtls_session *s;
	enum dtls_event_type ev;
	uint8_t buf[64];

	/* the peer closes: we answer and report it */
	client_init(&cl, "SRTP_AEAD_AES_128_GCM", 10000);
	s = session_for(&cl.cert, NULL, T0);
	run(&cl, s, T0, &net);
	CHECK(dtls_session_poll_event(s, &ev) && ev == DTLS_EV_CONNECTED);
	CHECK_EQ(SSL_shutdown(cl.ssl), 0);
	to_server(&cl, s, T0, &net);
	CHECK_EQ(dtls_session_state(s), DTLS_CLOSED);
	CHECK(dtls_session_poll_event(s, &ev) && ev == DTLS_EV_CLOSED);
	CHECK_EQ(dtls_session_srtp_keys(s, &(struct dtls_srtp_keys){ 0 }), -EAGAIN);
	to_client(s, &cl, &net);
	CHECK_EQ(SSL_shutdown(cl.ssl), 1); /* our close_notify arrived */
	dtls_session_free(s);
	client_free(&cl);

	/* we close: the peer reads close_notify */
	client_init(&cl2, "SRTP_AEAD_AES_128_GCM", 10000);
	s = session_for(&cl2.cert, NULL, T0);
	run(&cl2, s, T0, &net);
	CHECK_EQ(dtls_session_state(s), DTLS_CONNECTED);
	dtls_session_close(s);
	CHECK_EQ(dtls_session_state(s), DTLS_CLOSED);
	CHECK(to_client(s, &cl2, &net) == 1);
	CHECK_EQ(SSL_read(cl2.ssl, buf, sizeof(buf)), 0);
	CHECK_EQ(SSL_get_error(cl2.ssl, 0), SSL_ERROR_ZERO_RETURN);
	CHECK_EQ(dtls_session_input(s, buf, 20, T0), -EPIPE);
	dtls_session_free(s);
	client_free(&cl2);
}

static void session_arguments(void)
{
	const char *err = NULL;
	struct cert_fp fps[DTLS_MAX_FPS + 1];
	struct dtls_config cfg = { .mtu = DTLS_MTU_MAX + 1 };

	for (unsigned i = 0; i <= DTLS_MAX_FPS; i++)
		fps[i] = server_cert.sha256;
	CHECK(dtls_session_new(ctx, fps, 0, NULL, T0, &err) == NULL && err != NULL);
	CHECK(dtls_session_new(ctx, fps, DTLS_MAX_FPS + 1, NULL, T0, &err) == NULL);
	CHECK(dtls_session_new(ctx, fps, 1, &cfg, T0, &err) == NULL);
	fps[0].alg = CERT_FP_NONE;
	CHECK(dtls_session_new(ctx, fps, 1, NULL, T0, &err) == NULL);
	CHECK(strcmp(dtls_state_name(DTLS_CONNECTED), "connected") == 0);
	dtls_session_free(NULL);
}

/* Sessions keep their context: freed before them, it goes with the last. */
static void context_outlives(void)
{
	char err[256];
	struct dtls_ctx *c = dtls_ctx_new(server_cert.x509, server_cert.key, err, sizeof(err));
	struct dtls_ctx *saved = ctx;
	struct client cl;
	struct net net = { 0 };
	struct dtls_session *s;

	CHECK(c != NULL);
	client_init(&cl, "SRTP_AES128_CM_SHA1_80", 10000);
	ctx = c;
	s = session_for(&cl.cert, NULL, T0);
	ctx = saved;
	dtls_ctx_free(c);
	run(&cl, s, T0, &net);
	CHECK_EQ(cl.result, 1);
	check_keys(&cl, s, SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	dtls_session_free(s); /* frees the context (ASan: no leak) */
	client_free(&cl);
}

int main(void)
{
	char err[256];

	if (cert_make_self_signed(&server_cert, "srtpgw", err, sizeof(err)) != 0 ||
	    (ctx = dtls_ctx_new(server_cert.x509, server_cert.key, err, sizeof(err))) == NULL) {
		fprintf(stderr, "set-up: %s\n", err);
		return 1;
	}
	RUN(cm_first_when_asked);
	RUN(gcm_when_offered);
	RUN(cm_when_only_cm);
	RUN(wrong_fingerprint_fails);
	RUN(no_use_srtp_fails);
	RUN(unsupported_profile_fails);
	RUN(no_client_certificate_fails);
	RUN(peer_alert_reported);
	RUN(lost_server_flight);
	RUN(lost_final_flight);
	RUN(garbage_refused);
	RUN(handshake_deadline);
	RUN(close_notify_both_ways);
	RUN(session_arguments);
	RUN(context_outlives);
	dtls_ctx_free(ctx);
	cert_free(&server_cert);
	return CHECK_DONE();
}
