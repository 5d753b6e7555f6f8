/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_control: the control protocol. Lines are parsed as
 * control/daemon/server.c's handle_line() does (json_tokener, one whole
 * object per line) and fed to ctl_handle() (control/daemon/cmds_*.c) on a
 * real store (SQLite and the key wrap of control/daemon/store_*.c) with the gateway
 * link down (gw_link_init on a path that does not exist): every change
 * commits without a gateway.
 *
 * Lines go through ctl_reply_line() (control/daemon/reply.c), as the
 * server's do, and the reply line is parsed back.
 *
 * Each input is one daemon life on a fresh database in a temporary
 * directory made once per process ($TMPDIR, else /dev/shm, else /tmp).
 * Byte 0 chooses the configuration (quarantine, rekey overlap, default
 * suite, idle timeout, port range) and the principals: without bit 0x80
 * every request acts for admin; with it, every other request acts for the
 * owner principal "alice" (or "bob" with bit 0x10), the token commands
 * and whoami join the command list, and some requests carry the last
 * token made (acting for its owner). The rest is a sequence of requests:
 * mostly commands from the command list with arguments chosen among
 * values that work and values that do not (a few names so that commands
 * meet, configured and foreign listen addresses, every suite, right and
 * wrong keys, wrong JSON types, unknown arguments, bad envelopes), and
 * sometimes a raw line from the input.
 *
 * Checked for every reply: a JSON object with a boolean "ok"; an error has
 * "error" (one line) and a known "code" and nothing else; a success has
 * "result". Keys: a "key" or "sdp" member appears only at the top of the
 * result of stream.add, stream.rekey, viewer.add, viewer.rekey, only when
 * the daemon generated the key (no key given, not plain), and then always,
 * with the suite's length and a matching SDP line; no key the harness
 * knows (given or generated earlier) appears anywhere else in any reply.
 * A change that fails changes nothing (owners, streams, viewers, grants
 * and ctl_seq as shown by the queries are identical); one that succeeds
 * bumps ctl_seq by one. After each input: status, owner.list, stream.show
 * and viewer.show agree (counts, owners, grants of at most 7 other owners,
 * unique listen endpoints in the configured range), every viewer's owner
 * is its stream's owner or holds a grant on it, and no key's bytes are in
 * the database files (keys are sealed at rest).
 *
 * For a request that acts for an owner: owner.add and owner.del fail; a
 * change that succeeds adds, deletes or alters only that owner's streams,
 * grants and viewers (or viewers on its streams); a query lists only what
 * it may see (its streams, streams it holds a grant on without their
 * listen address, source and suite, its viewers and those on its
 * streams, its tokens). A token appears only in the reply to the
 * token.add that made it, and in no database file.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "api/addr.h"
#include "api/suite.h"
#include "api/log.h"
#include "control/daemon/auth.h"
#include "control/daemon/daemon.h"
#include "fuzz_common.h"

#define MAX_SECRETS 128
#define MAX_TOKENS 32

static struct ctl_daemon d;
static struct ctl_peer admin_peer, owner_peer;
static bool auth_mode;       /* flags 0x80: principals other than admin */
static char tmpdir[256], dbpath[300];
static bool verbose;

static struct {
	uint64_t inputs, requests, raw, ok, changes_ok, keys_shown, as_owner, denied, tokens_made;
} st;

static void fz_summary(void)
{
	fprintf(stderr, "fuzz_control: %" PRIu64 " inputs, %" PRIu64 " requests (%" PRIu64 " raw lines), %"
		PRIu64 " ok, %" PRIu64 " changes committed, %" PRIu64 " generated keys shown; %" PRIu64
		" requests for an owner, %" PRIu64 " denied, %" PRIu64 " tokens made\n", st.inputs,
		st.requests, st.raw, st.ok, st.changes_ok, st.keys_shown, st.as_owner, st.denied, st.tokens_made);
}

/* ---- keys the harness knows ------------------------------------------------- */

struct secret {
	char b64[80];
	uint8_t raw[SGW_KEY_MAX];
	unsigned len;
	bool generated; /* the fuzzer cannot have typed it */
};

static struct secret secrets[MAX_SECRETS];
static unsigned n_secrets;

static void secret_add(const char *b64, bool generated)
{
	struct secret *s;
	uint8_t buf[SGW_KEY_MAX + 3];
	size_t n = strlen(b64);
	int k;

	if (n_secrets == MAX_SECRETS || n == 0 || n >= sizeof(s->b64) || n % 4 != 0)
		return;
	for (unsigned i = 0; i < n_secrets; i++)
		if (strcmp(secrets[i].b64, b64) == 0) {
			secrets[i].generated |= generated;
			return;
		}
	k = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
	if (k < 0)
		return;
	k -= (b64[n - 1] == '=') + (b64[n - 2] == '=');
	if (k < 16 || k > SGW_KEY_MAX)
		return;
	s = &secrets[n_secrets++];
	memcpy(s->b64, b64, n + 1);
	memcpy(s->raw, buf, (size_t)k);
	s->len = (unsigned)k;
	s->generated = generated;
}

/* Tokens made (their text, and the owner they act for). */
static struct {
	char text[64];
	char owner[STORE_NAME_MAX];
} tokens[MAX_TOKENS];
static unsigned n_tokens;

