/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which gateway forwards each stream of a fleet (docs/fleet.md, "Placing a
 * stream"). Every controller sees the same gateways and placements (the
 * watch's view, fleet.h) and the same streams (its copy), and computes the
 * same rule; only the gateway the rule chooses writes the placement, under
 * its own lease and only if there is none (etcd decides a tie). Its
 * controller then pushes the stream to its data plane with the placement's
 * revision as fencing token, and its listen address as a leased service
 * address (sync.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "api/log.h"
#include "control/daemon/daemon.h"
#include "control/daemon/fleet.h"
#include "control/daemon/placement.h"

/* How often the rule is computed again when nothing changed: a write that
 * failed (etcd away) is tried again this late. */
#define PLACE_RECHECK_MS 1000
/* How long a gateway keeps a stream moved away from it while the new
 * gateway has not said it holds it (ready/<id>). */
#define PLACE_HANDOVER_MS 2000

struct stream_ref {
	int64_t id;
	struct sgw_addr addr;
};

struct streams {
	struct stream_ref *s;
	size_t n, cap;
};

static int collect(void *arg, const struct store_stream *st)
{
	struct streams *v = arg;

	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 64;
		struct stream_ref *ns = realloc(v->s, nc * sizeof(*ns));

		if (ns == NULL)
			return -ENOMEM;
		v->s = ns;
		v->cap = nc;
	}
	v->s[v->n].id = st->id;
	v->s[v->n].addr = st->listen.addr;
	v->n++;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct stream_ref *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static bool same_addr(const struct sgw_addr *a, const struct sgw_addr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, 16) == 0;
}

/* A placement that counts: on a gateway alive under the same lease. */
static const struct fleet_gw *live_gw(const struct fleet *f, const struct fleet_placement *p)
{
	const struct fleet_gw *g = p != NULL ? fleet_gw_of(f, p->gw) : NULL;

	return g != NULL && g->lease == p->lease ? g : NULL;
}

bool placement_owned(const struct ctl_daemon *d, int64_t stream_id, uint64_t *token)
{
	const struct fleet_placement *p;

	*token = 0;
	if (d->fleet == NULL)
		return true; /* one machine: every stream */
	p = fleet_placement_of(d->fleet, stream_id);
	if (p == NULL || d->place.lease == 0 || p->lease != d->place.lease ||
	    strcmp(p->gw, d->cfg.fleet_gateway) != 0)
		return false;
	*token = (uint64_t)p->token;
	return true;
}

static const struct place_ref *find_ref(const struct place_ref *r, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].id == id)
			return &r[i];
	return NULL;
}

bool placement_mine(const struct ctl_daemon *d, int64_t stream_id, uint64_t *token)
{
	const struct place_ref *h;

	if (placement_owned(d, stream_id, token))
		return true;
	h = find_ref(d->place.held, d->place.n_held, stream_id);
	if (h == NULL || d->place.lease == 0)
		return false;
	*token = (uint64_t)h->token;
	return true;
}

/* Streams the gateway had that were moved to another live gateway which
 * does not hold them yet: kept (make-before-break). Those whose new
 * gateway holds them, that came back, went, or waited too long: let go. */
static void update_held(struct ctl_daemon *d, uint64_t now_ms)
{
	struct fleet *f = d->fleet;
	size_t n = 0;

	/* Make-before-break is for a move while this gateway's lease lives.
	 * What it had under a lease that ended was placed elsewhere because
	 * its data plane's deadline had passed: under a new lease it keeps
	 * none of it, or two gateways would forward those streams (and
	 * protect under one viewer key from two index counters). */
	if (d->place.had_lease != d->place.lease) {
		d->place.n_had = 0;
		d->place.n_held = 0;
	}
	for (size_t i = 0; i < d->place.n_held; i++) {
		const struct place_ref *h = &d->place.held[i];
		const struct fleet_placement *p = fleet_placement_of(f, h->id);
		uint64_t t;

		if (p == NULL || p->ready == p->token || placement_owned(d, h->id, &t) ||
		    now_ms >= h->since_ms + PLACE_HANDOVER_MS || d->place.lease == 0) {
			/* let go for good: not taken up again from what the
			 * gateway had, which the push that follows renews */
			for (size_t j = 0; j < d->place.n_had; j++)
				if (d->place.had[j].id == h->id)
					d->place.had[j].id = 0;
			continue;
		}
		d->place.held[n++] = *h;
	}
	d->place.n_held = n;
	for (size_t i = 0; d->place.lease != 0 && i < d->place.n_had; i++) {
		const struct place_ref *had = &d->place.had[i];
		const struct fleet_placement *p = fleet_placement_of(f, had->id);
		uint64_t t;

		if (p == NULL || p->ready == p->token || placement_owned(d, had->id, &t) || live_gw(f, p) == NULL ||
		    find_ref(d->place.held, d->place.n_held, had->id) != NULL)
			continue;
		struct place_ref *nh = realloc(d->place.held, (d->place.n_held + 1) * sizeof(*nh));

		if (nh == NULL)
			return;
		d->place.held = nh;
		nh[d->place.n_held++] = (struct place_ref){ had->id, had->token, now_ms };
	}
}

