/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stream ops (add, delete, rekey, end of overlap, source, grants) and
 * the crypto contexts and key digests they make.
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

void txn_srtp_free(void *p)
{
	sgw_srtp_free(p);
}

void *txn_state_alloc(size_t size)
{
	void *p = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE));

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

uint64_t txn_listen_key(unsigned aidx, uint16_t port)
{
	return (uint64_t)(aidx + 1) << 16 | port;
}

/* A keyed digest of a key, so that REPLACE_ALL can tell an unchanged key
 * without the agent keeping the key itself. */
void txn_key_digest(const struct sgw_agent *a, const struct sgw_key *k, uint8_t out[32])
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

int txn_key_check(const struct sgw_key *k, bool allow_plain, const char *what,
		     char *err, size_t errlen)
{
	const struct sgw_suite_info *s = sgw_suite_info(k->suite);

	if (s == NULL)
		return txn_fail(err, errlen, EINVAL, "%s: unknown suite %u", what, k->suite);
	if (k->suite == SGW_SUITE_PLAIN) {
		if (!allow_plain)
			return txn_fail(err, errlen, EINVAL, "%s: a key is needed, not PLAIN", what);
		return 0;
	}
	if (k->len != s->key_len + s->salt_len)
		return txn_fail(err, errlen, EINVAL, "%s: %s needs %u bytes of key and salt, got %u",
			    what, s->name, s->key_len + s->salt_len, k->len);
	return 0;
}

/* A context for k (NULL for PLAIN), registered as created; going on from
 * resume when that is a valid position (srtp_ctx.h). */
int txn_ctx_new(struct sgw_agent *a, const struct sgw_key *k, enum sgw_srtp_dir dir,
		   unsigned window, const struct sgw_pos *resume, struct sgw_srtp **out,
		   char *err, size_t errlen)
{
	struct sgw_srtp_pos from;

	*out = NULL;
	if (resume != NULL && (resume->flags & ~SGW_POS_VALID))
		return txn_fail(err, errlen, EINVAL, "unknown position flags 0x%x", resume->flags);
	if (k->suite == SGW_SUITE_PLAIN)
		return 0;
	if (resume != NULL && (resume->flags & SGW_POS_VALID)) {
		from = (struct sgw_srtp_pos){ resume->ssrc, resume->roc, resume->seq };
		*out = sgw_srtp_create_at(k, dir, window, &from);
	} else {
		*out = sgw_srtp_create(k, dir, window);
	}
	if (*out == NULL)
		return txn_fail(err, errlen, EINVAL, "cannot create an SRTP context (suite %s, replay window %u)",
			    sgw_suite_info(k->suite)->name, window);
	if (txn_res_created(&a->txn, *out, txn_srtp_free) != 0) {
		sgw_srtp_free(*out);
		*out = NULL;
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	}
	return 0;
}

int txn_ctx_new_lanes(struct sgw_agent *a, const struct sgw_key *k, const struct sgw_lanes *lanes,
		      struct sgw_srtp **out, char *err, size_t errlen)
{
	struct sgw_srtp_lane l[SGW_MAX_LANES];

	*out = NULL;
	if (lanes->n > SGW_MAX_LANES)
		return txn_fail(err, errlen, EINVAL, "%u lanes: at most %u", lanes->n, SGW_MAX_LANES);
	if (k->suite == SGW_SUITE_PLAIN)
		return txn_fail(err, errlen, EINVAL, "a plain viewer has no lanes");
	for (unsigned i = 0; i < lanes->n; i++) {
		const struct sgw_lane_res *r = &lanes->lane[i];
		l[i] = (struct sgw_srtp_lane){ .ssrc = r->ssrc, .rtcp_next = r->rtcp_next,
					       .rtcp_limit = r->rtcp_limit, .next = r->next,
					       .limit = r->limit };
	}
	*out = sgw_srtp_create_lanes(k, 0, l, lanes->n);
	if (*out == NULL)
		return txn_fail(err, errlen, EINVAL,
				"bad lanes: SSRCs must differ, indices 1..2^48-1 (SRTCP 1..2^31-1), "
				"limits at least next - 1");
	if (txn_res_created(&a->txn, *out, txn_srtp_free) != 0) {
		sgw_srtp_free(*out);
		*out = NULL;
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	}
	return 0;
}

int txn_stream_get(struct sgw_agent *a, uint64_t id, struct stream_rec **s,
		      char *err, size_t errlen)
{
	*s = idmap_get(&a->streams, id);
	if (*s == NULL)
		return txn_fail(err, errlen, ENOENT, "no stream %llu", (unsigned long long)id);
	return 0;
}

