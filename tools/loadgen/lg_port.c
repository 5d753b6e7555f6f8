/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load generator's port(s): one TX queue, --rx-queues RX queues on
 * the receiving port (one on a separate sending port). A memif
 * client cannot start before its server is there, so starting is retried
 * until --link-timeout; then the link must come up.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "tools/loadgen/lg.h"

#define N_MBUFS 16383
#define N_DESC 1024

static int find_port(const char *name, uint16_t *pid, char *err, size_t errlen)
{
	if (name != NULL) {
		if (rte_eth_dev_get_port_by_name(name, pid) != 0) {
			snprintf(err, errlen, "no DPDK device \"%s\" (give it to the EAL: --vdev or -a)", name);
			return -1;
		}
		return 0;
	}
	if (rte_eth_dev_count_avail() != 1) {
		snprintf(err, errlen, "the EAL has %u ports: name one with --port",
			 rte_eth_dev_count_avail());
		return -1;
	}
	*pid = rte_eth_find_next(0);
	return 0;
}

/* nrxq RX queues (as many as the device has, at most), one TX queue. */
static int configure(struct lg_run *r, uint16_t pid, uint16_t *nrxq, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrx = N_DESC, ntx = N_DESC;
	char name[RTE_ETH_NAME_MAX_LEN];
	int rc;

	memset(&conf, 0, sizeof(conf));
	rte_eth_dev_get_name_by_port(pid, name);
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc == 0) {
		*nrxq = RTE_MAX((uint16_t)1, RTE_MIN(*nrxq, info.max_rx_queues));
		rc = rte_eth_dev_configure(pid, *nrxq, 1, &conf);
	}
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	for (uint16_t q = 0; rc == 0 && q < *nrxq; q++)
		rc = rte_eth_rx_queue_setup(pid, q, nrx, rte_eth_dev_socket_id(pid), NULL, r->pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(pid, 0, ntx, rte_eth_dev_socket_id(pid), NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot configure %s: %s", name, strerror(-rc));
		return -1;
	}
	return 0;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int start(struct lg_run *r, uint16_t pid, uint64_t deadline, char *err, size_t errlen)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_link link;
	int rc;

	rte_eth_dev_get_name_by_port(pid, name);
	while ((rc = rte_eth_dev_start(pid)) != 0 && rte_rdtsc() < deadline && !r->stop_tx)
		pause_ms(100);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start %s: %s (a memif client needs its server running)",
			 name, rc < 0 ? strerror(-rc) : "failed");
		return -1;
	}
	if (r->o->have_src_mac)
		rte_eth_promiscuous_enable(pid); /* frames to our chosen MAC */
	for (;;) {
		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(pid, &link);
		if (link.link_status == RTE_ETH_LINK_UP)
			return 0;
		if (rte_rdtsc() >= deadline || r->stop_tx)
			break;
		pause_ms(10);
	}
	snprintf(err, errlen, "%s: link down after %.1f s (--link-timeout; memif: is the peer "
		 "there, with as many queues as we have? --rx-queues)", name, r->o->link_timeout);
	return -1;
}

int lg_port_setup(struct lg_run *r, char *err, size_t errlen)
{
	const struct lg_opts *o = r->o;
	uint64_t deadline;

	if (find_port(o->port, &r->tx_port, err, errlen) != 0)
		return -1;
	r->rx_port = r->tx_port;
	if (o->rx_port != NULL && find_port(o->rx_port, &r->rx_port, err, errlen) != 0)
		return -1;
	r->two_ports = r->rx_port != r->tx_port;
	r->pool = rte_pktmbuf_pool_create("lg_mbufs", N_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  (int)rte_socket_id());
	r->replies = rte_ring_create("lg_replies", 1024, (int)rte_socket_id(),
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (r->pool == NULL || r->replies == NULL) {
		snprintf(err, errlen, "cannot create the mbuf pool (raise -m)");
		return -1;
	}
	uint16_t one = 1;
	r->n_rxq = (uint16_t)o->rx_queues;
	if (r->two_ports ? configure(r, r->tx_port, &one, err, errlen) != 0 ||
			   configure(r, r->rx_port, &r->n_rxq, err, errlen) != 0
			 : configure(r, r->tx_port, &r->n_rxq, err, errlen) != 0)
		return -1;
	if (o->have_src_mac)
		r->mac = o->src_mac;
	else
		rte_eth_macaddr_get(r->tx_port, &r->mac);
	deadline = rte_rdtsc() + (uint64_t)(o->link_timeout * (double)rte_get_tsc_hz());
	if (start(r, r->tx_port, deadline, err, errlen) != 0 ||
	    (r->two_ports && start(r, r->rx_port, deadline, err, errlen) != 0))
		return -1;
	return 0;
}

void lg_port_close(struct lg_run *r)
{
	uint16_t ports[2] = { r->tx_port, r->rx_port };

	for (unsigned i = 0; i < (r->two_ports ? 2u : 1u); i++) {
		rte_eth_dev_stop(ports[i]);
		rte_eth_dev_close(ports[i]);
	}
	rte_ring_free(r->replies);
	rte_mempool_free(r->pool);
	r->replies = NULL;
	r->pool = NULL;
}
