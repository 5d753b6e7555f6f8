/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "api/agent_wire.h"

_Static_assert(sizeof(struct sgw_op_stream_add) <= sizeof(((struct sgw_op_iter *)0)->full) &&
	       sizeof(struct sgw_op_viewer_add) <= sizeof(((struct sgw_op_iter *)0)->full) &&
	       sizeof(struct sgw_op_rekey) <= sizeof(((struct sgw_op_iter *)0)->full),
	       "an op with a short form does not fit sgw_op_iter.full");

/* An op's body: its full length, or one of its short forms (the body
 * without the optional fields added last, read as zeros). */
static const struct {
	const char *name;
	uint16_t len;
	uint16_t short_len[3]; /* 0: none */
} ops[SGW_OP_MAX] = {
	[SGW_OP_STREAM_ADD] = { "stream_add", sizeof(struct sgw_op_stream_add),
				{ offsetof(struct sgw_op_stream_add, resume),
				  offsetof(struct sgw_op_stream_add, old_key),
				  offsetof(struct sgw_op_stream_add, flags) } },
	[SGW_OP_STREAM_DEL] = { "stream_del", sizeof(struct sgw_op_id), { 0, 0, 0 } },
	[SGW_OP_STREAM_REKEY] = { "stream_rekey", sizeof(struct sgw_op_rekey),
				  { offsetof(struct sgw_op_rekey, lanes), 0, 0 } },
	[SGW_OP_STREAM_END_OVERLAP] = { "stream_end_overlap", sizeof(struct sgw_op_id), { 0, 0, 0 } },
	[SGW_OP_STREAM_SET_SOURCE] = { "stream_set_source", sizeof(struct sgw_op_stream_source),
				       { 0, 0, 0 } },
	[SGW_OP_GRANT_ADD] = { "grant_add", sizeof(struct sgw_op_grant), { 0, 0, 0 } },
	[SGW_OP_GRANT_DEL] = { "grant_del", sizeof(struct sgw_op_grant), { 0, 0, 0 } },
	[SGW_OP_VIEWER_ADD] = { "viewer_add", sizeof(struct sgw_op_viewer_add),
				{ offsetof(struct sgw_op_viewer_add, resume),
				  offsetof(struct sgw_op_viewer_add, lanes),
				  offsetof(struct sgw_op_viewer_add, port) } },
	[SGW_OP_VIEWER_DEL] = { "viewer_del", sizeof(struct sgw_op_id), { 0, 0, 0 } },
	[SGW_OP_VIEWER_REKEY] = { "viewer_rekey", sizeof(struct sgw_op_rekey),
				  { offsetof(struct sgw_op_rekey, lanes), 0, 0 } },
	[SGW_OP_VIEWER_SET_DEST] = { "viewer_set_dest", sizeof(struct sgw_op_viewer_dest),
				     { 0, 0, 0 } },
	[SGW_OP_PORT_ADD] = { "port_add", sizeof(struct sgw_op_port), { 0, 0, 0 } },
	[SGW_OP_PORT_DEL] = { "port_del", sizeof(struct sgw_op_port), { 0, 0, 0 } },
	[SGW_OP_ADDR_ADD] = { "addr_add", sizeof(struct sgw_op_addr), { 0, 0, 0 } },
	[SGW_OP_ADDR_DEL] = { "addr_del", sizeof(struct sgw_op_addr), { 0, 0, 0 } },
	[SGW_OP_STREAM_FENCE] = { "stream_fence", sizeof(struct sgw_op_fence), { 0, 0, 0 } },
};

int sgw_wire_check_hdr(const struct sgw_msg_hdr *h)
{
	if (h->magic != SGW_AGENT_MAGIC || h->version != SGW_AGENT_VERSION)
		return -EPROTO;
	if (h->len > SGW_AGENT_MAX_PAYLOAD)
		return -EMSGSIZE;
	return 0;
}

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

int sgw_wire_send(int fd, uint16_t type, uint32_t seq, const void *payload, uint32_t len)
{
	struct sgw_msg_hdr h = {
		.magic = SGW_AGENT_MAGIC, .version = SGW_AGENT_VERSION,
		.type = type, .len = len, .seq = seq,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)(uintptr_t)payload, .iov_len = len },
	};
	return write_all(fd, iov, len ? 2 : 1);
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t r = read(fd, p, len);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int sgw_wire_recv(int fd, struct sgw_msg_hdr *hdr, void *buf, uint32_t cap)
{
	int rc = read_all(fd, hdr, sizeof(*hdr));

	if (rc != 0)
		return rc;
	rc = sgw_wire_check_hdr(hdr);
	if (rc != 0)
		return rc;
	if (hdr->len > cap)
		return -EMSGSIZE;
	return read_all(fd, buf, hdr->len);
}

