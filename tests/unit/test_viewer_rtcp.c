/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A viewer's RTCP read by the worker (dataplane/viewer_rtcp.c): the report
 * blocks' figures exactly, a negative cumulative loss, the round trip from
 * LSR and DLSR against a forwarded sender report, feedback counted, and
 * nothing read past a truncated or malformed compound.
 */
#include <stdint.h>
#include <string.h>

#include "dataplane/viewer_rtcp.h"
#include "check.h"

#define HZ 1000000000ull /* a 1 GHz TSC: ticks are nanoseconds */

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An RR with one block; returns its length (32). */
static uint32_t rr(uint8_t *p, uint8_t fraction, uint32_t lost24, uint32_t jitter, uint32_t lsr,
		   uint32_t dlsr)
{
	memset(p, 0, 32);
	p[0] = 0x81;
	p[1] = 201;
	p[3] = 7;
	wr32(p + 4, 0xdeadbeef);
	wr32(p + 8, 0x11223344);
	wr32(p + 12, (uint32_t)fraction << 24 | (lost24 & 0xffffff));
	wr32(p + 16, 70000);
	wr32(p + 20, jitter);
	wr32(p + 24, lsr);
	wr32(p + 28, dlsr);
	return 32;
}

/* A feedback message (PT 205/206, FMT fmt) of 12 bytes. */
static uint32_t fb(uint8_t *p, uint8_t pt, uint8_t fmt)
{
	memset(p, 0, 12);
	p[0] = (uint8_t)(0x80 | fmt);
	p[1] = pt;
	p[3] = 2;
	wr32(p + 4, 0xdeadbeef);
	wr32(p + 8, 0x11223344);
	return 12;
}

/* A sender report whose NTP timestamp's middle 32 bits are mid. */
static uint32_t sr(uint8_t *p, uint32_t mid)
{
	memset(p, 0, 28);
	p[0] = 0x80;
	p[1] = 200;
	p[3] = 6;
	wr32(p + 4, 0x11223344);
	wr32(p + 8, mid >> 16);
	wr32(p + 12, mid << 16);
	return 28;
}

static void report_and_feedback(void)
{
	struct sgw_viewer_state vst;
	uint8_t p[128];
	uint32_t n;

	struct sgw_stream_state sst;

	memset(&vst, 0, sizeof(vst));
	memset(&sst, 0, sizeof(sst));
	n = rr(p, 64, 0xfffffd, 1234, 0, 0); /* cumulative lost -3 (duplicates) */
	n += fb(p + n, 206, 1);               /* PLI */
	n += fb(p + n, 206, 4);               /* FIR */
	n += fb(p + n, 205, 1);               /* NACK */
	n += fb(p + n, 205, 15);              /* transport-cc: not counted */
	sgw_viewer_rtcp(&vst, p, n, &sst, 5 * HZ, HZ);
	CHECK_EQ(sst.kf_wanted, 1); /* the PLI asks the camera */
	CHECK_EQ(vst.rtcp_in, 1);
	CHECK_EQ(vst.rr, 1);
	CHECK_EQ(vst.fraction_lost, 64);
	CHECK_EQ(vst.cumulative_lost, -3);
	CHECK_EQ(vst.jitter, 1234);
	CHECK_EQ(vst.rtt_us, 0); /* no LSR: unknown */
	CHECK_EQ(vst.last_rr_tsc, 5 * HZ);
	CHECK_EQ(vst.pli, 1);
	CHECK_EQ(vst.fir, 1);
	CHECK_EQ(vst.nack, 1);
	/* a report and a NACK want no keyframe */
	sst.kf_wanted = 0;
	n = rr(p, 1, 1, 1, 0, 0);
	n += fb(p + n, 205, 1);
	sgw_viewer_rtcp(&vst, p, n, &sst, 6 * HZ, HZ);
	CHECK_EQ(sst.kf_wanted, 0);
	CHECK_EQ(vst.nack, 2);
	n = fb(p, 206, 4); /* FIR */
	sgw_viewer_rtcp(&vst, p, n, &sst, 6 * HZ, HZ);
	CHECK_EQ(sst.kf_wanted, 1);
}

