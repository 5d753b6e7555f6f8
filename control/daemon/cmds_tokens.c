/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bearer tokens (token.add, token.list, token.del) and whoami. A token
 * acts for one owner; there are no admin tokens (docs/control.md,
 * "Tokens"). They are not changes of the gateway's state: they do not
 * move the change counter and push nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "control/daemon/cmds.h"
#include "control/daemon/expires.h"

#define TOKEN_PREFIX "sgwt_"
#define TOKEN_RANDOM 32       /* bytes from the CSPRNG: 256 bits */
#define TOKEN_TEXT (sizeof(TOKEN_PREFIX) - 1 + 43) /* base64url of 32 bytes, unpadded */
#define TOKENS_PER_OWNER 100

/* "sgwt_" and base64url (RFC 4648 section 5) of 32 random bytes. */
static int token_make(char text[TOKEN_TEXT + 1])
{
	uint8_t raw[TOKEN_RANDOM];
	char b64[4 * ((TOKEN_RANDOM + 2) / 3) + 1];
	int rc = -1;

	if (RAND_bytes(raw, sizeof(raw)) == 1 && EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw)) == 44) {
		for (char *p = b64; *p != '\0'; p++)
			*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
		/* without the one '=' of padding */
		memcpy(text, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
		memcpy(text + sizeof(TOKEN_PREFIX) - 1, b64, 43);
		text[TOKEN_TEXT] = '\0';
		rc = 0;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	return rc;
}

static struct json_object *jtime(int64_t t)
{
	return t != 0 ? json_object_new_int64(t) : NULL;
}

/* The owner a token command is about: args.owner, or an owner
 * principal's own. what: "make tokens". */
static int token_owner(struct ctl_daemon *d, struct cmd_ctx *c, const char *what, struct store_owner *o,
		       bool *given, char *err, size_t errlen)
{
	const char *owner = arg_str(&c->a, "owner");
	int rc;

	*given = owner != NULL;
	if (owner == NULL && c->who->admin)
		return 1;
	if (owner == NULL)
		owner = c->who->name;
	else if ((rc = need_name(&c->a, "owner", &owner)) != 0)
		return rc;
	if ((rc = cmd_owner_get(d, owner, o, err, errlen)) != 0)
		return rc;
	return cmd_may(c, o->id) ? 0 : cmd_deny(c, err, errlen, "%s for owner %s", what, o->name);
}

static int count_cb(void *arg, const struct store_token *t)
{
	(void)t;
	(*(unsigned *)arg)++;
	return 0;
}

static int token_add(struct ctl_daemon *d, struct cmd_ctx *c, char *err, size_t errlen)
{
	static const char *const strs[] = { "owner", "name", "expires", NULL };
	struct store_token t = { 0 };
	struct store_owner o;
	uint8_t hash[STORE_TOKEN_HASH_LEN];
	char text[TOKEN_TEXT + 1];
	const char *name, *expires;
	unsigned n = 0;
	bool given;
	int rc;

	if ((rc = check_args(&c->a, strs, NULL)) != 0)
		return rc;
	/* a leaked token must not be able to outlive its own deletion */
	if (c->who->by_token)
		return cmd_deny(c, err, errlen, "make tokens with a token (as a mapped user or with a certificate "
				"only)");
	rc = token_owner(d, c, "make tokens", &o, &given, err, errlen);
	if (rc == 1)
		return cmd_fail(err, errlen, EINVAL, "owner is required (tokens act for one owner; there are no "
				"admin tokens)");
	if (rc != 0)
		return rc;
	name = arg_str(&c->a, "name");
	if (name != NULL && (rc = need_name(&c->a, "name", &name)) != 0)
		return rc;
	if (name != NULL)
		snprintf(t.name, sizeof(t.name), "%s", name);
	t.owner_id = o.id;
	t.created = ctl_now_s();
	expires = arg_str(&c->a, "expires");
	if (expires != NULL && ctl_expires_parse(expires, t.created, &t.expires, err, errlen) != 0)
		return -EINVAL;
	if (store_token_foreach(d->store, o.id, count_cb, &n) != 0)
		return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	if (n >= TOKENS_PER_OWNER)
		return cmd_fail(err, errlen, ENOSPC, "owner \"%s\" has %u tokens, the most it can have", o.name,
				TOKENS_PER_OWNER);
	if (token_make(text) != 0)
		return cmd_fail(err, errlen, EIO, "the CSPRNG failed");
	store_token_hash(text, hash);
	if (store_begin(d->store) != 0) {
		rc = cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
		goto out;
	}
	rc = store_token_add(d->store, &t, hash);
	if (rc == -EEXIST)
		rc = cmd_fail(err, errlen, EEXIST, "a token named \"%s\" exists", t.name);
	else
		rc = cmd_db(d, rc, err, errlen, "token");
	if (rc == 0 && store_commit(d->store) != 0)
		rc = cmd_fail(err, errlen, EIO, "database commit failed: %s", store_errmsg(d->store));
	if (rc != 0) {
		store_rollback(d->store);
		goto out;
	}
	json_object_object_add(c->result, "name", json_object_new_string(t.name));
	json_object_object_add(c->result, "owner", json_object_new_string(o.name));
	json_object_object_add(c->result, "created", json_object_new_int64(t.created));
	json_object_object_add(c->result, "expires", jtime(t.expires));
	/* shown this once: the store keeps its hash */
	json_object_object_add(c->result, "token", json_object_new_string(text));
out:
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

struct token_list {
	struct ctl_daemon *d;
	struct json_object *arr;
	int64_t now;
};

static int list_token(void *arg, const struct store_token *t)
{
	struct token_list *x = arg;
	struct json_object *j = json_object_new_object();
	struct store_owner o;

	json_object_object_add(j, "name", json_object_new_string(t->name));
	json_object_object_add(j, "owner", json_object_new_string(cmd_owner_name(x->d, t->owner_id, &o)));
	json_object_object_add(j, "created", json_object_new_int64(t->created));
	json_object_object_add(j, "expires", jtime(t->expires));
	json_object_object_add(j, "expired", json_object_new_boolean(t->expires != 0 && x->now >= t->expires));
	json_object_array_add(x->arr, j);
	return 0;
}

static int token_list(struct ctl_daemon *d, struct cmd_ctx *c, char *err, size_t errlen)
{
	static const char *const strs[] = { "owner", NULL };
	struct token_list x = { d, json_object_new_array(), ctl_now_s() };
	struct store_owner o = { 0 };
	bool given;
	int rc;

	json_object_object_add(c->result, "tokens", x.arr);
	if ((rc = check_args(&c->a, strs, NULL)) != 0)
		return rc;
	rc = token_owner(d, c, "list the tokens", &o, &given, err, errlen);
	if (rc < 0)
		return rc;
	/* admin without owner: every token */
	if (store_token_foreach(d->store, rc == 1 ? 0 : o.id, list_token, &x) != 0)
		return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	return 0;
}

static int token_del(struct ctl_daemon *d, struct cmd_ctx *c, char *err, size_t errlen)
{
	static const char *const strs[] = { "name", NULL };
	struct store_token t;
	struct store_owner o;
	const char *name;
	int rc;

	if ((rc = check_args(&c->a, strs, NULL)) != 0 || (rc = need_name(&c->a, "name", &name)) != 0)
		return rc;
	rc = store_token_by_name(d->store, name, &t);
	if (rc == -ENOENT)
		return cmd_fail(err, errlen, ENOENT, "no token named \"%s\"", name);
	if (rc != 0)
		return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	if (!cmd_may(c, t.owner_id))
		return cmd_deny(c, err, errlen, "delete token %s (not %s's)", name, c->who->name);
	if (store_begin(d->store) != 0)
		return cmd_fail(err, errlen, EIO, "database: %s", store_errmsg(d->store));
	rc = cmd_db(d, store_token_del(d->store, t.id), err, errlen, "token");
	if (rc == 0 && store_commit(d->store) != 0)
		rc = cmd_fail(err, errlen, EIO, "database commit failed: %s", store_errmsg(d->store));
	if (rc != 0) {
		store_rollback(d->store);
		return rc;
	}
	json_object_object_add(c->result, "name", json_object_new_string(t.name));
	json_object_object_add(c->result, "owner", json_object_new_string(cmd_owner_name(d, t.owner_id, &o)));
	return 0;
}

int cmd_tokens(struct ctl_daemon *d, const char *cmd, struct cmd_ctx *c, char *err, size_t errlen)
{
	int rc;

	if (strcmp(cmd, "token.add") == 0)
		return token_add(d, c, err, errlen);
	if (strcmp(cmd, "token.list") == 0)
		return token_list(d, c, err, errlen);
	if (strcmp(cmd, "token.del") == 0)
		return token_del(d, c, err, errlen);
	if (strcmp(cmd, "whoami") != 0)
		return 1;
	if ((rc = check_args(&c->a, NULL, NULL)) != 0)
		return rc;
	json_object_object_add(c->result, "principal", json_object_new_string(c->who->name));
	json_object_object_add(c->result, "via", json_object_new_string(c->who->via));
	return 0;
}
