/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_load(), srtpgw-control's configuration: every key with a
 * valid value, the defaults, the shipped example, and the bad values of
 * each key with the exact message (file, line, key). Files are written to
 * a mkdtemp() directory.
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/suite.h"
#include "control/daemon/config.h"
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
static struct ctl_config cfg; /* large: not on the stack */
static char err[512];

#define LISTEN "listen_addresses = [ \"10.0.0.1\" ];\n"

static const char *write_conf(const char *text)
{
	FILE *fp;

	snprintf(conf_path, sizeof(conf_path), "%s/control.conf", tmpdir);
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
	err[sizeof(err) - 1] = '\0';
	return ctl_config_load(write_conf(text), &cfg, err, sizeof(err));
}

/* Loading text must fail with "<path><rest>" exactly. */
#define EXPECT_ERROR(text, rest)                                               \
	do {                                                                   \
		char _want[512];                                               \
		int _rc = load_text(text);                                     \
		snprintf(_want, sizeof(_want), "%s%s", conf_path, rest);       \
		CHECK_EQ(_rc, -1);                                             \
		CHECK_STREQ(err, _want);                                       \
	} while (0)

static void every_key(void)
{
	static const char text[] =
		"socket = \"/run/sgw-test/control.sock\";\n"            /* 1 */
		"socket_group = \"root\";\n"
		"database = \"/var/lib/sgw-test/control.db\";\n"
		"kek_file = \"/etc/sgw-test/kek\";\n"
		"agent_socket = \"/run/sgw-test/agent.sock\";\n"        /* 5 */
		"listen_addresses = [ \"10.0.0.1\", \"fd00::1\" ];\n"
		"port_range = [ 30000, 30999 ];\n"
		"quarantine = 5;\n"
		"rekey_overlap = 0;\n"
		"idle_timeout = 0;\n"                                   /* 10 */
		"retry = 250;\n"
		"position_poll = 0;\n"
		"default_suite = \"AEAD_AES_128_GCM\";\n"
		"principals = (\n"
		"  { uid = 1001; principal = \"alice\"; },\n"            /* 15 */
		"  { user = \"root\"; principal = \"admin\"; },\n"
		"  { gid = 2000; principal = \"bob.b-2_x\"; },\n"
		"  { group = \"root\"; principal = \"admin\"; },\n"
		"  { subject = \"CN=ops1,O=Example\"; principal = \"admin\"; },\n"
		"  { cn = \"app\"; principal = \"alice\"; }\n"           /* 20 */
		");\n"
		"user = \"root\";\n"
		"group = \"root\";\n"
		"tls_listen = \"[::1]:7443\";\n"
		"tls_cert = \"/etc/sgw-test/server.pem\";\n"            /* 25 */
		"tls_key = \"/etc/sgw-test/server.key\";\n"
		"tls_ca = \"/etc/sgw-test/ca.pem\";\n";

	CHECK_EQ(load_text(text), 0);
	CHECK_STREQ(cfg.socket, "/run/sgw-test/control.sock");
	CHECK_STREQ(cfg.socket_group, "root");
	CHECK_STREQ(cfg.database, "/var/lib/sgw-test/control.db");
	CHECK_STREQ(cfg.agent_socket, "/run/sgw-test/agent.sock");
	CHECK_EQ(cfg.n_listen, 2);
	CHECK_EQ(cfg.port_min, 30000);
	CHECK_EQ(cfg.port_max, 30999);
	CHECK_EQ(cfg.quarantine_s, 5);
	CHECK_EQ(cfg.retry_ms, 250);
	CHECK_EQ(cfg.default_suite, SGW_SUITE_AEAD_AES_128_GCM);
	CHECK_EQ(cfg.n_maps, 6);
	CHECK_EQ(cfg.maps[0].kind, CTL_MAP_UID);
	CHECK_EQ(cfg.maps[0].id, 1001);
	CHECK_STREQ(cfg.maps[0].principal, "alice");
	CHECK_EQ(cfg.maps[1].kind, CTL_MAP_UID);
	CHECK_EQ(cfg.maps[1].id, 0);
	CHECK_STREQ(cfg.maps[1].principal, "admin");
	CHECK_EQ(cfg.maps[2].kind, CTL_MAP_GID);
	CHECK_EQ(cfg.maps[2].id, 2000);
	CHECK_STREQ(cfg.maps[2].principal, "bob.b-2_x");
	CHECK_EQ(cfg.maps[3].kind, CTL_MAP_GID);
	CHECK_EQ(cfg.maps[3].id, 0);
	CHECK_EQ(cfg.maps[4].kind, CTL_MAP_SUBJECT);
	CHECK_STREQ(cfg.maps[4].text, "CN=ops1,O=Example");
	CHECK_EQ(cfg.maps[5].kind, CTL_MAP_CN);
	CHECK_STREQ(cfg.maps[5].text, "app");
	CHECK(cfg.drop);
	CHECK_EQ(cfg.uid, 0);
	CHECK_EQ(cfg.gid, 0);
	CHECK(cfg.tls);
	CHECK_EQ(cfg.tls_listen.addr.family, SGW_AF_INET6);
	CHECK_EQ(cfg.tls_listen.port, 7443);
	CHECK_STREQ(cfg.tls_cert, "/etc/sgw-test/server.pem");
	CHECK_STREQ(cfg.tls_key, "/etc/sgw-test/server.key");
	CHECK_STREQ(cfg.tls_ca, "/etc/sgw-test/ca.pem");
}

