/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path on the agent thread (gateway/agent_slowpath.c and
 * agent_neigh.c) on a real EAL (no hugepages, in memory) with a net_null
 * port, frames put straight into the workers' ring:
 *  - one turn handles at most SGW_SLOW_BATCH frames, whatever is queued
 *    (the agent socket is served in between);
 *  - a next hop's MAC comes from the answer to our own probe: within
 *    SGW_NEIGH_ANSWER_MS of it, the first answer only, on the port's VLAN;
 *    an unsolicited reply, a gratuitous ARP, a late or second answer, an
 *    answer from another VLAN are ignored and counted; a port trusted for
 *    learning takes unsolicited ones too (not from another VLAN); static
 *    neighbours never change;
 *  - a service address (SGW_OP_ADDR_ADD) is answered (ARP, NS) once its
 *    version is published and not after its ADDR_DEL; it is announced
 *    SGW_ADDR_ANNOUNCE_COUNT times, SGW_ADDR_ANNOUNCE_MS apart, and no
 *    more once deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "gateway/agent.h"
#include "dataplane/pkt_reply.h"
#include "gateway/agent_slowpath.h"
#include "check.h"
#include "frame_util.h"

static struct sgw_dp dp;
static struct sgw_config cfg;
static struct sgw_agent agent;
static const uint8_t peer_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t peer_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t gw_ip[4] = { 10, 0, 0, 1 }, peer_ip[4] = { 10, 0, 0, 3 };
static const uint8_t gw_ip6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t peer_ip6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3 };

static uint64_t ctr(enum sgw_counter c)
{
	return agent_slow_ctr[c];
}

/* Ethernet (and a VLAN tag when vlan >= 0) from src to the port. */
static uint32_t eth(uint8_t *b, const uint8_t src[6], int vlan, uint16_t type)
{
	uint32_t n = 12;

	memcpy(b, dp.ports[0].mac.addr_bytes, 6);
	memcpy(b + 6, src, 6);
	if (vlan >= 0) {
		put16(b + 12, 0x8100);
		put16(b + 14, (uint32_t)vlan);
		n = 16;
	}
	put16(b + n, type);
	return n + 2;
}

static uint32_t arp(uint8_t *b, int op, const uint8_t sha[6], const uint8_t spa[4],
		    const uint8_t tpa[4], int vlan)
{
	uint32_t n = eth(b, sha, vlan, 0x0806);
	uint8_t *a = b + n;

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, (uint32_t)op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memset(a + 18, op == 1 ? 0 : 0xff, 6);
	memcpy(a + 24, tpa, 4);
	return n + 28;
}

/* An overriding neighbour advertisement for target, with its MAC. */
static uint32_t neighbour_adv(uint8_t *b, const uint8_t mac[6], const uint8_t target[16])
{
	uint32_t n = eth(b, mac, -1, 0x86dd), sum;
	uint8_t *ip = b + n, *icmp = ip + 40, pseudo[40];

	memset(ip, 0, 40 + 32);
	ip[0] = 0x60;
	put16(ip + 4, 32);
	ip[6] = 58;
	ip[7] = 255;
	memcpy(ip + 8, target, 16);
	memcpy(ip + 24, gw_ip6, 16);
	icmp[0] = 136;
	icmp[4] = 0x20; /* override */
	memcpy(icmp + 8, target, 16);
	icmp[24] = 2;   /* target link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	memcpy(pseudo, ip + 8, 32);
	memset(pseudo + 32, 0, 8);
	put16(pseudo + 34, 32);
	pseudo[39] = 58;
	sum = sum_add(sum_add(0, pseudo, 40), icmp, 32);
	put16(icmp + 2, (uint16_t)~sum_fold(sum));
	return n + 40 + 32;
}

/* Queue a frame to the slow path as a worker would. */
static void queue(const uint8_t *f, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);

	CHECK(m != NULL);
	if (m == NULL)
		return;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), f, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->port = dp.ports[0].port_id;
	CHECK_EQ(rte_ring_enqueue(dp.slow_ring, m), 0);
}

static void queue_arp(int op, const uint8_t sha[6], const uint8_t spa[4], const uint8_t tpa[4],
		      int vlan)
{
	uint8_t f[128];

	queue(f, arp(f, op, sha, spa, tpa, vlan));
}

