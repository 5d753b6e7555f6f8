/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Slow-path answers and resolution requests (see pkt_reply.h). Frames are
 * byte buffers at any alignment: multi-byte fields go through memcpy.
 * Answers shorter than the Ethernet minimum (60 bytes without FCS) are
 * zero-padded to it, since not every PMD pads short frames.
 */
#include <string.h>
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_arp.h>
#include <rte_icmp.h>

#include "dataplane/pkt_cksum.h"
#include "dataplane/pkt_reply.h"

#define ETH_MIN_LEN 60
#define IP4_HLEN 20
#define IP6_HLEN 40
#define ARP_IP4_LEN 28
#define ICMP_HLEN 4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY 129
#define ICMP6_ND_NS 135
#define ICMP6_ND_NA 136
#define ND_MIN_LEN 24
#define ND_OPT_LEN 8 /* link-layer address option for Ethernet */
#define ND_NA_FLAG_S 0x40
#define ND_NA_FLAG_O 0x20
#define REPLY_TTL 64

static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_all_nodes[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t ip6_all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
static const uint8_t ip6_unspec[16];

static inline void
wr16(uint8_t *p, uint16_t v)
{
	v = rte_cpu_to_be_16(v);
	memcpy(p, &v, sizeof(v));
}

/* Store the checksum for a folded native-order sum (rte_raw_cksum). */
static inline void
put_cksum(uint8_t *p, uint16_t sum)
{
	uint16_t c = (uint16_t)~sum;

	memcpy(p, &c, sizeof(c));
}

/* Fill the IPv6 header at ip and the ICMPv6 checksum of its message. */
static void
ip6_icmp6_finish(uint8_t *ip, uint16_t mlen, uint8_t hop_limit,
		 const uint8_t src[16], const uint8_t dst[16])
{
	uint8_t *m = ip + IP6_HLEN;

	wr16(ip + 4, mlen);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = hop_limit;
	memmove(ip + 8, src, 16);
	memmove(ip + 24, dst, 16);
	m[2] = 0;
	m[3] = 0;
	put_cksum(m + 2, icmp6_sum(ip + 8, ip + 24, m, mlen));
}

static inline uint32_t
pad_min(uint8_t *frame, uint32_t n)
{
	if (n < ETH_MIN_LEN) {
		memset(frame + n, 0, ETH_MIN_LEN - n);
		n = ETH_MIN_LEN;
	}
	return n;
}

/* Ethernet (+ 802.1Q when vlan_tci != 0) header; returns its length. */
static uint32_t
put_l2(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
       uint16_t vlan_tci, uint16_t ethertype)
{
	uint32_t off = 12;

	memcpy(buf, dst, 6);
	memcpy(buf + 6, src, 6);
	if (vlan_tci != 0) {
		wr16(buf + off, RTE_ETHER_TYPE_VLAN);
		wr16(buf + off + 2, vlan_tci);
		off += RTE_VLAN_HLEN;
	}
	wr16(buf + off, ethertype);
	return off + 2;
}

/* Answer to the asker, from us; the rest of the L2 header (tag) stays. */
static inline void
swap_l2(uint8_t *frame, const struct pkt_info *info, const uint8_t our_mac[6])
{
	memcpy(frame, info->eth_src, 6);
	memcpy(frame + 6, our_mac, 6);
}

uint32_t
pkt_reply_arp(uint8_t *frame, uint32_t len, const struct pkt_info *info,
	      const uint8_t our_mac[6])
{
	uint32_t l2 = info->l2_len;
	uint8_t *a = frame + l2;

	if (info->cls != PKT_ARP || info->arp_op != RTE_ARP_OP_REQUEST ||
	    len < l2 + ARP_IP4_LEN)
		return 0;
	swap_l2(frame, info, our_mac);
	wr16(a + 6, RTE_ARP_OP_REPLY);
	memcpy(a + 8, our_mac, 6);
	memcpy(a + 14, info->dst, 4);
	memcpy(a + 18, info->arp_sha, 6);
	memcpy(a + 24, info->src, 4);
	return pad_min(frame, l2 + ARP_IP4_LEN);
}

uint32_t
pkt_reply_icmp4_echo(uint8_t *frame, uint32_t len, const struct pkt_info *info,
		     const uint8_t our_mac[6])
{
	uint32_t l2 = info->l2_len;
	uint32_t mlen = (uint32_t)info->payload_len + ICMP_HLEN;
	uint8_t *ip = frame + l2, *m = ip + IP4_HLEN;

	if (info->cls != PKT_ICMP4 || info->family != 4 ||
	    info->icmp_type != RTE_IP_ICMP_ECHO_REQUEST ||
	    info->l4_off < l2 + IP4_HLEN || (uint32_t)info->l4_off + mlen > len)
		return 0;
	/* options (source route, record route) are not echoed back */
	if (info->l4_off != l2 + IP4_HLEN)
		memmove(m, frame + info->l4_off, mlen);
	swap_l2(frame, info, our_mac);

	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(IP4_HLEN + mlen));
	ip[8] = REPLY_TTL;
	memcpy(ip + 12, info->dst, 4);
	memcpy(ip + 16, info->src, 4);
	ip[10] = 0;
	ip[11] = 0;
	put_cksum(ip + 10, rte_raw_cksum(ip, IP4_HLEN));

	m[0] = RTE_IP_ICMP_ECHO_REPLY;
	m[1] = 0;
	m[2] = 0;
	m[3] = 0;
	put_cksum(m + 2, rte_raw_cksum(m, mlen));
	return pad_min(frame, l2 + IP4_HLEN + mlen);
}