static void defaults(void)
{
	CHECK_EQ(load_text(LISTEN), 0);
	CHECK_STREQ(cfg.socket, "/run/srtpgw/control.sock");
	CHECK_STREQ(cfg.socket_group, "");
	CHECK_STREQ(cfg.database, "/var/lib/srtpgw/control.db");
	CHECK_STREQ(cfg.kek_file, "/etc/srtpgw/kek");
	CHECK_STREQ(cfg.agent_socket, "/run/srtpgw/agent.sock");
	CHECK_EQ(cfg.port_min, 20000);
	CHECK_EQ(cfg.port_max, 29999);
	CHECK_EQ(cfg.quarantine_s, 60);
	CHECK_EQ(cfg.rekey_overlap_s, 30);
	CHECK_EQ(cfg.idle_timeout_s, 30);
	CHECK_EQ(cfg.retry_ms, 1000);
	CHECK_EQ(cfg.position_poll_s, 10);
	CHECK_EQ(cfg.default_suite, SGW_SUITE_AES_CM_128_HMAC_SHA1_80);
	CHECK_EQ(cfg.n_maps, 0);
	CHECK(!cfg.drop);
	CHECK(!cfg.tls);
	CHECK(!cfg.http);
}

/* The HTTPS API's keys: every one, then the defaults with http_listen. */
static void http_keys(void)
{
	static const char text[] =
		LISTEN
		"http_listen = \"[::1]:8443\";\n"
		"http_names = [ \"gw.example.net\", \"192.0.2.7\", \"fd00::7\" ];\n"
		"http_cors_origins = [ \"https://app.example.net\", \"http://localhost:8080\",\n"
		"  \"https://[fd00::1]:444\" ];\n"
		"http_max_body = 1024;\n"
		"http_max_conns = 1000;\n"
		"http_max_sessions = 0;\n"
		"http_timeout = 300;\n";

	CHECK_EQ(load_text(text), 0);
	CHECK(cfg.http);
	CHECK_EQ(cfg.http_listen.addr.family, SGW_AF_INET6);
	CHECK_EQ(cfg.http_listen.port, 8443);
	CHECK_STREQ(cfg.http_cert, "");
	CHECK_EQ(cfg.n_http_names, 3);
	CHECK_STREQ(cfg.http_names[0], "gw.example.net");
	CHECK_STREQ(cfg.http_names[2], "fd00::7");
	CHECK_EQ(cfg.n_cors_origins, 3);
	CHECK_STREQ(cfg.cors_origins[1], "http://localhost:8080");
	CHECK_STREQ(cfg.cors_origins[2], "https://[fd00::1]:444");
	CHECK_EQ(cfg.http_max_body, 1024);
	CHECK_EQ(cfg.http_max_conns, 1000);
	CHECK_EQ(cfg.http_max_sessions, 0);
	CHECK_EQ(cfg.http_timeout_s, 300);

	CHECK_EQ(load_text(LISTEN "http_listen = \"127.0.0.1:8443\";\n"
			   "http_cert = \"/etc/sgw-test/http.pem\";\nhttp_key = \"/etc/sgw-test/http.key\";\n"
			   "http_cors_origins = [ \"*\" ];\n"), 0);
	CHECK(cfg.http);
	CHECK_EQ(cfg.http_listen.addr.family, SGW_AF_INET);
	CHECK_STREQ(cfg.http_cert, "/etc/sgw-test/http.pem");
	CHECK_STREQ(cfg.http_key, "/etc/sgw-test/http.key");
	CHECK_EQ(cfg.n_cors_origins, 0); /* any origin */
	CHECK_EQ(cfg.n_http_names, 0);
	CHECK_EQ(cfg.http_max_body, 65536);
	CHECK_EQ(cfg.http_max_conns, 64);
	CHECK_EQ(cfg.http_max_sessions, 100);
	CHECK_EQ(cfg.http_timeout_s, 10);
}

