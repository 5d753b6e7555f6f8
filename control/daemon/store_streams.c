/* SPDX-License-Identifier: BSD-3-Clause */
/* Streams and the quarantine of their listen endpoints. The contract is store.h,
 * the conventions store_priv.h. */
#include "control/daemon/store_priv.h"

/* ---- quarantine ----------------------------------------------------------- */

/* Forgets expired quarantine entries, then runs sql, a QUARANTINE_INSERT
 * of the streams selected by ?2 = key, with ?1 = now + quarantine_s. */
int st_quarantine_streams(struct store *s, const char *sql, int64_t key, int64_t now,
			      uint32_t quarantine_s)
{
	int ret = st_run(s, NULL, "DELETE FROM quarantine WHERE until <= ?1", "i", now);

	if (ret == 0)
		ret = st_run(s, NULL, sql, "ii", now + (int64_t)quarantine_s, key);
	return ret;
}

int store_listen_state(struct store *s, const struct sgw_endpoint *listen, int64_t now,
		       enum store_listen_state *state)
{
	char text[EP_TEXT_MAX];
	int64_t until;
	int ret;

	ret = st_check_endpoint(s, "listen endpoint", listen);
	if (ret < 0)
		return ret;
	st_endpoint_text(listen, text, sizeof(text));
	ret = st_query_exists(s, "SELECT 1 FROM streams WHERE listen = ?1", "t", text);
	if (ret < 0)
		return ret;
	if (ret > 0) {
		*state = STORE_LISTEN_IN_USE;
		return 0;
	}
	ret = st_query_int(s, &until, "SELECT until FROM quarantine WHERE listen = ?1", "t", text);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (ret == 0 && until > now) {
		*state = STORE_LISTEN_QUARANTINED;
		return 0;
	}
	*state = STORE_LISTEN_FREE;
	/* forget expired entries while a transaction is open anyway */
	if (!sqlite3_get_autocommit(s->db))
		return st_run(s, NULL, "DELETE FROM quarantine WHERE until <= ?1", "i", now);
	return 0;
}

/* ---- streams --------------------------------------------------------------- */

/* One row of STREAM_COLS into st; on error st holds no key. */
static int stream_row(struct store *s, sqlite3_stmt *q, struct store_stream *st)
{
	char aad[AAD_MAX], what[STORE_NAME_MAX + 16];
	int ret;

	memset(st, 0, sizeof(*st));
	st->id = sqlite3_column_int64(q, 0);
	ret = st_col_name(s, q, 1, st->name);
	if (ret < 0)
		return ret;
	st->owner_id = sqlite3_column_int64(q, 2);
	ret = st_col_endpoint(s, q, 3, &st->listen);
	if (ret == 0 && !st_valid_family(st->listen.addr.family))
		ret = st_fail(s, -EIO, "stream \"%s\": the stored listen endpoint is malformed",
			   st->name);
	if (ret == 0)
		ret = st_col_endpoint(s, q, 4, &st->source);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "stream \"%s\"", st->name);
	st_key_aad(aad, "stream", st->name, "key");
	ret = st_key_open_main(s, q, 5, 6, aad, what, &st->key);
	if (ret == 0) {
		st_key_aad(aad, "stream", st->name, "old_key");
		ret = st_key_open(s, q, 7, aad, what, &st->old_key);
	}
	if (ret < 0) {
		store_stream_cleanse(st);
		return ret;
	}
	st->overlap_until = sqlite3_column_int64(q, 8);
	st->idle_timeout_s = (uint32_t)sqlite3_column_int64(q, 9);
	return 0;
}

static int stream_get(struct store *s, struct store_stream *st, const char *sql,
		      const char *fmt, const void *key)
{
	sqlite3_stmt *q;
	int ret;

	if (fmt[0] == 't')
		ret = st_prepare(s, &q, sql, fmt, (const char *)key);
	else
		ret = st_prepare(s, &q, sql, fmt, *(const int64_t *)key);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0) {
		ret = stream_row(s, q, st);
	} else if (ret == 0) {
		if (fmt[0] == 't')
			ret = st_fail(s, -ENOENT, "no stream named \"%s\"", (const char *)key);
		else
			ret = st_fail(s, -ENOENT, "no stream with id %" PRId64,
				   *(const int64_t *)key);
	}
	sqlite3_finalize(q);
	return ret;
}

