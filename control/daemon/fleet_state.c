/* SPDX-License-Identifier: BSD-3-Clause */
/* The fleet's rows in etcd and the controller's copy of them: the contract
 * is fleet.h, the design docs/fleet.md ("The state in etcd"). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api/log.h"
#include "control/daemon/etcd.h"
#include "control/daemon/fleet.h"
#include "control/daemon/fleet_priv.h"
#include "control/daemon/store_repl.h"

#define ROWS_PREFIX "t/"
#define HEAD_KEY "head"
#define KEK_KEY "kek"           /* proof of the fleet's key-encryption key */
#define KEK_LABEL "fleet key-encryption key check"

static int change_write(struct fleet *f, char *err, size_t errlen);

static void ev_free(struct fleet_ev *ev)
{
	free(ev->key);
	if (ev->val != NULL) {
		OPENSSL_cleanse(ev->val, ev->val_len); /* rows hold sealed keys: still, no copies */
		free(ev->val);
	}
}

static void batch_free(struct fleet_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		ev_free(&b->ev[i]);
	free(b);
}

static void wake(struct fleet *f)
{
	uint64_t one = 1;

	if (write(f->efd, &one, sizeof(one)) < 0) {
		/* the counter is full: the main thread is already due to read */
	}
	pthread_cond_broadcast(&f->cv);
}

/* ---- the watch thread ------------------------------------------------------ */

static void on_events(void *arg, const struct etcd_event *ev, size_t n, int64_t revision)
{
	struct fleet *f = arg;
	struct fleet_batch *b = calloc(1, sizeof(*b) + n * sizeof(b->ev[0]));

	if (b == NULL) {
		pthread_mutex_lock(&f->mu);
		f->watch_err = -ENOMEM;
		pthread_mutex_unlock(&f->mu);
		wake(f);
		return;
	}
	b->revision = revision;
	for (size_t i = 0; i < n; i++) {
		const struct etcd_kv *kv = &ev[i].kv;
		struct fleet_ev *o = &b->ev[b->n];

		if (kv->key_len < f->plen || memcmp(kv->key, f->prefix, f->plen) != 0)
			continue;
		o->deleted = ev[i].deleted;
		o->mod_rev = kv->mod_rev;
		o->lease = kv->lease;
		o->key_len = kv->key_len - f->plen;
		o->key = malloc(o->key_len + 1);
		if (!o->deleted)
			o->val = malloc(kv->val_len + 1);
		if (o->key == NULL || (!o->deleted && o->val == NULL)) {
			ev_free(o);
			batch_free(b);
			pthread_mutex_lock(&f->mu);
			f->watch_err = -ENOMEM;
			pthread_mutex_unlock(&f->mu);
			wake(f);
			return;
		}
		memcpy(o->key, kv->key + f->plen, o->key_len);
		o->key[o->key_len] = '\0';
		if (!o->deleted) {
			memcpy(o->val, kv->val, kv->val_len);
			o->val[kv->val_len] = '\0';
			o->val_len = kv->val_len;
		}
		b->n++;
	}
	pthread_mutex_lock(&f->mu);
	if (f->q_tail != NULL)
		f->q_tail->next = b;
	else
		f->q_head = b;
	f->q_tail = b;
	if (revision > f->seen_rev)
		f->seen_rev = revision;
	pthread_mutex_unlock(&f->mu);
	wake(f);
}

static void on_watch_error(void *arg, int err, int64_t compact_rev)
{
	struct fleet *f = arg;

	(void)compact_rev;
	pthread_mutex_lock(&f->mu);
	f->watch_err = err;
	pthread_mutex_unlock(&f->mu);
	wake(f);
}

/* ---- the copy -------------------------------------------------------------- */

static bool is_row(const char *key, size_t len)
{
	return len > 2 && memcmp(key, ROWS_PREFIX, 2) == 0;
}

static bool is_head(const char *key, size_t len)
{
	return len == strlen(HEAD_KEY) && memcmp(key, HEAD_KEY, len) == 0;
}

static void stop_watch(struct fleet *f)
{
	struct fleet_batch *b;

	if (f->w != NULL)
		etcd_watch_stop(f->w);
	f->w = NULL;
	pthread_mutex_lock(&f->mu);
	while ((b = f->q_head) != NULL) {
		f->q_head = b->next;
		batch_free(b);
	}
	f->q_tail = NULL;
	f->watch_err = 0;
	pthread_mutex_unlock(&f->mu);
}

