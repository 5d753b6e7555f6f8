/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw: the gateway process. srtpgw [EAL args] -- --config FILE [--ops FILE]
 *
 * Start-up: EAL, config (fully validated before a port is touched), mbuf
 * pool, ports, RCU, flow table, rings, the --ops file's transaction (before
 * any port starts: the first packet read finds its streams), agent socket;
 * then root is dropped (gateway/privs.c) and the workers start. The main
 * lcore runs the agent thread until SIGINT/SIGTERM; then the workers stop
 * and everything is torn down. The process is never dumpable.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "dataplane/dp.h"
#include "dataplane/srtp_ctx.h"
#include "gateway/agent.h"
#include "gateway/agent_punt.h"
#include "gateway/config.h"
#include "api/log.h"
#include "gateway/heap_thp.h"
#include "gateway/numa_pref.h"
#include "gateway/port_guard.h"
#include "gateway/ports.h"
#include "gateway/privs.h"
#include "gateway/startup_ops.h"

static volatile bool quit;
static struct sgw_config cfg;
static struct sgw_dp dp;
static struct sgw_agent agent;
static FILE *ops_file; /* --ops, open from the config's load to the transaction */

static void on_signal(int sig)
{
	(void)sig;
	quit = true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: srtpgw [EAL options] -- --config FILE [--ops FILE] [--verbose]\n"
		"\n"
		"The srtpgw data plane: forwards SRTP streams to their viewers, each\n"
		"with its own key, on DPDK ports. Streams and viewers are installed by\n"
		"the control plane through the agent socket named in the config, or\n"
		"at start-up from an ops file (--ops).\n"
		"\n"
		"  -c, --config FILE   gateway configuration (docs/config.md)\n"
		"  -o, --ops FILE      install these streams and viewers before the ports start:\n"
		"                      one transaction in the op language of srtpgw-agentctl apply\n"
		"                      (docs/agentctl.md); an op refused stops the start\n"
		"  -v, --verbose       log debug messages\n"
		"  -h, --help          this text\n"
		"\n"
		"EAL options (DPDK) choose lcores and devices, e.g.\n"
		"  srtpgw --no-huge -m 256 --lcores '0@0,1@1' --vdev net_af_packet0,iface=eth1,qpairs=2 \\\n"
		"         -- --config /etc/srtpgw/srtpgw.conf\n");
}

static int die(const char *what)
{
	sgw_log(LOG_ERR, "%s", what);
	if (ops_file != NULL)
		fclose(ops_file);
	port_guard_disable();
	rte_eal_cleanup();
	return 1;
}

/* The agent thread's pages (what the workers read) on the workers' node
 * (gateway/numa_pref.h). */
static void prefer_workers_node(void)
{
	unsigned node[RTE_MAX_LCORE];
	int n, rc;

	for (unsigned i = 0; i < cfg.n_workers; i++)
		node[i] = rte_lcore_to_socket_id(cfg.workers[i].lcore);
	n = numa_workers_node(node, cfg.n_workers, rte_socket_count());
	if (n < 0)
		return;
	rc = numa_prefer(n);
	if (rc == 0)
		sgw_log(LOG_INFO, "memory: the agent's allocations prefer NUMA node %d, the workers'", n);
	else
		sgw_log(LOG_WARNING, "memory: cannot prefer NUMA node %d, the workers': %s", n,
			strerror(-rc));
}