/* Everything queued handled at time now. */
static void drain(uint64_t now)
{
	while (agent_slowpath_poll(&agent, now) == SGW_SLOW_BATCH)
		;
}

static uint64_t slot_mac(int slot)
{
	return __atomic_load_n(&dp.neigh[slot].mac, __ATOMIC_RELAXED);
}

static void batch_per_turn(void)
{
	uint64_t replied = ctr(SGW_CTR_ARP_REPLIED);
	unsigned turns = 0, total = 0, n;

	for (int i = 0; i < 1000; i++)
		queue_arp(1, peer_a, peer_ip, gw_ip, -1);
	n = agent_slowpath_poll(&agent, 1);
	CHECK_EQ(n, SGW_SLOW_BATCH);
	CHECK_EQ(rte_ring_count(dp.slow_ring), 1000 - SGW_SLOW_BATCH);
	CHECK_EQ(ctr(SGW_CTR_ARP_REPLIED) - replied, SGW_SLOW_BATCH);
	total = n;
	turns = 1;
	while ((n = agent_slowpath_poll(&agent, 1)) > 0) {
		CHECK(n <= SGW_SLOW_BATCH);
		total += n;
		turns++;
	}
	CHECK_EQ(total, 1000);
	CHECK_EQ(turns, (1000 + SGW_SLOW_BATCH - 1) / SGW_SLOW_BATCH);
	CHECK_EQ(ctr(SGW_CTR_ARP_REPLIED) - replied, 1000);
}

static void arp_answers_only(void)
{
	struct sgw_addr ip = { .family = SGW_AF_INET };
	uint64_t bad = ctr(SGW_CTR_DROP_NEIGH_UNSOLICITED), sent = ctr(SGW_CTR_ARP_SENT);
	int slot;

	memcpy(ip.a, peer_ip, 4);
	slot = agent_neigh_ref(&agent, 0, &ip);
	CHECK(slot >= 0);
	if (slot < 0)
		return;
	/* before the probe: nobody asked */
	queue_arp(2, peer_b, peer_ip, gw_ip, -1);
	queue_arp(1, peer_b, peer_ip, peer_ip, -1); /* gratuitous */
	dp.neigh[slot].next_probe_ms = 10000;
	drain(5000);
	CHECK_EQ(slot_mac(slot), 0);
	CHECK_EQ(ctr(SGW_CTR_DROP_NEIGH_UNSOLICITED) - bad, 2);
	/* the probe at 10000; its answer from another VLAN, then the answer */
	drain(10000);
	CHECK_EQ(ctr(SGW_CTR_ARP_SENT) - sent, 1);
	queue_arp(2, peer_b, peer_ip, gw_ip, 5);
	queue_arp(2, peer_a, peer_ip, gw_ip, -1);
	drain(10000 + SGW_NEIGH_ANSWER_MS);
	CHECK_EQ(slot_mac(slot), sgw_neigh_pack(peer_a));
	CHECK_EQ(ctr(SGW_CTR_DROP_NEIGH_UNSOLICITED) - bad, 3);
	/* a second answer to the same probe */
	queue_arp(2, peer_b, peer_ip, gw_ip, -1);
	drain(10001);
	CHECK_EQ(slot_mac(slot), sgw_neigh_pack(peer_a));
	CHECK_EQ(ctr(SGW_CTR_DROP_NEIGH_UNSOLICITED) - bad, 4);
	/* the refresh probe 30 s later; an answer too late, then none */
	drain(40000);
	CHECK_EQ(ctr(SGW_CTR_ARP_SENT) - sent, 2);
	queue_arp(2, peer_b, peer_ip, gw_ip, -1);
	drain(40000 + SGW_NEIGH_ANSWER_MS + 1);
	CHECK_EQ(slot_mac(slot), sgw_neigh_pack(peer_a));
	CHECK_EQ(ctr(SGW_CTR_DROP_NEIGH_UNSOLICITED) - bad, 5);
	/* the next probe's answer moves it: the host did change its MAC */
	dp.neigh[slot].next_probe_ms = 50000;
	drain(50000);
	queue_arp(2, peer_b, peer_ip, gw_ip, -1);
	drain(50010);
	CHECK_EQ(slot_mac(slot), sgw_neigh_pack(peer_b));
	agent_neigh_unref(&agent, (uint32_t)slot);
	dp.neigh[slot].in_use = 0;
	dp.neigh[slot].mac = 0;
}

