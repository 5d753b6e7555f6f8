/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sgw_config_load(): a full and a minimal valid file, the shipped example,
 * and one case per class of error with the exact message (file, line, key
 * path). Files are written to a mkdtemp() directory under /tmp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/config.h"
#include "check.h"

#define CHECK_STREQ(a, b)                                                      \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		if (strcmp(_a, _b) != 0) {                                     \
			fprintf(stderr, "%s:%d: CHECK_STREQ failed:\n  got:  %s\n  want: %s\n", \
				__FILE__, __LINE__, _a, _b);                   \
			check_case_failed = 1;                                 \
		}                                                              \
	} while (0)

static char tmpdir[64];
static char conf_path[128];
static struct sgw_config cfg; /* large: not on the stack */
static char err[512];

/* Write text to <tmpdir>/t.conf; returns its path. */
static const char *write_conf(const char *text)
{
	FILE *fp;

	snprintf(conf_path, sizeof(conf_path), "%s/t.conf", tmpdir);
	fp = fopen(conf_path, "w");
	if (fp == NULL) {
		perror(conf_path);
		exit(1);
	}
	fputs(text, fp);
	fclose(fp);
	return conf_path;
}

static int load_text(const char *text)
{
	memset(err, 'x', sizeof(err));
	return sgw_config_load(write_conf(text), &cfg, err, sizeof(err));
}

/* Loading text must fail with "<path>:<rest>" exactly. */
#define EXPECT_ERROR(text, rest)                                               \
	do {                                                                   \
		char _want[512];                                               \
		int _rc = load_text(text);                                     \
		snprintf(_want, sizeof(_want), "%s%s", conf_path, rest);       \
		CHECK_EQ(_rc, -1);                                             \
		CHECK_STREQ(err, _want);                                       \
	} while (0)

/* A port and a worker that make a file valid, for error cases that are
 * about something else. Two lines. */
#define GOOD_PORT "ports = ( { name = \"p0\"; device = \"net_null0\"; addresses = [ \"10.0.0.1/24\" ]; } );\n"
#define GOOD_WORKER "workers = ( { lcore = 1; queues = ( { port = \"p0\"; queue = 0; } ); } );\n"

