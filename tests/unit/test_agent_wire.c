/* SPDX-License-Identifier: BSD-3-Clause */
/* Agent wire format: op encoding, the op iterator on malformed payloads,
 * header checks, and framing over a socket pair. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/agent_wire.h"
#include "check.h"

static void ops_roundtrip(void)
{
	struct sgw_ops_buf b;
	struct sgw_op_iter it;
	struct sgw_op_id del = { 42 };
	struct sgw_op_grant g = { .stream_id = 7, .owner = 3 };
	const void *body;
	unsigned type;

	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_DEL, &del, sizeof(del)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_GRANT_ADD, &g, sizeof(g)), 0);
	CHECK_EQ(sgw_ops_buf_count(&b), 2);
	CHECK_EQ(b.len, sizeof(struct sgw_txn_ops) + 2 * sizeof(struct sgw_op_hdr) + sizeof(del) + sizeof(g));
	CHECK_EQ(sgw_op_iter_init(&it, b.data, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(type, SGW_OP_STREAM_DEL);
	CHECK_EQ(((const struct sgw_op_id *)body)->id, 42);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(type, SGW_OP_GRANT_ADD);
	CHECK_EQ(it.index, 1);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 0);
	sgw_ops_buf_free(&b);
}

/* An op after one whose body is not a multiple of 8 bytes (ADDR_ADD, 28)
 * starts misaligned in the payload: the iterator hands every body out
 * aligned for its struct (UBSan saw STREAM_ADD read misaligned). */
static void bodies_aligned(void)
{
	struct sgw_ops_buf b;
	struct sgw_op_iter it;
	struct sgw_op_addr addr = { .ip = { .family = SGW_AF_INET, .a = { 10, 0, 0, 1 } }, .prefix_len = 32 };
	struct sgw_op_stream_add st = { .stream_id = 9, .owner = 1 };
	struct sgw_op_fence f = { .stream_id = 9, .token = 5 };
	const void *body;
	unsigned type;

	CHECK(sizeof(addr) % 8 != 0);
	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_ADDR_ADD, &addr, sizeof(addr)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_ADD, &st, sizeof(st)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_FENCE, &f, sizeof(f)), 0);
	CHECK_EQ(sgw_op_iter_init(&it, b.data, b.len), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
		CHECK_EQ((uintptr_t)body % 8, 0);
	}
	CHECK_EQ(type, SGW_OP_STREAM_FENCE);
	CHECK_EQ(((const struct sgw_op_fence *)body)->token, 5);
	sgw_ops_buf_free(&b);
}

