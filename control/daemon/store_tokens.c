/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bearer tokens: who they act for, when they expire, and SHA-256 of their
 * text. The text is 256 bits from OpenSSL's CSPRNG (cmds_tokens.c), so a
 * plain hash is enough: nobody can search 2^256 candidates for one that
 * hashes to a stolen row, and a salt or a slow KDF, which make guessing
 * low-entropy passwords dearer, would add nothing. The contract is
 * store.h, the conventions store_priv.h.
 */
#include "control/daemon/store_priv.h"

#define TOKEN_COLS "id, name, owner_id, created, expires"

void store_token_hash(const char *text, uint8_t hash[STORE_TOKEN_HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(text, strlen(text), hash, &n, EVP_sha256(), NULL) != 1 ||
	    n != STORE_TOKEN_HASH_LEN)
		/* no OpenSSL: a hash no stored token has (they are never all 0) */
		memset(hash, 0, STORE_TOKEN_HASH_LEN);
}

static int token_row(struct store *s, sqlite3_stmt *q, struct store_token *t)
{
	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(q, 0);
	t->owner_id = sqlite3_column_int64(q, 2);
	t->created = sqlite3_column_int64(q, 3);
	t->expires = sqlite3_column_int64(q, 4);
	return st_col_name(s, q, 1, t->name);
}

/* A name for a token that was given none: "tok" and the lowest number
 * from the next id on that no token has. */
static int make_name(struct store *s, char name[STORE_NAME_MAX])
{
	int64_t next = 0;
	int ret = st_query_int(s, &next, "SELECT coalesce(max(id), 0) + 1 FROM tokens", "");

	for (; ret == 0; next++) {
		snprintf(name, STORE_NAME_MAX, "tok%" PRId64, next);
		ret = st_query_exists(s, "SELECT 1 FROM tokens WHERE name = ?1", "t", name);
		if (ret == 0)
			return 0;
		if (ret > 0)
			ret = 0;
	}
	return ret;
}

int store_token_add(struct store *s, struct store_token *t, const uint8_t hash[STORE_TOKEN_HASH_LEN])
{
	int ret = st_need_txn(s);

	if (ret == 0 && t->name[0] == '\0')
		ret = make_name(s, t->name);
	if (ret == 0)
		ret = st_check_name(s, "a token", t->name);
	if (ret == 0)
		ret = st_query_exists(s, "SELECT 1 FROM owners WHERE id = ?1", "i", t->owner_id);
	if (ret == 0)
		return st_fail(s, -ENOENT, "no owner with id %" PRId64, t->owner_id);
	if (ret > 0)
		ret = st_query_exists(s, "SELECT 1 FROM tokens WHERE name = ?1", "t", t->name);
	if (ret > 0)
		return st_fail(s, -EEXIST, "a token named \"%s\" exists", t->name);
	if (ret < 0)
		return ret;
	ret = st_run(s, NULL,
		     "INSERT INTO tokens(name, owner_id, hash, created, expires)"
		     " VALUES (?1, ?2, ?3, ?4, ?5)",
		     "tibii", t->name, t->owner_id, hash, STORE_TOKEN_HASH_LEN, t->created, t->expires);
	if (ret == 0)
		t->id = sqlite3_last_insert_rowid(s->db);
	return ret;
}

int store_token_by_hash(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], struct store_token *t)
{
	sqlite3_stmt *q;
	int ret = st_prepare(s, &q, "SELECT " TOKEN_COLS " FROM tokens WHERE hash = ?1", "b", hash,
			     STORE_TOKEN_HASH_LEN);

	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0)
		ret = token_row(s, q, t);
	else if (ret == 0)
		ret = st_fail(s, -ENOENT, "no such token");
	sqlite3_finalize(q);
	return ret;
}

int store_token_by_name(struct store *s, const char *name, struct store_token *t)
{
	sqlite3_stmt *q;
	int ret;

	if (st_check_name(s, "a token", name) < 0)
		return st_fail(s, -ENOENT, "no such token");
	ret = st_prepare(s, &q, "SELECT " TOKEN_COLS " FROM tokens WHERE name = ?1", "t", name);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0)
		ret = token_row(s, q, t);
	else if (ret == 0)
		ret = st_fail(s, -ENOENT, "no token named \"%s\"", name);
	sqlite3_finalize(q);
	return ret;
}

int store_token_del(struct store *s, int64_t id)
{
	unsigned n = 0;
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_run(s, &n, "DELETE FROM tokens WHERE id = ?1", "i", id);
	if (ret == 0 && n == 0)
		ret = st_fail(s, -ENOENT, "no token with id %" PRId64, id);
	return ret;
}

int store_token_foreach(struct store *s, int64_t owner_id,
			int (*cb)(void *arg, const struct store_token *t), void *arg)
{
	struct store_token *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q;
	int ret;

	ret = st_prepare(s, &q,
			 "SELECT " TOKEN_COLS " FROM tokens WHERE ?1 = 0 OR owner_id = ?1 ORDER BY name",
			 "i", owner_id);
	if (ret < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		if (n == cap) {
			struct store_token *p = st_grow(rows, n, &cap, sizeof(*rows));

			if (p == NULL) {
				ret = st_fail(s, -ENOMEM, "out of memory");
				break;
			}
			rows = p;
		}
		ret = token_row(s, q, &rows[n]);
		if (ret < 0)
			break;
		n++;
	}
	sqlite3_finalize(q);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = cb(arg, &rows[i]);
	free(rows);
	return ret;
}