/* ---- requests ---------------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s)
{
	size_t k = strlen(s);

	if (b->n + k + 1 > b->cap) {
		b->cap = (b->n + k + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->n, s, k + 1);
	b->n += k;
}

enum kind { K_OWNER, K_STREAM, K_VIEWER, K_LISTEN, K_SOURCE, K_TO, K_SUITE, K_KEY, K_PLAIN, K_IDLE,
	    K_TOKEN, K_EXPIRES, K_MAX };

/* nine owners: enough for a stream's owner and its 7 grants, and one more */
static const char *const pool_owner[] = { "\"alice\"", "\"bob\"", "\"carol\"", "\"dave\"", "\"erin\"",
					  "\"frank\"", "\"grace\"", "\"heidi\"", "\"ivan\"" };
static const char *const pool_stream[] = { "\"s1\"", "\"s2\"", "\"s3\"", "\"cam.front-1\"" };
static const char *const pool_viewer[] = { "\"v1\"", "\"v2\"", "\"v3\"", "\"v4\"", "\"v5\"" };
static const char *const pool_listen[] = {
	"\"10.0.0.1\"", "\"10.0.0.1:5000\"", "\"10.0.0.1:5002\"", "\"[fd00::1]\"", "\"[fd00::1]:5004\"",
	"\"fd00::1\"", "\"10.0.0.9:5000\"", "\"10.0.0.1:0\"", "\"10.0.0.1:70000\"", "\"10.0.0.1:5001\"",
	"\"garbage\"", "\"[fd00::1\"", "\"10.0.0.1:5000x\"", "\"[10.0.0.1]:5000\"",
};
static const char *const pool_source[] = { "\"10.0.0.60\"", "\"10.0.0.60:4000\"", "\"[fd00::60]:4000\"",
					   "\"::\"", "\"x\"", "\"10.0.0.60:\"" };
static const char *const pool_to[] = { "\"10.0.0.50:6000\"", "\"[fd00::50]:6000\"", "\"10.0.0.50\"",
				       "\"8.8.8.8:7000\"", "\"x:1\"", "\"10.0.0.50:0\"", "\"[fd00::50]\"" };
static const char *const pool_suite[] = { "\"AES_CM_128_HMAC_SHA1_80\"", "\"AES_CM_128_HMAC_SHA1_32\"",
					  "\"AEAD_AES_128_GCM\"", "\"AEAD_AES_256_GCM\"", "\"PLAIN\"",
					  "\"plain\"", "\"aes\"" };
static char pool_key_buf[4][80];
static const char *pool_key[] = { pool_key_buf[0], pool_key_buf[1], pool_key_buf[2], pool_key_buf[3],
				  "\"AAAA\"", "\"!!!!\"", "\"A=AA\"", "\"QUJD\\n\"" };
static const char *const pool_plain[] = { "true", "false", "\"yes\"", "1", "null" };
static const char *const pool_idle[] = { "0", "30", "-1", "99999999999", "\"10\"", "31536000", "31536001",
					 "1.5" };
static const char *const pool_token[] = { "\"t1\"", "\"t2\"", "\"tok1\"", "\"tok2\"" };
static const char *const pool_expires[] = { "\"30d\"", "\"1s\"", "\"2020-01-01\"",
					    "\"2099-12-31T00:00:00Z\"", "\"10y\"", "\"0s\"", "\"99999w\"" };
/* wrong for every kind (or right by accident) */
static const char *const pool_bad[] = {
	"null", "7", "true", "[]", "{}", "\"\"", "\"bad name\"",
	"\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"",  /* 63: valid */
	"\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"", /* 64 */
	"\"\\u00e9t\\u00e9\"", "\"a\\u0000b\"", "1.5", "\"s1 \"", "-1", "\"alice\\u0000\"",
};

struct pool {
	const char *const *v;
	unsigned n;
};

#define POOL(p) { p, sizeof(p) / sizeof(p[0]) }
static const struct pool pools[K_MAX] = {
	[K_OWNER] = POOL(pool_owner), [K_STREAM] = POOL(pool_stream), [K_VIEWER] = POOL(pool_viewer),
	[K_LISTEN] = POOL(pool_listen), [K_SOURCE] = POOL(pool_source), [K_TO] = POOL(pool_to),
	[K_SUITE] = POOL(pool_suite), [K_KEY] = POOL(pool_key), [K_PLAIN] = POOL(pool_plain),
	[K_IDLE] = POOL(pool_idle), [K_TOKEN] = POOL(pool_token), [K_EXPIRES] = POOL(pool_expires),
};

struct arg {
	const char *name;
	enum kind kind;
	bool required;
};

struct cmd {
	const char *name;
	bool change;     /* of the gateway's state: moves ctl_seq */
	bool shows_key;
	struct arg args[8];
};

