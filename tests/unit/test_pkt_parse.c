/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of pkt_parse(). Frames are built by hand here, with checksums
 * from a byte-wise RFC 1071 implementation independent of the parser's.
 * Valid frames have every field of struct pkt_info checked; every drop
 * reason has frames that trigger it. Robustness cases feed every truncation
 * of valid frames and random/mutated frames, each copied into a heap buffer
 * of exactly its length so that ASan reports any read past the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/pkt_parse.h"
#include "tests/unit/check.h"
#include "tests/unit/frame_util.h"

#define P_UDP 17
#define P_TCP 6
#define P_ICMP 1
#define P_ICMP6 58
#define P_HOP 0
#define P_ROUTING 43
#define P_FRAG 44
#define P_ESP 50
#define P_NONXT 59
#define P_DSTOPTS 60

static const uint8_t mac_us[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_peer[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_other[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };
static const uint8_t ip4_peer[4] = { 192, 0, 2, 1 };
static const uint8_t ip4_us[4] = { 192, 0, 2, 2 };
static const uint8_t ip6_peer[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t ip6_us[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x02 };
static const uint8_t ip6_unspec[16];
static const uint8_t ip6_snm_us[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff,
					[15] = 0x02 };

/* RTP: V=2, PT 96, seq 0x1234, ts, SSRC, 8 payload bytes */
static const uint8_t rtp_pkt[20] = {
	0x80, 0x60, 0x12, 0x34, 0x00, 0x00, 0x10, 0x00,
	0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8,
};
/* RTCP receiver report with no blocks (8 bytes) */
static const uint8_t rtcp_pkt[8] = {
	0x80, 201, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef,
};

static uint16_t
ref_l4_cksum(int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
	     const uint8_t *l4, uint32_t n)
{
	uint8_t ph6[8] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16),
			   (uint8_t)(n >> 8), (uint8_t)n, 0, 0, 0, proto };
	uint8_t ph4[4] = { 0, proto, (uint8_t)(n >> 8), (uint8_t)n };
	uint32_t s;

	if (family == 4) {
		s = sum_add(0, src, 4);
		s = sum_add(s, dst, 4);
		s = sum_add(s, ph4, 4);
	} else {
		s = sum_add(0, src, 16);
		s = sum_add(s, dst, 16);
		s = sum_add(s, ph6, 8);
	}
	return (uint16_t)~sum_fold(sum_add(s, l4, n));
}

/* Ethernet header (dst us, src peer), with a tag if vlan >= 0. */
static uint32_t
put_eth(uint8_t *f, int vlan, uint16_t et)
{
	memcpy(f, mac_us, 6);
	memcpy(f + 6, mac_peer, 6);
	if (vlan >= 0) {
		put16(f + 12, 0x8100);
		put16(f + 14, (uint32_t)vlan);
		put16(f + 16, et);
		return 18;
	}
	put16(f + 12, et);
	return 14;
}

/* UDP header + payload into u; returns the UDP length. */
static uint32_t
mk_udp(uint8_t *u, uint16_t sport, uint16_t dport, const uint8_t *pl,
       uint32_t plen)
{
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, 8 + plen);
	put16(u + 6, 0);
	if (plen)
		memcpy(u + 8, pl, plen);
	return 8 + plen;
}

static void
fix_ip4_cksum(struct frame *fr)
{
	uint8_t *ip = fr->b + fr->l3;
	uint32_t hl = (ip[0] & 0xfu) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, ref_cksum(ip, hl));
}

/*
 * IPv4 frame peer -> us carrying l4[0..l4len) as protocol proto, with
 * optlen bytes of NOP options. UDP and ICMP checksums are filled in.
 */
static void
build4(struct frame *fr, int vlan, uint32_t optlen, uint8_t proto,
       const uint8_t *l4, uint32_t l4len)
{
	uint8_t *ip, *p;
	uint32_t hl = 20 + optlen;

	memset(fr, 0, sizeof(*fr));
	fr->l2 = put_eth(fr->b, vlan, 0x0800);
	fr->l3 = fr->l2;
	ip = fr->b + fr->l3;
	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = 0xb8; /* EF */
	put16(ip + 2, hl + l4len);
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 61;
	ip[9] = proto;
	memcpy(ip + 12, ip4_peer, 4);
	memcpy(ip + 16, ip4_us, 4);
	memset(ip + 20, 1, optlen);
	fr->l4 = fr->l3 + hl;
	p = fr->b + fr->l4;
	memcpy(p, l4, l4len);
	if (proto == P_UDP && l4len >= 8)
		put16(p + 6, ref_l4_cksum(4, ip4_peer, ip4_us, P_UDP, p, l4len));
	if (proto == P_ICMP && l4len >= 4) {
		put16(p + 2, 0);
		put16(p + 2, ref_cksum(p, l4len));
	}
	fix_ip4_cksum(fr);
	fr->len = fr->l4 + l4len;
}

/*
 * IPv6 frame: fixed header, ext[0..extlen) (extension headers, first one
 * of type first_nh, the last naming proto), then l4. UDP and ICMPv6
 * checksums are filled in.
 */
static void
build6(struct frame *fr, int vlan, uint8_t hop, const uint8_t *src,
       const uint8_t *dst, uint8_t first_nh, const uint8_t *ext,
       uint32_t extlen, uint8_t proto, const uint8_t *l4, uint32_t l4len)
{
	uint8_t *ip, *p;

	memset(fr, 0, sizeof(*fr));
	fr->l2 = put_eth(fr->b, vlan, 0x86dd);
	fr->l3 = fr->l2;
	ip = fr->b + fr->l3;
	ip[0] = 0x6b; /* tc 0xb8, flow 0x12345 */
	ip[1] = 0x81;
	ip[2] = 0x23;
	ip[3] = 0x45;
	put16(ip + 4, extlen + l4len);
	ip[6] = extlen ? first_nh : proto;
	ip[7] = hop;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	if (extlen)
		memcpy(ip + 40, ext, extlen);
	fr->l4 = fr->l3 + 40 + extlen;
	p = fr->b + fr->l4;
	memcpy(p, l4, l4len);
	if (proto == P_UDP && l4len >= 8)
		put16(p + 6, ref_l4_cksum(6, src, dst, P_UDP, p, l4len));
	if (proto == P_ICMP6 && l4len >= 4) {
		put16(p + 2, 0);
		put16(p + 2, ref_l4_cksum(6, src, dst, P_ICMP6, p, l4len));
	}
	fr->len = fr->l4 + l4len;
}

static void
udp4(struct frame *fr, int vlan, const uint8_t *pl, uint32_t plen)
{
	uint8_t u[2048];

	build4(fr, vlan, 0, P_UDP, u, mk_udp(u, 40000, 5004, pl, plen));
}

static void
udp6(struct frame *fr, int vlan, const uint8_t *pl, uint32_t plen)
{
	uint8_t u[2048];

	build6(fr, vlan, 63, ip6_peer, ip6_us, 0, NULL, 0, P_UDP, u,
	       mk_udp(u, 40000, 5004, pl, plen));
}

/* ARP frame (Ethernet/IPv4), unpadded. */
static void
build_arp(struct frame *fr, int vlan, uint16_t op, const uint8_t *sha,
	  const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
	uint8_t *a;

	memset(fr, 0, sizeof(*fr));
	fr->l2 = put_eth(fr->b, vlan, 0x0806);
	memset(fr->b, 0xff, 6);
	fr->l3 = fr->l2;
	a = fr->b + fr->l3;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	fr->len = fr->l3 + 28;
}

