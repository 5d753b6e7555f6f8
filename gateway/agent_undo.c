/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The undo log of a transaction: the first time an op touches a record, a
 * copy of the record is kept, and abort puts the copies back.
 *
 * Resources that workers may hold through an entry (crypto contexts,
 * per-stream and per-viewer state) are never freed by an op: an op that
 * drops one queues it, and commit retires it to the flow table, which
 * frees it after the grace period. Resources an op creates are freed at
 * once by abort (no published version references them).
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

/* ---- resources ---------------------------------------------------------- */

int txn_res_created(struct sgw_txn *t, void *obj, void (*fn)(void *))
{
	struct txn_res r = { obj, fn };
	return VEC_PUSH(t->created, r);
}

int txn_res_dropped(struct sgw_txn *t, void *obj, void (*fn)(void *))
{
	struct txn_res r = { obj, fn };

	if (obj == NULL)
		return 0;
	return VEC_PUSH(t->dropped, r);
}

/* ---- snapshots ---------------------------------------------------------- */

struct viewer_rec **txn_viewers_dup(const struct stream_rec *s)
{
	struct viewer_rec **v;

	if (s->cap_viewers == 0)
		return NULL;
	v = malloc(s->cap_viewers * sizeof(*v));
	if (v != NULL)
		memcpy(v, s->viewers, s->n_viewers * sizeof(*v));
	return v;
}

int txn_touch_record(struct sgw_agent *a, bool is_stream, uint64_t id)
{
	struct sgw_txn *t = &a->txn;
	uint64_t key = (is_stream ? KIND_STREAM : KIND_VIEWER) | id;
	struct txn_touch tt = { .is_stream = is_stream, .id = id };

	if (idmap_get(&t->touched, key) != NULL)
		return 0;
	tt.before = idmap_get(is_stream ? &a->streams : &a->viewers, id);
	if (tt.before != NULL) {
		size_t sz = is_stream ? sizeof(struct stream_rec) : sizeof(struct viewer_rec);
		tt.copy = malloc(sz);
		if (tt.copy == NULL)
			return -ENOMEM;
		memcpy(tt.copy, tt.before, sz);
		if (is_stream) {
			struct stream_rec *c = tt.copy;
			c->viewers = txn_viewers_dup(tt.before);
			if (c->cap_viewers && c->viewers == NULL) {
				free(tt.copy);
				return -ENOMEM;
			}
		}
	}
	if (VEC_PUSH(t->touches, tt) != 0 || idmap_put(&t->touched, key, (void *)1) != 0) {
		if (tt.copy != NULL && is_stream)
			free(((struct stream_rec *)tt.copy)->viewers);
		free(tt.copy);
		return -ENOMEM;
	}
	return 0;
}

void stream_rec_free(struct stream_rec *s)
{
	if (s == NULL)
		return;
	free(s->viewers);
	OPENSSL_cleanse(s->digest, sizeof(s->digest));
	free(s);
}

void viewer_rec_free(struct viewer_rec *v)
{
	if (v == NULL)
		return;
	OPENSSL_cleanse(v->digest, sizeof(v->digest));
	free(v);
}

/* The value says which op first changed the stream: its type << 32 |
 * (1 + its index), for the fencing check (agent_fence.c). */
int txn_mark_dirty(struct sgw_agent *a, uint64_t stream_id)
{
	const struct sgw_txn *t = &a->txn;
	uint64_t first = (uint64_t)t->op_type << 32 | t->n_ops;

	if (idmap_get(&t->dirty, stream_id) != NULL)
		return 0;
	return idmap_put(&a->txn.dirty, stream_id, (void *)(uintptr_t)(first ? first : 1));
}

int txn_mark_seen(struct sgw_agent *a, bool is_stream, uint64_t id)
{
	if (!(a->txn.flags & SGW_TXN_REPLACE_ALL))
		return 0;
	return idmap_put(&a->txn.seen, (is_stream ? KIND_STREAM : KIND_VIEWER) | id, (void *)1);
}

void agent_txn_abort(struct sgw_agent *a)
{
	struct sgw_txn *t = &a->txn;

	if (!t->open)
		return;
	/* 1. take every touched stream's current listen key out, and every
	 * touched viewer's port of its own */
	for (size_t i = 0; i < t->touches.n; i++) {
		struct txn_touch *tt = &t->touches.v[i];
		if (tt->is_stream) {
			struct stream_rec *cur = idmap_get(&a->streams, tt->id);
			if (cur != NULL)
				idmap_del(&a->listen, txn_listen_key(cur->aidx, cur->listen.port));
		} else {
			struct viewer_rec *cur = idmap_get(&a->viewers, tt->id);
			if (cur != NULL && cur->port.local_port != 0)
				idmap_del(&a->vports, txn_listen_key(cur->aidx, cur->port.local_port));
		}
	}
	/* 2. put the records back as they were, newest touch first */
	for (size_t i = t->touches.n; i-- > 0;) {
		struct txn_touch *tt = &t->touches.v[i];
		struct idmap *m = tt->is_stream ? &a->streams : &a->viewers;
		void *cur = idmap_get(m, tt->id);

		if (cur != tt->before) {
			if (cur != NULL) {
				idmap_del(m, tt->id);
				if (tt->is_stream)
					stream_rec_free(cur);
				else
					viewer_rec_free(cur);
			}
			if (tt->before != NULL)
				idmap_put(m, tt->id, tt->before); /* was there: has room */
		}
		if (tt->before == NULL)
			continue;
		if (tt->is_stream) {
			struct stream_rec *s = tt->before, *c = tt->copy;
			free(s->viewers);
			memcpy(s, c, sizeof(*s));
			c->viewers = NULL; /* now owned by s */
		} else {
			memcpy(tt->before, tt->copy, sizeof(struct viewer_rec));
		}
	}
	/* 3. listen keys of the restored streams, ports of the restored viewers */
	for (size_t i = 0; i < t->touches.n; i++) {
		struct txn_touch *tt = &t->touches.v[i];
		if (tt->is_stream && tt->before != NULL) {
			struct stream_rec *s = tt->before;
			idmap_put(&a->listen, txn_listen_key(s->aidx, s->listen.port), s);
		} else if (!tt->is_stream && tt->before != NULL) {
			struct viewer_rec *v = tt->before;
			if (v->port.local_port != 0)
				idmap_put(&a->vports, txn_listen_key(v->aidx, v->port.local_port), v);
		}
	}
	txn_ports_abort(a);
	txn_addrs_abort(a);
	/* 4. next-hop references, resources never published */
	for (size_t i = t->neigh.n; i-- > 0;) {
		if (t->neigh.v[i].delta > 0)
			agent_neigh_unref(a, t->neigh.v[i].slot);
		else
			a->dp->neigh[t->neigh.v[i].slot].refs++;
	}
	for (size_t i = t->created.n; i-- > 0;)
		t->created.v[i].free_fn(t->created.v[i].obj);
	agent_neigh_retire_unused(a);
	txn_reset(t);
}
