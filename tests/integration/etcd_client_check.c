/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The etcd client (control/daemon/etcd.h) against a real etcd, one case
 * per run: `etcd_client_check CASE ENDPOINTS [WRITER_ENDPOINTS]`.
 * test_etcd_client.py starts the clusters and runs the cases; the
 * watch_failover case talks to it on stdin/stdout (it prints READY, the
 * test kills the member the watch is on and writes KILLED). Each case
 * works under its own key prefix, so cases may share a cluster.
 * Exits 0 if every check held.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "control/daemon/etcd.h"
#include "tests/unit/check.h"

#define TIMEOUT_MS 2000

static const char *endpoints, *writer_endpoints;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct etcd *open_or_die(const char *eps, unsigned timeout_ms)
{
	struct etcd *e;
	char err[256];
	if (etcd_open(eps, timeout_ms, &e, err, sizeof err)) {
		fprintf(stderr, "etcd_open: %s\n", err);
		exit(1);
	}
	return e;
}

#define S(s) (s), strlen(s)

static int put_s(struct etcd *e, const char *k, const char *v, int64_t *rev)
{
	int rc = etcd_put(e, S(k), S(v), 0, rev);
	if (rc)
		fprintf(stderr, "put: %d %s\n", rc, etcd_errmsg(e));
	return rc;
}

/* The value of one key as a string (NULL if none); caller frees. */
static char *get_s(struct etcd *e, const char *k, struct etcd_kv *kv_out)
{
	struct etcd_range r;
	int rc = etcd_get(e, S(k), false, 0, &r);
	if (rc) {
		fprintf(stderr, "get: %d %s\n", rc, etcd_errmsg(e));
		return NULL;
	}
	char *v = r.n ? strdup((char *)r.kvs[0].val) : NULL;
	if (kv_out && r.n) {
		*kv_out = r.kvs[0];
		kv_out->key = NULL;
		kv_out->val = NULL;
	}
	etcd_range_free(&r);
	return v;
}

/* Puts, gets, prefixes, binary keys and values, old revisions, deletes. */
static void kv(void)
{
	struct etcd *e = open_or_die(endpoints, TIMEOUT_MS);
	int64_t r1, r2, r3;
	CHECK_EQ(put_s(e, "/kv/b", "two", &r1), 0);
	CHECK_EQ(put_s(e, "/kv/a", "one", &r2), 0);
	CHECK(r2 == r1 + 1);
	CHECK_EQ(put_s(e, "/kv/a", "uno", &r3), 0);
	CHECK_EQ(put_s(e, "/kvx", "outside", NULL), 0);

	struct etcd_range r;
	CHECK_EQ(etcd_get(e, S("/kv/a"), false, 0, &r), 0);
	CHECK_EQ(r.n, 1);
	if (r.n == 1) {
		CHECK(r.kvs[0].key_len == 5 && strcmp(r.kvs[0].key, "/kv/a") == 0);
		CHECK(r.kvs[0].val_len == 3 && strcmp((char *)r.kvs[0].val, "uno") == 0);
		CHECK_EQ(r.kvs[0].create_rev, r2);
		CHECK_EQ(r.kvs[0].mod_rev, r3);
		CHECK_EQ(r.kvs[0].version, 2);
		CHECK_EQ(r.kvs[0].lease, 0);
	}
	CHECK(r.revision >= r3 + 1);
	etcd_range_free(&r);

	/* At an older revision: the first value. */
	CHECK_EQ(etcd_get(e, S("/kv/a"), false, r2, &r), 0);
	CHECK(r.n == 1 && strcmp((char *)r.kvs[0].val, "one") == 0);
	etcd_range_free(&r);

	/* A prefix: sorted by key, /kvx left out. */
	CHECK_EQ(etcd_get(e, S("/kv/"), true, 0, &r), 0);
	CHECK_EQ(r.n, 2);
	if (r.n == 2) {
		CHECK(strcmp(r.kvs[0].key, "/kv/a") == 0);
		CHECK(strcmp(r.kvs[1].key, "/kv/b") == 0);
	}
	etcd_range_free(&r);

	/* Every key: at least these. */
	CHECK_EQ(etcd_get(e, "", 0, true, 0, &r), 0);
	CHECK(r.n >= 3);
	etcd_range_free(&r);

	/* No such key: n = 0, not an error. */
	CHECK_EQ(etcd_get(e, S("/kv/none"), false, 0, &r), 0);
	CHECK_EQ(r.n, 0);
	CHECK(r.revision > 0);
	etcd_range_free(&r);

	/* Binary keys and values: NULs, 0xff, an empty value, 512 KiB. */
	static const char bkey[] = { '/', 'k', 'v', 'b', '/', 0, (char)0xff, 'x', (char)0x80 };
	size_t big_len = 512 * 1024;
	uint8_t *big = malloc(big_len);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (uint8_t)(i * 7 + (i >> 9));
	CHECK_EQ(etcd_put(e, bkey, sizeof bkey, big, big_len, 0, NULL), 0);
	CHECK_EQ(etcd_put(e, S("/kvb/empty"), "", 0, 0, NULL), 0);
	CHECK_EQ(etcd_get(e, bkey, sizeof bkey, false, 0, &r), 0);
	CHECK_EQ(r.n, 1);
	if (r.n == 1) {
		CHECK(r.kvs[0].key_len == sizeof bkey && memcmp(r.kvs[0].key, bkey, sizeof bkey) == 0);
		CHECK(r.kvs[0].val_len == big_len && memcmp(r.kvs[0].val, big, big_len) == 0);
		CHECK_EQ(r.kvs[0].val[big_len], 0);
	}
	etcd_range_free(&r);
	/* A prefix ending in 0xff bytes. */
	static const char pfx[] = { '/', 'k', 'v', 'b', '/', 0, (char)0xff };
	CHECK_EQ(etcd_get(e, pfx, sizeof pfx, true, 0, &r), 0);
	CHECK_EQ(r.n, 1);
	etcd_range_free(&r);
	CHECK_EQ(etcd_get(e, S("/kvb/empty"), false, 0, &r), 0);
	CHECK(r.n == 1 && r.kvs[0].val_len == 0 && r.kvs[0].val && r.kvs[0].val[0] == 0);
	etcd_range_free(&r);
	free(big);

	/* Deletes: one key, then a prefix. */
	int64_t deleted, rev;
	CHECK_EQ(etcd_delete(e, S("/kv/a"), false, &deleted, &rev), 0);
	CHECK_EQ(deleted, 1);
	CHECK_EQ(etcd_delete(e, S("/kv/a"), false, &deleted, NULL), 0);
	CHECK_EQ(deleted, 0);
	CHECK_EQ(etcd_delete(e, S("/kvb/"), true, &deleted, NULL), 0);
	CHECK_EQ(deleted, 2);
	CHECK_EQ(etcd_get(e, S("/kv"), true, 0, &r), 0);
	CHECK_EQ(r.n, 2); /* /kv/b and /kvx */
	etcd_range_free(&r);
	CHECK(strcmp(etcd_errmsg(e), "") == 0);
	etcd_close(e);
}

