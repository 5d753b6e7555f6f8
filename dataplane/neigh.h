/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next-hop slots. A viewer's entry names a slot; the slot holds the next
 * hop's MAC once ARP/ND (or the config's static neighbours) resolved it.
 * Slots are allocated, resolved and freed by the agent thread only; a
 * freed slot is reused only after an RCU grace period, so an entry of an
 * older version never finds another host's MAC in its slot.
 */
#ifndef SRTPGW_NEIGH_H
#define SRTPGW_NEIGH_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>

#include "api/srtpgw_agent.h"

#define SGW_NEIGH_VALID (1ull << 48)
/* A viewer with no next hop: paused (no address), nothing is sent to it */
#define SGW_NEIGH_NONE UINT32_MAX

struct sgw_neigh {
	uint64_t mac;            /* dataplane: ro (relaxed); ctlplane: rw.
	                            SGW_NEIGH_VALID | MAC in the low 48 bits */
	/* ctlplane only below */
	struct sgw_addr ip;
	uint16_t port_idx;
	uint8_t in_use, is_static, dying;
	uint32_t refs;
	uint64_t next_probe_ms;
	uint64_t probe_ms;       /* when the last probe went out */
	uint32_t probes;
	uint8_t awaiting;        /* a probe is out and unanswered: its answer may set mac */
};

static inline int sgw_neigh_mac(const struct sgw_neigh *n, struct rte_ether_addr *mac)
{
	uint64_t v = __atomic_load_n(&n->mac, __ATOMIC_RELAXED);

	if (unlikely(!(v & SGW_NEIGH_VALID)))
		return -1;
	/* the six bytes in wire order as a 4- and a 2-byte store, which the
	 * copies that read mac back can be forwarded from (from six byte
	 * stores they cannot: each such read waits for them to reach L1) */
	v = rte_cpu_to_be_64(v << 16);
	memcpy(mac->addr_bytes, &v, RTE_ETHER_ADDR_LEN);
	return 0;
}

static inline uint64_t sgw_neigh_pack(const uint8_t mac[6])
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | mac[i];
	return v | SGW_NEIGH_VALID;
}

#endif
