/* SPDX-License-Identifier: BSD-3-Clause */
/* The store's rows as key/value pairs (store_repl.h): what one controller's
 * transactions write, applied to another controller's copy, leaves the two
 * copies equal row for row; cascades, updates in place, snapshots, and
 * malformed rows from elsewhere. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "api/addr.h"
#include "api/suite.h"
#include "control/daemon/store.h"
#include "control/daemon/store_repl.h"
#include "check.h"

#define NOW 1700000000

static char tmpdir[64];
static uint8_t kek[32];
static unsigned db_counter;

/* Rows as "key=value" (value "-" for a delete), in the order given. */
struct rows {
	char **r;
	size_t n, cap;
	struct store_repl_row *kv;
};

static int collect(void *arg, const char *key, const char *val, size_t val_len)
{
	struct rows *rs = arg;
	size_t klen = strlen(key), len = klen + 2 + (val != NULL ? val_len : 1);
	char *e;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 32;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
	}
	e = malloc(len);
	snprintf(e, len, "%s=%.*s", key, val != NULL ? (int)val_len : 1, val != NULL ? val : "-");
	rs->r[rs->n++] = e;
	return 0;
}

/* The collected rows as store_repl_row for store_repl_apply. */
static const struct store_repl_row *as_kv(struct rows *rs)
{
	free(rs->kv);
	rs->kv = calloc(rs->n + 1, sizeof(*rs->kv));
	for (size_t i = 0; i < rs->n; i++) {
		char *eq = strchr(rs->r[i], '=');

		rs->kv[i].key = rs->r[i];
		rs->kv[i].key_len = (size_t)(eq - rs->r[i]);
		rs->kv[i].val = strcmp(eq + 1, "-") == 0 ? NULL : eq + 1;
		rs->kv[i].val_len = rs->kv[i].val != NULL ? strlen(eq + 1) : 0;
	}
	return rs->kv;
}

static void rows_free(struct rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->r[i]);
	free(rs->r);
	free(rs->kv);
	memset(rs, 0, sizeof(*rs));
}

static size_t count_prefix(const struct rows *rs, const char *prefix, bool deletes)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const char *eq = strchr(rs->r[i], '=');

		if (strncmp(rs->r[i], prefix, strlen(prefix)) == 0 && (strcmp(eq + 1, "-") == 0) == deletes)
			n++;
	}
	return n;
}

static struct store *fresh(void)
{
	char p[128], err[256] = "";
	struct store *s = NULL;

	snprintf(p, sizeof(p), "%s/db%u.sqlite", tmpdir, db_counter++);
	if (store_open(p, kek, &s, err, sizeof(err)) != 0)
		fprintf(stderr, "store_open %s: %s\n", p, err);
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
	RAND_bytes(k.material, k.len);
	return k;
}

/* Every shared row of s. */
static void dump(struct store *s, struct rows *out)
{
	CHECK_EQ(store_repl_foreach(s, collect, out), 0);
}

static void check_same(struct store *a, struct store *b)
{
	struct rows da = { 0 }, db = { 0 };

	dump(a, &da);
	dump(b, &db);
	CHECK_EQ(da.n, db.n);
	for (size_t i = 0; i < da.n && i < db.n; i++)
		if (strcmp(da.r[i], db.r[i]) != 0) {
			fprintf(stderr, "row %zu differs:\n  %s\n  %s\n", i, da.r[i], db.r[i]);
			CHECK(0);
			break;
		}
	rows_free(&da);
	rows_free(&db);
}

/* Apply what a recorded in its open transaction to b, commit both. */
static void ship(struct store *a, struct store *b, struct rows *rs)
{
	CHECK_EQ(store_repl_changes(a, collect, rs), 0);
	CHECK_EQ(store_commit(a), 0);
	CHECK_EQ(store_begin(b), 0);
	CHECK_EQ(store_repl_apply(b, as_kv(rs), rs->n), 0);
	CHECK_EQ(store_commit(b), 0);
}