/* One txn with one compare: which branch ran; the success branch puts,
 * the failure branch gets the key. */
static int txn_one(struct etcd *e, const char *key, enum etcd_target target, enum etcd_result result,
		   int64_t v, const char *val)
{
	struct etcd_txn *t = etcd_txn_new();
	if (target == ETCD_VALUE)
		CHECK_EQ(etcd_txn_cmp_value(t, S(key), result, S(val)), 0);
	else
		CHECK_EQ(etcd_txn_cmp(t, S(key), target, result, v), 0);
	CHECK_EQ(etcd_txn_put(t, true, S("/txn/ran"), S("success"), 0), 0);
	CHECK_EQ(etcd_txn_get(t, false, S(key), false), 0);
	bool ok = false;
	int64_t rev = 0;
	int rc = etcd_txn_run(e, t, &ok, &rev);
	CHECK_EQ(rc, 0);
	CHECK(rev > 0);
	if (!ok) {
		const struct etcd_range *r = etcd_txn_result(t, 0);
		CHECK(r != NULL && r->n == 1 && r->revision == rev);
		CHECK(etcd_txn_result(t, 1) == NULL);
	} else {
		CHECK(etcd_txn_result(t, 0) == NULL);
	}
	etcd_txn_free(t);
	return rc ? -1 : ok;
}

/* Every compare target with every result, both ways; ops of both
 * branches; a txn's gets in order. */
