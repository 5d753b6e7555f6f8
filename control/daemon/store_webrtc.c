/* SPDX-License-Identifier: BSD-3-Clause */
/* What WebRTC adds: streams' media and WebRTC legs. The contract is
 * store.h, the conventions store_priv.h. */
#include <openssl/hmac.h>

#include "control/daemon/store_priv.h"

/* ---- media ------------------------------------------------------------------- */

int store_media_get(struct store *s, int64_t stream_id, struct store_media *m)
{
	sqlite3_stmt *q;
	int ret;

	memset(m, 0, sizeof(*m));
	ret = st_prepare(s, &q, "SELECT codec, pt, plid, pmode, whip FROM stream_media WHERE stream_id = ?1",
			 "i", stream_id);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0) {
		m->codec = (uint8_t)sqlite3_column_int(q, 0);
		m->pt = (uint8_t)(sqlite3_column_int(q, 1) & 0x7f);
		m->plid = (uint32_t)sqlite3_column_int64(q, 2);
		m->pmode = (int8_t)sqlite3_column_int(q, 3);
		m->whip = sqlite3_column_int(q, 4) != 0;
		ret = 0;
	} else if (ret == 0) {
		ret = st_fail(s, -ENOENT, "stream %" PRId64 " declares no media", stream_id);
	}
	sqlite3_finalize(q);
	return ret;
}

int store_media_set(struct store *s, int64_t stream_id, const struct store_media *m)
{
	int ret = st_need_txn(s);

	if (ret == 0 && m->pt > 127)
		ret = st_fail(s, -EINVAL, "payload type %u: 0..127", m->pt);
	if (ret == 0)
		ret = st_run(s, NULL,
			     "INSERT INTO stream_media(stream_id, codec, pt, plid, pmode, whip)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(stream_id) DO UPDATE SET"
			     " codec = excluded.codec, pt = excluded.pt, plid = excluded.plid,"
			     " pmode = excluded.pmode, whip = excluded.whip",
			     "iiiiii", stream_id, (int64_t)m->codec, (int64_t)m->pt, (int64_t)m->plid,
			     (int64_t)m->pmode, (int64_t)m->whip);
	return ret;
}

/* ---- WebRTC legs ----------------------------------------------------------------- */

#define WEBRTC_COLS \
	"w.viewer_id, w.session, w.whip, w.local_port, w.flags, w.pt_in, w.pt_out, w.rtcp_key," \
	" w.ufrag, w.remote_ufrag, w.paused, w.created, v.name"

static int col_text(struct store *s, sqlite3_stmt *q, int col, char *out, size_t cap, const char *what)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	size_t n = t != NULL ? strlen((const char *)t) : 0;

	if (t == NULL || n >= cap)
		return st_fail(s, -EIO, "a WebRTC leg's stored %s is malformed", what);
	memcpy(out, t, n + 1);
	return 0;
}

static int webrtc_row(struct store *s, sqlite3_stmt *q, struct store_webrtc *w)
{
	char aad[AAD_MAX], name[STORE_NAME_MAX], what[STORE_NAME_MAX + 32];
	int ret;

	memset(w, 0, sizeof(*w));
	w->viewer_id = sqlite3_column_int64(q, 0);
	ret = col_text(s, q, 1, w->session, sizeof(w->session), "session");
	if (ret < 0)
		return ret;
	w->whip = sqlite3_column_int(q, 2) != 0;
	w->local_port = (uint16_t)sqlite3_column_int(q, 3);
	w->flags = (uint16_t)sqlite3_column_int(q, 4);
	w->pt_in = (int16_t)sqlite3_column_int(q, 5);
	w->pt_out = (int16_t)sqlite3_column_int(q, 6);
	ret = col_text(s, q, 8, w->ufrag, sizeof(w->ufrag), "ICE ufrag");
	if (ret == 0)
		ret = col_text(s, q, 9, w->remote_ufrag, sizeof(w->remote_ufrag), "remote ICE ufrag");
	if (ret == 0)
		ret = st_col_name(s, q, 12, name);
	if (ret < 0)
		return ret;
	w->paused = sqlite3_column_int(q, 10) != 0;
	w->created = sqlite3_column_int64(q, 11);
	snprintf(what, sizeof(what), "viewer \"%s\"'s RTCP key", name);
	st_key_aad(aad, "viewer", name, "rtcp_key");
	ret = st_key_open(s, q, 7, aad, what, &w->rtcp_key);
	if (ret < 0)
		store_webrtc_cleanse(w);
	return ret;
}

