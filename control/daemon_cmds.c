/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The commands of the control protocol (docs/control-protocol.md): checks,
 * ownership rules, keys, listen ports, and the agent ops of each change.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "api/addr.h"
#include "api/srtpgw_counters.h"
#include "api/suite.h"
#include "api/log.h"
#include "control/daemon.h"


static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -code;
}

/* ---- arguments ------------------------------------------------------------ */

struct args {
	struct json_object *o;
	char *err;
	size_t errlen;
};

static const char *arg_str(struct args *a, const char *key)
{
	struct json_object *v;
	const char *s;

	if (a->o == NULL || !json_object_object_get_ex(a->o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, json_type_string))
		return "";
	s = json_object_get_string(v);
	/* "ok\u0000evil" is not the name "ok": a value with a NUL in it is
	 * no valid name, address, suite or key */
	return strlen(s) == (size_t)json_object_get_string_len(v) ? s : "";
}

static bool arg_bool(struct args *a, const char *key)
{
	struct json_object *v;

	return a->o != NULL && json_object_object_get_ex(a->o, key, &v) && json_object_get_boolean(v);
}

/* Every argument known, of the right JSON type. */
static int check_args(struct args *a, const char *const *str_keys, const char *const *other_keys)
{
	if (a->o == NULL)
		return 0;
	if (!json_object_is_type(a->o, json_type_object))
		return fail(a->err, a->errlen, EPROTO, "args must be an object");
	json_object_object_foreach(a->o, key, val) {
		bool ok = false;
		for (int i = 0; str_keys && str_keys[i] && !ok; i++) {
			if (strcmp(key, str_keys[i]) == 0) {
				if (!json_object_is_type(val, json_type_string) &&
				    !json_object_is_type(val, json_type_null))
					return fail(a->err, a->errlen, EINVAL, "%s must be a string", key);
				ok = true;
			}
		}
		for (int i = 0; other_keys && other_keys[i] && !ok; i++)
			ok = strcmp(key, other_keys[i]) == 0;
		if (!ok)
			return fail(a->err, a->errlen, EINVAL, "unknown argument \"%.40s\"", key);
	}
	return 0;
}

static bool name_ok(const char *n)
{
	size_t len = n ? strlen(n) : 0;

	if (len == 0 || len >= STORE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

static int need_name(struct args *a, const char *key, const char **out)
{
	*out = arg_str(a, key);
	if (*out == NULL)
		return fail(a->err, a->errlen, EINVAL, "%s is required", key);
	if (!name_ok(*out))
		return fail(a->err, a->errlen, EINVAL, "%s: names are 1 to 63 characters of A-Z a-z 0-9 _ . -", key);
	return 0;
}

/* ---- keys ---------------------------------------------------------------- */

/* suite/plain/key arguments -> *key; *generated set when we made it. */
static int key_from_args(struct ctl_daemon *d, struct args *a, struct sgw_key *key, bool *generated)
{
	const char *suite = arg_str(a, "suite"), *b64 = arg_str(a, "key");
	enum sgw_suite s = (enum sgw_suite)d->cfg.default_suite;
	uint8_t buf[SGW_KEY_MAX + 3];
	unsigned want;
	size_t blen;
	int n;

	memset(key, 0, sizeof(*key));
	*generated = false;
	if (arg_bool(a, "plain")) {
		if (suite || b64)
			return fail(a->err, a->errlen, EINVAL, "plain excludes suite and key");
		key->suite = SGW_SUITE_PLAIN;
		return 0;
	}
	if (suite != NULL && (sgw_suite_by_name(suite, &s) != 0 || s == SGW_SUITE_PLAIN))
		return fail(a->err, a->errlen, EINVAL, "unknown suite \"%.40s\" (AES_CM_128_HMAC_SHA1_80, "
			    "AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM)", suite);
	want = sgw_suite_master_len(s);
	key->suite = (uint8_t)s;
	key->len = (uint8_t)want;
	if (b64 == NULL) {
		*generated = true;
		return RAND_bytes(key->material, (int)want) == 1 ? 0 :
			fail(a->err, a->errlen, EIO, "the CSPRNG failed");
	}
	blen = strlen(b64);
	if (blen == 0 || blen % 4 != 0 || blen > 4 * ((SGW_KEY_MAX + 2) / 3))
		return fail(a->err, a->errlen, EINVAL, "key: %s needs base64 of %u bytes (key and salt)",
			    sgw_suite_info(s)->name, want);
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)blen);
	if (n >= 0)
		n -= (b64[blen - 1] == '=') + (b64[blen - 2] == '=');
	if (n < 0 || (unsigned)n != want) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return fail(a->err, a->errlen, EINVAL, "key: %s needs base64 of %u bytes (key and salt)",
			    sgw_suite_info(s)->name, want);
	}
	memcpy(key->material, buf, want);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* The key and its SDP line in the reply: shown this once. */
static void add_key(struct json_object *r, const struct sgw_key *k)
{
	char b64[4 * ((SGW_KEY_MAX + 2) / 3) + 1], sdp[160];

	EVP_EncodeBlock((unsigned char *)b64, k->material, k->len);
	snprintf(sdp, sizeof(sdp), "a=crypto:1 %s inline:%s", sgw_suite_info(k->suite)->name, b64);
	json_object_object_add(r, "key", json_object_new_string(b64));
	json_object_object_add(r, "sdp", json_object_new_string(sdp));
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(sdp, sizeof(sdp));
}

static struct json_object *jstr_suite(unsigned suite)
{
	return json_object_new_string(suite == SGW_SUITE_PLAIN ? "plain" : sgw_suite_info(suite)->name);
}

static struct json_object *jstr_endpoint(const struct sgw_endpoint *e)
{
	char buf[SGW_ADDR_STRLEN + 8];

