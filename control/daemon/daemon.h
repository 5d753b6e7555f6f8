/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw-control: the control plane daemon. One thread: the srtpgwctl
 * socket, the gateway link and a 100 ms tick, multiplexed with poll().
 *
 * A change is: BEGIN in the database, checks and writes, the change
 * counter bumped, the matching agent ops pushed to the gateway as one
 * transaction, COMMIT. A gateway that refuses the ops makes the change
 * fail (ROLLBACK); a gateway that cannot be reached does not: the change
 * is committed and the whole state is pushed (REPLACE_ALL) when the
 * gateway is back.
 */
#ifndef SRTPGW_DAEMON_H
#define SRTPGW_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "control/daemon/config.h"
#include "control/daemon/gw_link.h"
#include "control/daemon/store.h"

#define CTL_MAX_REJECTED 64

struct fleet;
struct fleet_lease;
struct place_ref;

struct ctl_rejected {
	bool is_stream;
	int64_t id;
	char why[160];
};

struct ctl_daemon {
	struct ctl_config cfg;
	struct store *store;
	struct fleet *fleet;       /* store = "etcd": the fleet's state (fleet.h), else NULL */
	struct fleet_lease *lease; /* with fleet: the gateway's lease and deadline */
	struct gw_link gw;
	uint64_t next_retry_ms;
	/* the gateway's change number was compared with ours since we
	 * started (until then a change skips a number: see ctl_change) */
	bool seq_checked;
	/* objects the gateway refused during the last full push */
	unsigned n_rejected;
	struct ctl_rejected rejected[CTL_MAX_REJECTED];
	/* the sweep of the gateway's positions (daemon_positions.c) */
	struct {
		bool running;
		bool viewers;      /* past the streams */
		uint64_t after;    /* id the next page starts after */
		uint64_t next_ms;  /* when the next sweep starts */
		uint64_t stored;   /* positions written, since start */
		uint64_t sweeps;   /* sweeps completed, since start */
	} pos;
	/* egress lanes' reservations (lanes.c) */
	struct {
		bool due;          /* a round now, whatever the time */
		uint64_t next_ms;  /* when the next round starts */
		uint64_t granted;  /* lane reservations raised, since start */
		uint64_t rounds;   /* rounds that raised any, since start */
	} res;
	/* the sockets it serves, opened before privileges are dropped (serve.h) */
	struct ctl_server *srv;
	/* WebRTC sessions (webrtc_priv.h) */
	struct wrtc *wrtc;
	/* a fleet's placement (placement.c): what the rule last saw */
	struct {
		uint64_t view;      /* the view's version */
		uint64_t rev;       /* the copy's revision */
		int64_t lease;      /* this gateway's lease then (0: none) */
		uint64_t next_ms;   /* the rule again, if nothing changed before */
		uint64_t pushed;    /* signature of the streams placed here, as pushed */
		uint64_t taken;     /* placements this controller wrote, since start */
		uint64_t now_ms;    /* of the last tick */
		/* the streams the last successful push gave the gateway, and
		 * those moved away that it keeps until their new gateway has
		 * them (make-before-break): placement.c */
		struct place_ref *had, *held;
		size_t n_had, n_held;
		int64_t had_lease;  /* the lease had was pushed under */
	} place;
};


/* The gateway link (daemon_sync.c). */
/* Reconnect if due, bring the gateway in sync, end expired rekey
 * overlaps. Called every tick. */
void sync_tick(struct ctl_daemon *d, uint64_t now_ms);
/* The sweep of the gateway's positions, a few pages (daemon_positions.c);
 * called by sync_tick. */
void positions_tick(struct ctl_daemon *d, uint64_t now_ms);
/* Push the whole state as one REPLACE_ALL transaction. 0 or -errno. */
int sync_full(struct ctl_daemon *d);
/* Agent ops for a stream or viewer as stored; resume: the position to go
 * on from (NULL or flags 0: none); lanes: the viewer's (NULL: none). A
 * stream in a rekey overlap goes with its old key. */
int sync_ops_stream_add(struct gw_ops *o, const struct store_stream *st, const struct sgw_pos *resume,
			uint32_t flags);
/* w: the viewer's WebRTC leg (its port, payload type, RTCP key), or NULL. */
int sync_ops_viewer_add(struct gw_ops *o, const struct store_viewer *v, const struct sgw_pos *resume,
			const struct sgw_lanes *lanes, const struct store_webrtc *w);
/* SGW_STREAM_* of a stored stream (SGW_STREAM_PUNT for a WHIP stream). */
uint32_t sync_stream_flags(struct ctl_daemon *d, int64_t stream_id);

/* Egress lanes (lanes.c, docs/control.md "Index reservations"). */
/* New lanes for a viewer (a new viewer, or a rekey): config viewer_lanes
 * of them, random distinct SSRCs, a random first sequence number at ROC 0,
 * one block reserved each; written to the store (inside a transaction)
 * and described for the op. 0 or -errno. */
int lanes_create(struct ctl_daemon *d, int64_t viewer_id, struct sgw_lanes *op);
/* The same with the first lane's SSRC given (a WebRTC answer named it). */
int lanes_create_ssrc(struct ctl_daemon *d, int64_t viewer_id, uint32_t first_ssrc, struct sgw_lanes *op);
/* The stored lanes of a viewer for an op that makes its context anew: each
 * starts past its reservation with nothing reserved yet (the next round
 * grants a block). 0 (op->n 0 if it has none) or -errno. */
int lanes_resume(struct ctl_daemon *d, int64_t viewer_id, struct sgw_lanes *op);
/* A round of reservations: every lane with half a block or less left gets
 * one more block, stored (durably) before the gateway is told. */
void lanes_tick(struct ctl_daemon *d, uint64_t now_ms);
int sync_ops_id(struct gw_ops *o, unsigned type, int64_t id);
int sync_ops_grant(struct gw_ops *o, unsigned type, int64_t stream_id, int64_t owner_id);

/* Run a change (daemon_cmds.c): fn does the database writes and queues
 * the agent ops; then the ops are pushed and the transaction committed.
 * Returns 0 or a negative errno with err set. */
int ctl_change(struct ctl_daemon *d,
	       int (*fn)(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen),
	       void *arg, char *err, size_t errlen);
/* The same, for a command: what names the change for the list of pending
 * ones (actor: the owner of the principal that made it, 0 for admin); *pending (may be NULL) is set when the change is committed but the
 * gateway has not applied it (unreachable, no answer within
 * apply_timeout): it takes effect when the gateway is back. */
int ctl_change_cmd(struct ctl_daemon *d,
		   int (*fn)(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err,
			     size_t errlen),
		   void *arg, int64_t actor, const char *what, bool *pending, char *err, size_t errlen);

/* The srtpgwctl socket (daemon_server.c): runs until *quit. */
int ctl_serve(struct ctl_daemon *d, volatile bool *quit);

uint64_t ctl_now_ms(void);
int64_t ctl_now_s(void);

#endif
