/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP API's server (http.h): libevent's evhttp on a thread of its
 * own, over bufferevent_openssl: TLS only.
 *
 * Connections. evhttp (2.1) has no connection limit and no deadline for a
 * whole request: its timeout is one of inactivity, which a client that
 * sends a byte now and then never meets. So each connection gets its
 * bufferevent from us (evhttp_set_bevcb), and its SSL carries our
 * struct http_conn as ex_data, whose free callback tells us when evhttp
 * frees the connection (libevent frees the SSL with it; a
 * bufferevent_filter's free_context would say the same, but evhttp's
 * output does not go through a filter until the next write event). That
 * is how they are counted; at http_max_conns the
 * listener stops accepting (more wait in the kernel's backlog, as with
 * HAProxy's maxconn) until one closes. And each gets a deadline: the TLS
 * handshake and its whole request must arrive within http_timeout of the
 * connection's opening (or of the previous reply on a kept-alive one);
 * then the connection is failed as if evhttp's own timeout had struck
 * (bufferevent_trigger_event: evhttp frees it and the request it was
 * reading). The deadline is off while the main thread answers.
 *
 * Bounds: header fields HTTP_MAX_HEADERS bytes, a body http_max_body
 * (evhttp refuses more with its own 400 or 413 and closes).
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "api/log.h"
#include "control/daemon/http_priv.h"

void http_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* sgw_log writes a line in pieces: hold stderr for all of them */
	flockfile(stderr);
	sgw_log(level, "%s", line);
	funlockfile(stderr);
}

/* ---- connections ----------------------------------------------------- */

/* The SSL ex_data index of a connection's struct http_conn. */
static int conn_index = -1;

static void conn_expired(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)fd, (void)what;
	if (c->h->closing)
		return; /* http_close frees every connection */
	http_log(LOG_INFO, "HTTP: a connection sent no whole request within %u s; closing it",
		 c->h->cfg->http_timeout_s);
	/* evhttp's own path for a timeout: it frees the connection */
	bufferevent_trigger_event(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
}

void http_conn_deadline(struct http_conn *c, bool on)
{
	struct timeval tv = { .tv_sec = c->h->cfg->http_timeout_s };

	if (on)
		evtimer_add(c->deadline, &tv);
	else
		evtimer_del(c->deadline);
}

/* OpenSSL frees a connection's SSL when libevent frees its bufferevent,
 * which evhttp does when it frees the connection: the end of it. (Also
 * called for every other SSL of the process, with ptr NULL.) */
static void conn_gone(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct http_conn *c = ptr;
	struct http_server *h;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (c == NULL)
		return;
	h = c->h;
	event_free(c->deadline);
	h->n_conns--;
	free(c);
	if (!h->accepting && !h->closing && h->n_conns < h->cfg->http_max_conns) {
		evconnlistener_enable(h->listener);
		h->accepting = true;
		http_log(LOG_INFO, "HTTP: accepting connections again");
	}
}

/* evhttp's bevcb: the bufferevent of a new connection, TLS from the
 * start. It must not return NULL: evhttp would make a plain one and
 * speak HTTP without TLS. Out of memory, the connection gets a plain
 * bufferevent that nobody counts and its request is refused (it has no
 * http_conn); a TLS client sees its handshake fail. */
static struct bufferevent *conn_new(struct event_base *base, void *arg)
{
	struct http_server *h = arg;
	struct http_conn *c = calloc(1, sizeof(*c));
	SSL *ssl = SSL_new(h->ssl);

