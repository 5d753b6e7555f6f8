/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive side: what the gateway sends to the viewers. Each frame is
 * classified by its destination address and port (which viewer), counted,
 * timed (the RTP header says which packet it is: lg.h), and a sample is
 * decrypted with the viewer's own key and compared with what was sent:
 * the first --verify-first packets of every viewer (64), then every
 * LG_VERIFY_EVERY-th. One thread only (the RX lcore, or the main lcore
 * when interleaved); no allocation, no locks.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_mbuf.h>

#include "dataplane/pkt_parse.h"
#include "dataplane/srtp_ctx.h"
#include "tools/loadgen/lg.h"
#include "tools/loadgen/lg_slow.h"

#define LG_VERIFY_EVERY 1024

struct dest_key {
	uint8_t family;
	uint8_t pad;
	uint16_t port;
	uint8_t a[16];
};

static void dest_key_of(struct dest_key *k, uint8_t family, const uint8_t *a, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	k->port = port;
	memcpy(k->a, a, family == SGW_AF_INET ? 4 : 16);
}

int lg_rx_init(struct lg_run *r, char *err, size_t errlen)
{
	struct lg_model *m = r->m;
	struct rte_hash_parameters hp = {
		.name = "lg_viewers",
		.entries = RTE_MAX(64u, rte_align32pow2(m->n_viewers * 2 + 1)),
		.key_len = sizeof(struct dest_key),
		.hash_func = rte_jhash,
		.socket_id = (int)rte_socket_id(),
	};

	r->by_dest = rte_hash_create(&hp);
	if (r->by_dest == NULL) {
		snprintf(err, errlen, "cannot create the viewer table (raise -m)");
		return -1;
	}
	for (unsigned j = 0; j < m->n_viewers; j++) {
		struct lg_viewer *v = &m->viewers[j];
		struct dest_key k;
		void *other;

		dest_key_of(&k, v->to.addr.family, v->to.addr.a, v->to.port);
		if (rte_hash_lookup_data(r->by_dest, &k, &other) >= 0) {
			snprintf(err, errlen, "viewers %llu and %llu receive at one address and port: "
				 "the load generator tells viewers apart by destination",
				 (unsigned long long)m->viewers[(uintptr_t)other].id,
				 (unsigned long long)v->id);
			return -1;
		}
		if (rte_hash_add_key_data(r->by_dest, &k, (void *)(uintptr_t)j) != 0) {
			snprintf(err, errlen, "cannot add a viewer to the table");
			return -1;
		}
		if (!v->plain) {
			v->rx = sgw_srtp_create(&v->key, SGW_SRTP_INBOUND, 0);
			if (v->rx == NULL) {
				snprintf(err, errlen, "viewer %llu: cannot make an SRTP context",
					 (unsigned long long)v->id);
				return -1;
			}
		}
		OPENSSL_cleanse(&v->key, sizeof(v->key));
	}
	return 0;
}

