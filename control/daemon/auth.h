/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who a request acts for (docs/control.md, "Principals"): admin, or one
 * owner. The server maps a connection's peer when it accepts it (a UNIX
 * socket's uid and groups, a TLS client certificate's subject); a request
 * that carries a bearer token acts for the token's owner instead.
 */
#ifndef SRTPGW_AUTH_H
#define SRTPGW_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "control/daemon/config.h"
#include "control/daemon/store.h"

struct ctl_daemon;

/* The other end of a connection. */
struct ctl_peer {
	bool mapped;               /* the daemon or its config maps it to principal */
	char principal[64];        /* CTL_ADMIN or an owner's name */
	char who[320];             /* for messages: "uid 1000 gid 1000", "certificate \"CN=ops\"" */
};

/* What one request acts for. */
struct ctl_principal {
	bool admin;
	int64_t owner_id;          /* an owner principal's owner */
	char name[STORE_NAME_MAX]; /* CTL_ADMIN or the owner's name */
	bool by_token;             /* established by a token (which may not make tokens) */
	char via[352];             /* how: "uid 0 gid 0", "token \"app1\"", "certificate \"CN=ops\"" */
};

/* A UNIX peer by SO_PEERCRED's uid and gid and its supplementary groups
 * (SO_PEERGROUPS): root and the daemon's own uid are admin; then the
 * first uid entry of principals, then the first gid entry that names one
 * of its groups. */
void ctl_peer_from_creds(const struct ctl_config *cfg, uint32_t uid, uint32_t gid,
			 const uint32_t *groups, unsigned n_groups, struct ctl_peer *p);
/* A TLS peer by its verified certificate's subject (RFC 2253 form) and
 * common name (NULL unless it has exactly one): the first subject or cn
 * entry of principals that matches. */
void ctl_peer_from_cert(const struct ctl_config *cfg, const char *subject, const char *cn,
			struct ctl_peer *p);
/* A peer that is admin whatever it is (the fuzzer's). */
void ctl_peer_admin(struct ctl_peer *p, const char *who);

/* The principal of a request: its token's owner if token is not NULL,
 * else the peer's. 0, or -EACCES (no principal), -EKEYEXPIRED (an expired
 * token) or -EIO, with one line in err that never holds the token. */
int ctl_principal_of(struct ctl_daemon *d, const struct ctl_peer *peer, const char *token,
		     struct ctl_principal *p, char *err, size_t errlen);

/* One request object to one reply object, for the peer
 * (cmds_dispatch.c). */
struct json_object *ctl_handle_as(struct ctl_daemon *d, const struct ctl_peer *peer,
				  struct json_object *req);

/* One request line (without its '\n') to one reply line ('\n' included)
 * in a buffer the caller frees with ctl_reply_free (reply.c), which
 * cleanses it. NULL when out of memory. */
char *ctl_reply_line(struct ctl_daemon *d, const struct ctl_peer *peer, const char *line, size_t len,
		     size_t *reply_len);
void ctl_reply_free(char *reply, size_t len);
/* Zero the string members named key, sdp or token anywhere in o. */
void ctl_json_cleanse_secrets(struct json_object *o);

#endif
