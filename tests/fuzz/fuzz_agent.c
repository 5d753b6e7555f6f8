/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_agent: the agent protocol and the agent's transaction engine.
 *
 * Each input is one gateway life: a struct sgw_dp set up by hand (one port,
 * four local addresses, a few next-hop slots, one worker's counters, an
 * rte_rcu_qsbr with zero or one registered reader; no EAL, no ports), a
 * real flow table and a real struct sgw_agent (gateway/agent_txn.c and its files,
 * agent_neigh.c, agent_stats.c). The first byte chooses the reader, the
 * VLAN tag, the number of next-hop slots and which default gateways exist.
 * The rest is read as a sequence of agent messages: TXN_BEGIN, TXN_OPS,
 * TXN_COMMIT, TXN_ABORT, HELLO, the three stats requests, raw messages
 * (header and payload from the input), a connection that closes, QUIESCE
 * (the reader, if any, reports a quiescent state and the agent reclaims),
 * and next hops learned by the slow path (agent_neigh_learn: answers to
 * probes, trusted ports, ignored claims). Messages are dispatched as agent_server.c's handle()
 * does (same length checks, same abort on a failed op, TXN_OPS payloads
 * encoded with sgw_ops_buf_add and walked with sgw_op_iter), but calling
 * the engine directly so that the harness can look at the versions
 * between publish and reclaim.
 *
 * Ops are mostly built from templates whose fields the input chooses among
 * values that work and values that do not (a small id space so that ops
 * meet; gateway and foreign addresses; every suite with right and wrong
 * key lengths; ids with bit 63 set), plus restatements of what was added
 * before (so that REPLACE_ALL transactions name unchanged streams and
 * viewers), plus raw bodies and corrupted payloads.
 *
 * Checked:
 *   - after every op that succeeded, what the op says (the record exists or
 *     is gone, with the fields given; a rekey made a new context and kept
 *     the old one only when asked; a STREAM_FENCE gave exactly its token;
 *     an unchanged restatement kept its crypto state); a failed op returns
 *     a known errno and a message;
 *   - after every abort (TXN_ABORT, a failed op, a malformed payload, a
 *     failed commit, a connection closed mid-transaction): the agent's
 *     records, listen map, next-hop references and the published version
 *     are exactly as at TXN_BEGIN;
 *   - after every commit: the version went up by one; every entry of the
 *     published table is the entry of a stream record at its listen
 *     address and port, with that record's owner, grants, fencing token,
 *     contexts and viewers (in order, with their owners, contexts, next
 *     hops, headers);
 *     every stream record has its entry, no entry is left for a deleted
 *     stream, counts match; next-hop reference counts equal the viewers
 *     using each slot; a viewer whose owner is neither the stream's owner
 *     nor granted is counted (the per-packet check, sgw_owner_allowed,
 *     drops it); streams and viewers no op named keep their contexts and
 *     state (DESIGN invariant 5); the stream and viewer ids the ops left
 *     present or absent are so;
 *   - between publish and reclaim, every object of the previous version
 *     (and, with a reader, of the version it holds, over several commits)
 *     is still allocated (ASan) and its next-hop slots still hold the
 *     same next hop (DESIGN invariant 3);
 *   - stats replies: ids ascending after the cursor, each a live record
 *     with its owner, "more" exactly when ids were left out.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>

#include <rte_ip.h>
#include <rte_rcu_qsbr.h>
#include <rte_udp.h>

#include "api/agent_wire.h"
#include "api/addr.h"
#include "dataplane/fanout.h"
#include "dataplane/srtp_ctx.h"
#include "gateway/agent.h"
#include "fuzz_common.h"

/* gateway/agent_slowpath.c (not linked: it needs ports) */
uint64_t agent_slow_ctr[SGW_CTR_MAX];

#define KIND_STREAM (1ull << 63)
#define N_LADDRS 4
#define MAX_REMEMBER 16
#define MAX_OPS_PER_MSG 8

/* ---- the gateway ----------------------------------------------------------- */

static struct sgw_dp dp;
static struct sgw_config cfg;
static struct sgw_agent agent;
static struct sgw_worker worker;
static struct rte_rcu_qsbr *qs;
static uint8_t reply_buf[SGW_AGENT_MAX_PAYLOAD];
static bool verbose; /* SGW_FUZZ_VERBOSE: trace messages and ops */

static const struct sgw_addr laddr[N_LADDRS] = {
	{ .family = SGW_AF_INET, .a = { 10, 0, 0, 1 } },
	{ .family = SGW_AF_INET, .a = { 10, 0, 0, 2 } },
	{ .family = SGW_AF_INET6, .a = { 0xfd, 0, [15] = 1 } },
	{ .family = SGW_AF_INET, .a = { 192, 0, 2, 1 } },
};
static const uint8_t laddr_plen[N_LADDRS] = { 24, 24, 64, 24 };

static struct {
	uint64_t inputs, msgs, ops, ops_ok[SGW_OP_MAX], ops_failed, commits, aborts, replace_all,
		stats, quiesce, published_entries, published_viewers, disallowed_viewers;
} st;

static void fz_summary(void)
{
	fprintf(stderr, "fuzz_agent: %" PRIu64 " inputs, %" PRIu64 " messages, %" PRIu64 " ops (%" PRIu64
		" failed), %" PRIu64 " commits (%" PRIu64 " REPLACE_ALL), %" PRIu64 " aborts, %" PRIu64
		" stats, %" PRIu64 " quiesce\n", st.inputs, st.msgs, st.ops, st.ops_failed, st.commits,
		st.replace_all, st.aborts, st.stats, st.quiesce);
	fprintf(stderr, "fuzz_agent: ops that succeeded:");
	for (unsigned t = 1; t < SGW_OP_MAX; t++)
		fprintf(stderr, " %s %" PRIu64, sgw_op_name(t), st.ops_ok[t]);
	fprintf(stderr, "\nfuzz_agent: published entries checked %" PRIu64 ", viewers %" PRIu64
		", viewers the per-packet owner check drops %" PRIu64 "\n",
		st.published_entries, st.published_viewers, st.disallowed_viewers);
}

/* ---- small sets ------------------------------------------------------------ */

struct idset {
	uint64_t *v;
	size_t n, cap;
};

static bool idset_has(const struct idset *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == id)
			return true;
	return false;
}

static void idset_add(struct idset *s, uint64_t id)
{
	if (idset_has(s, id))
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (s->v == NULL)
			abort();
	}
	s->v[s->n++] = id;
}

static void idset_del(struct idset *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == id)
			s->v[i] = s->v[--s->n];
}

static void idset_free(struct idset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---- per-input state ------------------------------------------------------- */

struct stream_snap {
	uint64_t id;
	unsigned aidx;
	uint16_t port;
	const void *ingress, *ingress_old, *st;
};

struct viewer_snap {
	uint64_t id;
	const void *egress, *st;
};

struct slot_use {
	uint32_t slot;
	uint16_t port_idx;
	struct sgw_addr ip;
};

struct run {
	bool reader;                 /* one registered reader (thread id 0) */
	bool owns;                   /* our client owns the open transaction */
	bool replace_all;
	const struct ft_root *held;  /* reader: the version it holds */
	struct slot_use *held_slots; /* next hops that version uses */
	size_t n_held_slots;
	char *begin_dump;            /* state at TXN_BEGIN */
	struct stream_snap *pre_s;   /* records at TXN_BEGIN */
	size_t n_pre_s;
	struct viewer_snap *pre_v;
	size_t n_pre_v;
	uint64_t version;            /* published version */
	uint64_t ctl_seq;            /* of the open transaction */
	/* what the transaction's successful ops left present or absent */
	struct idset s_present, s_absent, v_present, v_absent;
	/* ids whose contexts or state may legitimately change */
	struct idset s_changed, v_changed;
	/* REPLACE_ALL: named by a successful add */
	struct idset s_named, v_named;
	/* the stream of each viewer added (v_present), same index order */
	uint64_t v_stream[64];
	uint64_t v_stream_id[64];
	unsigned n_v_stream;
	/* the last add of small ids, for restatements (a generator aid) */
	struct sgw_op_stream_add mem_s[MAX_REMEMBER];
	struct sgw_op_viewer_add mem_v[MAX_REMEMBER];
};

/* ---- the state as text, to compare before and after an abort -------------- */

struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->p == NULL) {
		b->cap = 4096;
		b->p = malloc(b->cap);
		if (b->p == NULL)
			abort();
	}
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
		va_end(ap);
		if (k < 0)
			abort();
		if ((size_t)k < b->cap - b->n)
			break;
		b->cap = b->cap * 2 + (size_t)k + 256;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	b->n += (size_t)k;
}

