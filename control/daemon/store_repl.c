/* SPDX-License-Identifier: BSD-3-Clause */
/* The store's rows as key/value pairs for a fleet: the contract is
 * store_repl.h. Rows a transaction wrote are found with SQLite's session
 * extension (Debian's libsqlite3 is built with it). */
#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include "control/daemon/store_priv.h"
#include "control/daemon/store_repl.h"

#include <json-c/json.h>

static const char *const shared_tables[] = {
	"owners", "streams", "viewers", "grants", "quarantine", "stream_positions",
	"viewer_positions", "viewer_lanes", "key_uses", "tokens", "stream_media", "webrtc_legs",
};
static const char *const local_tables[] = { "meta", "pending_changes" };

#define N_SHARED (sizeof(shared_tables) / sizeof(shared_tables[0]))
#define COLS_MAX 16
#define COL_NAME_MAX 32

/* A shared table's columns, read from the schema (PRAGMA table_info). */
struct repl_table {
	const char *name;
	unsigned ncol, npk;
	char col[COLS_MAX][COL_NAME_MAX];
	char type[COLS_MAX];     /* 'i' INTEGER, 't' TEXT, 'b' BLOB or other */
	unsigned pk[COLS_MAX];   /* column index of the primary key's parts, in order */
};

struct store_repl_meta {
	struct repl_table t[N_SHARED];
};

int store_repl_table_kind(const char *table)
{
	for (size_t i = 0; i < N_SHARED; i++)
		if (strcmp(table, shared_tables[i]) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(local_tables) / sizeof(local_tables[0]); i++)
		if (strcmp(table, local_tables[i]) == 0)
			return 0;
	if (strncmp(table, "sqlite_", 7) == 0)
		return 0;
	return -1;
}

/* ---- the schema ----------------------------------------------------------- */

static int load_table(struct store *s, struct repl_table *t, const char *name)
{
	char sql[96];
	sqlite3_stmt *q;
	unsigned pkpos[COLS_MAX] = { 0 };
	int ret;

	memset(t, 0, sizeof(*t));
	t->name = name;
	snprintf(sql, sizeof(sql), "PRAGMA table_info(\"%s\")", name);
	if ((ret = st_prepare(s, &q, sql, "")) < 0)
		return ret;
	while ((ret = st_step(s, q)) > 0) {
		const char *cn = (const char *)sqlite3_column_text(q, 1);
		const char *ty = (const char *)sqlite3_column_text(q, 2);
		int pk = sqlite3_column_int(q, 5);

		if (t->ncol == COLS_MAX || cn == NULL || strlen(cn) >= COL_NAME_MAX) {
			ret = st_fail(s, -EIO, "table %s: too many or too long columns to share", name);
			break;
		}
		snprintf(t->col[t->ncol], COL_NAME_MAX, "%s", cn);
		ty = ty != NULL ? ty : "";
		t->type[t->ncol] = strcasecmp(ty, "INTEGER") == 0 ? 'i' :
				   strcasecmp(ty, "TEXT") == 0 ? 't' :
				   strcasecmp(ty, "BLOB") == 0 ? 'b' : '?';
		if (pk > 0 && pk <= COLS_MAX) {
			pkpos[pk - 1] = t->ncol + 1;
			t->npk++;
		}
		t->ncol++;
	}
	sqlite3_finalize(q);
	if (ret < 0)
		return ret;
	if (t->ncol == 0 || t->npk == 0)
		return st_fail(s, -EIO, "table %s: no such table, or no primary key", name);
	for (unsigned i = 0; i < t->npk; i++) {
		if (pkpos[i] == 0)
			return st_fail(s, -EIO, "table %s: primary key columns out of order", name);
		t->pk[i] = pkpos[i] - 1;
	}
	return 0;
}

static int meta(struct store *s, struct store_repl_meta **out)
{
	if (s->repl == NULL) {
		struct store_repl_meta *m = calloc(1, sizeof(*m));

		if (m == NULL)
			return st_fail(s, -ENOMEM, "out of memory");
		for (size_t i = 0; i < N_SHARED; i++) {
			int ret = load_table(s, &m->t[i], shared_tables[i]);

			if (ret < 0) {
				free(m);
				return ret;
			}
		}
		s->repl = m;
	}
	*out = s->repl;
	return 0;
}

static struct repl_table *table_by_name(struct store_repl_meta *m, const char *name, size_t len)
{
	for (size_t i = 0; i < N_SHARED; i++)
		if (strlen(m->t[i].name) == len && memcmp(m->t[i].name, name, len) == 0)
			return &m->t[i];
	return NULL;
}

