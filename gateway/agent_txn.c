/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transactions: ops change the agent's records; commit rebuilds the flow
 * entries of the streams they touched, places them in a new table version
 * and publishes it. An error in any op undoes the whole transaction: the
 * first time an op touches a record, a copy of the record is kept, and
 * abort puts the copies back.
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

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -code;
}

static void srtp_free_cb(void *p)
{
	sgw_srtp_free(p);
}

static void *state_alloc(size_t size)
{
	void *p = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE));

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

static uint64_t listen_key(unsigned aidx, uint16_t port)
{
	return (uint64_t)(aidx + 1) << 16 | port;
}

/* A keyed digest of a key, so that REPLACE_ALL can tell an unchanged key
 * without the agent keeping the key itself. */
static void key_digest(const struct sgw_agent *a, const struct sgw_key *k, uint8_t out[32])
{
	uint8_t buf[sizeof(a->digest_key) + 2 + SGW_KEY_MAX];
	unsigned int n = 32;
	size_t len = sizeof(a->digest_key);

	memcpy(buf, a->digest_key, len);
	buf[len++] = k->suite;
	buf[len++] = k->len;
	memcpy(buf + len, k->material, k->len <= SGW_KEY_MAX ? k->len : SGW_KEY_MAX);
	len += k->len <= SGW_KEY_MAX ? k->len : SGW_KEY_MAX;
	if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* ---- resources ---------------------------------------------------------- */

static int res_created(struct sgw_txn *t, void *obj, void (*fn)(void *))
{
	struct txn_res r = { obj, fn };
	return VEC_PUSH(t->created, r);
}

static int res_dropped(struct sgw_txn *t, void *obj, void (*fn)(void *))
{
	struct txn_res r = { obj, fn };

	if (obj == NULL)
		return 0;
	return VEC_PUSH(t->dropped, r);
}

static int key_check(const struct sgw_key *k, bool allow_plain, const char *what,
		     char *err, size_t errlen)
{
	const struct sgw_suite_info *s = sgw_suite_info(k->suite);

	if (s == NULL)
		return fail(err, errlen, EINVAL, "%s: unknown suite %u", what, k->suite);
	if (k->suite == SGW_SUITE_PLAIN) {
		if (!allow_plain)
			return fail(err, errlen, EINVAL, "%s: a key is needed, not PLAIN", what);
		return 0;
	}
	if (k->len != s->key_len + s->salt_len)
		return fail(err, errlen, EINVAL, "%s: %s needs %u bytes of key and salt, got %u",
			    what, s->name, s->key_len + s->salt_len, k->len);
	return 0;
}

/* A context for k (NULL for PLAIN), registered as created; going on from
 * resume when that is a valid position (srtp_ctx.h). */
static int ctx_new(struct sgw_agent *a, const struct sgw_key *k, enum sgw_srtp_dir dir,
		   unsigned window, const struct sgw_pos *resume, struct sgw_srtp **out,
		   char *err, size_t errlen)
{
	struct sgw_srtp_pos from;

	*out = NULL;
	if (resume != NULL && (resume->flags & ~SGW_POS_VALID))
		return fail(err, errlen, EINVAL, "unknown position flags 0x%x", resume->flags);
	if (k->suite == SGW_SUITE_PLAIN)
		return 0;
	if (resume != NULL && (resume->flags & SGW_POS_VALID)) {
		from = (struct sgw_srtp_pos){ resume->ssrc, resume->roc, resume->seq };
		*out = sgw_srtp_create_at(k, dir, window, &from);
	} else {
		*out = sgw_srtp_create(k, dir, window);
	}
	if (*out == NULL)
		return fail(err, errlen, EINVAL, "cannot create an SRTP context (suite %s, replay window %u)",
			    sgw_suite_info(k->suite)->name, window);
	if (res_created(&a->txn, *out, srtp_free_cb) != 0) {
		sgw_srtp_free(*out);
		*out = NULL;
		return fail(err, errlen, ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- snapshots ---------------------------------------------------------- */

static struct viewer_rec **viewers_dup(const struct stream_rec *s)
{
	struct viewer_rec **v;

	if (s->cap_viewers == 0)
		return NULL;
	v = malloc(s->cap_viewers * sizeof(*v));
	if (v != NULL)
		memcpy(v, s->viewers, s->n_viewers * sizeof(*v));
	return v;
}

static int touch(struct sgw_agent *a, bool is_stream, uint64_t id)
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
			c->viewers = viewers_dup(tt.before);
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

static void stream_rec_free(struct stream_rec *s)
{
	if (s == NULL)
		return;
	free(s->viewers);
	OPENSSL_cleanse(s->digest, sizeof(s->digest));
	free(s);
}

static void viewer_rec_free(struct viewer_rec *v)
{
	if (v == NULL)
		return;
	OPENSSL_cleanse(v->digest, sizeof(v->digest));
	free(v);
}

static int mark_dirty(struct sgw_agent *a, uint64_t stream_id)
{
	return idmap_put(&a->txn.dirty, stream_id, (void *)1);
}

static int mark_seen(struct sgw_agent *a, bool is_stream, uint64_t id)
{
	if (!(a->txn.flags & SGW_TXN_REPLACE_ALL))
		return 0;
	return idmap_put(&a->txn.seen, (is_stream ? KIND_STREAM : KIND_VIEWER) | id, (void *)1);
}

/* ---- routing ------------------------------------------------------------ */

/* Egress port, next hop and source address for a viewer's destination. */
static int route(struct sgw_agent *a, const struct sgw_addr *dst, const struct sgw_addr *listen,
		 uint16_t *port_idx, struct sgw_addr *nexthop, struct sgw_addr *src,
		 char *err, size_t errlen)
{
	const struct sgw_dp *dp = a->dp;
	char buf[SGW_ADDR_STRLEN];
	int found = -1;

	for (unsigned i = 0; i < dp->n_laddrs; i++) {
		const struct sgw_local_addr *l = &dp->laddrs[i];
		if (sgw_addr_in_prefix(dst, &l->ip, l->prefix_len)) {
			*port_idx = l->port_idx;
			*nexthop = *dst;
			*src = l->ip;
			found = (int)i;
			break;
		}
	}
	if (found < 0) {
		for (unsigned p = 0; p < a->cfg->n_ports && found < 0; p++) {
			const struct sgw_port_config *pc = &a->cfg->ports[p];
			if (dst->family == SGW_AF_INET && pc->has_gw4) {
				*nexthop = pc->gw4;
				found = (int)p;
			} else if (dst->family == SGW_AF_INET6 && pc->has_gw6) {
				*nexthop = pc->gw6;
				found = (int)p;
			}
			if (found >= 0) {
				*port_idx = (uint16_t)p;
				/* source: an address of the port in the gateway's prefix */
				for (unsigned i = 0; i < dp->n_laddrs; i++)
					if (dp->laddrs[i].port_idx == p &&
					    sgw_addr_in_prefix(nexthop, &dp->laddrs[i].ip, dp->laddrs[i].prefix_len))
						*src = dp->laddrs[i].ip;
			}
		}
		if (found < 0)
			return fail(err, errlen, EHOSTUNREACH, "no route to %s",
				    sgw_addr_format(dst, buf, sizeof(buf)));
	}
	/* The stream's own listen address, when it can be used on that port. */
	for (unsigned i = 0; i < dp->n_laddrs; i++)
		if (dp->laddrs[i].port_idx == *port_idx && listen->family == dst->family &&
		    sgw_addr_equal(&dp->laddrs[i].ip, listen))
			*src = *listen;
	return 0;
}

/* ---- ops ---------------------------------------------------------------- */

static int stream_get(struct sgw_agent *a, uint64_t id, struct stream_rec **s,
		      char *err, size_t errlen)
{
	*s = idmap_get(&a->streams, id);
	if (*s == NULL)
		return fail(err, errlen, ENOENT, "no stream %llu", (unsigned long long)id);
	return 0;
}

static int viewer_del(struct sgw_agent *a, struct viewer_rec *v, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct stream_rec *s = idmap_get(&a->streams, v->stream_id);
	struct txn_neigh nd = { v->neigh, -1 };

	if (touch(a, false, v->id) != 0 || touch(a, true, v->stream_id) != 0 ||
	    res_dropped(t, v->egress, srtp_free_cb) != 0 || res_dropped(t, v->st, free) != 0 ||
	    VEC_PUSH(t->neigh, nd) != 0 || mark_dirty(a, v->stream_id) != 0)
		return fail(err, errlen, ENOMEM, "out of memory");
	agent_neigh_unref(a, v->neigh);
	for (uint32_t i = 0; i < s->n_viewers; i++) {
		if (s->viewers[i] == v) {
			memmove(&s->viewers[i], &s->viewers[i + 1],
				(s->n_viewers - i - 1) * sizeof(s->viewers[0]));
			s->n_viewers--;
			break;
		}
	}
	idmap_del(&a->viewers, v->id);
	if (v->created_gen == t->gen)
		viewer_rec_free(v); /* never published, not in any snapshot */
	return 0;
}

static int stream_del(struct sgw_agent *a, struct stream_rec *s, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct txn_slot slot = { s->aidx, s->listen.port };
	int rc;

	if (touch(a, true, s->id) != 0)
		return fail(err, errlen, ENOMEM, "out of memory");
	while (s->n_viewers > 0) {
		rc = viewer_del(a, s->viewers[s->n_viewers - 1], err, errlen);
		if (rc != 0)
			return rc;
	}
	if (res_dropped(t, s->ingress, srtp_free_cb) != 0 ||
	    res_dropped(t, s->ingress_old, srtp_free_cb) != 0 ||
	    res_dropped(t, s->st, free) != 0 || VEC_PUSH(t->cleared, slot) != 0 ||
	    mark_dirty(a, s->id) != 0)
		return fail(err, errlen, ENOMEM, "out of memory");
	idmap_del(&a->listen, listen_key(s->aidx, s->listen.port));
	idmap_del(&a->streams, s->id);
	if (s->created_gen == t->gen)
		stream_rec_free(s);
	return 0;
}

static bool stream_same(struct sgw_agent *a, const struct stream_rec *s,
			const struct sgw_op_stream_add *op)
{
	uint8_t d[32];
	bool same;

	key_digest(a, &op->key, d);
	same = s->owner == op->owner && s->suite == op->key.suite &&
	       memcmp(s->digest, d, sizeof(d)) == 0 &&
	       sgw_addr_equal(&s->listen.addr, &op->listen.addr) && s->listen.port == op->listen.port &&
	       sgw_addr_equal(&s->source.addr, &op->source.addr) && s->source.port == op->source.port &&
	       s->replay_window == (op->replay_window ? op->replay_window : a->cfg->replay_window);
	OPENSSL_cleanse(d, sizeof(d));
	return same;
}

static int op_stream_add(struct sgw_agent *a, const struct sgw_op_stream_add *op,
			 char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	char buf[SGW_ADDR_STRLEN + 8];
	struct stream_rec *s, *other;
	unsigned window = op->replay_window ? op->replay_window : a->cfg->replay_window;
	int aidx, rc;

	/* ids below 2^63: the top bit is the kind in the transaction's maps */
	if (op->stream_id == 0 || (op->stream_id & KIND_STREAM) || op->owner == 0)
		return fail(err, errlen, EINVAL, "stream id must be 1..2^63-1 and owner non-zero");
	if (op->listen.addr.family != SGW_AF_INET && op->listen.addr.family != SGW_AF_INET6)
		return fail(err, errlen, EINVAL, "listen address missing");
	if (op->listen.port == 0)
		return fail(err, errlen, EINVAL, "listen port missing");
	if (op->source.addr.family != SGW_AF_NONE && op->source.addr.family != SGW_AF_INET &&
	    op->source.addr.family != SGW_AF_INET6)
		return fail(err, errlen, EINVAL, "bad source address family %u", op->source.addr.family);
	if (op->replay_window != 0 && (op->replay_window < 64 || op->replay_window > 32767))
		return fail(err, errlen, EINVAL, "replay window %u outside 64..32767", op->replay_window);
	rc = key_check(&op->key, true, "stream key", err, errlen);
	if (rc != 0)
		return rc;
	aidx = sgw_laddr_find(a->dp, op->listen.addr.family, op->listen.addr.a);
	if (aidx < 0)
		return fail(err, errlen, EADDRNOTAVAIL, "listen address %s is not a gateway address",
			    sgw_addr_format(&op->listen.addr, buf, sizeof(buf)));

	s = idmap_get(&a->streams, op->stream_id);
	if (s != NULL) {
		if (!(t->flags & SGW_TXN_REPLACE_ALL))
			return fail(err, errlen, EEXIST, "stream %llu exists",
				    (unsigned long long)op->stream_id);
		if (stream_same(a, s, op)) {
			/* unchanged: keep its crypto state; grants are restated */
			if (touch(a, true, s->id) != 0 || mark_seen(a, true, s->id) != 0 ||
			    mark_dirty(a, s->id) != 0)
				return fail(err, errlen, ENOMEM, "out of memory");
			s->n_grants = 0;
			return 0;
		}
		rc = stream_del(a, s, err, errlen);
		if (rc != 0)
			return rc;
	}
	other = idmap_get(&a->listen, listen_key((unsigned)aidx, op->listen.port));
	if (other != NULL)
		return fail(err, errlen, EADDRINUSE, "%s is in use by stream %llu",
			    sgw_endpoint_format(&op->listen, buf, sizeof(buf)),
			    (unsigned long long)other->id);

	if (touch(a, true, op->stream_id) != 0)
		return fail(err, errlen, ENOMEM, "out of memory");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return fail(err, errlen, ENOMEM, "out of memory");
	s->id = op->stream_id;
	s->owner = op->owner;
	s->replay_window = window;
	s->suite = op->key.suite;
	key_digest(a, &op->key, s->digest);
	s->listen = op->listen;
	s->source = op->source;
	s->aidx = (unsigned)aidx;
	s->created_gen = t->gen;
	rc = ctx_new(a, &op->key, SGW_SRTP_INBOUND, window, &op->resume, &s->ingress, err, errlen);
	if (rc != 0) {
		stream_rec_free(s);
		return rc;
	}
	s->st = state_alloc(sizeof(*s->st));
	if (s->st == NULL || res_created(t, s->st, free) != 0) {
		free(s->st);
		stream_rec_free(s);
		return fail(err, errlen, ENOMEM, "out of memory");
	}
	s->st->home = SGW_NO_WORKER;
	if (idmap_put(&a->streams, s->id, s) != 0) {
		stream_rec_free(s);
		return fail(err, errlen, ENOMEM, "out of memory");
	}
	if (idmap_put(&a->listen, listen_key(s->aidx, s->listen.port), s) != 0 ||
	    mark_dirty(a, s->id) != 0 || mark_seen(a, true, s->id) != 0) {
		idmap_del(&a->streams, s->id);
		idmap_del(&a->listen, listen_key(s->aidx, s->listen.port));
		stream_rec_free(s);
		return fail(err, errlen, ENOMEM, "out of memory");
	}
	return 0;
}

static int op_stream_rekey(struct sgw_agent *a, const struct sgw_op_rekey *op,
			   char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct stream_rec *s;
	struct sgw_srtp *ctx;
	int rc = stream_get(a, op->id, &s, err, errlen);

	if (rc != 0)
		return rc;
	rc = key_check(&op->key, false, "stream key", err, errlen);
	if (rc != 0)
		return rc;
	if (s->suite == SGW_SUITE_PLAIN)
		return fail(err, errlen, EINVAL, "stream %llu is plain RTP: it has no key",
			    (unsigned long long)s->id);
	if (touch(a, true, s->id) != 0 || mark_dirty(a, s->id) != 0)
		return fail(err, errlen, ENOMEM, "out of memory");
	rc = ctx_new(a, &op->key, SGW_SRTP_INBOUND, s->replay_window, NULL, &ctx, err, errlen);
	if (rc != 0)
		return rc;
	if (op->flags & SGW_REKEY_KEEP_OLD) {
		if (res_dropped(t, s->ingress_old, srtp_free_cb) != 0)
			return fail(err, errlen, ENOMEM, "out of memory");
		s->ingress_old = s->ingress;
	} else {
		if (res_dropped(t, s->ingress, srtp_free_cb) != 0 ||
		    res_dropped(t, s->ingress_old, srtp_free_cb) != 0)
			return fail(err, errlen, ENOMEM, "out of memory");
		s->ingress_old = NULL;
	}
	s->ingress = ctx;
	s->suite = op->key.suite;
	key_digest(a, &op->key, s->digest);
	return 0;
}

static int op_stream_simple(struct sgw_agent *a, unsigned type, const void *body,
			    char *err, size_t errlen)
{
	struct stream_rec *s;
	uint64_t id;
	int rc;

	memcpy(&id, body, sizeof(id)); /* every stream op starts with the id */
	rc = stream_get(a, id, &s, err, errlen);
	if (rc != 0)
		return rc;
	if (type == SGW_OP_STREAM_DEL)
		return stream_del(a, s, err, errlen);
	if (touch(a, true, s->id) != 0 || mark_dirty(a, s->id) != 0)
		return fail(err, errlen, ENOMEM, "out of memory");
	if (type == SGW_OP_STREAM_END_OVERLAP) {
		if (res_dropped(&a->txn, s->ingress_old, srtp_free_cb) != 0)
			return fail(err, errlen, ENOMEM, "out of memory");
		s->ingress_old = NULL;
		return 0;
	}
	if (type == SGW_OP_STREAM_SET_SOURCE) {
		const struct sgw_op_stream_source *op = body;
		if (op->source.addr.family != SGW_AF_NONE && op->source.addr.family != SGW_AF_INET &&
		    op->source.addr.family != SGW_AF_INET6)
			return fail(err, errlen, EINVAL, "bad source address family %u",
				    op->source.addr.family);
		s->source = op->source;
		return 0;
	}
	/* grants */
	const struct sgw_op_grant *g = body;
	unsigned i;
	for (i = 0; i < s->n_grants && s->grants[i] != g->owner; i++)
		;
	if (type == SGW_OP_GRANT_ADD) {
		if (g->owner == 0)
			return fail(err, errlen, EINVAL, "owner must be non-zero");
		if (g->owner == s->owner || i < s->n_grants) {
			if (a->txn.flags & SGW_TXN_REPLACE_ALL)
				return 0;
			return fail(err, errlen, EEXIST, "owner %u may already receive stream %llu",
				    g->owner, (unsigned long long)s->id);
		}
		if (s->n_grants == SGW_MAX_GRANTS)
			return fail(err, errlen, ENOSPC, "stream %llu has %u grants, the most it can have",
				    (unsigned long long)s->id, SGW_MAX_GRANTS);
		s->grants[s->n_grants++] = g->owner;
		return 0;
	}
	if (i == s->n_grants)
		return fail(err, errlen, ENOENT, "owner %u has no grant on stream %llu",
			    g->owner, (unsigned long long)s->id);
	s->grants[i] = s->grants[--s->n_grants];
	return 0;
}

static bool owner_allowed(const struct stream_rec *s, uint32_t owner)
{
#ifdef SGW_BROKEN_NO_OWNER_CHECK
	(void)s;
	(void)owner;
	return true;
#else
	if (owner == s->owner)
		return true;
	for (unsigned i = 0; i < s->n_grants; i++)
		if (s->grants[i] == owner)
			return true;
	return false;
#endif
}

static int viewer_route(struct sgw_agent *a, struct viewer_rec *v, const struct stream_rec *s,
			const struct sgw_endpoint *dest, char *err, size_t errlen)
{
	struct sgw_addr nexthop;
	struct txn_neigh nd;
	int rc, slot;

	if ((dest->addr.family != SGW_AF_INET && dest->addr.family != SGW_AF_INET6) || dest->port == 0)
		return fail(err, errlen, EINVAL, "viewer destination needs an address and a port");
	memset(&v->src_ip, 0, sizeof(v->src_ip));
	rc = route(a, &dest->addr, &s->listen.addr, &v->port_idx, &nexthop, &v->src_ip, err, errlen);
	if (rc != 0)
		return rc;
	if (v->src_ip.family != dest->addr.family)
		return fail(err, errlen, EADDRNOTAVAIL, "port %s has no IPv%u address to send from",
			    a->cfg->ports[v->port_idx].name, dest->addr.family);
	slot = agent_neigh_ref(a, v->port_idx, &nexthop);
	if (slot < 0)
		return fail(err, errlen, ENOSPC, "next-hop table full (max_neighbours %u)",
			    a->dp->n_neigh);
	nd.slot = (uint32_t)slot;
	nd.delta = 1;
	if (VEC_PUSH(a->txn.neigh, nd) != 0) {
		agent_neigh_unref(a, (uint32_t)slot);
		return fail(err, errlen, ENOMEM, "out of memory");
	}
	v->neigh = (uint32_t)slot;
	v->dest = *dest;
	return 0;
}

static bool viewer_same(struct sgw_agent *a, const struct viewer_rec *v,
			const struct sgw_op_viewer_add *op)
{
	uint8_t d[32];
	bool same;

	key_digest(a, &op->key, d);
	same = v->stream_id == op->stream_id && v->owner == op->owner &&
	       v->suite == op->key.suite && memcmp(v->digest, d, sizeof(d)) == 0 &&
	       sgw_addr_equal(&v->dest.addr, &op->dest.addr) && v->dest.port == op->dest.port;
	OPENSSL_cleanse(d, sizeof(d));
	return same;
}

static int op_viewer_add(struct sgw_agent *a, const struct sgw_op_viewer_add *op,
			 char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct stream_rec *s;
	struct viewer_rec *v;
	int rc;

	if (op->viewer_id == 0 || (op->viewer_id & KIND_STREAM) || op->owner == 0)
		return fail(err, errlen, EINVAL, "viewer id must be 1..2^63-1 and owner non-zero");
	v = idmap_get(&a->viewers, op->viewer_id);
	if (v != NULL) {
		if (!(t->flags & SGW_TXN_REPLACE_ALL))
			return fail(err, errlen, EEXIST, "viewer %llu exists",
				    (unsigned long long)op->viewer_id);
		if (viewer_same(a, v, op)) {
			/* unchanged, but allowed only as a new viewer would be:
			 * the stream's grants are restated by this transaction */
			s = idmap_get(&a->streams, v->stream_id);
			if (!owner_allowed(s, op->owner))
				return fail(err, errlen, EPERM,
					    "owner %u may not receive stream %llu (owner %u, no grant)",
					    op->owner, (unsigned long long)s->id, s->owner);
			return mark_seen(a, false, v->id) == 0 ? 0 : fail(err, errlen, ENOMEM, "out of memory");
		}
		rc = viewer_del(a, v, err, errlen);
		if (rc != 0)
			return rc;
	}
	rc = stream_get(a, op->stream_id, &s, err, errlen);
	if (rc != 0)
		return rc;
	if (!owner_allowed(s, op->owner))
		return fail(err, errlen, EPERM, "owner %u may not receive stream %llu (owner %u, no grant)",
			    op->owner, (unsigned long long)s->id, s->owner);
	if (s->n_viewers >= SGW_MAX_VIEWERS_PER_STREAM)
		return fail(err, errlen, ENOSPC, "stream %llu has %u viewers, the most it can have",
			    (unsigned long long)s->id, SGW_MAX_VIEWERS_PER_STREAM);
	rc = key_check(&op->key, true, "viewer key", err, errlen);
	if (rc != 0)
		return rc;
	if (touch(a, false, op->viewer_id) != 0 || touch(a, true, s->id) != 0)
		return fail(err, errlen, ENOMEM, "out of memory");
	if (s->n_viewers == s->cap_viewers) {
		uint32_t ncap = s->cap_viewers ? s->cap_viewers * 2 : 4;
		struct viewer_rec **nv = realloc(s->viewers, ncap * sizeof(*nv));
		if (nv == NULL)
			return fail(err, errlen, ENOMEM, "out of memory");
		s->viewers = nv;
		s->cap_viewers = ncap;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return fail(err, errlen, ENOMEM, "out of memory");
	v->id = op->viewer_id;
	v->stream_id = s->id;
	v->owner = op->owner;
	v->suite = op->key.suite;
	key_digest(a, &op->key, v->digest);
	v->created_gen = t->gen;
	rc = viewer_route(a, v, s, &op->dest, err, errlen);
	if (rc == 0)
		rc = ctx_new(a, &op->key, SGW_SRTP_OUTBOUND, 0, &op->resume, &v->egress, err, errlen);
	if (rc == 0) {
		v->st = state_alloc(sizeof(*v->st));
		if (v->st == NULL || res_created(t, v->st, free) != 0) {
			free(v->st);
			rc = fail(err, errlen, ENOMEM, "out of memory");
		}
	}
	if (rc == 0 && idmap_put(&a->viewers, v->id, v) != 0)
		rc = fail(err, errlen, ENOMEM, "out of memory");
	if (rc == 0 && (mark_dirty(a, s->id) != 0 || mark_seen(a, false, v->id) != 0)) {
		idmap_del(&a->viewers, v->id);
		rc = fail(err, errlen, ENOMEM, "out of memory");
	}
	if (rc != 0) {
		viewer_rec_free(v); /* its slot reference and contexts are undone by abort */
		return rc;
	}
	s->viewers[s->n_viewers++] = v;
	return 0;
}

static int op_viewer_change(struct sgw_agent *a, unsigned type, const void *body,
			    char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct viewer_rec *v;
	uint64_t id;
	int rc;

	memcpy(&id, body, sizeof(id));
	v = idmap_get(&a->viewers, id);
	if (v == NULL)
		return fail(err, errlen, ENOENT, "no viewer %llu", (unsigned long long)id);
	if (type == SGW_OP_VIEWER_DEL)
		return viewer_del(a, v, err, errlen);
	if (touch(a, false, v->id) != 0 || mark_dirty(a, v->stream_id) != 0)
		return fail(err, errlen, ENOMEM, "out of memory");
	if (type == SGW_OP_VIEWER_REKEY) {
		const struct sgw_op_rekey *op = body;
		struct sgw_srtp *ctx;
		rc = key_check(&op->key, true, "viewer key", err, errlen);
		if (rc == 0)
			rc = ctx_new(a, &op->key, SGW_SRTP_OUTBOUND, 0, NULL, &ctx, err, errlen);
		if (rc != 0)
			return rc;
		if (res_dropped(t, v->egress, srtp_free_cb) != 0)
			return fail(err, errlen, ENOMEM, "out of memory");
		v->egress = ctx;
		v->suite = op->key.suite;
		key_digest(a, &op->key, v->digest);
		return 0;
	}
	/* SGW_OP_VIEWER_SET_DEST */
	const struct sgw_op_viewer_dest *op = body;
	struct txn_neigh nd = { v->neigh, -1 };
	uint32_t old = v->neigh;
	rc = viewer_route(a, v, idmap_get(&a->streams, v->stream_id), &op->dest, err, errlen);
	if (rc != 0)
		return rc;
	if (VEC_PUSH(t->neigh, nd) != 0)
		return fail(err, errlen, ENOMEM, "out of memory");
	agent_neigh_unref(a, old);
	return 0;
}

/* ---- transaction -------------------------------------------------------- */

static void txn_reset(struct sgw_txn *t)
{
	for (size_t i = 0; i < t->touches.n; i++) {
		struct txn_touch *tt = &t->touches.v[i];
		if (tt->copy != NULL && tt->is_stream)
			free(((struct stream_rec *)tt->copy)->viewers);
		free(tt->copy);
	}
	t->touches.n = t->created.n = t->dropped.n = t->cleared.n = t->neigh.n = 0;
	idmap_fini(&t->touched);
	idmap_fini(&t->seen);
	idmap_fini(&t->dirty);
	t->open = false;
	t->n_ops = 0;
}

int agent_txn_begin(struct sgw_agent *a, const struct sgw_txn_begin *b, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;

	if (t->open)
		return fail(err, errlen, EBUSY, "a transaction is already open");
	if (b->flags & ~SGW_TXN_REPLACE_ALL)
		return fail(err, errlen, EINVAL, "unknown transaction flags 0x%x", b->flags);
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
		return fail(err, errlen, EPROTO, "no open transaction");
	if (++a->txn.n_ops > SGW_AGENT_MAX_TXN_OPS)
		return fail(err, errlen, E2BIG, "more than %u ops in one transaction",
			    SGW_AGENT_MAX_TXN_OPS);
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
	default:
		return fail(err, errlen, EINVAL, "unknown op %u", type);
	}
}

void agent_txn_abort(struct sgw_agent *a)
{
	struct sgw_txn *t = &a->txn;

	if (!t->open)
		return;
	/* 1. take every touched stream's current listen key out */
	for (size_t i = 0; i < t->touches.n; i++) {
		struct txn_touch *tt = &t->touches.v[i];
		struct stream_rec *cur;
		if (!tt->is_stream)
			continue;
		cur = idmap_get(&a->streams, tt->id);
		if (cur != NULL)
			idmap_del(&a->listen, listen_key(cur->aidx, cur->listen.port));
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
	/* 3. listen keys of the restored streams */
	for (size_t i = 0; i < t->touches.n; i++) {
		struct txn_touch *tt = &t->touches.v[i];
		struct stream_rec *s = tt->before;
		if (tt->is_stream && s != NULL)
			idmap_put(&a->listen, listen_key(s->aidx, s->listen.port), s);
	}
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

static void entry_free(void *p)
{
	free(p);
}

static void fill_header(struct sgw_agent *a, const struct stream_rec *s,
			const struct viewer_rec *v, struct sgw_flow_viewer *fv)
{
	const struct sgw_port_rt *port = &a->dp->ports[v->port_idx];
	uint8_t *h = fv->hdr;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)h;
	struct rte_udp_hdr *udp;
	size_t off = sizeof(*eth);

	memset(fv->hdr, 0, sizeof(fv->hdr));
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
	if (port->vlan != 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(h + off);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(port->vlan);
		vh->eth_proto = rte_cpu_to_be_16(v->dest.addr.family == SGW_AF_INET ?
						 RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
		off += sizeof(*vh);
	} else {
		eth->ether_type = rte_cpu_to_be_16(v->dest.addr.family == SGW_AF_INET ?
						   RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	}
	fv->l3_off = (uint8_t)off;
	if (v->dest.addr.family == SGW_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + off);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, v->src_ip.a, 4);
		memcpy(&ip->dst_addr, v->dest.addr.a, 4);
		off += sizeof(*ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(h + off);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, v->src_ip.a, 16);
		memcpy(ip->dst_addr, v->dest.addr.a, 16);
		off += sizeof(*ip);
	}
	udp = (struct rte_udp_hdr *)(h + off);
	udp->src_port = rte_cpu_to_be_16(s->listen.port);
	udp->dst_port = rte_cpu_to_be_16(v->dest.port);
	off += sizeof(*udp);
	fv->hdr_len = (uint8_t)off;
	fv->family = v->dest.addr.family;
}

static struct sgw_flow_entry *entry_build(struct sgw_agent *a, const struct stream_rec *s)
{
	size_t size = sizeof(struct sgw_flow_entry) + s->n_viewers * sizeof(struct sgw_flow_viewer);
	struct sgw_flow_entry *e = aligned_alloc(RTE_CACHE_LINE_SIZE,
						 RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE));

	if (e == NULL)
		return NULL;
	memset(e, 0, size);
	e->stream_id = s->id;
	e->owner = s->owner;
	e->allowed[0] = s->owner;
	memcpy(&e->allowed[1], s->grants, s->n_grants * sizeof(s->grants[0]));
	e->n_allowed = (uint8_t)(1 + s->n_grants);
	e->plain_in = s->suite == SGW_SUITE_PLAIN;
	e->source = s->source;
	e->ingress = s->ingress;
	e->ingress_old = s->ingress_old;
	e->st = s->st;
	e->n_viewers = (uint16_t)s->n_viewers;
	for (uint32_t i = 0; i < s->n_viewers; i++) {
		const struct viewer_rec *v = s->viewers[i];
		struct sgw_flow_viewer *fv = &e->viewers[i];
		fv->viewer_id = v->id;
		fv->owner = v->owner;
		fv->port = v->port_idx;
		fv->neigh = v->neigh;
		fv->egress = v->egress;
		fv->st = v->st;
		fv->mtu = a->dp->ports[v->port_idx].mtu;
		fill_header(a, s, v, fv);
	}
	return e;
}

/* REPLACE_ALL: delete what the transaction did not name. The victims are
 * listed first: deleting changes the maps being walked. */
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
		return fail(err, errlen, ENOMEM, "out of memory");
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
				rc = stream_del(a, s, err, errlen);
		} else {
			/* may be gone already with its stream */
			struct viewer_rec *v = idmap_get(&a->viewers, key);
			if (v != NULL)
				rc = viewer_del(a, v, err, errlen);
		}
	}
	free(ids);
	return rc;
}

int agent_txn_commit(struct sgw_agent *a, uint64_t *version, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct flow_table *ft = &a->dp->ft;
	size_t pos;
	uint64_t id;
	void *val;
	int rc;

	if (!t->open)
		return fail(err, errlen, EPROTO, "no open transaction");
	if (t->flags & SGW_TXN_REPLACE_ALL) {
		rc = delete_unseen(a, err, errlen);
		if (rc != 0) {
			agent_txn_abort(a);
			return rc;
		}
	}
	rc = ft_begin(ft);
	for (size_t i = 0; rc == 0 && i < t->cleared.n; i++)
		rc = ft_set(ft, t->cleared.v[i].aidx, t->cleared.v[i].port, NULL, entry_free);
	for (pos = 0; rc == 0 && idmap_next(&t->dirty, &pos, &id, &val);) {
		struct stream_rec *s = idmap_get(&a->streams, id);
		struct sgw_flow_entry *e;
		if (s == NULL)
			continue; /* deleted: its slot is in cleared */
		e = entry_build(a, s);
		rc = e == NULL ? -ENOMEM : ft_set(ft, s->aidx, s->listen.port, e, entry_free);
		if (rc != 0)
			free(e);
	}
	for (size_t i = 0; rc == 0 && i < t->dropped.n; i++)
		rc = ft_retire(ft, t->dropped.v[i].obj, t->dropped.v[i].free_fn);
	if (rc != 0) {
		ft_abort(ft);
		agent_txn_abort(a);
		return fail(err, errlen, ENOMEM, "out of memory while building the new version");
	}
	*version = ft_publish(ft);
	a->ctl_seq = t->ctl_seq;
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
}

int agent_init(struct sgw_agent *a, struct sgw_dp *dp, const struct sgw_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->dp = dp;
	a->cfg = cfg;
	idmap_init(&a->streams);
	idmap_init(&a->viewers);
	idmap_init(&a->listen);
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
		free(v->st);
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
	free(a->txn.touches.v);
	free(a->txn.created.v);
	free(a->txn.dropped.v);
	free(a->txn.cleared.v);
	free(a->txn.neigh.v);
	OPENSSL_cleanse(a->digest_key, sizeof(a->digest_key));
}
