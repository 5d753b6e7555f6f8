/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the slow-path frames (pkt_reply.h). Requests are built by
 * hand; answers are compared byte for byte with frames made here (checksums
 * from a byte-wise RFC 1071 implementation independent of the library's),
 * then parsed again with pkt_parse().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/pkt_cksum.h"
#include "dataplane/pkt_parse.h"
#include "dataplane/pkt_reply.h"
#include "tests/unit/check.h"
#include "tests/unit/frame_util.h"

#define P_UDP 17
#define P_ICMP 1
#define P_ICMP6 58
#define P_HOP 0

static const uint8_t mac_us[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
static const uint8_t mac_peer[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t ip4_peer[4] = { 192, 0, 2, 1 };
static const uint8_t ip4_us[4] = { 192, 0, 2, 2 };
static const uint8_t ip6_peer[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t ip6_us[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x02 };
static const uint8_t ip6_unspec[16];
static const uint8_t ip6_snm_us[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff,
					[15] = 0x02 };
static const uint8_t mac_snm_us[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x02 };

static uint16_t
ref_cksum6(const uint8_t *src, const uint8_t *dst, const uint8_t *l4,
	   uint32_t n)
{
	uint8_t ph[8] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16),
			  (uint8_t)(n >> 8), (uint8_t)n, 0, 0, 0, P_ICMP6 };
	uint32_t s;

	s = sum_add(0, src, 16);
	s = sum_add(s, dst, 16);
	s = sum_add(s, ph, 8);
	return (uint16_t)~sum_fold(sum_add(s, l4, n));
}

/* ICMPv6 checksum of the message at l4 in an IPv6 frame is valid. */
static int
icmp6_cksum_ok(const uint8_t *ip6, const uint8_t *l4, uint32_t n)
{
	return ref_cksum6(ip6 + 8, ip6 + 24, l4, n) == 0;
}

static uint32_t
put_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, int vlan,
	uint16_t et)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	if (vlan >= 0) {
		put16(f + 12, 0x8100);
		put16(f + 14, (uint32_t)vlan);
		put16(f + 16, et);
		return 18;
	}
	put16(f + 12, et);
	return 14;
}

/* IPv4 peer -> us, optlen bytes of NOP options, ICMP message m. */
static void
build_icmp4(struct frame *fr, int vlan, uint32_t optlen, const uint8_t *m,
	    uint32_t mlen)
{
	uint8_t *ip;
	uint32_t hl = 20 + optlen;

	memset(fr, 0, sizeof(*fr));
	fr->l2 = put_eth(fr->b, mac_us, mac_peer, vlan, 0x0800);
	fr->l3 = fr->l2;
	ip = fr->b + fr->l3;
	ip[0] = (uint8_t)(0x40 | hl / 4);
	put16(ip + 2, hl + mlen);
	put16(ip + 4, 0xbeef);
	put16(ip + 6, 0x4000);
	ip[8] = 3;
	ip[9] = P_ICMP;
	memcpy(ip + 12, ip4_peer, 4);
	memcpy(ip + 16, ip4_us, 4);
	memset(ip + 20, 1, optlen);
	put16(ip + 10, ref_cksum(ip, hl));
	fr->l4 = fr->l3 + hl;
	memcpy(fr->b + fr->l4, m, mlen);
	put16(fr->b + fr->l4 + 2, 0);
	put16(fr->b + fr->l4 + 2, ref_cksum(fr->b + fr->l4, mlen));
	fr->len = fr->l4 + mlen;
}

/* IPv6 frame with extension headers ext, ICMPv6 message m. */
static void
build_icmp6(struct frame *fr, int vlan, const uint8_t *eth_dst, uint8_t hop,
	    const uint8_t *src, const uint8_t *dst, const uint8_t *ext,
	    uint32_t extlen, const uint8_t *m, uint32_t mlen)
{
	uint8_t *ip, *p;

	memset(fr, 0, sizeof(*fr));
	fr->l2 = put_eth(fr->b, eth_dst, mac_peer, vlan, 0x86dd);
	fr->l3 = fr->l2;
	ip = fr->b + fr->l3;
	ip[0] = 0x60;
	ip[1] = 0x01;
	ip[2] = 0x23;
	ip[3] = 0x45;
	put16(ip + 4, extlen + mlen);
	ip[6] = extlen ? P_HOP : P_ICMP6;
	ip[7] = hop;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	if (extlen)
		memcpy(ip + 40, ext, extlen);
	fr->l4 = fr->l3 + 40 + extlen;
	p = fr->b + fr->l4;
	memcpy(p, m, mlen);
	put16(p + 2, 0);
	put16(p + 2, ref_cksum6(src, dst, p, mlen));
	fr->len = fr->l4 + mlen;
}

static void
build_arp(struct frame *fr, int vlan, uint16_t op)
{
	uint8_t *a;

	memset(fr, 0, sizeof(*fr));
	fr->l2 = put_eth(fr->b, mac_bcast, mac_peer, vlan, 0x0806);
	fr->l3 = fr->l2;
	a = fr->b + fr->l3;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, mac_peer, 6);
	memcpy(a + 14, ip4_peer, 4);
	memcpy(a + 24, ip4_us, 4);
	fr->len = fr->l3 + 28;
}

static uint32_t
mk_echo(uint8_t *m, uint8_t type, uint32_t datalen)
{
	uint32_t k;

	m[0] = type;
	m[1] = 0;
	put16(m + 2, 0);
	put16(m + 4, 0x4242);
	put16(m + 6, 7);
	for (k = 0; k < datalen; k++)
		m[8 + k] = (uint8_t)(k * 7 + 1);
	return 8 + datalen;
}

/* NS for ip6_us, with a source LLA option (mac_peer) if slla. */
static uint32_t
mk_ns(uint8_t *m, int slla)
{
	memset(m, 0, 32);
	m[0] = 135;
	memcpy(m + 8, ip6_us, 16);
	if (!slla)
		return 24;
	m[24] = 1;
	m[25] = 1;
	memcpy(m + 26, mac_peer, 6);
	return 32;
}

