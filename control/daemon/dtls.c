/* SPDX-License-Identifier: BSD-3-Clause */
/* DTLS-SRTP server of one session (dtls.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include "api/suite.h"
#include "control/daemon/dtls.h"

/* RFC 5764 4.1.2 profile ids, and the order we prefer them in. */
#define SRTP_ID_AES128_CM_SHA1_80 0x0001
#define SRTP_ID_AEAD_AES_128_GCM 0x0007
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define SRTP_PROFILES_CM_FIRST "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM"
#define SRTP_EXPORTER "EXTRACTOR-dtls_srtp"
/* ECDHE with ECDSA (our key), AEAD first; the CBC ones for older peers. */
#define DTLS_CIPHERS                                                                   \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                 \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"
#define DTLS_RECORD_HEADER 13
#define MAX_EVENTS 4

struct dtls_ctx {
	SSL_CTX *ssl_ctx;
	BIO_METHOD *bio_method; /* the datagram BIO of sessions */
	unsigned refs;          /* the creator's and one per session */
};

struct dgram {
	uint16_t len;
	uint8_t data[DTLS_MTU_MAX];
};

struct dtls_session {
	struct dtls_ctx *ctx;
	SSL *ssl;
	enum dtls_state state;
	struct cert_fp fps[DTLS_MAX_FPS];
	unsigned n_fps;
	uint16_t mtu;
	uint32_t retransmit_ms;
	uint64_t deadline_ms; /* the handshake's */
	uint64_t timer_ms;    /* the next retransmission, UINT64_MAX: none */
	char error[160];
	const char *refusal;  /* set by our callbacks: why the handshake fails */
	char alert[96];       /* the fatal alert the peer sent, if any */
	/* input: the datagram OpenSSL may read now */
	const uint8_t *in;
	size_t in_len;
	/* output: datagrams to send; the newest may still grow (open) */
	struct dgram out[DTLS_OUT_MAX];
	unsigned out_head, out_count;
	bool out_open;
	enum dtls_event_type events[MAX_EVENTS];
	unsigned n_events;
	enum sgw_suite suite;
	struct dtls_srtp_keys keys;
	struct dtls_counters counters;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- the datagram BIO ---------------------------------------------------
 * OpenSSL's memory BIO is a byte stream: DTLS needs each write to stay a
 * datagram. Writes go to the session's queue (records of one flight share a
 * datagram up to the MTU; a flush ends it); a read returns the datagram
 * being input, once. */

static void out_close(struct dtls_session *s)
{
	s->out_open = false;
}

static int bio_write(BIO *b, const char *data, size_t len, size_t *written)
{
	struct dtls_session *s = BIO_get_data(b);
	struct dgram *d;

	*written = len; /* what does not fit is lost, as on a network */
	if (len > s->mtu) {
		s->counters.out_dropped++;
		return 1;
	}
	if (s->out_open) {
		d = &s->out[(s->out_head + s->out_count - 1) % DTLS_OUT_MAX];
		if (d->len + len <= s->mtu) {
			memcpy(d->data + d->len, data, len);
			d->len = (uint16_t)(d->len + len);
			return 1;
		}
	}
	if (s->out_count == DTLS_OUT_MAX) {
		s->out_open = false;
		s->counters.out_dropped++;
		return 1;
	}
	d = &s->out[(s->out_head + s->out_count++) % DTLS_OUT_MAX];
	memcpy(d->data, data, len);
	d->len = (uint16_t)len;
	s->out_open = true;
	return 1;
}

