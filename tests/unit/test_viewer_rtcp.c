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

int main(void)
{
	RUN(report_and_feedback);
	RUN(round_trip);
	RUN(malformed);
	return check_failures ? 1 : 0;
}
