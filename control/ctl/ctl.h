/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl, the operators' client of srtpgw-control: what its files share.
 *
 *   ctl_main.c   reads the command line, sends one request, prints the reply
 *   ctl_parse.c  the command table and the command-line parser
 *   ctl_help.c   usage texts, made from the command table
 *   ctl_key.c    --key -: a key read from standard input
 *   ctl_conn.c   the socket: connect, send a line, receive a line
 *   ctl_print.c  text output: tables and key: value lines
 *
 * The protocol is docs/control-protocol.md; the tool is docs/srtpgwctl.md.
 */
#ifndef SRTPGW_CTL_H
#define SRTPGW_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#define CTL_PROG "srtpgwctl"
#define CTL_DEFAULT_SOCKET "/run/srtpgw/control.sock"
#define CTL_SOCKET_ENV "SRTPGW_CONTROL_SOCKET"
#define CTL_DEFAULT_TIMEOUT 30     /* seconds to wait for a reply */
#define CTL_MAX_TIMEOUT 86400
#define CTL_LINE_MAX 65536         /* bytes of a request or reply, without '\n' */
#define CTL_KEY_MAX 4096           /* bytes of a key read with --key - */
#define CTL_NAME_MAX 63
#define CTL_MAX_OPTS 8             /* options of one command */

/* Exit codes (docs/srtpgwctl.md). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1            /* refused by the daemon, or a bad reply */
#define CTL_EXIT_USAGE 2           /* nothing was sent */
#define CTL_EXIT_UNREACHABLE 3     /* cannot connect to the socket */
#define CTL_EXIT_PENDING 5         /* committed, but the gateway has not applied it */

/* What an option's value is, and how it is checked and sent. */
enum ctl_val {
	CTL_VAL_NAME,      /* [A-Za-z0-9_.-]{1,63}, a JSON string */
	CTL_VAL_ENDPOINT,  /* ADDR:PORT or [ADDR6]:PORT */
	CTL_VAL_HOST,      /* ADDR[:PORT]: the port may be omitted */
	CTL_VAL_SUITE,     /* one of the four suite names */
	CTL_VAL_FLAG,      /* no value: sent as true */
	CTL_VAL_KEY,       /* sent as given; "-" reads it from standard input */
	CTL_VAL_SECONDS,   /* 0 to UINT32_MAX, a JSON integer */
};

struct ctl_opt {
	const char *flag;     /* "idle-timeout" for --idle-timeout */
	const char *arg;      /* its name in the request's args: "idle_timeout" */
	enum ctl_val val;
	bool required;
	const char *metavar;  /* for usage texts: "SECONDS" */
	const char *help;
};

/* The positional argument of a command. */
enum ctl_pos { CTL_POS_NONE, CTL_POS_REQUIRED, CTL_POS_OPTIONAL };

/* How a successful reply's result is printed as text. */
enum ctl_out {
	CTL_OUT_FIELDS,   /* key: value lines */
	CTL_OUT_OWNERS,   /* result.owners as a table */
	CTL_OUT_STREAMS,  /* result.streams: a table, or key: value lines for one named */
	CTL_OUT_VIEWERS,  /* result.viewers: likewise */
	CTL_OUT_STATS,    /* result.streams, .workers and .drops as tables */
};

struct ctl_cmd {
	const char *words;     /* "stream add": the words that name it */
	const char *cmd;       /* "stream.add": its name in the protocol */
	enum ctl_pos pos;
	const char *pos_arg;   /* the positional's name in args: "name" */
	const char *pos_meta;  /* and in usage texts: "NAME" */
	const struct ctl_opt *opts; /* ended by a NULL flag */
	enum ctl_out out;
	bool makes_keys;       /* its reply may carry key and sdp */
	const char *synopsis;  /* the arguments after the words, for usage texts */
	const char *summary;   /* one line */
	const char *details;   /* more, for its own --help; may be NULL */
};

/* A node of the command tree: a word and either more words or a command. */
struct ctl_token {
	const char *word;
	const struct ctl_token *next;  /* ended by a NULL word; NULL for a leaf */
	const struct ctl_cmd *cmd;     /* the leaf's command */
	const char *summary;           /* for words with more words after them */
};

struct ctl_global {
	const char *socket_path;
	bool json;
	unsigned timeout_s;
};

/* What the command line asks for. */
struct ctl_req {
	bool help;                     /* print help for the node below, exit 0 */
	const struct ctl_token *node;  /* deepest word reached (NULL: the top) */
	const struct ctl_cmd *cmd;
	const char *pos;
	const char *val[CTL_MAX_OPTS]; /* by index into cmd->opts; flags: "" */
};

extern const struct ctl_token ctl_top[];

/* ctl_parse.c */
void ctl_parse(int argc, char **argv, struct ctl_global *g, struct ctl_req *r);
void ctl_check(const struct ctl_req *r);
bool ctl_name_valid(const char *s);

/* ctl_help.c */
void ctl_help(FILE *f, const struct ctl_token *node);

/* ctl_key.c: reads a key from standard input into a buffer the caller
 * cleanses and frees with ctl_key_free(). Exits 2 when there is none. */
char *ctl_key_read(const char *what);
void ctl_key_free(char *key);
/* Zero the string values named "key" and "sdp" anywhere in obj. */
void ctl_json_cleanse(struct json_object *obj);

/* ctl_conn.c: these exit with CTL_EXIT_UNREACHABLE or CTL_EXIT_FAIL. */
int ctl_connect(const char *path, unsigned timeout_s);
void ctl_send_line(int fd, const char *path, const char *buf, size_t len, int64_t deadline_ms);
size_t ctl_recv_line(int fd, const char *path, char *buf, size_t cap, int64_t deadline_ms,
		     unsigned timeout_s);
int64_t ctl_now_ms(void);

/* ctl_print.c */
void ctl_print_result(const struct ctl_req *r, struct json_object *result);
void ctl_print_keys(struct json_object *result);
int ctl_strip_keys(struct json_object *obj, bool keep_top);
/* Copies s for printing on one line: control characters become '?'. */
char *ctl_printable(const char *s);

/* ctl_main.c */
void ctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void *ctl_xmalloc(size_t n);
char *ctl_xstrdup(const char *s);

#endif
