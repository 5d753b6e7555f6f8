/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration file loader: libconfig does the parsing, this file checks
 * every key (unknown keys, types, ranges, cross references) and fills
 * struct sgw_config. The reference for the keys is docs/config.md.
 *
 * Errors are reported as one line in the caller's buffer:
 *   "<file>:<line>: <key path>: <problem>"
 * with key paths like "ports.[0].mtu" or "workers.[1].queues.[0].port".
 * Nothing is printed here.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>

#include "gateway/config.h"

#define CFG_DEFAULT_AGENT_SOCKET "/run/srtpgw/agent.sock"
#define CFG_MAX_LCORE_ID 1023 /* the EAL checks the real lcore set at start-up */
#define CFG_MAX_FILE_SIZE (16u << 20)

struct cfg_loader {
	const char *path;
	char *err;
	size_t errlen;
	struct sgw_config *cfg;
	/* settings kept for checks that need the whole file */
	const config_setting_t *port_set[SGW_MAX_PORTS];
	const config_setting_t *tx_set[SGW_MAX_PORTS]; /* NULL: tx_queues absent */
	/* worker index + 1 polling each RX queue, 0 = none yet */
	uint8_t poller[SGW_MAX_PORTS][SGW_MAX_QUEUES];
};

/* ---- error reporting ---------------------------------------------------- */

static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append_v(char *buf, size_t len, size_t *pos, const char *fmt, va_list ap)
{
	int n;

	if (*pos >= len)
		return;
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	if (n < 0)
		return;
	*pos += (size_t)n;
	if (*pos >= len)
		*pos = len - 1;
}

static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append_v(buf, len, pos, fmt, ap);
	va_end(ap);
}

/* "ports.[0].addresses.[1]"; "" for the root. */
static void key_path(const config_setting_t *s, char *buf, size_t len, size_t *pos)
{
	const config_setting_t *parent;

	if (s == NULL || (parent = config_setting_parent(s)) == NULL)
		return;
	key_path(parent, buf, len, pos);
	if (*pos > 0)
		append(buf, len, pos, ".");
	if (config_setting_name(s) != NULL)
		append(buf, len, pos, "%s", config_setting_name(s));
	else
		append(buf, len, pos, "[%d]", config_setting_index(s));
}

static void setting_path(const config_setting_t *s, const char *child, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	key_path(s, buf, len, &pos);
	if (child != NULL)
		append(buf, len, &pos, "%s%s", pos > 0 ? "." : "", child);
}

/* Write "<file>:<line>: <keys>: <problem>" (line 0 and empty keys left out). */
static void report_v(struct cfg_loader *l, const char *file, unsigned line, const char *keys,
		     const char *fmt, va_list ap)
{
	size_t pos = 0, i;

	if (l->err == NULL || l->errlen == 0)
		return;
	l->err[0] = '\0';
	if (line > 0)
		append(l->err, l->errlen, &pos, "%s:%u: ", file, line);
	else
		append(l->err, l->errlen, &pos, "%s: ", file);
	if (keys[0] != '\0')
		append(l->err, l->errlen, &pos, "%s: ", keys);
	append_v(l->err, l->errlen, &pos, fmt, ap);
	/* one line, whatever the strings from the file contain */
	for (i = 0; l->err[i] != '\0'; i++)
		if ((unsigned char)l->err[i] < 0x20 || l->err[i] == 0x7f)
			l->err[i] = '?';
}

static void report(struct cfg_loader *l, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct cfg_loader *l, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(l, file, line, "", fmt, ap);
	va_end(ap);
}

/*
 * Report a problem with setting s (its file and line are used) and return
 * -1. child names a member of s that is missing, or is NULL. s NULL: a
 * problem with the file as a whole.
 */