	if (e->addr.family == SGW_AF_NONE)
		return NULL;
	if (e->port == 0)
		return json_object_new_string(sgw_addr_format(&e->addr, buf, sizeof(buf)));
	return json_object_new_string(sgw_endpoint_format(e, buf, sizeof(buf)));
}

/* ---- lookups ------------------------------------------------------------- */

static int owner_get(struct ctl_daemon *d, const char *name, struct store_owner *o, char *err, size_t errlen)
{
	int rc = store_owner_by_name(d->store, name, o);

	if (rc == -ENOENT)
		return fail(err, errlen, ENOENT, "no owner named \"%s\"", name);
	return rc == 0 ? 0 : fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

static int stream_get(struct ctl_daemon *d, const char *name, struct store_stream *st, char *err,
		      size_t errlen)
{
	int rc = store_stream_by_name(d->store, name, st);

	if (rc == -ENOENT)
		return fail(err, errlen, ENOENT, "no stream named \"%s\"", name);
	return rc == 0 ? 0 : fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

static int viewer_get(struct ctl_daemon *d, const char *name, struct store_viewer *v, char *err,
		      size_t errlen)
{
	int rc = store_viewer_by_name(d->store, name, v);

	if (rc == -ENOENT)
		return fail(err, errlen, ENOENT, "no viewer named \"%s\"", name);
	return rc == 0 ? 0 : fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

static const char *owner_name(struct ctl_daemon *d, int64_t id, struct store_owner *o)
{
	if (store_owner_by_id(d->store, id, o) != 0)
		snprintf(o->name, sizeof(o->name), "#%lld", (long long)id);
	return o->name;
}

static int db(struct ctl_daemon *d, int rc, char *err, size_t errlen, const char *what)
{
	if (rc == 0)
		return 0;
	if (rc == -EEXIST)
		return fail(err, errlen, EEXIST, "%s already exists", what);
	if (rc == -ENOENT)
		return fail(err, errlen, ENOENT, "%s does not exist", what);
	if (rc == -EADDRINUSE)
		return fail(err, errlen, EADDRINUSE, "%s: listen address in use", what);
	if (rc == -ENOMEM)
		return fail(err, errlen, ENOMEM, "out of memory");
	return fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

/* ---- changes ------------------------------------------------------------- */

static const char *errno_name(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case EPERM: return "EPERM";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENOSPC: return "ENOSPC";
	case EPROTO: return "EPROTO";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EHOSTDOWN: return "EHOSTDOWN";
	case ENOMEM: return "ENOMEM";
	default: return "EIO";
	}
}

int ctl_change(struct ctl_daemon *d,
	       int (*fn)(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen),
	       void *arg, char *err, size_t errlen)
{
	struct gw_ops ops;
	uint64_t seq;
	uint32_t bad;
	int rc;

	if (store_begin(d->store) != 0)
		return fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	gw_ops_init(&ops);
	rc = fn(d, arg, &ops, err, errlen);
	if (rc == 0 && store_bump_seq(d->store, &seq) != 0)
		rc = fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	/* A daemon killed between a push and its COMMIT leaves the gateway
	 * one change number ahead of the database, with a change that was
	 * rolled back. Until we have compared numbers with the gateway, skip
	 * that number: reusing it for another change would make the gateway
	 * look in sync without it. */
	if (rc == 0 && !d->seq_checked && store_bump_seq(d->store, &seq) != 0)
		rc = fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	if (rc == 0 && gw_link_up(&d->gw) && d->gw.in_sync) {
		char gerr[256];
		int g = gw_link_apply(&d->gw, seq, 0, &ops, &bad, gerr, sizeof(gerr));
		if (g > 0) /* refused: the change does not happen */
			rc = fail(err, errlen, g, "%s", gerr);
		else if (g < 0)
			sgw_log(LOG_WARNING, "gateway lost (%s): the change is kept and pushed when it is back",
				d->gw.last_error);
	}
	gw_ops_free(&ops);
	if (rc != 0) {
		store_rollback(d->store);
		return rc;
	}
	if (store_commit(d->store) != 0) {
		/* the gateway may have it: a full push will undo that */
		d->gw.in_sync = false;
		store_rollback(d->store);
		return fail(err, errlen, EIO, "database commit failed: %s", store_errmsg(d->store));
	}
	return 0;
}

struct cmd_ctx {
	struct args a;
	struct json_object *result;
};

static int do_owner_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	const char *name;
	int64_t id;
	int rc;

	(void)ops;
	if ((rc = need_name(&c->a, "name", &name)) != 0)
		return rc;
	rc = store_owner_add(d->store, name, &id);
	if (rc == -EEXIST)
		return fail(err, errlen, EEXIST, "an owner named \"%s\" exists", name);
	if ((rc = db(d, rc, err, errlen, "owner")) != 0)
		return rc;
	json_object_object_add(c->result, "name", json_object_new_string(name));
	return 0;
}

struct del_ctx {
	struct ctl_daemon *d;
	struct gw_ops *ops;
	int64_t owner_id;
	int rc;
};

static int del_owner_stream(void *arg, const struct store_stream *st)
{
	struct del_ctx *x = arg;

	if (st->owner_id == x->owner_id)
		return sync_ops_id(x->ops, SGW_OP_STREAM_DEL, st->id);
	/* grants it holds on other owners' streams */
	if (store_grant_exists(x->d->store, st->id, x->owner_id) == 1)
		return sync_ops_grant(x->ops, SGW_OP_GRANT_DEL, st->id, x->owner_id);
	return 0;
}

struct viewer_owner {
	struct ctl_daemon *d;
	struct gw_ops *ops;
	int64_t owner_id;
	int64_t stream_id; /* 0 = any */
};

static int del_owner_viewer(void *arg, const struct store_viewer *v)
{
	struct viewer_owner *x = arg;
	struct store_stream st;

	if (v->owner_id != x->owner_id)
		return 0;
	if (x->stream_id != 0)
		return v->stream_id == x->stream_id ? sync_ops_id(x->ops, SGW_OP_VIEWER_DEL, v->id) : 0;
	/* its viewers on streams it does not own (its own go with the streams) */
	if (store_stream_by_id(x->d->store, v->stream_id, &st) != 0)
		return -EIO;
	store_stream_cleanse(&st);
	return st.owner_id == x->owner_id ? 0 : sync_ops_id(x->ops, SGW_OP_VIEWER_DEL, v->id);
}

static int do_owner_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_owner o;
	const char *name;
	unsigned ns = 0, nv = 0;
	int rc;

	if ((rc = need_name(&c->a, "name", &name)) != 0 || (rc = owner_get(d, name, &o, err, errlen)) != 0)
		return rc;
	struct viewer_owner vo = { d, ops, o.id, 0 };
	struct del_ctx dc = { d, ops, o.id, 0 };
	/* viewers first: the gateway deletes a stream's viewers with it, not
	 * this owner's viewers on other streams */
	rc = store_viewer_foreach(d->store, 0, del_owner_viewer, &vo);
	if (rc == 0)
		rc = store_stream_foreach(d->store, 0, del_owner_stream, &dc);
	if (rc == 0)
		rc = store_owner_del(d->store, o.id, ctl_now_s(), d->cfg.quarantine_s, &ns, &nv);
	if ((rc = db(d, rc, err, errlen, "owner")) != 0)
		return rc;
	json_object_object_add(c->result, "name", json_object_new_string(name));
	json_object_object_add(c->result, "streams", json_object_new_int((int)ns));
	json_object_object_add(c->result, "viewers", json_object_new_int((int)nv));
	return 0;
}

/* The listen endpoint: a configured gateway address; the port given (free
 * and not quarantined) or the lowest free even port of the range. */
static int pick_listen(struct ctl_daemon *d, const char *text, struct sgw_endpoint *out, char *err,
		       size_t errlen)
{
	enum store_listen_state state;
	bool ok = false;
	int64_t now = ctl_now_s();

	memset(out, 0, sizeof(*out));
	if (text == NULL) {
		out->addr = d->cfg.listen[0];
	} else if (sgw_endpoint_parse(text, out, true) != 0) {
		return fail(err, errlen, EINVAL, "listen: not ADDR[:PORT]: \"%.60s\"", text);
	}
	for (unsigned i = 0; i < d->cfg.n_listen && !ok; i++)
		ok = sgw_addr_equal(&d->cfg.listen[i], &out->addr);
	if (!ok) {
		char a[SGW_ADDR_STRLEN];
		return fail(err, errlen, EADDRNOTAVAIL, "listen: %s is not one of the gateway's listen_addresses",
			    sgw_addr_format(&out->addr, a, sizeof(a)));
	}
	if (out->port != 0) {
		if (store_listen_state(d->store, out, now, &state) != 0)
			return fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
		if (state == STORE_LISTEN_IN_USE)
			return fail(err, errlen, EADDRINUSE, "listen: port %u is in use by another stream", out->port);
		if (state == STORE_LISTEN_QUARANTINED)
			return fail(err, errlen, EADDRINUSE,
				    "listen: port %u was freed less than %u s ago (quarantine)", out->port,
				    d->cfg.quarantine_s);
		return 0;
	}
	for (uint32_t p = d->cfg.port_min + (d->cfg.port_min & 1); p <= d->cfg.port_max; p += 2) {
		out->port = (uint16_t)p;
		if (store_listen_state(d->store, out, now, &state) != 0)
			return fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
		if (state == STORE_LISTEN_FREE)
			return 0;
	}
	return fail(err, errlen, ENOSPC, "no free listen port in %u..%u", d->cfg.port_min, d->cfg.port_max);
}

static int do_stream_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "owner", "listen", "source", "suite", "key", NULL };
	static const char *const others[] = { "plain", "idle_timeout", NULL };
	struct cmd_ctx *c = arg;
	struct store_stream st = { 0 };
	struct store_owner o;
	const char *name, *owner, *src;
	struct json_object *v;
	bool generated;
	int rc;

	if ((rc = check_args(&c->a, strs, others)) != 0 || (rc = need_name(&c->a, "name", &name)) != 0 ||
	    (rc = need_name(&c->a, "owner", &owner)) != 0 || (rc = owner_get(d, owner, &o, err, errlen)) != 0)
		return rc;
	snprintf(st.name, sizeof(st.name), "%s", name);
	st.owner_id = o.id;
	st.idle_timeout_s = d->cfg.idle_timeout_s;
	if (c->a.o && json_object_object_get_ex(c->a.o, "idle_timeout", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > 86400 * 365)
			return fail(err, errlen, EINVAL, "idle_timeout must be 0..31536000 seconds");
		st.idle_timeout_s = (uint32_t)json_object_get_int64(v);
	}
	src = arg_str(&c->a, "source");
	if (src != NULL && sgw_endpoint_parse(src, &st.source, true) != 0)
		return fail(err, errlen, EINVAL, "source: not ADDR[:PORT]: \"%.60s\"", src);
	if ((rc = pick_listen(d, arg_str(&c->a, "listen"), &st.listen, err, errlen)) != 0 ||
	    (rc = key_from_args(d, &c->a, &st.key, &generated)) != 0)
		return rc;
	rc = store_stream_add(d->store, &st);
	if (rc == -EEXIST)
		rc = fail(err, errlen, EEXIST, "a stream named \"%s\" exists", name);
	else if ((rc = db(d, rc, err, errlen, "stream")) == 0)
		rc = sync_ops_stream_add(ops, &st, NULL);
	if (rc == 0) {
		json_object_object_add(c->result, "name", json_object_new_string(name));
		json_object_object_add(c->result, "owner", json_object_new_string(owner));
		json_object_object_add(c->result, "listen", jstr_endpoint(&st.listen));
		json_object_object_add(c->result, "suite", jstr_suite(st.key.suite));
		if (generated)
			add_key(c->result, &st.key);
	}
	store_stream_cleanse(&st);
	return rc;
}