static void nd_answers_only(void)
{
	struct sgw_addr ip = { .family = SGW_AF_INET6 };
	uint64_t bad = ctr(SGW_CTR_DROP_NEIGH_UNSOLICITED), learned = ctr(SGW_CTR_ND_LEARNED);
	uint8_t f[256];
	int slot;

	memcpy(ip.a, peer_ip6, 16);
	slot = agent_neigh_ref(&agent, 0, &ip);
	CHECK(slot >= 0);
	if (slot < 0)
		return;
	dp.neigh[slot].next_probe_ms = 70000;
	queue(f, neighbour_adv(f, peer_b, peer_ip6));
	drain(60000);
	CHECK_EQ(slot_mac(slot), 0);
	CHECK_EQ(ctr(SGW_CTR_DROP_NEIGH_UNSOLICITED) - bad, 1);
	drain(70000); /* the solicitation */
	queue(f, neighbour_adv(f, peer_a, peer_ip6));
	drain(70001);
	CHECK_EQ(slot_mac(slot), sgw_neigh_pack(peer_a));
	CHECK_EQ(ctr(SGW_CTR_ND_LEARNED) - learned, 1);
	agent_neigh_unref(&agent, (uint32_t)slot);
	dp.neigh[slot].in_use = 0;
	dp.neigh[slot].mac = 0;
}

static void trusted_port_and_static(void)
{
	struct sgw_addr ip = { .family = SGW_AF_INET };
	static const uint8_t static_ip[4] = { 10, 0, 0, 4 };
	uint64_t bad = ctr(SGW_CTR_DROP_NEIGH_UNSOLICITED);
	int slot, st;

	cfg.ports[0].learn_unsolicited = true;
	memcpy(ip.a, peer_ip, 4);
	slot = agent_neigh_ref(&agent, 0, &ip);
	memcpy(ip.a, static_ip, 4);
	st = agent_neigh_ref(&agent, 0, &ip);
	CHECK(slot >= 0 && st >= 0);
	if (slot < 0 || st < 0)
		return;
	dp.neigh[st].is_static = 1;
	dp.neigh[st].mac = sgw_neigh_pack(peer_a);
	dp.neigh[slot].next_probe_ms = UINT64_MAX;
	/* unsolicited, gratuitous: taken; from another VLAN: not */
	queue_arp(2, peer_a, peer_ip, gw_ip, -1);
	drain(90000);
	CHECK_EQ(slot_mac(slot), sgw_neigh_pack(peer_a));
	queue_arp(1, peer_b, peer_ip, peer_ip, 9);
	drain(90001);
	CHECK_EQ(slot_mac(slot), sgw_neigh_pack(peer_a));
	CHECK_EQ(ctr(SGW_CTR_DROP_NEIGH_UNSOLICITED) - bad, 1);
	queue_arp(1, peer_b, peer_ip, peer_ip, -1);
	queue_arp(2, peer_b, static_ip, gw_ip, -1);
	drain(90002);
	CHECK_EQ(slot_mac(slot), sgw_neigh_pack(peer_b));
	CHECK_EQ(slot_mac(st), sgw_neigh_pack(peer_a)); /* static: never */
	cfg.ports[0].learn_unsolicited = false;
}

/* One transaction of one ADDR op on port 0, committed and reclaimed. */
static void addr_txn(unsigned type, const struct sgw_addr *ip)
{
	struct sgw_txn_begin b = { 0 };
	struct sgw_op_addr op = { .ip = *ip, .prefix_len = ip->family == SGW_AF_INET ? 32 : 128 };
	char err[200];
	uint64_t version;
	uint32_t op_index;

	CHECK_EQ(agent_txn_begin(&agent, &b, err, sizeof(err)), 0);
	CHECK_EQ(agent_txn_op(&agent, type, &op, err, sizeof(err)), 0);
	CHECK_EQ(agent_txn_commit(&agent, &version, &op_index, err, sizeof(err)), 0);
	agent_txn_reclaim(&agent);
}

