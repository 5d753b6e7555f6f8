/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transactions: begin, the ops in order, commit. Ops change the agent's
 * records (agent_ops_stream.c, agent_ops_viewer.c); commit rebuilds the
 * flow entries of the streams they touched (agent_entry.c), places them in
 * a new table version and publishes it. An error in any op undoes the
 * whole transaction (agent_undo.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "api/addr.h"
#include "api/suite.h"
#include "dataplane/srtp_ctx.h"
#include "gateway/agent_txn.h"

int txn_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -code;
}
/* ---- transaction -------------------------------------------------------- */

void txn_reset(struct sgw_txn *t)
{
	for (size_t i = 0; i < t->touches.n; i++) {
		struct txn_touch *tt = &t->touches.v[i];
		if (tt->copy != NULL && tt->is_stream)
			free(((struct stream_rec *)tt->copy)->viewers);
		free(tt->copy);
	}
	t->touches.n = t->created.n = t->dropped.n = t->cleared.n = t->neigh.n = 0;
	t->port_log.n = 0;
	idmap_fini(&t->touched);
	idmap_fini(&t->seen);
	idmap_fini(&t->seen_ports);
	idmap_fini(&t->dirty);
	idmap_fini(&t->fence);
	idmap_fini(&t->fence_gone);
	t->open = false;
	t->n_ops = 0;
}

int agent_txn_begin(struct sgw_agent *a, const struct sgw_txn_begin *b, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;

	if (t->open)
		return txn_fail(err, errlen, EBUSY, "a transaction is already open");
	if (b->flags & ~SGW_TXN_REPLACE_ALL)
		return txn_fail(err, errlen, EINVAL, "unknown transaction flags 0x%x", b->flags);
	t->open = true;
	t->gen = ft_acquire(&a->dp->ft)->version + 1;
	t->ctl_seq = b->ctl_seq;
	t->flags = b->flags;
	t->n_ops = 0;
	return 0;
}

int agent_txn_op(struct sgw_agent *a, unsigned type, const void *body, char *err, size_t errlen)
{
	if (!a->txn.open)
		return txn_fail(err, errlen, EPROTO, "no open transaction");
	if (++a->txn.n_ops > SGW_AGENT_MAX_TXN_OPS)
		return txn_fail(err, errlen, E2BIG, "more than %u ops in one transaction",
			    SGW_AGENT_MAX_TXN_OPS);
	a->txn.op_type = type;
	switch (type) {
	case SGW_OP_STREAM_ADD:
		return op_stream_add(a, body, err, errlen);
	case SGW_OP_STREAM_REKEY:
		return op_stream_rekey(a, body, err, errlen);
	case SGW_OP_STREAM_DEL:
	case SGW_OP_STREAM_END_OVERLAP:
	case SGW_OP_STREAM_SET_SOURCE:
	case SGW_OP_GRANT_ADD:
	case SGW_OP_GRANT_DEL:
		return op_stream_simple(a, type, body, err, errlen);
	case SGW_OP_VIEWER_ADD:
		return op_viewer_add(a, body, err, errlen);
	case SGW_OP_VIEWER_DEL:
	case SGW_OP_VIEWER_REKEY:
	case SGW_OP_VIEWER_SET_DEST:
		return op_viewer_change(a, type, body, err, errlen);
	case SGW_OP_PORT_ADD:
	case SGW_OP_PORT_DEL:
		return op_port(a, type, body, err, errlen);
	case SGW_OP_ADDR_ADD:
	case SGW_OP_ADDR_DEL:
		return op_addr(a, type, body, err, errlen);
	case SGW_OP_STREAM_FENCE:
		return op_stream_fence(a, body, err, errlen);
	default:
		return txn_fail(err, errlen, EINVAL, "unknown op %u", type);
	}
}

static int delete_unseen(struct sgw_agent *a, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	uint64_t *ids;
	size_t pos, n = 0, cap = a->viewers.n + a->streams.n + 1;
	uint64_t id;
	void *val;
	int rc = 0;

	ids = malloc(cap * sizeof(*ids));
	if (ids == NULL)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	for (pos = 0; idmap_next(&a->viewers, &pos, &id, &val);)
		if (idmap_get(&t->seen, KIND_VIEWER | id) == NULL)
			ids[n++] = KIND_VIEWER | id;
	for (pos = 0; idmap_next(&a->streams, &pos, &id, &val);)
		if (idmap_get(&t->seen, KIND_STREAM | id) == NULL)
			ids[n++] = KIND_STREAM | id;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		uint64_t key = ids[i] & ~KIND_STREAM;
		if (ids[i] & KIND_STREAM) {
			struct stream_rec *s = idmap_get(&a->streams, key);
			if (s != NULL)
				rc = txn_stream_del(a, s, err, errlen);
		} else {
			/* may be gone already with its stream */
			struct viewer_rec *v = idmap_get(&a->viewers, key);
			if (v != NULL)
				rc = txn_viewer_del(a, v, err, errlen);
		}
	}
	free(ids);
	return rc;
}