static int do_stream_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_stream st;
	const char *name;
	unsigned nv = 0;
	int rc;

	if ((rc = need_name(&c->a, "name", &name)) != 0 || (rc = stream_get(d, name, &st, err, errlen)) != 0)
		return rc;
	store_stream_cleanse(&st);
	rc = store_stream_del(d->store, st.id, ctl_now_s(), d->cfg.quarantine_s, &nv);
	if ((rc = db(d, rc, err, errlen, "stream")) != 0)
		return rc;
	json_object_object_add(c->result, "name", json_object_new_string(name));
	json_object_object_add(c->result, "viewers", json_object_new_int((int)nv));
	return sync_ops_id(ops, SGW_OP_STREAM_DEL, st.id);
}

static int do_stream_rekey(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "key", NULL };
	struct cmd_ctx *c = arg;
	struct store_stream st;
	struct sgw_op_rekey op = { 0 };
	const char *name;
	bool generated;
	int rc;

	if ((rc = check_args(&c->a, strs, NULL)) != 0 || (rc = need_name(&c->a, "name", &name)) != 0 ||
	    (rc = stream_get(d, name, &st, err, errlen)) != 0)
		return rc;
	if (st.key.suite == SGW_SUITE_PLAIN) {
		store_stream_cleanse(&st);
		return fail(err, errlen, EINVAL, "stream \"%s\" is plain RTP: it has no key", name);
	}
	json_object_object_add(c->a.o, "suite",
			       jstr_suite(st.key.suite));
	rc = key_from_args(d, &c->a, &op.key, &generated);
	json_object_object_del(c->a.o, "suite");
	if (rc != 0) {
		store_stream_cleanse(&st);
		return rc;
	}
	/* make before break: the old key stays accepted for the overlap */
	if (d->cfg.rekey_overlap_s > 0) {
		st.old_key = st.key;
		st.overlap_until = ctl_now_s() + d->cfg.rekey_overlap_s;
		op.flags = SGW_REKEY_KEEP_OLD;
	} else {
		memset(&st.old_key, 0, sizeof(st.old_key));
		st.overlap_until = 0;
	}
	st.key = op.key;
	op.id = (uint64_t)st.id;
	rc = db(d, store_stream_set_keys(d->store, &st), err, errlen, "stream");
	/* the new key's context counts from ROC 0 */
	if (rc == 0)
		rc = db(d, store_pos_set(d->store, false, st.id, &(struct sgw_pos){ 0 }), err, errlen,
			"stream");
	if (rc == 0)
		rc = gw_ops_add(ops, SGW_OP_STREAM_REKEY, &op, sizeof(op));
	if (rc == 0) {
		json_object_object_add(c->result, "name", json_object_new_string(name));
		json_object_object_add(c->result, "suite", jstr_suite(op.key.suite));
		json_object_object_add(c->result, "overlap", json_object_new_int((int)d->cfg.rekey_overlap_s));
		if (generated)
			add_key(c->result, &op.key);
	}
	OPENSSL_cleanse(&op, sizeof(op));
	store_stream_cleanse(&st);
	return rc;
}

