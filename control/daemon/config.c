/* SPDX-License-Identifier: BSD-3-Clause */
/* srtpgw-control's configuration file: every key is docs/control.md's. */
#include <errno.h>
#include <grp.h>
#include <libconfig.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/addr.h"
#include "api/suite.h"
#include "control/daemon/config.h"

static const char *const known[] = {
	"socket", "socket_group", "database", "kek_file", "agent_socket", "punt_socket", "listen_addresses",
	"port_range", "quarantine", "rekey_overlap", "idle_timeout", "retry", "default_suite",
	"position_poll", "reserve_block", "viewer_lanes", "apply_timeout", "principals", "user",
	"group", "tls_listen", "tls_cert", "tls_key", "tls_ca",
	/* the HTTP(S) API of WebRTC (get_http) */
	"http_listen", "http_cert", "http_key", "http_names", "http_cors_origins",
	"http_max_body", "http_max_conns", "http_max_sessions", "http_timeout",
	/* a fleet (get_fleet) */
	"store", "etcd_endpoints", "etcd_prefix", "etcd_timeout", "fleet_gateway", "fleet_lease_ttl", "fleet_service_port", NULL,
};

struct loader {
	const char *path;
	char *err;
	size_t errlen;
};

static int fail(struct loader *l, const config_setting_t *s, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct loader *l, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s != NULL && config_setting_source_line(s) > 0)
		snprintf(l->err, l->errlen, "%s:%u: %s: %s", l->path, config_setting_source_line(s), key, msg);
	else
		snprintf(l->err, l->errlen, "%s: %s: %s", l->path, key, msg);
	return -1;
}

static int get_str(struct loader *l, config_setting_t *root, const char *key, char *out,
		   size_t outlen, bool required)
{
	config_setting_t *s = config_setting_get_member(root, key);
	const char *v;

	if (s == NULL)
		return required ? fail(l, root, key, "missing") : 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(l, s, key, "must be a string");
	v = config_setting_get_string(s);
	if (strlen(v) == 0 || strlen(v) >= outlen)
		return fail(l, s, key, "must be 1 to %zu characters", outlen - 1);
	snprintf(out, outlen, "%s", v);
	return 0;
}

static int get_uint(struct loader *l, config_setting_t *root, const char *key, long long min,
		    long long max, uint32_t *out)
{
	config_setting_t *s = config_setting_get_member(root, key);
	long long v;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(l, s, key, "must be an integer");
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail(l, s, key, "must be between %lld and %lld", min, max);
	*out = (uint32_t)v;
	return 0;
}

/* CTL_ADMIN or an owner's name (the rule of cmds_common.c's name_ok). */
static bool principal_ok(const char *p)
{
	size_t n = strlen(p);

	return strcmp(p, CTL_ADMIN) == 0 ||
	       (n >= 1 && n <= 63 &&
		strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n);
}

/* One entry of principals: exactly one of uid, user, gid, group,
 * subject, cn, and principal. */