static void sb_addr(struct sbuf *b, const struct sgw_addr *a)
{
	sb_printf(b, " f%u:", a->family);
	for (int i = 0; i < 16; i++)
		sb_printf(b, "%02x", a->a[i]);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static size_t sorted_keys(const struct idmap *m, uint64_t **out)
{
	size_t pos = 0, n = 0;
	uint64_t id, *k = malloc((m->n + 1) * sizeof(*k));
	void *val;

	if (k == NULL)
		abort();
	while (idmap_next(m, &pos, &id, &val))
		k[n++] = id;
	FZ_CHECK(n == m->n, "idmap walk found %zu of %zu", n, m->n);
	qsort(k, n, sizeof(*k), cmp_u64);
	*out = k;
	return n;
}

static char *dump_state(void)
{
	struct sbuf b = { 0 };
	uint64_t *k;
	size_t n;

	sb_printf(&b, "root %p version %" PRIu64 " ctl_seq %" PRIu64 "\n", (void *)dp.ft.root,
		  dp.ft.root->version, agent.ctl_seq);
	n = sorted_keys(&agent.streams, &k);
	for (size_t i = 0; i < n; i++) {
		const struct stream_rec *s = idmap_get(&agent.streams, k[i]);
		sb_printf(&b, "S %" PRIu64 " id %" PRIu64 " owner %u win %u suite %u aidx %u gen %" PRIu64
			  " ctx %p %p st %p dg %02x%02x%02x%02x grants", k[i], s->id, s->owner,
			  s->replay_window, s->suite, s->aidx, s->created_gen, (void *)s->ingress,
			  (void *)s->ingress_old, (void *)s->st, s->digest[0], s->digest[1], s->digest[2],
			  s->digest[3]);
		for (unsigned g = 0; g < s->n_grants; g++)
			sb_printf(&b, " %u", s->grants[g]);
		sb_printf(&b, " listen");
		sb_addr(&b, &s->listen.addr);
		sb_printf(&b, ":%u source", s->listen.port);
		sb_addr(&b, &s->source.addr);
		sb_printf(&b, ":%u viewers", s->source.port);
		for (uint32_t v = 0; v < s->n_viewers; v++)
			sb_printf(&b, " %p", (void *)s->viewers[v]);
		sb_printf(&b, "\n");
	}
	free(k);
	n = sorted_keys(&agent.viewers, &k);
	for (size_t i = 0; i < n; i++) {
		const struct viewer_rec *v = idmap_get(&agent.viewers, k[i]);
		sb_printf(&b, "V %" PRIu64 " at %p id %" PRIu64 " stream %" PRIu64 " owner %u suite %u port %u"
			  " neigh %u gen %" PRIu64 " ctx %p st %p dg %02x%02x%02x%02x dest", k[i], (void *)v,
			  v->id, v->stream_id, v->owner, v->suite, v->port_idx, v->neigh, v->created_gen,
			  (void *)v->egress, (void *)v->st, v->digest[0], v->digest[1], v->digest[2],
			  v->digest[3]);
		sb_addr(&b, &v->dest.addr);
		sb_printf(&b, ":%u src", v->dest.port);
		sb_addr(&b, &v->src_ip);
		sb_printf(&b, " vport %u flags %u pt %u rtcp %p port_st %p\n", v->port.local_port, v->port.flags,
			  v->port.n_pt, (void *)v->rtcp_in, (void *)v->port_st);
	}
	free(k);
	n = sorted_keys(&agent.listen, &k);
	for (size_t i = 0; i < n; i++)
		sb_printf(&b, "L %" PRIx64 " -> %p\n", k[i], idmap_get(&agent.listen, k[i]));
	free(k);
	n = sorted_keys(&agent.vports, &k);
	for (size_t i = 0; i < n; i++)
		sb_printf(&b, "VP %" PRIx64 " -> %p\n", k[i], idmap_get(&agent.vports, k[i]));
	free(k);
	n = sorted_keys(&agent.ports, &k);
	for (size_t i = 0; i < n; i++) {
		const struct port_rec *p = idmap_get(&agent.ports, k[i]);
		sb_printf(&b, "P %" PRIx64 " -> %p flags %u st %p gen %" PRIu64 "\n", k[i], (const void *)p,
			  p->flags, (void *)p->st, p->created_gen);
	}
	free(k);
	/* slots nobody references are waiting for release: not state */
	for (unsigned i = 0; i < dp.n_neigh; i++) {
		const struct sgw_neigh *nb = &dp.neigh[i];
		if (!nb->in_use || (nb->refs == 0 && !nb->is_static))
			continue;
		sb_printf(&b, "N %u port %u refs %u static %u dying %u", i, nb->port_idx, nb->refs,
			  nb->is_static, nb->dying);
		sb_addr(&b, &nb->ip);
		sb_printf(&b, "\n");
	}
	return b.p;
}

/* ---- checks ---------------------------------------------------------------- */

static void touch(const void *p)
{
	if (p != NULL) {
		volatile uint8_t x = *(const volatile uint8_t *)p;
		(void)x;
	}
}

typedef void (*entry_fn)(void *arg, unsigned aidx, uint16_t port, const struct sgw_flow_entry *e);

static size_t walk(const struct ft_root *r, entry_fn fn, void *arg)
{
	size_t n = 0;

	for (unsigned a = 0; a < SGW_FT_MAX_ADDRS; a++) {
		const struct ft_dir *d = r->dir[a];
		if (d == NULL)
			continue;
		for (unsigned pg = 0; pg < 256; pg++) {
			const struct ft_page *p = d->page[pg];
			if (p == NULL)
				continue;
			for (unsigned k = 0; k < 256; k++)
				if (p->e[k] != NULL) {
					fn(arg, a, (uint16_t)(pg << 8 | k), p->e[k]);
					n++;
				}
		}
	}
	return n;
}

/* What a worker holding version r may touch: it must all still be there. */
static void touch_entry(void *arg, unsigned aidx, uint16_t port, const struct sgw_flow_entry *e)
{
	(void)arg;
	(void)aidx;
	(void)port;
	touch(e);
	touch(e->st);
	touch(e->ingress);
	touch(e->ingress_old);
	touch(e->vst);
	touch(e->sst);
	for (unsigned i = 0; i < e->n_viewers + e->has_fb; i++) {
		const struct sgw_flow_viewer *fv = &e->viewers[i];
		touch(fv->st);
		touch(fv->egress);
		if (fv->neigh == SGW_NEIGH_NONE) /* paused: fanout reads no slot */
			continue;
		FZ_CHECK(fv->neigh < dp.n_neigh, "viewer %" PRIu64 " next-hop slot %u of %u", fv->viewer_id,
			 fv->neigh, dp.n_neigh);
		touch(&dp.neigh[fv->neigh]);
	}
}

static void collect_slots(void *arg, unsigned aidx, uint16_t port, const struct sgw_flow_entry *e)
{
	struct run *r = arg;

	(void)aidx;
	(void)port;
	for (unsigned i = 0; i < e->n_viewers + e->has_fb; i++) {
		const struct sgw_neigh *nb;
		struct slot_use *u;
		if (e->viewers[i].neigh == SGW_NEIGH_NONE) /* paused */
			continue;
		nb = &dp.neigh[e->viewers[i].neigh];
		r->held_slots = realloc(r->held_slots, (r->n_held_slots + 1) * sizeof(*r->held_slots));
		if (r->held_slots == NULL)
			abort();
		u = &r->held_slots[r->n_held_slots++];
		u->slot = e->viewers[i].neigh;
		u->port_idx = nb->port_idx;
		u->ip = nb->ip;
		FZ_CHECK(nb->in_use, "published viewer %" PRIu64 " uses free next-hop slot %u",
			 e->viewers[i].viewer_id, u->slot);
	}
}

static void hold(struct run *r)
{
	r->held = ft_acquire(&dp.ft);
	r->n_held_slots = 0;
	walk(r->held, collect_slots, r);
}

/* The reader still holds r->held: nothing of it may be gone or reused. */
static void check_held(struct run *r)
{
	if (r->held == NULL)
		return;
	walk(r->held, touch_entry, NULL);
	for (size_t i = 0; i < r->n_held_slots; i++) {
		const struct slot_use *u = &r->held_slots[i];
		const struct sgw_neigh *nb = &dp.neigh[u->slot];
		FZ_CHECK(nb->in_use && nb->port_idx == u->port_idx && sgw_addr_equal(&nb->ip, &u->ip),
			 "next-hop slot %u reused before the grace period (in_use %u)", u->slot, nb->in_use);
	}
}

struct pub_ctx {
	size_t viewers;
	size_t vports, ports, rtcp_ports; /* entries of those kinds */
};

/* A viewer port's entry: the viewer's RTCP in, at its port. */
static void check_vport_entry(struct pub_ctx *pc, unsigned aidx, uint16_t port,
			      const struct sgw_flow_entry *e)
{
	const struct viewer_rec *v = idmap_get(&agent.viewers, e->viewer_id);
	const struct stream_rec *s = v ? idmap_get(&agent.streams, v->stream_id) : NULL;

	FZ_CHECK(v != NULL && s != NULL && v->stream_id == e->stream_id,
		 "viewer port entry at %u:%u of viewer %" PRIu64 " that has no record", aidx, port, e->viewer_id);
	FZ_CHECK(v->port.local_port == port && v->aidx == aidx && s->aidx == aidx,
		 "viewer %" PRIu64 "'s port entry at %u:%u, its port is %u", v->id, aidx, port, v->port.local_port);
	FZ_CHECK(idmap_get(&agent.vports, (uint64_t)(aidx + 1) << 16 | port) == v,
		 "viewer %" PRIu64 " not in the port map", v->id);
	FZ_CHECK(e->ingress == v->rtcp_in && e->st == v->port_st && e->st != NULL && e->vst == v->st &&
		 e->sst == s->st && e->n_viewers == 0 && e->owner == v->owner && e->fence == s->fence,
		 "viewer %" PRIu64 " port entry fields", v->id);
	FZ_CHECK(e->punt == ((v->port.flags & SGW_VIEWER_PUNT) != 0), "viewer %" PRIu64 " punt", v->id);
	FZ_CHECK(v->dest.addr.family == SGW_AF_NONE ? e->source.addr.family == 0xff :
		 sgw_addr_equal(&e->source.addr, &v->dest.addr) && e->source.port == v->dest.port,
		 "viewer %" PRIu64 " port entry takes from elsewhere than its address", v->id);
	pc->vports++;
}

/* A session's port: STUN and DTLS only. */
static void check_port_entry(struct pub_ctx *pc, unsigned aidx, uint16_t port,
			     const struct sgw_flow_entry *e)
{
	const struct port_rec *p = idmap_get(&agent.ports, (uint64_t)(aidx + 1) << 16 | port);

	FZ_CHECK(p != NULL && p->aidx == aidx && p->local.port == port, "port entry at %u:%u without a record",
		 aidx, port);
	FZ_CHECK(e->st == p->st && e->n_viewers == 0 && e->ingress == NULL && e->fence == 0 &&
		 e->punt == ((p->flags & SGW_PORT_PUNT) != 0), "port %u:%u entry fields", aidx, port);
	FZ_CHECK(idmap_get(&agent.listen, (uint64_t)(aidx + 1) << 16 | port) == NULL &&
		 idmap_get(&agent.vports, (uint64_t)(aidx + 1) << 16 | port) == NULL,
		 "port %u:%u also a stream's or a viewer's", aidx, port);
	pc->ports++;
}

/* A published entry against the stream record it must have been built from. */
static void check_entry(void *arg, unsigned aidx, uint16_t port, const struct sgw_flow_entry *e)
{
	struct pub_ctx *pc = arg;
	const struct stream_rec *s;

	if (e->kind == SGW_ENTRY_VIEWER_PORT) {
		check_vport_entry(pc, aidx, port, e);
		return;
	}
	if (e->kind == SGW_ENTRY_PORT) {
		check_port_entry(pc, aidx, port, e);
		return;
	}
	FZ_CHECK(e->kind == SGW_ENTRY_STREAM || e->kind == SGW_ENTRY_STREAM_RTCP, "entry at %u:%u of kind %u",
		 aidx, port, e->kind);
	s = idmap_get(&agent.streams, e->stream_id);
	if (e->kind == SGW_ENTRY_STREAM_RTCP) {
		/* the stream's RTCP port: checked below as the stream's own entry */
		FZ_CHECK(s != NULL && (s->flags & SGW_STREAM_RTCP_PORT) && s->aidx == aidx &&
			 s->listen.port + 1u == port, "RTCP port entry at %u:%u of stream %" PRIu64, aidx, port,
			 e->stream_id);
		FZ_CHECK(idmap_get(&agent.listen, (uint64_t)(aidx + 1) << 16 | port) == NULL &&
			 idmap_get(&agent.vports, (uint64_t)(aidx + 1) << 16 | port) == NULL &&
			 idmap_get(&agent.ports, (uint64_t)(aidx + 1) << 16 | port) == NULL,
			 "stream %" PRIu64 "'s RTCP port %u is also another's", s->id, port);
		pc->rtcp_ports++;
		port--;
		pc->viewers -= e->n_viewers + e->has_fb; /* counted once, with the stream's entry */
	}

	FZ_CHECK(s != NULL, "entry at %u:%u for stream %" PRIu64 " that has no record", aidx, port,
		 e->stream_id);
	FZ_CHECK(s->aidx == aidx && s->listen.port == port,
		 "entry of stream %" PRIu64 " at %u:%u, the stream listens at %u:%u", s->id, aidx, port,
		 s->aidx, s->listen.port);
	FZ_CHECK(e->owner == s->owner && e->n_allowed == 1 + s->n_grants && e->allowed[0] == s->owner,
		 "stream %" PRIu64 " owners", s->id);
	FZ_CHECK(memcmp(&e->allowed[1], s->grants, s->n_grants * sizeof(s->grants[0])) == 0,
		 "stream %" PRIu64 " grants", s->id);
	FZ_CHECK(e->plain_in == (s->suite == SGW_SUITE_PLAIN), "stream %" PRIu64 " plain_in", s->id);
	FZ_CHECK(e->fence == s->fence, "stream %" PRIu64 " fencing token", s->id);
	FZ_CHECK(e->punt == ((s->flags & SGW_STREAM_PUNT) != 0), "stream %" PRIu64 " punt", s->id);
	FZ_CHECK((e->ingress == NULL) == (s->suite == SGW_SUITE_PLAIN), "stream %" PRIu64 " ingress", s->id);
	FZ_CHECK(e->ingress == s->ingress && e->ingress_old == s->ingress_old && e->st == s->st,
		 "stream %" PRIu64 " contexts", s->id);
	FZ_CHECK(e->ingress_old == NULL || e->ingress != NULL, "old key without a key");
	FZ_CHECK(sgw_addr_equal(&e->source.addr, &s->source.addr) && e->source.port == s->source.port,
		 "stream %" PRIu64 " source", s->id);
	/* the viewers in record order, the camera's leg (if any) last */
	const struct viewer_rec *order[SGW_MAX_VIEWERS_PER_STREAM], *fbv = NULL;
	unsigned k = 0, n_fb = 0;
	for (uint32_t i = 0; i < s->n_viewers && i < SGW_MAX_VIEWERS_PER_STREAM; i++) {
		if (s->viewers[i]->port.flags & SGW_VIEWER_FEEDBACK) {
			fbv = s->viewers[i];
			n_fb++;
		} else {
			order[k++] = s->viewers[i];
		}
	}
	if (fbv != NULL)
		order[k++] = fbv;
	FZ_CHECK(n_fb <= 1 && e->has_fb == n_fb, "stream %" PRIu64 ": %u camera legs, entry says %u", s->id,
		 n_fb, e->has_fb);
	FZ_CHECK(n_fb == 0 || fbv->owner == s->owner, "stream %" PRIu64 ": a camera leg not of its owner", s->id);
	FZ_CHECK(e->n_viewers + e->has_fb == s->n_viewers, "stream %" PRIu64 ": entry has %u viewers, record %u",
		 s->id, e->n_viewers + e->has_fb, s->n_viewers);
	for (unsigned i = 0; i < e->n_viewers + e->has_fb; i++) {
		const struct sgw_flow_viewer *fv = &e->viewers[i];
		const struct viewer_rec *v = order[i];
		const uint8_t *h = fv->hdr;
		uint16_t sp, dport;

		FZ_CHECK(idmap_get(&agent.viewers, v->id) == v, "stream %" PRIu64 " lists viewer %" PRIu64
			 " that is not in the viewer map", s->id, v->id);
		FZ_CHECK(v->stream_id == s->id, "viewer %" PRIu64 " of stream %" PRIu64 " in stream %" PRIu64,
			 v->id, v->stream_id, s->id);
		FZ_CHECK(fv->viewer_id == v->id && fv->owner == v->owner && fv->egress == v->egress &&
			 fv->st == v->st && fv->neigh == v->neigh && fv->port == v->port_idx,
			 "viewer %" PRIu64 " entry fields", v->id);
		FZ_CHECK((fv->egress == NULL) == (v->suite == SGW_SUITE_PLAIN), "viewer %" PRIu64 " egress",
			 v->id);
		FZ_CHECK(fv->port < dp.n_ports && fv->mtu == dp.ports[fv->port].mtu, "viewer port");
		if (v->dest.addr.family == SGW_AF_NONE) { /* paused: no next hop */
			FZ_CHECK(fv->neigh == SGW_NEIGH_NONE, "paused viewer %" PRIu64 " has a next hop", v->id);
			if (!sgw_owner_allowed(e, fv->owner))
				st.disallowed_viewers++;
			pc->viewers++;
			continue;
		}
		FZ_CHECK(fv->neigh < dp.n_neigh && dp.neigh[fv->neigh].in_use && !dp.neigh[fv->neigh].dying &&
			 dp.neigh[fv->neigh].refs > 0, "viewer %" PRIu64 " next-hop slot %u not held", v->id,
			 fv->neigh);
		FZ_CHECK(fv->family == v->dest.addr.family && v->src_ip.family == v->dest.addr.family,
			 "viewer %" PRIu64 " family", v->id);
		FZ_CHECK(fv->hdr_len == fv->l3_off + (fv->family == 4 ? 20 : 40) + 8 &&
			 fv->l3_off == 14 + (dp.ports[fv->port].vlan ? 4 : 0), "viewer header layout");
		memcpy(&sp, h + fv->hdr_len - 8, 2);
		memcpy(&dport, h + fv->hdr_len - 6, 2);
		FZ_CHECK(rte_be_to_cpu_16(sp) == (v->port.local_port ? v->port.local_port : s->listen.port) &&
			 rte_be_to_cpu_16(dport) == v->dest.port,
			 "viewer %" PRIu64 " UDP ports", v->id);
		FZ_CHECK(memcmp(h + fv->l3_off + (fv->family == 4 ? 16 : 24), v->dest.addr.a,
				fv->family == 4 ? 4 : 16) == 0, "viewer %" PRIu64 " destination", v->id);
		/* the source is a gateway address */
		FZ_CHECK(sgw_addr_set_find(dp.ft.root->addrs, fv->family,
					   h + fv->l3_off + (fv->family == 4 ? 12 : 8)) >= 0,
			 "viewer %" PRIu64 " sends from a foreign address", v->id);
		if (!sgw_owner_allowed(e, fv->owner))
			st.disallowed_viewers++; /* the per-packet check drops these */
		pc->viewers++;
	}
	st.published_entries++;
	st.published_viewers += e->n_viewers + e->has_fb;
}

/* Records, listen map, next-hop references and the published table agree. */
static void check_consistent(void)
{
	struct pub_ctx pc = { 0 };
	size_t pos = 0, nv = 0, n;
	uint32_t *refs = calloc(dp.n_neigh, sizeof(*refs));
	uint64_t id;
	void *val;

	if (refs == NULL)
		abort();
	FZ_CHECK(dp.ft.next == NULL, "a flow-table transaction is left open");
	n = walk(dp.ft.root, check_entry, &pc);
	FZ_CHECK(n == agent.streams.n + pc.vports + pc.ports + pc.rtcp_ports && pc.vports == agent.vports.n &&
		 pc.ports == agent.ports.n,
		 "%zu entries published, %zu stream records, %zu+%zu viewer and session ports (%zu+%zu records)",
		 n, agent.streams.n, pc.vports, pc.ports, agent.vports.n, agent.ports.n);
	FZ_CHECK(agent.listen.n == agent.streams.n, "%zu listen keys, %zu streams", agent.listen.n,
		 agent.streams.n);
	while (idmap_next(&agent.streams, &pos, &id, &val)) {
		const struct stream_rec *s = val;
		const struct sgw_flow_entry *e = ft_lookup(dp.ft.root, s->aidx, s->listen.port);
		FZ_CHECK(s->id == id && id != 0, "stream map key %" PRIu64 " holds %" PRIu64, id, s->id);
		FZ_CHECK(e != NULL && e->stream_id == id, "lookup of stream %" PRIu64 " finds %" PRIu64, id,
			 e ? e->stream_id : 0);
		FZ_CHECK(sgw_addr_set_get(dp.ft.root->addrs, (int)s->aidx) != NULL &&
			 sgw_addr_equal(&dp.ft.root->addrs->slot[s->aidx].ip, &s->listen.addr),
			 "stream %" PRIu64 " listen index", id);
		FZ_CHECK(idmap_get(&agent.listen, (uint64_t)(s->aidx + 1) << 16 | s->listen.port) == s,
			 "stream %" PRIu64 " not in the listen map", id);
		FZ_CHECK(s->n_grants <= SGW_MAX_GRANTS && s->n_viewers <= SGW_MAX_VIEWERS_PER_STREAM,
			 "limits");
		for (unsigned g = 0; g < s->n_grants; g++) {
			FZ_CHECK(s->grants[g] != 0 && s->grants[g] != s->owner, "stream %" PRIu64 " grant %u", id,
				 s->grants[g]);
			for (unsigned h = 0; h < g; h++)
				FZ_CHECK(s->grants[h] != s->grants[g], "stream %" PRIu64 " grant twice", id);
		}
		nv += s->n_viewers;
	}
	FZ_CHECK(nv == agent.viewers.n && pc.viewers == nv, "%zu viewers in streams, %zu records", nv,
		 agent.viewers.n);
	for (pos = 0; idmap_next(&agent.viewers, &pos, &id, &val);) {
		const struct viewer_rec *v = val;
		const struct stream_rec *s = idmap_get(&agent.streams, v->stream_id);
		unsigned found = 0;
		FZ_CHECK(v->id == id && s != NULL, "viewer %" PRIu64 " without its stream", id);
		for (uint32_t i = 0; i < s->n_viewers; i++)
			found += s->viewers[i] == v;
		FZ_CHECK(found == 1, "viewer %" PRIu64 " listed %u times by its stream", id, found);
		if (v->neigh == SGW_NEIGH_NONE) { /* paused: no address, no next hop */
			FZ_CHECK(v->dest.addr.family == SGW_AF_NONE, "viewer %" PRIu64 " without a next hop", id);
			continue;
		}
		FZ_CHECK(v->neigh < dp.n_neigh, "slot");
		refs[v->neigh]++;
	}
	for (unsigned i = 0; i < dp.n_neigh; i++) {
		const struct sgw_neigh *nb = &dp.neigh[i];
		uint32_t want = refs[i] + (nb->is_static ? 1 : 0);
		if (!nb->in_use) {
			FZ_CHECK(want == 0, "free slot %u used by %u viewers", i, refs[i]);
			continue;
		}
		FZ_CHECK(nb->refs == want, "next-hop slot %u: %u references, %u users", i, nb->refs, want);
		FZ_CHECK(!nb->dying || want == 0, "dying slot %u used by %u viewers", i, refs[i]);
	}
	free(refs);
}

static void snap_records(struct run *r)
{
	size_t pos = 0;
	uint64_t id;
	void *val;

	free(r->pre_s);
	free(r->pre_v);
	r->pre_s = calloc(agent.streams.n + 1, sizeof(*r->pre_s));
	r->pre_v = calloc(agent.viewers.n + 1, sizeof(*r->pre_v));
	if (r->pre_s == NULL || r->pre_v == NULL)
		abort();
	r->n_pre_s = r->n_pre_v = 0;
	while (idmap_next(&agent.streams, &pos, &id, &val)) {
		const struct stream_rec *s = val;
		r->pre_s[r->n_pre_s++] = (struct stream_snap){ id, s->aidx, s->listen.port, s->ingress,
							       s->ingress_old, s->st };
	}
	for (pos = 0; idmap_next(&agent.viewers, &pos, &id, &val);) {
		const struct viewer_rec *v = val;
		r->pre_v[r->n_pre_v++] = (struct viewer_snap){ id, v->egress, v->st };
	}
}

static void txn_reset_tracking(struct run *r)
{
	r->s_present.n = r->s_absent.n = r->v_present.n = r->v_absent.n = 0;
	r->s_changed.n = r->v_changed.n = r->s_named.n = r->v_named.n = 0;
	r->n_v_stream = 0;
}

/* After an abort of any kind: exactly the state at TXN_BEGIN. */
static void check_restored(struct run *r)
{
	char *now = dump_state();

	FZ_CHECK(r->begin_dump != NULL, "abort without begin");
	if (strcmp(now, r->begin_dump) != 0) {
		fprintf(stderr, "state at TXN_BEGIN:\n%s\nstate after the abort:\n%s\n", r->begin_dump, now);
		FZ_CHECK(0, "an aborted transaction changed the agent's state");
	}
	free(now);
	free(r->begin_dump);
	r->begin_dump = NULL;
	check_consistent();
	st.aborts++;
}

static void do_abort(struct run *r)
{
	if (verbose)
		fprintf(stderr, "abort\n");
	agent_txn_abort(&agent);
	r->owns = false;
	FZ_CHECK(!agent.txn.open, "abort left the transaction open");
	check_restored(r);
}

static void reclaim(struct run *r)
{
	if (r->reader) {
		/* the reader reports that it is done with what it held */
		check_held(r);
		rte_rcu_qsbr_thread_offline(qs, 0);
		agent_txn_reclaim(&agent);
		rte_rcu_qsbr_thread_online(qs, 0);
		hold(r);
	} else {
		agent_txn_reclaim(&agent);
	}
	FZ_CHECK(dp.ft.n_retired == 0, "%u objects left after reclaim", dp.ft.n_retired);
}

static void after_commit(struct run *r, const struct ft_root *prev, uint64_t version)
{
	FZ_CHECK(version == r->version + 1 && dp.ft.root->version == version,
		 "commit published version %" PRIu64 " after %" PRIu64, version, r->version);
	FZ_CHECK(agent.ctl_seq == r->ctl_seq, "ctl_seq");
	r->version = version;
	free(r->begin_dump);
	r->begin_dump = NULL;
	/* the previous version is still readable until the grace period */
	walk(prev, touch_entry, NULL);
	check_held(r);
	check_consistent();

	/* what the ops said */
	for (size_t i = 0; i < r->s_present.n; i++)
		FZ_CHECK(idmap_get(&agent.streams, r->s_present.v[i]) != NULL,
			 "stream %" PRIu64 " added but absent after commit", r->s_present.v[i]);
	for (size_t i = 0; i < r->s_absent.n; i++)
		FZ_CHECK(idmap_get(&agent.streams, r->s_absent.v[i]) == NULL,
			 "stream %" PRIu64 " deleted but present after commit", r->s_absent.v[i]);
	for (size_t i = 0; i < r->v_present.n; i++) {
		uint64_t sid = 0;
		for (unsigned k = 0; k < r->n_v_stream; k++)
			if (r->v_stream_id[k] == r->v_present.v[i])
				sid = r->v_stream[k];
		/* REPLACE_ALL deletes the viewers of the streams it did not name */
		if (r->replace_all && !idset_has(&r->s_named, sid))
			continue;
		FZ_CHECK(idmap_get(&agent.viewers, r->v_present.v[i]) != NULL,
			 "viewer %" PRIu64 " added but absent after commit", r->v_present.v[i]);
	}
	for (size_t i = 0; i < r->v_absent.n; i++)
		FZ_CHECK(idmap_get(&agent.viewers, r->v_absent.v[i]) == NULL,
			 "viewer %" PRIu64 " deleted but present after commit", r->v_absent.v[i]);
	if (r->replace_all) {
		size_t pos = 0;
		uint64_t id;
		void *val;
		while (idmap_next(&agent.streams, &pos, &id, &val))
			FZ_CHECK(idset_has(&r->s_named, id), "REPLACE_ALL kept stream %" PRIu64 " it did not name",
				 id);
		for (pos = 0; idmap_next(&agent.viewers, &pos, &id, &val);)
			FZ_CHECK(idset_has(&r->v_named, id), "REPLACE_ALL kept viewer %" PRIu64 " it did not name",
				 id);
	}
	/* deleted streams left nothing in the table; unnamed ones kept their state */
	for (size_t i = 0; i < r->n_pre_s; i++) {
		const struct stream_snap *p = &r->pre_s[i];
		const struct stream_rec *s = idmap_get(&agent.streams, p->id);
		if (s == NULL) {
			const struct sgw_flow_entry *e = ft_lookup(dp.ft.root, p->aidx, p->port);
			FZ_CHECK(e == NULL || e->stream_id != p->id, "deleted stream %" PRIu64 " still published",
				 p->id);
		} else if (!idset_has(&r->s_changed, p->id)) {
			FZ_CHECK(s->ingress == p->ingress && s->ingress_old == p->ingress_old && s->st == p->st,
				 "stream %" PRIu64 " lost its crypto state in a commit that did not rekey or replace it",
				 p->id);
		}
	}
	for (size_t i = 0; i < r->n_pre_v; i++) {
		const struct viewer_snap *p = &r->pre_v[i];
		const struct viewer_rec *v = idmap_get(&agent.viewers, p->id);
		if (v != NULL && !idset_has(&r->v_changed, p->id))
			FZ_CHECK(v->egress == p->egress && v->st == p->st,
				 "viewer %" PRIu64 " lost its state in a commit that did not rekey or replace it",
				 p->id);
	}
	st.commits++;
	st.replace_all += r->replace_all;
}

/* ---- op templates ---------------------------------------------------------- */

static uint64_t pick_stream_id(struct fz *f)
{
	unsigned c = fz_pick(f, 13);

	if (c < 8)
		return c + 1;
	switch (c) {
	case 8: return 0;
	case 9: return KIND_STREAM | 1; /* collides with a kind bit */
	case 10: return KIND_STREAM | 2;
	case 11: return UINT64_MAX;
	default: return fz_u64(f);
	}
}

static uint64_t pick_viewer_id(struct fz *f)
{
	unsigned c = fz_pick(f, 14);

	if (c < 10)
		return c + 1;
	switch (c) {
	case 10: return 0;
	case 11: return KIND_STREAM | 1;
	case 12: return KIND_STREAM | 3;
	default: return fz_u64(f);
	}
}

static uint32_t pick_owner(struct fz *f)
{
	unsigned c = fz_pick(f, 9);

	return c < 7 ? c : c == 7 ? UINT32_MAX : fz_u32(f);
}

static void v4(struct sgw_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	memset(a, 0, sizeof(*a));
	a->family = SGW_AF_INET;
	a->a[0] = x;
	a->a[1] = y;
	a->a[2] = z;
	a->a[3] = w;
}

static void v6(struct sgw_addr *a, uint8_t b0, uint8_t b1, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = SGW_AF_INET6;
	a->a[0] = b0;
	a->a[1] = b1;
	a->a[15] = last;
}

static void pick_listen(struct fz *f, struct sgw_endpoint *e)
{
	static const uint16_t ports[] = { 5000, 5002, 5004, 5006, 5008, 0, 65535, 5001 };
	unsigned c = fz_pick(f, 8), p = fz_pick(f, 9);

	memset(e, 0, sizeof(*e));
	if (c < N_LADDRS)
		e->addr = laddr[c];
	else if (c == 4)
		v4(&e->addr, 10, 0, 0, 77); /* not ours */
	else if (c == 5)
		e->addr.family = SGW_AF_NONE;
	else if (c == 6)
		fz_bytes(f, &e->addr, sizeof(e->addr)); /* anything */
	else {
		e->addr = laddr[0];
		e->addr.family = SGW_AF_INET6; /* v4 bytes, v6 family */
	}
	e->port = p < 8 ? ports[p] : fz_u16(f);
}

static void pick_source(struct fz *f, struct sgw_endpoint *e)
{
	unsigned c = fz_pick(f, 6);

	memset(e, 0, sizeof(*e));
	if (c == 1 || c == 2)
		v4(&e->addr, 10, 0, 0, 60);
	else if (c == 3)
		v6(&e->addr, 0xfd, 0, 0x60);
	else if (c == 4)
		e->addr.family = (uint8_t)fz_u8(f);
	if (c == 2 || c == 3)
		e->port = 4000;
}

static void pick_dest(struct fz *f, struct sgw_endpoint *e)
{
	static const uint16_t ports[] = { 6000, 6002, 6004, 0 };
	unsigned c = fz_pick(f, 11);

	memset(e, 0, sizeof(*e));
	switch (c) {
	case 0: v4(&e->addr, 10, 0, 0, 50); break;      /* on-link */
	case 1: v4(&e->addr, 10, 0, 0, 51); break;
	case 2: v4(&e->addr, 10, 0, 0, 9); break;       /* static neighbour */
	case 3: v4(&e->addr, 8, 8, 8, 8); break;        /* via gateway4 */
	case 4: v6(&e->addr, 0xfd, 0, 0x50); break;     /* on-link v6 */
	case 5: v6(&e->addr, 0x20, 0x01, 1); break;     /* via gateway6 */
	case 6: v4(&e->addr, 192, 0, 2, 7); break;      /* the other prefix */
	case 7: v4(&e->addr, 10, 0, 0, fz_u8(f)); break; /* fills the next-hop slots */
	case 8: e->addr.family = SGW_AF_NONE; break;
	case 9: fz_bytes(f, &e->addr, sizeof(e->addr)); break;
	default:
		v4(&e->addr, 10, 0, 0, 50);
		e->addr.family = SGW_AF_INET6;
		break;
	}
	c = fz_pick(f, 5);
	e->port = c < 4 ? ports[c] : fz_u16(f);
}

static void pick_key(struct fz *f, struct sgw_key *k)
{
	static const uint8_t lens[SGW_SUITE_MAX] = { 0, 30, 30, 28, 44 };
	unsigned c = fz_pick(f, 8), v = fz_pick(f, 4);

	memset(k, 0, sizeof(*k));
	if (c < SGW_SUITE_MAX) {
		k->suite = (uint8_t)c;
		k->len = lens[c];
	} else if (c == 5) {
		k->suite = SGW_SUITE_AES_CM_128_HMAC_SHA1_80;
		k->len = fz_u8(f); /* usually wrong */
	} else if (c == 6) {
		k->suite = (uint8_t)fz_u8(f);
		k->len = fz_u8(f);
	} else {
		k->suite = SGW_SUITE_AEAD_AES_128_GCM;
		k->len = 28;
	}
	/* four distinct keys per suite: restatements meet equal keys */
	for (unsigned i = 0; i < SGW_KEY_MAX; i++)
		k->material[i] = (uint8_t)(i * 7 + v * 31);
}

static uint32_t pick_window(struct fz *f)
{
	static const uint32_t w[] = { 0, 0, 0, 64, 128, 32767, 63, 32768 };

	return w[fz_pick(f, 8)];
}

union op_body {
	struct sgw_op_id id;
	struct sgw_op_stream_add sa;
	struct sgw_op_rekey rk;
	struct sgw_op_stream_source src;
	struct sgw_op_grant gr;
	struct sgw_op_viewer_add va;
	struct sgw_op_viewer_dest vd;
	struct sgw_op_port port;
	struct sgw_op_fence fence;
	uint8_t raw[256];
};

static int mem_idx(uint64_t id)
{
	return id >= 1 && id <= MAX_REMEMBER ? (int)id - 1 : -1;
}

/* A stream id that exists, else a fresh pick. */
static uint64_t some_stream(struct fz *f)
{
	size_t pos = 0, k = fz_u8(f) % (agent.streams.n ? agent.streams.n : 1);
	uint64_t id;
	void *val;

	while (idmap_next(&agent.streams, &pos, &id, &val))
		if (k-- == 0)
			return id;
	return pick_stream_id(f);
}

/* Ports viewers of their own and sessions take: some collide with streams'. */
static const uint16_t vports[] = { 6000, 6002, 5000 };

/* A viewer's port of its own: flags (punt, camera leg), payload types, an
 * RTCP key, in any combination. */
static void pick_viewer_port(struct fz *f, struct sgw_viewer_port *p)
{
	memset(p, 0, sizeof(*p));
	p->local_port = fz_pick(f, 4) == 3 ? 0 : vports[fz_pick(f, 3)];
	p->flags = fz_pick(f, 5) == 4 ? fz_u16(f) : (uint16_t)fz_pick(f, 4);
	p->n_pt = (uint8_t)fz_pick(f, SGW_MAX_PT_MAP + 2);
	for (unsigned i = 0; i < SGW_MAX_PT_MAP; i++) {
		p->pt_in[i] = (uint8_t)(96 + i);
		p->pt_out[i] = fz_u8(f);
	}
	if (fz_u8(f) & 1)
		pick_key(f, &p->rtcp_key);
}

/* Add the ops of one template to b. */
static void gen_ops(struct run *r, struct fz *f, struct sgw_ops_buf *b)
{
	union op_body u;
	unsigned c = fz_pick(f, 17);
	int m;

	memset(&u, 0, sizeof(u));
	switch (c) {
	case 0:
	case 1:
		u.sa.stream_id = pick_stream_id(f);
		u.sa.owner = pick_owner(f);
		u.sa.replay_window = pick_window(f);
		pick_listen(f, &u.sa.listen);
		pick_source(f, &u.sa.source);
		pick_key(f, &u.sa.key);
		m = (int)fz_pick(f, 6);
		u.sa.flags = m == 0 ? SGW_STREAM_PUNT : m == 1 ? SGW_STREAM_RTCP_PORT :
			     m == 2 ? SGW_STREAM_PUNT | SGW_STREAM_RTCP_PORT : 0;
		sgw_ops_buf_add(b, SGW_OP_STREAM_ADD, &u, sizeof(u.sa));
		return;
	case 2:
		u.id.id = fz_u8(f) & 1 ? some_stream(f) : pick_stream_id(f);
		sgw_ops_buf_add(b, fz_u8(f) & 1 ? SGW_OP_STREAM_DEL : SGW_OP_STREAM_END_OVERLAP, &u, sizeof(u.id));
		return;
	case 3:
		u.rk.id = some_stream(f);
		u.rk.flags = fz_pick(f, 4) == 3 ? fz_u32(f) : fz_u8(f) & SGW_REKEY_KEEP_OLD;
		pick_key(f, &u.rk.key);
		sgw_ops_buf_add(b, SGW_OP_STREAM_REKEY, &u, sizeof(u.rk));
		return;
	case 4:
		u.src.stream_id = some_stream(f);
		pick_source(f, &u.src.source);
		sgw_ops_buf_add(b, SGW_OP_STREAM_SET_SOURCE, &u, sizeof(u.src));
		return;
	case 5:
	case 6: {
		const struct stream_rec *s;
		u.gr.stream_id = some_stream(f);
		s = idmap_get(&agent.streams, u.gr.stream_id);
		/* a delete mostly names a grant that exists */
		if (c == 6 && s != NULL && s->n_grants > 0 && fz_pick(f, 4) != 0)
			u.gr.owner = s->grants[fz_u8(f) % s->n_grants];
		else
			u.gr.owner = pick_owner(f);
		sgw_ops_buf_add(b, c == 5 ? SGW_OP_GRANT_ADD : SGW_OP_GRANT_DEL, &u, sizeof(u.gr));
		return;
	}
	case 7:
	case 8:
	case 9: {
		const struct stream_rec *s;
		u.va.viewer_id = pick_viewer_id(f);
		u.va.stream_id = some_stream(f);
		s = idmap_get(&agent.streams, u.va.stream_id);
		/* mostly the stream's owner or a granted one */
		if (s != NULL && fz_pick(f, 4) != 0)
			u.va.owner = s->n_grants && fz_u8(f) & 1 ? s->grants[fz_u8(f) % s->n_grants] : s->owner;
		else
			u.va.owner = pick_owner(f);
		pick_dest(f, &u.va.dest);
		pick_key(f, &u.va.key);
		if (fz_pick(f, 3) == 0)
			pick_viewer_port(f, &u.va.port);
		sgw_ops_buf_add(b, SGW_OP_VIEWER_ADD, &u, sizeof(u.va));
		return;
	}
	case 15:
		/* a WebRTC session's port, mostly on a port viewers pick too */
		pick_listen(f, &u.port.local);
		if (fz_u8(f) & 1)
			u.port.local.port = vports[fz_pick(f, 3)];
		u.port.flags = fz_pick(f, 4) == 3 ? fz_u32(f) : fz_u8(f) & SGW_PORT_PUNT;
		sgw_ops_buf_add(b, fz_u8(f) & 1 ? SGW_OP_PORT_ADD : SGW_OP_PORT_DEL, &u, sizeof(u.port));
		return;
	case 10:
		u.id.id = pick_viewer_id(f);
		sgw_ops_buf_add(b, SGW_OP_VIEWER_DEL, &u, sizeof(u.id));
		return;
	case 11:
		u.rk.id = pick_viewer_id(f);
		pick_key(f, &u.rk.key);
		sgw_ops_buf_add(b, SGW_OP_VIEWER_REKEY, &u, sizeof(u.rk));
		return;
	case 12:
		u.vd.viewer_id = pick_viewer_id(f);
		pick_dest(f, &u.vd.dest);
		sgw_ops_buf_add(b, SGW_OP_VIEWER_SET_DEST, &u, sizeof(u.vd));
		return;
	case 13: {
		/* restate a stream as it was added, with its grants */
		const struct stream_rec *s;
		m = mem_idx(some_stream(f));
		if (m < 0 || r->mem_s[m].stream_id == 0)
			return;
		sgw_ops_buf_add(b, SGW_OP_STREAM_ADD, &r->mem_s[m], sizeof(r->mem_s[m]));
		s = idmap_get(&agent.streams, r->mem_s[m].stream_id);
		if (s != NULL && s->fence != 0) {
			u.fence.stream_id = s->id;
			u.fence.token = s->fence;
			sgw_ops_buf_add(b, SGW_OP_STREAM_FENCE, &u, sizeof(u.fence));
			memset(&u, 0, sizeof(u));
		}
		for (unsigned g = 0; s != NULL && g < s->n_grants; g++) {
			u.gr.stream_id = s->id;
			u.gr.owner = s->grants[g];
			sgw_ops_buf_add(b, SGW_OP_GRANT_ADD, &u, sizeof(u.gr));
		}
		return;
	}
	case 14:
		m = mem_idx(pick_viewer_id(f));
		if (m >= 0 && r->mem_v[m].viewer_id != 0)
			sgw_ops_buf_add(b, SGW_OP_VIEWER_ADD, &r->mem_v[m], sizeof(r->mem_v[m]));
		return;
	default: {
		/* a raw body: the type and its right length, fields from the input */
		unsigned t = 1 + fz_pick(f, SGW_OP_MAX - 1);
		fz_bytes(f, &u, (size_t)sgw_op_body_len(t));
		if (t == SGW_OP_STREAM_FENCE) {
			/* streams that exist, tokens that meet (0 among them) */
			u.fence.stream_id = 1 + u.fence.stream_id % 8; /* as pick_stream_id mostly */
			u.fence.token %= 8;
		}
		sgw_ops_buf_add(b, t, &u, (uint16_t)sgw_op_body_len(t));
		return;
	}
	}
}

/* Everything known, as the control plane's full push does. */
static void gen_restate_all(struct run *r, struct sgw_ops_buf *b)
{
	union op_body u;

	for (int i = 0; i < MAX_REMEMBER; i++) {
		const struct stream_rec *s = idmap_get(&agent.streams, r->mem_s[i].stream_id);
		if (s == NULL)
			continue;
		sgw_ops_buf_add(b, SGW_OP_STREAM_ADD, &r->mem_s[i], sizeof(r->mem_s[i]));
		if (s->fence != 0) {
			memset(&u, 0, sizeof(u));
			u.fence.stream_id = s->id;
			u.fence.token = s->fence;
			sgw_ops_buf_add(b, SGW_OP_STREAM_FENCE, &u, sizeof(u.fence));
		}
		for (unsigned g = 0; g < s->n_grants; g++) {
			memset(&u, 0, sizeof(u));
			u.gr.stream_id = s->id;
			u.gr.owner = s->grants[g];
			sgw_ops_buf_add(b, SGW_OP_GRANT_ADD, &u, sizeof(u.gr));
		}
	}
	for (int i = 0; i < MAX_REMEMBER; i++)
		if (idmap_get(&agent.viewers, r->mem_v[i].viewer_id) != NULL)
			sgw_ops_buf_add(b, SGW_OP_VIEWER_ADD, &r->mem_v[i], sizeof(r->mem_v[i]));
}

/* ---- one op through the engine, and what it must have done ------------------ */

static bool errno_known(int e)
{
	switch (e) {
	case EINVAL: case ENOENT: case EEXIST: case EPERM: case EADDRINUSE: case EADDRNOTAVAIL:
	case ENOSPC: case EHOSTUNREACH: case E2BIG: case EPROTO: case EBUSY: case ESTALE:
		return true;
	default:
		return false;
	}
}

static bool grant_held(const struct stream_rec *s, uint32_t owner)
{
	if (owner == s->owner)
		return true;
	for (unsigned i = 0; i < s->n_grants; i++)
		if (s->grants[i] == owner)
			return true;
	return false;
}

/* b as an op gave it, a as the agent keeps it: family NONE (a paused
 * viewer) is kept as nothing else */
static bool ep_equal(const struct sgw_endpoint *a, const struct sgw_endpoint *b)
{
	if (b->addr.family == SGW_AF_NONE)
		return a->addr.family == SGW_AF_NONE;
	return sgw_addr_equal(&a->addr, &b->addr) && a->port == b->port;
}

/* Returns the engine's rc. */
static int run_op(struct run *r, unsigned type, const void *body)
{
	char err[200] = "";
	uint64_t id;
	const struct stream_rec *s0 = NULL, *s;
	const struct viewer_rec *v0 = NULL, *v;
	const void *ing0 = NULL, *old0 = NULL, *st0 = NULL, *eg0 = NULL;
	uint64_t *pre_viewers = NULL;
	uint32_t n_pre_viewers = 0;
	int rc;

	memcpy(&id, body, sizeof(id));
	/* before: what the op is about */
	if (type <= SGW_OP_GRANT_DEL || type == SGW_OP_STREAM_FENCE) {
		s0 = idmap_get(&agent.streams, id);
		if (s0 != NULL) {
			ing0 = s0->ingress;
			old0 = s0->ingress_old;
			st0 = s0->st;
			n_pre_viewers = s0->n_viewers;
			pre_viewers = calloc(n_pre_viewers + 1, sizeof(*pre_viewers));
			if (pre_viewers == NULL)
				abort();
			for (uint32_t i = 0; i < n_pre_viewers; i++)
				pre_viewers[i] = s0->viewers[i]->id;
		}
	} else {
		v0 = idmap_get(&agent.viewers, id);
		if (v0 != NULL) {
			eg0 = v0->egress;
			st0 = v0->st;
		}
	}

	st.ops++;
	rc = agent_txn_op(&agent, type, body, err, sizeof(err));
	if (verbose)
		fprintf(stderr, "  op %s %" PRIu64 " (0x%" PRIx64 "): %d %s\n", sgw_op_name(type), id, id, rc,
			rc ? err : "");
	if (rc != 0) {
		FZ_CHECK(rc < 0 && errno_known(-rc), "op %s returned %d", sgw_op_name(type), rc);
		FZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL, "op %s failed without a message",
			 sgw_op_name(type));
		st.ops_failed++;
		free(pre_viewers);
		return rc;
	}
	st.ops_ok[type]++;

	switch (type) {
	case SGW_OP_STREAM_ADD: {
		const struct sgw_op_stream_add *op = body;
		s = idmap_get(&agent.streams, id);
		FZ_CHECK(s != NULL && s->owner == op->owner && ep_equal(&s->listen, &op->listen) &&
			 ep_equal(&s->source, &op->source) && s->suite == op->key.suite &&
			 s->replay_window == (op->replay_window ? op->replay_window : cfg.replay_window),
			 "stream_add %" PRIu64 " fields", id);
		FZ_CHECK((s->ingress != NULL) == (op->key.suite != SGW_SUITE_PLAIN), "stream_add context");
		FZ_CHECK(sgw_addr_set_get(agent_addrs_txn(&agent), (int)s->aidx) != NULL &&
			 sgw_addr_equal(&agent_addrs_txn(&agent)->slot[s->aidx].ip, &s->listen.addr),
			 "stream_add on a foreign address");
		FZ_CHECK(idmap_get(&agent.listen, (uint64_t)(s->aidx + 1) << 16 | s->listen.port) == s,
			 "stream_add listen map");
		if (s0 != NULL && s->st == st0) {
			/* REPLACE_ALL, unchanged: the same record, crypto state
			 * kept (a replaced record gets new state while the old
			 * state waits for the grace period, so st tells) */
			FZ_CHECK(r->replace_all && s == s0 && s->ingress == ing0,
				 "unchanged stream %" PRIu64 " lost its state", id);
			/* its old key is what the op says now (an overlap that
			 * ended while the gateway was away ends) */
			FZ_CHECK((s->ingress_old == NULL) == (op->old_key.suite == SGW_SUITE_PLAIN && op->old_key.len == 0),
				 "kept stream %" PRIu64 " old key", id);
			if (s->ingress_old != old0)
				idset_add(&r->s_changed, id);
		} else {
			FZ_CHECK(s0 == NULL || r->replace_all, "stream_add over an existing stream");
			idset_add(&r->s_changed, id);
			for (uint32_t i = 0; i < n_pre_viewers; i++) {
				FZ_CHECK(idmap_get(&agent.viewers, pre_viewers[i]) == NULL,
					 "replaced stream %" PRIu64 " kept viewer %" PRIu64, id, pre_viewers[i]);
				idset_del(&r->v_present, pre_viewers[i]);
				idset_add(&r->v_absent, pre_viewers[i]);
			}
		}
		idset_add(&r->s_present, id);
		idset_del(&r->s_absent, id);
		idset_add(&r->s_named, id);
		if (mem_idx(id) >= 0)
			r->mem_s[mem_idx(id)] = *op;
		break;
	}
	case SGW_OP_STREAM_DEL:
		FZ_CHECK(s0 != NULL && idmap_get(&agent.streams, id) == NULL, "stream_del %" PRIu64, id);
		for (uint32_t i = 0; i < n_pre_viewers; i++) {
			FZ_CHECK(idmap_get(&agent.viewers, pre_viewers[i]) == NULL,
				 "deleted stream %" PRIu64 " kept viewer %" PRIu64, id, pre_viewers[i]);
			idset_del(&r->v_present, pre_viewers[i]);
			idset_add(&r->v_absent, pre_viewers[i]);
			idset_del(&r->v_named, pre_viewers[i]);
		}
		idset_del(&r->s_present, id);
		idset_add(&r->s_absent, id);
		idset_del(&r->s_named, id);
		idset_add(&r->s_changed, id);
		break;
	case SGW_OP_STREAM_REKEY: {
		const struct sgw_op_rekey *op = body;
		s = idmap_get(&agent.streams, id);
		FZ_CHECK(s == s0 && s->ingress != NULL && s->ingress != ing0 && s->suite == op->key.suite,
			 "stream_rekey %" PRIu64 " made no new context", id);
		FZ_CHECK(s->ingress_old == ((op->flags & SGW_REKEY_KEEP_OLD) ? ing0 : NULL),
			 "stream_rekey %" PRIu64 " old key", id);
		FZ_CHECK(s->st == st0, "stream_rekey replaced the stream state");
		idset_add(&r->s_changed, id);
		if (mem_idx(id) >= 0 && r->mem_s[mem_idx(id)].stream_id == id)
			r->mem_s[mem_idx(id)].key = op->key;
		break;
	}
	case SGW_OP_STREAM_END_OVERLAP:
		s = idmap_get(&agent.streams, id);
		FZ_CHECK(s == s0 && s->ingress_old == NULL && s->ingress == ing0, "end_overlap %" PRIu64, id);
		idset_add(&r->s_changed, id);
		break;
	case SGW_OP_STREAM_SET_SOURCE: {
		const struct sgw_op_stream_source *op = body;
		s = idmap_get(&agent.streams, id);
		FZ_CHECK(s == s0 && ep_equal(&s->source, &op->source) && s->ingress == ing0,
			 "set_source %" PRIu64, id);
		if (mem_idx(id) >= 0 && r->mem_s[mem_idx(id)].stream_id == id)
			r->mem_s[mem_idx(id)].source = op->source;
		break;
	}
	case SGW_OP_GRANT_ADD:
	case SGW_OP_GRANT_DEL: {
		const struct sgw_op_grant *op = body;
		s = idmap_get(&agent.streams, id);
		FZ_CHECK(s == s0 && s->n_grants <= SGW_MAX_GRANTS, "grant %" PRIu64, id);
		if (type == SGW_OP_GRANT_ADD)
			FZ_CHECK(grant_held(s, op->owner), "grant_add %u on %" PRIu64 " not held", op->owner, id);
		else
			FZ_CHECK(op->owner == s->owner || !grant_held(s, op->owner),
				 "grant_del %u on %" PRIu64 " still held", op->owner, id);
		break;
	}
	case SGW_OP_VIEWER_ADD: {
		const struct sgw_op_viewer_add *op = body;
		v = idmap_get(&agent.viewers, id);
		s = v ? idmap_get(&agent.streams, v->stream_id) : NULL;
		FZ_CHECK(v != NULL && s != NULL && v->stream_id == op->stream_id && v->owner == op->owner &&
			 v->suite == op->key.suite && ep_equal(&v->dest, &op->dest),
			 "viewer_add %" PRIu64 " fields", id);
		FZ_CHECK(grant_held(s, op->owner), "viewer_add %" PRIu64 ": owner %u may not receive stream %"
			 PRIu64, id, op->owner, s->id);
		FZ_CHECK((v->egress != NULL) == (op->key.suite != SGW_SUITE_PLAIN), "viewer_add context");
		if (v0 != NULL && v->st == st0) {
			FZ_CHECK(r->replace_all && v == v0 && v->egress == eg0,
				 "unchanged viewer %" PRIu64 " lost its state", id);
		} else {
			FZ_CHECK(v0 == NULL || r->replace_all, "viewer_add over an existing viewer");
			idset_add(&r->v_changed, id);
		}
		idset_add(&r->v_present, id);
		idset_del(&r->v_absent, id);
		idset_add(&r->v_named, id);
		if (r->n_v_stream < 64) {
			r->v_stream_id[r->n_v_stream] = id;
			r->v_stream[r->n_v_stream++] = op->stream_id;
		}
		if (mem_idx(id) >= 0)
			r->mem_v[mem_idx(id)] = *op;
		break;
	}
	case SGW_OP_VIEWER_DEL:
		FZ_CHECK(v0 != NULL && idmap_get(&agent.viewers, id) == NULL, "viewer_del %" PRIu64, id);
		idset_del(&r->v_present, id);
		idset_add(&r->v_absent, id);
		idset_del(&r->v_named, id);
		idset_add(&r->v_changed, id);
		break;
	case SGW_OP_VIEWER_REKEY: {
		const struct sgw_op_rekey *op = body;
		v = idmap_get(&agent.viewers, id);
		FZ_CHECK(v == v0 && v->suite == op->key.suite && v->st == st0 &&
			 (v->egress != NULL) == (op->key.suite != SGW_SUITE_PLAIN) &&
			 (v->egress == NULL || v->egress != eg0), "viewer_rekey %" PRIu64, id);
		idset_add(&r->v_changed, id);
		if (mem_idx(id) >= 0 && r->mem_v[mem_idx(id)].viewer_id == id)
			r->mem_v[mem_idx(id)].key = op->key;
		break;
	}
	case SGW_OP_VIEWER_SET_DEST: {
		const struct sgw_op_viewer_dest *op = body;
		v = idmap_get(&agent.viewers, id);
		FZ_CHECK(v == v0 && ep_equal(&v->dest, &op->dest) && v->egress == eg0 && v->st == st0,
			 "viewer_set_dest %" PRIu64, id);
		if (mem_idx(id) >= 0 && r->mem_v[mem_idx(id)].viewer_id == id)
			r->mem_v[mem_idx(id)].dest = op->dest;
		break;
	}
	case SGW_OP_PORT_ADD:
	case SGW_OP_PORT_DEL: {
		const struct sgw_op_port *op = body;
		int aidx = sgw_addr_set_find(agent_addrs_txn(&agent), op->local.addr.family,
					     op->local.addr.a);
		uint64_t key = (uint64_t)(aidx + 1) << 16 | op->local.port;
		const struct port_rec *p = idmap_get(&agent.ports, key);
		FZ_CHECK(aidx >= 0 && op->local.port != 0, "a port op on a foreign address succeeded");
		if (type == SGW_OP_PORT_DEL) {
			FZ_CHECK(p == NULL, "port_del left the port");
			break;
		}
		FZ_CHECK(p != NULL && p->flags == op->flags && (unsigned)aidx == p->aidx,
			 "port_add made no port");
		FZ_CHECK(idmap_get(&agent.listen, key) == NULL && idmap_get(&agent.vports, key) == NULL,
			 "port_add on a stream's or a viewer's port");
		break;
	}
	case SGW_OP_STREAM_FENCE: {
		/* never below the stream's token; the stream otherwise as it was */
		const struct sgw_op_fence *op = body;
		s = idmap_get(&agent.streams, id);
		FZ_CHECK(op->token != 0, "fencing token 0 taken");
		FZ_CHECK(s == s0 && (s == NULL || (s->fence == op->token && s->ingress == ing0 &&
						   s->ingress_old == old0 && s->st == st0)),
			 "stream_fence %" PRIu64, id);
		break;
	}
	default:
		FZ_CHECK(0, "unknown op %u succeeded", type);
	}
	free(pre_viewers);
	return 0;
}

