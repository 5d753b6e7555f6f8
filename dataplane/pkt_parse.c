/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame parser (see pkt_parse.h). Runs once per received packet on the
 * workers: every read is bounded by len, multi-byte fields are read with
 * memcpy (a frame may sit at any alignment) and the rejection branches are
 * marked unlikely.
 *
 * Offsets kept in struct pkt_info are absolute (from the start of the
 * frame). For ICMP/ICMPv6, payload_off/payload_len cover the message after
 * its 4-byte type/code/checksum header.
 */
#include <string.h>
#include <netinet/in.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_arp.h>

#include "dataplane/pkt_cksum.h"
#include "dataplane/pkt_parse.h"

#define IP4_MIN_HLEN 20
#define IP6_HLEN 40
#define UDP_HLEN 8
#define ARP_IP4_LEN 28
#define ICMP4_MIN_LEN 8
#define ICMP6_MIN_LEN 4
#define ICMP_HLEN 4 /* type, code, checksum */
#define RTP_MIN_LEN 12
#define RTCP_MIN_LEN 8
#define STUN_HDR_LEN 20 /* RFC 8489 6 */
#define DTLS_HDR_LEN 13 /* RFC 6347 4.1: a record header */
/* IPv6 extension headers walked before giving up (bounds the work) */
#define IP6_MAX_EXT 8

#define ICMP6_ND_NS 135
#define ICMP6_ND_NA 136
#define ND_MIN_LEN 24 /* type..checksum, flags/reserved, target */
#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2

static inline uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline enum pkt_class
pkt_drop(struct pkt_info *info, enum sgw_counter why)
{
	info->cls = PKT_DROP;
	info->drop = why;
	return PKT_DROP;
}

/* UDP header at frame[l4], ip_plen bytes of IP payload from there. */
static inline enum pkt_class
parse_udp(const uint8_t *frame, uint32_t l4, uint32_t ip_plen,
	  struct pkt_info *info)
{
	const uint8_t *p;
	uint32_t ulen, plen;

	if (unlikely(ip_plen < UDP_HLEN))
		return pkt_drop(info, SGW_CTR_DROP_UDP_MALFORMED);
	ulen = rd16(frame + l4 + 4);
	if (unlikely(ulen < UDP_HLEN || ulen > ip_plen))
		return pkt_drop(info, SGW_CTR_DROP_UDP_MALFORMED);
	info->sport = rd16(frame + l4);
	info->dport = rd16(frame + l4 + 2);
	info->payload_off = (uint16_t)(l4 + UDP_HLEN);
	plen = ulen - UDP_HLEN;
	info->payload_len = (uint16_t)plen;

	/* RFC 7983: 128..191 is RTP/RTCP, 0..3 STUN, 20..63 DTLS (which go to
	 * srtpgw-control on a WebRTC port); TURN channels and the rest are not
	 * ours */
	p = frame + l4 + UDP_HLEN;
	if (unlikely(plen == 0 || p[0] < 128 || p[0] > 191)) {
		if (plen >= STUN_HDR_LEN && p[0] <= 3) {
			info->cls = PKT_STUN;
			return PKT_STUN;
		}
		if (plen >= DTLS_HDR_LEN && p[0] >= 20 && p[0] <= 63) {
			info->cls = PKT_DTLS;
			return PKT_DTLS;
		}
		return pkt_drop(info, SGW_CTR_DROP_NOT_RTP);
	}
	if (plen >= 2 && p[1] >= 192 && p[1] <= 223) {
		/* RFC 5761: RTCP packet types 192..223 */
		if (unlikely(plen < RTCP_MIN_LEN))
			return pkt_drop(info, SGW_CTR_DROP_RTP_MALFORMED);
		info->cls = PKT_RTCP;
		return PKT_RTCP;
	}
	if (unlikely(plen < RTP_MIN_LEN))
		return pkt_drop(info, SGW_CTR_DROP_RTP_MALFORMED);
	info->cls = PKT_RTP;
	return PKT_RTP;
}

static enum pkt_class
parse_icmp4(const uint8_t *frame, uint32_t l4, uint32_t ilen,
	    struct pkt_info *info)
{
	const uint8_t *m = frame + l4;