static int do_viewer_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "stream", "to", "owner", "suite", "key", NULL };
	static const char *const others[] = { "plain", NULL };
	struct cmd_ctx *c = arg;
	struct store_viewer v = { 0 };
	struct store_stream st;
	struct store_owner o, so;
	const char *name, *stream, *to, *owner;
	bool generated;
	int rc;

	if ((rc = check_args(&c->a, strs, others)) != 0 || (rc = need_name(&c->a, "name", &name)) != 0 ||
	    (rc = need_name(&c->a, "stream", &stream)) != 0 ||
	    (rc = stream_get(d, stream, &st, err, errlen)) != 0)
		return rc;
	store_stream_cleanse(&st);
	owner = arg_str(&c->a, "owner");
	if (owner != NULL) {
		if ((rc = need_name(&c->a, "owner", &owner)) != 0 || (rc = owner_get(d, owner, &o, err, errlen)) != 0)
			return rc;
	} else if (store_owner_by_id(d->store, st.owner_id, &o) != 0) {
		return fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	}
	/* ownership: the stream's own owner, or one it granted */
	if (o.id != st.owner_id) {
		rc = store_grant_exists(d->store, st.id, o.id);
		if (rc < 0)
			return fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
		if (rc == 0)
			return fail(err, errlen, EPERM, "owner \"%s\" may not receive stream \"%s\" of \"%s\": no grant",
				    o.name, stream, owner_name(d, st.owner_id, &so));
	}
	to = arg_str(&c->a, "to");
	if (to == NULL)
		return fail(err, errlen, EINVAL, "to is required");
	if (sgw_endpoint_parse(to, &v.dest, false) != 0)
		return fail(err, errlen, EINVAL, "to: not ADDR:PORT: \"%.60s\"", to);
	if ((rc = key_from_args(d, &c->a, &v.key, &generated)) != 0)
		return rc;
	snprintf(v.name, sizeof(v.name), "%s", name);
	v.stream_id = st.id;
	v.owner_id = o.id;
	rc = store_viewer_add(d->store, &v);
	if (rc == -EEXIST)
		rc = fail(err, errlen, EEXIST, "a viewer named \"%s\" exists", name);
	else if ((rc = db(d, rc, err, errlen, "viewer")) == 0)
		rc = sync_ops_viewer_add(ops, &v, NULL);
	if (rc == 0) {
		json_object_object_add(c->result, "name", json_object_new_string(name));
		json_object_object_add(c->result, "stream", json_object_new_string(stream));
		json_object_object_add(c->result, "owner", json_object_new_string(o.name));
		json_object_object_add(c->result, "to", jstr_endpoint(&v.dest));
		json_object_object_add(c->result, "suite", jstr_suite(v.key.suite));
		if (generated)
			add_key(c->result, &v.key);
	}
	store_viewer_cleanse(&v);
	return rc;
}