static int start_watch(struct fleet *f, char *err, size_t errlen)
{
	return etcd_watch_start(f->endpoints, f->prefix, f->plen, f->rev + 1, on_events, on_watch_error,
				f, &f->w, err, errlen);
}

/* Put every row of the store into an empty fleet, with head: only if head
 * still does not exist (two controllers starting a fleet at once: one wins,
 * the other loads the winner's rows). */
struct upload {
	struct fleet *f;
	struct etcd_txn *t;
	unsigned n;
	int rc;
};

static int upload_row(void *arg, const char *key, const char *val, size_t val_len)
{
	struct upload *u = arg;
	char k[KEY_MAX];
	int n = snprintf(k, sizeof(k), "%s%s", u->f->prefix, key);

	if (n < 0 || (size_t)n >= sizeof(k))
		return u->rc = -ENAMETOOLONG;
	u->n++;
	return u->rc = etcd_txn_put(u->t, true, k, (size_t)n, val, val_len, 0);
}

static int head_value(const struct fleet *f, char *buf, size_t len)
{
	return snprintf(buf, len, "{\"by\":\"%s\",\"at\":%lld}", f->name, (long long)time(NULL));
}

static int put_head(struct fleet *f, struct etcd_txn *t)
{
	char k[KEY_MAX], v[256];
	int kn = snprintf(k, sizeof(k), "%s%s", f->prefix, HEAD_KEY);
	int vn = head_value(f, v, sizeof(v));

	return etcd_txn_put(t, true, k, (size_t)kn, v, (size_t)vn, 0);
}

static int head_cmp(struct fleet *f, struct etcd_txn *t)
{
	char k[KEY_MAX];
	int kn = snprintf(k, sizeof(k), "%s%s", f->prefix, HEAD_KEY);

	/* no head yet: it must still not exist */
	if (f->head_mod == 0)
		return etcd_txn_cmp(t, k, (size_t)kn, ETCD_CREATE, ETCD_EQUAL, 0);
	return etcd_txn_cmp(t, k, (size_t)kn, ETCD_MOD, ETCD_EQUAL, f->head_mod);
}

/* Every controller of a fleet must have the same key-encryption key (the
 * rows' keys are sealed with it): etcd holds an HMAC of a label under it,
 * which says nothing of the key, and each controller compares its own. */
