/* SPDX-License-Identifier: BSD-3-Clause */
/* The fleet's gateways and placements as the watch shows them, and the
 * writes of placements (fleet.h, docs/fleet.md "Placing a stream"). The
 * view is fed by fleet_state.c with every gw/ and placement/ event, in
 * etcd's order, and reset with every snapshot. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/etcd.h"
#include "control/daemon/fleet.h"
#include "control/daemon/fleet_priv.h"

#define GW_PREFIX "gw/"
#define PLACE_PREFIX "placement/"
#define READY_PREFIX "ready/"

void place_view_clear(struct place_view *v)
{
	free(v->p);
	free(v->gw);
	v->p = NULL;
	v->gw = NULL;
	v->n = v->cap = v->n_gw = v->cap_gw = 0;
	v->version++;
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len > n && memcmp(s, prefix, n) == 0;
}

/* The index of stream_id in v->p, or where it would go (*found false). */
static size_t place_find(const struct place_view *v, int64_t stream_id, bool *found)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->p[mid].stream_id < stream_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < v->n && v->p[lo].stream_id == stream_id;
	return lo;
}

static size_t gw_find(const struct place_view *v, const char *name, bool *found)
{
	size_t lo = 0, hi = v->n_gw;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v->gw[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < v->n_gw && strcmp(v->gw[lo].name, name) == 0;
	return lo;
}

/* A name from a key or value: printable, no '/', fits. */
static bool take_name(char out[FLEET_NAME_MAX], const char *s, size_t len)
{
	if (len == 0 || len >= FLEET_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/')
			return false;
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

static bool take_id(int64_t *id, const char *s, size_t len)
{
	int64_t v = 0;

	if (len == 0 || len > 18)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*id = v;
	return v > 0;
}

/* The view's two arrays are kept sorted: remove element i of n, each of
 * size sz; open a slot at i, growing the array (from `first` elements,
 * doubling) when it is full: 0 or -ENOMEM. */
static void slot_remove(void *a, size_t *n, size_t i, size_t sz)
{
	memmove((char *)a + i * sz, (char *)a + (i + 1) * sz, (*n - i - 1) * sz);
	(*n)--;
}

static int slot_open(void **a, size_t *n, size_t *cap, size_t i, size_t sz, size_t first)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : first;
		void *na = realloc(*a, nc * sz);

		if (na == NULL)
			return -ENOMEM;
		*a = na;
		*cap = nc;
	}
	memmove((char *)*a + (i + 1) * sz, (char *)*a + i * sz, (*n - i) * sz);
	(*n)++;
	return 0;
}

static int place_event(struct place_view *v, const char *id_s, size_t id_len, const char *val,
		       size_t val_len, int64_t lease, int64_t mod_rev, bool deleted)
{
	struct fleet_placement p = { .lease = lease, .token = mod_rev };
	bool found;
	size_t i;

	if (!take_id(&p.stream_id, id_s, id_len))
		return 0; /* not ours to read: not a placement */
	i = place_find(v, p.stream_id, &found);
	/* gone, or a placement nobody can act on: as if there were none */
	if (deleted || !take_name(p.gw, val, val_len)) {
		if (found) {
			slot_remove(v->p, &v->n, i, sizeof(v->p[0]));
			v->version++;
		}
		return 0;
	}
	if (!found) {
		void *a = v->p;
		int rc = slot_open(&a, &v->n, &v->cap, i, sizeof(v->p[0]), 64);

		v->p = a;
		if (rc != 0)
			return rc;
	}
	v->p[i] = p;
	v->version++;
	return 0;
}

static int gw_event(struct place_view *v, const char *name_s, size_t name_len, int64_t lease,
		    bool deleted)
{
	struct fleet_gw g = { .lease = lease };
	bool found;
	size_t i;

	if (!take_name(g.name, name_s, name_len))
		return 0;
	i = gw_find(v, g.name, &found);
	if (deleted || lease == 0) { /* a gateway is alive only under a lease */
		if (found) {
			slot_remove(v->gw, &v->n_gw, i, sizeof(v->gw[0]));
			v->version++;
		}
		return 0;
	}
	if (!found) {
		void *a = v->gw;
		int rc = slot_open(&a, &v->n_gw, &v->cap_gw, i, sizeof(v->gw[0]), 8);

		v->gw = a;
		if (rc != 0)
			return rc;
	}
	v->gw[i] = g;
	v->version++;
	return 0;
}

/* ready/<id> = token: the placement's gateway pushed it (the token must be
 * the placement's now: an older ready says nothing of this placement). */
static void ready_event(struct place_view *v, const char *id_s, size_t id_len, const char *val,
			size_t val_len, bool deleted)
{
	int64_t id, token;
	bool found;
	size_t i;

	if (deleted || !take_id(&id, id_s, id_len) || !take_id(&token, val, val_len))
		return;
	i = place_find(v, id, &found);
	if (found && v->p[i].token == token && v->p[i].ready != token) {
		v->p[i].ready = token;
		v->version++;
	}
}

int place_view_event(struct place_view *v, const char *rel, size_t rel_len, const char *val,
		     size_t val_len, int64_t lease, int64_t mod_rev, bool deleted)
{
	size_t n;

	if (has_prefix(rel, rel_len, READY_PREFIX)) {
		n = strlen(READY_PREFIX);
		ready_event(v, rel + n, rel_len - n, val, val_len, deleted);
		return 0;
	}
	if (has_prefix(rel, rel_len, PLACE_PREFIX)) {
		n = strlen(PLACE_PREFIX);
		return place_event(v, rel + n, rel_len - n, val, val_len, lease, mod_rev, deleted);
	}
	if (has_prefix(rel, rel_len, GW_PREFIX)) {
		n = strlen(GW_PREFIX);
		return gw_event(v, rel + n, rel_len - n, lease, deleted);
	}
	return 0;
}

/* ---- the daemon's reads ------------------------------------------------ */

const struct fleet_placement *fleet_placement_of(const struct fleet *f, int64_t stream_id)
{
	bool found;
	size_t i = place_find(&f->pv, stream_id, &found);

	return found ? &f->pv.p[i] : NULL;
}

const struct fleet_gw *fleet_gw_of(const struct fleet *f, const char *name)
{
	bool found;
	size_t i = gw_find(&f->pv, name, &found);

	return found ? &f->pv.gw[i] : NULL;
}

size_t fleet_placement_list(const struct fleet *f, const struct fleet_placement **out)
{
	*out = f->pv.p;
	return f->pv.n;
}

size_t fleet_gw_list(const struct fleet *f, const struct fleet_gw **out)
{
	*out = f->pv.gw;
	return f->pv.n_gw;
}

uint64_t fleet_view_version(const struct fleet *f)
{
	return f->pv.version;
}

const char *fleet_name(const struct fleet *f)
{
	return f->name;
}

/* ---- writes ------------------------------------------------------------ */

static int place_key(const struct fleet *f, int64_t stream_id, char k[KEY_MAX])
{
	return snprintf(k, KEY_MAX, "%s" PLACE_PREFIX "%" PRId64, f->prefix, stream_id);
}

static int run_txn(struct fleet *f, struct etcd_txn *t, const char *what, char *err, size_t errlen)
{
	bool ok = false;
	int64_t rev = 0;
	int rc = etcd_txn_run(f->e, t, &ok, &rev);

	if (rc < 0) {
		snprintf(err, errlen, "%s: etcd: %s", what,
			 etcd_errmsg(f->e)[0] != 0 ? etcd_errmsg(f->e) : strerror(-rc));
		return rc;
	}
	if (!ok) {
		snprintf(err, errlen, "%s: the placement changed meanwhile", what);
		return -EAGAIN;
	}
	return 0;
}

int fleet_place_put(struct fleet *f, int64_t stream_id, const char *gw, int64_t lease,
		    int64_t expect_token, char *err, size_t errlen)
{
	struct etcd_txn *t = etcd_txn_new();
	char k[KEY_MAX];
	int kn = place_key(f, stream_id, k);
	int rc;

	if (t == NULL)
		return -ENOMEM;
	rc = etcd_txn_cmp(t, k, (size_t)kn, expect_token == 0 ? ETCD_CREATE : ETCD_MOD, ETCD_EQUAL,
			  expect_token);
	if (rc == 0)
		rc = etcd_txn_put(t, true, k, (size_t)kn, gw, strlen(gw), lease);
	if (rc == 0)
		rc = run_txn(f, t, "placing the stream", err, errlen);
	etcd_txn_free(t);
	return rc;
}

int fleet_ready_put(struct fleet *f, const int64_t *stream_ids, const int64_t *tokens, size_t n,
		    int64_t lease, char *err, size_t errlen)
{
	struct etcd_txn *t = etcd_txn_new();
	int rc = 0;

	if (t == NULL)
		return -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char k[KEY_MAX], v[24];
		int kn = snprintf(k, sizeof(k), "%s" READY_PREFIX "%" PRId64, f->prefix, stream_ids[i]);
		int vn = snprintf(v, sizeof(v), "%" PRId64, tokens[i]);

		rc = etcd_txn_put(t, true, k, (size_t)kn, v, (size_t)vn, lease);
	}
	if (rc == 0)
		rc = run_txn(f, t, "saying the streams are ready", err, errlen);
	etcd_txn_free(t);
	return rc;
}

