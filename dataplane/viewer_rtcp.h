/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A viewer's RTCP, read on its own port (a WebRTC viewer): receiver
 * reports into its statistics, feedback counted; and the sender reports a
 * stream forwards, noted for the round trip its viewers' reports measure.
 * Worker code: no allocation, bounded by the packet.
 */
#ifndef SRTPGW_VIEWER_RTCP_H
#define SRTPGW_VIEWER_RTCP_H

#include <stdint.h>

#include "dataplane/flow_table.h"

/* The stream's home worker forwarded the RTCP compound p (plain): if it
 * starts with a sender report, note when (tsc). */
void sgw_sr_note(struct sgw_sr_times *sr, const uint8_t *p, uint32_t len, uint64_t tsc);

/* The viewer's plain RTCP compound p arrived at tsc (hz ticks a second):
 * its report blocks (fraction lost, cumulative lost, jitter of the last;
 * the round trip from LSR and DLSR against the sender reports sst's home
 * worker forwarded), and PLI, FIR and NACK counted, into vst; a PLI or FIR
 * asks sst's camera for a keyframe (kf_wanted), a NACK's items go to the
 * viewer's mailbox (nack_cache.h). sst may be NULL. */
void sgw_viewer_rtcp(struct sgw_viewer_state *vst, const uint8_t *p, uint32_t len,
		     struct sgw_stream_state *sst, uint64_t tsc, uint64_t hz);

#endif
