/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agent socket: AF_UNIX stream, framed messages (api/srtpgw_agent.h).
 * One thread polls the listening socket and the clients; it also runs the
 * slow path between polls. A message is acted on only once it has arrived
 * whole; a client that goes away mid-message or mid-transaction changes
 * nothing.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/agent_wire.h"
#include "gateway/agent.h"
#include "api/log.h"

#define MAX_CLIENTS 16
#define POLL_MS 1

struct client {
	int fd;
	bool owns_txn;
	uint32_t got;           /* bytes of the current message received */
	struct sgw_msg_hdr hdr;
	uint8_t *payload;       /* SGW_AGENT_MAX_PAYLOAD bytes */
};

static uint8_t reply_buf[SGW_AGENT_MAX_PAYLOAD];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int reply(struct client *c, uint16_t type, const void *p, uint32_t len)
{
	return sgw_wire_send(c->fd, type, c->hdr.seq, p, len);
}

static int reply_error(struct client *c, int code, uint32_t op_index, const char *msg)
{
	struct sgw_error e = { .code = code, .op_index = op_index };
	size_t n = strnlen(msg, sizeof(e.msg) - 1);

	memcpy(e.msg, msg, n); /* cut to the wire's limit */
	e.msg[n] = '\0';
	return reply(c, SGW_MSG_ERROR, &e, sizeof(e));
}

static void client_close(struct sgw_agent *a, struct client *c)
{
	if (c->owns_txn) {
		agent_txn_abort(a);
		c->owns_txn = false;
	}
	close(c->fd);
	if (c->payload != NULL) {
		explicit_bzero(c->payload, SGW_AGENT_MAX_PAYLOAD); /* may hold keys */
		free(c->payload);
	}
	c->payload = NULL;
	c->fd = -1;
}

static int handle_ops(struct sgw_agent *a, struct client *c)
{
	struct sgw_op_iter it;
	char err[200];
	const void *body;
	unsigned type;
	int rc;

	if (sgw_op_iter_init(&it, c->payload, c->hdr.len) != 0) {
		agent_txn_abort(a);
		c->owns_txn = false;
		return reply_error(c, EINVAL, UINT32_MAX, "TXN_OPS payload too short: transaction aborted");
	}
	while ((rc = sgw_op_next(&it, &type, &body)) == 1) {
		rc = agent_txn_op(a, type, body, err, sizeof(err));
		if (rc != 0) {
			uint32_t index = a->txn.n_ops - 1;
			char msg[sizeof(err) + 64];
			agent_txn_abort(a);
			c->owns_txn = false;
			snprintf(msg, sizeof(msg), "op %u (%s): %s: transaction aborted", index,
				 sgw_op_name(type), err);
			return reply_error(c, -rc, index, msg);
		}
	}
	if (rc < 0) {
		uint32_t index = a->txn.n_ops;
		agent_txn_abort(a);
		c->owns_txn = false;
		return reply_error(c, EINVAL, index,
				   "malformed op (truncated, unknown type or wrong length): transaction aborted");
	}
	return reply(c, SGW_MSG_OK, NULL, 0);
}

static bool len_is(struct client *c, uint32_t want)
{
	if (c->hdr.len == want)
		return true;
	reply_error(c, EINVAL, UINT32_MAX, "wrong payload length for the message type");
	return false;
}

/* Act on one whole message. Returns <0 to close the client. */
static int handle(struct sgw_agent *a, struct client *c)
{
	char err[200];
	int rc;

	switch (c->hdr.type) {
	case SGW_MSG_HELLO: {
		struct sgw_status st = {
			.version = ft_acquire(&a->dp->ft)->version,
			.ctl_seq = a->ctl_seq,
			.boot_id = a->boot_id,
			.n_streams = (uint32_t)a->streams.n,
			.n_viewers = (uint32_t)a->viewers.n,
			.n_workers = a->dp->n_workers,
		};
		return len_is(c, 0) ? reply(c, SGW_MSG_STATUS, &st, sizeof(st)) : 0;
	}
	case SGW_MSG_TXN_BEGIN: {
		struct sgw_txn_begin b;
		if (!len_is(c, sizeof(b)))
			return 0;
		memcpy(&b, c->payload, sizeof(b));
		rc = agent_txn_begin(a, &b, err, sizeof(err));
		if (rc != 0)
			return reply_error(c, -rc, UINT32_MAX, err);
		c->owns_txn = true;
		return reply(c, SGW_MSG_OK, NULL, 0);
	}
	case SGW_MSG_TXN_OPS:
		if (!c->owns_txn)
			return reply_error(c, a->txn.open ? EBUSY : EPROTO, UINT32_MAX,
					   a->txn.open ? "another client's transaction is open"
						       : "no open transaction: send TXN_BEGIN first");
		return handle_ops(a, c);
	case SGW_MSG_TXN_COMMIT: {
		struct sgw_applied ap;
		if (!len_is(c, 0))
			return 0;
		if (!c->owns_txn)
			return reply_error(c, EPROTO, UINT32_MAX, "no open transaction");
		c->owns_txn = false;
		rc = agent_txn_commit(a, &ap.version, err, sizeof(err));
		if (rc != 0)
			return reply_error(c, -rc, UINT32_MAX, err);
		ap.ctl_seq = a->ctl_seq;
		/* "applied" goes out once the version is published; what the
		 * old version alone held is freed after the grace period. */
		rc = reply(c, SGW_MSG_APPLIED, &ap, sizeof(ap));
		agent_txn_reclaim(a);
		return rc;
	}
	case SGW_MSG_TXN_ABORT:
		if (!len_is(c, 0))
			return 0;
		if (c->owns_txn) {
			agent_txn_abort(a);
			c->owns_txn = false;
		}
		return reply(c, SGW_MSG_OK, NULL, 0);
	case SGW_MSG_STATS_WORKERS: {
		size_t n;
		if (!len_is(c, 0))
			return 0;
		n = agent_stats_workers(a, reply_buf, sizeof(reply_buf));
		return reply(c, SGW_MSG_WORKER_STATS, reply_buf, (uint32_t)n);
	}
	case SGW_MSG_STATS_FLOWS:
	case SGW_MSG_STATS_VIEWERS: {
		struct sgw_flow_stats_req req;
		size_t n;
		if (!len_is(c, sizeof(req)))
			return 0;
		memcpy(&req, c->payload, sizeof(req));
		if (c->hdr.type == SGW_MSG_STATS_FLOWS) {
			n = agent_stats_flows(a, &req, reply_buf, sizeof(reply_buf));
			return reply(c, SGW_MSG_FLOW_STATS, reply_buf, (uint32_t)n);
		}
		n = agent_stats_viewers(a, &req, reply_buf, sizeof(reply_buf));
		return reply(c, SGW_MSG_VIEWER_STATS, reply_buf, (uint32_t)n);
	}
	case SGW_MSG_STATS_LANES: {
		struct sgw_lanes_req req;
		size_t n;
		if (!len_is(c, sizeof(req)))
			return 0;
		memcpy(&req, c->payload, sizeof(req));
		n = agent_stats_lanes(a, &req, reply_buf, sizeof(reply_buf));
		return reply(c, SGW_MSG_LANE_STATS, reply_buf, (uint32_t)n);
	}
	case SGW_MSG_RESERVE: {
		struct sgw_reserved r;
		rc = agent_reserve(a, c->payload, c->hdr.len, &r, err, sizeof(err));
		if (rc != 0)
			return reply_error(c, -rc, UINT32_MAX, err);
		return reply(c, SGW_MSG_RESERVED, &r, sizeof(r));
	}
	default:
		return reply_error(c, EINVAL, UINT32_MAX, "unknown message type");
	}
}