/* ND message (NS/NA) body: type, code, flags, target, then options. */
static uint32_t
mk_nd(uint8_t *m, uint8_t type, uint8_t flags, const uint8_t *target,
      const uint8_t *opts, uint32_t optlen)
{
	memset(m, 0, 24);
	m[0] = type;
	m[4] = flags;
	memcpy(m + 8, target, 16);
	if (optlen)
		memcpy(m + 24, opts, optlen);
	return 24 + optlen;
}

/*
 * pkt_parse() on a heap copy of exactly n bytes, so that ASan reports any
 * read past the end; also checks the frame was not written.
 */
static enum pkt_class
parse(const uint8_t *frame, uint32_t n, struct pkt_info *info)
{
	uint8_t *copy = calloc(n ? n : 1, 1);
	enum pkt_class c;

	if (copy == NULL) {
		CHECK(copy != NULL);
		return pkt_parse(frame, n, info);
	}
	if (n)
		memcpy(copy, frame, n);
	c = pkt_parse(copy, n, info);
	CHECK(n == 0 || memcmp(copy, frame, n) == 0);
	free(copy);
	return c;
}

static void
check_info(const struct pkt_info *g, const struct pkt_info *e)
{
	CHECK_EQ(g->cls, e->cls);
	CHECK_EQ(g->drop, e->drop);
	CHECK_EQ(g->ethertype, e->ethertype);
	CHECK_EQ(g->vlan_tci, e->vlan_tci);
	CHECK_EQ(g->has_vlan, e->has_vlan);
	CHECK_EQ(g->family, e->family);
	CHECK_EQ(g->l4_proto, e->l4_proto);
	CHECK_EQ(g->hop_limit, e->hop_limit);
	CHECK_EQ(g->l2_len, e->l2_len);
	CHECK_EQ(g->l3_len, e->l3_len);
	CHECK_EQ(g->l4_off, e->l4_off);
	CHECK_EQ(g->payload_off, e->payload_off);
	CHECK_EQ(g->payload_len, e->payload_len);
	CHECK_EQ(g->sport, e->sport);
	CHECK_EQ(g->dport, e->dport);
	CHECK_EQ(g->icmp_type, e->icmp_type);
	CHECK_EQ(g->icmp_code, e->icmp_code);
	CHECK_MEM(g->src, e->src, 16);
	CHECK_MEM(g->dst, e->dst, 16);
	CHECK_MEM(g->eth_src, e->eth_src, 6);
	CHECK_MEM(g->eth_dst, e->eth_dst, 6);
	CHECK_EQ(g->arp_op, e->arp_op);
	CHECK_MEM(g->arp_sha, e->arp_sha, 6);
	CHECK_EQ(g->has_nd_lladdr, e->has_nd_lladdr);
	CHECK_MEM(g->nd_lladdr, e->nd_lladdr, 6);
	CHECK_MEM(g->nd_target, e->nd_target, 16);
}

/* What a valid UDP frame built by udp4/udp6 must parse to. */
static void
expect_udp(struct pkt_info *e, const struct frame *fr, int family, int vlan,
	   enum pkt_class cls, uint32_t plen)
{
	memset(e, 0, sizeof(*e));
	e->cls = cls;
	e->ethertype = family == 4 ? 0x0800 : 0x86dd;
	e->has_vlan = vlan >= 0;
	e->vlan_tci = vlan >= 0 ? (uint16_t)vlan : 0;
	e->family = (uint8_t)family;
	e->l4_proto = P_UDP;
	e->hop_limit = family == 4 ? 61 : 63;
	e->l2_len = vlan >= 0 ? 18 : 14;
	e->l3_len = (uint16_t)(fr->l4 - fr->l3);
	e->l4_off = (uint16_t)fr->l4;
	e->payload_off = (uint16_t)(fr->l4 + 8);
	e->payload_len = (uint16_t)plen;
	e->sport = 40000;
	e->dport = 5004;
	memcpy(e->src, family == 4 ? ip4_peer : ip6_peer, family == 4 ? 4 : 16);
	memcpy(e->dst, family == 4 ? ip4_us : ip6_us, family == 4 ? 4 : 16);
	memcpy(e->eth_src, mac_peer, 6);
	memcpy(e->eth_dst, mac_us, 6);
}

#define EXPECT_DROP(buf, n, why)                                               \
	do {                                                                   \
		struct pkt_info _i;                                            \
		CHECK_EQ(parse((buf), (n), &_i), PKT_DROP);                \
		CHECK_EQ(_i.cls, PKT_DROP);                                    \
		CHECK_EQ(_i.drop, (why));                                      \
	} while (0)

#define EXPECT_CLS(buf, n, c)                                                  \
	do {                                                                   \
		struct pkt_info _i;                                            \
		CHECK_EQ(parse((buf), (n), &_i), (c));                     \
		CHECK_EQ(_i.cls, (c));                                         \
	} while (0)

static void
rtp_ipv4(void)
{
	struct frame fr;
	struct pkt_info i, e;

	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	CHECK_EQ(fr.len, 14 + 20 + 8 + 20);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 4, -1, PKT_RTP, sizeof(rtp_pkt));
	CHECK_EQ(e.l3_len, 20);
	CHECK_EQ(e.l4_off, 34);
	CHECK_EQ(e.payload_off, 42);
	check_info(&i, &e);
}

static void
rtcp_ipv4(void)
{
	struct frame fr;
	struct pkt_info i, e;

	udp4(&fr, -1, rtcp_pkt, sizeof(rtcp_pkt));
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTCP);
	expect_udp(&e, &fr, 4, -1, PKT_RTCP, sizeof(rtcp_pkt));
	check_info(&i, &e);
}

static void
rtp_ipv6(void)
{
	struct frame fr;
	struct pkt_info i, e;

	udp6(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 6, -1, PKT_RTP, sizeof(rtp_pkt));
	CHECK_EQ(e.l3_len, 40);
	CHECK_EQ(e.l4_off, 54);
	CHECK_EQ(e.payload_off, 62);
	check_info(&i, &e);
}

static void
rtcp_ipv6(void)
{
	struct frame fr;
	struct pkt_info i, e;

	udp6(&fr, -1, rtcp_pkt, sizeof(rtcp_pkt));
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTCP);
	expect_udp(&e, &fr, 6, -1, PKT_RTCP, sizeof(rtcp_pkt));
	check_info(&i, &e);
}

static void
rtp_vlan_ipv4(void)
{
	struct frame fr;
	struct pkt_info i, e;

	udp4(&fr, 0x2064, rtp_pkt, sizeof(rtp_pkt)); /* PCP 1, VID 100 */
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 4, 0x2064, PKT_RTP, sizeof(rtp_pkt));
	CHECK_EQ(e.l4_off, 38);
	CHECK_EQ(e.payload_off, 46);
	check_info(&i, &e);

	udp4(&fr, 0x0fff, rtcp_pkt, sizeof(rtcp_pkt));
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTCP);
	expect_udp(&e, &fr, 4, 0x0fff, PKT_RTCP, sizeof(rtcp_pkt));
	check_info(&i, &e);
}