int store_webrtc_add(struct store *s, const struct store_webrtc *w)
{
	char name[STORE_NAME_MAX], aad[AAD_MAX];
	struct sealed_key sk = { .len = 0 };
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_row_name(s, "SELECT name FROM viewers WHERE id = ?1", "viewer", w->viewer_id, name);
	if (ret == 0 && w->rtcp_key.len != 0) {
		ret = st_check_key(s, "viewer RTCP key", &w->rtcp_key);
		st_key_aad(aad, "viewer", name, "rtcp_key");
		if (ret == 0)
			ret = st_key_seal(s, &w->rtcp_key, aad, &sk);
	}
	if (ret < 0)
		return ret;
	return st_run(s, NULL,
		      "INSERT INTO webrtc_legs(viewer_id, session, whip, local_port, flags, pt_in, pt_out,"
		      " rtcp_key, ufrag, remote_ufrag, paused, created)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
		      "itiiiiibttii", w->viewer_id, w->session, (int64_t)w->whip, (int64_t)w->local_port,
		      (int64_t)w->flags, (int64_t)w->pt_in, (int64_t)w->pt_out,
		      sk.len != 0 ? sk.blob : NULL, sk.len, w->ufrag, w->remote_ufrag, (int64_t)w->paused,
		      w->created);
}

static int webrtc_one(struct store *s, struct store_webrtc *w, const char *where, const char *fmt, ...)
{
	char sql[512];
	sqlite3_stmt *q;
	va_list ap;
	int ret;

	snprintf(sql, sizeof(sql),
		 "SELECT " WEBRTC_COLS " FROM webrtc_legs w JOIN viewers v ON v.id = w.viewer_id WHERE %s",
		 where);
	va_start(ap, fmt);
	ret = st_vprepare(s, &q, sql, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0)
		ret = webrtc_row(s, q, w);
	else if (ret == 0)
		ret = st_fail(s, -ENOENT, "no such WebRTC leg");
	sqlite3_finalize(q);
	return ret;
}

int store_webrtc_get(struct store *s, int64_t viewer_id, struct store_webrtc *w)
{
	return webrtc_one(s, w, "w.viewer_id = ?1", "i", viewer_id);
}

int store_webrtc_by_session(struct store *s, const char *session, struct store_webrtc *w)
{
	return webrtc_one(s, w, "w.session = ?1", "t", session);
}

int store_webrtc_set_paused(struct store *s, int64_t viewer_id, bool paused)
{
	unsigned n = 0;
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_run(s, &n, "UPDATE webrtc_legs SET paused = ?1 WHERE viewer_id = ?2", "ii",
			     (int64_t)paused, viewer_id);
	if (ret == 0 && n == 0)
		ret = st_fail(s, -ENOENT, "no WebRTC leg of viewer %" PRId64, viewer_id);
	return ret;
}

int store_webrtc_port_used(struct store *s, uint16_t local_port)
{
	return st_query_exists(s, "SELECT 1 FROM webrtc_legs WHERE local_port = ?1", "i", (int64_t)local_port);
}

int store_viewer_set_dest(struct store *s, int64_t viewer_id, const struct sgw_endpoint *dest)
{
	char text[EP_TEXT_MAX];
	unsigned n = 0;
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_check_endpoint(s, "a viewer's destination", dest);
	if (ret < 0)
		return ret;
	st_endpoint_text(dest, text, sizeof(text));
	ret = st_run(s, &n, "UPDATE viewers SET dest = ?1 WHERE id = ?2", "ti", text, viewer_id);
	if (ret == 0 && n == 0)
		ret = st_fail(s, -ENOENT, "no viewer with id %" PRId64, viewer_id);
	return ret;
}

int store_webrtc_foreach(struct store *s, int (*cb)(void *arg, const struct store_webrtc *w), void *arg)
{
	struct store_webrtc *all = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q;
	int ret;

	ret = st_prepare(s, &q,
			 "SELECT " WEBRTC_COLS " FROM webrtc_legs w JOIN viewers v ON v.id = w.viewer_id"
			 " ORDER BY w.viewer_id", "");
	if (ret < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		if (n == cap) {
			struct store_webrtc *grown = st_grow(all, n, &cap, sizeof(*all));
			if (grown == NULL) {
				ret = st_fail(s, -ENOMEM, "out of memory");
				break;
			}
			all = grown;
		}
		ret = webrtc_row(s, q, &all[n]);
		if (ret < 0)
			break;
		n++;
	}
	sqlite3_finalize(q);
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = cb(arg, &all[i]);
	if (all != NULL) {
		OPENSSL_cleanse(all, cap * sizeof(*all));
		free(all);
	}
	return ret;
}

void store_webrtc_cleanse(struct store_webrtc *w)
{
	OPENSSL_cleanse(&w->rtcp_key, sizeof(w->rtcp_key));
}

int store_derive_secret(struct store *s, const char *label, uint8_t out[32])
{
	char msg[256];
	unsigned int n = 32;
	int len = snprintf(msg, sizeof(msg), "srtpgw/derived/%s", label);

	if (len < 0 || (size_t)len >= sizeof(msg) ||
	    HMAC(EVP_sha256(), s->kek, KEK_LEN, (const uint8_t *)msg, (size_t)len, out, &n) == NULL ||
	    n != 32)
		return st_fail(s, -EIO, "cannot derive a secret (OpenSSL failure)");
	return 0;
}