static void round_trip(void)
{
	struct sgw_stream_state sst;
	struct sgw_viewer_state vst;
	uint8_t p[64];

	memset(&sst, 0, sizeof(sst));
	memset(&vst, 0, sizeof(vst));
	/* five SRs forwarded 1 s apart; the history keeps the last four */
	for (uint32_t k = 1; k <= 5; k++)
		sgw_sr_note(&sst.sr, p, sr(p, 0x10000 * k), k * HZ);
	CHECK_EQ(sst.sr.seq % 2, 0);
	/* the viewer held SR 4 (sent at 4 s) for 0.5 s, answers at 4.75 s */
	sgw_viewer_rtcp(&vst, p, rr(p, 0, 0, 0, 0x40000, 32768), &sst,
			4 * HZ + 750000000ull, HZ);
	CHECK_EQ(vst.rtt_us, 250000);
	/* SR 1 left the history: the figure stays */
	sgw_viewer_rtcp(&vst, p, rr(p, 0, 0, 0, 0x10000, 0), &sst, 9 * HZ, HZ);
	CHECK_EQ(vst.rtt_us, 250000);
	CHECK_EQ(vst.rr, 2);
	/* a DLSR longer than the time since: 0, not a wrapped figure */
	sgw_viewer_rtcp(&vst, p, rr(p, 0, 0, 0, 0x50000, 65536 * 3), &sst, 6 * HZ, HZ);
	CHECK_EQ(vst.rtt_us, 0);
	/* a note being written (odd sequence) is not read */
	vst.rtt_us = 7;
	sst.sr.seq++;
	sgw_viewer_rtcp(&vst, p, rr(p, 0, 0, 0, 0x50000, 0), &sst, 6 * HZ, HZ);
	CHECK_EQ(vst.rtt_us, 7);
	/* an RTCP packet that is not an SR is not noted */
	sst.sr.seq++;
	uint32_t next = sst.sr.next;
	sgw_sr_note(&sst.sr, p, rr(p, 0, 0, 0, 0, 0), 10 * HZ);
	CHECK_EQ(sst.sr.next, next);
}

static void malformed(void)
{
	struct sgw_viewer_state vst;
	uint8_t p[128];
	uint32_t n;

	memset(&vst, 0, sizeof(vst));
	/* a length past the end: nothing read of it, nor after */
	n = rr(p, 9, 1, 2, 0, 0);
	p[3] = 20;
	sgw_viewer_rtcp(&vst, p, n, NULL, HZ, HZ);
	CHECK_EQ(vst.rtcp_in, 1);
	CHECK_EQ(vst.rr, 0);
	/* a report count larger than the packet holds: the blocks it holds */
	n = rr(p, 9, 1, 2, 0, 0);
	p[0] = 0x80 | 5;
	sgw_viewer_rtcp(&vst, p, n, NULL, HZ, HZ);
	CHECK_EQ(vst.rr, 1);
	CHECK_EQ(vst.fraction_lost, 9);
	/* version 1: stop */
	n = fb(p, 206, 1);
	p[0] = 0x41;
	sgw_viewer_rtcp(&vst, p, n, NULL, HZ, HZ);
	CHECK_EQ(vst.pli, 0);
	/* shorter than a header */
	sgw_viewer_rtcp(&vst, p, 3, NULL, HZ, HZ);
	CHECK_EQ(vst.rtcp_in, 4);
	CHECK_EQ(vst.rr, 1);
}

/* A generic NACK for media SSRC media with n items (PID, BLP). */
static uint32_t nack(uint8_t *p, uint32_t media, const uint16_t (*items)[2], unsigned n)
{
	uint32_t len = 12 + 4 * n;

	memset(p, 0, len);
	p[0] = 0x81;
	p[1] = 205;
	p[3] = (uint8_t)(len / 4 - 1);
	wr32(p + 4, 0xdeadbeef);
	wr32(p + 8, media);
	for (unsigned i = 0; i < n; i++)
		wr32(p + 12 + 4 * i, (uint32_t)items[i][0] << 16 | items[i][1]);
	return len;
}

/* A protected RTP packet as sent: SSRC, sequence number, len bytes whose
 * tail says seq (to tell copies apart). */
static void rtp(uint8_t *p, uint32_t ssrc, uint16_t seq, uint32_t len)
{
	memset(p, 0, len);
	p[0] = 0x80;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	wr32(p + 8, ssrc);
	p[len - 1] = (uint8_t)seq;
	p[len - 2] = (uint8_t)(seq >> 8);
}

static struct sgw_nack_cache cache; /* 740 KiB: not on the stack */

