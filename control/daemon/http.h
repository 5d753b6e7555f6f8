/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP(S) API of srtpgw-control: WHEP and WHIP (docs/webrtc.md,
 * "HTTP API").
 *
 * libevent's evhttp serves it on a thread of its own (http_server.c,
 * http_handle.c), with OpenSSL for TLS (http_tls.c): connections, TLS,
 * parsing, bounds, CORS and every check that needs nothing of the daemon.
 * What needs the daemon (the token, the stream, the offer, the delete) is
 * handed to the main thread as a job (http_queue.c): the poll loop
 * watches http_wake_fd(), http_service() answers the jobs
 * (http_dispatch.c, calling webrtc.h) and the HTTP thread sends the
 * replies. The main thread never touches libevent; the HTTP thread never
 * touches SQLite or the gateway link.
 */
#ifndef SRTPGW_HTTP_H
#define SRTPGW_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "control/daemon/config.h"

struct ctl_daemon;
struct ctl_principal;
struct http_server;
struct webrtc_reply;

/* At start-up, before privileges are dropped: the TLS context (the
 * configured certificate, or the self-signed one, made if missing) and
 * the listening socket. NULL with one line in err. */
struct http_server *http_open(const struct ctl_config *cfg, char *err, size_t errlen);

/* Start the HTTP thread (after privileges are dropped). 0, or -1 with
 * err. */
int http_start(struct http_server *h, char *err, size_t errlen);

/* The main thread polls this for POLLIN: jobs are waiting. */
int http_wake_fd(const struct http_server *h);

/* Main thread: answer the waiting jobs, a bounded number per call (the
 * fd stays readable while more wait). */
void http_service(struct http_server *h, struct ctl_daemon *d);

/* Stop the thread, close every connection, free everything. NULL is
 * fine. */
void http_close(struct http_server *h);

/* May who view (WHEP) or publish to (WHIP) the stream named stream? 0;
 * or 404 (no such stream), 403 (not its owner's, and for WHEP no grant)
 * or 500 (the database), with out->reason set. Main thread. */
int http_stream_access(struct ctl_daemon *d, const struct ctl_principal *who, bool whip, const char *stream,
		       struct webrtc_reply *out);

#endif