/* ---- messages, dispatched as agent_server.c's handle() does ---------------- */

static void msg_begin(struct run *r, const struct sgw_txn_begin *b)
{
	char err[200];
	bool was_open = agent.txn.open;
	char *before = was_open ? NULL : dump_state();
	int rc = agent_txn_begin(&agent, b, err, sizeof(err));

	if (verbose)
		fprintf(stderr, "TXN_BEGIN flags 0x%x: %d\n", b->flags, rc);

	if (rc != 0) {
		FZ_CHECK(rc == -EBUSY || rc == -EINVAL, "begin: %d", rc);
		FZ_CHECK(rc != -EBUSY || was_open, "begin: EBUSY without an open transaction");
		free(before);
		return;
	}
	FZ_CHECK(!was_open, "begin succeeded over an open transaction");
	r->owns = true;
	r->replace_all = (b->flags & SGW_TXN_REPLACE_ALL) != 0;
	r->ctl_seq = b->ctl_seq;
	free(r->begin_dump);
	r->begin_dump = before;
	snap_records(r);
	txn_reset_tracking(r);
}

static void msg_ops(struct run *r, const uint8_t *payload, uint32_t len)
{
	struct sgw_op_iter it;
	const void *body;
	unsigned type;
	int rc;

	if (!r->owns) {
		/* the server answers EPROTO/EBUSY and changes nothing; the
		 * engine itself refuses an op outside a transaction */
		char err[200];
		if (!agent.txn.open && len >= sizeof(struct sgw_txn_ops) + sizeof(struct sgw_op_hdr) + 8) {
			rc = agent_txn_op(&agent, SGW_OP_STREAM_DEL, payload + 16, err, sizeof(err));
			FZ_CHECK(rc == -EPROTO, "op outside a transaction: %d", rc);
		}
		return;
	}
	if (sgw_op_iter_init(&it, payload, len) != 0) {
		do_abort(r);
		return;
	}
	while ((rc = sgw_op_next(&it, &type, &body)) == 1) {
		if ((const uint8_t *)body == it.full) {
			/* a short form, zero-extended: only the ADD ops have one,
			 * and the position they lack reads as none */
			static const struct sgw_pos none;
			const struct sgw_pos *p =
				type == SGW_OP_STREAM_ADD ? &((const struct sgw_op_stream_add *)body)->resume :
				type == SGW_OP_VIEWER_ADD ? &((const struct sgw_op_viewer_add *)body)->resume : NULL;
			FZ_CHECK(p != NULL && memcmp(p, &none, sizeof(none)) == 0,
				 "short form of op %u not zero-extended", type);
		} else {
			FZ_CHECK((const uint8_t *)body >= payload &&
				 (const uint8_t *)body + sgw_op_body_len(type) <= payload + len,
				 "op body outside the payload");
		}
		if (run_op(r, type, body) != 0) {
			do_abort(r);
			return;
		}
	}
	FZ_CHECK(rc == 0 || rc == -EINVAL, "sgw_op_next: %d", rc);
	if (rc < 0)
		do_abort(r);
}