/* ---- keys ----------------------------------------------------------------- */

static const char hexd[] = "0123456789abcdef";

static size_t hex_put(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[b[i] >> 4];
		out[2 * i + 1] = hexd[b[i] & 15];
	}
	return 2 * n;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* hex (even length) into out; the byte count or -1. */
static long hex_get(const char *h, size_t n, uint8_t *out, size_t max)
{
	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int a = hex_val(h[2 * i]), b = hex_val(h[2 * i + 1]);

		if (a < 0 || b < 0)
			return -1;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return (long)(n / 2);
}

/* "t/<table>/<pk>..." from the primary key's values, in key order. */
static int key_of(struct store *s, const struct repl_table *t, sqlite3_value *const *pkv,
		  char key[STORE_REPL_KEY_MAX])
{
	size_t n = (size_t)snprintf(key, STORE_REPL_KEY_MAX, "t/%s", t->name);

	for (unsigned i = 0; i < t->npk; i++) {
		sqlite3_value *v = pkv[i];
		int ty = v != NULL ? sqlite3_value_type(v) : SQLITE_NULL;

		if (n + 2 >= STORE_REPL_KEY_MAX)
			return st_fail(s, -EIO, "table %s: a primary key too long to share", t->name);
		key[n++] = '/';
		if (ty == SQLITE_INTEGER) {
			n += (size_t)snprintf(key + n, STORE_REPL_KEY_MAX - n, "%lld",
					      (long long)sqlite3_value_int64(v));
		} else if (ty == SQLITE_TEXT || ty == SQLITE_BLOB) {
			const uint8_t *b = ty == SQLITE_TEXT ? sqlite3_value_text(v) : sqlite3_value_blob(v);
			size_t len = (size_t)sqlite3_value_bytes(v);

			if (n + 1 + 2 * len >= STORE_REPL_KEY_MAX)
				return st_fail(s, -EIO, "table %s: a primary key too long to share", t->name);
			key[n++] = 'x';
			n += hex_put(key + n, b, len);
		} else {
			return st_fail(s, -EIO, "table %s: a primary key that is neither an integer, text nor blob",
				       t->name);
		}
		if (n >= STORE_REPL_KEY_MAX)
			return st_fail(s, -EIO, "table %s: a primary key too long to share", t->name);
	}
	key[n] = '\0';
	return 0;
}

/* Binds the primary key's values parsed from the key's parts (after
 * "t/<table>/") to parameters 1..npk of q. */
static int bind_key(struct store *s, const struct repl_table *t, const char *p, size_t len,
		    sqlite3_stmt *q)
{
	unsigned part = 0;

	while (part < t->npk) {
		const char *slash = memchr(p, '/', len);
		size_t plen = slash != NULL ? (size_t)(slash - p) : len;
		char ty = t->type[t->pk[part]];
		int rc;

		if (plen == 0)
			return st_fail(s, -EIO, "a shared row's key is malformed");
		if (p[0] == 'x') {
			uint8_t b[STORE_REPL_KEY_MAX / 2];
			long bl = hex_get(p + 1, plen - 1, b, sizeof(b));

			if (bl < 0)
				return st_fail(s, -EIO, "a shared row's key is malformed");
			rc = ty == 't' ? sqlite3_bind_text(q, (int)part + 1, (const char *)b, (int)bl,
							   SQLITE_TRANSIENT) :
					 sqlite3_bind_blob(q, (int)part + 1, b, (int)bl, SQLITE_TRANSIENT);
		} else {
			char num[24];
			char *end;
			long long v;

			if (plen >= sizeof(num))
				return st_fail(s, -EIO, "a shared row's key is malformed");
			memcpy(num, p, plen);
			num[plen] = '\0';
			errno = 0;
			v = strtoll(num, &end, 10);
			if (errno != 0 || *end != '\0' || end == num)
				return st_fail(s, -EIO, "a shared row's key is malformed");
			rc = sqlite3_bind_int64(q, (int)part + 1, v);
		}
		if (rc != SQLITE_OK)
			return st_db_fail(s, rc, "bind");
		part++;
		if (slash == NULL)
			break;
		len -= plen + 1;
		p = slash + 1;
	}
	if (part != t->npk || memchr(p, '/', len) != NULL)
		return st_fail(s, -EIO, "a shared row's key is malformed");
	return 0;
}

