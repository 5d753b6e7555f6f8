/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/daemon/gw_link.h"

#define DEFAULT_TIMEOUT_MS 10000

static uint8_t rbuf[SGW_AGENT_MAX_PAYLOAD];

void gw_ops_init(struct gw_ops *o)
{
	o->bufs = NULL;
	o->n = 0;
}

int gw_ops_add(struct gw_ops *o, unsigned type, const void *body, uint16_t len)
{
	int rc = o->n ? sgw_ops_buf_add(&o->bufs[o->n - 1], type, body, len) : -EMSGSIZE;

	if (rc == -EMSGSIZE) {
		struct sgw_ops_buf *nb = realloc(o->bufs, (o->n + 1) * sizeof(*nb));
		if (nb == NULL)
			return -ENOMEM;
		o->bufs = nb;
		sgw_ops_buf_init(&o->bufs[o->n++]);
		rc = sgw_ops_buf_add(&o->bufs[o->n - 1], type, body, len);
	}
	return rc;
}

uint32_t gw_ops_count(const struct gw_ops *o)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < o->n; i++)
		n += sgw_ops_buf_count(&o->bufs[i]);
	return n;
}

void gw_ops_free(struct gw_ops *o)
{
	for (unsigned i = 0; i < o->n; i++)
		sgw_ops_buf_free(&o->bufs[i]);
	free(o->bufs);
	gw_ops_init(o);
}

void gw_link_init(struct gw_link *l, const char *path)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->fd = -1;
	l->timeout_ms = DEFAULT_TIMEOUT_MS;
}

static void apply_timeout(const struct gw_link *l)
{
	struct timeval tv = { .tv_sec = l->timeout_ms / 1000,
			      .tv_usec = (suseconds_t)(l->timeout_ms % 1000) * 1000 };

	if (l->fd >= 0) {
		setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(l->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
}

void gw_link_set_timeout(struct gw_link *l, uint32_t ms)
{
	if (ms == l->timeout_ms)
		return;
	l->timeout_ms = ms;
	apply_timeout(l);
}

bool gw_link_up(const struct gw_link *l)
{
	return l->fd >= 0;
}

void gw_link_close(struct gw_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->in_sync = false;
}

int gw_link_request(struct gw_link *l, uint16_t type, const void *p, uint32_t len,
		    void *buf, uint32_t cap, uint32_t *reply_len)
{
	struct sgw_msg_hdr h;
	int rc;

	if (l->fd < 0)
		return -ENOTCONN;
	rc = sgw_wire_send(l->fd, type, ++l->seq, p, len);
	if (rc == 0)
		rc = sgw_wire_recv(l->fd, &h, buf, cap);
	if (rc == 0 && h.seq == 0 && h.type == SGW_MSG_ERROR && h.len == sizeof(struct sgw_error)) {
		/* the gateway's word on the connection itself (a peer it does
		 * not allow, an idle client it closes): say why */
		struct sgw_error e;

		memcpy(&e, buf, sizeof(e));
		e.msg[sizeof(e.msg) - 1] = '\0';
		snprintf(l->last_error, sizeof(l->last_error), "the gateway closed the connection: %.180s",
			 e.msg);
		gw_link_close(l);
		return -ECONNREFUSED;
	}
	if (rc == 0 && h.seq != l->seq)
		rc = -EPROTO;
	if (rc == -EAGAIN || rc == -EWOULDBLOCK)
		rc = -ETIMEDOUT;
	if (rc != 0) {
		if (rc == -ETIMEDOUT)
			snprintf(l->last_error, sizeof(l->last_error),
				 "agent %s: no answer within %u ms", l->path, l->timeout_ms);
		else
			snprintf(l->last_error, sizeof(l->last_error), "agent %s: %s", l->path,
				 strerror(-rc));
		gw_link_close(l);
		return rc;
	}
	if (reply_len != NULL)
		*reply_len = h.len;
	return h.type;
}

int gw_link_connect(struct gw_link *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sgw_status st;
	uint32_t n;
	int rc;

	gw_link_close(l);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
	/* non-blocking for the connect: a stopped gateway's full backlog
	 * would block a UNIX connect() for good (EAGAIN instead); blocking
	 * with timeouts (apply_timeout) for the requests after it */
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->fd < 0 || connect(l->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		rc = -errno;
		snprintf(l->last_error, sizeof(l->last_error), "agent %s: %s", l->path,
			 errno == EAGAIN ? "not accepting connections (stopped?)" : strerror(errno));
		gw_link_close(l);
		return rc;
	}
	apply_timeout(l);
	rc = gw_link_request(l, SGW_MSG_HELLO, NULL, 0, rbuf, sizeof(rbuf), &n);
	if (rc < 0)
		return rc;
	if (rc != SGW_MSG_STATUS || n != sizeof(st)) {
		snprintf(l->last_error, sizeof(l->last_error), "agent %s: unexpected reply to HELLO", l->path);
		gw_link_close(l);
		return -EPROTO;
	}
	memcpy(&st, rbuf, sizeof(st));
	/* whether it has our state is the caller's question (ctl_seq) */
	l->boot_id = st.boot_id;
	l->applied_seq = st.ctl_seq;
	l->version = st.version;
	return 0;
}

static int expect(struct gw_link *l, int rc, uint32_t n, uint16_t want, uint32_t *op_index,
		  char *err, size_t errlen)
{
	if (rc < 0)
		return rc;
	if (rc == SGW_MSG_ERROR && n == sizeof(struct sgw_error)) {
		struct sgw_error e;
		memcpy(&e, rbuf, sizeof(e));
		e.msg[sizeof(e.msg) - 1] = '\0';
		snprintf(err, errlen, "gateway: %s", e.msg);
		*op_index = e.op_index;
		return e.code > 0 ? e.code : EIO;
	}
	if (rc != want) {
		snprintf(l->last_error, sizeof(l->last_error), "agent %s: unexpected reply %d", l->path, rc);
		gw_link_close(l);
		return -EPROTO;
	}
	return 0;
}

int gw_link_apply(struct gw_link *l, uint64_t ctl_seq, uint32_t flags,
		  const struct gw_ops *ops, uint32_t *op_index, char *err, size_t errlen)
{
	struct sgw_txn_begin b = { .ctl_seq = ctl_seq, .flags = flags };
	struct sgw_applied ap;
	uint32_t n;
	int rc;

	*op_index = UINT32_MAX;
	rc = gw_link_request(l, SGW_MSG_TXN_BEGIN, &b, sizeof(b), rbuf, sizeof(rbuf), &n);
	if ((rc = expect(l, rc, n, SGW_MSG_OK, op_index, err, errlen)) != 0)
		return rc;
	for (unsigned i = 0; ops != NULL && i < ops->n; i++) {
		rc = gw_link_request(l, SGW_MSG_TXN_OPS, ops->bufs[i].data, ops->bufs[i].len,
				     rbuf, sizeof(rbuf), &n);
		if ((rc = expect(l, rc, n, SGW_MSG_OK, op_index, err, errlen)) != 0)
			return rc; /* the gateway aborted the transaction itself */
	}
	rc = gw_link_request(l, SGW_MSG_TXN_COMMIT, NULL, 0, rbuf, sizeof(rbuf), &n);
	if ((rc = expect(l, rc, n, SGW_MSG_APPLIED, op_index, err, errlen)) != 0)
		return rc;
	memcpy(&ap, rbuf, sizeof(ap));
	/* one transaction makes one version: a jump means another writer */
	l->other_writer = ap.version != l->version + 1;
	l->applied_seq = ap.ctl_seq;
	l->version = ap.version;
	return 0;
}