/* Read what is there; act on each whole message. Returns <0 to close. */
static int client_read(struct sgw_agent *a, struct client *c)
{
	for (;;) {
		size_t want, have;
		uint8_t *dst;
		ssize_t r;

		if (c->got < sizeof(c->hdr)) {
			dst = (uint8_t *)&c->hdr + c->got;
			want = sizeof(c->hdr) - c->got;
		} else {
			have = c->got - sizeof(c->hdr);
			dst = c->payload + have;
			want = c->hdr.len - have;
		}
		if (want > 0) {
			r = recv(c->fd, dst, want, MSG_DONTWAIT);
			if (r == 0)
				return -1;
			if (r < 0)
				return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
			c->got += (uint32_t)r;
		}
		if (c->got == sizeof(c->hdr)) {
			int rc = sgw_wire_check_hdr(&c->hdr);
			if (rc != 0) {
				/* cannot find the next message: answer and hang up */
				reply_error(c, -rc, UINT32_MAX, rc == -EMSGSIZE ?
					    "message larger than the limit" :
					    "bad magic or protocol version");
				return -1;
			}
		}
		if (c->got >= sizeof(c->hdr) && c->got == sizeof(c->hdr) + c->hdr.len) {
			c->got = 0;
			if (handle(a, c) < 0)
				return -1;
		}
	}
}

/* mkdir -p of the socket's directory (e.g. /run/srtpgw), mode 0750. */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (make_parent(path) != 0)
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* a stale socket from a previous run: only if nobody answers on it */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		errno = EADDRINUSE;
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(path, 0660) != 0 ||
	    listen(fd, 16) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int agent_serve(struct sgw_agent *a, const char *path, volatile bool *quit)
{
	struct client clients[MAX_CLIENTS];
	struct pollfd pfd[MAX_CLIENTS + 1];
	int lfd = listen_on(path);

	if (lfd < 0) {
		sgw_log(LOG_ERR, "agent socket %s: %s", path, strerror(errno));
		return -1;
	}
	sgw_log(LOG_INFO, "agent listening on %s", path);
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;

	while (!*quit) {
		int n = 0;

		pfd[n].fd = lfd;
		pfd[n++].events = POLLIN;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			pfd[n].fd = clients[i].fd; /* -1 is ignored by poll */
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, POLL_MS) > 0) {
			if (pfd[0].revents & POLLIN) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				int slot = -1;
				for (int i = 0; i < MAX_CLIENTS && fd >= 0 && slot < 0; i++)
					if (clients[i].fd < 0)
						slot = i;
				if (fd >= 0 && slot < 0) {
					close(fd); /* full: the client sees EOF */
				} else if (fd >= 0) {
					struct timeval tv = { .tv_sec = 2 };
					struct client *c = &clients[slot];
					/* a client that does not read its replies is dropped */
					setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
					memset(c, 0, sizeof(*c));
					c->fd = fd;
					c->payload = malloc(SGW_AGENT_MAX_PAYLOAD);
					if (c->payload == NULL)
						client_close(a, c);
				}
			}
			for (int i = 0; i < MAX_CLIENTS; i++) {
				struct client *c = &clients[i];
				if (c->fd >= 0 && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
				    client_read(a, c) < 0)
					client_close(a, c);
			}
		}
		agent_slowpath_poll(a, now_ms());
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(a, &clients[i]);
	close(lfd);
	unlink(path);
	return 0;
}