static int setup_workers(char *err, size_t errlen)
{
	unsigned main_lcore = rte_get_main_lcore();

	dp.n_workers = cfg.n_workers;
	dp.tsc_hz = rte_get_tsc_hz();
	for (unsigned i = 0; i < cfg.n_workers; i++) {
		const struct sgw_worker_config *wc = &cfg.workers[i];
		struct sgw_worker *w;

		if (wc->lcore == main_lcore || !rte_lcore_is_enabled(wc->lcore)) {
			snprintf(err, errlen,
				 "workers.[%u].lcore: lcore %u is %s (EAL lcores: give it with -l/--lcores; "
				 "the main lcore runs the agent)", i, wc->lcore,
				 wc->lcore == main_lcore ? "the main lcore" : "not enabled in the EAL");
			return -1;
		}
		w = rte_zmalloc("worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
		if (w == NULL)
			goto nomem;
		w->idx = i;
		w->lcore = wc->lcore;
		w->crypto = sgw_srtp_lcore_create();
		if (w->crypto == NULL)
			goto nomem;
		w->n_rxq = wc->n_rxq;
		for (unsigned q = 0; q < wc->n_rxq; q++) {
			w->rxq[q].port_idx = wc->rxq[q].port;
			w->rxq[q].port_id = dp.ports[wc->rxq[q].port].port_id;
			w->rxq[q].queue = wc->rxq[q].queue;
		}
		for (unsigned p = 0; p < dp.n_ports; p++) {
			w->txb[p] = rte_zmalloc("txb", RTE_ETH_TX_BUFFER_SIZE(SGW_BURST), 0);
			if (w->txb[p] == NULL)
				goto nomem;
			rte_eth_tx_buffer_init(w->txb[p], SGW_BURST);
			rte_eth_tx_buffer_set_err_callback(w->txb[p], rte_eth_tx_buffer_count_callback,
							   &w->ctr[SGW_CTR_DROP_TX_FULL]);
		}
		dp.workers[i] = w;
	}
	prefer_workers_node();
	for (unsigned from = 0; from < dp.n_workers; from++) {
		for (unsigned to = 0; to < dp.n_workers; to++) {
			char name[64];
			if (from == to)
				continue;
			snprintf(name, sizeof(name), "handoff_%u_%u", from, to);
			dp.handoff[from][to] = rte_ring_create(name, cfg.handoff_ring, SOCKET_ID_ANY,
							       RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (dp.handoff[from][to] == NULL)
				goto nomem;
		}
	}
	dp.slow_ring = rte_ring_create("slowpath", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (dp.slow_ring == NULL)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory for workers and rings (raise -m)");
	return -1;
}

static unsigned max_mtu(void)
{
	unsigned m = 0;

	for (unsigned i = 0; i < cfg.n_ports; i++)
		m = RTE_MAX(m, cfg.ports[i].mtu);
	return m;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ops", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = NULL, *ops_path = NULL;
	char err[512], thp_why[128];
	size_t qs_size;
	int rc, opt, lfd;

	privs_no_core_dumps(); /* keys will live in this process: never in a core file */
	/* before anything else starts: the same process, its heap on huge pages */
	heap_thp_reexec(argc, argv, thp_why, sizeof(thp_why));

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
	}
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "srtpgw: error: cannot initialise the DPDK EAL: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "c:o:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			ops_path = optarg;
			break;
		case 'v':
			sgw_log_level = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			rte_eal_cleanup();
			return 0;
		default:
			usage(stderr);
			rte_eal_cleanup();
			return 2;
		}
	}
	if (config_path == NULL || optind != argc) {
		usage(stderr);
		rte_eal_cleanup();
		return 2;
	}
	if (sgw_config_load(config_path, &cfg, err, sizeof(err)) != 0)
		return die(err);
	if (ops_path != NULL && (ops_file = startup_ops_open(ops_path, err, sizeof(err))) == NULL)
		return die(err);
	if (sgw_srtp_global_init() != 0)
		return die("cannot initialise libsrtp");
	if (sgw_srtp_set_engine(cfg.crypto) != 0) {
		if (cfg.crypto_set)
			return die("crypto: the burst engine cannot run on this CPU (intel-ipsec-mb needs "
				   "AES-NI); use crypto = \"libsrtp\"");
		/* the default: libsrtp where the engine cannot run */
		sgw_log(LOG_NOTICE, "crypto: the burst engine cannot run on this CPU (no AES-NI): libsrtp");
		sgw_srtp_set_engine(SGW_SRTP_ENGINE_LIBSRTP);
	}

	if (heap_thp_active())
		sgw_log(LOG_INFO, "memory: malloc's heap on transparent huge pages (%s=1)", HEAP_THP_TUNABLE);
	else
		sgw_log(LOG_INFO, "memory: malloc's heap on ordinary pages: %s", thp_why);
	dp.idle_sleep_us = cfg.idle_sleep_us;
	dp.pool = rte_pktmbuf_pool_create("mbufs", cfg.mbufs, RTE_MIN(256u, cfg.mbufs / 2), 0,
					  (uint16_t)RTE_MAX((unsigned)RTE_MBUF_DEFAULT_BUF_SIZE,
							    RTE_PKTMBUF_HEADROOM + max_mtu() + 18 + 64),
					  (int)rte_socket_id());
	if (dp.pool == NULL)
		return die("cannot create the mbuf pool (raise -m or lower mbufs)");
	dp.n_workers = cfg.n_workers;
	if (ports_init(&cfg, &dp, err, sizeof(err)) != 0)
		return die(err);
	if (setup_workers(err, sizeof(err)) != 0)
		return die(err);
	/* RCU thread ids: the workers 0..n_workers-1, and the agent thread
	 * (n_workers), online only while it transmits (gateway/port_guard.c) */
	qs_size = rte_rcu_qsbr_get_memsize(dp.n_workers + 1);
	dp.qs = rte_zmalloc("rcu", qs_size, RTE_CACHE_LINE_SIZE);
	if (dp.qs == NULL || rte_rcu_qsbr_init(dp.qs, dp.n_workers + 1) != 0 ||
	    rte_rcu_qsbr_thread_register(dp.qs, dp.n_workers) != 0)
		return die("cannot set up RCU");
	if (ft_init(&dp.ft, dp.qs) != 0)
		return die("out of memory for the flow table");
	dp.n_neigh = cfg.max_neighbours;
	dp.neigh = rte_zmalloc("neigh", dp.n_neigh * sizeof(*dp.neigh), RTE_CACHE_LINE_SIZE);
	if (dp.neigh == NULL)
		return die("out of memory for next-hop slots (raise -m or lower max_neighbours)");
	if (agent_init(&agent, &dp, &cfg) != 0)
		return die("too many static neighbours for max_neighbours");
	agent.tsc_hz = rte_get_tsc_hz();
	if (getrandom(&agent.boot_id, sizeof(agent.boot_id), 0) != sizeof(agent.boot_id) ||
	    getrandom(agent.digest_key, sizeof(agent.digest_key), 0) != sizeof(agent.digest_key))
		return die("getrandom failed");
	sgw_dp = &dp;
	if (ops_file != NULL) {
		FILE *f = ops_file;
		ops_file = NULL; /* closed by startup_ops_apply() */
		if (startup_ops_apply(&agent, f, ops_path, err, sizeof(err)) != 0)
			return die(err);
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	port_guard_enable(dp.qs); /* a memif peer may leave at any time */
	if (ports_start(&dp, err, sizeof(err)) != 0)
		return die(err);
	lfd = agent_listen("agent socket", cfg.agent_socket, SOCK_STREAM, &cfg, err, sizeof(err));
	if (lfd < 0)
		return die(err);
	if (agent_punt_open(&agent, err, sizeof(err)) != 0) {
		close(lfd);
		unlink(cfg.agent_socket);
		return die(err);
	}
	/* everything that needs root is open now */
	if (privs_drop(&cfg, err, sizeof(err)) != 0) {
		close(lfd);
		unlink(cfg.agent_socket);
		agent_punt_close(&agent);
		return die(err);
	}
	for (unsigned i = 0; i < dp.n_workers; i++)
		rte_eal_remote_launch(sgw_worker_main, dp.workers[i], dp.workers[i]->lcore);
	sgw_log(LOG_INFO, "%u ports, %u workers, %u addresses; crypto %s; boot id %016llx", dp.n_ports,
		dp.n_workers, dp.n_laddrs, sgw_srtp_engine_name(), (unsigned long long)agent.boot_id);

	rc = agent_serve(&agent, lfd, cfg.agent_socket, &quit);

	__atomic_store_n(&dp.quit, true, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	for (unsigned i = 0; i < dp.n_workers; i++)
		sgw_srtp_lcore_free(dp.workers[i]->crypto);
	ports_stop(&dp);
	agent_punt_close(&agent);
	agent_fini(&agent);
	ft_fini(&dp.ft, free);
	sgw_log(LOG_INFO, "stopped");
	port_guard_disable();
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}
