/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookup scaling (scripts/bench, figure 4): the flow-table part of a
 * worker's per-packet work with 1k and with 1M installed streams, packets
 * in random stream order (the cache-unfriendly case: at 1M the pages,
 * entries and per-stream counters no longer fit in any cache).
 *
 * Per packet, as dataplane/worker.c and fanout.c do: ft_lookup (root ->
 * directory -> page -> entry), read the entry's owner, viewer count and
 * first viewer, bump the stream's and the viewer's counters. Two ways:
 *   one-by-one  each packet from lookup to counters before the next
 *               (the worker's loop as of this benchmark's writing);
 *   staged      a burst of 32 in stages, prefetching the next level of
 *               every packet of the burst before touching any (the page
 *               slot, then the entry and its first viewer, then the
 *               counters), so the cache misses overlap.
 * Interleaved rounds, median per variant; nothing here is SRTP.
 *
 *   bench_lookup [--streams N]... [--rounds N] [--packets N] [--json]
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_prefetch.h>

#include "bench/bench_util.h"
#include "dataplane/flow_table.h"

#define BURST 32

static struct flow_table ft;
static struct rte_rcu_qsbr *qs;
static volatile uint64_t sink;

static void *xalloc(size_t n)
{
	void *p = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(n, RTE_CACHE_LINE_SIZE));

	if (p == NULL) {
		fprintf(stderr, "bench_lookup: out of memory\n");
		exit(1);
	}
	memset(p, 0, n);
	return p;
}

static void entry_free(void *p)
{
	struct sgw_flow_entry *e = p;

	free(e->st);
	free(e->viewers[0].st);
	free(e);
}

/* n streams: 65536 ports per local address, as many addresses as needed */
static void install(unsigned n)
{
	size_t qsz = rte_rcu_qsbr_get_memsize(1);

	qs = xalloc(qsz);
	if (rte_rcu_qsbr_init(qs, 1) != 0 || ft_init(&ft, qs) != 0) {
		fprintf(stderr, "bench_lookup: flow table init failed\n");
		exit(1);
	}
	for (unsigned i = 0; i < n;) {
		if (ft_begin(&ft) != 0)
			exit(1);
		for (unsigned k = 0; k < 65536 && i < n; k++, i++) {
			struct sgw_flow_entry *e = xalloc(sizeof(*e) + sizeof(struct sgw_flow_viewer));

			e->stream_id = i + 1;
			e->owner = i % 50 + 1;
			e->n_viewers = 1;
			e->st = xalloc(sizeof(*e->st));
			e->viewers[0].viewer_id = i + 1;
			e->viewers[0].owner = e->owner;
			e->viewers[0].st = xalloc(sizeof(*e->viewers[0].st));
			if (ft_set(&ft, i >> 16, (uint16_t)i, e, entry_free) != 0)
				exit(1);
		}
		ft_publish(&ft);
		ft_reclaim(&ft);
	}
}

static void uninstall(void)
{
	ft_fini(&ft, entry_free);
	free(qs);
}

static inline void work(struct sgw_flow_entry *e)
{
	const struct sgw_flow_viewer *v;

	if (e == NULL || e->n_viewers == 0)
		return;
	e->st->packets++;
	e->st->bytes += 200;
	v = &e->viewers[0];
	v->st->packets++;
	sink += e->owner ^ v->owner;
}

static double one_by_one(const uint32_t *keys, unsigned n)
{
	const struct ft_root *r = ft_acquire(&ft);
	uint64_t t0 = bench_now_ns();

	for (unsigned i = 0; i < n; i++)
		work(ft_lookup(r, keys[i] >> 16, (uint16_t)keys[i]));
	return (double)(bench_now_ns() - t0) / n;
}

