/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateway as it last applied a change of ours, and the changes it has
 * not applied. The contract is store.h, the conventions store_priv.h. */
#include "control/daemon/store_priv.h"

int store_gw_get(struct store *s, uint64_t *boot_id, uint64_t *version)
{
	int64_t b = 0, v = 0;
	int ret = st_query_int(s, &b, "SELECT value FROM meta WHERE key = 'gw_boot_id'", "");

	if (ret == 0)
		ret = st_query_int(s, &v, "SELECT value FROM meta WHERE key = 'gw_version'", "");
	*boot_id = (uint64_t)b;
	*version = (uint64_t)v;
	return ret;
}

int store_gw_set(struct store *s, uint64_t boot_id, uint64_t version)
{
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_run(s, NULL, "UPDATE meta SET value = ?1 WHERE key = 'gw_boot_id'", "i",
			     (int64_t)boot_id);
	if (ret == 0)
		ret = st_run(s, NULL, "UPDATE meta SET value = ?1 WHERE key = 'gw_version'", "i",
			     (int64_t)version);
	return ret;
}

int store_pending_add(struct store *s, uint64_t seq, int64_t at, int64_t actor, const char *what)
{
	int ret = st_need_txn(s);

	if (ret < 0)
		return ret;
	return st_run(s, NULL,
		      "INSERT OR REPLACE INTO pending_changes(seq, at, actor, what) VALUES (?1, ?2, ?3, ?4)",
		      "iiit", (int64_t)seq, at, actor, what);
}

int store_pending_clear(struct store *s, uint64_t upto)
{
	int ret = st_need_txn(s);

	if (ret < 0)
		return ret;
	return st_run(s, NULL, "DELETE FROM pending_changes WHERE seq <= ?1", "i", (int64_t)upto);
}

int store_pending_foreach(struct store *s,
			  int (*cb)(void *arg, uint64_t seq, int64_t at, int64_t actor, const char *what),
			  void *arg)
{
	struct row {
		uint64_t seq;
		int64_t at, actor;
		char what[STORE_PENDING_WHAT_MAX];
	} *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q;
	int ret = st_prepare(s, &q, "SELECT seq, at, actor, what FROM pending_changes ORDER BY seq", "");

	if (ret < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		const char *w = (const char *)sqlite3_column_text(q, 3);

		if (n == cap) {
			struct row *nr = st_grow(rows, n, &cap, sizeof(*rows));
			if (nr == NULL) {
				ret = st_fail(s, -ENOMEM, "out of memory");
				break;
			}
			rows = nr;
		}
		rows[n].seq = (uint64_t)sqlite3_column_int64(q, 0);
		rows[n].at = sqlite3_column_int64(q, 1);
		rows[n].actor = sqlite3_column_int64(q, 2);
		snprintf(rows[n].what, sizeof(rows[n].what), "%s", w != NULL ? w : "");
		n++;
	}
	sqlite3_finalize(q);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = cb(arg, rows[i].seq, rows[i].at, rows[i].actor, rows[i].what);
	free(rows);
	return ret;
}
