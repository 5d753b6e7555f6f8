/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksum helpers shared by the parser and the reply builders. */
#ifndef SRTPGW_PKT_CKSUM_H
#define SRTPGW_PKT_CKSUM_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

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

/* The ones'-complement sum of len bytes at buf plus sum, folded to 16 bits
 * (not complemented): what rte_raw_cksum() gives, 4 bytes an add instead of
 * 2 (RFC 1071 2(B): wider words, folded at the end, give the same sum in
 * the same byte order). A viewer's packet is summed on every send where the
 * port cannot offload its UDP checksum (net_memif, net_af_packet). */
static inline uint16_t
sgw_cksum_sum(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *p = buf;

	for (; len >= 16; p += 16, len -= 16) {
		uint32_t a, b, c, d;

		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		memcpy(&c, p + 8, 4);
		memcpy(&d, p + 12, 4);
		sum += (uint64_t)a + b + c + d;
	}
	for (; len >= 4; p += 4, len -= 4) {
		uint32_t a;

		memcpy(&a, p, 4);
		sum += a;
	}
	if (len >= 2) {
		uint16_t a;

		memcpy(&a, p, 2);
		sum += a;
		p += 2;
		len -= 2;
	}
	if (len != 0) { /* the odd byte, as __rte_raw_cksum adds it */
		uint16_t left = 0;

		memcpy(&left, p, 1);
		sum += left;
	}
	sum = (sum >> 32) + (sum & 0xffffffffu);
	sum = (sum >> 32) + (sum & 0xffffffffu);
	sum = (sum >> 16) + (sum & 0xffff);
	sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)((sum >> 16) + (sum & 0xffff));
}

/* The UDP checksum of the datagram at udp (udp_len bytes, checksum field
 * zero) under IPv4 header ip: rte_ipv4_udptcp_cksum()'s value, 0 sent as
 * 0xffff (RFC 768). */
static inline uint16_t
sgw_udp4_cksum(const struct rte_ipv4_hdr *ip, const void *udp, uint32_t udp_len)
{
	/* the pseudo-header as native words of its bytes in memory */
	uint64_t ph = (uint64_t)ip->src_addr + ip->dst_addr + rte_cpu_to_be_16(IPPROTO_UDP) +
		      rte_cpu_to_be_16((uint16_t)udp_len);
	uint16_t c = (uint16_t)~sgw_cksum_sum(udp, udp_len, ph);

	return c == 0 ? 0xffff : c;
}

/* The same under IPv6 header ip (RFC 8200 8.1). */
static inline uint16_t
sgw_udp6_cksum(const struct rte_ipv6_hdr *ip, const void *udp, uint32_t udp_len)
{
	uint64_t ph = (uint64_t)rte_cpu_to_be_32(udp_len) + rte_cpu_to_be_32(IPPROTO_UDP);
	uint16_t c;

	ph += sgw_cksum_sum(ip->src_addr, 16, 0);
	ph += sgw_cksum_sum(ip->dst_addr, 16, 0);
	c = (uint16_t)~sgw_cksum_sum(udp, udp_len, ph);
	return c == 0 ? 0xffff : c;
}

#endif
