/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The send loop, on the main lcore: paced by the TSC (packets due =
 * elapsed time x rate; at most --burst at a time), round robin over the
 * streams. Each packet is copied from its pre-encrypted frame (or patched
 * from its plain template) into an mbuf from the pool; its send time is
 * stamped just before the burst is handed to the port. A burst the port
 * does not take whole is kept and offered again (restamped), so a full
 * ring slows the sender down instead of losing packets. Also polls the
 * receive side when there is no RX lcore, and sends the ARP/ND answers the
 * RX lcore queued.
 */
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "tools/loadgen/lg.h"
#include "tools/loadgen/lg_slow.h"

struct pending {
	struct rte_mbuf *m[LG_MAX_BURST];
	uint64_t g[LG_MAX_BURST]; /* global packet number: stream g % S, k = g / S */
	unsigned n;
};

/* Build n packets g, g+1, ... into p. Returns how many were built. */
static unsigned build(struct lg_run *r, struct pending *p, uint64_t g, unsigned n)
{
	const unsigned S = r->m->n_streams;

	if (rte_pktmbuf_alloc_bulk(r->pool, p->m, n) != 0)
		return 0;
	for (unsigned j = 0; j < n; j++, g++) {
		const struct lg_stream *st = &r->m->streams[g % S];
		uint64_t k = g / S;
		struct rte_mbuf *m = p->m[j];
		uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

		if (st->frames != NULL)
			rte_memcpy(d, st->frames + k * st->stride, st->frame_len);
		else
			lg_frame_plain(st, k, d);
		m->data_len = st->frame_len;
		m->pkt_len = st->frame_len;
		p->g[j] = g;
	}
	p->n = n;
	return n;
}

static void stamp(struct lg_run *r, const struct pending *p, uint64_t now)
{
	const unsigned S = r->m->n_streams;

	for (unsigned j = 0; j < p->n; j++) {
		struct lg_stream *st = &r->m->streams[p->g[j] % S];
		uint64_t k = p->g[j] / S;
		struct lg_stamp *sp = &st->stamps[k & st->stamp_mask];
		__atomic_store_n(&sp->k, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&sp->tsc, now, __ATOMIC_RELAXED);
		__atomic_store_n(&sp->k, (uint32_t)(k + 1), __ATOMIC_RELEASE);
	}
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { 0, (long)us * 1000 };

	nanosleep(&ts, NULL);
}

void lg_tx_main(struct lg_run *r)
{
	const struct lg_opts *o = r->o;
	const unsigned S = r->m->n_streams;
	const double per_cycle = o->rate / (double)r->hz;
	struct pending p = { .n = 0 };
	uint64_t g = 0, sent = 0;
	unsigned idle = 0, nap = 0;
	bool window_seen = false;

	r->t_start = rte_rdtsc();
	r->t_window = r->t_start + (uint64_t)(o->warmup * (double)r->hz);
	r->t_end_planned = r->t_window + (uint64_t)(o->duration * (double)r->hz);
	while (!r->stop_tx) {
		uint64_t now = rte_rdtsc();
		unsigned busy = 0;

		if (now >= r->t_end_planned)
			break;
		if (!window_seen && now >= r->t_window) {
			window_seen = true;
			r->sent_at_window = sent;
			r->t_window_seen = now;
		}
		if (!r->interleaved)
			lg_slow_flush(r);
		if (p.n == 0) {
			uint64_t want = o->burst;
			if (o->rate > 0) {
				uint64_t due = (uint64_t)((double)(now - r->t_start) * per_cycle) + 1;
				want = due > g ? RTE_MIN(due - g, want) : 0;
			}
			if (g >= r->total_packets) {
				r->exhausted = true;
				break;
			}
			want = RTE_MIN(want, r->total_packets - g);
			if (want > 0)
				g += build(r, &p, g, (unsigned)want);
		}
		if (p.n > 0) {
			uint16_t n;
			stamp(r, &p, now);
			n = rte_eth_tx_burst(r->tx_port, 0, p.m, (uint16_t)p.n);
			for (unsigned j = 0; j < n; j++)
				r->sent[p.g[j] % S]++;
			sent += n;
			__atomic_store_n(&r->sent_total, sent, __ATOMIC_RELAXED);
			if (n < p.n) {
				r->tx_full++;
				memmove(p.m, p.m + n, (p.n - n) * sizeof(p.m[0]));
				memmove(p.g, p.g + n, (p.n - n) * sizeof(p.g[0]));
			}
			p.n -= n;
			busy += n;
		}
		if (r->interleaved)
			busy += lg_rx_poll(r);
		/* idle: nothing due, nothing received; never sleep past a due packet */
		if (busy > 0 || o->idle_sleep_us == 0 || p.n > 0) {
			idle = 0;
			nap = 0;
			continue;
		}
		if (++idle < 256)
			continue;
		nap = nap ? RTE_MIN(nap * 2, o->idle_sleep_us) : 1;
		if (o->rate > 0) {
			double next = (double)(g + 1) / per_cycle + (double)r->t_start;
			double left_us = (next - (double)rte_rdtsc()) * 1e6 / (double)r->hz;
			if (left_us < (double)nap)
				nap = left_us > 1 ? (unsigned)left_us : 1;
		}
		sleep_us(nap);
	}
	__atomic_store_n(&r->t_tx_end, rte_rdtsc(), __ATOMIC_RELAXED);
	if (!window_seen) {
		r->sent_at_window = sent;
		r->t_window_seen = r->t_tx_end;
	}
	if (p.n > 0)
		rte_pktmbuf_free_bulk(p.m, p.n); /* never sent: not counted */
}