static int get_map(struct loader *l, config_setting_t *e, int i, struct ctl_principal_map *m)
{
	static const char *const keys[] = { "uid", "user", "gid", "group", "subject", "cn", "principal", NULL };
	char key[64];
	const char *sel = NULL;
	config_setting_t *v;

	snprintf(key, sizeof(key), "principals.[%d]", i);
	if (!config_setting_is_group(e))
		return fail(l, e, key, "must be a group: { uid = 1000; principal = \"alice\"; }");
	for (int k = 0; k < config_setting_length(e); k++) {
		const char *name = config_setting_name(config_setting_get_elem(e, (unsigned)k));
		bool ok = false;

		for (int j = 0; keys[j] != NULL && !ok; j++)
			ok = strcmp(name, keys[j]) == 0;
		snprintf(key, sizeof(key), "principals.[%d].%s", i, name);
		if (!ok)
			return fail(l, config_setting_get_elem(e, (unsigned)k), key, "unknown key");
		if (strcmp(name, "principal") == 0)
			continue;
		if (sel != NULL) {
			snprintf(key, sizeof(key), "principals.[%d]", i);
			return fail(l, e, key, "has %s and %s: one of uid, user, gid, group, subject, cn", sel, name);
		}
		sel = name;
	}
	snprintf(key, sizeof(key), "principals.[%d]", i);
	if (sel == NULL)
		return fail(l, e, key, "needs one of uid, user, gid, group, subject, cn");
	v = config_setting_get_member(e, "principal");
	snprintf(key, sizeof(key), "principals.[%d].principal", i);
	if (v == NULL)
		return fail(l, e, key, "missing");
	if (config_setting_type(v) != CONFIG_TYPE_STRING || !principal_ok(config_setting_get_string(v)))
		return fail(l, v, key, "must be \"" CTL_ADMIN "\" or an owner's name (1 to 63 of A-Z a-z 0-9 _ . -)");
	snprintf(m->principal, sizeof(m->principal), "%s", config_setting_get_string(v));

	v = config_setting_get_member(e, sel);
	snprintf(key, sizeof(key), "principals.[%d].%s", i, sel);
	if (strcmp(sel, "uid") == 0 || strcmp(sel, "gid") == 0) {
		long long n;
		if (config_setting_type(v) != CONFIG_TYPE_INT && config_setting_type(v) != CONFIG_TYPE_INT64)
			return fail(l, v, key, "must be an integer");
		n = config_setting_get_int64(v);
		if (n < 0 || n > 4294967294LL)
			return fail(l, v, key, "must be between 0 and 4294967294");
		m->kind = sel[0] == 'u' ? CTL_MAP_UID : CTL_MAP_GID;
		m->id = (uint32_t)n;
		return 0;
	}
	if (config_setting_type(v) != CONFIG_TYPE_STRING)
		return fail(l, v, key, "must be a string");
	const char *t = config_setting_get_string(v);
	if (strcmp(sel, "user") == 0) {
		struct passwd *pw = getpwnam(t);
		if (pw == NULL)
			return fail(l, v, key, "no user \"%.64s\"", t);
		m->kind = CTL_MAP_UID;
		m->id = (uint32_t)pw->pw_uid;
	} else if (strcmp(sel, "group") == 0) {
		struct group *gr = getgrnam(t);
		if (gr == NULL)
			return fail(l, v, key, "no group \"%.64s\"", t);
		m->kind = CTL_MAP_GID;
		m->id = (uint32_t)gr->gr_gid;
	} else {
		if (strlen(t) == 0 || strlen(t) >= sizeof(m->text))
			return fail(l, v, key, "must be 1 to %zu characters", sizeof(m->text) - 1);
		m->kind = sel[0] == 's' ? CTL_MAP_SUBJECT : CTL_MAP_CN;
		snprintf(m->text, sizeof(m->text), "%s", t);
	}
	return 0;
}

static bool same_selector(const struct ctl_principal_map *a, const struct ctl_principal_map *b)
{
	if (a->kind != b->kind)
		return false;
	return a->kind == CTL_MAP_UID || a->kind == CTL_MAP_GID ? a->id == b->id : strcmp(a->text, b->text) == 0;
}

static int get_principals(struct loader *l, config_setting_t *root, struct ctl_config *cfg)
{
	config_setting_t *s = config_setting_get_member(root, "principals");

	if (s == NULL)
		return 0;
	if (!config_setting_is_list(s) || config_setting_length(s) > CTL_MAX_PRINCIPAL_MAPS)
		return fail(l, s, "principals", "must be a list of up to %d groups: "
			    "( { uid = 1000; principal = \"alice\"; }, ... )", CTL_MAX_PRINCIPAL_MAPS);
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct ctl_principal_map *m = &cfg->maps[cfg->n_maps];
		char key[32];

		if (get_map(l, e, i, m) != 0)
			return -1;
		for (unsigned j = 0; j < cfg->n_maps; j++) {
			if (same_selector(&cfg->maps[j], m)) {
				snprintf(key, sizeof(key), "principals.[%d]", i);
				return fail(l, e, key, "maps what principals.[%u] maps already", j);
			}
		}
		cfg->n_maps++;
	}
	return 0;
}

