/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fencing tokens and the lease deadline in the agent's transaction engine
 * (gateway/agent_fence.c, agent_lease.c; docs/agent-protocol.md
 * "Fencing"): the real engine on a struct sgw_dp set up by hand (one port,
 * one address, no EAL, no workers), as tests/fuzz/fuzz_agent.c does.
 *
 * Checked: token 0 refused; a stale token refused with ESTALE and nothing
 * applied; a fenced stream changed without its token refused at commit
 * with ESTALE and the index of the op that changed it; equal and higher
 * tokens accepted, the highest kept; the token kept in the record and the
 * published entry (and its viewers' port entries) across versions and
 * unrelated changes, with the stream's crypto state; REPLACE_ALL with and
 * without the tokens of the streams it names; a stream deleted and added
 * again; the lease deadline and what STATUS says of it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "api/agent_wire.h"
#include "dataplane/srtp_ctx.h"
#include "gateway/agent.h"
#include "check.h"

/* gateway/agent_slowpath.c (not linked: it needs ports) */
uint64_t agent_slow_ctr[SGW_CTR_MAX];

static struct sgw_dp dp;
static struct sgw_config cfg;
static struct sgw_agent agent;
static struct sgw_worker worker;
static struct rte_rcu_qsbr *qs;
static char err[200];

#define LISTEN_PORT(id) ((uint16_t)(5000 + 2 * (id)))

static void setup(void)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };

	memset(&dp, 0, sizeof(dp));
	memset(&cfg, 0, sizeof(cfg));
	memset(&worker, 0, sizeof(worker));
	dp.qs = qs;
	CHECK(ft_init(&dp.ft, qs) == 0);
	dp.n_ports = 1;
	dp.ports[0].mtu = 1500;
	memcpy(dp.ports[0].mac.addr_bytes, mac, 6);
	dp.n_laddrs = 1;
	dp.laddrs[0].ip = (struct sgw_addr){ .family = SGW_AF_INET, .a = { 10, 0, 0, 1 } };
	dp.laddrs[0].prefix_len = 24;
	dp.n_neigh = 8;
	dp.neigh = calloc(dp.n_neigh, sizeof(*dp.neigh));
	CHECK(dp.neigh != NULL);
	dp.n_workers = 1;
	dp.workers[0] = &worker;
	cfg.replay_window = 128;
	cfg.max_neighbours = dp.n_neigh;
	cfg.n_ports = 1;
	snprintf(cfg.ports[0].name, sizeof(cfg.ports[0].name), "p0");
	cfg.ports[0].mtu = 1500;
	cfg.ports[0].has_gw4 = true;
	cfg.ports[0].gw4 = (struct sgw_addr){ .family = SGW_AF_INET, .a = { 10, 0, 0, 254 } };
	CHECK(agent_init(&agent, &dp, &cfg) == 0);
	agent.tsc_hz = 1000000000; /* 1 GHz: 1 ms is 10^6 cycles */
	for (unsigned i = 0; i < sizeof(agent.digest_key); i++)
		agent.digest_key[i] = (uint8_t)i;
}

static void teardown(void)
{
	agent_txn_reclaim(&agent);
	agent_fini(&agent);
	ft_fini(&dp.ft, free);
	free(dp.neigh);
}

/* ---- ops ------------------------------------------------------------------- */

static struct sgw_key key(uint8_t fill)
{
	struct sgw_key k = { .suite = SGW_SUITE_AES_CM_128_HMAC_SHA1_80, .len = 30 };

	memset(k.material, fill, k.len);
	return k;
}

static int stream_add(uint64_t id)
{
	struct sgw_op_stream_add op = {
		.stream_id = id, .owner = 7, .key = key((uint8_t)id),
		.listen = { .addr = dp.laddrs[0].ip, .port = LISTEN_PORT(id) },
	};
	return agent_txn_op(&agent, SGW_OP_STREAM_ADD, &op, err, sizeof(err));
}

static int viewer_add(uint64_t vid, uint64_t sid, uint16_t local_port)
{
	struct sgw_op_viewer_add op = {
		.viewer_id = vid, .stream_id = sid, .owner = 7, .key = key(0x40),
		.dest = { .addr = { .family = SGW_AF_INET, .a = { 10, 0, 0, 9 } },
			  .port = (uint16_t)(6000 + vid) },
		.port = { .local_port = local_port },
	};
	return agent_txn_op(&agent, SGW_OP_VIEWER_ADD, &op, err, sizeof(err));
}

