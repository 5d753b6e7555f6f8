/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_pkt: the frame parser and classifier (pkt_parse) on arbitrary
 * frames, the slow-path answers (pkt_reply_*) on frames it classified, and
 * the resolution requests (pkt_build_*) with fuzzed addresses.
 *
 * Input: byte 0 = flags (our MAC, which builders), byte 1 = room for the
 * builders, the rest = the frame. The frame is parsed where libFuzzer put
 * it (a heap block of exactly its size, so ASan sees any read past it);
 * answers are built in a copy of exactly len + 32 bytes (the room the
 * reply functions promise to stay within), requests in a block of exactly
 * the room given.
 *
 * Invariants checked: the class is valid, a drop names a drop counter,
 * every offset and length stays inside the frame, the headers the class
 * claims are really there (IP version, checksums, UDP length, RFC 7983
 * first byte), parsing is deterministic; an answer is either refused
 * without touching the frame, or fits the room, parses again to the
 * expected class and answers what was asked; a request parses to what was
 * built.
 */
#include <netinet/in.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "dataplane/pkt_cksum.h"
#include "dataplane/pkt_parse.h"
#include "dataplane/pkt_reply.h"
#include "fuzz_common.h"

#define REPLY_SLACK 32

static const char *const ctr_names[] = {
#define NAME(e, name, help) name,
	SGW_FOREACH_COUNTER(NAME)
#undef NAME
};

static struct {
	uint64_t inputs, cls[PKT_DROP + 1], replies, builds;
} st;

static void fz_summary(void)
{
	fprintf(stderr, "fuzz_pkt: %llu inputs: rtp %llu rtcp %llu arp %llu icmp4 %llu icmp6 %llu "
		"drop %llu; %llu answers, %llu requests built\n",
		(unsigned long long)st.inputs, (unsigned long long)st.cls[PKT_RTP],
		(unsigned long long)st.cls[PKT_RTCP], (unsigned long long)st.cls[PKT_ARP],
		(unsigned long long)st.cls[PKT_ICMP4], (unsigned long long)st.cls[PKT_ICMP6],
		(unsigned long long)st.cls[PKT_DROP], (unsigned long long)st.replies,
		(unsigned long long)st.builds);
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return rte_be_to_cpu_16(v);
}