static void full_valid_config(void)
{
	static const char text[] =
		"# every key\n"                                              /* 1 */
		"agent_socket = \"/tmp/srtpgw-test/agent.sock\";\n"
		"mbufs = 16383;\n"
		"replay_window = 1024;\n"
		"idle_sleep_us = 0;\n"                                       /* 5 */
		"handoff_ring = 2048;\n"
		"max_neighbours = 65536;\n"
		"ports = (\n"
		"  { name = \"wan\"; device = \"net_pcap0\";\n"
		"    mtu = 9000; rx_queues = 2; tx_queues = 4; vlan = 100; mac = \"02:00:00:00:00:01\";\n" /* 10 */
		"    addresses = [ \"10.0.0.1/24\", \"fd00::1/64\", \"10.1.0.1/32\" ];\n"
		"    gateway4 = \"10.0.0.254\";\n"
		"    gateway6 = \"fe80::1\";\n"
		"    neighbours = ( { ip = \"10.0.0.2\"; mac = \"02:00:00:00:00:02\"; },\n"
		"                   { ip = \"fd00::2\"; mac = \"0A:1b:2C:3d:4E:5f\"; } );\n" /* 15 */
		"  },\n"
		"  { name = \"lan_1-x\"; device = \"0000:01:00.0\";\n"
		"    addresses = ( \"192.168.1.1/16\" ); }\n"
		");\n"
		"workers = (\n"                                              /* 20 */
		"  { lcore = 2; queues = ( { port = \"wan\"; queue = 1; },\n"
		"                          { port = \"lan_1-x\"; queue = 0; } ); },\n"
		"  { lcore = 1; queues = ( { port = \"wan\"; queue = 0; } ); }\n"
		");\n";
	static const uint8_t v6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t v6_nb[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
	static const uint8_t gw6[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t mac0[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t mac1[6] = { 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
	const struct sgw_port_config *p;

	CHECK_EQ(load_text(text), 0);
	CHECK_STREQ(err, "");
	CHECK_STREQ(cfg.agent_socket, "/tmp/srtpgw-test/agent.sock");
	CHECK_STREQ(cfg.punt_socket, "/tmp/srtpgw-test/punt.sock"); /* beside it */
	CHECK_EQ(cfg.mbufs, 16383);
	CHECK_EQ(cfg.replay_window, 1024);
	CHECK_EQ(cfg.idle_sleep_us, 0);
	CHECK_EQ(cfg.handoff_ring, 2048);
	CHECK_EQ(cfg.max_neighbours, 65536);
	CHECK_EQ(cfg.n_ports, 2);

	p = &cfg.ports[0];
	CHECK_STREQ(p->name, "wan");
	CHECK_STREQ(p->device, "net_pcap0");
	CHECK_EQ(p->mtu, 9000);
	CHECK_EQ(p->rx_queues, 2);
	CHECK_EQ(p->tx_queues, 4);
	CHECK_EQ(p->vlan, 100);
	CHECK(p->has_mac);
	CHECK_MEM(p->mac, "\x02\x00\x00\x00\x00\x01", 6);
	CHECK_EQ(p->n_addrs, 3);
	CHECK_EQ(p->addrs[0].ip.family, SGW_AF_INET);
	CHECK_MEM(p->addrs[0].ip.a, "\x0a\x00\x00\x01", 4);
	CHECK_EQ(p->addrs[0].prefix_len, 24);
	CHECK_EQ(p->addrs[1].ip.family, SGW_AF_INET6);
	CHECK_MEM(p->addrs[1].ip.a, v6, 16);
	CHECK_EQ(p->addrs[1].prefix_len, 64);
	CHECK_EQ(p->addrs[2].ip.family, SGW_AF_INET);
	CHECK_MEM(p->addrs[2].ip.a, "\x0a\x01\x00\x01", 4);
	CHECK_EQ(p->addrs[2].prefix_len, 32);
	CHECK(p->has_gw4);
	CHECK_EQ(p->gw4.family, SGW_AF_INET);
	CHECK_MEM(p->gw4.a, "\x0a\x00\x00\xfe", 4);
	CHECK(p->has_gw6);
	CHECK_EQ(p->gw6.family, SGW_AF_INET6);
	CHECK_MEM(p->gw6.a, gw6, 16);
	CHECK_EQ(p->n_neigh, 2);
	CHECK_EQ(p->neigh[0].ip.family, SGW_AF_INET);
	CHECK_MEM(p->neigh[0].ip.a, "\x0a\x00\x00\x02", 4);
	CHECK_MEM(p->neigh[0].mac, mac0, 6);
	CHECK_EQ(p->neigh[1].ip.family, SGW_AF_INET6);
	CHECK_MEM(p->neigh[1].ip.a, v6_nb, 16);
	CHECK_MEM(p->neigh[1].mac, mac1, 6);

	/* second port: defaults; addresses given as a list works too */
	p = &cfg.ports[1];
	CHECK_STREQ(p->name, "lan_1-x");
	CHECK_STREQ(p->device, "0000:01:00.0");
	CHECK_EQ(p->mtu, 1500);
	CHECK_EQ(p->rx_queues, 1);
	CHECK_EQ(p->tx_queues, 3); /* = workers + 1 */
	CHECK_EQ(p->vlan, 0);
	CHECK(!p->has_mac);
	CHECK_EQ(p->n_addrs, 1);
	CHECK_MEM(p->addrs[0].ip.a, "\xc0\xa8\x01\x01", 4);
	CHECK_EQ(p->addrs[0].prefix_len, 16);
	CHECK(!p->has_gw4);
	CHECK(!p->has_gw6);
	CHECK_EQ(p->n_neigh, 0);

	CHECK_EQ(cfg.n_workers, 2);
	CHECK_EQ(cfg.workers[0].lcore, 2);
	CHECK_EQ(cfg.workers[0].n_rxq, 2);
	CHECK_EQ(cfg.workers[0].rxq[0].port, 0);
	CHECK_EQ(cfg.workers[0].rxq[0].queue, 1);
	CHECK_EQ(cfg.workers[0].rxq[1].port, 1);
	CHECK_EQ(cfg.workers[0].rxq[1].queue, 0);
	CHECK_EQ(cfg.workers[1].lcore, 1);
	CHECK_EQ(cfg.workers[1].n_rxq, 1);
	CHECK_EQ(cfg.workers[1].rxq[0].port, 0);
	CHECK_EQ(cfg.workers[1].rxq[0].queue, 0);
}

static void minimal_config_defaults(void)
{
	const struct sgw_port_config *p = &cfg.ports[0];

	memset(&cfg, 0xa5, sizeof(cfg));
	CHECK_EQ(load_text(GOOD_PORT GOOD_WORKER), 0);
	CHECK_STREQ(err, "");
	CHECK_STREQ(cfg.agent_socket, "/run/srtpgw/agent.sock");
	CHECK_STREQ(cfg.punt_socket, "/run/srtpgw/punt.sock");
	CHECK_EQ(cfg.mbufs, 8191);
	CHECK_EQ(cfg.replay_window, 128);
	CHECK_EQ(cfg.idle_sleep_us, 200);
	CHECK_EQ(cfg.handoff_ring, 1024);
	CHECK_EQ(cfg.max_neighbours, 4096);
	CHECK_EQ(cfg.n_ports, 1);
	CHECK_STREQ(p->name, "p0");
	CHECK_STREQ(p->device, "net_null0");
	CHECK_EQ(p->mtu, 1500);
	CHECK_EQ(p->rx_queues, 1);
	CHECK_EQ(p->tx_queues, 2); /* 1 worker + the agent thread */
	CHECK_EQ(p->vlan, 0);
	CHECK(!p->has_mac);
	CHECK_EQ(p->n_addrs, 1);
	CHECK(!p->has_gw4);
	CHECK(!p->has_gw6);
	CHECK_EQ(p->n_neigh, 0);
	CHECK_EQ(cfg.n_workers, 1);
	CHECK_EQ(cfg.workers[0].lcore, 1);
	CHECK_EQ(cfg.workers[0].n_rxq, 1);
	CHECK_EQ(cfg.workers[0].rxq[0].port, 0);
	CHECK_EQ(cfg.workers[0].rxq[0].queue, 0);
	CHECK(!p->learn_unsolicited);
	CHECK_EQ(cfg.agent_max_clients, 16);
	CHECK_EQ(cfg.agent_txn_timeout_ms, 10000);
	CHECK_EQ(cfg.agent_idle_timeout_ms, 7200000);
	CHECK_EQ(cfg.agent_send_timeout_ms, 10000);
	CHECK(!cfg.has_agent_allow);
	CHECK_EQ(cfg.n_allow_uids, 0);
	CHECK_EQ(cfg.n_allow_gids, 0);
	CHECK(!cfg.has_user);
}

/* The agent socket's limits, who may connect, whom srtpgw runs as. */
static void agent_and_identity_keys(void)
{
	CHECK_EQ(load_text("agent_max_clients = 4;\n"
			   "agent_txn_timeout_ms = 100;\n"
			   "agent_idle_timeout_ms = 0;\n"
			   "agent_send_timeout_ms = 3600000;\n"
			   "agent_allow_uids = ( \"root\", 1001, 4294967294L );\n"
			   "agent_allow_gids = [ 1002, 0 ];\n"
			   "user = \"root\";\n"
			   "ports = ( { name = \"p0\"; device = \"net_null0\"; learn_unsolicited = true;\n"
			   "  addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER), 0);
	CHECK_STREQ(err, "");
	CHECK_EQ(cfg.agent_max_clients, 4);
	CHECK_EQ(cfg.agent_txn_timeout_ms, 100);
	CHECK_EQ(cfg.agent_idle_timeout_ms, 0);
	CHECK_EQ(cfg.agent_send_timeout_ms, 3600000);
	CHECK(cfg.has_agent_allow);
	CHECK_EQ(cfg.n_allow_uids, 3);
	CHECK_EQ(cfg.allow_uids[0], 0);
	CHECK_EQ(cfg.allow_uids[1], 1001);
	CHECK_EQ(cfg.allow_uids[2], 4294967294u);
	CHECK_EQ(cfg.n_allow_gids, 2);
	CHECK_EQ(cfg.allow_gids[0], 1002);
	CHECK_EQ(cfg.allow_gids[1], 0);
	CHECK(cfg.has_user);
	CHECK_EQ(cfg.uid, 0);
	CHECK_EQ(cfg.gid, 0); /* the user's own group */
	CHECK_STREQ(cfg.user_name, "root");
	CHECK(cfg.ports[0].learn_unsolicited);

	/* numbers need no passwd entry when the group is given */
	CHECK_EQ(load_text("user = 4000000; group = 4000001;\n"
			   "agent_allow_gids = [ ];\n" GOOD_PORT GOOD_WORKER), 0);
	CHECK_STREQ(err, "");
	CHECK_EQ(cfg.uid, 4000000);
	CHECK_EQ(cfg.gid, 4000001);
	CHECK_STREQ(cfg.user_name, "");
	CHECK(cfg.has_agent_allow); /* an empty list: uid 0 only */
	CHECK_EQ(cfg.n_allow_gids, 0);
	CHECK_EQ(cfg.n_allow_uids, 0);
	/* a uid with a passwd entry: its name and group */
	CHECK_EQ(load_text("user = 0; group = \"root\";\n" GOOD_PORT GOOD_WORKER), 0);
	CHECK_STREQ(cfg.user_name, "root");
	CHECK_EQ(cfg.gid, 0);
}

static void punt_socket_key(void)
{
	CHECK_EQ(load_text("punt_socket = \"\";\n" GOOD_PORT GOOD_WORKER), 0);
	CHECK_STREQ(cfg.punt_socket, ""); /* off */
	CHECK_EQ(load_text("agent_socket = \"a.sock\";\n" GOOD_PORT GOOD_WORKER), 0);
	CHECK_STREQ(cfg.punt_socket, "punt.sock"); /* a relative agent socket: beside it too */
	CHECK_EQ(load_text("punt_socket = \"/run/other/p.sock\";\n" GOOD_PORT GOOD_WORKER), 0);
	CHECK_STREQ(cfg.punt_socket, "/run/other/p.sock");
	EXPECT_ERROR("punt_socket = 1;\n" GOOD_PORT GOOD_WORKER, ":1: punt_socket: must be a string");
}

static void crypto_key(void)
{
	CHECK_EQ(load_text(GOOD_PORT GOOD_WORKER), 0);
	CHECK_EQ(cfg.crypto, SGW_SRTP_ENGINE_BURST);
	CHECK(!cfg.crypto_set);
	CHECK_EQ(load_text("crypto = \"burst\";\n" GOOD_PORT GOOD_WORKER), 0);
	CHECK_EQ(cfg.crypto, SGW_SRTP_ENGINE_BURST);
	CHECK(cfg.crypto_set);
	CHECK_EQ(load_text("crypto = \"libsrtp\";\n" GOOD_PORT GOOD_WORKER), 0);
	CHECK_EQ(cfg.crypto, SGW_SRTP_ENGINE_LIBSRTP);
	CHECK(cfg.crypto_set);
	EXPECT_ERROR("\ncrypto = \"openssl\";\n" GOOD_PORT GOOD_WORKER,
		     ":2: crypto: must be \"burst\" or \"libsrtp\"");
	EXPECT_ERROR("crypto = 1;\n" GOOD_PORT GOOD_WORKER, ":1: crypto: must be a string");
}

static void heap_hugepages_key(void)
{
	CHECK_EQ(load_text(GOOD_PORT GOOD_WORKER), 0);
	CHECK(cfg.heap_hugepages);
	CHECK_EQ(load_text("heap_hugepages = false;\n" GOOD_PORT GOOD_WORKER), 0);
	CHECK(!cfg.heap_hugepages);
	EXPECT_ERROR("heap_hugepages = 1;\n" GOOD_PORT GOOD_WORKER, ":1: heap_hugepages: must be true or false");
}

static void error_agent_and_identity_keys(void)
{
	EXPECT_ERROR("agent_max_clients = 0;\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_max_clients: must be between 1 and 1024");
	EXPECT_ERROR("agent_txn_timeout_ms = 99;\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_txn_timeout_ms: must be between 100 and 3600000");
	EXPECT_ERROR("agent_idle_timeout_ms = 86400001;\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_idle_timeout_ms: must be between 0 and 86400000");
	EXPECT_ERROR("agent_send_timeout_ms = 50;\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_send_timeout_ms: must be between 100 and 3600000");
	EXPECT_ERROR("agent_allow_uids = \"root\";\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_allow_uids: must be a list of user names or uids, e.g. "
		     "( \"srtpgw-control\", 1001 )");
	EXPECT_ERROR("agent_allow_gids = 5;\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_allow_gids: must be a list of group names or gids, e.g. "
		     "( \"srtpgw\", 1002 )");
	EXPECT_ERROR("agent_allow_uids = ( 1, \"no-such-user-sgw\" );\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_allow_uids.[1]: no such user \"no-such-user-sgw\"");
	EXPECT_ERROR("agent_allow_gids = [ \"no-such-group-sgw\" ];\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_allow_gids.[0]: no such group \"no-such-group-sgw\"");
	EXPECT_ERROR("agent_allow_uids = ( 1, 2.5 );\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_allow_uids.[1]: must be a user name or a uid");
	EXPECT_ERROR("agent_allow_gids = [ -1 ];\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_allow_gids.[0]: must be between 0 and 4294967294");
	EXPECT_ERROR("agent_allow_uids = [ 4294967295L ];\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_allow_uids.[0]: must be between 0 and 4294967294");
	EXPECT_ERROR("agent_allow_uids = [ \"\" ];\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_allow_uids.[0]: empty user name");
	EXPECT_ERROR("user = \"no-such-user-sgw\";\n" GOOD_PORT GOOD_WORKER,
		     ":1: user: no such user \"no-such-user-sgw\"");
	EXPECT_ERROR("user = true;\n" GOOD_PORT GOOD_WORKER,
		     ":1: user: must be a user name or a uid");
	EXPECT_ERROR("user = \"root\";\ngroup = \"no-such-group-sgw\";\n" GOOD_PORT GOOD_WORKER,
		     ":2: group: no such group \"no-such-group-sgw\"");
	EXPECT_ERROR("user = \"root\";\ngroup = 1.0;\n" GOOD_PORT GOOD_WORKER,
		     ":2: group: must be a group name or a gid");
	EXPECT_ERROR("\ngroup = \"root\";\n" GOOD_PORT GOOD_WORKER,
		     ":2: group: is given without user (srtpgw changes both or neither)");
	EXPECT_ERROR("user = 4000000;\n" GOOD_PORT GOOD_WORKER,
		     ": group: is required: uid 4000000 has no passwd entry to take its group from");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\"; learn_unsolicited = 1;\n"
		     "  addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER,
		     ":1: ports.[0].learn_unsolicited: must be true or false");
}

static void example_file_loads(void)
{
	int rc = sgw_config_load("../../docs/srtpgw.conf.example", &cfg, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "example: %s\n", err);
	CHECK_EQ(rc, 0);
	CHECK(cfg.n_ports >= 1);
	CHECK(cfg.n_workers >= 1);
}

static void error_syntax(void)
{
	EXPECT_ERROR("mbufs = 8191;\n"
		     "ports = (\n"
		     "  { name = \"p0\"; device = ; }\n"
		     ");\n",
		     ":3: syntax error");
	EXPECT_ERROR(GOOD_PORT
		     "workers = ( { lcore = 1; queues = ( { port = \"p0\"; queue = 0; } ); }\n",
		     ":3: syntax error");
	/* libconfig itself refuses a key given twice */
	EXPECT_ERROR("mbufs = 8191;\n"
		     "mbufs = 8192;\n" GOOD_PORT GOOD_WORKER,
		     ":2: duplicate setting name");
}

static void error_unknown_top_level_key(void)
{
	EXPECT_ERROR("mbufs = 8191;\n"
		     "replay_windw = 128;\n" GOOD_PORT GOOD_WORKER,
		     ":2: replay_windw: unknown key");
}

static void error_unknown_port_key(void)
{
	EXPECT_ERROR("ports = (\n"
		     "  { name = \"p0\"; device = \"net_null0\";\n"
		     "    addresses = [ \"10.0.0.1/24\" ];\n"
		     "    mut = 1500; }\n"
		     ");\n" GOOD_WORKER,
		     ":4: ports.[0].mut: unknown key");
	/* and deeper down */
	EXPECT_ERROR(GOOD_PORT
		     "workers = ( { lcore = 1;\n"
		     "  queues = ( { port = \"p0\"; queue = 0; rxq = 1; } ); } );\n",
		     ":3: workers.[0].queues.[0].rxq: unknown key");
}

static void error_wrong_type(void)
{
	EXPECT_ERROR("ports = (\n"
		     "  { name = \"p0\"; device = \"net_null0\"; mtu = \"1500\";\n"
		     "    addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0].mtu: must be an integer");
	EXPECT_ERROR("agent_socket = 5;\n" GOOD_PORT GOOD_WORKER,
		     ":1: agent_socket: must be a string");
	EXPECT_ERROR("agent_socket = \"/run/x/a.sock\";\npunt_socket = \"/run/x/a.sock\";\n" GOOD_PORT GOOD_WORKER,
		     ":2: punt_socket: must not be agent_socket");
	EXPECT_ERROR("mbufs = 8191.0;\n" GOOD_PORT GOOD_WORKER,
		     ":1: mbufs: must be an integer");
	EXPECT_ERROR("ports = { name = \"p0\"; };\n" GOOD_WORKER,
		     ":1: ports: must be a list of groups: ( { ... }, ... )");
	EXPECT_ERROR("ports = ( \"p0\" );\n" GOOD_WORKER,
		     ":1: ports.[0]: must be a group: { ... }");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = \"10.0.0.1/24\"; } );\n" GOOD_WORKER,
		     ":2: ports.[0].addresses: must be an array of strings, e.g. [ \"10.0.0.1/24\" ]");
}

static void error_out_of_range(void)
{
	EXPECT_ERROR("ports = (\n"
		     "  { name = \"p0\"; device = \"net_null0\";\n"
		     "    mtu = 67;\n"
		     "    addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER,
		     ":3: ports.[0].mtu: must be between 68 and 9600");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\"; mtu = 9601;\n"
		     "  addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER,
		     ":1: ports.[0].mtu: must be between 68 and 9600");
	EXPECT_ERROR("handoff_ring = 1000;\n" GOOD_PORT GOOD_WORKER,
		     ":1: handoff_ring: must be a power of two");
	EXPECT_ERROR("\nreplay_window = 32769;\n" GOOD_PORT GOOD_WORKER,
		     ":2: replay_window: must be between 64 and 32767");
	/* a 64-bit literal is read whole */
	EXPECT_ERROR("mbufs = 4294975487L;\n" GOOD_PORT GOOD_WORKER,
		     ":1: mbufs: must be between 1023 and 4194303");
}

static void error_missing_required(void)
{
	EXPECT_ERROR("ports = (\n"
		     "  { device = \"net_null0\"; addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0].name: is required");
	EXPECT_ERROR(GOOD_PORT, ": workers: is required");
	EXPECT_ERROR("ports = ( );\n" GOOD_WORKER,
		     ":1: ports: at least one port is required");
}

static void error_bad_address(void)
{
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\",\n"
		     "                \"10.0.0.300/24\" ]; } );\n" GOOD_WORKER,
		     ":3: ports.[0].addresses.[1]: \"10.0.0.300/24\": not an address with a prefix "
		     "length (e.g. \"10.0.0.1/24\" or \"fd00::1/64\")");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/33\" ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0].addresses.[0]: \"10.0.0.1/33\": prefix length must be between 1 and 32");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"fd00::1/0\" ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0].addresses.[0]: \"fd00::1/0\": prefix length must be between 1 and 128");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"224.0.0.1/4\" ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0].addresses.[0]: \"224.0.0.1/4\": not a unicast address");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0].addresses: at least one address is required");
}