static const struct cmd cmds[] = {
	{ "owner.add", true, false, { { "name", K_OWNER, true } } },
	{ "owner.del", true, false, { { "name", K_OWNER, true } } },
	{ "owner.list", false, false, { { 0 } } },
	{ "stream.add", true, true, { { "name", K_STREAM, true }, { "owner", K_OWNER, true },
				      { "listen", K_LISTEN, false }, { "source", K_SOURCE, false },
				      { "suite", K_SUITE, false }, { "plain", K_PLAIN, false },
				      { "key", K_KEY, false }, { "idle_timeout", K_IDLE, false } } },
	{ "stream.del", true, false, { { "name", K_STREAM, true } } },
	{ "stream.rekey", true, true, { { "name", K_STREAM, true }, { "key", K_KEY, false } } },
	{ "stream.show", false, false, { { "name", K_STREAM, false } } },
	{ "viewer.add", true, true, { { "name", K_VIEWER, true }, { "stream", K_STREAM, true },
				      { "to", K_TO, true }, { "owner", K_OWNER, false },
				      { "suite", K_SUITE, false }, { "plain", K_PLAIN, false },
				      { "key", K_KEY, false } } },
	{ "viewer.del", true, false, { { "name", K_VIEWER, true } } },
	{ "viewer.rekey", true, true, { { "name", K_VIEWER, true }, { "suite", K_SUITE, false },
					{ "plain", K_PLAIN, false }, { "key", K_KEY, false } } },
	{ "viewer.show", false, false, { { "name", K_VIEWER, false }, { "stream", K_STREAM, false } } },
	{ "grant.add", true, false, { { "stream", K_STREAM, true }, { "to", K_OWNER, true } } },
	{ "grant.del", true, false, { { "stream", K_STREAM, true }, { "to", K_OWNER, true } } },
	{ "stats", false, false, { { "stream", K_STREAM, false } } },
	{ "status", false, false, { { 0 } } },
	{ "owner.rename", false, false, { { "name", K_OWNER, true } } }, /* no such command */
	/* only with flags 0x80 (the earlier inputs keep their meaning) */
	{ "token.add", false, false, { { "owner", K_OWNER, false }, { "name", K_TOKEN, false },
				       { "expires", K_EXPIRES, false } } },
	{ "token.list", false, false, { { "owner", K_OWNER, false } } },
	{ "token.del", false, false, { { "name", K_TOKEN, true } } },
	{ "whoami", false, false, { { 0 } } },
};
#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))
#define N_CMDS_ADMIN 16

/* What the request said, for the reply checks. */
struct req_info {
	const struct cmd *cmd;  /* NULL for a raw line */
	bool key_given, plain;
	int token;              /* index into tokens[] of the token it carries, or -1 */
};

static char *gen_request(struct fz *f, struct req_info *ri)
{
	struct sbuf b = { 0 };
	const struct cmd *c = &cmds[fz_pick(f, auth_mode ? N_CMDS : N_CMDS_ADMIN)];
	unsigned env = fz_pick(f, 24);
	bool first = true;

	memset(ri, 0, sizeof(*ri));
	ri->cmd = c;
	ri->token = -1;
	sb_add(&b, "{");
	if (auth_mode && env == 8) {
		/* the last token made, or one that never was */
		sb_add(&b, "\"token\":\"");
		sb_add(&b, n_tokens > 0 ? tokens[n_tokens - 1].text : "sgwt_never-made");
		sb_add(&b, "\",");
		ri->token = n_tokens > 0 ? (int)n_tokens - 1 : -2;
	}
	if (env != 0)
		sb_add(&b, env == 1 ? "\"v\":2," : env == 2 ? "\"v\":\"1\"," : env == 3 ? "\"v\":1.0," : "\"v\":1,");
	if (env == 4)
		sb_add(&b, "\"cmd\":7,");
	else {
		sb_add(&b, "\"cmd\":\"");
		sb_add(&b, c->name);
		sb_add(&b, "\",");
	}
	if (env == 5)
		sb_add(&b, "\"x\":1,");
	if (env == 6) {
		sb_add(&b, "\"args\":[]}");
		return b.p;
	}
	if (env == 7) {
		sb_add(&b, "\"args\":null}");
		return b.p;
	}
	sb_add(&b, "\"args\":{");
	for (unsigned i = 0; i < 8 && c->args[i].name != NULL; i++) {
		const struct arg *a = &c->args[i];
		unsigned x = fz_u8(f);
		const char *val;

		/* required: mostly there; optional: mostly absent */
		if (a->required ? x % 16 == 0 : x % 3 != 0)
			continue;
		if (x % 11 == 1)
			val = pool_bad[fz_pick(f, sizeof(pool_bad) / sizeof(pool_bad[0]))];
		else
			val = pools[a->kind].v[fz_pick(f, pools[a->kind].n)];
		if (a->kind == K_KEY && strcmp(val, "null") != 0)
			ri->key_given = true;
		if (a->kind == K_PLAIN && strcmp(val, "true") == 0)
			ri->plain = true;
		if (!first)
			sb_add(&b, ",");
		first = false;
		sb_add(&b, "\"");
		sb_add(&b, a->name);
		sb_add(&b, "\":");
		sb_add(&b, val);
	}
	if (fz_pick(f, 32) == 0)
		sb_add(&b, first ? "\"zzz\":1" : ",\"zzz\":1");
	sb_add(&b, "}}");
	return b.p;
}

/* The reply to one line, as the servers make it (ctl_reply_line),
 * parsed back. */
static struct json_object *handle_line(const struct ctl_peer *peer, const char *line, size_t len)
{
	struct json_object *reply;
	size_t n = 0;
	char *text = ctl_reply_line(&d, peer, line, len, &n);

	FZ_CHECK(text != NULL && n > 0 && text[n - 1] == '\n' && memchr(text, '\n', n - 1) == NULL,
		 "the reply is not one line");
	text[n - 1] = '\0';
	reply = json_tokener_parse(text);
	FZ_CHECK(reply != NULL, "the reply does not parse: %s", text);
	/* the check of keys in replies needs the text: re-serialised below */
	ctl_reply_free(text, n);
	return reply;
}

/* A query's result by command name (for the state checks). */
static struct json_object *query(const char *cmd)
{
	char line[128];
	struct json_object *r, *res;

