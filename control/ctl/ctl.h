/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl, the operators' client of srtpgw-control: what its files share.
 *
 *   main.c       reads the command line, sends one request, prints the reply
 *   parse.c      the command table and the command-line parser
 *   help.c       usage texts, made from the command table
 *   key.c        --key -: a key read from standard input
 *   conn.c       the connection: connect, send a line, receive a line
 *   tls.c        the connection over TLS (--connect)
 *   print.c      text output: tables and key: value lines
 *
 * The protocol is docs/control-protocol.md; the tool is docs/srtpgwctl.md.
 */
#ifndef SRTPGW_CTL_H
#define SRTPGW_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <json-c/json.h>

#define CTL_PROG "srtpgwctl"
#define CTL_DEFAULT_SOCKET "/run/srtpgw/control.sock"
#define CTL_SOCKET_ENV "SRTPGW_CONTROL_SOCKET"
#define CTL_TOKEN_ENV "SRTPGW_TOKEN"
#define CTL_DEFAULT_TIMEOUT 30     /* seconds to wait for a reply */
#define CTL_MAX_TIMEOUT 86400
#define CTL_LINE_MAX 65536         /* bytes of a request or reply, without '\n' */
#define CTL_KEY_MAX 4096           /* bytes of a key read with --key - */
#define CTL_NAME_MAX 63
#define CTL_MAX_OPTS 16            /* options of one command (each table is checked) */

/* Exit codes (docs/srtpgwctl.md). */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1            /* refused by the daemon, or a bad reply */
#define CTL_EXIT_USAGE 2           /* nothing was sent */
#define CTL_EXIT_UNREACHABLE 3     /* cannot connect to the daemon */
#define CTL_EXIT_DENIED 4          /* the daemon refused: permission denied */
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
	CTL_VAL_EXPIRES,   /* a duration or a UTC date (control/daemon/expires.h), sent as given */
	CTL_VAL_CODEC,     /* H264, VP8, VP9, AV1, OPUS or JPEG, sent as given */
	CTL_VAL_PT,        /* an RTP payload type 0..127, a JSON integer */
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
	CTL_OUT_TOKENS,   /* result.tokens as a table */
	CTL_OUT_FLEET,    /* key: value lines, then result.gateways as a table */
};

/* Secrets a reply may carry at the top of its result, shown once. */
#define CTL_SECRET_NONE 0u
#define CTL_SECRET_KEYS 1u         /* key and sdp: a key the daemon generated */
#define CTL_SECRET_TOKEN 2u        /* token: a token the daemon made */

struct ctl_cmd {
	const char *words;     /* "stream add": the words that name it */
	const char *cmd;       /* "stream.add": its name in the protocol */
	enum ctl_pos pos;
	const char *pos_arg;   /* the positional's name in args: "name" */
	const char *pos_meta;  /* and in usage texts: "NAME" */
	const struct ctl_opt *opts; /* ended by a NULL flag */
	enum ctl_out out;
	unsigned secrets;      /* CTL_SECRET_*: what its reply may carry */
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
	bool socket_given;     /* --socket, not the default or the environment */
	bool json;
	unsigned timeout_s;
	const char *token;     /* --token, else $SRTPGW_TOKEN; NULL: none */
	const char *connect;   /* --connect HOST:PORT: TLS instead of the socket */
	const char *cert, *cert_key, *ca;
};

/* A connection to the daemon: the UNIX socket, or TLS (ssl not NULL). */
struct ctl_conn {
	int fd;
	void *ssl;             /* SSL *, in tls.c */
	void *ctx;             /* SSL_CTX * */
	short wants;           /* TLS: POLLIN or POLLOUT, what the last call waits for */
	const char *name;      /* in messages: the socket's path or HOST:PORT */
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

/* parse.c */
void ctl_parse(int argc, char **argv, struct ctl_global *g, struct ctl_req *r);
void ctl_check(const struct ctl_req *r);
bool ctl_name_valid(const char *s);

/* help.c */
void ctl_help(FILE *f, const struct ctl_token *node);

/* key.c: reads a key from standard input into a buffer the caller
 * cleanses and frees with ctl_key_free(). Exits 2 when there is none. */
char *ctl_key_read(const char *what);
void ctl_key_free(char *key);
/* Zero the string values named "key", "sdp" and "token" anywhere in obj. */
void ctl_json_cleanse(struct json_object *obj);

/* conn.c: these exit with CTL_EXIT_UNREACHABLE or CTL_EXIT_FAIL. */
void ctl_connect(struct ctl_conn *c, const struct ctl_global *g, int64_t deadline_ms);
void ctl_send_line(struct ctl_conn *c, const char *buf, size_t len, int64_t deadline_ms);
size_t ctl_recv_line(struct ctl_conn *c, char *buf, size_t cap, int64_t deadline_ms, unsigned timeout_s);
void ctl_conn_close(struct ctl_conn *c);
int64_t ctl_now_ms(void);
/* Waits for events on fd until the deadline; false when it passed. */
bool ctl_wait_fd(int fd, short events, int64_t deadline_ms);

/* tls.c: --connect. Exits 2 for files it cannot use, 3 when it cannot
 * connect or the daemon refuses the handshake. */
void ctl_tls_connect(struct ctl_conn *c, const struct ctl_global *g, int64_t deadline_ms);
/* >0 bytes, 0 at the end (recv), or -1 to wait for ctl_tls_wants() */
ssize_t ctl_tls_send(struct ctl_conn *c, const char *buf, size_t len);
ssize_t ctl_tls_recv(struct ctl_conn *c, char *buf, size_t len);
short ctl_tls_wants(struct ctl_conn *c);
void ctl_tls_close(struct ctl_conn *c);

/* print.c */
void ctl_print_result(const struct ctl_req *r, struct json_object *result);
void ctl_print_secrets(struct json_object *result, unsigned secrets);
/* Removes the secret members (key, sdp, token) from every object below
 * obj, and from obj itself but those of top (CTL_SECRET_*); returns how
 * many it removed. */
int ctl_strip_secrets(struct json_object *obj, unsigned top);
/* Copies s for printing on one line: control characters become '?'. */
char *ctl_printable(const char *s);

/* main.c */
void ctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void *ctl_xmalloc(size_t n);
char *ctl_xstrdup(const char *s);

#endif
