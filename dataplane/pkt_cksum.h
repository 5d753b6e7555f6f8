/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksum helpers shared by the parser and the reply builders. */
#ifndef SRTPGW_PKT_CKSUM_H
#define SRTPGW_PKT_CKSUM_H

#include <netinet/in.h>
#include <stdint.h>

#include <rte_ip.h>

/* Ones'-complement sum of the ICMPv6 pseudo-header and message, folded
 * (0xffff for a message whose checksum is right). */
static inline uint16_t
icmp6_sum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg, uint32_t len)
{
	const uint8_t ph[8] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
		(uint8_t)len, 0, 0, 0, IPPROTO_ICMPV6,
	};
	uint32_t sum;

	/* every piece but the last has even length, so partial sums add */
	sum = rte_raw_cksum(src, 16);
	sum += rte_raw_cksum(dst, 16);
	sum += rte_raw_cksum(ph, sizeof(ph));
	sum += rte_raw_cksum(msg, len);
	sum = (sum >> 16) + (sum & 0xffff);
	sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)sum;
}

/* The same for a UDP datagram (RFC 768, RFC 8200 8.1): addresses of alen
 * bytes (4 or 16). */
static inline uint16_t
udp_sum(const uint8_t *src, const uint8_t *dst, unsigned alen, const uint8_t *msg, uint32_t len)
{
	const uint8_t ph[8] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
		(uint8_t)len, 0, 0, 0, IPPROTO_UDP,
	};
	uint32_t sum;

	sum = rte_raw_cksum(src, alen);
	sum += rte_raw_cksum(dst, alen);
	sum += rte_raw_cksum(ph, sizeof(ph));
	sum += rte_raw_cksum(msg, len);
	sum = (sum >> 16) + (sum & 0xffff);
	sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)sum;
}

#endif
