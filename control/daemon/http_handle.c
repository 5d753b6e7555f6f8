/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests to the HTTP API, on the HTTP thread (docs/webrtc.md, "HTTP
 * API"). Every check that needs nothing of the daemon is made here, in
 * this order, and the first that fails is the answer:
 *
 *   the resource (404), a CORS preflight (OPTIONS: 204, or 403 for an
 *   origin not allowed), an Origin not allowed (403), the method (405),
 *   the bearer token's presence and syntax (401), for an offer its
 *   Content-Type (415), Accept (406) and body (400, 413), room in the
 *   queue (503).
 *
 * What passes becomes a job for the main thread (http_dispatch.c), which
 * checks the token and the stream and asks the sessions; its answer comes
 * back to http_handle_answer. Every response carries Cache-Control:
 * no-store (an answer holds ICE credentials) and, for an allowed Origin,
 * the CORS headers; an error's body is one line of text saying why.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "api/log.h"
#include "control/daemon/http_priv.h"

#define PREFLIGHT_MAX_AGE "7200"   /* Chromium's own cap, in seconds */
#define ALLOW_HEADERS "Authorization, Content-Type, If-Match"
#define EXPOSE_HEADERS "Location, ETag, Link"
#define ICE_LITE_NO_PATCH \
	"srtpgw is ICE-lite and needs no trickle ICE or ICE restart: PATCH is not supported; end the " \
	"session with DELETE and POST a new offer"

/* What a request was, for the log line of its answer. */
struct rq {
	char peer[HTTP_PEER_MAX];
	const char *method;
	char path[96];
};

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "?";
	}
}

static void peer_of(struct evhttp_request *req, char *out, size_t len)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	if (addr != NULL && strchr(addr, ':') != NULL)
		snprintf(out, len, "[%s]:%u", addr, port);
	else
		snprintf(out, len, "%s:%u", addr != NULL ? addr : "?", port);
}

static int log_level(int status)
{
	if (status == 401 || status == 403)
		return LOG_NOTICE; /* refusals of authority, as srtpgwctl's */
	if (status >= 500 && status != 501 && status != 503)
		return LOG_WARNING;
	return LOG_INFO;
}

static void add(struct evhttp_request *req, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), name, value);
}

/* Send status with body (NULL: none), log it, and give the connection
 * its deadline for the next request. */
static void finish(struct http_server *h, struct evhttp_request *req, const struct rq *r, const char *who,
		   int status, struct evbuffer *body, const char *line)
{
	struct http_conn *c = http_conn_of(h, req);

	add(req, "Cache-Control", "no-store");
	add(req, "X-Content-Type-Options", "nosniff");
	http_log(log_level(status), "HTTP: %s: %s %s%s%s%s: %d%s%s", r->peer, r->method, r->path,
		 who[0] ? " (" : "", who, who[0] ? ")" : "", status, line[0] ? " " : "", line);
	if (c != NULL)
		http_conn_deadline(c, true);
	evhttp_send_reply(req, status, http_reason(status), body);
}

