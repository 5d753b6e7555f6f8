/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Viewer ops (add, delete, rekey, destination) and the routing of a
 * viewer's destination to a port and next hop.
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

int txn_viewer_del(struct sgw_agent *a, struct viewer_rec *v, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct stream_rec *s = idmap_get(&a->streams, v->stream_id);
	struct txn_neigh nd = { v->neigh, -1 };
	struct txn_slot slot = { v->aidx, v->port.local_port };

	if (txn_touch_record(a, false, v->id) != 0 || txn_touch_record(a, true, v->stream_id) != 0 ||
	    txn_res_dropped(t, v->egress, txn_srtp_free) != 0 || txn_res_dropped(t, v->st, free) != 0 ||
	    txn_res_dropped(t, v->rtcp_in, txn_srtp_free) != 0 ||
	    txn_res_dropped(t, v->port_st, free) != 0 || txn_res_dropped(t, v->nack, free) != 0 ||
	    (v->neigh != SGW_NEIGH_NONE && VEC_PUSH(t->neigh, nd) != 0) ||
	    (v->port.local_port != 0 && VEC_PUSH(t->cleared, slot) != 0) ||
	    txn_mark_dirty(a, v->stream_id) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	if (v->neigh != SGW_NEIGH_NONE)
		agent_neigh_unref(a, v->neigh);
	if (v->port.local_port != 0)
		idmap_del(&a->vports, txn_listen_key(v->aidx, v->port.local_port));
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

bool owner_allowed(const struct stream_rec *s, uint32_t owner)
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

	if (dest->addr.family == SGW_AF_NONE) {
		/* paused: no next hop, nothing is sent (its state is kept) */
		memset(&v->dest, 0, sizeof(v->dest));
		v->neigh = SGW_NEIGH_NONE;
		return 0;
	}
	if ((dest->addr.family != SGW_AF_INET && dest->addr.family != SGW_AF_INET6) || dest->port == 0)
		return txn_fail(err, errlen, EINVAL, "viewer destination needs an address and a port");
	memset(&v->src_ip, 0, sizeof(v->src_ip));
	rc = agent_route(a, &dest->addr, &s->listen.addr, &v->port_idx, &nexthop, &v->src_ip, err, errlen);
	if (rc != 0)
		return rc;
	if (v->src_ip.family != dest->addr.family)
		return txn_fail(err, errlen, EADDRNOTAVAIL, "port %s has no IPv%u address to send from",
			    a->cfg->ports[v->port_idx].name, dest->addr.family);
	slot = agent_neigh_ref(a, v->port_idx, &nexthop);
	if (slot < 0)
		return txn_fail(err, errlen, ENOSPC, "next-hop table full (max_neighbours %u)",
			    a->dp->n_neigh);
	nd.slot = (uint32_t)slot;
	nd.delta = 1;
	if (VEC_PUSH(a->txn.neigh, nd) != 0) {
		agent_neigh_unref(a, (uint32_t)slot);
		return txn_fail(err, errlen, ENOMEM, "out of memory");
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

	txn_key_digest(a, &op->key, d);
	same = v->stream_id == op->stream_id && v->owner == op->owner &&
	       v->suite == op->key.suite && memcmp(v->digest, d, sizeof(d)) == 0 &&
	       sgw_addr_equal(&v->dest.addr, &op->dest.addr) && v->dest.port == op->dest.port &&
	       v->n_lanes == op->lanes.n;
	for (unsigned i = 0; same && i < v->n_lanes; i++)
		same = v->lane_ssrc[i] == op->lanes.lane[i].ssrc;
	txn_key_digest(a, &op->port.rtcp_key, d);
	same = same && v->port.local_port == op->port.local_port && v->port.flags == op->port.flags &&
	       v->port.n_pt == op->port.n_pt &&
	       memcmp(v->port.pt_in, op->port.pt_in, sizeof(v->port.pt_in)) == 0 &&
	       memcmp(v->port.pt_out, op->port.pt_out, sizeof(v->port.pt_out)) == 0 &&
	       memcmp(v->rtcp_digest, d, sizeof(d)) == 0;
	OPENSSL_cleanse(d, sizeof(d));
	return same;
}

/* A viewer's port of its own and payload types (a WebRTC viewer): the
 * port on the stream's listen address, free; its RTCP context; the state
 * of its port's entry. */
static int viewer_port(struct sgw_agent *a, struct viewer_rec *v, const struct stream_rec *s,
		       const struct sgw_viewer_port *p, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	bool rtcp_key = !txn_key_none(&p->rtcp_key);
	int rc;

	if (p->n_pt > SGW_MAX_PT_MAP)
		return txn_fail(err, errlen, EINVAL, "%u payload type rewrites: at most %u", p->n_pt,
				SGW_MAX_PT_MAP);
	for (unsigned i = 0; i < p->n_pt; i++)
		if (p->pt_in[i] > 127 || p->pt_out[i] > 127)
			return txn_fail(err, errlen, EINVAL, "payload types are 0..127");
	if (p->flags & ~(SGW_VIEWER_PUNT | SGW_VIEWER_FEEDBACK | SGW_VIEWER_NACK))
		return txn_fail(err, errlen, EINVAL, "unknown viewer port flags 0x%x", p->flags);
	if ((p->flags & SGW_VIEWER_NACK) && (p->flags & SGW_VIEWER_FEEDBACK))
		return txn_fail(err, errlen, EINVAL, "a camera's leg is sent nothing: no NACKs to answer");
	if (p->flags & SGW_VIEWER_FEEDBACK) {
		if (v->owner != s->owner)
			return txn_fail(err, errlen, EPERM, "the camera's leg of stream %llu must be of its owner %u",
					(unsigned long long)s->id, s->owner);
		for (uint32_t i = 0; i < s->n_viewers; i++)
			if (s->viewers[i]->port.flags & SGW_VIEWER_FEEDBACK)
				return txn_fail(err, errlen, EEXIST, "stream %llu has a camera leg: viewer %llu",
						(unsigned long long)s->id,
						(unsigned long long)s->viewers[i]->id);
	}
	v->aidx = s->aidx;
	v->port = *p;
	memset(&v->port.rtcp_key, 0, sizeof(v->port.rtcp_key));
	txn_key_digest(a, &p->rtcp_key, v->rtcp_digest);
	if (p->local_port == 0) {
		if ((p->flags & (SGW_VIEWER_PUNT | SGW_VIEWER_NACK)) || rtcp_key)
			return txn_fail(err, errlen, EINVAL,
					"punting, NACKs and an RTCP key need a port of the viewer's own");
		return 0;
	}
	if (txn_port_in_use(a, s->aidx, p->local_port, err, errlen))
		return -EADDRINUSE;
	if (rtcp_key) {
		rc = txn_key_check(&p->rtcp_key, false, "viewer RTCP key", err, errlen);
		if (rc == 0)
			rc = txn_ctx_new(a, &p->rtcp_key, SGW_SRTP_INBOUND, 0, NULL, &v->rtcp_in, err,
					 errlen);
		if (rc != 0)
			return rc;
	}
	v->port_st = txn_state_alloc(sizeof(*v->port_st));
	if (v->port_st == NULL || txn_res_created(t, v->port_st, free) != 0) {
		free(v->port_st);
		v->port_st = NULL;
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	}
	v->port_st->home = SGW_NO_WORKER;
	if (p->flags & SGW_VIEWER_NACK) {
		v->nack = txn_state_alloc(sizeof(*v->nack));
		if (v->nack == NULL || txn_res_created(t, v->nack, free) != 0) {
			free(v->nack);
			v->nack = NULL;
			return txn_fail(err, errlen, ENOMEM, "out of memory");
		}
	}
	if (idmap_put(&a->vports, txn_listen_key(s->aidx, p->local_port), v) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	return 0;
}

static bool stream_has_camera_leg(const struct stream_rec *s)
{
	for (uint32_t i = 0; i < s->n_viewers; i++)
		if (s->viewers[i]->port.flags & SGW_VIEWER_FEEDBACK)
			return true;
	return false;
}

/* The egress context of key, with lanes when the op gives them; v
 * records the lanes' SSRCs. */
static int egress_new(struct sgw_agent *a, struct viewer_rec *v, const struct sgw_key *key,
		      const struct sgw_pos *resume, const struct sgw_lanes *lanes,
		      struct sgw_srtp **out, char *err, size_t errlen)
{
	int rc;

	if (lanes->n == 0)
		rc = txn_ctx_new(a, key, SGW_SRTP_OUTBOUND, 0, resume, out, err, errlen);
	else
		rc = txn_ctx_new_lanes(a, key, lanes, out, err, errlen);
	if (rc != 0)
		return rc;
	v->n_lanes = (uint8_t)lanes->n;
	for (unsigned i = 0; i < lanes->n; i++)
		v->lane_ssrc[i] = lanes->lane[i].ssrc;
	return 0;
}

int op_viewer_add(struct sgw_agent *a, const struct sgw_op_viewer_add *op,
			 char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct stream_rec *s;
	struct viewer_rec *v;
	int rc;

	if (op->viewer_id == 0 || (op->viewer_id & KIND_STREAM) || op->owner == 0)
		return txn_fail(err, errlen, EINVAL, "viewer id must be 1..2^63-1 and owner non-zero");
	v = idmap_get(&a->viewers, op->viewer_id);
	if (v != NULL) {
		if (!(t->flags & SGW_TXN_REPLACE_ALL))
			return txn_fail(err, errlen, EEXIST, "viewer %llu exists",
				    (unsigned long long)op->viewer_id);
		if (viewer_same(a, v, op)) {
			/* unchanged, but allowed only as a new viewer would be:
			 * the stream's grants are restated by this transaction */
			s = idmap_get(&a->streams, v->stream_id);
			if (!owner_allowed(s, op->owner))
				return txn_fail(err, errlen, EPERM,
					    "owner %u may not receive stream %llu (owner %u, no grant)",
					    op->owner, (unsigned long long)s->id, s->owner);
			return txn_mark_seen(a, false, v->id) == 0 ? 0 : txn_fail(err, errlen, ENOMEM, "out of memory");
		}
		rc = txn_viewer_del(a, v, err, errlen);
		if (rc != 0)
			return rc;
	}
	rc = txn_stream_get(a, op->stream_id, &s, err, errlen);
	if (rc != 0)
		return rc;
	if (!owner_allowed(s, op->owner))
		return txn_fail(err, errlen, EPERM, "owner %u may not receive stream %llu (owner %u, no grant)",
			    op->owner, (unsigned long long)s->id, s->owner);
	if (s->n_viewers >= SGW_MAX_VIEWERS_PER_STREAM)
		return txn_fail(err, errlen, ENOSPC, "stream %llu has %u viewers, the most it can have",
			    (unsigned long long)s->id, SGW_MAX_VIEWERS_PER_STREAM);
	rc = txn_key_check(&op->key, true, "viewer key", err, errlen);
	if (rc != 0)
		return rc;
	if (txn_touch_record(a, false, op->viewer_id) != 0 || txn_touch_record(a, true, s->id) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	if (s->n_viewers == s->cap_viewers) {
		uint32_t ncap = s->cap_viewers ? s->cap_viewers * 2 : 4;
		struct viewer_rec **nv = realloc(s->viewers, ncap * sizeof(*nv));
		if (nv == NULL)
			return txn_fail(err, errlen, ENOMEM, "out of memory");
		s->viewers = nv;
		s->cap_viewers = ncap;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	v->id = op->viewer_id;
	v->stream_id = s->id;
	v->owner = op->owner;
	v->suite = op->key.suite;
	txn_key_digest(a, &op->key, v->digest);
	v->created_gen = t->gen;
	rc = viewer_route(a, v, s, &op->dest, err, errlen);
	if (rc == 0)
		rc = egress_new(a, v, &op->key, &op->resume, &op->lanes, &v->egress, err, errlen);
	if (rc == 0)
		rc = viewer_port(a, v, s, &op->port, err, errlen);
	if (rc == 0) {
		v->st = txn_state_alloc(sizeof(*v->st));
		if (v->st == NULL || txn_res_created(t, v->st, free) != 0) {
			free(v->st);
			rc = txn_fail(err, errlen, ENOMEM, "out of memory");
		}
	}
	if (rc == 0 && idmap_put(&a->viewers, v->id, v) != 0)
		rc = txn_fail(err, errlen, ENOMEM, "out of memory");
	if (rc == 0 && (txn_mark_dirty(a, s->id) != 0 || txn_mark_seen(a, false, v->id) != 0)) {
		idmap_del(&a->viewers, v->id);
		rc = txn_fail(err, errlen, ENOMEM, "out of memory");
	}
	if (rc != 0) {
		if (v->port.local_port != 0 &&
		    idmap_get(&a->vports, txn_listen_key(v->aidx, v->port.local_port)) == v)
			idmap_del(&a->vports, txn_listen_key(v->aidx, v->port.local_port));
		viewer_rec_free(v); /* its slot reference and contexts are undone by abort */
		return rc;
	}
	s->viewers[s->n_viewers++] = v;
	/* a new viewer wants a keyframe now, not at the camera's next one,
	 * if the camera can be asked (it has a camera leg) */
	if (!(v->port.flags & SGW_VIEWER_FEEDBACK) && stream_has_camera_leg(s))
		__atomic_store_n(&s->st->kf_wanted, 1, __ATOMIC_RELAXED);
	return 0;
}

int op_viewer_change(struct sgw_agent *a, unsigned type, const void *body,
			    char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct viewer_rec *v;
	uint64_t id;
	int rc;

	memcpy(&id, body, sizeof(id));
	v = idmap_get(&a->viewers, id);
	if (v == NULL)
		return txn_fail(err, errlen, ENOENT, "no viewer %llu", (unsigned long long)id);
	if (type == SGW_OP_VIEWER_DEL)
		return txn_viewer_del(a, v, err, errlen);
	if (txn_touch_record(a, false, v->id) != 0 || txn_mark_dirty(a, v->stream_id) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	if (type == SGW_OP_VIEWER_REKEY) {
		const struct sgw_op_rekey *op = body;
		struct sgw_srtp *ctx;
		rc = txn_key_check(&op->key, true, "viewer key", err, errlen);
		if (rc == 0)
			rc = egress_new(a, v, &op->key, NULL, &op->lanes, &ctx, err, errlen);
		if (rc != 0)
			return rc;
		if (txn_res_dropped(t, v->egress, txn_srtp_free) != 0)
			return txn_fail(err, errlen, ENOMEM, "out of memory");
		v->egress = ctx;
		v->suite = op->key.suite;
		txn_key_digest(a, &op->key, v->digest);
		return 0;
	}
	/* SGW_OP_VIEWER_SET_DEST (family NONE: paused) */
	const struct sgw_op_viewer_dest *op = body;
	struct txn_neigh nd = { v->neigh, -1 };
	uint32_t old = v->neigh;
	rc = viewer_route(a, v, idmap_get(&a->streams, v->stream_id), &op->dest, err, errlen);
	if (rc != 0)
		return rc;
	if (old == SGW_NEIGH_NONE)
		return 0;
	if (VEC_PUSH(t->neigh, nd) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	agent_neigh_unref(a, old);
	return 0;
}
