/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An etcd v3 client over etcd's JSON gateway (grpc-gateway, served by etcd
 * on its client URLs under /v3/...), with libcurl and json-c: key ranges,
 * puts, deletes, transactions, leases and watches (docs/fleet.md, "The etcd
 * client"). For control threads only: every call blocks on the network.
 *
 * Errors: 0 or a negative errno. -ECONNREFUSED: no member answered;
 * -ETIMEDOUT; -EIO: bad/unexpected reply (etcd_errmsg() says what; never key
 * values); -ENOENT: no such lease (a key that is not there is a range of
 * none); -ERANGE: the revision asked for was compacted; -EINVAL: etcd or
 * the client refused the request as malformed. One struct etcd is used by
 * one thread at a time.
 *
 * Failover (docs/fleet.md, "The etcd client"): requests ask etcd to
 * require a leader, so a member without one refuses them at once ("no
 * leader"). A request goes to the member that answered last and, if that
 * member cannot be reached (nothing was sent) or has no leader, to the
 * next one. A read (a range, a txn of gets and compares only, a keepalive,
 * a revoke, a grant, a compaction) also goes to the next member when the
 * first one timed out, broke the connection or said it is unavailable. A
 * write that was sent and not answered (timeout, broken connection,
 * etcd's "request timed out") is not sent again: it may have been
 * applied, so the call says -ETIMEDOUT (or -EIO) and the caller re-reads;
 * the next call starts at the next member. Each HTTP request is bounded by
 * timeout_ms, so a call takes at most timeout_ms per member it tries.
 * etcd's "no leader" and other "unavailable" answers are -ETIMEDOUT.
 */
#ifndef SRTPGW_ETCD_H
#define SRTPGW_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct etcd;

/* endpoints: comma-separated client URLs,
 * "http://127.0.0.1:23790,http://127.0.0.1:23791" (at most ETCD_MEMBERS_MAX).
 * Nothing is sent yet. 0, or a negative errno with err set. */
#define ETCD_MEMBERS_MAX 16
int etcd_open(const char *endpoints, unsigned timeout_ms, struct etcd **out, char *err, size_t errlen);
void etcd_close(struct etcd *e);
/* What the last failed call ran into ("" after a success). */
const char *etcd_errmsg(const struct etcd *e);
/* The last call failed because etcd has no leader (its quorum is lost, or
 * it is electing one): a write was refused, not applied. */
bool etcd_no_leader(const struct etcd *e);

struct etcd_kv {
	char *key;                /* NUL-terminated too */
	size_t key_len;
	uint8_t *val;             /* NUL-terminated too (not counted) */
	size_t val_len;
	int64_t create_rev, mod_rev, version, lease;
};

struct etcd_range {
	struct etcd_kv *kvs;
	size_t n;
	int64_t revision;         /* the reply's header revision */
};

/* One key (prefix false) or every key starting with key (prefix true; an
 * empty key: every key), sorted by key; rev 0 = latest, else read at that
 * revision (-ERANGE if compacted). Linearizable. No key is n = 0, not an
 * error. */
int etcd_get(struct etcd *e, const char *key, size_t key_len, bool prefix, int64_t rev,
	     struct etcd_range *out);
void etcd_range_free(struct etcd_range *r);
/* lease 0: none. *revision (may be NULL): the revision of the put. */
int etcd_put(struct etcd *e, const char *key, size_t key_len, const void *val, size_t val_len,
	     int64_t lease, int64_t *revision);
/* Deletes one key or a prefix; *deleted (may be NULL) how many keys went,
 * *revision (may be NULL) the header revision after it. */
int etcd_delete(struct etcd *e, const char *key, size_t key_len, bool prefix, int64_t *deleted,
		int64_t *revision);
/* Compacts the history before rev (physical: waits until it is gone). */
int etcd_compact(struct etcd *e, int64_t rev);

/* A transaction: compares, then ops on success, other ops on failure. The
 * adders return 0 or -ENOMEM/-EINVAL; a failed adder makes etcd_txn_run
 * fail with -EINVAL. */
enum etcd_target { ETCD_MOD, ETCD_CREATE, ETCD_VERSION, ETCD_VALUE, ETCD_LEASE };
enum etcd_result { ETCD_EQUAL, ETCD_NOT_EQUAL, ETCD_LESS, ETCD_GREATER };
struct etcd_txn;
struct etcd_txn *etcd_txn_new(void);
void etcd_txn_free(struct etcd_txn *t);
/* Integer compares (MOD, CREATE, VERSION, LEASE). A missing key has
 * mod, create and version 0 and lease 0. */
int etcd_txn_cmp(struct etcd_txn *t, const char *key, size_t key_len, enum etcd_target target,
		 enum etcd_result result, int64_t v);
int etcd_txn_cmp_value(struct etcd_txn *t, const char *key, size_t key_len, enum etcd_result result,
		       const void *val, size_t val_len);
int etcd_txn_put(struct etcd_txn *t, bool on_success, const char *key, size_t key_len,
		 const void *val, size_t val_len, int64_t lease);
int etcd_txn_del(struct etcd_txn *t, bool on_success, const char *key, size_t key_len, bool prefix);
/* A range read inside the txn (e.g. on failure: read what changed); its
 * results come back from etcd_txn_result(t, i), in the order the gets were
 * added to the branch that ran. */
int etcd_txn_get(struct etcd_txn *t, bool on_success, const char *key, size_t key_len, bool prefix);
/* Runs it: *succeeded says which branch ran; *revision (may be NULL) the
 * header revision after it. A txn may be run again (its results are
 * replaced). */
int etcd_txn_run(struct etcd *e, struct etcd_txn *t, bool *succeeded, int64_t *revision);
const struct etcd_range *etcd_txn_result(const struct etcd_txn *t, size_t i); /* NULL past the end */

/* Leases: ttl in seconds (etcd's unit; etcd raises a smaller one to its
 * minimum, see docs/fleet.md); keepalive gives the TTL left, -ENOENT if
 * expired/unknown. */
int etcd_lease_grant(struct etcd *e, int64_t ttl_s, int64_t *id, int64_t *granted_ttl_s);
int etcd_lease_keepalive(struct etcd *e, int64_t id, int64_t *ttl_s);
int etcd_lease_revoke(struct etcd *e, int64_t id);

/* Watch every key under prefix from start_rev (0 = now) on a thread of its
 * own (its own connection): cb gets each response's events in order, with
 * the response's header revision; on a broken connection it reconnects (to
 * the next member) and resumes from the last revision it delivered + 1,
 * without losing or repeating an event; if that revision was compacted it
 * calls on_error(-ERANGE, compact_rev) and stops (the caller re-reads and
 * starts a new watch). Another failure it cannot get past (a reply it
 * cannot read, the watch cancelled by etcd) is on_error(-EIO, 0) and stops;
 * members that cannot be reached are tried again and again, never an error.
 * Progress notifications may be delivered as n = 0 with the revision: every
 * event up to it was delivered. cb/on_error run on the watch thread; the
 * events and their keys and values are valid during cb only; neither may
 * call etcd_watch_stop. stop joins the thread promptly (within a second);
 * after on_error the thread has ended, and stop frees the watch. */
struct etcd_event {
	bool deleted;
	struct etcd_kv kv;        /* kv.val empty for deletes */
};
struct etcd_watch;
int etcd_watch_start(const char *endpoints, const char *prefix, size_t prefix_len, int64_t start_rev,
		     void (*cb)(void *arg, const struct etcd_event *ev, size_t n, int64_t revision),
		     void (*on_error)(void *arg, int err, int64_t compact_rev), void *arg,
		     struct etcd_watch **out, char *err, size_t errlen);
void etcd_watch_stop(struct etcd_watch *w);
/* How many times the watch connected after its first connection (any
 * thread). */
unsigned etcd_watch_reconnects(const struct etcd_watch *w);
/* Whether the watch is on a member now: etcd confirmed it and the
 * connection has not ended since (any thread). */
bool etcd_watch_connected(const struct etcd_watch *w);

#endif
