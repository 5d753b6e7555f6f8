/* SPDX-License-Identifier: BSD-3-Clause */
/* Owners and grants. The contract is store.h,
 * the conventions store_priv.h. */
#include "control/daemon/store_priv.h"

/* ---- owners ---------------------------------------------------------------- */

int store_owner_add(struct store *s, const char *name, int64_t *id)
{
	int ret;

	ret = st_need_txn(s);
	if (ret == 0)
		ret = st_check_name(s, "an owner", name);
	if (ret == 0)
		ret = st_query_exists(s, "SELECT 1 FROM owners WHERE name = ?1", "t", name);
	if (ret > 0)
		return st_fail(s, -EEXIST, "an owner named \"%s\" exists", name);
	if (ret == 0)
		ret = st_run(s, NULL, "INSERT INTO owners(name) VALUES (?1)", "t", name);
	if (ret == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return ret;
}

static int owner_get(struct store *s, struct store_owner *o, const char *sql, const char *fmt,
		     const void *key)
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
		memset(o, 0, sizeof(*o));
		o->id = sqlite3_column_int64(q, 0);
		ret = st_col_name(s, q, 1, o->name);
	} else if (ret == 0) {
		if (fmt[0] == 't')
			ret = st_fail(s, -ENOENT, "no owner named \"%s\"", (const char *)key);
		else
			ret = st_fail(s, -ENOENT, "no owner with id %" PRId64,
				   *(const int64_t *)key);
	}
	sqlite3_finalize(q);
	return ret;
}

int store_owner_by_name(struct store *s, const char *name, struct store_owner *o)
{
	if (st_check_name(s, "an owner", name) < 0)
		return st_fail(s, -ENOENT, "no such owner");
	return owner_get(s, o, "SELECT id, name FROM owners WHERE name = ?1", "t", name);
}

int store_owner_by_id(struct store *s, int64_t id, struct store_owner *o)
{
	return owner_get(s, o, "SELECT id, name FROM owners WHERE id = ?1", "i", &id);
}

int store_owner_del(struct store *s, int64_t id, int64_t now, uint32_t quarantine_s,
		    unsigned *n_streams, unsigned *n_viewers)
{
	int64_t ns = 0, nv = 0;
	int ret;

	ret = st_need_txn(s);
	if (ret < 0)
		return ret;
	ret = st_query_exists(s, "SELECT 1 FROM owners WHERE id = ?1", "i", id);
	if (ret == 0)
		return st_fail(s, -ENOENT, "no owner with id %" PRId64, id);
	if (ret < 0)
		return ret;
	ret = st_query_int(s, &ns, "SELECT count(*) FROM streams WHERE owner_id = ?1", "i", id);
	if (ret == 0)
		ret = st_query_int(s, &nv,
				"SELECT count(*) FROM viewers WHERE owner_id = ?1 OR stream_id IN"
				" (SELECT id FROM streams WHERE owner_id = ?1)", "i", id);
	if (ret < 0)
		return ret;
	ret = st_savepoint(s);
	if (ret < 0)
		return ret;
	/* before the cascade takes the streams away */
	ret = st_quarantine_streams(s, QUARANTINE_INSERT("owner_id = ?2"), id, now, quarantine_s);
	if (ret == 0)
		ret = st_run(s, NULL, "DELETE FROM owners WHERE id = ?1", "i", id);
	ret = st_savepoint_end(s, ret);
	if (ret < 0)
		return ret;
	if (n_streams != NULL)
		*n_streams = (unsigned)ns;
	if (n_viewers != NULL)
		*n_viewers = (unsigned)nv;
	return 0;
}

struct owner_row {
	struct store_owner o;
	unsigned n_streams, n_viewers;
};

int store_owner_foreach(struct store *s,
			int (*cb)(void *arg, const struct store_owner *o, unsigned n_streams,
				  unsigned n_viewers),
			void *arg)
{
	struct owner_row *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q;
	int ret;

	ret = st_prepare(s, &q,
		      "SELECT o.id, o.name,"
		      " (SELECT count(*) FROM streams WHERE owner_id = o.id),"
		      " (SELECT count(*) FROM viewers WHERE owner_id = o.id)"
		      " FROM owners o ORDER BY o.name", "");
	if (ret < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		if (n == cap) {
			struct owner_row *p = st_grow(rows, n, &cap, sizeof(*rows));

			if (p == NULL) {
				ret = st_fail(s, -ENOMEM, "out of memory");
				break;
			}
			rows = p;
		}
		rows[n].o.id = sqlite3_column_int64(q, 0);
		ret = st_col_name(s, q, 1, rows[n].o.name);
		if (ret < 0)
			break;
		rows[n].n_streams = (unsigned)sqlite3_column_int64(q, 2);
		rows[n].n_viewers = (unsigned)sqlite3_column_int64(q, 3);
		n++;
	}
	sqlite3_finalize(q);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = cb(arg, &rows[i].o, rows[i].n_streams, rows[i].n_viewers);
	free(rows);
	return ret;
}

/* ---- grants ---------------------------------------------------------------- */

int store_grant_add(struct store *s, int64_t stream_id, int64_t owner_id)
{
	int ret = st_need_txn(s);

	if (ret < 0)
		return ret;
	ret = st_query_exists(s, "SELECT 1 FROM streams WHERE id = ?1", "i", stream_id);
	if (ret == 0)
		return st_fail(s, -ENOENT, "no stream with id %" PRId64, stream_id);
	if (ret > 0)
		ret = st_query_exists(s, "SELECT 1 FROM owners WHERE id = ?1", "i", owner_id);
	if (ret == 0)
		return st_fail(s, -ENOENT, "no owner with id %" PRId64, owner_id);
	if (ret > 0)
		ret = store_grant_exists(s, stream_id, owner_id);
	if (ret > 0)
		return st_fail(s, -EEXIST, "owner %" PRId64 " already holds a grant on stream %" PRId64,
			    owner_id, stream_id);
	if (ret < 0)
		return ret;
	return st_run(s, NULL, "INSERT INTO grants(stream_id, owner_id) VALUES (?1, ?2)", "ii",
		   stream_id, owner_id);
}

int store_grant_del(struct store *s, int64_t stream_id, int64_t owner_id)
{
	unsigned n = 0;
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_run(s, &n, "DELETE FROM grants WHERE stream_id = ?1 AND owner_id = ?2", "ii",
			  stream_id, owner_id);
	if (ret == 0 && n == 0)
		ret = st_fail(s, -ENOENT, "owner %" PRId64 " holds no grant on stream %" PRId64,
			   owner_id, stream_id);
	return ret;
}

int store_grant_exists(struct store *s, int64_t stream_id, int64_t owner_id)
{
	return st_query_exists(s, "SELECT 1 FROM grants WHERE stream_id = ?1 AND owner_id = ?2",
			    "ii", stream_id, owner_id);
}

int store_grant_list(struct store *s, int64_t stream_id, int64_t *owners, unsigned max)
{
	sqlite3_stmt *q;
	unsigned n = 0;
	int ret;

	ret = st_prepare(s, &q,
		      "SELECT g.owner_id FROM grants g JOIN owners o ON o.id = g.owner_id"
		      " WHERE g.stream_id = ?1 ORDER BY o.name", "i", stream_id);
	if (ret < 0)
		return ret;
	while (n < max && (ret = st_step(s, q)) > 0)
		owners[n++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return ret < 0 ? ret : (int)n;
}
