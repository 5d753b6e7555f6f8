/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A viewer's Ethernet/IP/UDP header template (sgw_flow_viewer.hdr): its
 * checksum sums, taken once when the entry is built, and the lengths and
 * checksums written per packet from them.
 *
 * Why the sums are kept: a port that cannot offload checksums (net_memif,
 * net_af_packet) made every packet's checksums by reading back the
 * headers just copied from the template and patched with 2-byte stores.
 * Those reads span several smaller stores still in the store buffer, which
 * the CPU cannot forward: each waited for them to reach the cache (a
 * quarter of the worker's time with 4 viewers a stream). From the kept
 * sums only the payload is read, and the lengths are added as values
 * (RFC 1624: a ones'-complement sum takes its 16-bit words in any order).
 */
#ifndef SRTPGW_VIEWER_HDR_H
#define SRTPGW_VIEWER_HDR_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dataplane/flow_table.h"
#include "dataplane/pkt_cksum.h"

/* Take v->l3_sum and v->l4_sum from its template (hdr, l3_off, family;
 * lengths and checksums 0): the IPv4 header's sum, and the UDP sum of the
 * pseudo-header's addresses and protocol with the UDP header. */
static inline void sgw_viewer_hdr_sums(struct sgw_flow_viewer *v)
{
	const uint8_t *l3 = v->hdr + v->l3_off;
	const uint8_t proto[2] = { 0, IPPROTO_UDP };
	unsigned alen, addr_off, l3_len;

	if (v->family == SGW_AF_INET) {
		l3_len = sizeof(struct rte_ipv4_hdr);
		alen = 4;
		addr_off = offsetof(struct rte_ipv4_hdr, src_addr);
		v->l3_sum = sgw_cksum_sum(l3, l3_len, 0);
	} else {
		l3_len = sizeof(struct rte_ipv6_hdr);
		alen = 16;
		addr_off = offsetof(struct rte_ipv6_hdr, src_addr);
		v->l3_sum = 0;
	}
	/* source and destination address are adjacent in both headers */
	v->l4_sum = sgw_cksum_sum(l3 + l3_len, sizeof(struct rte_udp_hdr),
				  sgw_cksum_sum(proto, 2, sgw_cksum_sum(l3 + addr_off, 2 * alen, 0)));
}

/* The lengths and checksums of the headers just copied from v's template
 * to frame, before a UDP payload of payload_len bytes at frame +
 * v->hdr_len; the port's offloads (offload: it takes the UDP and IPv4
 * header checksums) or software checksums. */
static inline void sgw_viewer_hdr_finish(const struct sgw_flow_viewer *v, struct rte_mbuf *m, uint8_t *frame,
					 uint32_t payload_len, bool offload)
{
	uint8_t *l3 = frame + v->l3_off;
	uint16_t udp_len = (uint16_t)(payload_len + sizeof(struct rte_udp_hdr));
	uint16_t udp_len_be = rte_cpu_to_be_16(udp_len);
	struct rte_udp_hdr *udp;

	m->l2_len = v->l3_off;
	m->l4_len = sizeof(struct rte_udp_hdr);
	if (v->family == SGW_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		uint16_t total_be = rte_cpu_to_be_16((uint16_t)(udp_len + sizeof(*ip)));

		udp = (struct rte_udp_hdr *)(ip + 1);
		m->l3_len = sizeof(*ip);
		ip->total_length = total_be;
		udp->dgram_len = udp_len_be;
		if (offload) { /* the template's checksum fields are 0, as the port wants */
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
			udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
			return;
		}
		ip->hdr_checksum = (uint16_t)~sgw_cksum_fold((uint64_t)v->l3_sum + total_be);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)l3;

		udp = (struct rte_udp_hdr *)(ip + 1);
		m->l3_len = sizeof(*ip);
		ip->payload_len = udp_len_be;
		udp->dgram_len = udp_len_be;
		if (offload) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
			udp->dgram_cksum = rte_ipv6_phdr_cksum(ip, m->ol_flags);
			return;
		}
	}
	/* the pseudo-header's length and the UDP header's: udp_len twice */
	uint16_t c = (uint16_t)~sgw_cksum_sum(frame + v->hdr_len, payload_len,
					      (uint64_t)v->l4_sum + 2u * udp_len_be);

	udp->dgram_cksum = c == 0 ? 0xffff : c; /* RFC 768: 0 is "no checksum" */
}

#endif