/* A user without group runs with the user's own group. */
static void user_without_group(void)
{
	struct passwd *pw = getpwnam("nobody");

	CHECK(pw != NULL);
	if (pw == NULL)
		return;
	CHECK_EQ(load_text(LISTEN "user = \"nobody\";\n"), 0);
	CHECK(cfg.drop);
	CHECK_EQ(cfg.uid, pw->pw_uid);
	CHECK_EQ(cfg.gid, pw->pw_gid);
}

static void example_file_loads(void)
{
	CHECK_EQ(ctl_config_load("../../docs/control.conf.example", &cfg, err, sizeof(err)), 0);
	if (err[0] != '\0' && cfg.n_listen == 0)
		fprintf(stderr, "%s\n", err);
	/* the example keeps its sockets out of world-writable /tmp */
	CHECK(strncmp(cfg.socket, "/tmp/", 5) != 0);
	CHECK(strncmp(cfg.agent_socket, "/tmp/", 5) != 0);
}

static void errors_of_earlier_keys(void)
{
	EXPECT_ERROR(LISTEN "sockets = \"/x\";\n", ":2: sockets: unknown key");
	EXPECT_ERROR(LISTEN "socket = 5;\n", ":2: socket: must be a string");
	EXPECT_ERROR(LISTEN "socket = \"\";\n", ":2: socket: must be 1 to 107 characters");
	EXPECT_ERROR(LISTEN "quarantine = \"60\";\n", ":2: quarantine: must be an integer");
	EXPECT_ERROR(LISTEN "retry = 5;\n", ":2: retry: must be between 10 and 60000");
	EXPECT_ERROR(LISTEN "position_poll = 3601;\n", ":2: position_poll: must be between 0 and 3600");
	EXPECT_ERROR("quarantine = 1;\n",
		     ": listen_addresses: needs 1 to 64 gateway addresses streams may listen on");
	EXPECT_ERROR("listen_addresses = [ \"10.0.0.300\" ];\n",
		     ":1: listen_addresses: element 0 is not an IPv4 or IPv6 address");
	EXPECT_ERROR(LISTEN "port_range = [ 100, 200 ];\n",
		     ":2: port_range: must lie in 1024..65534, first <= last");
	EXPECT_ERROR(LISTEN "default_suite = \"plain\";\n",
		     ":2: default_suite: must be one of AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, "
		     "AEAD_AES_128_GCM, AEAD_AES_256_GCM");
}

