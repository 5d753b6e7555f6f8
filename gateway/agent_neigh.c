/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next-hop slots, agent side. A slot is taken by the viewers that route
 * through it; when the last reference goes, the slot is released only
 * after a grace period (an older table version may still name it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/addr.h"
#include "gateway/agent.h"

static void slot_release(void *p)
{
	struct sgw_neigh *n = p;

	__atomic_store_n(&n->mac, 0, __ATOMIC_RELAXED);
	n->in_use = 0;
	n->dying = 0;
	n->probes = 0;
	n->awaiting = 0;
}

int agent_neigh_init(struct sgw_agent *a)
{
	struct sgw_dp *dp = a->dp;

	/* static neighbours: permanent slots, resolved from the start */
	for (unsigned p = 0; p < a->cfg->n_ports; p++) {
		const struct sgw_port_config *pc = &a->cfg->ports[p];
		for (unsigned i = 0; i < pc->n_neigh; i++) {
			int slot = agent_neigh_ref(a, (uint16_t)p, &pc->neigh[i].ip);
			if (slot < 0)
				return -ENOSPC;
			dp->neigh[slot].is_static = 1;
			__atomic_store_n(&dp->neigh[slot].mac, sgw_neigh_pack(pc->neigh[i].mac),
					 __ATOMIC_RELAXED);
		}
	}
	return 0;
}

int agent_neigh_ref(struct sgw_agent *a, uint16_t port_idx, const struct sgw_addr *ip)
{
	struct sgw_dp *dp = a->dp;
	int free_slot = -1;

	for (unsigned i = 0; i < dp->n_neigh; i++) {
		struct sgw_neigh *n = &dp->neigh[i];
		if (n->in_use && !n->dying && n->port_idx == port_idx && sgw_addr_equal(&n->ip, ip)) {
			n->refs++;
			return (int)i;
		}
		if (!n->in_use && free_slot < 0)
			free_slot = (int)i;
	}
	if (free_slot < 0)
		return -ENOSPC;
	struct sgw_neigh *n = &dp->neigh[free_slot];
	n->ip = *ip;
	n->port_idx = port_idx;
	n->in_use = 1;
	n->is_static = 0;
	n->dying = 0;
	n->refs = 1;
	n->next_probe_ms = 0; /* probe at once */
	n->probes = 0;
	n->awaiting = 0;
	return free_slot;
}

void agent_neigh_unref(struct sgw_agent *a, uint32_t slot)
{
	struct sgw_neigh *n = &a->dp->neigh[slot];

	if (n->refs > 0)
		n->refs--;
}

void agent_neigh_retire_unused(struct sgw_agent *a)
{
	struct sgw_dp *dp = a->dp;

	for (unsigned i = 0; i < dp->n_neigh; i++) {
		struct sgw_neigh *n = &dp->neigh[i];
		if (!n->in_use || n->dying || n->refs > 0 || n->is_static)
			continue;
		n->dying = 1;
		if (ft_retire(&dp->ft, n, slot_release) != 0)
			n->dying = 0; /* try again after the next transaction */
	}
}

enum agent_neigh_learned agent_neigh_learn(struct sgw_agent *a, uint16_t port_idx,
					   const struct sgw_addr *ip, const uint8_t mac[6],
					   enum agent_neigh_how how, uint64_t now_ms)
{
	struct sgw_dp *dp = a->dp;
	enum agent_neigh_learned r = AGENT_NEIGH_NOT_OURS;

	for (unsigned i = 0; i < dp->n_neigh; i++) {
		struct sgw_neigh *n = &dp->neigh[i];
		if (!n->in_use || n->dying || n->is_static || n->port_idx != port_idx ||
		    !sgw_addr_equal(&n->ip, ip))
			continue;
		/* Anyone on the LAN can send ARP/ND: a MAC is believed only as
		 * the answer to a question we asked, and only once per question
		 * (docs/architecture.md, "Next hops"). */
		if (how == AGENT_NEIGH_CLAIM ||
		    (mac[0] & 1) || (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0 ||
		    (how == AGENT_NEIGH_ANSWER &&
		     !(n->awaiting && now_ms - n->probe_ms <= SGW_NEIGH_ANSWER_MS))) {
			if (r == AGENT_NEIGH_NOT_OURS)
				r = AGENT_NEIGH_IGNORED;
			continue;
		}
		__atomic_store_n(&n->mac, sgw_neigh_pack(mac), __ATOMIC_RELAXED);
		n->probes = 0;
		n->awaiting = 0;
		r = AGENT_NEIGH_LEARNED;
	}
	return r;
}
