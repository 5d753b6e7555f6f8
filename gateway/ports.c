/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "api/log.h"
#include "gateway/ports.h"

#define RX_DESC 1024
#define TX_DESC 1024

/*
 * ports.[i].mac: the device's MAC address, set before the port starts.
 * A driver without that operation (-ENOTSUP; net_pcap in DPDK 22.11) is
 * accepted only on a port that is, or can be made, promiscuous (turned on
 * here; net_pcap always is): it hands the workers every frame,
 * whatever its destination, so the MAC in software is a MAC all the same
 * -- the workers' L2 check (dataplane/worker.c) accepts the configured MAC
 * and nothing else, and every frame sent carries it as its source. A
 * port that filters in hardware with its own MAC would drop the frames to
 * the configured one: that, and any other refusal, is an error.
 */
static int set_mac(const struct sgw_port_config *pc, uint16_t pid, const char *driver,
		   struct rte_ether_addr *mac, char *err, size_t errlen)
{
	struct rte_ether_addr want;
	int rc;

	memcpy(want.addr_bytes, pc->mac, sizeof(want.addr_bytes));
	rc = rte_eth_dev_default_mac_addr_set(pid, &want);
	if (rc == -ENOTSUP && rte_eth_promiscuous_enable(pid) == 0 && rte_eth_promiscuous_get(pid) == 1) {
		sgw_log(LOG_INFO, "port %s: %s cannot set its MAC address; the port is promiscuous, "
			"the gateway takes the configured one in software", pc->name, driver);
		rc = 0;
	}
	if (rc != 0) {
		snprintf(err, errlen, "port %s: mac: device %s (%s) refuses the configured MAC address: %s",
			 pc->name, pc->device, driver, rc == -ENOTSUP ?
			 "it cannot change its MAC address (and is not promiscuous)" : strerror(-rc));
		return -1;
	}
	*mac = want;
	return 0;
}

static int port_setup(const struct sgw_port_config *pc, uint16_t pid, struct sgw_dp *dp,
		      struct sgw_port_rt *rt, char *err, size_t errlen)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nrx = RX_DESC, ntx = TX_DESC;
	const uint64_t csum_tx = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	const uint64_t csum_rx = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	int rc;

	rc = rte_eth_dev_info_get(pid, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot read device info: %s", pc->name, strerror(-rc));
		return -1;
	}
	if (pc->rx_queues > info.max_rx_queues || pc->tx_queues > info.max_tx_queues) {
		snprintf(err, errlen,
			 "port %s: device %s has at most %u RX and %u TX queues; the config asks %u and %u "
			 "(net_af_packet: qpairs=N; net_pcap: one queue per rx_/tx_ argument)",
			 pc->name, pc->device, info.max_rx_queues, info.max_tx_queues,
			 pc->rx_queues, pc->tx_queues);
		return -1;
	}
	/* net_af_packet fans packets out over all its qpairs, configured or
	 * not: a queue nobody polls would silently eat its share. */
	if (strcmp(info.driver_name, "net_af_packet") == 0 && pc->rx_queues != info.max_rx_queues) {
		snprintf(err, errlen,
			 "port %s: net_af_packet spreads packets over all its %u qpairs; set rx_queues = %u "
			 "(and poll each) or qpairs=%u", pc->name, info.max_rx_queues,
			 info.max_rx_queues, pc->rx_queues);
		return -1;
	}
	/* RSS on the UDP 5-tuple keeps a stream on one queue, so on its
	 * home worker (see docs/architecture.md). */
	if (pc->rx_queues > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	if ((info.tx_offload_capa & csum_tx) == csum_tx)
		conf.txmode.offloads = csum_tx;
	if ((info.rx_offload_capa & csum_rx) == csum_rx)
		conf.rxmode.offloads = csum_rx;
	rc = rte_eth_dev_configure(pid, pc->rx_queues, pc->tx_queues, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	for (uint16_t q = 0; rc == 0 && q < pc->rx_queues; q++)
		rc = rte_eth_rx_queue_setup(pid, q, nrx, rte_eth_dev_socket_id(pid), NULL, dp->pool);
	for (uint16_t q = 0; rc == 0 && q < pc->tx_queues; q++)
		rc = rte_eth_tx_queue_setup(pid, q, ntx, rte_eth_dev_socket_id(pid), NULL);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot configure device %s: %s", pc->name,
			 pc->device, strerror(-rc));
		return -1;
	}
	rc = rte_eth_dev_set_mtu(pid, pc->mtu);
	if (rc != 0 && rc != -ENOTSUP)
		sgw_log(LOG_WARNING, "port %s: cannot set MTU %u (%s); using it for our own frames",
			pc->name, pc->mtu, strerror(-rc));
	rte_eth_macaddr_get(pid, &rt->mac);
	if (pc->has_mac && set_mac(pc, pid, info.driver_name, &rt->mac, err, errlen) != 0)
		return -1;
	rt->port_id = pid;
	rt->mtu = pc->mtu;
	rt->vlan = pc->vlan;
	rt->slow_txq = (uint16_t)dp->n_workers;
	rt->tx_offloads = conf.txmode.offloads;
	return 0;
}

int ports_init(const struct sgw_config *cfg, struct sgw_dp *dp, char *err, size_t errlen)
{
	dp->n_ports = cfg->n_ports;
	dp->n_laddrs = 0;
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct sgw_port_config *pc = &cfg->ports[i];
		uint16_t pid;

		if (rte_eth_dev_get_port_by_name(pc->device, &pid) != 0) {
			snprintf(err, errlen,
				 "port %s: no DPDK device \"%s\" (give it to the EAL: a PCI address "
				 "with -a, or a vdev with --vdev)", pc->name, pc->device);
			return -1;
		}
		if (port_setup(pc, pid, dp, &dp->ports[i], err, errlen) != 0)
			return -1;
		dp->port_idx_by_id[pid] = (uint16_t)i;
		for (unsigned j = 0; j < pc->n_addrs; j++) {
			if (dp->n_laddrs == SGW_FT_MAX_ADDRS) {
				snprintf(err, errlen, "more than %u addresses in all ports",
					 SGW_FT_MAX_ADDRS);
				return -1;
			}
			dp->laddrs[dp->n_laddrs].ip = pc->addrs[j].ip;
			dp->laddrs[dp->n_laddrs].prefix_len = pc->addrs[j].prefix_len;
			dp->laddrs[dp->n_laddrs].port_idx = (uint16_t)i;
			dp->laddrs[dp->n_laddrs].origin = SGW_ADDR_CONFIG;
			dp->n_laddrs++;
		}
	}
	return 0;
}

int ports_start(struct sgw_dp *dp, char *err, size_t errlen)
{
	for (unsigned i = 0; i < dp->n_ports; i++) {
		int rc = rte_eth_dev_start(dp->ports[i].port_id);
		if (rc != 0) {
			snprintf(err, errlen, "cannot start port %u: %s", i, strerror(-rc));
			return -1;
		}
		/* IPv6 neighbour discovery uses multicast */
		rte_eth_allmulticast_enable(dp->ports[i].port_id);
	}
	return 0;
}

void ports_stop(struct sgw_dp *dp)
{
	for (unsigned i = 0; i < dp->n_ports; i++) {
		rte_eth_dev_stop(dp->ports[i].port_id);
		rte_eth_dev_close(dp->ports[i].port_id);
	}
}