static void errors_of_principals(void)
{
	EXPECT_ERROR(LISTEN "principals = { uid = 1; principal = \"a\"; };\n",
		     ":2: principals: must be a list of up to 64 groups: ( { uid = 1000; principal = \"alice\"; }, ... )");
	EXPECT_ERROR(LISTEN "principals = ( 5 );\n",
		     ":2: principals.[0]: must be a group: { uid = 1000; principal = \"alice\"; }");
	EXPECT_ERROR(LISTEN "principals = ( { principal = \"a\"; } );\n",
		     ":2: principals.[0]: needs one of uid, user, gid, group, subject, cn");
	EXPECT_ERROR(LISTEN "principals = ( { uid = 1; gid = 2; principal = \"a\"; } );\n",
		     ":2: principals.[0]: has uid and gid: one of uid, user, gid, group, subject, cn");
	EXPECT_ERROR(LISTEN "principals = ( { uid = 1; } );\n", ":2: principals.[0].principal: missing");
	EXPECT_ERROR(LISTEN "principals = ( { uid = 1; principal = \"a b\"; } );\n",
		     ":2: principals.[0].principal: must be \"admin\" or an owner's name (1 to 63 of A-Z a-z 0-9 _ . -)");
	EXPECT_ERROR(LISTEN "principals = ( { uid = 1; principal = 7; } );\n",
		     ":2: principals.[0].principal: must be \"admin\" or an owner's name (1 to 63 of A-Z a-z 0-9 _ . -)");
	EXPECT_ERROR(LISTEN "principals = ( { uid = 1; principal = \"a\"; },\n { uid = 2; prinicpal = \"b\"; } );\n",
		     ":3: principals.[1].prinicpal: unknown key");
	EXPECT_ERROR(LISTEN "principals = ( { uid = -1; principal = \"a\"; } );\n",
		     ":2: principals.[0].uid: must be between 0 and 4294967294");
	EXPECT_ERROR(LISTEN "principals = ( { gid = \"100\"; principal = \"a\"; } );\n",
		     ":2: principals.[0].gid: must be an integer");
	EXPECT_ERROR(LISTEN "principals = ( { user = \"no-such-user-sgw\"; principal = \"a\"; } );\n",
		     ":2: principals.[0].user: no user \"no-such-user-sgw\"");
	EXPECT_ERROR(LISTEN "principals = ( { group = \"no-such-group-sgw\"; principal = \"a\"; } );\n",
		     ":2: principals.[0].group: no group \"no-such-group-sgw\"");
	EXPECT_ERROR(LISTEN "principals = ( { cn = \"\"; principal = \"a\"; } );\n",
		     ":2: principals.[0].cn: must be 1 to 255 characters");
	EXPECT_ERROR(LISTEN "principals = ( { subject = 1; principal = \"a\"; } );\n",
		     ":2: principals.[0].subject: must be a string");
	/* the same uid twice (once by name) */
	EXPECT_ERROR(LISTEN "principals = ( { uid = 0; principal = \"a\"; },\n { user = \"root\"; principal = \"b\"; } );\n",
		     ":3: principals.[1]: maps what principals.[0] maps already");
}