/* user and group: who the daemon runs as after start-up. */
static int get_user(struct loader *l, config_setting_t *root, struct ctl_config *cfg)
{
	if (get_str(l, root, "user", cfg->user, sizeof(cfg->user), false) ||
	    get_str(l, root, "group", cfg->group, sizeof(cfg->group), false))
		return -1;
	if (cfg->user[0] != '\0') {
		struct passwd *pw = getpwnam(cfg->user);
		if (pw == NULL)
			return fail(l, config_setting_get_member(root, "user"), "user", "no user \"%s\"", cfg->user);
		cfg->drop = true;
		cfg->uid = (uint32_t)pw->pw_uid;
		cfg->gid = (uint32_t)pw->pw_gid;
	}
	if (cfg->group[0] != '\0') {
		config_setting_t *s = config_setting_get_member(root, "group");
		struct group *gr = getgrnam(cfg->group);
		if (!cfg->drop)
			return fail(l, s, "group", "only with user");
		if (gr == NULL)
			return fail(l, s, "group", "no group \"%s\"", cfg->group);
		cfg->gid = (uint32_t)gr->gr_gid;
	}
	return 0;
}

/* tls_listen, tls_cert, tls_key, tls_ca: all or none. */
static int get_tls(struct loader *l, config_setting_t *root, struct ctl_config *cfg)
{
	static const char *const keys[] = { "tls_listen", "tls_cert", "tls_key", "tls_ca" };
	char listen[128] = "";
	unsigned given = 0;

	if (get_str(l, root, "tls_listen", listen, sizeof(listen), false) ||
	    get_str(l, root, "tls_cert", cfg->tls_cert, sizeof(cfg->tls_cert), false) ||
	    get_str(l, root, "tls_key", cfg->tls_key, sizeof(cfg->tls_key), false) ||
	    get_str(l, root, "tls_ca", cfg->tls_ca, sizeof(cfg->tls_ca), false))
		return -1;
	for (unsigned i = 0; i < 4; i++)
		given += config_setting_get_member(root, keys[i]) != NULL;
	if (given == 0)
		return 0;
	for (unsigned i = 0; i < 4; i++)
		if (config_setting_get_member(root, keys[i]) == NULL)
			return fail(l, root, keys[i], "missing: remote administration needs tls_listen, "
				    "tls_cert, tls_key and tls_ca");
	if (sgw_endpoint_parse(listen, &cfg->tls_listen, false) != 0)
		return fail(l, config_setting_get_member(root, "tls_listen"), "tls_listen",
			    "must be ADDR:PORT or [ADDR6]:PORT");
	cfg->tls = true;
	return 0;
}

/* A DNS name: dot-separated labels of 1 to 63 of A-Z a-z 0-9 -, not
 * starting or ending with -, at most 253 characters. */
static bool dns_name_ok(const char *n)
{
	size_t len = strlen(n), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = n[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || n[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') ||
		    (c == '-' && label == 0))
			return false;
		label++;
	}
	return true;
}

/* An origin as browsers send it (RFC 6454): http:// or https://, a host
 * (a DNS name, an IPv4 address or [an IPv6 address]) and an optional
 * :port; no path, no trailing slash. */
static bool origin_ok(const char *o)
{
	char host[CTL_ORIGIN_MAX];
	const char *h, *end, *colon;
	struct sgw_addr a;
	size_t n;

	if (strncmp(o, "https://", 8) == 0)
		h = o + 8;
	else if (strncmp(o, "http://", 7) == 0)
		h = o + 7;
	else
		return false;
	if (*h == '[') {
		end = strchr(h, ']');
		if (end == NULL)
			return false;
		n = (size_t)(end - h - 1);
		if (n == 0 || n >= sizeof(host))
			return false;
		memcpy(host, h + 1, n);
		host[n] = '\0';
		if (sgw_addr_parse(host, &a) != 0 || a.family != SGW_AF_INET6)
			return false;
		colon = end + 1;
		if (*colon != '\0' && *colon != ':')
			return false;
	} else {
		colon = strchr(h, ':');
		n = colon != NULL ? (size_t)(colon - h) : strlen(h);
		if (n == 0 || n >= sizeof(host))
			return false;
		memcpy(host, h, n);
		host[n] = '\0';
		if (!dns_name_ok(host))
			return false;
	}
	if (colon != NULL && *colon == ':') {
		char *stop;
		unsigned long port;
		if (colon[1] < '0' || colon[1] > '9')
			return false;
		port = strtoul(colon + 1, &stop, 10);
		if (*stop != '\0' || port == 0 || port > 65535)
			return false;
	}
	return true;
}

