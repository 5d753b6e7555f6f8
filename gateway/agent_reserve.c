/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SGW_MSG_RESERVE: the control plane raises egress lanes' limits after it
 * durably recorded them (invariant 8, docs/agent-protocol.md "Lanes").
 * Limits are raised in place, with a release store each: they are shared
 * mutable state of the contexts, like their ROC, not part of a version,
 * and only ever grow, so a worker that reads an older one refuses a packet
 * it could have sent, never the other way round.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/srtp_ctx.h"
#include "gateway/agent.h"

int agent_reserve(struct sgw_agent *a, const void *payload, uint32_t len,
		  struct sgw_reserved *out, char *err, size_t errlen)
{
	struct sgw_reserve_hdr h;
	const uint8_t *p = payload;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(h)) {
		snprintf(err, errlen, "RESERVE needs a header");
		return -EINVAL;
	}
	memcpy(&h, p, sizeof(h));
	if ((uint64_t)h.n * sizeof(struct sgw_reserve) != len - sizeof(h)) {
		snprintf(err, errlen, "RESERVE of %u entries needs %zu bytes", h.n,
			 sizeof(h) + (size_t)h.n * sizeof(struct sgw_reserve));
		return -EINVAL;
	}
	/* an open transaction may hold records that are not what the
	 * control plane reserved for: try again after it */
	if (a->txn.open) {
		snprintf(err, errlen, "a transaction is open");
		return -EBUSY;
	}
	for (uint32_t i = 0; i < h.n; i++) {
		struct sgw_reserve r;
		const struct viewer_rec *v;
		struct sgw_srtp_lane_state s;

		memcpy(&r, p + sizeof(h) + i * sizeof(r), sizeof(r));
		v = idmap_get(&a->viewers, r.viewer_id);
		if (v == NULL || sgw_srtp_lane_state(v->egress, r.lane, &s) != 0 || s.ssrc != r.ssrc ||
		    sgw_srtp_reserve(v->egress, r.lane, r.limit, r.rtcp_limit) != 0) {
			out->unknown++;
			continue;
		}
		out->applied++;
	}
	return 0;
}
