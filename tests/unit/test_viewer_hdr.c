/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A viewer's header template, its kept sums and the lengths and checksums
 * written per packet (dataplane/viewer_hdr.h), against a byte-wise RFC
 * 1071 checksum written here and against DPDK's rte_ipv4/6_udptcp_cksum():
 * IPv4 and IPv6, with and without a VLAN tag, every payload length 0-300
 * (odd ones too), random addresses, ports and payloads, and the payload
 * whose checksum comes out 0 (sent as 0xffff).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dataplane/viewer_hdr.h"
#include "tests/unit/check.h"

#define PAYLOAD_MAX 300

/* RFC 1071, one 16-bit big-endian word at a time, not folded yet. */
static uint32_t ref_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum >> 16) + (sum & 0xffff);
	return (uint16_t)sum;
}

/* The UDP checksum field's value (host order) a receiver accepts. */
static uint16_t ref_udp(const uint8_t *src, const uint8_t *dst, unsigned alen, const uint8_t *udp, uint32_t len)
{
	uint8_t ph[4] = { 0, 17, (uint8_t)(len >> 8), (uint8_t)len };
	uint8_t copy[8 + PAYLOAD_MAX];
	uint32_t sum;
	uint16_t c;

	memcpy(copy, udp, len);
	copy[6] = copy[7] = 0;
	sum = ref_add(ref_add(ref_add(ref_add(0, src, alen), dst, alen), ph, 4), copy, len);
	c = (uint16_t)~ref_fold(sum);
	return c == 0 ? 0xffff : c;
}

static uint8_t rnd8(void)
{
	return (uint8_t)(rand() >> 7);
}

/* A template as gateway/agent_entry.c makes it: lengths and checksums 0. */
static void make_template(struct sgw_flow_viewer *v, int family, bool vlan)
{
	uint8_t *h = v->hdr;
	size_t off = RTE_ETHER_HDR_LEN;

	memset(v, 0, sizeof(*v));
	for (int i = 0; i < 12; i++)
		h[i] = rnd8();
	if (vlan) {
		h[12] = 0x81, h[13] = 0x00, h[14] = 0x00, h[15] = 7;
		off += 4;
	}
	h[off - 2] = 0x08, h[off - 1] = family == SGW_AF_INET ? 0x00 : 0xdd;
	if (family == SGW_AF_INET)
		h[off - 2] = 0x08, h[off - 1] = 0x00;
	else
		h[off - 2] = 0x86, h[off - 1] = 0xdd;
	v->l3_off = (uint8_t)off;
	if (family == SGW_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + off);

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		for (int i = 0; i < 8; i++)
			((uint8_t *)&ip->src_addr)[i] = rnd8();
		off += sizeof(*ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(h + off);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		for (int i = 0; i < 16; i++)
			ip->src_addr[i] = rnd8(), ip->dst_addr[i] = rnd8();
		off += sizeof(*ip);
	}
	for (int i = 0; i < 4; i++)
		h[off + i] = rnd8(); /* the ports */
	off += sizeof(struct rte_udp_hdr);
	v->hdr_len = (uint8_t)off;
	v->family = (uint8_t)family;
	sgw_viewer_hdr_sums(v);
}

/* DPDK's value for the frame (host order), on a copy with the field 0. */
static uint16_t dpdk_udp(const uint8_t *frame, const struct sgw_flow_viewer *v, uint32_t n)
{
	uint8_t copy[128 + PAYLOAD_MAX];
	uint8_t *l3 = copy + v->l3_off;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(copy + v->hdr_len - 8);

	memcpy(copy, frame, v->hdr_len + n);
	udp->dgram_cksum = 0;
	return rte_be_to_cpu_16(v->family == SGW_AF_INET ?
					rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)l3, udp) :
					rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)l3, udp));
}

/* Frame a payload of n bytes after v's template, as frame_and_send does,
 * and check what a receiver checks. */
static void check_frame(const struct sgw_flow_viewer *v, const uint8_t *payload, uint32_t n)
{
	uint8_t frame[128 + PAYLOAD_MAX];
	struct rte_mbuf m;
	const uint8_t *l3 = frame + v->l3_off;
	const uint8_t *udp = frame + v->hdr_len - 8;
	uint32_t udp_len = n + 8;

	memset(&m, 0, sizeof(m));
	memcpy(frame, v->hdr, v->hdr_len);
	memcpy(frame + v->hdr_len, payload, n);
	sgw_viewer_hdr_finish(v, &m, frame, n, false);
	CHECK_EQ(m.l2_len, v->l3_off);
	CHECK_EQ(m.l4_len, 8);
	CHECK_EQ(udp[4] << 8 | udp[5], udp_len);
	if (v->family == SGW_AF_INET) {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		CHECK_EQ(m.l3_len, 20);
		CHECK_EQ(rte_be_to_cpu_16(ip->total_length), udp_len + 20);
		CHECK_EQ(ref_fold(ref_add(0, l3, 20)), 0xffff); /* the header sums right */
		CHECK_EQ(udp[6] << 8 | udp[7], ref_udp(l3 + 12, l3 + 16, 4, udp, udp_len));
		CHECK_EQ(udp[6] << 8 | udp[7], dpdk_udp(frame, v, n));
	} else {
		const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)l3;

		CHECK_EQ(m.l3_len, 40);
		CHECK_EQ(rte_be_to_cpu_16(ip->payload_len), udp_len);
		CHECK_EQ(udp[6] << 8 | udp[7], ref_udp(l3 + 8, l3 + 24, 16, udp, udp_len));
		CHECK_EQ(udp[6] << 8 | udp[7], dpdk_udp(frame, v, n));
	}
}