void placement_pushed(struct ctl_daemon *d)
{
	int64_t ids[FLEET_REQUIRE_MAX], tokens[FLEET_REQUIRE_MAX];
	struct fleet *f = d->fleet;
	const struct fleet_placement *ps;
	size_t n_p, n = 0;
	char err[256];

	if (f == NULL)
		return;
	n_p = fleet_placement_list(f, &ps);
	/* what the gateway holds now: placed here or held */
	free(d->place.had);
	d->place.had = calloc(n_p + d->place.n_held + 1, sizeof(*d->place.had));
	d->place.n_had = 0;
	d->place.had_lease = d->place.lease;
	for (size_t i = 0; d->place.had != NULL && i < n_p; i++) {
		uint64_t t;

		if (placement_mine(d, ps[i].stream_id, &t))
			d->place.had[d->place.n_had++] = (struct place_ref){ ps[i].stream_id, (int64_t)t, 0 };
	}
	/* ready/<id> for those placed here whose placement does not say so */
	for (size_t i = 0; i < n_p; i++) {
		uint64_t t;

		if (!placement_owned(d, ps[i].stream_id, &t) || ps[i].ready == ps[i].token)
			continue;
		ids[n] = ps[i].stream_id;
		tokens[n++] = ps[i].token;
		if (n == FLEET_REQUIRE_MAX) {
			if (fleet_ready_put(f, ids, tokens, n, d->place.lease, err, sizeof(err)) != 0)
				sgw_log(LOG_WARNING, "fleet: %s", err);
			n = 0;
		}
	}
	if (n > 0 && fleet_ready_put(f, ids, tokens, n, d->place.lease, err, sizeof(err)) != 0)
		sgw_log(LOG_WARNING, "fleet: %s", err);
}

void placement_free(struct ctl_daemon *d)
{
	free(d->place.had);
	free(d->place.held);
	d->place.had = d->place.held = NULL;
	d->place.n_had = d->place.n_held = 0;
}

/* Streams on one listen address go to one gateway (an address is answered
 * by one gateway). The streams grouped by address once a pass, in
 * O(n log n): each group's first stream in id order with a gateway, placed
 * (live) or given in this pass, is the one the rule follows. */
struct addr_groups {
	size_t *grp;   /* per stream (index into the id-sorted list): its group */
	size_t *first; /* per group: its first stream with a gateway, or SIZE_MAX */
};

struct addr_idx {
	struct sgw_addr addr;
	size_t i;
};

static int by_addr(const void *a, const void *b)
{
	const struct addr_idx *x = a, *y = b;
	int c;

	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	c = memcmp(x->addr.a, y->addr.a, sizeof(x->addr.a));
	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static void groups_free(struct addr_groups *ag)
{
	free(ag->grp);
	free(ag->first);
	ag->grp = ag->first = NULL;
}

static int groups_make(struct addr_groups *ag, const struct fleet *f, const struct streams *v)
{
	struct addr_idx *t = malloc((v->n + 1) * sizeof(*t));
	size_t ng = 0;

	ag->grp = malloc((v->n + 1) * sizeof(*ag->grp));
	ag->first = malloc((v->n + 1) * sizeof(*ag->first));
	if (t == NULL || ag->grp == NULL || ag->first == NULL) {
		free(t);
		groups_free(ag);
		return -ENOMEM;
	}
	for (size_t i = 0; i < v->n; i++)
		t[i] = (struct addr_idx){ .addr = v->s[i].addr, .i = i };
	if (v->n > 1)
		qsort(t, v->n, sizeof(*t), by_addr);
	for (size_t k = 0; k < v->n; k++) {
		if (k == 0 || !same_addr(&t[k].addr, &t[k - 1].addr))
			ag->first[ng++] = SIZE_MAX;
		ag->grp[t[k].i] = ng - 1;
	}
	free(t);
	for (size_t i = 0; i < v->n; i++) {
		size_t g = ag->grp[i];

		if (ag->first[g] == SIZE_MAX && live_gw(f, fleet_placement_of(f, v->s[i].id)) != NULL)
			ag->first[g] = i;
	}
	return 0;
}

/* Stream i got a gateway in this pass (given[i]). */
static void groups_given(struct addr_groups *ag, size_t i)
{
	size_t *first = &ag->first[ag->grp[i]];

	if (i < *first)
		*first = i;
}

/* The gateway the rule gives stream i: the one of the first stream on the
 * same listen address with a gateway, placed or given in this pass
 * (given[]), else the live gateway with the fewest placements, ties by
 * name. NULL: none alive. load[] counts placements per gateway of the
 * view's list. */
static const struct fleet_gw *choose(const struct fleet *f, const struct streams *v, size_t i,
				     const unsigned *load, const struct fleet_gw *const *given,
				     const struct addr_groups *ag)
{
	const struct fleet_gw *gws, *best = NULL;
	size_t n_gw = fleet_gw_list(f, &gws);
	size_t j = ag->first[ag->grp[i]];

	if (j != SIZE_MAX && j != i) {
		const struct fleet_gw *g = given[j] != NULL ? given[j] :
				     live_gw(f, fleet_placement_of(f, v->s[j].id));

		if (g != NULL)
			return g;
	}
	for (size_t k = 0; k < n_gw; k++)
		if (best == NULL || load[k] < load[best - gws])
			best = &gws[k]; /* the list is in name order: the first of the least loaded */
	return best;
}

/* The streams placed here, as one number: a change of it means a push. */
static uint64_t mine_signature(const struct ctl_daemon *d, const struct streams *v)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)d->place.lease;

	for (size_t i = 0; i < v->n; i++) {
		uint64_t token;

		if (!placement_mine(d, v->s[i].id, &token))
			continue;
		h = (h ^ (uint64_t)v->s[i].id) * 1099511628211ull;
		h = (h ^ token) * 1099511628211ull;
	}
	return h;
}