static int do_viewer_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_viewer v;
	const char *name;
	int rc;

	if ((rc = need_name(&c->a, "name", &name)) != 0 || (rc = viewer_get(d, name, &v, err, errlen)) != 0)
		return rc;
	store_viewer_cleanse(&v);
	if ((rc = db(d, store_viewer_del(d->store, v.id), err, errlen, "viewer")) != 0)
		return rc;
	json_object_object_add(c->result, "name", json_object_new_string(name));
	return sync_ops_id(ops, SGW_OP_VIEWER_DEL, v.id);
}

static int do_viewer_rekey(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", "key", "suite", NULL };
	static const char *const others[] = { "plain", NULL };
	struct cmd_ctx *c = arg;
	struct store_viewer v;
	struct sgw_op_rekey op = { 0 };
	const char *name;
	bool generated, added = false;
	int rc;

	if ((rc = check_args(&c->a, strs, others)) != 0 || (rc = need_name(&c->a, "name", &name)) != 0 ||
	    (rc = viewer_get(d, name, &v, err, errlen)) != 0)
		return rc;
	if (arg_str(&c->a, "suite") == NULL && !arg_bool(&c->a, "plain") && v.key.suite != SGW_SUITE_PLAIN) {
		json_object_object_add(c->a.o, "suite", jstr_suite(v.key.suite));
		added = true;
	}
	rc = key_from_args(d, &c->a, &op.key, &generated);
	if (added)
		json_object_object_del(c->a.o, "suite");
	if (rc == 0) {
		v.key = op.key;
		op.id = (uint64_t)v.id;
		rc = db(d, store_viewer_set_key(d->store, &v), err, errlen, "viewer");
	}
	if (rc == 0)
		rc = db(d, store_pos_set(d->store, true, v.id, &(struct sgw_pos){ 0 }), err, errlen,
			"viewer");
	if (rc == 0)
		rc = gw_ops_add(ops, SGW_OP_VIEWER_REKEY, &op, sizeof(op));
	if (rc == 0) {
		json_object_object_add(c->result, "name", json_object_new_string(name));
		json_object_object_add(c->result, "suite", jstr_suite(op.key.suite));
		if (generated)
			add_key(c->result, &op.key);
	}
	OPENSSL_cleanse(&op, sizeof(op));
	store_viewer_cleanse(&v);
	return rc;
}

static int grant_args(struct ctl_daemon *d, struct cmd_ctx *c, struct store_stream *st,
		      struct store_owner *o, char *err, size_t errlen)
{
	static const char *const strs[] = { "stream", "to", NULL };
	const char *stream, *to;
	int rc;

	if ((rc = check_args(&c->a, strs, NULL)) != 0 || (rc = need_name(&c->a, "stream", &stream)) != 0 ||
	    (rc = need_name(&c->a, "to", &to)) != 0 || (rc = stream_get(d, stream, st, err, errlen)) != 0)
		return rc;
	store_stream_cleanse(st);
	if ((rc = owner_get(d, to, o, err, errlen)) != 0)
		return rc;
	json_object_object_add(c->result, "stream", json_object_new_string(stream));
	json_object_object_add(c->result, "to", json_object_new_string(to));
	return 0;
}

static int do_grant_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_stream st;
	struct store_owner o;
	int64_t grants[SGW_MAX_GRANTS + 1];
	int rc;

	if ((rc = grant_args(d, c, &st, &o, err, errlen)) != 0)
		return rc;
	if (o.id == st.owner_id)
		return fail(err, errlen, EINVAL, "\"%s\" owns stream \"%s\"", o.name, st.name);
	rc = store_grant_list(d->store, st.id, grants, SGW_MAX_GRANTS + 1);
	if (rc >= SGW_MAX_GRANTS && store_grant_exists(d->store, st.id, o.id) != 1)
		return fail(err, errlen, ENOSPC, "stream \"%s\" has %d grants, the most it can have",
			    st.name, SGW_MAX_GRANTS);
	rc = store_grant_add(d->store, st.id, o.id);
	if (rc == -EEXIST)
		return fail(err, errlen, EEXIST, "\"%s\" already has a grant on \"%s\"", o.name, st.name);
	if ((rc = db(d, rc, err, errlen, "grant")) != 0)
		return rc;
	return sync_ops_grant(ops, SGW_OP_GRANT_ADD, st.id, o.id);
}

static int do_grant_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen)
{
	struct cmd_ctx *c = arg;
	struct store_stream st;
	struct store_owner o;
	unsigned n = 0;
	int rc;

	if ((rc = grant_args(d, c, &st, &o, err, errlen)) != 0)
		return rc;
	rc = store_grant_exists(d->store, st.id, o.id);
	if (rc == 0)
		return fail(err, errlen, ENOENT, "\"%s\" has no grant on \"%s\"", o.name, st.name);
	/* its viewers on the stream go in the same transaction: after this
	 * commit no packet of the stream reaches them */
	struct viewer_owner vo = { d, ops, o.id, st.id };
	rc = store_viewer_foreach(d->store, st.id, del_owner_viewer, &vo);
	if (rc == 0)
		rc = store_viewer_del_by_owner(d->store, st.id, o.id, &n);
	if (rc == 0)
		rc = store_grant_del(d->store, st.id, o.id);
	if ((rc = db(d, rc, err, errlen, "grant")) != 0)
		return rc;
	json_object_object_add(c->result, "viewers", json_object_new_int((int)n));
	return sync_ops_grant(ops, SGW_OP_GRANT_DEL, st.id, o.id);
}

/* ---- queries ------------------------------------------------------------- */