static void
rtp_vlan_ipv6(void)
{
	struct frame fr;
	struct pkt_info i, e;

	udp6(&fr, 0xe00a, rtp_pkt, sizeof(rtp_pkt));
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 6, 0xe00a, PKT_RTP, sizeof(rtp_pkt));
	CHECK_EQ(e.l4_off, 58);
	check_info(&i, &e);

	udp6(&fr, 5, rtcp_pkt, sizeof(rtcp_pkt));
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTCP);
	expect_udp(&e, &fr, 6, 5, PKT_RTCP, sizeof(rtcp_pkt));
	check_info(&i, &e);
}

static void
ipv4_options(void)
{
	struct frame fr;
	struct pkt_info i, e;
	uint8_t u[64];
	uint32_t ul = mk_udp(u, 40000, 5004, rtp_pkt, sizeof(rtp_pkt));

	build4(&fr, -1, 4, P_UDP, u, ul);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 4, -1, PKT_RTP, sizeof(rtp_pkt));
	CHECK_EQ(e.l3_len, 24);
	CHECK_EQ(e.l4_off, 38);
	check_info(&i, &e);

	/* maximum IHL 15: 40 bytes of options, tagged */
	build4(&fr, 7, 40, P_UDP, u, ul);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 4, 7, PKT_RTP, sizeof(rtp_pkt));
	CHECK_EQ(e.l3_len, 60);
	CHECK_EQ(e.l4_off, 78);
	check_info(&i, &e);
}

static void
ipv6_ext_headers_skipped(void)
{
	struct frame fr;
	struct pkt_info i, e;
	uint8_t u[64], ext[32] = { 0 };
	uint32_t ul = mk_udp(u, 40000, 5004, rtp_pkt, sizeof(rtp_pkt));

	/* hop-by-hop (8) -> routing (16) -> destination options (8) -> UDP */
	ext[0] = P_ROUTING;
	ext[1] = 0;
	ext[2] = 1; /* PadN */
	ext[3] = 4;
	ext[8] = P_DSTOPTS;
	ext[9] = 1;
	ext[24] = P_UDP;
	ext[25] = 0;
	build6(&fr, -1, 63, ip6_peer, ip6_us, P_HOP, ext, 32, P_UDP, u, ul);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 6, -1, PKT_RTP, sizeof(rtp_pkt));
	e.l3_len = 40; /* fixed header only */
	CHECK_EQ(e.l4_off, 14 + 40 + 32);
	check_info(&i, &e);
}

/* Chain of n 8-byte destination options headers, then UDP. */
static void
build_ext_chain(struct frame *fr, unsigned int n, uint8_t last)
{
	uint8_t u[64], ext[256] = { 0 };
	uint32_t ul = mk_udp(u, 40000, 5004, rtp_pkt, sizeof(rtp_pkt));
	unsigned int k;

	for (k = 0; k < n; k++)
		ext[k * 8] = k + 1 < n ? P_DSTOPTS : last;
	build6(fr, -1, 63, ip6_peer, ip6_us, P_DSTOPTS, ext, n * 8, P_UDP, u,
	       ul);
}

static void
ipv6_ext_chain_limit(void)
{
	struct frame fr;
	struct pkt_info i, e;

	build_ext_chain(&fr, 8, P_UDP);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 6, -1, PKT_RTP, sizeof(rtp_pkt));
	e.l3_len = 40;
	check_info(&i, &e);

	build_ext_chain(&fr, 9, P_UDP);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	build_ext_chain(&fr, 30, P_UDP);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
}

static void
eth_padding_accepted(void)
{
	struct frame fr;
	struct pkt_info i, e;

	/* 14 + 20 + 8 + 8 = 50 bytes, padded to 60 with junk */
	udp4(&fr, -1, rtcp_pkt, sizeof(rtcp_pkt));
	CHECK_EQ(fr.len, 50);
	memset(fr.b + fr.len, 0xa5, 10);
	CHECK_EQ(parse(fr.b, 60, &i), PKT_RTCP);
	expect_udp(&e, &fr, 4, -1, PKT_RTCP, sizeof(rtcp_pkt));
	check_info(&i, &e);

	/* IPv6: trailing bytes after the payload length are ignored too */
	udp6(&fr, 3, rtp_pkt, sizeof(rtp_pkt));
	memset(fr.b + fr.len, 0x80, 16);
	CHECK_EQ(parse(fr.b, fr.len + 16, &i), PKT_RTP);
	expect_udp(&e, &fr, 6, 3, PKT_RTP, sizeof(rtp_pkt));
	check_info(&i, &e);

	/* UDP length shorter than the IP payload: payload per UDP length */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	put16(fr.b + fr.l4 + 4, 8 + 12);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 4, -1, PKT_RTP, 12);
	check_info(&i, &e);
}

static void
unaligned_frame(void)
{
	static uint8_t buf[4096 + 8];
	struct frame fr;
	struct pkt_info i, e;
	unsigned int shift;

	for (shift = 1; shift < 4; shift++) {
		udp6(&fr, 9, rtp_pkt, sizeof(rtp_pkt));
		memcpy(buf + shift, fr.b, fr.len);
		CHECK_EQ(pkt_parse(buf + shift, fr.len, &i), PKT_RTP);
		expect_udp(&e, &fr, 6, 9, PKT_RTP, sizeof(rtp_pkt));
		check_info(&i, &e);

		udp4(&fr, -1, rtcp_pkt, sizeof(rtcp_pkt));
		memcpy(buf + shift, fr.b, fr.len);
		CHECK_EQ(pkt_parse(buf + shift, fr.len, &i), PKT_RTCP);
	}
}

static void
rtcp_demux_boundaries(void)
{
	struct frame fr;
	uint8_t pl[12];

	memcpy(pl, rtp_pkt, 12);
	pl[1] = 191;
	udp4(&fr, -1, pl, 12);
	EXPECT_CLS(fr.b, fr.len, PKT_RTP);
	pl[1] = 192;
	udp4(&fr, -1, pl, 12);
	EXPECT_CLS(fr.b, fr.len, PKT_RTCP);
	pl[1] = 223;
	udp4(&fr, -1, pl, 12);
	EXPECT_CLS(fr.b, fr.len, PKT_RTCP);
	pl[1] = 224;
	udp4(&fr, -1, pl, 12);
	EXPECT_CLS(fr.b, fr.len, PKT_RTP);
	/* marker bit set with PT 72..95 is RTP's 200..223 space: RTCP */
	pl[1] = 0x80 | 72;
	udp4(&fr, -1, pl, 12);
	EXPECT_CLS(fr.b, fr.len, PKT_RTCP);
	/* first byte 191 (V=2, P, X, CC 15) is still RTP */
	pl[0] = 191;
	pl[1] = 0x60;
	udp4(&fr, -1, pl, 12);
	EXPECT_CLS(fr.b, fr.len, PKT_RTP);
}

static void
drop_l2_truncated(void)
{
	struct frame fr;
	uint32_t n;

	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	for (n = 0; n < 14; n++)
		EXPECT_DROP(fr.b, n, SGW_CTR_DROP_L2_TRUNCATED);
	EXPECT_DROP(NULL, 0, SGW_CTR_DROP_L2_TRUNCATED);
	udp4(&fr, 100, rtp_pkt, sizeof(rtp_pkt));
	for (n = 14; n < 18; n++)
		EXPECT_DROP(fr.b, n, SGW_CTR_DROP_L2_TRUNCATED);
}

