/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Slow-path frames: answers to ARP, ICMP echo, ICMPv6 echo and neighbour
 * solicitations for the gateway's own addresses, and the requests the
 * gateway sends to resolve next hops. Pure functions on byte buffers.
 */
#ifndef SRTPGW_PKT_REPLY_H
#define SRTPGW_PKT_REPLY_H

#include <stdint.h>
#include "dataplane/pkt_parse.h"

/*
 * Turn a frame that pkt_parse() classified into its answer, in place
 * (Ethernet source = our_mac, destination = the asker; a VLAN tag is kept).
 * The caller has checked that the frame is addressed to one of our
 * addresses. Return the answer's length (<= len + 32: room must allow it),
 * or 0 if the frame must not be answered (not a request, malformed).
 */
uint32_t pkt_reply_arp(uint8_t *frame, uint32_t len, const struct pkt_info *info,
		       const uint8_t our_mac[6]);
uint32_t pkt_reply_icmp4_echo(uint8_t *frame, uint32_t len, const struct pkt_info *info,
			      const uint8_t our_mac[6]);
uint32_t pkt_reply_icmp6_echo(uint8_t *frame, uint32_t len, const struct pkt_info *info,
			      const uint8_t our_mac[6]);
/* Neighbour solicitation for info->nd_target -> solicited advertisement
 * (flags S and O, target link-layer address option = our_mac). room is the
 * buffer size (an NA with the option may be longer than the NS). */
uint32_t pkt_reply_nd_ns(uint8_t *frame, uint32_t len, uint32_t room,
			 const struct pkt_info *info, const uint8_t our_mac[6]);

/*
 * Requests to resolve a next hop. vlan_tci 0 = untagged. Return the frame
 * length written to buf, or 0 if room is too small.
 */
uint32_t pkt_build_arp_request(uint8_t *buf, uint32_t room, uint16_t vlan_tci,
			       const uint8_t src_mac[6], const uint8_t src_ip[4],
			       const uint8_t target_ip[4]);
/* To the solicited-node multicast address of target, with the source
 * link-layer address option. */
uint32_t pkt_build_nd_ns(uint8_t *buf, uint32_t room, uint16_t vlan_tci,
			 const uint8_t src_mac[6], const uint8_t src_ip[16],
			 const uint8_t target[16]);

/*
 * Announcements of an address of ours (sent when it becomes ours). IPv4:
 * an ARP announcement (RFC 5227 2.3: an ARP request, broadcast, sender and
 * target IP both ip, sender MAC src_mac, target MAC zero). IPv6: an
 * unsolicited neighbour advertisement (RFC 4861 7.2.6: to ff02::1 and
 * 33:33:00:00:00:01, from ip, hop limit 255, Override set, Solicited and
 * Router clear, target ip, target link-layer address option src_mac).
 * Return the frame length written to buf, or 0 if room is too small.
 */
uint32_t pkt_build_arp_announce(uint8_t *buf, uint32_t room, uint16_t vlan_tci,
				const uint8_t src_mac[6], const uint8_t ip[4]);
uint32_t pkt_build_nd_na_unsolicited(uint8_t *buf, uint32_t room, uint16_t vlan_tci,
				     const uint8_t src_mac[6], const uint8_t ip[16]);

/* A UDP datagram from u->src:sport to u->dst:dport (family 4 or 6),
 * checksums filled; the length written, or 0 if room is too small or the
 * payload too long. */
struct pkt_udp_addrs {
	uint8_t family;
	uint8_t src[16], dst[16]; /* the first 4 bytes for IPv4 */
	uint16_t sport, dport;
};
uint32_t pkt_build_udp(uint8_t *buf, uint32_t room, uint16_t vlan_tci, const uint8_t dst_mac[6],
		       const uint8_t src_mac[6], const struct pkt_udp_addrs *u,
		       const uint8_t *payload, uint32_t len);

#endif
