/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SRTPGW_FANOUT_H
#define SRTPGW_FANOUT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "dataplane/dp.h"

/*
 * Send the authenticated RTP/RTCP packet at m[off .. off+len) to every
 * viewer of e: a copy for all but the last viewer, m itself for the last;
 * per viewer the owner check and, for a viewer that takes SRTP, a place in
 * the worker's protect queue (sgw_fanout_flush: protect with the viewer's
 * context, new Ethernet/IP/UDP headers, checksums, TX buffer). Consumes m.
 */
void sgw_fanout(struct sgw_worker *w, const struct sgw_flow_entry *e,
		struct rte_mbuf *m, uint32_t off, uint32_t len, bool rtcp);

/* Protect what sgw_fanout() and sgw_keyframe_request() queued, in one
 * burst, and send it. The worker calls it at the end of every burst it
 * processed, before it flushes its TX buffers (and the queue flushes
 * itself when full). */
void sgw_fanout_flush(struct sgw_worker *w);

/*
 * A keyframe is wanted for e's stream (st->kf_wanted): unless one was
 * asked less than SGW_KF_INTERVAL_MS ago, send a PLI (RFC 4585 6.3.1)
 * about the SSRC of rtp, the stream's packet being forwarded, to the
 * camera's feedback leg, and clear the wish. Home worker only.
 */
void sgw_keyframe_request(struct sgw_worker *w, const struct sgw_flow_entry *e,
			  const uint8_t *rtp, uint64_t now);

/* True if owner may receive e's packets: the per-packet second lock
 * behind the table (DESIGN invariant 1). */
static inline bool sgw_owner_allowed(const struct sgw_flow_entry *e, uint32_t owner)
{
#ifdef SGW_BROKEN_NO_OWNER_CHECK
	(void)e;
	(void)owner;
	return true;
#else
	for (unsigned i = 0; i < e->n_allowed; i++)
		if (e->allowed[i] == owner)
			return true;
	return false;
#endif
}

#endif
