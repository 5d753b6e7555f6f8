/* SPDX-License-Identifier: BSD-3-Clause */
/* Positions of SRTP contexts, and cleansing of key-bearing structs. The contract is store.h,
 * the conventions store_priv.h. */
#include "control/daemon/store_priv.h"

/* ---- positions ---------------------------------------------------------- */

int store_pos_get(struct store *s, bool viewer, int64_t id, struct sgw_pos *p)
{
	sqlite3_stmt *q;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = st_prepare(s, &q, viewer ? "SELECT ssrc, roc, seq FROM viewer_positions WHERE viewer_id = ?1"
				    : "SELECT ssrc, roc, seq FROM stream_positions WHERE stream_id = ?1",
		      "i", id);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0) {
		p->ssrc = (uint32_t)sqlite3_column_int64(q, 0);
		p->roc = (uint32_t)sqlite3_column_int64(q, 1);
		p->seq = (uint16_t)sqlite3_column_int64(q, 2);
		p->flags = SGW_POS_VALID;
		ret = 0;
	} else if (ret == 0) {
		ret = -ENOENT;
	}
	sqlite3_finalize(q);
	return ret;
}

int store_pos_set(struct store *s, bool viewer, int64_t id, const struct sgw_pos *p)
{
	int ret = st_need_txn(s);

	if (ret < 0)
		return ret;
	if (!(p->flags & SGW_POS_VALID))
		return st_run(s, NULL, viewer ? "DELETE FROM viewer_positions WHERE viewer_id = ?1"
					   : "DELETE FROM stream_positions WHERE stream_id = ?1",
			   "i", id);
	return st_run(s, NULL,
		   viewer ? "INSERT OR REPLACE INTO viewer_positions(viewer_id, ssrc, roc, seq)"
			    " VALUES (?1, ?2, ?3, ?4)"
			  : "INSERT OR REPLACE INTO stream_positions(stream_id, ssrc, roc, seq)"
			    " VALUES (?1, ?2, ?3, ?4)",
		   "iiii", id, (int64_t)p->ssrc, (int64_t)p->roc, (int64_t)p->seq);
}

void store_stream_cleanse(struct store_stream *st)
{
	OPENSSL_cleanse(&st->key, sizeof(st->key));
	OPENSSL_cleanse(&st->old_key, sizeof(st->old_key));
}

void store_viewer_cleanse(struct store_viewer *v)
{
	OPENSSL_cleanse(&v->key, sizeof(v->key));
}