static void malformed_ops(void)
{
	struct sgw_ops_buf b;
	struct sgw_op_iter it;
	struct sgw_op_id del = { 1 };
	const void *body;
	unsigned type;
	uint8_t *copy;

	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_DEL, &del, sizeof(del)), 0);
	/* every truncation of a one-op payload is refused */
	for (uint32_t len = 0; len < b.len; len++) {
		copy = malloc(len + 1);
		memcpy(copy, b.data, len);
		if (sgw_op_iter_init(&it, copy, len) == 0)
			CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
		else
			CHECK(len < sizeof(struct sgw_txn_ops));
		free(copy);
	}
	/* trailing bytes after the announced ops */
	copy = calloc(1, b.len + 3);
	memcpy(copy, b.data, b.len);
	CHECK_EQ(sgw_op_iter_init(&it, copy, b.len + 3), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
	/* wrong body length for the type, unknown type */
	struct sgw_op_hdr *h = (struct sgw_op_hdr *)(copy + sizeof(struct sgw_txn_ops));
	h->len = 4;
	CHECK_EQ(sgw_op_iter_init(&it, copy, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
	h->len = sizeof(del);
	h->type = SGW_OP_MAX;
	CHECK_EQ(sgw_op_iter_init(&it, copy, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
	h->type = 0;
	CHECK_EQ(sgw_op_iter_init(&it, copy, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
	/* more ops announced than present */
	struct sgw_txn_ops *th = (struct sgw_txn_ops *)copy;
	h->type = SGW_OP_STREAM_DEL;
	th->n_ops = 2;
	CHECK_EQ(sgw_op_iter_init(&it, copy, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
	free(copy);
	sgw_ops_buf_free(&b);
}

/* STREAM_ADD and VIEWER_ADD without their optional position: read as
 * zeros; any other length but the two forms is refused. */
static void short_forms(void)
{
	struct sgw_op_stream_add sa;
	struct sgw_op_viewer_add va;
	struct sgw_ops_buf b;
	struct sgw_op_iter it;
	const void *body;
	unsigned type;

	memset(&sa, 0x11, sizeof(sa));
	memset(&va, 0x22, sizeof(va));
	sa.resume = (struct sgw_pos){ .ssrc = 7, .roc = 3, .seq = 9, .flags = SGW_POS_VALID };
	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_ADD, &sa, offsetof(struct sgw_op_stream_add, resume)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_VIEWER_ADD, &va, offsetof(struct sgw_op_viewer_add, resume)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_ADD, &sa, sizeof(sa)), 0);
	CHECK_EQ(sgw_op_iter_init(&it, b.data, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(type, SGW_OP_STREAM_ADD);
	CHECK_EQ(((const struct sgw_op_stream_add *)body)->stream_id, 0x1111111111111111ull);
	CHECK_EQ(((const struct sgw_op_stream_add *)body)->resume.flags, 0);
	CHECK_EQ(((const struct sgw_op_stream_add *)body)->resume.ssrc, 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(type, SGW_OP_VIEWER_ADD);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->owner, 0x22222222u);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->resume.roc, 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(((const struct sgw_op_stream_add *)body)->resume.ssrc, 7);
	CHECK_EQ(((const struct sgw_op_stream_add *)body)->resume.roc, 3);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 0);
	sgw_ops_buf_free(&b);

	/* a length between the two forms; a short form of a type without one */
	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_ADD, &sa, sizeof(sa) - 4), 0);
	CHECK_EQ(sgw_op_iter_init(&it, b.data, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
	sgw_ops_buf_free(&b);
	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_VIEWER_REKEY, &va, sizeof(struct sgw_op_rekey) - 16), 0);
	CHECK_EQ(sgw_op_iter_init(&it, b.data, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
	sgw_ops_buf_free(&b);
	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_DEL, &va, 0), 0);
	CHECK_EQ(sgw_op_iter_init(&it, b.data, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
	sgw_ops_buf_free(&b);
}

/* The second short forms: STREAM_ADD without its old key (136 bytes),
 * VIEWER_ADD without its lanes (120), a rekey without lanes (72); the
 * full forms carry them. */
static void short_forms_lanes(void)
{
	struct sgw_op_stream_add sa;
	struct sgw_op_viewer_add va;
	struct sgw_op_rekey rk;
	struct sgw_ops_buf b;
	struct sgw_op_iter it;
	const void *body;
	unsigned type;

	CHECK_EQ(sizeof(sa), 200);
	CHECK_EQ(sizeof(va), 456);
	CHECK_EQ(sizeof(rk), 336);
	memset(&sa, 0x11, sizeof(sa));
	memset(&va, 0x22, sizeof(va));
	memset(&rk, 0x33, sizeof(rk));
	va.lanes.n = 2;
	va.lanes.lane[1].ssrc = 0xabcdef01;
	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_ADD, &sa, offsetof(struct sgw_op_stream_add, old_key)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_VIEWER_ADD, &va, offsetof(struct sgw_op_viewer_add, lanes)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_VIEWER_REKEY, &rk, offsetof(struct sgw_op_rekey, lanes)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_VIEWER_ADD, &va, offsetof(struct sgw_op_viewer_add, port)), 0);
	CHECK_EQ(sgw_op_iter_init(&it, b.data, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(((const struct sgw_op_stream_add *)body)->resume.ssrc, 0x11111111u);
	CHECK_EQ(((const struct sgw_op_stream_add *)body)->old_key.len, 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->resume.ssrc, 0x22222222u);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->lanes.n, 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(type, SGW_OP_VIEWER_REKEY);
	CHECK_EQ(((const struct sgw_op_rekey *)body)->lanes.n, 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->lanes.n, 2);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->lanes.lane[1].ssrc, 0xabcdef01u);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->port.local_port, 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 0);
	sgw_ops_buf_free(&b);
}

/* The third short forms: STREAM_ADD without its flags (192 bytes),
 * VIEWER_ADD without its port (384); the full forms carry them. */
static void short_forms_ports(void)
{
	struct sgw_op_stream_add sa;
	struct sgw_op_viewer_add va;
	struct sgw_op_port pa;
	struct sgw_ops_buf b;
	struct sgw_op_iter it;
	const void *body;
	unsigned type;

	memset(&sa, 0x11, sizeof(sa));
	memset(&va, 0x22, sizeof(va));
	memset(&pa, 0, sizeof(pa));
	pa.local.port = 5004;
	pa.flags = SGW_PORT_PUNT;
	va.port.local_port = 40000;
	va.port.flags = SGW_VIEWER_PUNT;
	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_STREAM_ADD, &sa, offsetof(struct sgw_op_stream_add, flags)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_VIEWER_ADD, &va, offsetof(struct sgw_op_viewer_add, port)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_VIEWER_ADD, &va, sizeof(va)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_PORT_ADD, &pa, sizeof(pa)), 0);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_PORT_DEL, &pa, sizeof(pa)), 0);
	CHECK_EQ(sgw_op_iter_init(&it, b.data, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(((const struct sgw_op_stream_add *)body)->stream_id, 0x1111111111111111ull);
	CHECK_EQ(((const struct sgw_op_stream_add *)body)->flags, 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->owner, 0x22222222u);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->port.local_port, 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->port.local_port, 40000);
	CHECK_EQ(((const struct sgw_op_viewer_add *)body)->port.flags, SGW_VIEWER_PUNT);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(type, SGW_OP_PORT_ADD);
	CHECK_EQ(((const struct sgw_op_port *)body)->local.port, 5004);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 1);
	CHECK_EQ(type, SGW_OP_PORT_DEL);
	CHECK_EQ(sgw_op_next(&it, &type, &body), 0);
	sgw_ops_buf_free(&b);

	/* a port op of the wrong length */
	sgw_ops_buf_init(&b);
	CHECK_EQ(sgw_ops_buf_add(&b, SGW_OP_PORT_ADD, &pa, sizeof(pa) - 4), 0);
	CHECK_EQ(sgw_op_iter_init(&it, b.data, b.len), 0);
	CHECK_EQ(sgw_op_next(&it, &type, &body), -EINVAL);
	sgw_ops_buf_free(&b);
}

static void payload_limit(void)
{
	struct sgw_ops_buf b;
	struct sgw_op_viewer_add v = { .viewer_id = 1 };
	int rc;
	unsigned n = 0;

	sgw_ops_buf_init(&b);
	while ((rc = sgw_ops_buf_add(&b, SGW_OP_VIEWER_ADD, &v, sizeof(v))) == 0)
		n++;
	CHECK_EQ(rc, -EMSGSIZE);
	CHECK(b.len <= SGW_AGENT_MAX_PAYLOAD);
	CHECK_EQ(sgw_ops_buf_count(&b), n);
	sgw_ops_buf_free(&b);
	CHECK(b.data == NULL);
}

static void header_checks_and_framing(void)
{
	struct sgw_msg_hdr h = { SGW_AGENT_MAGIC, SGW_AGENT_VERSION, SGW_MSG_HELLO, 0, 9 };
	uint8_t buf[64];
	int sv[2];

	CHECK_EQ(sgw_wire_check_hdr(&h), 0);
	h.magic ^= 1;
	CHECK_EQ(sgw_wire_check_hdr(&h), -EPROTO);
	h.magic ^= 1;
	h.version = 2;
	CHECK_EQ(sgw_wire_check_hdr(&h), -EPROTO);
	h.version = SGW_AGENT_VERSION;
	h.len = SGW_AGENT_MAX_PAYLOAD + 1;
	CHECK_EQ(sgw_wire_check_hdr(&h), -EMSGSIZE);

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(sgw_wire_send(sv[0], SGW_MSG_OK, 77, "abc", 3), 0);
	CHECK_EQ(sgw_wire_recv(sv[1], &h, buf, sizeof(buf)), 0);
	CHECK_EQ(h.type, SGW_MSG_OK);
	CHECK_EQ(h.seq, 77);
	CHECK_EQ(h.len, 3);
	CHECK_MEM(buf, "abc", 3);
	/* a reply bigger than the receiver's buffer */
	CHECK_EQ(sgw_wire_send(sv[0], SGW_MSG_OK, 78, buf, 64), 0);
	CHECK_EQ(sgw_wire_recv(sv[1], &h, buf, 10), -EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
	/* the peer closes mid-header */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(write(sv[0], &h, 5), 5);
	close(sv[0]);
	CHECK_EQ(sgw_wire_recv(sv[1], &h, buf, sizeof(buf)), -ECONNRESET);
	close(sv[1]);
}

int main(void)
{
	RUN(ops_roundtrip);
	RUN(bodies_aligned);
	RUN(malformed_ops);
	RUN(short_forms);
	RUN(short_forms_lanes);
	RUN(short_forms_ports);
	RUN(payload_limit);
	RUN(header_checks_and_framing);
	return CHECK_DONE();
}
