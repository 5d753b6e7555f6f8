/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service addresses in the agent's transactions (gateway/agent_addrs.c),
 * on a real flow table and agent, no EAL: a gateway of two ports with
 * three config-file addresses.
 *  - ADDR_ADD: the address in the published version's set, in a slot of
 *    its own, with its port, prefix and flags, announcements due; EEXIST
 *    for a config or service address; EINVAL for a bad family, prefix,
 *    port, flags or a non-unicast address; ENOSPC when the slots are
 *    full, also while a slot emptied by a published version waits for the
 *    grace period (and not after it);
 *  - ADDR_DEL: ENOENT, EPERM for a config address, EBUSY while a stream, a
 *    port or a viewer's port listens on it;
 *  - one transaction adds an address and a stream on it; one deletes the
 *    stream and its address (the directory goes, the slot waits); a stream
 *    on an address deleted earlier in the transaction is refused;
 *  - abort leaves the published set as it was; REPLACE_ALL keeps the
 *    addresses it names (same slot) and deletes the others after the
 *    streams, or fails with EBUSY if a stream it keeps is on one;
 *  - a reader that holds the version before a change still sees its
 *    addresses and directories until the reclaim.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "api/addr.h"
#include "gateway/agent.h"
#include "check.h"

/* gateway/agent_slowpath.c (not linked: it needs ports) */
uint64_t agent_slow_ctr[SGW_CTR_MAX];

static struct sgw_dp dp;
static struct sgw_config cfg;
static struct sgw_agent agent;
static struct rte_rcu_qsbr *qs;
static char err[200];

#define N_CONFIG 3

static struct sgw_addr ip_of(const char *s)
{
	struct sgw_addr a;

	if (sgw_addr_parse(s, &a) != 0) {
		fprintf(stderr, "bad address %s in the test\n", s);
		exit(2);
	}
	return a;
}

static void setup(void)
{
	static const char *const addrs[N_CONFIG] = { "10.0.0.1", "fd00::1", "192.0.2.1" };
	static const uint8_t plen[N_CONFIG] = { 24, 64, 24 };
	static const uint16_t port[N_CONFIG] = { 0, 0, 1 };

	memset(&dp, 0, sizeof(dp));
	memset(&cfg, 0, sizeof(cfg));
	dp.qs = qs;
	CHECK_EQ(ft_init(&dp.ft, qs), 0);
	dp.n_ports = 2;
	for (unsigned p = 0; p < 2; p++) {
		dp.ports[p].port_id = (uint16_t)p;
		dp.ports[p].mtu = 1500;
		dp.ports[p].mac.addr_bytes[0] = 2;
		dp.ports[p].mac.addr_bytes[5] = (uint8_t)(p + 1);
		snprintf(cfg.ports[p].name, sizeof(cfg.ports[p].name), p ? "lan" : "wan");
		cfg.ports[p].mtu = 1500;
	}
	dp.n_laddrs = N_CONFIG;
	for (unsigned i = 0; i < N_CONFIG; i++) {
		dp.laddrs[i].ip = ip_of(addrs[i]);
		dp.laddrs[i].prefix_len = plen[i];
		dp.laddrs[i].port_idx = port[i];
	}
	dp.n_neigh = 16;
	dp.neigh = calloc(dp.n_neigh, sizeof(*dp.neigh));
	cfg.n_ports = 2;
	cfg.replay_window = 128;
	cfg.max_neighbours = dp.n_neigh;
	CHECK(dp.neigh != NULL);
	CHECK_EQ(agent_init(&agent, &dp, &cfg), 0);
}

static void teardown(void)
{
	agent_txn_abort(&agent);
	agent_txn_reclaim(&agent);
	agent_fini(&agent);
	ft_fini(&dp.ft, free);
	free(dp.neigh);
}

static void begin(uint32_t flags)
{
	struct sgw_txn_begin b = { .flags = flags };

	CHECK_EQ(agent_txn_begin(&agent, &b, err, sizeof(err)), 0);
}

/* An op's result; a failure aborts the transaction as the server does. */
static int op(unsigned type, const void *body)
{
	int rc = agent_txn_op(&agent, type, body, err, sizeof(err));

	if (rc != 0)
		agent_txn_abort(&agent);
	return rc;
}