	snprintf(line, sizeof(line), "{\"v\":1,\"cmd\":\"%s\"}", cmd);
	r = handle_line(&admin_peer, line, strlen(line));
	FZ_CHECK(json_object_object_get_ex(r, "ok", NULL) && json_object_get_boolean(json_object_object_get(r, "ok")),
		 "%s failed: %s", cmd, json_object_to_json_string(r));
	res = json_object_get(json_object_object_get(r, "result"));
	json_object_put(r);
	return res;
}

/* Owners, streams, viewers, grants, ctl_seq as admin sees them: an array
 * of the results of status, owner.list, stream.show, viewer.show. */
static struct json_object *state_get(void)
{
	static const char *const q[] = { "status", "owner.list", "stream.show", "viewer.show" };
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; i < 4; i++)
		json_object_array_add(a, query(q[i]));
	return a;
}

static char *state_text_of(struct json_object *state)
{
	struct sbuf b = { 0 };

	for (unsigned i = 0; i < 4; i++) {
		sb_add(&b, json_object_to_json_string_ext(json_object_array_get_idx(state, i), JSON_C_TO_STRING_PLAIN));
		sb_add(&b, "\n");
	}
	return b.p;
}


/* ---- reply checks ------------------------------------------------------------ */

static bool code_known(const char *c)
{
	static const char *const codes[] = { "EINVAL", "ENOENT", "EEXIST", "EPERM", "EADDRINUSE",
					     "EADDRNOTAVAIL", "ENOSPC", "EPROTO", "EHOSTUNREACH",
					     "EHOSTDOWN", "ENOMEM", "EIO", "EACCES", "EKEYEXPIRED" };

	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(c, codes[i]) == 0)
			return true;
	return false;
}

/* No member named key, sdp or token anywhere below o. */
static void no_key_members(struct json_object *o, const char *where)
{
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			FZ_CHECK(strcmp(k, "key") != 0 && strcmp(k, "sdp") != 0 && strcmp(k, "token") != 0,
				 "a \"%s\" member in %s", k, where);
			no_key_members(v, where);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			no_key_members(json_object_array_get_idx(o, i), where);
	}
}

/* A "token" member: only at the top of token.add's result, "sgwt_" and
 * 43 characters of base64url; then known (and removed from res). */
static void check_token_member(struct json_object *res, const struct req_info *ri, bool raw)
{
	struct json_object *tok, *owner;
	const char *t;

	if (!json_object_object_get_ex(res, "token", &tok))
		return;
	FZ_CHECK(raw || (ri->cmd != NULL && strcmp(ri->cmd->name, "token.add") == 0), "%s: a token in its reply",
		 ri->cmd != NULL ? ri->cmd->name : "(raw)");
	FZ_CHECK(json_object_is_type(tok, json_type_string) && json_object_get_string_len(tok) == 48,
		 "token of the wrong form");
	t = json_object_get_string(tok);
	FZ_CHECK(strncmp(t, "sgwt_", 5) == 0 &&
		 strspn(t + 5, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43,
		 "token of the wrong form: %s", t);
	FZ_CHECK(json_object_object_get_ex(res, "owner", &owner) && json_object_is_type(owner, json_type_string),
		 "token.add without its owner");
	if (n_tokens < MAX_TOKENS) {
		snprintf(tokens[n_tokens].text, sizeof(tokens[n_tokens].text), "%s", t);
		snprintf(tokens[n_tokens].owner, sizeof(tokens[n_tokens].owner), "%s", json_object_get_string(owner));
		n_tokens++;
	}
	st.tokens_made++;
	json_object_object_del(res, "token");
}

static void check_reply(struct json_object *r, const struct req_info *ri, bool raw)
{
	const char *cmd = ri->cmd ? ri->cmd->name : "(raw)";
	struct json_object *ok, *res, *key = NULL, *sdp = NULL, *suite = NULL;
	const char *text;

	FZ_CHECK(r != NULL && json_object_is_type(r, json_type_object), "%s: reply is not an object", cmd);
	FZ_CHECK(json_object_object_get_ex(r, "ok", &ok) && json_object_is_type(ok, json_type_boolean),
		 "%s: reply without a boolean ok: %s", cmd, json_object_to_json_string(r));
	if (!json_object_get_boolean(ok)) {
		struct json_object *e, *c;
		FZ_CHECK(json_object_object_get_ex(r, "error", &e) && json_object_is_type(e, json_type_string) &&
			 json_object_get_string_len(e) > 0 && strchr(json_object_get_string(e), '\n') == NULL,
			 "%s: error without a one-line message", cmd);
		FZ_CHECK(json_object_object_get_ex(r, "code", &c) && json_object_is_type(c, json_type_string) &&
			 code_known(json_object_get_string(c)), "%s: unknown error code", cmd);
		FZ_CHECK(json_object_object_length(r) == 3, "%s: error reply with extra members: %s", cmd,
			 json_object_to_json_string(r));
	} else {
		st.ok++;
		struct json_object *pend = NULL, *warn = NULL;
		/* a change the gateway (down here) has not applied: "pending"
		 * true and a one-line "warning", nothing else besides */
		if (json_object_object_get_ex(r, "pending", &pend))
			FZ_CHECK(json_object_is_type(pend, json_type_boolean) && json_object_get_boolean(pend) &&
				 json_object_object_get_ex(r, "warning", &warn) &&
				 json_object_is_type(warn, json_type_string) &&
				 strchr(json_object_get_string(warn), '\n') == NULL,
				 "%s: pending without its warning", cmd);
		FZ_CHECK(json_object_object_get_ex(r, "result", &res) && json_object_is_type(res, json_type_object) &&
			 json_object_object_length(r) == (pend != NULL ? 4 : 2),
			 "%s: success without a result object", cmd);
		json_object_object_get_ex(res, "key", &key);
		json_object_object_get_ex(res, "sdp", &sdp);
		json_object_object_get_ex(res, "suite", &suite);
		if (key != NULL || sdp != NULL) {
			/* only the creating commands, only a generated key */
			FZ_CHECK(ri->cmd != NULL ? ri->cmd->shows_key && !ri->key_given && !ri->plain :
				 raw, "%s: key in a reply (given %d plain %d)", cmd, ri->key_given, ri->plain);
			FZ_CHECK(key != NULL && sdp != NULL && json_object_is_type(key, json_type_string) &&
				 json_object_is_type(sdp, json_type_string) && suite != NULL,
				 "%s: key without sdp or suite", cmd);
			const struct sgw_suite_info *si = NULL;
			enum sgw_suite s;
			char want[200];
			if (sgw_suite_by_name(json_object_get_string(suite), &s) == 0)
				si = sgw_suite_info(s);
			FZ_CHECK(si != NULL && s != SGW_SUITE_PLAIN, "%s: key for suite %s", cmd,
				 json_object_get_string(suite));
			FZ_CHECK(json_object_get_string_len(key) == (int)(4 * ((si->key_len + si->salt_len + 2) / 3)),
				 "%s: key of the wrong length for %s", cmd, si->name);
			snprintf(want, sizeof(want), "a=crypto:1 %s inline:%s", si->name, json_object_get_string(key));
			FZ_CHECK(strcmp(want, json_object_get_string(sdp)) == 0, "%s: sdp does not match", cmd);
			secret_add(json_object_get_string(key), true);
			st.keys_shown++;
			/* the rest of the reply is checked without them */
			json_object_object_del(res, "key");
			json_object_object_del(res, "sdp");
		} else if (ri->cmd != NULL && ri->cmd->shows_key && !ri->key_given && !ri->plain && suite != NULL &&
			   strcmp(json_object_get_string(suite), "plain") != 0) {
			FZ_CHECK(0, "%s: generated a key but did not show it", cmd);
		}
		check_token_member(res, ri, raw);
	}
	no_key_members(r, cmd);
	text = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	FZ_CHECK(raw || strstr(text, "inline:") == NULL, "%s: SDP key line in a reply: %s", cmd, text);
	for (unsigned i = 0; i < n_secrets; i++)
		if (secrets[i].generated || !raw)
			FZ_CHECK(strstr(text, secrets[i].b64) == NULL, "%s: a key in a reply: %s", cmd, text);
	for (unsigned i = 0; i < n_tokens; i++)
		FZ_CHECK(strstr(text, tokens[i].text) == NULL, "%s: a token in a reply: %s", cmd, text);
}

/* ---- state checks ------------------------------------------------------------ */

static struct json_object *find_named(struct json_object *arr, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *n;
		if (json_object_object_get_ex(o, "name", &n) && strcmp(json_object_get_string(n), name) == 0)
			return o;
	}
	return NULL;
}