/* The table a key names, and where its primary key's parts start. */
static int parse_key(struct store *s, struct store_repl_meta *m, const char *key, size_t len,
		     struct repl_table **t, const char **pk, size_t *pk_len)
{
	const char *slash;

	if (len < 3 || memcmp(key, "t/", 2) != 0 || (slash = memchr(key + 2, '/', len - 2)) == NULL)
		return st_fail(s, -EIO, "a shared row's key is malformed");
	*t = table_by_name(m, key + 2, (size_t)(slash - key - 2));
	if (*t == NULL)
		return st_fail(s, -EIO, "a shared row names a table this controller does not have "
			       "(a newer srtpgw-control wrote it?)");
	*pk = slash + 1;
	*pk_len = len - (size_t)(slash + 1 - key);
	return 0;
}

/* ---- values --------------------------------------------------------------- */

/* The JSON of the row q is on (SELECT * of t). */
static json_object *row_json(const struct repl_table *t, sqlite3_stmt *q)
{
	json_object *o = json_object_new_object();

	for (unsigned i = 0; o != NULL && i < t->ncol; i++) {
		json_object *v = NULL;
		int n = sqlite3_column_bytes(q, (int)i);

		switch (sqlite3_column_type(q, (int)i)) {
		case SQLITE_INTEGER:
			v = json_object_new_int64(sqlite3_column_int64(q, (int)i));
			break;
		case SQLITE_FLOAT:
			v = json_object_new_double(sqlite3_column_double(q, (int)i));
			break;
		case SQLITE_TEXT:
			v = json_object_new_string_len((const char *)sqlite3_column_text(q, (int)i), n);
			break;
		case SQLITE_BLOB: {
			char *h = malloc((size_t)n * 2 + 1);

			if (h == NULL)
				break;
			h[hex_put(h, sqlite3_column_blob(q, (int)i), (size_t)n)] = '\0';
			v = json_object_new_object();
			if (v != NULL)
				json_object_object_add(v, "x", json_object_new_string(h));
			OPENSSL_cleanse(h, (size_t)n * 2);
			free(h);
			break;
		}
		default:
			break; /* NULL */
		}
		json_object_object_add(o, sqlite3_column_name(q, (int)i), v);
	}
	return o;
}

/* Gives the row whose key parts are at pk to cb (NULL value if it is not
 * there). */
static int emit_row(struct store *s, const struct repl_table *t, const char *key, bool deleted,
		    int (*cb)(void *, const char *, const char *, size_t), void *arg)
{
	char sql[512];
	size_t n;
	sqlite3_stmt *q;
	json_object *o;
	int ret;

	if (deleted)
		return cb(arg, key, NULL, 0);
	n = (size_t)snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" WHERE ", t->name);
	for (unsigned i = 0; i < t->npk && n < sizeof(sql); i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s\"%s\" = ?%u", i ? " AND " : "",
				      t->col[t->pk[i]], i + 1);
	if ((ret = st_prepare(s, &q, sql, "")) < 0)
		return ret;
	ret = bind_key(s, t, key + 3 + strlen(t->name), strlen(key) - 3 - strlen(t->name), q);
	if (ret == 0)
		ret = st_step(s, q);
	if (ret == 0) { /* written, then gone: a delete */
		sqlite3_finalize(q);
		return cb(arg, key, NULL, 0);
	}
	if (ret < 0) {
		sqlite3_finalize(q);
		return ret;
	}
	o = row_json(t, q);
	sqlite3_finalize(q);
	if (o == NULL)
		return st_fail(s, -ENOMEM, "out of memory");
	{
		size_t len;
		const char *txt = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);

		ret = txt != NULL ? cb(arg, key, txt, len) : st_fail(s, -ENOMEM, "out of memory");
		if (txt != NULL)
			OPENSSL_cleanse((void *)txt, len);
	}
	json_object_put(o);
	return ret;
}

/* ---- recording a transaction's rows --------------------------------------- */

static int filter(void *arg, const char *table)
{
	(void)arg;
	return store_repl_table_kind(table) != 0;
}

int store_repl_record(struct store *s)
{
	struct store_repl_meta *m;
	int ret;

	if ((ret = st_need_txn(s)) < 0 || (ret = meta(s, &m)) < 0)
		return ret;
	st_repl_end(s);
	ret = sqlite3session_create(s->db, "main", &s->sess);
	if (ret == SQLITE_OK) {
		sqlite3session_table_filter(s->sess, filter, NULL);
		ret = sqlite3session_attach(s->sess, NULL);
	}
	if (ret != SQLITE_OK) {
		st_repl_end(s);
		return st_db_fail(s, ret, "recording the transaction's rows");
	}
	return 0;
}