static void msg_commit(struct run *r)
{
	char err[200];
	const struct ft_root *prev = ft_acquire(&dp.ft);
	uint64_t version = 0;
	uint32_t op_index;
	int rc;

	if (!r->owns) {
		if (!agent.txn.open)
			FZ_CHECK(agent_txn_commit(&agent, &version, &op_index, err, sizeof(err)) == -EPROTO,
				 "commit without a transaction");
		return;
	}
	r->owns = false;
	rc = agent_txn_commit(&agent, &version, &op_index, err, sizeof(err));
	if (verbose)
		fprintf(stderr, "TXN_COMMIT: %d %s (version %" PRIu64 ", %zu streams, %zu viewers)\n", rc,
			rc ? err : "", version, agent.streams.n, agent.viewers.n);
	FZ_CHECK(!agent.txn.open, "commit left the transaction open");
	if (rc != 0) {
		/* refused (REPLACE_ALL deletion failed, or no memory): aborted */
		FZ_CHECK(errno_known(-rc) || rc == -ENOMEM, "commit: %d", rc);
		check_restored(r);
		return;
	}
	after_commit(r, prev, version);
	if (!r->reader)
		reclaim(r); /* the server reclaims after answering APPLIED */
}

static void check_stats_page(const struct idmap *m, const struct sgw_flow_stats_req *req, const uint8_t *buf,
			     size_t n, size_t entry, size_t cap, bool flows)
{
	struct sgw_stats_page pg;
	size_t avail = 0, pos = 0, max = req->max ? req->max : 1024;
	uint64_t id, prev = req->after_id;
	void *val;

	FZ_CHECK(n >= sizeof(pg), "stats reply of %zu bytes", n);
	memcpy(&pg, buf, sizeof(pg));
	FZ_CHECK(n == sizeof(pg) + pg.n * entry && n <= cap, "stats reply length %zu for %u entries", n, pg.n);
	while (idmap_next(m, &pos, &id, &val))
		avail += id > req->after_id;
	if (max > 1024)
		max = 1024;
	if (max > (cap - sizeof(pg)) / entry)
		max = (cap - sizeof(pg)) / entry;
	FZ_CHECK(pg.n == (avail < max ? avail : max) && pg.more == (avail > max),
		 "stats page: %u entries, more %u; %zu after the cursor, page of %zu", pg.n, pg.more, avail, max);
	for (uint32_t i = 0; i < pg.n; i++) {
		if (flows) {
			struct sgw_flow_stats fs;
			const struct stream_rec *s;
			memcpy(&fs, buf + sizeof(pg) + i * entry, sizeof(fs));
			s = idmap_get(m, fs.stream_id);
			FZ_CHECK(fs.stream_id > prev && s != NULL && s->owner == fs.owner && fs.packets == 0 &&
				 fs.idle_ms == UINT64_MAX && fs.worker == UINT32_MAX,
				 "flow stats entry %u: stream %" PRIu64, i, fs.stream_id);
			prev = fs.stream_id;
		} else {
			struct sgw_viewer_stats vs;
			const struct viewer_rec *v;
			memcpy(&vs, buf + sizeof(pg) + i * entry, sizeof(vs));
			v = idmap_get(m, vs.viewer_id);
			FZ_CHECK(vs.viewer_id > prev && v != NULL && v->owner == vs.owner &&
				 v->stream_id == vs.stream_id, "viewer stats entry %u: viewer %" PRIu64, i,
				 vs.viewer_id);
			prev = vs.viewer_id;
		}
	}
}

