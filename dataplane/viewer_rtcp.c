/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP (RFC 3550 6.4, RFC 4585 6, RFC 5104 4.3.1) read from a viewer, and
 * the sender reports a stream forwards (viewer_rtcp.h).
 *
 * The round trip (RFC 3550 6.4.1): a report block names the last sender
 * report the viewer received (LSR: the middle 32 bits of its NTP
 * timestamp) and how long it held it (DLSR, 1/65536 s); the stream's home
 * worker noted when it forwarded that report, so rtt = now - then - DLSR.
 * The note is written by one worker and read by another: a sequence count
 * (odd while written) tells a reader to skip a note being rewritten.
 */
#include "dataplane/viewer_rtcp.h"

#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_RTPFB 205
#define RTCP_PSFB 206
#define FB_NACK 1
#define FB_PLI 1
#define FB_FIR 4
#define REPORT_BLOCK 24

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void sgw_sr_note(struct sgw_sr_times *sr, const uint8_t *p, uint32_t len, uint64_t tsc)
{
	uint32_t i, seq;

	if (len < 28 || p[1] != RTCP_SR)
		return;
	i = sr->next % SGW_SR_HISTORY;
	seq = sr->seq;
	__atomic_store_n(&sr->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&sr->ntp_mid[i], rd32(p + 10), __ATOMIC_RELAXED);
	__atomic_store_n(&sr->tsc[i], tsc, __ATOMIC_RELAXED);
	__atomic_store_n(&sr->seq, seq + 2, __ATOMIC_RELEASE);
	sr->next++;
}

/* When the SR with this LSR was forwarded: its tsc, or 0. */
static uint64_t sr_sent(const struct sgw_sr_times *sr, uint32_t lsr)
{
	uint32_t s1, s2;
	uint64_t got = 0;

	if (sr == NULL || lsr == 0)
		return 0;
	s1 = __atomic_load_n(&sr->seq, __ATOMIC_ACQUIRE);
	if (s1 & 1)
		return 0;
	for (unsigned i = 0; i < SGW_SR_HISTORY; i++)
		if (__atomic_load_n(&sr->ntp_mid[i], __ATOMIC_RELAXED) == lsr)
			got = __atomic_load_n(&sr->tsc[i], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	s2 = __atomic_load_n(&sr->seq, __ATOMIC_RELAXED);
	return s1 == s2 ? got : 0;
}

static void report_block(struct sgw_viewer_state *vst, const uint8_t *b,
			 const struct sgw_sr_times *sr, uint64_t tsc, uint64_t hz)
{
	int32_t lost = (int32_t)(rd32(b + 4) & 0xffffff);
	uint32_t lsr = rd32(b + 16), dlsr = rd32(b + 20);
	uint64_t sent = sr_sent(sr, lsr);

	if (lost & 0x800000) /* a signed 24-bit count */
		lost -= 0x1000000;
	vst->rr++;
	vst->fraction_lost = b[4];
	vst->cumulative_lost = lost;
	vst->jitter = rd32(b + 12);
	if (sent != 0 && tsc > sent && hz != 0) {
		uint64_t held_us = (uint64_t)dlsr * 1000000 / 65536;
		uint64_t since_us = (tsc - sent) * 1000000 / hz;

		vst->rtt_us = since_us > held_us ? (uint32_t)(since_us - held_us) : 0;
	}
	__atomic_store_n(&vst->last_rr_tsc, tsc, __ATOMIC_RELAXED);
}

void sgw_viewer_rtcp(struct sgw_viewer_state *vst, const uint8_t *p, uint32_t len,
		     struct sgw_stream_state *sst, uint64_t tsc, uint64_t hz)
{
	const struct sgw_sr_times *sr = sst != NULL ? &sst->sr : NULL;
	uint32_t off = 0;

	vst->rtcp_in++;
	while (off + 4 <= len) {
		const uint8_t *h = p + off;
		uint32_t plen = 4 * ((uint32_t)(h[2] << 8 | h[3]) + 1), count = h[0] & 0x1f;

		if ((h[0] >> 6) != 2 || off + plen > len)
			return;
		switch (h[1]) {
		case RTCP_RR:
		case RTCP_SR: {
			uint32_t b = h[1] == RTCP_RR ? 8 : 28;
			for (uint32_t i = 0; i < count && b + REPORT_BLOCK <= plen; i++, b += REPORT_BLOCK)
				report_block(vst, h + b, sr, tsc, hz);
			break;
		}
		case RTCP_RTPFB:
			if (count == FB_NACK) {
				uint32_t media = plen >= 12 ? rd32(h + 8) : 0;

				vst->nack++;
				for (uint32_t f = 12; f + 4 <= plen; f += 4)
					sgw_nack_post(&vst->nack_mb, media, (uint16_t)(h[f] << 8 | h[f + 1]),
						      (uint16_t)(h[f + 2] << 8 | h[f + 3]));
			}
			break;
		case RTCP_PSFB:
			if (count == FB_PLI)
				vst->pli++;
			else if (count == FB_FIR)
				vst->fir++;
			if ((count == FB_PLI || count == FB_FIR) && sst != NULL)
				__atomic_store_n(&sst->kf_wanted, 1, __ATOMIC_RELAXED);
			break;
		default:
			break;
		}
		off += plen;
	}
}