static void every_length(int family, bool vlan)
{
	uint8_t payload[PAYLOAD_MAX];

	for (uint32_t n = 0; n <= PAYLOAD_MAX; n++) {
		struct sgw_flow_viewer v;

		make_template(&v, family, vlan);
		for (uint32_t i = 0; i < n; i++)
			payload[i] = rnd8();
		check_frame(&v, payload, n);
	}
}

static void ipv4(void)
{
	every_length(SGW_AF_INET, false);
}

static void ipv4_vlan(void)
{
	every_length(SGW_AF_INET, true);
}

static void ipv6(void)
{
	every_length(SGW_AF_INET6, false);
}

static void ipv6_vlan(void)
{
	every_length(SGW_AF_INET6, true);
}

/* A payload whose last word makes the sum 0xffff: the checksum is 0,
 * which UDP sends as 0xffff (0 would say "no checksum"). */
static void zero_sent_as_ffff(void)
{
	for (int family = SGW_AF_INET; family <= SGW_AF_INET6; family += SGW_AF_INET6 - SGW_AF_INET) {
		struct sgw_flow_viewer v;
		uint8_t payload[64], frame[192];
		const uint8_t *udp, *l3;
		uint32_t sum;
		uint16_t w;
		struct rte_mbuf m;

		make_template(&v, family, false);
		for (int i = 0; i < 62; i++)
			payload[i] = rnd8();
		payload[62] = payload[63] = 0;
		/* the sum with the last word 0, then the word that completes it */
		memset(&m, 0, sizeof(m));
		memcpy(frame, v.hdr, v.hdr_len);
		memcpy(frame + v.hdr_len, payload, 64);
		sgw_viewer_hdr_finish(&v, &m, frame, 64, false);
		l3 = frame + v.l3_off;
		udp = frame + v.hdr_len - 8;
		if (family == SGW_AF_INET)
			sum = ref_add(ref_add(0, l3 + 12, 8), (const uint8_t[]){ 0, 17, 0, 72 }, 4);
		else
			sum = ref_add(ref_add(0, l3 + 8, 32), (const uint8_t[]){ 0, 17, 0, 72 }, 4);
		sum = ref_add(sum, udp, 6);
		sum = ref_add(sum, payload, 64);
		w = (uint16_t)~ref_fold(sum);
		payload[62] = (uint8_t)(w >> 8);
		payload[63] = (uint8_t)w;
		memcpy(frame, v.hdr, v.hdr_len);
		memcpy(frame + v.hdr_len, payload, 64);
		sgw_viewer_hdr_finish(&v, &m, frame, 64, false);
		CHECK_EQ(udp[6] << 8 | udp[7], 0xffff);
		check_frame(&v, payload, 64);
	}
}

/* With the port's offload: the pseudo-header's sum only, and the flags. */
static void offload(void)
{
	struct sgw_flow_viewer v;
	uint8_t frame[192] = { 0 };
	struct rte_mbuf m;

	make_template(&v, SGW_AF_INET, false);
	memset(&m, 0, sizeof(m));
	memcpy(frame, v.hdr, v.hdr_len);
	sgw_viewer_hdr_finish(&v, &m, frame, 100, true);
	CHECK(m.ol_flags & RTE_MBUF_F_TX_UDP_CKSUM);
	CHECK(m.ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	CHECK_EQ(((struct rte_ipv4_hdr *)(frame + v.l3_off))->hdr_checksum, 0);
	CHECK_EQ(((struct rte_udp_hdr *)(frame + v.hdr_len - 8))->dgram_cksum,
		 rte_ipv4_phdr_cksum((struct rte_ipv4_hdr *)(frame + v.l3_off), m.ol_flags));
}

int main(void)
{
	srand(1);
	RUN(ipv4);
	RUN(ipv4_vlan);
	RUN(ipv6);
	RUN(ipv6_vlan);
	RUN(zero_sent_as_ffff);
	RUN(offload);
	return CHECK_DONE();
}