static void error_missing_prefix_length(void)
{
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1\" ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0].addresses.[0]: \"10.0.0.1\": prefix length missing "
		     "(e.g. \"10.0.0.1/24\")");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\", \"fd00::1/\" ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0].addresses.[1]: \"fd00::1/\": prefix length must be between 1 and 128");
}

static void error_duplicate_port_name(void)
{
	EXPECT_ERROR("ports = (\n"
		     "  { name = \"p0\"; device = \"net_null0\"; addresses = [ \"10.0.0.1/24\" ]; },\n"
		     "  { name = \"p0\"; device = \"net_null1\"; addresses = [ \"10.0.1.1/24\" ]; }\n"
		     ");\n" GOOD_WORKER,
		     ":3: ports.[1].name: duplicate port name \"p0\" (also ports.[0])");
	EXPECT_ERROR("ports = (\n"
		     "  { name = \"p0\"; device = \"net_null0\"; addresses = [ \"10.0.0.1/24\" ]; },\n"
		     "  { name = \"p1\"; device = \"net_null0\"; addresses = [ \"10.0.1.1/24\" ]; }\n"
		     ");\n" GOOD_WORKER,
		     ":3: ports.[1].device: device \"net_null0\" is already used by ports.[0]");
	EXPECT_ERROR("ports = ( { name = \"WAN\"; device = \"net_null0\"; addresses = [ \"10.0.0.1/24\" ]; } );\n"
		     GOOD_WORKER,
		     ":1: ports.[0].name: \"WAN\": must be 1 to 31 characters of a-z, 0-9, '_' and '-'");
}

