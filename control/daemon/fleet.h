/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A controller's link to its fleet's state in etcd (docs/fleet.md, "The
 * state in etcd"): the local store is a copy of the prefix's t/ keys, kept
 * current from a watch; a change is written to etcd in one transaction
 * conditioned on the fleet's head before the copy commits it.
 *
 * Threads: everything here runs on the daemon's main thread, except the
 * watch's own thread, which only queues what it receives and wakes the
 * main thread through fleet_fd().
 */
#ifndef SRTPGW_FLEET_H
#define SRTPGW_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/daemon/store.h"

struct fleet;

struct fleet_cfg {
	const char *endpoints;   /* etcd client URLs, comma-separated */
	const char *prefix;      /* every key under it, e.g. "/srtpgw/edge1/" */
	const char *name;        /* this gateway's name in the fleet */
	unsigned timeout_ms;     /* each etcd request */
};

/* Connect, make the store a copy of the fleet's rows (or, for a fleet with
 * no state yet, put the store's rows into it: a single machine becoming the
 * first gateway of a fleet), and start watching. 0 or a negative errno, err
 * says why. */
int fleet_open(const struct fleet_cfg *cfg, struct store *s, struct fleet **out, char *err,
	       size_t errlen);
void fleet_close(struct fleet *f);

/* Readable when the watch has queued something: call fleet_catch_up. */
int fleet_fd(const struct fleet *f);

/* Write what the watch queued into the copy, one etcd response per store
 * transaction. Outside any store transaction. The number of responses
 * applied, or a negative errno (the copy is then reloaded at the next
 * call). */
int fleet_catch_up(struct fleet *f);

/* Changes: fleet_open hooks every store transaction (store_set_hooks):
 * store_begin records the rows the transaction writes, and the commit hook
 * (store_prepare_commit, or store_commit) writes them to etcd in one
 * transaction conditioned on the head the copy has seen. The hook's
 * errors: -EAGAIN, another controller changed the fleet first (roll back,
 * fleet_wait_current, run the command again); another negative errno, etcd
 * could not be reached or refused. A transaction that wrote no shared row
 * writes nothing to etcd. */

/* After a lost race: wait (at most timeout_ms) until the copy has caught up
 * with the head that won. 0, or -ETIMEDOUT. */
int fleet_wait_current(struct fleet *f, unsigned timeout_ms);

/* The gateway's lease (fleet_lease.c): a thread of its own with its own
 * etcd client and agent connection. While active (its gateway is up) it
 * holds an etcd lease of ttl_s seconds with gw/<name> under it, keeps it
 * alive every quarter TTL, and after each keep-alive sends the data plane
 * its deadline (SGW_MSG_LEASE): the TTL counted from when the keep-alive
 * was sent, less a margin (a fifth of the TTL, at least 100 ms), so the
 * data plane stops its fenced streams before etcd can expire the lease.
 * Inactive, it revokes the lease at once (the gateway's placements go to
 * others) and holds none. */
struct fleet_lease;
int fleet_lease_start(const struct fleet_cfg *cfg, const char *agent_socket, unsigned ttl_s,
		      struct fleet_lease **out, char *err, size_t errlen);
void fleet_lease_set_active(struct fleet_lease *l, bool active);
/* Stops the thread; revoke: give the lease back (a clean stop: the
 * gateway's streams move at once), else let it expire. */
void fleet_lease_stop(struct fleet_lease *l, bool revoke);
/* The gateway's data plane holds the streams placed under lease (a full
 * push made for it succeeded). The deadline is moved only for that lease:
 * after a new lease, not before the push (else the data plane would
 * forward again the streams placed under the old lease, which other
 * gateways took meanwhile). */
void fleet_lease_pushed(struct fleet_lease *l, int64_t lease);
/* The lease now (0: none), and keep-alives that succeeded since start. */
int64_t fleet_lease_id(struct fleet_lease *l);
uint64_t fleet_lease_renewals(struct fleet_lease *l);

/* The fleet's gateways now (gw/<name> keys, each under its gateway's
 * lease), read from etcd: cb per gateway, in name order. 0 or a negative
 * errno (err says why). */
int fleet_gateways(struct fleet *f, int (*cb)(void *arg, const char *name, int64_t lease), void *arg,
		   char *err, size_t errlen);

/* The revision the copy is at, and the number of changes this controller
 * lost to others (for `status`). */
int64_t fleet_revision(const struct fleet *f);
uint64_t fleet_conflicts(const struct fleet *f);

/* ---- placement (fleet_place.c, docs/fleet.md "Placing a stream") ------ */

#define FLEET_NAME_MAX 64

/* placement/<stream id>: the gateway that forwards the stream, under that
 * gateway's lease; its mod revision is the stream's fencing token. */
struct fleet_placement {
	int64_t stream_id;
	int64_t lease;
	int64_t token;
	int64_t ready;   /* ready/<stream id>: the token its gateway has pushed (0: not yet) */
	char gw[FLEET_NAME_MAX];
};
/* gw/<name>: a gateway whose lease is alive. */
struct fleet_gw {
	char name[FLEET_NAME_MAX];
	int64_t lease;
};

/* The view the watch keeps (current after fleet_catch_up): a stream's
 * placement (NULL: none), a gateway by name (NULL: not alive), every
 * placement in stream id order and every gateway in name order. */
const struct fleet_placement *fleet_placement_of(const struct fleet *f, int64_t stream_id);
const struct fleet_gw *fleet_gw_of(const struct fleet *f, const char *name);
size_t fleet_placement_list(const struct fleet *f, const struct fleet_placement **out);
size_t fleet_gw_list(const struct fleet *f, const struct fleet_gw **out);
/* Bumped by every change of the view. */
uint64_t fleet_view_version(const struct fleet *f);
const char *fleet_name(const struct fleet *f);

/* placement/<stream_id> = gw under lease, only if the key's mod revision
 * is expect_token (0: only if there is none). 0; -EAGAIN: it was not
 * (someone else placed or moved the stream first); another negative errno
 * with err. The view learns it from the watch. */
int fleet_place_put(struct fleet *f, int64_t stream_id, const char *gw, int64_t lease,
		    int64_t expect_token, char *err, size_t errlen);
/* ready/<stream id> = token under lease, for n streams: this gateway's
 * data plane holds them under those tokens (a moved stream's old gateway
 * lets go of it only then: make-before-break). 0 or a negative errno. */
int fleet_ready_put(struct fleet *f, const int64_t *stream_ids, const int64_t *tokens, size_t n,
		    int64_t lease, char *err, size_t errlen);
/* Delete placement/<stream_id> (and its ready key) if its mod revision is
 * token. 0; -EAGAIN: it was not (the placement changed meanwhile);
 * another negative errno with err. */
int fleet_place_delete(struct fleet *f, int64_t stream_id, int64_t token, char *err, size_t errlen);
/* With the open change: its etcd transaction also requires that
 * placement/<stream_id> is still at revision token (placed here, as this
 * controller saw it). An index reservation is stored only by the gateway
 * the stream is placed on: one whose placement moved meanwhile (its watch
 * not there yet) fails like a lost race, so two gateways never reserve
 * one lane's indices at once. Forgotten when the change ends. 0, or
 * -E2BIG past FLEET_REQUIRE_MAX streams. */
#define FLEET_REQUIRE_MAX 100
int fleet_change_require(struct fleet *f, int64_t stream_id, int64_t token);
/* With the open change (stream add --gateway): its etcd transaction also
 * writes placement/<stream_id> = gw under lease, so the stream and its
 * placement appear in one revision. Forgotten when the change ends. */
int fleet_change_place(struct fleet *f, int64_t stream_id, const char *gw, int64_t lease);

#endif
