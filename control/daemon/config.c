/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/addr.h"
#include "api/suite.h"
#include "control/daemon/config.h"

static const char *const known[] = {
	"socket", "socket_group", "database", "kek_file", "agent_socket", "listen_addresses",
	"port_range", "quarantine", "rekey_overlap", "idle_timeout", "retry", "default_suite",
	"position_poll", "reserve_block", "viewer_lanes", "apply_timeout", NULL,
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
	    get_uint(&l, root, "quarantine", 0, 86400, &cfg->quarantine_s) ||
	    get_uint(&l, root, "rekey_overlap", 0, 86400, &cfg->rekey_overlap_s) ||
	    get_uint(&l, root, "idle_timeout", 0, 86400, &cfg->idle_timeout_s) ||
	    get_uint(&l, root, "retry", 10, 60000, &cfg->retry_ms) ||
	    get_uint(&l, root, "position_poll", 0, 3600, &cfg->position_poll_s) ||
	    /* a restarted gateway's lanes go on at most one block past what a
	     * viewer received: under 2^15, its receiver estimates the ROC */
	    get_uint(&l, root, "reserve_block", 256, 16384, &cfg->reserve_block) ||
	    get_uint(&l, root, "viewer_lanes", 1, SGW_MAX_LANES, &cfg->viewer_lanes) ||
	    get_uint(&l, root, "apply_timeout", 100, 600000, &cfg->apply_timeout_ms))
		goto out;
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