static void error_duplicate_address(void)
{
	EXPECT_ERROR("ports = (\n"
		     "  { name = \"p0\"; device = \"net_null0\"; addresses = [ \"fd00::1/64\" ]; },\n"
		     "  { name = \"p1\"; device = \"net_null1\";\n"
		     "    addresses = [ \"10.0.1.1/24\", \"fd00:0::0:1/112\" ]; }\n"
		     ");\n" GOOD_WORKER,
		     ":4: ports.[1].addresses.[1]: duplicate address fd00::1 (also ports.[0].addresses.[0])");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\", \"10.0.0.1/16\" ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0].addresses.[1]: duplicate address 10.0.0.1 (also ports.[0].addresses.[0])");
}

static void error_gateway4_outside_prefixes(void)
{
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\", \"fd00::1/64\" ];\n"
		     "  gateway4 = \"10.0.1.254\"; } );\n" GOOD_WORKER,
		     ":3: ports.[0].gateway4: 10.0.1.254 is not in any of the port's IPv4 prefixes");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\" ];\n"
		     "  gateway4 = \"fd00::fe\"; } );\n" GOOD_WORKER,
		     ":3: ports.[0].gateway4: \"fd00::fe\" is not an IPv4 address (no prefix length)");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\" ];\n"
		     "  gateway6 = \"10.0.0.254\"; } );\n" GOOD_WORKER,
		     ":3: ports.[0].gateway6: \"10.0.0.254\" is not an IPv6 address (no prefix length)");
}

