/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * placement.c against a fleet view kept by the test (no etcd): which
 * streams a gateway's controller pushes (placement_mine) as placements
 * move, leases end and new ones begin. The fleet and store functions
 * placement.c calls are defined here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/daemon/daemon.h"
#include "control/daemon/fleet.h"
#include "control/daemon/placement.h"
#include "tests/unit/check.h"

/* ---- the fleet's view, as a watch would keep it ----------------------- */

#define MAX_P 8
#define MAX_GW 4

static struct fleet_placement view_p[MAX_P];
static size_t n_p;
static struct fleet_gw view_gw[MAX_GW];
static size_t n_gw;
static uint64_t view_version;
static int64_t our_lease; /* what the lease's thread holds now */
static int64_t stream_ids[MAX_P];
static size_t n_streams;
static int64_t next_rev = 100;
static unsigned n_ready_puts;

static void view_changed(void)
{
	view_version++;
}

static void gw_set(const char *name, int64_t lease)
{
	for (size_t i = 0; i < n_gw; i++)
		if (strcmp(view_gw[i].name, name) == 0) {
			if (lease == 0)
				view_gw[i] = view_gw[--n_gw];
			else
				view_gw[i].lease = lease;
			view_changed();
			return;
		}
	if (lease != 0) {
		snprintf(view_gw[n_gw].name, sizeof(view_gw[n_gw].name), "%s", name);
		view_gw[n_gw++].lease = lease;
	}
	view_changed();
}

static struct fleet_placement *place_find(int64_t id)
{
	for (size_t i = 0; i < n_p; i++)
		if (view_p[i].stream_id == id)
			return &view_p[i];
	return NULL;
}

/* placement/<id> = gw under lease, a new token; ready not yet */
static int64_t place_set(int64_t id, const char *gw, int64_t lease)
{
	struct fleet_placement *p = place_find(id);

	if (p == NULL)
		p = &view_p[n_p++];
	*p = (struct fleet_placement){ .stream_id = id, .lease = lease, .token = next_rev++ };
	snprintf(p->gw, sizeof(p->gw), "%s", gw);
	view_changed();
	return p->token;
}

static void place_ready(int64_t id)
{
	struct fleet_placement *p = place_find(id);

	p->ready = p->token;
	view_changed();
}

/* A lease's end in etcd: its gateway key and its placements go. */
static void lease_ends(const char *gw, int64_t lease)
{
	size_t n = 0;

	for (size_t i = 0; i < n_p; i++)
		if (view_p[i].lease != lease)
			view_p[n++] = view_p[i];
	n_p = n;
	gw_set(gw, 0);
}

static void fleet_reset(void)
{
	n_p = n_gw = n_streams = 0;
	our_lease = 0;
	view_changed();
}

const struct fleet_placement *fleet_placement_of(const struct fleet *f, int64_t stream_id)
{
	(void)f;
	return place_find(stream_id);
}

const struct fleet_gw *fleet_gw_of(const struct fleet *f, const char *name)
{
	(void)f;
	for (size_t i = 0; i < n_gw; i++)
		if (strcmp(view_gw[i].name, name) == 0)
			return &view_gw[i];
	return NULL;
}

size_t fleet_placement_list(const struct fleet *f, const struct fleet_placement **out)
{
	(void)f;
	*out = view_p;
	return n_p;
}

size_t fleet_gw_list(const struct fleet *f, const struct fleet_gw **out)
{
	(void)f;
	*out = view_gw;
	return n_gw;
}

uint64_t fleet_view_version(const struct fleet *f)
{
	(void)f;
	return view_version;
}

int64_t fleet_revision(const struct fleet *f)
{
	(void)f;
	return (int64_t)view_version;
}

int64_t fleet_lease_id(struct fleet_lease *l)
{
	(void)l;
	return our_lease;
}

/* The rule's own writes are not what these cases are about: refused,
 * as when another controller wrote first. */
int fleet_place_put(struct fleet *f, int64_t stream_id, const char *gw, int64_t lease, int64_t expect_token,
		    char *err, size_t errlen)
{
	(void)f, (void)stream_id, (void)gw, (void)lease, (void)expect_token;
	snprintf(err, errlen, "placed meanwhile");
	return -EAGAIN;
}

int fleet_place_delete(struct fleet *f, int64_t stream_id, int64_t token, char *err, size_t errlen)
{
	(void)f, (void)stream_id, (void)token;
	snprintf(err, errlen, "changed meanwhile");
	return -EAGAIN;
}

int fleet_ready_put(struct fleet *f, const int64_t *ids, const int64_t *tokens, size_t n, int64_t lease,
		    char *err, size_t errlen)
{
	(void)f, (void)ids, (void)tokens, (void)lease, (void)err, (void)errlen;
	n_ready_puts += (unsigned)n;
	return 0;
}