static const char *str_of(struct json_object *o, const char *k)
{
	struct json_object *v;

	FZ_CHECK(json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string),
		 "no string %s in %s", k, json_object_to_json_string(o));
	return json_object_get_string(v);
}

static int64_t int_of(struct json_object *o, const char *k)
{
	struct json_object *v;

	FZ_CHECK(json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int),
		 "no integer %s in %s", k, json_object_to_json_string(o));
	return json_object_get_int64(v);
}

static void check_state(uint64_t changes)
{
	struct json_object *status = query("status"), *ol = query("owner.list"), *ss = query("stream.show"),
			   *vs = query("viewer.show");
	struct json_object *owners = json_object_object_get(ol, "owners"),
			   *streams = json_object_object_get(ss, "streams"),
			   *viewers = json_object_object_get(vs, "viewers");
	int64_t sum_s = 0, sum_v = 0;

	FZ_CHECK(strcmp(str_of(status, "gateway"), "disconnected") == 0, "gateway link up");
	/* every committed change took at least one number */
	FZ_CHECK((uint64_t)int_of(status, "ctl_seq") >= changes, "ctl_seq %" PRId64 " after %" PRIu64
		 " committed changes", int_of(status, "ctl_seq"), changes);
	FZ_CHECK(int_of(status, "owners") == (int64_t)json_object_array_length(owners) &&
		 int_of(status, "streams") == (int64_t)json_object_array_length(streams) &&
		 int_of(status, "viewers") == (int64_t)json_object_array_length(viewers),
		 "status counts differ from the lists");
	for (size_t i = 0; i < json_object_array_length(owners); i++) {
		struct json_object *o = json_object_array_get_idx(owners, i);
		sum_s += int_of(o, "streams");
		sum_v += int_of(o, "viewers");
	}
	FZ_CHECK(sum_s == (int64_t)json_object_array_length(streams), "owner.list stream counts");
	FZ_CHECK(sum_v == (int64_t)json_object_array_length(viewers), "owner.list viewer counts");
	for (size_t i = 0; i < json_object_array_length(streams); i++) {
		struct json_object *s = json_object_array_get_idx(streams, i), *g, *vl;
		const char *owner = str_of(s, "owner"), *listen = str_of(s, "listen");
		FZ_CHECK(find_named(owners, owner) != NULL, "stream %s of unknown owner %s", str_of(s, "name"), owner);
		for (size_t j = 0; j < i; j++)
			FZ_CHECK(strcmp(listen, str_of(json_object_array_get_idx(streams, j), "listen")) != 0,
				 "two streams listen on %s", listen);
		FZ_CHECK(json_object_object_get_ex(s, "grants", &g) && json_object_array_length(g) <= SGW_MAX_GRANTS,
			 "stream %s grants", str_of(s, "name"));
		for (size_t j = 0; j < json_object_array_length(g); j++) {
			const char *gn = json_object_get_string(json_object_array_get_idx(g, j));
			FZ_CHECK(strcmp(gn, owner) != 0 && find_named(owners, gn) != NULL,
				 "stream %s: grant to %s", str_of(s, "name"), gn);
		}
		FZ_CHECK(json_object_object_get_ex(s, "viewers", &vl), "viewers");
		for (size_t j = 0; j < json_object_array_length(vl); j++) {
			struct json_object *v = find_named(viewers, json_object_get_string(json_object_array_get_idx(vl, j)));
			FZ_CHECK(v != NULL && strcmp(str_of(v, "stream"), str_of(s, "name")) == 0,
				 "stream %s lists a viewer that is not its own", str_of(s, "name"));
		}
	}
	for (size_t i = 0; i < json_object_array_length(viewers); i++) {
		struct json_object *v = json_object_array_get_idx(viewers, i), *g;
		struct json_object *s = find_named(streams, str_of(v, "stream"));
		const char *vo = str_of(v, "owner");
		bool allowed;
		FZ_CHECK(s != NULL, "viewer %s of a stream that does not exist", str_of(v, "name"));
		allowed = strcmp(vo, str_of(s, "owner")) == 0;
		g = json_object_object_get(s, "grants");
		for (size_t j = 0; !allowed && j < json_object_array_length(g); j++)
			allowed = strcmp(vo, json_object_get_string(json_object_array_get_idx(g, j))) == 0;
		FZ_CHECK(allowed, "viewer %s of owner %s receives stream %s of %s without a grant",
			 str_of(v, "name"), vo, str_of(s, "name"), str_of(s, "owner"));
	}
	json_object_put(status);
	json_object_put(ol);
	json_object_put(ss);
	json_object_put(vs);
}