static void
arp_reply_bytes(void)
{
	static const uint8_t exp[60] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* to the asker */
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, /* from us */
		0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 192, 0, 2, 2,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 192, 0, 2, 1,
		/* 18 bytes of zero padding */
	};
	struct frame fr;
	struct pkt_info i;
	uint32_t n;

	build_arp(&fr, -1, 1);
	memset(fr.b + fr.len, 0xee, 18); /* the asker's padding */
	CHECK_EQ(pkt_parse(fr.b, 60, &i), PKT_ARP);
	n = pkt_reply_arp(fr.b, 60, &i, mac_us);
	CHECK_EQ(n, 60);
	CHECK_MEM(fr.b, exp, 60);

	CHECK_EQ(pkt_parse(fr.b, n, &i), PKT_ARP);
	CHECK_EQ(i.arp_op, 2);
	CHECK_MEM(i.arp_sha, mac_us, 6);
	CHECK_MEM(i.src, ip4_us, 4);
	CHECK_MEM(i.dst, ip4_peer, 4);

	/* unpadded request (42 bytes): the answer is padded to 60 */
	build_arp(&fr, -1, 1);
	memset(fr.b + fr.len, 0x77, 32);
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ARP);
	n = pkt_reply_arp(fr.b, fr.len, &i, mac_us);
	CHECK_EQ(n, 60);
	CHECK_MEM(fr.b, exp, 60);
}

static void
arp_reply_vlan_bytes(void)
{
	static const uint8_t exp[60] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
		0x81, 0x00, 0x60, 0x64, /* tag kept */
		0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 192, 0, 2, 2,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 192, 0, 2, 1,
	};
	struct frame fr;
	struct pkt_info i;

	build_arp(&fr, 0x6064, 1);
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ARP);
	CHECK_EQ(pkt_reply_arp(fr.b, fr.len, &i, mac_us), 60);
	CHECK_MEM(fr.b, exp, 60);
	CHECK_EQ(pkt_parse(fr.b, 60, &i), PKT_ARP);
	CHECK_EQ(i.vlan_tci, 0x6064);
	CHECK_EQ(i.arp_op, 2);
}

static void
arp_reply_refused(void)
{
	struct frame fr, orig;
	struct pkt_info i;

	/* an ARP reply is not answered */
	build_arp(&fr, -1, 2);
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ARP);
	CHECK_EQ(pkt_reply_arp(fr.b, fr.len, &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
	/* nor anything that is not ARP, nor a drop */
	build_arp(&fr, -1, 1);
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ARP);
	i.cls = PKT_ICMP4;
	CHECK_EQ(pkt_reply_arp(fr.b, fr.len, &i, mac_us), 0);
	CHECK_EQ(pkt_parse(fr.b, fr.len - 1, &i), PKT_DROP);
	CHECK_EQ(pkt_reply_arp(fr.b, fr.len - 1, &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
}

/* Expected ICMP echo reply to req: built from the request by hand. */
static uint32_t
exp_icmp4_reply(uint8_t *exp, const struct frame *req)
{
	uint32_t mlen = req->len - req->l4;
	uint8_t *ip = exp + req->l2, *m = ip + 20;

	memcpy(exp, req->b, req->l2 + 20);
	memcpy(exp, mac_peer, 6);
	memcpy(exp + 6, mac_us, 6);
	ip[0] = 0x45;
	put16(ip + 2, 20 + mlen);
	ip[8] = 64;
	memcpy(ip + 12, ip4_us, 4);
	memcpy(ip + 16, ip4_peer, 4);
	put16(ip + 10, 0);
	put16(ip + 10, ref_cksum(ip, 20));
	memcpy(m, req->b + req->l4, mlen);
	m[0] = 0;
	put16(m + 2, 0);
	put16(m + 2, ref_cksum(m, mlen));
	return req->l2 + 20 + mlen;
}

static void
check_icmp4_reply(const uint8_t *f, uint32_t n, int vlan)
{
	struct pkt_info i;
	uint32_t l2 = vlan >= 0 ? 18 : 14;

	CHECK_EQ(pkt_parse(f, n, &i), PKT_ICMP4);
	CHECK_EQ(i.icmp_type, 0);
	CHECK_EQ(i.icmp_code, 0);
	CHECK_EQ(i.hop_limit, 64);
	CHECK_EQ(i.l3_len, 20);
	CHECK_MEM(i.src, ip4_us, 4);
	CHECK_MEM(i.dst, ip4_peer, 4);
	CHECK_MEM(i.eth_src, mac_us, 6);
	CHECK_MEM(i.eth_dst, mac_peer, 6);
	CHECK_EQ(i.has_vlan, vlan >= 0);
	if (vlan >= 0)
		CHECK_EQ(i.vlan_tci, vlan);
	CHECK_EQ(ref_cksum(f + l2, 20), 0);
	CHECK_EQ(ref_cksum(f + i.l4_off, (uint32_t)i.payload_len + 4), 0);
	CHECK_EQ(get16(f + i.l4_off + 4), 0x4242); /* identifier */
	CHECK_EQ(get16(f + i.l4_off + 6), 7);      /* sequence */
}

static void
icmp4_echo_reply(void)
{
	struct frame fr, req;
	uint8_t m[128], exp[256];
	struct pkt_info i;
	uint32_t n, en;

	build_icmp4(&fr, -1, 0, m, mk_echo(m, 8, 32));
	req = fr;
	CHECK_EQ(fr.len, 74);
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP4);
	n = pkt_reply_icmp4_echo(fr.b, fr.len, &i, mac_us);
	en = exp_icmp4_reply(exp, &req);
	CHECK_EQ(n, 74);
	CHECK_EQ(n, en);
	CHECK_MEM(fr.b, exp, en);
	/* TOS, identifier and DF are kept */
	CHECK_EQ(get16(fr.b + 18), 0xbeef);
	CHECK_EQ(get16(fr.b + 20), 0x4000);
	check_icmp4_reply(fr.b, n, -1);
	CHECK_MEM(fr.b + 42, req.b + 42, 32);

	/* odd data length */
	build_icmp4(&fr, -1, 0, m, mk_echo(m, 8, 57));
	req = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP4);
	n = pkt_reply_icmp4_echo(fr.b, fr.len, &i, mac_us);
	en = exp_icmp4_reply(exp, &req);
	CHECK_EQ(n, en);
	CHECK_MEM(fr.b, exp, en);
	check_icmp4_reply(fr.b, n, -1);
}

