/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Remote administration: the control protocol over TCP with mutual TLS
 * (docs/control.md, "Remote administration"). TLS 1.3 only; a client must
 * present a certificate that tls_ca issued; its subject maps to a
 * principal (principals in control.conf). There is no plain TCP.
 *
 * The daemon has one thread: connections are non-blocking and driven by
 * its poll() loop (server.c). Each SSL call that cannot go on says what it
 * waits for (WANT_READ, WANT_WRITE) and the connection is polled for that.
 * A handshake must end within TLS_HANDSHAKE_MS; an open connection that
 * sends no complete request for TLS_IDLE_MS is closed; at most
 * CTL_TLS_MAX_CONNS at once (more are closed at accept). A connection
 * reads no further request while its reply is being sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "api/addr.h"
#include "api/log.h"
#include "control/daemon/auth.h"
#include "control/daemon/daemon.h"
#include "control/daemon/serve.h"

#define TLS_HANDSHAKE_MS 10000
#define TLS_IDLE_MS 60000

struct tls_conn {
	int fd;                /* -1: a free slot */
	SSL *ssl;
	bool open;             /* handshake done */
	bool want_write;       /* the last SSL call waits to write */
	bool close_after;      /* close once out is sent */
	uint64_t deadline_ms;  /* end of the handshake, or of idleness */
	char addr[SGW_ADDR_STRLEN + 8];
	struct ctl_peer peer;
	char *in;              /* CTL_LINE_MAX + 1 */
	size_t in_len;
	char *out;             /* a reply being sent */
	size_t out_len, out_off;
};

struct ctl_tls {
	SSL_CTX *ctx;
	int fd;
	const struct ctl_config *cfg;
	struct tls_conn conns[CTL_TLS_MAX_CONNS];
};

/* OpenSSL's first queued error as text (the queue emptied). */
static const char *ssl_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (e == 0)
		return "unknown error";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

static int load_ctx(struct ctl_tls *t, const struct ctl_config *cfg, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) *names;
	struct stat st;

	const char *const files[][2] = { { "tls_cert", cfg->tls_cert }, { "tls_ca", cfg->tls_ca } };

	for (unsigned i = 0; i < 2; i++) {
		if (access(files[i][1], R_OK) != 0) {
			snprintf(err, errlen, "%s %s: %s", files[i][0], files[i][1], strerror(errno));
			return -1;
		}
	}
	/* like the key-encryption key: the daemon's TLS key is its alone */
	if (stat(cfg->tls_key, &st) != 0) {
		snprintf(err, errlen, "tls_key %s: %s", cfg->tls_key, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "tls_key %s has mode %04o: group or others may access it; it must be 0600 or "
			 "stricter", cfg->tls_key, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (t->ctx == NULL || SSL_CTX_set_min_proto_version(t->ctx, TLS1_3_VERSION) != 1) {
		snprintf(err, errlen, "TLS: %s", ssl_error());
		return -1;
	}
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cfg->tls_cert) != 1) {
		snprintf(err, errlen, "tls_cert %s: %s", cfg->tls_cert, ssl_error());
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH || ERR_peek_error() == 0)
			snprintf(err, errlen, "tls_key %s is not the key of tls_cert %s", cfg->tls_key, cfg->tls_cert);
		else
			snprintf(err, errlen, "tls_key %s: %s", cfg->tls_key, ssl_error());
		return -1;
	}
	if (SSL_CTX_load_verify_locations(t->ctx, cfg->tls_ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(cfg->tls_ca)) == NULL) {
		snprintf(err, errlen, "tls_ca %s: no CA certificate in it (%s)", cfg->tls_ca, ssl_error());
		return -1;
	}
	SSL_CTX_set_client_CA_list(t->ctx, names);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_purpose(t->ctx, X509_PURPOSE_SSL_CLIENT);
	/* every connection authenticates in full: no resumption */
	SSL_CTX_set_num_tickets(t->ctx, 0);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
	/* the chain is tls_cert's: tls_ca is whom clients' certificates come
	 * from, not where ours does */
	SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			 SSL_MODE_NO_AUTO_CHAIN);
	return 0;
}