static int fence(uint64_t sid, uint64_t token)
{
	struct sgw_op_fence op = { .stream_id = sid, .token = token };

	return agent_txn_op(&agent, SGW_OP_STREAM_FENCE, &op, err, sizeof(err));
}

static int by_id(unsigned type, uint64_t id)
{
	struct sgw_op_id op = { .id = id };

	return agent_txn_op(&agent, type, &op, err, sizeof(err));
}

static int set_source_any(uint64_t sid)
{
	struct sgw_op_stream_source op = { .stream_id = sid };

	return agent_txn_op(&agent, SGW_OP_STREAM_SET_SOURCE, &op, err, sizeof(err));
}

static int grant_add(uint64_t sid, uint32_t owner)
{
	struct sgw_op_grant op = { .stream_id = sid, .owner = owner };

	return agent_txn_op(&agent, SGW_OP_GRANT_ADD, &op, err, sizeof(err));
}

static void begin(uint32_t flags)
{
	struct sgw_txn_begin b = { .flags = flags };

	CHECK(agent_txn_begin(&agent, &b, err, sizeof(err)) == 0);
}

/* Commit: its return code; *op_index the op a failure is about. */
static int commit_at(uint32_t *op_index)
{
	uint64_t version;
	int rc = agent_txn_commit(&agent, &version, op_index, err, sizeof(err));

	agent_txn_reclaim(&agent);
	return rc;
}

static int commit(void)
{
	uint32_t op_index;

	return commit_at(&op_index);
}

/* ---- what is there ---------------------------------------------------------- */

static uint64_t version(void)
{
	return ft_acquire(&dp.ft)->version;
}

static const struct stream_rec *stream(uint64_t id)
{
	return idmap_get(&agent.streams, id);
}

/* The published entry at a port of the gateway's address, or NULL. */
static const struct sgw_flow_entry *entry_at(uint16_t port)
{
	return ft_lookup(ft_acquire(&dp.ft), 0, port);
}

/* sgw_flow_stats.fence of stream id as STATS_FLOWS reports it, or -1. */
static long long stats_fence(uint64_t id)
{
	static uint8_t buf[1 << 16];
	struct sgw_flow_stats_req req = { .after_id = id - 1, .max = 1 };
	struct sgw_stats_page pg;
	struct sgw_flow_stats f;
	size_t n = agent_stats_flows(&agent, &req, buf, sizeof(buf));

	memcpy(&pg, buf, sizeof(pg));
	if (n != sizeof(pg) + sizeof(f) || pg.n != 1)
		return -1;
	memcpy(&f, buf + sizeof(pg), sizeof(f));
	return f.stream_id == id ? (long long)f.fence : -1;
}

/* Stream 1 fenced with token 5 and viewer 10, stream 2 without a token. */
static void two_streams(void)
{
	begin(0);
	CHECK(stream_add(1) == 0);
	CHECK(fence(1, 5) == 0);
	CHECK(viewer_add(10, 1, 0) == 0);
	CHECK(stream_add(2) == 0);
	CHECK(viewer_add(20, 2, 0) == 0);
	CHECK(commit() == 0);
	CHECK(stream(1) != NULL && stream(1)->fence == 5);
	CHECK(stream(2) != NULL && stream(2)->fence == 0);
}

/* ---- cases ------------------------------------------------------------------ */

static void token_zero_refused(void)
{
	setup();
	begin(0);
	CHECK(stream_add(1) == 0);
	CHECK_EQ(fence(1, 0), -EINVAL);
	CHECK(strstr(err, "token 0") != NULL);
	agent_txn_abort(&agent);
	CHECK(stream(1) == NULL);
	CHECK_EQ(version(), 0);
	teardown();
}

static void add_with_fence_anywhere(void)
{
	setup();
	/* the FENCE before the STREAM_ADD, and after it */
	begin(0);
	CHECK(fence(1, 5) == 0);
	CHECK(stream_add(1) == 0);
	CHECK(stream_add(2) == 0);
	CHECK(fence(2, 9) == 0);
	CHECK(viewer_add(20, 2, 6100) == 0); /* a port of its own: an entry too */
	CHECK(commit() == 0);
	CHECK_EQ(stream(1)->fence, 5);
	CHECK_EQ(stream(2)->fence, 9);
	CHECK(entry_at(LISTEN_PORT(1)) != NULL && entry_at(LISTEN_PORT(1))->fence == 5);
	CHECK(entry_at(LISTEN_PORT(2)) != NULL && entry_at(LISTEN_PORT(2))->fence == 9);
	CHECK(entry_at(6100) != NULL && entry_at(6100)->kind == SGW_ENTRY_VIEWER_PORT &&
	      entry_at(6100)->fence == 9);
	CHECK_EQ(stats_fence(1), 5);
	CHECK_EQ(stats_fence(2), 9);
	/* a stream without a token is not fenced */
	begin(0);
	CHECK(stream_add(3) == 0);
	CHECK(commit() == 0);
	CHECK_EQ(stream(3)->fence, 0);
	CHECK(entry_at(LISTEN_PORT(3)) != NULL && entry_at(LISTEN_PORT(3))->fence == 0);
	CHECK_EQ(stats_fence(3), 0);
	teardown();
}

