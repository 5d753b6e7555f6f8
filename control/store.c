/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's durable state in SQLite; the contract is store.h.
 *
 * - Statements are prepared per call (a request does a handful) and always
 *   take their values as bound parameters.
 * - Functions that call back collect every row first and finalise their
 *   statement before the first callback, so a callback may call any store
 *   function, reads and (inside a transaction) writes.
 * - Writes refuse to run outside store_begin()/store_commit() (-EINVAL).
 *   Writes of more than one statement run in a savepoint, so a failure
 *   leaves the enclosing transaction as it was before the call.
 * - Keys: the plaintext is suite || len || material, sealed with AES-256-GCM
 *   under the key-encryption key, a random 96-bit nonce per write and
 *   "srtpgw/<kind>/<name>/<column>" as associated data; the column holds
 *   nonce || ciphertext || tag. Plain (no key) is NULL.
 * - Endpoints are stored as text in one canonical form (the formatted
 *   parsed struct), so equal endpoints are equal strings.
 * - Ids are AUTOINCREMENT: a deleted stream's, viewer's or owner's id is
 *   never given to a new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "api/addr.h"
#include "api/suite.h"
#include "control/store.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_BUSY_TIMEOUT_MS 5000
#define KEK_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16
#define KEY_PT_MAX (2 + SGW_KEY_MAX)
#define KEY_BLOB_MIN (NONCE_LEN + 2 + TAG_LEN)
#define KEY_BLOB_MAX (NONCE_LEN + KEY_PT_MAX + TAG_LEN)
#define AAD_MAX (STORE_NAME_MAX + 32)
#define EP_TEXT_MAX (SGW_ADDR_STRLEN + 16)

struct store {
	sqlite3 *db;
	uint8_t kek[KEK_LEN];
	uint64_t seq; /* the committed change counter */
	char err[256];
};

/* A key sealed for its column; len 0 = NULL (plain or no key). */
struct sealed_key {
	uint8_t blob[KEY_BLOB_MAX];
	int len;
};

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
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', 1);"
	"INSERT OR IGNORE INTO meta(key, value) VALUES ('seq', 0);";

#define STREAM_COLS \
	"id, name, owner_id, listen, source, suite, key, old_key, overlap_until, idle_timeout"
#define VIEWER_COLS "id, name, stream_id, owner_id, dest, suite, key"

/* ---- errors ------------------------------------------------------------- */

static int fail(struct store *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct store *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return code;
}

/* A failed SQLite call: keep its message, return the errno it maps to. */
static int db_fail(struct store *s, int rc, const char *what)
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

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
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
static int vbind(struct store *s, sqlite3_stmt *q, const char *fmt, va_list ap)
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
			return fail(s, -EIO, "internal error: bad bind format");
		}
	}
	if (rc != SQLITE_OK)
		return db_fail(s, rc, "bind");
	return 0;
}

static int vprepare(struct store *s, sqlite3_stmt **q, const char *sql, const char *fmt,
		    va_list ap)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, q, NULL);
	int ret;

	if (rc != SQLITE_OK) {
		ret = db_fail(s, rc, "prepare");
		sqlite3_finalize(*q);
		*q = NULL;
		return ret;
	}
	ret = vbind(s, *q, fmt, ap);
	if (ret < 0) {
		sqlite3_finalize(*q);
		*q = NULL;
	}
	return ret;
}

/* Prepares sql with fmt's parameters bound (see vbind). */
static int prepare(struct store *s, sqlite3_stmt **q, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vprepare(s, q, sql, fmt, ap);
	va_end(ap);
	return ret;
}

/* 1 with a row, 0 when done, or <0. */
static int step(struct store *s, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_fail(s, rc, "query");
}

/* Runs a statement that returns no rows; *changes (if not NULL) = rows it
 * inserted, updated or deleted (not counting cascades). */
