/* SPDX-License-Identifier: BSD-3-Clause */
/* The control store: key-encryption key file, owners, streams, viewers,
 * grants, quarantine, change counter, transactions, keys at rest. Every
 * case works in its own database under a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "api/addr.h"
#include "api/suite.h"
#include "control/daemon/store.h"
#include "check.h"

#define NOW 1700000000
#define QUARANTINE 300

static char tmpdir[64];
static uint8_t kek[32];
static unsigned db_counter;

static void path_in_tmp(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* A fresh store in a new file; its path in path (if not NULL). */
static struct store *fresh(char *path, size_t len)
{
	char p[128], err[256] = "";
	struct store *s = NULL;

	snprintf(p, sizeof(p), "%s/db%u.sqlite", tmpdir, db_counter++);
	if (store_open(p, kek, &s, err, sizeof(err)) != 0)
		fprintf(stderr, "store_open %s: %s\n", p, err);
	if (path != NULL)
		snprintf(path, len, "%s", p);
	return s;
}

static struct sgw_endpoint ep(const char *text)
{
	struct sgw_endpoint e;

	if (sgw_endpoint_parse(text, &e, true) != 0)
		fprintf(stderr, "bad endpoint in test: %s\n", text);
	return e;
}

static struct sgw_key random_key(unsigned suite)
{
	struct sgw_key k;

	memset(&k, 0, sizeof(k));
	k.suite = (uint8_t)suite;
	k.len = (uint8_t)sgw_suite_master_len(suite);
	if (RAND_bytes(k.material, k.len) != 1)
		fprintf(stderr, "RAND_bytes failed\n");
	return k;
}

static int64_t add_owner(struct store *s, const char *name)
{
	int64_t id = 0;

	CHECK_EQ(store_owner_add(s, name, &id), 0);
	CHECK(id > 0);
	return id;
}

static int64_t add_stream(struct store *s, const char *name, int64_t owner, const char *listen,
			  unsigned suite, struct sgw_key *key_out)
{
	struct store_stream st;

	memset(&st, 0, sizeof(st));
	snprintf(st.name, sizeof(st.name), "%s", name);
	st.owner_id = owner;
	st.listen = ep(listen);
	st.key = random_key(suite);
	if (key_out != NULL)
		*key_out = st.key;
	CHECK_EQ(store_stream_add(s, &st), 0);
	CHECK(st.id > 0);
	store_stream_cleanse(&st);
	return st.id;
}

static int64_t add_viewer(struct store *s, const char *name, int64_t stream, int64_t owner,
			  const char *dest, struct sgw_key *key_out)
{
	struct store_viewer v;

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.stream_id = stream;
	v.owner_id = owner;
	v.dest = ep(dest);
	v.key = random_key(SGW_SUITE_AEAD_AES_128_GCM);
	if (key_out != NULL)
		*key_out = v.key;
	CHECK_EQ(store_viewer_add(s, &v), 0);
	CHECK(v.id > 0);
	return v.id;
}

static int key_equal(const struct sgw_key *a, const struct sgw_key *b)
{
	return a->suite == b->suite && a->len == b->len &&
	       memcmp(a->material, b->material, a->len) == 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	fclose(f);
	return buf;
}

static int write_file(const char *path, mode_t mode, size_t n)
{
	unsigned char buf[64] = { 1, 2, 3 };
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) != 0 || write(fd, buf, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* ---- cases ---------------------------------------------------------------- */

static void kek_file(void)
{
	char path[128], err[256];
	uint8_t a[32], b[32], zero[32] = { 0 };
	struct stat st;

	path_in_tmp(path, sizeof(path), "kek");
	CHECK_EQ(store_kek_load(path, a, err, sizeof(err)), 0);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_EQ(st.st_size, 32);
	CHECK(memcmp(a, zero, 32) != 0);
	memset(b, 0, sizeof(b));
	CHECK_EQ(store_kek_load(path, b, err, sizeof(err)), 0);
	CHECK_MEM(a, b, 32);
	size_t n;
	unsigned char *raw = slurp(path, &n);
	CHECK_EQ(n, 32);
	CHECK(raw != NULL && memcmp(raw, a, 32) == 0);
	free(raw);

	/* group or others may read it */
	path_in_tmp(path, sizeof(path), "kek-0644");
	CHECK_EQ(write_file(path, 0644, 32), 0);
	err[0] = '\0';
	CHECK_EQ(store_kek_load(path, b, err, sizeof(err)), -1);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "0644") != NULL);

	/* group-writable only is refused too */
	path_in_tmp(path, sizeof(path), "kek-0620");
	CHECK_EQ(write_file(path, 0620, 32), 0);
	CHECK_EQ(store_kek_load(path, b, err, sizeof(err)), -1);

	/* wrong size */
	path_in_tmp(path, sizeof(path), "kek-31");
	CHECK_EQ(write_file(path, 0600, 31), 0);
	err[0] = '\0';
	CHECK_EQ(store_kek_load(path, b, err, sizeof(err)), -1);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "31 bytes") != NULL);

	path_in_tmp(path, sizeof(path), "kek-33");
	CHECK_EQ(write_file(path, 0600, 33), 0);
	err[0] = '\0';
	CHECK_EQ(store_kek_load(path, b, err, sizeof(err)), -1);
	CHECK(strstr(err, "33 bytes") != NULL);

	/* a directory that does not exist: named in the error */
	path_in_tmp(path, sizeof(path), "no/such/dir/kek");
	err[0] = '\0';
	CHECK_EQ(store_kek_load(path, b, err, sizeof(err)), -1);
	CHECK(strstr(err, path) != NULL);
}

static void owners(void)
{
	struct store *s = fresh(NULL, 0);
	struct store_owner o;
	int64_t alice, bob, id = 0;
	unsigned n_o = 9, n_s = 9, n_v = 9, ns = 9, nv = 9;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* writes need a transaction */
	CHECK_EQ(store_owner_add(s, "alice", &id), -EINVAL);
	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_begin(s), -EINVAL);
	alice = add_owner(s, "alice");
	CHECK_EQ(store_owner_add(s, "", &id), -EINVAL);
	char longname[STORE_NAME_MAX + 1];
	memset(longname, 'x', STORE_NAME_MAX);
	longname[STORE_NAME_MAX] = '\0';
	CHECK_EQ(store_owner_add(s, longname, &id), -EINVAL);
	longname[STORE_NAME_MAX - 1] = '\0'; /* 63 characters: fine */
	CHECK_EQ(store_owner_add(s, longname, &id), 0);
	bob = add_owner(s, "bob"); /* the highest id */
	CHECK(bob > alice);
	CHECK_EQ(store_owner_add(s, "alice", &id), -EEXIST);
	CHECK(strstr(store_errmsg(s), "alice") != NULL);
	CHECK_EQ(store_commit(s), 0);

	CHECK_EQ(store_owner_by_name(s, "alice", &o), 0);
	CHECK_EQ(o.id, alice);
	CHECK(strcmp(o.name, "alice") == 0);
	CHECK_EQ(store_owner_by_id(s, bob, &o), 0);
	CHECK(strcmp(o.name, "bob") == 0);
	CHECK_EQ(store_owner_by_name(s, "carol", &o), -ENOENT);
	CHECK_EQ(store_owner_by_id(s, 12345, &o), -ENOENT);
	CHECK_EQ(store_counts(s, &n_o, &n_s, &n_v), 0);
	CHECK_EQ(n_o, 3);
	CHECK_EQ(n_s, 0);
	CHECK_EQ(n_v, 0);

	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_owner_del(s, bob, NOW, QUARANTINE, &ns, &nv), 0);
	CHECK_EQ(ns, 0);
	CHECK_EQ(nv, 0);
	CHECK_EQ(store_owner_del(s, bob, NOW, QUARANTINE, &ns, &nv), -ENOENT);
	CHECK_EQ(store_owner_by_id(s, bob, &o), -ENOENT);
	/* a new owner never gets a deleted owner's id */
	id = add_owner(s, "bob");
	CHECK(id > bob);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_commit(s), -EINVAL);
	store_close(s);
}

