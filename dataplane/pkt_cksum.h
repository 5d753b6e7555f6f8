/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksum helpers shared by the parser and the reply builders. */
#ifndef SRTPGW_PKT_CKSUM_H
#define SRTPGW_PKT_CKSUM_H

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>

/* Fold a ones'-complement sum of 16- or 32-bit words (in memory order)
 * to 16 bits, not complemented. */
static inline uint16_t
sgw_cksum_fold(uint64_t sum)
{
	sum = (sum >> 32) + (sum & 0xffffffffu);
	sum = (sum >> 16) + (sum & 0xffff);
	sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)((sum >> 16) + (sum & 0xffff));
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
	return sgw_cksum_fold(sum);
}

/* Ones'-complement sum of the pseudo-header (RFC 8200 8.1's form, which
 * sums as RFC 768's for IPv4: addresses of alen bytes, 4 or 16) and the
 * message, folded (0xffff for a message whose checksum is right). */
static inline uint16_t
l4_sum(const uint8_t *src, const uint8_t *dst, unsigned alen, uint8_t proto, const uint8_t *msg,
       uint32_t len)
{
	const uint8_t ph[8] = {
		(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
		(uint8_t)len, 0, 0, 0, proto,
	};

	/* every piece but the last has even length, so partial sums add */
	return sgw_cksum_sum(msg, len, sgw_cksum_sum(ph, sizeof(ph), sgw_cksum_sum(dst, alen,
						    sgw_cksum_sum(src, alen, 0))));
}

static inline uint16_t
icmp6_sum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg, uint32_t len)
{
	return l4_sum(src, dst, 16, IPPROTO_ICMPV6, msg, len);
}

static inline uint16_t
udp_sum(const uint8_t *src, const uint8_t *dst, unsigned alen, const uint8_t *msg, uint32_t len)
{
	return l4_sum(src, dst, alen, IPPROTO_UDP, msg, len);
}

/* The checksum to put in the UDP datagram at msg (len bytes, its checksum
 * field zero), as stored: rte_ipv4/6_udptcp_cksum()'s value, 0 sent as
 * 0xffff (RFC 768: 0 means "no checksum"). */
static inline uint16_t
udp_cksum(const uint8_t *src, const uint8_t *dst, unsigned alen, const uint8_t *msg, uint32_t len)
{
	uint16_t c = (uint16_t)~udp_sum(src, dst, alen, msg, len);

	return c == 0 ? 0xffff : c;
}

#endif