/* Take every resend the mailbox asks for; their sequence numbers in got. */
static unsigned take(struct sgw_viewer_state *vst, uint16_t *got, unsigned max, uint64_t *missed,
		     uint64_t *lost)
{
	const struct sgw_nack_slot *s;
	unsigned n = 0;

	while ((s = sgw_nack_next(&cache, &vst->nack_mb, missed, lost)) != NULL) {
		/* the very packet kept: its length, header and tail */
		CHECK_EQ(s->len, 200 + s->seq % 7);
		CHECK_EQ(s->data[2] << 8 | s->data[3], s->seq);
		CHECK_EQ(s->data[s->len - 2] << 8 | s->data[s->len - 1], s->seq);
		if (n < max)
			got[n] = s->seq;
		n++;
	}
	return n;
}

/* What a NACK names is resent from what was kept; what the cache no
 * longer holds, never held, holds for another SSRC, or resent 3 times
 * already is missed; a mailbox that overflowed loses its oldest items. */
static void nack_answered(void)
{
	struct sgw_viewer_state vst;
	uint64_t missed = 0, lost = 0;
	uint8_t p[1600];
	uint16_t got[64];

	memset(&vst, 0, sizeof(vst));
	memset(&cache, 0, sizeof(cache));
	/* 65000 .. 65535, 0 .. 463 sent: the last 512 (65488 ..) are kept */
	for (uint32_t i = 65000; i < 66000; i++) {
		uint16_t seq = (uint16_t)i;
		rtp(p, 0x1234, seq, 200 + seq % 7);
		sgw_nack_keep(&cache, p, 200 + seq % 7);
	}
	CHECK(!sgw_nack_pending(&vst.nack_mb, &cache));
	/* 461, 462 (BLP bit 0) and 464 (bit 2: not sent yet); 65000 (gone);
	 * 65535 and 0 across the wrap (bit 0) */
	const uint16_t items[][2] = { { 461, 0x5 }, { 65000, 0 }, { 65535, 0x1 } };
	sgw_viewer_rtcp(&vst, p, nack(p, 0x1234, items, 3), NULL, HZ, HZ);
	CHECK_EQ(vst.nack, 1);
	CHECK(sgw_nack_pending(&vst.nack_mb, &cache));
	CHECK_EQ(take(&vst, got, 64, &missed, &lost), 4);
	CHECK_EQ(got[0], 461);
	CHECK_EQ(got[1], 462);
	CHECK_EQ(got[2], 65535);
	CHECK_EQ(got[3], 0);
	CHECK_EQ(missed, 2);
	CHECK_EQ(lost, 0);
	CHECK(!sgw_nack_pending(&vst.nack_mb, &cache));

	/* another SSRC's 461: missed; 461 again twice more: resent (3 in
	 * all), then no more */
	const uint16_t one[][2] = { { 461, 0 } };
	missed = 0;
	sgw_viewer_rtcp(&vst, p, nack(p, 0x9999, one, 1), NULL, HZ, HZ);
	for (int k = 0; k < 3; k++)
		sgw_viewer_rtcp(&vst, p, nack(p, 0x1234, one, 1), NULL, HZ, HZ);
	CHECK_EQ(take(&vst, got, 64, &missed, &lost), 2);
	CHECK_EQ(missed, 2);

	/* a packet too big to keep clears its slot: not resent stale */
	rtp(p, 0x1234, 464, SGW_NACK_PKT_MAX + 1);
	sgw_nack_keep(&cache, p, SGW_NACK_PKT_MAX + 1);
	const uint16_t big[][2] = { { 464, 0 }, { 463, 0 } };
	missed = 0;
	sgw_viewer_rtcp(&vst, p, nack(p, 0x1234, big, 2), NULL, HZ, HZ);
	CHECK_EQ(take(&vst, got, 64, &missed, &lost), 1);
	CHECK_EQ(got[0], 463);
	CHECK_EQ(missed, 1);

	/* 40 items with nobody taking: the 8 oldest are lost, 32 answered */
	missed = lost = 0;
	for (uint16_t k = 0; k < 40; k++) {
		const uint16_t it[][2] = { { (uint16_t)(400 + k), 0 } };
		sgw_viewer_rtcp(&vst, p, nack(p, 0x1234, it, 1), NULL, HZ, HZ);
	}
	CHECK_EQ(take(&vst, got, 64, &missed, &lost), 32);
	CHECK_EQ(got[0], 408);
	CHECK_EQ(lost, 8);
	CHECK_EQ(missed, 0);
}

int main(void)
{
	RUN(report_and_feedback);
	RUN(round_trip);
	RUN(malformed);
	RUN(nack_answered);
	return check_failures ? 1 : 0;
}
