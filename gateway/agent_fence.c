/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fencing tokens (SGW_OP_STREAM_FENCE, docs/agent-protocol.md "Fencing"):
 * in a fleet, the etcd revision of a stream's placement on this gateway.
 * The data plane refuses a change that carries an older token than the
 * stream has, and a change to a fenced stream that carries none, so a
 * controller acting on a stale placement cannot change a stream that was
 * placed here again since.
 *
 * A STREAM_FENCE may stand anywhere in its transaction: each one is
 * checked against the highest token known for the stream when it comes
 * (ESTALE), and the "no token" rule is checked once all ops are in, at
 * commit (agent_txn_fence_check), against the op that first changed the
 * stream. Agent thread only.
 */
#include <errno.h>
#include <stdint.h>

#include "api/agent_wire.h"

#include "gateway/agent_txn.h"

static uint64_t map_u64(const struct idmap *m, uint64_t id)
{
	return (uint64_t)(uintptr_t)idmap_get(m, id);
}

uint64_t txn_fence_given(struct sgw_agent *a, uint64_t stream_id)
{
	return map_u64(&a->txn.fence, stream_id);
}

int op_stream_fence(struct sgw_agent *a, const struct sgw_op_fence *op, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct stream_rec *s;
	uint64_t floor, given;

	if (op->stream_id == 0 || (op->stream_id & KIND_STREAM))
		return txn_fail(err, errlen, EINVAL, "stream id must be 1..2^63-1");
	if (op->token == 0)
		return txn_fail(err, errlen, EINVAL, "fencing token 0 is invalid (tokens start at 1)");
	s = idmap_get(&a->streams, op->stream_id);
	given = map_u64(&t->fence, op->stream_id);
	/* the stream as it is now, as it was if this transaction deleted it,
	 * and the tokens this transaction gave it already */
	floor = map_u64(&t->fence_gone, op->stream_id);
	if (s != NULL && s->fence > floor)
		floor = s->fence;
	if (given > floor)
		floor = given;
	if (op->token < floor)
		return txn_fail(err, errlen, ESTALE,
				"stale fencing token %llu: stream %llu has token %llu",
				(unsigned long long)op->token, (unsigned long long)op->stream_id,
				(unsigned long long)floor);
	if (op->token > given &&
	    idmap_put(&t->fence, op->stream_id, (void *)(uintptr_t)op->token) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	if (s == NULL || s->fence == op->token)
		return 0; /* a STREAM_ADD later in the transaction takes it */
	if (txn_touch_record(a, true, s->id) != 0 || txn_mark_dirty(a, s->id) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	s->fence = op->token;
	return 0;
}

int txn_fence_deleted(struct sgw_agent *a, const struct stream_rec *s)
{
	struct idmap *gone = &a->txn.fence_gone;

	if (s->fence == 0 || s->fence <= map_u64(gone, s->id))
		return 0;
	return idmap_put(gone, s->id, (void *)(uintptr_t)s->fence);
}

int agent_txn_fence_check(struct sgw_agent *a, uint32_t *op_index, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	uint64_t id, bad_id = 0, bad_token = 0;
	uint32_t bad_op = UINT32_MAX;
	unsigned bad_type = 0;
	size_t pos;
	void *val;

	for (pos = 0; idmap_next(&t->dirty, &pos, &id, &val);) {
		const struct stream_rec *s = idmap_get(&a->streams, id);
		uint64_t first = (uint64_t)(uintptr_t)val, before;

		if (idmap_get(&t->fence, id) != NULL)
			continue; /* its token is in the transaction */
		/* its token before the transaction: the record's if it was
		 * there before (no STREAM_FENCE changed it), else the one of
		 * the stream this transaction deleted */
		before = s != NULL && s->created_gen != t->gen ? s->fence : map_u64(&t->fence_gone, id);
		/* the first op that changed a fenced stream without its token */
		if (before == 0 || (uint32_t)first - 1 >= bad_op)
			continue;
		bad_op = (uint32_t)first - 1;
		bad_type = (unsigned)(first >> 32);
		bad_id = id;
		bad_token = before;
	}
	if (bad_op == UINT32_MAX)
		return 0;
	*op_index = bad_op;
	return txn_fail(err, errlen, ESTALE,
			"op %u (%s): stream %llu is fenced (token %llu) and the transaction has no "
			"STREAM_FENCE for it: fenced stream changed without its token",
			(unsigned)bad_op, sgw_op_name(bad_type), (unsigned long long)bad_id,
			(unsigned long long)bad_token);
}
