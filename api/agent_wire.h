/* SPDX-License-Identifier: BSD-3-Clause */
/* Framing and op encoding of the agent protocol (api/srtpgw_agent.h),
 * shared by the gateway's agent and its clients. */
#ifndef SRTPGW_AGENT_WIRE_H
#define SRTPGW_AGENT_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "api/srtpgw_agent.h"

/* 0, or -EPROTO (bad magic or version), -EMSGSIZE (len over the limit). */
int sgw_wire_check_hdr(const struct sgw_msg_hdr *h);

/* Blocking: send one message. 0 or -errno. */
int sgw_wire_send(int fd, uint16_t type, uint32_t seq, const void *payload, uint32_t len);
/* Blocking: receive one whole message into buf (cap bytes). 0, or
 * -ECONNRESET (peer closed), -EPROTO, -EMSGSIZE, -errno. */
int sgw_wire_recv(int fd, struct sgw_msg_hdr *hdr, void *buf, uint32_t cap);

/* Body length of an op type (its full form), or -1 for an unknown type. */
int sgw_op_body_len(unsigned type);
const char *sgw_op_name(unsigned type);

/* Walk the ops of a TXN_OPS payload. */
struct sgw_op_iter {
	const uint8_t *p, *end;
	uint32_t left;  /* ops still announced */
	uint32_t index; /* of the op returned last */
	/* a short-form body, zero-extended (srtpgw_agent.h), or a body that
	 * was not 8-byte aligned in the payload: may hold keys, cleanse */
	_Alignas(8) uint8_t full[512];
};
/* 0 and the iterator set up, or -EINVAL if the payload is too short. */
int sgw_op_iter_init(struct sgw_op_iter *it, const void *payload, uint32_t len);
/* 1 and the next op in *type and *body (always of the full length; valid
 * until the next call), 0 at the end, -EINVAL if malformed (truncated,
 * wrong body length for its type, unknown type, trailing bytes). */
int sgw_op_next(struct sgw_op_iter *it, unsigned *type, const void **body);

/* Build TXN_OPS payloads (client side). */
struct sgw_ops_buf {
	uint8_t *data; /* a struct sgw_txn_ops, then the ops */
	uint32_t len, cap;
};
void sgw_ops_buf_init(struct sgw_ops_buf *b);
/* 0 or -ENOMEM, -EMSGSIZE when the payload would exceed the limit (send
 * it and start a new one). */
int sgw_ops_buf_add(struct sgw_ops_buf *b, unsigned type, const void *body, uint16_t len);
uint32_t sgw_ops_buf_count(const struct sgw_ops_buf *b);
void sgw_ops_buf_reset(struct sgw_ops_buf *b);
/* Zeroes the buffer (it may hold keys) and frees it. */
void sgw_ops_buf_free(struct sgw_ops_buf *b);

#endif
