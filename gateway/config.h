/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway's configuration file (libconfig syntax), see docs/config.md.
 * Parsed and validated completely before any port is touched.
 */
#ifndef SRTPGW_CONFIG_H
#define SRTPGW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "dataplane/srtp_ctx.h"
#include "api/addr.h"

#define SGW_MAX_PORTS 16
#define SGW_MAX_PORT_ADDRS 64   /* IPv4 + IPv6 addresses of one port */
#define SGW_MAX_STATIC_NEIGH 64 /* per port */
#define SGW_MAX_WORKERS 32
#define SGW_MAX_WORKER_QUEUES 32 /* RX queues one worker polls */
#define SGW_MAX_QUEUES 64        /* RX (or TX) queues of one port */
#define SGW_MAX_ALLOW_IDS 64     /* entries of agent_allow_uids / agent_allow_gids */

struct sgw_ifaddr {
	struct sgw_addr ip;
	uint8_t prefix_len;
};

struct sgw_static_neigh {
	struct sgw_addr ip;
	uint8_t mac[6];
};

struct sgw_port_config {
	char name[32];       /* ports.[i].name: how the rest of the file refers to it */
	char device[128];    /* ports.[i].device: DPDK device name (PCI address or vdev name) */
	uint16_t mtu;        /* ports.[i].mtu, default 1500 */
	uint16_t rx_queues;  /* ports.[i].rx_queues, default 1 */
	uint16_t tx_queues;  /* ports.[i].tx_queues, default = workers + 1; must be >= workers + 1 (one per worker, one for the agent thread) */
	uint16_t vlan;       /* ports.[i].vlan: 802.1Q id for frames we send, 0 = untagged */
	bool has_mac;        /* ports.[i].mac: the port's MAC address, set before it starts; */
	uint8_t mac[6];      /*   default: the device's own */
	bool learn_unsolicited; /* ports.[i].learn_unsolicited: also learn next hops from ARP/ND
	                           nobody asked for (a trusted segment); default false */
	unsigned n_addrs;
	struct sgw_ifaddr addrs[SGW_MAX_PORT_ADDRS]; /* ports.[i].addresses: "10.0.0.1/24", "fd00::1/64" */
	bool has_gw4, has_gw6;
	struct sgw_addr gw4, gw6; /* ports.[i].gateway4 / gateway6: default next hops */
	unsigned n_neigh;
	struct sgw_static_neigh neigh[SGW_MAX_STATIC_NEIGH]; /* ports.[i].neighbours */
};

struct sgw_rxq_ref {
	uint16_t port;  /* index into sgw_config.ports */
	uint16_t queue;
};

struct sgw_worker_config {
	unsigned lcore;     /* workers.[i].lcore: EAL lcore id (not the main lcore) */
	unsigned n_rxq;
	struct sgw_rxq_ref rxq[SGW_MAX_WORKER_QUEUES]; /* workers.[i].queues: ( { port = "name"; queue = 0; } ) */
};

struct sgw_config {
	char agent_socket[108];   /* agent_socket: path of the agent's UNIX socket */
	char punt_socket[108];    /* punt_socket: the punt channel's socket; "" off */
	unsigned mbufs;           /* mbufs: mbuf pool size, default 8191 */
	unsigned replay_window;   /* replay_window: default for streams, 64..32767, default 128 */
	enum sgw_srtp_engine crypto; /* crypto: "libsrtp" or "burst" (dataplane/srtp_ctx.h), default burst */
	bool crypto_set;          /* crypto was in the file (else libsrtp where the engine cannot run) */
	unsigned idle_sleep_us;   /* idle_sleep_us: max sleep of an idle worker, 0 = busy poll; default 200 */
	unsigned handoff_ring;    /* handoff_ring: slots per worker's hand-off ring, power of 2, default 1024 */
	unsigned max_neighbours;  /* max_neighbours: next-hop slots, default 4096 */
	bool heap_hugepages;      /* heap_hugepages: the agent's heap on transparent huge pages (gateway/heap_thp.h), default true */
	/* the agent socket's limits (docs/agent-protocol.md, "Limits") */
	unsigned agent_max_clients;     /* agent_max_clients: default 16 */
	unsigned agent_txn_timeout_ms;  /* agent_txn_timeout_ms: open transaction without a message, default 10000 */
	unsigned agent_idle_timeout_ms; /* agent_idle_timeout_ms: client without traffic, 0 = never, default 7200000 */
	unsigned agent_send_timeout_ms; /* agent_send_timeout_ms: replies not read, default 10000 */
	/* who may connect to the agent socket (SO_PEERCRED); with neither key,
	 * the gateway's own uid and gid (after user/group); uid 0 always */
	bool has_agent_allow;
	unsigned n_allow_uids, n_allow_gids;
	uint32_t allow_uids[SGW_MAX_ALLOW_IDS]; /* agent_allow_uids: user names or uids */
	uint32_t allow_gids[SGW_MAX_ALLOW_IDS]; /* agent_allow_gids: group names or gids */
	/* user/group: what srtpgw runs as once started (ports, agent socket) */
	bool has_user;
	uint32_t uid, gid;        /* user (name or uid), group (name or gid; default: the user's) */
	char user_name[64];       /* for the user's supplementary groups; "" if given as a number */
	unsigned n_ports;
	struct sgw_port_config ports[SGW_MAX_PORTS];
	unsigned n_workers;
	struct sgw_worker_config workers[SGW_MAX_WORKERS];
};

/*
 * Load and validate path into *cfg. On error return -1 and write one line
 * to err naming the file, the line where known, and the key, e.g.
 * "srtpgw.conf:12: ports.[0].mtu: must be between 68 and 9600".
 */
int sgw_config_load(const char *path, struct sgw_config *cfg, char *err, size_t errlen);

#endif