static void error_bad_mac(void)
{
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\" ];\n"
		     "  neighbours = ( { ip = \"10.0.0.2\"; mac = \"02:00:00:00:00:02\"; },\n"
		     "                 { ip = \"10.0.0.3\"; mac = \"02:00:00:00:00\"; } ); } );\n"
		     GOOD_WORKER,
		     ":4: ports.[0].neighbours.[1].mac: \"02:00:00:00:00\": not a MAC address "
		     "(e.g. \"02:00:00:00:00:01\")");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\" ];\n"
		     "  neighbours = ( { ip = \"10.0.0.2\";\n"
		     "                   mac = \"01:00:5e:00:00:01\"; } ); } );\n" GOOD_WORKER,
		     ":4: ports.[0].neighbours.[0].mac: \"01:00:5e:00:00:01\": multicast or broadcast "
		     "MAC address (must be unicast)");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\" ];\n"
		     "  neighbours = ( { ip = \"10.0.0.2\"; mac = \"00:00:00:00:00:00\"; } ); } );\n"
		     GOOD_WORKER,
		     ":3: ports.[0].neighbours.[0].mac: \"00:00:00:00:00:00\": all-zero MAC address");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\" ];\n"
		     "  neighbours = ( { ip = \"10.0.0.2\"; } ); } );\n" GOOD_WORKER,
		     ":3: ports.[0].neighbours.[0].mac: is required");
	/* the port's own */
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\" ];\n"
		     "  mac = \"ff:ff:ff:ff:ff:ff\"; } );\n" GOOD_WORKER,
		     ":3: ports.[0].mac: \"ff:ff:ff:ff:ff:ff\": multicast or broadcast "
		     "MAC address (must be unicast)");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\"; mac = \"02-00-00-00-00-01\";\n"
		     "  addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER,
		     ":1: ports.[0].mac: \"02-00-00-00-00-01\": not a MAC address "
		     "(e.g. \"02:00:00:00:00:01\")");
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\"; mac = 1;\n"
		     "  addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER,
		     ":1: ports.[0].mac: must be a string");
}