void lg_rx_fini(struct lg_run *r)
{
	rte_hash_free(r->by_dest);
	r->by_dest = NULL;
	free(r->addrs);
	r->addrs = NULL;
	r->n_addrs = 0;
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decrypt a copy with the viewer's key and compare with packet k of its stream. */
static void verify(struct lg_run *r, struct lg_viewer *v, const uint8_t *udp, unsigned len, uint32_t k)
{
	const struct lg_stream *st = &r->m->streams[v->stream];
	unsigned want = 12 + r->o->size;
	int plen = (int)len;

	if (len > sizeof(r->scratch[0]) - 64) {
		v->mismatch++;
		return;
	}
	memcpy(r->scratch[0], udp, len);
	if (v->rx != NULL && sgw_srtp_unprotect(v->rx, r->scratch[0], &plen) != SGW_SRTP_OK) {
		v->decrypt_fail++;
		return;
	}
	lg_rtp_plain(st, v->stream, k, r->o->size, r->scratch[1]);
	if (v->lanes && plen >= 12) {
		/* the lane's SSRC, and the gateway's sequence (an offset of the
		 * source's fixed by the first packet it forwarded) */
		memcpy(r->scratch[1] + 2, r->scratch[0] + 2, 2);
		memcpy(r->scratch[1] + 8, r->scratch[0] + 8, 4);
	}
	v->verified++;
	if ((unsigned)plen != want || memcmp(r->scratch[0], r->scratch[1], want) != 0)
		v->mismatch++;
}

static void rtp_frame(struct lg_run *r, const uint8_t *frame, const struct pkt_info *pi, uint64_t now)
{
	const struct lg_model *m = r->m;
	const uint8_t *udp = frame + pi->payload_off;
	struct dest_key dk;
	void *data;
	uint32_t s = UINT32_MAX, k = 0;

	struct lg_viewer *v = NULL;

	dest_key_of(&dk, pi->family, pi->dst, pi->dport);
	if (rte_hash_lookup_data(r->by_dest, &dk, &data) >= 0)
		v = &r->m->viewers[(uintptr_t)data];
	if (pi->payload_len >= 12) {
		uint32_t ssrc = rd32(udp + 8);

		/* the stream: from its SSRC; a viewer with lanes gets the
		 * lane's, which names its one stream */
		if (v != NULL && v->lanes)
			s = ssrc == v->lane_ssrc ? v->stream : UINT32_MAX;
		else
			s = ssrc - r->ssrc_base;
		k = rd32(udp + 4);
	}
	if (s < m->n_streams) {
		const struct lg_stream *st = &m->streams[s];
		const struct lg_stamp *sp = &st->stamps[k & st->stamp_mask];
		if (__atomic_load_n(&sp->k, __ATOMIC_ACQUIRE) == k + 1) {
			uint64_t t = __atomic_load_n(&sp->tsc, __ATOMIC_RELAXED);
			if (t >= r->t_window && now >= t)
				lg_hist_add(&r->hist, now - t);
		} else {
			r->lat_lost++;
		}
	}
	if (v == NULL) {
		r->unknown++;
		return;
	}
	v->received++;
	__atomic_store_n(&r->rx_known, r->rx_known + 1, __ATOMIC_RELAXED);
	if (s != v->stream) {
		v->misdelivered++;
		return;
	}
	if (v->received <= r->o->verify_first || v->received % LG_VERIFY_EVERY == 0)
		verify(r, v, udp, pi->payload_len, k);
}

static void frame(struct lg_run *r, struct rte_mbuf *m, uint64_t now, bool in_window)
{
	struct pkt_info pi;
	const uint8_t *f;

	if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
		r->other++;
		rte_pktmbuf_free(m);
		return;
	}
	f = rte_pktmbuf_mtod(m, const uint8_t *);
	switch (pkt_parse(f, m->data_len, &pi)) {
	case PKT_RTP:
	case PKT_RTCP:
		r->rx_frames++;
		r->rx_window_frames += in_window;
		rtp_frame(r, f, &pi, now);
		break;
	case PKT_ARP:
	case PKT_ICMP6:
		if (lg_slow_frame(r, m, &pi))
			return; /* sent back */
		break;
	default:
		r->other++;
		break;
	}
	rte_pktmbuf_free(m);
}

static unsigned poll_queue(struct lg_run *r, uint16_t port, uint16_t q)
{
	struct rte_mbuf *pkts[LG_MAX_BURST];
	uint16_t n = rte_eth_rx_burst(port, q, pkts, (uint16_t)r->o->burst);
	uint64_t now, end;
	bool in_window;

	if (n == 0)
		return 0;
	now = rte_rdtsc();
	end = __atomic_load_n(&r->t_tx_end, __ATOMIC_RELAXED);
	in_window = now >= r->t_window && (end == 0 || now <= end);
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		frame(r, pkts[i], now, in_window);
	}
	return n;
}

/* A queue is read until it is empty or RX_BURSTS_MAX bursts were taken:
 * with fan-out, viewers' packets come faster than ours go out. */
#define RX_BURSTS_MAX 8

unsigned lg_rx_poll(struct lg_run *r)
{
	unsigned n = 0;

	for (uint16_t q = 0; q < r->n_rxq; q++) {
		unsigned got;
		for (unsigned i = 0; i < RX_BURSTS_MAX; i++) {
			got = poll_queue(r, r->rx_port, q);
			n += got;
			if (got < r->o->burst)
				break;
		}
	}
	if (r->two_ports)
		n += poll_queue(r, r->tx_port, 0);
	return n;
}

int lg_rx_main(void *arg)
{
	struct lg_run *r = arg;
	unsigned idle = 0, sleep_us = 0;

	while (!r->stop_rx) {
		if (lg_rx_poll(r) > 0 || r->o->idle_sleep_us == 0) {
			idle = 0;
			sleep_us = 0;
			continue;
		}
		if (++idle < 256)
			continue;
		sleep_us = sleep_us ? RTE_MIN(sleep_us * 2, r->o->idle_sleep_us) : 1;
		struct timespec ts = { 0, (long)sleep_us * 1000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}
