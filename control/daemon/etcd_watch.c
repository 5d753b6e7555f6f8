/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Watches: a thread with its own libcurl connection POSTs a create_request
 * to /v3/watch and reads the stream of replies, one JSON object per line
 * ({"result": WatchResponse}). It remembers the revision to go on from
 * (the last event's mod_revision + 1, or a progress notification's
 * revision + 1) and, when the connection breaks, starts the watch again
 * there on the next member. etcd sends the events of one revision in one
 * reply, so going on from a revision neither loses nor repeats one.
 *
 * The thread waits in curl_multi_poll, which etcd_watch_stop wakes up.
 * The watch requires a leader: a member without one refuses it or ends
 * it, and the next member is tried. A member whose host is gone without
 * closing the connection is noticed by TCP keepalives after about 4 s.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control/daemon/etcd_priv.h"

#define WATCH_CONNECT_MS 1000
#define WATCH_RETRY_MS 100   /* between rounds over every member */

struct etcd_watch {
	char *urls[ETCD_MEMBERS_MAX];
	size_t n, cur;
	char *prefix;
	size_t prefix_len;
	void (*cb)(void *arg, const struct etcd_event *ev, size_t n, int64_t revision);
	void (*on_error)(void *arg, int err, int64_t compact_rev);
	void *arg;
	pthread_t thread;
	CURLM *multi;
	atomic_bool stop;
	atomic_uint reconnects;
	atomic_bool connected;
	// watch thread only:
	int64_t next_rev;          /* 0: from now */
	int64_t conn_rev;          /* next_rev when this connection was made */
	bool created, ever_created, finished;
	struct etcd_buf line;
};

static void finish(struct etcd_watch *w, int err, int64_t compact_rev)
{
	w->finished = true;
	if (w->on_error)
		w->on_error(w->arg, err, compact_rev);
}

/* One message of the stream. false: stop reading this connection. */
static bool on_message(struct etcd_watch *w, const char *text, size_t len)
{
	struct etcd_watch_msg m;
	const char *why;
	if (etcd_watch_parse(text, len, &m, &why)) {
		finish(w, -EIO, 0);
		return false;
	}
	if (m.error) {
		/* The member cannot serve the watch now (e.g. no leader):
		 * another may. */
		etcd_watch_msg_free(&m);
		return false;
	}
	if (m.canceled) {
		finish(w, m.compact_rev > 0 ? -ERANGE : -EIO, m.compact_rev);
		etcd_watch_msg_free(&m);
		return false;
	}
	if (m.created) {
		w->created = true;
		atomic_store(&w->connected, true);
		if (w->ever_created)
			atomic_fetch_add(&w->reconnects, 1);
		w->ever_created = true;
		if (w->next_rev == 0)
			w->next_rev = m.revision + 1;
		if (m.n == 0) {
			etcd_watch_msg_free(&m);
			return true;
		}
	}
	/* Nothing from before where this connection started (etcd sends
	 * none; a member that did would repeat events). */
	size_t skip = 0;
	while (skip < m.n && m.events[skip].kv.mod_rev < w->conn_rev)
		skip++;
	if (skip == m.n && m.n) {
		etcd_watch_msg_free(&m);
		return true;
	}
	if (m.n) {
		int64_t last = m.events[m.n - 1].kv.mod_rev;
		w->cb(w->arg, m.events + skip, m.n - skip, m.revision);
		if (last + 1 > w->next_rev)
			w->next_rev = last + 1;
	} else {
		/* A progress notification: every event up to it was sent. */
		w->cb(w->arg, NULL, 0, m.revision);
		if (m.revision + 1 > w->next_rev)
			w->next_rev = m.revision + 1;
	}
	etcd_watch_msg_free(&m);
	return true;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct etcd_watch *w = arg;
	size_t n = size * nmemb;
	if (etcd_buf_write(data, 1, n, &w->line) != n) {
		finish(w, -EIO, 0);
		return 0;
	}
	size_t start = 0;
	for (;;) {
		char *nl = memchr(w->line.p + start, '\n', w->line.len - start);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (w->line.p + start));
		if (len && !on_message(w, w->line.p + start, len))
			return 0;
		start += len + 1;
		if (atomic_load(&w->stop))
			return 0;
	}
	memmove(w->line.p, w->line.p + start, w->line.len - start);
	w->line.len -= start;
	return n;
}

static int keepalive_opts(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	(void)arg;
	if (purpose == CURLSOCKTYPE_IPCXN) {
		int cnt = 3;
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	}
	return CURL_SOCKOPT_OK;
}

