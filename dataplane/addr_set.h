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
 * One version's addresses. slot[] by address index; h4[]/h6[] are hash
 * tables of the occupied slots, one per family, for the worker's
 * per-packet search: open addressing, linear probing, at most half full
 * (SGW_FT_MAX_ADDRS addresses in twice as many buckets), so a lookup is a
 * multiply and one or two bucket reads whatever the number of addresses.
 * sgw_addr_set_index() makes them from slot[].
 */
#define SGW_ADDR_HASH (2 * SGW_FT_MAX_ADDRS) /* buckets per family, a power of 2 */
struct sgw_addr_h4 {
	uint32_t key;   /* the address's 4 bytes as they are in memory */
	uint16_t aidx1; /* its index + 1; 0: an empty bucket */
	uint16_t pad;
};
struct sgw_addr_h6 {
	uint64_t key[2];
	uint16_t aidx1;
	uint8_t pad[6];
};
struct sgw_addr_set {
	uint16_t n4, n6; /* addresses of each family */
	uint32_t pad;
	struct sgw_addr_h4 h4[SGW_ADDR_HASH];
	struct sgw_addr_h6 h6[SGW_ADDR_HASH];
	struct sgw_local_addr slot[SGW_FT_MAX_ADDRS];
};

_Static_assert((SGW_ADDR_HASH & (SGW_ADDR_HASH - 1)) == 0, "buckets: a power of 2");

static inline unsigned sgw_addr_hash4(uint32_t k)
{
	return (k * 0x9e3779b1u) >> 22 & (SGW_ADDR_HASH - 1);
}

static inline unsigned sgw_addr_hash6(const uint64_t k[2])
{
	return (unsigned)(((k[0] ^ k[1]) * 0x9e3779b97f4a7c15ull) >> 54) & (SGW_ADDR_HASH - 1);
}

/* Index of the address (family, bytes in network order), or -1. Per packet. */
static inline int sgw_addr_set_find(const struct sgw_addr_set *s, uint8_t family, const uint8_t *a)
{
	if (likely(family == SGW_AF_INET)) {
		uint32_t x;

		memcpy(&x, a, 4);
		for (unsigned h = sgw_addr_hash4(x);; h = (h + 1) & (SGW_ADDR_HASH - 1)) {
			const struct sgw_addr_h4 *b = &s->h4[h];
			if (b->key == x && b->aidx1 != 0)
				return b->aidx1 - 1;
			if (b->aidx1 == 0)
				return -1;
		}
	} else if (family == SGW_AF_INET6) {
		uint64_t x[2];

		memcpy(x, a, 16);
		for (unsigned h = sgw_addr_hash6(x);; h = (h + 1) & (SGW_ADDR_HASH - 1)) {
			const struct sgw_addr_h6 *b = &s->h6[h];
			if (b->key[0] == x[0] && b->key[1] == x[1] && b->aidx1 != 0)
				return b->aidx1 - 1;
			if (b->aidx1 == 0)
				return -1;
		}
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
/* Rebuild h4[], h6[] from slot[]: after slots changed. */
void sgw_addr_set_index(struct sgw_addr_set *s);

#endif
