/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One request object to one reply object: the envelope, the principal it
 * acts for (auth.c), then the table of commands.
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

/* "viewer.del name=tv1": a change as the list of pending ones shows it
 * (names only: never a key). */
static const char *describe(const char *cmd, struct cmd_ctx *c, char *buf, size_t len)
{
	static const char *const keys[] = { "name", "stream", "owner", "to", "listen", "source", NULL };
	size_t n = (size_t)snprintf(buf, len, "%s", cmd);

	for (unsigned i = 0; keys[i] != NULL && n < len; i++) {
		const char *v = arg_str(&c->a, keys[i]);

		if (v != NULL && v[0] != '\0')
			n += (size_t)snprintf(buf + n, len - n, " %s=%s", keys[i], v);
	}
	for (size_t i = 0; buf[i] != '\0'; i++) /* one line */
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

/* The request's token: NULL if it has none; "" if it is not a string. */
static const char *token_of(struct json_object *req)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, "token", &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, json_type_string) ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return "";
	return json_object_get_string(v);
}

struct json_object *ctl_handle_as(struct ctl_daemon *d, const struct ctl_peer *peer, struct json_object *req)
{
	struct json_object *v, *r;
	struct ctl_principal who;
	struct cmd_ctx c = { 0 };
	char err[512] = "", what[STORE_PENDING_WHAT_MAX];
	bool pending = false;
	const char *cmd, *token;
	int rc = 1;

	if (!json_object_is_type(req, json_type_object))
		return reply_error(EPROTO, "a request is a JSON object");
	json_object_object_foreach(req, key, val) {
		(void)val;
		if (strcmp(key, "v") != 0 && strcmp(key, "cmd") != 0 && strcmp(key, "args") != 0 &&
		    strcmp(key, "token") != 0)
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
	token = token_of(req);
	if (token != NULL && token[0] == '\0')
		return reply_error(EPROTO, "token must be a non-empty string");
	/* who it acts for, before anything is looked at */
	rc = ctl_principal_of(d, peer, token, &who, err, sizeof(err));
	if (rc != 0) {
		sgw_log(LOG_NOTICE, "refused %.40s from %s: %s", cmd, peer->who, err);
		return reply_error(-rc, err);
	}
	rc = 1;
	c.who = &who;
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
				rc = ctl_change_cmd(d, changes[i].change, &c, c.who->admin ? 0 : c.who->owner_id,
						    describe(cmd, &c, what, sizeof(what)), &pending, err,
						    sizeof(err));
			break;
		}
	}
	if (rc == 1)
		rc = cmd_tokens(d, cmd, &c, err, sizeof(err));
	if (rc == 1)
		rc = cmd_query(d, cmd, &c, err, sizeof(err));
	if (rc != 0) {
		ctl_json_cleanse_secrets(c.result);
		json_object_put(c.result);
		if (rc == -EACCES)
			sgw_log(LOG_NOTICE, "refused %.40s for %s: %s", cmd, who.via, err);
		r = reply_error(-rc, err[0] ? err : "failed");
		OPENSSL_cleanse(err, sizeof(err));
		return r;
	}
	r = json_object_new_object();
	json_object_object_add(r, "ok", json_object_new_boolean(1));
	if (pending) {
		/* committed, not in force: the gateway has not applied it */
		json_object_object_add(r, "pending", json_object_new_boolean(1));
		json_object_object_add(r, "warning", json_object_new_string(
			"the gateway has not applied this change (it is unreachable or did not answer in "
			"time); it is committed and takes effect when the gateway is back"));
	}
	json_object_object_add(r, "result", c.result);
	return r;
}