static double staged(const uint32_t *keys, unsigned n)
{
	const struct ft_root *r = ft_acquire(&ft);
	uint64_t t0 = bench_now_ns();

	for (unsigned b = 0; b + BURST <= n; b += BURST) {
		const struct ft_page *pg[BURST];
		struct sgw_flow_entry *e[BURST];

		for (unsigned i = 0; i < BURST; i++) {
			uint32_t k = keys[b + i];
			const struct ft_dir *d = r->dir[k >> 16];

			pg[i] = d ? d->page[(k >> 8) & 0xff] : NULL;
			if (pg[i])
				rte_prefetch0(&pg[i]->e[k & 0xff]);
		}
		for (unsigned i = 0; i < BURST; i++) {
			e[i] = pg[i] ? pg[i]->e[keys[b + i] & 0xff] : NULL;
			if (e[i]) {
				rte_prefetch0(e[i]);
				rte_prefetch0(&e[i]->viewers[0]);
			}
		}
		for (unsigned i = 0; i < BURST; i++)
			if (e[i]) {
				rte_prefetch0(e[i]->st);
				rte_prefetch0(e[i]->viewers[0].st);
			}
		for (unsigned i = 0; i < BURST; i++)
			work(e[i]);
	}
	return (double)(bench_now_ns() - t0) / (n - n % BURST);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_lookup [--streams N]... [--rounds N] [--packets N] [--json]\n"
		   "  flow-table work per packet at each table size (scripts/bench, figure 4)\n"
		   "  --streams N  installed streams (repeatable; default 1000 and 1048576)\n"
		   "  --rounds N   interleaved rounds (default 9); the median is reported\n"
		   "  --packets N  lookups per round (default 2000000)\n"
		   "  --json       one JSON object per line\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "streams", required_argument, NULL, 's' }, { "rounds", required_argument, NULL, 'r' },
		{ "packets", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { 0 } };
	unsigned sizes[8], n_sizes = 0, rounds = 9, n = 2000000;
	int json = 0, c;

	while ((c = getopt_long(argc, argv, "s:r:n:jh", opts, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (c) {
		case 's':
		case 'r':
		case 'n':
			v = strtoul(optarg, &end, 10);
			if (*end || v == 0 || v > (c == 's' ? (unsigned long)SGW_FT_MAX_ADDRS * 65536 : 100000000ul) ||
			    (c == 's' && n_sizes == 8)) {
				fprintf(stderr, "bench_lookup: bad -%c %s\n", c, optarg);
				return 2;
			}
			if (c == 's')
				sizes[n_sizes++] = (unsigned)v;
			else
				*(c == 'r' ? &rounds : &n) = (unsigned)v;
			break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (n_sizes == 0) {
		sizes[0] = 1000;
		sizes[1] = 1u << 20;
		n_sizes = 2;
	}
	for (unsigned si = 0; si < n_sizes; si++) {
		unsigned streams = sizes[si];
		uint32_t *keys = malloc((size_t)n * sizeof(*keys));
		double r1[64], r2[64];
		unsigned seed = 12345;

		if (keys == NULL || rounds > 64) {
			fprintf(stderr, "bench_lookup: out of memory or more than 64 rounds\n");
			return 1;
		}
		install(streams);
		for (unsigned i = 0; i < n; i++) {
			unsigned s = (unsigned)rand_r(&seed) % streams;
			keys[i] = ((s >> 16) << 16) | (s & 0xffff);
		}
		for (unsigned k = 0; k < rounds; k++) {
			r1[k] = one_by_one(keys, n);
			r2[k] = staged(keys, n);
		}
		double m1 = bench_median(r1, rounds), m2 = bench_median(r2, rounds);

		if (json)
			printf("{\"bench\": \"lookup\", \"streams\": %u, \"one_by_one_ns\": %.2f, \"staged_ns\": %.2f}\n",
			       streams, m1, m2);
		else
			printf("%8u streams  one-by-one %6.2f ns/packet  staged+prefetch %6.2f ns/packet\n",
			       streams, m1, m2);
		fflush(stdout);
		uninstall();
		free(keys);
	}
	return 0;
}