struct list_ctx {
	struct ctl_daemon *d;
	struct json_object *arr;
	const char *only;           /* a name, or NULL for all */
	int64_t stream_id;          /* viewers of one stream, or 0 */
	struct json_object *flows;  /* stream id (string) -> gateway stats */
};

static int list_owner(void *arg, const struct store_owner *o, unsigned ns, unsigned nv)
{
	struct list_ctx *x = arg;
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "name", json_object_new_string(o->name));
	json_object_object_add(j, "streams", json_object_new_int((int)ns));
	json_object_object_add(j, "viewers", json_object_new_int((int)nv));
	json_object_array_add(x->arr, j);
	return 0;
}

static int list_viewer_name(void *arg, const struct store_viewer *v)
{
	json_object_array_add(arg, json_object_new_string(v->name));
	return 0;
}

/* Per-stream counters from the gateway, by stream id; NULL if it is away. */
static struct json_object *gateway_flows(struct ctl_daemon *d)
{
	static uint8_t buf[SGW_AGENT_MAX_PAYLOAD];
	struct sgw_flow_stats_req req = { 0 };
	struct json_object *m;
	struct sgw_stats_page pg;
	uint32_t n;

	if (!gw_link_up(&d->gw))
		return NULL;
	m = json_object_new_object();
	do {
		int rc = gw_link_request(&d->gw, SGW_MSG_STATS_FLOWS, &req, sizeof(req), buf, sizeof(buf), &n);
		if (rc != SGW_MSG_FLOW_STATS || n < sizeof(pg)) {
			json_object_put(m);
			return NULL;
		}
		memcpy(&pg, buf, sizeof(pg));
		for (uint32_t i = 0; i < pg.n && sizeof(pg) + (i + 1) * sizeof(struct sgw_flow_stats) <= n; i++) {
			struct sgw_flow_stats f;
			struct json_object *j = json_object_new_object();
			char key[24];
			memcpy(&f, buf + sizeof(pg) + i * sizeof(f), sizeof(f));
			req.after_id = f.stream_id;
			json_object_object_add(j, "packets", json_object_new_int64((int64_t)f.packets));
			json_object_object_add(j, "bytes", json_object_new_int64((int64_t)f.bytes));
			json_object_object_add(j, "auth_fail", json_object_new_int64((int64_t)f.auth_fail));
			json_object_object_add(j, "replay_fail", json_object_new_int64((int64_t)f.replay_fail));
			json_object_object_add(j, "other_fail", json_object_new_int64((int64_t)f.other_fail));
			json_object_object_add(j, "idle_ms", f.idle_ms == UINT64_MAX ? NULL :
					       json_object_new_int64((int64_t)f.idle_ms));
			json_object_object_add(j, "worker", f.worker == UINT32_MAX ? NULL :
					       json_object_new_int((int)f.worker));
			snprintf(key, sizeof(key), "%llu", (unsigned long long)f.stream_id);
			json_object_object_add(m, key, j);
		}
	} while (pg.more);
	return m;
}

/* idle: nothing accepted for the stream's idle timeout (null: unknown) */
static struct json_object *idle_of(const struct store_stream *st, struct json_object *flow)
{
	struct json_object *v;

	if (flow == NULL)
		return NULL;
	if (st->idle_timeout_s == 0)
		return json_object_new_boolean(0);
	if (!json_object_object_get_ex(flow, "idle_ms", &v) || v == NULL)
		return json_object_new_boolean(1);
	return json_object_new_boolean(json_object_get_int64(v) >= (int64_t)st->idle_timeout_s * 1000);
}

static struct json_object *flow_of(struct list_ctx *x, int64_t id)
{
	char key[24];
	struct json_object *f;

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return x->flows && json_object_object_get_ex(x->flows, key, &f) ? f : NULL;
}

/* A stored position (daemon_positions.c) as {ssrc, roc, seq}, or null. */
static struct json_object *jpos(struct ctl_daemon *d, bool viewer, int64_t id)
{
	struct json_object *j;
	struct sgw_pos p;

	if (store_pos_get(d->store, viewer, id, &p) != 0)
		return NULL;
	j = json_object_new_object();
	json_object_object_add(j, "ssrc", json_object_new_int64(p.ssrc));
	json_object_object_add(j, "roc", json_object_new_int64(p.roc));
	json_object_object_add(j, "seq", json_object_new_int(p.seq));
	return j;
}

static int list_stream(void *arg, const struct store_stream *st)
{
	struct list_ctx *x = arg;
	struct json_object *j, *viewers, *grants;
	struct store_owner o;
	int64_t g[SGW_MAX_GRANTS];
	int n;

	if (x->only && strcmp(x->only, st->name) != 0)
		return 0;
	j = json_object_new_object();
	viewers = json_object_new_array();
	grants = json_object_new_array();
	json_object_object_add(j, "name", json_object_new_string(st->name));
	json_object_object_add(j, "owner", json_object_new_string(owner_name(x->d, st->owner_id, &o)));
	json_object_object_add(j, "listen", jstr_endpoint(&st->listen));
	json_object_object_add(j, "source", jstr_endpoint(&st->source));
	json_object_object_add(j, "suite", jstr_suite(st->key.suite));
	store_viewer_foreach(x->d->store, st->id, list_viewer_name, viewers);
	json_object_object_add(j, "viewers", viewers);
	n = store_grant_list(x->d->store, st->id, g, SGW_MAX_GRANTS);
	for (int i = 0; i < n; i++)
		json_object_array_add(grants, json_object_new_string(owner_name(x->d, g[i], &o)));
	json_object_object_add(j, "grants", grants);
	json_object_object_add(j, "idle_timeout", json_object_new_int((int)st->idle_timeout_s));
	json_object_object_add(j, "rekey_overlap_until", st->overlap_until ?
			       json_object_new_int64(st->overlap_until) : NULL);
	json_object_object_add(j, "idle", idle_of(st, flow_of(x, st->id)));
	json_object_object_add(j, "position", jpos(x->d, false, st->id));
	json_object_array_add(x->arr, j);
	return 0;
}

