/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the HTTP API (http.h): the jobs the HTTP thread hands to the
 * main thread and their queue (http_queue.c), the server and its
 * connections (http_server.c), request handling (http_handle.c), the TLS
 * context (http_tls.c). Ownership: "http:" fields belong to the HTTP
 * thread, "main:" to the main thread, "lock:" are under the queue's
 * mutex.
 */
#ifndef SRTPGW_HTTP_PRIV_H
#define SRTPGW_HTTP_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "api/addr.h"
#include "control/daemon/config.h"
#include "control/daemon/http.h"
#include "control/daemon/http_req.h"
#include "control/daemon/store.h"
#include "control/daemon/webrtc.h"

/* Requests waiting for the main thread at most; more are answered 503. */
#define HTTP_MAX_PENDING 32
/* Jobs the main thread answers per turn of its poll loop, so that
 * srtpgwctl and the gateway link are served between them. */
#define HTTP_JOBS_PER_TURN 8
/* Bytes of a request's line and header fields (evhttp's bound). */
#define HTTP_MAX_HEADERS 8192
#define HTTP_PEER_MAX (SGW_ADDR_STRLEN + 8)

/* One request that needs the daemon. The HTTP thread fills the request
 * part and submits it; the main thread fills the answer and hands it
 * back; the HTTP thread replies and frees it. */
struct http_job {
	struct http_job *next;            /* lock: in a queue */
	/* the request (written by the HTTP thread before submitting) */
	bool del;                         /* DELETE of a session, else an offer */
	bool whip;
	char name[HTTP_NAME_MAX];         /* stream name or session id */
	char token[HTTP_TOKEN_MAX + 1];   /* cleansed as soon as it is looked up */
	char *offer;                      /* NUL-terminated copy of the body */
	size_t offer_len;
	void *req;                        /* http: the evhttp_request; main never touches it */
	char peer[HTTP_PEER_MAX];         /* for the log */
	/* the answer (written by the main thread before answering) */
	int status;
	bool bad_token;                   /* 401 for an invalid or expired token */
	char principal[STORE_NAME_MAX];   /* who the token acts for, for the log */
	struct webrtc_reply reply;
};

/* The jobs between the two threads: a mutex, two lists and two eventfds. */
struct http_queue {
	pthread_mutex_t lock;
	struct http_job *todo, **todo_tail; /* lock: to the main thread */
	unsigned n_todo;                    /* lock */
	struct http_job *done, **done_tail; /* lock: back to the HTTP thread */
	bool stop;                          /* lock: the HTTP thread is to end */
	int main_fd;   /* eventfd: readable while todo has jobs (main polls it) */
	int http_fd;   /* eventfd: readable when done has jobs, or stop */
};

int http_queue_init(struct http_queue *q);
/* Frees every job left (their requests are not touched) and the fds. */
void http_queue_fini(struct http_queue *q);
/* HTTP thread: 0, or -EBUSY when HTTP_MAX_PENDING jobs wait. */
int http_queue_submit(struct http_queue *q, struct http_job *j);
/* Main thread: the oldest job waiting, or NULL. *more: others wait. */
struct http_job *http_queue_take(struct http_queue *q, bool *more);
/* Main thread: the job answered, back to the HTTP thread. */
void http_queue_answer(struct http_queue *q, struct http_job *j);
/* HTTP thread: every answered job, oldest first (a list by next), and
 * whether to stop. */
struct http_job *http_queue_answered(struct http_queue *q, bool *stop);
/* Main thread (http_close): tell the HTTP thread to end. */
void http_queue_stop(struct http_queue *q);
/* Read an eventfd empty (it is non-blocking); signal one. */
void http_fd_drain(int fd);
void http_fd_signal(int fd);
/* Cleanse and free a job: its token, offer and reply body. */
void http_job_free(struct http_job *j);

struct event_base;
struct evhttp;
struct evconnlistener;
struct bufferevent;
struct event;

/* An open connection (http), the ex_data of its SSL. */
struct http_conn {
	struct http_server *h;
	struct bufferevent *bev;          /* its bufferevent_openssl */
	struct event *deadline;           /* a whole request by then, or closed */
};

struct http_server {
	const struct ctl_config *cfg;
	char at[HTTP_PEER_MAX];           /* the listen address, for logs */
	int fd;                           /* the listening socket */
	SSL_CTX *ssl;
	struct event_base *base;          /* http: from http_start on */
	struct evhttp *http;
	struct evconnlistener *listener;  /* http: disabled at http_max_conns */
	struct event *wake;               /* http: on q.http_fd */
	struct http_queue q;
	pthread_t thread;
	bool running;                     /* main: the thread was started */
	bool closing;                     /* http: connections are being freed */
	unsigned n_conns;                 /* http: connections open */
	bool accepting;                   /* http */
};

/* http_server.c: connections. The connection a request came on (NULL if
 * not ours); its deadline set to http_timeout from now (a whole request
 * by then), or stopped while a request is being answered. */
struct http_conn *http_conn_of(struct http_server *h, void *req);
void http_conn_deadline(struct http_conn *c, bool on);

/* http_handle.c: evhttp's callback for every request, and the replies to
 * the jobs the main thread answered. */
void http_handle_request(void *req, void *arg);
void http_handle_answer(struct http_server *h, struct http_job *j);

/* http_tls.c: the server's TLS context: TLS 1.2 and up, the configured
 * certificate or the self-signed one (made and kept next to the database
 * when missing, its names outdated or it expires within 30 days); logs
 * its fingerprints. NULL with err. */
SSL_CTX *http_tls_context(const struct ctl_config *cfg, char *err, size_t errlen);

/* A log line from either thread (whole, not mixed with another). */
void http_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