void st_repl_end(struct store *s)
{
	if (s->sess != NULL) {
		sqlite3session_delete(s->sess);
		s->sess = NULL;
	}
}

int store_repl_changes(struct store *s,
		       int (*cb)(void *arg, const char *key, const char *val, size_t val_len),
		       void *arg)
{
	struct store_repl_meta *m;
	sqlite3_changeset_iter *it = NULL;
	void *buf = NULL;
	int n = 0, ret;

	if (s->sess == NULL)
		return st_fail(s, -EINVAL, "no transaction is being recorded (store_repl_record)");
	if ((ret = meta(s, &m)) < 0)
		return ret;
	if ((ret = sqlite3session_changeset(s->sess, &n, &buf)) != SQLITE_OK)
		return st_db_fail(s, ret, "reading the transaction's rows");
	if ((ret = sqlite3changeset_start(&it, n, buf)) != SQLITE_OK) {
		sqlite3_free(buf);
		return st_db_fail(s, ret, "reading the transaction's rows");
	}
	ret = 0;
	while (ret == 0 && sqlite3changeset_next(it) == SQLITE_ROW) {
		const char *table;
		int ncol, op, indirect;
		unsigned char *is_pk;
		sqlite3_value *pkv[COLS_MAX] = { NULL };
		struct repl_table *t;
		char key[STORE_REPL_KEY_MAX];
		unsigned k = 0;

		sqlite3changeset_op(it, &table, &ncol, &op, &indirect);
		sqlite3changeset_pk(it, &is_pk, &ncol);
		if (store_repl_table_kind(table) != 1) {
			ret = st_fail(s, -EIO, "table %s is neither shared in a fleet nor the controller's own "
				      "(store_repl.c)", table);
			break;
		}
		t = table_by_name(m, table, strlen(table));
		if (t == NULL || (unsigned)ncol != t->ncol) {
			ret = st_fail(s, -EIO, "table %s changed shape during the transaction", table);
			break;
		}
		/* the key's parts in primary-key order */
		for (unsigned i = 0; i < t->npk; i++) {
			unsigned c = t->pk[i];
			int rc = op == SQLITE_INSERT ? sqlite3changeset_new(it, (int)c, &pkv[i]) :
						       sqlite3changeset_old(it, (int)c, &pkv[i]);

			if (rc != SQLITE_OK || !is_pk[c]) {
				ret = st_fail(s, -EIO, "table %s: its primary key is not the recorded one", table);
				break;
			}
			k++;
		}
		if (ret == 0 && k == t->npk && (ret = key_of(s, t, pkv, key)) == 0)
			ret = emit_row(s, t, key, op == SQLITE_DELETE, cb, arg);
	}
	sqlite3changeset_finalize(it);
	sqlite3_free(buf);
	return ret;
}

/* ---- every row ------------------------------------------------------------ */

int store_repl_foreach(struct store *s,
		       int (*cb)(void *arg, const char *key, const char *val, size_t val_len),
		       void *arg)
{
	struct store_repl_meta *m;
	int ret;

	if ((ret = meta(s, &m)) < 0)
		return ret;
	for (size_t i = 0; ret == 0 && i < N_SHARED; i++) {
		const struct repl_table *t = &m->t[i];
		char sql[256];
		size_t n = (size_t)snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY ", t->name);
		sqlite3_stmt *q;

		for (unsigned j = 0; j < t->npk && n < sizeof(sql); j++)
			n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s\"%s\"", j ? ", " : "",
					      t->col[t->pk[j]]);
		if ((ret = st_prepare(s, &q, sql, "")) < 0)
			return ret;
		while ((ret = st_step(s, q)) > 0) {
			sqlite3_value *pkv[COLS_MAX];
			char key[STORE_REPL_KEY_MAX];
			json_object *o;
			const char *txt;
			size_t len;

			for (unsigned j = 0; j < t->npk; j++)
				pkv[j] = sqlite3_column_value(q, (int)t->pk[j]);
			if ((ret = key_of(s, t, pkv, key)) < 0)
				break;
			if ((o = row_json(t, q)) == NULL) {
				ret = st_fail(s, -ENOMEM, "out of memory");
				break;
			}
			txt = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
			ret = txt != NULL ? cb(arg, key, txt, len) : st_fail(s, -ENOMEM, "out of memory");
			if (txt != NULL)
				OPENSSL_cleanse((void *)txt, len);
			json_object_put(o);
			if (ret != 0)
				break;
		}
		sqlite3_finalize(q);
	}
	return ret;
}

