/* SPDX-License-Identifier: BSD-3-Clause */
/* SQLite plumbing of the store: errors, statements, values, open/close and transactions. The contract is store.h,
 * the conventions store_priv.h. */
#include "control/daemon/store_priv.h"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta ("
	" key TEXT PRIMARY KEY,"
	" value INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS owners ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT UNIQUE NOT NULL);"
	"CREATE TABLE IF NOT EXISTS streams ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT UNIQUE NOT NULL,"
	" owner_id INTEGER NOT NULL REFERENCES owners(id) ON DELETE CASCADE,"
	" listen TEXT NOT NULL UNIQUE,"
	" source TEXT,"
	" suite INTEGER NOT NULL,"
	" key BLOB,"
	" old_key BLOB,"
	" overlap_until INTEGER NOT NULL DEFAULT 0,"
	" idle_timeout INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS streams_owner ON streams(owner_id);"
	"CREATE TABLE IF NOT EXISTS viewers ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT UNIQUE NOT NULL,"
	" stream_id INTEGER NOT NULL REFERENCES streams(id) ON DELETE CASCADE,"
	" owner_id INTEGER NOT NULL REFERENCES owners(id) ON DELETE CASCADE,"
	" dest TEXT NOT NULL,"
	" suite INTEGER NOT NULL,"
	" key BLOB);"
	"CREATE INDEX IF NOT EXISTS viewers_stream ON viewers(stream_id);"
	"CREATE INDEX IF NOT EXISTS viewers_owner ON viewers(owner_id);"
	"CREATE TABLE IF NOT EXISTS grants ("
	" stream_id INTEGER NOT NULL REFERENCES streams(id) ON DELETE CASCADE,"
	" owner_id INTEGER NOT NULL REFERENCES owners(id) ON DELETE CASCADE,"
	" PRIMARY KEY (stream_id, owner_id));"
	"CREATE INDEX IF NOT EXISTS grants_owner ON grants(owner_id);"
	"CREATE TABLE IF NOT EXISTS quarantine ("
	" listen TEXT PRIMARY KEY,"
	" until INTEGER NOT NULL);"
	/* added after schema version 1 was released: created on open */
	"CREATE TABLE IF NOT EXISTS stream_positions ("
	" stream_id INTEGER PRIMARY KEY REFERENCES streams(id) ON DELETE CASCADE,"
	" ssrc INTEGER NOT NULL, roc INTEGER NOT NULL, seq INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS viewer_positions ("
	" viewer_id INTEGER PRIMARY KEY REFERENCES viewers(id) ON DELETE CASCADE,"
	" ssrc INTEGER NOT NULL, roc INTEGER NOT NULL, seq INTEGER NOT NULL);"
	/* egress lanes and their reservations (invariant 8) */
	"CREATE TABLE IF NOT EXISTS viewer_lanes ("
	" viewer_id INTEGER NOT NULL REFERENCES viewers(id) ON DELETE CASCADE,"
	" lane INTEGER NOT NULL, ssrc INTEGER NOT NULL,"
	" rtp_res INTEGER NOT NULL, rtcp_res INTEGER NOT NULL,"
	" PRIMARY KEY (viewer_id, lane));"
	/* every key ever stored, by keyed fingerprint: none is taken twice */
	"CREATE TABLE IF NOT EXISTS key_uses (fp BLOB PRIMARY KEY);"
	/* changes committed that the gateway has not applied (yet) */
	"CREATE TABLE IF NOT EXISTS pending_changes ("
	" seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor INTEGER NOT NULL, what TEXT NOT NULL);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('gw_boot_id', 0);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('gw_version', 0);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('keys_claimed', 0);"
	/* added after schema version 1 was released: created on open. Only a
	 * hash of each token (store_tokens.c) */
	"CREATE TABLE IF NOT EXISTS tokens ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT UNIQUE NOT NULL,"
	" owner_id INTEGER NOT NULL REFERENCES owners(id) ON DELETE CASCADE,"
	" hash BLOB UNIQUE NOT NULL,"
	" created INTEGER NOT NULL,"
	" expires INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS tokens_owner ON tokens(owner_id);"
	/* added after schema version 1 was released: created on open. What a
	 * stream carries (its codec), for WebRTC answers; a WebRTC viewer's or
	 * camera leg's session (store_webrtc.c) */
	"CREATE TABLE IF NOT EXISTS stream_media ("
	" stream_id INTEGER PRIMARY KEY REFERENCES streams(id) ON DELETE CASCADE,"
	" codec INTEGER NOT NULL, pt INTEGER NOT NULL, plid INTEGER NOT NULL, pmode INTEGER NOT NULL,"
	" whip INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS webrtc_legs ("
	" viewer_id INTEGER PRIMARY KEY REFERENCES viewers(id) ON DELETE CASCADE,"
	" session TEXT UNIQUE NOT NULL,"
	" whip INTEGER NOT NULL,"
	" local_port INTEGER NOT NULL, flags INTEGER NOT NULL,"
	" pt_in INTEGER NOT NULL, pt_out INTEGER NOT NULL,"
	" rtcp_key BLOB,"
	" ufrag TEXT NOT NULL, remote_ufrag TEXT NOT NULL,"
	" paused INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', 1);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('seq', 0);";

