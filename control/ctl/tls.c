/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl --connect HOST:PORT: the control protocol over TCP with
 * mutual TLS 1.3 (docs/control.md, "Remote administration"). The client
 * presents --cert with --cert-key and accepts only a daemon whose
 * certificate --ca issued for HOST (its DNS name or IP address).
 *
 * In TLS 1.3 the client finishes its handshake before the daemon has
 * checked the client's certificate: a daemon that refuses it says so with
 * an alert that arrives in place of the reply. That is reported as a
 * connection refused (exit 3): the daemon read no request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "control/ctl/ctl.h"

/* What srtpgwctl exits with on an error stays reachable (LeakSanitizer
 * builds), as in main.c; volatile: the compiler would otherwise drop the
 * stores on the paths that end in ctl_fail(). */
static SSL_CTX *volatile tls_ctx;
static SSL *volatile tls_ssl;

/* OpenSSL's first queued error as text (the queue emptied). */
static const char *ssl_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (e == 0)
		return "unknown error";
	snprintf(buf, sizeof(buf), "%s", ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "error");
	return buf;
}

/* HOST:PORT or [ADDR6]:PORT into host and port, or exit 2. */
static void split(const char *hp, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon;
	size_t n;

	if (hp[0] == '[') {
		const char *end = strchr(hp, ']');
		if (end == NULL || end[1] != ':')
			ctl_fail(CTL_EXIT_USAGE, "--connect: \"%s\" is not HOST:PORT or [ADDR6]:PORT", hp);
		n = (size_t)(end - hp - 1);
		colon = end + 1;
		hp++;
	} else {
		colon = strrchr(hp, ':');
		if (colon == NULL || memchr(hp, ':', (size_t)(colon - hp)) != NULL)
			ctl_fail(CTL_EXIT_USAGE, "--connect: \"%s\" is not HOST:PORT or [ADDR6]:PORT", hp);
		n = (size_t)(colon - hp);
	}
	if (n == 0 || n >= hostlen || strlen(colon + 1) == 0 || strlen(colon + 1) >= portlen ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		ctl_fail(CTL_EXIT_USAGE, "--connect: \"%s\" is not HOST:PORT or [ADDR6]:PORT (port 1 to 65535)",
			 hp[-1] == '[' ? hp - 1 : hp);
	memcpy(host, hp, n);
	host[n] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
}

/* A file the option names can be read, or exit 2 saying why not. */
static void readable(const char *opt, const char *path)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		ctl_fail(CTL_EXIT_USAGE, "%s %s: %s", opt, path, strerror(errno));
	fclose(f);
}

static SSL_CTX *load(const struct ctl_global *g)
{
	SSL_CTX *ctx;

	readable("--cert", g->cert);
	readable("--cert-key", g->cert_key);
	readable("--ca", g->ca);
	ctx = tls_ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1)
		ctl_fail(CTL_EXIT_FAIL, "TLS: %s", ssl_error());
	if (SSL_CTX_use_certificate_chain_file(ctx, g->cert) != 1)
		ctl_fail(CTL_EXIT_USAGE, "--cert %s: cannot use it: %s", g->cert, ssl_error());
	if (SSL_CTX_use_PrivateKey_file(ctx, g->cert_key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH || ERR_peek_error() == 0) {
			ERR_clear_error();
			ctl_fail(CTL_EXIT_USAGE, "--cert-key %s is not the key of --cert %s", g->cert_key, g->cert);
		}
		ctl_fail(CTL_EXIT_USAGE, "--cert-key %s: cannot use it: %s", g->cert_key, ssl_error());
	}
	if (SSL_CTX_load_verify_locations(ctx, g->ca, NULL) != 1)
		ctl_fail(CTL_EXIT_USAGE, "--ca %s: cannot use it: %s", g->ca, ssl_error());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

/* A TCP connection to host:port within the deadline, or exit 3. */
static int tcp_connect(const char *name, const char *host, const char *port, int64_t deadline_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res), fd = -1, e = ETIMEDOUT;

	if (rc != 0)
		ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: %s", name, gai_strerror(rc));
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		socklen_t len = sizeof(e);

		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			e = ETIMEDOUT;
			if (ctl_wait_fd(fd, POLLOUT, deadline_ms) &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: %s", name, strerror(e));
	return fd;
}