static int run(struct store *s, unsigned *changes, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vprepare(s, &q, sql, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	ret = step(s, q);
	if (ret > 0)
		ret = 0;
	if (ret == 0 && changes != NULL)
		*changes = (unsigned)sqlite3_changes(s->db);
	sqlite3_finalize(q);
	return ret;
}

/* The first column of the first row as an integer; -ENOENT if no row. */
static int query_int(struct store *s, int64_t *out, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vprepare(s, &q, sql, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	ret = step(s, q);
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
static int query_exists(struct store *s, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *q;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vprepare(s, &q, sql, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	ret = step(s, q);
	sqlite3_finalize(q);
	return ret;
}

static int exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_fail(s, rc, sql);
	return 0;
}

static int need_txn(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return fail(s, -EINVAL, "write outside a transaction (store_begin first)");
	return 0;
}

static int savepoint(struct store *s)
{
	return exec(s, "SAVEPOINT store_op");
}

/* Ends the savepoint: undone if ret < 0. Returns ret (s->err kept). */
static int savepoint_end(struct store *s, int ret)
{
	if (ret < 0)
		sqlite3_exec(s->db, "ROLLBACK TO store_op", NULL, NULL, NULL);
	if (sqlite3_exec(s->db, "RELEASE store_op", NULL, NULL, NULL) != SQLITE_OK && ret >= 0)
		return db_fail(s, sqlite3_errcode(s->db), "RELEASE");
	return ret;
}

/* Array growth for rows that may hold keys: the old copy is cleansed. */
static void *grow(void *arr, size_t n, size_t *cap, size_t elem)
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

static int check_name(struct store *s, const char *what, const char *name)
{
	size_t n = name != NULL ? strnlen(name, STORE_NAME_MAX) : 0;

	if (n == 0 || n >= STORE_NAME_MAX)
		return fail(s, -EINVAL, "%s name must be 1 to %d characters", what,
			    STORE_NAME_MAX - 1);
	return 0;
}

/* The canonical text of an endpoint: "10.0.0.1:5000", "[fd00::1]:5000",
 * and without ":port" when the port is 0 (any). */
static void endpoint_text(const struct sgw_endpoint *e, char *buf, size_t len)
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

static int valid_family(uint8_t family)
{
	return family == SGW_AF_INET || family == SGW_AF_INET6;
}

/* A gateway-side or destination endpoint: an address and a port. */
static int check_endpoint(struct store *s, const char *what, const struct sgw_endpoint *e)
{
	if (!valid_family(e->addr.family))
		return fail(s, -EINVAL, "%s needs an IPv4 or IPv6 address", what);
	if (e->port == 0)
		return fail(s, -EINVAL, "%s needs a port", what);
	return 0;
}

static int col_name(struct store *s, sqlite3_stmt *q, int col, char name[STORE_NAME_MAX])
{
	const unsigned char *t = sqlite3_column_text(q, col);
	int n = sqlite3_column_bytes(q, col);

	if (t == NULL || n <= 0 || n >= STORE_NAME_MAX)
		return fail(s, -EIO, "a stored name is malformed");
	memcpy(name, t, (size_t)n);
	name[n] = '\0';
	return 0;
}

/* NULL reads as family NONE. */
static int col_endpoint(struct store *s, sqlite3_stmt *q, int col, struct sgw_endpoint *e)
{
	const char *t = (const char *)sqlite3_column_text(q, col);

	memset(e, 0, sizeof(*e));
	if (t == NULL)
		return 0;
	if (sgw_endpoint_parse(t, e, true) != 0)
		return fail(s, -EIO, "a stored endpoint is malformed");
	return 0;
}

/* ---- keys --------------------------------------------------------------- */

static int check_key(struct store *s, const char *what, const struct sgw_key *k)
{
	const struct sgw_suite_info *si = sgw_suite_info(k->suite);

	if (si == NULL)
		return fail(s, -EINVAL, "%s: unknown suite %u", what, k->suite);
	if (k->len != sgw_suite_master_len(k->suite))
		return fail(s, -EINVAL, "%s: %u key bytes, %s takes %u", what, k->len, si->name,
			    sgw_suite_master_len(k->suite));
	return 0;
}

static void key_aad(char aad[AAD_MAX], const char *kind, const char *name, const char *col)
{
	snprintf(aad, AAD_MAX, "srtpgw/%s/%s/%s", kind, name, col);
}

/* Seals k (already checked) for the column named by aad; plain -> NULL. */
static int key_seal(struct store *s, const struct sgw_key *k, const char *aad,
		    struct sealed_key *out)
{
	uint8_t pt[KEY_PT_MAX];
	int pt_len = 2 + k->len, n = 0, fin = 0, ret = -EIO;
	EVP_CIPHER_CTX *c = NULL;

	out->len = 0;
	if (k->len == 0)
		return 0;
	pt[0] = k->suite;
	pt[1] = k->len;
	memcpy(pt + 2, k->material, k->len);
	if (RAND_bytes(out->blob, NONCE_LEN) != 1) {
		fail(s, -EIO, "no random bytes for a key nonce");
		goto out;
	}
	c = EVP_CIPHER_CTX_new();
	if (c == NULL ||
	    EVP_EncryptInit_ex2(c, EVP_aes_256_gcm(), s->kek, out->blob, NULL) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(c, out->blob + NONCE_LEN, &n, pt, pt_len) != 1 ||
	    EVP_EncryptFinal_ex(c, out->blob + NONCE_LEN + n, &fin) != 1 ||
	    n + fin != pt_len ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
				out->blob + NONCE_LEN + pt_len) != 1) {
		fail(s, -EIO, "cannot encrypt a key (OpenSSL failure)");
		goto out;
	}
	out->len = NONCE_LEN + pt_len + TAG_LEN;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(pt, sizeof(pt));
	return ret;
}

/* Opens the sealed key in column col (NULL -> len 0, suite PLAIN). what
 * names the row for errors. */
static int key_open(struct store *s, sqlite3_stmt *q, int col, const char *aad,
		    const char *what, struct sgw_key *k)
{
	const uint8_t *b = sqlite3_column_blob(q, col);
	int blen = sqlite3_column_bytes(q, col);
	uint8_t pt[KEY_PT_MAX], tag[TAG_LEN];
	int pt_len = blen - NONCE_LEN - TAG_LEN, n = 0, fin = 0, ret = -EIO;
	EVP_CIPHER_CTX *c = NULL;

	memset(k, 0, sizeof(*k));
	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return 0;
	if (b == NULL || blen < KEY_BLOB_MIN || blen > KEY_BLOB_MAX)
		return fail(s, -EIO, "%s: the stored key is malformed", what);
	memcpy(tag, b + blen - TAG_LEN, TAG_LEN);
	c = EVP_CIPHER_CTX_new();
	if (c == NULL ||
	    EVP_DecryptInit_ex2(c, EVP_aes_256_gcm(), s->kek, b, NULL) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_DecryptUpdate(c, pt, &n, b + NONCE_LEN, pt_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) != 1) {
		fail(s, -EIO, "%s: cannot decrypt the stored key (OpenSSL failure)", what);
		goto out;
	}
	if (EVP_DecryptFinal_ex(c, pt + n, &fin) != 1) {
		fail(s, -EIO,
		     "%s: cannot decrypt the stored key: the key-encryption key does not "
		     "match the one it was stored with (or the row was altered)", what);
		goto out;
	}
	if (n + fin != pt_len || pt[1] != pt_len - 2 || pt[0] >= SGW_SUITE_MAX ||
	    pt[0] == SGW_SUITE_PLAIN || pt[1] != sgw_suite_master_len(pt[0])) {
		fail(s, -EIO, "%s: the stored key is malformed", what);
		goto out;
	}
	k->suite = pt[0];
	k->len = pt[1];
	memcpy(k->material, pt + 2, k->len);
	ret = 0;
out:
	EVP_CIPHER_CTX_free(c);
	OPENSSL_cleanse(pt, sizeof(pt));
	return ret;
}

/* The row's main key: the suite column must agree with the sealed suite. */
static int key_open_main(struct store *s, sqlite3_stmt *q, int suite_col, int key_col,
			 const char *aad, const char *what, struct sgw_key *k)
{
	int64_t suite = sqlite3_column_int64(q, suite_col);
	int ret = key_open(s, q, key_col, aad, what, k);

	if (ret < 0)
		return ret;
	if (suite != k->suite) {
		OPENSSL_cleanse(k, sizeof(*k));
		return fail(s, -EIO, "%s: the stored suite does not match its key", what);
	}
	return 0;
}

/* ---- the key-encryption key ---------------------------------------------- */

static int kek_create(const char *path, uint8_t kek[KEK_LEN], char *err, size_t errlen)
{
	uint8_t buf[KEK_LEN];
	size_t done = 0;
	char *dir_copy;
	int fd, dfd, ret = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 1; /* made by someone else meanwhile: read it */
		errf(err, errlen, "%s: cannot create the key-encryption key: %s", path,
		     strerror(errno));
		return -1;
	}
	if (RAND_bytes(buf, sizeof(buf)) != 1) {
		errf(err, errlen, "%s: no random bytes for a new key-encryption key", path);
		goto fail;
	}
	while (done < sizeof(buf)) {
		ssize_t w = write(fd, buf + done, sizeof(buf) - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			errf(err, errlen, "%s: cannot write the key-encryption key: %s", path,
			     w < 0 ? strerror(errno) : "short write");
			goto fail;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0) {
		errf(err, errlen, "%s: cannot sync the key-encryption key: %s", path,
		     strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	/* the new name must survive a crash too */
	dir_copy = strdup(path);
	if (dir_copy != NULL) {
		dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir_copy);
	}
	memcpy(kek, buf, KEK_LEN);
	ret = 0;
fail:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

int store_kek_load(const char *path, uint8_t kek[32], char *err, size_t errlen)
{
	uint8_t buf[KEK_LEN];
	struct stat st;
	size_t done = 0;
	int fd, ret = -1;

	for (int attempt = 0;; attempt++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno != ENOENT || attempt > 0) {
			errf(err, errlen, "%s: cannot open the key-encryption key: %s", path,
			     strerror(errno));
			return -1;
		}
		ret = kek_create(path, kek, err, errlen);
		if (ret <= 0)
			return ret;
	}
	ret = -1;
	if (fstat(fd, &st) != 0) {
		errf(err, errlen, "%s: cannot stat the key-encryption key: %s", path,
		     strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		errf(err, errlen, "%s: the key-encryption key is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		errf(err, errlen,
		     "%s: the key-encryption key has mode %04o, group or others may access "
		     "it; it must be 0600 or stricter",
		     path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size != KEK_LEN) {
		errf(err, errlen, "%s: the key-encryption key is %jd bytes, it must be %d", path,
		     (intmax_t)st.st_size, KEK_LEN);
		goto out;
	}
	while (done < sizeof(buf)) {
		ssize_t r = read(fd, buf + done, sizeof(buf) - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			errf(err, errlen, "%s: cannot read the key-encryption key: %s", path,
			     r < 0 ? strerror(errno) : "short read");
			goto out;
		}
		done += (size_t)r;
	}
	memcpy(kek, buf, KEK_LEN);
	ret = 0;
out:
	close(fd);
	OPENSSL_cleanse(buf, sizeof(buf));
	return ret;
}

/* ---- open, close, transactions ------------------------------------------- */

static int read_seq(struct store *s, uint64_t *seq)
{
	int64_t v;
	int ret = query_int(s, &v, "SELECT value FROM meta WHERE key = 'seq'", "");

	if (ret == -ENOENT)
		return fail(s, -EIO, "the store has no change counter");
	if (ret == 0)
		*seq = (uint64_t)v;
	return ret;
}

static int pragma_text(struct store *s, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *q;
	int ret = prepare(s, &q, sql, "");

	if (ret < 0)
		return ret;
	ret = step(s, q);
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

	ret = query_exists(s, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
			   "");
	if (ret < 0)
		return ret;
	if (ret > 0) {
		ret = query_int(s, &version,
				"SELECT value FROM meta WHERE key = 'schema_version'", "");
		if (ret == -ENOENT || (ret == 0 && version < 1))
			return fail(s, -EIO, "not an srtpgw store (no schema version)");
		if (ret < 0)
			return ret;
		if (version > STORE_SCHEMA_VERSION)
			return fail(s, -EIO,
				    "schema version %" PRId64 " is newer than this "
				    "program's (%d); use a newer srtpgw-control",
				    version, STORE_SCHEMA_VERSION);
	} else {
		ret = query_int(s, &n_tables,
				"SELECT count(*) FROM sqlite_master WHERE type = 'table'", "");
		if (ret < 0)
			return ret;
		if (n_tables > 0)
			return fail(s, -EIO, "not an srtpgw store (it has other tables)");
	}
	return exec(s, schema_sql);
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
		errf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	memcpy(s->kek, kek, KEK_LEN);
	if (strcmp(path, ":memory:") != 0) {
		/* create it private; SQLite gives -wal and -shm the same mode */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd < 0) {
			errf(err, errlen, "%s: cannot open the store: %s", path, strerror(errno));
			ret = -EIO;
			goto fail;
		}
		close(fd);
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		errf(err, errlen, "%s: cannot open the store: %s", path,
		     s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		ret = -EIO;
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);

	ret = exec(s, "PRAGMA foreign_keys = ON");
	if (ret == 0)
		ret = query_int(s, &fk, "PRAGMA foreign_keys", "");
	if (ret == 0 && fk != 1)
		ret = fail(s, -EIO, "this SQLite does not enforce foreign keys");
	if (ret == 0)
		ret = pragma_text(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
	if (ret == 0 && strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
		ret = fail(s, -EIO, "cannot use write-ahead logging (journal mode is \"%s\")",
			   mode);
	if (ret == 0)
		ret = exec(s, "PRAGMA synchronous = FULL");
	if (ret == 0) /* deleted rows (old sealed keys) are overwritten */
		ret = exec(s, "PRAGMA secure_delete = ON");
	if (ret == 0)
		ret = exec(s, "BEGIN IMMEDIATE");
	if (ret == 0) {
		ret = schema_setup(s);
		if (ret == 0)
			ret = exec(s, "COMMIT");
		if (ret < 0 && !sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	if (ret == 0)
		ret = read_seq(s, &s->seq);
	if (ret < 0) {
		errf(err, errlen, "%s: %s", path, s->err);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sqlite3_close(s->db);
	OPENSSL_cleanse(s->kek, sizeof(s->kek));
	free(s);
	return ret;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	OPENSSL_cleanse(s->kek, sizeof(s->kek));
	free(s);
}

const char *store_errmsg(const struct store *s)
{
	return s->err;
}

int store_begin(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		return fail(s, -EINVAL, "a transaction is already open");
	return exec(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s)
{
	uint64_t seq = 0;
	int ret;

	if (sqlite3_get_autocommit(s->db))
		return fail(s, -EINVAL, "no transaction is open");
	ret = exec(s, "COMMIT");
	if (ret < 0) {
		/* not committed: leave no transaction open */
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return ret;
	}
	if (read_seq(s, &seq) == 0)
		s->seq = seq;
	return 0;
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_bump_seq(struct store *s, uint64_t *seq)
{
	int ret = need_txn(s);

	if (ret == 0)
		ret = run(s, NULL, "UPDATE meta SET value = value + 1 WHERE key = 'seq'", "");
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

	ret = query_int(s, &o, "SELECT count(*) FROM owners", "");
	if (ret == 0)
		ret = query_int(s, &st, "SELECT count(*) FROM streams", "");
	if (ret == 0)
		ret = query_int(s, &v, "SELECT count(*) FROM viewers", "");
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

/* ---- quarantine ----------------------------------------------------------- */

/* Forgets expired quarantine entries, then runs sql, a QUARANTINE_INSERT
 * of the streams selected by ?2 = key, with ?1 = now + quarantine_s. */
static int quarantine_streams(struct store *s, const char *sql, int64_t key, int64_t now,
			      uint32_t quarantine_s)
{
	int ret = run(s, NULL, "DELETE FROM quarantine WHERE until <= ?1", "i", now);

	if (ret == 0)
		ret = run(s, NULL, sql, "ii", now + (int64_t)quarantine_s, key);
	return ret;
}

#define QUARANTINE_INSERT(where)                                                      \
	"INSERT INTO quarantine(listen, until) SELECT listen, ?1 FROM streams WHERE " \
	where " ON CONFLICT(listen) DO UPDATE SET until = max(until, excluded.until)"

int store_listen_state(struct store *s, const struct sgw_endpoint *listen, int64_t now,
		       enum store_listen_state *state)
{
	char text[EP_TEXT_MAX];
	int64_t until;
	int ret;

	ret = check_endpoint(s, "listen endpoint", listen);
	if (ret < 0)
		return ret;
	endpoint_text(listen, text, sizeof(text));
	ret = query_exists(s, "SELECT 1 FROM streams WHERE listen = ?1", "t", text);
	if (ret < 0)
		return ret;
	if (ret > 0) {
		*state = STORE_LISTEN_IN_USE;
		return 0;
	}
	ret = query_int(s, &until, "SELECT until FROM quarantine WHERE listen = ?1", "t", text);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (ret == 0 && until > now) {
		*state = STORE_LISTEN_QUARANTINED;
		return 0;
	}
	*state = STORE_LISTEN_FREE;
	/* forget expired entries while a transaction is open anyway */
	if (!sqlite3_get_autocommit(s->db))
		return run(s, NULL, "DELETE FROM quarantine WHERE until <= ?1", "i", now);
	return 0;
}

/* ---- owners ---------------------------------------------------------------- */

int store_owner_add(struct store *s, const char *name, int64_t *id)
{
	int ret;

	ret = need_txn(s);
	if (ret == 0)
		ret = check_name(s, "an owner", name);
	if (ret == 0)
		ret = query_exists(s, "SELECT 1 FROM owners WHERE name = ?1", "t", name);
	if (ret > 0)
		return fail(s, -EEXIST, "an owner named \"%s\" exists", name);
	if (ret == 0)
		ret = run(s, NULL, "INSERT INTO owners(name) VALUES (?1)", "t", name);
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
		ret = prepare(s, &q, sql, fmt, (const char *)key);
	else
		ret = prepare(s, &q, sql, fmt, *(const int64_t *)key);
	if (ret < 0)
		return ret;
	ret = step(s, q);
	if (ret > 0) {
		memset(o, 0, sizeof(*o));
		o->id = sqlite3_column_int64(q, 0);
		ret = col_name(s, q, 1, o->name);
	} else if (ret == 0) {
		if (fmt[0] == 't')
			ret = fail(s, -ENOENT, "no owner named \"%s\"", (const char *)key);
		else
			ret = fail(s, -ENOENT, "no owner with id %" PRId64,
				   *(const int64_t *)key);
	}
	sqlite3_finalize(q);
	return ret;
}

int store_owner_by_name(struct store *s, const char *name, struct store_owner *o)
{
	if (check_name(s, "an owner", name) < 0)
		return fail(s, -ENOENT, "no such owner");
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

	ret = need_txn(s);
	if (ret < 0)
		return ret;
	ret = query_exists(s, "SELECT 1 FROM owners WHERE id = ?1", "i", id);
	if (ret == 0)
		return fail(s, -ENOENT, "no owner with id %" PRId64, id);
	if (ret < 0)
		return ret;
	ret = query_int(s, &ns, "SELECT count(*) FROM streams WHERE owner_id = ?1", "i", id);
	if (ret == 0)
		ret = query_int(s, &nv,
				"SELECT count(*) FROM viewers WHERE owner_id = ?1 OR stream_id IN"
				" (SELECT id FROM streams WHERE owner_id = ?1)", "i", id);
	if (ret < 0)
		return ret;
	ret = savepoint(s);
	if (ret < 0)
		return ret;
	/* before the cascade takes the streams away */
	ret = quarantine_streams(s, QUARANTINE_INSERT("owner_id = ?2"), id, now, quarantine_s);
	if (ret == 0)
		ret = run(s, NULL, "DELETE FROM owners WHERE id = ?1", "i", id);
	ret = savepoint_end(s, ret);
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

	ret = prepare(s, &q,
		      "SELECT o.id, o.name,"
		      " (SELECT count(*) FROM streams WHERE owner_id = o.id),"
		      " (SELECT count(*) FROM viewers WHERE owner_id = o.id)"
		      " FROM owners o ORDER BY o.name", "");
	if (ret < 0)
		return ret;
	while ((ret = step(s, q)) > 0) {
		if (n == cap) {
			struct owner_row *p = grow(rows, n, &cap, sizeof(*rows));

			if (p == NULL) {
				ret = fail(s, -ENOMEM, "out of memory");
				break;
			}
			rows = p;
		}
		rows[n].o.id = sqlite3_column_int64(q, 0);
		ret = col_name(s, q, 1, rows[n].o.name);
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

/* ---- streams --------------------------------------------------------------- */

/* One row of STREAM_COLS into st; on error st holds no key. */
static int stream_row(struct store *s, sqlite3_stmt *q, struct store_stream *st)
{
	char aad[AAD_MAX], what[STORE_NAME_MAX + 16];
	int ret;

	memset(st, 0, sizeof(*st));
	st->id = sqlite3_column_int64(q, 0);
	ret = col_name(s, q, 1, st->name);
	if (ret < 0)
		return ret;
	st->owner_id = sqlite3_column_int64(q, 2);
	ret = col_endpoint(s, q, 3, &st->listen);
	if (ret == 0 && !valid_family(st->listen.addr.family))
		ret = fail(s, -EIO, "stream \"%s\": the stored listen endpoint is malformed",
			   st->name);
	if (ret == 0)
		ret = col_endpoint(s, q, 4, &st->source);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "stream \"%s\"", st->name);
	key_aad(aad, "stream", st->name, "key");
	ret = key_open_main(s, q, 5, 6, aad, what, &st->key);
	if (ret == 0) {
		key_aad(aad, "stream", st->name, "old_key");
		ret = key_open(s, q, 7, aad, what, &st->old_key);
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
		ret = prepare(s, &q, sql, fmt, (const char *)key);
	else
		ret = prepare(s, &q, sql, fmt, *(const int64_t *)key);
	if (ret < 0)
		return ret;
	ret = step(s, q);
	if (ret > 0) {
		ret = stream_row(s, q, st);
	} else if (ret == 0) {
		if (fmt[0] == 't')
			ret = fail(s, -ENOENT, "no stream named \"%s\"", (const char *)key);
		else
			ret = fail(s, -ENOENT, "no stream with id %" PRId64,
				   *(const int64_t *)key);
	}
	sqlite3_finalize(q);
	return ret;
}

int store_stream_by_name(struct store *s, const char *name, struct store_stream *st)
{
	if (check_name(s, "a stream", name) < 0)
		return fail(s, -ENOENT, "no such stream");
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
	ret = check_key(s, "stream key", key);
	if (ret == 0 && old_key->len != 0)
		ret = check_key(s, "stream old key", old_key);
	if (ret < 0)
		return ret;
	key_aad(aad, "stream", name, "key");
	ret = key_seal(s, key, aad, sk);
	if (ret == 0 && old_key->len != 0) {
		key_aad(aad, "stream", name, "old_key");
		ret = key_seal(s, old_key, aad, sold);
	}
	return ret;
}

int store_stream_add(struct store *s, struct store_stream *st)
{
	char listen[EP_TEXT_MAX], source[EP_TEXT_MAX];
	struct sealed_key sk, sold;
	int ret;

	ret = need_txn(s);
	if (ret == 0)
		ret = check_name(s, "a stream", st->name);
	if (ret == 0)
		ret = check_endpoint(s, "a stream's listen endpoint", &st->listen);
	if (ret == 0 && st->source.addr.family != SGW_AF_NONE &&
	    !valid_family(st->source.addr.family))
		ret = fail(s, -EINVAL, "a stream's source has an unknown address family");
	if (ret == 0)
		ret = stream_seal(s, st->name, &st->key, &st->old_key, &sk, &sold);
	if (ret < 0)
		return ret;
	endpoint_text(&st->listen, listen, sizeof(listen));
	if (st->source.addr.family != SGW_AF_NONE)
		endpoint_text(&st->source, source, sizeof(source));
	ret = query_exists(s, "SELECT 1 FROM owners WHERE id = ?1", "i", st->owner_id);
	if (ret == 0)
		return fail(s, -ENOENT, "no owner with id %" PRId64, st->owner_id);
	if (ret > 0)
		ret = query_exists(s, "SELECT 1 FROM streams WHERE name = ?1", "t", st->name);
	if (ret > 0)
		return fail(s, -EEXIST, "a stream named \"%s\" exists", st->name);
	if (ret == 0)
		ret = query_exists(s, "SELECT 1 FROM streams WHERE listen = ?1", "t", listen);
	if (ret > 0)
		return fail(s, -EADDRINUSE, "a stream listens on %s", listen);
	if (ret < 0)
		return ret;
	ret = run(s, NULL,
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
static int row_name(struct store *s, const char *sql, const char *kind, int64_t id,
		    char name[STORE_NAME_MAX])
{
	sqlite3_stmt *q;
	int ret = prepare(s, &q, sql, "i", id);

	if (ret < 0)
		return ret;
	ret = step(s, q);
	if (ret > 0)
		ret = col_name(s, q, 0, name);
	else if (ret == 0)
		ret = fail(s, -ENOENT, "no %s with id %" PRId64, kind, id);
	sqlite3_finalize(q);
	return ret;
}

int store_stream_set_keys(struct store *s, const struct store_stream *st)
{
	char name[STORE_NAME_MAX];
	struct sealed_key sk, sold;
	int ret;

	ret = need_txn(s);
	if (ret == 0)
		ret = row_name(s, "SELECT name FROM streams WHERE id = ?1", "stream", st->id,
			       name);
	if (ret == 0)
		ret = stream_seal(s, name, &st->key, &st->old_key, &sk, &sold);
	if (ret == 0)
		ret = run(s, NULL,
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

	ret = need_txn(s);
	if (ret < 0)
		return ret;
	ret = query_exists(s, "SELECT 1 FROM streams WHERE id = ?1", "i", id);
	if (ret == 0)
		return fail(s, -ENOENT, "no stream with id %" PRId64, id);
	if (ret > 0)
		ret = query_int(s, &nv, "SELECT count(*) FROM viewers WHERE stream_id = ?1", "i",
				id);
	if (ret < 0)
		return ret;
	ret = savepoint(s);
	if (ret < 0)
		return ret;
	/* before the stream and its listen endpoint go */
	ret = quarantine_streams(s, QUARANTINE_INSERT("id = ?2"), id, now, quarantine_s);
	if (ret == 0)
		ret = run(s, NULL, "DELETE FROM streams WHERE id = ?1", "i", id);
	ret = savepoint_end(s, ret);
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

	ret = prepare(s, &q, sql, "i", param);
	if (ret < 0)
		return ret;
	while ((ret = step(s, q)) > 0) {
		if (n == cap) {
			struct store_stream *p = grow(rows, n, &cap, sizeof(*rows));

			if (p == NULL) {
				ret = fail(s, -ENOMEM, "out of memory");
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

/* ---- viewers --------------------------------------------------------------- */

static int viewer_row(struct store *s, sqlite3_stmt *q, struct store_viewer *v)
{
	char aad[AAD_MAX], what[STORE_NAME_MAX + 16];
	int ret;

	memset(v, 0, sizeof(*v));
	v->id = sqlite3_column_int64(q, 0);
	ret = col_name(s, q, 1, v->name);
	if (ret < 0)
		return ret;
	v->stream_id = sqlite3_column_int64(q, 2);
	v->owner_id = sqlite3_column_int64(q, 3);
	ret = col_endpoint(s, q, 4, &v->dest);
	if (ret == 0 && !valid_family(v->dest.addr.family))
		ret = fail(s, -EIO, "viewer \"%s\": the stored destination is malformed",
			   v->name);
	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "viewer \"%s\"", v->name);
	key_aad(aad, "viewer", v->name, "key");
	ret = key_open_main(s, q, 5, 6, aad, what, &v->key);
	if (ret < 0)
		store_viewer_cleanse(v);
	return ret;
}

int store_viewer_add(struct store *s, struct store_viewer *v)
{
	char dest[EP_TEXT_MAX], aad[AAD_MAX];
	struct sealed_key sk;
	int ret;

	ret = need_txn(s);
	if (ret == 0)
		ret = check_name(s, "a viewer", v->name);
	if (ret == 0)
		ret = check_endpoint(s, "a viewer's destination", &v->dest);
	if (ret == 0)
		ret = check_key(s, "viewer key", &v->key);
	if (ret < 0)
		return ret;
	ret = query_exists(s, "SELECT 1 FROM streams WHERE id = ?1", "i", v->stream_id);
	if (ret == 0)
		return fail(s, -ENOENT, "no stream with id %" PRId64, v->stream_id);
	if (ret > 0)
		ret = query_exists(s, "SELECT 1 FROM owners WHERE id = ?1", "i", v->owner_id);
	if (ret == 0)
		return fail(s, -ENOENT, "no owner with id %" PRId64, v->owner_id);
	if (ret > 0)
		ret = query_exists(s, "SELECT 1 FROM viewers WHERE name = ?1", "t", v->name);
	if (ret > 0)
		return fail(s, -EEXIST, "a viewer named \"%s\" exists", v->name);
	if (ret < 0)
		return ret;
	key_aad(aad, "viewer", v->name, "key");
	ret = key_seal(s, &v->key, aad, &sk);
	if (ret < 0)
		return ret;
	endpoint_text(&v->dest, dest, sizeof(dest));
	ret = run(s, NULL,
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

	if (check_name(s, "a viewer", name) < 0)
		return fail(s, -ENOENT, "no such viewer");
	ret = prepare(s, &q, "SELECT " VIEWER_COLS " FROM viewers WHERE name = ?1", "t", name);
	if (ret < 0)
		return ret;
	ret = step(s, q);
	if (ret > 0)
		ret = viewer_row(s, q, v);
	else if (ret == 0)
		ret = fail(s, -ENOENT, "no viewer named \"%s\"", name);
	sqlite3_finalize(q);
	return ret;
}

int store_viewer_set_key(struct store *s, const struct store_viewer *v)
{
	char name[STORE_NAME_MAX], aad[AAD_MAX];
	struct sealed_key sk;
	int ret;

	ret = need_txn(s);
	if (ret == 0)
		ret = row_name(s, "SELECT name FROM viewers WHERE id = ?1", "viewer", v->id, name);
	if (ret == 0)
		ret = check_key(s, "viewer key", &v->key);
	if (ret < 0)
		return ret;
	key_aad(aad, "viewer", name, "key");
	ret = key_seal(s, &v->key, aad, &sk);
	if (ret == 0)
		ret = run(s, NULL, "UPDATE viewers SET suite = ?1, key = ?2 WHERE id = ?3", "ibi",
			  (int64_t)v->key.suite, sk.len != 0 ? sk.blob : NULL, sk.len, v->id);
	return ret;
}

int store_viewer_del(struct store *s, int64_t id)
{
	unsigned n = 0;
	int ret = need_txn(s);

	if (ret == 0)
		ret = run(s, &n, "DELETE FROM viewers WHERE id = ?1", "i", id);
	if (ret == 0 && n == 0)
		ret = fail(s, -ENOENT, "no viewer with id %" PRId64, id);
	return ret;
}

int store_viewer_foreach(struct store *s, int64_t stream_id,
			 int (*cb)(void *arg, const struct store_viewer *v), void *arg)
{
	struct store_viewer *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q;
	int ret;

	ret = prepare(s, &q,
		      "SELECT " VIEWER_COLS " FROM viewers"
		      " WHERE ?1 = 0 OR stream_id = ?1 ORDER BY name", "i", stream_id);
	if (ret < 0)
		return ret;
	while ((ret = step(s, q)) > 0) {
		if (n == cap) {
			struct store_viewer *p = grow(rows, n, &cap, sizeof(*rows));

			if (p == NULL) {
				ret = fail(s, -ENOMEM, "out of memory");
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
	int ret = need_txn(s);

	if (ret == 0)
		ret = run(s, &changes, "DELETE FROM viewers WHERE stream_id = ?1 AND owner_id = ?2",
			  "ii", stream_id, owner_id);
	if (ret == 0 && n != NULL)
		*n = changes;
	return ret;
}

/* ---- grants ---------------------------------------------------------------- */

int store_grant_add(struct store *s, int64_t stream_id, int64_t owner_id)
{
	int ret = need_txn(s);

	if (ret < 0)
		return ret;
	ret = query_exists(s, "SELECT 1 FROM streams WHERE id = ?1", "i", stream_id);
	if (ret == 0)
		return fail(s, -ENOENT, "no stream with id %" PRId64, stream_id);
	if (ret > 0)
		ret = query_exists(s, "SELECT 1 FROM owners WHERE id = ?1", "i", owner_id);
	if (ret == 0)
		return fail(s, -ENOENT, "no owner with id %" PRId64, owner_id);
	if (ret > 0)
		ret = store_grant_exists(s, stream_id, owner_id);
	if (ret > 0)
		return fail(s, -EEXIST, "owner %" PRId64 " already holds a grant on stream %" PRId64,
			    owner_id, stream_id);
	if (ret < 0)
		return ret;
	return run(s, NULL, "INSERT INTO grants(stream_id, owner_id) VALUES (?1, ?2)", "ii",
		   stream_id, owner_id);
}

int store_grant_del(struct store *s, int64_t stream_id, int64_t owner_id)
{
	unsigned n = 0;
	int ret = need_txn(s);

	if (ret == 0)
		ret = run(s, &n, "DELETE FROM grants WHERE stream_id = ?1 AND owner_id = ?2", "ii",
			  stream_id, owner_id);
	if (ret == 0 && n == 0)
		ret = fail(s, -ENOENT, "owner %" PRId64 " holds no grant on stream %" PRId64,
			   owner_id, stream_id);
	return ret;
}

int store_grant_exists(struct store *s, int64_t stream_id, int64_t owner_id)
{
	return query_exists(s, "SELECT 1 FROM grants WHERE stream_id = ?1 AND owner_id = ?2",
			    "ii", stream_id, owner_id);
}

int store_grant_list(struct store *s, int64_t stream_id, int64_t *owners, unsigned max)
{
	sqlite3_stmt *q;
	unsigned n = 0;
	int ret;

	ret = prepare(s, &q,
		      "SELECT g.owner_id FROM grants g JOIN owners o ON o.id = g.owner_id"
		      " WHERE g.stream_id = ?1 ORDER BY o.name", "i", stream_id);
	if (ret < 0)
		return ret;
	while (n < max && (ret = step(s, q)) > 0)
		owners[n++] = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return ret < 0 ? ret : (int)n;
}

/* ---- positions ---------------------------------------------------------- */

int store_pos_get(struct store *s, bool viewer, int64_t id, struct sgw_pos *p)
{
	sqlite3_stmt *q;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = prepare(s, &q, viewer ? "SELECT ssrc, roc, seq FROM viewer_positions WHERE viewer_id = ?1"
				    : "SELECT ssrc, roc, seq FROM stream_positions WHERE stream_id = ?1",
		      "i", id);
	if (ret < 0)
		return ret;
	ret = step(s, q);
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
	int ret = need_txn(s);

	if (ret < 0)
		return ret;
	if (!(p->flags & SGW_POS_VALID))
		return run(s, NULL, viewer ? "DELETE FROM viewer_positions WHERE viewer_id = ?1"
					   : "DELETE FROM stream_positions WHERE stream_id = ?1",
			   "i", id);
	return run(s, NULL,
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