	if (unlikely(ilen < ICMP4_MIN_LEN || rte_raw_cksum(m, ilen) != 0xffff))
		return pkt_drop(info, SGW_CTR_DROP_ICMP_OTHER);
	info->icmp_type = m[0];
	info->icmp_code = m[1];
	info->payload_off = (uint16_t)(l4 + ICMP_HLEN);
	info->payload_len = (uint16_t)(ilen - ICMP_HLEN);
	info->cls = PKT_ICMP4;
	return PKT_ICMP4;
}

static enum pkt_class
parse_icmp6(const uint8_t *frame, uint32_t l4, uint32_t ilen,
	    struct pkt_info *info)
{
	const uint8_t *m = frame + l4;
	uint32_t o, olen;
	uint8_t want;

	if (unlikely(ilen < ICMP6_MIN_LEN ||
		     icmp6_sum(info->src, info->dst, m, ilen) != 0xffff))
		return pkt_drop(info, SGW_CTR_DROP_ICMP_OTHER);
	info->icmp_type = m[0];
	info->icmp_code = m[1];
	info->payload_off = (uint16_t)(l4 + ICMP_HLEN);
	info->payload_len = (uint16_t)(ilen - ICMP_HLEN);

	if (m[0] == ICMP6_ND_NS || m[0] == ICMP6_ND_NA) {
		/* RFC 4861 7.1.1/7.1.2: hop limit 255 proves on-link origin */
		if (unlikely(info->hop_limit != 255 || m[1] != 0 ||
			     ilen < ND_MIN_LEN))
			return pkt_drop(info, SGW_CTR_DROP_ICMP_OTHER);
		memcpy(info->nd_target, m + 8, 16);
		want = m[0] == ICMP6_ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA;
		for (o = ND_MIN_LEN; o < ilen; o += olen) {
			if (unlikely(ilen - o < 2))
				return pkt_drop(info, SGW_CTR_DROP_ICMP_OTHER);
			olen = (uint32_t)m[o + 1] * 8;
			if (unlikely(olen == 0 || olen > ilen - o))
				return pkt_drop(info, SGW_CTR_DROP_ICMP_OTHER);
			if (m[o] == want) {
				memcpy(info->nd_lladdr, m + o + 2, 6);
				info->has_nd_lladdr = 1;
			}
		}
	}
	info->cls = PKT_ICMP6;
	return PKT_ICMP6;
}

static inline enum pkt_class
parse_ipv4(const uint8_t *frame, uint32_t len, uint32_t off,
	   struct pkt_info *info)
{
	const uint8_t *ip = frame + off;
	uint32_t avail = len - off, hl, tot;