static int bio_read(BIO *b, char *buf, size_t size, size_t *readbytes)
{
	struct dtls_session *s = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (s->in == NULL) {
		BIO_set_retry_read(b);
		*readbytes = 0;
		return 0;
	}
	/* DTLS reads a whole datagram at once; a shorter buffer truncates it */
	*readbytes = s->in_len < size ? s->in_len : size;
	memcpy(buf, s->in, *readbytes);
	s->in = NULL;
	return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct dtls_session *s = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		out_close(s);
		return 1;
	case BIO_CTRL_PENDING:
		return s->in != NULL ? (long)s->in_len : 0;
	case BIO_CTRL_WPENDING:
		return 0;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return s->mtu;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 0; /* the MTU is the UDP payload's */
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static int bio_destroy(BIO *b)
{
	BIO_set_data(b, NULL);
	return 1;
}

/* ---- callbacks ---------------------------------------------------------- */

/* Before the ServerHello: the ClientHello must offer use_srtp with a
 * profile we support (else OpenSSL would finish a handshake without one). */
static int client_hello_cb(SSL *ssl, int *al, void *arg)
{
	struct dtls_session *s = SSL_get_app_data(ssl);
	const unsigned char *ext;
	size_t len, plen;
	bool ours = false;

	(void)arg;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_use_srtp, &ext, &len) != 1) {
		s->refusal = "the client did not offer use_srtp (RFC 5764)";
		*al = SSL_AD_HANDSHAKE_FAILURE;
		return SSL_CLIENT_HELLO_ERROR;
	}
	/* profiles<2..2^16-1> (2 bytes each), srtp_mki<0..255> */
	plen = len >= 2 ? rd16(ext) : 1;
	if (plen % 2 != 0 || plen == 0 || len < 2 + plen + 1 || len != 2 + plen + 1 + ext[2 + plen]) {
		s->refusal = "malformed use_srtp extension";
		*al = SSL_AD_DECODE_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	for (size_t i = 0; i < plen; i += 2) {
		uint16_t id = rd16(ext + 2 + i);

		ours |= id == SRTP_ID_AEAD_AES_128_GCM || id == SRTP_ID_AES128_CM_SHA1_80;
	}
	if (!ours) {
		s->refusal = "the client offers no SRTP profile srtpgw supports "
			     "(AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80)";
		*al = SSL_AD_HANDSHAKE_FAILURE;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* The client's certificate is trusted for its fingerprint alone (RFC 5763
 * 5): self-signed, no chain, no dates. */
static int verify_cb(X509_STORE_CTX *store, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_session *s = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	X509 *peer = X509_STORE_CTX_get0_cert(store);

	(void)arg;
	if (s != NULL && peer != NULL && cert_fp_match(peer, s->fps, s->n_fps))
		return 1;
	if (s != NULL)
		s->refusal = "the client's certificate does not match the SDP's fingerprint";
	X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
	return 0;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
	struct dtls_session *s = SSL_get_app_data(ssl);

	/* SSL_CB_READ_ALERT and SSL_CB_WRITE_ALERT share SSL_CB_ALERT's bit */
	if ((where & SSL_CB_ALERT) && (where & SSL_CB_READ) && (ret >> 8) == SSL3_AL_FATAL &&
	    s->alert[0] == '\0')
		snprintf(s->alert, sizeof(s->alert), "the peer sent a fatal alert: %s",
			 SSL_alert_desc_string_long(ret));
}

/* The retransmission timer's durations (µs): ours, doubling, capped. */
static unsigned int timer_cb(SSL *ssl, unsigned int previous_us)
{
	struct dtls_session *s = SSL_get_app_data(ssl);
	uint64_t next;

	if (previous_us == 0)
		return s->retransmit_ms * 1000u;
	s->counters.retransmits++;
	next = (uint64_t)previous_us * 2;
	return next > DTLS_RETRANSMIT_MAX_MS * 1000u ? DTLS_RETRANSMIT_MAX_MS * 1000u
						     : (unsigned int)next;
}

/* ---- context ------------------------------------------------------------ */

static void ssl_error(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160];

	ERR_clear_error();
	if (e == 0) {
		snprintf(err, errlen, "%s", what);
		return;
	}
	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s: %s", what, buf);
}

struct dtls_ctx *dtls_ctx_new(X509 *cert, EVP_PKEY *key, char *err, size_t errlen)
{
	struct dtls_ctx *c = calloc(1, sizeof(*c));
	SSL_CTX *ctx;
	BIO_METHOD *m;
	int idx;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->refs = 1;
	c->ssl_ctx = ctx = SSL_CTX_new(DTLS_server_method());
	if (ctx == NULL) {
		ssl_error(err, errlen, "cannot make a DTLS context");
		goto fail;
	}
	SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify_cb, NULL);
	SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, NULL);
	/* returns 0 on success, unlike the rest of OpenSSL */
	if (SSL_CTX_set_tlsext_use_srtp(ctx, SRTP_PROFILES) != 0 ||
	    SSL_CTX_set_cipher_list(ctx, DTLS_CIPHERS) != 1) {
		ssl_error(err, errlen, "cannot configure the DTLS context");
		goto fail;
	}
	if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ssl_error(err, errlen, "cannot use the DTLS certificate and key");
		goto fail;
	}
	idx = BIO_get_new_index();
	m = c->bio_method = idx > 0 ? BIO_meth_new(idx | BIO_TYPE_SOURCE_SINK, "srtpgw dtls") : NULL;
	if (m == NULL || BIO_meth_set_write_ex(m, bio_write) != 1 ||
	    BIO_meth_set_read_ex(m, bio_read) != 1 || BIO_meth_set_ctrl(m, bio_ctrl) != 1 ||
	    BIO_meth_set_create(m, bio_create) != 1 || BIO_meth_set_destroy(m, bio_destroy) != 1) {
		ssl_error(err, errlen, "cannot make the DTLS datagram BIO");
		goto fail;
	}
	return c;