int agent_txn_commit(struct sgw_agent *a, uint64_t *version, uint32_t *op_index, char *err,
		     size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct flow_table *ft = &a->dp->ft;
	size_t pos;
	uint64_t id;
	void *val;
	int rc;

	*op_index = UINT32_MAX;
	if (!t->open)
		return txn_fail(err, errlen, EPROTO, "no open transaction");
	/* before REPLACE_ALL's deletions: a fenced stream it does not name
	 * goes without its token (deleting only stops forwarding) */
	t->op_type = 0;
	rc = agent_txn_fence_check(a, op_index, err, errlen);
	if (rc != 0) {
		agent_txn_abort(a);
		return rc;
	}
	if (t->flags & SGW_TXN_REPLACE_ALL) {
		rc = delete_unseen(a, err, errlen);
		if (rc == 0)
			rc = txn_ports_delete_unseen(a, err, errlen);
		/* the service addresses last: nothing listens on them now */
		if (rc == 0)
			rc = txn_addrs_delete_unseen(a, err, errlen);
		if (rc != 0) {
			agent_txn_abort(a);
			return rc;
		}
	}
	rc = ft_begin(ft);
	for (size_t i = 0; rc == 0 && i < t->cleared.n; i++)
		rc = ft_set(ft, t->cleared.v[i].aidx, t->cleared.v[i].port, NULL, txn_entry_free);
	for (pos = 0; rc == 0 && idmap_next(&t->dirty, &pos, &id, &val);) {
		struct stream_rec *s = idmap_get(&a->streams, id);
		struct sgw_flow_entry *e;
		if (s == NULL)
			continue; /* deleted: its slot is in cleared */
		e = txn_entry_build(a, s);
		rc = e == NULL ? -ENOMEM : ft_set(ft, s->aidx, s->listen.port, e, txn_entry_free);
		if (rc != 0)
			free(e);
		/* its RTCP port: the same entry, but RTP there is dropped */
		if (rc == 0 && (s->flags & SGW_STREAM_RTCP_PORT)) {
			e = txn_entry_build(a, s);
			if (e != NULL)
				e->kind = SGW_ENTRY_STREAM_RTCP;
			rc = e == NULL ? -ENOMEM : ft_set(ft, s->aidx, (uint16_t)(s->listen.port + 1), e,
							  txn_entry_free);
			if (rc != 0)
				free(e);
		}
		/* its viewers' ports of their own */
		for (uint32_t i = 0; rc == 0 && i < s->n_viewers; i++) {
			const struct viewer_rec *v = s->viewers[i];
			if (v->port.local_port == 0)
				continue;
			e = txn_vport_entry_build(a, s, v);
			rc = e == NULL ? -ENOMEM : ft_set(ft, s->aidx, v->port.local_port, e,
							  txn_entry_free);
			if (rc != 0)
				free(e);
		}
	}
	if (rc == 0)
		rc = txn_ports_commit(a);
	if (rc == 0)
		rc = txn_addrs_commit(a);
	for (size_t i = 0; rc == 0 && i < t->dropped.n; i++)
		rc = ft_retire(ft, t->dropped.v[i].obj, t->dropped.v[i].free_fn);
	if (rc != 0) {
		ft_abort(ft);
		agent_txn_abort(a);
		return txn_fail(err, errlen, ENOMEM, "out of memory while building the new version");
	}
	*version = ft_publish(ft);
	a->ctl_seq = t->ctl_seq;
	txn_ports_committed(a);
	txn_addrs_committed(a);
	agent_neigh_retire_unused(a);
	/* records replaced or deleted by this transaction: writer-private */
	for (size_t i = 0; i < t->touches.n; i++) {
		struct txn_touch *tt = &t->touches.v[i];
		struct idmap *m = tt->is_stream ? &a->streams : &a->viewers;
		if (tt->before != NULL && idmap_get(m, tt->id) != tt->before) {
			if (tt->is_stream)
				stream_rec_free(tt->before);
			else
				viewer_rec_free(tt->before);
		}
	}
	txn_reset(t);
	return 0;
}

void agent_txn_reclaim(struct sgw_agent *a)
{
	ft_reclaim(&a->dp->ft);
	agent_addrs_reclaimed(a);
}

int agent_init(struct sgw_agent *a, struct sgw_dp *dp, const struct sgw_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->dp = dp;
	a->cfg = cfg;
	idmap_init(&a->streams);
	idmap_init(&a->viewers);
	idmap_init(&a->listen);
	idmap_init(&a->vports);
	idmap_init(&a->ports);
	/* passed: a fenced stream forwards only after a LEASE. A gateway that
	 * restarted does not know its controller holds a lease (fail-safe:
	 * docs/agent-protocol.md "Fencing") */
	dp->lease_deadline = 0;
	if (agent_addrs_init(a) != 0)
		return -ENOMEM;
	return agent_neigh_init(a);
}

void agent_fini(struct sgw_agent *a)
{
	size_t pos;
	uint64_t id;
	void *val;

	agent_txn_abort(a);
	/* The workers have stopped: free everything at once. */
	for (pos = 0; idmap_next(&a->viewers, &pos, &id, &val);) {
		struct viewer_rec *v = val;
		sgw_srtp_free(v->egress);
		sgw_srtp_free(v->rtcp_in);
		free(v->port_st);
		free(v->st);
		free(v->nack);
		viewer_rec_free(v);
	}
	for (pos = 0; idmap_next(&a->streams, &pos, &id, &val);) {
		struct stream_rec *s = val;
		sgw_srtp_free(s->ingress);
		sgw_srtp_free(s->ingress_old);
		free(s->st);
		stream_rec_free(s);
	}
	idmap_fini(&a->streams);
	idmap_fini(&a->viewers);
	idmap_fini(&a->listen);
	idmap_fini(&a->vports);
	txn_ports_fini(a);
	agent_addrs_fini(a);
	free(a->txn.touches.v);
	free(a->txn.created.v);
	free(a->txn.dropped.v);
	free(a->txn.cleared.v);
	free(a->txn.neigh.v);
	free(a->txn.port_log.v);
	OPENSSL_cleanse(a->digest_key, sizeof(a->digest_key));
}
