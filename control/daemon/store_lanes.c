/* SPDX-License-Identifier: BSD-3-Clause */
/* Egress lanes and their reservations (invariant 8). The contract is
 * store.h, the conventions store_priv.h. */
#include "control/daemon/store_priv.h"

int store_lanes_get(struct store *s, int64_t viewer_id, struct store_lane *l, unsigned max)
{
	sqlite3_stmt *q;
	unsigned n = 0;
	int ret = st_prepare(s, &q,
			     "SELECT lane, ssrc, rtp_res, rtcp_res FROM viewer_lanes"
			     " WHERE viewer_id = ?1 ORDER BY lane",
			     "i", viewer_id);

	if (ret < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		if (n == max || sqlite3_column_int64(q, 0) != (int64_t)n) {
			ret = st_fail(s, -EIO, "viewer %" PRId64 ": its stored lanes are malformed",
				      viewer_id);
			break;
		}
		l[n].ssrc = (uint32_t)sqlite3_column_int64(q, 1);
		l[n].rtp_res = (uint64_t)sqlite3_column_int64(q, 2);
		l[n].rtcp_res = (uint32_t)sqlite3_column_int64(q, 3);
		n++;
	}
	sqlite3_finalize(q);
	return ret < 0 ? ret : (int)n;
}

int store_lanes_set(struct store *s, int64_t viewer_id, const struct store_lane *l, unsigned n)
{
	int ret = st_need_txn(s);

	if (ret < 0)
		return ret;
	ret = st_savepoint(s);
	if (ret < 0)
		return ret;
	ret = st_run(s, NULL, "DELETE FROM viewer_lanes WHERE viewer_id = ?1", "i", viewer_id);
	for (unsigned i = 0; ret == 0 && i < n; i++)
		ret = st_run(s, NULL,
			     "INSERT INTO viewer_lanes(viewer_id, lane, ssrc, rtp_res, rtcp_res)"
			     " VALUES (?1, ?2, ?3, ?4, ?5)",
			     "iiiii", viewer_id, (int64_t)i, (int64_t)l[i].ssrc, (int64_t)l[i].rtp_res,
			     (int64_t)l[i].rtcp_res);
	return st_savepoint_end(s, ret);
}

int store_lane_reserve(struct store *s, int64_t viewer_id, unsigned lane, uint32_t ssrc,
		       uint64_t rtp_res, uint32_t rtcp_res)
{
	unsigned changed = 0;
	int ret = st_need_txn(s);

	if (ret < 0)
		return ret;
	ret = st_run(s, &changed,
		     "UPDATE viewer_lanes SET rtp_res = max(rtp_res, ?4), rtcp_res = max(rtcp_res, ?5)"
		     " WHERE viewer_id = ?1 AND lane = ?2 AND ssrc = ?3",
		     "iiiii", viewer_id, (int64_t)lane, (int64_t)ssrc, (int64_t)rtp_res,
		     (int64_t)rtcp_res);
	return ret < 0 ? ret : changed > 0;
}