/* An error (or the stub's 501): one line of text. */
static void send_line(struct http_server *h, struct evhttp_request *req, const struct rq *r, const char *who,
		      int status, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void send_line(struct http_server *h, struct evhttp_request *req, const struct rq *r, const char *who,
		      int status, const char *fmt, ...)
{
	struct evbuffer *body = evbuffer_new();
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	add(req, "Content-Type", "text/plain; charset=utf-8");
	if (body != NULL)
		evbuffer_add_printf(body, "%s\n", line);
	finish(h, req, r, who, status, body, line);
	if (body != NULL)
		evbuffer_free(body);
}

/* The CORS headers for the request's Origin. false: the origin may not
 * call the API (no header added). */
static bool cors(struct http_server *h, struct evhttp_request *req, bool preflight,
		 enum http_route_kind kind)
{
	const struct ctl_config *cfg = h->cfg;
	const char *origin = evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");

	const char *allowed = cfg->n_cors_origins == 0 ? "*" : NULL;

	/* the answer depends on Origin when not every origin may call */
	if (cfg->n_cors_origins > 0)
		add(req, "Vary", "Origin");
	if (origin == NULL)
		return true;
	for (unsigned i = 0; i < cfg->n_cors_origins && allowed == NULL; i++)
		if (http_origin_allowed(origin, &cfg->cors_origins[i], 1))
			allowed = cfg->cors_origins[i]; /* the configured text, not the request's */
	if (allowed == NULL)
		return false;
	add(req, "Access-Control-Allow-Origin", allowed);
	if (preflight) {
		add(req, "Access-Control-Allow-Methods", http_route_methods(kind));
		add(req, "Access-Control-Allow-Headers", ALLOW_HEADERS);
		add(req, "Access-Control-Max-Age", PREFLIGHT_MAX_AGE);
	} else {
		add(req, "Access-Control-Expose-Headers", EXPOSE_HEADERS);
	}
	return true;
}

/* The bearer token, copied into token and wiped from libevent's copy of
 * the header. 0; 401 (none: why set "") or 400, with why set. */
static int take_token(struct evhttp_request *req, char token[HTTP_TOKEN_MAX + 1], const char **why)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	char *value = NULL;
	unsigned n = 0;
	int rc;

	for (struct evkeyval *kv = in->tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		if (strcasecmp(kv->key, "Authorization") == 0) {
			value = kv->value;
			n++;
		}
	}
	if (n == 0) {
		*why = "";
		return 401;
	}
	if (n > 1) {
		*why = "more than one Authorization header";
		rc = 400;
	} else if (http_bearer(value, token) != 0) {
		*why = "the Authorization header is not \"Bearer TOKEN\" with a token of up to 128 characters";
		rc = 401;
	} else {
		rc = 0;
	}
	/* only our copy keeps the token from here on */
	for (struct evkeyval *kv = in->tqh_first; kv != NULL; kv = kv->next.tqe_next)
		if (strcasecmp(kv->key, "Authorization") == 0)
			OPENSSL_cleanse(kv->value, strlen(kv->value));
	return rc;
}

static void unauthorized(struct http_server *h, struct evhttp_request *req, const struct rq *r,
			 const char *who, bool invalid, const char *why)
{
	add(req, "WWW-Authenticate", invalid ? "Bearer realm=\"srtpgw\", error=\"invalid_token\""
					     : "Bearer realm=\"srtpgw\"");
	send_line(h, req, r, who, 401, "%s", why);
}

/* OPTIONS: what the resource allows, and the CORS preflight. */
static void preflight(struct http_server *h, struct evhttp_request *req, const struct rq *r,
		      const struct http_route *route)
{
	char origin[80];

	if (!cors(h, req, true, route->kind)) {
		http_printable(evhttp_find_header(evhttp_request_get_input_headers(req), "Origin"), origin,
			       sizeof(origin));
		send_line(h, req, r, "", 403, "origin %s may not call this API (http_cors_origins)", origin);
		return;
	}
	add(req, "Allow", http_route_methods(route->kind));
	if (route->kind == HTTP_ROUTE_STREAM)
		add(req, "Accept-Post", "application/sdp");
	finish(h, req, r, "", 204, NULL, "");
}

static void method_not_allowed(struct http_server *h, struct evhttp_request *req, const struct rq *r,
			       const struct http_route *route)
{
	const char *allow = http_route_methods(route->kind);

	add(req, "Allow", allow);
	if (route->kind == HTTP_ROUTE_SESSION && strcmp(r->method, "PATCH") == 0)
		send_line(h, req, r, "", 405, ICE_LITE_NO_PATCH);
	else
		send_line(h, req, r, "", 405, "%s is not allowed on %s (%s)", r->method, r->path, allow);
}

/* An offer's body into the job: 0, or an error status with why. */
static int take_offer(struct http_server *h, struct evhttp_request *req, struct http_job *j, const char **why)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(body);

	if (!http_is_sdp(evhttp_find_header(in, "Content-Type"))) {
		add(req, "Accept-Post", "application/sdp");
		*why = "Content-Type must be application/sdp (the body is an SDP offer)";
		return 415;
	}
	if (!http_accepts_sdp(evhttp_find_header(in, "Accept"))) {
		*why = "the answer is application/sdp, which Accept refuses";
		return 406;
	}
	if (len == 0) {
		*why = "the body must be an SDP offer; it is empty";
		return 400;
	}
	if (len > h->cfg->http_max_body) {
		*why = "the body is longer than http_max_body";
		return 413;
	}
	j->offer = malloc(len + 1);
	if (j->offer == NULL || evbuffer_remove(body, j->offer, len) != (int)len) {
		*why = "out of memory";
		return 503;
	}
	j->offer[len] = '\0';
	j->offer_len = len;
	return 0;
}