static void error_queue_not_polled(void)
{
	EXPECT_ERROR("ports = (\n"
		     "  { name = \"p0\"; device = \"net_null0\"; rx_queues = 2;\n"
		     "    addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER,
		     ":2: ports.[0]: port \"p0\" RX queue 1 is not polled by any worker");
}

static void error_queue_polled_twice(void)
{
	EXPECT_ERROR(GOOD_PORT
		     "workers = (\n"
		     "  { lcore = 1; queues = ( { port = \"p0\"; queue = 0; } ); },\n"
		     "  { lcore = 2;\n"
		     "    queues = ( { port = \"p0\"; queue = 0; } ); }\n"
		     ");\n",
		     ":5: workers.[1].queues.[0]: port \"p0\" queue 0 is already polled by workers.[0]");
}

static void error_queue_index_too_big(void)
{
	EXPECT_ERROR(GOOD_PORT
		     "workers = ( { lcore = 1; queues = ( { port = \"p0\"; queue = 0; },\n"
		     "                                    { port = \"p0\"; queue = 1; } ); } );\n",
		     ":3: workers.[0].queues.[1].queue: port \"p0\" has no RX queue 1 (rx_queues = 1)");
}

static void error_unknown_port_in_worker(void)
{
	EXPECT_ERROR(GOOD_PORT
		     "workers = ( { lcore = 1; queues = ( { port = \"p0\"; queue = 0; },\n"
		     "                                    { port = \"p1\"; queue = 0; } ); } );\n",
		     ":3: workers.[0].queues.[1].port: no port is named \"p1\"");
}

