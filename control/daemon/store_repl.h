/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store's rows as key/value pairs, for a fleet (docs/fleet.md, "The
 * state in etcd"): the controllers of a fleet keep the same rows, and etcd
 * holds them, one key per row. Each controller's SQLite database is its copy
 * of those keys: commands read it as on a single machine; a change records
 * the rows its transaction wrote (SQLite's session extension, so rows that
 * foreign keys cascade to are in it too) and hands them out as key/value
 * pairs for one etcd transaction; rows other controllers wrote come back
 * from the watch and are written into the copy with store_repl_apply.
 *
 * Keys are relative to the fleet's prefix: "t/<table>/<primary key>", the
 * primary key's columns separated by '/', integers in decimal, text and
 * blobs as 'x' and hex. Values are one JSON object per row, {"column":
 * value}: integers and text as JSON numbers and strings, blobs as {"x":
 * "hex"}, NULL as null. Sealed keys stay sealed (invariant 6): every
 * controller of a fleet has the same key-encryption key.
 *
 * Which tables: every table the schema has, except the ones that describe
 * this controller and its gateway (meta: change counter, the gateway's boot
 * id and table version; pending_changes). A table that is in neither list
 * fails the change (-EIO) instead of being left out silently.
 */
#ifndef SRTPGW_STORE_REPL_H
#define SRTPGW_STORE_REPL_H

#include <stdbool.h>
#include <stddef.h>

#include "control/daemon/store.h"

#define STORE_REPL_KEY_MAX 256

/* Is table one whose rows a fleet shares? 1, 0 (this controller's own),
 * or -1 (unknown to the replication: a schema change forgot to say). */
int store_repl_table_kind(const char *table);

/* Record the rows the open transaction writes from now on (right after
 * store_begin). Recording ends with store_commit or store_rollback. */
int store_repl_record(struct store *s);

/* The rows the open transaction wrote since store_repl_record: cb gets each
 * one's key and value (val NULL: the row was deleted), in the order of the
 * changes; a non-zero return stops and is returned. The value is the row as
 * it is now, inside the transaction. */
int store_repl_changes(struct store *s,
		       int (*cb)(void *arg, const char *key, const char *val, size_t val_len),
		       void *arg);

/* Every shared row, as store_repl_changes gives them: to put a database
 * that was a single machine's into a new fleet. */
int store_repl_foreach(struct store *s,
		       int (*cb)(void *arg, const char *key, const char *val, size_t val_len),
		       void *arg);

/* Rows another controller wrote (one etcd revision, or a whole snapshot),
 * inside store_begin()/store_commit(): deletes first, then puts, with
 * foreign keys checked at commit, so their order does not matter. A put
 * writes the row whole (an existing row is updated in place: its children
 * stay); a delete of a row that is not there is not an error. */
struct store_repl_row {
	const char *key;
	size_t key_len;
	const char *val;     /* NULL: deleted */
	size_t val_len;
};
int store_repl_apply(struct store *s, const struct store_repl_row *rows, size_t n);

/* Delete every shared row (before loading a snapshot into the copy). */
int store_repl_clear(struct store *s);

#endif