uint32_t
pkt_reply_icmp6_echo(uint8_t *frame, uint32_t len, const struct pkt_info *info,
		     const uint8_t our_mac[6])
{
	uint32_t l2 = info->l2_len;
	uint32_t mlen = (uint32_t)info->payload_len + ICMP_HLEN;
	uint8_t *ip = frame + l2, *m = ip + IP6_HLEN;

	if (info->cls != PKT_ICMP6 || info->family != 6 ||
	    info->icmp_type != ICMP6_ECHO_REQUEST ||
	    info->l4_off < l2 + IP6_HLEN || (uint32_t)info->l4_off + mlen > len)
		return 0;
	/* extension headers of the request are not sent back */
	if (info->l4_off != l2 + IP6_HLEN)
		memmove(m, frame + info->l4_off, mlen);
	swap_l2(frame, info, our_mac);
	m[0] = ICMP6_ECHO_REPLY;
	m[1] = 0;
	ip6_icmp6_finish(ip, (uint16_t)mlen, REPLY_TTL, info->dst, info->src);
	return pad_min(frame, l2 + IP6_HLEN + mlen);
}

/* Neighbour advertisement (RFC 4861 4.4, 7.2.4) at frame + l2. */
static uint32_t
put_na(uint8_t *frame, uint32_t l2, const uint8_t eth_dst[6],
       const uint8_t ip_dst[16], uint8_t flags, const uint8_t target[16],
       const uint8_t our_mac[6])
{
	uint8_t *ip = frame + l2, *m = ip + IP6_HLEN;

	memcpy(frame, eth_dst, 6);
	memcpy(frame + 6, our_mac, 6);
	memset(ip, 0, IP6_HLEN + ND_MIN_LEN + ND_OPT_LEN);
	ip[0] = 0x60;
	m[0] = ICMP6_ND_NA;
	m[4] = flags;
	memcpy(m + 8, target, 16);
	m[24] = 2; /* target link-layer address */
	m[25] = 1;
	memcpy(m + 26, our_mac, 6);
	/* source: the target address itself, one of ours */
	ip6_icmp6_finish(ip, ND_MIN_LEN + ND_OPT_LEN, 255, target, ip_dst);
	return l2 + IP6_HLEN + ND_MIN_LEN + ND_OPT_LEN;
}

uint32_t
pkt_reply_nd_ns(uint8_t *frame, uint32_t len, uint32_t room,
		const struct pkt_info *info, const uint8_t our_mac[6])
{
	uint32_t l2 = info->l2_len;

	if (info->cls != PKT_ICMP6 || info->family != 6 ||
	    info->icmp_type != ICMP6_ND_NS ||
	    len < l2 + IP6_HLEN + ND_MIN_LEN ||
	    room < l2 + IP6_HLEN + ND_MIN_LEN + ND_OPT_LEN)
		return 0;
	/* DAD probe from ::: tell all nodes, unsolicited (RFC 4861 7.2.4) */
	if (memcmp(info->src, ip6_unspec, 16) == 0)
		return put_na(frame, l2, mac_all_nodes, ip6_all_nodes,
			      ND_NA_FLAG_O, info->nd_target, our_mac);
	return put_na(frame, l2, info->eth_src, info->src,
		      ND_NA_FLAG_S | ND_NA_FLAG_O, info->nd_target, our_mac);
}

uint32_t
pkt_build_arp_request(uint8_t *buf, uint32_t room, uint16_t vlan_tci,
		      const uint8_t src_mac[6], const uint8_t src_ip[4],
		      const uint8_t target_ip[4])
{
	uint32_t l2 = vlan_tci ? RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN :
				 RTE_ETHER_HDR_LEN;
	uint8_t *a = buf + l2;

	if (room < ETH_MIN_LEN || room < l2 + ARP_IP4_LEN)
		return 0;
	put_l2(buf, mac_bcast, src_mac, vlan_tci, RTE_ETHER_TYPE_ARP);
	wr16(a, RTE_ARP_HRD_ETHER);
	wr16(a + 2, RTE_ETHER_TYPE_IPV4);
	a[4] = RTE_ETHER_ADDR_LEN;
	a[5] = 4;
	wr16(a + 6, RTE_ARP_OP_REQUEST);
	memcpy(a + 8, src_mac, 6);
	memcpy(a + 14, src_ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, target_ip, 4);
	return pad_min(buf, l2 + ARP_IP4_LEN);
}