static void queue_ns(const uint8_t target[16])
{
	uint8_t f[128];

	queue(f, pkt_build_nd_ns(f, sizeof(f), 0, peer_a, peer_ip6, target));
}

/* A service address: answered once published, not before, not after it
 * went; announced SGW_ADDR_ANNOUNCE_COUNT times SGW_ADDR_ANNOUNCE_MS apart,
 * and no more once deleted. */
static void service_addresses(void)
{
	struct sgw_addr v4 = { .family = SGW_AF_INET, .a = { 10, 0, 0, 50 } };
	struct sgw_addr v6 = { .family = SGW_AF_INET6, .a = { 0xfd, [15] = 0x50 } };
	struct sgw_addr v4b = { .family = SGW_AF_INET, .a = { 10, 0, 0, 51 } };
	uint64_t ann = ctr(SGW_CTR_ADDR_ANNOUNCED), tx = ctr(SGW_CTR_TX);
	uint64_t arp = ctr(SGW_CTR_ARP_REPLIED), nd = ctr(SGW_CTR_ND_REPLIED);
	uint64_t arp_other = ctr(SGW_CTR_DROP_ARP_OTHER), icmp_other = ctr(SGW_CTR_DROP_ICMP_OTHER);
	const uint64_t t = 200000;
	/* an asker no next-hop slot names (its request is not a claim) */
	static const uint8_t asker_ip[4] = { 10, 0, 0, 77 };

	/* not ours yet */
	queue_arp(1, peer_a, asker_ip, v4.a, -1);
	queue_ns(v6.a);
	drain(t - 1);
	CHECK_EQ(ctr(SGW_CTR_ARP_REPLIED) - arp, 0);
	CHECK_EQ(ctr(SGW_CTR_ND_REPLIED) - nd, 0);
	CHECK_EQ(ctr(SGW_CTR_DROP_ARP_OTHER) - arp_other, 1);
	CHECK_EQ(ctr(SGW_CTR_DROP_ICMP_OTHER) - icmp_other, 1);
	CHECK_EQ(ctr(SGW_CTR_ADDR_ANNOUNCED) - ann, 0);

	addr_txn(SGW_OP_ADDR_ADD, &v4);
	addr_txn(SGW_OP_ADDR_ADD, &v6);
	/* the first announcements at the first turn, then every 150 ms */
	drain(t);
	CHECK_EQ(ctr(SGW_CTR_ADDR_ANNOUNCED) - ann, 2);
	CHECK_EQ(ctr(SGW_CTR_TX) - tx, 2);
	drain(t + SGW_ADDR_ANNOUNCE_MS - 1);
	CHECK_EQ(ctr(SGW_CTR_ADDR_ANNOUNCED) - ann, 2);
	drain(t + SGW_ADDR_ANNOUNCE_MS);
	CHECK_EQ(ctr(SGW_CTR_ADDR_ANNOUNCED) - ann, 4);
	drain(t + 2 * SGW_ADDR_ANNOUNCE_MS);
	CHECK_EQ(ctr(SGW_CTR_ADDR_ANNOUNCED) - ann, 6);
	drain(t + 10 * SGW_ADDR_ANNOUNCE_MS);
	CHECK_EQ(ctr(SGW_CTR_ADDR_ANNOUNCED) - ann, 2 * SGW_ADDR_ANNOUNCE_COUNT);
	CHECK_EQ(agent.addrs.n_announcing, 0);

	/* answered like a config address */
	queue_arp(1, peer_a, asker_ip, v4.a, -1);
	queue_ns(v6.a);
	drain(t + 10 * SGW_ADDR_ANNOUNCE_MS + 1);
	CHECK_EQ(ctr(SGW_CTR_ARP_REPLIED) - arp, 1);
	CHECK_EQ(ctr(SGW_CTR_ND_REPLIED) - nd, 1);

	/* deleted: not answered, counted as for any address not ours */
	addr_txn(SGW_OP_ADDR_DEL, &v4);
	addr_txn(SGW_OP_ADDR_DEL, &v6);
	queue_arp(1, peer_a, asker_ip, v4.a, -1);
	queue_ns(v6.a);
	drain(t + 20 * SGW_ADDR_ANNOUNCE_MS);
	CHECK_EQ(ctr(SGW_CTR_ARP_REPLIED) - arp, 1);
	CHECK_EQ(ctr(SGW_CTR_ND_REPLIED) - nd, 1);
	CHECK_EQ(ctr(SGW_CTR_DROP_ARP_OTHER) - arp_other, 2);
	CHECK_EQ(ctr(SGW_CTR_DROP_ICMP_OTHER) - icmp_other, 2);

	/* deleted before its last announcement: no more */
	ann = ctr(SGW_CTR_ADDR_ANNOUNCED);
	addr_txn(SGW_OP_ADDR_ADD, &v4b);
	drain(t + 30 * SGW_ADDR_ANNOUNCE_MS);
	CHECK_EQ(ctr(SGW_CTR_ADDR_ANNOUNCED) - ann, 1);
	addr_txn(SGW_OP_ADDR_DEL, &v4b);
	drain(t + 40 * SGW_ADDR_ANNOUNCE_MS);
	CHECK_EQ(ctr(SGW_CTR_ADDR_ANNOUNCED) - ann, 1);
	CHECK_EQ(agent.addrs.n_announcing, 0);
}

