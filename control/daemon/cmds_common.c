/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the commands share: arguments, keys in replies, lookups by name,
 * error codes.
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
#include "control/daemon/cmds.h"

int cmd_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -code;
}

/* ---- arguments ------------------------------------------------------------ */

const char *arg_str(struct args *a, const char *key)
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

bool arg_bool(struct args *a, const char *key)
{
	struct json_object *v;

	return a->o != NULL && json_object_object_get_ex(a->o, key, &v) && json_object_get_boolean(v);
}

/* Every argument known, of the right JSON type. */
int check_args(struct args *a, const char *const *str_keys, const char *const *other_keys)
{
	if (a->o == NULL)
		return 0;
	if (!json_object_is_type(a->o, json_type_object))
		return cmd_fail(a->err, a->errlen, EPROTO, "args must be an object");
	json_object_object_foreach(a->o, key, val) {
		bool ok = false;
		for (int i = 0; str_keys && str_keys[i] && !ok; i++) {
			if (strcmp(key, str_keys[i]) == 0) {
				if (!json_object_is_type(val, json_type_string) &&
				    !json_object_is_type(val, json_type_null))
					return cmd_fail(a->err, a->errlen, EINVAL, "%s must be a string", key);
				ok = true;
			}
		}
		for (int i = 0; other_keys && other_keys[i] && !ok; i++)
			ok = strcmp(key, other_keys[i]) == 0;
		if (!ok)
			return cmd_fail(a->err, a->errlen, EINVAL, "unknown argument \"%.40s\"", key);
	}
	return 0;
}

bool name_ok(const char *n)
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

int need_name(struct args *a, const char *key, const char **out)
{
	*out = arg_str(a, key);
	if (*out == NULL)
		return cmd_fail(a->err, a->errlen, EINVAL, "%s is required", key);
	if (!name_ok(*out))
		return cmd_fail(a->err, a->errlen, EINVAL, "%s: names are 1 to 63 characters of A-Z a-z 0-9 _ . -", key);
	return 0;
}

/* ---- keys ---------------------------------------------------------------- */

/* A key is taken once, ever (invariant 8): two contexts under one key
 * would count the same indices (the store keeps every key's keyed
 * fingerprint). */
static int claim(struct ctl_daemon *d, struct args *a, struct sgw_key *key)
{
	int rc = store_key_claim(d->store, key);

	if (rc == -EEXIST) {
		OPENSSL_cleanse(key, sizeof(*key));
		return cmd_fail(a->err, a->errlen, EEXIST,
				"key: this key was given before (to a stream or viewer, maybe deleted "
				"since); SRTP must not use a key twice: give a new one, or none and "
				"one is generated");
	}
	return rc == 0 ? 0 : cmd_fail(a->err, a->errlen, EIO, "database: %s", store_errmsg(d->store));
}

/* suite/plain/key arguments -> *key; *generated set when we made it. */
int key_from_args(struct ctl_daemon *d, struct args *a, struct sgw_key *key, bool *generated)
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
			return cmd_fail(a->err, a->errlen, EINVAL, "plain excludes suite and key");
		key->suite = SGW_SUITE_PLAIN;
		return 0;
	}
	if (suite != NULL && (sgw_suite_by_name(suite, &s) != 0 || s == SGW_SUITE_PLAIN))
		return cmd_fail(a->err, a->errlen, EINVAL, "unknown suite \"%.40s\" (AES_CM_128_HMAC_SHA1_80, "
			    "AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM)", suite);
	want = sgw_suite_master_len(s);
	key->suite = (uint8_t)s;
	key->len = (uint8_t)want;
	if (b64 == NULL) {
		*generated = true;
		if (RAND_bytes(key->material, (int)want) != 1)
			return cmd_fail(a->err, a->errlen, EIO, "the CSPRNG failed");
		return claim(d, a, key);
	}
	blen = strlen(b64);
	if (blen == 0 || blen % 4 != 0 || blen > 4 * ((SGW_KEY_MAX + 2) / 3))
		return cmd_fail(a->err, a->errlen, EINVAL, "key: %s needs base64 of %u bytes (key and salt)",
			    sgw_suite_info(s)->name, want);
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)blen);
	if (n >= 0)
		n -= (b64[blen - 1] == '=') + (b64[blen - 2] == '=');
	if (n < 0 || (unsigned)n != want) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return cmd_fail(a->err, a->errlen, EINVAL, "key: %s needs base64 of %u bytes (key and salt)",
			    sgw_suite_info(s)->name, want);
	}
	memcpy(key->material, buf, want);
	OPENSSL_cleanse(buf, sizeof(buf));
	return claim(d, a, key);
}

