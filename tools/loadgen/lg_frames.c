/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The frames the load generator sends: Ethernet / IPv4 or IPv6 / UDP from
 * the stream's source to its listen address, then RTP (see lg.h for the
 * numbering). SRTP streams are encrypted here, before the run, into
 * ordinary memory; plain streams keep one template whose sequence number,
 * timestamp and payload mark are patched per packet (with an incremental
 * UDP checksum, RFC 1624), so they need no memory per packet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "api/suite.h"
#include "dataplane/srtp_ctx.h"
#include "tools/loadgen/lg.h"

#define RTP_HDR 12
#define OFF_SEQ 2
#define OFF_TS 4
#define OFF_MARK_K (RTP_HDR + 8) /* payload: "SGWL", stream, k */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void lg_rtp_plain(const struct lg_stream *st, unsigned s, uint64_t k, unsigned size, uint8_t *buf)
{
	buf[0] = 0x80;
	buf[1] = LG_PT;
	put16(buf + OFF_SEQ, (uint16_t)(st->seq0 + k));
	put32(buf + OFF_TS, (uint32_t)k);
	put32(buf + 8, st->ssrc);
	memcpy(buf + RTP_HDR, "SGWL", 4);
	put32(buf + RTP_HDR + 4, s);
	put32(buf + OFF_MARK_K, (uint32_t)k);
	for (unsigned j = 12; j < size; j++)
		buf[RTP_HDR + j] = (uint8_t)(s * 31 + j * 7);
}

static unsigned l3_len(const struct lg_stream *st)
{
	return st->listen.addr.family == SGW_AF_INET ? sizeof(struct rte_ipv4_hdr)
						      : sizeof(struct rte_ipv6_hdr);
}

/* Ethernet, IP and UDP headers in front of udp_payload bytes at
 * f + st->hdr_len, with lengths and checksums. */
static void headers(const struct lg_stream *st, const struct rte_ether_addr *src_mac, uint8_t *f,
		    unsigned udp_payload)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_udp_hdr *udp;
	uint16_t udp_len = (uint16_t)(udp_payload + sizeof(*udp));

	rte_ether_addr_copy(&st->dst_mac, &eth->dst_addr);
	rte_ether_addr_copy(src_mac, &eth->src_addr);
	if (st->listen.addr.family == SGW_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(ip, 0, sizeof(*ip));
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(udp_len + sizeof(*ip)));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, st->source.addr.a, 4);
		memcpy(&ip->dst_addr, st->listen.addr.a, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(ip + 1);
		udp->src_port = rte_cpu_to_be_16(st->source.port);
		udp->dst_port = rte_cpu_to_be_16(st->listen.port);
		udp->dgram_len = rte_cpu_to_be_16(udp_len);
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		memset(ip, 0, sizeof(*ip));
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(udp_len);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, st->source.addr.a, 16);
		memcpy(ip->dst_addr, st->listen.addr.a, 16);
		udp = (struct rte_udp_hdr *)(ip + 1);
		udp->src_port = rte_cpu_to_be_16(st->source.port);
		udp->dst_port = rte_cpu_to_be_16(st->listen.port);
		udp->dgram_len = rte_cpu_to_be_16(udp_len);
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
	}
}