static char *create_request(struct etcd_watch *w)
{
	json_object *req = json_object_new_object(), *c = json_object_new_object();
	char *text = NULL;
	if (!req || !c || json_object_object_add(req, "create_request", c)) {
		json_object_put(c);
		goto out;
	}
	if (etcd_json_add_key(c, w->prefix, w->prefix_len, true) ||
	    (w->next_rev && etcd_json_add_int64(c, "start_revision", w->next_rev)) ||
	    json_object_object_add(c, "progress_notify", json_object_new_boolean(1)))
		goto out;
	const char *s = json_object_to_json_string_ext(req, ETCD_JSON_FLAGS);
	text = s ? strdup(s) : NULL;
out:
	json_object_put(req);
	return text;
}

/* Waits ms or until stopped. */
static void pause_ms(struct etcd_watch *w, int ms)
{
	if (!atomic_load(&w->stop))
		curl_multi_poll(w->multi, NULL, 0, ms, NULL);
}

/* One connection to urls[cur], until it ends. */
static void run_once(struct etcd_watch *w)
{
	char url[256];
	snprintf(url, sizeof url, "%s/v3/watch", w->urls[w->cur]);
	char *body = create_request(w);
	CURL *c = curl_easy_init();
	struct curl_slist *hdr = etcd_headers();
	if (!body || !c || !hdr) {
		finish(w, -ENOMEM, 0);
		goto out;
	}
	w->created = false;
	w->conn_rev = w->next_rev;
	w->line.len = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)WATCH_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 1L);
	curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, keepalive_opts);
	if (curl_multi_add_handle(w->multi, c) != CURLM_OK) {
		finish(w, -ENOMEM, 0);
		goto out;
	}
	for (;;) {
		int running = 0;
		curl_multi_perform(w->multi, &running);
		if (!running || w->finished || atomic_load(&w->stop))
			break;
		curl_multi_poll(w->multi, NULL, 0, 1000, NULL);
	}
	curl_multi_remove_handle(w->multi, c);
	atomic_store(&w->connected, false);
out:
	if (c)
		curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	free(body);
}

static void *watch_thread(void *arg)
{
	struct etcd_watch *w = arg;
	size_t failures = 0;
	while (!atomic_load(&w->stop) && !w->finished) {
		run_once(w);
		if (atomic_load(&w->stop) || w->finished)
			break;
		/* Broken or refused: the next member; a pause after a
		 * round of members none of which took the watch. */
		failures = w->created ? 0 : failures + 1;
		w->cur = (w->cur + 1) % w->n;
		if (failures && failures % w->n == 0)
			pause_ms(w, WATCH_RETRY_MS);
	}
	return NULL;
}

static void watch_free(struct etcd_watch *w)
{
	if (w->multi)
		curl_multi_cleanup(w->multi);
	etcd_endpoints_free(w->urls, w->n);
	free(w->prefix);
	free(w->line.p);
	free(w);
}

int etcd_watch_start(const char *endpoints, const char *prefix, size_t prefix_len, int64_t start_rev,
		     void (*cb)(void *arg, const struct etcd_event *ev, size_t n, int64_t revision),
		     void (*on_error)(void *arg, int err, int64_t compact_rev), void *arg,
		     struct etcd_watch **out, char *err, size_t errlen)
{
	etcd_curl_init_once();
	if (!cb || start_rev < 0) {
		snprintf(err, errlen, "etcd watch: no callback or a negative revision");
		return -EINVAL;
	}
	struct etcd_watch *w = calloc(1, sizeof *w);
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = etcd_endpoints_parse(endpoints, w->urls, &w->n, err, errlen);
	if (rc) {
		free(w);
		return rc;
	}
	w->prefix = malloc(prefix_len ? prefix_len : 1);
	w->multi = curl_multi_init();
	if (!w->prefix || !w->multi) {
		snprintf(err, errlen, "out of memory");
		watch_free(w);
		return -ENOMEM;
	}
	memcpy(w->prefix, prefix, prefix_len);
	w->prefix_len = prefix_len;
	w->cb = cb;
	w->on_error = on_error;
	w->arg = arg;
	w->next_rev = start_rev;
	w->line.max = ETCD_REPLY_MAX;
	atomic_init(&w->stop, false);
	atomic_init(&w->reconnects, 0);
	atomic_init(&w->connected, false);
	rc = pthread_create(&w->thread, NULL, watch_thread, w);
	if (rc) {
		snprintf(err, errlen, "etcd watch: cannot start its thread: %s", strerror(rc));
		watch_free(w);
		return -rc;
	}
	*out = w;
	return 0;
}

void etcd_watch_stop(struct etcd_watch *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	curl_multi_wakeup(w->multi);
	pthread_join(w->thread, NULL);
	watch_free(w);
}

unsigned etcd_watch_reconnects(const struct etcd_watch *w)
{
	return atomic_load(&((struct etcd_watch *)w)->reconnects);
}

bool etcd_watch_connected(const struct etcd_watch *w)
{
	return atomic_load(&((struct etcd_watch *)w)->connected);
}