static void stale_refused_nothing_applied(void)
{
	const struct sgw_flow_entry *e;
	uint64_t v;

	setup();
	two_streams();
	v = version();
	e = entry_at(LISTEN_PORT(1));
	begin(0);
	CHECK(viewer_add(11, 1, 0) == 0);
	CHECK_EQ(fence(1, 4), -ESTALE);
	CHECK(strstr(err, "stale fencing token 4") != NULL && strstr(err, "has token 5") != NULL);
	CHECK_EQ(agent.txn.n_ops - 1, 1); /* the index the server reports */
	agent_txn_abort(&agent);
	CHECK_EQ(version(), v);
	CHECK(entry_at(LISTEN_PORT(1)) == e);
	CHECK(idmap_get(&agent.viewers, 11) == NULL);
	CHECK_EQ(stream(1)->fence, 5);
	CHECK_EQ(stream(1)->n_viewers, 1);
	/* a second FENCE below the first of the same transaction */
	begin(0);
	CHECK(fence(1, 8) == 0);
	CHECK_EQ(fence(1, 7), -ESTALE);
	agent_txn_abort(&agent);
	CHECK_EQ(stream(1)->fence, 5);
	CHECK_EQ(version(), v);
	teardown();
}

static void missing_token_refused(void)
{
	const struct sgw_flow_entry *e;
	uint32_t op_index;
	uint64_t v;

	setup();
	two_streams();
	v = version();
	e = entry_at(LISTEN_PORT(1));
	/* each kind of change, alone */
	for (unsigned k = 0; k < 5; k++) {
		begin(0);
		switch (k) {
		case 0: CHECK(set_source_any(1) == 0); break;
		case 1: CHECK(by_id(SGW_OP_VIEWER_DEL, 10) == 0); break;
		case 2: CHECK(viewer_add(12, 1, 0) == 0); break;
		case 3: CHECK(grant_add(1, 8) == 0); break;
		default: CHECK(by_id(SGW_OP_STREAM_DEL, 1) == 0); break;
		}
		op_index = 77;
		CHECK_EQ(commit_at(&op_index), -ESTALE);
		CHECK_EQ(op_index, 0);
		CHECK(strstr(err, "without its token") != NULL && strstr(err, "stream 1 ") != NULL &&
		      strstr(err, "token 5") != NULL && strstr(err, "op 0 (") != NULL);
		CHECK(!agent.txn.open);
		CHECK_EQ(version(), v);
		CHECK(entry_at(LISTEN_PORT(1)) == e);
		CHECK(stream(1) != NULL && stream(1)->fence == 5 && stream(1)->n_viewers == 1);
		CHECK(idmap_get(&agent.viewers, 10) != NULL && idmap_get(&agent.viewers, 12) == NULL);
	}
	/* the unfenced stream needs none; the error names the op that
	 * changed the fenced one */
	begin(0);
	CHECK(set_source_any(2) == 0);
	CHECK(viewer_add(21, 2, 0) == 0);
	CHECK(by_id(SGW_OP_VIEWER_DEL, 10) == 0);
	CHECK(set_source_any(1) == 0);
	CHECK_EQ(commit_at(&op_index), -ESTALE);
	CHECK_EQ(op_index, 2);
	CHECK(strstr(err, "op 2 (viewer_del)") != NULL);
	CHECK(idmap_get(&agent.viewers, 21) == NULL && idmap_get(&agent.viewers, 10) != NULL);
	CHECK_EQ(version(), v);
	teardown();
}

