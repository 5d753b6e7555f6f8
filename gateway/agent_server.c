/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agent socket: AF_UNIX stream, framed messages (api/srtpgw_agent.h).
 * One thread polls the listening socket and the clients; it also runs the
 * slow path between polls. A message is acted on only once it has arrived
 * whole; a client that goes away mid-message or mid-transaction changes
 * nothing.
 *
 * No client can hold the agent thread or lock the others out
 * (docs/agent-protocol.md, "Limits"): client sockets are non-blocking and
 * replies the socket does not take at once wait in a queue of their own;
 * a client gets at most MSGS_PER_TURN messages handled per turn of the loop,
 * and none while OUT_PAUSE bytes of replies wait for it; an open
 * transaction without a message for agent_txn_timeout_ms is aborted and its
 * client closed; clients that stay silent or leave their replies unread
 * are closed. Only the uids and gids the config allows may connect
 * (SO_PEERCRED), at most agent_max_clients at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "api/agent_wire.h"
#include "api/log.h"
#include "gateway/agent.h"
#include "gateway/agent_punt.h"
#include "gateway/agent_slowpath.h"

#define POLL_MS 1
#define MSGS_PER_TURN 8               /* messages handled per client per turn */
#define BYTES_PER_TURN (1u << 20)     /* payload bytes read per client per turn */
#define OUT_PAUSE (64u << 10)         /* no request is read while this much waits to go out */
#define OUT_KEEP (64u << 10)          /* an emptied queue keeps a buffer up to this size */
#define ACCEPTS_PER_TURN 16

struct client {
	int fd;
	bool owns_txn;
	bool closing;            /* answered a fatal error: send what is queued, then close */
	uint32_t got;            /* bytes of the current message received */
	uint32_t last_seq;       /* of the last whole request */
	struct sgw_msg_hdr hdr;
	uint8_t *payload;        /* SGW_AGENT_MAX_PAYLOAD bytes, out of core dumps; may hold
	                            keys: zeroed after each message */
	uint8_t *out;            /* replies not yet taken by the socket: out[out_off..out_len) */
	size_t out_off, out_len, out_cap;
	uint64_t last_rx_ms;     /* when bytes last came (or the connection) */
	uint64_t stuck_since_ms; /* replies waiting and none taken since */
	uint64_t txn_deadline_ms;
	struct ucred peer;
};

struct server {
	struct sgw_agent *a;
	const struct sgw_config *cfg;
	int lfd;
	unsigned max;
	struct client *clients;  /* max */
	struct pollfd *pfd;      /* max + 1: the listening socket first */
	uid_t self_uid;
	gid_t self_gid;
	uint64_t refused_log_ms; /* refusals are logged at most once a second */
	unsigned refused_unlogged;
};

static uint8_t reply_buf[SGW_AGENT_MAX_PAYLOAD];
static uint64_t turn_ms; /* the time at the start of this turn of the loop */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void count(enum sgw_counter c)
{
	sgw_ctr_add(&agent_slow_ctr[c], 1);
}

/* ---- replies: sent at once, or queued ------------------------------------ */

static size_t out_pending(const struct client *c)
{
	return c->out_len - c->out_off;
}