static void txn(void)
{
	struct etcd *e = open_or_die(endpoints, TIMEOUT_MS);
	int64_t r1, r2, lease, ttl;
	CHECK_EQ(put_s(e, "/txn/k", "m", &r1), 0);
	CHECK_EQ(put_s(e, "/txn/k", "m", &r2), 0); /* create r1, mod r2, version 2 */
	CHECK_EQ(etcd_lease_grant(e, 30, &lease, &ttl), 0);
	CHECK_EQ(etcd_put(e, S("/txn/l"), S("leased"), lease, NULL), 0);

	struct {
		enum etcd_target target;
		const char *key;
		int64_t v_equal;
		const char *val_equal, *val_less, *val_greater;
	} cases[] = {
		{ ETCD_MOD, "/txn/k", r2, 0, 0, 0 },
		{ ETCD_CREATE, "/txn/k", r1, 0, 0, 0 },
		{ ETCD_VERSION, "/txn/k", 2, 0, 0, 0 },
		{ ETCD_LEASE, "/txn/l", lease, 0, 0, 0 },
		{ ETCD_VALUE, "/txn/k", 0, "m", "n", "l" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *key = cases[i].key;
		enum etcd_target tg = cases[i].target;
		int64_t v = cases[i].v_equal;
		bool isval = tg == ETCD_VALUE;
		/* The key's field is v ("m"): EQUAL v, NOT_EQUAL v+1, LESS
		 * v+1 and GREATER v-1 hold; the others do not. */
		CHECK_EQ(txn_one(e, key, tg, ETCD_EQUAL, v, cases[i].val_equal), 1);
		CHECK_EQ(txn_one(e, key, tg, ETCD_EQUAL, v + 1, isval ? "x" : NULL), 0);
		CHECK_EQ(txn_one(e, key, tg, ETCD_NOT_EQUAL, v + 1, isval ? "x" : NULL), 1);
		CHECK_EQ(txn_one(e, key, tg, ETCD_NOT_EQUAL, v, cases[i].val_equal), 0);
		CHECK_EQ(txn_one(e, key, tg, ETCD_LESS, v + 1, cases[i].val_less), 1);
		CHECK_EQ(txn_one(e, key, tg, ETCD_LESS, v, cases[i].val_equal), 0);
		CHECK_EQ(txn_one(e, key, tg, ETCD_GREATER, v - 1, cases[i].val_greater), 1);
		CHECK_EQ(txn_one(e, key, tg, ETCD_GREATER, v, cases[i].val_equal), 0);
		if (check_case_failed) {
			fprintf(stderr, "txn: compare target %zu\n", i);
			break;
		}
	}
	/* A missing key: create revision 0 (how "create if absent" is
	 * written). */
	CHECK_EQ(txn_one(e, "/txn/none", ETCD_CREATE, ETCD_EQUAL, 0, NULL), 1);

	/* Several compares (all must hold), several ops per branch, gets
	 * come back in the order they were added. */
	struct etcd_txn *t = etcd_txn_new();
	CHECK_EQ(etcd_txn_cmp(t, S("/txn/k"), ETCD_VERSION, ETCD_EQUAL, 2), 0);
	CHECK_EQ(etcd_txn_cmp(t, S("/txn/none2"), ETCD_CREATE, ETCD_EQUAL, 0), 0);
	CHECK_EQ(etcd_txn_get(t, true, S("/txn/l"), false), 0);
	CHECK_EQ(etcd_txn_put(t, true, S("/txn/p/1"), S("a"), lease), 0);
	CHECK_EQ(etcd_txn_put(t, true, S("/txn/p/2"), S("b"), 0), 0);
	CHECK_EQ(etcd_txn_get(t, true, S("/txn/p/"), true), 0);
	CHECK_EQ(etcd_txn_del(t, true, S("/txn/k"), false), 0);
	CHECK_EQ(etcd_txn_get(t, false, S("/txn/k"), false), 0);
	bool ok = false;
	int64_t rev;
	CHECK_EQ(etcd_txn_run(e, t, &ok, &rev), 0);
	CHECK(ok);
	const struct etcd_range *g0 = etcd_txn_result(t, 0), *g1 = etcd_txn_result(t, 1);
	CHECK(g0 && g0->n == 1 && strcmp(g0->kvs[0].key, "/txn/l") == 0 && g0->kvs[0].lease == lease);
	CHECK(g1 && g1->n == 2 && strcmp((char *)g1->kvs[0].val, "a") == 0 &&
	      strcmp((char *)g1->kvs[1].val, "b") == 0 && g1->kvs[0].mod_rev == rev &&
	      g1->kvs[0].lease == lease);
	CHECK(etcd_txn_result(t, 2) == NULL);
	/* Run again: /txn/k is gone (version 0), the failure branch runs. */
	CHECK_EQ(etcd_txn_run(e, t, &ok, &rev), 0);
	CHECK(!ok);
	g0 = etcd_txn_result(t, 0);
	CHECK(g0 && g0->n == 0);
	CHECK(etcd_txn_result(t, 1) == NULL);
	etcd_txn_free(t);

	/* A value compare through the integer call is refused. */
	t = etcd_txn_new();
	CHECK_EQ(etcd_txn_cmp(t, S("/txn/k"), ETCD_VALUE, ETCD_EQUAL, 0), -EINVAL);
	CHECK_EQ(etcd_txn_run(e, t, &ok, NULL), -EINVAL);
	etcd_txn_free(t);
	CHECK_EQ(etcd_lease_revoke(e, lease), 0);
	etcd_close(e);
}

/* Two clients race a compare-and-swap increment. */
#define RACE_ROUNDS 200
struct racer {
	unsigned successes, failures, errors, bad_failures;
};

static void *race_thread(void *arg)
{
	struct racer *r = arg;
	struct etcd *e = open_or_die(endpoints, TIMEOUT_MS);
	struct etcd_range cur;
	int64_t value = 0, mod = 0;
	if (etcd_get(e, S("/race/n"), false, 0, &cur)) {
		r->errors++;
		etcd_close(e);
		return NULL;
	}
	if (cur.n) {
		value = strtoll((char *)cur.kvs[0].val, NULL, 10);
		mod = cur.kvs[0].mod_rev;
	}
	etcd_range_free(&cur);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		char next[24];
		snprintf(next, sizeof next, "%" PRId64, value + 1);
		struct etcd_txn *t = etcd_txn_new();
		etcd_txn_cmp(t, S("/race/n"), ETCD_MOD, ETCD_EQUAL, mod);
		etcd_txn_put(t, true, S("/race/n"), S(next), 0);
		etcd_txn_get(t, false, S("/race/n"), false);
		bool ok;
		int64_t rev;
		if (etcd_txn_run(e, t, &ok, &rev)) {
			fprintf(stderr, "race txn: %s\n", etcd_errmsg(e));
			r->errors++;
			etcd_txn_free(t);
			break;
		}
		if (ok) {
			r->successes++;
			value++;
			mod = rev;
		} else {
			/* The failure branch read what the other wrote. */
			const struct etcd_range *g = etcd_txn_result(t, 0);
			r->failures++;
			if (!g || g->n != 1 || g->kvs[0].mod_rev <= mod) {
				r->bad_failures++;
			} else {
				value = strtoll((char *)g->kvs[0].val, NULL, 10);
				mod = g->kvs[0].mod_rev;
			}
		}
		etcd_txn_free(t);
	}
	etcd_close(e);
	return NULL;
}