static void equal_and_higher_accepted(void)
{
	const struct sgw_flow_entry *e;
	const struct sgw_srtp *ingress;

	setup();
	two_streams();
	ingress = stream(1)->ingress;
	begin(0);
	CHECK(fence(1, 5) == 0); /* equal */
	CHECK(set_source_any(1) == 0);
	CHECK(commit() == 0);
	CHECK_EQ(stream(1)->fence, 5);
	begin(0);
	CHECK(grant_add(1, 8) == 0);
	CHECK(fence(1, 7) == 0); /* higher, after the change */
	CHECK(commit() == 0);
	CHECK_EQ(stream(1)->fence, 7);
	CHECK(entry_at(LISTEN_PORT(1))->fence == 7);
	/* the highest of several; a FENCE alone rebuilds the entry */
	e = entry_at(LISTEN_PORT(1));
	begin(0);
	CHECK(fence(1, 9) == 0);
	CHECK(fence(1, 12) == 0);
	CHECK(fence(1, 12) == 0);
	CHECK(commit() == 0);
	CHECK_EQ(stream(1)->fence, 12);
	CHECK(entry_at(LISTEN_PORT(1)) != e && entry_at(LISTEN_PORT(1))->fence == 12);
	CHECK_EQ(stats_fence(1), 12);
	/* an unfenced stream gets its first token */
	begin(0);
	CHECK(fence(2, 3) == 0);
	CHECK(commit() == 0);
	CHECK_EQ(stream(2)->fence, 3);
	CHECK(entry_at(LISTEN_PORT(2))->fence == 3);
	/* the crypto state went through all of it */
	CHECK(stream(1)->ingress == ingress);
	CHECK(entry_at(LISTEN_PORT(1))->ingress == ingress);
	teardown();
}

static void token_kept_across_viewer_changes(void)
{
	const struct sgw_srtp *ingress;
	const struct sgw_stream_state *st;

	setup();
	two_streams();
	ingress = stream(1)->ingress;
	st = stream(1)->st;
	/* a viewer of the fenced stream, with its token */
	begin(0);
	CHECK(viewer_add(11, 1, 0) == 0);
	CHECK(fence(1, 5) == 0);
	CHECK(commit() == 0);
	/* a viewer of the other stream: no token needed, stream 1 untouched */
	begin(0);
	CHECK(viewer_add(22, 2, 0) == 0);
	CHECK(commit() == 0);
	CHECK_EQ(stream(1)->fence, 5);
	CHECK_EQ(stream(1)->n_viewers, 2);
	CHECK(entry_at(LISTEN_PORT(1))->fence == 5 && entry_at(LISTEN_PORT(1))->n_viewers == 2);
	CHECK(stream(1)->ingress == ingress && stream(1)->st == st);
	CHECK(entry_at(LISTEN_PORT(1))->ingress == ingress && entry_at(LISTEN_PORT(1))->st == st);
	CHECK_EQ(stats_fence(1), 5);
	teardown();
}

static void replace_all_with_tokens(void)
{
	const struct sgw_srtp *ingress;
	uint32_t op_index;
	uint64_t v;

	setup();
	two_streams();
	ingress = stream(1)->ingress;
	v = version();
	/* naming the fenced stream without its token */
	begin(SGW_TXN_REPLACE_ALL);
	CHECK(stream_add(2) == 0);
	CHECK(viewer_add(20, 2, 0) == 0);
	CHECK(stream_add(1) == 0);
	CHECK(viewer_add(10, 1, 0) == 0);
	CHECK_EQ(commit_at(&op_index), -ESTALE);
	CHECK_EQ(op_index, 2);
	CHECK(strstr(err, "op 2 (stream_add)") != NULL);
	CHECK_EQ(version(), v);
	CHECK(stream(1) != NULL && stream(1)->fence == 5 && stream(1)->ingress == ingress);
	/* with an older one */
	begin(SGW_TXN_REPLACE_ALL);
	CHECK(stream_add(1) == 0);
	CHECK_EQ(fence(1, 4), -ESTALE);
	agent_txn_abort(&agent);
	CHECK_EQ(version(), v);
	/* with its token: kept as it was, crypto state and all */
	begin(SGW_TXN_REPLACE_ALL);
	CHECK(fence(1, 5) == 0);
	CHECK(stream_add(1) == 0);
	CHECK(viewer_add(10, 1, 0) == 0);
	CHECK(stream_add(2) == 0);
	CHECK(viewer_add(20, 2, 0) == 0);
	CHECK(commit() == 0);
	CHECK_EQ(version(), v + 1);
	CHECK(stream(1) != NULL && stream(1)->fence == 5 && stream(1)->ingress == ingress);
	CHECK(entry_at(LISTEN_PORT(1))->fence == 5);
	/* with a higher one */
	begin(SGW_TXN_REPLACE_ALL);
	CHECK(stream_add(1) == 0);
	CHECK(fence(1, 6) == 0);
	CHECK(stream_add(2) == 0);
	CHECK(commit() == 0);
	CHECK(stream(1)->fence == 6 && stream(1)->ingress == ingress);
	CHECK(idmap_get(&agent.viewers, 10) == NULL); /* not named: deleted */
	/* a fenced stream it does not name goes without its token */
	begin(SGW_TXN_REPLACE_ALL);
	CHECK(stream_add(2) == 0);
	CHECK(commit() == 0);
	CHECK(stream(1) == NULL && entry_at(LISTEN_PORT(1)) == NULL);
	teardown();
}

