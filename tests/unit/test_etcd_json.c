/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The etcd client's replies read defensively (control/daemon/etcd.h,
 * etcd_priv.h): base64 and range ends, then every call against a fake
 * member (a thread on a loopback socket) that answers what each case
 * sets: broken JSON, missing fields, wrong types, huge numbers, oversized
 * replies, gRPC errors. Each must be an errno, never a crash (run it in
 * the ASan build too), and no error message may hold a value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/daemon/etcd_priv.h"
#include "check.h"

#define S(s) (s), strlen(s)

/* The fake member: answers every request with status and body. */
static struct {
	int fd;
	char url[64];
	pthread_t thread;
	pthread_mutex_t lock;
	int status;
	char *body;
	size_t body_len;
	atomic_bool stop;
	char last_request[8192];
} fake;

static void fake_answer(int status, const char *body)
{
	pthread_mutex_lock(&fake.lock);
	free(fake.body);
	fake.status = status;
	fake.body = strdup(body);
	fake.body_len = strlen(body);
	pthread_mutex_unlock(&fake.lock);
}

static void fake_answer_bytes(int status, char *body, size_t len) /* takes body */
{
	pthread_mutex_lock(&fake.lock);
	free(fake.body);
	fake.status = status;
	fake.body = body;
	fake.body_len = len;
	pthread_mutex_unlock(&fake.lock);
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void serve_one(int c)
{
	char req[8192];
	size_t got = 0;
	req[0] = '\0';
	char *end = NULL;
	while (got < sizeof req - 1 && !(end = strstr(req, "\r\n\r\n"))) {
		ssize_t r = read(c, req + got, sizeof req - 1 - got);
		if (r <= 0)
			return;
		got += (size_t)r;
		req[got] = '\0';
	}
	if (!end)
		return;
	const char *cl = strcasestr(req, "Content-Length:");
	size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0, have = got - (size_t)(end + 4 - req);
	while (have < want && got < sizeof req - 1) {
		ssize_t r = read(c, req + got, sizeof req - 1 - got);
		if (r <= 0)
			return;
		got += (size_t)r;
		have += (size_t)r;
		req[got] = '\0';
	}
	pthread_mutex_lock(&fake.lock);
	snprintf(fake.last_request, sizeof fake.last_request, "%s", req);
	char head[256];
	int hl = snprintf(head, sizeof head,
			  "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			  "Connection: close\r\n\r\n", fake.status, fake.body_len);
	write_all(c, head, (size_t)hl);
	write_all(c, fake.body, fake.body_len);
	pthread_mutex_unlock(&fake.lock);
}

static void *fake_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&fake.stop)) {
		int c = accept(fake.fd, NULL, NULL);
		if (c < 0)
			continue;
		serve_one(c);
		close(c);
	}
	return NULL;
}

static void fake_start(void)
{
	pthread_mutex_init(&fake.lock, NULL);
	fake.fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (fake.fd < 0 || bind(fake.fd, (struct sockaddr *)&a, sizeof a) || listen(fake.fd, 16) ||
	    getsockname(fake.fd, (struct sockaddr *)&a, &al)) {
		perror("fake member");
		exit(1);
	}
	snprintf(fake.url, sizeof fake.url, "http://127.0.0.1:%u", ntohs(a.sin_port));
	fake_answer(200, "{}");
	pthread_create(&fake.thread, NULL, fake_thread, NULL);
}

static void fake_stop(void)
{
	atomic_store(&fake.stop, true);
	shutdown(fake.fd, SHUT_RDWR);
	/* accept() may not return on shutdown of a listener: connect once. */
	struct etcd *e;
	char err[128];
	if (etcd_open(fake.url, 200, &e, err, sizeof err) == 0) {
		struct etcd_range r;
		etcd_get(e, S("x"), false, 0, &r);
		etcd_close(e);
	}
	pthread_join(fake.thread, NULL);
	close(fake.fd);
	free(fake.body);
}

