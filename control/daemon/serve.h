/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw-control's sockets: srtpgwctl's UNIX socket (unix_listen.c), the
 * TLS listener of remote administration (tls_server.c) and the poll()
 * loop that serves both (server.c). Both are opened at start-up, before
 * privileges are dropped (ctl_server_open).
 */
#ifndef SRTPGW_SERVE_H
#define SRTPGW_SERVE_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "control/daemon/config.h"

#define CTL_LINE_MAX 65536  /* bytes of a request line, without its '\n' */
#define CTL_LINE_TOO_LONG \
	"{\"ok\":false,\"error\":\"request longer than 65536 bytes\",\"code\":\"EPROTO\"}\n"

struct ctl_daemon;
struct ctl_tls;
struct http_server;

struct ctl_server {
	int unix_fd;            /* srtpgwctl's socket */
	struct ctl_tls *tls;    /* NULL without tls_listen */
	struct http_server *http; /* the HTTP API (http.h); NULL without http_listen */
};

/* Opens the sockets into d->srv. 0, or -1 with one line in err. */
int ctl_server_open(struct ctl_daemon *d, char *err, size_t errlen);

/* The UNIX socket, bound but not listening: its fd, or -1 with err.
 * ctl_serve listens on it once the daemon runs as its user and has set up,
 * so that a connect that succeeds means the daemon is ready (the signal a
 * script waits on, docs/control.md). */
int ctl_unix_bind(const struct ctl_config *cfg, char *err, size_t errlen);

/* TLS: the listener and up to CTL_TLS_MAX_CONNS connections. */
#define CTL_TLS_MAX_CONNS 16
#define CTL_TLS_POLLFDS (1 + CTL_TLS_MAX_CONNS)
struct ctl_tls *ctl_tls_open(const struct ctl_config *cfg, char *err, size_t errlen);
void ctl_tls_close(struct ctl_tls *t);
/* What to poll: CTL_TLS_POLLFDS entries of pfd (free slots get fd -1). */
void ctl_tls_poll_events(struct ctl_tls *t, struct pollfd *pfd);
/* After poll(): handshakes, requests, replies, timeouts, new connections. */
void ctl_tls_service(struct ctl_tls *t, struct ctl_daemon *d, const struct pollfd *pfd, uint64_t now_ms);

#endif