static void race(void)
{
	struct etcd *e = open_or_die(endpoints, TIMEOUT_MS);
	CHECK_EQ(put_s(e, "/race/n", "0", NULL), 0);
	struct racer r[2] = { 0 };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, race_thread, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	char *v = get_s(e, "/race/n", NULL);
	long long final = v ? strtoll(v, NULL, 10) : -1;
	free(v);
	printf("race: successes %u + %u, failures %u + %u, final %lld\n", r[0].successes, r[1].successes,
	       r[0].failures, r[1].failures, final);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(r[i].errors, 0);
		CHECK_EQ(r[i].bad_failures, 0);
		CHECK_EQ(r[i].successes + r[i].failures, RACE_ROUNDS);
	}
	CHECK_EQ(final, r[0].successes + r[1].successes);
	etcd_close(e);
}

/* Grant, keepalive, expiry, revoke. */
static void lease(void)
{
	struct etcd *e = open_or_die(endpoints, TIMEOUT_MS);
	int64_t id, ttl, left;
	CHECK_EQ(etcd_lease_grant(e, 1, &id, &ttl), 0);
	CHECK_EQ(ttl, 1);
	CHECK_EQ(etcd_put(e, S("/lease/k"), S("v"), id, NULL), 0);
	struct etcd_kv kv;
	char *v = get_s(e, "/lease/k", &kv);
	CHECK(v != NULL && kv.lease == id);
	free(v);
	/* Kept alive past its TTL, the key stays. */
	double t0 = now_s();
	while (now_s() - t0 < 2.5) {
		CHECK_EQ(etcd_lease_keepalive(e, id, &left), 0);
		CHECK_EQ(left, 1);
		struct timespec ts = { 0, 250 * 1000 * 1000 }; /* the keepalive period */
		nanosleep(&ts, NULL);
	}
	v = get_s(e, "/lease/k", NULL);
	CHECK(v != NULL);
	free(v);
	/* Not kept alive: the key goes (etcd looks every 500 ms). */
	t0 = now_s();
	double gone = 0;
	while (now_s() - t0 < 5) {
		struct etcd_range r;
		CHECK_EQ(etcd_get(e, S("/lease/k"), false, 0, &r), 0);
		size_t n = r.n;
		etcd_range_free(&r);
		if (n == 0) {
			gone = now_s() - t0;
			break;
		}
		struct timespec ts = { 0, 20 * 1000 * 1000 }; /* polling */
		nanosleep(&ts, NULL);
	}
	printf("lease: key gone %.2f s after the last keepalive\n", gone);
	CHECK(gone > 0.5 && gone < 3.0);
	CHECK_EQ(etcd_lease_keepalive(e, id, &left), -ENOENT);
	CHECK(strstr(etcd_errmsg(e), "expired") != NULL);
	CHECK_EQ(etcd_lease_revoke(e, id), -ENOENT);

	/* Revoked: its keys go at once. */
	CHECK_EQ(etcd_lease_grant(e, 60, &id, &ttl), 0);
	CHECK_EQ(ttl, 60);
	CHECK_EQ(etcd_put(e, S("/lease/r"), S("v"), id, NULL), 0);
	CHECK_EQ(etcd_lease_revoke(e, id), 0);
	v = get_s(e, "/lease/r", NULL);
	CHECK(v == NULL);
	CHECK_EQ(etcd_lease_keepalive(e, id, &left), -ENOENT);
	/* A put under an unknown lease. */
	CHECK_EQ(etcd_put(e, S("/lease/x"), S("v"), id, NULL), -ENOENT);
	CHECK_EQ(etcd_lease_grant(e, 0, &id, &ttl), -EINVAL);
	etcd_close(e);
}