void placement_tick(struct ctl_daemon *d, uint64_t now_ms)
{
	struct fleet *f = d->fleet;
	const struct fleet_placement *ps;
	const struct fleet_gw *gws;
	struct streams v = { 0 };
	struct addr_groups ag = { 0 };
	const struct fleet_gw **given = NULL;
	unsigned *load = NULL;
	size_t n_p, n_gw;
	int64_t lease;
	uint64_t view, rev, sig;
	char err[256];

	if (f == NULL)
		return;
	lease = fleet_lease_id(d->lease);
	view = fleet_view_version(f);
	rev = fleet_revision(f);
	d->place.now_ms = now_ms;
	if (view == d->place.view && rev == d->place.rev && lease == d->place.lease &&
	    now_ms < d->place.next_ms)
		return;
	d->place.view = view;
	d->place.rev = rev;
	d->place.lease = lease;
	d->place.next_ms = now_ms + PLACE_RECHECK_MS;
	update_held(d, now_ms);
	for (size_t i = 0; i < d->place.n_held; i++)
		if (d->place.held[i].since_ms + PLACE_HANDOVER_MS < d->place.next_ms)
			d->place.next_ms = d->place.held[i].since_ms + PLACE_HANDOVER_MS;

	if (store_stream_foreach(d->store, 0, collect, &v) != 0)
		goto out;
	if (v.n > 1)
		qsort(v.s, v.n, sizeof(v.s[0]), by_id);
	n_p = fleet_placement_list(f, &ps);
	n_gw = fleet_gw_list(f, &gws);
	load = calloc(n_gw + 1, sizeof(*load));
	given = calloc(v.n + 1, sizeof(*given));
	if (load == NULL || given == NULL || groups_make(&ag, f, &v) != 0)
		goto out;
	for (size_t i = 0; i < n_p; i++) {
		const struct fleet_gw *g = live_gw(f, &ps[i]);

		if (g != NULL)
			load[g - gws]++;
	}

	/* our placements of streams the fleet deleted */
	for (size_t i = 0; lease != 0 && i < n_p; i++) {
		struct stream_ref key = { .id = ps[i].stream_id };

		if (ps[i].lease != lease || strcmp(ps[i].gw, d->cfg.fleet_gateway) != 0 ||
		    (v.n > 0 && bsearch(&key, v.s, v.n, sizeof(v.s[0]), by_id) != NULL))
			continue;
		int rc = fleet_place_delete(f, ps[i].stream_id, ps[i].token, err, sizeof(err));

		if (rc != 0 && rc != -EAGAIN) /* -EAGAIN: someone moved it first */
			sgw_log(LOG_WARNING, "fleet: %s", err);
		break; /* the view changes under us: the rest at the next event */
	}

	/* streams without a live placement: the rule, the same everywhere */
	for (size_t i = 0; i < v.n; i++) {
		const struct fleet_placement *p = fleet_placement_of(f, v.s[i].id);
		const struct fleet_gw *g;
		int rc;

		if (p != NULL)
			continue; /* placed; or its gateway's lease is ending, which takes it too */
		g = choose(f, &v, i, load, given, &ag);
		if (g == NULL)
			break; /* no gateway alive */
		given[i] = g;
		groups_given(&ag, i);
		load[g - gws]++;
		if (strcmp(g->name, d->cfg.fleet_gateway) != 0 || lease == 0 || g->lease != lease)
			continue; /* another gateway's to take */
		rc = fleet_place_put(f, v.s[i].id, d->cfg.fleet_gateway, lease, 0, err, sizeof(err));
		if (rc == 0) {
			d->place.taken++;
			sgw_log(LOG_INFO, "fleet: stream %lld placed on this gateway", (long long)v.s[i].id);
		} else if (rc != -EAGAIN) {
			sgw_log(LOG_WARNING, "fleet: %s", err);
		}
	}

	sig = mine_signature(d, &v);
	if (sig != d->place.pushed) {
		d->place.pushed = sig;
		d->gw.in_sync = false; /* the push follows in this tick */
	}
out:
	groups_free(&ag);
	free(given);
	free(load);
	free(v.s);
}