static struct etcd *open_fake(void)
{
	struct etcd *e;
	char err[128];
	if (etcd_open(fake.url, 2000, &e, err, sizeof err)) {
		fprintf(stderr, "etcd_open: %s\n", err);
		exit(1);
	}
	return e;
}

static void base64(void)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	for (size_t i = 0; i < 7; i++) {
		char *c = etcd_b64_encode(S(plain[i]));
		CHECK(c && strcmp(c, coded[i]) == 0);
		free(c);
		uint8_t *p;
		size_t n;
		CHECK_EQ(etcd_b64_decode(S(coded[i]), &p, &n), 0);
		CHECK(n == strlen(plain[i]) && memcmp(p, plain[i], n) == 0 && p[n] == 0);
		free(p);
	}
	uint8_t all[256], *p;
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	char *c = etcd_b64_encode(all, sizeof all);
	size_t n;
	CHECK_EQ(etcd_b64_decode(S(c), &p, &n), 0);
	CHECK(n == 256 && memcmp(p, all, 256) == 0);
	free(p);
	free(c);
	static const char *bad[] = { "Zg=", "Z===", "Zm9v!A==", "Zm 9", "=Zm9", "Zg==Zg==", "Zm9v\n" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_EQ(etcd_b64_decode(S(bad[i]), &p, &n), -EINVAL);
}

static void prefix_end(void)
{
	size_t n;
	uint8_t *e = etcd_prefix_end(S("/a/"), &n);
	CHECK(n == 3 && memcmp(e, "/a0", 3) == 0);
	free(e);
	e = etcd_prefix_end("a\xff\xff", 3, &n);
	CHECK(n == 1 && e[0] == 'b');
	free(e);
	e = etcd_prefix_end("\xff", 1, &n);
	CHECK(n == 1 && e[0] == 0);
	free(e);
	e = etcd_prefix_end("", 0, &n);
	CHECK(n == 1 && e[0] == 0);
	free(e);
}

static const char *hdr = "\"header\":{\"revision\":\"7\"}";

/* A get against each broken range reply: -EIO, a message, no value. */
static void range_replies(void)
{
	static const char *bad[] = {
		"",
		"not json",
		"[]",
		"\"str\"",
		"{}",
		"{\"header\":7}",
		"{\"header\":{}}",
		"{\"header\":{\"revision\":\"abc\"}}",
		"{\"header\":{\"revision\":\"-3\"}}",
		"{\"header\":{\"revision\":\"99999999999999999999999\"}}",
		"{\"header\":{\"revision\":1.5}}",
		"{\"header\":{\"revision\":true}}",
		"{\"header\":{\"revision\":\"7\"},\"kvs\":{}}",
		"{\"header\":{\"revision\":\"7\"},\"kvs\":[1]}",
		"{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":5}]}",
		"{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":\"!!!!\"}]}",
		"{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":\"abc\"}]}",
		"{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":\"YQ==\",\"value\":\"U0VDUkVU\",\"version\":\"x\"}]}",
		"{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":\"YQ==\",\"value\":\"U0VDUkVU\"},{\"key\":[]}]}",
		"{\"header\":{\"revision\":\"7\"},\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":\"\"}]}",
		"{\"header\":{\"revision\":\"7\"}} trailing",
		"{\"header\":{\"revision\":\"7\"}",
		"{\"header\":{\"revision\":\"7\"},\"kvs\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	};
	struct etcd *e = open_fake();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fake_answer(200, bad[i]);
		struct etcd_range r = { 0 };
		int rc = etcd_get(e, S("a"), false, 0, &r);
		if (rc != -EIO)
			fprintf(stderr, "range reply %zu: %d\n", i, rc);
		CHECK_EQ(rc, -EIO);
		CHECK(r.n == 0 && r.kvs == NULL);
		CHECK(etcd_errmsg(e)[0] != '\0');
		CHECK(strstr(etcd_errmsg(e), "SECRET") == NULL && strstr(etcd_errmsg(e), "U0VDUkVU") == NULL);
	}
	/* What is fine: a newline after the object, fields in any order,
	 * unknown fields, integers as JSON numbers, absent zeros. */
	char ok[512];
	snprintf(ok, sizeof ok, "{\"kvs\":[{\"key\":\"YQ==\",\"value\":\"\",\"lease\":12,\"x\":[1]}],\"more\":false,%s}\n", hdr);
	fake_answer(200, ok);
	struct etcd_range r;
	CHECK_EQ(etcd_get(e, S("a"), false, 0, &r), 0);
	CHECK(r.revision == 7 && r.n == 1 && r.kvs[0].key_len == 1 && r.kvs[0].val_len == 0 &&
	      r.kvs[0].lease == 12 && r.kvs[0].mod_rev == 0);
	etcd_range_free(&r);
	/* The request as etcd wants it: base64 key, range_end, revision as
	 * a string. */
	snprintf(ok, sizeof ok, "{%s}", hdr);
	fake_answer(200, ok);
	CHECK_EQ(etcd_get(e, S("/p/"), true, 5, &r), 0);
	CHECK(strstr(fake.last_request, "POST /v3/kv/range ") != NULL);
	CHECK(strstr(fake.last_request, "\"key\":\"L3Av\"") != NULL);
	CHECK(strstr(fake.last_request, "\"range_end\":\"L3Aw\"") != NULL);
	CHECK(strstr(fake.last_request, "\"revision\":\"5\"") != NULL);
	etcd_range_free(&r);
	/* Every key: from "\0" to "\0". */
	CHECK_EQ(etcd_get(e, "", 0, true, 0, &r), 0);
	CHECK(strstr(fake.last_request, "\"key\":\"AA==\",\"range_end\":\"AA==\"") != NULL);
	etcd_range_free(&r);
	etcd_close(e);
}