	if (unlikely(avail < IP4_MIN_HLEN || (ip[0] >> 4) != 4))
		return pkt_drop(info, SGW_CTR_DROP_IP_MALFORMED);
	hl = (uint32_t)(ip[0] & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	tot = rd16(ip + 2);
	/* tot < avail is Ethernet padding, ignored */
	if (unlikely(hl < IP4_MIN_HLEN || hl > avail || tot < hl || tot > avail))
		return pkt_drop(info, SGW_CTR_DROP_IP_MALFORMED);
	if (unlikely(rte_raw_cksum(ip, hl) != 0xffff))
		return pkt_drop(info, SGW_CTR_DROP_IP_MALFORMED);
	if (unlikely(rd16(ip + 6) &
		     (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return pkt_drop(info, SGW_CTR_DROP_IP_FRAGMENT);

	info->family = 4;
	info->hop_limit = ip[8];
	info->l4_proto = ip[9];
	memcpy(info->src, ip + 12, 4);
	memcpy(info->dst, ip + 16, 4);
	info->l3_len = (uint16_t)hl;
	info->l4_off = (uint16_t)(off + hl);

	if (likely(ip[9] == IPPROTO_UDP))
		return parse_udp(frame, off + hl, tot - hl, info);
	if (ip[9] == IPPROTO_ICMP)
		return parse_icmp4(frame, off + hl, tot - hl, info);
	return pkt_drop(info, SGW_CTR_DROP_L4_PROTO);
}

static inline enum pkt_class
parse_ipv6(const uint8_t *frame, uint32_t len, uint32_t off,
	   struct pkt_info *info)
{
	const uint8_t *ip = frame + off;
	uint32_t avail = len - off, cur, end, hlen;
	unsigned int n;
	uint8_t nh;

	if (unlikely(avail < IP6_HLEN || (ip[0] >> 4) != 6 ||
		     rd16(ip + 4) > avail - IP6_HLEN))
		return pkt_drop(info, SGW_CTR_DROP_IP_MALFORMED);

	info->family = 6;
	info->hop_limit = ip[7];
	memcpy(info->src, ip + 8, 16);
	memcpy(info->dst, ip + 24, 16);
	info->l3_len = IP6_HLEN;

	nh = ip[6];
	cur = off + IP6_HLEN;
	end = cur + rd16(ip + 4);
	for (n = 0; unlikely(nh != IPPROTO_UDP && nh != IPPROTO_ICMPV6); n++) {
		if (unlikely(nh == IPPROTO_FRAGMENT)) {
			info->l4_proto = nh;
			return pkt_drop(info, SGW_CTR_DROP_IP_FRAGMENT);
		}
		if (unlikely(nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
			     nh != IPPROTO_DSTOPTS)) {
			info->l4_proto = nh;
			return pkt_drop(info, SGW_CTR_DROP_L4_PROTO);
		}
		if (unlikely(n == IP6_MAX_EXT || end - cur < 8))
			return pkt_drop(info, SGW_CTR_DROP_IP_MALFORMED);
		/* these three share the layout: next header, length in 8-byte
		 * units not counting the first 8 */
		hlen = ((uint32_t)frame[cur + 1] + 1) * 8;
		if (unlikely(hlen > end - cur))
			return pkt_drop(info, SGW_CTR_DROP_IP_MALFORMED);
		nh = frame[cur];
		cur += hlen;
	}

	info->l4_proto = nh;
	info->l4_off = (uint16_t)cur;
	if (likely(nh == IPPROTO_UDP))
		return parse_udp(frame, cur, end - cur, info);
	return parse_icmp6(frame, cur, end - cur, info);
}

static enum pkt_class
parse_arp(const uint8_t *frame, uint32_t len, uint32_t off,
	  struct pkt_info *info)
{
	const uint8_t *a = frame + off;

	if (unlikely(len - off < ARP_IP4_LEN ||
		     rd16(a) != RTE_ARP_HRD_ETHER ||
		     rd16(a + 2) != RTE_ETHER_TYPE_IPV4 ||
		     a[4] != RTE_ETHER_ADDR_LEN || a[5] != 4))
		return pkt_drop(info, SGW_CTR_DROP_ARP_OTHER);
	info->arp_op = rd16(a + 6);
	memcpy(info->arp_sha, a + 8, 6);
	memcpy(info->src, a + 14, 4);
	memcpy(info->dst, a + 24, 4);
	info->cls = PKT_ARP;
	return PKT_ARP;
}

enum pkt_class
pkt_parse(const uint8_t *frame, uint32_t len, struct pkt_info *info)
{
	uint32_t off = RTE_ETHER_HDR_LEN;
	uint16_t et;

	memset(info, 0, sizeof(*info));
	if (unlikely(len < RTE_ETHER_HDR_LEN))
		return pkt_drop(info, SGW_CTR_DROP_L2_TRUNCATED);
	memcpy(info->eth_dst, frame, 6);
	memcpy(info->eth_src, frame + 6, 6);
	et = rd16(frame + 12);
	if (et == RTE_ETHER_TYPE_VLAN) {
		if (unlikely(len < off + RTE_VLAN_HLEN))
			return pkt_drop(info, SGW_CTR_DROP_L2_TRUNCATED);
		info->has_vlan = 1;
		info->vlan_tci = rd16(frame + off);
		et = rd16(frame + off + 2);
		off += RTE_VLAN_HLEN;
	}
	/* a second tag (QinQ) falls through to the unknown ethertype drop */
	info->ethertype = et;
	info->l2_len = (uint16_t)off;

	if (likely(et == RTE_ETHER_TYPE_IPV4))
		return parse_ipv4(frame, len, off, info);
	if (likely(et == RTE_ETHER_TYPE_IPV6))
		return parse_ipv6(frame, len, off, info);
	if (et == RTE_ETHER_TYPE_ARP)
		return parse_arp(frame, len, off, info);
	return pkt_drop(info, SGW_CTR_DROP_ETHERTYPE);
}