void http_handle_request(void *arg_req, void *arg)
{
	struct evhttp_request *req = arg_req;
	struct http_server *h = arg;
	struct http_conn *c = http_conn_of(h, req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	struct http_route route;
	struct http_job *j;
	struct rq r;
	const char *why = "";
	int status;

	peer_of(req, r.peer, sizeof(r.peer));
	r.method = method_name(m);
	http_printable(path, r.path, sizeof(r.path));
	if (c == NULL) {
		/* a connection made while out of memory: not counted, maybe
		 * not TLS (conn_new) */
		add(req, "Connection", "close");
		send_line(h, req, &r, "", 503, "out of memory");
		return;
	}
	/* answered now, or once the main thread has */
	http_conn_deadline(c, false);
	if (http_route_parse(path, &route) != 0) {
		cors(h, req, false, HTTP_ROUTE_NONE);
		send_line(h, req, &r, "", 404, "no such resource: the API has /whep/STREAM, /whip/STREAM and the "
			  "sessions their answers name");
		return;
	}
	if (m == EVHTTP_REQ_OPTIONS) {
		preflight(h, req, &r, &route);
		return;
	}
	if (!cors(h, req, false, route.kind)) {
		char origin[80];
		http_printable(evhttp_find_header(evhttp_request_get_input_headers(req), "Origin"), origin,
			       sizeof(origin));
		send_line(h, req, &r, "", 403, "origin %s may not call this API (http_cors_origins)", origin);
		return;
	}
	if ((route.kind == HTTP_ROUTE_STREAM && m != EVHTTP_REQ_POST) ||
	    (route.kind == HTTP_ROUTE_SESSION && m != EVHTTP_REQ_DELETE)) {
		method_not_allowed(h, req, &r, &route);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		send_line(h, req, &r, "", 503, "out of memory");
		return;
	}
	status = take_token(req, j->token, &why);
	if (status == 401) {
		unauthorized(h, req, &r, "", why[0] != '\0', why[0] != '\0' ? why : "an Authorization: Bearer "
			     "TOKEN header is required (a token of the stream's owner: srtpgwctl token add)");
		http_job_free(j);
		return;
	}
	if (status == 0 && route.kind == HTTP_ROUTE_STREAM)
		status = take_offer(h, req, j, &why);
	if (status == 0) {
		j->del = route.kind == HTTP_ROUTE_SESSION;
		j->whip = route.whip;
		memcpy(j->name, route.name, sizeof(j->name));
		j->req = req;
		memcpy(j->peer, r.peer, sizeof(j->peer));
		if (http_queue_submit(&h->q, j) == 0)
			return;
		add(req, "Retry-After", "1");
		status = 503;
		why = "the daemon is busy (too many requests wait for it); try again";
	}
	send_line(h, req, &r, "", status, "%s", why);
	http_job_free(j);
}

static void cleanse_free(const void *data, size_t len, void *arg)
{
	(void)arg;
	OPENSSL_cleanse((void *)data, len);
	free((void *)data);
}

void http_handle_answer(struct http_server *h, struct http_job *j)
{
	struct evhttp_request *req = j->req;
	struct webrtc_reply *w = &j->reply;
	struct evbuffer *body;
	struct rq r;
	char retry[16];

	peer_of(req, r.peer, sizeof(r.peer));
	r.method = j->del ? "DELETE" : "POST";
	snprintf(r.path, sizeof(r.path), "/%s/%s%s", j->whip ? "whip" : "whep", j->del ? "session/" : "", j->name);
	if (j->status == 401) {
		unauthorized(h, req, &r, j->principal, true, w->reason);
	} else if (j->status >= 400 || j->status == 202) { /* 202: a pending DELETE, and why */
		if (w->retry_after > 0 && (j->status == 503 || j->status == 429)) {
			snprintf(retry, sizeof(retry), "%u", w->retry_after);
			add(req, "Retry-After", retry);
		}
		send_line(h, req, &r, j->principal, j->status, "%s", w->reason);
	} else if ((body = evbuffer_new()) == NULL) {
		send_line(h, req, &r, j->principal, 503, "out of memory");
	} else {
		if (w->body != NULL && w->len > 0) {
			add(req, "Content-Type", w->content_type[0] != '\0' ? w->content_type : "application/sdp");
			/* sent from where it is, then cleansed: it holds the
			 * session's ICE password */
			if (evbuffer_add_reference(body, w->body, w->len, cleanse_free, NULL) == 0)
				w->body = NULL;
		}
		if (w->location[0] != '\0')
			add(req, "Location", w->location);
		if (w->etag[0] != '\0')
			add(req, "ETag", w->etag);
		finish(h, req, &r, j->principal, j->status, body, w->location);
		evbuffer_free(body);
	}
	http_job_free(j);
}