static void
icmp4_echo_reply_small_padded(void)
{
	struct frame fr, req;
	uint8_t m[16], exp[128];
	struct pkt_info i;
	uint32_t n;

	build_icmp4(&fr, -1, 0, m, mk_echo(m, 8, 0));
	CHECK_EQ(fr.len, 42);
	req = fr;
	memset(fr.b + 42, 0xee, 18);
	CHECK_EQ(pkt_parse(fr.b, 60, &i), PKT_ICMP4);
	n = pkt_reply_icmp4_echo(fr.b, 60, &i, mac_us);
	CHECK_EQ(n, 60);
	memset(exp, 0, sizeof(exp));
	CHECK_EQ(exp_icmp4_reply(exp, &req), 42);
	CHECK_MEM(fr.b, exp, 60); /* zero padding */
	check_icmp4_reply(fr.b, n, -1);
}

static void
icmp4_echo_reply_options_vlan(void)
{
	struct frame fr, req, plain;
	uint8_t m[128], exp[256];
	struct pkt_info i;
	uint32_t n;

	/* 8 bytes of options: not echoed, the message moves up */
	build_icmp4(&fr, 0x0123, 8, m, mk_echo(m, 8, 20));
	req = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP4);
	CHECK_EQ(i.l3_len, 28);
	n = pkt_reply_icmp4_echo(fr.b, fr.len, &i, mac_us);
	CHECK_EQ(n, req.len - 8);
	build_icmp4(&plain, 0x0123, 0, m, mk_echo(m, 8, 20));
	CHECK_EQ(exp_icmp4_reply(exp, &plain), n);
	CHECK_MEM(fr.b, exp, n);
	CHECK_EQ(get16(fr.b + 12), 0x8100);
	CHECK_EQ(get16(fr.b + 14), 0x0123);
	check_icmp4_reply(fr.b, n, 0x0123);
	CHECK_MEM(fr.b + 18 + 20 + 8, req.b + req.l4 + 8, 20);
}