static void
drop_ethertype(void)
{
	struct frame fr;
	uint8_t f[128];

	/* LLDP, unknown, IPX */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	put16(fr.b + 12, 0x88cc);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ETHERTYPE);
	put16(fr.b + 12, 0x8137);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ETHERTYPE);
	/* ethertype field < 0x600 is an 802.3 length */
	put16(fr.b + 12, 46);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ETHERTYPE);
	/* unknown ethertype inside a tag */
	udp4(&fr, 10, rtp_pkt, sizeof(rtp_pkt));
	put16(fr.b + 16, 0x88cc);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ETHERTYPE);

	/* QinQ: 802.1ad outer tag, 802.1Q inner tag, IPv4 */
	udp4(&fr, 10, rtp_pkt, sizeof(rtp_pkt));
	memcpy(f, fr.b, 12);
	put16(f + 12, 0x88a8);
	put16(f + 14, 20);
	memcpy(f + 16, fr.b + 12, fr.len - 12);
	EXPECT_DROP(f, fr.len + 4, SGW_CTR_DROP_ETHERTYPE);
	/* two 802.1Q tags */
	put16(f + 12, 0x8100);
	EXPECT_DROP(f, fr.len + 4, SGW_CTR_DROP_ETHERTYPE);
	/* 802.1Q then 802.1ad */
	put16(f + 16, 0x88a8);
	EXPECT_DROP(f, fr.len + 4, SGW_CTR_DROP_ETHERTYPE);
}

static void
drop_ip4_malformed(void)
{
	struct frame fr;
	struct pkt_info i;
	uint32_t n;

	/* truncated inside the IPv4 header, untagged and tagged */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	for (n = 14; n < 34; n++)
		EXPECT_DROP(fr.b, n, SGW_CTR_DROP_IP_MALFORMED);
	udp4(&fr, 1, rtp_pkt, sizeof(rtp_pkt));
	for (n = 18; n < 38; n++)
		EXPECT_DROP(fr.b, n, SGW_CTR_DROP_IP_MALFORMED);
	/* truncated anywhere before the total length ends */
	for (n = 38; n < fr.len; n++)
		EXPECT_DROP(fr.b, n, SGW_CTR_DROP_IP_MALFORMED);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);

	/* version 6 in an IPv4 ethertype, version 5 */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	fr.b[fr.l3] = 0x65;
	fix_ip4_cksum(&fr);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	fr.b[fr.l3] = 0x55;
	fix_ip4_cksum(&fr);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* IHL 4 and 0 (checksum over 20 bytes made valid anyway) */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	fr.b[fr.l3] = 0x44;
	put16(fr.b + fr.l3 + 10, 0);
	put16(fr.b + fr.l3 + 10, ref_cksum(fr.b + fr.l3, 20));
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	fr.b[fr.l3] = 0x40;
	put16(fr.b + fr.l3 + 10, 0);
	put16(fr.b + fr.l3 + 10, ref_cksum(fr.b + fr.l3, 20));
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* IHL 15 (60 bytes) with only 20 + 28 bytes present */
	udp4(&fr, -1, rtp_pkt, 0);
	fr.b[fr.l3] = 0x4f;
	put16(fr.b + fr.l3 + 2, 48);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* total length < IHL * 4 */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	put16(fr.b + fr.l3 + 2, 19);
	fix_ip4_cksum(&fr);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* total length one byte beyond the frame */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	put16(fr.b + fr.l3 + 2, fr.len - 14 + 1);
	fix_ip4_cksum(&fr);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* bad header checksum: off by one, and zero */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	fr.b[fr.l3 + 11] ^= 1;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	put16(fr.b + fr.l3 + 10, 0);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* a header byte changed after the checksum was computed */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	fr.b[fr.l3 + 8] = 1;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* checksum covers options too */
	{
		uint8_t u[64];

		build4(&fr, -1, 8, P_UDP, u,
		       mk_udp(u, 1, 2, rtp_pkt, sizeof(rtp_pkt)));
		EXPECT_CLS(fr.b, fr.len, PKT_RTP);
		fr.b[fr.l3 + 25] = 0;
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	}
}

static void
drop_ip6_malformed(void)
{
	struct frame fr;
	uint8_t u[64], ext[64] = { 0 };
	uint32_t n, ul = mk_udp(u, 40000, 5004, rtp_pkt, sizeof(rtp_pkt));

	udp6(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	for (n = 14; n < 54; n++)
		EXPECT_DROP(fr.b, n, SGW_CTR_DROP_IP_MALFORMED);
	/* payload length beyond the frame */
	for (n = 54; n < fr.len; n++)
		EXPECT_DROP(fr.b, n, SGW_CTR_DROP_IP_MALFORMED);
	EXPECT_CLS(fr.b, fr.len, PKT_RTP);
	/* version 4 and 7 in an IPv6 ethertype */
	fr.b[fr.l3] = 0x4b;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	fr.b[fr.l3] = 0x7b;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* hop-by-hop header claiming 16 bytes with only 8 in the payload */
	ext[0] = P_UDP;
	ext[1] = 1;
	build6(&fr, -1, 63, ip6_peer, ip6_us, P_HOP, ext, 8, P_UDP, u, 0);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* extension header shorter than its 8-byte minimum: 4, 1, 0 bytes
	 * (the frame ends there: its length byte must not be read) */
	for (n = 0; n < 8; n++) {
		build6(&fr, -1, 63, ip6_peer, ip6_us, P_HOP, ext, n, P_UDP, u,
		       0);
		if (n == 0)
			fr.b[fr.l3 + 6] = P_HOP;
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	}
	/* ... also when the frame has more bytes than the payload length */
	ext[1] = 0;
	build6(&fr, -1, 63, ip6_peer, ip6_us, P_HOP, ext, 8, P_UDP, u, ul);
	EXPECT_CLS(fr.b, fr.len, PKT_RTP);
	put16(fr.b + fr.l3 + 4, 7);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
	/* routing header running past the end of the payload */
	ext[0] = P_UDP;
	ext[1] = 4; /* 40 bytes */
	build6(&fr, -1, 63, ip6_peer, ip6_us, P_ROUTING, ext, 8, P_UDP, u, ul);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
}

static void
drop_ip_fragment(void)
{
	struct frame fr;
	uint8_t u[64], ext[64] = { 0 };
	uint32_t ul = mk_udp(u, 40000, 5004, rtp_pkt, sizeof(rtp_pkt));

	/* IPv4: MF, offset, both, offset in the high bits only */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	put16(fr.b + fr.l3 + 6, 0x2000);
	fix_ip4_cksum(&fr);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_FRAGMENT);
	put16(fr.b + fr.l3 + 6, 0x0001);
	fix_ip4_cksum(&fr);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_FRAGMENT);
	put16(fr.b + fr.l3 + 6, 0x20b9);
	fix_ip4_cksum(&fr);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_FRAGMENT);
	put16(fr.b + fr.l3 + 6, 0x5000);
	fix_ip4_cksum(&fr);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_FRAGMENT);
	/* DF alone is fine (build4 sets it), so is the reserved bit clear */
	put16(fr.b + fr.l3 + 6, 0x0000);
	fix_ip4_cksum(&fr);
	EXPECT_CLS(fr.b, fr.len, PKT_RTP);

	/* IPv6 fragment header first (even an atomic fragment) */
	ext[0] = P_UDP;
	build6(&fr, -1, 63, ip6_peer, ip6_us, P_FRAG, ext, 8, P_UDP, u, ul);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_FRAGMENT);
	/* after hop-by-hop and destination options */
	memset(ext, 0, sizeof(ext));
	ext[0] = P_DSTOPTS;
	ext[8] = P_FRAG;
	ext[16] = P_UDP;
	ext[19] = 1; /* M flag */
	build6(&fr, -1, 63, ip6_peer, ip6_us, P_HOP, ext, 24, P_UDP, u, ul);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_FRAGMENT);
	/* fragment header after the 8 headers walked, then after 9 */
	build_ext_chain(&fr, 8, P_FRAG);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_FRAGMENT);
	build_ext_chain(&fr, 9, P_FRAG);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_IP_MALFORMED);
}