int txn_stream_del(struct sgw_agent *a, struct stream_rec *s, char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct txn_slot slot = { s->aidx, s->listen.port };
	struct txn_slot rtcp = { s->aidx, (uint16_t)(s->listen.port + 1) };
	int rc;

	if (txn_touch_record(a, true, s->id) != 0 || txn_fence_deleted(a, s) != 0 ||
	    ((s->flags & SGW_STREAM_RTCP_PORT) && VEC_PUSH(t->cleared, rtcp) != 0))
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	while (s->n_viewers > 0) {
		rc = txn_viewer_del(a, s->viewers[s->n_viewers - 1], err, errlen);
		if (rc != 0)
			return rc;
	}
	if (txn_res_dropped(t, s->ingress, txn_srtp_free) != 0 ||
	    txn_res_dropped(t, s->ingress_old, txn_srtp_free) != 0 ||
	    txn_res_dropped(t, s->st, free) != 0 || VEC_PUSH(t->cleared, slot) != 0 ||
	    txn_mark_dirty(a, s->id) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	idmap_del(&a->listen, txn_listen_key(s->aidx, s->listen.port));
	idmap_del(&a->streams, s->id);
	if (s->created_gen == t->gen)
		stream_rec_free(s);
	return 0;
}

/* Everything a REPLACE_ALL states about a stream but its old key. */
static bool stream_same(struct sgw_agent *a, const struct stream_rec *s,
			const struct sgw_op_stream_add *op)
{
	uint8_t d[32];
	bool same;

	txn_key_digest(a, &op->key, d);
	same = s->owner == op->owner && s->suite == op->key.suite &&
	       memcmp(s->digest, d, sizeof(d)) == 0 &&
	       sgw_addr_equal(&s->listen.addr, &op->listen.addr) && s->listen.port == op->listen.port &&
	       sgw_addr_equal(&s->source.addr, &op->source.addr) && s->source.port == op->source.port &&
	       s->replay_window == (op->replay_window ? op->replay_window : a->cfg->replay_window) &&
	       s->flags == op->flags;
	OPENSSL_cleanse(d, sizeof(d));
	return same;
}

bool txn_key_none(const struct sgw_key *k)
{
	return k->suite == SGW_SUITE_PLAIN && k->len == 0;
}

/* The stream's old key (a rekey overlap) as op states it: none, or a key
 * of the stream's suite. A REPLACE_ALL that keeps the stream makes its old
 * key what the control plane says now: an overlap that ended while the
 * gateway was away ends, one the gateway lost (it restarted) is back. */
static int set_old_key(struct sgw_agent *a, struct stream_rec *s, const struct sgw_key *old,
		       char *err, size_t errlen)
{
	struct sgw_srtp *ctx = NULL;
	uint8_t d[32];
	int rc;

	if (txn_key_none(old)) {
		if (s->ingress_old == NULL)
			return 0;
		if (txn_res_dropped(&a->txn, s->ingress_old, txn_srtp_free) != 0)
			return txn_fail(err, errlen, ENOMEM, "out of memory");
		s->ingress_old = NULL;
		OPENSSL_cleanse(s->old_digest, sizeof(s->old_digest));
		return 0;
	}
	if (s->suite == SGW_SUITE_PLAIN)
		return txn_fail(err, errlen, EINVAL, "stream %llu is plain RTP: it has no old key",
				(unsigned long long)s->id);
	rc = txn_key_check(old, false, "old stream key", err, errlen);
	if (rc != 0)
		return rc;
	txn_key_digest(a, old, d);
	if (s->ingress_old != NULL && memcmp(d, s->old_digest, sizeof(d)) == 0) {
		OPENSSL_cleanse(d, sizeof(d));
		return 0;
	}
	rc = txn_ctx_new(a, old, SGW_SRTP_INBOUND, s->replay_window, NULL, &ctx, err, errlen);
	if (rc == 0 && txn_res_dropped(&a->txn, s->ingress_old, txn_srtp_free) != 0)
		rc = txn_fail(err, errlen, ENOMEM, "out of memory");
	if (rc == 0) {
		s->ingress_old = ctx;
		memcpy(s->old_digest, d, sizeof(d));
	}
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

int op_stream_add(struct sgw_agent *a, const struct sgw_op_stream_add *op,
			 char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	char buf[SGW_ADDR_STRLEN + 8];
	struct stream_rec *s, *other;
	unsigned window = op->replay_window ? op->replay_window : a->cfg->replay_window;
	int aidx, rc;

	/* ids below 2^63: the top bit is the kind in the transaction's maps */
	if (op->stream_id == 0 || (op->stream_id & KIND_STREAM) || op->owner == 0)
		return txn_fail(err, errlen, EINVAL, "stream id must be 1..2^63-1 and owner non-zero");
	if (op->listen.addr.family != SGW_AF_INET && op->listen.addr.family != SGW_AF_INET6)
		return txn_fail(err, errlen, EINVAL, "listen address missing");
	if (op->listen.port == 0)
		return txn_fail(err, errlen, EINVAL, "listen port missing");
	if (op->source.addr.family != SGW_AF_NONE && op->source.addr.family != SGW_AF_INET &&
	    op->source.addr.family != SGW_AF_INET6)
		return txn_fail(err, errlen, EINVAL, "bad source address family %u", op->source.addr.family);
	if (op->replay_window != 0 && (op->replay_window < 64 || op->replay_window > 32767))
		return txn_fail(err, errlen, EINVAL, "replay window %u outside 64..32767", op->replay_window);
	if (op->flags & ~(SGW_STREAM_PUNT | SGW_STREAM_RTCP_PORT))
		return txn_fail(err, errlen, EINVAL, "unknown stream flags 0x%x", op->flags);
	if ((op->flags & SGW_STREAM_RTCP_PORT) && op->listen.port == 65535)
		return txn_fail(err, errlen, EINVAL, "an RTCP port needs listen port + 1: 65535 has none");
	rc = txn_key_check(&op->key, true, "stream key", err, errlen);
	if (rc != 0)
		return rc;
	aidx = txn_addr_find(a, &op->listen.addr);
	if (aidx < 0)
		return txn_fail(err, errlen, EADDRNOTAVAIL, "listen address %s is not a gateway address",
			    sgw_addr_format(&op->listen.addr, buf, sizeof(buf)));

	s = idmap_get(&a->streams, op->stream_id);
	if (s != NULL) {
		if (!(t->flags & SGW_TXN_REPLACE_ALL))
			return txn_fail(err, errlen, EEXIST, "stream %llu exists",
				    (unsigned long long)op->stream_id);
		if (stream_same(a, s, op)) {
			/* unchanged: keep its crypto state; grants are restated,
			 * the old key is what op says */
			if (txn_touch_record(a, true, s->id) != 0 || txn_mark_seen(a, true, s->id) != 0 ||
			    txn_mark_dirty(a, s->id) != 0)
				return txn_fail(err, errlen, ENOMEM, "out of memory");
			s->n_grants = 0;
			return set_old_key(a, s, &op->old_key, err, errlen);
		}
		rc = txn_stream_del(a, s, err, errlen);
		if (rc != 0)
			return rc;
	}
	other = idmap_get(&a->listen, txn_listen_key((unsigned)aidx, op->listen.port));
	if (other != NULL)
		return txn_fail(err, errlen, EADDRINUSE, "%s is in use by stream %llu",
			    sgw_endpoint_format(&op->listen, buf, sizeof(buf)),
			    (unsigned long long)other->id);
	if (txn_port_in_use(a, (unsigned)aidx, op->listen.port, err, errlen))
		return -EADDRINUSE;
	if ((op->flags & SGW_STREAM_RTCP_PORT) &&
	    txn_port_in_use(a, (unsigned)aidx, (uint16_t)(op->listen.port + 1), err, errlen))
		return -EADDRINUSE;

	if (txn_touch_record(a, true, op->stream_id) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	s->id = op->stream_id;
	s->owner = op->owner;
	s->replay_window = window;
	s->suite = op->key.suite;
	txn_key_digest(a, &op->key, s->digest);
	s->listen = op->listen;
	s->source = op->source;
	s->aidx = (unsigned)aidx;
	s->flags = op->flags;
	s->created_gen = t->gen;
	s->fence = txn_fence_given(a, s->id); /* a STREAM_FENCE earlier in the transaction */
	rc = txn_ctx_new(a, &op->key, SGW_SRTP_INBOUND, window, &op->resume, &s->ingress, err, errlen);
	if (rc == 0)
		rc = set_old_key(a, s, &op->old_key, err, errlen);
	if (rc != 0) {
		stream_rec_free(s); /* the contexts are undone by abort */
		return rc;
	}
	s->st = txn_state_alloc(sizeof(*s->st));
	if (s->st == NULL || txn_res_created(t, s->st, free) != 0) {
		free(s->st);
		stream_rec_free(s);
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	}
	s->st->home = SGW_NO_WORKER;
	if (idmap_put(&a->streams, s->id, s) != 0) {
		stream_rec_free(s);
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	}
	if (idmap_put(&a->listen, txn_listen_key(s->aidx, s->listen.port), s) != 0 ||
	    txn_mark_dirty(a, s->id) != 0 || txn_mark_seen(a, true, s->id) != 0) {
		idmap_del(&a->streams, s->id);
		idmap_del(&a->listen, txn_listen_key(s->aidx, s->listen.port));
		stream_rec_free(s);
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	}
	return 0;
}

int op_stream_rekey(struct sgw_agent *a, const struct sgw_op_rekey *op,
			   char *err, size_t errlen)
{
	struct sgw_txn *t = &a->txn;
	struct stream_rec *s;
	struct sgw_srtp *ctx;
	int rc = txn_stream_get(a, op->id, &s, err, errlen);

	if (rc != 0)
		return rc;
	rc = txn_key_check(&op->key, false, "stream key", err, errlen);
	if (rc != 0)
		return rc;
	if (s->suite == SGW_SUITE_PLAIN)
		return txn_fail(err, errlen, EINVAL, "stream %llu is plain RTP: it has no key",
			    (unsigned long long)s->id);
	if (txn_touch_record(a, true, s->id) != 0 || txn_mark_dirty(a, s->id) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	rc = txn_ctx_new(a, &op->key, SGW_SRTP_INBOUND, s->replay_window, NULL, &ctx, err, errlen);
	if (rc != 0)
		return rc;
	if (op->lanes.n != 0)
		return txn_fail(err, errlen, EINVAL, "a stream has no lanes");
	if (op->flags & SGW_REKEY_KEEP_OLD) {
		if (txn_res_dropped(t, s->ingress_old, txn_srtp_free) != 0)
			return txn_fail(err, errlen, ENOMEM, "out of memory");
		s->ingress_old = s->ingress;
		memcpy(s->old_digest, s->digest, sizeof(s->digest));
	} else {
		if (txn_res_dropped(t, s->ingress, txn_srtp_free) != 0 ||
		    txn_res_dropped(t, s->ingress_old, txn_srtp_free) != 0)
			return txn_fail(err, errlen, ENOMEM, "out of memory");
		s->ingress_old = NULL;
	}
	s->ingress = ctx;
	s->suite = op->key.suite;
	txn_key_digest(a, &op->key, s->digest);
	return 0;
}

int op_stream_simple(struct sgw_agent *a, unsigned type, const void *body,
			    char *err, size_t errlen)
{
	struct stream_rec *s;
	uint64_t id;
	int rc;

	memcpy(&id, body, sizeof(id)); /* every stream op starts with the id */
	rc = txn_stream_get(a, id, &s, err, errlen);
	if (rc != 0)
		return rc;
	if (type == SGW_OP_STREAM_DEL)
		return txn_stream_del(a, s, err, errlen);
	if (txn_touch_record(a, true, s->id) != 0 || txn_mark_dirty(a, s->id) != 0)
		return txn_fail(err, errlen, ENOMEM, "out of memory");
	if (type == SGW_OP_STREAM_END_OVERLAP) {
		if (txn_res_dropped(&a->txn, s->ingress_old, txn_srtp_free) != 0)
			return txn_fail(err, errlen, ENOMEM, "out of memory");
		s->ingress_old = NULL;
		OPENSSL_cleanse(s->old_digest, sizeof(s->old_digest));
		return 0;
	}
	if (type == SGW_OP_STREAM_SET_SOURCE) {
		const struct sgw_op_stream_source *op = body;
		if (op->source.addr.family != SGW_AF_NONE && op->source.addr.family != SGW_AF_INET &&
		    op->source.addr.family != SGW_AF_INET6)
			return txn_fail(err, errlen, EINVAL, "bad source address family %u",
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
			return txn_fail(err, errlen, EINVAL, "owner must be non-zero");
		if (g->owner == s->owner || i < s->n_grants) {
			if (a->txn.flags & SGW_TXN_REPLACE_ALL)
				return 0;
			return txn_fail(err, errlen, EEXIST, "owner %u may already receive stream %llu",
				    g->owner, (unsigned long long)s->id);
		}
		if (s->n_grants == SGW_MAX_GRANTS)
			return txn_fail(err, errlen, ENOSPC, "stream %llu has %u grants, the most it can have",
				    (unsigned long long)s->id, SGW_MAX_GRANTS);
		s->grants[s->n_grants++] = g->owner;
		return 0;
	}
	if (i == s->n_grants)
		return txn_fail(err, errlen, ENOENT, "owner %u has no grant on stream %llu",
			    g->owner, (unsigned long long)s->id);
	s->grants[i] = s->grants[--s->n_grants];
	return 0;
}