static int commit(void)
{
	uint64_t version;
	uint32_t op_index;

	return agent_txn_commit(&agent, &version, &op_index, err, sizeof(err));
}

static struct sgw_op_addr addr_op(const char *ip, unsigned plen, unsigned port_idx, uint32_t flags)
{
	return (struct sgw_op_addr){ .ip = ip_of(ip), .prefix_len = (uint8_t)plen,
				     .port_idx = (uint16_t)port_idx, .flags = flags };
}

static int addr_add(const char *ip, unsigned plen, unsigned port_idx, uint32_t flags)
{
	struct sgw_op_addr o = addr_op(ip, plen, port_idx, flags);

	return op(SGW_OP_ADDR_ADD, &o);
}

static int addr_del(const char *ip)
{
	struct sgw_op_addr o = { .ip = ip_of(ip) };

	return op(SGW_OP_ADDR_DEL, &o);
}

/* A plain-RTP stream listening on ip:port, any source. */
static int stream_add(uint64_t id, const char *ip, uint16_t port)
{
	struct sgw_op_stream_add o = { .stream_id = id, .owner = 1 };

	o.listen.addr = ip_of(ip);
	o.listen.port = port;
	o.key.suite = SGW_SUITE_PLAIN;
	return op(SGW_OP_STREAM_ADD, &o);
}

static int stream_del(uint64_t id)
{
	struct sgw_op_id o = { .id = id };

	return op(SGW_OP_STREAM_DEL, &o);
}

/* One committed transaction of one op. */
static int txn1(int (*fn)(void))
{
	int rc;

	begin(0);
	rc = fn();
	if (rc != 0)
		return rc;
	rc = commit();
	agent_txn_reclaim(&agent);
	return rc;
}

/* The published index of ip, or -1. */
static int pub_idx(const char *ip)
{
	struct sgw_addr a = ip_of(ip);

	return sgw_addr_set_find(dp.ft.root->addrs, a.family, a.a);
}

static int add_50(void) { return addr_add("192.0.2.50", 32, 0, 0); }
static int del_50(void) { return addr_del("192.0.2.50"); }

