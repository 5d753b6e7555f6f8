/* SPDX-License-Identifier: BSD-3-Clause */
/* srtpgw-control's configuration file (libconfig syntax), docs/control.md. */
#ifndef SRTPGW_DAEMON_CONFIG_H
#define SRTPGW_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/srtpgw_agent.h"

#define CTL_MAX_LISTEN_ADDRS 64
#define CTL_MAX_PRINCIPAL_MAPS 64
#define CTL_ADMIN "admin"          /* the administrator principal's name */
#define CTL_MAX_HTTP_NAMES 8
#define CTL_HTTP_NAME_MAX 254      /* a DNS name (253) or an address, and the NUL */
#define CTL_MAX_CORS_ORIGINS 16
#define CTL_ORIGIN_MAX 256         /* an origin, "https://host:port", and the NUL */
#define CTL_MAX_ETCD_ENDPOINTS 9
#define CTL_ETCD_URL_MAX 128

/* One entry of principals: a UNIX peer's uid or gid, or a TLS client
 * certificate's subject or common name, and who it acts for. */
enum ctl_map_kind { CTL_MAP_UID, CTL_MAP_GID, CTL_MAP_SUBJECT, CTL_MAP_CN };

struct ctl_principal_map {
	enum ctl_map_kind kind;
	uint32_t id;               /* uid or gid */
	char text[256];            /* subject (RFC 2253 form) or common name */
	char principal[64];        /* CTL_ADMIN or an owner's name */
};

struct ctl_config {
	char socket[108];          /* socket: srtpgwctl's socket */
	char socket_group[64];     /* socket_group: group owning it ("" = the daemon's) */
	char database[4096];       /* database: SQLite file */
	char kek_file[4096];       /* kek_file: key-encryption key */
	char agent_socket[108];    /* agent_socket: the gateway's agent socket */
	char punt_socket[108];     /* punt_socket: the gateway's punt channel (WebRTC) */
	unsigned n_listen;
	struct sgw_addr listen[CTL_MAX_LISTEN_ADDRS]; /* listen_addresses: first = default */
	uint16_t port_min, port_max; /* port_range = [ min, max ] */
	uint32_t quarantine_s;     /* quarantine: seconds a freed listen port stays unused */
	uint32_t rekey_overlap_s;  /* rekey_overlap: seconds the old stream key stays accepted */
	uint32_t idle_timeout_s;   /* idle_timeout: default per stream, 0 = never idle */
	uint32_t retry_ms;         /* retry: between attempts to reach the gateway */
	uint32_t position_poll_s;  /* position_poll: seconds between sweeps, 0 = none */
	uint32_t reserve_block;    /* reserve_block: RTP indices reserved at a time per lane */
	uint32_t viewer_lanes;     /* viewer_lanes: egress lanes (SSRCs) per new viewer */
	uint32_t apply_timeout_ms; /* apply_timeout: how long a change waits for the gateway */
	uint8_t default_suite;     /* default_suite */
	/* authority (docs/control.md, "Principals") */
	unsigned n_maps;
	struct ctl_principal_map maps[CTL_MAX_PRINCIPAL_MAPS]; /* principals, in file order */
	/* privileges: drop to user/group after start-up */
	bool drop;                 /* user is set */
	char user[64], group[64];
	uint32_t uid, gid;         /* resolved when the file is read */
	/* remote administration over TLS: tls set when tls_listen is */
	bool tls;
	struct sgw_endpoint tls_listen;
	char tls_cert[4096], tls_key[4096], tls_ca[4096];
	/* the HTTP(S) API of WebRTC, WHEP and WHIP (docs/webrtc.md, "HTTP
	 * API"): http set when http_listen is */
	bool http;
	struct sgw_endpoint http_listen;
	char http_cert[4096], http_key[4096]; /* "" = the self-signed one */
	unsigned n_http_names;     /* http_names: more names of the self-signed one */
	char http_names[CTL_MAX_HTTP_NAMES][CTL_HTTP_NAME_MAX];
	unsigned n_cors_origins;   /* http_cors_origins; 0 = any origin ("*") */
	char cors_origins[CTL_MAX_CORS_ORIGINS][CTL_ORIGIN_MAX];
	uint32_t http_max_body;    /* http_max_body: bytes of a request's body */
	uint32_t http_max_conns;   /* http_max_conns: connections open at once */
	uint32_t http_max_sessions; /* http_max_sessions: WebRTC sessions at once */
	uint32_t http_timeout_s;   /* http_timeout: handshake and whole request */
	/* a fleet (docs/fleet.md): store = "etcd" sets fleet */
	bool fleet;
	char etcd_endpoints[CTL_MAX_ETCD_ENDPOINTS * CTL_ETCD_URL_MAX]; /* comma-separated */
	char etcd_prefix[128];     /* etcd_prefix: every key under it; starts and ends with '/' */
	uint32_t etcd_timeout_ms;  /* etcd_timeout: each request to etcd */
	char fleet_gateway[64];    /* fleet_gateway: this gateway's name in the fleet */
	uint32_t fleet_lease_ttl_s; /* fleet_lease_ttl: the gateway's etcd lease */
	uint16_t fleet_service_port; /* fleet_service_port: the gateway port of its service addresses */
};

/* 0, or -1 with one line in err naming the file, line and key. */
int ctl_config_load(const char *path, struct ctl_config *cfg, char *err, size_t errlen);

#endif