/* What a watch delivered, kept in order. */
struct seen_event {
	bool deleted;
	char key[64], val[64];
	int64_t mod_rev, resp_rev;
};
struct seen {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct seen_event *ev;
	size_t n, cap, calls, empty_calls;
	int err;
	int64_t compact_rev;
	bool bad; /* an event whose revision exceeds its response's */
};

static void seen_cb(void *arg, const struct etcd_event *ev, size_t n, int64_t revision)
{
	struct seen *s = arg;
	pthread_mutex_lock(&s->lock);
	s->calls++;
	if (n == 0)
		s->empty_calls++;
	for (size_t i = 0; i < n; i++) {
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 64;
			s->ev = realloc(s->ev, s->cap * sizeof *s->ev);
		}
		struct seen_event *x = &s->ev[s->n++];
		x->deleted = ev[i].deleted;
		snprintf(x->key, sizeof x->key, "%s", ev[i].kv.key);
		snprintf(x->val, sizeof x->val, "%s", (char *)ev[i].kv.val);
		x->mod_rev = ev[i].kv.mod_rev;
		x->resp_rev = revision;
		if (ev[i].kv.mod_rev > revision)
			s->bad = true;
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void seen_err(void *arg, int err, int64_t compact_rev)
{
	struct seen *s = arg;
	pthread_mutex_lock(&s->lock);
	s->err = err;
	s->compact_rev = compact_rev;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
}

/* Waits until n events were seen or an error came, at most secs. */
static bool seen_wait(struct seen *s, size_t n, double secs)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)secs;
	pthread_mutex_lock(&s->lock);
	while (s->n < n && !s->err)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
			break;
	bool ok = s->n >= n;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static bool seen_wait_err(struct seen *s, double secs)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)secs;
	pthread_mutex_lock(&s->lock);
	while (!s->err)
		if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
			break;
	bool got = s->err != 0;
	pthread_mutex_unlock(&s->lock);
	return got;
}

static struct etcd_watch *watch_or_die(const char *eps, const char *prefix, int64_t rev, struct seen *s)
{
	struct etcd_watch *w;
	char err[256];
	if (etcd_watch_start(eps, S(prefix), rev, seen_cb, seen_err, s, &w, err, sizeof err)) {
		fprintf(stderr, "etcd_watch_start: %s\n", err);
		exit(1);
	}
	return w;
}

/* Puts and deletes in order, with revisions; several events of one txn
 * in one response; nothing outside the prefix; stop is prompt. */
static void watch(void)
{
	struct etcd *e = open_or_die(endpoints, TIMEOUT_MS);
	int64_t r0, r1, r2, r3, r4;
	CHECK_EQ(put_s(e, "/w/before", "0", &r0), 0);
	struct seen s;
	seen_init(&s);
	struct etcd_watch *w = watch_or_die(endpoints, "/w/", r0 + 1, &s);
	CHECK_EQ(put_s(e, "/w/a", "1", &r1), 0);
	CHECK_EQ(put_s(e, "/wx", "outside", NULL), 0);
	CHECK_EQ(put_s(e, "/w/b", "2", &r2), 0);
	CHECK_EQ(etcd_delete(e, S("/w/a"), false, NULL, &r3), 0);
	struct etcd_txn *t = etcd_txn_new();
	etcd_txn_put(t, true, S("/w/c"), S("3"), 0);
	etcd_txn_put(t, true, S("/w/d"), S("4"), 0);
	etcd_txn_del(t, true, S("/w/b"), false);
	bool ok;
	CHECK_EQ(etcd_txn_run(e, t, &ok, &r4), 0);
	etcd_txn_free(t);
	CHECK(seen_wait(&s, 6, 5));
	double t0 = now_s();
	etcd_watch_stop(w);
	double stop_s = now_s() - t0;
	printf("watch: stopped in %.3f s\n", stop_s);
	CHECK(stop_s < 1.0);
	struct {
		bool deleted;
		const char *key, *val;
		int64_t rev;
	} want[] = {
		{ false, "/w/a", "1", r1 }, { false, "/w/b", "2", r2 }, { true, "/w/a", "", r3 },
		{ false, "/w/c", "3", r4 }, { false, "/w/d", "4", r4 }, { true, "/w/b", "", r4 },
	};
	CHECK_EQ(s.n, 6);
	CHECK_EQ(s.err, 0);
	CHECK(!s.bad);
	for (size_t i = 0; i < s.n && i < 6; i++) {
		CHECK_EQ(s.ev[i].deleted, want[i].deleted);
		CHECK(strcmp(s.ev[i].key, want[i].key) == 0);
		CHECK(strcmp(s.ev[i].val, want[i].val) == 0);
		CHECK_EQ(s.ev[i].mod_rev, want[i].rev);
	}
	/* The txn's three events came in one response. */
	if (s.n == 6)
		CHECK(s.ev[3].resp_rev == s.ev[5].resp_rev);
	free(s.ev);

	/* From now (0): only what happens after the watch was made; a stop
	 * right after the start. */
	seen_init(&s);
	w = watch_or_die(endpoints, "/w/", 0, &s);
	etcd_watch_stop(w);
	free(s.ev);
	etcd_close(e);
}