/* ---- errors ------------------------------------------------------------- */

int st_fail(struct store *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return code;
}

/* A failed SQLite call: keep its message, return the errno it maps to. */
int st_db_fail(struct store *s, int rc, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_CHECK:
		return -EINVAL;
	default:
		return -EIO;
	}
}

void st_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- statements --------------------------------------------------------- */

/* Binds parameters 1.. from fmt: 'i' int64_t, 't' const char * (NULL binds
 * NULL), 'b' const void * then int length (NULL binds NULL). */
int st_vbind(struct store *s, sqlite3_stmt *q, const char *fmt, va_list ap)
{
	int rc = SQLITE_OK;

	for (int i = 0; fmt[i] != '\0' && rc == SQLITE_OK; i++) {
		switch (fmt[i]) {
		case 'i':
			rc = sqlite3_bind_int64(q, i + 1, va_arg(ap, int64_t));
			break;
		case 't': {
			const char *t = va_arg(ap, const char *);

			rc = t != NULL ? sqlite3_bind_text(q, i + 1, t, -1, SQLITE_TRANSIENT)
				       : sqlite3_bind_null(q, i + 1);
			break;
		}
		case 'b': {
			const void *b = va_arg(ap, const void *);
			int n = va_arg(ap, int);

			rc = b != NULL ? sqlite3_bind_blob(q, i + 1, b, n, SQLITE_TRANSIENT)
				       : sqlite3_bind_null(q, i + 1);
			break;
		}
		default:
			return st_fail(s, -EIO, "internal error: bad bind format");
		}
	}
	if (rc != SQLITE_OK)
		return st_db_fail(s, rc, "bind");
	return 0;
}

int st_vprepare(struct store *s, sqlite3_stmt **q, const char *sql, const char *fmt,
		    va_list ap)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, q, NULL);
	int ret;

	if (rc != SQLITE_OK) {
		ret = st_db_fail(s, rc, "prepare");
		sqlite3_finalize(*q);
		*q = NULL;
		return ret;
	}
	ret = st_vbind(s, *q, fmt, ap);
	if (ret < 0) {
		sqlite3_finalize(*q);
		*q = NULL;
	}
	return ret;
}

/* Prepares sql with fmt's parameters bound (see vbind). */
int st_prepare(struct store *s, sqlite3_stmt **q, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = st_vprepare(s, q, sql, fmt, ap);
	va_end(ap);
	return ret;
}

/* 1 with a row, 0 when done, or <0. */
int st_step(struct store *s, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return st_db_fail(s, rc, "query");
}

/* Runs a statement that returns no rows; *changes (if not NULL) = rows it
 * inserted, updated or deleted (not counting cascades). */
int st_run(struct store *s, unsigned *changes, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = st_vprepare(s, &q, sql, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0)
		ret = 0;
	if (ret == 0 && changes != NULL)
		*changes = (unsigned)sqlite3_changes(s->db);
	sqlite3_finalize(q);
	return ret;
}