/* etcd's errors, as the gateway sends them. */
static void error_replies(void)
{
	struct etcd *e = open_fake();
	struct etcd_range r;
	struct {
		int status;
		const char *body;
		int want;
	} cases[] = {
		{ 404, "{\"error\":\"etcdserver: requested lease not found\",\"code\":5,\"message\":\"m\"}", -ENOENT },
		{ 400, "{\"error\":\"mvcc: required revision has been compacted\",\"code\":11,\"message\":\"compacted\"}", -ERANGE },
		{ 400, "{\"error\":\"x\",\"code\":3,\"message\":\"etcdserver: key is not provided\"}", -EINVAL },
		{ 503, "{\"error\":\"x\",\"code\":14,\"message\":\"etcdserver: request timed out\"}", -ETIMEDOUT },
		{ 500, "{\"error\":\"x\",\"code\":99999999999,\"message\":7}", -EIO },
		{ 500, "{\"error\":{},\"code\":\"5\"}", -EIO },
		{ 500, "<html>oops</html>", -EIO },
		{ 404, "{\"header\":{\"revision\":\"7\"}}", -EIO },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		fake_answer(cases[i].status, cases[i].body);
		CHECK_EQ(etcd_get(e, S("a"), false, 0, &r), cases[i].want);
		CHECK(etcd_errmsg(e)[0] != '\0');
	}
	/* A write that etcd says it could not do in time is not sent again
	 * (one member here: the message says it came from etcd). */
	fake_answer(503, "{\"error\":\"x\",\"code\":14,\"message\":\"etcdserver: request timed out\"}");
	CHECK_EQ(etcd_put(e, S("k"), S("SECRETVALUE"), 0, NULL), -ETIMEDOUT);
	CHECK(strstr(etcd_errmsg(e), "request timed out") != NULL);
	CHECK(strstr(etcd_errmsg(e), "SECRET") == NULL);
	etcd_close(e);
}