static void msg_stats(struct fz *f, unsigned type, const struct sgw_flow_stats_req *req)
{
	size_t entry = type == SGW_MSG_STATS_FLOWS ? sizeof(struct sgw_flow_stats) :
						     sizeof(struct sgw_viewer_stats);
	unsigned c = fz_pick(f, 4);
	/* the server's buffer, or a tight one (the page shrinks to fit) */
	size_t cap = c == 0 ? sizeof(reply_buf) : sizeof(struct sgw_stats_page) + (c - 1) * entry + fz_u8(f) % entry;
	size_t n;

	st.stats++;
	if (type == SGW_MSG_STATS_WORKERS) {
		size_t want = sizeof(struct sgw_worker_stats_hdr) +
			      2 * (sizeof(struct sgw_worker_stats_entry) + SGW_CTR_MAX * sizeof(uint64_t));
		struct sgw_worker_stats_hdr h;
		uint64_t v;
		cap = c == 0 ? sizeof(reply_buf) : want - (c - 1);
		n = agent_stats_workers(&agent, reply_buf, cap);
		if (cap < want) {
			FZ_CHECK(n == 0, "worker stats of %zu bytes in %zu", n, cap);
			return;
		}
		FZ_CHECK(n == want, "worker stats of %zu bytes, want %zu", n, want);
		memcpy(&h, reply_buf, sizeof(h));
		FZ_CHECK(h.n_workers == 2 && h.n_counters == SGW_CTR_MAX, "worker stats header");
		memcpy(&v, reply_buf + sizeof(h) + 8 + 3 * 8, 8);
		FZ_CHECK(v == worker.ctr[3], "worker counter");
		return;
	}
	if (type == SGW_MSG_STATS_FLOWS) {
		n = agent_stats_flows(&agent, req, reply_buf, cap);
		check_stats_page(&agent.streams, req, reply_buf, n, entry, cap, true);
	} else {
		n = agent_stats_viewers(&agent, req, reply_buf, cap);
		check_stats_page(&agent.viewers, req, reply_buf, n, entry, cap, false);
	}
}