static int fail(struct cfg_loader *l, const config_setting_t *s, const char *child,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct cfg_loader *l, const config_setting_t *s, const char *child,
		const char *fmt, ...)
{
	char keys[256];
	const char *file = l->path;
	unsigned line = 0;
	va_list ap;

	if (s != NULL) {
		if (config_setting_source_file(s) != NULL)
			file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	setting_path(s, child, keys, sizeof(keys));
	va_start(ap, fmt);
	report_v(l, file, line, keys, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- typed getters ------------------------------------------------------- */

static int check_keys(struct cfg_loader *l, const config_setting_t *group,
		      const char *const *known)
{
	int i, n = config_setting_length(group);

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		const char *const *k;

		for (k = known; *k != NULL; k++)
			if (name != NULL && strcmp(name, *k) == 0)
				break;
		if (*k == NULL)
			return fail(l, s, NULL, "unknown key");
	}
	return 0;
}

/*
 * Integer member name of group, min..max. Returns 1 and sets *out when
 * present, 0 when absent (or -1 with required), -1 on error.
 */
static int get_uint(struct cfg_loader *l, const config_setting_t *group, const char *name,
		    long long min, long long max, bool required, unsigned *out,
		    const config_setting_t **where)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	long long v;

	if (where != NULL)
		*where = s;
	if (s == NULL) {
		if (required)
			return fail(l, group, name, "is required");
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(l, s, NULL, "must be an integer");
	v = config_setting_get_int64(s);
	/* the value is not printed: libconfig 1.5 truncates literals beyond
	 * 32 bits, so it may not be what the file says */
	if (v < min || v > max)
		return fail(l, s, NULL, "must be between %lld and %lld", min, max);
	*out = (unsigned)v;
	return 1;
}

/* String member: like get_uint. */
static int get_string(struct cfg_loader *l, const config_setting_t *group, const char *name,
		      bool required, const char **out, const config_setting_t **where)
{
	const config_setting_t *s = config_setting_get_member(group, name);

	if (where != NULL)
		*where = s;
	if (s == NULL) {
		if (required)
			return fail(l, group, name, "is required");
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(l, s, NULL, "must be a string");
	*out = config_setting_get_string(s);
	return 1;
}

/* Boolean member: like get_uint. */
static int get_bool(struct cfg_loader *l, const config_setting_t *group, const char *name,
		    bool *out)
{
	const config_setting_t *s = config_setting_get_member(group, name);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return fail(l, s, NULL, "must be true or false");
	*out = config_setting_get_bool(s) != 0;
	return 1;
}

/* List member whose elements are groups: ( { ... }, { ... } ). */
static int get_group_list(struct cfg_loader *l, const config_setting_t *group, const char *name,
			  bool required, unsigned max, const config_setting_t **out)
{
	const config_setting_t *s = config_setting_get_member(group, name);
	int i, n;

	*out = s;
	if (s == NULL) {
		if (required)
			return fail(l, group, name, "is required");
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(l, s, NULL, "must be a list of groups: ( { ... }, ... )");
	n = config_setting_length(s);
	if ((unsigned)n > max)
		return fail(l, s, NULL, "at most %u entries", max);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return fail(l, e, NULL, "must be a group: { ... }");
	}
	return 1;
}

/* ---- values -------------------------------------------------------------- */

static bool addr_is_unicast(const struct sgw_addr *a)
{
	static const uint8_t zero[16];

	if (a->family == SGW_AF_INET) {
		if (memcmp(a->a, zero, 4) == 0)
			return false;                   /* 0.0.0.0 */
		if ((a->a[0] & 0xf0) == 0xe0)
			return false;                   /* 224.0.0.0/4 */
		if (a->a[0] == 255 && a->a[1] == 255 && a->a[2] == 255 && a->a[3] == 255)
			return false;                   /* limited broadcast */
		return true;
	}
	if (memcmp(a->a, zero, 16) == 0)
		return false;                           /* :: */
	return a->a[0] != 0xff;                         /* ff00::/8 */
}

/* "10.0.0.1/24" or "fd00::1/64". NULL or the problem. */
static const char *parse_ifaddr(const char *s, struct sgw_ifaddr *out)
{
	char buf[SGW_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned len = 0, max;
	const char *p;

	memset(out, 0, sizeof(*out));
	if (n >= sizeof(buf))
		return "not an address with a prefix length (e.g. \"10.0.0.1/24\" or \"fd00::1/64\")";
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sgw_addr_parse(buf, &out->ip) != 0)
		return "not an address with a prefix length (e.g. \"10.0.0.1/24\" or \"fd00::1/64\")";
	if (slash == NULL)
		return out->ip.family == SGW_AF_INET ?
			"prefix length missing (e.g. \"10.0.0.1/24\")" :
			"prefix length missing (e.g. \"fd00::1/64\")";
	max = out->ip.family == SGW_AF_INET ? 32 : 128;
	for (p = slash + 1; *p >= '0' && *p <= '9' && p - slash <= 3; p++)
		len = len * 10 + (unsigned)(*p - '0');
	if (p == slash + 1 || *p != '\0' || len < 1 || len > max)
		return out->ip.family == SGW_AF_INET ?
			"prefix length must be between 1 and 32" :
			"prefix length must be between 1 and 128";
	if (!addr_is_unicast(&out->ip))
		return "not a unicast address";
	out->prefix_len = (uint8_t)len;
	return NULL;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "02:00:00:00:00:01". NULL or the problem. */
static const char *parse_mac(const char *s, uint8_t mac[6])
{
	static const uint8_t zero[6];
	int i;

	if (strlen(s) != 17)
		return "not a MAC address (e.g. \"02:00:00:00:00:01\")";
	for (i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return "not a MAC address (e.g. \"02:00:00:00:00:01\")";
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return "multicast or broadcast MAC address (must be unicast)";
	if (memcmp(mac, zero, 6) == 0)
		return "all-zero MAC address";
	return NULL;
}

static bool port_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= sizeof(((struct sgw_port_config *)0)->name))
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static bool is_own_addr(const struct sgw_port_config *p, const struct sgw_addr *a)
{
	unsigned i;

	for (i = 0; i < p->n_addrs; i++)
		if (sgw_addr_equal(&p->addrs[i].ip, a))
			return true;
	return false;
}

/* ---- users and groups ------------------------------------------------------ */

#define CFG_MAX_ID 4294967294LL /* (uid_t)-1 means "no change" to the kernel */

/*
 * A user or a group, given by name (looked up in the passwd or group
 * database now) or by number. A user's primary group goes to *gid (or
 * UINT32_MAX when the number has no passwd entry) and its name to name.
 */
static int get_id(struct cfg_loader *l, const config_setting_t *s, bool is_user, uint32_t *id,
		  uint32_t *gid, char *name, size_t namelen)
{
	const char *what = is_user ? "user" : "group";
	char buf[16384];
	struct passwd pw, *pwr = NULL;
	struct group gr, *grr = NULL;
	const char *str;
	long long v;

	if (gid != NULL)
		*gid = UINT32_MAX;
	if (name != NULL && namelen > 0)
		name[0] = '\0';
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		if (v < 0 || v > CFG_MAX_ID)
			return fail(l, s, NULL, "must be between 0 and %lld", CFG_MAX_ID);
		*id = (uint32_t)v;
		if (is_user && getpwuid_r((uid_t)v, &pw, buf, sizeof(buf), &pwr) == 0 && pwr != NULL) {
			if (gid != NULL)
				*gid = (uint32_t)pwr->pw_gid;
			if (name != NULL && strlen(pwr->pw_name) < namelen)
				strcpy(name, pwr->pw_name);
		}
		return 0;
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		if (str[0] == '\0')
			return fail(l, s, NULL, "empty %s name", what);
		if (is_user) {
			if (getpwnam_r(str, &pw, buf, sizeof(buf), &pwr) != 0 || pwr == NULL)
				return fail(l, s, NULL, "no such user \"%s\"", str);
			*id = (uint32_t)pwr->pw_uid;
			if (gid != NULL)
				*gid = (uint32_t)pwr->pw_gid;
			if (name != NULL) {
				if (strlen(str) >= namelen)
					return fail(l, s, NULL, "user name longer than %zu characters",
						    namelen - 1);
				strcpy(name, str);
			}
		} else {
			if (getgrnam_r(str, &gr, buf, sizeof(buf), &grr) != 0 || grr == NULL)
				return fail(l, s, NULL, "no such group \"%s\"", str);
			*id = (uint32_t)grr->gr_gid;
		}
		return 0;
	default:
		return fail(l, s, NULL, "must be a %s name or a %s", what, is_user ? "uid" : "gid");
	}
}

/* agent_allow_uids / agent_allow_gids: [ "name", 1001, ... ]. */
static int get_id_list(struct cfg_loader *l, const config_setting_t *root, const char *key,
		       bool is_user, uint32_t *ids, unsigned *n_out)
{
	const config_setting_t *s = config_setting_get_member(root, key);
	unsigned i, n;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(l, s, NULL, "must be a list of %s, e.g. ( \"%s\", %s )",
			    is_user ? "user names or uids" : "group names or gids",
			    is_user ? "srtpgw-control" : "srtpgw", is_user ? "1001" : "1002");
	n = (unsigned)config_setting_length(s);
	if (n > SGW_MAX_ALLOW_IDS)
		return fail(l, s, NULL, "at most %u entries", SGW_MAX_ALLOW_IDS);
	for (i = 0; i < n; i++)
		if (get_id(l, config_setting_get_elem(s, i), is_user, &ids[i], NULL, NULL, 0) != 0)
			return -1;
	*n_out = n;
	return 1;
}

/* user, group, agent_allow_uids, agent_allow_gids. */
static int load_identities(struct cfg_loader *l, const config_setting_t *root)
{
	struct sgw_config *cfg = l->cfg;
	const config_setting_t *us = config_setting_get_member(root, "user");
	const config_setting_t *gs = config_setting_get_member(root, "group");
	int ru, rg;

	if (gs != NULL && us == NULL)
		return fail(l, gs, NULL, "is given without user (srtpgw changes both or neither)");
	if (us != NULL) {
		if (get_id(l, us, true, &cfg->uid, &cfg->gid, cfg->user_name,
			   sizeof(cfg->user_name)) != 0)
			return -1;
		if (gs != NULL && get_id(l, gs, false, &cfg->gid, NULL, NULL, 0) != 0)
			return -1;
		if (cfg->gid == UINT32_MAX)
			return fail(l, root, "group", "is required: uid %u has no passwd entry to take "
				    "its group from", cfg->uid);
		cfg->has_user = true;
	}
	ru = get_id_list(l, root, "agent_allow_uids", true, cfg->allow_uids, &cfg->n_allow_uids);
	if (ru < 0)
		return -1;
	rg = get_id_list(l, root, "agent_allow_gids", false, cfg->allow_gids, &cfg->n_allow_gids);
	if (rg < 0)
		return -1;
	cfg->has_agent_allow = ru > 0 || rg > 0;
	return 0;
}

/* ---- ports ---------------------------------------------------------------- */

static const char *const port_keys[] = {
	"name", "device", "mac", "mtu", "rx_queues", "tx_queues", "vlan",
	"addresses", "gateway4", "gateway6", "neighbours", "learn_unsolicited", NULL,
};
static const char *const neigh_keys[] = { "ip", "mac", NULL };

static int load_addresses(struct cfg_loader *l, const config_setting_t *ps, unsigned pi)
{
	struct sgw_port_config *p = &l->cfg->ports[pi];
	const config_setting_t *s = config_setting_get_member(ps, "addresses");
	char a[SGW_ADDR_STRLEN];
	unsigned i, n, pj, k;

	if (s == NULL)
		return fail(l, ps, "addresses", "is required (at least one address/prefix length)");
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(l, s, NULL, "must be an array of strings, e.g. [ \"10.0.0.1/24\" ]");
	n = (unsigned)config_setting_length(s);
	if (n == 0)
		return fail(l, s, NULL, "at least one address is required");
	if (n > SGW_MAX_PORT_ADDRS)
		return fail(l, s, NULL, "at most %u addresses", SGW_MAX_PORT_ADDRS);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct sgw_ifaddr *ifa = &p->addrs[i];
		const char *problem;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(l, e, NULL, "must be a string");
		problem = parse_ifaddr(config_setting_get_string(e), ifa);
		if (problem != NULL)
			return fail(l, e, NULL, "\"%s\": %s", config_setting_get_string(e), problem);
		for (pj = 0; pj <= pi; pj++) {
			const struct sgw_port_config *q = &l->cfg->ports[pj];
			unsigned nq = pj == pi ? i : q->n_addrs;

			for (k = 0; k < nq; k++)
				if (sgw_addr_equal(&q->addrs[k].ip, &ifa->ip))
					return fail(l, e, NULL,
						    "duplicate address %s (also ports.[%u].addresses.[%u])",
						    sgw_addr_format(&ifa->ip, a, sizeof(a)), pj, k);
		}
	}
	p->n_addrs = n;
	return 0;
}

static int load_gateway(struct cfg_loader *l, const config_setting_t *ps, unsigned pi,
			const char *key, uint8_t family)
{
	struct sgw_port_config *p = &l->cfg->ports[pi];
	const config_setting_t *s;
	struct sgw_addr gw;
	const char *str;
	char a[SGW_ADDR_STRLEN];
	unsigned i;
	int rc;

	rc = get_string(l, ps, key, false, &str, &s);
	if (rc <= 0)
		return rc;
	if (sgw_addr_parse(str, &gw) != 0 || gw.family != family)
		return fail(l, s, NULL, "\"%s\" is not an %s address (no prefix length)", str,
			    family == SGW_AF_INET ? "IPv4" : "IPv6");
	if (!addr_is_unicast(&gw))
		return fail(l, s, NULL, "\"%s\" is not a unicast address", str);
	if (is_own_addr(p, &gw))
		return fail(l, s, NULL, "%s is one of the port's own addresses",
			    sgw_addr_format(&gw, a, sizeof(a)));
	if (family == SGW_AF_INET) {
		/* IPv6 next hops are usually link-local: no such check for them */
		for (i = 0; i < p->n_addrs; i++)
			if (sgw_addr_in_prefix(&gw, &p->addrs[i].ip, p->addrs[i].prefix_len))
				break;
		if (i == p->n_addrs)
			return fail(l, s, NULL, "%s is not in any of the port's IPv4 prefixes",
				    sgw_addr_format(&gw, a, sizeof(a)));
		p->gw4 = gw;
		p->has_gw4 = true;
	} else {
		p->gw6 = gw;
		p->has_gw6 = true;
	}
	return 0;
}

static int load_neighbours(struct cfg_loader *l, const config_setting_t *ps, unsigned pi)
{
	struct sgw_port_config *p = &l->cfg->ports[pi];
	const config_setting_t *list, *s;
	char a[SGW_ADDR_STRLEN];
	unsigned i, j, n;
	int rc;

	rc = get_group_list(l, ps, "neighbours", false, SGW_MAX_STATIC_NEIGH, &list);
	if (rc <= 0)
		return rc;
	n = (unsigned)config_setting_length(list);
	for (i = 0; i < n; i++) {
		const config_setting_t *ns = config_setting_get_elem(list, i);
		struct sgw_static_neigh *nb = &p->neigh[i];
		const char *str, *problem;

		if (check_keys(l, ns, neigh_keys) != 0)
			return -1;
		if (get_string(l, ns, "ip", true, &str, &s) < 0)
			return -1;
		if (sgw_addr_parse(str, &nb->ip) != 0)
			return fail(l, s, NULL, "\"%s\" is not an IPv4 or IPv6 address (no prefix length)",
				    str);
		if (!addr_is_unicast(&nb->ip))
			return fail(l, s, NULL, "\"%s\" is not a unicast address", str);
		if (is_own_addr(p, &nb->ip))
			return fail(l, s, NULL, "%s is one of the port's own addresses",
				    sgw_addr_format(&nb->ip, a, sizeof(a)));
		for (j = 0; j < i; j++)
			if (sgw_addr_equal(&p->neigh[j].ip, &nb->ip))
				return fail(l, s, NULL, "duplicate neighbour %s (also ports.[%u].neighbours.[%u])",
					    sgw_addr_format(&nb->ip, a, sizeof(a)), pi, j);
		if (get_string(l, ns, "mac", true, &str, &s) < 0)
			return -1;
		problem = parse_mac(str, nb->mac);
		if (problem != NULL)
			return fail(l, s, NULL, "\"%s\": %s", str, problem);
	}
	p->n_neigh = n;
	return 0;
}

static int load_port(struct cfg_loader *l, const config_setting_t *ps, unsigned pi)
{
	struct sgw_port_config *p = &l->cfg->ports[pi];
	const config_setting_t *s;
	const char *str;
	unsigned v, j;
	int rc;

	l->port_set[pi] = ps;
	if (check_keys(l, ps, port_keys) != 0)
		return -1;

	if (get_string(l, ps, "name", true, &str, &s) < 0)
		return -1;
	if (!port_name_ok(str))
		return fail(l, s, NULL, "\"%s\": must be 1 to %zu characters of a-z, 0-9, '_' and '-'",
			    str, sizeof(p->name) - 1);
	for (j = 0; j < pi; j++)
		if (strcmp(l->cfg->ports[j].name, str) == 0)
			return fail(l, s, NULL, "duplicate port name \"%s\" (also ports.[%u])", str, j);
	memcpy(p->name, str, strlen(str) + 1);

	if (get_string(l, ps, "device", true, &str, &s) < 0)
		return -1;
	if (str[0] == '\0' || strlen(str) >= sizeof(p->device))
		return fail(l, s, NULL, "must be 1 to %zu characters", sizeof(p->device) - 1);
	if (strchr(str, ',') != NULL)
		return fail(l, s, NULL, "\"%s\": give the DPDK device name only (the part before the "
			    "first ','); device arguments belong in the EAL's --vdev/-a option", str);
	for (j = 0; str[j] != '\0'; j++)
		if ((unsigned char)str[j] <= ' ' || str[j] == 0x7f)
			return fail(l, s, NULL, "\"%s\": must not contain spaces or control characters",
				    str);
	for (j = 0; j < pi; j++)
		if (strcmp(l->cfg->ports[j].device, str) == 0)
			return fail(l, s, NULL, "device \"%s\" is already used by ports.[%u]", str, j);
	memcpy(p->device, str, strlen(str) + 1);

	if ((rc = get_string(l, ps, "mac", false, &str, &s)) < 0)
		return -1;
	if (rc > 0) {
		const char *problem = parse_mac(str, p->mac);
		if (problem != NULL)
			return fail(l, s, NULL, "\"%s\": %s", str, problem);
		p->has_mac = true;
	}

	p->mtu = 1500;
	if ((rc = get_uint(l, ps, "mtu", 68, 9600, false, &v, NULL)) < 0)
		return -1;
	if (rc > 0)
		p->mtu = (uint16_t)v;
	p->rx_queues = 1;
	if ((rc = get_uint(l, ps, "rx_queues", 1, SGW_MAX_QUEUES, false, &v, NULL)) < 0)
		return -1;
	if (rc > 0)
		p->rx_queues = (uint16_t)v;
	/* the default and the ">= workers" check need the workers: later */
	if ((rc = get_uint(l, ps, "tx_queues", 1, SGW_MAX_QUEUES, false, &v, &l->tx_set[pi])) < 0)
		return -1;
	if (rc > 0)
		p->tx_queues = (uint16_t)v;
	if ((rc = get_uint(l, ps, "vlan", 0, 4094, false, &v, NULL)) < 0)
		return -1;
	if (rc > 0)
		p->vlan = (uint16_t)v;

	if (get_bool(l, ps, "learn_unsolicited", &p->learn_unsolicited) < 0)
		return -1;

	if (load_addresses(l, ps, pi) != 0)
		return -1;
	if (load_gateway(l, ps, pi, "gateway4", SGW_AF_INET) != 0)
		return -1;
	if (load_gateway(l, ps, pi, "gateway6", SGW_AF_INET6) != 0)
		return -1;
	return load_neighbours(l, ps, pi);
}

/* ---- workers -------------------------------------------------------------- */

static const char *const worker_keys[] = { "lcore", "queues", NULL };
static const char *const queue_keys[] = { "port", "queue", NULL };

static int load_worker(struct cfg_loader *l, const config_setting_t *ws, unsigned wi)
{
	struct sgw_config *cfg = l->cfg;
	struct sgw_worker_config *w = &cfg->workers[wi];
	const config_setting_t *s, *list;
	unsigned i, j, n;

	if (check_keys(l, ws, worker_keys) != 0)
		return -1;
	if (get_uint(l, ws, "lcore", 0, CFG_MAX_LCORE_ID, true, &w->lcore, &s) < 0)
		return -1;
	for (j = 0; j < wi; j++)
		if (cfg->workers[j].lcore == w->lcore)
			return fail(l, s, NULL, "lcore %u is already used by workers.[%u]", w->lcore, j);

	if (get_group_list(l, ws, "queues", true, SGW_MAX_WORKER_QUEUES, &list) < 0)
		return -1;
	n = (unsigned)config_setting_length(list);
	if (n == 0)
		return fail(l, list, NULL, "at least one queue is required");
	for (i = 0; i < n; i++) {
		const config_setting_t *qs = config_setting_get_elem(list, i);
		const struct sgw_port_config *p;
		struct sgw_rxq_ref *r = &w->rxq[i];
		const char *name;
		unsigned q, pi;

		if (check_keys(l, qs, queue_keys) != 0)
			return -1;
		if (get_string(l, qs, "port", true, &name, &s) < 0)
			return -1;
		for (pi = 0; pi < cfg->n_ports; pi++)
			if (strcmp(cfg->ports[pi].name, name) == 0)
				break;
		if (pi == cfg->n_ports)
			return fail(l, s, NULL, "no port is named \"%s\"", name);
		p = &cfg->ports[pi];
		if (get_uint(l, qs, "queue", 0, SGW_MAX_QUEUES - 1, true, &q, &s) < 0)
			return -1;
		if (q >= p->rx_queues)
			return fail(l, s, NULL, "port \"%s\" has no RX queue %u (rx_queues = %u)",
				    p->name, q, p->rx_queues);
		if (l->poller[pi][q] != 0)
			return fail(l, qs, NULL, "port \"%s\" queue %u is already polled by workers.[%u]",
				    p->name, q, l->poller[pi][q] - 1u);
		l->poller[pi][q] = (uint8_t)(wi + 1);
		r->port = (uint16_t)pi;
		r->queue = (uint16_t)q;
	}
	w->n_rxq = n;
	return 0;
}

/* ---- top level ------------------------------------------------------------ */

static const char *const top_keys[] = {
	"agent_socket", "punt_socket", "mbufs", "replay_window", "crypto", "idle_sleep_us", "handoff_ring",
	"max_neighbours", "heap_hugepages", "ports", "workers",
	"agent_max_clients", "agent_txn_timeout_ms", "agent_idle_timeout_ms", "agent_send_timeout_ms",
	"agent_allow_uids", "agent_allow_gids", "user", "group", NULL,
};

/* punt_socket: by default punt.sock beside the agent socket (its directory
 * was checked for it); "" turns the punt channel, and WebRTC ports, off. */
static int punt_socket(struct cfg_loader *l, const config_setting_t *root, struct sgw_config *cfg)
{
	const config_setting_t *s;
	const char *str = NULL, *slash = strrchr(cfg->agent_socket, '/');
	int n;

	if (get_string(l, root, "punt_socket", false, &str, &s) < 0)
		return -1;
	if (str == NULL) {
		n = snprintf(cfg->punt_socket, sizeof(cfg->punt_socket), "%.*spunt.sock",
			     slash ? (int)(slash - cfg->agent_socket + 1) : 0, cfg->agent_socket);
		if (n < 0 || (size_t)n >= sizeof(cfg->punt_socket))
			return fail(l, root, "punt_socket", "the default beside agent_socket is too long: "
				    "set punt_socket");
		return 0;
	}
	if (strlen(str) >= sizeof(cfg->punt_socket))
		return fail(l, s, NULL, "must be at most %zu characters (a UNIX socket path), or \"\" (off)",
			    sizeof(cfg->punt_socket) - 1);
	if (strcmp(str, cfg->agent_socket) == 0)
		return fail(l, s, NULL, "must not be agent_socket");
	memcpy(cfg->punt_socket, str, strlen(str) + 1);
	return 0;
}

static int load_root(struct cfg_loader *l, const config_setting_t *root)
{
	struct sgw_config *cfg = l->cfg;
	const config_setting_t *s, *list;
	const char *str = CFG_DEFAULT_AGENT_SOCKET;
	unsigned i, q;

	if (check_keys(l, root, top_keys) != 0)
		return -1;

	if (get_string(l, root, "agent_socket", false, &str, &s) < 0)
		return -1;
	if (str[0] == '\0' || strlen(str) >= sizeof(cfg->agent_socket))
		return fail(l, s, NULL, "must be 1 to %zu characters (a UNIX socket path)",
			    sizeof(cfg->agent_socket) - 1);
	memcpy(cfg->agent_socket, str, strlen(str) + 1);
	if (punt_socket(l, root, cfg) != 0)
		return -1;

	cfg->mbufs = 8191;
	cfg->replay_window = 128;
	cfg->idle_sleep_us = 200;
	cfg->handoff_ring = 1024;
	cfg->max_neighbours = 4096;
	if (get_uint(l, root, "mbufs", 1023, 4194303, false, &cfg->mbufs, NULL) < 0 ||
	    get_uint(l, root, "replay_window", 64, 32767, false, &cfg->replay_window, NULL) < 0 ||
	    get_uint(l, root, "idle_sleep_us", 0, 100000, false, &cfg->idle_sleep_us, NULL) < 0 ||
	    get_uint(l, root, "handoff_ring", 64, 65536, false, &cfg->handoff_ring, &s) < 0 ||
	    get_uint(l, root, "max_neighbours", 16, 1048576, false, &cfg->max_neighbours, NULL) < 0)
		return -1;
	if ((cfg->handoff_ring & (cfg->handoff_ring - 1)) != 0)
		return fail(l, s, NULL, "must be a power of two");
	cfg->heap_hugepages = true;
	if (get_bool(l, root, "heap_hugepages", &cfg->heap_hugepages) < 0)
		return -1;
	cfg->crypto = SGW_SRTP_ENGINE_BURST;
	str = NULL;
	if (get_string(l, root, "crypto", false, &str, &s) < 0)
		return -1;
	cfg->crypto_set = str != NULL;
	if (str != NULL && strcmp(str, "libsrtp") == 0)
		cfg->crypto = SGW_SRTP_ENGINE_LIBSRTP;
	else if (str != NULL && strcmp(str, "burst") != 0)
		return fail(l, s, NULL, "must be \"burst\" or \"libsrtp\"");

	cfg->agent_max_clients = 16;
	cfg->agent_txn_timeout_ms = 10000;
	cfg->agent_idle_timeout_ms = 7200000;
	cfg->agent_send_timeout_ms = 10000;
	if (get_uint(l, root, "agent_max_clients", 1, 1024, false, &cfg->agent_max_clients, NULL) < 0 ||
	    get_uint(l, root, "agent_txn_timeout_ms", 100, 3600000, false,
		     &cfg->agent_txn_timeout_ms, NULL) < 0 ||
	    get_uint(l, root, "agent_idle_timeout_ms", 0, 86400000, false,
		     &cfg->agent_idle_timeout_ms, NULL) < 0 ||
	    get_uint(l, root, "agent_send_timeout_ms", 100, 3600000, false,
		     &cfg->agent_send_timeout_ms, NULL) < 0)
		return -1;
	if (load_identities(l, root) != 0)
		return -1;

	if (get_group_list(l, root, "ports", true, SGW_MAX_PORTS, &list) < 0)
		return -1;
	cfg->n_ports = (unsigned)config_setting_length(list);
	if (cfg->n_ports == 0)
		return fail(l, list, NULL, "at least one port is required");
	for (i = 0; i < cfg->n_ports; i++)
		if (load_port(l, config_setting_get_elem(list, i), i) != 0)
			return -1;

	if (get_group_list(l, root, "workers", true, SGW_MAX_WORKERS, &list) < 0)
		return -1;
	cfg->n_workers = (unsigned)config_setting_length(list);
	if (cfg->n_workers == 0)
		return fail(l, list, NULL, "at least one worker is required");
	for (i = 0; i < cfg->n_workers; i++)
		if (load_worker(l, config_setting_get_elem(list, i), i) != 0)
			return -1;

	for (i = 0; i < cfg->n_ports; i++) {
		struct sgw_port_config *p = &cfg->ports[i];

		for (q = 0; q < p->rx_queues; q++)
			if (l->poller[i][q] == 0)
				return fail(l, l->port_set[i], NULL,
					    "port \"%s\" RX queue %u is not polled by any worker",
					    p->name, q);
		/* one TX queue per worker and one for the agent thread's
		 * ARP/ND/ICMP answers */
		if (l->tx_set[i] == NULL)
			p->tx_queues = (uint16_t)(cfg->n_workers + 1);
		else if (p->tx_queues < cfg->n_workers + 1)
			return fail(l, l->tx_set[i], NULL,
				    "must be at least the number of workers + 1 (%u)",
				    cfg->n_workers + 1);
	}
	return 0;
}

/* The whole file, NUL-terminated, or NULL with the error written. */
static char *read_file(struct cfg_loader *l)
{
	struct stat st;
	char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, n;
	FILE *fp;

	fp = fopen(l->path, "r");
	if (fp == NULL) {
		report(l, l->path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	/* libconfig's scanner exit()s on a directory: refuse it here */
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		report(l, l->path, 0, "cannot open: %s", strerror(EISDIR));
		goto error;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 16384 : cap * 2;
			if (cap > CFG_MAX_FILE_SIZE + 4096) {
				report(l, l->path, 0, "larger than %u bytes", CFG_MAX_FILE_SIZE);
				goto error;
			}
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				report(l, l->path, 0, "out of memory");
				goto error;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		report(l, l->path, 0, "cannot read: %s", strerror(errno));
		goto error;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		report(l, l->path, 0, "contains a NUL byte (not a text file)");
		goto error;
	}
	fclose(fp);
	return buf;
error:
	free(buf);
	fclose(fp);
	return NULL;
}

int sgw_config_load(const char *path, struct sgw_config *cfg, char *err, size_t errlen)
{
	struct cfg_loader *l;
	char *text, *dir, *slash;
	config_t c;
	int rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(cfg, 0, sizeof(*cfg));
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	l->path = path;
	l->err = err;
	l->errlen = errlen;
	l->cfg = cfg;

	text = read_file(l);
	if (text == NULL) {
		free(l);
		return -1;
	}
	/* @include "x.conf" is relative to the configuration file's directory */
	dir = malloc(strlen(path) + 2);
	if (dir == NULL) {
		report(l, l->path, 0, "out of memory");
		free(text);
		free(l);
		return -1;
	}
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';

	config_init(&c);
	config_set_include_dir(&c, dir);
	if (config_read_string(&c, text) != CONFIG_TRUE) {
		const char *file = config_error_file(&c) != NULL ? config_error_file(&c) : path;
		const char *what = config_error_text(&c) != NULL ? config_error_text(&c) : "parse error";

		report(l, file, config_error_line(&c) > 0 ? (unsigned)config_error_line(&c) : 0,
		       "%s", what);
	} else {
		rc = load_root(l, config_root_setting(&c));
	}
	config_destroy(&c);
	free(dir);
	free(text);
	free(l);
	if (rc != 0)
		memset(cfg, 0, sizeof(*cfg));
	return rc;
}