/* ---- applying rows written elsewhere ---------------------------------------- */

static int apply_delete(struct store *s, const struct repl_table *t, const char *pk, size_t pk_len)
{
	char sql[256];
	size_t n = (size_t)snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE ", t->name);
	sqlite3_stmt *q;
	int ret;

	for (unsigned i = 0; i < t->npk && n < sizeof(sql); i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s\"%s\" = ?%u", i ? " AND " : "",
				      t->col[t->pk[i]], i + 1);
	if ((ret = st_prepare(s, &q, sql, "")) < 0)
		return ret;
	ret = bind_key(s, t, pk, pk_len, q);
	if (ret == 0)
		ret = st_step(s, q);
	sqlite3_finalize(q);
	return ret < 0 ? ret : 0;
}

static int bind_json(struct store *s, sqlite3_stmt *q, int idx, json_object *v)
{
	int rc;

	switch (json_object_get_type(v)) {
	case json_type_null:
		rc = sqlite3_bind_null(q, idx);
		break;
	case json_type_int:
		rc = sqlite3_bind_int64(q, idx, json_object_get_int64(v));
		break;
	case json_type_double:
		rc = sqlite3_bind_double(q, idx, json_object_get_double(v));
		break;
	case json_type_string:
		rc = sqlite3_bind_text(q, idx, json_object_get_string(v), json_object_get_string_len(v),
				       SQLITE_TRANSIENT);
		break;
	case json_type_object: {
		json_object *x;
		uint8_t *b;
		size_t hl;
		long bl;

		if (!json_object_object_get_ex(v, "x", &x) || !json_object_is_type(x, json_type_string))
			return st_fail(s, -EIO, "a shared row's value is malformed");
		hl = (size_t)json_object_get_string_len(x);
		if ((b = malloc(hl / 2 + 1)) == NULL)
			return st_fail(s, -ENOMEM, "out of memory");
		bl = hex_get(json_object_get_string(x), hl, b, hl / 2 + 1);
		rc = bl < 0 ? SQLITE_MISMATCH : sqlite3_bind_blob(q, idx, b, (int)bl, SQLITE_TRANSIENT);
		OPENSSL_cleanse(b, hl / 2 + 1);
		free(b);
		if (bl < 0)
			return st_fail(s, -EIO, "a shared row's value is malformed");
		break;
	}
	default:
		return st_fail(s, -EIO, "a shared row's value is malformed");
	}
	return rc == SQLITE_OK ? 0 : st_db_fail(s, rc, "bind");
}

/* INSERT ... ON CONFLICT (primary key) DO UPDATE: a row that is there is
 * updated in place, so the rows that reference it stay (REPLACE would delete
 * it first, and foreign keys would cascade). */
