/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw-control [--config FILE]: the control plane daemon (docs/control.md).
 * Start-up, in this order: the config; no core dumps; the key-encryption
 * key and the database; the sockets; then, configured with user, root is
 * given up before anything is served.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api/log.h"
#include "control/daemon/daemon.h"
#include "control/daemon/fleet.h"
#include "control/daemon/placement.h"
#include "control/daemon/webrtc.h"
#include "control/daemon/privs.h"
#include "control/daemon/serve.h"

#define DEFAULT_CONFIG "/etc/srtpgw/control.conf"

static volatile bool quit;
static void on_signal(int sig)
{
	(void)sig;
	quit = true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: srtpgw-control [--config FILE] [--verbose]\n"
		"\n"
		"The srtpgw control plane: keeps owners, streams, viewers and keys in\n"
		"SQLite, serves srtpgwctl, and pushes every change to the gateway.\n"
		"\n"
		"  -c, --config FILE   configuration (default " DEFAULT_CONFIG "; docs/control.md)\n"
		"  -v, --verbose       log debug messages\n"
		"  -h, --help          this text\n");
}

/* mkdir -p of the directory that holds path */
static int make_parent(const char *path, mode_t mode)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(dir, mode) != 0 && errno != EEXIST)
				return -1;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = DEFAULT_CONFIG;
	static struct ctl_daemon d;
	uint8_t kek[32];
	char err[512];
	int opt, rc;

	sgw_log_prog = "srtpgw-control";
	while ((opt = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'v':
			sgw_log_level = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (ctl_config_load(config, &d.cfg, err, sizeof(err)) != 0 || ctl_no_core_dumps(err, sizeof(err)) != 0 ||
	    ctl_privileges_check(&d.cfg, err, sizeof(err)) != 0) {
		sgw_log(LOG_ERR, "%s", err);
		return 1;
	}
	if (make_parent(d.cfg.kek_file, 0700) != 0 || make_parent(d.cfg.database, 0700) != 0) {
		sgw_log(LOG_ERR, "cannot create directories for the key file or the database: %s",
			strerror(errno));
		return 1;
	}
	if (store_kek_load(d.cfg.kek_file, kek, err, sizeof(err)) != 0) {
		sgw_log(LOG_ERR, "%s", err);
		return 1;
	}
	rc = store_open(d.cfg.database, kek, &d.store, err, sizeof(err));
	OPENSSL_cleanse(kek, sizeof(kek));
	if (rc != 0) {
		sgw_log(LOG_ERR, "%s", err);
		return 1;
	}
	if (d.cfg.fleet) {
		struct fleet_cfg fc = { d.cfg.etcd_endpoints, d.cfg.etcd_prefix, d.cfg.fleet_gateway,
					d.cfg.etcd_timeout_ms };

		if (fleet_open(&fc, d.store, &d.fleet, err, sizeof(err)) != 0) {
			sgw_log(LOG_ERR, "fleet: %s", err);
			store_close(d.store);
			return 1;
		}
		sgw_log(LOG_INFO, "fleet: gateway %s, state at etcd revision %lld under %s", d.cfg.fleet_gateway,
			(long long)fleet_revision(d.fleet), d.cfg.etcd_prefix);
		if (fleet_lease_start(&fc, d.cfg.agent_socket, d.cfg.fleet_lease_ttl_s, &d.lease, err,
				      sizeof(err)) != 0) {
			sgw_log(LOG_ERR, "fleet: %s", err);
			fleet_close(d.fleet);
			store_close(d.store);
			return 1;
		}
	}
	gw_link_init(&d.gw, d.cfg.agent_socket);
	if (ctl_server_open(&d, err, sizeof(err)) != 0 || ctl_drop_privileges(&d.cfg, err, sizeof(err)) != 0) {
		sgw_log(LOG_ERR, "%s", err);
		fleet_lease_stop(d.lease, true);
		fleet_close(d.fleet);
		store_close(d.store);
		return 1;
	}
	if (d.cfg.drop)
		sgw_log(LOG_INFO, "running as %s (uid %u gid %u)", d.cfg.user, (unsigned)getuid(),
			(unsigned)getgid());
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	sgw_log(LOG_INFO, "database %s at change %llu; gateway agent %s", d.cfg.database,
		(unsigned long long)store_seq(d.store), d.cfg.agent_socket);
	/* the sessions restored before the first full push: their ports go in it */
	if (webrtc_open(&d, err, sizeof(err)) != 0) {
		sgw_log(LOG_ERR, "webrtc: %s", err);
		webrtc_close(&d);
		fleet_lease_stop(d.lease, true);
		fleet_close(d.fleet);
		store_close(d.store);
		return 1;
	}
	sync_tick(&d, ctl_now_ms());
	rc = ctl_serve(&d, &quit);
	webrtc_close(&d);
	gw_link_close(&d.gw);
	/* a clean stop gives the lease back: the streams move at once */
	fleet_lease_stop(d.lease, true);
	fleet_close(d.fleet);
	placement_free(&d);
	store_close(d.store);
	sgw_log(LOG_INFO, "stopped");
	return rc == 0 ? 0 : 1;
}
