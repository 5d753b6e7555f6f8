/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store's own helpers, shared by its files (store_*.c); the contract
 * for callers is store.h. Conventions of every file:
 *
 * - Statements are prepared per call (a request does a handful) and always
 *   take their values as bound parameters.
 * - Functions that call back collect every row first and finalise their
 *   statement before the first callback, so a callback may call any store
 *   function, reads and (inside a transaction) writes.
 * - Writes refuse to run outside store_begin()/store_commit() (-EINVAL).
 *   Writes of more than one statement run in a savepoint, so a failure
 *   leaves the enclosing transaction as it was before the call.
 * - Keys: the plaintext is suite || len || material, sealed with AES-256-GCM
 *   under the key-encryption key, a random 96-bit nonce per write and
 *   "srtpgw/<kind>/<name>/<column>" as associated data; the column holds
 *   nonce || ciphertext || tag. Plain (no key) is NULL.
 * - Endpoints are stored as text in one canonical form (the formatted
 *   parsed struct), so equal endpoints are equal strings.
 * - Ids are AUTOINCREMENT: a deleted stream's, viewer's or owner's id is
 *   never given to a new one.
 */
#ifndef SRTPGW_STORE_PRIV_H
#define SRTPGW_STORE_PRIV_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "api/addr.h"
#include "api/suite.h"
#include "control/daemon/store.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_BUSY_TIMEOUT_MS 5000
#define KEK_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16
#define KEY_PT_MAX (2 + SGW_KEY_MAX)
#define KEY_BLOB_MIN (NONCE_LEN + 2 + TAG_LEN)
#define KEY_BLOB_MAX (NONCE_LEN + KEY_PT_MAX + TAG_LEN)
#define AAD_MAX (STORE_NAME_MAX + 32)
#define EP_TEXT_MAX (SGW_ADDR_STRLEN + 16)

struct store {
	sqlite3 *db;
	uint8_t kek[KEK_LEN];
	uint8_t fp_key[32]; /* keys' fingerprints (key_uses), derived from the KEK */
	uint64_t seq; /* the committed change counter */
	struct sqlite3_session *sess; /* recording the open transaction's rows (store_repl.c) */
	struct store_repl_meta *repl; /* the shared tables' columns, read once */
	struct store_hooks hooks;
	bool prepared;                /* the commit hook ran (store_prepare_commit) */
	char err[256];
};

/* A key sealed for its column; len 0 = NULL (plain or no key). */
struct sealed_key {
	uint8_t blob[KEY_BLOB_MAX];
	int len;
};

#define STREAM_COLS \
	"id, name, owner_id, listen, source, suite, key, old_key, overlap_until, idle_timeout"
#define VIEWER_COLS "id, name, stream_id, owner_id, dest, suite, key"

/* the streams selected by where, quarantined (st_quarantine_streams) */
#define QUARANTINE_INSERT(where)                                                      \
	"INSERT INTO quarantine(listen, until) SELECT listen, ?1 FROM streams WHERE " \
	where " ON CONFLICT(listen) DO UPDATE SET until = max(until, excluded.until)"

/* store_seal.c: the fingerprint key; every stored key claimed once, for a
 * store made before key_uses existed */
int st_fp_key_init(struct store *s);
int st_claim_stored_keys(struct store *s);

/* store_repl.c: recording ends with the transaction */
struct sqlite3_session;
struct store_repl_meta;
void st_repl_end(struct store *s);

/* errors */
int st_fail(struct store *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void st_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int st_db_fail(struct store *s, int rc, const char *what);
int st_vbind(struct store *s, sqlite3_stmt *q, const char *fmt, va_list ap);
int st_vprepare(struct store *s, sqlite3_stmt **q, const char *sql, const char *fmt, va_list ap);
int st_prepare(struct store *s, sqlite3_stmt **q, const char *sql, const char *fmt, ...);
int st_step(struct store *s, sqlite3_stmt *q);
int st_run(struct store *s, unsigned *changes, const char *sql, const char *fmt, ...);
int st_query_int(struct store *s, int64_t *out, const char *sql, const char *fmt, ...);
int st_query_exists(struct store *s, const char *sql, const char *fmt, ...);
int st_exec(struct store *s, const char *sql);
int st_need_txn(struct store *s);
int st_savepoint(struct store *s);
int st_savepoint_end(struct store *s, int ret);
void *st_grow(void *arr, size_t n, size_t *cap, size_t elem);
int st_check_name(struct store *s, const char *what, const char *name);
void st_endpoint_text(const struct sgw_endpoint *e, char *buf, size_t len);
int st_valid_family(uint8_t family);
int st_check_endpoint(struct store *s, const char *what, const struct sgw_endpoint *e);
int st_col_name(struct store *s, sqlite3_stmt *q, int col, char name[STORE_NAME_MAX]);
int st_col_endpoint(struct store *s, sqlite3_stmt *q, int col, struct sgw_endpoint *e);
int st_check_key(struct store *s, const char *what, const struct sgw_key *k);
void st_key_aad(char aad[AAD_MAX], const char *kind, const char *name, const char *col);
int st_key_seal(struct store *s, const struct sgw_key *k, const char *aad, struct sealed_key *out);
int st_key_open(struct store *s, sqlite3_stmt *q, int col, const char *aad, const char *what, struct sgw_key *k);
int st_key_open_main(struct store *s, sqlite3_stmt *q, int suite_col, int key_col, const char *aad, const char *what, struct sgw_key *k);
int st_quarantine_streams(struct store *s, const char *sql, int64_t key, int64_t now, uint32_t quarantine_s);
int st_row_name(struct store *s, const char *sql, const char *kind, int64_t id, char name[STORE_NAME_MAX]);

#endif