/* ---- what an owner principal may do and see ----------------------------------- */

static struct json_object *list_of(struct json_object *state, unsigned i, const char *name)
{
	return json_object_object_get(json_object_array_get_idx(state, i), name);
}

static bool is(struct json_object *o, const char *k, const char *v)
{
	struct json_object *m;

	return json_object_object_get_ex(o, k, &m) && json_object_is_type(m, json_type_string) &&
	       strcmp(json_object_get_string(m), v) == 0;
}

/* o without the members that move without a change (or that a change of
 * another object moves): compared to tell whether o itself changed. */
static struct json_object *core_of(struct json_object *o)
{
	struct json_object *c = json_object_new_object();

	json_object_object_foreach(o, k, v) {
		if (strcmp(k, "viewers") != 0 && strcmp(k, "idle") != 0 && strcmp(k, "position") != 0)
			json_object_object_add(c, k, json_object_get(v));
	}
	return c;
}

/* Streams (with their grants) and viewers added, deleted or altered
 * between two states: each must be who's, or a viewer on who's stream. */
static void check_changed_by(struct json_object *before, struct json_object *after, const char *who, const char *cmd)
{
	for (int pass = 0; pass < 2; pass++) {
		struct json_object *from = pass ? after : before, *to = pass ? before : after;
		struct json_object *sf = list_of(from, 2, "streams"), *st_to = list_of(to, 2, "streams");
		struct json_object *vf = list_of(from, 3, "viewers"), *vt = list_of(to, 3, "viewers");

		for (size_t i = 0; i < json_object_array_length(sf); i++) {
			struct json_object *a = json_object_array_get_idx(sf, i);
			struct json_object *b = find_named(st_to, str_of(a, "name"));
			struct json_object *ca = core_of(a), *cb = b != NULL ? core_of(b) : NULL;
			bool same = cb != NULL && json_object_equal(ca, cb);
			json_object_put(ca);
			json_object_put(cb);
			FZ_CHECK(same || is(a, "owner", who), "%s for owner %s changed stream %s of %s", cmd, who,
				 str_of(a, "name"), str_of(a, "owner"));
		}
		for (size_t i = 0; i < json_object_array_length(vf); i++) {
			struct json_object *a = json_object_array_get_idx(vf, i);
			struct json_object *b = find_named(vt, str_of(a, "name"));
			struct json_object *s = find_named(sf, str_of(a, "stream"));
			if (b != NULL && json_object_equal(a, b))
				continue;
			FZ_CHECK(is(a, "owner", who) || (s != NULL && is(s, "owner", who)),
				 "%s for owner %s changed viewer %s of %s", cmd, who, str_of(a, "name"), str_of(a, "owner"));
		}
	}
	FZ_CHECK(json_object_array_length(list_of(before, 1, "owners")) ==
		 json_object_array_length(list_of(after, 1, "owners")), "%s for owner %s changed the owners", cmd, who);
}

static bool granted(struct json_object *stream, const char *who)
{
	struct json_object *g = json_object_object_get(stream, "grants");

	for (size_t j = 0; j < json_object_array_length(g); j++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(g, j)), who) == 0)
			return true;
	return false;
}

