/* SPDX-License-Identifier: BSD-3-Clause */
/* Viewers. The contract is store.h,
 * the conventions store_priv.h. */
#include "control/daemon/store_priv.h"

/* ---- viewers --------------------------------------------------------------- */

static int viewer_row(struct store *s, sqlite3_stmt *q, struct store_viewer *v)
{
	char aad[AAD_MAX], what[STORE_NAME_MAX + 16];
	int ret;

	memset(v, 0, sizeof(*v));
	v->id = sqlite3_column_int64(q, 0);
	ret = st_col_name(s, q, 1, v->name);
	if (ret < 0)
		return ret;
	v->stream_id = sqlite3_column_int64(q, 2);
	v->owner_id = sqlite3_column_int64(q, 3);
	ret = st_col_endpoint(s, q, 4, &v->dest);
	if (ret == 0 && !st_valid_family(v->dest.addr.family))
		ret = st_fail(s, -EIO, "viewer \"%s\": the stored destination is malformed",
			   v->name);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "viewer \"%s\"", v->name);
	st_key_aad(aad, "viewer", v->name, "key");
	ret = st_key_open_main(s, q, 5, 6, aad, what, &v->key);
	if (ret < 0)
		store_viewer_cleanse(v);
	return ret;
}

int store_viewer_add(struct store *s, struct store_viewer *v)
{
	char dest[EP_TEXT_MAX], aad[AAD_MAX];
	struct sealed_key sk;
	int ret;

	ret = st_need_txn(s);
	if (ret == 0)
		ret = st_check_name(s, "a viewer", v->name);
	if (ret == 0)
		ret = st_check_endpoint(s, "a viewer's destination", &v->dest);
	if (ret == 0)
		ret = st_check_key(s, "viewer key", &v->key);
	if (ret < 0)
		return ret;
	ret = st_query_exists(s, "SELECT 1 FROM streams WHERE id = ?1", "i", v->stream_id);
	if (ret == 0)
		return st_fail(s, -ENOENT, "no stream with id %" PRId64, v->stream_id);
	if (ret > 0)
		ret = st_query_exists(s, "SELECT 1 FROM owners WHERE id = ?1", "i", v->owner_id);
	if (ret == 0)
		return st_fail(s, -ENOENT, "no owner with id %" PRId64, v->owner_id);
	if (ret > 0)
		ret = st_query_exists(s, "SELECT 1 FROM viewers WHERE name = ?1", "t", v->name);
	if (ret > 0)
		return st_fail(s, -EEXIST, "a viewer named \"%s\" exists", v->name);
	if (ret < 0)
		return ret;
	st_key_aad(aad, "viewer", v->name, "key");
	ret = st_key_seal(s, &v->key, aad, &sk);
	if (ret < 0)
		return ret;
	st_endpoint_text(&v->dest, dest, sizeof(dest));
	ret = st_run(s, NULL,
		  "INSERT INTO viewers(name, stream_id, owner_id, dest, suite, key)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		  "tiitib", v->name, v->stream_id, v->owner_id, dest, (int64_t)v->key.suite,
		  sk.len != 0 ? sk.blob : NULL, sk.len);
	if (ret == 0)
		v->id = sqlite3_last_insert_rowid(s->db);
	return ret;
}

int store_viewer_by_name(struct store *s, const char *name, struct store_viewer *v)
{
	sqlite3_stmt *q;
	int ret;

	if (st_check_name(s, "a viewer", name) < 0)
		return st_fail(s, -ENOENT, "no such viewer");
	ret = st_prepare(s, &q, "SELECT " VIEWER_COLS " FROM viewers WHERE name = ?1", "t", name);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0)
		ret = viewer_row(s, q, v);
	else if (ret == 0)
		ret = st_fail(s, -ENOENT, "no viewer named \"%s\"", name);
	sqlite3_finalize(q);
	return ret;
}

int store_viewer_set_key(struct store *s, const struct store_viewer *v)
{
	char name[STORE_NAME_MAX], aad[AAD_MAX];
	struct sealed_key sk;
	int ret;

	ret = st_need_txn(s);
	if (ret == 0)
		ret = st_row_name(s, "SELECT name FROM viewers WHERE id = ?1", "viewer", v->id, name);
	if (ret == 0)
		ret = st_check_key(s, "viewer key", &v->key);
	if (ret < 0)
		return ret;
	st_key_aad(aad, "viewer", name, "key");
	ret = st_key_seal(s, &v->key, aad, &sk);
	if (ret == 0)
		ret = st_run(s, NULL, "UPDATE viewers SET suite = ?1, key = ?2 WHERE id = ?3", "ibi",
			  (int64_t)v->key.suite, sk.len != 0 ? sk.blob : NULL, sk.len, v->id);
	return ret;
}

int store_viewer_del(struct store *s, int64_t id)
{
	unsigned n = 0;
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_run(s, &n, "DELETE FROM viewers WHERE id = ?1", "i", id);
	if (ret == 0 && n == 0)
		ret = st_fail(s, -ENOENT, "no viewer with id %" PRId64, id);
	return ret;
}

int store_viewer_foreach(struct store *s, int64_t stream_id,
			 int (*cb)(void *arg, const struct store_viewer *v), void *arg)
{
	struct store_viewer *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q;
	int ret;

	ret = st_prepare(s, &q,
		      "SELECT " VIEWER_COLS " FROM viewers"
		      " WHERE ?1 = 0 OR stream_id = ?1 ORDER BY name", "i", stream_id);
	if (ret < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		if (n == cap) {
			struct store_viewer *p = st_grow(rows, n, &cap, sizeof(*rows));

			if (p == NULL) {
				ret = st_fail(s, -ENOMEM, "out of memory");
				break;
			}
			rows = p;
		}
		ret = viewer_row(s, q, &rows[n]);
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

int store_viewer_del_by_owner(struct store *s, int64_t stream_id, int64_t owner_id, unsigned *n)
{
	unsigned changes = 0;
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_run(s, &changes, "DELETE FROM viewers WHERE stream_id = ?1 AND owner_id = ?2",
			  "ii", stream_id, owner_id);
	if (ret == 0 && n != NULL)
		*n = changes;
	return ret;
}