int fleet_place_delete(struct fleet *f, int64_t stream_id, int64_t token, char *err, size_t errlen)
{
	struct etcd_txn *t = etcd_txn_new();
	char k[KEY_MAX], rk[KEY_MAX];
	int kn = place_key(f, stream_id, k);
	int rkn = snprintf(rk, sizeof(rk), "%s" READY_PREFIX "%" PRId64, f->prefix, stream_id);
	int rc;

	if (t == NULL)
		return -ENOMEM;
	rc = etcd_txn_cmp(t, k, (size_t)kn, ETCD_MOD, ETCD_EQUAL, token);
	if (rc == 0)
		rc = etcd_txn_del(t, true, k, (size_t)kn, false);
	if (rc == 0)
		rc = etcd_txn_del(t, true, rk, (size_t)rkn, false);
	if (rc == 0)
		rc = run_txn(f, t, "removing the placement of a deleted stream", err, errlen);
	etcd_txn_free(t);
	return rc;
}

int fleet_change_place(struct fleet *f, int64_t stream_id, const char *gw, int64_t lease)
{
	if (strlen(gw) >= sizeof(f->chg_place.gw))
		return -ENAMETOOLONG;
	f->chg_place.stream_id = stream_id;
	f->chg_place.lease = lease;
	snprintf(f->chg_place.gw, sizeof(f->chg_place.gw), "%s", gw);
	return 0;
}