static void deleted_and_added_again(void)
{
	setup();
	two_streams();
	/* deleted and added again in one transaction, its token raised */
	begin(0);
	CHECK(by_id(SGW_OP_STREAM_DEL, 1) == 0);
	CHECK(stream_add(1) == 0);
	CHECK(fence(1, 6) == 0);
	CHECK(commit() == 0);
	CHECK(stream(1) != NULL && stream(1)->fence == 6 && stream(1)->n_viewers == 0);
	/* the deleted stream's token still counts in its transaction */
	begin(0);
	CHECK(by_id(SGW_OP_STREAM_DEL, 1) == 0);
	CHECK(stream_add(1) == 0);
	CHECK_EQ(fence(1, 5), -ESTALE);
	agent_txn_abort(&agent);
	/* and without a token at all */
	begin(0);
	CHECK(by_id(SGW_OP_STREAM_DEL, 1) == 0);
	CHECK(stream_add(1) == 0);
	CHECK_EQ(commit(), -ESTALE);
	CHECK(stream(1) != NULL && stream(1)->fence == 6);
	/* deleted with its token: forgotten with it */
	begin(0);
	CHECK(fence(1, 6) == 0);
	CHECK(by_id(SGW_OP_STREAM_DEL, 1) == 0);
	CHECK(commit() == 0);
	CHECK(stream(1) == NULL);
	teardown();
}

static void lease_deadline(void)
{
	struct sgw_lease l = { .ttl_ms = 100 };
	const uint64_t t0 = 5000000000ull, ms = 1000000;

	setup();
	CHECK_EQ(dp.lease_deadline, 0); /* passed at start: fenced streams wait for a LEASE */
	CHECK_EQ(agent_lease_ms(&agent, t0), SGW_LEASE_EXPIRED);
	CHECK(agent_lease_set(&agent, &l, t0, err, sizeof(err)) == 0);
	CHECK_EQ(dp.lease_deadline, t0 + 100 * ms);
	CHECK_EQ(agent_lease_ms(&agent, t0), 100);
	CHECK_EQ(agent_lease_ms(&agent, t0 + 40 * ms + 1), 60); /* rounded up */
	CHECK_EQ(agent_lease_ms(&agent, t0 + 100 * ms), 1);     /* not passed yet */
	CHECK_EQ(agent_lease_ms(&agent, t0 + 100 * ms + 1), SGW_LEASE_EXPIRED);
	/* re-armed after it passed */
	l.ttl_ms = 2000;
	CHECK(agent_lease_set(&agent, &l, t0 + 200 * ms, err, sizeof(err)) == 0);
	CHECK_EQ(agent_lease_ms(&agent, t0 + 200 * ms), 2000);
	/* 0 clears it */
	l.ttl_ms = 0;
	CHECK(agent_lease_set(&agent, &l, t0 + 300 * ms, err, sizeof(err)) == 0);
	CHECK_EQ(dp.lease_deadline, UINT64_MAX);
	CHECK_EQ(agent_lease_ms(&agent, UINT64_MAX - 1), SGW_LEASE_NONE);
	/* refused: the deadline stays */
	l.ttl_ms = UINT32_MAX;
	CHECK_EQ(agent_lease_set(&agent, &l, t0, err, sizeof(err)), -EINVAL);
	l.ttl_ms = 10;
	l.pad = 1;
	CHECK_EQ(agent_lease_set(&agent, &l, t0, err, sizeof(err)), -EINVAL);
	CHECK_EQ(dp.lease_deadline, UINT64_MAX);
	teardown();
}

int main(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);

	if (sgw_srtp_global_init() != 0)
		return 1;
	qs = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	if (qs == NULL || rte_rcu_qsbr_init(qs, 1) != 0)
		return 1;
	RUN(token_zero_refused);
	RUN(add_with_fence_anywhere);
	RUN(stale_refused_nothing_applied);
	RUN(missing_token_refused);
	RUN(equal_and_higher_accepted);
	RUN(token_kept_across_viewer_changes);
	RUN(replace_all_with_tokens);
	RUN(deleted_and_added_again);
	RUN(lease_deadline);
	free(qs);
	return CHECK_DONE();
}