static void
drop_l4_proto(void)
{
	struct frame fr;
	struct pkt_info i;
	uint8_t l4[40] = { 0 }, ext[16] = { 0 };

	build4(&fr, -1, 0, P_TCP, l4, 20);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_DROP);
	CHECK_EQ(i.drop, SGW_CTR_DROP_L4_PROTO);
	CHECK_EQ(i.l4_proto, P_TCP);
	CHECK_EQ(i.family, 4);
	build4(&fr, 2, 0, 132 /* SCTP */, l4, 20);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_L4_PROTO);
	build4(&fr, -1, 0, P_ICMP6, l4, 20); /* ICMPv6 over IPv4 */
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_L4_PROTO);

	build6(&fr, -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_TCP, l4, 20);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_DROP);
	CHECK_EQ(i.drop, SGW_CTR_DROP_L4_PROTO);
	CHECK_EQ(i.l4_proto, P_TCP);
	build6(&fr, -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_ESP, l4, 20);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_L4_PROTO);
	build6(&fr, -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP, l4, 20);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_L4_PROTO);
	build6(&fr, -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_NONXT, l4, 0);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_L4_PROTO);
	/* destination options then TCP, then no next header */
	ext[0] = P_TCP;
	build6(&fr, -1, 64, ip6_peer, ip6_us, P_DSTOPTS, ext, 8, P_TCP, l4, 20);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_L4_PROTO);
	ext[0] = P_NONXT;
	build6(&fr, -1, 64, ip6_peer, ip6_us, P_DSTOPTS, ext, 8, P_NONXT, l4, 0);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_L4_PROTO);
}

static void
drop_udp_malformed(void)
{
	struct frame fr;
	uint8_t u[64];
	uint32_t ul = mk_udp(u, 40000, 5004, rtp_pkt, sizeof(rtp_pkt));
	uint32_t n;

	/* IP payload shorter than a UDP header: 0..7 bytes */
	for (n = 0; n < 8; n++) {
		build4(&fr, -1, 0, P_UDP, u, n);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_UDP_MALFORMED);
		build6(&fr, -1, 63, ip6_peer, ip6_us, 0, NULL, 0, P_UDP, u, n);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_UDP_MALFORMED);
	}
	/* UDP length 0 and 7 */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	put16(fr.b + fr.l4 + 4, 0);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_UDP_MALFORMED);
	put16(fr.b + fr.l4 + 4, 7);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_UDP_MALFORMED);
	/* UDP length one beyond the IP payload, even with padding behind */
	udp4(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	put16(fr.b + fr.l4 + 4, ul + 1);
	EXPECT_DROP(fr.b, fr.len + 8, SGW_CTR_DROP_UDP_MALFORMED);
	udp6(&fr, -1, rtp_pkt, sizeof(rtp_pkt));
	put16(fr.b + fr.l4 + 4, ul + 1);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_UDP_MALFORMED);
	put16(fr.b + fr.l4 + 4, 0xffff);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_UDP_MALFORMED);
	/* UDP after extension headers: limit is what is left after them */
	{
		uint8_t ext[8] = { P_UDP };

		build6(&fr, -1, 63, ip6_peer, ip6_us, P_HOP, ext, 8, P_UDP, u,
		       ul);
		EXPECT_CLS(fr.b, fr.len, PKT_RTP);
		put16(fr.b + fr.l4 + 4, ul + 1);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_UDP_MALFORMED);
	}
}

static void
drop_not_rtp(void)
{
	static const uint8_t firsts[] = { 4, 19, 64, 79, 80, 127, 192, 200, 255 };
	struct frame fr;
	uint8_t pl[32] = { 0 };
	unsigned int k;

	/* empty payload */
	udp4(&fr, -1, pl, 0);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_NOT_RTP);
	udp6(&fr, -1, pl, 0);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_NOT_RTP);
	for (k = 0; k < sizeof(firsts); k++) {
		memcpy(pl, rtp_pkt, 20);
		pl[0] = firsts[k];
		udp4(&fr, -1, pl, 20);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_NOT_RTP);
		udp6(&fr, 4, pl, 20);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_NOT_RTP);
		/* RTCP-looking second byte does not matter */
		pl[1] = 200;
		udp4(&fr, -1, pl, 20);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_NOT_RTP);
		udp4(&fr, -1, pl, 1);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_NOT_RTP);
	}
	/* STUN and DTLS too short for their headers */
	memset(pl, 0, sizeof(pl));
	udp4(&fr, -1, pl, 19);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_NOT_RTP);
	pl[0] = 22;
	udp6(&fr, -1, pl, 12);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_NOT_RTP);
}

/* RFC 7983: first byte 0..3 with a STUN header's length is STUN, 20..63
 * with a DTLS record header's is DTLS (the worker punts them on WebRTC
 * ports and drops them elsewhere as drop_not_rtp). */
static void
stun_and_dtls(void)
{
	struct frame fr;
	struct pkt_info pi;
	uint8_t pl[32] = { 0 };

	/* a STUN binding request (magic cookie 0x2112a442) */
	pl[1] = 0x01;
	pl[4] = 0x21;
	pl[5] = 0x12;
	pl[6] = 0xa4;
	pl[7] = 0x42;
	udp4(&fr, -1, pl, 20);
	CHECK_EQ(parse(fr.b, fr.len, &pi), PKT_STUN);
	CHECK_EQ(pi.payload_len, 20);
	for (unsigned b = 0; b <= 3; b++) {
		pl[0] = (uint8_t)b;
		udp6(&fr, 3, pl, 28);
		CHECK_EQ(parse(fr.b, fr.len, &pi), PKT_STUN);
	}
	/* a DTLS 1.2 handshake record header, and the ends of the range */
	memset(pl, 0, sizeof(pl));
	pl[0] = 22;
	pl[1] = 0xfe;
	pl[2] = 0xfd;
	udp6(&fr, -1, pl, 32);
	CHECK_EQ(parse(fr.b, fr.len, &pi), PKT_DTLS);
	pl[0] = 20;
	udp4(&fr, -1, pl, 13);
	CHECK_EQ(parse(fr.b, fr.len, &pi), PKT_DTLS);
	pl[0] = 63;
	udp4(&fr, -1, pl, 13);
	CHECK_EQ(parse(fr.b, fr.len, &pi), PKT_DTLS);
}