struct world {
	int64_t o1, o2, s1, s2, v1, v2, v3;
};

static void build(struct store *a, struct store *b, struct world *w)
{
	struct store_stream st;
	struct store_viewer v;
	struct store_lane lanes[2] = { { 0x1111, 100, 5 }, { 0x2222, 200, 6 } };
	struct sgw_pos pos;
	struct rows rs = { 0 };
	struct store_token tok;
	uint8_t hash[STORE_TOKEN_HASH_LEN];

	CHECK_EQ(store_begin(a), 0);
	CHECK_EQ(store_repl_record(a), 0);
	CHECK_EQ(store_owner_add(a, "alice", &w->o1), 0);
	CHECK_EQ(store_owner_add(a, "bob", &w->o2), 0);
	memset(&st, 0, sizeof(st));
	snprintf(st.name, sizeof(st.name), "cam1");
	st.owner_id = w->o1;
	st.listen = ep("10.0.0.1:5000");
	st.key = random_key(SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	CHECK_EQ(store_stream_add(a, &st), 0);
	CHECK_EQ(store_key_claim(a, &st.key), 0); /* as the commands do */
	w->s1 = st.id;
	snprintf(st.name, sizeof(st.name), "cam2");
	st.owner_id = w->o2;
	st.listen = ep("[fd00::1]:5002");
	st.key = random_key(SGW_SUITE_AEAD_AES_128_GCM);
	CHECK_EQ(store_stream_add(a, &st), 0);
	CHECK_EQ(store_key_claim(a, &st.key), 0);
	w->s2 = st.id;
	store_stream_cleanse(&st);
	CHECK_EQ(store_grant_add(a, w->s1, w->o2), 0);
	memset(&v, 0, sizeof(v));
	snprintf(v.name, sizeof(v.name), "tv1");
	v.stream_id = w->s1;
	v.owner_id = w->o1;
	v.dest = ep("10.0.0.9:6000");
	v.key = random_key(SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	CHECK_EQ(store_viewer_add(a, &v), 0);
	CHECK_EQ(store_key_claim(a, &v.key), 0);
	w->v1 = v.id;
	snprintf(v.name, sizeof(v.name), "tv2");
	v.owner_id = w->o2; /* bob's viewer on alice's granted stream */
	v.key = random_key(SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	CHECK_EQ(store_viewer_add(a, &v), 0);
	CHECK_EQ(store_key_claim(a, &v.key), 0);
	w->v2 = v.id;
	snprintf(v.name, sizeof(v.name), "tv3");
	v.stream_id = w->s2;
	v.key = random_key(SGW_SUITE_AEAD_AES_128_GCM);
	CHECK_EQ(store_viewer_add(a, &v), 0);
	CHECK_EQ(store_key_claim(a, &v.key), 0);
	w->v3 = v.id;
	store_viewer_cleanse(&v);
	CHECK_EQ(store_lanes_set(a, w->v1, lanes, 2), 0);
	memset(&pos, 0, sizeof(pos));
	pos.flags = SGW_POS_VALID;
	pos.ssrc = 0xabcdef01;
	pos.roc = 3;
	pos.seq = 4000;
	CHECK_EQ(store_pos_set(a, false, w->s1, &pos), 0);
	CHECK_EQ(store_pos_set(a, true, w->v1, &pos), 0);
	RAND_bytes(hash, sizeof(hash));
	memset(&tok, 0, sizeof(tok));
	snprintf(tok.name, sizeof(tok.name), "app");
	tok.owner_id = w->o1;
	tok.created = NOW;
	CHECK_EQ(store_token_add(a, &tok, hash), 0);
	ship(a, b, &rs);
	/* two owners, two streams, three viewers, a grant, two lanes, two
	 * positions, a token, and the keys' fingerprints */
	CHECK_EQ(count_prefix(&rs, "t/owners/", false), 2);
	CHECK_EQ(count_prefix(&rs, "t/streams/", false), 2);
	CHECK_EQ(count_prefix(&rs, "t/viewers/", false), 3);
	CHECK_EQ(count_prefix(&rs, "t/grants/", false), 1);
	CHECK_EQ(count_prefix(&rs, "t/viewer_lanes/", false), 2);
	CHECK_EQ(count_prefix(&rs, "t/stream_positions/", false), 1);
	CHECK_EQ(count_prefix(&rs, "t/viewer_positions/", false), 1);
	CHECK_EQ(count_prefix(&rs, "t/tokens/", false), 1);
	CHECK_EQ(count_prefix(&rs, "t/key_uses/", false), 5);
	rows_free(&rs);
}

static void every_table_classified(void)
{
	struct store *s = fresh();
	sqlite3 *db;
	sqlite3_stmt *q;
	char p[128];
	unsigned n = 0;

	store_close(s);
	snprintf(p, sizeof(p), "%s/db%u.sqlite", tmpdir, db_counter - 1);
	CHECK_EQ(sqlite3_open(p, &db), SQLITE_OK);
	CHECK_EQ(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &q, NULL),
		 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(q, 0);

		if (store_repl_table_kind(t) < 0)
			fprintf(stderr, "table %s is neither shared nor local (store_repl.c)\n", t);
		CHECK(store_repl_table_kind(t) >= 0);
		n++;
	}
	CHECK(n >= 14);
	CHECK_EQ(store_repl_table_kind("owners"), 1);
	CHECK_EQ(store_repl_table_kind("pending_changes"), 0);
	CHECK_EQ(store_repl_table_kind("no_such_table"), -1);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void mirror_and_keys(void)
{
	struct store *a = fresh(), *b = fresh();
	struct world w;
	struct store_stream sa, sb;

	build(a, b, &w);
	check_same(a, b);
	/* b unseals what a sealed: the same key, the same KEK */
	CHECK_EQ(store_stream_by_name(a, "cam1", &sa), 0);
	CHECK_EQ(store_stream_by_name(b, "cam1", &sb), 0);
	CHECK_EQ(sa.id, sb.id);
	CHECK_EQ(sa.key.len, sb.key.len);
	CHECK_MEM(sa.key.material, sb.key.material, sa.key.len);
	store_stream_cleanse(&sa);
	store_stream_cleanse(&sb);
	/* and b refuses a key a gave out: the fingerprints came along */
	{
		struct store_stream st;

		CHECK_EQ(store_stream_by_name(a, "cam2", &st), 0);
		CHECK_EQ(store_begin(b), 0);
		CHECK_EQ(store_key_claim(b, &st.key), -EEXIST);
		store_rollback(b);
		store_stream_cleanse(&st);
	}
	/* b's next owner gets an id after a's: AUTOINCREMENT saw the ids */
	{
		int64_t id = 0;

		CHECK_EQ(store_begin(b), 0);
		CHECK_EQ(store_owner_add(b, "carol", &id), 0);
		CHECK(id > w.o2);
		store_rollback(b);
	}
	store_close(a);
	store_close(b);
}

static void cascade_delete(void)
{
	struct store *a = fresh(), *b = fresh();
	struct world w;
	struct rows rs = { 0 };
	unsigned ns = 0, nv = 0;

	build(a, b, &w);
	CHECK_EQ(store_begin(a), 0);
	CHECK_EQ(store_repl_record(a), 0);
	CHECK_EQ(store_owner_del(a, w.o1, NOW, 300, &ns, &nv), 0);
	ship(a, b, &rs);
	/* alice, cam1 with its grant, lanes, positions, tv1 and bob's tv2 on
	 * it, and her token: each one a delete; cam1's listen quarantined */
	CHECK_EQ(count_prefix(&rs, "t/owners/", true), 1);
	CHECK_EQ(count_prefix(&rs, "t/streams/", true), 1);
	CHECK_EQ(count_prefix(&rs, "t/viewers/", true), 2);
	CHECK_EQ(count_prefix(&rs, "t/grants/", true), 1);
	CHECK_EQ(count_prefix(&rs, "t/viewer_lanes/", true), 2);
	CHECK_EQ(count_prefix(&rs, "t/stream_positions/", true), 1);
	CHECK_EQ(count_prefix(&rs, "t/viewer_positions/", true), 1);
	CHECK_EQ(count_prefix(&rs, "t/tokens/", true), 1);
	CHECK_EQ(count_prefix(&rs, "t/quarantine/", false), 1);
	CHECK_EQ(count_prefix(&rs, "t/key_uses/", true), 0); /* never forgotten */
	check_same(a, b);
	rows_free(&rs);
	store_close(a);
	store_close(b);
}

static void update_keeps_children(void)
{
	struct store *a = fresh(), *b = fresh();
	struct world w;
	struct rows rs = { 0 };
	struct store_stream st;
	unsigned owners = 0, streams = 0, viewers = 0;

	build(a, b, &w);
	CHECK_EQ(store_stream_by_name(a, "cam1", &st), 0);
	st.old_key = st.key;
	st.key = random_key(SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	st.overlap_until = NOW + 10;
	CHECK_EQ(store_begin(a), 0);
	CHECK_EQ(store_repl_record(a), 0);
	CHECK_EQ(store_stream_set_keys(a, &st), 0);
	ship(a, b, &rs);
	store_stream_cleanse(&st);
	/* one stream row put (and the new key's fingerprint), nothing deleted */
	CHECK_EQ(count_prefix(&rs, "t/streams/", false), 1);
	CHECK_EQ(count_prefix(&rs, "t/", true), 0);
	/* the update did not cascade: b still has cam1's viewers */
	CHECK_EQ(store_counts(b, &owners, &streams, &viewers), 0);
	CHECK_EQ(viewers, 3);
	check_same(a, b);
	rows_free(&rs);
	store_close(a);
	store_close(b);
}

static void snapshot_into_fresh(void)
{
	struct store *a = fresh(), *b = fresh(), *c = fresh();
	struct world w;
	struct rows all = { 0 };

	build(a, b, &w);
	/* c had rows of its own: a snapshot replaces them */
	CHECK_EQ(store_begin(c), 0);
	CHECK_EQ(store_owner_add(c, "stale", NULL), 0);
	CHECK_EQ(store_commit(c), 0);
	dump(a, &all);
	CHECK_EQ(store_begin(c), 0);
	CHECK_EQ(store_repl_clear(c), 0);
	CHECK_EQ(store_repl_apply(c, as_kv(&all), all.n), 0);
	CHECK_EQ(store_commit(c), 0);
	check_same(a, c);
	rows_free(&all);
	store_close(a);
	store_close(b);
	store_close(c);
}

static void local_tables_stay(void)
{
	struct store *a = fresh();
	struct rows rs = { 0 };
	uint64_t seq;

	CHECK_EQ(store_begin(a), 0);
	CHECK_EQ(store_repl_record(a), 0);
	CHECK_EQ(store_bump_seq(a, &seq), 0);
	CHECK_EQ(store_pending_add(a, seq, NOW, 0, "a change"), 0);
	CHECK_EQ(store_gw_set(a, 7, 9), 0);
	CHECK_EQ(store_repl_changes(a, collect, &rs), 0);
	CHECK_EQ(rs.n, 0);
	CHECK_EQ(store_commit(a), 0);
	/* recording ended with the transaction */
	CHECK_EQ(store_begin(a), 0);
	CHECK_EQ(store_repl_changes(a, collect, &rs), -EINVAL);
	store_rollback(a);
	rows_free(&rs);
	store_close(a);
}

/* Malformed rows from elsewhere: -EIO, and nothing of the batch stays. */
static void bad_rows(void)
{
	struct store *a = fresh(), *b = fresh();
	struct world w;
	struct rows before = { 0 };
	static const struct {
		const char *key, *val;
	} bad[] = {
		{ "owners/1", "{\"id\":1,\"name\":\"x\"}" },
		{ "t/owners", "{\"id\":1,\"name\":\"x\"}" },
		{ "t/nosuch/1", "{\"id\":1}" },
		{ "t/owners/1/2", "{\"id\":1,\"name\":\"x\"}" },
		{ "t/owners/abc", "{\"id\":1,\"name\":\"x\"}" },
		{ "t/owners/", "{\"id\":1,\"name\":\"x\"}" },
		{ "t/owners/77", "{\"id\":78,\"name\":\"x\"}" },       /* not the row its key names */
		{ "t/owners/77", "{\"name\":\"x\"}" },                 /* no primary key */
		{ "t/owners/77", "{\"id\":77,\"name\":\"x\",\"extra\":1}" },
		{ "t/owners/77", "[1,2]" },
		{ "t/owners/77", "{\"id\":77,\"name\":\"x\"} trailing" },
		{ "t/owners/77", "{\"id\":77" },
		{ "t/owners/77", "" },
		{ "t/key_uses/xzz", "{\"fp\":{\"x\":\"00\"}}" },
		{ "t/key_uses/x00", "{\"fp\":{\"x\":\"0\"}}" },
		{ "t/key_uses/x00", "{\"fp\":{\"y\":\"00\"}}" },
		{ "t/key_uses/x00", "{\"fp\":[]}" },
		{ "t/viewers/99", "{\"id\":99,\"name\":\"v\",\"stream_id\":12345,\"owner_id\":1,"
				  "\"dest\":\"10.0.0.1:1\",\"suite\":0,\"key\":null}" }, /* no such stream */
	};

	build(a, b, &w);
	/* the good row alone goes in (so each bad one below fails for itself) */
	{
		struct store_repl_row good = { "t/owners/500", 12, "{\"id\":500,\"name\":\"ok\"}", 22 };
		struct store_repl_row gone = { "t/owners/500", 12, NULL, 0 };
		struct store_owner o;

		CHECK_EQ(store_begin(b), 0);
		CHECK_EQ(store_repl_apply(b, &good, 1), 0);
		CHECK_EQ(store_commit(b), 0);
		CHECK_EQ(store_owner_by_id(b, 500, &o), 0);
		CHECK_EQ(store_begin(b), 0);
		CHECK_EQ(store_repl_apply(b, &gone, 1), 0);
		CHECK_EQ(store_commit(b), 0);
		CHECK_EQ(store_owner_by_id(b, 500, &o), -ENOENT);
	}
	dump(b, &before);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct store_repl_row r[2] = {
			{ "t/owners/500", 12, "{\"id\":500,\"name\":\"ok\"}", 22 },
			{ bad[i].key, strlen(bad[i].key), bad[i].val, strlen(bad[i].val) },
		};
		int rc;

		CHECK_EQ(store_begin(b), 0);
		rc = store_repl_apply(b, r, 2);
		if (rc == 0) /* foreign keys are checked at commit */
			rc = store_commit(b);
		else
			store_rollback(b);
		if (rc == 0)
			fprintf(stderr, "accepted: %s = %s\n", bad[i].key, bad[i].val);
		CHECK(rc < 0);
		store_rollback(b);
	}
	{
		struct rows after = { 0 };

		dump(b, &after);
		CHECK_EQ(after.n, before.n);
		rows_free(&after);
	}
	rows_free(&before);
	store_close(a);
	store_close(b);
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
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sgw-repl-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	if (RAND_bytes(kek, sizeof(kek)) != 1)
		return 1;
	RUN(every_table_classified);
	RUN(mirror_and_keys);
	RUN(cascade_delete);
	RUN(update_keeps_children);
	RUN(snapshot_into_fresh);
	RUN(local_tables_stay);
	RUN(bad_rows);
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return CHECK_DONE();
}
