/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway's addresses, as one version of the flow table holds them:
 * the config file's (fixed at start) and the service addresses the control
 * plane adds and removes at run time (SGW_OP_ADDR_ADD, SGW_OP_ADDR_DEL).
 *
 * A set is immutable once published: the table root of a version points to
 * its set (struct ft_root.addrs), so a worker that loaded the root for a
 * burst sees that version's addresses and that version's per-address
 * directories together. A change copies the set (agent thread), the copy
 * is published with the next root, and the old set is freed after the
 * grace period like any other node of the old version.
 *
 * An address keeps its slot (its address index, aidx: the flow table's
 * dir[aidx]) for as long as it exists. A slot an address left is taken
 * again only after the grace period that followed the version without it
 * (gateway/agent_addrs.c).
 */
#ifndef SRTPGW_ADDR_SET_H
#define SRTPGW_ADDR_SET_H

#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>

#include "api/srtpgw_agent.h"

#define SGW_FT_MAX_ADDRS 256 /* addresses, config and service: slots of a set */

/* A gateway address. Streams listen on these. */
struct sgw_local_addr {
	struct sgw_addr ip;   /* family SGW_AF_NONE: a free slot */
	uint8_t prefix_len;
	uint8_t origin;       /* SGW_ADDR_CONFIG (the config file: start to stop),
	                         SGW_ADDR_SERVICE (ADDR_ADD until ADDR_DEL) */
	uint16_t port_idx;    /* the gateway port it is on */
	uint32_t flags;       /* SGW_ADDR_* of its ADDR_ADD (service addresses) */
};

/*
 * One version's addresses. slot[] by address index; v4[]/v6[] are the
 * occupied slots packed by family for the worker's per-packet search
 * (sgw_addr_set_index() makes them from slot[]).
 */
struct sgw_addr_set {
	uint16_t n4, n6;
	uint32_t pad;
	uint32_t v4[SGW_FT_MAX_ADDRS];      /* IPv4 addresses as their 4 bytes in memory */
	uint64_t v6[SGW_FT_MAX_ADDRS][2];   /* IPv6 addresses as their 16 bytes in memory */
	uint8_t v4_aidx[SGW_FT_MAX_ADDRS];
	uint8_t v6_aidx[SGW_FT_MAX_ADDRS];
	struct sgw_local_addr slot[SGW_FT_MAX_ADDRS];
};

_Static_assert(SGW_FT_MAX_ADDRS <= 256, "address indices are kept in a byte");

/* Index of the address (family, bytes in network order), or -1. Per packet. */
static inline int sgw_addr_set_find(const struct sgw_addr_set *s, uint8_t family, const uint8_t *a)
{
	if (likely(family == SGW_AF_INET)) {
		uint32_t x;

		memcpy(&x, a, 4);
		for (unsigned i = 0; i < s->n4; i++)
			if (s->v4[i] == x)
				return s->v4_aidx[i];
	} else if (family == SGW_AF_INET6) {
		uint64_t x[2];

		memcpy(x, a, 16);
		for (unsigned i = 0; i < s->n6; i++)
			if (s->v6[i][0] == x[0] && s->v6[i][1] == x[1])
				return s->v6_aidx[i];
	}
	return -1;
}

/* The address at index aidx, or NULL if that slot is free. */
static inline const struct sgw_local_addr *sgw_addr_set_get(const struct sgw_addr_set *s, int aidx)
{
	if (aidx < 0 || aidx >= SGW_FT_MAX_ADDRS || s->slot[aidx].ip.family == SGW_AF_NONE)
		return NULL;
	return &s->slot[aidx];
}

/* Writer side (an unpublished set). */
/* A set with no address, or NULL (out of memory). free() frees it. */
struct sgw_addr_set *sgw_addr_set_new(void);
/* A copy of s, or NULL. */
struct sgw_addr_set *sgw_addr_set_dup(const struct sgw_addr_set *s);
/* Rebuild v4[], v6[] from slot[]: after slots changed. */
void sgw_addr_set_index(struct sgw_addr_set *s);

#endif
