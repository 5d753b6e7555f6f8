/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building a stream's flow entry from its records: the allowed owners, the
 * contexts, and per viewer the pre-built Ethernet/VLAN/IP/UDP header.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "api/addr.h"
#include "api/suite.h"
#include "dataplane/srtp_ctx.h"
#include "dataplane/viewer_hdr.h"
#include "gateway/agent_txn.h"

void txn_entry_free(void *p)
{
	free(p);
}

static void fill_header(struct sgw_agent *a, const struct stream_rec *s,
			const struct viewer_rec *v, struct sgw_flow_viewer *fv)
{
	const struct sgw_port_rt *port = &a->dp->ports[v->port_idx];
	uint8_t *h = fv->hdr;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)h;
	struct rte_udp_hdr *udp;
	size_t off = sizeof(*eth);

	memset(fv->hdr, 0, sizeof(fv->hdr));
	rte_ether_addr_copy(&port->mac, &eth->src_addr);
	if (port->vlan != 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(h + off);
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(port->vlan);
		vh->eth_proto = rte_cpu_to_be_16(v->dest.addr.family == SGW_AF_INET ?
						 RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
		off += sizeof(*vh);
	} else {
		eth->ether_type = rte_cpu_to_be_16(v->dest.addr.family == SGW_AF_INET ?
						   RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	}
	fv->l3_off = (uint8_t)off;
	if (v->dest.addr.family == SGW_AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(h + off);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, v->src_ip.a, 4);
		memcpy(&ip->dst_addr, v->dest.addr.a, 4);
		off += sizeof(*ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(h + off);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, v->src_ip.a, 16);
		memcpy(ip->dst_addr, v->dest.addr.a, 16);
		off += sizeof(*ip);
	}
	udp = (struct rte_udp_hdr *)(h + off);
	/* from its own port (the ICE candidate it checked), or the stream's */
	udp->src_port = rte_cpu_to_be_16(v->port.local_port != 0 ? v->port.local_port : s->listen.port);
	udp->dst_port = rte_cpu_to_be_16(v->dest.port);
	off += sizeof(*udp);
	fv->hdr_len = (uint8_t)off;
	fv->family = v->dest.addr.family;
	sgw_viewer_hdr_sums(fv);
}

static void fill_viewer(struct sgw_agent *a, const struct stream_rec *s, const struct viewer_rec *v,
			struct sgw_flow_viewer *fv)
{
	fv->viewer_id = v->id;
	fv->owner = v->owner;
	fv->port = v->port_idx;
	fv->neigh = v->neigh;
	fv->egress = v->egress;
	fv->st = v->st;
	fv->nack = v->nack;
	fv->mtu = a->dp->ports[v->port_idx].mtu;
	fv->n_pt = v->port.n_pt;
	memcpy(fv->pt_in, v->port.pt_in, sizeof(fv->pt_in));
	memcpy(fv->pt_out, v->port.pt_out, sizeof(fv->pt_out));
	fill_header(a, s, v, fv);
}

/* The viewers in the order fanout takes them, then the camera's feedback
 * leg (viewers[n_viewers]) if the stream has one. */
struct sgw_flow_entry *txn_entry_build(struct sgw_agent *a, const struct stream_rec *s)
{
	size_t size = sizeof(struct sgw_flow_entry) + s->n_viewers * sizeof(struct sgw_flow_viewer);
	struct sgw_flow_entry *e = aligned_alloc(RTE_CACHE_LINE_SIZE,
						 RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE));
	const struct viewer_rec *fb = NULL;

	if (e == NULL)
		return NULL;
	memset(e, 0, size);
	e->stream_id = s->id;
	e->owner = s->owner;
	e->allowed[0] = s->owner;
	memcpy(&e->allowed[1], s->grants, s->n_grants * sizeof(s->grants[0]));
	e->n_allowed = (uint8_t)(1 + s->n_grants);
	e->plain_in = s->suite == SGW_SUITE_PLAIN;
	e->fence = s->fence;
	e->source = s->source;
	e->ingress = s->ingress;
	e->ingress_old = s->ingress_old;
	e->st = s->st;
	for (uint32_t i = 0; i < s->n_viewers; i++) {
		const struct viewer_rec *v = s->viewers[i];
		if (v->port.flags & SGW_VIEWER_FEEDBACK)
			fb = v;
		else
			fill_viewer(a, s, v, &e->viewers[e->n_viewers++]);
	}
	if (fb != NULL) {
		fill_viewer(a, s, fb, &e->viewers[e->n_viewers]);
		e->has_fb = 1;
	}
	e->punt = (s->flags & SGW_STREAM_PUNT) != 0;
	return e;
}

/* The entry of v's port of its own: its RTCP in, from its address only,
 * read with its RTCP key into its state; STUN and DTLS punted if marked. */
struct sgw_flow_entry *txn_vport_entry_build(struct sgw_agent *a, const struct stream_rec *s,
					     const struct viewer_rec *v)
{
	struct sgw_flow_entry *e = aligned_alloc(RTE_CACHE_LINE_SIZE,
						 RTE_ALIGN_CEIL(sizeof(*e), RTE_CACHE_LINE_SIZE));

	(void)a;
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->kind = SGW_ENTRY_VIEWER_PORT;
	e->stream_id = s->id;
	e->owner = v->owner;
	e->fence = s->fence; /* the viewer's RTCP stops with its stream */
	e->viewer_id = v->id;
	e->punt = (v->port.flags & SGW_VIEWER_PUNT) != 0;
	/* a paused viewer (no address) is taken from nowhere */
	e->source = v->dest;
	if (e->source.addr.family == SGW_AF_NONE)
		e->source.addr.family = 0xff;
	e->ingress = v->rtcp_in;
	e->st = v->port_st;
	e->vst = v->st;
	e->sst = s->st;
	return e;
}
