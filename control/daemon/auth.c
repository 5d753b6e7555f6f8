/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Principals: mapping a connection's peer (auth.h), and the principal of
 * one request, from its token or its peer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "control/daemon/auth.h"
#include "control/daemon/daemon.h"

/* Longer than any token we make: not looked up. */
#define TOKEN_TEXT_MAX 128

static void map_to(struct ctl_peer *p, const char *principal)
{
	p->mapped = true;
	snprintf(p->principal, sizeof(p->principal), "%s", principal);
}

void ctl_peer_from_creds(const struct ctl_config *cfg, uint32_t uid, uint32_t gid,
			 const uint32_t *groups, unsigned n_groups, struct ctl_peer *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->who, sizeof(p->who), "uid %u gid %u", uid, gid);
	/* root can read the database and the key file anyway; the daemon's
	 * own uid is the daemon */
	if (uid == 0 || uid == (uint32_t)geteuid()) {
		map_to(p, CTL_ADMIN);
		return;
	}
	for (unsigned i = 0; i < cfg->n_maps; i++) {
		if (cfg->maps[i].kind == CTL_MAP_UID && cfg->maps[i].id == uid) {
			map_to(p, cfg->maps[i].principal);
			return;
		}
	}
	for (unsigned i = 0; i < cfg->n_maps; i++) {
		bool member = cfg->maps[i].id == gid;

		if (cfg->maps[i].kind != CTL_MAP_GID)
			continue;
		for (unsigned k = 0; k < n_groups && !member; k++)
			member = groups[k] == cfg->maps[i].id;
		if (member) {
			map_to(p, cfg->maps[i].principal);
			return;
		}
	}
}

void ctl_peer_from_cert(const struct ctl_config *cfg, const char *subject, const char *cn,
			struct ctl_peer *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->who, sizeof(p->who), "certificate \"%.280s\"", subject);
	for (unsigned i = 0; i < cfg->n_maps; i++) {
		const struct ctl_principal_map *m = &cfg->maps[i];

		if ((m->kind == CTL_MAP_SUBJECT && strcmp(m->text, subject) == 0) ||
		    (m->kind == CTL_MAP_CN && cn != NULL && strcmp(m->text, cn) == 0)) {
			map_to(p, m->principal);
			return;
		}
	}
}

void ctl_peer_admin(struct ctl_peer *p, const char *who)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->who, sizeof(p->who), "%s", who);
	map_to(p, CTL_ADMIN);
}

static void utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* The owner principal named name (from the config or a token). */
static int owner_principal(struct ctl_daemon *d, const char *name, const char *via, struct ctl_principal *p,
			   char *err, size_t errlen)
{
	struct store_owner o;
	int rc = store_owner_by_name(d->store, name, &o);

	if (rc == -ENOENT) {
		snprintf(err, errlen, "permission denied: %s acts for owner \"%s\", which does not exist", via,
			 name);
		return -EACCES;
	}
	if (rc != 0) {
		snprintf(err, errlen, "database: %s", store_errmsg(d->store));
		return -EIO;
	}
	p->owner_id = o.id;
	snprintf(p->name, sizeof(p->name), "%s", o.name);
	return 0;
}

static int token_principal(struct ctl_daemon *d, const char *token, struct ctl_principal *p, char *err,
			   size_t errlen)
{
	uint8_t hash[STORE_TOKEN_HASH_LEN];
	struct store_token t;
	struct store_owner o;
	int rc = -ENOENT;

	if (strlen(token) <= TOKEN_TEXT_MAX) {
		store_token_hash(token, hash);
		rc = store_token_by_hash(d->store, hash, &t);
		OPENSSL_cleanse(hash, sizeof(hash));
	}
	if (rc == -ENOENT) {
		snprintf(err, errlen, "permission denied: the token is not valid (unknown or deleted)");
		return -EACCES;
	}
	if (rc == 0 && t.expires != 0 && ctl_now_s() >= t.expires) {
		char when[32];
		utc(t.expires, when, sizeof(when));
		snprintf(err, errlen, "permission denied: token \"%s\" expired at %s", t.name, when);
		return -EKEYEXPIRED;
	}
	if (rc == 0)
		rc = store_owner_by_id(d->store, t.owner_id, &o);
	if (rc != 0) {
		snprintf(err, errlen, "database: %s", store_errmsg(d->store));
		return -EIO;
	}
	p->owner_id = o.id;
	p->by_token = true;
	snprintf(p->name, sizeof(p->name), "%s", o.name);
	snprintf(p->via, sizeof(p->via), "token \"%s\"", t.name);
	return 0;
}

int ctl_principal_of(struct ctl_daemon *d, const struct ctl_peer *peer, const char *token,
		     struct ctl_principal *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (token != NULL)
		return token_principal(d, token, p, err, errlen);
	if (!peer->mapped) {
		snprintf(err, errlen, "permission denied: %s is not mapped to a principal (principals in "
			 "control.conf) and sent no token", peer->who);
		return -EACCES;
	}
	snprintf(p->via, sizeof(p->via), "%s", peer->who);
	if (strcmp(peer->principal, CTL_ADMIN) == 0) {
		p->admin = true;
		snprintf(p->name, sizeof(p->name), CTL_ADMIN);
		return 0;
	}
	return owner_principal(d, peer->principal, peer->who, p, err, errlen);
}