static void
icmp4_echo_refused(void)
{
	struct frame fr, orig;
	uint8_t m[64] = { 0 };
	struct pkt_info i;

	/* echo reply, destination unreachable */
	build_icmp4(&fr, -1, 0, m, mk_echo(m, 0, 8));
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP4);
	CHECK_EQ(pkt_reply_icmp4_echo(fr.b, fr.len, &i, mac_us), 0);
	m[0] = 3;
	m[1] = 1;
	build_icmp4(&fr, -1, 0, m, 36);
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP4);
	CHECK_EQ(pkt_reply_icmp4_echo(fr.b, fr.len, &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
	/* an ICMPv6 echo request is not an ICMP one */
	build_icmp6(&fr, -1, mac_us, 64, ip6_peer, ip6_us, NULL, 0, m,
		    mk_echo(m, 128, 8));
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(pkt_reply_icmp4_echo(fr.b, fr.len, &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
	/* a dropped frame */
	build_icmp4(&fr, -1, 0, m, mk_echo(m, 8, 8));
	fr.b[fr.len - 1] ^= 1;
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_DROP);
	CHECK_EQ(pkt_reply_icmp4_echo(fr.b, fr.len, &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
}

/* Expected ICMPv6 echo reply to req (without its extension headers). */
static uint32_t
exp_icmp6_reply(uint8_t *exp, const struct frame *req)
{
	uint32_t mlen = req->len - req->l4;
	uint8_t *ip = exp + req->l2, *m = ip + 40;

	memcpy(exp, req->b, req->l2 + 40);
	memcpy(exp, mac_peer, 6);
	memcpy(exp + 6, mac_us, 6);
	put16(ip + 4, mlen);
	ip[6] = P_ICMP6;
	ip[7] = 64;
	memcpy(ip + 8, ip6_us, 16);
	memcpy(ip + 24, ip6_peer, 16);
	memcpy(m, req->b + req->l4, mlen);
	m[0] = 129;
	put16(m + 2, 0);
	put16(m + 2, ref_cksum6(ip6_us, ip6_peer, m, mlen));
	return req->l2 + 40 + mlen;
}

static void
check_icmp6_reply(const uint8_t *f, uint32_t n, int vlan)
{
	struct pkt_info i;

	CHECK_EQ(pkt_parse(f, n, &i), PKT_ICMP6);
	CHECK_EQ(i.icmp_type, 129);
	CHECK_EQ(i.icmp_code, 0);
	CHECK_EQ(i.hop_limit, 64);
	CHECK_EQ(i.l4_off, i.l2_len + 40);
	CHECK_MEM(i.src, ip6_us, 16);
	CHECK_MEM(i.dst, ip6_peer, 16);
	CHECK_MEM(i.eth_src, mac_us, 6);
	CHECK_MEM(i.eth_dst, mac_peer, 6);
	CHECK_EQ(i.has_vlan, vlan >= 0);
	if (vlan >= 0)
		CHECK_EQ(i.vlan_tci, vlan);
	CHECK(icmp6_cksum_ok(f + i.l2_len, f + i.l4_off,
			     (uint32_t)i.payload_len + 4));
	CHECK_EQ(get16(f + i.l4_off + 4), 0x4242);
}

static void
icmp6_echo_reply(void)
{
	struct frame fr, req;
	uint8_t m[128], exp[256];
	struct pkt_info i;
	uint32_t n;

	build_icmp6(&fr, -1, mac_us, 17, ip6_peer, ip6_us, NULL, 0, m,
		    mk_echo(m, 128, 31));
	req = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	n = pkt_reply_icmp6_echo(fr.b, fr.len, &i, mac_us);
	CHECK_EQ(n, req.len);
	CHECK_EQ(exp_icmp6_reply(exp, &req), n);
	CHECK_MEM(fr.b, exp, n);
	check_icmp6_reply(fr.b, n, -1);
	/* traffic class and flow label kept */
	CHECK_EQ(get16(fr.b + 14), 0x6001);
	CHECK_EQ(get16(fr.b + 16), 0x2345);
}

static void
icmp6_echo_reply_ext_vlan(void)
{
	struct frame fr, req, plain;
	uint8_t m[128], exp[256], ext[8] = { P_ICMP6, 0, 1, 4 };
	struct pkt_info i;
	uint32_t n, ml = mk_echo(m, 128, 40);

	/* the hop-by-hop header of the request is not sent back */
	build_icmp6(&fr, 0x0042, mac_us, 64, ip6_peer, ip6_us, ext, 8, m, ml);
	req = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(i.l4_off, 18 + 40 + 8);
	n = pkt_reply_icmp6_echo(fr.b, fr.len, &i, mac_us);
	CHECK_EQ(n, req.len - 8);
	build_icmp6(&plain, 0x0042, mac_us, 64, ip6_peer, ip6_us, NULL, 0, m,
		    ml);
	CHECK_EQ(exp_icmp6_reply(exp, &plain), n);
	CHECK_MEM(fr.b, exp, n);
	check_icmp6_reply(fr.b, n, 0x0042);
	CHECK_MEM(fr.b + 18 + 40 + 8, req.b + req.l4 + 8, 40);
}

static void
icmp6_echo_refused(void)
{
	struct frame fr, orig;
	uint8_t m[64];
	struct pkt_info i;

	build_icmp6(&fr, -1, mac_us, 64, ip6_peer, ip6_us, NULL, 0, m,
		    mk_echo(m, 129, 8));
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(pkt_reply_icmp6_echo(fr.b, fr.len, &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
	build_icmp6(&fr, -1, mac_snm_us, 255, ip6_peer, ip6_snm_us, NULL, 0, m,
		    mk_ns(m, 1));
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(pkt_reply_icmp6_echo(fr.b, fr.len, &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
	build_icmp4(&fr, -1, 0, m, mk_echo(m, 8, 8));
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP4);
	CHECK_EQ(pkt_reply_icmp6_echo(fr.b, fr.len, &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
}

/* The NA we expect: ICMPv6 message and IPv6/Ethernet headers. */
static void
exp_na(uint8_t *exp, int vlan, const uint8_t *eth_dst, const uint8_t *ip_dst,
       uint8_t flags)
{
	uint32_t l2 = put_eth(exp, eth_dst, mac_us, vlan, 0x86dd);
	uint8_t *ip = exp + l2, *m = ip + 40;

	memset(ip, 0, 72);
	ip[0] = 0x60;
	put16(ip + 4, 32);
	ip[6] = P_ICMP6;
	ip[7] = 255;
	memcpy(ip + 8, ip6_us, 16);
	memcpy(ip + 24, ip_dst, 16);
	m[0] = 136;
	m[4] = flags;
	memcpy(m + 8, ip6_us, 16);
	m[24] = 2;
	m[25] = 1;
	memcpy(m + 26, mac_us, 6);
	put16(m + 2, ref_cksum6(ip6_us, ip_dst, m, 32));
}

static void
check_na(const uint8_t *f, uint32_t n, const uint8_t *ip_dst)
{
	struct pkt_info i;

	CHECK_EQ(pkt_parse(f, n, &i), PKT_ICMP6);
	CHECK_EQ(i.icmp_type, 136);
	CHECK_EQ(i.icmp_code, 0);
	CHECK_EQ(i.hop_limit, 255);
	CHECK_MEM(i.src, ip6_us, 16);
	CHECK_MEM(i.dst, ip_dst, 16);
	CHECK_MEM(i.nd_target, ip6_us, 16);
	CHECK_EQ(i.has_nd_lladdr, 1);
	CHECK_MEM(i.nd_lladdr, mac_us, 6);
	CHECK(icmp6_cksum_ok(f + i.l2_len, f + i.l4_off, 32));
}

static void
nd_na_reply(void)
{
	static const uint8_t hdr[] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* to the asker */
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x86, 0xdd,
		0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 58, 255,
	};
	struct frame fr;
	uint8_t m[64], exp[128];
	struct pkt_info i;
	uint32_t n;

	build_icmp6(&fr, -1, mac_snm_us, 255, ip6_peer, ip6_snm_us, NULL, 0, m,
		    mk_ns(m, 1));
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(i.icmp_type, 135);
	n = pkt_reply_nd_ns(fr.b, fr.len, sizeof(fr.b), &i, mac_us);
	CHECK_EQ(n, 14 + 40 + 32);
	exp_na(exp, -1, mac_peer, ip6_peer, 0x60);
	CHECK_MEM(fr.b, exp, 86);
	CHECK_MEM(fr.b, hdr, sizeof(hdr));
	CHECK_EQ(fr.b[54], 136);
	CHECK_EQ(fr.b[58], 0x60); /* S and O, not R */
	CHECK_EQ(fr.b[78], 2);    /* target link-layer address option */
	CHECK_EQ(fr.b[79], 1);
	check_na(fr.b, n, ip6_peer);

	/* NS without the source LLA option: answer to the Ethernet source */
	build_icmp6(&fr, -1, mac_us, 255, ip6_peer, ip6_us, NULL, 0, m,
		    mk_ns(m, 0));
	CHECK_EQ(fr.len, 78);
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	n = pkt_reply_nd_ns(fr.b, fr.len, sizeof(fr.b), &i, mac_us);
	CHECK_EQ(n, 86);
	CHECK_MEM(fr.b, exp, 86);
	check_na(fr.b, n, ip6_peer);
}

static void
nd_na_dad(void)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
	static const uint8_t mac_all_nodes[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct frame fr;
	uint8_t m[64], exp[128];
	struct pkt_info i;
	uint32_t n;

	build_icmp6(&fr, -1, mac_snm_us, 255, ip6_unspec, ip6_snm_us, NULL, 0,
		    m, mk_ns(m, 0));
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	n = pkt_reply_nd_ns(fr.b, fr.len, sizeof(fr.b), &i, mac_us);
	CHECK_EQ(n, 86);
	exp_na(exp, -1, mac_all_nodes, all_nodes, 0x20);
	CHECK_MEM(fr.b, exp, 86);
	CHECK_EQ(fr.b[58], 0x20); /* O only: not solicited */
	check_na(fr.b, n, all_nodes);
}

static void
nd_na_vlan_room(void)
{
	struct frame fr, orig;
	uint8_t m[64], exp[128];
	struct pkt_info i;
	uint32_t n;

	build_icmp6(&fr, 0x0fff, mac_snm_us, 255, ip6_peer, ip6_snm_us, NULL,
		    0, m, mk_ns(m, 0));
	CHECK_EQ(fr.len, 82);
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	/* the NA (90 bytes) is longer than the NS: room decides */
	CHECK_EQ(pkt_reply_nd_ns(fr.b, fr.len, 89, &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
	n = pkt_reply_nd_ns(fr.b, fr.len, 90, &i, mac_us);
	CHECK_EQ(n, 90);
	exp_na(exp, 0x0fff, mac_peer, ip6_peer, 0x60);
	CHECK_MEM(fr.b, exp, 90);
	check_na(fr.b, n, ip6_peer);
	CHECK_EQ(get16(fr.b + 14), 0x0fff);

	/* not an NS */
	build_icmp6(&fr, -1, mac_us, 64, ip6_peer, ip6_us, NULL, 0, m,
		    mk_echo(m, 128, 8));
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(pkt_reply_nd_ns(fr.b, fr.len, sizeof(fr.b), &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
	/* an NA is not answered */
	m[0] = 136;
	build_icmp6(&fr, -1, mac_us, 255, ip6_peer, ip6_us, NULL, 0, m, 24);
	orig = fr;
	CHECK_EQ(pkt_parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(i.icmp_type, 136);
	CHECK_EQ(pkt_reply_nd_ns(fr.b, fr.len, sizeof(fr.b), &i, mac_us), 0);
	CHECK_MEM(fr.b, orig.b, sizeof(fr.b));
}

static void
build_arp_request_bytes(void)
{
	static const uint8_t exp[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 192, 0, 2, 2,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192, 0, 2, 1,
	};
	static const uint8_t exp_vlan[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x81, 0x00, 0x20, 0x05,
		0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 192, 0, 2, 2,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192, 0, 2, 1,
	};
	uint8_t buf[128];
	struct pkt_info i;

	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_arp_request(buf, sizeof(buf), 0, mac_us, ip4_us,
				       ip4_peer), 60);
	CHECK_MEM(buf, exp, 60);
	CHECK_EQ(pkt_parse(buf, 60, &i), PKT_ARP);
	CHECK_EQ(i.arp_op, 1);
	CHECK_MEM(i.arp_sha, mac_us, 6);
	CHECK_MEM(i.src, ip4_us, 4);
	CHECK_MEM(i.dst, ip4_peer, 4);
	CHECK_EQ(i.has_vlan, 0);

	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_arp_request(buf, 60, 0x2005, mac_us, ip4_us,
				       ip4_peer), 60);
	CHECK_MEM(buf, exp_vlan, 60);
	CHECK_EQ(buf[60], 0xcc);
	CHECK_EQ(pkt_parse(buf, 60, &i), PKT_ARP);
	CHECK_EQ(i.vlan_tci, 0x2005);

	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_arp_request(buf, 59, 0, mac_us, ip4_us, ip4_peer),
		 0);
	CHECK_EQ(pkt_build_arp_request(buf, 0, 7, mac_us, ip4_us, ip4_peer),
		 0);
	CHECK_EQ(buf[0], 0xcc);
}

static void
build_nd_ns_bytes(void)
{
	static const uint8_t target[16] = { 0x20, 0x01, 0x0d, 0xb8,
					    [12] = 0x12, [13] = 0xab,
					    [14] = 0xcd, [15] = 0xef };
	static const uint8_t exp_hdr[] = {
		0x33, 0x33, 0xff, 0xab, 0xcd, 0xef,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x86, 0xdd,
		0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 58, 255,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0xab, 0xcd,
		0xef,
	};
	uint8_t exp_icmp[32] = {
		135, 0, 0, 0, 0, 0, 0, 0,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0x12, 0xab, 0xcd, 0xef,
		1, 1, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	};
	uint8_t buf[256];
	struct pkt_info i;

	CHECK_EQ(sizeof(exp_hdr), 54);
	put16(exp_icmp + 2, ref_cksum6(ip6_us, exp_hdr + 38, exp_icmp, 32));

	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_nd_ns(buf, sizeof(buf), 0, mac_us, ip6_us, target),
		 86);
	CHECK_MEM(buf, exp_hdr, 54);
	CHECK_MEM(buf + 54, exp_icmp, 32);
	CHECK_EQ(buf[86], 0xcc);
	CHECK(icmp6_cksum_ok(buf + 14, buf + 54, 32));
	CHECK_EQ(pkt_parse(buf, 86, &i), PKT_ICMP6);
	CHECK_EQ(i.icmp_type, 135);
	CHECK_EQ(i.hop_limit, 255);
	CHECK_MEM(i.nd_target, target, 16);
	CHECK_EQ(i.has_nd_lladdr, 1);
	CHECK_MEM(i.nd_lladdr, mac_us, 6);
	CHECK_MEM(i.src, ip6_us, 16);

	/* tagged: the same after the 4-byte tag */
	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_nd_ns(buf, 90, 0x0064, mac_us, ip6_us, target), 90);
	CHECK_MEM(buf, exp_hdr, 12);
	CHECK_EQ(get16(buf + 12), 0x8100);
	CHECK_EQ(get16(buf + 14), 0x0064);
	CHECK_MEM(buf + 16, exp_hdr + 12, 54 - 12);
	CHECK_MEM(buf + 58, exp_icmp, 32);
	CHECK_EQ(pkt_parse(buf, 90, &i), PKT_ICMP6);
	CHECK_EQ(i.vlan_tci, 0x0064);
	CHECK_MEM(i.nd_target, target, 16);

	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_nd_ns(buf, 89, 0x0064, mac_us, ip6_us, target), 0);
	CHECK_EQ(pkt_build_nd_ns(buf, 85, 0, mac_us, ip6_us, target), 0);
	CHECK_EQ(buf[0], 0xcc);
}

/* An address announced: RFC 5227's ARP announcement, RFC 4861 7.2.6's
 * unsolicited neighbour advertisement, byte for byte. */
static void
build_announcements(void)
{
	static const uint8_t exp_arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, /* request */
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 192, 0, 2, 2,
		0, 0, 0, 0, 0, 0, 192, 0, 2, 2, /* target IP = sender IP */
	};
	static const uint8_t exp_hdr[54] = {
		0x33, 0x33, 0x00, 0x00, 0x00, 0x01,
		0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x86, 0xdd,
		0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 58, 255,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	};
	uint8_t exp_icmp[32] = {
		136, 0, 0, 0, 0x20, 0, 0, 0, /* Override; not Solicited, not Router */
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x02,
		2, 1, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, /* target link-layer address */
	};
	uint8_t buf[256];
	struct pkt_info i;

	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_arp_announce(buf, sizeof(buf), 0, mac_us, ip4_us), 60);
	CHECK_MEM(buf, exp_arp, 42);
	for (unsigned k = 42; k < 60; k++)
		CHECK_EQ(buf[k], 0);
	CHECK_EQ(pkt_parse(buf, 60, &i), PKT_ARP);
	CHECK_EQ(i.arp_op, 1);
	CHECK_MEM(i.src, ip4_us, 4);
	CHECK_MEM(i.dst, ip4_us, 4);
	/* tagged */
	CHECK_EQ(pkt_build_arp_announce(buf, sizeof(buf), 7, mac_us, ip4_us), 60);
	CHECK_EQ(get16(buf + 12), 0x8100);
	CHECK_EQ(get16(buf + 14), 7);
	CHECK_MEM(buf + 16, exp_arp + 12, 30);
	CHECK_EQ(pkt_build_arp_announce(buf, 59, 0, mac_us, ip4_us), 0);

	put16(exp_icmp + 2, ref_cksum6(ip6_us, exp_hdr + 38, exp_icmp, 32));
	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_nd_na_unsolicited(buf, sizeof(buf), 0, mac_us, ip6_us), 86);
	CHECK_MEM(buf, exp_hdr, 54);
	CHECK_MEM(buf + 54, exp_icmp, 32);
	CHECK_EQ(buf[86], 0xcc);
	CHECK(icmp6_cksum_ok(buf + 14, buf + 54, 32));
	CHECK_EQ(pkt_parse(buf, 86, &i), PKT_ICMP6);
	CHECK_EQ(i.icmp_type, 136);
	CHECK_MEM(i.nd_target, ip6_us, 16);
	CHECK_EQ(i.has_nd_lladdr, 1);
	CHECK_MEM(i.nd_lladdr, mac_us, 6);
	/* tagged: the same after the tag; too small: nothing written */
	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_nd_na_unsolicited(buf, 90, 300, mac_us, ip6_us), 90);
	CHECK_EQ(get16(buf + 12), 0x8100);
	CHECK_EQ(get16(buf + 14), 300);
	CHECK_MEM(buf + 16, exp_hdr + 12, 42);
	CHECK_MEM(buf + 58, exp_icmp, 32);
	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_nd_na_unsolicited(buf, 89, 300, mac_us, ip6_us), 0);
	CHECK_EQ(buf[0], 0xcc);
}

/* Requests built by the gateway, answered by the gateway code itself. */
static void
round_trips(void)
{
	uint8_t buf[256];
	struct pkt_info i;
	uint32_t n;

	/* peer resolves us over ARP */
	n = pkt_build_arp_request(buf, sizeof(buf), 0, mac_peer, ip4_peer,
				  ip4_us);
	CHECK_EQ(pkt_parse(buf, n, &i), PKT_ARP);
	n = pkt_reply_arp(buf, n, &i, mac_us);
	CHECK_EQ(n, 60);
	CHECK_EQ(pkt_parse(buf, n, &i), PKT_ARP);
	CHECK_EQ(i.arp_op, 2);
	CHECK_MEM(i.arp_sha, mac_us, 6);
	CHECK_MEM(i.eth_dst, mac_peer, 6);
	CHECK_MEM(i.src, ip4_us, 4);
	CHECK_MEM(i.dst, ip4_peer, 4);

	/* peer resolves us over ND, tagged */
	n = pkt_build_nd_ns(buf, sizeof(buf), 300, mac_peer, ip6_peer, ip6_us);
	CHECK_EQ(pkt_parse(buf, n, &i), PKT_ICMP6);
	CHECK_MEM(i.eth_dst, mac_snm_us, 6);
	CHECK_MEM(i.dst, ip6_snm_us, 16);
	CHECK_MEM(i.nd_lladdr, mac_peer, 6);
	n = pkt_reply_nd_ns(buf, n, sizeof(buf), &i, mac_us);
	CHECK_EQ(n, 90);
	check_na(buf, n, ip6_peer);
	CHECK_EQ(pkt_parse(buf, n, &i), PKT_ICMP6);
	CHECK_EQ(i.vlan_tci, 300);
	CHECK_MEM(i.eth_dst, mac_peer, 6);
	CHECK_MEM(i.eth_src, mac_us, 6);
}

/* Frames at odd addresses (UBSan would flag misaligned accesses). */
static void
unaligned_buffers(void)
{
	static uint8_t store[512];
	struct frame fr;
	uint8_t m[128], exp[256], *b;
	struct pkt_info i;
	unsigned int shift;
	uint32_t n;

	for (shift = 1; shift < 4; shift++) {
		b = store + shift;
		build_icmp4(&fr, 5, 4, m, mk_echo(m, 8, 11));
		memcpy(b, fr.b, fr.len);
		CHECK_EQ(pkt_parse(b, fr.len, &i), PKT_ICMP4);
		n = pkt_reply_icmp4_echo(b, fr.len, &i, mac_us);
		check_icmp4_reply(b, n, 5);

		build_icmp6(&fr, -1, mac_us, 64, ip6_peer, ip6_us, NULL, 0, m,
			    mk_echo(m, 128, 13));
		memcpy(b, fr.b, fr.len);
		CHECK_EQ(pkt_parse(b, fr.len, &i), PKT_ICMP6);
		n = pkt_reply_icmp6_echo(b, fr.len, &i, mac_us);
		CHECK_EQ(exp_icmp6_reply(exp, &fr), n);
		CHECK_MEM(b, exp, n);

		n = pkt_build_nd_ns(b, 200, 0x123, mac_peer, ip6_peer, ip6_us);
		CHECK_EQ(pkt_parse(b, n, &i), PKT_ICMP6);
		n = pkt_reply_nd_ns(b, n, 200, &i, mac_us);
		check_na(b, n, ip6_peer);

		n = pkt_build_arp_request(b, 200, 0x123, mac_peer, ip4_peer,
					  ip4_us);
		CHECK_EQ(pkt_parse(b, n, &i), PKT_ARP);
		CHECK_EQ(pkt_reply_arp(b, n, &i, mac_us), 60);
	}
}

/* Heap copy of fr in a buffer of exactly room bytes (ASan-checked). */
static uint8_t *
tight(const struct frame *fr, uint32_t room)
{
	uint8_t *b = malloc(room);

	if (b == NULL)
		abort();
	memset(b, 0xcc, room);
	memcpy(b, fr->b, fr->len < room ? fr->len : room);
	return b;
}

/* Every answer fits the room the header promises, nothing beyond. */
static void
replies_in_tight_buffers(void)
{
	struct frame fr;
	uint8_t m[128], ext[8] = { P_ICMP6, 0, 1, 4 }, *b;
	struct pkt_info i;
	uint32_t n;

	build_arp(&fr, -1, 1);
	b = tight(&fr, fr.len + 32);
	CHECK_EQ(pkt_parse(b, fr.len, &i), PKT_ARP);
	n = pkt_reply_arp(b, fr.len, &i, mac_us);
	CHECK_EQ(n, 60);
	CHECK_EQ(pkt_parse(b, n, &i), PKT_ARP);
	CHECK_EQ(i.arp_op, 2);
	free(b);

	build_icmp4(&fr, 1, 0, m, mk_echo(m, 8, 0));
	b = tight(&fr, fr.len + 32);
	CHECK_EQ(pkt_parse(b, fr.len, &i), PKT_ICMP4);
	n = pkt_reply_icmp4_echo(b, fr.len, &i, mac_us);
	CHECK_EQ(n, 60);
	check_icmp4_reply(b, n, 1);
	free(b);

	build_icmp4(&fr, -1, 40, m, mk_echo(m, 8, 5));
	b = tight(&fr, fr.len + 32);
	CHECK_EQ(pkt_parse(b, fr.len, &i), PKT_ICMP4);
	n = pkt_reply_icmp4_echo(b, fr.len, &i, mac_us);
	CHECK_EQ(n, 60);
	check_icmp4_reply(b, n, -1);
	free(b);

	build_icmp6(&fr, -1, mac_us, 64, ip6_peer, ip6_us, ext, 8, m,
		    mk_echo(m, 128, 0));
	b = tight(&fr, fr.len + 32);
	CHECK_EQ(pkt_parse(b, fr.len, &i), PKT_ICMP6);
	n = pkt_reply_icmp6_echo(b, fr.len, &i, mac_us);
	CHECK_EQ(n, 62);
	check_icmp6_reply(b, n, -1);
	free(b);

	build_icmp6(&fr, -1, mac_snm_us, 255, ip6_peer, ip6_snm_us, NULL, 0, m,
		    mk_ns(m, 0));
	b = tight(&fr, 86);
	CHECK_EQ(pkt_parse(b, fr.len, &i), PKT_ICMP6);
	n = pkt_reply_nd_ns(b, fr.len, 86, &i, mac_us);
	CHECK_EQ(n, 86);
	check_na(b, n, ip6_peer);
	free(b);

	memset(&fr, 0, sizeof(fr));
	b = tight(&fr, 60);
	CHECK_EQ(pkt_build_arp_request(b, 60, 99, mac_us, ip4_us, ip4_peer),
		 60);
	CHECK_EQ(pkt_parse(b, 60, &i), PKT_ARP);
	free(b);
	b = tight(&fr, 90);
	CHECK_EQ(pkt_build_nd_ns(b, 90, 99, mac_us, ip6_us, ip6_peer), 90);
	CHECK_EQ(pkt_parse(b, 90, &i), PKT_ICMP6);
	free(b);
}

/* The punt channel's datagrams: what the parser reads back, checksums
 * right, a payload longer than room refused. */
static void
build_udp_datagrams(void)
{
	uint8_t buf[512], stun[20] = { 0x01, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	uint8_t dtls[40] = { 22, 0xfe, 0xfd };
	struct pkt_udp_addrs u4 = { .family = 4, .sport = 40000, .dport = 5555 };
	struct pkt_udp_addrs u6 = { .family = 6, .sport = 40002, .dport = 6666 };
	struct pkt_info i;
	uint32_t n;

	memcpy(u4.src, ip4_us, 4);
	memcpy(u4.dst, ip4_peer, 4);
	memcpy(u6.src, ip6_us, 16);
	memcpy(u6.dst, ip6_peer, 16);
	n = pkt_build_udp(buf, sizeof(buf), 0, mac_peer, mac_us, &u4, stun, sizeof(stun));
	CHECK_EQ(n, 62);
	CHECK_MEM(buf, mac_peer, 6);
	CHECK_MEM(buf + 6, mac_us, 6);
	CHECK_EQ(pkt_parse(buf, n, &i), PKT_STUN);
	CHECK_MEM(i.src, ip4_us, 4);
	CHECK_MEM(i.dst, ip4_peer, 4);
	CHECK_EQ(i.sport, 40000);
	CHECK_EQ(i.dport, 5555);
	CHECK_EQ(i.payload_len, 20);
	CHECK_MEM(buf + i.payload_off, stun, sizeof(stun));
	CHECK_EQ(i.hop_limit, 64);
	CHECK_EQ(rte_raw_cksum(buf + 14, 20), 0xffff);
	CHECK_EQ(udp_sum(buf + 26, buf + 30, 4, buf + 34, 28), 0xffff);
	CHECK_EQ(get16(buf + 20), 0x4000); /* DF */

	memset(buf, 0xcc, sizeof(buf));
	n = pkt_build_udp(buf, sizeof(buf), 0x0064, mac_peer, mac_us, &u6, dtls, sizeof(dtls));
	CHECK_EQ(n, 18 + 40 + 8 + 40);
	CHECK_EQ(get16(buf + 12), 0x8100);
	CHECK_EQ(pkt_parse(buf, n, &i), PKT_DTLS);
	CHECK_EQ(i.vlan_tci, 0x0064);
	CHECK_MEM(i.src, ip6_us, 16);
	CHECK_EQ(i.dport, 6666);
	CHECK_EQ(i.payload_len, 40);
	CHECK_EQ(udp_sum(buf + 18 + 8, buf + 18 + 24, 16, buf + 58, 48), 0xffff);

	/* too little room, an unknown family */
	memset(buf, 0xcc, sizeof(buf));
	CHECK_EQ(pkt_build_udp(buf, 61, 0, mac_peer, mac_us, &u4, stun, sizeof(stun)), 0);
	CHECK_EQ(buf[0], 0xcc);
	u4.family = 5;
	CHECK_EQ(pkt_build_udp(buf, sizeof(buf), 0, mac_peer, mac_us, &u4, stun, sizeof(stun)), 0);
}

/* udp_cksum (pkt_cksum.h: what the fan-out stamps on every viewer packet
 * where the port cannot offload it, and the punt channel's replies) gives DPDK's
 * rte_ipv4/6_udptcp_cksum value for every length and alignment, and the
 * byte-wise reference's. */
#define A4(field) ((const uint8_t *)&(field))

static void
udp_cksum_as_dpdk(void)
{
	static uint8_t buf[2048 + 64] __attribute__((aligned(64)));
	uint32_t seed = 12345;

	for (unsigned len = 8; len <= 1480; len += (len < 80 ? 1 : 37)) {
		for (unsigned off = 0; off < 8; off++) {
			struct rte_ipv4_hdr *ip4 = (struct rte_ipv4_hdr *)(buf + off);
			struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(buf + off);
			uint8_t *l4;

			for (unsigned i = 0; i < sizeof(buf); i++) {
				seed = seed * 1103515245u + 12345u;
				buf[i] = (uint8_t)(seed >> 16);
			}
			/* IPv4: the fields rte_ipv4_udptcp_cksum reads */
			ip4->version_ihl = 0x45;
			ip4->next_proto_id = P_UDP;
			ip4->total_length = rte_cpu_to_be_16((uint16_t)(len + 20));
			l4 = (uint8_t *)(ip4 + 1);
			l4[6] = l4[7] = 0;
			CHECK_EQ(udp_cksum(A4(ip4->src_addr), A4(ip4->dst_addr), 4, l4, len), rte_ipv4_udptcp_cksum(ip4, l4));
			{
				uint8_t ph[12];
				uint32_t s;
				uint16_t c;

				memcpy(ph, &ip4->src_addr, 4);
				memcpy(ph + 4, &ip4->dst_addr, 4);
				ph[8] = 0;
				ph[9] = P_UDP;
				ph[10] = (uint8_t)(len >> 8);
				ph[11] = (uint8_t)len;
				s = sum_add(0, ph, 12);
				c = (uint16_t)~sum_fold(sum_add(s, l4, len));
				/* the reference in network order, ours as stored */
				CHECK_EQ(rte_be_to_cpu_16(udp_cksum(A4(ip4->src_addr), A4(ip4->dst_addr), 4, l4, len)),
					 c == 0 ? 0xffff : c);
			}
			/* IPv6 */
			ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
			ip6->proto = P_UDP;
			ip6->payload_len = rte_cpu_to_be_16((uint16_t)len);
			l4 = (uint8_t *)(ip6 + 1);
			l4[6] = l4[7] = 0;
			CHECK_EQ(udp_cksum(ip6->src_addr, ip6->dst_addr, 16, l4, len), rte_ipv6_udptcp_cksum(ip6, l4));
		}
	}
	/* a datagram whose sum is 0xffff is sent with 0xffff, not 0 (RFC 768) */
	{
		struct rte_ipv4_hdr ip = { .version_ihl = 0x45, .next_proto_id = P_UDP };
		uint8_t d[10] = { 0 };
		uint16_t c;

		ip.total_length = rte_cpu_to_be_16(30);
		c = udp_cksum(A4(ip.src_addr), A4(ip.dst_addr), 4, d, sizeof(d));
		/* the payload's last word raised by the complement of the sum:
		 * the sum becomes 0xffff, its complement 0 */
		memcpy(d + 8, &c, 2);
		CHECK_EQ(udp_cksum(A4(ip.src_addr), A4(ip.dst_addr), 4, d, sizeof(d)), 0xffff);
		CHECK_EQ(rte_ipv4_udptcp_cksum(&ip, d), 0xffff);
	}
}

int
main(void)
{
	RUN(udp_cksum_as_dpdk);
	RUN(arp_reply_bytes);
	RUN(arp_reply_vlan_bytes);
	RUN(arp_reply_refused);
	RUN(icmp4_echo_reply);
	RUN(icmp4_echo_reply_small_padded);
	RUN(icmp4_echo_reply_options_vlan);
	RUN(icmp4_echo_refused);
	RUN(icmp6_echo_reply);
	RUN(icmp6_echo_reply_ext_vlan);
	RUN(icmp6_echo_refused);
	RUN(nd_na_reply);
	RUN(nd_na_dad);
	RUN(nd_na_vlan_room);
	RUN(build_arp_request_bytes);
	RUN(build_nd_ns_bytes);
	RUN(build_announcements);
	RUN(build_udp_datagrams);
	RUN(round_trips);
	RUN(unaligned_buffers);
	RUN(replies_in_tight_buffers);
	return CHECK_DONE();
}