static int setup(void)
{
	char *argv[] = { "test_slowpath", "--no-huge", "-m", "64", "--no-pci", "--no-shconf",
			 "--no-telemetry", "--file-prefix", "sgw_test_slowpath", "--vdev", "net_null0",
			 "-l", "0", "--log-level", "lib.eal:error", NULL };
	struct rte_eth_conf conf = { 0 };
	uint16_t pid;
	size_t qs_size;

	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0 ||
	    rte_eth_dev_get_port_by_name("net_null0", &pid) != 0)
		return -1;
	dp.pool = rte_pktmbuf_pool_create("t", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (dp.pool == NULL || rte_eth_dev_configure(pid, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(pid, 0, 64, SOCKET_ID_ANY, NULL, dp.pool) != 0 ||
	    rte_eth_tx_queue_setup(pid, 0, 64, SOCKET_ID_ANY, NULL) != 0 || rte_eth_dev_start(pid) != 0)
		return -1;
	dp.n_ports = 1;
	dp.ports[0].port_id = pid;
	dp.ports[0].mtu = 1500;
	dp.ports[0].slow_txq = 0;
	rte_eth_macaddr_get(pid, &dp.ports[0].mac);
	dp.port_idx_by_id[pid] = 0;
	dp.n_laddrs = 2;
	dp.laddrs[0].ip.family = SGW_AF_INET;
	memcpy(dp.laddrs[0].ip.a, gw_ip, 4);
	dp.laddrs[0].prefix_len = 24;
	dp.laddrs[1].ip.family = SGW_AF_INET6;
	memcpy(dp.laddrs[1].ip.a, gw_ip6, 16);
	dp.laddrs[1].prefix_len = 64;
	dp.n_neigh = 16;
	dp.neigh = calloc(dp.n_neigh, sizeof(*dp.neigh));
	dp.slow_ring = rte_ring_create("slowpath", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
	qs_size = rte_rcu_qsbr_get_memsize(1);
	dp.qs = calloc(1, qs_size);
	if (dp.neigh == NULL || dp.slow_ring == NULL || dp.qs == NULL ||
	    rte_rcu_qsbr_init(dp.qs, 1) != 0 || rte_rcu_qsbr_thread_register(dp.qs, 0) != 0)
		return -1;
	dp.n_workers = 0; /* the agent is RCU thread 0 */
	cfg.n_ports = 1;
	cfg.max_neighbours = dp.n_neigh;
	if (ft_init(&dp.ft, dp.qs) != 0 || agent_init(&agent, &dp, &cfg) != 0)
		return -1;
	return 0;
}

int main(void)
{
	char runtime_dir[256];

	if (setup() != 0) {
		fprintf(stderr, "cannot set up the EAL and a net_null port\n");
		return 1;
	}
	RUN(batch_per_turn);
	RUN(arp_answers_only);
	RUN(nd_answers_only);
	RUN(trusted_port_and_static);
	RUN(service_addresses);
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(runtime_dir); /* empty: no shared config, no telemetry */
	return CHECK_DONE();
}