static void errors_of_user_and_tls(void)
{
	EXPECT_ERROR(LISTEN "user = \"no-such-user-sgw\";\n", ":2: user: no user \"no-such-user-sgw\"");
	EXPECT_ERROR(LISTEN "group = \"root\";\n", ":2: group: only with user");
	EXPECT_ERROR(LISTEN "user = \"root\";\ngroup = \"no-such-group-sgw\";\n",
		     ":3: group: no group \"no-such-group-sgw\"");
	EXPECT_ERROR(LISTEN "user = 0;\n", ":2: user: must be a string");
	EXPECT_ERROR(LISTEN "tls_listen = \"127.0.0.1:7443\";\n",
		     ": tls_cert: missing: remote administration needs tls_listen, tls_cert, tls_key and tls_ca");
	EXPECT_ERROR(LISTEN "tls_cert = \"/c\";\ntls_key = \"/k\";\ntls_ca = \"/a\";\n",
		     ": tls_listen: missing: remote administration needs tls_listen, tls_cert, tls_key and tls_ca");
	EXPECT_ERROR(LISTEN "tls_listen = \"localhost:7443\";\ntls_cert = \"/c\";\ntls_key = \"/k\";\ntls_ca = \"/a\";\n",
		     ":2: tls_listen: must be ADDR:PORT or [ADDR6]:PORT");
	EXPECT_ERROR(LISTEN "tls_listen = \"127.0.0.1\";\ntls_cert = \"/c\";\ntls_key = \"/k\";\ntls_ca = \"/a\";\n",
		     ":2: tls_listen: must be ADDR:PORT or [ADDR6]:PORT");
	EXPECT_ERROR(LISTEN "tls_listen = \"127.0.0.1:7443\";\ntls_cert = \"\";\ntls_key = \"/k\";\ntls_ca = \"/a\";\n",
		     ":3: tls_cert: must be 1 to 4095 characters");
}

static void errors_of_http(void)
{
#define HTTP LISTEN "http_listen = \"127.0.0.1:8443\";\n"
	EXPECT_ERROR(LISTEN "http_max_body = 2048;\n", ":2: http_max_body: only with http_listen");
	EXPECT_ERROR(LISTEN "http_names = [ \"a\" ];\n", ":2: http_names: only with http_listen");
	EXPECT_ERROR(LISTEN "http_listen = \"localhost:8443\";\n", ":2: http_listen: must be ADDR:PORT or [ADDR6]:PORT");
	EXPECT_ERROR(LISTEN "http_listen = \"127.0.0.1\";\n", ":2: http_listen: must be ADDR:PORT or [ADDR6]:PORT");
	EXPECT_ERROR(LISTEN "http_listen = 8443;\n", ":2: http_listen: must be a string");
	EXPECT_ERROR(HTTP "http_cert = \"/c\";\n",
		     ": http_key: missing: give http_cert and http_key, or neither for a self-signed certificate");
	EXPECT_ERROR(HTTP "http_key = \"/k\";\n",
		     ": http_cert: missing: give http_cert and http_key, or neither for a self-signed certificate");
	EXPECT_ERROR(HTTP "http_cert = \"/c\";\nhttp_key = \"/k\";\nhttp_names = [ \"a.example\" ];\n",
		     ":5: http_names: only for the self-signed certificate (not with http_cert)");
	EXPECT_ERROR(HTTP "http_plain = true;\n", ":3: http_plain: unknown key");
	EXPECT_ERROR(HTTP "http_max_body = 1023;\n", ":3: http_max_body: must be between 1024 and 1048576");
	EXPECT_ERROR(HTTP "http_max_body = 1048577;\n", ":3: http_max_body: must be between 1024 and 1048576");
	EXPECT_ERROR(HTTP "http_max_conns = 0;\n", ":3: http_max_conns: must be between 1 and 1000");
	EXPECT_ERROR(HTTP "http_max_sessions = -1;\n", ":3: http_max_sessions: must be between 0 and 100000");
	EXPECT_ERROR(HTTP "http_timeout = 0;\n", ":3: http_timeout: must be between 1 and 300");
	EXPECT_ERROR(HTTP "http_timeout = \"10\";\n", ":3: http_timeout: must be an integer");
	EXPECT_ERROR(HTTP "http_names = \"a.example\";\n", ":3: http_names: must be a list of 1 to 8 strings");
	EXPECT_ERROR(HTTP "http_names = [ ];\n", ":3: http_names: must be a list of 1 to 8 strings");
	EXPECT_ERROR(HTTP "http_names = [ \"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\" ];\n",
		     ":3: http_names: must be a list of 1 to 8 strings");
	EXPECT_ERROR(HTTP "http_names = ( \"a\", 5 );\n", ":3: http_names: element 1 is not a string");
	EXPECT_ERROR(HTTP "http_names = [ \"a_b.example\" ];\n",
		     ":3: http_names: element 0 \"a_b.example\" is not a DNS name or an IP address");
	EXPECT_ERROR(HTTP "http_names = [ \"-a.example\" ];\n",
		     ":3: http_names: element 0 \"-a.example\" is not a DNS name or an IP address");
	EXPECT_ERROR(HTTP "http_names = [ \"a..example\" ];\n",
		     ":3: http_names: element 0 \"a..example\" is not a DNS name or an IP address");
	EXPECT_ERROR(HTTP "http_cors_origins = [ \"*\", \"https://a.example\" ];\n",
		     ":3: http_cors_origins: \"*\" (any origin) goes alone");
	EXPECT_ERROR(HTTP "http_cors_origins = [ \"https://a.example/\" ];\n",
		     ":3: http_cors_origins: element 0 \"https://a.example/\" is not \"*\" or an origin (http:// or "
		     "https://, a host, an optional :port, no path)");
	EXPECT_ERROR(HTTP "http_cors_origins = [ \"https://a.example\", \"a.example\" ];\n",
		     ":3: http_cors_origins: element 1 \"a.example\" is not \"*\" or an origin (http:// or "
		     "https://, a host, an optional :port, no path)");
	EXPECT_ERROR(HTTP "http_cors_origins = [ \"ftp://a.example\" ];\n",
		     ":3: http_cors_origins: element 0 \"ftp://a.example\" is not \"*\" or an origin (http:// or "
		     "https://, a host, an optional :port, no path)");
	EXPECT_ERROR(HTTP "http_cors_origins = [ \"https://a.example:0\" ];\n",
		     ":3: http_cors_origins: element 0 \"https://a.example:0\" is not \"*\" or an origin (http:// or "
		     "https://, a host, an optional :port, no path)");
	EXPECT_ERROR(HTTP "http_cors_origins = [ \"https://[10.0.0.1]\" ];\n",
		     ":3: http_cors_origins: element 0 \"https://[10.0.0.1]\" is not \"*\" or an origin (http:// or "
		     "https://, a host, an optional :port, no path)");
#undef HTTP
}