static int list_viewer(void *arg, const struct store_viewer *v)
{
	struct list_ctx *x = arg;
	struct json_object *j;
	struct store_owner o;
	struct store_stream st;

	if (x->only && strcmp(x->only, v->name) != 0)
		return 0;
	if (store_stream_by_id(x->d->store, v->stream_id, &st) != 0)
		return -EIO;
	store_stream_cleanse(&st);
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(v->name));
	json_object_object_add(j, "stream", json_object_new_string(st.name));
	json_object_object_add(j, "owner", json_object_new_string(owner_name(x->d, v->owner_id, &o)));
	json_object_object_add(j, "to", jstr_endpoint(&v->dest));
	json_object_object_add(j, "suite", jstr_suite(v->key.suite));
	json_object_object_add(j, "position", jpos(x->d, true, v->id));
	json_object_array_add(x->arr, j);
	return 0;
}

static int list_stats(void *arg, const struct store_stream *st)
{
	struct list_ctx *x = arg;
	struct json_object *f = flow_of(x, st->id), *j;
	struct store_owner o;

	if (x->only && strcmp(x->only, st->name) != 0)
		return 0;
	j = json_object_new_object();
	json_object_object_add(j, "name", json_object_new_string(st->name));
	json_object_object_add(j, "owner", json_object_new_string(owner_name(x->d, st->owner_id, &o)));
	if (f != NULL) {
		json_object_object_foreach(f, key, val)
			json_object_object_add(j, key, json_object_get(val));
	}
	json_object_object_add(j, "idle", idle_of(st, f));
	json_object_array_add(x->arr, j);
	return 0;
}

static struct json_object *worker_stats(struct ctl_daemon *d, struct json_object *totals)
{
	static const char *names[] = {
#define NAME(e, name, help) name,
		SGW_FOREACH_COUNTER(NAME)
#undef NAME
	};
	static uint8_t buf[SGW_AGENT_MAX_PAYLOAD];
	struct sgw_worker_stats_hdr h;
	struct json_object *arr = json_object_new_array();
	uint32_t n;
	size_t off, entry;

	if (gw_link_request(&d->gw, SGW_MSG_STATS_WORKERS, NULL, 0, buf, sizeof(buf), &n) !=
	    SGW_MSG_WORKER_STATS || n < sizeof(h))
		return arr;
	memcpy(&h, buf, sizeof(h));
	entry = 8 + (size_t)h.n_counters * 8;
	off = sizeof(h);
	for (uint32_t w = 0; w < h.n_workers && off + entry <= n; w++, off += entry) {
		struct json_object *j = json_object_new_object(), *drops = json_object_new_object();
		bool agent = w == h.n_workers - 1;
		for (uint32_t c = 0; c < h.n_counters && c < SGW_CTR_MAX; c++) {
			uint64_t v;
			struct json_object *t;
			memcpy(&v, buf + off + 8 + c * 8, 8);
			if (strncmp(names[c], "drop_", 5) == 0) {
				json_object_object_add(drops, names[c] + 5, json_object_new_int64((int64_t)v));
				int64_t sum = json_object_object_get_ex(totals, names[c] + 5, &t) ?
					json_object_get_int64(t) : 0;
				json_object_object_add(totals, names[c] + 5, json_object_new_int64(sum + (int64_t)v));
			} else {
				json_object_object_add(j, names[c], json_object_new_int64((int64_t)v));
			}
		}
		json_object_object_add(j, "worker", agent ? json_object_new_string("agent") :
				       json_object_new_int((int)w));
		json_object_object_add(j, "drops", drops);
		json_object_array_add(arr, j);
	}
	return arr;
}

/* ---- dispatch ------------------------------------------------------------ */

typedef int (*change_fn)(struct ctl_daemon *, void *, struct gw_ops *, char *, size_t);

static const struct {
	const char *cmd;
	change_fn change;
} changes[] = {
	{ "owner.add", do_owner_add },
	{ "owner.del", do_owner_del },
	{ "stream.add", do_stream_add },
	{ "stream.del", do_stream_del },
	{ "stream.rekey", do_stream_rekey },
	{ "viewer.add", do_viewer_add },
	{ "viewer.del", do_viewer_del },
	{ "viewer.rekey", do_viewer_rekey },
	{ "grant.add", do_grant_add },
	{ "grant.del", do_grant_del },
};