static void error_duplicate_lcore(void)
{
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\"; rx_queues = 2;\n"
		     "  addresses = [ \"10.0.0.1/24\" ]; } );\n"
		     "workers = (\n"
		     "  { lcore = 1; queues = ( { port = \"p0\"; queue = 0; } ); },\n"
		     "  { lcore = 1; queues = ( { port = \"p0\"; queue = 1; } ); }\n"
		     ");\n",
		     ":5: workers.[1].lcore: lcore 1 is already used by workers.[0]");
}

static void error_tx_queues_below_workers(void)
{
	EXPECT_ERROR("ports = ( { name = \"p0\"; device = \"net_null0\"; rx_queues = 2;\n"
		     "  tx_queues = 2;\n"
		     "  addresses = [ \"10.0.0.1/24\" ]; } );\n"
		     "workers = (\n"
		     "  { lcore = 1; queues = ( { port = \"p0\"; queue = 0; } ); },\n"
		     "  { lcore = 2; queues = ( { port = \"p0\"; queue = 1; } ); }\n"
		     ");\n",
		     ":2: ports.[0].tx_queues: must be at least the number of workers + 1 (3)");
}

static void error_missing_file(void)
{
	char path[160], want[256];

	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
	CHECK_EQ(sgw_config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
	CHECK_STREQ(err, want);
	/* a directory is refused before libconfig sees it */
	CHECK_EQ(sgw_config_load(tmpdir, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot open: Is a directory", tmpdir);
	CHECK_STREQ(err, want);
}

static void error_buffer_truncation(void)
{
	char small[12];

	memset(small, 'x', sizeof(small));
	CHECK_EQ(sgw_config_load(write_conf("mbufs = 1;\n" GOOD_PORT GOOD_WORKER), &cfg,
				 small, sizeof(small)), -1);
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	CHECK_EQ(strlen(small), sizeof(small) - 1);
	CHECK(strncmp(small, conf_path, sizeof(small) - 1) == 0);
	/* no buffer at all is allowed */
	CHECK_EQ(sgw_config_load(conf_path, &cfg, NULL, 0), -1);
	CHECK_EQ(sgw_config_load(conf_path, &cfg, small, 0), -1);
	CHECK_EQ(small[0], conf_path[0]);
	/* strings from the file cannot break the line */
	EXPECT_ERROR("ports = ( { name = \"a\\nb\"; device = \"net_null0\";\n"
		     "  addresses = [ \"10.0.0.1/24\" ]; } );\n" GOOD_WORKER,
		     ":1: ports.[0].name: \"a?b\": must be 1 to 31 characters of a-z, 0-9, '_' and '-'");
}

static void include_relative_to_file(void)
{
	char inc[160];
	FILE *fp;

	snprintf(inc, sizeof(inc), "%s/workers.inc", tmpdir);
	fp = fopen(inc, "w");
	if (fp == NULL) {
		perror(inc);
		exit(1);
	}
	fputs(GOOD_WORKER, fp);
	fclose(fp);
	/* the include is found next to the file, not in the working directory */
	CHECK_EQ(load_text(GOOD_PORT "@include \"workers.inc\"\n"), 0);
	CHECK_EQ(cfg.n_workers, 1);
	unlink(inc);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sgw-test-config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(full_valid_config);
	RUN(minimal_config_defaults);
	RUN(agent_and_identity_keys);
	RUN(error_agent_and_identity_keys);
	RUN(punt_socket_key);
	RUN(crypto_key);
	RUN(heap_hugepages_key);
	RUN(example_file_loads);
	RUN(error_syntax);
	RUN(error_unknown_top_level_key);
	RUN(error_unknown_port_key);
	RUN(error_wrong_type);
	RUN(error_out_of_range);
	RUN(error_missing_required);
	RUN(error_bad_address);
	RUN(error_missing_prefix_length);
	RUN(error_duplicate_port_name);
	RUN(error_duplicate_address);
	RUN(error_gateway4_outside_prefixes);
	RUN(error_bad_mac);
	RUN(error_queue_not_polled);
	RUN(error_queue_polled_twice);
	RUN(error_queue_index_too_big);
	RUN(error_unknown_port_in_worker);
	RUN(error_duplicate_lcore);
	RUN(error_tx_queues_below_workers);
	RUN(error_missing_file);
	RUN(error_buffer_truncation);
	RUN(include_relative_to_file);
	unlink(conf_path);
	if (rmdir(tmpdir) != 0)
		perror(tmpdir);
	return CHECK_DONE();
}
