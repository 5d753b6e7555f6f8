/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the fleet's link (fleet_state.c, fleet_place.c): not for the rest
 * of the daemon, which uses fleet.h. */
#ifndef SRTPGW_FLEET_PRIV_H
#define SRTPGW_FLEET_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/daemon/fleet.h"
#include "control/daemon/store_repl.h"

#define KEY_MAX (STORE_REPL_KEY_MAX + 256)

/* The fleet's gateways (gw/<name>) and placements (placement/<stream id>)
 * as the watch has shown them: a view every controller keeps, from which
 * each decides the same way where a stream goes (docs/fleet.md). */
struct place_view {
	struct fleet_placement *p;       /* sorted by stream id */
	size_t n, cap;
	struct fleet_gw *gw;             /* sorted by name */
	size_t n_gw, cap_gw;
	uint64_t version;                /* bumped by every change of the view */
};

void place_view_clear(struct place_view *v);
/* One key's event (rel: the key without the fleet's prefix); keys other
 * than gw/ and placement/ are ignored. 0 or -ENOMEM. */
int place_view_event(struct place_view *v, const char *rel, size_t rel_len, const char *val,
		     size_t val_len, int64_t lease, int64_t mod_rev, bool deleted);

/* One watch response, as the watch thread queued it. */
struct fleet_ev {
	bool deleted;
	int64_t mod_rev;
	int64_t lease;        /* the key's lease, 0: none */
	char *key;            /* relative to the prefix */
	size_t key_len;
	char *val;            /* NULL for a delete */
	size_t val_len;
};
struct fleet_batch {
	struct fleet_batch *next;
	int64_t revision;
	size_t n;
	struct fleet_ev ev[];
};

struct fleet {
	struct etcd *e;
	struct store *s;
	char *endpoints, *prefix, *name;
	size_t plen;
	unsigned timeout_ms;
	struct etcd_watch *w;
	int efd;
	pthread_mutex_t mu;             /* guards the queue, watch_err and seen_rev */
	pthread_cond_t cv;
	struct fleet_batch *q_head, *q_tail;
	int watch_err;                  /* set by the watch thread: reload */
	int64_t seen_rev;               /* the newest revision the watch delivered */
	/* main thread only */
	int64_t rev;                    /* the copy has every t/ change up to here */
	int64_t head_mod;               /* head's mod revision the copy has seen (0: none) */
	int64_t want_rev;               /* after a lost race: the head that won */
	bool reload;
	bool applying;                  /* the fleet's own store transactions: not recorded */
	bool written;                   /* the open change is in etcd */
	uint64_t conflicts;
	struct place_view pv;            /* gw/ and placement/ keys (fleet_place.c) */
	struct {                         /* fleet_change_place: with the open change */
		int64_t stream_id;       /* 0: none */
		int64_t lease;
		char gw[FLEET_NAME_MAX];
	} chg_place;
	struct {                         /* fleet_change_require */
		int64_t stream_id, token;
	} req[FLEET_REQUIRE_MAX];
	unsigned n_req;
};

/* The open change's placement (fleet_change_place) into its transaction. */
struct etcd_txn;
int place_change_ops(struct fleet *f, struct etcd_txn *t);


#endif