static int kek_proof(struct fleet *f, char hex[65])
{
	uint8_t mac[32];
	int rc = store_derive_secret(f->s, KEK_LABEL, mac);

	for (int i = 0; rc == 0 && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

static int upload(struct fleet *f, bool *won, char *err, size_t errlen)
{
	struct upload u = { .f = f, .t = etcd_txn_new() };
	bool ok = false;
	int64_t rev = 0;
	int rc;

	*won = false;
	if (u.t == NULL)
		return -ENOMEM;
	f->head_mod = 0;
	rc = head_cmp(f, u.t);
	if (rc == 0) {
		char k[KEY_MAX], v[65];
		int kn = snprintf(k, sizeof(k), "%s%s", f->prefix, KEK_KEY);

		rc = kek_proof(f, v);
		if (rc == 0)
			rc = etcd_txn_put(u.t, true, k, (size_t)kn, v, 64, 0);
	}
	if (rc == 0)
		rc = store_repl_foreach(f->s, upload_row, &u);
	if (rc == 0 && u.rc == 0)
		rc = put_head(f, u.t);
	if (rc == 0 && u.rc == 0)
		rc = etcd_txn_run(f->e, u.t, &ok, &rev);
	etcd_txn_free(u.t);
	if (u.rc != 0)
		rc = u.rc;
	if (rc < 0) {
		snprintf(err, errlen, "putting this controller's rows into the new fleet: %s",
			 etcd_errmsg(f->e)[0] != 0 ? etcd_errmsg(f->e) : strerror(-rc));
		return rc;
	}
	if (ok) {
		*won = true;
		f->rev = f->head_mod = rev;
		sgw_log(LOG_NOTICE, "fleet: started it with this controller's %u rows (revision %lld)", u.n,
			(long long)rev);
	}
	return 0;
}

/* Make the copy the fleet's rows, at one revision. */
static int load(struct fleet *f, char *err, size_t errlen)
{
	struct etcd_range r = { 0 };
	struct store_repl_row *rows = NULL;
	size_t nrows = 0;
	int64_t head_mod = 0;
	int rc;

	rc = etcd_get(f->e, f->prefix, f->plen, true, 0, &r);
	if (rc < 0) {
		snprintf(err, errlen, "reading the fleet's state: %s",
			 etcd_errmsg(f->e)[0] != 0 ? etcd_errmsg(f->e) : strerror(-rc));
		return rc;
	}
	rows = calloc(r.n + 1, sizeof(*rows));
	if (rows == NULL) {
		etcd_range_free(&r);
		return -ENOMEM;
	}
	place_view_clear(&f->pv);
	for (size_t i = 0; i < r.n; i++) {
		const struct etcd_kv *kv = &r.kvs[i];
		const char *k = kv->key + f->plen;
		size_t klen = kv->key_len - f->plen;

		if (kv->key_len < f->plen)
			continue;
		if (klen == strlen(KEK_KEY) && memcmp(k, KEK_KEY, klen) == 0) {
			char mine[65];

			if (kek_proof(f, mine) != 0 || kv->val_len != 64 || memcmp(kv->val, mine, 64) != 0) {
				snprintf(err, errlen, "this controller's key-encryption key is not the fleet's: "
					 "kek_file must hold the same key on every controller of a fleet");
				free(rows);
				etcd_range_free(&r);
				return -EPERM;
			}
		}
		if (is_head(k, klen))
			head_mod = kv->mod_rev;
		else if (is_row(k, klen))
			rows[nrows++] = (struct store_repl_row){ k, klen, (const char *)kv->val, kv->val_len };
		else if (place_view_event(&f->pv, k, klen, (const char *)kv->val, kv->val_len, kv->lease,
					  kv->mod_rev, false) != 0) {
			free(rows);
			etcd_range_free(&r);
			return -ENOMEM;
		}
	}
	if (head_mod == 0 && nrows == 0) {
		/* a fleet with no state yet */
		bool won;

		free(rows);
		etcd_range_free(&r);
		rc = upload(f, &won, err, errlen);
		if (rc < 0 || won)
			return rc;
		return load(f, err, errlen); /* another controller started it first */
	}
	f->applying = true;
	rc = store_begin(f->s);
	if (rc == 0)
		rc = store_repl_clear(f->s);
	if (rc == 0)
		rc = store_repl_apply(f->s, rows, nrows);
	if (rc == 0)
		rc = store_commit(f->s);
	else
		store_rollback(f->s);
	f->applying = false;
	if (rc < 0) {
		snprintf(err, errlen, "copying the fleet's state: %s", store_errmsg(f->s));
	} else {
		f->rev = r.revision;
		f->head_mod = head_mod;
		f->reload = false;
	}
	free(rows);
	etcd_range_free(&r);
	return rc;
}

static int reload(struct fleet *f)
{
	char err[256] = "";
	int rc;

	stop_watch(f);
	rc = load(f, err, sizeof(err));
	if (rc == 0)
		rc = start_watch(f, err, sizeof(err));
	if (rc < 0) {
		f->reload = true;
		sgw_log(LOG_ERR, "fleet: %s", err);
		return rc;
	}
	sgw_log(LOG_NOTICE, "fleet: copy reloaded at revision %lld", (long long)f->rev);
	return 0;
}

static int hook_begin(void *arg, char *err, size_t errlen)
{
	struct fleet *f = arg;
	int rc;

	if (f->applying)
		return 0;
	rc = store_repl_record(f->s);
	if (rc < 0)
		snprintf(err, errlen, "recording the change for the fleet: %s", store_errmsg(f->s));
	return rc;
}

static int hook_commit(void *arg, char *err, size_t errlen)
{
	struct fleet *f = arg;
	int rc;

	if (f->applying)
		return 0;
	rc = change_write(f, err, errlen);
	f->written = rc == 0;
	return rc;
}

static void hook_end(void *arg, bool committed)
{
	struct fleet *f = arg;

	/* in etcd but not in the copy: the watch skips our own revisions, so
	 * only a reload brings it */
	if (f->written && !committed && !f->applying) {
		sgw_log(LOG_WARNING, "fleet: a change written to etcd did not commit here: reloading the copy");
		f->reload = true;
		wake(f);
	}
	f->written = false;
	f->chg_place.stream_id = 0;
	f->n_req = 0;
}

int fleet_open(const struct fleet_cfg *cfg, struct store *s, struct fleet **out, char *err,
	       size_t errlen)
{
	struct fleet *f = calloc(1, sizeof(*f));
	int rc;

	*out = NULL;
	if (f == NULL)
		return -ENOMEM;
	f->s = s;
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->endpoints = strdup(cfg->endpoints);
	f->prefix = strdup(cfg->prefix);
	f->name = strdup(cfg->name);
	f->timeout_ms = cfg->timeout_ms;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (f->efd < 0 || f->endpoints == NULL || f->prefix == NULL || f->name == NULL) {
		snprintf(err, errlen, "out of memory or file descriptors");
		fleet_close(f);
		return -ENOMEM;
	}
	f->plen = strlen(f->prefix);
	rc = etcd_open(f->endpoints, f->timeout_ms, &f->e, err, errlen);
	if (rc == 0)
		rc = load(f, err, errlen);
	if (rc == 0)
		rc = start_watch(f, err, errlen);
	if (rc < 0) {
		fleet_close(f);
		return rc;
	}
	store_set_hooks(s, &(struct store_hooks){ hook_begin, hook_commit, hook_end, f });
	*out = f;
	return 0;
}

void fleet_close(struct fleet *f)
{
	if (f == NULL)
		return;
	if (f->s != NULL)
		store_set_hooks(f->s, NULL);
	stop_watch(f);
	if (f->e != NULL)
		etcd_close(f->e);
	if (f->efd >= 0)
		close(f->efd);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	place_view_clear(&f->pv);
	free(f->endpoints);
	free(f->prefix);
	free(f->name);
	free(f);
}

int fleet_fd(const struct fleet *f)
{
	return f->efd;
}

/* One response: its t/ events newer than the copy, in one transaction. */
static int apply_batch(struct fleet *f, const struct fleet_batch *b)
{
	struct store_repl_row *rows = calloc(b->n + 1, sizeof(*rows));
	size_t n = 0;
	int64_t head = f->head_mod;
	int rc = 0;

	if (rows == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		const struct fleet_ev *ev = &b->ev[i];

		/* gateways and placements: every event, in etcd's order (our own
		 * change's revision says nothing of them) */
		if (!is_row(ev->key, ev->key_len) &&
		    place_view_event(&f->pv, ev->key, ev->key_len, ev->val, ev->val_len, ev->lease,
				     ev->mod_rev, ev->deleted) != 0) {
			free(rows);
			return -ENOMEM;
		}
		if (ev->mod_rev <= f->rev)
			continue; /* the copy has it: our own change, or the snapshot's */
		if (is_head(ev->key, ev->key_len) && !ev->deleted && ev->mod_rev > head)
			head = ev->mod_rev;
		else if (is_row(ev->key, ev->key_len))
			rows[n++] = (struct store_repl_row){ ev->key, ev->key_len, ev->val, ev->val_len };
	}
	if (n > 0) {
		f->applying = true;
		rc = store_begin(f->s);
		if (rc == 0)
			rc = store_repl_apply(f->s, rows, n);
		if (rc == 0)
			rc = store_commit(f->s);
		else
			store_rollback(f->s);
		f->applying = false;
		if (rc < 0)
			sgw_log(LOG_ERR, "fleet: a change from another controller does not apply here (%s): "
				"reloading the copy", store_errmsg(f->s));
	}
	if (rc == 0) {
		f->head_mod = head;
		if (b->revision > f->rev)
			f->rev = b->revision;
	}
	free(rows);
	return rc;
}

int fleet_catch_up(struct fleet *f)
{
	struct fleet_batch *b;
	uint64_t cnt;
	int n = 0, werr;

	if (read(f->efd, &cnt, sizeof(cnt)) < 0) {
		/* nothing signalled: look anyway */
	}
	pthread_mutex_lock(&f->mu);
	werr = f->watch_err;
	pthread_mutex_unlock(&f->mu);
	if (werr != 0 || f->reload) {
		if (werr == -ERANGE)
			sgw_log(LOG_WARNING, "fleet: the watch fell behind etcd's compaction: reloading");
		return reload(f) < 0 ? -EIO : 0;
	}
	for (;;) {
		pthread_mutex_lock(&f->mu);
		b = f->q_head;
		if (b != NULL) {
			f->q_head = b->next;
			if (f->q_head == NULL)
				f->q_tail = NULL;
		}
		pthread_mutex_unlock(&f->mu);
		if (b == NULL)
			break;
		if (apply_batch(f, b) < 0) {
			batch_free(b);
			return reload(f) < 0 ? -EIO : n;
		}
		batch_free(b);
		n++;
	}
	return n;
}

/* ---- changes ----------------------------------------------------------------- */

struct write_ctx {
	struct fleet *f;
	struct etcd_txn *t;
	unsigned n;
};

static int write_row(void *arg, const char *key, const char *val, size_t val_len)
{
	struct write_ctx *w = arg;
	char k[KEY_MAX];
	int n = snprintf(k, sizeof(k), "%s%s", w->f->prefix, key);

	if (n < 0 || (size_t)n >= sizeof(k))
		return -ENAMETOOLONG;
	w->n++;
	if (val == NULL)
		return etcd_txn_del(w->t, true, k, (size_t)n, false);
	return etcd_txn_put(w->t, true, k, (size_t)n, val, val_len, 0);
}

static int change_write(struct fleet *f, char *err, size_t errlen)
{
	struct write_ctx w = { .f = f, .t = etcd_txn_new() };
	char k[KEY_MAX];
	int kn = snprintf(k, sizeof(k), "%s%s", f->prefix, HEAD_KEY);
	bool ok = false;
	int64_t rev = 0;
	int rc;

	if (w.t == NULL)
		return -ENOMEM;
	if (f->reload) {
		etcd_txn_free(w.t);
		snprintf(err, errlen, "this controller's copy of the fleet's state is being reloaded: try again");
		return -EAGAIN;
	}
	rc = store_repl_changes(f->s, write_row, &w);
	if (rc < 0) {
		snprintf(err, errlen, "database: %s", store_errmsg(f->s));
		etcd_txn_free(w.t);
		return rc;
	}
	if (w.n == 0) { /* nothing the fleet shares */
		etcd_txn_free(w.t);
		return 0;
	}
	rc = head_cmp(f, w.t);
	if (rc == 0)
		rc = put_head(f, w.t);
	if (rc == 0)
		rc = place_change_ops(f, w.t);
	if (rc == 0)
		rc = etcd_txn_get(w.t, false, k, (size_t)kn, false);
	if (rc == 0)
		rc = etcd_txn_run(f->e, w.t, &ok, &rev);
	if (rc == -ETIMEDOUT && etcd_no_leader(f->e)) {
		/* refused by every member: nothing was applied */
		snprintf(err, errlen, "etcd has no leader (its quorum is lost, or it is electing one): the change "
			 "was not made; try again once etcd has a leader");
		etcd_txn_free(w.t);
		return -EHOSTDOWN;
	}
	if (rc == -ETIMEDOUT) {
		/* sent and not answered: etcd may have applied it; if it did,
		 * the watch brings it into the copy like another's change */
		snprintf(err, errlen, "etcd did not answer in time: the change may or may not have been made "
			 "(this controller shows it once etcd has it)");
		etcd_txn_free(w.t);
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "etcd: %s", etcd_errmsg(f->e)[0] != 0 ? etcd_errmsg(f->e) : strerror(-rc));
		etcd_txn_free(w.t);
		return rc;
	}
	if (ok) {
		/* every change writes head, so nothing else changed rows between
		 * the copy's head and this one: the copy (once committed) is at rev */
		f->rev = f->head_mod = rev;
	} else {
		const struct etcd_range *r = etcd_txn_result(w.t, 0);

		f->want_rev = r != NULL && r->n > 0 ? r->kvs[0].mod_rev : rev;
		f->conflicts++;
		snprintf(err, errlen, "another controller changed the fleet at the same time");
		rc = -EAGAIN;
	}
	etcd_txn_free(w.t);
	return rc;
}

int fleet_wait_current(struct fleet *f, unsigned timeout_ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	for (;;) {
		if (fleet_catch_up(f) < 0)
			return -EIO;
		if (f->head_mod >= f->want_rev)
			return 0;
		pthread_mutex_lock(&f->mu);
		if (f->q_head == NULL && f->watch_err == 0 &&
		    pthread_cond_timedwait(&f->cv, &f->mu, &until) == ETIMEDOUT) {
			pthread_mutex_unlock(&f->mu);
			return -ETIMEDOUT;
		}
		pthread_mutex_unlock(&f->mu);
	}
}

int64_t fleet_revision(const struct fleet *f)
{
	return f->rev;
}

uint64_t fleet_conflicts(const struct fleet *f)
{
	return f->conflicts;
}

int fleet_gateways(struct fleet *f, int (*cb)(void *arg, const char *name, int64_t lease), void *arg,
		   char *err, size_t errlen)
{
	char k[KEY_MAX];
	int kn = snprintf(k, sizeof(k), "%sgw/", f->prefix);
	struct etcd_range r = { 0 };
	int rc = etcd_get(f->e, k, (size_t)kn, true, 0, &r);

	if (rc < 0) {
		snprintf(err, errlen, "etcd: %s", etcd_errmsg(f->e)[0] != 0 ? etcd_errmsg(f->e) : strerror(-rc));
		return rc;
	}
	for (size_t i = 0; rc == 0 && i < r.n; i++)
		rc = cb(arg, r.kvs[i].key + kn, r.kvs[i].lease);
	etcd_range_free(&r);
	return rc;
}