/* The first column of the first row as an integer; -ENOENT if no row. */
int st_query_int(struct store *s, int64_t *out, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = st_vprepare(s, &q, sql, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0) {
		*out = sqlite3_column_int64(q, 0);
		ret = 0;
	} else if (ret == 0) {
		ret = -ENOENT;
	}
	sqlite3_finalize(q);
	return ret;
}

/* 1 if sql (with parameters) returns a row, 0 if not, or <0. */
int st_query_exists(struct store *s, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = st_vprepare(s, &q, sql, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	sqlite3_finalize(q);
	return ret;
}

int st_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return st_db_fail(s, rc, sql);
	return 0;
}

int st_need_txn(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return st_fail(s, -EINVAL, "write outside a transaction (store_begin first)");
	return 0;
}

int st_savepoint(struct store *s)
{
	return st_exec(s, "SAVEPOINT store_op");
}

/* Ends the savepoint: undone if ret < 0. Returns ret (s->err kept). */
int st_savepoint_end(struct store *s, int ret)
{
	if (ret < 0)
		sqlite3_exec(s->db, "ROLLBACK TO store_op", NULL, NULL, NULL);
	if (sqlite3_exec(s->db, "RELEASE store_op", NULL, NULL, NULL) != SQLITE_OK && ret >= 0)
		return st_db_fail(s, sqlite3_errcode(s->db), "RELEASE");
	return ret;
}

/* Array growth for rows that may hold keys: the old copy is cleansed. */
void *st_grow(void *arr, size_t n, size_t *cap, size_t elem)
{
	size_t ncap = *cap != 0 ? *cap * 2 : 16;
	void *p = calloc(ncap, elem);

	if (p == NULL)
		return NULL;
	if (arr != NULL) {
		memcpy(p, arr, n * elem);
		OPENSSL_cleanse(arr, n * elem);
		free(arr);
	}
	*cap = ncap;
	return p;
}

/* ---- values ------------------------------------------------------------- */

int st_check_name(struct store *s, const char *what, const char *name)
{
	size_t n = name != NULL ? strnlen(name, STORE_NAME_MAX) : 0;

	if (n == 0 || n >= STORE_NAME_MAX)
		return st_fail(s, -EINVAL, "%s name must be 1 to %d characters", what,
			    STORE_NAME_MAX - 1);
	return 0;
}

/* The canonical text of an endpoint: "10.0.0.1:5000", "[fd00::1]:5000",
 * and without ":port" when the port is 0 (any). */
void st_endpoint_text(const struct sgw_endpoint *e, char *buf, size_t len)
{
	char a[SGW_ADDR_STRLEN];

	if (e->port != 0) {
		sgw_endpoint_format(e, buf, len);
		return;
	}
	sgw_addr_format(&e->addr, a, sizeof(a));
	if (e->addr.family == SGW_AF_INET6)
		snprintf(buf, len, "[%s]", a);
	else
		snprintf(buf, len, "%s", a);
}

int st_valid_family(uint8_t family)
{
	return family == SGW_AF_INET || family == SGW_AF_INET6;
}

/* A gateway-side or destination endpoint: an address and a port. */
int st_check_endpoint(struct store *s, const char *what, const struct sgw_endpoint *e)
{
	if (!st_valid_family(e->addr.family))
		return st_fail(s, -EINVAL, "%s needs an IPv4 or IPv6 address", what);
	if (e->port == 0)
		return st_fail(s, -EINVAL, "%s needs a port", what);
	return 0;
}

int st_col_name(struct store *s, sqlite3_stmt *q, int col, char name[STORE_NAME_MAX])
{
	const unsigned char *t = sqlite3_column_text(q, col);
	int n = sqlite3_column_bytes(q, col);

	if (t == NULL || n <= 0 || n >= STORE_NAME_MAX)
		return st_fail(s, -EIO, "a stored name is malformed");
	memcpy(name, t, (size_t)n);
	name[n] = '\0';
	return 0;
}