int fleet_change_require(struct fleet *f, int64_t stream_id, int64_t token)
{
	for (unsigned i = 0; i < f->n_req; i++)
		if (f->req[i].stream_id == stream_id)
			return f->req[i].token == token ? 0 : -EINVAL;
	if (f->n_req == FLEET_REQUIRE_MAX)
		return -E2BIG;
	f->req[f->n_req].stream_id = stream_id;
	f->req[f->n_req].token = token;
	f->n_req++;
	return 0;
}

/* The open change's placement and required placements, for change_write:
 * 0 or a negative errno. */
int place_change_ops(struct fleet *f, struct etcd_txn *t)
{
	char k[KEY_MAX];
	int kn;

	for (unsigned i = 0; i < f->n_req; i++) {
		int rc;

		kn = place_key(f, f->req[i].stream_id, k);
		rc = etcd_txn_cmp(t, k, (size_t)kn, ETCD_MOD, ETCD_EQUAL, f->req[i].token);
		if (rc != 0)
			return rc;
	}
	if (f->chg_place.stream_id == 0)
		return 0;
	kn = place_key(f, f->chg_place.stream_id, k);
	return etcd_txn_put(t, true, k, (size_t)kn, f->chg_place.gw, strlen(f->chg_place.gw),
			    f->chg_place.lease);
}
