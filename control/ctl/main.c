/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl: the operators' client of srtpgw-control. Each invocation
 * turns its command line into one request, sends it as one JSON line on
 * the control socket, reads one reply line and prints it: tables and
 * "name: value" lines, or the result as JSON with --json.
 * See docs/srtpgwctl.md and docs/control-protocol.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/ctl/ctl.h"

/* Heap objects live until exit; kept here so that an exit on any path
 * leaves nothing unreachable (LeakSanitizer builds). */
static char *request_line;
static struct json_object *reply;
static char reply_buf[CTL_LINE_MAX + 2];

/* One line on stderr, whatever the arguments hold: control characters
 * (from the daemon's error, or from argv) become '?'. */
void ctl_fail(int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *c = msg; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = '?';
	fflush(stdout);
	fprintf(stderr, CTL_PROG ": %s\n", msg);
	exit(code);
}

void *ctl_xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		ctl_fail(CTL_EXIT_FAIL, "out of memory");
	return p;
}

char *ctl_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		ctl_fail(CTL_EXIT_FAIL, "out of memory");
	return p;
}

/* The request line, '\n' included. Reads --key - here, before anything is
 * sent, so that a missing key is a usage error. token: NULL or the token
 * the request acts with. */
static char *build_request(const struct ctl_req *r, const char *token, size_t *len)
{
	struct json_object *req = json_object_new_object(), *args = json_object_new_object();
	const char *s;
	char *line;

	if (req == NULL || args == NULL)
		ctl_fail(CTL_EXIT_FAIL, "out of memory");
	json_object_object_add(req, "v", json_object_new_int(1));
	json_object_object_add(req, "cmd", json_object_new_string(r->cmd->cmd));
	if (token != NULL)
		json_object_object_add(req, "token", json_object_new_string(token));
	if (r->pos != NULL)
		json_object_object_add(args, r->cmd->pos_arg, json_object_new_string(r->pos));
	for (int k = 0; r->cmd->opts[k].flag != NULL; k++) {
		const struct ctl_opt *o = &r->cmd->opts[k];
		const char *v = r->val[k];
		struct json_object *jv;
		char *key;

		if (v == NULL)
			continue;
		switch (o->val) {
		case CTL_VAL_FLAG:
			jv = json_object_new_boolean(1);
			break;
		case CTL_VAL_SECONDS:
		case CTL_VAL_PT:
			jv = json_object_new_int64((int64_t)strtoull(v, NULL, 10));
			break;
		case CTL_VAL_KEY:
			if (strcmp(v, "-") != 0) {
				jv = json_object_new_string(v);
				break;
			}
			key = ctl_key_read("--key");
			jv = json_object_new_string(key);
			ctl_key_free(key);
			break;
		default:
			jv = json_object_new_string(v);
			break;
		}
		json_object_object_add(args, o->arg, jv);
	}
	json_object_object_add(req, "args", args);
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		ctl_fail(CTL_EXIT_FAIL, "out of memory");
	*len = strlen(s);
	if (*len > CTL_LINE_MAX) {
		explicit_bzero((char *)s, *len);
		ctl_fail(CTL_EXIT_USAGE, "%s: the request would be longer than %d bytes", r->cmd->words,
			 CTL_LINE_MAX);
	}
	line = ctl_xmalloc(*len + 2);
	memcpy(line, s, *len);
	line[(*len)++] = '\n';
	line[*len] = '\0';
	explicit_bzero((char *)s, strlen(s));
	ctl_json_cleanse(req);
	json_object_put(req);
	return line;
}

/* The reply line as a JSON object into reply, or exit 1. */
static void parse_reply(const char *buf, size_t len, const char *path)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;
	enum json_tokener_error err;
	size_t end;

	if (tok == NULL)
		ctl_fail(CTL_EXIT_FAIL, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	reply = obj;
	if (memchr(buf, '\0', len) != NULL)
		ctl_fail(CTL_EXIT_FAIL, "%s: malformed reply: a NUL byte in it", path);
	if (obj == NULL && err == json_tokener_continue)
		ctl_fail(CTL_EXIT_FAIL, "%s: malformed reply: not JSON (it ends too early)", path);
	if (obj == NULL)
		ctl_fail(CTL_EXIT_FAIL, "%s: malformed reply: not JSON (%s)", path,
			 json_tokener_error_desc(err));
	if (strspn(buf + end, " \t\r") != len - end)
		ctl_fail(CTL_EXIT_FAIL, "%s: malformed reply: more than one JSON value on the line",
			 path);
	if (!json_object_is_type(obj, json_type_object))
		ctl_fail(CTL_EXIT_FAIL, "%s: malformed reply: not a JSON object", path);
}