static void
drop_rtp_malformed(void)
{
	struct frame fr;
	struct pkt_info i, e;
	uint32_t n;

	for (n = 1; n < 12; n++) {
		udp4(&fr, -1, rtp_pkt, n);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_RTP_MALFORMED);
		udp6(&fr, -1, rtp_pkt, n);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_RTP_MALFORMED);
	}
	udp4(&fr, -1, rtp_pkt, 12);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTP);
	expect_udp(&e, &fr, 4, -1, PKT_RTP, 12);
	check_info(&i, &e);

	for (n = 2; n < 8; n++) {
		udp4(&fr, -1, rtcp_pkt, n);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_RTP_MALFORMED);
		udp6(&fr, 11, rtcp_pkt, n);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_RTP_MALFORMED);
	}
	udp6(&fr, -1, rtcp_pkt, 8);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_RTCP);
	expect_udp(&e, &fr, 6, -1, PKT_RTCP, 8);
	check_info(&i, &e);
}

static void
arp_request(void)
{
	static const uint8_t zero[6];
	struct frame fr;
	struct pkt_info i, e;

	build_arp(&fr, -1, 1, mac_peer, ip4_peer, zero, ip4_us);
	CHECK_EQ(fr.len, 42);
	memset(&e, 0, sizeof(e));
	e.cls = PKT_ARP;
	e.ethertype = 0x0806;
	e.l2_len = 14;
	memcpy(e.src, ip4_peer, 4);
	memcpy(e.dst, ip4_us, 4);
	memset(e.eth_dst, 0xff, 6);
	memcpy(e.eth_src, mac_peer, 6);
	e.arp_op = 1;
	memcpy(e.arp_sha, mac_peer, 6);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ARP);
	check_info(&i, &e);
	/* padded to 60 */
	memset(fr.b + fr.len, 0x5a, 18);
	CHECK_EQ(parse(fr.b, 60, &i), PKT_ARP);
	check_info(&i, &e);

	/* tagged reply; sha differs from the Ethernet source */
	build_arp(&fr, 0x0123, 2, mac_other, ip4_peer, mac_us, ip4_us);
	memcpy(fr.b, mac_us, 6);
	e.arp_op = 2;
	e.has_vlan = 1;
	e.vlan_tci = 0x0123;
	e.l2_len = 18;
	memcpy(e.eth_dst, mac_us, 6);
	memcpy(e.arp_sha, mac_other, 6);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ARP);
	check_info(&i, &e);
}

static void
drop_arp_other(void)
{
	static const uint8_t zero[6];
	struct frame fr;
	uint32_t n;

	build_arp(&fr, -1, 1, mac_peer, ip4_peer, zero, ip4_us);
	for (n = 14; n < 42; n++)
		EXPECT_DROP(fr.b, n, SGW_CTR_DROP_ARP_OTHER);
	EXPECT_CLS(fr.b, 42, PKT_ARP);
	put16(fr.b + 14, 6); /* IEEE 802 */
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ARP_OTHER);
	put16(fr.b + 14, 1);
	put16(fr.b + 16, 0x86dd);
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ARP_OTHER);
	put16(fr.b + 16, 0x0800);
	fr.b[18] = 8;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ARP_OTHER);
	fr.b[18] = 6;
	fr.b[19] = 16;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ARP_OTHER);
	fr.b[19] = 4;
	EXPECT_CLS(fr.b, fr.len, PKT_ARP);
	/* tagged and truncated */
	build_arp(&fr, 5, 1, mac_peer, ip4_peer, zero, ip4_us);
	EXPECT_DROP(fr.b, fr.len - 1, SGW_CTR_DROP_ARP_OTHER);
	EXPECT_CLS(fr.b, fr.len, PKT_ARP);
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

static void
icmp4_ok(void)
{
	struct frame fr;
	struct pkt_info i, e;
	uint8_t m[128] = { 0 };
	uint32_t ml = mk_echo(m, 8, 33); /* odd length */

	build4(&fr, -1, 0, P_ICMP, m, ml);
	CHECK_EQ(ref_cksum(fr.b + fr.l4, ml), 0);
	memset(&e, 0, sizeof(e));
	e.cls = PKT_ICMP4;
	e.ethertype = 0x0800;
	e.family = 4;
	e.l4_proto = P_ICMP;
	e.hop_limit = 61;
	e.l2_len = 14;
	e.l3_len = 20;
	e.l4_off = 34;
	e.payload_off = 38;
	e.payload_len = (uint16_t)(ml - 4);
	e.icmp_type = 8;
	memcpy(e.src, ip4_peer, 4);
	memcpy(e.dst, ip4_us, 4);
	memcpy(e.eth_src, mac_peer, 6);
	memcpy(e.eth_dst, mac_us, 6);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP4);
	check_info(&i, &e);

	/* destination unreachable, port unreachable, over VLAN with options */
	memset(m, 0, sizeof(m));
	m[0] = 3;
	m[1] = 3;
	build4(&fr, 8, 4, P_ICMP, m, 36);
	e.has_vlan = 1;
	e.vlan_tci = 8;
	e.l2_len = 18;
	e.l3_len = 24;
	e.l4_off = 42;
	e.payload_off = 46;
	e.payload_len = 32;
	e.icmp_type = 3;
	e.icmp_code = 3;
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP4);
	check_info(&i, &e);

	/* minimal 8-byte echo with trailing padding */
	ml = mk_echo(m, 8, 0);
	build4(&fr, -1, 0, P_ICMP, m, ml);
	CHECK_EQ(fr.len, 42);
	memset(fr.b + 42, 0xff, 18);
	CHECK_EQ(parse(fr.b, 60, &i), PKT_ICMP4);
	CHECK_EQ(i.payload_len, 4);
}

static void
drop_icmp4(void)
{
	struct frame fr;
	uint8_t m[128] = { 0 };
	uint32_t ml = mk_echo(m, 8, 16), n;

	build4(&fr, -1, 0, P_ICMP, m, ml);
	EXPECT_CLS(fr.b, fr.len, PKT_ICMP4);
	fr.b[fr.l4 + 3] ^= 0x10;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
	/* data byte changed after the checksum */
	build4(&fr, -1, 0, P_ICMP, m, ml);
	fr.b[fr.len - 1] ^= 1;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
	/* shorter than 8 bytes (checksums valid) */
	for (n = 0; n < 8; n++) {
		build4(&fr, -1, 0, P_ICMP, m, n);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
	}
}

static void
icmp6_ok(void)
{
	struct frame fr;
	struct pkt_info i, e;
	uint8_t m[128] = { 0 }, ext[8] = { P_ICMP6, 0, 1, 4 };
	uint32_t ml = mk_echo(m, 128, 21);

	build6(&fr, -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m, ml);
	memset(&e, 0, sizeof(e));
	e.cls = PKT_ICMP6;
	e.ethertype = 0x86dd;
	e.family = 6;
	e.l4_proto = P_ICMP6;
	e.hop_limit = 64;
	e.l2_len = 14;
	e.l3_len = 40;
	e.l4_off = 54;
	e.payload_off = 58;
	e.payload_len = (uint16_t)(ml - 4);
	e.icmp_type = 128;
	memcpy(e.src, ip6_peer, 16);
	memcpy(e.dst, ip6_us, 16);
	memcpy(e.eth_src, mac_peer, 6);
	memcpy(e.eth_dst, mac_us, 6);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP6);
	check_info(&i, &e);

	/* behind a hop-by-hop header, tagged: the pseudo-header length is
	 * the ICMPv6 length, not the IPv6 payload length */
	build6(&fr, 0x0abc, 64, ip6_peer, ip6_us, P_HOP, ext, 8, P_ICMP6, m,
	       ml);
	e.has_vlan = 1;
	e.vlan_tci = 0x0abc;
	e.l2_len = 18;
	e.l4_off = 18 + 40 + 8;
	e.payload_off = e.l4_off + 4;
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP6);
	check_info(&i, &e);

	/* 4-byte message (minimum), any type */
	memset(m, 0, 4);
	m[0] = 2; /* packet too big, truncated: parser only needs 4 bytes */
	build6(&fr, -1, 7, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m, 4);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(i.icmp_type, 2);
	CHECK_EQ(i.payload_len, 0);
	CHECK_EQ(i.hop_limit, 7);
}