int store_stream_by_name(struct store *s, const char *name, struct store_stream *st)
{
	if (st_check_name(s, "a stream", name) < 0)
		return st_fail(s, -ENOENT, "no such stream");
	return stream_get(s, st, "SELECT " STREAM_COLS " FROM streams WHERE name = ?1", "t",
			  name);
}

int store_stream_by_id(struct store *s, int64_t id, struct store_stream *st)
{
	return stream_get(s, st, "SELECT " STREAM_COLS " FROM streams WHERE id = ?1", "i", &id);
}

/* Checks and seals a stream's keys for the stream named name. */
static int stream_seal(struct store *s, const char *name, const struct sgw_key *key,
		       const struct sgw_key *old_key, struct sealed_key *sk,
		       struct sealed_key *sold)
{
	char aad[AAD_MAX];
	int ret;

	sk->len = 0;
	sold->len = 0;
	ret = st_check_key(s, "stream key", key);
	if (ret == 0 && old_key->len != 0)
		ret = st_check_key(s, "stream old key", old_key);
	if (ret < 0)
		return ret;
	st_key_aad(aad, "stream", name, "key");
	ret = st_key_seal(s, key, aad, sk);
	if (ret == 0 && old_key->len != 0) {
		st_key_aad(aad, "stream", name, "old_key");
		ret = st_key_seal(s, old_key, aad, sold);
	}
	return ret;
}

int store_stream_add(struct store *s, struct store_stream *st)
{
	char listen[EP_TEXT_MAX], source[EP_TEXT_MAX];
	struct sealed_key sk, sold;
	int ret;

	ret = st_need_txn(s);
	if (ret == 0)
		ret = st_check_name(s, "a stream", st->name);
	if (ret == 0)
		ret = st_check_endpoint(s, "a stream's listen endpoint", &st->listen);
	if (ret == 0 && st->source.addr.family != SGW_AF_NONE &&
	    !st_valid_family(st->source.addr.family))
		ret = st_fail(s, -EINVAL, "a stream's source has an unknown address family");
	if (ret == 0)
		ret = stream_seal(s, st->name, &st->key, &st->old_key, &sk, &sold);
	if (ret < 0)
		return ret;
	st_endpoint_text(&st->listen, listen, sizeof(listen));
	if (st->source.addr.family != SGW_AF_NONE)
		st_endpoint_text(&st->source, source, sizeof(source));
	ret = st_query_exists(s, "SELECT 1 FROM owners WHERE id = ?1", "i", st->owner_id);
	if (ret == 0)
		return st_fail(s, -ENOENT, "no owner with id %" PRId64, st->owner_id);
	if (ret > 0)
		ret = st_query_exists(s, "SELECT 1 FROM streams WHERE name = ?1", "t", st->name);
	if (ret > 0)
		return st_fail(s, -EEXIST, "a stream named \"%s\" exists", st->name);
	if (ret == 0)
		ret = st_query_exists(s, "SELECT 1 FROM streams WHERE listen = ?1", "t", listen);
	if (ret > 0)
		return st_fail(s, -EADDRINUSE, "a stream listens on %s", listen);
	if (ret < 0)
		return ret;
	ret = st_run(s, NULL,
		  "INSERT INTO streams(name, owner_id, listen, source, suite, key, old_key,"
		  " overlap_until, idle_timeout) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		  "tittibbii", st->name, st->owner_id, listen,
		  st->source.addr.family != SGW_AF_NONE ? source : NULL,
		  (int64_t)st->key.suite, sk.len != 0 ? sk.blob : NULL, sk.len,
		  sold.len != 0 ? sold.blob : NULL, sold.len, st->overlap_until,
		  (int64_t)st->idle_timeout_s);
	if (ret == 0)
		st->id = sqlite3_last_insert_rowid(s->db);
	return ret;
}