static struct json_object *member(struct json_object *obj, const char *name, enum json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* The daemon said no: one line on stderr (and, with --json, the error on
 * stdout for scripts); exit 4 for permission denied, else 1. */
static void refused(struct json_object *reply, bool json)
{
	struct json_object *err = member(reply, "error", json_type_string);
	struct json_object *code = member(reply, "code", json_type_string);
	struct json_object *out;
	int exit_code = CTL_EXIT_FAIL;

	if (code != NULL && (strcmp(json_object_get_string(code), "EACCES") == 0 ||
			     strcmp(json_object_get_string(code), "EKEYEXPIRED") == 0))
		exit_code = CTL_EXIT_DENIED;

	if (json) {
		out = json_object_new_object();
		if (err != NULL)
			json_object_object_add(out, "error", json_object_get(err));
		if (code != NULL)
			json_object_object_add(out, "code", json_object_get(code));
		printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out);
	}
	if (err != NULL)
		ctl_fail(exit_code, "%s", json_object_get_string(err));
	if (code != NULL)
		ctl_fail(exit_code, "the daemon refused the request (%s)",
			 json_object_get_string(code));
	ctl_fail(CTL_EXIT_FAIL, "the daemon refused the request without a reason");
}

/* Options that go together, before anything is sent. */
static void check_globals(struct ctl_global *g)
{
	const char *env = getenv(CTL_TOKEN_ENV);

	if (g->token == NULL && env != NULL && env[0] != '\0')
		g->token = env;
	if (g->connect != NULL && g->socket_given)
		ctl_fail(CTL_EXIT_USAGE, "--socket and --connect exclude each other");
	if (g->connect != NULL && (g->cert == NULL || g->cert_key == NULL || g->ca == NULL))
		ctl_fail(CTL_EXIT_USAGE, "--connect needs --cert, --cert-key and --ca");
	if (g->connect == NULL && (g->cert != NULL || g->cert_key != NULL || g->ca != NULL))
		ctl_fail(CTL_EXIT_USAGE, "--cert, --cert-key and --ca go with --connect");
}

int main(int argc, char **argv)
{
	struct ctl_global g = { .socket_path = CTL_DEFAULT_SOCKET, .timeout_s = CTL_DEFAULT_TIMEOUT };
	const char *env = getenv(CTL_SOCKET_ENV);
	struct json_object *ok, *result, *pending;
	struct ctl_conn conn;
	bool is_pending;
	struct ctl_req r;
	size_t len;
	int64_t deadline;

	if (env != NULL && env[0] != '\0')
		g.socket_path = env;
	ctl_parse(argc - 1, argv + 1, &g, &r);
	if (r.help) {
		ctl_help(stdout, r.node);
		if (fflush(stdout) != 0 || ferror(stdout))
			ctl_fail(CTL_EXIT_FAIL, "writing the usage: %s", strerror(errno));
		return CTL_EXIT_OK;
	}
	ctl_check(&r);
	check_globals(&g);
	request_line = build_request(&r, g.token, &len);

	deadline = ctl_now_ms() + (int64_t)g.timeout_s * 1000;
	ctl_connect(&conn, &g, deadline);
	ctl_send_line(&conn, request_line, len, deadline);
	explicit_bzero(request_line, len);
	free(request_line);
	request_line = NULL;
	len = ctl_recv_line(&conn, reply_buf, CTL_LINE_MAX + 1, deadline, g.timeout_s);
	ctl_conn_close(&conn);
	reply_buf[len] = '\0';
	parse_reply(reply_buf, len, conn.name);
	explicit_bzero(reply_buf, sizeof(reply_buf));

	ok = member(reply, "ok", json_type_boolean);
	if (ok == NULL)
		ctl_fail(CTL_EXIT_FAIL, "%s: malformed reply: no \"ok\"", conn.name);
	if (!json_object_get_boolean(ok))
		refused(reply, g.json);
	result = member(reply, "result", json_type_object);
	if (result == NULL)
		ctl_fail(CTL_EXIT_FAIL, "%s: malformed reply: no \"result\" object", conn.name);
	/* keys and tokens only where the protocol puts them: the top of a
	 * reply to a command that makes them */
	if (ctl_strip_secrets(result, r.cmd->secrets) > 0)
		fprintf(stderr, CTL_PROG ": warning: the reply to %s held key material where none "
			"belongs; not shown\n", r.cmd->cmd);
	pending = member(reply, "pending", json_type_boolean);
	is_pending = pending != NULL && json_object_get_boolean(pending);
	if (is_pending) /* for scripts: in the result they print */
		json_object_object_add(result, "pending", json_object_new_boolean(1));
	if (g.json) {
		const char *s = json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
		printf("%s\n", s);
		explicit_bzero((char *)s, strlen(s));
	} else {
		ctl_print_result(&r, result);
	}
	ctl_json_cleanse(reply);
	json_object_put(reply);
	reply = NULL;
	if (fflush(stdout) != 0 || ferror(stdout))
		ctl_fail(CTL_EXIT_FAIL, "writing the output: %s", strerror(errno));
	if (is_pending) {
		/* done in the database, not yet in force at the gateway */
		fprintf(stderr, CTL_PROG ": pending: the gateway has not applied this change yet; it "
			"is committed and takes effect when the gateway is back (srtpgwctl status "
			"lists what is pending)\n");
		return CTL_EXIT_PENDING;
	}
	return CTL_EXIT_OK;
}