/* What every successful parse guarantees. */
static void check_info(const uint8_t *f, uint32_t len, const struct pkt_info *pi)
{
	uint32_t l2 = pi->l2_len;

	FZ_CHECK(len >= RTE_ETHER_HDR_LEN, "class %d on a %u-byte frame", pi->cls, len);
	FZ_CHECK(l2 == RTE_ETHER_HDR_LEN + (pi->has_vlan ? RTE_VLAN_HLEN : 0u), "l2_len %u", l2);
	FZ_CHECK(l2 <= len, "l2_len %u > len %u", l2, len);
	FZ_CHECK(memcmp(pi->eth_dst, f, 6) == 0 && memcmp(pi->eth_src, f + 6, 6) == 0, "MACs");
	FZ_CHECK(rd16(f + l2 - 2) == pi->ethertype, "ethertype");
	if (pi->has_vlan)
		FZ_CHECK(rd16(f + 12) == RTE_ETHER_TYPE_VLAN && rd16(f + 14) == pi->vlan_tci, "tag");

	if (pi->cls == PKT_ARP) {
		FZ_CHECK(pi->ethertype == RTE_ETHER_TYPE_ARP && pi->family == 0, "ARP");
		FZ_CHECK(len >= l2 + 28, "ARP of %u bytes", len - l2);
		FZ_CHECK(rd16(f + l2) == RTE_ARP_HRD_ETHER && rd16(f + l2 + 2) == RTE_ETHER_TYPE_IPV4 &&
			 f[l2 + 4] == 6 && f[l2 + 5] == 4, "ARP hardware/protocol");
		FZ_CHECK(pi->arp_op == rd16(f + l2 + 6), "arp_op");
		FZ_CHECK(memcmp(pi->arp_sha, f + l2 + 8, 6) == 0 && memcmp(pi->src, f + l2 + 14, 4) == 0 &&
			 memcmp(pi->dst, f + l2 + 24, 4) == 0, "ARP addresses");
		return;
	}

	/* IP: RTP, RTCP, ICMP, ICMPv6 */
	FZ_CHECK(pi->l4_off >= l2 + pi->l3_len && pi->l4_off <= len, "l4_off %u (l2 %u l3 %u len %u)",
		 pi->l4_off, l2, pi->l3_len, len);
	FZ_CHECK(pi->payload_off >= pi->l4_off && pi->payload_off <= len, "payload_off %u", pi->payload_off);
	FZ_CHECK((uint32_t)pi->payload_off + pi->payload_len <= len, "payload %u+%u > len %u",
		 pi->payload_off, pi->payload_len, len);
	if (pi->family == 4) {
		const uint8_t *ip = f + l2;
		FZ_CHECK(pi->ethertype == RTE_ETHER_TYPE_IPV4, "IPv4 ethertype");
		FZ_CHECK((ip[0] >> 4) == 4 && pi->l3_len == (ip[0] & 0xf) * 4u && pi->l3_len >= 20, "IHL");
		FZ_CHECK(pi->l4_off == l2 + pi->l3_len, "IPv4 l4_off");
		FZ_CHECK(rte_raw_cksum(ip, pi->l3_len) == 0xffff, "IPv4 header checksum");
		FZ_CHECK((rd16(ip + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) == 0, "fragment");
		FZ_CHECK(rd16(ip + 2) >= pi->l3_len && l2 + rd16(ip + 2) <= len, "total length");
		FZ_CHECK((uint32_t)pi->payload_off + pi->payload_len <= l2 + rd16(ip + 2),
			 "payload beyond the IPv4 total length");
		FZ_CHECK(pi->l4_proto == ip[9] && pi->hop_limit == ip[8], "proto/ttl");
		FZ_CHECK(memcmp(pi->src, ip + 12, 4) == 0 && memcmp(pi->dst, ip + 16, 4) == 0, "IPv4 addresses");
	} else {
		const uint8_t *ip = f + l2;
		FZ_CHECK(pi->family == 6, "family %u", pi->family);
		FZ_CHECK(pi->ethertype == RTE_ETHER_TYPE_IPV6 && (ip[0] >> 4) == 6 && pi->l3_len == 40, "IPv6");
		FZ_CHECK(len >= l2 + 40u + rd16(ip + 4), "IPv6 payload length");
		FZ_CHECK((uint32_t)pi->payload_off + pi->payload_len <= l2 + 40u + rd16(ip + 4),
			 "payload beyond the IPv6 payload length");
		FZ_CHECK(pi->hop_limit == ip[7] && memcmp(pi->src, ip + 8, 16) == 0 &&
			 memcmp(pi->dst, ip + 24, 16) == 0, "IPv6 fields");
	}

	if (pi->cls == PKT_RTP || pi->cls == PKT_RTCP || pi->cls == PKT_STUN || pi->cls == PKT_DTLS) {
		const uint8_t *u = f + pi->l4_off, *p = f + pi->payload_off;
		FZ_CHECK(pi->l4_proto == IPPROTO_UDP, "UDP");
		FZ_CHECK(pi->payload_off == pi->l4_off + 8, "UDP header");
		FZ_CHECK(rd16(u + 4) == pi->payload_len + 8u, "UDP length %u vs payload %u", rd16(u + 4),
			 pi->payload_len);
		FZ_CHECK(pi->sport == rd16(u) && pi->dport == rd16(u + 2), "ports");
		if (pi->cls == PKT_STUN) { /* RFC 7983: 0-3, a whole STUN header */
			FZ_CHECK(p[0] <= 3 && pi->payload_len >= 20, "STUN first byte %u len %u", p[0],
				 pi->payload_len);
			return;
		}
		if (pi->cls == PKT_DTLS) { /* 20-63, a whole record header */
			FZ_CHECK(p[0] >= 20 && p[0] <= 63 && pi->payload_len >= 13, "DTLS first byte %u len %u",
				 p[0], pi->payload_len);
			return;
		}
		FZ_CHECK(p[0] >= 128 && p[0] <= 191, "RFC 7983 first byte %u", p[0]);
		if (pi->cls == PKT_RTCP)
			FZ_CHECK(pi->payload_len >= 8 && p[1] >= 192 && p[1] <= 223, "RTCP");
		else
			FZ_CHECK(pi->payload_len >= 12 && !(p[1] >= 192 && p[1] <= 223), "RTP");
		return;
	}
	/* ICMP / ICMPv6: payload is the message after type, code, checksum */
	FZ_CHECK(pi->payload_off == pi->l4_off + 4, "ICMP header");
	FZ_CHECK(pi->icmp_type == f[pi->l4_off] && pi->icmp_code == f[pi->l4_off + 1], "ICMP type");
	if (pi->cls == PKT_ICMP4) {
		FZ_CHECK(pi->family == 4 && pi->l4_proto == IPPROTO_ICMP, "ICMP4");
		FZ_CHECK(pi->payload_len + 4u >= 8, "ICMP4 length");
		FZ_CHECK(rte_raw_cksum(f + pi->l4_off, pi->payload_len + 4u) == 0xffff, "ICMP checksum");
	} else {
		FZ_CHECK(pi->cls == PKT_ICMP6 && pi->family == 6 && pi->l4_proto == IPPROTO_ICMPV6, "ICMP6");
		FZ_CHECK(icmp6_sum(pi->src, pi->dst, f + pi->l4_off, pi->payload_len + 4u) == 0xffff,
			 "ICMPv6 checksum");
		if (pi->icmp_type == 135 || pi->icmp_type == 136) {
			FZ_CHECK(pi->hop_limit == 255 && pi->icmp_code == 0 && pi->payload_len + 4u >= 24, "ND");
			FZ_CHECK(memcmp(pi->nd_target, f + pi->l4_off + 8, 16) == 0, "ND target");
		}
	}
}

static void check_parse(const uint8_t *f, uint32_t len, struct pkt_info *pi)
{
	struct pkt_info again;
	enum pkt_class c = pkt_parse(f, len, pi);

	FZ_CHECK(c == pi->cls, "returned %d, info says %d", c, pi->cls);
	FZ_CHECK(c >= PKT_RTP && c <= PKT_DROP, "class %d", c);
	if (c == PKT_DROP)
		FZ_CHECK(pi->drop < SGW_CTR_MAX && strncmp(ctr_names[pi->drop], "drop_", 5) == 0,
			 "drop counter %d", pi->drop);
	else
		check_info(f, len, pi);
	pkt_parse(f, len, &again);
	FZ_CHECK(memcmp(&again, pi, sizeof(again)) == 0, "parse is not deterministic");
}

/* The answer in buf (n bytes, n != 0) to the request described by req. */
static void check_answer(const char *what, const uint8_t *buf, uint32_t n, uint32_t len, uint32_t room,
			 const struct pkt_info *req, const uint8_t mac[6], enum pkt_class want)
{
	struct pkt_info pi;

	FZ_CHECK(n <= room && n <= len + REPLY_SLACK, "%s: %u bytes from a %u-byte frame, room %u", what,
		 n, len, room);
	FZ_CHECK(n >= 60, "%s: %u bytes, below the Ethernet minimum", what, n);
	check_parse(buf, n, &pi);
	FZ_CHECK(pi.cls == want, "%s: answer parses to class %d (drop %d), want %d", what, pi.cls,
		 pi.drop, want);
	FZ_CHECK(memcmp(pi.eth_src, mac, 6) == 0, "%s: not from our MAC", what);
	FZ_CHECK(pi.has_vlan == req->has_vlan && (!pi.has_vlan || pi.vlan_tci == req->vlan_tci),
		 "%s: VLAN tag not kept", what);
	switch (want) {
	case PKT_ARP:
		FZ_CHECK(pi.arp_op == RTE_ARP_OP_REPLY, "ARP reply op %u", pi.arp_op);
		FZ_CHECK(memcmp(pi.eth_dst, req->eth_src, 6) == 0, "ARP reply to the asker");
		FZ_CHECK(memcmp(pi.arp_sha, mac, 6) == 0, "ARP reply sender MAC");
		FZ_CHECK(memcmp(pi.src, req->dst, 4) == 0 && memcmp(pi.dst, req->src, 4) == 0,
			 "ARP reply addresses");
		break;
	case PKT_ICMP4:
	case PKT_ICMP6: {
		unsigned alen = want == PKT_ICMP4 ? 4 : 16;
		if (req->icmp_type == 135) { /* NS -> NA */
			FZ_CHECK(pi.icmp_type == 136 && pi.hop_limit == 255, "NA");
			FZ_CHECK(memcmp(pi.nd_target, req->nd_target, 16) == 0, "NA target");
			FZ_CHECK(pi.has_nd_lladdr && memcmp(pi.nd_lladdr, mac, 6) == 0, "NA link-layer option");
			FZ_CHECK(memcmp(pi.src, req->nd_target, 16) == 0, "NA source");
			break;
		}
		FZ_CHECK(pi.icmp_type == (want == PKT_ICMP4 ? 0 : 129) && pi.icmp_code == 0, "echo reply type");
		FZ_CHECK(memcmp(pi.eth_dst, req->eth_src, 6) == 0, "echo reply to the asker");
		FZ_CHECK(memcmp(pi.src, req->dst, alen) == 0 && memcmp(pi.dst, req->src, alen) == 0,
			 "echo reply addresses");
		FZ_CHECK(pi.payload_len == req->payload_len, "echo reply length %u, request %u",
			 pi.payload_len, req->payload_len);
		break;
	}
	default:
		break;
	}
}

static void check_replies(const uint8_t *f, uint32_t len, const struct pkt_info *pi, const uint8_t mac[6])
{
	uint32_t room = len + REPLY_SLACK;
	uint8_t *buf = malloc(room), *tight = malloc(len ? len : 1);
	uint32_t n;

	if (buf == NULL || tight == NULL)
		abort();
#define TRY(name, want, call)                                                          \
	do {                                                                           \
		memcpy(buf, f, len);                                                   \
		memset(buf + len, 0xa5, REPLY_SLACK);                                  \
		n = call;                                                              \
		if (n == 0) {                                                          \
			FZ_CHECK(memcmp(buf, f, len) == 0, "%s refused but changed the frame", name); \
		} else {                                                               \
			FZ_CHECK(pi->cls == (want), "%s answered a frame of class %d", name, pi->cls); \
			check_answer(name, buf, n, len, room, pi, mac, want);          \
			st.replies++;                                                  \
		}                                                                      \
	} while (0)
	TRY("pkt_reply_arp", PKT_ARP, pkt_reply_arp(buf, len, pi, mac));
	TRY("pkt_reply_icmp4_echo", PKT_ICMP4, pkt_reply_icmp4_echo(buf, len, pi, mac));
	TRY("pkt_reply_icmp6_echo", PKT_ICMP6, pkt_reply_icmp6_echo(buf, len, pi, mac));
	TRY("pkt_reply_nd_ns", PKT_ICMP6, pkt_reply_nd_ns(buf, len, room, pi, mac));
#undef TRY
	/* a neighbour advertisement in a buffer of only len bytes: it is
	 * longer than the solicitation, so room decides */
	memcpy(tight, f, len);
	n = pkt_reply_nd_ns(tight, len, len, pi, mac);
	if (n != 0)
		check_answer("pkt_reply_nd_ns (room = len)", tight, n, len, len, pi, mac, PKT_ICMP6);
	else
		FZ_CHECK(memcmp(tight, f, len) == 0, "pkt_reply_nd_ns refused but changed the frame");
	free(buf);
	free(tight);
}

static void check_builds(uint8_t flags, uint32_t room, const uint8_t *f, uint32_t len)
{
	uint8_t par[6 + 16 + 16 + 2] = { 0 };
	const uint8_t *mac = par, *src = par + 6, *dst = par + 22;
	uint16_t tci;
	uint8_t *buf = malloc(room ? room : 1);
	struct pkt_info pi;
	uint32_t n;

	if (buf == NULL)
		abort();
	memcpy(par, f, len < sizeof(par) ? len : sizeof(par));
	memcpy(&tci, par + 38, 2);
	if (!(flags & 0x10))
		tci = 0;
	if (flags & 0x20) {
		n = pkt_build_arp_request(buf, room, tci, mac, src, dst);
		if (n != 0) {
			st.builds++;
			FZ_CHECK(n <= room && n >= 60, "ARP request of %u bytes, room %u", n, room);
			check_parse(buf, n, &pi);
			FZ_CHECK(pi.cls == PKT_ARP && pi.arp_op == RTE_ARP_OP_REQUEST, "ARP request parses to %d",
				 pi.cls);
			FZ_CHECK(pi.has_vlan == (tci != 0) && (tci == 0 || pi.vlan_tci == tci), "ARP request tag");
			FZ_CHECK(memcmp(pi.arp_sha, mac, 6) == 0 && memcmp(pi.eth_src, mac, 6) == 0 &&
				 memcmp(pi.src, src, 4) == 0 && memcmp(pi.dst, dst, 4) == 0, "ARP request fields");
		} else {
			FZ_CHECK(room < 60, "ARP request refused with room %u", room);
		}
	}
	if (flags & 0x40) {
		n = pkt_build_nd_ns(buf, room, tci, mac, src, dst);
		if (n != 0) {
			st.builds++;
			FZ_CHECK(n <= room, "NS of %u bytes, room %u", n, room);
			check_parse(buf, n, &pi);
			FZ_CHECK(pi.cls == PKT_ICMP6 && pi.icmp_type == 135, "NS parses to %d (drop %d)", pi.cls,
				 pi.drop);
			FZ_CHECK(pi.has_vlan == (tci != 0) && (tci == 0 || pi.vlan_tci == tci), "NS tag");
			FZ_CHECK(memcmp(pi.nd_target, dst, 16) == 0 && memcmp(pi.src, src, 16) == 0, "NS fields");
			FZ_CHECK(pi.has_nd_lladdr && memcmp(pi.nd_lladdr, mac, 6) == 0, "NS link-layer option");
			FZ_CHECK(pi.dst[0] == 0xff && pi.dst[1] == 0x02 && pi.dst[11] == 1 && pi.dst[12] == 0xff &&
				 memcmp(pi.dst + 13, dst + 13, 3) == 0, "NS to the solicited-node address");
		} else {
			FZ_CHECK(room < 14 + (tci ? 4u : 0u) + 40 + 32, "NS refused with room %u", room);
		}
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t macs[4][6] = {
		{ 0x02, 0, 0, 0, 0, 0x01 },
		{ 0, 0, 0, 0, 0, 0 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		{ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
	};
	const uint8_t *f;
	struct pkt_info pi;
	uint32_t len;
	uint8_t flags;

	if (size < 2 || size > 65535 + 2)
		return 0;
	st.inputs++;
	flags = data[0];
	f = data + 2;
	len = (uint32_t)size - 2;
	check_parse(f, len, &pi);
	st.cls[pi.cls]++;
	check_replies(f, len, &pi, macs[flags & 3]);
	if (flags & 0x60)
		check_builds(flags, data[1], f, len);
	return 0;
}

#ifdef SGW_LIBFUZZER
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (getenv("SGW_FUZZ_STATS") != NULL)
		atexit(fz_summary);
	return 0;
}
#endif