/* Why an SSL call stopped: -1 with c->wants set to wait; exits otherwise. */
static ssize_t stopped(struct ctl_conn *c, int rc, const char *doing)
{
	int e = SSL_get_error(c->ssl, rc);
	unsigned long err;

	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->wants = e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
		return -1;
	}
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && rc == 0))
		return 0;
	err = ERR_peek_error();
	/* an alert from the daemon: it refused the handshake (our certificate) */
	if (ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) >= SSL_AD_REASON_OFFSET)
		ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: the daemon refused the TLS handshake (%s)",
			 c->name, ssl_error());
	if (e == SSL_ERROR_SYSCALL)
		ctl_fail(CTL_EXIT_FAIL, "%s: %s: %s", c->name, doing, strerror(errno));
	ctl_fail(CTL_EXIT_FAIL, "%s: %s: %s", c->name, doing, ssl_error());
}

void ctl_tls_connect(struct ctl_conn *c, const struct ctl_global *g, int64_t deadline_ms)
{
	char host[256], port[8];
	unsigned char ip[16];
	SSL *ssl;
	int rc;

	split(g->connect, host, sizeof(host), port, sizeof(port));
	/* OpenSSL writes to the socket with write(): a daemon gone is an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	c->ctx = load(g);
	c->fd = tcp_connect(c->name, host, port, deadline_ms);
	ssl = tls_ssl = SSL_new(c->ctx);
	if (ssl == NULL || SSL_set_fd(ssl, c->fd) != 1)
		ctl_fail(CTL_EXIT_FAIL, "TLS: %s", ssl_error());
	c->ssl = ssl;
	/* the daemon's certificate must name what we connected to */
	if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) != 1)
			ctl_fail(CTL_EXIT_FAIL, "TLS: %s", ssl_error());
	} else if (SSL_set1_host(ssl, host) != 1 || SSL_set_tlsext_host_name(ssl, host) != 1) {
		ctl_fail(CTL_EXIT_FAIL, "TLS: %s", ssl_error());
	}
	while ((rc = SSL_connect(ssl)) != 1) {
		int e = SSL_get_error(ssl, rc);
		long v = SSL_get_verify_result(ssl);

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (!ctl_wait_fd(c->fd, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline_ms))
				ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: no TLS handshake within %u s",
					 c->name, g->timeout_s);
			continue;
		}
		if (v != X509_V_OK)
			ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: the daemon's certificate: %s", c->name,
				 X509_verify_cert_error_string(v));
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: TLS handshake: %s", c->name,
				 errno != 0 ? strerror(errno) : "the daemon closed the connection");
		ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: TLS handshake: %s", c->name, ssl_error());
	}
}

ssize_t ctl_tls_send(struct ctl_conn *c, const char *buf, size_t len)
{
	int n = SSL_write(c->ssl, buf, (int)len), e;
	char alert[64];

	if (n > 0)
		return n;
	e = SSL_get_error(c->ssl, n);
	if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
		/* a daemon that refused our certificate closed the connection
		 * after its alert: read the alert, which says why */
		int saved = errno;
		ERR_clear_error();
		n = SSL_read(c->ssl, alert, sizeof(alert));
		if (n <= 0)
			stopped(c, n, "sending the request");
		errno = saved;
		ctl_fail(CTL_EXIT_FAIL, "%s: sending the request: %s", c->name, strerror(saved));
	}
	if (stopped(c, n, "sending the request") == 0)
		ctl_fail(CTL_EXIT_FAIL, "%s: the daemon closed the connection", c->name);
	return -1;
}

ssize_t ctl_tls_recv(struct ctl_conn *c, char *buf, size_t len)
{
	int n = SSL_read(c->ssl, buf, (int)len);

	return n > 0 ? n : stopped(c, n, "reading the reply");
}

short ctl_tls_wants(struct ctl_conn *c)
{
	return c->wants != 0 ? c->wants : POLLIN;
}

void ctl_tls_close(struct ctl_conn *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	c->ssl = tls_ssl = NULL;
	c->ctx = tls_ctx = NULL;
}