/* A query's result for owner who lists only what who may see. */
static void check_visible(struct json_object *res, const char *who, const char *cmd)
{
	struct json_object *state = state_get(), *streams = list_of(state, 2, "streams"), *a;

	if (strcmp(cmd, "owner.list") == 0 && json_object_object_get_ex(res, "owners", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			FZ_CHECK(is(json_object_array_get_idx(a, i), "name", who), "%s for %s lists another owner", cmd, who);
	if (strcmp(cmd, "stream.show") == 0 && json_object_object_get_ex(res, "streams", &a)) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *o = json_object_array_get_idx(a, i);
			struct json_object *s = find_named(streams, str_of(o, "name"));
			FZ_CHECK(s != NULL && (is(s, "owner", who) || granted(s, who)), "%s for %s shows stream %s",
				 cmd, who, str_of(o, "name"));
			if (!is(s, "owner", who))
				FZ_CHECK(!json_object_object_get_ex(o, "listen", NULL) &&
					 !json_object_object_get_ex(o, "source", NULL) &&
					 !json_object_object_get_ex(o, "suite", NULL),
					 "%s for %s shows where granted stream %s comes from", cmd, who, str_of(o, "name"));
		}
	}
	if (strcmp(cmd, "viewer.show") == 0 && json_object_object_get_ex(res, "viewers", &a)) {
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *o = json_object_array_get_idx(a, i);
			struct json_object *s = find_named(streams, str_of(o, "stream"));
			FZ_CHECK(is(o, "owner", who) || (s != NULL && is(s, "owner", who)), "%s for %s shows viewer %s",
				 cmd, who, str_of(o, "name"));
		}
	}
	if (strcmp(cmd, "status") == 0)
		FZ_CHECK(json_object_get_int(json_object_object_get(res, "owners")) == 1, "status for %s counts owners",
			 who);
	if (strcmp(cmd, "token.list") == 0 && json_object_object_get_ex(res, "tokens", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			FZ_CHECK(is(json_object_array_get_idx(a, i), "owner", who), "%s for %s lists another's token",
				 cmd, who);
	json_object_put(state);
}

/* Keys are sealed at rest: no key's bytes in the database files. */
static void check_files(void)
{
	static const char *const sfx[] = { "", "-wal", "-journal" };
	char path[320];

	for (unsigned i = 0; i < 3; i++) {
		FILE *fp;
		uint8_t *buf;
		long n;

		snprintf(path, sizeof(path), "%s%s", dbpath, sfx[i]);
		fp = fopen(path, "rb");
		if (fp == NULL)
			continue;
		fseek(fp, 0, SEEK_END);
		n = ftell(fp);
		rewind(fp);
		buf = malloc(n > 0 ? (size_t)n : 1);
		if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n)
			abort();
		fclose(fp);
		for (unsigned k = 0; k < n_secrets; k++)
			FZ_CHECK(memmem(buf, (size_t)n, secrets[k].raw, secrets[k].len) == NULL,
				 "key %u in plain text in %s", k, path);
		for (unsigned k = 0; k < n_tokens; k++)
			FZ_CHECK(memmem(buf, (size_t)n, tokens[k].text, strlen(tokens[k].text)) == NULL,
				 "token %u in plain text in %s", k, path);
		free(buf);
	}
}

/* ---- one input: one daemon life ---------------------------------------------- */

static void cleanup(void);

static void init_once(void)
{
	static bool done;
	const char *base = getenv("TMPDIR");
	struct stat sb;

	if (done)
		return;
	done = true;
	verbose = getenv("SGW_FUZZ_VERBOSE") != NULL;
	sgw_log_level = verbose ? LOG_DEBUG : -1; /* the daemon's own log lines */
	if (base == NULL || base[0] == '\0')
		base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/fuzz_control.XXXXXX", base);
	FZ_CHECK(mkdtemp(tmpdir) != NULL, "mkdtemp %s", tmpdir);
	snprintf(dbpath, sizeof(dbpath), "%s/control.db", tmpdir);
	/* valid keys of each length: 30 (AES_CM), 28 (AES-128-GCM), 44 (AES-256-GCM) */
	static const unsigned lens[4] = { 30, 30, 28, 44 };
	for (unsigned i = 0; i < 4; i++) {
		uint8_t raw[SGW_KEY_MAX];
		char b64[72];
		for (unsigned j = 0; j < lens[i]; j++)
			raw[j] = (uint8_t)(0x5a ^ (j * 13 + i * 101));
		EVP_EncodeBlock((unsigned char *)b64, raw, (int)lens[i]);
		snprintf(pool_key_buf[i], sizeof(pool_key_buf[i]), "\"%s\"", b64);
	}
	if (getenv("SGW_FUZZ_STATS") != NULL)
		atexit(fz_summary);
	atexit(cleanup);
}

static void remove_db(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char path[320];

	for (unsigned i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s%s", dbpath, sfx[i]);
		unlink(path);
	}
}

static void cleanup(void)
{
	remove_db();
	rmdir(tmpdir);
}