static int query(struct ctl_daemon *d, const char *cmd, struct cmd_ctx *c, char *err, size_t errlen)
{
	struct list_ctx x = { .d = d, .arr = json_object_new_array() };
	const char *const name_only[] = { "name", NULL };
	int rc = 0;

	if (strcmp(cmd, "owner.list") == 0) {
		rc = check_args(&c->a, NULL, NULL);
		if (rc == 0)
			rc = store_owner_foreach(d->store, list_owner, &x);
		json_object_object_add(c->result, "owners", x.arr);
	} else if (strcmp(cmd, "stream.show") == 0) {
		rc = check_args(&c->a, name_only, NULL);
		x.only = arg_str(&c->a, "name");
		x.flows = gateway_flows(d);
		if (rc == 0)
			rc = store_stream_foreach(d->store, 0, list_stream, &x);
		json_object_object_add(c->result, "streams", x.arr);
	} else if (strcmp(cmd, "viewer.show") == 0) {
		const char *const keys[] = { "name", "stream", NULL };
		const char *stream;
		struct store_stream st;
		rc = check_args(&c->a, keys, NULL);
		x.only = arg_str(&c->a, "name");
		stream = arg_str(&c->a, "stream");
		if (rc == 0 && stream != NULL && (rc = stream_get(d, stream, &st, err, errlen)) == 0) {
			x.stream_id = st.id;
			store_stream_cleanse(&st);
		}
		if (rc == 0)
			rc = store_viewer_foreach(d->store, x.stream_id, list_viewer, &x);
		json_object_object_add(c->result, "viewers", x.arr);
	} else if (strcmp(cmd, "stats") == 0) {
		const char *const keys[] = { "stream", NULL };
		struct json_object *totals = json_object_new_object();
		rc = check_args(&c->a, keys, NULL);
		x.only = arg_str(&c->a, "stream");
		x.flows = gateway_flows(d);
		if (rc == 0 && x.flows == NULL)
			rc = fail(err, errlen, EHOSTDOWN, "the gateway is not connected (%s)", d->gw.last_error);
		if (rc == 0 && x.only != NULL) {
			struct store_stream st;
			if ((rc = stream_get(d, x.only, &st, err, errlen)) == 0)
				store_stream_cleanse(&st);
		}
		if (rc == 0)
			rc = store_stream_foreach(d->store, 0, list_stats, &x);
		json_object_object_add(c->result, "streams", x.arr);
		json_object_object_add(c->result, "workers", rc == 0 ? worker_stats(d, totals) : json_object_new_array());
		json_object_object_add(c->result, "drops", totals);
	} else if (strcmp(cmd, "status") == 0) {
		unsigned no = 0, ns = 0, nv = 0;
		struct json_object *rej = json_object_new_array();
		json_object_put(x.arr);
		x.arr = NULL;
		rc = check_args(&c->a, NULL, NULL);
		if (rc == 0)
			rc = store_counts(d->store, &no, &ns, &nv);
		json_object_object_add(c->result, "gateway", json_object_new_string(
			gw_link_up(&d->gw) ? (d->gw.in_sync ? "connected" : "connected, syncing") : "disconnected"));
		json_object_object_add(c->result, "version", json_object_new_int64((int64_t)d->gw.version));
		json_object_object_add(c->result, "ctl_seq", json_object_new_int64((int64_t)store_seq(d->store)));
		json_object_object_add(c->result, "applied_seq", json_object_new_int64((int64_t)d->gw.applied_seq));
		json_object_object_add(c->result, "owners", json_object_new_int((int)no));
		json_object_object_add(c->result, "streams", json_object_new_int((int)ns));
		json_object_object_add(c->result, "viewers", json_object_new_int((int)nv));
		for (unsigned i = 0; i < d->n_rejected; i++) {
			struct json_object *j = json_object_new_object();
			json_object_object_add(j, d->rejected[i].is_stream ? "stream" : "viewer",
					       json_object_new_int64(d->rejected[i].id));
			json_object_object_add(j, "error", json_object_new_string(d->rejected[i].why));
			json_object_array_add(rej, j);
		}
		json_object_object_add(c->result, "rejected", rej);
	} else {
		json_object_put(x.arr);
		return fail(err, errlen, EINVAL, "unknown command \"%.40s\"", cmd);
	}
	json_object_put(x.flows);
	if (rc < 0 && err[0] == '\0')
		fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	return rc;
}

static struct json_object *reply_error(int code, const char *msg)
{
	struct json_object *r = json_object_new_object();
	char line[512];
	size_t i;

	/* one line: names echoed from the request may hold control characters */
	for (i = 0; msg[i] != '\0' && i < sizeof(line) - 1; i++)
		line[i] = (unsigned char)msg[i] < 0x20 || msg[i] == 0x7f ? '?' : msg[i];
	line[i] = '\0';
	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(line));
	json_object_object_add(r, "code", json_object_new_string(errno_name(code)));
	OPENSSL_cleanse(line, sizeof(line));
	return r;
}

struct json_object *ctl_handle(struct ctl_daemon *d, struct json_object *req)
{
	struct json_object *v, *r;
	struct cmd_ctx c = { 0 };
	char err[512] = "";
	const char *cmd;
	int rc = 1;

	if (!json_object_is_type(req, json_type_object))
		return reply_error(EPROTO, "a request is a JSON object");
	json_object_object_foreach(req, key, val) {
		(void)val;
		if (strcmp(key, "v") != 0 && strcmp(key, "cmd") != 0 && strcmp(key, "args") != 0)
			return reply_error(EPROTO, "unknown request field");
	}
	if (!json_object_object_get_ex(req, "v", &v) || json_object_get_int(v) != 1 ||
	    !json_object_is_type(v, json_type_int))
		return reply_error(EPROTO, "protocol version (v) must be 1");
	if (!json_object_object_get_ex(req, "cmd", &v) || !json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return reply_error(EPROTO, "cmd must be a string");
	cmd = json_object_get_string(v);
	if (json_object_object_get_ex(req, "args", &v) && !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_object))
			return reply_error(EPROTO, "args must be an object");
		c.a.o = v;
	}
	c.a.err = err;
	c.a.errlen = sizeof(err);
	c.result = json_object_new_object();
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		if (strcmp(cmd, changes[i].cmd) == 0) {
			/* commands with no own check_args take only names */
			static const char *const name_keys[] = { "name", NULL };
			if (changes[i].change == do_owner_add || changes[i].change == do_owner_del ||
			    changes[i].change == do_stream_del || changes[i].change == do_viewer_del)
				rc = check_args(&c.a, name_keys, NULL);
			else
				rc = 0;
			if (rc == 0)
				rc = ctl_change(d, changes[i].change, &c, err, sizeof(err));
			break;
		}
	}
	if (rc == 1)
		rc = query(d, cmd, &c, err, sizeof(err));
	if (rc != 0) {
		json_object_put(c.result);
		r = reply_error(-rc, err[0] ? err : "failed");
		OPENSSL_cleanse(err, sizeof(err));
		return r;
	}
	r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	json_object_object_add(r, "result", c.result);
	return r;
}
