/* SPDX-License-Identifier: BSD-3-Clause */
/* Listings of streams and viewers for queries: every column but the sealed
 * keys, so that no listing decrypts a key (only the suite column is read).
 * The contract is store.h, the conventions store_priv.h. */
#include "control/daemon/store_priv.h"

#define STREAM_INFO_COLS "id, name, owner_id, listen, source, suite, overlap_until, idle_timeout"
#define VIEWER_INFO_COLS "id, name, stream_id, owner_id, dest, suite"

static int suite_col(struct store *s, sqlite3_stmt *q, int col, const char *name, uint8_t *suite)
{
	int64_t v = sqlite3_column_int64(q, col);

	if (v < 0 || v >= SGW_SUITE_MAX)
		return st_fail(s, -EIO, "\"%s\": the stored suite is malformed", name);
	*suite = (uint8_t)v;
	return 0;
}

/* One row of STREAM_INFO_COLS. */
static int stream_info_row(struct store *s, sqlite3_stmt *q, struct store_stream_info *st)
{
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
	if (ret == 0)
		ret = suite_col(s, q, 5, st->name, &st->suite);
	st->overlap_until = sqlite3_column_int64(q, 6);
	st->idle_timeout_s = (uint32_t)sqlite3_column_int64(q, 7);
	return ret;
}

/* One row of VIEWER_INFO_COLS. */
static int viewer_info_row(struct store *s, sqlite3_stmt *q, struct store_viewer_info *v)
{
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
		ret = st_fail(s, -EIO, "viewer \"%s\": the stored destination is malformed", v->name);
	if (ret == 0)
		ret = suite_col(s, q, 5, v->name, &v->suite);
	return ret;
}

/* The one row sql (one parameter: 't' name or 'i' id) selects, through
 * row(); -ENOENT naming kind if there is none. */
static int info_get(struct store *s, const char *kind, const char *sql, const char *name, int64_t id,
		    int (*row)(struct store *, sqlite3_stmt *, void *), void *out)
{
	sqlite3_stmt *q;
	int ret;

	if (name != NULL && st_check_name(s, kind, name) < 0)
		return st_fail(s, -ENOENT, "no such %s", kind);
	ret = name != NULL ? st_prepare(s, &q, sql, "t", name) : st_prepare(s, &q, sql, "i", id);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0)
		ret = row(s, q, out);
	else if (ret == 0 && name != NULL)
		ret = st_fail(s, -ENOENT, "no %s named \"%s\"", kind, name);
	else if (ret == 0)
		ret = st_fail(s, -ENOENT, "no %s with id %" PRId64, kind, id);
	sqlite3_finalize(q);
	return ret;
}

static int stream_row_cb(struct store *s, sqlite3_stmt *q, void *out)
{
	return stream_info_row(s, q, out);
}

static int viewer_row_cb(struct store *s, sqlite3_stmt *q, void *out)
{
	return viewer_info_row(s, q, out);
}

int store_stream_info_by_name(struct store *s, const char *name, struct store_stream_info *st)
{
	return info_get(s, "stream", "SELECT " STREAM_INFO_COLS " FROM streams WHERE name = ?1", name, 0,
			stream_row_cb, st);
}

int store_stream_info_by_id(struct store *s, int64_t id, struct store_stream_info *st)
{
	return info_get(s, "stream", "SELECT " STREAM_INFO_COLS " FROM streams WHERE id = ?1", NULL, id,
			stream_row_cb, st);
}

int store_viewer_info_by_name(struct store *s, const char *name, struct store_viewer_info *v)
{
	return info_get(s, "viewer", "SELECT " VIEWER_INFO_COLS " FROM viewers WHERE name = ?1", name, 0,
			viewer_row_cb, v);
}

int store_viewer_info_by_id(struct store *s, int64_t id, struct store_viewer_info *v)
{
	return info_get(s, "viewer", "SELECT " VIEWER_INFO_COLS " FROM viewers WHERE id = ?1", NULL, id,
			viewer_row_cb, v);
}

int store_stream_list(struct store *s, int64_t owner_id, bool granted,
		      int (*cb)(void *arg, const struct store_stream_info *st), void *arg)
{
	struct store_stream_info *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q;
	int ret;

	ret = st_prepare(s, &q,
			 "SELECT " STREAM_INFO_COLS " FROM streams WHERE ?1 = 0 OR owner_id = ?1"
			 " OR (?2 AND id IN (SELECT stream_id FROM grants WHERE owner_id = ?1))"
			 " ORDER BY name", "ii", owner_id, (int64_t)granted);
	if (ret < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		if (n == cap) {
			struct store_stream_info *p = st_grow(rows, n, &cap, sizeof(*rows));

			if (p == NULL) {
				ret = st_fail(s, -ENOMEM, "out of memory");
				break;
			}
			rows = p;
		}
		ret = stream_info_row(s, q, &rows[n]);
		if (ret < 0)
			break;
		n++;
	}
	sqlite3_finalize(q);
	/* every row first: a callback may call any store function */
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = cb(arg, &rows[i]);
	free(rows);
	return ret;
}

int store_viewer_list(struct store *s, int64_t stream_id, int64_t visible_to,
		      int (*cb)(void *arg, const struct store_viewer_info *v), void *arg)
{
	struct store_viewer_info *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q;
	int ret;

	ret = st_prepare(s, &q,
			 "SELECT " VIEWER_INFO_COLS " FROM viewers WHERE (?1 = 0 OR stream_id = ?1)"
			 " AND (?2 = 0 OR owner_id = ?2 OR stream_id IN"
			 " (SELECT id FROM streams WHERE owner_id = ?2)) ORDER BY name",
			 "ii", stream_id, visible_to);
	if (ret < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		if (n == cap) {
			struct store_viewer_info *p = st_grow(rows, n, &cap, sizeof(*rows));

			if (p == NULL) {
				ret = st_fail(s, -ENOMEM, "out of memory");
				break;
			}
			rows = p;
		}
		ret = viewer_info_row(s, q, &rows[n]);
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

int store_owner_counts(struct store *s, int64_t owner_id, unsigned *streams, unsigned *viewers)
{
	int64_t ns = 0, nv = 0;
	int ret;

	ret = st_query_int(s, &ns, "SELECT count(*) FROM streams WHERE owner_id = ?1", "i", owner_id);
	if (ret == 0)
		ret = st_query_int(s, &nv, "SELECT count(*) FROM viewers WHERE owner_id = ?1", "i",
				   owner_id);
	if (ret < 0)
		return ret;
	*streams = (unsigned)ns;
	*viewers = (unsigned)nv;
	return 0;
}