static void
drop_icmp6(void)
{
	struct frame fr;
	uint8_t m[128] = { 0 };
	uint32_t ml = mk_echo(m, 128, 16), n;

	build6(&fr, -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m, ml);
	EXPECT_CLS(fr.b, fr.len, PKT_ICMP6);
	fr.b[fr.l4 + 2] ^= 0x80;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
	/* checksum without the pseudo-header */
	build6(&fr, -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m, ml);
	put16(fr.b + fr.l4 + 2, 0);
	put16(fr.b + fr.l4 + 2, ref_cksum(fr.b + fr.l4, ml));
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
	/* pseudo-header covers the addresses: change the destination */
	build6(&fr, -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m, ml);
	fr.b[fr.l3 + 39] = 3;
	EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
	/* shorter than 4 bytes */
	for (n = 0; n < 4; n++) {
		build6(&fr, -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       n);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
	}
}

static void
nd_ns(void)
{
	struct frame fr;
	struct pkt_info i, e;
	uint8_t m[128] = { 0 };
	uint8_t opts[16] = { 14, 1, 1, 2, 3, 4, 5, 6, /* nonce, ignored */
			     1, 1 };                   /* source LLA */
	uint32_t ml;

	memcpy(opts + 10, mac_other, 6);
	ml = mk_nd(m, 135, 0, ip6_us, opts, 16);
	build6(&fr, -1, 255, ip6_peer, ip6_snm_us, 0, NULL, 0, P_ICMP6, m, ml);
	memset(&e, 0, sizeof(e));
	e.cls = PKT_ICMP6;
	e.ethertype = 0x86dd;
	e.family = 6;
	e.l4_proto = P_ICMP6;
	e.hop_limit = 255;
	e.l2_len = 14;
	e.l3_len = 40;
	e.l4_off = 54;
	e.payload_off = 58;
	e.payload_len = (uint16_t)(ml - 4);
	e.icmp_type = 135;
	memcpy(e.src, ip6_peer, 16);
	memcpy(e.dst, ip6_snm_us, 16);
	memcpy(e.eth_src, mac_peer, 6);
	memcpy(e.eth_dst, mac_us, 6);
	e.has_nd_lladdr = 1;
	memcpy(e.nd_lladdr, mac_other, 6);
	memcpy(e.nd_target, ip6_us, 16);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP6);
	check_info(&i, &e);

	/* DAD probe: from ::, no option */
	ml = mk_nd(m, 135, 0, ip6_us, NULL, 0);
	build6(&fr, 42, 255, ip6_unspec, ip6_snm_us, 0, NULL, 0, P_ICMP6, m,
	       ml);
	memset(e.src, 0, 16);
	e.has_vlan = 1;
	e.vlan_tci = 42;
	e.l2_len = 18;
	e.l4_off = 58;
	e.payload_off = 62;
	e.payload_len = 20;
	e.has_nd_lladdr = 0;
	memset(e.nd_lladdr, 0, 6);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP6);
	check_info(&i, &e);

	/* a target LLA option in an NS is not taken */
	opts[8] = 2;
	ml = mk_nd(m, 135, 0, ip6_us, opts, 16);
	build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m, ml);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(i.has_nd_lladdr, 0);
}

static void
nd_na(void)
{
	struct frame fr;
	struct pkt_info i, e;
	uint8_t m[128] = { 0 }, opts[8] = { 2, 1 };
	uint32_t ml;

	memcpy(opts + 2, mac_other, 6);
	ml = mk_nd(m, 136, 0x60, ip6_peer, opts, 8);
	build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m, ml);
	memset(&e, 0, sizeof(e));
	e.cls = PKT_ICMP6;
	e.ethertype = 0x86dd;
	e.family = 6;
	e.l4_proto = P_ICMP6;
	e.hop_limit = 255;
	e.l2_len = 14;
	e.l3_len = 40;
	e.l4_off = 54;
	e.payload_off = 58;
	e.payload_len = 28;
	e.icmp_type = 136;
	memcpy(e.src, ip6_peer, 16);
	memcpy(e.dst, ip6_us, 16);
	memcpy(e.eth_src, mac_peer, 6);
	memcpy(e.eth_dst, mac_us, 6);
	e.has_nd_lladdr = 1;
	memcpy(e.nd_lladdr, mac_other, 6);
	memcpy(e.nd_target, ip6_peer, 16);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP6);
	check_info(&i, &e);

	/* without option; source LLA option in an NA is not taken */
	ml = mk_nd(m, 136, 0x20, ip6_peer, NULL, 0);
	build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m, ml);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(i.has_nd_lladdr, 0);
	CHECK_MEM(i.nd_target, ip6_peer, 16);
	opts[0] = 1;
	ml = mk_nd(m, 136, 0x20, ip6_peer, opts, 8);
	build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m, ml);
	CHECK_EQ(parse(fr.b, fr.len, &i), PKT_ICMP6);
	CHECK_EQ(i.has_nd_lladdr, 0);
}

static void
drop_nd(void)
{
	struct frame fr;
	uint8_t m[128] = { 0 }, opts[24] = { 1, 1 };
	uint32_t ml;
	uint8_t type;

	memcpy(opts + 2, mac_peer, 6);
	for (type = 135; type <= 136; type++) {
		ml = mk_nd(m, type, 0, ip6_us, opts, 8);
		build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       ml);
		EXPECT_CLS(fr.b, fr.len, PKT_ICMP6);
		/* hop limit 254: may have come through a router */
		build6(&fr, -1, 254, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       ml);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
		/* code 1 */
		m[1] = 1;
		build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       ml);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
		m[1] = 0;
		/* shorter than 24 bytes: 23 and 8 */
		build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       23);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
		build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       8);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
		/* option with length 0 */
		m[25] = 0;
		build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       ml);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
		/* option claiming 16 bytes, 8 present */
		m[25] = 2;
		build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       ml);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
		m[25] = 1;
		/* one stray byte after the last option */
		build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       ml + 1);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
		/* second option of length 0 after a good one */
		ml = mk_nd(m, type, 0, ip6_us, opts, 16);
		m[24 + 8] = 3;
		build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       ml);
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
		/* bad checksum */
		ml = mk_nd(m, type, 0, ip6_us, opts, 8);
		build6(&fr, -1, 255, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
		       ml);
		fr.b[fr.l4 + 10] ^= 1;
		EXPECT_DROP(fr.b, fr.len, SGW_CTR_DROP_ICMP_OTHER);
	}
}