static int apply_put(struct store *s, const struct repl_table *t, const char *key, size_t key_len,
		     const char *val, size_t val_len)
{
	char sql[1536], check[STORE_REPL_KEY_MAX];
	json_object *o, *v;
	json_tokener *tok;
	sqlite3_stmt *q = NULL;
	sqlite3_value *pkv[COLS_MAX];
	size_t n;
	unsigned i;
	int ret;

	if ((tok = json_tokener_new()) == NULL)
		return st_fail(s, -ENOMEM, "out of memory");
	o = json_tokener_parse_ex(tok, val, (int)val_len);
	ret = o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	      json_tokener_get_parse_end(tok) != val_len || !json_object_is_type(o, json_type_object);
	json_tokener_free(tok);
	if (ret) {
		json_object_put(o);
		return st_fail(s, -EIO, "a shared row's value is not a JSON object");
	}
	/* every column the row has must be one we know */
	{
		struct json_object_iterator it = json_object_iter_begin(o), end = json_object_iter_end(o);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			const char *cn = json_object_iter_peek_name(&it);

			for (i = 0; i < t->ncol && strcmp(t->col[i], cn) != 0; i++)
				;
			if (i == t->ncol) {
				json_object_put(o);
				return st_fail(s, -EIO, "a shared row of %s has a column this controller does "
					       "not know (a newer srtpgw-control wrote it?)", t->name);
			}
		}
	}
	n = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO \"%s\" (", t->name);
	for (i = 0; i < t->ncol; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s\"%s\"", i ? ", " : "", t->col[i]);
	n += (size_t)snprintf(sql + n, sizeof(sql) - n, ") VALUES (");
	for (i = 0; i < t->ncol; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s?%u", i ? ", " : "", i + 1);
	n += (size_t)snprintf(sql + n, sizeof(sql) - n, ") ON CONFLICT (");
	for (i = 0; i < t->npk; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s\"%s\"", i ? ", " : "", t->col[t->pk[i]]);
	if (t->npk == t->ncol) {
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, ") DO NOTHING");
	} else {
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, ") DO UPDATE SET ");
		for (unsigned c = 0, first = 1; c < t->ncol; c++) {
			bool is_pk = false;

			for (i = 0; i < t->npk; i++)
				is_pk |= t->pk[i] == c;
			if (is_pk)
				continue;
			n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s\"%s\" = excluded.\"%s\"",
					      first ? "" : ", ", t->col[c], t->col[c]);
			first = 0;
		}
	}
	if (n >= sizeof(sql)) {
		json_object_put(o);
		return st_fail(s, -EIO, "table %s: too many columns to share", t->name);
	}
	if ((ret = st_prepare(s, &q, sql, "")) < 0) {
		json_object_put(o);
		return ret;
	}
	/* a column the row does not have (an older writer): its default */
	for (i = 0; ret == 0 && i < t->ncol; i++)
		ret = json_object_object_get_ex(o, t->col[i], &v) ? bind_json(s, q, (int)i + 1, v) :
			sqlite3_bind_null(q, (int)i + 1) == SQLITE_OK ? 0 : -EIO;
	/* the row's own primary key must be the one its key names */
	if (ret == 0) {
		sqlite3_stmt *k;

		n = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
		for (i = 0; i < t->npk; i++)
			n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s?%u", i ? ", " : "", i + 1);
		ret = st_prepare(s, &k, sql, "");
		if (ret == 0) {
			for (i = 0; i < t->npk && ret == 0; i++)
				ret = json_object_object_get_ex(o, t->col[t->pk[i]], &v) ?
					      bind_json(s, k, (int)i + 1, v) :
					      st_fail(s, -EIO, "a shared row of %s has no primary key", t->name);
			if (ret == 0 && (ret = st_step(s, k)) > 0) {
				for (i = 0; i < t->npk; i++)
					pkv[i] = sqlite3_column_value(k, (int)i);
				ret = key_of(s, t, pkv, check);
				if (ret == 0 && (strlen(check) != key_len || memcmp(check, key, key_len) != 0))
					ret = st_fail(s, -EIO, "a shared row of %s is not the row its key names",
						      t->name);
			}
			sqlite3_finalize(k);
		}
	}
	if (ret == 0)
		ret = st_step(s, q);
	sqlite3_finalize(q);
	json_object_put(o);
	return ret < 0 ? ret : 0;
}

int store_repl_apply(struct store *s, const struct store_repl_row *rows, size_t n)
{
	struct store_repl_meta *m;
	int ret;

	if ((ret = st_need_txn(s)) < 0 || (ret = meta(s, &m)) < 0)
		return ret;
	if ((ret = st_exec(s, "PRAGMA defer_foreign_keys = ON")) < 0)
		return ret;
	for (int pass = 0; pass < 2 && ret == 0; pass++) {
		for (size_t i = 0; i < n && ret == 0; i++) {
			const struct store_repl_row *r = &rows[i];
			struct repl_table *t = NULL;
			const char *pk = NULL;
			size_t pk_len = 0;

			if ((r->val == NULL) != (pass == 0))
				continue;
			ret = parse_key(s, m, r->key, r->key_len, &t, &pk, &pk_len);
			if (ret == 0)
				ret = r->val == NULL ? apply_delete(s, t, pk, pk_len) :
						       apply_put(s, t, r->key, r->key_len, r->val, r->val_len);
		}
	}
	return ret;
}

int store_repl_clear(struct store *s)
{
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_exec(s, "PRAGMA defer_foreign_keys = ON");
	/* children first is not needed with deferred checks: the cascades of
	 * the parents find nothing left to delete */
	for (size_t i = N_SHARED; ret == 0 && i-- > 0;) {
		char sql[64];

		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\"", shared_tables[i]);
		ret = st_exec(s, sql);
	}
	return ret;
}