static int listen_tcp(struct ctl_tls *t, const struct sgw_endpoint *ep, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	char text[SGW_ADDR_STRLEN + 8];
	int one = 1;

	if (ep->addr.family == SGW_AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ep->port);
		memcpy(&s4->sin_addr, ep->addr.a, 4);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ep->port);
		memcpy(&s6->sin6_addr, ep->addr.a, 16);
		len = sizeof(*s6);
	}
	t->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0 || setsockopt(t->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(t->fd, (struct sockaddr *)&ss, len) != 0 || listen(t->fd, 16) != 0) {
		snprintf(err, errlen, "tls_listen %s: %s", sgw_endpoint_format(ep, text, sizeof(text)),
			 strerror(errno));
		return -1;
	}
	return 0;
}

struct ctl_tls *ctl_tls_open(const struct ctl_config *cfg, char *err, size_t errlen)
{
	struct ctl_tls *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->fd = -1;
	t->cfg = cfg;
	for (int i = 0; i < CTL_TLS_MAX_CONNS; i++)
		t->conns[i].fd = -1;
	if (load_ctx(t, cfg, err, errlen) != 0 || listen_tcp(t, &cfg->tls_listen, err, errlen) != 0) {
		ctl_tls_close(t);
		return NULL;
	}
	return t;
}

static void conn_close(struct tls_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->open)
		SSL_shutdown(c->ssl); /* one close_notify, not waiting for the peer's */
	SSL_free(c->ssl);
	close(c->fd);
	if (c->in != NULL) {
		OPENSSL_cleanse(c->in, CTL_LINE_MAX + 1); /* requests may carry keys and tokens */
		free(c->in);
	}
	ctl_reply_free(c->out, c->out_len);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctl_tls_close(struct ctl_tls *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < CTL_TLS_MAX_CONNS; i++)
		conn_close(&t->conns[i]);
	if (t->fd >= 0)
		close(t->fd);
	SSL_CTX_free(t->ctx);
	free(t);
}

static void peer_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	}
}

static void accept_conn(struct ctl_tls *t, uint64_t now_ms)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct tls_conn *c = NULL;
	char addr[sizeof(c->addr)];
	int fd = accept4(t->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	peer_addr(&ss, addr, sizeof(addr));
	for (int i = 0; i < CTL_TLS_MAX_CONNS && c == NULL; i++)
		if (t->conns[i].fd < 0)
			c = &t->conns[i];
	if (c == NULL) {
		sgw_log(LOG_WARNING, "TLS: %d connections already open; closing %s", CTL_TLS_MAX_CONNS, addr);
		close(fd);
		return;
	}
	c->ssl = SSL_new(t->ctx);
	c->in = malloc(CTL_LINE_MAX + 1);
	if (c->ssl == NULL || c->in == NULL || SSL_set_fd(c->ssl, fd) != 1) {
		SSL_free(c->ssl);
		free(c->in);
		close(fd);
		memset(c, 0, sizeof(*c));
		c->fd = -1;
		return;
	}
	c->fd = fd;
	c->deadline_ms = now_ms + TLS_HANDSHAKE_MS;
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
}

/* The verified client certificate's subject and, if it has exactly one,
 * its common name; then the principal they map to. */
static void map_peer(struct ctl_tls *t, struct tls_conn *c)
{
	X509 *cert = SSL_get0_peer_certificate(c->ssl);
	X509_NAME *name = cert != NULL ? X509_get_subject_name(cert) : NULL;
	char subject[256] = "", cn[256] = "";
	BIO *b = BIO_new(BIO_s_mem());
	int i;
	bool one_cn = false;

	/* a subject longer than any principals entry matches none (not its
	 * first 255 characters) */
	if (name != NULL && b != NULL && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    BIO_pending(b) < (int)sizeof(subject)) {
		int n = BIO_read(b, subject, sizeof(subject) - 1);
		subject[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
	if (name != NULL && (i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) >= 0 &&
	    X509_NAME_get_index_by_NID(name, NID_commonName, i) < 0) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
		unsigned char *u = NULL;
		int n = ASN1_STRING_to_UTF8(&u, s);
		one_cn = n > 0 && (size_t)n < sizeof(cn) && memchr(u, '\0', (size_t)n) == NULL;
		if (one_cn)
			memcpy(cn, u, (size_t)n + 1);
		OPENSSL_free(u);
	}
	ctl_peer_from_cert(t->cfg, subject, one_cn ? cn : NULL, &c->peer);
	if (c->peer.mapped)
		sgw_log(LOG_INFO, "TLS: %s: %s acts for %s", c->addr, c->peer.who, c->peer.principal);
	else
		sgw_log(LOG_NOTICE, "TLS: %s: %s is not mapped to a principal", c->addr, c->peer.who);
}

/* Why an SSL call failed: 0 to wait (want_write set), -1 to close. */
static int ssl_wait(struct tls_conn *c, int rc, const char *what)
{
	int e = SSL_get_error(c->ssl, rc);

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->want_write = e == SSL_ERROR_WANT_WRITE;
		return 0;
	}
	if (e == SSL_ERROR_SSL)
		sgw_log(LOG_NOTICE, "TLS: %s: %s: %s", c->addr, what, ssl_error());
	ERR_clear_error();
	return -1;
}

