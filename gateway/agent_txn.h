/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of the agent's transaction engine share (agent_txn.c,
 * agent_undo.c, agent_ops_*.c, agent_entry.c). Agent thread only.
 */
#ifndef SRTPGW_AGENT_TXN_H
#define SRTPGW_AGENT_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dataplane/srtp_ctx.h"
#include "gateway/agent.h"

#define KIND_STREAM (1ull << 63)
#define KIND_VIEWER 0ull

#define VEC_PUSH(vec, item)                                                    \
	({                                                                     \
		int _rc = 0;                                                   \
		if ((vec).n == (vec).cap) {                                    \
			size_t _nc = (vec).cap ? (vec).cap * 2 : 16;           \
			void *_nv = realloc((vec).v, _nc * sizeof(*(vec).v));   \
			if (_nv == NULL)                                       \
				_rc = -ENOMEM;                                 \
			else {                                                 \
				(vec).v = _nv;                                 \
				(vec).cap = _nc;                               \
			}                                                      \
		}                                                              \
		if (_rc == 0)                                                  \
			(vec).v[(vec).n++] = (item);                           \
		_rc;                                                           \
	})

int txn_fail(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void txn_reset(struct sgw_txn *t);
int txn_res_created(struct sgw_txn *t, void *obj, void (*fn)(void *));
int txn_res_dropped(struct sgw_txn *t, void *obj, void (*fn)(void *));
struct viewer_rec **txn_viewers_dup(const struct stream_rec *s);
int txn_touch_record(struct sgw_agent *a, bool is_stream, uint64_t id);
void stream_rec_free(struct stream_rec *s);
void viewer_rec_free(struct viewer_rec *v);
int txn_mark_dirty(struct sgw_agent *a, uint64_t stream_id);
int txn_mark_seen(struct sgw_agent *a, bool is_stream, uint64_t id);
void txn_srtp_free(void *p);
void *txn_state_alloc(size_t size);
uint64_t txn_listen_key(unsigned aidx, uint16_t port);
void txn_key_digest(const struct sgw_agent *a, const struct sgw_key *k, uint8_t out[32]);
int txn_key_check(const struct sgw_key *k, bool allow_plain, const char *what, char *err, size_t errlen);
int txn_ctx_new(struct sgw_agent *a, const struct sgw_key *k, enum sgw_srtp_dir dir, unsigned window, const struct sgw_pos *resume, struct sgw_srtp **out, char *err, size_t errlen);
/* An egress context with the op's lanes (lanes->n > 0), registered as
 * created; the lanes' SSRCs recorded in v. */
int txn_ctx_new_lanes(struct sgw_agent *a, const struct sgw_key *k, const struct sgw_lanes *lanes,
		      struct sgw_srtp **out, char *err, size_t errlen);
/* A key of none (suite PLAIN, len 0)? */
bool txn_key_none(const struct sgw_key *k);
/* Ports (agent_ports.c). */
bool txn_port_in_use(struct sgw_agent *a, unsigned aidx, uint16_t port, char *err, size_t errlen);
int op_port(struct sgw_agent *a, unsigned type, const struct sgw_op_port *op, char *err,
	    size_t errlen);
int txn_ports_delete_unseen(struct sgw_agent *a, char *err, size_t errlen);
int txn_ports_commit(struct sgw_agent *a);
void txn_ports_committed(struct sgw_agent *a);
void txn_ports_abort(struct sgw_agent *a);
void txn_ports_fini(struct sgw_agent *a);
/* Service addresses (agent_addrs.c). */
int op_addr(struct sgw_agent *a, unsigned type, const struct sgw_op_addr *op, char *err,
	    size_t errlen);
int txn_addrs_delete_unseen(struct sgw_agent *a, char *err, size_t errlen);
int txn_addrs_commit(struct sgw_agent *a);
void txn_addrs_committed(struct sgw_agent *a);
void txn_addrs_abort(struct sgw_agent *a);
/* The listen address's index in the transaction's addresses, or -1. */
int txn_addr_find(const struct sgw_agent *a, const struct sgw_addr *ip);
int txn_stream_get(struct sgw_agent *a, uint64_t id, struct stream_rec **s, char *err, size_t errlen);
int txn_stream_del(struct sgw_agent *a, struct stream_rec *s, char *err, size_t errlen);
int op_stream_add(struct sgw_agent *a, const struct sgw_op_stream_add *op, char *err, size_t errlen);
int op_stream_rekey(struct sgw_agent *a, const struct sgw_op_rekey *op, char *err, size_t errlen);
int op_stream_simple(struct sgw_agent *a, unsigned type, const void *body, char *err, size_t errlen);
int txn_viewer_del(struct sgw_agent *a, struct viewer_rec *v, char *err, size_t errlen);
bool owner_allowed(const struct stream_rec *s, uint32_t owner);
int op_viewer_add(struct sgw_agent *a, const struct sgw_op_viewer_add *op, char *err, size_t errlen);
int op_viewer_change(struct sgw_agent *a, unsigned type, const void *body, char *err, size_t errlen);
/* Fencing (agent_fence.c). */
int op_stream_fence(struct sgw_agent *a, const struct sgw_op_fence *op, char *err, size_t errlen);
/* The highest token the transaction gave stream_id so far, 0 if none. */
uint64_t txn_fence_given(struct sgw_agent *a, uint64_t stream_id);
/* s is deleted: remember its token for the check at commit. 0 or -ENOMEM. */
int txn_fence_deleted(struct sgw_agent *a, const struct stream_rec *s);
/* Once every op is in: ESTALE, *op_index and a message if a fenced stream
 * was changed without a STREAM_FENCE for it. */
int agent_txn_fence_check(struct sgw_agent *a, uint32_t *op_index, char *err, size_t errlen);
void txn_entry_free(void *p);
struct sgw_flow_entry *txn_entry_build(struct sgw_agent *a, const struct stream_rec *s);
struct sgw_flow_entry *txn_vport_entry_build(struct sgw_agent *a, const struct stream_rec *s,
					     const struct viewer_rec *v);

#endif