/* The stored name of stream or viewer id (for the keys' associated data). */
int st_row_name(struct store *s, const char *sql, const char *kind, int64_t id,
		    char name[STORE_NAME_MAX])
{
	sqlite3_stmt *q;
	int ret = st_prepare(s, &q, sql, "i", id);

	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0)
		ret = st_col_name(s, q, 0, name);
	else if (ret == 0)
		ret = st_fail(s, -ENOENT, "no %s with id %" PRId64, kind, id);
	sqlite3_finalize(q);
	return ret;
}

int store_stream_set_keys(struct store *s, const struct store_stream *st)
{
	char name[STORE_NAME_MAX];
	struct sealed_key sk, sold;
	int ret;

	ret = st_need_txn(s);
	if (ret == 0)
		ret = st_row_name(s, "SELECT name FROM streams WHERE id = ?1", "stream", st->id,
			       name);
	if (ret == 0)
		ret = stream_seal(s, name, &st->key, &st->old_key, &sk, &sold);
	if (ret == 0)
		ret = st_run(s, NULL,
			  "UPDATE streams SET suite = ?1, key = ?2, old_key = ?3,"
			  " overlap_until = ?4 WHERE id = ?5",
			  "ibbii", (int64_t)st->key.suite, sk.len != 0 ? sk.blob : NULL, sk.len,
			  sold.len != 0 ? sold.blob : NULL, sold.len, st->overlap_until, st->id);
	return ret;
}

int store_stream_del(struct store *s, int64_t id, int64_t now, uint32_t quarantine_s,
		     unsigned *n_viewers)
{
	int64_t nv = 0;
	int ret;

	ret = st_need_txn(s);
	if (ret < 0)
		return ret;
	ret = st_query_exists(s, "SELECT 1 FROM streams WHERE id = ?1", "i", id);
	if (ret == 0)
		return st_fail(s, -ENOENT, "no stream with id %" PRId64, id);
	if (ret > 0)
		ret = st_query_int(s, &nv, "SELECT count(*) FROM viewers WHERE stream_id = ?1", "i",
				id);
	if (ret < 0)
		return ret;
	ret = st_savepoint(s);
	if (ret < 0)
		return ret;
	/* before the stream and its listen endpoint go */
	ret = st_quarantine_streams(s, QUARANTINE_INSERT("id = ?2"), id, now, quarantine_s);
	if (ret == 0)
		ret = st_run(s, NULL, "DELETE FROM streams WHERE id = ?1", "i", id);
	ret = st_savepoint_end(s, ret);
	if (ret == 0 && n_viewers != NULL)
		*n_viewers = (unsigned)nv;
	return ret;
}

/* Collects the rows of a STREAM_COLS query (one int64 parameter), then
 * calls cb for each. */
static int stream_collect(struct store *s, const char *sql, int64_t param,
			  int (*cb)(void *arg, const struct store_stream *st), void *arg)
{
	struct store_stream *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q;
	int ret;

	ret = st_prepare(s, &q, sql, "i", param);
	if (ret < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		if (n == cap) {
			struct store_stream *p = st_grow(rows, n, &cap, sizeof(*rows));

			if (p == NULL) {
				ret = st_fail(s, -ENOMEM, "out of memory");
				break;
			}
			rows = p;
		}
		ret = stream_row(s, q, &rows[n]);
		if (ret < 0)
			break;
		n++;
	}
	sqlite3_finalize(q);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = cb(arg, &rows[i]);
	if (rows != NULL) {
		OPENSSL_cleanse(rows, cap * sizeof(*rows));
		free(rows);
	}
	return ret;
}

int store_stream_foreach(struct store *s, int64_t owner_id,
			 int (*cb)(void *arg, const struct store_stream *st), void *arg)
{
	return stream_collect(s,
			      "SELECT " STREAM_COLS " FROM streams"
			      " WHERE ?1 = 0 OR owner_id = ?1 ORDER BY name",
			      owner_id, cb, arg);
}

int store_stream_foreach_overlap_expired(struct store *s, int64_t now,
					 int (*cb)(void *arg, const struct store_stream *st),
					 void *arg)
{
	return stream_collect(s,
			      "SELECT " STREAM_COLS " FROM streams"
			      " WHERE overlap_until != 0 AND overlap_until <= ?1 ORDER BY name",
			      now, cb, arg);
}