/* One message from the wire: the header check, then handle(). */
static void deliver(struct run *r, struct fz *f, const struct sgw_msg_hdr *h, const uint8_t *payload)
{
	st.msgs++;
	if (sgw_wire_check_hdr(h) != 0) {
		/* the server answers and hangs up: the transaction goes */
		if (r->owns)
			do_abort(r);
		return;
	}
	switch (h->type) {
	case SGW_MSG_HELLO:
		if (h->len == 0)
			FZ_CHECK(ft_acquire(&dp.ft)->version == r->version, "HELLO version");
		return;
	case SGW_MSG_TXN_BEGIN: {
		struct sgw_txn_begin b;
		if (h->len != sizeof(b))
			return;
		memcpy(&b, payload, sizeof(b));
		msg_begin(r, &b);
		return;
	}
	case SGW_MSG_TXN_OPS:
		msg_ops(r, payload, h->len);
		return;
	case SGW_MSG_TXN_COMMIT:
		if (h->len == 0)
			msg_commit(r);
		return;
	case SGW_MSG_TXN_ABORT:
		if (h->len == 0 && r->owns)
			do_abort(r);
		return;
	case SGW_MSG_STATS_WORKERS:
	case SGW_MSG_STATS_FLOWS:
	case SGW_MSG_STATS_VIEWERS: {
		struct sgw_flow_stats_req req = { 0 };
		if (h->len != (h->type == SGW_MSG_STATS_WORKERS ? 0 : sizeof(req)))
			return;
		if (h->len)
			memcpy(&req, payload, sizeof(req));
		msg_stats(f, h->type, &req);
		return;
	}
	default:
		return; /* unknown message type: an error reply, nothing else */
	}
}