static void fleet_keys(void)
{
	CHECK_EQ(load_text(LISTEN), 0);
	CHECK(!cfg.fleet);
	CHECK_EQ(load_text(LISTEN "store = \"sqlite\";\n"), 0);
	CHECK(!cfg.fleet);
	CHECK_EQ(load_text(LISTEN "store = \"etcd\";\n"
			   "etcd_endpoints = [ \"http://127.0.0.1:23790\", \"http://127.0.0.1:23791\" ];\n"
			   "fleet_gateway = \"gw-1\";\n"), 0);
	CHECK(cfg.fleet);
	CHECK_STREQ(cfg.etcd_endpoints, "http://127.0.0.1:23790,http://127.0.0.1:23791");
	CHECK_STREQ(cfg.etcd_prefix, "/srtpgw/");
	CHECK_EQ(cfg.etcd_timeout_ms, 1000);
	CHECK_STREQ(cfg.fleet_gateway, "gw-1");
	CHECK_EQ(cfg.fleet_lease_ttl_s, 2);
	CHECK_EQ(load_text(LISTEN "store = \"etcd\";\netcd_endpoints = [ \"https://etcd.example:2379\" ];\n"
			   "fleet_gateway = \"a\";\netcd_prefix = \"/srtpgw/edge1/\";\netcd_timeout = 250;\n"
			   "fleet_lease_ttl = 1;\n"), 0);
	CHECK_EQ(cfg.fleet_lease_ttl_s, 1);
	CHECK_STREQ(cfg.etcd_prefix, "/srtpgw/edge1/");
	CHECK_EQ(cfg.etcd_timeout_ms, 250);
	/* the service addresses' port; a smaller reservation block, unless
	 * one is given */
	CHECK_EQ(cfg.fleet_service_port, 0);
	CHECK_EQ(cfg.reserve_block, 2048);
	CHECK_EQ(load_text(LISTEN "store = \"etcd\";\netcd_endpoints = [ \"http://e:2379\" ];\n"
			   "fleet_gateway = \"a\";\nfleet_service_port = 2;\nreserve_block = 8192;\n"), 0);
	CHECK_EQ(cfg.fleet_service_port, 2);
	CHECK_EQ(cfg.reserve_block, 8192);
	CHECK_EQ(load_text(LISTEN), 0);
	CHECK_EQ(cfg.reserve_block, 8192);
}