/* A list (or array) of up to max strings, each 1 to len - 1 characters
 * that ok() accepts, into out; *n set. what: the error for a bad one. */
static int get_str_list(struct loader *l, config_setting_t *root, const char *key, unsigned max, char *out,
			size_t len, unsigned *n, bool (*ok)(const char *), const char *what)
{
	config_setting_t *s = config_setting_get_member(root, key);

	*n = 0;
	if (s == NULL)
		return 0;
	if ((!config_setting_is_list(s) && !config_setting_is_array(s)) || config_setting_length(s) < 1 ||
	    config_setting_length(s) > (int)max)
		return fail(l, s, key, "must be a list of 1 to %u strings", max);
	for (int i = 0; i < config_setting_length(s); i++) {
		const char *v = config_setting_get_string_elem(s, i);

		if (v == NULL)
			return fail(l, s, key, "element %d is not a string", i);
		if (strlen(v) >= len || !ok(v))
			return fail(l, s, key, "element %d \"%.80s\" is not %s", i, v, what);
		snprintf(out + (size_t)i * len, len, "%s", v);
		(*n)++;
	}
	return 0;
}

static bool etcd_url_ok(const char *u)
{
	size_t n = strlen(u);

	return (strncmp(u, "http://", 7) == 0 && n > 7) || (strncmp(u, "https://", 8) == 0 && n > 8);
}

/* store = "sqlite" (one machine) or "etcd" (a fleet, docs/fleet.md) and,
 * only with etcd, where etcd is and who this gateway is. */
static int get_fleet(struct loader *l, config_setting_t *root, struct ctl_config *cfg)
{
	static const char *const etcd_keys[] = { "etcd_endpoints", "etcd_prefix", "etcd_timeout",
						 "fleet_gateway", "fleet_lease_ttl", "fleet_service_port" };
	char store[16] = "sqlite", urls[CTL_MAX_ETCD_ENDPOINTS][CTL_ETCD_URL_MAX];
	config_setting_t *s;
	unsigned n = 0;
	uint32_t service_port = 0;
	size_t len;

	if (get_str(l, root, "store", store, sizeof(store), false))
		return -1;
	if (strcmp(store, "sqlite") != 0 && strcmp(store, "etcd") != 0)
		return fail(l, config_setting_get_member(root, "store"), "store",
			    "must be \"sqlite\" (one machine) or \"etcd\" (a fleet)");
	cfg->fleet = strcmp(store, "etcd") == 0;
	if (!cfg->fleet) {
		for (size_t i = 0; i < sizeof(etcd_keys) / sizeof(etcd_keys[0]); i++)
			if ((s = config_setting_get_member(root, etcd_keys[i])) != NULL)
				return fail(l, s, etcd_keys[i], "only with store = \"etcd\"");
		return 0;
	}
	snprintf(cfg->etcd_prefix, sizeof(cfg->etcd_prefix), "/srtpgw/");
	cfg->etcd_timeout_ms = 1000;
	cfg->fleet_lease_ttl_s = 2;
	if (get_str_list(l, root, "etcd_endpoints", CTL_MAX_ETCD_ENDPOINTS, &urls[0][0], CTL_ETCD_URL_MAX, &n,
			 etcd_url_ok, "an http:// or https:// URL"))
		return -1;
	if (n == 0)
		return fail(l, root, "etcd_endpoints", "missing: the etcd members' client URLs (with store = \"etcd\")");
	for (unsigned i = 0; i < n; i++) {
		len = strlen(cfg->etcd_endpoints);
		snprintf(cfg->etcd_endpoints + len, sizeof(cfg->etcd_endpoints) - len, "%s%s", i ? "," : "",
			 urls[i]);
	}
	if (get_str(l, root, "etcd_prefix", cfg->etcd_prefix, sizeof(cfg->etcd_prefix), false) ||
	    get_uint(l, root, "etcd_timeout", 100, 60000, &cfg->etcd_timeout_ms) ||
	    get_uint(l, root, "fleet_lease_ttl", 1, 60, &cfg->fleet_lease_ttl_s) ||
	    get_uint(l, root, "fleet_service_port", 0, 31, &service_port) ||
	    get_str(l, root, "fleet_gateway", cfg->fleet_gateway, sizeof(cfg->fleet_gateway), true))
		return -1;
	len = strlen(cfg->etcd_prefix);
	if (cfg->etcd_prefix[0] != '/' || cfg->etcd_prefix[len - 1] != '/' || len < 2)
		return fail(l, config_setting_get_member(root, "etcd_prefix"), "etcd_prefix",
			    "must start and end with '/' (\"/srtpgw/edge1/\")");
	if (!principal_ok(cfg->fleet_gateway) || strcmp(cfg->fleet_gateway, CTL_ADMIN) == 0)
		return fail(l, config_setting_get_member(root, "fleet_gateway"), "fleet_gateway",
			    "must be 1 to 63 letters, digits, '_', '.' or '-'");
	cfg->fleet_service_port = (uint16_t)service_port;
	return 0;
}