static void setup(uint8_t flags)
{
	uint8_t kek[32];
	char err[512];

	memset(&d, 0, sizeof(d));
	d.cfg.n_listen = 2;
	sgw_addr_parse("10.0.0.1", &d.cfg.listen[0]);
	sgw_addr_parse("fd00::1", &d.cfg.listen[1]);
	d.cfg.port_min = 5000;
	d.cfg.port_max = flags & 0x40 ? 5004 : 5009;
	d.cfg.quarantine_s = flags & 1 ? 60 : 0;
	d.cfg.rekey_overlap_s = flags & 2 ? 30 : 0;
	d.cfg.idle_timeout_s = flags & 0x20 ? 30 : 0;
	d.cfg.default_suite = (uint8_t)(1 + ((flags >> 2) & 3));
	d.cfg.retry_ms = 1000;
	auth_mode = flags & 0x80;
	ctl_peer_admin(&admin_peer, "the fuzz harness");
	memset(&owner_peer, 0, sizeof(owner_peer));
	owner_peer.mapped = true;
	snprintf(owner_peer.principal, sizeof(owner_peer.principal), flags & 0x10 ? "bob" : "alice");
	snprintf(owner_peer.who, sizeof(owner_peer.who), "the fuzz harness as %s", owner_peer.principal);
	/* nobody listens there: every change commits without a gateway */
	snprintf(d.cfg.agent_socket, sizeof(d.cfg.agent_socket), "/nonexistent/srtpgw-fuzz/agent.sock");
	gw_link_init(&d.gw, d.cfg.agent_socket);
	for (unsigned i = 0; i < sizeof(kek); i++)
		kek[i] = (uint8_t)(i * 3 + 1);
	remove_db();
	FZ_CHECK(store_open(dbpath, kek, &d.store, err, sizeof(err)) == 0, "store_open: %s", err);
}

static void teardown(void)
{
	store_close(d.store);
	d.store = NULL;
	check_files();
	remove_db();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint64_t changes = 0;
	unsigned n_req = 0;

	if (size > 2048)
		return 0;
	init_once();
	st.inputs++;
	n_secrets = 0;
	n_tokens = 0;
	setup(fz_u8(&f));
	/* the harness's valid keys are secrets once given */
	for (unsigned i = 0; i < 4; i++) {
		char b64[80];
		snprintf(b64, sizeof(b64), "%s", pool_key_buf[i] + 1);
		b64[strlen(b64) - 1] = '\0';
		secret_add(b64, false);
	}
	while (!fz_empty(&f) && n_req++ < 64) {
		struct req_info ri;
		struct json_object *reply, *before = NULL, *res;
		const struct ctl_peer *peer = &admin_peer;
		const char *who = NULL; /* the owner it acts for, NULL for admin */
		char *line;
		size_t len;
		bool raw = fz_pick(&f, 12) == 0, ok;

		if (raw) {
			/* up to a newline, as control/daemon/server.c splits lines */
			size_t n = 1 + fz_u8(&f) % 128, k = 0;
			line = malloc(n + 1);
			if (line == NULL)
				abort();
			while (k < n && !fz_empty(&f)) {
				uint8_t c = fz_u8(&f);
				if (c == '\n')
					break;
				line[k++] = (char)c;
			}
			line[k] = '\0';
			len = k;
			memset(&ri, 0, sizeof(ri));
			ri.token = -1;
			st.raw++;
		} else {
			line = gen_request(&f, &ri);
			len = strlen(line);
			if (auth_mode && n_req % 2 == 0) {
				peer = &owner_peer;
				who = owner_peer.principal;
			}
			if (ri.token >= 0)
				who = tokens[ri.token].owner;
		}
		if (ri.cmd != NULL && ri.cmd->change)
			before = state_get();
		if (verbose)
			fprintf(stderr, "%s%s> %.*s\n", who ? "for " : "", who ? who : "", (int)len, line);
		st.requests++;
		st.as_owner += who != NULL;
		reply = handle_line(peer, line, len);
		if (verbose)
			fprintf(stderr, "< %s\n", json_object_to_json_string(reply));
		ok = json_object_get_boolean(json_object_object_get(reply, "ok"));
		st.denied += !ok && is(reply, "code", "EACCES");
		check_reply(reply, &ri, raw);
		res = json_object_object_get(reply, "result");
		if (ok && ri.cmd != NULL && ri.cmd->change) {
			changes++;
			st.changes_ok++;
		}
		/* a token never made, or one that a token made: refused */
		FZ_CHECK(ri.token != -2 || is(reply, "code", "EACCES"), "a token never made was accepted");
		if (ri.token >= 0 && ri.cmd != NULL && strcmp(ri.cmd->name, "token.add") == 0)
			FZ_CHECK(!ok, "a token made a token");
		if (who != NULL && ri.cmd != NULL) {
			FZ_CHECK(!ok || strncmp(ri.cmd->name, "owner.", 6) != 0 || strcmp(ri.cmd->name, "owner.list") == 0,
				 "%s succeeded for owner %s", ri.cmd->name, who);
			if (ok && !ri.cmd->change)
				check_visible(res, who, ri.cmd->name);
			if (ok && strcmp(ri.cmd->name, "whoami") == 0)
				FZ_CHECK(is(res, "principal", who), "whoami for %s", who);
		}
		if (before != NULL) {
			struct json_object *after = state_get();
			if (!ok && !json_object_equal(before, after)) {
				char *b = state_text_of(before), *a = state_text_of(after);
				fprintf(stderr, "before:\n%s\nafter:\n%s\n", b, a);
				FZ_CHECK(0, "%s failed but changed the state", ri.cmd->name);
			}
			if (ok)
				FZ_CHECK(json_object_get_int64(json_object_object_get(json_object_array_get_idx(after, 0),
										 "ctl_seq")) >
					 json_object_get_int64(json_object_object_get(json_object_array_get_idx(before, 0),
										 "ctl_seq")),
					 "%s committed without a new ctl_seq", ri.cmd->name);
			if (ok && who != NULL)
				check_changed_by(before, after, who, ri.cmd->name);
			json_object_put(after);
			json_object_put(before);
		}
		/* given keys that were accepted are secrets from now on */
		json_object_put(reply);
		free(line);
	}
	check_state(changes);
	teardown();
	return 0;
}