/* RFC 1624 eqn. 3: the checksum after 16-bit words old[] became new[]. */
static uint16_t cksum_adjust(uint16_t ck, const uint16_t *old, const uint16_t *new, unsigned n)
{
	uint32_t sum = (uint16_t)~ck;

	for (unsigned i = 0; i < n; i++)
		sum += (uint16_t)~old[i] + (uint32_t)new[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck = (uint16_t)~sum;
	return ck == 0 ? 0xffff : ck; /* UDP sends a computed 0 as all ones */
}

void lg_frame_plain(const struct lg_stream *st, uint64_t k, uint8_t *dst)
{
	uint8_t *rtp = dst + st->hdr_len;
	uint8_t *ck = dst + st->hdr_len - 2; /* the UDP checksum */
	/* words of k = 0 (the template) and of k, host order */
	const uint16_t old[5] = { st->seq0, 0, 0, 0, 0 };
	uint16_t new[5];

	memcpy(dst, st->tmpl, st->frame_len);
	new[0] = (uint16_t)(st->seq0 + k);
	new[1] = (uint16_t)((uint32_t)k >> 16);
	new[2] = (uint16_t)k;
	new[3] = new[1];
	new[4] = new[2];
	put16(rtp + OFF_SEQ, new[0]);
	put32(rtp + OFF_TS, (uint32_t)k);
	put32(rtp + OFF_MARK_K, (uint32_t)k);
	put16(ck, cksum_adjust(rte_be_to_cpu_16(st->tmpl_udp_ck), old, new, 5));
}

/* The incremental checksum agrees with a full one (once, at start-up). */
static int check_plain(const struct lg_stream *st, unsigned s, unsigned size,
		       const struct rte_ether_addr *src_mac)
{
	uint8_t a[2048], b[2048];
	static const uint64_t ks[] = { 1, 255, 65535, 65536, 0x12345678, 0xffffffffu };

	for (unsigned i = 0; i < RTE_DIM(ks); i++) {
		lg_frame_plain(st, ks[i], a);
		memcpy(b, st->tmpl, st->hdr_len);
		lg_rtp_plain(st, s, ks[i], size, b + st->hdr_len);
		headers(st, src_mac, b, RTP_HDR + size);
		if (memcmp(a, b, st->frame_len) != 0)
			return -1;
	}
	return 0;
}

static uint32_t pow2_floor(uint64_t v)
{
	uint32_t p = 1;

	while ((uint64_t)p * 2 <= v && p < (1u << 30))
		p *= 2;
	return p;
}

static int build_srtp(struct lg_stream *st, unsigned s, const struct lg_opts *o,
		      const struct rte_ether_addr *src_mac, uint64_t n, char *err, size_t errlen)
{
	const struct sgw_suite_info *si = sgw_suite_info(st->key.suite);
	unsigned rtp_len = RTP_HDR + o->size;
	struct sgw_srtp *ctx;

	st->frame_len = (uint16_t)(st->hdr_len + rtp_len + si->rtp_tag_len);
	st->stride = RTE_ALIGN_CEIL(st->frame_len + SGW_SRTP_MAX_TRAILER, 64u);
	st->n_frames = n;
	st->frames = aligned_alloc(64, n * st->stride);
	if (st->frames == NULL) {
		snprintf(err, errlen, "out of memory for %llu pre-encrypted packets (lower --max-packets)",
			 (unsigned long long)n);
		return -1;
	}
	ctx = sgw_srtp_create(&st->key, SGW_SRTP_OUTBOUND, 0);
	if (ctx == NULL) {
		snprintf(err, errlen, "stream %llu: cannot make an SRTP context", (unsigned long long)st->id);
		return -1;
	}
	for (uint64_t k = 0; k < n; k++) {
		uint8_t *f = st->frames + k * st->stride;
		int len = (int)rtp_len;
		lg_rtp_plain(st, s, k, o->size, f + st->hdr_len);
		if (sgw_srtp_protect(ctx, f + st->hdr_len, &len) != SGW_SRTP_OK ||
		    (unsigned)len != rtp_len + si->rtp_tag_len) {
			sgw_srtp_free(ctx);
			snprintf(err, errlen, "stream %llu: SRTP protect failed", (unsigned long long)st->id);
			return -1;
		}
		headers(st, src_mac, f, (unsigned)len);
	}
	sgw_srtp_free(ctx);
	return 0;
}

int lg_frames_build(struct lg_model *m, const struct lg_opts *o, const struct rte_ether_addr *src_mac,
		    uint32_t ssrc_base, uint64_t n_per_stream, char *err, size_t errlen)
{
	/* Send stamps: LG_STAMP_ENTRIES over all streams, at least 16 each
	 * (round robin: a stream has 1/n of the packets in flight). */
	uint32_t stamps = pow2_floor(RTE_MAX(16u, LG_STAMP_ENTRIES / m->n_streams));
	uint16_t seq0[64];

	if (n_per_stream != 0 && n_per_stream < stamps)
		stamps = RTE_MAX(16u, pow2_floor(n_per_stream) * 2);
	for (unsigned s = 0; s < m->n_streams; s++) {
		struct lg_stream *st = &m->streams[s];

		if (s % RTE_DIM(seq0) == 0 && getrandom(seq0, sizeof(seq0), 0) != sizeof(seq0)) {
			snprintf(err, errlen, "getrandom failed");
			return -1;
		}
		st->ssrc = ssrc_base + s;
		st->seq0 = seq0[s % RTE_DIM(seq0)];
		st->hdr_len = (uint16_t)(sizeof(struct rte_ether_hdr) + l3_len(st) + sizeof(struct rte_udp_hdr));
		st->stamp_mask = stamps - 1;
		st->stamps = calloc(stamps, sizeof(*st->stamps));
		if (st->stamps == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (!st->plain) {
			int rc = build_srtp(st, s, o, src_mac, n_per_stream, err, errlen);
			OPENSSL_cleanse(&st->key, sizeof(st->key));
			if (rc != 0)
				return -1;
			continue;
		}
		st->frame_len = (uint16_t)(st->hdr_len + RTP_HDR + o->size);
		st->tmpl = malloc(st->frame_len);
		if (st->tmpl == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		lg_rtp_plain(st, s, 0, o->size, st->tmpl + st->hdr_len);
		headers(st, src_mac, st->tmpl, RTP_HDR + o->size);
		memcpy(&st->tmpl_udp_ck, st->tmpl + st->hdr_len - 2, 2);
		if (check_plain(st, s, o->size, src_mac) != 0) {
			snprintf(err, errlen, "internal error: incremental UDP checksum disagrees");
			return -1;
		}
	}
	return 0;
}