static bool http_name_ok(const char *n)
{
	struct sgw_addr a;

	return sgw_addr_parse(n, &a) == 0 || dns_name_ok(n);
}

static bool cors_origin_ok(const char *o)
{
	return strcmp(o, "*") == 0 || origin_ok(o);
}

/* The HTTPS API: http_listen turns it on; the other http_ keys go with
 * it. Its certificate is http_cert with http_key (both), else a
 * self-signed one for http_listen's address and http_names. There is no
 * plain HTTP (docs/webrtc.md, "HTTP API"). */
static int get_http(struct loader *l, config_setting_t *root, struct ctl_config *cfg)
{
	static const char *const keys[] = { "http_cert", "http_key", "http_names", "http_cors_origins",
					    "http_max_body", "http_max_conns", "http_max_sessions", "http_timeout",
					    NULL };
	config_setting_t *s;
	char listen[128] = "";

	cfg->http_max_body = 65536;
	cfg->http_max_conns = 64;
	cfg->http_max_sessions = 100;
	cfg->http_timeout_s = 10;
	if (get_str(l, root, "http_listen", listen, sizeof(listen), false) ||
	    get_str(l, root, "http_cert", cfg->http_cert, sizeof(cfg->http_cert), false) ||
	    get_str(l, root, "http_key", cfg->http_key, sizeof(cfg->http_key), false) ||
	    get_uint(l, root, "http_max_body", 1024, 1048576, &cfg->http_max_body) ||
	    get_uint(l, root, "http_max_conns", 1, 1000, &cfg->http_max_conns) ||
	    get_uint(l, root, "http_max_sessions", 0, 100000, &cfg->http_max_sessions) ||
	    get_uint(l, root, "http_timeout", 1, 300, &cfg->http_timeout_s) ||
	    get_str_list(l, root, "http_names", CTL_MAX_HTTP_NAMES, &cfg->http_names[0][0], CTL_HTTP_NAME_MAX,
			 &cfg->n_http_names, http_name_ok, "a DNS name or an IP address") ||
	    get_str_list(l, root, "http_cors_origins", CTL_MAX_CORS_ORIGINS, &cfg->cors_origins[0][0],
			 CTL_ORIGIN_MAX, &cfg->n_cors_origins, cors_origin_ok,
			 "\"*\" or an origin (http:// or https://, a host, an optional :port, no path)"))
		return -1;
	s = config_setting_get_member(root, "http_listen");
	if (s == NULL) {
		for (int i = 0; keys[i] != NULL; i++)
			if ((s = config_setting_get_member(root, keys[i])) != NULL)
				return fail(l, s, keys[i], "only with http_listen");
		return 0;
	}
	if (sgw_endpoint_parse(listen, &cfg->http_listen, false) != 0)
		return fail(l, s, "http_listen", "must be ADDR:PORT or [ADDR6]:PORT");
	for (unsigned i = 0; i < cfg->n_cors_origins; i++)
		if (strcmp(cfg->cors_origins[i], "*") == 0 && cfg->n_cors_origins > 1)
			return fail(l, config_setting_get_member(root, "http_cors_origins"), "http_cors_origins",
				    "\"*\" (any origin) goes alone");
	if (cfg->n_cors_origins == 1 && strcmp(cfg->cors_origins[0], "*") == 0)
		cfg->n_cors_origins = 0;
	if ((cfg->http_cert[0] != '\0') != (cfg->http_key[0] != '\0'))
		return fail(l, root, cfg->http_cert[0] != '\0' ? "http_key" : "http_cert",
			    "missing: give http_cert and http_key, or neither for a self-signed certificate");
	if (cfg->http_cert[0] != '\0' && (s = config_setting_get_member(root, "http_names")) != NULL)
		return fail(l, s, "http_names", "only for the self-signed certificate (not with http_cert)");
	cfg->http = true;
	return 0;
}