/* Sends what is left of the reply. 1 when it is all sent, 0 to wait,
 * -1 to close. */
static int flush(struct tls_conn *c)
{
	while (c->out != NULL && c->out_off < c->out_len) {
		int n = SSL_write(c->ssl, c->out + c->out_off, (int)(c->out_len - c->out_off));
		if (n <= 0)
			return ssl_wait(c, n, "sending a reply");
		c->out_off += (size_t)n;
	}
	ctl_reply_free(c->out, c->out_len);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return c->close_after ? -1 : 1;
}

static void reply_to(struct tls_conn *c, struct ctl_daemon *d, const char *line, size_t len)
{
	c->out = ctl_reply_line(d, &c->peer, line, len, &c->out_len);
	c->out_off = 0;
}

/* Answers whole lines while nothing is left to send, then reads more.
 * 0 to wait, -1 to close. */
static int serve(struct tls_conn *c, struct ctl_daemon *d, uint64_t now_ms)
{
	for (;;) {
		char *nl;
		int rc = flush(c);

		if (rc <= 0)
			return rc;
		if ((nl = memchr(c->in, '\n', c->in_len)) != NULL) {
			size_t n = (size_t)(nl - c->in);
			reply_to(c, d, c->in, n);
			OPENSSL_cleanse(c->in, n + 1);
			memmove(c->in, nl + 1, c->in_len - n - 1);
			c->in_len -= n + 1;
			c->deadline_ms = now_ms + TLS_IDLE_MS;
			if (c->out == NULL)
				return -1;
			continue;
		}
		if (c->in_len > CTL_LINE_MAX) {
			sgw_log(LOG_NOTICE, "TLS: %s: a request longer than %d bytes; closing", c->addr,
				CTL_LINE_MAX);
			OPENSSL_cleanse(c->in, c->in_len);
			c->in_len = 0;
			c->close_after = true;
			c->out = strdup(CTL_LINE_TOO_LONG);
			c->out_len = c->out != NULL ? strlen(c->out) : 0;
			if (c->out == NULL)
				return -1;
			continue;
		}
		rc = SSL_read(c->ssl, c->in + c->in_len, (int)(CTL_LINE_MAX + 1 - c->in_len));
		if (rc <= 0)
			return ssl_wait(c, rc, "reading a request");
		c->in_len += (size_t)rc;
	}
}

void ctl_tls_poll_events(struct ctl_tls *t, struct pollfd *pfd)
{
	pfd[0].fd = t->fd;
	pfd[0].events = POLLIN;
	for (int i = 0; i < CTL_TLS_MAX_CONNS; i++) {
		pfd[i + 1].fd = t->conns[i].fd;
		pfd[i + 1].events = t->conns[i].want_write ? POLLOUT : POLLIN;
	}
}

void ctl_tls_service(struct ctl_tls *t, struct ctl_daemon *d, const struct pollfd *pfd, uint64_t now_ms)
{
	for (int i = 0; i < CTL_TLS_MAX_CONNS; i++) {
		struct tls_conn *c = &t->conns[i];
		int rc = 0;

		if (c->fd < 0)
			continue;
		if (now_ms >= c->deadline_ms) {
			sgw_log(LOG_NOTICE, "TLS: %s: %s; closing", c->addr,
				c->open ? "no request for 60 s" : "no handshake within 10 s");
			conn_close(c);
			continue;
		}
		if (pfd[i + 1].fd != c->fd || !(pfd[i + 1].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)))
			continue;
		c->want_write = false;
		if (!c->open) {
			int n = SSL_accept(c->ssl);
			if (n == 1) {
				c->open = true;
				c->deadline_ms = now_ms + TLS_IDLE_MS;
				map_peer(t, c);
			} else {
				rc = ssl_wait(c, n, "handshake");
			}
		}
		if (rc == 0 && c->open)
			rc = serve(c, d, now_ms);
		if (rc < 0)
			conn_close(c);
	}
	if (pfd[0].revents & POLLIN)
		accept_conn(t, now_ms);
}