int store_stream_foreach(struct store *s, int64_t owner_id, int (*cb)(void *arg, const struct store_stream *st),
			 void *arg)
{
	(void)s, (void)owner_id;
	for (size_t i = 0; i < n_streams; i++) {
		struct store_stream st = { .id = stream_ids[i] };
		int rc = cb(arg, &st);

		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- the cases ---------------------------------------------------------- */

static struct ctl_daemon *daemon_new(const char *name)
{
	struct ctl_daemon *d = calloc(1, sizeof(*d));

	d->fleet = (struct fleet *)1; /* never looked into: the functions above */
	d->lease = (struct fleet_lease *)1;
	snprintf(d->cfg.fleet_gateway, sizeof(d->cfg.fleet_gateway), "%s", name);
	return d;
}

static void daemon_free(struct ctl_daemon *d)
{
	placement_free(d);
	free(d);
}

static bool mine(struct ctl_daemon *d, int64_t id)
{
	uint64_t token;

	return placement_mine(d, id, &token);
}

/* Gateway a forwards stream 1 under lease 10; b is alive under lease 20. */
static struct ctl_daemon *a_holds_stream_1(void)
{
	struct ctl_daemon *d = daemon_new("a");

	fleet_reset();
	stream_ids[n_streams++] = 1;
	gw_set("a", 10);
	gw_set("b", 20);
	our_lease = 10;
	place_set(1, "a", 10);
	placement_tick(d, 1000);
	CHECK(mine(d, 1));
	placement_pushed(d);
	place_ready(1);
	placement_tick(d, 1100);
	CHECK(mine(d, 1));
	return d;
}

/* A move while a's lease lives: a keeps the stream until b says it holds
 * it (make-before-break). */
static void move_keeps_until_ready(void)
{
	struct ctl_daemon *d = a_holds_stream_1();

	place_set(1, "b", 20);
	placement_tick(d, 1200);
	CHECK(mine(d, 1));
	place_ready(1);
	placement_tick(d, 1300);
	CHECK(!mine(d, 1));
	daemon_free(d);
}

/* ... and no longer than PLACE_HANDOVER_MS if b never says so. */
static void move_keeps_at_most_handover(void)
{
	struct ctl_daemon *d = a_holds_stream_1();

	place_set(1, "b", 20);
	placement_tick(d, 1200);
	CHECK(mine(d, 1));
	placement_tick(d, 1200 + 1999);
	CHECK(mine(d, 1));
	placement_tick(d, 1200 + 2000);
	CHECK(!mine(d, 1));
	daemon_free(d);
}

/* a's lease ends (cut off from etcd); b takes the stream; a, back, gets a
 * new lease before its view shows b's ready: a must push none of what it
 * had, or its data plane, armed under the new lease, forwards what b
 * forwards. (test_fleet_failover's partition case, which caught it.) */
static void new_lease_keeps_nothing(void)
{
	struct ctl_daemon *d = a_holds_stream_1();

	lease_ends("a", 10);
	place_set(1, "b", 20);
	our_lease = 11;
	gw_set("a", 11);
	placement_tick(d, 5000);
	CHECK(!mine(d, 1));
	placement_pushed(d);
	placement_tick(d, 5100);
	CHECK(!mine(d, 1));
	daemon_free(d);
}

/* The same with a tick while a held no lease (between the old one's end
 * and the new one's grant). */
static void new_lease_after_none_keeps_nothing(void)
{
	struct ctl_daemon *d = a_holds_stream_1();

	lease_ends("a", 10);
	our_lease = 0;
	placement_tick(d, 5000);
	CHECK(!mine(d, 1));
	place_set(1, "b", 20);
	placement_tick(d, 5050);
	CHECK(!mine(d, 1));
	our_lease = 11;
	gw_set("a", 11);
	placement_tick(d, 5100);
	CHECK(!mine(d, 1));
	daemon_free(d);
}

/* What is placed under the new lease is pushed, and said ready. */
static void new_lease_takes_new_placements(void)
{
	struct ctl_daemon *d = a_holds_stream_1();
	unsigned before;

	lease_ends("a", 10);
	our_lease = 11;
	gw_set("a", 11);
	place_set(1, "a", 11);
	placement_tick(d, 5000);
	CHECK(mine(d, 1));
	before = n_ready_puts;
	placement_pushed(d);
	CHECK_EQ(n_ready_puts, before + 1);
	daemon_free(d);
}

int main(void)
{
	RUN(move_keeps_until_ready);
	RUN(move_keeps_at_most_handover);
	RUN(new_lease_keeps_nothing);
	RUN(new_lease_after_none_keeps_nothing);
	RUN(new_lease_takes_new_placements);
	return CHECK_DONE();
}