static void errors_of_fleet(void)
{
#define ETCD LISTEN "store = \"etcd\";\n"
#define EP "etcd_endpoints = [ \"http://127.0.0.1:2379\" ];\n"
	EXPECT_ERROR(LISTEN "store = \"postgres\";\n",
		     ":2: store: must be \"sqlite\" (one machine) or \"etcd\" (a fleet)");
	EXPECT_ERROR(LISTEN "fleet_gateway = \"a\";\n", ":2: fleet_gateway: only with store = \"etcd\"");
	EXPECT_ERROR(LISTEN "store = \"sqlite\";\n" EP, ":3: etcd_endpoints: only with store = \"etcd\"");
	EXPECT_ERROR(ETCD "fleet_gateway = \"a\";\n",
		     ": etcd_endpoints: missing: the etcd members' client URLs (with store = \"etcd\")");
	EXPECT_ERROR(ETCD EP, ": fleet_gateway: missing");
	EXPECT_ERROR(ETCD "etcd_endpoints = [ \"127.0.0.1:2379\" ];\nfleet_gateway = \"a\";\n",
		     ":3: etcd_endpoints: element 0 \"127.0.0.1:2379\" is not an http:// or https:// URL");
	EXPECT_ERROR(ETCD EP "fleet_gateway = \"a b\";\n",
		     ":4: fleet_gateway: must be 1 to 63 letters, digits, '_', '.' or '-'");
	EXPECT_ERROR(ETCD EP "fleet_gateway = \"admin\";\n",
		     ":4: fleet_gateway: must be 1 to 63 letters, digits, '_', '.' or '-'");
	EXPECT_ERROR(ETCD EP "fleet_gateway = \"a\";\netcd_prefix = \"srtpgw\";\n",
		     ":5: etcd_prefix: must start and end with '/' (\"/srtpgw/edge1/\")");
	EXPECT_ERROR(ETCD EP "fleet_gateway = \"a\";\netcd_timeout = 50;\n",
		     ":5: etcd_timeout: must be between 100 and 60000");
	EXPECT_ERROR(ETCD EP "fleet_gateway = \"a\";\nfleet_lease_ttl = 0;\n",
		     ":5: fleet_lease_ttl: must be between 1 and 60");
	EXPECT_ERROR(LISTEN "fleet_lease_ttl = 2;\n", ":2: fleet_lease_ttl: only with store = \"etcd\"");
	EXPECT_ERROR(LISTEN "fleet_service_port = 1;\n", ":2: fleet_service_port: only with store = \"etcd\"");
	EXPECT_ERROR(ETCD EP "fleet_gateway = \"a\";\nfleet_service_port = 32;\n",
		     ":5: fleet_service_port: must be between 0 and 31");
#undef EP
#undef ETCD
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sgw-test-control-config.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(every_key);
	RUN(defaults);
	RUN(user_without_group);
	RUN(example_file_loads);
	RUN(errors_of_earlier_keys);
	RUN(errors_of_principals);
	RUN(errors_of_user_and_tls);
	RUN(http_keys);
	RUN(errors_of_http);
	RUN(fleet_keys);
	RUN(errors_of_fleet);
	unlink(conf_path);
	if (rmdir(tmpdir) != 0)
		perror(tmpdir);
	return CHECK_DONE();
}