/* A reply larger than ETCD_REPLY_MAX is refused. */
static void huge_reply(void)
{
	size_t n = ETCD_REPLY_MAX + 1024;
	char *body = malloc(n);
	memset(body, ' ', n);
	body[0] = '{';
	body[n - 1] = '}';
	fake_answer_bytes(200, body, n);
	struct etcd *e = open_fake();
	struct etcd_range r;
	CHECK_EQ(etcd_get(e, S("a"), false, 0, &r), -EIO);
	CHECK(strstr(etcd_errmsg(e), "too large") != NULL);
	etcd_close(e);
}

static void txn_replies(void)
{
	struct etcd *e = open_fake();
	struct etcd_txn *t = etcd_txn_new();
	etcd_txn_cmp(t, S("k"), ETCD_MOD, ETCD_EQUAL, 3);
	etcd_txn_put(t, true, S("k"), S("SECRETVALUE"), 0);
	etcd_txn_get(t, false, S("k"), false);
	static const char *bad[] = {
		"{\"header\":{\"revision\":\"7\"},\"succeeded\":\"yes\"}",
		"{\"header\":{\"revision\":\"7\"},\"succeeded\":true}",
		"{\"header\":{\"revision\":\"7\"},\"succeeded\":true,\"responses\":{}}",
		"{\"header\":{\"revision\":\"7\"},\"succeeded\":true,\"responses\":[{},{}]}",
		"{\"header\":{\"revision\":\"7\"},\"succeeded\":true,\"responses\":[{\"response_range\":{}}]}",
		"{\"header\":{\"revision\":\"7\"},\"responses\":[{\"response_put\":{}}]}",
		"{\"header\":{\"revision\":\"7\"},\"responses\":[7]}",
		"{\"header\":{\"revision\":\"7\"},\"responses\":[{\"response_range\":{\"kvs\":[{\"key\":1}]}}]}",
		"{\"header\":{\"revision\":\"7\"},\"responses\":[{\"response_range\":[]}]}",
		"{\"succeeded\":true,\"responses\":[{\"response_put\":{}}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fake_answer(200, bad[i]);
		bool ok = true;
		int rc = etcd_txn_run(e, t, &ok, NULL);
		if (rc != -EIO)
			fprintf(stderr, "txn reply %zu: %d\n", i, rc);
		CHECK_EQ(rc, -EIO);
		CHECK(etcd_txn_result(t, 0) == NULL);
		CHECK(strstr(etcd_errmsg(e), "SECRET") == NULL);
	}
	/* The request: compares and both branches. */
	CHECK(strstr(fake.last_request, "POST /v3/kv/txn ") != NULL);
	CHECK(strstr(fake.last_request, "\"target\":\"MOD\"") != NULL);
	CHECK(strstr(fake.last_request, "\"mod_revision\":\"3\"") != NULL);
	CHECK(strstr(fake.last_request, "\"request_put\"") != NULL);
	CHECK(strstr(fake.last_request, "\"request_range\"") != NULL);
	fake_answer(200, "{\"header\":{\"revision\":\"7\"},\"responses\":[{\"response_range\":{\"header\":{}}}]}");
	bool ok = true;
	int64_t rev;
	CHECK_EQ(etcd_txn_run(e, t, &ok, &rev), 0);
	CHECK(!ok && rev == 7 && etcd_txn_result(t, 0) && etcd_txn_result(t, 0)->n == 0);
	etcd_txn_free(t);
	etcd_close(e);
}

