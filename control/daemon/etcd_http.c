/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The etcd client's transport: one libcurl handle (its connection kept
 * between requests), a JSON POST to one member, the failover between
 * members (etcd.h) and the gateway's errors mapped to errnos.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/etcd_priv.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void etcd_curl_init_once(void)
{
	pthread_once(&curl_once, curl_init);
}

void etcd_seterr(struct etcd *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->errmsg, sizeof e->errmsg, fmt, ap);
	va_end(ap);
}

int etcd_bad_reply(struct etcd *e, const char *what, const char *why)
{
	etcd_seterr(e, "etcd %s: unexpected reply: %s", what, why);
	return -EIO;
}

json_object *etcd_new_body(struct etcd *e)
{
	json_object *o = json_object_new_object();
	if (!o)
		etcd_seterr(e, "out of memory");
	return o;
}

int etcd_nomem(struct etcd *e, json_object *o)
{
	json_object_put(o);
	etcd_seterr(e, "out of memory");
	return -ENOMEM;
}

const char *etcd_errmsg(const struct etcd *e)
{
	return e->errmsg;
}

void etcd_endpoints_free(char **urls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
}

int etcd_endpoints_parse(const char *s, char **urls, size_t *n, char *err, size_t errlen)
{
	*n = 0;
	if (!s || !*s) {
		snprintf(err, errlen, "no etcd endpoints");
		return -EINVAL;
	}
	while (*s) {
		size_t len = strcspn(s, ",");
		if (len == 0 || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) ||
		    len > 200) {
			snprintf(err, errlen, "etcd endpoint %zu: want http://host:port", *n + 1);
			goto bad;
		}
		if (*n == ETCD_MEMBERS_MAX) {
			snprintf(err, errlen, "more than %d etcd endpoints", ETCD_MEMBERS_MAX);
			goto bad;
		}
		/* Without a trailing slash: paths are appended. */
		size_t keep = len;
		while (keep && s[keep - 1] == '/')
			keep--;
		urls[*n] = strndup(s, keep);
		if (!urls[*n]) {
			snprintf(err, errlen, "out of memory");
			etcd_endpoints_free(urls, *n);
			return -ENOMEM;
		}
		(*n)++;
		s += len;
		if (*s == ',')
			s++;
	}
	return 0;
bad:
	etcd_endpoints_free(urls, *n);
	*n = 0;
	return -EINVAL;
}

size_t etcd_buf_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct etcd_buf *b = arg;
	size_t n = size * nmemb;
	if (n > b->max - b->len) {
		b->overflow = true;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->overflow = true;
			return 0;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

struct curl_slist *etcd_headers(void)
{
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json"), *more;
	/* gRPC metadata through the gateway: a member without a leader
	 * refuses the request at once ("etcdserver: no leader") instead of
	 * holding it, and ends a watch it can no longer serve. */
	if (h && !(more = curl_slist_append(h, "Grpc-Metadata-hasleader: true"))) {
		curl_slist_free_all(h);
		return NULL;
	}
	return h;
}

int etcd_open(const char *endpoints, unsigned timeout_ms, struct etcd **out, char *err, size_t errlen)
{
	etcd_curl_init_once();
	struct etcd *e = calloc(1, sizeof *e);
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = etcd_endpoints_parse(endpoints, e->urls, &e->n, err, errlen);
	if (rc) {
		free(e);
		return rc;
	}
	e->timeout_ms = timeout_ms ? timeout_ms : 1;
	e->reply.max = ETCD_REPLY_MAX;
	e->curl = curl_easy_init();
	e->headers = etcd_headers();
	if (!e->curl || !e->headers) {
		snprintf(err, errlen, "libcurl: cannot make a handle");
		etcd_close(e);
		return -ENOMEM;
	}
	curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->headers);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, etcd_buf_write);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &e->reply);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT_MS, (long)e->timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)e->timeout_ms);
	curl_easy_setopt(e->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e->curl, CURLOPT_TCP_NODELAY, 1L);
	*out = e;
	return 0;
}

void etcd_close(struct etcd *e)
{
	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	curl_slist_free_all(e->headers);
	etcd_endpoints_free(e->urls, e->n);
	if (e->reply.p) {
		memset(e->reply.p, 0, e->reply.cap);
		free(e->reply.p);
	}
	free(e);
}

/* How one attempt ended. */
enum attempt {
	AT_DONE,       /* an answer: *reply set, or rc from etcd's error */
	AT_UNSENT,     /* nothing reached the member: try the next */
	AT_LOST,       /* sent, no answer (timeout, broken connection) */
	AT_UNAVAIL,    /* the member answered that it cannot serve now */
};

/* The gateway's gRPC codes as errnos. */
static int grpc_errno(int code)
{
	switch (code) {
	case 3:  return -EINVAL;       /* INVALID_ARGUMENT */
	case 4:  return -ETIMEDOUT;    /* DEADLINE_EXCEEDED */
	case 5:  return -ENOENT;       /* NOT_FOUND */
	case 11: return -ERANGE;       /* OUT_OF_RANGE: compacted */
	case 14: return -ETIMEDOUT;    /* UNAVAILABLE: no leader, timed out */
	default: return -EIO;
	}
}

static void wipe_reply(struct etcd *e)
{
	if (e->reply.p)
		memset(e->reply.p, 0, e->reply.len);
	e->reply.len = 0;
	e->reply.overflow = false;
}