/* The key and its SDP line in the reply: shown this once. */
void add_key(struct json_object *r, const struct sgw_key *k)
{
	char b64[4 * ((SGW_KEY_MAX + 2) / 3) + 1], sdp[160];

	EVP_EncodeBlock((unsigned char *)b64, k->material, k->len);
	snprintf(sdp, sizeof(sdp), "a=crypto:1 %s inline:%s", sgw_suite_info(k->suite)->name, b64);
	json_object_object_add(r, "key", json_object_new_string(b64));
	json_object_object_add(r, "sdp", json_object_new_string(sdp));
	OPENSSL_cleanse(b64, sizeof(b64));
	OPENSSL_cleanse(sdp, sizeof(sdp));
}

struct json_object *jstr_suite(unsigned suite)
{
	return json_object_new_string(suite == SGW_SUITE_PLAIN ? "plain" : sgw_suite_info(suite)->name);
}

struct json_object *jstr_endpoint(const struct sgw_endpoint *e)
{
	char buf[SGW_ADDR_STRLEN + 8];

	if (e->addr.family == SGW_AF_NONE)
		return NULL;
	if (e->port == 0)
		return json_object_new_string(sgw_addr_format(&e->addr, buf, sizeof(buf)));
	return json_object_new_string(sgw_endpoint_format(e, buf, sizeof(buf)));
}

/* ---- lookups ------------------------------------------------------------- */

int cmd_owner_get(struct ctl_daemon *d, const char *name, struct store_owner *o, char *err, size_t errlen)
{
	int rc = store_owner_by_name(d->store, name, o);

	if (rc == -ENOENT)
		return cmd_fail(err, errlen, ENOENT, "no owner named \"%s\"", name);
	return rc == 0 ? 0 : cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

int cmd_stream_get(struct ctl_daemon *d, const char *name, struct store_stream *st, char *err,
		      size_t errlen)
{
	int rc = store_stream_by_name(d->store, name, st);

	if (rc == -ENOENT)
		return cmd_fail(err, errlen, ENOENT, "no stream named \"%s\"", name);
	return rc == 0 ? 0 : cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

int cmd_viewer_get(struct ctl_daemon *d, const char *name, struct store_viewer *v, char *err,
		      size_t errlen)
{
	int rc = store_viewer_by_name(d->store, name, v);

	if (rc == -ENOENT)
		return cmd_fail(err, errlen, ENOENT, "no viewer named \"%s\"", name);
	return rc == 0 ? 0 : cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

int cmd_stream_info(struct ctl_daemon *d, const char *name, struct store_stream_info *st, char *err,
		    size_t errlen)
{
	int rc = store_stream_info_by_name(d->store, name, st);

	if (rc == -ENOENT)
		return cmd_fail(err, errlen, ENOENT, "no stream named \"%s\"", name);
	return rc == 0 ? 0 : cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

int cmd_viewer_info(struct ctl_daemon *d, const char *name, struct store_viewer_info *v, char *err,
		    size_t errlen)
{
	int rc = store_viewer_info_by_name(d->store, name, v);

	if (rc == -ENOENT)
		return cmd_fail(err, errlen, ENOENT, "no viewer named \"%s\"", name);
	return rc == 0 ? 0 : cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

const char *cmd_owner_name(struct ctl_daemon *d, int64_t id, struct store_owner *o)
{
	if (store_owner_by_id(d->store, id, o) != 0)
		snprintf(o->name, sizeof(o->name), "#%lld", (long long)id);
	return o->name;
}

int cmd_db(struct ctl_daemon *d, int rc, char *err, size_t errlen, const char *what)
{
	if (rc == 0)
		return 0;
	if (rc == -EEXIST)
		return cmd_fail(err, errlen, EEXIST, "%s already exists", what);
	if (rc == -ENOENT)
		return cmd_fail(err, errlen, ENOENT, "%s does not exist", what);
	if (rc == -EADDRINUSE)
		return cmd_fail(err, errlen, EADDRINUSE, "%s: listen address in use", what);
	if (rc == -ENOMEM)
		return cmd_fail(err, errlen, ENOMEM, "out of memory");
	return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
}

/* ---- rights ------------------------------------------------------------- */

bool cmd_may(const struct cmd_ctx *c, int64_t owner_id)
{
	return c->who->admin || c->who->owner_id == owner_id;
}

int cmd_deny(const struct cmd_ctx *c, char *err, size_t errlen, const char *fmt, ...)
{
	char what[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cmd_fail(err, errlen, EACCES, "permission denied: %s%s may not %s", c->who->admin ? "" : "owner ",
			c->who->name, what);
}

int cmd_need_admin(const struct cmd_ctx *c, char *err, size_t errlen, const char *what)
{
	return c->who->admin ? 0 : cmd_deny(c, err, errlen, "%s (admin only)", what);
}

const char *errno_name(int e)
{
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EKEYEXPIRED: return "EKEYEXPIRED";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENOSPC: return "ENOSPC";
	case EPROTO: return "EPROTO";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EHOSTDOWN: return "EHOSTDOWN";
	case EALREADY: return "EALREADY";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return "EIO";
	}
}