static void streams(void)
{
	struct store *s = fresh(NULL, 0);
	struct store_stream st, got;
	struct sgw_key k1;
	enum store_listen_state ls;
	int64_t alice, id1, id2;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");

	memset(&st, 0, sizeof(st));
	snprintf(st.name, sizeof(st.name), "cam1");
	st.owner_id = alice;
	st.listen = ep("10.0.0.1:5000");
	st.source = ep("192.0.2.7");
	st.key = random_key(SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	st.idle_timeout_s = 30;
	k1 = st.key;
	CHECK_EQ(st.key.len, 30);
	CHECK_EQ(store_stream_add(s, &st), 0);
	id1 = st.id;
	CHECK(id1 > 0);

	CHECK_EQ(store_stream_by_name(s, "cam1", &got), 0);
	CHECK_EQ(got.id, id1);
	CHECK(strcmp(got.name, "cam1") == 0);
	CHECK_EQ(got.owner_id, alice);
	CHECK_MEM(&got.listen, &st.listen, sizeof(got.listen));
	CHECK_MEM(&got.source, &st.source, sizeof(got.source));
	CHECK_EQ(got.source.port, 0);
	CHECK_EQ(got.key.suite, SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	CHECK_EQ(got.key.len, 30);
	CHECK_MEM(got.key.material, k1.material, 30);
	CHECK_EQ(got.old_key.len, 0);
	CHECK_EQ(got.overlap_until, 0);
	CHECK_EQ(got.idle_timeout_s, 30);
	store_stream_cleanse(&got);
	CHECK_EQ(got.key.len, 0);
	CHECK_EQ(store_stream_by_id(s, id1, &got), 0);
	CHECK(strcmp(got.name, "cam1") == 0);
	CHECK(key_equal(&got.key, &k1));

	/* name taken; listen taken (also written differently) */
	st.listen = ep("10.0.0.1:5002");
	CHECK_EQ(store_stream_add(s, &st), -EEXIST);
	snprintf(st.name, sizeof(st.name), "cam2");
	st.listen = ep("10.0.0.1:5000");
	CHECK_EQ(store_stream_add(s, &st), -EADDRINUSE);
	CHECK(strstr(store_errmsg(s), "10.0.0.1:5000") != NULL);

	/* IPv6: equal endpoints compare equal whatever the spelling or the
	 * bytes beyond the address */
	st.listen = ep("[FD00:0:0::1]:6000");
	CHECK_EQ(store_stream_add(s, &st), 0);
	id2 = st.id;
	CHECK(id2 > id1);
	snprintf(st.name, sizeof(st.name), "cam3");
	st.listen = ep("[fd00::0001]:6000");
	CHECK_EQ(store_stream_add(s, &st), -EADDRINUSE);
	struct sgw_endpoint e = ep("10.0.0.1:5000");
	e.addr.a[10] = 0x55; /* not part of an IPv4 address */
	e.pad = 7;
	CHECK_EQ(store_listen_state(s, &e, NOW, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_IN_USE);
	e = ep("[fd00::1]:6000");
	CHECK_EQ(store_listen_state(s, &e, NOW, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_IN_USE);
	e = ep("[fd00::1]:6001");
	CHECK_EQ(store_listen_state(s, &e, NOW, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_FREE);

	/* plain RTP */
	memset(&st, 0, sizeof(st));
	snprintf(st.name, sizeof(st.name), "plain1");
	st.owner_id = alice;
	st.listen = ep("10.0.0.1:5004");
	CHECK_EQ(store_stream_add(s, &st), 0);
	CHECK_EQ(store_stream_by_name(s, "plain1", &got), 0);
	CHECK_EQ(got.key.suite, SGW_SUITE_PLAIN);
	CHECK_EQ(got.key.len, 0);
	CHECK_EQ(got.source.addr.family, SGW_AF_NONE);

	/* bad input */
	snprintf(st.name, sizeof(st.name), "bad");
	st.listen = ep("10.0.0.1:5006");
	st.key = random_key(SGW_SUITE_AEAD_AES_256_GCM);
	st.key.len = 30; /* the suite takes 44 */
	CHECK_EQ(store_stream_add(s, &st), -EINVAL);
	st.key = random_key(SGW_SUITE_AEAD_AES_256_GCM);
	st.key.suite = SGW_SUITE_MAX;
	CHECK_EQ(store_stream_add(s, &st), -EINVAL);
	st.key = random_key(SGW_SUITE_AEAD_AES_256_GCM);
	st.listen.port = 0;
	CHECK_EQ(store_stream_add(s, &st), -EINVAL);
	st.listen = ep("10.0.0.1:5006");
	st.owner_id = 999;
	CHECK_EQ(store_stream_add(s, &st), -ENOENT);
	CHECK_EQ(store_stream_by_name(s, "bad", &got), -ENOENT);
	CHECK_EQ(store_stream_by_id(s, 999, &got), -ENOENT);
	CHECK_EQ(store_commit(s), 0);
	store_close(s);
}

static void keys_not_in_clear(void)
{
	char path[128], wal[160];
	struct store *s = fresh(path, sizeof(path));
	struct sgw_key k, vk;
	unsigned char *raw;
	size_t n;
	int64_t alice, sid;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	sid = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_AEAD_AES_256_GCM, &k);
	add_stream(s, "plain1", alice, "10.0.0.1:5002", SGW_SUITE_PLAIN, NULL);
	add_viewer(s, "tv1", sid, alice, "10.9.9.9:7000", &vk);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(k.len, 44);

	/* before close the rows are in the write-ahead log */
	snprintf(wal, sizeof(wal), "%s-wal", path);
	raw = slurp(wal, &n);
	CHECK(raw != NULL && n > 0);
	if (raw != NULL) {
		CHECK(memmem(raw, n, "cam1", 4) != NULL); /* the search itself works */
		CHECK(memmem(raw, n, k.material, k.len) == NULL);
		CHECK(memmem(raw, n, k.material, 16) == NULL);
		CHECK(memmem(raw, n, vk.material, vk.len) == NULL);
	}
	free(raw);
	store_close(s);

	raw = slurp(path, &n);
	CHECK(raw != NULL && n > 0);
	if (raw != NULL) {
		CHECK(memmem(raw, n, "cam1", 4) != NULL);
		CHECK(memmem(raw, n, k.material, k.len) == NULL);
		CHECK(memmem(raw, n, k.material, 16) == NULL);
		CHECK(memmem(raw, n, k.material + 28, 16) == NULL);
		CHECK(memmem(raw, n, vk.material, vk.len) == NULL);
	}
	free(raw);

	/* the column, as SQLite has it */
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	CHECK_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CHECK_EQ(sqlite3_prepare_v2(db, "SELECT key, typeof(key) FROM streams ORDER BY name", -1,
				    &q, NULL),
		 SQLITE_OK);
	CHECK_EQ(sqlite3_step(q), SQLITE_ROW); /* cam1 */
	const void *blob = sqlite3_column_blob(q, 0);
	int blen = sqlite3_column_bytes(q, 0);
	CHECK(strcmp((const char *)sqlite3_column_text(q, 1), "blob") == 0);
	CHECK(blen > k.len);
	CHECK_EQ(blen, 12 + 2 + 44 + 16);
	CHECK(blob != NULL && memmem(blob, (size_t)blen, k.material, 8) == NULL);
	CHECK_EQ(sqlite3_step(q), SQLITE_ROW); /* plain1 */
	CHECK_EQ(sqlite3_column_type(q, 0), SQLITE_NULL);
	CHECK_EQ(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	/* the database file is private */
	struct stat sb;
	CHECK_EQ(stat(path, &sb), 0);
	CHECK_EQ(sb.st_mode & 077, 0);
	sqlite3_close(db);
}

static int count_stream_cb(void *arg, const struct store_stream *st)
{
	(void)st;
	(*(unsigned *)arg)++;
	return 0;
}

static void wrong_kek(void)
{
	char path[128], err[256];
	struct store *s = fresh(path, sizeof(path));
	struct store_stream st;
	struct store_viewer v;
	struct store_owner o;
	uint8_t other[32];
	unsigned calls = 0;
	int64_t alice, sid;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	sid = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_AES_CM_128_HMAC_SHA1_80,
			 NULL);
	add_viewer(s, "tv1", sid, alice, "10.9.9.9:7000", NULL);
	CHECK_EQ(store_commit(s), 0);
	store_close(s);

	memcpy(other, kek, sizeof(other));
	other[5] ^= 1;
	CHECK_EQ(store_open(path, other, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	CHECK_EQ(store_owner_by_name(s, "alice", &o), 0); /* no key there */
	memset(&st, 0xaa, sizeof(st));
	CHECK_EQ(store_stream_by_name(s, "cam1", &st), -EIO);
	CHECK(strstr(store_errmsg(s), "key-encryption key does not match") != NULL);
	CHECK_EQ(st.key.len, 0); /* nothing half-decrypted left behind */
	CHECK_EQ(store_viewer_by_name(s, "tv1", &v), -EIO);
	CHECK(strstr(store_errmsg(s), "key-encryption key does not match") != NULL);
	CHECK_EQ(store_stream_foreach(s, 0, count_stream_cb, &calls), -EIO);
	CHECK_EQ(calls, 0);
	store_close(s);

	/* the right one still works */
	CHECK_EQ(store_open(path, kek, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	CHECK_EQ(store_stream_by_name(s, "cam1", &st), 0);
	store_stream_cleanse(&st);
	store_close(s);
}

static void stream_del_quarantine(void)
{
	struct store *s = fresh(NULL, 0);
	struct store_stream st;
	struct store_viewer v;
	enum store_listen_state ls;
	struct sgw_endpoint l = ep("10.0.0.1:5000");
	int64_t alice, bob, sid, other;
	unsigned nv = 99, n_o, n_s, n_v;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	bob = add_owner(s, "bob");
	sid = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	other = add_stream(s, "cam2", alice, "10.0.0.1:5002", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	add_viewer(s, "tv1", sid, alice, "10.9.9.9:7000", NULL);
	add_viewer(s, "tv2", sid, bob, "10.9.9.9:7002", NULL);
	add_viewer(s, "tv3", other, alice, "10.9.9.9:7004", NULL);
	CHECK_EQ(store_grant_add(s, sid, bob), 0);
	CHECK_EQ(store_grant_add(s, other, bob), 0);
	CHECK_EQ(store_listen_state(s, &l, NOW, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_IN_USE);

	CHECK_EQ(store_stream_del(s, sid, NOW, QUARANTINE, &nv), 0);
	CHECK_EQ(nv, 2);
	CHECK_EQ(store_stream_del(s, sid, NOW, QUARANTINE, &nv), -ENOENT);
	CHECK_EQ(store_commit(s), 0);

	CHECK_EQ(store_stream_by_id(s, sid, &st), -ENOENT);
	CHECK_EQ(store_viewer_by_name(s, "tv1", &v), -ENOENT);
	CHECK_EQ(store_viewer_by_name(s, "tv2", &v), -ENOENT);
	CHECK_EQ(store_viewer_by_name(s, "tv3", &v), 0);
	CHECK_EQ(store_grant_exists(s, sid, bob), 0);
	CHECK_EQ(store_grant_exists(s, other, bob), 1);
	CHECK_EQ(store_counts(s, &n_o, &n_s, &n_v), 0);
	CHECK_EQ(n_o, 2);
	CHECK_EQ(n_s, 1);
	CHECK_EQ(n_v, 1);

	CHECK_EQ(store_listen_state(s, &l, NOW, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_QUARANTINED);
	CHECK_EQ(store_listen_state(s, &l, NOW + QUARANTINE - 1, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_QUARANTINED);
	CHECK_EQ(store_listen_state(s, &l, NOW + QUARANTINE, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_FREE);

	/* used again, deleted again later: the entry is replaced */
	CHECK_EQ(store_begin(s), 0);
	sid = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_PLAIN, NULL);
	CHECK_EQ(store_listen_state(s, &l, NOW + 1000, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_IN_USE);
	CHECK_EQ(store_stream_del(s, sid, NOW + 1000, QUARANTINE, &nv), 0);
	CHECK_EQ(nv, 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_listen_state(s, &l, NOW + 1000 + QUARANTINE - 1, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_QUARANTINED);
	CHECK_EQ(store_listen_state(s, &l, NOW + 1000 + QUARANTINE, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_FREE);
	/* a shorter quarantine does not shorten a running one */
	CHECK_EQ(store_begin(s), 0);
	sid = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_PLAIN, NULL);
	CHECK_EQ(store_stream_del(s, sid, NOW + 1001, 1, &nv), 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_listen_state(s, &l, NOW + 1000 + QUARANTINE - 1, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_QUARANTINED);
	store_close(s);
}

static void owner_del_cascade(void)
{
	struct store *s = fresh(NULL, 0);
	struct store_viewer v;
	struct store_stream st;
	struct store_owner o;
	enum store_listen_state ls;
	struct sgw_endpoint l;
	int64_t alice, bob, carol, s1, s2, s3, s4;
	unsigned ns = 99, nv = 99, n_o, n_s, n_v;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	bob = add_owner(s, "bob");
	carol = add_owner(s, "carol");
	s1 = add_stream(s, "a-cam1", alice, "10.0.0.1:5000", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	s2 = add_stream(s, "a-cam2", alice, "[fd00::1]:5002", SGW_SUITE_PLAIN, NULL);
	s3 = add_stream(s, "b-cam", bob, "10.0.0.1:5004", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	s4 = add_stream(s, "c-cam", carol, "10.0.0.1:5006", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	CHECK_EQ(store_grant_add(s, s1, bob), 0);
	CHECK_EQ(store_grant_add(s, s3, alice), 0);
	CHECK_EQ(store_grant_add(s, s4, alice), 0);
	CHECK_EQ(store_grant_add(s, s4, bob), 0);
	add_viewer(s, "a1", s1, alice, "10.9.9.9:7000", NULL);
	add_viewer(s, "b1", s1, bob, "10.9.9.9:7002", NULL);    /* bob's, on alice's stream */
	add_viewer(s, "a2", s2, alice, "10.9.9.9:7004", NULL);
	add_viewer(s, "a3", s3, alice, "10.9.9.9:7006", NULL);  /* alice's, on bob's stream */
	add_viewer(s, "b3", s3, bob, "10.9.9.9:7008", NULL);
	add_viewer(s, "c4", s4, carol, "10.9.9.9:7010", NULL);
	CHECK_EQ(store_commit(s), 0);

	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_owner_del(s, alice, NOW, QUARANTINE, &ns, &nv), 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(ns, 2);
	CHECK_EQ(nv, 4); /* a1, b1, a2, a3 */

	CHECK_EQ(store_owner_by_id(s, alice, &o), -ENOENT);
	CHECK_EQ(store_stream_by_id(s, s1, &st), -ENOENT);
	CHECK_EQ(store_stream_by_id(s, s2, &st), -ENOENT);
	CHECK_EQ(store_stream_by_id(s, s3, &st), 0);
	CHECK_EQ(store_stream_by_id(s, s4, &st), 0);
	CHECK_EQ(store_viewer_by_name(s, "a1", &v), -ENOENT);
	CHECK_EQ(store_viewer_by_name(s, "b1", &v), -ENOENT);
	CHECK_EQ(store_viewer_by_name(s, "a2", &v), -ENOENT);
	CHECK_EQ(store_viewer_by_name(s, "a3", &v), -ENOENT);
	CHECK_EQ(store_viewer_by_name(s, "b3", &v), 0);
	CHECK_EQ(store_viewer_by_name(s, "c4", &v), 0);
	CHECK_EQ(store_grant_exists(s, s3, alice), 0);
	CHECK_EQ(store_grant_exists(s, s4, alice), 0);
	CHECK_EQ(store_grant_exists(s, s4, bob), 1);
	CHECK_EQ(store_counts(s, &n_o, &n_s, &n_v), 0);
	CHECK_EQ(n_o, 2);
	CHECK_EQ(n_s, 2);
	CHECK_EQ(n_v, 2);

	l = ep("10.0.0.1:5000");
	CHECK_EQ(store_listen_state(s, &l, NOW, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_QUARANTINED);
	l = ep("[fd00::1]:5002");
	CHECK_EQ(store_listen_state(s, &l, NOW, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_QUARANTINED);
	CHECK_EQ(store_listen_state(s, &l, NOW + QUARANTINE, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_FREE);
	l = ep("10.0.0.1:5004");
	CHECK_EQ(store_listen_state(s, &l, NOW, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_IN_USE);
	store_close(s);
}

static void grants(void)
{
	struct store *s = fresh(NULL, 0);
	int64_t alice, bob, carol, dave, sid, list[8];

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	dave = add_owner(s, "dave");
	carol = add_owner(s, "carol");
	bob = add_owner(s, "bob");
	sid = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_PLAIN, NULL);
	CHECK_EQ(store_grant_list(s, sid, list, 8), 0);
	CHECK_EQ(store_grant_exists(s, sid, bob), 0);
	CHECK_EQ(store_grant_add(s, sid, bob), 0);
	CHECK_EQ(store_grant_add(s, sid, bob), -EEXIST);
	CHECK_EQ(store_grant_add(s, sid, dave), 0);
	CHECK_EQ(store_grant_add(s, sid, carol), 0);
	CHECK_EQ(store_grant_add(s, sid, 999), -ENOENT);
	CHECK_EQ(store_grant_add(s, 999, bob), -ENOENT);
	CHECK_EQ(store_grant_exists(s, sid, bob), 1);
	CHECK_EQ(store_grant_exists(s, sid, alice), 0);
	CHECK_EQ(store_commit(s), 0);

	memset(list, 0, sizeof(list));
	CHECK_EQ(store_grant_list(s, sid, list, 8), 3);
	CHECK_EQ(list[0], bob); /* in owner name order */
	CHECK_EQ(list[1], carol);
	CHECK_EQ(list[2], dave);
	CHECK_EQ(list[3], 0);
	memset(list, 0, sizeof(list));
	CHECK_EQ(store_grant_list(s, sid, list, 2), 2);
	CHECK_EQ(list[0], bob);
	CHECK_EQ(list[1], carol);
	CHECK_EQ(list[2], 0);

	CHECK_EQ(store_grant_del(s, sid, carol), -EINVAL); /* no transaction */
	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_grant_del(s, sid, carol), 0);
	CHECK_EQ(store_grant_del(s, sid, carol), -ENOENT);
	CHECK_EQ(store_grant_exists(s, sid, carol), 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_grant_list(s, sid, list, 8), 2);
	CHECK_EQ(list[0], bob);
	CHECK_EQ(list[1], dave);
	store_close(s);
}

struct viewer_list {
	char names[8][STORE_NAME_MAX];
	unsigned n;
};

static int viewer_list_cb(void *arg, const struct store_viewer *v)
{
	struct viewer_list *l = arg;

	if (l->n < 8)
		snprintf(l->names[l->n], STORE_NAME_MAX, "%s", v->name);
	l->n++;
	return 0;
}

static int stop_cb(void *arg, const struct store_viewer *v)
{
	(void)v;
	(*(unsigned *)arg)++;
	return 42;
}

static void viewers(void)
{
	struct store *s = fresh(NULL, 0);
	struct store_viewer v, got;
	struct sgw_key k;
	struct viewer_list vl;
	int64_t alice, bob, s1, s2, vid;
	unsigned n = 99;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	bob = add_owner(s, "bob");
	s1 = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_AES_CM_128_HMAC_SHA1_32, NULL);
	s2 = add_stream(s, "cam2", alice, "10.0.0.1:5002", SGW_SUITE_PLAIN, NULL);
	vid = add_viewer(s, "zeta", s1, alice, "[2001:db8::5]:7000", &k);
	add_viewer(s, "alpha", s1, bob, "10.9.9.9:7002", NULL);
	add_viewer(s, "mid", s2, alice, "10.9.9.9:7004", NULL);
	add_viewer(s, "bobs2", s1, bob, "10.9.9.9:7006", NULL);

	CHECK_EQ(store_viewer_by_name(s, "zeta", &got), 0);
	CHECK_EQ(got.id, vid);
	CHECK_EQ(got.stream_id, s1);
	CHECK_EQ(got.owner_id, alice);
	struct sgw_endpoint d = ep("[2001:db8::5]:7000");
	CHECK_MEM(&got.dest, &d, sizeof(d));
	CHECK(key_equal(&got.key, &k));
	CHECK_EQ(got.key.len, 28);

	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "zeta");
	v.stream_id = s2;
	v.owner_id = alice;
	v.dest = ep("10.9.9.9:7100");
	CHECK_EQ(store_viewer_add(s, &v), -EEXIST);
	snprintf(v.name, sizeof(v.name), "new");
	v.stream_id = 999;
	CHECK_EQ(store_viewer_add(s, &v), -ENOENT);
	v.stream_id = s2;
	v.owner_id = 999;
	CHECK_EQ(store_viewer_add(s, &v), -ENOENT);
	v.owner_id = alice;
	v.dest.port = 0;
	CHECK_EQ(store_viewer_add(s, &v), -EINVAL);
	v.dest = ep("10.9.9.9:7100");
	v.key = random_key(SGW_SUITE_AEAD_AES_128_GCM);
	v.key.len = 16;
	CHECK_EQ(store_viewer_add(s, &v), -EINVAL);

	/* rekey, then to plain */
	got.key = random_key(SGW_SUITE_AEAD_AES_256_GCM);
	k = got.key;
	CHECK_EQ(store_viewer_set_key(s, &got), 0);
	store_viewer_cleanse(&got);
	CHECK_EQ(store_viewer_by_name(s, "zeta", &got), 0);
	CHECK(key_equal(&got.key, &k));
	CHECK_EQ(got.key.suite, SGW_SUITE_AEAD_AES_256_GCM);
	memset(&got.key, 0, sizeof(got.key));
	CHECK_EQ(store_viewer_set_key(s, &got), 0);
	CHECK_EQ(store_viewer_by_name(s, "zeta", &got), 0);
	CHECK_EQ(got.key.suite, SGW_SUITE_PLAIN);
	CHECK_EQ(got.key.len, 0);
	got.id = 999;
	CHECK_EQ(store_viewer_set_key(s, &got), -ENOENT);
	CHECK_EQ(store_commit(s), 0);

	memset(&vl, 0, sizeof(vl));
	CHECK_EQ(store_viewer_foreach(s, s1, viewer_list_cb, &vl), 0);
	CHECK_EQ(vl.n, 3);
	CHECK(strcmp(vl.names[0], "alpha") == 0);
	CHECK(strcmp(vl.names[1], "bobs2") == 0);
	CHECK(strcmp(vl.names[2], "zeta") == 0);
	memset(&vl, 0, sizeof(vl));
	CHECK_EQ(store_viewer_foreach(s, 0, viewer_list_cb, &vl), 0);
	CHECK_EQ(vl.n, 4);
	CHECK(strcmp(vl.names[2], "mid") == 0);
	n = 0;
	CHECK_EQ(store_viewer_foreach(s, 0, stop_cb, &n), 42);
	CHECK_EQ(n, 1);

	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_viewer_del_by_owner(s, s1, bob, &n), 0);
	CHECK_EQ(n, 2);
	CHECK_EQ(store_viewer_del_by_owner(s, s1, bob, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(store_viewer_del(s, vid), 0);
	CHECK_EQ(store_viewer_del(s, vid), -ENOENT);
	CHECK_EQ(store_commit(s), 0);
	memset(&vl, 0, sizeof(vl));
	CHECK_EQ(store_viewer_foreach(s, 0, viewer_list_cb, &vl), 0);
	CHECK_EQ(vl.n, 1);
	CHECK(strcmp(vl.names[0], "mid") == 0);
	store_close(s);
}

struct expired {
	char names[4][STORE_NAME_MAX];
	struct sgw_key old_key[4];
	unsigned n;
};

static int expired_cb(void *arg, const struct store_stream *st)
{
	struct expired *e = arg;

	if (e->n < 4) {
		snprintf(e->names[e->n], STORE_NAME_MAX, "%s", st->name);
		e->old_key[e->n] = st->old_key;
	}
	e->n++;
	return 0;
}

static void rekey_overlap(void)
{
	struct store *s = fresh(NULL, 0);
	struct store_stream st;
	struct sgw_key k_old, k_new;
	struct expired ex;
	int64_t alice, s1;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	s1 = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_AEAD_AES_128_GCM, &k_old);
	add_stream(s, "cam2", alice, "10.0.0.1:5002", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	CHECK_EQ(store_stream_by_id(s, s1, &st), 0);
	k_new = random_key(SGW_SUITE_AEAD_AES_128_GCM);
	st.old_key = st.key;
	st.key = k_new;
	st.overlap_until = NOW + 60;
	snprintf(st.name, sizeof(st.name), "ignored"); /* the stored name counts */
	CHECK_EQ(store_stream_set_keys(s, &st), 0);
	st.id = 999;
	CHECK_EQ(store_stream_set_keys(s, &st), -ENOENT);
	st.id = s1;
	st.old_key.len = 5;
	CHECK_EQ(store_stream_set_keys(s, &st), -EINVAL);
	CHECK_EQ(store_commit(s), 0);

	CHECK_EQ(store_stream_by_id(s, s1, &st), 0);
	CHECK(strcmp(st.name, "cam1") == 0);
	CHECK(key_equal(&st.key, &k_new));
	CHECK(key_equal(&st.old_key, &k_old));
	CHECK_EQ(st.overlap_until, NOW + 60);

	memset(&ex, 0, sizeof(ex));
	CHECK_EQ(store_stream_foreach_overlap_expired(s, NOW + 59, expired_cb, &ex), 0);
	CHECK_EQ(ex.n, 0);
	CHECK_EQ(store_stream_foreach_overlap_expired(s, NOW + 60, expired_cb, &ex), 0);
	CHECK_EQ(ex.n, 1);
	CHECK(strcmp(ex.names[0], "cam1") == 0);
	CHECK(key_equal(&ex.old_key[0], &k_old));

	/* end the overlap */
	CHECK_EQ(store_begin(s), 0);
	memset(&st.old_key, 0, sizeof(st.old_key));
	st.overlap_until = 0;
	CHECK_EQ(store_stream_set_keys(s, &st), 0);
	CHECK_EQ(store_commit(s), 0);
	store_stream_cleanse(&st);
	CHECK_EQ(store_stream_by_id(s, s1, &st), 0);
	CHECK(key_equal(&st.key, &k_new));
	CHECK_EQ(st.old_key.len, 0);
	CHECK_EQ(st.overlap_until, 0);
	memset(&ex, 0, sizeof(ex));
	CHECK_EQ(store_stream_foreach_overlap_expired(s, NOW + 1000, expired_cb, &ex), 0);
	CHECK_EQ(ex.n, 0);
	store_stream_cleanse(&st);
	store_close(s);
}

static void seq_and_rollback(void)
{
	struct store *s = fresh(NULL, 0);
	struct store_owner o;
	uint64_t seq = 0;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_seq(s), 0);
	CHECK_EQ(store_bump_seq(s, &seq), -EINVAL); /* outside a transaction */

	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_bump_seq(s, &seq), 0);
	CHECK_EQ(seq, 1);
	CHECK_EQ(store_bump_seq(s, &seq), 0);
	CHECK_EQ(seq, 2);
	CHECK_EQ(store_seq(s), 0); /* the committed value */
	add_owner(s, "alice");
	store_rollback(s);
	CHECK_EQ(store_seq(s), 0);
	CHECK_EQ(store_owner_by_name(s, "alice", &o), -ENOENT);

	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_bump_seq(s, &seq), 0);
	CHECK_EQ(seq, 1);
	add_owner(s, "alice");
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_seq(s), 1);
	CHECK_EQ(store_owner_by_name(s, "alice", &o), 0);
	store_rollback(s); /* nothing open: harmless */
	CHECK_EQ(store_seq(s), 1);
	store_close(s);
}

struct reenter {
	struct store *s;
	unsigned owners, streams, inner;
	unsigned counts[4][2];
	int err;
};

static int reenter_stream_cb(void *arg, const struct store_stream *st)
{
	struct reenter *r = arg;
	struct store_stream again;
	struct store_owner o;

	r->inner++;
	if (store_stream_by_id(r->s, st->id, &again) != 0 ||
	    store_owner_by_id(r->s, st->owner_id, &o) != 0 || !key_equal(&again.key, &st->key))
		r->err = 1;
	store_stream_cleanse(&again);
	return 0;
}

static int reenter_owner_cb(void *arg, const struct store_owner *o, unsigned n_streams,
			    unsigned n_viewers)
{
	struct reenter *r = arg;

	if (r->owners < 4) {
		r->counts[r->owners][0] = n_streams;
		r->counts[r->owners][1] = n_viewers;
	}
	r->owners++;
	/* a callback may call other store functions */
	if (store_stream_foreach(r->s, o->id, reenter_stream_cb, r) != 0)
		r->err = 1;
	return 0;
}

static void foreach_reentrant(void)
{
	struct store *s = fresh(NULL, 0);
	struct reenter r;
	int64_t zed, amy, s1, s2;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	zed = add_owner(s, "zed");
	amy = add_owner(s, "amy");
	add_owner(s, "kim");
	s1 = add_stream(s, "z1", zed, "10.0.0.1:5000", SGW_SUITE_AEAD_AES_256_GCM, NULL);
	s2 = add_stream(s, "z2", zed, "10.0.0.1:5002", SGW_SUITE_AES_CM_128_HMAC_SHA1_80, NULL);
	add_stream(s, "a1", amy, "10.0.0.1:5004", SGW_SUITE_PLAIN, NULL);
	add_viewer(s, "v1", s1, zed, "10.9.9.9:7000", NULL);
	add_viewer(s, "v2", s2, amy, "10.9.9.9:7002", NULL); /* amy's, on zed's stream */
	add_viewer(s, "v3", s2, amy, "10.9.9.9:7004", NULL);
	CHECK_EQ(store_commit(s), 0);

	memset(&r, 0, sizeof(r));
	r.s = s;
	CHECK_EQ(store_owner_foreach(s, reenter_owner_cb, &r), 0);
	CHECK_EQ(r.owners, 3);
	CHECK_EQ(r.inner, 3);
	CHECK_EQ(r.err, 0);
	/* amy, kim, zed */
	CHECK_EQ(r.counts[0][0], 1);
	CHECK_EQ(r.counts[0][1], 2);
	CHECK_EQ(r.counts[1][0], 0);
	CHECK_EQ(r.counts[1][1], 0);
	CHECK_EQ(r.counts[2][0], 2);
	CHECK_EQ(r.counts[2][1], 1);

	unsigned calls = 0;
	CHECK_EQ(store_stream_foreach(s, 0, count_stream_cb, &calls), 0);
	CHECK_EQ(calls, 3);
	calls = 0;
	CHECK_EQ(store_stream_foreach(s, amy, count_stream_cb, &calls), 0);
	CHECK_EQ(calls, 1);
	store_close(s);
}

static void durable(void)
{
	char path[128], err[256];
	struct store *s = fresh(path, sizeof(path));
	struct store_stream st;
	struct store_viewer v;
	struct store_owner o;
	struct sgw_key k, vk;
	enum store_listen_state ls;
	struct sgw_endpoint l = ep("10.0.0.1:5002");
	uint64_t seq;
	int64_t alice, bob, sid, gone;
	unsigned n_o, n_s, n_v, nv;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	bob = add_owner(s, "bob");
	sid = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_AEAD_AES_256_GCM, &k);
	gone = add_stream(s, "cam2", alice, "10.0.0.1:5002", SGW_SUITE_PLAIN, NULL);
	add_viewer(s, "tv1", sid, bob, "10.9.9.9:7000", &vk);
	CHECK_EQ(store_grant_add(s, sid, bob), 0);
	CHECK_EQ(store_stream_del(s, gone, NOW, QUARANTINE, &nv), 0);
	CHECK_EQ(store_bump_seq(s, &seq), 0);
	CHECK_EQ(store_commit(s), 0);
	/* an uncommitted change at close is lost */
	CHECK_EQ(store_begin(s), 0);
	add_owner(s, "carol");
	store_close(s);

	CHECK_EQ(store_open(path, kek, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	CHECK_EQ(store_seq(s), 1);
	CHECK_EQ(store_counts(s, &n_o, &n_s, &n_v), 0);
	CHECK_EQ(n_o, 2);
	CHECK_EQ(n_s, 1);
	CHECK_EQ(n_v, 1);
	CHECK_EQ(store_owner_by_name(s, "carol", &o), -ENOENT);
	CHECK_EQ(store_stream_by_name(s, "cam1", &st), 0);
	CHECK_EQ(st.id, sid);
	CHECK_EQ(st.owner_id, alice);
	CHECK(key_equal(&st.key, &k));
	store_stream_cleanse(&st);
	CHECK_EQ(store_viewer_by_name(s, "tv1", &v), 0);
	CHECK_EQ(v.owner_id, bob);
	CHECK(key_equal(&v.key, &vk));
	store_viewer_cleanse(&v);
	CHECK_EQ(store_grant_exists(s, sid, bob), 1);
	CHECK_EQ(store_listen_state(s, &l, NOW, &ls), 0);
	CHECK_EQ(ls, STORE_LISTEN_QUARANTINED);
	store_close(s);
}

/* Positions: set, replace, clear, gone with their stream or viewer, kept
 * across a reopen, no change number; a store made before the position
 * tables existed gets them when it is opened. */
static void positions(void)
{
	char path[128], err[256];
	struct store *s = fresh(path, sizeof(path));
	struct sgw_pos p, a = { .ssrc = 0xdeadbeef, .roc = 70000, .seq = 65535, .flags = SGW_POS_VALID };
	struct sgw_pos b = { .ssrc = 1, .roc = 2, .seq = 3, .flags = SGW_POS_VALID }, none = { 0 };
	int64_t alice, s1, s2, v1, v2;
	unsigned nv;
	sqlite3 *db;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	s1 = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	s2 = add_stream(s, "cam2", alice, "10.0.0.1:5002", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	v1 = add_viewer(s, "tv1", s1, alice, "10.9.9.9:7000", NULL);
	v2 = add_viewer(s, "tv2", s2, alice, "10.9.9.9:7002", NULL);
	CHECK_EQ(store_commit(s), 0);

	CHECK_EQ(store_pos_set(s, false, s1, &a), -EINVAL); /* outside a transaction */
	CHECK_EQ(store_pos_get(s, false, s1, &p), -ENOENT);
	CHECK_EQ(p.flags, 0);
	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_pos_set(s, false, s1, &a), 0);
	CHECK_EQ(store_pos_set(s, true, v1, &b), 0);
	CHECK_EQ(store_pos_set(s, false, s2, &b), 0);
	CHECK_EQ(store_pos_set(s, true, v2, &a), 0);
	CHECK_EQ(store_pos_set(s, false, s2 + 100, &a), -ENOENT); /* no such stream */
	CHECK_EQ(store_pos_set(s, true, v1 + 100, &a), -ENOENT);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_seq(s), 0);
	CHECK_EQ(store_pos_get(s, false, s1, &p), 0);
	CHECK(memcmp(&p, &a, sizeof(p)) == 0);
	CHECK_EQ(store_pos_get(s, true, v1, &p), 0);
	CHECK(memcmp(&p, &b, sizeof(p)) == 0);

	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_pos_set(s, false, s1, &b), 0);   /* replaced */
	CHECK_EQ(store_pos_set(s, true, v1, &none), 0); /* cleared */
	CHECK_EQ(store_stream_del(s, s2, NOW, QUARANTINE, &nv), 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_pos_get(s, false, s1, &p), 0);
	CHECK(memcmp(&p, &b, sizeof(p)) == 0);
	CHECK_EQ(store_pos_get(s, true, v1, &p), -ENOENT);
	CHECK_EQ(store_pos_get(s, false, s2, &p), -ENOENT);
	CHECK_EQ(store_pos_get(s, true, v2, &p), -ENOENT);
	store_close(s);

	CHECK_EQ(store_open(path, kek, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	CHECK_EQ(store_pos_get(s, false, s1, &p), 0);
	CHECK(memcmp(&p, &b, sizeof(p)) == 0);
	store_close(s);

	/* as a store from before the position tables */
	CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(db, "DROP TABLE stream_positions; DROP TABLE viewer_positions;",
			      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_EQ(store_open(path, kek, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	CHECK_EQ(store_pos_get(s, false, s1, &p), -ENOENT);
	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_pos_set(s, false, s1, &a), 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_pos_get(s, false, s1, &p), 0);
	CHECK_EQ(p.roc, 70000);
	store_close(s);
}

static void schema_checks(void)
{
	char path[128], err[256];
	struct store *s = fresh(path, sizeof(path));
	sqlite3 *db = NULL;

	CHECK(s != NULL);
	store_close(s);
	/* a newer schema is refused */
	CHECK_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(db, "UPDATE meta SET value = 2 WHERE key = 'schema_version'", NULL,
			      NULL, NULL),
		 SQLITE_OK);
	sqlite3_close(db);
	s = NULL;
	err[0] = '\0';
	CHECK(store_open(path, kek, &s, err, sizeof(err)) < 0);
	CHECK(s == NULL);
	CHECK(strstr(err, "schema version 2 is newer") != NULL);
	CHECK(strstr(err, path) != NULL);

	/* some other database is refused */
	path_in_tmp(path, sizeof(path), "other.sqlite");
	db = NULL;
	CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	err[0] = '\0';
	CHECK(store_open(path, kek, &s, err, sizeof(err)) < 0);
	CHECK(strstr(err, "not an srtpgw store") != NULL);

	/* a directory that does not exist */
	path_in_tmp(path, sizeof(path), "no/such/dir/db");
	err[0] = '\0';
	CHECK(store_open(path, kek, &s, err, sizeof(err)) < 0);
	CHECK(strstr(err, path) != NULL);
}

/* Keys are bound to their row and column: moved or relabelled, they do
 * not decrypt. */
static void tampered_rows(void)
{
	char path[128], err[256];
	struct store *s = fresh(path, sizeof(path));
	struct store_stream st;
	sqlite3 *db = NULL;
	int64_t alice;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	add_stream(s, "cam2", alice, "10.0.0.1:5002", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	add_stream(s, "cam3", alice, "10.0.0.1:5004", SGW_SUITE_AEAD_AES_128_GCM, NULL);
	CHECK_EQ(store_commit(s), 0);
	store_close(s);

	CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
	/* cam1 gets cam2's sealed key; cam3 is labelled with another suite */
	CHECK_EQ(sqlite3_exec(db,
			      "UPDATE streams SET key = (SELECT key FROM streams WHERE name = 'cam2')"
			      " WHERE name = 'cam1';"
			      "UPDATE streams SET suite = 4 WHERE name = 'cam3';",
			      NULL, NULL, NULL),
		 SQLITE_OK);
	sqlite3_close(db);
	CHECK_EQ(store_open(path, kek, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	CHECK_EQ(store_stream_by_name(s, "cam1", &st), -EIO);
	CHECK(strstr(store_errmsg(s), "cam1") != NULL);
	CHECK_EQ(store_stream_by_name(s, "cam2", &st), 0);
	store_stream_cleanse(&st);
	CHECK_EQ(store_stream_by_name(s, "cam3", &st), -EIO);
	CHECK(strstr(store_errmsg(s), "suite does not match") != NULL);
	store_close(s);
}

/* A write that fails half-way leaves nothing of itself behind, even when
 * the caller commits the transaction anyway. */
static void failed_write_changes_nothing(void)
{
	char path[128], err[256];
	struct store *s = fresh(path, sizeof(path));
	struct store_stream st;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	unsigned ns = 99, nv = 99;
	int64_t alice, sid;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	sid = add_stream(s, "cam1", alice, "10.0.0.1:5000", SGW_SUITE_PLAIN, NULL);
	CHECK_EQ(store_commit(s), 0);
	store_close(s);
	/* deleting a stream now fails after its endpoint was quarantined */
	CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(db,
			      "CREATE TRIGGER no_del BEFORE DELETE ON streams"
			      " BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
			      NULL, NULL, NULL),
		 SQLITE_OK);
	sqlite3_close(db);
	CHECK_EQ(store_open(path, kek, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_stream_del(s, sid, NOW, QUARANTINE, &nv), -EIO);
	CHECK(strstr(store_errmsg(s), "refused by test") != NULL);
	CHECK_EQ(nv, 99);
	CHECK_EQ(store_owner_del(s, alice, NOW, QUARANTINE, &ns, &nv), -EIO);
	CHECK_EQ(ns, 99);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_stream_by_id(s, sid, &st), 0);
	store_close(s);

	db = NULL;
	CHECK_EQ(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CHECK_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM quarantine", -1, &q, NULL),
		 SQLITE_OK);
	CHECK_EQ(sqlite3_step(q), SQLITE_ROW);
	CHECK_EQ(sqlite3_column_int(q, 0), 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* ---- listings and tokens ----------------------------------------------------- */

struct info_names {
	char names[8][STORE_NAME_MAX];
	uint8_t suites[8];
	unsigned n;
};

static int stream_info_cb(void *arg, const struct store_stream_info *st)
{
	struct info_names *x = arg;

	if (x->n < 8) {
		snprintf(x->names[x->n], STORE_NAME_MAX, "%s", st->name);
		x->suites[x->n] = st->suite;
	}
	x->n++;
	return 0;
}

static int viewer_info_cb(void *arg, const struct store_viewer_info *v)
{
	struct info_names *x = arg;

	if (x->n < 8) {
		snprintf(x->names[x->n], STORE_NAME_MAX, "%s", v->name);
		x->suites[x->n] = v->suite;
	}
	x->n++;
	return 0;
}

/* Listings never unseal a key: opened with another key-encryption key,
 * where every key fails to decrypt, they still list everything (and the
 * functions that do unseal fail). Filters by owner, grant and visibility. */
static void listings_without_keys(void)
{
	char path[128], err[256];
	struct store *s = fresh(path, sizeof(path));
	struct store_stream_info si;
	struct store_viewer_info vi;
	struct store_stream st;
	struct info_names x;
	struct sgw_endpoint l = ep("10.0.0.1:5000"), src = ep("192.0.2.9"), d = ep("10.9.9.9:7002");
	uint8_t other[32];
	int64_t alice, bob, carol, s1, s2, s3, v1, v2;
	unsigned ns = 9, nv = 9;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	bob = add_owner(s, "bob");
	carol = add_owner(s, "carol");
	memset(&st, 0, sizeof(st));
	snprintf(st.name, sizeof(st.name), "a-cam");
	st.owner_id = alice;
	st.listen = l;
	st.source = src;
	st.key = random_key(SGW_SUITE_AEAD_AES_256_GCM);
	st.idle_timeout_s = 17;
	CHECK_EQ(store_stream_add(s, &st), 0);
	s1 = st.id;
	store_stream_cleanse(&st);
	s2 = add_stream(s, "b-cam", bob, "10.0.0.1:5002", SGW_SUITE_AES_CM_128_HMAC_SHA1_80, NULL);
	s3 = add_stream(s, "c-cam", carol, "10.0.0.1:5004", SGW_SUITE_PLAIN, NULL);
	v1 = add_viewer(s, "a-tv", s1, alice, "10.9.9.9:7000", NULL);
	v2 = add_viewer(s, "b-tv-on-a", s1, bob, "10.9.9.9:7002", NULL);
	add_viewer(s, "b-tv", s2, bob, "10.9.9.9:7004", NULL);
	add_viewer(s, "c-tv", s3, carol, "10.9.9.9:7006", NULL);
	CHECK_EQ(store_grant_add(s, s1, bob), 0);
	CHECK_EQ(store_commit(s), 0);
	store_close(s);

	memcpy(other, kek, sizeof(other));
	other[0] ^= 1;
	CHECK_EQ(store_open(path, other, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	/* what unseals fails... */
	CHECK_EQ(store_stream_by_name(s, "a-cam", &st), -EIO);
	/* ...what lists does not */
	CHECK_EQ(store_stream_info_by_name(s, "a-cam", &si), 0);
	CHECK_EQ(si.id, s1);
	CHECK_EQ(si.owner_id, alice);
	CHECK_MEM(&si.listen, &l, sizeof(l));
	CHECK_MEM(&si.source, &src, sizeof(src));
	CHECK_EQ(si.suite, SGW_SUITE_AEAD_AES_256_GCM);
	CHECK_EQ(si.idle_timeout_s, 17);
	CHECK_EQ(si.overlap_until, 0);
	CHECK_EQ(store_stream_info_by_id(s, s3, &si), 0);
	CHECK(strcmp(si.name, "c-cam") == 0);
	CHECK_EQ(si.suite, SGW_SUITE_PLAIN);
	CHECK_EQ(si.source.addr.family, SGW_AF_NONE);
	CHECK_EQ(store_stream_info_by_name(s, "nope", &si), -ENOENT);
	CHECK_EQ(store_stream_info_by_name(s, "", &si), -ENOENT);
	CHECK_EQ(store_stream_info_by_id(s, 999, &si), -ENOENT);
	CHECK_EQ(store_viewer_info_by_name(s, "b-tv-on-a", &vi), 0);
	CHECK_EQ(vi.id, v2);
	CHECK_EQ(vi.stream_id, s1);
	CHECK_EQ(vi.owner_id, bob);
	CHECK_MEM(&vi.dest, &d, sizeof(d));
	CHECK_EQ(vi.suite, SGW_SUITE_AEAD_AES_128_GCM);
	CHECK_EQ(store_viewer_info_by_id(s, v1, &vi), 0);
	CHECK(strcmp(vi.name, "a-tv") == 0);
	CHECK_EQ(store_viewer_info_by_name(s, "nope", &vi), -ENOENT);

	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_stream_list(s, 0, false, stream_info_cb, &x), 0);
	CHECK_EQ(x.n, 3);
	CHECK(strcmp(x.names[0], "a-cam") == 0 && strcmp(x.names[2], "c-cam") == 0);
	CHECK_EQ(x.suites[1], SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	/* bob's own; bob's own and the one he holds a grant on */
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_stream_list(s, bob, false, stream_info_cb, &x), 0);
	CHECK_EQ(x.n, 1);
	CHECK(strcmp(x.names[0], "b-cam") == 0);
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_stream_list(s, bob, true, stream_info_cb, &x), 0);
	CHECK_EQ(x.n, 2);
	CHECK(strcmp(x.names[0], "a-cam") == 0 && strcmp(x.names[1], "b-cam") == 0);
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_stream_list(s, carol, true, stream_info_cb, &x), 0);
	CHECK_EQ(x.n, 1);

	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_viewer_list(s, 0, 0, viewer_info_cb, &x), 0);
	CHECK_EQ(x.n, 4);
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_viewer_list(s, s1, 0, viewer_info_cb, &x), 0);
	CHECK_EQ(x.n, 2);
	/* alice sees every viewer on her stream; bob only his own there */
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_viewer_list(s, 0, alice, viewer_info_cb, &x), 0);
	CHECK_EQ(x.n, 2);
	CHECK(strcmp(x.names[0], "a-tv") == 0 && strcmp(x.names[1], "b-tv-on-a") == 0);
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_viewer_list(s, s1, bob, viewer_info_cb, &x), 0);
	CHECK_EQ(x.n, 1);
	CHECK(strcmp(x.names[0], "b-tv-on-a") == 0);
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_viewer_list(s, 0, bob, viewer_info_cb, &x), 0);
	CHECK_EQ(x.n, 2);
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_viewer_list(s, s2, carol, viewer_info_cb, &x), 0);
	CHECK_EQ(x.n, 0);

	CHECK_EQ(store_owner_counts(s, bob, &ns, &nv), 0);
	CHECK_EQ(ns, 1);
	CHECK_EQ(nv, 2);
	CHECK_EQ(store_owner_counts(s, 999, &ns, &nv), 0);
	CHECK_EQ(ns + nv, 0);
	store_close(s);
}

struct token_names {
	char names[8][STORE_NAME_MAX];
	unsigned n;
};

static int token_cb(void *arg, const struct store_token *t)
{
	struct token_names *x = arg;

	if (x->n < 8)
		snprintf(x->names[x->n], STORE_NAME_MAX, "%s", t->name);
	x->n++;
	return 0;
}

/* Tokens: by hash and by name, made names, duplicates, listing by owner,
 * deletion, gone with their owner, only the hash at rest, and a store
 * made before the tokens table gets it when it is opened. */
static void tokens(void)
{
	static const char text1[] = "sgwt_first-token-text-for-the-test-0123456789abcdef";
	static const char text2[] = "sgwt_second-token-text-for-the-test-0123456789abcde";
	char path[128], err[256];
	struct store *s = fresh(path, sizeof(path));
	struct store_token t, got;
	struct token_names x;
	uint8_t h1[STORE_TOKEN_HASH_LEN], h2[STORE_TOKEN_HASH_LEN], h3[STORE_TOKEN_HASH_LEN];
	unsigned ns, nv;
	int64_t alice, bob;
	sqlite3 *db;
	size_t n;
	unsigned char *raw;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	store_token_hash(text1, h1);
	store_token_hash(text2, h2);
	store_token_hash("sgwt_third", h3);
	CHECK(memcmp(h1, h2, sizeof(h1)) != 0);
	/* SHA-256 of the text: a known vector */
	store_token_hash("abc", h3);
	CHECK_MEM(h3, "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
		      "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad", 32);

	memset(&t, 0, sizeof(t));
	t.created = NOW;
	CHECK_EQ(store_token_add(s, &t, h1), -EINVAL); /* outside a transaction */
	CHECK_EQ(store_begin(s), 0);
	alice = add_owner(s, "alice");
	bob = add_owner(s, "bob");
	t.owner_id = alice;
	snprintf(t.name, sizeof(t.name), "app1");
	t.expires = NOW + 3600;
	CHECK_EQ(store_token_add(s, &t, h1), 0);
	CHECK(t.id > 0);
	/* the name is taken; the hash is taken */
	memset(&got, 0, sizeof(got));
	got.owner_id = bob;
	got.created = NOW;
	snprintf(got.name, sizeof(got.name), "app1");
	CHECK_EQ(store_token_add(s, &got, h2), -EEXIST);
	snprintf(got.name, sizeof(got.name), "other");
	CHECK_EQ(store_token_add(s, &got, h1), -EEXIST);
	got.owner_id = 999;
	CHECK_EQ(store_token_add(s, &got, h2), -ENOENT);
	/* no name: one is made */
	got.owner_id = bob;
	got.name[0] = '\0';
	CHECK_EQ(store_token_add(s, &got, h2), 0);
	CHECK(strcmp(got.name, "tok2") == 0);
	CHECK_EQ(store_commit(s), 0);

	CHECK_EQ(store_token_by_hash(s, h1, &got), 0);
	CHECK_EQ(got.id, t.id);
	CHECK(strcmp(got.name, "app1") == 0);
	CHECK_EQ(got.owner_id, alice);
	CHECK_EQ(got.created, NOW);
	CHECK_EQ(got.expires, NOW + 3600);
	store_token_hash("sgwt_nobody", h3);
	CHECK_EQ(store_token_by_hash(s, h3, &got), -ENOENT);
	CHECK_EQ(store_token_by_name(s, "tok2", &got), 0);
	CHECK_EQ(got.owner_id, bob);
	CHECK_EQ(got.expires, 0);
	CHECK_EQ(store_token_by_name(s, "nope", &got), -ENOENT);
	CHECK_EQ(store_token_by_name(s, "", &got), -ENOENT);

	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_token_foreach(s, 0, token_cb, &x), 0);
	CHECK_EQ(x.n, 2);
	CHECK(strcmp(x.names[0], "app1") == 0 && strcmp(x.names[1], "tok2") == 0);
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_token_foreach(s, bob, token_cb, &x), 0);
	CHECK_EQ(x.n, 1);
	CHECK(strcmp(x.names[0], "tok2") == 0);
	/* tokens are not counted as changes */
	CHECK_EQ(store_seq(s), 0);

	/* only the hash at rest */
	store_close(s);
	raw = slurp(path, &n);
	CHECK(raw != NULL && memmem(raw, n, text1, strlen(text1)) == NULL);
	CHECK(raw != NULL && memmem(raw, n, h1, sizeof(h1)) != NULL);
	free(raw);
	CHECK_EQ(store_open(path, kek, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;

	CHECK_EQ(store_begin(s), 0);
	CHECK_EQ(store_token_del(s, t.id), 0);
	CHECK_EQ(store_token_del(s, t.id), -ENOENT);
	CHECK_EQ(store_owner_del(s, bob, NOW, QUARANTINE, &ns, &nv), 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_token_by_hash(s, h1, &got), -ENOENT);
	CHECK_EQ(store_token_by_hash(s, h2, &got), -ENOENT); /* gone with bob */
	memset(&x, 0, sizeof(x));
	CHECK_EQ(store_token_foreach(s, 0, token_cb, &x), 0);
	CHECK_EQ(x.n, 0);
	store_close(s);

	/* a store from before the tokens table */
	CHECK_EQ(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_EQ(sqlite3_exec(db, "DROP TABLE tokens", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_EQ(store_open(path, kek, &s, err, sizeof(err)), 0);
	if (s == NULL)
		return;
	CHECK_EQ(store_owner_by_name(s, "alice", &(struct store_owner){ 0 }), 0);
	CHECK_EQ(store_begin(s), 0);
	memset(&t, 0, sizeof(t));
	t.owner_id = alice;
	t.created = NOW;
	CHECK_EQ(store_token_add(s, &t, h1), 0);
	CHECK(strcmp(t.name, "tok1") == 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK_EQ(store_token_by_hash(s, h1, &got), 0);
	store_close(s);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sgw-store-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (RAND_bytes(kek, sizeof(kek)) != 1)
		return 1;
	RUN(kek_file);
	RUN(owners);
	RUN(streams);
	RUN(keys_not_in_clear);
	RUN(wrong_kek);
	RUN(stream_del_quarantine);
	RUN(owner_del_cascade);
	RUN(grants);
	RUN(viewers);
	RUN(rekey_overlap);
	RUN(seq_and_rollback);
	RUN(foreach_reentrant);
	RUN(durable);
	RUN(positions);
	RUN(schema_checks);
	RUN(tampered_rows);
	RUN(failed_write_changes_nothing);
	RUN(listings_without_keys);
	RUN(tokens);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return CHECK_DONE();
}