int ctl_config_load(const char *path, struct ctl_config *cfg, char *err, size_t errlen)
{
	struct loader l = { path, err, errlen };
	config_t c;
	config_setting_t *root, *s;
	uint32_t pmin = 20000, pmax = 29999;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->socket, sizeof(cfg->socket), "/run/srtpgw/control.sock");
	snprintf(cfg->database, sizeof(cfg->database), "/var/lib/srtpgw/control.db");
	snprintf(cfg->kek_file, sizeof(cfg->kek_file), "/etc/srtpgw/kek");
	snprintf(cfg->agent_socket, sizeof(cfg->agent_socket), "/run/srtpgw/agent.sock");
	cfg->quarantine_s = 60;
	cfg->rekey_overlap_s = 30;
	cfg->idle_timeout_s = 30;
	cfg->retry_ms = 1000;
	cfg->position_poll_s = 10;
	cfg->reserve_block = 8192;
	cfg->viewer_lanes = 4;
	cfg->apply_timeout_ms = 2000;
	cfg->default_suite = SGW_SUITE_AES_CM_128_HMAC_SHA1_80;

	config_init(&c);
	if (config_read_file(&c, path) != CONFIG_TRUE) {
		if (config_error_type(&c) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&c), config_error_text(&c));
		goto out;
	}
	root = config_root_setting(&c);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *m = config_setting_get_elem(root, (unsigned)i);
		bool ok = false;
		for (int k = 0; known[k] && !ok; k++)
			ok = strcmp(config_setting_name(m), known[k]) == 0;
		if (!ok) {
			fail(&l, m, config_setting_name(m), "unknown key");
			goto out;
		}
	}
	if (get_str(&l, root, "socket", cfg->socket, sizeof(cfg->socket), false) ||
	    get_str(&l, root, "socket_group", cfg->socket_group, sizeof(cfg->socket_group), false) ||
	    get_str(&l, root, "database", cfg->database, sizeof(cfg->database), false) ||
	    get_str(&l, root, "kek_file", cfg->kek_file, sizeof(cfg->kek_file), false) ||
	    get_str(&l, root, "agent_socket", cfg->agent_socket, sizeof(cfg->agent_socket), false) ||
	    get_str(&l, root, "punt_socket", cfg->punt_socket, sizeof(cfg->punt_socket), false) ||
	    get_uint(&l, root, "quarantine", 0, 86400, &cfg->quarantine_s) ||
	    get_uint(&l, root, "rekey_overlap", 0, 86400, &cfg->rekey_overlap_s) ||
	    get_uint(&l, root, "idle_timeout", 0, 86400, &cfg->idle_timeout_s) ||
	    get_uint(&l, root, "retry", 10, 60000, &cfg->retry_ms) ||
	    get_uint(&l, root, "position_poll", 0, 3600, &cfg->position_poll_s) ||
	    /* a restarted gateway's lanes go on at most one block past what a
	     * viewer received: under 2^15, its receiver estimates the ROC */
	    get_uint(&l, root, "reserve_block", 256, 16384, &cfg->reserve_block) ||
	    get_uint(&l, root, "viewer_lanes", 1, SGW_MAX_LANES, &cfg->viewer_lanes) ||
	    get_uint(&l, root, "apply_timeout", 100, 600000, &cfg->apply_timeout_ms) ||
	    get_principals(&l, root, cfg) || get_user(&l, root, cfg) || get_tls(&l, root, cfg) ||
	    get_http(&l, root, cfg) || get_fleet(&l, root, cfg))
		goto out;
	/* A fleet stops a gateway at its lease deadline, so the block's
	 * headroom without a controller is of no use there; a smaller block
	 * keeps the jump at a failover under RFC 3550's MAX_DROPOUT (3000),
	 * which receivers such as ffmpeg's otherwise answer by dropping the
	 * first packet (and the frame) after the jump. */
	if (cfg->fleet && config_setting_get_member(root, "reserve_block") == NULL)
		cfg->reserve_block = 2048;
	if (cfg->punt_socket[0] == '\0') {
		/* the gateway's default: punt.sock beside its agent socket */
		const char *slash = strrchr(cfg->agent_socket, '/');
		int n = snprintf(cfg->punt_socket, sizeof(cfg->punt_socket), "%.*spunt.sock",
				 slash ? (int)(slash - cfg->agent_socket + 1) : 0, cfg->agent_socket);
		if (n < 0 || (size_t)n >= sizeof(cfg->punt_socket)) {
			fail(&l, root, "punt_socket", "the default beside agent_socket is too long: set it");
			goto out;
		}
	}
	s = config_setting_get_member(root, "default_suite");
	if (s != NULL) {
		enum sgw_suite suite;
		if (config_setting_type(s) != CONFIG_TYPE_STRING ||
		    sgw_suite_by_name(config_setting_get_string(s), &suite) != 0 || suite == SGW_SUITE_PLAIN) {
			fail(&l, s, "default_suite", "must be one of AES_CM_128_HMAC_SHA1_80, "
			     "AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM");
			goto out;
		}
		cfg->default_suite = (uint8_t)suite;
	}
	s = config_setting_get_member(root, "listen_addresses");
	if (s == NULL || (!config_setting_is_array(s) && !config_setting_is_list(s)) ||
	    config_setting_length(s) < 1 || config_setting_length(s) > CTL_MAX_LISTEN_ADDRS) {
		fail(&l, s ? s : root, "listen_addresses",
		     "needs 1 to %d gateway addresses streams may listen on", CTL_MAX_LISTEN_ADDRS);
		goto out;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		const char *a = config_setting_get_string_elem(s, i);
		if (a == NULL || sgw_addr_parse(a, &cfg->listen[cfg->n_listen]) != 0) {
			fail(&l, s, "listen_addresses", "element %d is not an IPv4 or IPv6 address", i);
			goto out;
		}
		cfg->n_listen++;
	}
	s = config_setting_get_member(root, "port_range");
	if (s != NULL) {
		if (!config_setting_is_array(s) || config_setting_length(s) != 2 ||
		    config_setting_type(config_setting_get_elem(s, 0)) != CONFIG_TYPE_INT) {
			fail(&l, s, "port_range", "must be [ first, last ]");
			goto out;
		}
		pmin = (uint32_t)config_setting_get_int_elem(s, 0);
		pmax = (uint32_t)config_setting_get_int_elem(s, 1);
		if (pmin < 1024 || pmax > 65534 || pmin > pmax) {
			fail(&l, s, "port_range", "must lie in 1024..65534, first <= last");
			goto out;
		}
	}
	cfg->port_min = (uint16_t)pmin;
	cfg->port_max = (uint16_t)pmax;
	rc = 0;
out:
	config_destroy(&c);
	return rc;
}