fail:
	c->refs = 1;
	dtls_ctx_free(c);
	return NULL;
}

void dtls_ctx_free(struct dtls_ctx *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	SSL_CTX_free(c->ssl_ctx);
	BIO_meth_free(c->bio_method);
	free(c);
}

/* ---- session ------------------------------------------------------------ */

static void push_event(struct dtls_session *s, enum dtls_event_type ev)
{
	if (s->n_events < MAX_EVENTS) /* each kind happens once: never full */
		s->events[s->n_events++] = ev;
}

/* OpenSSL's time left on its timer, on the caller's clock. */
static void update_timer(struct dtls_session *s, uint64_t now_ms)
{
	struct timeval tv;

	s->timer_ms = UINT64_MAX;
	if (s->state != DTLS_HANDSHAKING && s->state != DTLS_CONNECTED)
		return;
	if (DTLSv1_get_timeout(s->ssl, &tv) == 1)
		s->timer_ms = now_ms + (uint64_t)tv.tv_sec * 1000 + ((uint64_t)tv.tv_usec + 999) / 1000;
}

static void fail(struct dtls_session *s, const char *why)
{
	unsigned long e = ERR_peek_error();
	char buf[120];

	if (s->state == DTLS_FAILED || s->state == DTLS_CLOSED)
		return;
	if (why == NULL)
		why = s->refusal;
	if (why == NULL && s->alert[0] != '\0')
		why = s->alert;
	if (why == NULL && e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		why = buf;
	}
	snprintf(s->error, sizeof(s->error), "%s", why != NULL ? why : "DTLS failed");
	ERR_clear_error();
	s->state = DTLS_FAILED;
	s->timer_ms = UINT64_MAX;
	OPENSSL_cleanse(&s->keys, sizeof(s->keys));
	push_event(s, DTLS_EV_FAILED);
}

/* The keys of the negotiated profile (RFC 5764 4.2): client key, server
 * key, client salt, server salt. */
static int export_keys(struct dtls_session *s)
{
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(s->ssl);
	const struct sgw_suite_info *si;
	uint8_t km[2 * SGW_KEY_MAX];
	enum sgw_suite suite;
	unsigned k, n;
	int rc = -1;

	if (p == NULL)
		return -1;
	if (p->id == SRTP_ID_AEAD_AES_128_GCM)
		suite = SGW_SUITE_AEAD_AES_128_GCM;
	else if (p->id == SRTP_ID_AES128_CM_SHA1_80)
		suite = SGW_SUITE_AES_CM_128_HMAC_SHA1_80;
	else
		return -1;
	si = sgw_suite_info(suite);
	k = si->key_len;
	n = si->key_len + si->salt_len;
	if (SSL_export_keying_material(s->ssl, km, 2 * n, SRTP_EXPORTER, strlen(SRTP_EXPORTER),
				       NULL, 0, 0) == 1) {
		s->keys.ingress.suite = s->keys.egress.suite = (uint8_t)suite;
		s->keys.ingress.len = s->keys.egress.len = (uint8_t)n;
		memcpy(s->keys.ingress.material, km, k);
		memcpy(s->keys.ingress.material + k, km + 2 * k, si->salt_len);
		memcpy(s->keys.egress.material, km + k, k);
		memcpy(s->keys.egress.material + k, km + 2 * k + si->salt_len, si->salt_len);
		s->suite = suite;
		rc = 0;
	}
	OPENSSL_cleanse(km, sizeof(km));
	return rc;
}