static void lease_replies(void)
{
	struct etcd *e = open_fake();
	int64_t id, ttl;
	static const char *bad_grant[] = {
		"{\"header\":{\"revision\":\"7\"}}",
		"{\"header\":{\"revision\":\"7\"},\"ID\":\"5\"}",
		"{\"header\":{\"revision\":\"7\"},\"ID\":\"5\",\"TTL\":\"-1\"}",
		"{\"header\":{\"revision\":\"7\"},\"ID\":[],\"TTL\":\"2\"}",
		"{\"header\":{\"revision\":\"7\"},\"ID\":\"5\",\"TTL\":\"2\",\"error\":\"etcdserver: no space\"}",
	};
	for (size_t i = 0; i < sizeof bad_grant / sizeof bad_grant[0]; i++) {
		fake_answer(200, bad_grant[i]);
		CHECK_EQ(etcd_lease_grant(e, 2, &id, &ttl), -EIO);
	}
	fake_answer(200, "{\"header\":{\"revision\":\"7\"},\"ID\":\"5\",\"TTL\":\"2\"}");
	CHECK_EQ(etcd_lease_grant(e, 2, &id, &ttl), 0);
	CHECK(id == 5 && ttl == 2);
	static const char *bad_keepalive[] = {
		"{\"header\":{\"revision\":\"7\"},\"ID\":\"5\",\"TTL\":\"2\"}",
		"{\"result\":7}",
		"{\"result\":{\"ID\":\"5\",\"TTL\":\"2\"}}",
		"{\"result\":{\"header\":{\"revision\":\"7\"},\"ID\":\"6\",\"TTL\":\"2\"}}",
		"{\"result\":{\"header\":{\"revision\":\"7\"},\"ID\":\"5\",\"TTL\":\"two\"}}",
	};
	for (size_t i = 0; i < sizeof bad_keepalive / sizeof bad_keepalive[0]; i++) {
		fake_answer(200, bad_keepalive[i]);
		CHECK_EQ(etcd_lease_keepalive(e, 5, &ttl), -EIO);
	}
	/* No TTL: expired or unknown. */
	fake_answer(200, "{\"result\":{\"header\":{\"revision\":\"7\"},\"ID\":\"5\"}}");
	CHECK_EQ(etcd_lease_keepalive(e, 5, &ttl), -ENOENT);
	fake_answer(200, "{\"result\":{\"header\":{\"revision\":\"7\"},\"ID\":\"5\",\"TTL\":\"2\"}}");
	CHECK_EQ(etcd_lease_keepalive(e, 5, &ttl), 0);
	CHECK_EQ(ttl, 2);
	CHECK(strstr(fake.last_request, "POST /v3/lease/keepalive ") != NULL);
	fake_answer(200, "{\"header\":{\"revision\":\"7\"}}");
	CHECK_EQ(etcd_lease_revoke(e, 5), 0);
	CHECK(strstr(fake.last_request, "POST /v3/lease/revoke ") != NULL);
	CHECK(strstr(fake.last_request, "\"ID\":\"5\"") != NULL);
	etcd_close(e);
}

/* Watch messages, one line each. */
static void watch_messages(void)
{
	static const char *bad[] = {
		"",
		"{",
		"{} {}",
		"[]",
		"{\"result\":[]}",
		"{\"result\":{}}",
		"{\"result\":{\"header\":{\"revision\":\"x\"}}}",
		"{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":{}}}",
		"{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{}]}}",
		"{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{\"kv\":{\"key\":\"YQ==\"}}]}}",
		"{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{\"type\":\"BOOM\",\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"9\"}}]}}",
		"{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{\"type\":7,\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"9\"}}]}}",
		"{\"result\":{\"header\":{\"revision\":\"9\"},\"created\":\"yes\"}}",
		"{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"9\"}},{\"kv\":5}]}}",
	};
	struct etcd_watch_msg m;
	const char *why;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = etcd_watch_parse(S(bad[i]), &m, &why);
		if (rc != -EIO)
			fprintf(stderr, "watch message %zu: %d\n", i, rc);
		CHECK_EQ(rc, -EIO);
		CHECK(m.events == NULL && m.n == 0);
	}
	const char *ok = "{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":["
			 "{\"kv\":{\"key\":\"YQ==\",\"value\":\"Yg==\",\"mod_revision\":\"8\",\"version\":\"1\"}},"
			 "{\"type\":\"DELETE\",\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"9\"}}]}}";
	CHECK_EQ(etcd_watch_parse(S(ok), &m, &why), 0);
	CHECK(m.revision == 9 && m.n == 2 && !m.events[0].deleted && m.events[1].deleted);
	CHECK(m.events[0].kv.val_len == 1 && m.events[0].kv.val[0] == 'b' && m.events[1].kv.val_len == 0);
	etcd_watch_msg_free(&m);
	const char *canceled = "{\"result\":{\"header\":{},\"canceled\":true,\"compact_revision\":\"3\"}}";
	CHECK_EQ(etcd_watch_parse(S(canceled), &m, &why), 0);
	CHECK(m.canceled && m.compact_rev == 3);
	etcd_watch_msg_free(&m);
	CHECK_EQ(etcd_watch_parse(S("{\"error\":\"x\",\"code\":14}"), &m, &why), 0);
	CHECK(m.error && m.code == 14);
	etcd_watch_msg_free(&m);
	/* What etcd 3.4 sends when it ends a watch whose member lost its
	 * leader. */
	const char *noleader = "{\"error\":{\"grpc_code\":14,\"http_code\":503,"
			       "\"message\":\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}";
	CHECK_EQ(etcd_watch_parse(S(noleader), &m, &why), 0);
	CHECK(m.error && m.code == 14);
	etcd_watch_msg_free(&m);
}

