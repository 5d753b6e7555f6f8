/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame parser: Ethernet (one 802.1Q tag or none), IPv4, IPv6, UDP, ARP,
 * ICMP, ICMPv6, and the RFC 7983 demultiplexing of a UDP payload.
 * Pure: reads a byte buffer, writes a struct pkt_info, never touches the
 * frame. Every rejection names the counter (api/srtpgw_counters.h) that the
 * caller increments.
 */
#ifndef SRTPGW_PKT_PARSE_H
#define SRTPGW_PKT_PARSE_H

#include <stdint.h>
#include "api/srtpgw_counters.h"

enum pkt_class {
	PKT_RTP,    /* UDP, first byte 128..191, payload type not RTCP */
	PKT_RTCP,   /* UDP, first byte 128..191, second byte 192..223 (RFC 5761) */
	PKT_STUN,   /* UDP, first byte 0..3, at least a STUN header (RFC 7983) */
	PKT_DTLS,   /* UDP, first byte 20..63, at least a DTLS record header */
	PKT_ARP,
	PKT_ICMP4,  /* IPv4 ICMP; icmp_type/icmp_code set */
	PKT_ICMP6,  /* ICMPv6 (echo, ND); icmp_type/icmp_code set */
	PKT_DROP,   /* drop with counter pkt_info.drop */
};

struct pkt_info {
	enum pkt_class cls;
	enum sgw_counter drop;  /* valid when cls == PKT_DROP */
	uint16_t ethertype;     /* inner ethertype, host order */
	uint16_t vlan_tci;      /* host order, valid if has_vlan */
	uint8_t has_vlan;
	uint8_t family;         /* 4 or 6 (0 for ARP) */
	uint8_t l4_proto;       /* IPPROTO_UDP / ICMP / ICMPV6 */
	uint8_t hop_limit;      /* IPv4 TTL or IPv6 hop limit */
	uint16_t l2_len;        /* Ethernet + VLAN header bytes */
	uint16_t l3_len;        /* IP header bytes (IPv6: fixed header only) */
	uint16_t l4_off;        /* offset of the UDP/ICMP header in the frame */
	uint16_t payload_off;   /* offset of the UDP payload (or ICMP body) */
	uint16_t payload_len;   /* UDP payload bytes per the UDP length */
	uint16_t sport, dport;  /* UDP ports, host order */
	uint8_t icmp_type, icmp_code;
	uint8_t src[16], dst[16]; /* IP addresses, network order; IPv4 in [0..3] */
	uint8_t eth_src[6], eth_dst[6];
	uint16_t arp_op;          /* host order */
	uint8_t arp_sha[6];
	uint8_t has_nd_lladdr;
	uint8_t nd_lladdr[6];
	uint8_t nd_target[16];
};

/*
 * Parse frame[0..len). Checks: lengths at every layer, IPv4 version, IHL,
 * total length and header checksum, no fragments (IPv4 MF/offset, IPv6
 * fragment header), UDP length vs IP payload. The UDP checksum is not
 * verified here (SRTP authenticates the payload; ports that verify it in
 * hardware report bad ones in the mbuf flags, which the worker checks).
 * ARP: Ethernet/IPv4 only (htype 1, ptype 0x0800, hlen 6, plen 4); sets
 * arp_op, arp_sha, src = sender IP, dst = target IP.
 * ICMPv6 neighbour solicitation/advertisement: checks hop limit 255, code 0,
 * length, and the ICMPv6 checksum; sets nd_target and, when the
 * source/target link-layer address option is present, nd_lladdr.
 * ICMP echo requests: checks the ICMP/ICMPv6 checksum.
 * IPv6 extension headers other than hop-by-hop, routing, destination
 * options are rejected (drop_l4_proto); those three are skipped.
 * Returns info->cls.
 */
enum pkt_class pkt_parse(const uint8_t *frame, uint32_t len, struct pkt_info *info);

#endif