static void add_publishes_and_lists(void)
{
	const struct sgw_local_addr *l;
	uint8_t buf[64 * 1024];
	struct sgw_stats_page pg;
	struct sgw_addr_stats st;
	size_t n;
	int aidx;

	setup();
	CHECK_EQ(pub_idx("192.0.2.50"), -1);
	CHECK_EQ(pub_idx("10.0.0.1"), 0);
	CHECK_EQ(pub_idx("fd00::1"), 1);
	begin(0);
	CHECK_EQ(addr_add("192.0.2.50", 32, 0, SGW_ADDR_LEASED), 0);
	CHECK_EQ(addr_add("fd00::50", 128, 1, 0), 0);
	/* not published before the commit */
	CHECK_EQ(pub_idx("192.0.2.50"), -1);
	CHECK_EQ(agent.addrs.n_announcing, 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	aidx = pub_idx("192.0.2.50");
	CHECK_EQ(aidx, N_CONFIG); /* the first free slot */
	l = sgw_addr_set_get(dp.ft.root->addrs, aidx);
	CHECK(l != NULL);
	if (l != NULL) {
		CHECK_EQ(l->origin, SGW_ADDR_SERVICE);
		CHECK_EQ(l->port_idx, 0);
		CHECK_EQ(l->prefix_len, 32);
		CHECK_EQ(l->flags, SGW_ADDR_LEASED);
	}
	CHECK_EQ(pub_idx("fd00::50"), N_CONFIG + 1);
	CHECK_EQ(dp.ft.root->addrs->n4, 3);
	CHECK_EQ(dp.ft.root->addrs->n6, 2);
	/* both to be announced at once, SGW_ADDR_ANNOUNCE_COUNT times */
	CHECK_EQ(agent.addrs.n_announcing, 2);
	CHECK_EQ(agent.addrs.announce[N_CONFIG].left, SGW_ADDR_ANNOUNCE_COUNT);
	CHECK_EQ(agent.addrs.announce[N_CONFIG].next_ms, 0);
	CHECK_EQ(agent.addrs.announce[N_CONFIG + 1].left, SGW_ADDR_ANNOUNCE_COUNT);
	/* the listing: 3 config, then 2 service, by index */
	n = agent_stats_addrs(&agent, buf, sizeof(buf));
	memcpy(&pg, buf, sizeof(pg));
	CHECK_EQ(pg.n, 5);
	CHECK_EQ(pg.more, 0);
	CHECK_EQ(n, sizeof(pg) + 5 * sizeof(st));
	memcpy(&st, buf + sizeof(pg) + 2 * sizeof(st), sizeof(st));
	CHECK_EQ(st.origin, SGW_ADDR_CONFIG);
	CHECK_EQ(st.port_idx, 1);
	CHECK_EQ(st.prefix_len, 24);
	CHECK(strcmp(st.port_name, "lan") == 0);
	memcpy(&st, buf + sizeof(pg) + 4 * sizeof(st), sizeof(st));
	CHECK_EQ(st.origin, SGW_ADDR_SERVICE);
	CHECK_EQ(st.aidx, N_CONFIG + 1);
	CHECK_EQ(st.port_idx, 1);
	CHECK_EQ(st.prefix_len, 128);
	CHECK_EQ(st.flags, 0);
	CHECK_EQ(st.announce_left, SGW_ADDR_ANNOUNCE_COUNT);
	CHECK(strcmp(st.port_name, "lan") == 0);
	teardown();
}

static void add_refused(void)
{
	struct sgw_op_addr o;

	setup();
	/* a config-file address; a service address, in another transaction
	 * or the same one */
	begin(0);
	CHECK_EQ(addr_add("10.0.0.1", 32, 0, 0), -EEXIST);
	CHECK_EQ(txn1(add_50), 0);
	begin(0);
	CHECK_EQ(addr_add("192.0.2.50", 32, 1, 0), -EEXIST);
	begin(0);
	CHECK_EQ(addr_add("192.0.2.51", 32, 0, 0), 0);
	CHECK_EQ(addr_add("192.0.2.51", 32, 0, 0), -EEXIST);
	/* bad family, prefixes, port, flags, not a host's address */
	begin(0);
	o = addr_op("192.0.2.52", 32, 0, 0);
	o.ip.family = 5;
	CHECK_EQ(op(SGW_OP_ADDR_ADD, &o), -EINVAL);
	begin(0);
	CHECK_EQ(addr_add("192.0.2.52", 33, 0, 0), -EINVAL);
	begin(0);
	CHECK_EQ(addr_add("fd00::52", 129, 0, 0), -EINVAL);
	begin(0);
	CHECK_EQ(addr_add("198.51.100.7", 24, 0, 0), -EINVAL); /* no such subnet on the port */
	begin(0);
	CHECK_EQ(addr_add("192.0.2.52", 24, 0, 0), -EINVAL);   /* port 1's subnet, not port 0's */
	begin(0);
	CHECK_EQ(addr_add("10.0.0.52", 16, 0, 0), -EINVAL);    /* not the config prefix */
	begin(0);
	CHECK_EQ(addr_add("192.0.2.52", 32, 2, 0), -EINVAL);   /* 2 ports: 0 and 1 */
	begin(0);
	CHECK_EQ(addr_add("192.0.2.52", 32, 0, 0x2), -EINVAL);
	CHECK(strstr(err, "unknown address flags 0x2") != NULL);
	begin(0);
	CHECK_EQ(addr_add("224.0.0.5", 32, 0, 0), -EINVAL);
	begin(0);
	CHECK_EQ(addr_add("0.0.0.0", 32, 0, 0), -EINVAL);
	begin(0);
	CHECK_EQ(addr_add("127.0.0.2", 32, 0, 0), -EINVAL);
	begin(0);
	CHECK_EQ(addr_add("10.0.0.255", 24, 0, 0), -EINVAL);   /* the subnet's broadcast */
	begin(0);
	CHECK_EQ(addr_add("ff02::1", 128, 0, 0), -EINVAL);
	begin(0);
	CHECK_EQ(addr_add("::1", 128, 0, 0), -EINVAL);
	/* another address on a subnet the port is on: its prefix */
	begin(0);
	CHECK_EQ(addr_add("10.0.0.52", 24, 0, 0), 0);
	CHECK_EQ(addr_add("fd00::52", 64, 0, 0), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	CHECK_EQ(pub_idx("10.0.0.52"), N_CONFIG + 1);
	/* none of the refused ones is there */
	CHECK_EQ(pub_idx("192.0.2.51"), -1);
	CHECK_EQ(pub_idx("192.0.2.52"), -1);
	CHECK_EQ(dp.ft.root->addrs->n4 + dp.ft.root->addrs->n6, N_CONFIG + 3);
	teardown();
}

static void full_slots_and_grace(void)
{
	char ip[32];
	unsigned n = SGW_FT_MAX_ADDRS - N_CONFIG;
	const struct ft_root *held;

	setup();
	begin(0);
	for (unsigned i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "198.18.%u.%u", i / 200, i % 200 + 1);
		CHECK_EQ(addr_add(ip, 32, 0, 0), 0);
	}
	CHECK_EQ(addr_add("198.19.0.1", 32, 0, 0), -ENOSPC);
	begin(0);
	for (unsigned i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "198.18.%u.%u", i / 200, i % 200 + 1);
		CHECK_EQ(addr_add(ip, 32, 0, 0), 0);
	}
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	CHECK_EQ(dp.ft.root->addrs->n4, SGW_FT_MAX_ADDRS - 1);
	begin(0);
	CHECK_EQ(addr_add("198.19.0.1", 32, 0, 0), -ENOSPC);
	/* a slot emptied in this transaction is not taken in it */
	begin(0);
	CHECK_EQ(addr_del("198.18.0.1"), 0);
	CHECK_EQ(addr_add("198.19.0.1", 32, 0, 0), -ENOSPC);
	/* published, but a reader may still hold the version with it: the
	 * slot waits for the grace period */
	begin(0);
	CHECK_EQ(addr_del("198.18.0.1"), 0);
	held = dp.ft.root;
	CHECK_EQ(commit(), 0);
	CHECK_EQ(pub_idx("198.18.0.1"), -1);
	CHECK_EQ(sgw_addr_set_find(held->addrs, SGW_AF_INET, (const uint8_t[4]){ 198, 18, 0, 1 }),
		 N_CONFIG);
	begin(0);
	CHECK_EQ(addr_add("198.19.0.1", 32, 0, 0), -ENOSPC);
	/* after it, the slot is free again */
	agent_txn_reclaim(&agent);
	begin(0);
	CHECK_EQ(addr_add("198.19.0.1", 32, 0, 0), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	CHECK_EQ(pub_idx("198.19.0.1"), N_CONFIG);
	teardown();
}

static void del_refused(void)
{
	struct sgw_op_port po = { .local = { .addr = ip_of("192.0.2.50"), .port = 40000 } };
	struct sgw_op_viewer_add vo = { .viewer_id = 7, .stream_id = 1, .owner = 1 };

	setup();
	begin(0);
	CHECK_EQ(addr_del("192.0.2.50"), -ENOENT);
	begin(0);
	CHECK_EQ(addr_del("10.0.0.1"), -EPERM);
	begin(0);
	CHECK_EQ(addr_del("fd00::1"), -EPERM);
	/* a stream on it */
	CHECK_EQ(txn1(add_50), 0);
	begin(0);
	CHECK_EQ(stream_add(1, "192.0.2.50", 5000), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	begin(0);
	CHECK_EQ(addr_del("192.0.2.50"), -EBUSY);
	CHECK(strstr(err, "stream 1 listens on it") != NULL);
	/* a viewer's port of its own on it, the stream moved off */
	begin(0);
	CHECK_EQ(stream_del(1), 0);
	CHECK_EQ(stream_add(1, "10.0.0.1", 5000), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	begin(0);
	CHECK_EQ(addr_del("192.0.2.50"), 0); /* nothing on it now */
	agent_txn_abort(&agent);
	vo.dest.addr = ip_of("10.0.0.9");
	vo.dest.port = 7000;
	vo.key.suite = SGW_SUITE_PLAIN;
	vo.port.local_port = 6000;
	begin(0);
	CHECK_EQ(op(SGW_OP_VIEWER_ADD, &vo), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	/* the viewer's port is on its stream's address, 10.0.0.1: not ours */
	begin(0);
	CHECK_EQ(addr_del("192.0.2.50"), 0);
	agent_txn_abort(&agent);
	/* a port of a session being set up */
	begin(0);
	CHECK_EQ(op(SGW_OP_PORT_ADD, &po), 0);
	CHECK_EQ(addr_del("192.0.2.50"), -EBUSY);
	CHECK(strstr(err, "port 40000 is on it") != NULL);
	/* the port deleted first in the same transaction */
	begin(0);
	CHECK_EQ(op(SGW_OP_PORT_ADD, &po), 0);
	CHECK_EQ(op(SGW_OP_PORT_DEL, &po), 0);
	CHECK_EQ(addr_del("192.0.2.50"), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	CHECK_EQ(pub_idx("192.0.2.50"), -1);
	teardown();
}

/* A viewer with a port of its own on a stream on a service address: its
 * port is on that address and it sends from it; deleting the stream takes
 * both, then the address may go. */
static void viewer_on_service_address(void)
{
	struct sgw_op_viewer_add vo = { .viewer_id = 7, .stream_id = 1, .owner = 1 };
	const struct viewer_rec *v;

	setup();
	vo.dest.addr = ip_of("10.0.0.9");
	vo.dest.port = 7000;
	vo.key.suite = SGW_SUITE_PLAIN;
	vo.port.local_port = 6000;
	begin(0);
	CHECK_EQ(addr_add("10.0.0.50", 32, 0, 0), 0);
	CHECK_EQ(stream_add(1, "10.0.0.50", 5000), 0);
	CHECK_EQ(op(SGW_OP_VIEWER_ADD, &vo), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	CHECK(ft_lookup(dp.ft.root, (unsigned)pub_idx("10.0.0.50"), 6000) != NULL);
	v = idmap_get(&agent.viewers, 7);
	CHECK(v != NULL);
	if (v != NULL)
		CHECK(sgw_addr_equal(&v->src_ip, &(struct sgw_addr){ .family = SGW_AF_INET,
								     .a = { 10, 0, 0, 50 } }));
	begin(0);
	CHECK_EQ(stream_del(1), 0);
	CHECK_EQ(addr_del("10.0.0.50"), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	CHECK_EQ(pub_idx("10.0.0.50"), -1);
	CHECK_EQ(agent.viewers.n, 0);
	CHECK_EQ(agent.vports.n, 0);
	teardown();
}

static void add_with_stream_and_del_with_stream(void)
{
	const struct ft_root *held;
	int aidx;

	setup();
	/* one transaction: the address, then a stream on it */
	begin(0);
	CHECK_EQ(stream_add(1, "192.0.2.50", 5000), -EADDRNOTAVAIL); /* not yet */
	begin(0);
	CHECK_EQ(addr_add("192.0.2.50", 32, 0, 0), 0);
	CHECK_EQ(stream_add(1, "192.0.2.50", 5000), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	aidx = pub_idx("192.0.2.50");
	CHECK_EQ(aidx, N_CONFIG);
	CHECK(ft_lookup(dp.ft.root, (unsigned)aidx, 5000) != NULL);
	CHECK(dp.ft.root->dir[aidx] != NULL);
	/* one transaction: the stream, then its address */
	held = dp.ft.root;
	begin(0);
	CHECK_EQ(stream_del(1), 0);
	CHECK_EQ(addr_del("192.0.2.50"), 0);
	CHECK_EQ(stream_add(2, "192.0.2.50", 5002), -EADDRNOTAVAIL); /* gone in this txn */
	begin(0);
	CHECK_EQ(stream_del(1), 0);
	CHECK_EQ(addr_del("192.0.2.50"), 0);
	CHECK_EQ(commit(), 0);
	CHECK_EQ(pub_idx("192.0.2.50"), -1);
	CHECK(dp.ft.root->dir[aidx] == NULL);
	CHECK_EQ(agent.addrs.waiting[aidx], 1);
	/* the version before it is whole until the reclaim (ASan) */
	CHECK_EQ(sgw_addr_set_find(held->addrs, SGW_AF_INET, (const uint8_t[4]){ 192, 0, 2, 50 }), aidx);
	CHECK(ft_lookup(held, (unsigned)aidx, 5000) != NULL);
	agent_txn_reclaim(&agent);
	CHECK_EQ(agent.addrs.waiting[aidx], 0);
	CHECK_EQ(agent.streams.n, 0);
	teardown();
}

static void abort_changes_nothing(void)
{
	const struct sgw_addr_set *before;

	setup();
	CHECK_EQ(txn1(add_50), 0);
	before = dp.ft.root->addrs;
	begin(0);
	CHECK_EQ(addr_add("192.0.2.51", 32, 0, 0), 0);
	CHECK_EQ(del_50(), 0);
	agent_txn_abort(&agent);
	CHECK(dp.ft.root->addrs == before);
	CHECK_EQ(pub_idx("192.0.2.50"), N_CONFIG);
	CHECK_EQ(pub_idx("192.0.2.51"), -1);
	CHECK(agent.addrs.next == NULL);
	/* a failed op aborts it all, the ADDR_ADD before it too */
	begin(0);
	CHECK_EQ(addr_add("192.0.2.51", 32, 0, 0), 0);
	CHECK_EQ(addr_del("192.0.2.99"), -ENOENT);
	CHECK_EQ(pub_idx("192.0.2.51"), -1);
	CHECK_EQ(txn1(del_50), 0);
	CHECK_EQ(pub_idx("192.0.2.50"), -1);
	teardown();
}

static void replace_all(void)
{
	int a50, a51;

	setup();
	begin(0);
	CHECK_EQ(addr_add("192.0.2.50", 32, 0, 0), 0);
	CHECK_EQ(addr_add("192.0.2.51", 32, 0, 0), 0);
	CHECK_EQ(addr_add("192.0.2.52", 32, 1, 0), 0);
	CHECK_EQ(stream_add(1, "192.0.2.50", 5000), 0);
	CHECK_EQ(stream_add(2, "192.0.2.52", 5000), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	a50 = pub_idx("192.0.2.50");
	a51 = pub_idx("192.0.2.51");
	agent.addrs.n_announcing = 0; /* as if sent */
	memset(agent.addrs.announce, 0, sizeof(agent.addrs.announce));
	/* restated on another port: refused */
	begin(SGW_TXN_REPLACE_ALL);
	CHECK_EQ(addr_add("192.0.2.50", 32, 1, 0), -EEXIST);
	/* a stream kept on an address not named: its address cannot go */
	begin(SGW_TXN_REPLACE_ALL);
	CHECK_EQ(addr_add("192.0.2.50", 32, 0, 0), 0);
	CHECK_EQ(stream_add(1, "192.0.2.50", 5000), 0);
	CHECK_EQ(stream_add(2, "192.0.2.52", 5000), 0);
	CHECK_EQ(commit(), -EBUSY);
	CHECK(strstr(err, "192.0.2.52 is in use: stream 2") != NULL);
	CHECK_EQ(pub_idx("192.0.2.52"), N_CONFIG + 2);
	CHECK_EQ(agent.streams.n, 2);
	/* 50 named (leased now), 51 and 52 not: they go, after stream 2 */
	begin(SGW_TXN_REPLACE_ALL);
	CHECK_EQ(addr_add("192.0.2.50", 32, 0, SGW_ADDR_LEASED), 0);
	CHECK_EQ(stream_add(1, "192.0.2.50", 5000), 0);
	CHECK_EQ(commit(), 0);
	agent_txn_reclaim(&agent);
	CHECK_EQ(pub_idx("192.0.2.50"), a50); /* kept where it was */
	CHECK_EQ(dp.ft.root->addrs->slot[a50].flags, SGW_ADDR_LEASED);
	CHECK_EQ(pub_idx("192.0.2.51"), -1);
	CHECK_EQ(pub_idx("192.0.2.52"), -1);
	CHECK(dp.ft.root->dir[a51] == NULL);
	CHECK(ft_lookup(dp.ft.root, (unsigned)a50, 5000) != NULL);
	CHECK_EQ(agent.streams.n, 1);
	/* kept, so not announced again */
	CHECK_EQ(agent.addrs.n_announcing, 0);
	/* config addresses are never deleted by it */
	CHECK_EQ(pub_idx("10.0.0.1"), 0);
	CHECK_EQ(pub_idx("192.0.2.1"), 2);
	teardown();
}

int main(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(1);

	qs = calloc(1, sz);
	if (qs == NULL || rte_rcu_qsbr_init(qs, 1) != 0) {
		fprintf(stderr, "cannot set up RCU\n");
		return 1;
	}
	RUN(add_publishes_and_lists);
	RUN(add_refused);
	RUN(full_slots_and_grace);
	RUN(del_refused);
	RUN(viewer_on_service_address);
	RUN(add_with_stream_and_del_with_stream);
	RUN(abort_changes_nothing);
	RUN(replace_all);
	free(qs);
	return CHECK_DONE();
}
