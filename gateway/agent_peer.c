/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who may talk to the agent socket: the peer's credentials as the kernel
 * recorded them at connect() (SO_PEERCRED, SO_PEERGROUPS), against the
 * config's agent_allow_uids and agent_allow_gids, or, without them, the
 * gateway's own uid and group (what the socket's mode 0660 lets in). Root
 * is always allowed: it can change the gateway's memory anyway.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "gateway/agent.h"

static bool id_in(uint32_t id, const uint32_t *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

/* Is one of the peer's supplementary groups (SO_PEERGROUPS) in gids? */
static bool peer_group_in(int fd, const uint32_t *gids, unsigned n)
{
	gid_t local[64], *groups = local;
	socklen_t len = sizeof(local);
	bool found = false;

	if (n == 0)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0) {
		/* ERANGE: len says how much room the list needs */
		if (errno != ERANGE || (groups = malloc(len)) == NULL)
			return false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0)
			len = 0;
	}
	for (size_t i = 0; i < len / sizeof(gid_t) && !found; i++)
		found = id_in(groups[i], gids, n);
	if (groups != local)
		free(groups);
	return found;
}

bool agent_peer_allowed(const struct sgw_config *cfg, uint32_t own_uid, uint32_t own_gid, int fd,
			const struct ucred *cr)
{
	if (cr->uid == 0)
		return true;
	if (!cfg->has_agent_allow)
		return cr->uid == own_uid || cr->gid == own_gid || peer_group_in(fd, &own_gid, 1);
	return id_in(cr->uid, cfg->allow_uids, cfg->n_allow_uids) ||
	       id_in(cr->gid, cfg->allow_gids, cfg->n_allow_gids) ||
	       peer_group_in(fd, cfg->allow_gids, cfg->n_allow_gids);
}