/* A watch on a member that is killed goes on on another, without losing
 * or repeating an event. endpoints: the member to kill first; writer
 * endpoints: the others. With the test (stdin/stdout), in three stages:
 *   1. the writer puts 200 events; the watch sees some; READY
 *   2. the test stops the member (SIGSTOP: the watch's connection stays
 *      open, silent) and writes STOPPED; the writer puts 100 more, which
 *      the stalled watch cannot see; WRITTEN
 *   3. the test kills the member and writes KILLED; the writer puts the
 *      last 100; the watch, on another member, gets the 100 it missed
 *      from history and the rest, each once, in order. */
#define WF_EVENTS 400

struct writer {
	unsigned done, limit;
	int err;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *writer_thread(void *arg)
{
	struct writer *wr = arg;
	struct etcd *e = open_or_die(writer_endpoints, TIMEOUT_MS);
	for (unsigned i = 0; i < WF_EVENTS; i++) {
		pthread_mutex_lock(&wr->lock);
		while (i == wr->limit)
			pthread_cond_wait(&wr->cond, &wr->lock);
		pthread_mutex_unlock(&wr->lock);
		char k[32], v[16];
		snprintf(k, sizeof k, "/wf/%u", i % 7);
		snprintf(v, sizeof v, "%u", i);
		int rc = etcd_put(e, S(k), S(v), 0, NULL);
		pthread_mutex_lock(&wr->lock);
		if (rc) {
			fprintf(stderr, "writer: put %u: %s\n", i, etcd_errmsg(e));
			wr->err = rc;
		} else {
			wr->done = i + 1;
		}
		pthread_cond_broadcast(&wr->cond);
		pthread_mutex_unlock(&wr->lock);
		if (rc)
			break;
	}
	etcd_close(e);
	return NULL;
}

/* Lets the writer go on to limit and waits until it is there. */
static bool writer_to(struct writer *wr, unsigned limit)
{
	pthread_mutex_lock(&wr->lock);
	wr->limit = limit;
	pthread_cond_broadcast(&wr->cond);
	while (wr->done < limit && !wr->err)
		pthread_cond_wait(&wr->cond, &wr->lock);
	bool ok = !wr->err;
	pthread_mutex_unlock(&wr->lock);
	return ok;
}

static size_t seen_n(struct seen *s)
{
	pthread_mutex_lock(&s->lock);
	size_t n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Says word on stdout, waits for reply on stdin. */
static bool handshake(const char *word, const char *reply)
{
	printf("%s\n", word);
	fflush(stdout);
	char line[32];
	if (!fgets(line, sizeof line, stdin) || strncmp(line, reply, strlen(reply)) != 0) {
		fprintf(stderr, "no %s on stdin\n", reply);
		return false;
	}
	return true;
}

static void watch_failover(void)
{
	struct etcd *e = open_or_die(writer_endpoints, TIMEOUT_MS);
	int64_t r0;
	CHECK_EQ(put_s(e, "/wf-start", "x", &r0), 0);
	struct seen s;
	seen_init(&s);
	struct etcd_watch *w = watch_or_die(endpoints, "/wf/", r0 + 1, &s);
	struct writer wr = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	pthread_t th;
	pthread_create(&th, NULL, writer_thread, &wr);
	CHECK(writer_to(&wr, 200));
	CHECK(seen_wait(&s, 1, 10));
	CHECK_EQ(etcd_watch_reconnects(w), 0);
	size_t at_stop = 0, at_written = 0;
	if (handshake("READY", "STOPPED")) {
		at_stop = seen_n(&s);
		CHECK(writer_to(&wr, 300));
		at_written = seen_n(&s);
		/* The stopped member sent nothing more. */
		CHECK(at_written == at_stop && at_written <= 200);
		CHECK_EQ(etcd_watch_reconnects(w), 0);
		if (handshake("WRITTEN", "KILLED"))
			CHECK(writer_to(&wr, WF_EVENTS));
	} else {
		CHECK(0);
	}
	/* Let the writer end in any case. */
	pthread_mutex_lock(&wr.lock);
	wr.limit = WF_EVENTS;
	pthread_cond_broadcast(&wr.cond);
	pthread_mutex_unlock(&wr.lock);
	pthread_join(th, NULL);
	CHECK_EQ(wr.err, 0);
	CHECK(seen_wait(&s, WF_EVENTS, 15));
	unsigned reconnects = etcd_watch_reconnects(w);
	etcd_watch_stop(w);
	printf("watch_failover: %zu events (%zu when the member was stopped), %u reconnects\n", s.n,
	       at_stop, reconnects);
	CHECK(reconnects >= 1);
	CHECK_EQ(s.err, 0);
	/* Exactly the writer's sequence, each once, revisions rising. */
	CHECK_EQ(s.n, WF_EVENTS);
	for (size_t i = 0; i < s.n; i++) {
		char v[24];
		snprintf(v, sizeof v, "%zu", i);
		if (strcmp(s.ev[i].val, v) != 0 || (i && s.ev[i].mod_rev != s.ev[i - 1].mod_rev + 1)) {
			fprintf(stderr, "watch_failover: event %zu is value %s at revision %" PRId64 "\n", i,
				s.ev[i].val, s.ev[i].mod_rev);
			CHECK(0);
			break;
		}
	}
	free(s.ev);
	etcd_close(e);
}

/* A watch on a member that loses its leader (endpoints: that member
 * alone): etcd ends the watch (it asked for a leader), and once the quorum
 * is back the watch goes on where it was. With the test: READY, the test
 * kills the other members (QUORUM_LOST); the watch ends: ENDED, the test
 * starts them again (RESTORED). */
static void leaderloss(void)
{
	struct etcd *e = open_or_die(writer_endpoints, TIMEOUT_MS);
	int64_t ra, rb = 0;
	double ended = -1;
	CHECK_EQ(put_s(e, "/ll/a", "a", &ra), 0);
	struct seen s;
	seen_init(&s);
	struct etcd_watch *w = watch_or_die(endpoints, "/ll/", ra, &s);
	CHECK(seen_wait(&s, 1, 10));
	CHECK(etcd_watch_connected(w));
	if (handshake("READY", "QUORUM_LOST")) {
		double t0 = now_s();
		while (etcd_watch_connected(w) && now_s() - t0 < 10) {
			struct timespec ts = { 0, 20 * 1000 * 1000 }; /* polling */
			nanosleep(&ts, NULL);
		}
		CHECK(!etcd_watch_connected(w));
		ended = now_s() - t0;
		if (handshake("ENDED", "RESTORED")) {
			CHECK_EQ(put_s(e, "/ll/b", "b", &rb), 0);
			CHECK(seen_wait(&s, 2, 10));
		}
	} else {
		CHECK(0);
	}
	unsigned reconnects = etcd_watch_reconnects(w);
	etcd_watch_stop(w);
	printf("leaderloss: the watch ended %.2f s after the member lost its leader; %u reconnects\n", ended,
	       reconnects);
	CHECK(reconnects >= 1);
	CHECK_EQ(s.err, 0);
	CHECK_EQ(s.n, 2);
	if (s.n == 2) {
		CHECK(strcmp(s.ev[0].val, "a") == 0 && s.ev[0].mod_rev == ra);
		CHECK(strcmp(s.ev[1].val, "b") == 0 && s.ev[1].mod_rev == rb);
	}
	free(s.ev);
	etcd_close(e);
}

/* Compacted history: a watch from before it is -ERANGE with the
 * compaction's revision; so is a read at such a revision. */
static void compacted(void)
{
	struct etcd *e = open_or_die(endpoints, TIMEOUT_MS);
	int64_t r1, r2;
	CHECK_EQ(put_s(e, "/c/k", "1", &r1), 0);
	CHECK_EQ(put_s(e, "/c/k", "2", &r2), 0);
	CHECK_EQ(etcd_compact(e, r2), 0);
	struct etcd_range r;
	CHECK_EQ(etcd_get(e, S("/c/k"), false, r1, &r), -ERANGE);
	CHECK(strstr(etcd_errmsg(e), "compacted") != NULL);
	struct seen s;
	seen_init(&s);
	struct etcd_watch *w = watch_or_die(endpoints, "/c/", r1, &s);
	CHECK(seen_wait_err(&s, 5));
	CHECK_EQ(s.err, -ERANGE);
	CHECK_EQ(s.compact_rev, r2);
	CHECK_EQ(s.n, 0);
	etcd_watch_stop(w);
	free(s.ev);
	/* From the compaction's revision on, it works. */
	seen_init(&s);
	w = watch_or_die(endpoints, "/c/", r2, &s);
	CHECK(seen_wait(&s, 1, 5));
	CHECK(s.n == 1 && s.ev[0].mod_rev == r2 && strcmp(s.ev[0].val, "2") == 0);
	etcd_watch_stop(w);
	free(s.ev);
	etcd_close(e);
}

/* Quorum lost (endpoints: the member left first, then the dead ones):
 * reads and writes fail at once with etcd's "no leader", not after the
 * timeout; a watch gets nothing and stops promptly. */
static void noquorum(void)
{
	struct etcd *e = open_or_die(endpoints, 3000);
	struct etcd_range r;
	double t0 = now_s();
	CHECK_EQ(etcd_get(e, S("/q"), false, 0, &r), -ETIMEDOUT);
	double took = now_s() - t0;
	printf("noquorum: get failed in %.3f s: %s\n", took, etcd_errmsg(e));
	CHECK(took < 1.0);
	CHECK(strstr(etcd_errmsg(e), "no leader") != NULL);
	t0 = now_s();
	CHECK_EQ(etcd_put(e, S("/q"), S("v"), 0, NULL), -ETIMEDOUT);
	took = now_s() - t0;
	printf("noquorum: put failed in %.3f s: %s\n", took, etcd_errmsg(e));
	CHECK(took < 1.0);
	CHECK(strstr(etcd_errmsg(e), "no leader") != NULL);
	struct etcd_txn *t = etcd_txn_new();
	etcd_txn_cmp(t, S("/q"), ETCD_VERSION, ETCD_EQUAL, 0);
	etcd_txn_put(t, true, S("/q"), S("v"), 0);
	bool ok;
	CHECK_EQ(etcd_txn_run(e, t, &ok, NULL), -ETIMEDOUT);
	etcd_txn_free(t);
	int64_t id;
	CHECK_EQ(etcd_lease_grant(e, 2, &id, NULL), -ETIMEDOUT);
	etcd_close(e);

	struct seen s;
	seen_init(&s);
	struct etcd_watch *w = watch_or_die(endpoints, "/q", 0, &s);
	struct timespec ts = { 0, 300 * 1000 * 1000 }; /* let it try a few times */
	nanosleep(&ts, NULL);
	t0 = now_s();
	etcd_watch_stop(w);
	CHECK(now_s() - t0 < 1.0);
	CHECK_EQ(s.err, 0);
	CHECK_EQ(s.n, 0);
}

/* A socket that accepts connections (the kernel's backlog) and never
 * answers. */
static int blackhole(char *url, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&a, &al)) {
		perror("blackhole");
		exit(1);
	}
	snprintf(url, len, "http://127.0.0.1:%u", ntohs(a.sin_port));
	return fd;
}