/* NULL reads as family NONE. */
int st_col_endpoint(struct store *s, sqlite3_stmt *q, int col, struct sgw_endpoint *e)
{
	const char *t = (const char *)sqlite3_column_text(q, col);

	memset(e, 0, sizeof(*e));
	if (t == NULL)
		return 0;
	if (sgw_endpoint_parse(t, e, true) != 0)
		return st_fail(s, -EIO, "a stored endpoint is malformed");
	return 0;
}

/* ---- open, close, transactions ------------------------------------------- */

static int read_seq(struct store *s, uint64_t *seq)
{
	int64_t v;
	int ret = st_query_int(s, &v, "SELECT value FROM meta WHERE key = 'seq'", "");

	if (ret == -ENOENT)
		return st_fail(s, -EIO, "the store has no change counter");
	if (ret == 0)
		*seq = (uint64_t)v;
	return ret;
}

static int pragma_text(struct store *s, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *q;
	int ret = st_prepare(s, &q, sql, "");

	if (ret < 0)
		return ret;
	ret = st_step(s, q);
	if (ret > 0) {
		const char *t = (const char *)sqlite3_column_text(q, 0);

		snprintf(out, outlen, "%s", t != NULL ? t : "");
		ret = 0;
	} else if (ret == 0) {
		out[0] = '\0';
	}
	sqlite3_finalize(q);
	return ret;
}

/* Creates the schema, or checks the one that is there. */
static int schema_setup(struct store *s)
{
	int64_t version, n_tables;
	int ret;

	ret = st_query_exists(s, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
			   "");
	if (ret < 0)
		return ret;
	if (ret > 0) {
		ret = st_query_int(s, &version,
				"SELECT value FROM meta WHERE key = 'schema_version'", "");
		if (ret == -ENOENT || (ret == 0 && version < 1))
			return st_fail(s, -EIO, "not an srtpgw store (no schema version)");
		if (ret < 0)
			return ret;
		if (version > STORE_SCHEMA_VERSION)
			return st_fail(s, -EIO,
				    "schema version %" PRId64 " is newer than this "
				    "program's (%d); use a newer srtpgw-control",
				    version, STORE_SCHEMA_VERSION);
	} else {
		ret = st_query_int(s, &n_tables,
				"SELECT count(*) FROM sqlite_master WHERE type = 'table'", "");
		if (ret < 0)
			return ret;
		if (n_tables > 0)
			return st_fail(s, -EIO, "not an srtpgw store (it has other tables)");
	}
	return st_exec(s, schema_sql);
}