struct watch_seen {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int err;
	size_t events;
};

static void ws_cb(void *arg, const struct etcd_event *ev, size_t n, int64_t revision)
{
	(void)ev;
	(void)revision;
	struct watch_seen *s = arg;
	pthread_mutex_lock(&s->lock);
	s->events += n;
	pthread_mutex_unlock(&s->lock);
}

static void ws_err(void *arg, int err, int64_t compact_rev)
{
	(void)compact_rev;
	struct watch_seen *s = arg;
	pthread_mutex_lock(&s->lock);
	s->err = err;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* A watch whose stream carries a message it cannot read stops with
 * -EIO (after the good ones before it). */
static void watch_garbage(void)
{
	fake_answer(200, "{\"result\":{\"header\":{\"revision\":\"9\"},\"created\":true}}\n"
			 "{\"result\":{\"header\":{\"revision\":\"10\"},\"events\":[{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"10\"}}]}}\n"
			 "{\"result\":{\"header\":{\"revision\":\"11\"},\"events\":[{\"kv\":{\"key\":\"!!\"}}]}}\n");
	struct watch_seen s = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct etcd_watch *w;
	char err[128];
	CHECK_EQ(etcd_watch_start(fake.url, S("a"), 0, ws_cb, ws_err, &s, &w, err, sizeof err), 0);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&s.lock);
	while (!s.err)
		if (pthread_cond_timedwait(&s.cond, &s.lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&s.lock);
	etcd_watch_stop(w);
	CHECK_EQ(s.err, -EIO);
	CHECK_EQ(s.events, 1);
	CHECK(strstr(fake.last_request, "POST /v3/watch ") != NULL);
	CHECK(strstr(fake.last_request, "\"create_request\"") != NULL);
}

static void endpoints(void)
{
	struct etcd *e;
	char err[128];
	CHECK_EQ(etcd_open("", 100, &e, err, sizeof err), -EINVAL);
	CHECK_EQ(etcd_open("127.0.0.1:2379", 100, &e, err, sizeof err), -EINVAL);
	CHECK_EQ(etcd_open("http://a:1,,http://b:2", 100, &e, err, sizeof err), -EINVAL);
	CHECK_EQ(etcd_open("http://a:1,http://b:2/", 100, &e, err, sizeof err), 0);
	etcd_close(e);
}

int main(void)
{
	fake_start();
	RUN(base64);
	RUN(prefix_end);
	RUN(endpoints);
	RUN(range_replies);
	RUN(error_replies);
	RUN(huge_reply);
	RUN(txn_replies);
	RUN(lease_replies);
	RUN(watch_messages);
	RUN(watch_garbage);
	fake_stop();
	return CHECK_DONE();
}