static enum attempt attempt(struct etcd *e, const char *url, const char *path, const char *body,
			    json_object **reply, int *rc)
{
	char full[256];
	snprintf(full, sizeof full, "%s%s", url, path);
	wipe_reply(e);
	curl_easy_setopt(e->curl, CURLOPT_URL, full);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
	CURLcode cc = curl_easy_perform(e->curl);
	if (cc != CURLE_OK) {
		long sent = 0;
		curl_easy_getinfo(e->curl, CURLINFO_REQUEST_SIZE, &sent);
		if (e->reply.overflow) {
			etcd_seterr(e, "etcd %s: reply too large or out of memory", url);
			*rc = -EIO;
			return AT_DONE;
		}
		*rc = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
		etcd_seterr(e, "etcd %s: %s", url, curl_easy_strerror(cc));
		return sent == 0 || cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ?
		       AT_UNSENT : AT_LOST;
	}
	long status = 0;
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &status);
	json_tokener *tok = json_tokener_new();
	json_object *o = NULL;
	if (tok && e->reply.len <= (size_t)INT32_MAX) {
		o = json_tokener_parse_ex(tok, e->reply.p ? e->reply.p : "", (int)e->reply.len);
		if (o && (json_tokener_get_error(tok) != json_tokener_success ||
			  json_tokener_get_parse_end(tok) != e->reply.len)) {
			/* Trailing bytes after the object (a newline is fine). */
			size_t end = json_tokener_get_parse_end(tok);
			if (end > e->reply.len || strspn(e->reply.p + end, " \r\n\t") != e->reply.len - end) {
				json_object_put(o);
				o = NULL;
			}
		}
	}
	json_tokener_free(tok);
	wipe_reply(e);
	int code;
	const char *msg;
	if (o && etcd_json_error(o, &code, &msg)) {
		*rc = grpc_errno(code);
		etcd_seterr(e, "etcd %s%s: %.160s (code %d)", url, path, msg, code);
		json_object_put(o);
		/* A member without a leader answers 14 and applied nothing
		 * only for "no leader"; other 14s (request timed out) may
		 * have been applied. */
		return code == 14 || code == 4 ? AT_UNAVAIL : AT_DONE;
	}
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		*rc = -EIO;
		etcd_seterr(e, "etcd %s%s: HTTP %ld with a reply that is not a JSON object", url, path, status);
		return status >= 500 ? AT_UNAVAIL : AT_DONE;
	}
	if (status != 200) {
		json_object_put(o);
		*rc = -EIO;
		etcd_seterr(e, "etcd %s%s: HTTP %ld", url, path, status);
		return status >= 500 ? AT_UNAVAIL : AT_DONE;
	}
	*reply = o;
	*rc = 0;
	e->errmsg[0] = '\0';
	return AT_DONE;
}

static bool no_leader(const struct etcd *e)
{
	return strstr(e->errmsg, "etcdserver: no leader") != NULL;
}

bool etcd_no_leader(const struct etcd *e)
{
	return no_leader(e);
}

int etcd_call(struct etcd *e, const char *path, json_object *body, bool read_only, json_object **reply)
{
	*reply = NULL;
	const char *text = json_object_to_json_string_ext(body, ETCD_JSON_FLAGS);
	if (!text) {
		json_object_put(body);
		etcd_seterr(e, "out of memory");
		return -ENOMEM;
	}
	/* Of the failures, the one said is the most telling: an answer
	 * (etcd's "no leader") over no answer over nothing sent. */
	int rc = -ECONNREFUSED, best_rc = 0;
	enum attempt best = AT_UNSENT;
	char best_msg[sizeof e->errmsg] = "";
	bool timed_out = false;
	size_t tried = 0;
	for (size_t i = 0; i < e->n; i++) {
		size_t m = (e->cur + i) % e->n;
		enum attempt a = attempt(e, e->urls[m], path, text, reply, &rc);
		tried++;
		if (a == AT_DONE) {
			e->cur = m;
			json_object_put(body);
			return rc;
		}
		/* The next call starts at the next member. */
		e->cur = (m + 1) % e->n;
		timed_out |= rc == -ETIMEDOUT;
		if (!best_rc || a > best) {
			best = a;
			best_rc = rc;
			snprintf(best_msg, sizeof best_msg, "%s", e->errmsg);
		}
		if (!read_only && a == AT_LOST) {
			char last[sizeof e->errmsg];
			snprintf(last, sizeof last, "%s", e->errmsg);
			etcd_seterr(e, "no answer to a write, which may have been applied (%.180s)", last);
			json_object_put(body);
			return rc;
		}
		if (!read_only && a == AT_UNAVAIL && !no_leader(e))
			break;
	}
	json_object_put(body);
	if (best == AT_UNAVAIL) {
		snprintf(e->errmsg, sizeof e->errmsg, "%s", best_msg);
		return best_rc;
	}
	rc = timed_out ? -ETIMEDOUT : -ECONNREFUSED;
	char last[sizeof e->errmsg];
	snprintf(last, sizeof last, "%s", best == AT_LOST ? best_msg : e->errmsg);
	etcd_seterr(e, "no etcd member answered (%zu tried%s; last: %.160s)", tried,
		    timed_out ? ", a timeout among them" : "", last);
	return rc;
}