int store_open(const char *path, const uint8_t kek[32], struct store **out,
	       char *err, size_t errlen)
{
	char mode[32];
	struct store *s;
	int64_t fk = 0;
	int rc, ret;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		st_errf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	memcpy(s->kek, kek, KEK_LEN);
	if (strcmp(path, ":memory:") != 0) {
		/* create it private; SQLite gives -wal and -shm the same mode */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0) {
			st_errf(err, errlen, "%s: cannot open the store: %s", path, strerror(errno));
			ret = -EIO;
			goto fail;
		}
		close(fd);
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		st_errf(err, errlen, "%s: cannot open the store: %s", path,
		     s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		ret = -EIO;
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

	ret = st_exec(s, "PRAGMA foreign_keys = ON");
	if (ret == 0)
		ret = st_query_int(s, &fk, "PRAGMA foreign_keys", "");
	if (ret == 0 && fk != 1)
		ret = st_fail(s, -EIO, "this SQLite does not enforce foreign keys");
	if (ret == 0)
		ret = pragma_text(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
	if (ret == 0 && strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
		ret = st_fail(s, -EIO, "cannot use write-ahead logging (journal mode is \"%s\")",
			   mode);
	if (ret == 0)
		ret = st_exec(s, "PRAGMA synchronous = FULL");
	if (ret == 0) /* deleted rows (old sealed keys) are overwritten */
		ret = st_exec(s, "PRAGMA secure_delete = ON");
	if (ret == 0)
		ret = st_exec(s, "BEGIN IMMEDIATE");
	if (ret == 0) {
		ret = schema_setup(s);
		if (ret == 0)
			ret = st_exec(s, "COMMIT");
		if (ret < 0 && !sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (ret == 0)
		ret = st_fp_key_init(s);
	if (ret == 0)
		ret = read_seq(s, &s->seq);
	if (ret == 0)
		ret = st_claim_stored_keys(s);
	if (ret < 0) {
		st_errf(err, errlen, "%s: %s", path, s->err);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sqlite3_close(s->db);
	OPENSSL_cleanse(s->kek, sizeof(s->kek));
	OPENSSL_cleanse(s->fp_key, sizeof(s->fp_key));
	free(s);
	return ret;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	st_repl_end(s);
	free(s->repl);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	OPENSSL_cleanse(s->kek, sizeof(s->kek));
	OPENSSL_cleanse(s->fp_key, sizeof(s->fp_key));
	free(s);
}

const char *store_errmsg(const struct store *s)
{
	return s->err;
}

void store_set_hooks(struct store *s, const struct store_hooks *h)
{
	if (h != NULL)
		s->hooks = *h;
	else
		memset(&s->hooks, 0, sizeof(s->hooks));
}

int store_begin(struct store *s)
{
	int ret;

	if (!sqlite3_get_autocommit(s->db))
		return st_fail(s, -EINVAL, "a transaction is already open");
	s->prepared = false;
	ret = st_exec(s, "BEGIN IMMEDIATE");
	if (ret == 0 && s->hooks.begin != NULL && (ret = s->hooks.begin(s->hooks.arg, s->err, sizeof(s->err))) < 0)
		store_rollback(s);
	return ret;
}

int store_prepare_commit(struct store *s)
{
	int ret;

	if (sqlite3_get_autocommit(s->db))
		return st_fail(s, -EINVAL, "no transaction is open");
	if (s->prepared || s->hooks.commit == NULL)
		return 0;
	ret = s->hooks.commit(s->hooks.arg, s->err, sizeof(s->err));
	if (ret == 0)
		s->prepared = true;
	return ret;
}

int store_commit(struct store *s)
{
	uint64_t seq = 0;
	int ret;

	if (sqlite3_get_autocommit(s->db))
		return st_fail(s, -EINVAL, "no transaction is open");
	if ((ret = store_prepare_commit(s)) < 0) {
		store_rollback(s);
		return ret;
	}
	s->prepared = false;
	st_repl_end(s);
	ret = st_exec(s, "COMMIT");
	if (ret < 0) {
		/* not committed: leave no transaction open */
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		if (s->hooks.end != NULL)
			s->hooks.end(s->hooks.arg, false);
		return ret;
	}
	if (read_seq(s, &seq) == 0)
		s->seq = seq;
	if (s->hooks.end != NULL)
		s->hooks.end(s->hooks.arg, true);
	return 0;
}

void store_rollback(struct store *s)
{
	s->prepared = false;
	st_repl_end(s);
	if (!sqlite3_get_autocommit(s->db)) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		if (s->hooks.end != NULL)
			s->hooks.end(s->hooks.arg, false);
	}
}

int store_bump_seq(struct store *s, uint64_t *seq)
{
	int ret = st_need_txn(s);

	if (ret == 0)
		ret = st_run(s, NULL, "UPDATE meta SET value = value + 1 WHERE key = 'seq'", "");
	if (ret == 0)
		ret = read_seq(s, seq);
	return ret;
}

uint64_t store_seq(struct store *s)
{
	uint64_t seq = 0;

	/* inside a transaction the table holds the uncommitted value */
	if (sqlite3_get_autocommit(s->db) && read_seq(s, &seq) == 0)
		s->seq = seq;
	return s->seq;
}

int store_counts(struct store *s, unsigned *owners, unsigned *streams, unsigned *viewers)
{
	int64_t o = 0, st = 0, v = 0;
	int ret;

	ret = st_query_int(s, &o, "SELECT count(*) FROM owners", "");
	if (ret == 0)
		ret = st_query_int(s, &st, "SELECT count(*) FROM streams", "");
	if (ret == 0)
		ret = st_query_int(s, &v, "SELECT count(*) FROM viewers", "");
	if (ret < 0)
		return ret;
	if (owners != NULL)
		*owners = (unsigned)o;
	if (streams != NULL)
		*streams = (unsigned)st;
	if (viewers != NULL)
		*viewers = (unsigned)v;
	return 0;
}