/* The payload in its own block, as in the server's receive buffer. */
static void send_raw(struct run *r, struct fz *f, const struct sgw_msg_hdr *h, const void *p, uint32_t len)
{
	uint8_t *copy = calloc(1, len ? len : 1);

	if (copy == NULL)
		abort();
	if (len)
		memcpy(copy, p, len);
	deliver(r, f, h, copy);
	explicit_bzero(copy, len);
	free(copy);
}

static void send_msg(struct run *r, struct fz *f, uint16_t type, const void *p, uint32_t len)
{
	struct sgw_msg_hdr h = { .magic = SGW_AGENT_MAGIC, .version = SGW_AGENT_VERSION, .type = type,
				 .len = len, .seq = 1 };

	send_raw(r, f, &h, p, len);
}

static void corrupt(struct fz *f, struct sgw_ops_buf *b)
{
	struct sgw_txn_ops th;
	unsigned c = fz_pick(f, 4);

	if (b->len < sizeof(th))
		return;
	memcpy(&th, b->data, sizeof(th));
	switch (c) {
	case 0: th.n_ops++; break;
	case 1: th.n_ops--; break;
	case 2:
		if (b->len > sizeof(th))
			b->data[sizeof(th) + fz_u16(f) % (b->len - sizeof(th))] ^= (uint8_t)(1u << fz_pick(f, 8));
		return;
	default: b->len -= fz_u8(f) % b->len; return;
	}
	memcpy(b->data, &th, sizeof(th));
}