/* Deterministic xorshift64* for the robustness cases. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned int class_seen[PKT_DROP + 1];

/*
 * Parse frame[0..n) from a heap copy of exactly n bytes; check the result
 * is a valid class, the frame untouched and the offsets inside the frame.
 */
static enum pkt_class
parse_exact(const uint8_t *frame, uint32_t n)
{
	uint8_t *copy = calloc(n ? n : 1, 1);
	struct pkt_info i;
	enum pkt_class c;

	if (copy == NULL) {
		CHECK(copy != NULL);
		return PKT_DROP;
	}
	memcpy(copy, frame, n);
	c = pkt_parse(copy, n, &i);
	CHECK_MEM(copy, frame, n);
	CHECK(c == i.cls);
	CHECK(c >= PKT_RTP && c <= PKT_DROP);
	if (c == PKT_DROP) {
		CHECK(i.drop >= SGW_CTR_DROP_L2_TRUNCATED &&
		      i.drop < SGW_CTR_MAX);
	} else {
		CHECK(i.l2_len == 14 || i.l2_len == 18);
		CHECK(i.l2_len <= n);
	}
	if (c == PKT_RTP || c == PKT_RTCP) {
		CHECK(i.payload_len >= (c == PKT_RTP ? 12 : 8));
		CHECK((uint32_t)i.payload_off + i.payload_len <= n);
		CHECK(i.payload_off == i.l4_off + 8);
		CHECK(frame[i.payload_off] >= 128 && frame[i.payload_off] <= 191);
	}
	if (c == PKT_ICMP4 || c == PKT_ICMP6) {
		CHECK((uint32_t)i.payload_off + i.payload_len <= n);
		CHECK(i.payload_off == i.l4_off + 4);
	}
	if (c <= PKT_DROP)
		class_seen[c]++;
	free(copy);
	return c;
}

/* A handful of valid frames of every class. */
static unsigned int
sample_frames(struct frame *fr)
{
	static const uint8_t zero[6];
	uint8_t m[128] = { 0 }, ext[24] = { P_ROUTING, 0, 0, 0, 0, 0, 0, 0,
				    P_UDP, 1 };
	uint8_t opts[8] = { 1, 1 };
	uint8_t u[64];
	uint32_t ul = mk_udp(u, 40000, 5004, rtp_pkt, sizeof(rtp_pkt));
	unsigned int k = 0;

	udp4(&fr[k++], -1, rtp_pkt, sizeof(rtp_pkt));
	udp4(&fr[k++], 77, rtcp_pkt, sizeof(rtcp_pkt));
	udp6(&fr[k++], -1, rtp_pkt, sizeof(rtp_pkt));
	udp6(&fr[k++], 3, rtcp_pkt, sizeof(rtcp_pkt));
	build4(&fr[k++], -1, 8, P_UDP, u, ul);
	build6(&fr[k++], -1, 63, ip6_peer, ip6_us, P_HOP, ext, 24, P_UDP, u,
	       ul);
	build_arp(&fr[k++], -1, 1, mac_peer, ip4_peer, zero, ip4_us);
	build4(&fr[k++], 9, 0, P_ICMP, m, mk_echo(m, 8, 13));
	build6(&fr[k++], -1, 64, ip6_peer, ip6_us, 0, NULL, 0, P_ICMP6, m,
	       mk_echo(m, 128, 9));
	memcpy(opts + 2, mac_peer, 6);
	build6(&fr[k++], 1, 255, ip6_peer, ip6_snm_us, 0, NULL, 0, P_ICMP6, m,
	       mk_nd(m, 135, 0, ip6_us, opts, 8));
	return k;
}

static void
robust_truncations(void)
{
	static struct frame fr[16];
	unsigned int nf = sample_frames(fr), k;
	struct pkt_info i;
	uint32_t n;

	for (k = 0; k < nf; k++) {
		CHECK(parse(fr[k].b, fr[k].len, &i) != PKT_DROP);
		for (n = 0; n <= fr[k].len; n++) {
			enum pkt_class c = parse_exact(fr[k].b, n);

			/* none of them is padded: any cut loses something */
			if (n < fr[k].len)
				CHECK_EQ(c, PKT_DROP);
			else
				CHECK(c != PKT_DROP);
		}
	}
}

static void
robust_random(void)
{
	static struct frame fr[16];
	static uint8_t buf[2048];
	unsigned int nf = sample_frames(fr), k, j, flips;
	static const uint16_t ets[] = { 0x0800, 0x86dd, 0x0806, 0x8100 };
	uint32_t n;

	memset(class_seen, 0, sizeof(class_seen));
	/* random bytes, with a plausible ethertype most of the time */
	for (k = 0; k < 4000; k++) {
		n = (uint32_t)(rng() % 160);
		for (j = 0; j < n; j++)
			buf[j] = (uint8_t)rng();
		if (n >= 14 && k % 5 != 0)
			put16(buf + 12, ets[rng() % 4]);
		if (n >= 18 && buf[12] == 0x81)
			put16(buf + 16, ets[rng() % 3]);
		parse_exact(buf, n);
	}
	/* valid frames with a few random bytes changed and random length */
	for (k = 0; k < 6000; k++) {
		const struct frame *f = &fr[rng() % nf];

		memcpy(buf, f->b, f->len);
		flips = 1 + (unsigned int)(rng() % 4);
		for (j = 0; j < flips; j++)
			buf[rng() % f->len] = (uint8_t)rng();
		n = f->len;
		if (k % 3 == 0)
			n = (uint32_t)(rng() % (f->len + 1));
		else if (k % 3 == 1)
			n = f->len + (uint32_t)(rng() % 64); /* junk behind */
		for (j = f->len; j < n; j++)
			buf[j] = (uint8_t)rng();
		parse_exact(buf, n);
	}
	/* the mutations reach every class and the drops */
	for (k = PKT_RTP; k <= PKT_DROP; k++)
		if (k != PKT_STUN && k != PKT_DTLS) /* no sample frame of theirs */
			CHECK(class_seen[k] > 0);
}

int
main(void)
{
	RUN(rtp_ipv4);
	RUN(rtcp_ipv4);
	RUN(rtp_ipv6);
	RUN(rtcp_ipv6);
	RUN(rtp_vlan_ipv4);
	RUN(rtp_vlan_ipv6);
	RUN(ipv4_options);
	RUN(ipv6_ext_headers_skipped);
	RUN(ipv6_ext_chain_limit);
	RUN(eth_padding_accepted);
	RUN(unaligned_frame);
	RUN(rtcp_demux_boundaries);
	RUN(drop_l2_truncated);
	RUN(drop_ethertype);
	RUN(drop_ip4_malformed);
	RUN(drop_ip6_malformed);
	RUN(drop_ip_fragment);
	RUN(drop_l4_proto);
	RUN(drop_udp_malformed);
	RUN(drop_not_rtp);
	RUN(stun_and_dtls);
	RUN(drop_rtp_malformed);
	RUN(arp_request);
	RUN(drop_arp_other);
	RUN(icmp4_ok);
	RUN(drop_icmp4);
	RUN(icmp6_ok);
	RUN(drop_icmp6);
	RUN(nd_ns);
	RUN(nd_na);
	RUN(drop_nd);
	RUN(robust_truncations);
	RUN(robust_random);
	return CHECK_DONE();
}