uint32_t
pkt_build_nd_ns(uint8_t *buf, uint32_t room, uint16_t vlan_tci,
		const uint8_t src_mac[6], const uint8_t src_ip[16],
		const uint8_t target[16])
{
	uint32_t l2 = vlan_tci ? RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN :
				 RTE_ETHER_HDR_LEN;
	uint32_t n = l2 + IP6_HLEN + ND_MIN_LEN + ND_OPT_LEN;
	uint8_t mac[6] = { 0x33, 0x33, 0xff, target[13], target[14], target[15] };
	/* solicited-node multicast ff02::1:ffXX:XXXX (RFC 4291 2.7.1) */
	uint8_t snm[16] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff,
			    [13] = target[13], [14] = target[14],
			    [15] = target[15] };
	uint8_t *ip = buf + l2, *m = ip + IP6_HLEN;

	if (room < n)
		return 0;
	put_l2(buf, mac, src_mac, vlan_tci, RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, IP6_HLEN + ND_MIN_LEN + ND_OPT_LEN);
	ip[0] = 0x60;
	m[0] = ICMP6_ND_NS;
	memcpy(m + 8, target, 16);
	m[24] = 1; /* source link-layer address */
	m[25] = 1;
	memcpy(m + 26, src_mac, 6);
	ip6_icmp6_finish(ip, ND_MIN_LEN + ND_OPT_LEN, 255, src_ip, snm);
	return n;
}

uint32_t
pkt_build_arp_announce(uint8_t *buf, uint32_t room, uint16_t vlan_tci,
		       const uint8_t src_mac[6], const uint8_t ip[4])
{
	/* a request for the address itself, from the address itself */
	return pkt_build_arp_request(buf, room, vlan_tci, src_mac, ip, ip);
}

uint32_t
pkt_build_nd_na_unsolicited(uint8_t *buf, uint32_t room, uint16_t vlan_tci,
			    const uint8_t src_mac[6], const uint8_t ip[16])
{
	uint32_t l2 = vlan_tci ? RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN :
				 RTE_ETHER_HDR_LEN;

	if (room < l2 + IP6_HLEN + ND_MIN_LEN + ND_OPT_LEN)
		return 0;
	put_l2(buf, mac_all_nodes, src_mac, vlan_tci, RTE_ETHER_TYPE_IPV6);
	return put_na(buf, l2, mac_all_nodes, ip6_all_nodes, ND_NA_FLAG_O, ip, src_mac);
}

uint32_t
pkt_build_udp(uint8_t *buf, uint32_t room, uint16_t vlan_tci, const uint8_t dst_mac[6],
	      const uint8_t src_mac[6], const struct pkt_udp_addrs *u, const uint8_t *payload,
	      uint32_t len)
{
	uint32_t l2 = vlan_tci ? RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN : RTE_ETHER_HDR_LEN;
	uint32_t l3 = u->family == 4 ? IP4_HLEN : IP6_HLEN, alen = u->family == 4 ? 4 : 16;
	uint32_t n = l2 + l3 + 8 + len;
	uint8_t *ip = buf + l2, *udp = ip + l3;
	uint16_t sum;

	if ((u->family != 4 && u->family != 6) || len > 65535 - 8 - IP4_HLEN || room < n ||
	    room < ETH_MIN_LEN)
		return 0;
	put_l2(buf, dst_mac, src_mac, vlan_tci, u->family == 4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	memset(ip, 0, l3);
	if (u->family == 4) {
		ip[0] = 0x45;
		wr16(ip + 2, (uint16_t)(l3 + 8 + len));
		wr16(ip + 6, 0x4000); /* don't fragment */
		ip[8] = REPLY_TTL;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, u->src, 4);
		memcpy(ip + 16, u->dst, 4);
		put_cksum(ip + 10, rte_raw_cksum(ip, IP4_HLEN));
	} else {
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)(8 + len));
		ip[6] = IPPROTO_UDP;
		ip[7] = REPLY_TTL;
		memcpy(ip + 8, u->src, 16);
		memcpy(ip + 24, u->dst, 16);
	}
	wr16(udp, u->sport);
	wr16(udp + 2, u->dport);
	wr16(udp + 4, (uint16_t)(8 + len));
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, payload, len);
	sum = udp_cksum(u->src, u->dst, alen, udp, 8 + len);
	memcpy(udp + 6, &sum, 2);
	return pad_min(buf, n);
}