	if (c == NULL || ssl == NULL || (c->deadline = evtimer_new(base, conn_expired, c)) == NULL)
		goto fail;
	/* frees the SSL when it fails */
	c->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	ssl = NULL;
	if (c->bev == NULL)
		goto fail;
	c->h = h;
	SSL_set_ex_data(bufferevent_openssl_get_ssl(c->bev), conn_index, c);
	http_conn_deadline(c, true);
	if (++h->n_conns >= h->cfg->http_max_conns && h->accepting) {
		evconnlistener_disable(h->listener);
		h->accepting = false;
		http_log(LOG_WARNING, "HTTP: %u connections open (http_max_conns); accepting no more until one "
			 "closes", h->n_conns);
	}
	return c->bev;
fail:
	SSL_free(ssl);
	if (c != NULL && c->deadline != NULL)
		event_free(c->deadline);
	free(c);
	http_log(LOG_ERR, "HTTP: out of memory for a new connection");
	return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

struct http_conn *http_conn_of(struct http_server *h, void *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;

	(void)h;
	return ssl != NULL ? SSL_get_ex_data(ssl, conn_index) : NULL;
}

/* ---- the thread ------------------------------------------------------ */

/* The main thread answered jobs, or asks the thread to stop. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *h = arg;
	struct http_job *j;
	bool stop;

	(void)what;
	http_fd_drain(fd);
	j = http_queue_answered(&h->q, &stop);
	while (j != NULL) {
		struct http_job *next = j->next;
		http_handle_answer(h, j);
		j = next;
	}
	if (stop)
		event_base_loopbreak(h->base);
}

static void *run(void *arg)
{
	struct http_server *h = arg;

	event_base_dispatch(h->base);
	return NULL;
}

static int listen_tcp(struct http_server *h, char *err, size_t errlen)
{
	const struct sgw_endpoint *ep = &h->cfg->http_listen;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
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
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(h->fd, (struct sockaddr *)&ss, len) != 0 || listen(h->fd, 128) != 0) {
		snprintf(err, errlen, "http_listen %s: %s", h->at, strerror(errno));
		return -1;
	}
	return 0;
}

struct http_server *http_open(const struct ctl_config *cfg, char *err, size_t errlen)
{
	struct http_server *h = calloc(1, sizeof(*h));
	int rc;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->cfg = cfg;
	h->fd = -1;
	h->accepting = true;
	sgw_endpoint_format(&cfg->http_listen, h->at, sizeof(h->at));
	if (conn_index < 0)
		conn_index = SSL_get_ex_new_index(0, "srtpgw HTTP connection", NULL, NULL, conn_gone);
	if ((rc = http_queue_init(&h->q)) != 0) {
		snprintf(err, errlen, "HTTP: eventfd: %s", strerror(-rc));
		free(h);
		return NULL;
	}
	if (conn_index < 0 || (h->ssl = http_tls_context(cfg, err, errlen)) == NULL ||
	    listen_tcp(h, err, errlen) != 0) {
		if (conn_index < 0)
			snprintf(err, errlen, "HTTP: OpenSSL: no ex_data index");
		http_close(h);
		return NULL;
	}
	return h;
}

int http_start(struct http_server *h, char *err, size_t errlen)
{
	struct evhttp_bound_socket *bound;
	sigset_t all, old;
	int rc;

	h->base = event_base_new();
	h->http = h->base != NULL ? evhttp_new(h->base) : NULL;
	h->wake = h->base != NULL ? event_new(h->base, h->q.http_fd, EV_READ | EV_PERSIST, on_wake, h) : NULL;
	if (h->http == NULL || h->wake == NULL || event_add(h->wake, NULL) != 0) {
		snprintf(err, errlen, "HTTP: libevent: out of memory");
		return -1;
	}
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
				   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
				   EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(h->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h->http, h->cfg->http_max_body);
	evhttp_set_timeout(h->http, (int)h->cfg->http_timeout_s);
	/* a body over the bound is read and dropped, so that the client gets
	 * the 413 rather than a reset; the deadline still ends it */
	evhttp_set_flags(h->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_default_content_type(h->http, "text/plain; charset=utf-8");
	evhttp_set_gencb(h->http, (void (*)(struct evhttp_request *, void *))http_handle_request, h);
	evhttp_set_bevcb(h->http, conn_new, h);
	bound = evhttp_accept_socket_with_handle(h->http, h->fd);
	if (bound == NULL) {
		snprintf(err, errlen, "HTTP: cannot serve http_listen %s", h->at);
		return -1;
	}
	h->fd = -1; /* evhttp's now */
	h->listener = evhttp_bound_socket_get_listener(bound);
	/* signals are the main thread's (its poll returns on them) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->thread, NULL, run, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "HTTP: cannot start its thread: %s", strerror(rc));
		return -1;
	}
	h->running = true;
	sgw_log(LOG_INFO, "HTTP: serving WHEP and WHIP on https://%s (at most %u connections, %u s per request, "
		"bodies up to %u bytes)", h->at, h->cfg->http_max_conns,
		h->cfg->http_timeout_s, h->cfg->http_max_body);
	return 0;
}

int http_wake_fd(const struct http_server *h)
{
	return h->q.main_fd;
}

void http_close(struct http_server *h)
{
	if (h == NULL)
		return;
	if (h->running) {
		http_queue_stop(&h->q);
		pthread_join(h->thread, NULL);
		h->running = false;
	}
	/* the thread is gone: its libevent objects are ours to free */
	h->closing = true;
	if (h->wake != NULL)
		event_del(h->wake); /* the jobs left name requests evhttp_free frees */
	if (h->http != NULL)
		evhttp_free(h->http); /* the listener, every connection and request */
	/* bufferevents are finalised by the loop: run it until each
	 * connection's conn_gone ran (its deadline with it); what is left,
	 * event_base_free finalises */
	for (int i = 0; h->base != NULL && h->n_conns > 0 && i < 8; i++)
		event_base_loop(h->base, EVLOOP_NONBLOCK);
	if (h->wake != NULL)
		event_free(h->wake);
	if (h->base != NULL)
		event_base_free(h->base);
	if (h->fd >= 0)
		close(h->fd);
	http_queue_fini(&h->q); /* jobs whose requests evhttp_free freed */
	SSL_CTX_free(h->ssl);
	free(h);
}