int sgw_op_body_len(unsigned type)
{
	if (type >= SGW_OP_MAX || ops[type].name == NULL)
		return -1;
	return ops[type].len;
}

const char *sgw_op_name(unsigned type)
{
	if (type >= SGW_OP_MAX || ops[type].name == NULL)
		return "unknown";
	return ops[type].name;
}

int sgw_op_iter_init(struct sgw_op_iter *it, const void *payload, uint32_t len)
{
	struct sgw_txn_ops h;

	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, payload, sizeof(h));
	it->p = (const uint8_t *)payload + sizeof(h);
	it->end = (const uint8_t *)payload + len;
	it->left = h.n_ops;
	it->index = UINT32_MAX;
	return 0;
}

int sgw_op_next(struct sgw_op_iter *it, unsigned *type, const void **body)
{
	struct sgw_op_hdr h;

	if (it->left == 0)
		return it->p == it->end ? 0 : -EINVAL;
	if ((size_t)(it->end - it->p) < sizeof(h))
		return -EINVAL;
	memcpy(&h, it->p, sizeof(h));
	it->index++;
	if ((size_t)(it->end - it->p) - sizeof(h) < h.len)
		return -EINVAL;
	*type = h.type;
	*body = it->p + sizeof(h);
	if (sgw_op_body_len(h.type) != (int)h.len) {
		/* the short form, zero-extended into the iterator */
		if (sgw_op_body_len(h.type) < 0 || h.len == 0 ||
		    (ops[h.type].short_len[0] != h.len && ops[h.type].short_len[1] != h.len &&
		     ops[h.type].short_len[2] != h.len))
			return -EINVAL;
		memset(it->full, 0, ops[h.type].len);
		memcpy(it->full, *body, h.len);
		*body = it->full;
	} else if (((uintptr_t)*body & 7) != 0) {
		/* after a body that is not a multiple of 8 bytes (ADDR_ADD):
		 * copied, so that the struct is read aligned */
		memcpy(it->full, *body, h.len);
		*body = it->full;
	}
	it->p += sizeof(h) + h.len;
	it->left--;
	return 1;
}

void sgw_ops_buf_init(struct sgw_ops_buf *b)
{
	memset(b, 0, sizeof(*b));
}

int sgw_ops_buf_add(struct sgw_ops_buf *b, unsigned type, const void *body, uint16_t len)
{
	struct sgw_op_hdr h = { .type = (uint16_t)type, .len = len };
	uint32_t need = (b->len ? b->len : (uint32_t)sizeof(struct sgw_txn_ops)) +
			(uint32_t)sizeof(h) + len;
	struct sgw_txn_ops th;

	if (need > SGW_AGENT_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (need > b->cap) {
		uint32_t ncap = b->cap ? b->cap : 4096;
		uint8_t *nd;
		while (ncap < need)
			ncap *= 2;
		nd = malloc(ncap);
		if (nd == NULL)
			return -ENOMEM;
		uint32_t len = b->len;
		if (len)
			memcpy(nd, b->data, len);
		sgw_ops_buf_free(b); /* zeroes the old copy: it may hold keys */
		b->data = nd;
		b->cap = ncap;
		b->len = len;
	}
	if (b->len == 0) {
		memset(&th, 0, sizeof(th));
		memcpy(b->data, &th, sizeof(th));
		b->len = sizeof(th);
	}
	memcpy(b->data + b->len, &h, sizeof(h));
	memcpy(b->data + b->len + sizeof(h), body, len);
	b->len += (uint32_t)sizeof(h) + len;
	memcpy(&th, b->data, sizeof(th));
	th.n_ops++;
	memcpy(b->data, &th, sizeof(th));
	return 0;
}

uint32_t sgw_ops_buf_count(const struct sgw_ops_buf *b)
{
	struct sgw_txn_ops th;

	if (b->len == 0)
		return 0;
	memcpy(&th, b->data, sizeof(th));
	return th.n_ops;
}

void sgw_ops_buf_reset(struct sgw_ops_buf *b)
{
	if (b->data != NULL)
		memset(b->data, 0, b->len);
	b->len = 0;
}

void sgw_ops_buf_free(struct sgw_ops_buf *b)
{
	if (b->data != NULL) {
		/* volatile-free zeroing: explicit_bzero is glibc, fine on Debian */
		explicit_bzero(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->cap = 0;
}
