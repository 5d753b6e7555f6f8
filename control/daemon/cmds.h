/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control protocol's commands, shared between their files:
 * cmds_common.c (arguments, lookups, rights), cmds_change.c (changes),
 * cmds_query.c (queries), cmds_tokens.c (tokens, whoami),
 * cmds_dispatch.c (ctl_handle_as).
 */
#ifndef SRTPGW_CMDS_H
#define SRTPGW_CMDS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "control/daemon/auth.h"
#include "control/daemon/daemon.h"

struct args {
	struct json_object *o;
	char *err;
	size_t errlen;
};

struct cmd_ctx {
	struct args a;
	struct json_object *result;
	const struct ctl_principal *who; /* the principal the request acts for */
};

int cmd_fail(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const char *arg_str(struct args *a, const char *key);
bool arg_bool(struct args *a, const char *key);
int check_args(struct args *a, const char *const *str_keys, const char *const *other_keys);
bool name_ok(const char *n);
int need_name(struct args *a, const char *key, const char **out);
int key_from_args(struct ctl_daemon *d, struct args *a, struct sgw_key *key, bool *generated);
void add_key(struct json_object *r, const struct sgw_key *k);
struct json_object *jstr_suite(unsigned suite);
struct json_object *jstr_endpoint(const struct sgw_endpoint *e);
int cmd_owner_get(struct ctl_daemon *d, const char *name, struct store_owner *o, char *err, size_t errlen);
int cmd_stream_get(struct ctl_daemon *d, const char *name, struct store_stream *st, char *err, size_t errlen);
int cmd_viewer_get(struct ctl_daemon *d, const char *name, struct store_viewer *v, char *err, size_t errlen);
const char *cmd_owner_name(struct ctl_daemon *d, int64_t id, struct store_owner *o);
int cmd_stream_info(struct ctl_daemon *d, const char *name, struct store_stream_info *st, char *err,
		    size_t errlen);
int cmd_viewer_info(struct ctl_daemon *d, const char *name, struct store_viewer_info *v, char *err,
		    size_t errlen);
int cmd_db(struct ctl_daemon *d, int rc, char *err, size_t errlen, const char *what);
/* Rights (docs/control.md, "Principals"): admin may do anything; an owner
 * principal acts on its own owner's objects. */
bool cmd_may(const struct cmd_ctx *c, int64_t owner_id);
/* -EACCES with "permission denied: owner bob may not <what>". */
int cmd_deny(const struct cmd_ctx *c, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* -EACCES unless the principal is admin; what: "add owners". */
int cmd_need_admin(const struct cmd_ctx *c, char *err, size_t errlen, const char *what);
const char *errno_name(int e);
int do_owner_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int do_owner_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int do_stream_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int do_stream_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int do_stream_rekey(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int do_viewer_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int do_viewer_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int do_viewer_rekey(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int do_grant_add(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int do_grant_del(struct ctl_daemon *d, void *arg, struct gw_ops *ops, char *err, size_t errlen);
int cmd_query(struct ctl_daemon *d, const char *cmd, struct cmd_ctx *c, char *err, size_t errlen);
/* fleet.status and stream.move (cmds_fleet.c). */
int cmd_fleet(struct ctl_daemon *d, const char *cmd, struct cmd_ctx *c, char *err, size_t errlen);
/* token.add, token.list, token.del, whoami (cmds_tokens.c); 1 if cmd is
 * none of them. */
int cmd_tokens(struct ctl_daemon *d, const char *cmd, struct cmd_ctx *c, char *err, size_t errlen);

#endif
