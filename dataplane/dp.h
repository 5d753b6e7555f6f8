/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane's shared context: built by the gateway at start-up,
 * read by the workers. Fields are marked with who writes them.
 */
#ifndef SRTPGW_DP_H
#define SRTPGW_DP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "api/srtpgw_counters.h"
#include "dataplane/flow_table.h"
#include "dataplane/neigh.h"
#include "dataplane/srtp_ctx.h"

#define SGW_DP_MAX_PORTS 16
#define SGW_DP_MAX_WORKERS 32
#define SGW_DP_MAX_RXQ 32
#define SGW_BURST 32

/* A port as the workers see it. Immutable after start. */
struct sgw_port_rt {
	uint16_t port_id;          /* DPDK port id */
	uint16_t mtu;
	uint16_t vlan;             /* tag for frames we send, 0 = none */
	uint16_t slow_txq;         /* TX queue of the agent thread */
	uint64_t tx_offloads;      /* RTE_ETH_TX_OFFLOAD_{IPV4,UDP}_CKSUM enabled */
	struct rte_ether_addr mac;
};

struct sgw_rxq {
	uint16_t port_id;
	uint16_t queue;
	uint16_t port_idx;
};

/* A viewer's packet waiting for its protect (dataplane/fanout.c): the
 * worker protects the viewer copies of a whole burst in one call. */
#define SGW_PROTECT_Q 256
struct sgw_pending_tx {
	const struct sgw_flow_viewer *v;
	struct rte_mbuf *m;        /* holds the plain packet, len bytes */
	uint32_t len;
	bool rtcp;
	struct rte_ether_addr mac; /* the next hop's, resolved when queued */
};

/* One worker. dataplane: rw by its own lcore; ctlplane: reads counters. */
struct sgw_worker {
	unsigned idx;              /* 0..n_workers-1, also its RCU thread id and TX queue */
	unsigned lcore;
	unsigned n_rxq;
	struct sgw_rxq rxq[SGW_DP_MAX_RXQ];
	struct rte_eth_dev_tx_buffer *txb[SGW_DP_MAX_PORTS];
	uint64_t ctr[SGW_CTR_MAX];
	struct sgw_srtp_lcore *crypto; /* for sgw_srtp_protect_burst() */
	bool lease_expired;        /* this pass started after the lease deadline */
	unsigned n_pending;        /* queued for sgw_fanout_flush() */
	struct sgw_pending_tx pending[SGW_PROTECT_Q];
	struct sgw_srtp_op ops[SGW_PROTECT_Q];
} __rte_cache_aligned;

struct sgw_dp {
	struct flow_table ft;
	struct rte_rcu_qsbr *qs;
	struct rte_mempool *pool;
	unsigned n_ports;
	struct sgw_port_rt ports[SGW_DP_MAX_PORTS];
	uint16_t port_idx_by_id[RTE_MAX_ETHPORTS];
	/* The config file's addresses (origin CONFIG), in file order: they are
	 * also slots 0..n_laddrs-1 of every version's address set. Routes and
	 * probes' source addresses come from these only. What a packet's
	 * destination is checked against is the version's set (ft root ->
	 * addrs), which has the service addresses too. Immutable after start. */
	unsigned n_laddrs;
	struct sgw_local_addr laddrs[SGW_FT_MAX_ADDRS];
	struct sgw_neigh *neigh;   /* n_neigh slots */
	unsigned n_neigh;
	unsigned n_workers;
	struct sgw_worker *workers[SGW_DP_MAX_WORKERS];
	/* hand-off rings [from][to], single producer, single consumer */
	struct rte_ring *handoff[SGW_DP_MAX_WORKERS][SGW_DP_MAX_WORKERS];
	struct rte_ring *slow_ring; /* workers -> agent thread: ARP, ICMP, ND */
	unsigned idle_sleep_us;
	uint64_t tsc_hz;           /* rte_get_tsc_hz(), for RTCP's round trips */
	/* The lease deadline (SGW_MSG_LEASE), in TSC cycles; UINT64_MAX: none.
	 * Packets of fenced streams (entry fence != 0) are dropped once a
	 * worker's pass starts after it. ctlplane: rw (relaxed stores, agent
	 * thread); dataplane: one relaxed load per pass (worker.c says why that
	 * is enough). */
	uint64_t lease_deadline;
	bool quit;                 /* set by the main thread to stop the workers */
};

static inline void sgw_ctr_add(uint64_t *c, uint64_t n)
{
	/* Single writer: a relaxed load and store, no locked instruction.
	 * Readers on other threads see whole values. */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* The worker main loop (rte_eal_remote_launch). arg: struct sgw_worker *. */
int sgw_worker_main(void *arg);
/* Set before launching the workers. */
extern struct sgw_dp *sgw_dp;

#endif