/* Every member down (endpoints: the dead cluster's): a clear error at
 * once; a member that never answers: -ETIMEDOUT within the timeout; a
 * write that got no answer is not sent again. */
static void down(void)
{
	struct etcd *e = open_or_die(endpoints, 500);
	struct etcd_range r;
	double t0 = now_s();
	CHECK_EQ(etcd_get(e, S("/d"), false, 0, &r), -ECONNREFUSED);
	double took = now_s() - t0;
	printf("down: refused in %.3f s: %s\n", took, etcd_errmsg(e));
	CHECK(took < 0.5);
	CHECK(strstr(etcd_errmsg(e), "no etcd member answered") != NULL);
	CHECK_EQ(etcd_put(e, S("/d"), S("secret-value"), 0, NULL), -ECONNREFUSED);
	CHECK(strstr(etcd_errmsg(e), "secret-value") == NULL);
	int64_t id;
	CHECK_EQ(etcd_lease_grant(e, 2, &id, NULL), -ECONNREFUSED);
	etcd_close(e);

	char url[64], eps[512];
	int fd = blackhole(url, sizeof url);
	snprintf(eps, sizeof eps, "%s,%s", url, endpoints);
	e = open_or_die(eps, 300);
	t0 = now_s();
	CHECK_EQ(etcd_get(e, S("/d"), false, 0, &r), -ETIMEDOUT);
	took = now_s() - t0;
	printf("down: silent member: %.3f s: %s\n", took, etcd_errmsg(e));
	CHECK(took >= 0.29 && took < 0.6);
	etcd_close(e);
	e = open_or_die(url, 300);
	t0 = now_s();
	CHECK_EQ(etcd_put(e, S("/d"), S("v"), 0, NULL), -ETIMEDOUT);
	took = now_s() - t0;
	CHECK(took >= 0.29 && took < 0.6);
	etcd_close(e);
	close(fd);

	/* A watch on dead members is no error; it stops promptly. */
	struct seen s;
	seen_init(&s);
	struct etcd_watch *w = watch_or_die(endpoints, "/d", 0, &s);
	struct timespec ts = { 0, 300 * 1000 * 1000 }; /* let it retry a few rounds */
	nanosleep(&ts, NULL);
	t0 = now_s();
	etcd_watch_stop(w);
	CHECK(now_s() - t0 < 1.0);
	CHECK_EQ(s.err, 0);
	CHECK_EQ(s.calls, 0);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s CASE ENDPOINTS [WRITER_ENDPOINTS]\n", argv[0]);
		return 2;
	}
	endpoints = argv[2];
	writer_endpoints = argc > 3 ? argv[3] : argv[2];
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "kv", kv }, { "txn", txn }, { "race", race }, { "lease", lease }, { "watch", watch },
		{ "watch_failover", watch_failover }, { "leaderloss", leaderloss }, { "compacted", compacted },
		{ "noquorum", noquorum },
		{ "down", down },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (strcmp(argv[1], cases[i].name) == 0) {
			check_case_failed = 0;
			cases[i].fn();
			printf("%s - %s\n", check_case_failed ? "not ok" : "ok", cases[i].name);
			check_failures += check_case_failed;
			return CHECK_DONE();
		}
	}
	fprintf(stderr, "unknown case %s\n", argv[1]);
	return 2;
}