/* The slow path learned a next hop's MAC (ARP/ND): only slots that want
 * that address on that port take it, never a static one; an answer only
 * if the slot's probe is out and recent, a claim never. */
static void learn(struct fz *f)
{
	const uint64_t now = 100000;
	struct sgw_endpoint e;
	uint8_t mac[6];
	uint64_t before[64];
	bool awaited[64];
	unsigned n = dp.n_neigh < 64 ? dp.n_neigh : 64;
	enum agent_neigh_how how = (enum agent_neigh_how)fz_pick(f, 3);
	enum agent_neigh_learned learned;
	bool any = false, named = false, valid;

	pick_dest(f, &e);
	fz_bytes(f, mac, sizeof(mac));
	if (fz_u8(f) & 1)
		mac[0] &= 0xfe; /* mostly unicast */
	for (unsigned i = 0; i < n; i++) {
		struct sgw_neigh *nb = &dp.neigh[i];
		before[i] = nb->mac;
		if (fz_u8(f) & 1) { /* a probe out, sent up to twice the answer window ago */
			nb->awaiting = 1;
			nb->probe_ms = now - fz_pick(f, 2 * SGW_NEIGH_ANSWER_MS);
		}
		awaited[i] = nb->awaiting && now - nb->probe_ms <= SGW_NEIGH_ANSWER_MS;
	}
	learned = agent_neigh_learn(&agent, 0, &e.addr, mac, how, now);
	valid = !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0;
	for (unsigned i = 0; i < n; i++) {
		const struct sgw_neigh *nb = &dp.neigh[i];
		bool slot = nb->in_use && !nb->dying && !nb->is_static && nb->port_idx == 0 &&
			    sgw_addr_equal(&nb->ip, &e.addr);
		bool wants = slot && valid && (how == AGENT_NEIGH_TRUSTED ||
					       (how == AGENT_NEIGH_ANSWER && awaited[i]));
		FZ_CHECK(nb->mac == (wants ? sgw_neigh_pack(mac) : before[i]), "slot %u MAC after learning", i);
		FZ_CHECK(!wants || !nb->awaiting, "slot %u still awaits an answer after one", i);
		any |= wants;
		named |= slot;
	}
	FZ_CHECK(learned == (any ? AGENT_NEIGH_LEARNED : named ? AGENT_NEIGH_IGNORED : AGENT_NEIGH_NOT_OURS),
		 "agent_neigh_learn returned %d", learned);
}

static void msg_from_input(struct run *r, struct fz *f)
{
	unsigned c = fz_pick(f, 17);

	switch (c) {
	case 0:
	case 1: {
		struct sgw_txn_begin b = { .ctl_seq = fz_u8(f) };
		unsigned fl = fz_pick(f, 8);
		b.flags = fl < 4 ? 0 : fl < 7 ? SGW_TXN_REPLACE_ALL : fz_u32(f);
		send_msg(r, f, SGW_MSG_TXN_BEGIN, &b, sizeof(b));
		return;
	}
	case 2:
	case 3:
	case 4:
	case 5:
	case 6: {
		struct sgw_ops_buf b;
		unsigned n = 1 + fz_pick(f, MAX_OPS_PER_MSG);
		sgw_ops_buf_init(&b);
		if (c == 6 && fz_u8(f) & 1)
			gen_restate_all(r, &b);
		else
			for (unsigned i = 0; i < n && !fz_empty(f); i++)
				gen_ops(r, f, &b);
		if (b.len == 0) {
			struct sgw_txn_ops th = { 0 };
			send_msg(r, f, SGW_MSG_TXN_OPS, &th, sizeof(th)); /* no ops */
		} else {
			if (fz_pick(f, 16) == 0)
				corrupt(f, &b);
			send_msg(r, f, SGW_MSG_TXN_OPS, b.data, b.len);
		}
		sgw_ops_buf_free(&b);
		return;
	}
	case 7:
	case 8:
		send_msg(r, f, SGW_MSG_TXN_COMMIT, NULL, 0);
		return;
	case 9:
		send_msg(r, f, SGW_MSG_TXN_ABORT, NULL, 0);
		return;
	case 10: {
		static const uint16_t types[] = { SGW_MSG_STATS_WORKERS, SGW_MSG_STATS_FLOWS,
						  SGW_MSG_STATS_VIEWERS };
		struct sgw_flow_stats_req req = { 0 };
		uint16_t t = types[fz_pick(f, 3)];
		req.after_id = fz_pick(f, 4) == 0 ? fz_u64(f) : fz_u8(f) % 12;
		req.max = fz_pick(f, 4) == 0 ? fz_u32(f) : fz_u8(f) % 5;
		send_msg(r, f, t, &req, t == SGW_MSG_STATS_WORKERS ? 0 : sizeof(req));
		return;
	}
	case 11:
		send_msg(r, f, SGW_MSG_HELLO, NULL, 0);
		return;
	case 12:
		st.quiesce++;
		reclaim(r);
		return;
	case 13: {
		/* raw payload for a valid header */
		uint8_t raw[512];
		uint16_t t = (uint16_t)(1 + fz_pick(f, 10));
		uint32_t len = fz_u8(f) % sizeof(raw);
		fz_bytes(f, raw, len);
		send_msg(r, f, t, raw, len);
		return;
	}
	case 14: {
		/* a raw header: bad magic, version or size hangs up */
		struct sgw_msg_hdr h;
		uint8_t raw[64];
		fz_bytes(f, &h, sizeof(h));
		if (h.len <= SGW_AGENT_MAX_PAYLOAD)
			h.len %= sizeof(raw);
		fz_bytes(f, raw, sizeof(raw));
		send_raw(r, f, &h, raw, h.len <= sizeof(raw) ? h.len : 0);
		return;
	}
	case 15:
		/* the connection closes: its transaction is aborted */
		if (r->owns)
			do_abort(r);
		return;
	default:
		learn(f);
		return;
	}
}

/* ---- one input: one gateway life ------------------------------------------- */

static void setup(uint8_t flags)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	static const unsigned n_neigh[4] = { 3, 6, 12, 32 };

	memset(&dp, 0, sizeof(dp));
	memset(&cfg, 0, sizeof(cfg));
	memset(&worker, 0, sizeof(worker));
	dp.qs = qs;
	FZ_CHECK(ft_init(&dp.ft, qs) == 0, "ft_init");
	dp.n_ports = 1;
	dp.ports[0].port_id = 0;
	dp.ports[0].mtu = 1500;
	dp.ports[0].vlan = flags & 2 ? 100 : 0;
	memcpy(dp.ports[0].mac.addr_bytes, mac, 6);
	dp.n_laddrs = N_LADDRS;
	for (unsigned i = 0; i < N_LADDRS; i++) {
		dp.laddrs[i].ip = laddr[i];
		dp.laddrs[i].prefix_len = laddr_plen[i];
		dp.laddrs[i].port_idx = 0;
	}
	dp.n_neigh = n_neigh[(flags >> 2) & 3];
	dp.neigh = calloc(dp.n_neigh, sizeof(*dp.neigh));
	if (dp.neigh == NULL)
		abort();
	worker.idx = 0;
	worker.lcore = 1;
	for (unsigned c = 0; c < SGW_CTR_MAX; c++)
		worker.ctr[c] = c * 1000 + 7;
	dp.n_workers = 1;
	dp.workers[0] = &worker;

	cfg.replay_window = 128;
	cfg.max_neighbours = dp.n_neigh;
	cfg.n_ports = 1;
	snprintf(cfg.ports[0].name, sizeof(cfg.ports[0].name), "p0");
	cfg.ports[0].mtu = 1500;
	/* default gateways: both; no IPv6 one; no IPv4 one; an IPv6 one
	 * outside every prefix of the port (nothing to send from) */
	cfg.ports[0].has_gw4 = ((flags >> 4) & 3) != 2;
	v4(&cfg.ports[0].gw4, 10, 0, 0, 254);
	cfg.ports[0].has_gw6 = ((flags >> 4) & 3) != 1;
	if (((flags >> 4) & 3) == 3)
		v6(&cfg.ports[0].gw6, 0x20, 0x01, 0xfe);
	else
		v6(&cfg.ports[0].gw6, 0xfd, 0, 0xfe);
	cfg.ports[0].n_neigh = 1;
	v4(&cfg.ports[0].neigh[0].ip, 10, 0, 0, 9);
	memcpy(cfg.ports[0].neigh[0].mac, (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 9 }, 6);

	FZ_CHECK(agent_init(&agent, &dp, &cfg) == 0, "agent_init");
	agent.tsc_hz = 1000000000;
	agent.boot_id = 42;
	for (unsigned i = 0; i < sizeof(agent.digest_key); i++)
		agent.digest_key[i] = (uint8_t)i;
}

static void teardown(struct run *r)
{
	if (r->reader) {
		check_held(r);
		rte_rcu_qsbr_thread_offline(qs, 0);
		rte_rcu_qsbr_thread_unregister(qs, 0);
	}
	agent_txn_reclaim(&agent);
	check_consistent();
	agent_fini(&agent);
	ft_fini(&dp.ft, free);
	free(dp.neigh);
	free(r->begin_dump);
	free(r->pre_s);
	free(r->pre_v);
	free(r->held_slots);
	idset_free(&r->s_present);
	idset_free(&r->s_absent);
	idset_free(&r->v_present);
	idset_free(&r->v_absent);
	idset_free(&r->s_changed);
	idset_free(&r->v_changed);
	idset_free(&r->s_named);
	idset_free(&r->v_named);
}

static void init_once(void)
{
	static bool done;
	size_t sz;

	if (done)
		return;
	done = true;
	FZ_CHECK(sgw_srtp_global_init() == 0, "sgw_srtp_global_init");
	verbose = getenv("SGW_FUZZ_VERBOSE") != NULL;
	sz = rte_rcu_qsbr_get_memsize(1);
	qs = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	FZ_CHECK(qs != NULL && rte_rcu_qsbr_init(qs, 1) == 0, "rte_rcu_qsbr_init");
	if (getenv("SGW_FUZZ_STATS") != NULL)
		atexit(fz_summary);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	static struct run r;
	uint8_t flags;

	if (size > 4096) /* keeps contexts and checks cheap */
		return 0;
	init_once();
	st.inputs++;
	memset(&r, 0, sizeof(r));
	flags = fz_u8(&f);
	setup(flags);
	r.reader = flags & 1;
	if (r.reader) {
		FZ_CHECK(rte_rcu_qsbr_thread_register(qs, 0) == 0, "register");
		rte_rcu_qsbr_thread_online(qs, 0);
		hold(&r);
	}
	while (!fz_empty(&f))
		msg_from_input(&r, &f);
	if (r.owns) /* the client goes away mid-transaction */
		do_abort(&r);
	teardown(&r);
	return 0;
}