static int out_put(struct client *c, const void *p, size_t n)
{
	if (c->out_off > 0 && c->out_len + n > c->out_cap) {
		memmove(c->out, c->out + c->out_off, out_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		uint8_t *nb;
		while (cap < c->out_len + n)
			cap *= 2;
		nb = realloc(c->out, cap);
		if (nb == NULL)
			return -1;
		c->out = nb;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return 0;
}

/* Send what is queued, as far as the socket takes it. -1: the peer is gone. */
static int out_flush(struct client *c)
{
	while (out_pending(c) > 0) {
		ssize_t n = send(c->fd, c->out + c->out_off, out_pending(c), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->out_off += (size_t)n;
		c->stuck_since_ms = turn_ms;
	}
	c->out_off = c->out_len = 0;
	if (c->out_cap > OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return 0;
}

/* One message to the client: what the socket takes now goes now, the rest
 * is queued behind what waits already. -1: the peer is gone (or no memory). */
static int send_msg(struct client *c, uint16_t type, uint32_t seq, const void *p, uint32_t len)
{
	struct sgw_msg_hdr h = {
		.magic = SGW_AGENT_MAGIC, .version = SGW_AGENT_VERSION,
		.type = type, .len = len, .seq = seq,
	};
	size_t sent = 0;

	if (out_pending(c) == 0) {
		struct iovec iov[2] = {
			{ .iov_base = &h, .iov_len = sizeof(h) },
			{ .iov_base = (void *)(uintptr_t)p, .iov_len = len },
		};
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
		ssize_t n = sendmsg(c->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		sent = n < 0 ? 0 : (size_t)n;
		if (sent == sizeof(h) + len)
			return 0;
		c->stuck_since_ms = turn_ms;
	}
	if (sent < sizeof(h) && out_put(c, (const uint8_t *)&h + sent, sizeof(h) - sent) != 0)
		return -1;
	sent = sent > sizeof(h) ? sent - sizeof(h) : 0;
	if (len > sent && out_put(c, (const uint8_t *)p + sent, len - sent) != 0)
		return -1;
	return 0;
}

static int reply(struct client *c, uint16_t type, const void *p, uint32_t len)
{
	return send_msg(c, type, c->hdr.seq, p, len);
}

static struct sgw_error error_body(int code, uint32_t op_index, const char *msg)
{
	struct sgw_error e = { .code = code, .op_index = op_index };
	size_t n = strnlen(msg, sizeof(e.msg) - 1);

	memcpy(e.msg, msg, n); /* cut to the wire's limit */
	e.msg[n] = '\0';
	return e;
}

static int reply_error(struct client *c, int code, uint32_t op_index, const char *msg)
{
	struct sgw_error e = error_body(code, op_index, msg);

	return reply(c, SGW_MSG_ERROR, &e, sizeof(e));
}

/* ---- requests -------------------------------------------------------------- */

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
			explicit_bzero(it.full, sizeof(it.full));
			char msg[sizeof(err) + 64];
			agent_txn_abort(a);
			c->owns_txn = false;
			snprintf(msg, sizeof(msg), "op %u (%s): %s: transaction aborted", index,
				 sgw_op_name(type), err);
			return reply_error(c, -rc, index, msg);
		}
	}
	explicit_bzero(it.full, sizeof(it.full)); /* a copied body may hold a key */
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
			.lease_ms = agent_lease_ms(a, rte_rdtsc()),
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
		uint32_t op_index;
		if (!len_is(c, 0))
			return 0;
		if (!c->owns_txn)
			return reply_error(c, EPROTO, UINT32_MAX, "no open transaction");
		c->owns_txn = false;
		rc = agent_txn_commit(a, &ap.version, &op_index, err, sizeof(err));
		if (rc != 0) {
			char msg[sizeof(err) + 32];
			snprintf(msg, sizeof(msg), "%s: transaction aborted", err);
			return reply_error(c, -rc, op_index, msg);
		}
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
	case SGW_MSG_STATS_ADDRS: {
		size_t n;
		if (!len_is(c, 0))
			return 0;
		n = agent_stats_addrs(a, reply_buf, sizeof(reply_buf));
		return reply(c, SGW_MSG_ADDR_STATS, reply_buf, (uint32_t)n);
	}
	case SGW_MSG_LEASE: {
		struct sgw_lease l;
		if (!len_is(c, sizeof(l)))
			return 0;
		memcpy(&l, c->payload, sizeof(l));
		rc = agent_lease_set(a, &l, rte_rdtsc(), err, sizeof(err));
		if (rc != 0)
			return reply_error(c, -rc, UINT32_MAX, err);
		return reply(c, SGW_MSG_OK, NULL, 0);
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

/* ---- clients --------------------------------------------------------------- */

static bool can_read(const struct client *c)
{
	return !c->closing && out_pending(c) < OUT_PAUSE;
}

static void client_close(struct sgw_agent *a, struct client *c)
{
	if (c->owns_txn) {
		agent_txn_abort(a);
		c->owns_txn = false;
	}
	close(c->fd);
	c->fd = -1;
	if (c->payload != NULL) {
		/* the message in progress, if any (whole ones are zeroed already) */
		explicit_bzero(c->payload, c->got > sizeof(c->hdr) ? c->got - sizeof(c->hdr) : 0);
		munmap(c->payload, SGW_AGENT_MAX_PAYLOAD);
	}
	c->payload = NULL;
	free(c->out);
	c->out = NULL;
	c->out_cap = c->out_off = c->out_len = 0;
}

/* Read what is there and act on up to MSGS_PER_TURN whole messages; the
 * rest stays in the socket for the next turn. Returns <0 to close now. */
static int client_read(struct server *s, struct client *c)
{
	unsigned handled = 0;
	uint32_t bytes = 0;

	while (can_read(c) && handled < MSGS_PER_TURN && bytes < BYTES_PER_TURN) {
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
			bytes += (uint32_t)r;
			c->last_rx_ms = turn_ms;
		}
		if (c->got == sizeof(c->hdr)) {
			int rc = sgw_wire_check_hdr(&c->hdr);
			if (rc != 0) {
				/* cannot find the next message: answer and hang up
				 * (an open transaction goes with the connection) */
				if (c->owns_txn) {
					agent_txn_abort(s->a);
					c->owns_txn = false;
				}
				c->got = 0;
				c->closing = true;
				return reply_error(c, -rc, UINT32_MAX, rc == -EMSGSIZE ?
						   "message larger than the limit" :
						   "bad magic or protocol version");
			}
		}
		if (c->got >= sizeof(c->hdr) && c->got == sizeof(c->hdr) + c->hdr.len) {
			int rc;
			c->got = 0;
			c->last_seq = c->hdr.seq;
			rc = handle(s->a, c);
			explicit_bzero(c->payload, c->hdr.len); /* TXN_OPS carry keys */
			handled++;
			if (c->owns_txn)
				c->txn_deadline_ms = now_ms() + s->cfg->agent_txn_timeout_ms;
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

/* The deadline of an open transaction, the idle and the send timeouts. */
static void client_timers(struct server *s, struct client *c)
{
	const struct sgw_config *cfg = s->cfg;
	char msg[160];

	if (c->owns_txn && turn_ms >= c->txn_deadline_ms) {
		agent_txn_abort(s->a);
		c->owns_txn = false;
		count(SGW_CTR_AGENT_TXN_TIMEOUT);
		sgw_log(LOG_WARNING, "agent: uid %u pid %d: transaction without a message for %u ms: "
			"aborted, client closed", (unsigned)c->peer.uid, (int)c->peer.pid,
			cfg->agent_txn_timeout_ms);
		snprintf(msg, sizeof(msg), "transaction aborted: no message of it for %u ms "
			 "(agent_txn_timeout_ms); connection closed", cfg->agent_txn_timeout_ms);
		struct sgw_error e = error_body(ETIMEDOUT, UINT32_MAX, msg);
		if (send_msg(c, SGW_MSG_ERROR, c->last_seq, &e, sizeof(e)) != 0)
			client_close(s->a, c);
		else
			c->closing = true; /* after its queued replies, if it reads them */
		return;
	}
	if (out_pending(c) > 0 && turn_ms - c->stuck_since_ms >= cfg->agent_send_timeout_ms) {
		count(SGW_CTR_AGENT_SEND_TIMEOUT);
		sgw_log(LOG_WARNING, "agent: uid %u pid %d: %zu bytes of replies unread for %u ms: "
			"client closed", (unsigned)c->peer.uid, (int)c->peer.pid, out_pending(c),
			cfg->agent_send_timeout_ms);
		client_close(s->a, c);
		return;
	}
	if (cfg->agent_idle_timeout_ms > 0 && !c->closing && out_pending(c) == 0 &&
	    turn_ms - c->last_rx_ms >= cfg->agent_idle_timeout_ms) {
		count(SGW_CTR_AGENT_IDLE_CLOSED);
		snprintf(msg, sizeof(msg), "nothing received for %u ms (agent_idle_timeout_ms): "
			 "connection closed", cfg->agent_idle_timeout_ms);
		struct sgw_error e = error_body(ETIMEDOUT, UINT32_MAX, msg);
		if (send_msg(c, SGW_MSG_ERROR, c->last_seq, &e, sizeof(e)) != 0)
			client_close(s->a, c);
		else
			c->closing = true;
	}
}

/* ---- accepting ------------------------------------------------------------- */

/* One ERROR (seq 0: no request was read) and the connection closed. */
static void refuse(struct server *s, int fd, const struct ucred *cr, int code, const char *msg,
		   enum sgw_counter why)
{
	struct sgw_error e = error_body(code, UINT32_MAX, msg);
	struct sgw_msg_hdr h = {
		.magic = SGW_AGENT_MAGIC, .version = SGW_AGENT_VERSION,
		.type = SGW_MSG_ERROR, .len = sizeof(e), .seq = 0,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) }, { .iov_base = &e, .iov_len = sizeof(e) },
	};
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	(void)!sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
	count(why);
	if (turn_ms - s->refused_log_ms < 1000 && s->refused_log_ms != 0) {
		s->refused_unlogged++;
		return;
	}
	sgw_log(LOG_WARNING, "agent: refused a connection from uid %u gid %u pid %d: %s%s",
		(unsigned)cr->uid, (unsigned)cr->gid, (int)cr->pid, msg,
		s->refused_unlogged ? " (and others since the last message)" : "");
	s->refused_log_ms = turn_ms;
	s->refused_unlogged = 0;
}

static void accept_clients(struct server *s)
{
	char msg[160];

	for (unsigned k = 0; k < ACCEPTS_PER_TURN; k++) {
		struct ucred cr = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
		socklen_t crlen = sizeof(cr);
		struct client *c = NULL;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0 ||
		    !agent_peer_allowed(s->cfg, s->self_uid, s->self_gid, fd, &cr)) {
			snprintf(msg, sizeof(msg), "peer uid %u gid %u is not allowed on the agent socket "
				 "(agent_allow_uids, agent_allow_gids)", (unsigned)cr.uid, (unsigned)cr.gid);
			refuse(s, fd, &cr, EACCES, msg, SGW_CTR_AGENT_PEER_REFUSED);
			continue;
		}
		for (unsigned i = 0; i < s->max && c == NULL; i++)
			if (s->clients[i].fd < 0)
				c = &s->clients[i];
		if (c == NULL) {
			snprintf(msg, sizeof(msg), "too many clients (agent_max_clients = %u): try again later",
				 s->max);
			refuse(s, fd, &cr, EUSERS, msg, SGW_CTR_AGENT_CLIENTS_REFUSED);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->peer = cr;
		c->last_rx_ms = turn_ms;
		c->payload = mmap(NULL, SGW_AGENT_MAX_PAYLOAD, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c->payload == MAP_FAILED) {
			c->payload = NULL;
			client_close(s->a, c);
			continue;
		}
		/* it holds keys while a TXN_OPS is in it: never in a core dump */
		madvise(c->payload, SGW_AGENT_MAX_PAYLOAD, MADV_DONTDUMP);
	}
}

/* ---- the loop -------------------------------------------------------------- */

static void serve_turn(struct server *s, int timeout_ms)
{
	unsigned n = 0;

	s->pfd[n].fd = s->lfd;
	s->pfd[n++].events = POLLIN;
	for (unsigned i = 0; i < s->max; i++) {
		const struct client *c = &s->clients[i];
		s->pfd[n].fd = c->fd; /* -1 is ignored by poll */
		s->pfd[n++].events = (short)((c->fd >= 0 && can_read(c) ? POLLIN : 0) |
					     (c->fd >= 0 && out_pending(c) > 0 ? POLLOUT : 0));
	}
	agent_punt_pollfds(s->a, &s->pfd[n]);
	n += AGENT_PUNT_NFDS;
	if (poll(s->pfd, n, timeout_ms) < 0)
		for (unsigned i = 0; i < n; i++)
			s->pfd[i].revents = 0;
	turn_ms = now_ms();
	/* The punt channel first: srtpgw-control sends a session's last
	 * datagrams (a DTLS close_notify) before the change that takes its
	 * port away, and they must leave while the port is still there. */
	agent_punt_events(s->a, &s->pfd[s->max + 1], turn_ms);
	for (unsigned i = 0; i < s->max; i++) {
		struct client *c = &s->clients[i];
		short ev = s->pfd[i + 1].revents;

		if (c->fd < 0 || ev == 0)
			continue;
		if ((ev & (POLLOUT | POLLHUP | POLLERR)) && out_pending(c) > 0 && out_flush(c) < 0) {
			client_close(s->a, c);
			continue;
		}
		if ((ev & (POLLIN | POLLHUP | POLLERR)) && can_read(c) && client_read(s, c) < 0)
			client_close(s->a, c);
	}
	if (s->pfd[0].revents & POLLIN)
		accept_clients(s);
	for (unsigned i = 0; i < s->max; i++) {
		struct client *c = &s->clients[i];
		if (c->fd < 0)
			continue;
		client_timers(s, c);
		if (c->fd >= 0 && c->closing && out_pending(c) == 0)
			client_close(s->a, c);
	}
}

int agent_serve(struct sgw_agent *a, int lfd, const char *path, volatile bool *quit)
{
	struct server s = {
		.a = a, .cfg = a->cfg, .lfd = lfd, .max = a->cfg->agent_max_clients,
		.self_uid = geteuid(), .self_gid = getegid(),
	};
	bool slow_more = false;

	s.clients = calloc(s.max, sizeof(*s.clients));
	s.pfd = calloc(s.max + 1 + AGENT_PUNT_NFDS, sizeof(*s.pfd));
	if (s.clients == NULL || s.pfd == NULL) {
		sgw_log(LOG_ERR, "agent: out of memory for %u clients", s.max);
		free(s.clients);
		free(s.pfd);
		return -1;
	}
	for (unsigned i = 0; i < s.max; i++)
		s.clients[i].fd = -1;
	sgw_log(LOG_INFO, "agent listening on %s", path);
	while (!*quit) {
		/* a slow path with frames left does not wait: it takes its
		 * next batch right after the clients have been served */
		serve_turn(&s, slow_more ? 0 : POLL_MS);
		slow_more = agent_slowpath_poll(a, turn_ms) == SGW_SLOW_BATCH;
	}
	for (unsigned i = 0; i < s.max; i++)
		if (s.clients[i].fd >= 0)
			client_close(a, &s.clients[i]);
	free(s.clients);
	free(s.pfd);
	close(lfd);
	unlink(path); /* fails once srtpgw runs as a user that may not: the next start replaces it */
	return 0;
}
