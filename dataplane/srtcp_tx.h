/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTCP protect with an index the caller chooses (RFC 3711 3.4 and 4.3,
 * RFC 7714 9 and 11), for egress contexts whose SRTCP index must go on past
 * a reservation (invariant 8): libsrtp counts its SRTCP index from 1 in
 * every new context and offers no way to set it. Session keys are derived
 * once, at creation, with the SRTP key derivation (label 3, 4, 5; key
 * derivation rate 0); the master key is not kept. No allocation per packet.
 * Checked byte for byte against libsrtp (tests/unit/test_srtcp_tx.c).
 */
#ifndef SRTPGW_SRTCP_TX_H
#define SRTPGW_SRTCP_TX_H

#include <stdint.h>

#include "api/srtpgw_agent.h"

#define SGW_SRTCP_INDEX_MAX 0x7fffffffu

struct sgw_srtcp_tx;

/* For key->suite (not PLAIN). NULL on a bad key or allocation failure. */
struct sgw_srtcp_tx *sgw_srtcp_tx_create(const struct sgw_key *key);
void sgw_srtcp_tx_free(struct sgw_srtcp_tx *t);

/*
 * Protect the RTCP compound packet pkt (*len bytes, at least 8) in place
 * as SRTCP index idx (1..SGW_SRTCP_INDEX_MAX), encrypted (E flag set).
 * Appends the index and the tag: the buffer needs 20 bytes (AES-CM) or
 * 20 bytes (GCM: 16-byte tag and the index) free after *len. 0, or -1.
 */
int sgw_srtcp_tx_protect(struct sgw_srtcp_tx *t, uint8_t *pkt, int *len, uint32_t idx);

#endif