/* Application data, close_notify and alerts once connected. */
static void read_connected(struct dtls_session *s)
{
	uint8_t buf[2048];
	int r;

	for (;;) {
		r = SSL_read(s->ssl, buf, sizeof(buf));
		if (r > 0) {
			s->counters.app_data_dropped++;
			continue;
		}
		switch (SSL_get_error(s->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			ERR_clear_error();
			return;
		case SSL_ERROR_ZERO_RETURN:
			SSL_shutdown(s->ssl); /* our close_notify back */
			ERR_clear_error();
			s->state = DTLS_CLOSED;
			s->timer_ms = UINT64_MAX;
			OPENSSL_cleanse(&s->keys, sizeof(s->keys));
			push_event(s, DTLS_EV_CLOSED);
			return;
		default:
			fail(s, NULL);
			return;
		}
	}
}

/* Lets OpenSSL go on with what it has. */
static void drive(struct dtls_session *s)
{
	int r;

	if (s->state == DTLS_HANDSHAKING) {
		r = SSL_do_handshake(s->ssl);
		if (r != 1) {
			if (SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_READ)
				fail(s, NULL);
			ERR_clear_error();
			return;
		}
		if (export_keys(s) != 0) {
			fail(s, "no SRTP profile was negotiated");
			return;
		}
		s->state = DTLS_CONNECTED;
		push_event(s, DTLS_EV_CONNECTED);
	}
	if (s->state == DTLS_CONNECTED)
		read_connected(s);
}

struct dtls_session *dtls_session_new(struct dtls_ctx *c, const struct cert_fp *fps, unsigned n,
				      const struct dtls_config *cfg, uint64_t now_ms,
				      const char **err)
{
	struct dtls_session *s;
	uint32_t hs_ms;
	BIO *rbio, *wbio;

	if (n == 0 || n > DTLS_MAX_FPS) {
		*err = "a DTLS session needs 1 to 4 fingerprints of the peer's certificate";
		return NULL;
	}
	for (unsigned i = 0; i < n; i++) {
		if (fps[i].alg == CERT_FP_NONE || fps[i].len == 0 || fps[i].len > CERT_FP_MAX) {
			*err = "invalid fingerprint";
			return NULL;
		}
	}
	if (cfg != NULL && cfg->mtu > DTLS_MTU_MAX) {
		*err = "DTLS MTU over 1500";
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		*err = "out of memory";
		return NULL;
	}
	memcpy(s->fps, fps, n * sizeof(*fps));
	s->n_fps = n;
	s->mtu = cfg != NULL && cfg->mtu != 0 ? cfg->mtu : DTLS_MTU;
	s->retransmit_ms = cfg != NULL && cfg->retransmit_ms != 0 ? cfg->retransmit_ms
								   : DTLS_RETRANSMIT_MS;
	hs_ms = cfg != NULL && cfg->handshake_ms != 0 ? cfg->handshake_ms : DTLS_HANDSHAKE_MS;
	s->deadline_ms = now_ms + hs_ms;
	s->timer_ms = UINT64_MAX;
	s->state = DTLS_NEW;
	s->suite = SGW_SUITE_PLAIN;

	s->ssl = SSL_new(c->ssl_ctx);
	rbio = BIO_new(c->bio_method);
	wbio = BIO_new(c->bio_method);
	if (s->ssl == NULL || rbio == NULL || wbio == NULL) {
		BIO_free(rbio);
		BIO_free(wbio);
		SSL_free(s->ssl);
		free(s);
		ERR_clear_error();
		*err = "cannot make a DTLS session";
		return NULL;
	}
	BIO_set_data(rbio, s);
	BIO_set_data(wbio, s);
	SSL_set_bio(s->ssl, rbio, wbio);
	SSL_set_app_data(s->ssl, s);
	SSL_set_info_callback(s->ssl, info_cb);
	DTLS_set_timer_cb(s->ssl, timer_cb);
	SSL_set_accept_state(s->ssl);
	/* 0 is success here */
	if (cfg != NULL && cfg->cm_first && SSL_set_tlsext_use_srtp(s->ssl, SRTP_PROFILES_CM_FIRST) != 0) {
		SSL_free(s->ssl);
		free(s);
		ERR_clear_error();
		*err = "cannot set the SRTP profiles";
		return NULL;
	}
	/* OpenSSL 3.0 answers the MTU it took, 0 if too small */
	if (SSL_set_mtu(s->ssl, s->mtu) <= 0) {
		SSL_free(s->ssl);
		free(s);
		ERR_clear_error();
		*err = "cannot set the DTLS MTU";
		return NULL;
	}
	s->ctx = c;
	c->refs++;
	return s;
}

void dtls_session_free(struct dtls_session *s)
{
	struct dtls_ctx *c;

	if (s == NULL)
		return;
	c = s->ctx;
	SSL_free(s->ssl); /* OpenSSL cleanses its own secrets */
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	dtls_ctx_free(c);
}

/* Each record of the datagram has a DTLS header (RFC 6347 4.1: type
 * change_cipher_spec..application_data, version 254.x, a length that fits). */
static bool records_ok(const uint8_t *d, size_t len)
{
	if (len == 0)
		return false;
	while (len > 0) {
		size_t rl;

		if (len < DTLS_RECORD_HEADER || d[0] < 20 || d[0] > 23 || d[1] != 0xFE)
			return false;
		rl = rd16(d + 11);
		if (rl > len - DTLS_RECORD_HEADER)
			return false;
		d += DTLS_RECORD_HEADER + rl;
		len -= DTLS_RECORD_HEADER + rl;
	}
	return true;
}

int dtls_session_input(struct dtls_session *s, const uint8_t *dgram, size_t len,
		       uint64_t now_ms)
{
	s->counters.dgrams_in++;
	if (s->state == DTLS_FAILED || s->state == DTLS_CLOSED) {
		s->counters.refused++;
		return -EPIPE;
	}
	if (len > DTLS_MAX_DATAGRAM || !records_ok(dgram, len)) {
		s->counters.refused++;
		return -EINVAL;
	}
	if (s->state == DTLS_NEW)
		s->state = DTLS_HANDSHAKING;
	s->in = dgram;
	s->in_len = len;
	drive(s);
	s->in = NULL;
	out_close(s);
	if (s->state == DTLS_HANDSHAKING && now_ms >= s->deadline_ms)
		fail(s, "the DTLS handshake did not finish in time");
	update_timer(s, now_ms);
	return 0;
}

void dtls_session_tick(struct dtls_session *s, uint64_t now_ms)
{
	if (s->state == DTLS_FAILED || s->state == DTLS_CLOSED)
		return;
	if (s->state != DTLS_CONNECTED && now_ms >= s->deadline_ms) {
		fail(s, "the DTLS handshake did not finish in time");
		return;
	}
	if (now_ms >= s->timer_ms) {
		if (DTLSv1_handle_timeout(s->ssl) < 0)
			fail(s, "DTLS retransmissions exhausted");
		ERR_clear_error();
		out_close(s);
	}
	update_timer(s, now_ms);
}

uint64_t dtls_session_next_timeout(const struct dtls_session *s)
{
	uint64_t t = s->timer_ms;

	if ((s->state == DTLS_NEW || s->state == DTLS_HANDSHAKING) && s->deadline_ms < t)
		t = s->deadline_ms;
	return t;
}

void dtls_session_close(struct dtls_session *s)
{
	if (s->state == DTLS_CONNECTED) {
		SSL_shutdown(s->ssl);
		ERR_clear_error();
		out_close(s);
	}
	if (s->state != DTLS_FAILED)
		s->state = DTLS_CLOSED;
	s->timer_ms = UINT64_MAX;
	OPENSSL_cleanse(&s->keys, sizeof(s->keys));
}

size_t dtls_session_pop(struct dtls_session *s, uint8_t *buf, size_t cap)
{
	struct dgram *d;
	size_t n;

	if (s->out_count == 0)
		return 0;
	if (s->out_count == 1)
		s->out_open = false;
	d = &s->out[s->out_head];
	s->out_head = (s->out_head + 1) % DTLS_OUT_MAX;
	s->out_count--;
	if (d->len > cap) {
		s->counters.out_dropped++;
		return 0;
	}
	n = d->len;
	memcpy(buf, d->data, n);
	s->counters.dgrams_out++;
	return n;
}

bool dtls_session_poll_event(struct dtls_session *s, enum dtls_event_type *ev)
{
	if (s->n_events == 0)
		return false;
	*ev = s->events[0];
	memmove(s->events, s->events + 1, --s->n_events * sizeof(s->events[0]));
	return true;
}

enum dtls_state dtls_session_state(const struct dtls_session *s)
{
	return s->state;
}

const char *dtls_session_error(const struct dtls_session *s)
{
	return s->error;
}

int dtls_session_srtp_keys(const struct dtls_session *s, struct dtls_srtp_keys *out)
{
	if (s->state != DTLS_CONNECTED)
		return -EAGAIN;
	*out = s->keys;
	return 0;
}

enum sgw_suite dtls_session_suite(const struct dtls_session *s)
{
	return s->suite;
}

const struct dtls_counters *dtls_session_counters(const struct dtls_session *s)
{
	return &s->counters;
}

const char *dtls_state_name(enum dtls_state s)
{
	switch (s) {
	case DTLS_NEW:
		return "new";
	case DTLS_HANDSHAKING:
		return "handshaking";
	case DTLS_CONNECTED:
		return "connected";
	case DTLS_FAILED:
		return "failed";
	case DTLS_CLOSED:
		return "closed";
	}
	return "?";
}
