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
 * With --addrs N: the step before, a packet's destination to its address
 * index, with N gateway addresses (IPv4, every packet to one of them at
 * random): the linear memcmp walk of the config's addresses the worker
 * did before service addresses (dp->laddrs), and the walk of the
 * version's packed set it does now (sgw_addr_set_find).
 *
 *   bench_lookup [--streams N]... [--addrs N]... [--rounds N] [--packets N] [--json]
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

/* The worker's address lookup before the set was versioned. */
static inline int old_laddr_find(const struct sgw_local_addr *l, unsigned n, uint8_t family,
				 const uint8_t *a)
{
	unsigned len = family == SGW_AF_INET ? 4 : 16;

	for (unsigned i = 0; i < n; i++)
		if (l[i].ip.family == family && memcmp(l[i].ip.a, a, len) == 0)
			return (int)i;
	return -1;
}

static double addrs_old(const struct sgw_local_addr *l, unsigned n_addrs, const uint8_t (*dst)[4],
			unsigned n)
{
	uint64_t t0 = bench_now_ns();
	int acc = 0;

	for (unsigned i = 0; i < n; i++)
		acc += old_laddr_find(l, n_addrs, SGW_AF_INET, dst[i]);
	sink += (uint64_t)acc;
	return (double)(bench_now_ns() - t0) / n;
}

static double addrs_set(const struct sgw_addr_set *s, const uint8_t (*dst)[4], unsigned n)
{
	uint64_t t0 = bench_now_ns();
	int acc = 0;

	for (unsigned i = 0; i < n; i++)
		acc += sgw_addr_set_find(s, SGW_AF_INET, dst[i]);
	sink += (uint64_t)acc;
	return (double)(bench_now_ns() - t0) / n;
}

static int bench_addrs(unsigned n_addrs, unsigned rounds, unsigned n, int json)
{
	struct sgw_local_addr *l = calloc(SGW_FT_MAX_ADDRS, sizeof(*l));
	struct sgw_addr_set *s = sgw_addr_set_new();
	uint8_t (*dst)[4] = malloc((size_t)n * 4);
	double r1[64], r2[64];
	unsigned seed = 777;

	if (l == NULL || s == NULL || dst == NULL || rounds > 64) {
		fprintf(stderr, "bench_lookup: out of memory or more than 64 rounds\n");
		return 1;
	}
	for (unsigned i = 0; i < n_addrs; i++) {
		l[i].ip = (struct sgw_addr){ .family = SGW_AF_INET,
					     .a = { 10, (uint8_t)(i >> 8), (uint8_t)i, 1 } };
		l[i].prefix_len = 32;
		s->slot[i] = l[i];
	}
	sgw_addr_set_index(s);
	for (unsigned i = 0; i < n; i++)
		memcpy(dst[i], l[(unsigned)rand_r(&seed) % n_addrs].ip.a, 4);
	for (unsigned k = 0; k < rounds; k++) {
		r1[k] = addrs_old(l, n_addrs, (const uint8_t (*)[4])dst, n);
		r2[k] = addrs_set(s, (const uint8_t (*)[4])dst, n);
	}
	double m1 = bench_median(r1, rounds), m2 = bench_median(r2, rounds);

	if (json)
		printf("{\"bench\": \"addr_lookup\", \"addrs\": %u, \"memcmp_walk_ns\": %.2f, "
		       "\"set_ns\": %.2f}\n", n_addrs, m1, m2);
	else
		printf("%8u addrs    memcmp walk %6.2f ns/packet  version's set   %6.2f ns/packet\n",
		       n_addrs, m1, m2);
	fflush(stdout);
	free(l);
	free(s);
	free(dst);
	return 0;
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
	fprintf(f, "usage: bench_lookup [--streams N]... [--addrs N]... [--rounds N] [--packets N] [--json]\n"
		   "  flow-table work per packet at each table size (scripts/bench, figure 4)\n"
		   "  --streams N  installed streams (repeatable; default 1000 and 1048576)\n"
		   "  --addrs N    instead: a packet's address lookup with N addresses (repeatable)\n"
		   "  --rounds N   interleaved rounds (default 9); the median is reported\n"
		   "  --packets N  lookups per round (default 2000000)\n"
		   "  --json       one JSON object per line\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "streams", required_argument, NULL, 's' }, { "rounds", required_argument, NULL, 'r' },
		{ "packets", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ "addrs", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' }, { 0 } };
	unsigned sizes[8], n_sizes = 0, rounds = 9, n = 2000000, addrs[8], n_addrs = 0;
	int json = 0, c;

	while ((c = getopt_long(argc, argv, "s:r:n:a:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (n_addrs == 8 || !bench_count(optarg, SGW_FT_MAX_ADDRS, &addrs[n_addrs])) {
				fprintf(stderr, "bench_lookup: bad --addrs %s (1..%u)\n", optarg,
					SGW_FT_MAX_ADDRS);
				return 2;
			}
			n_addrs++;
			break;
		case 's':
		case 'r':
		case 'n':
			if ((c == 's' && n_sizes == 8) ||
			    !bench_count(optarg, c == 's' ? (unsigned long)SGW_FT_MAX_ADDRS * 65536 : 100000000ul,
					 c == 's' ? &sizes[n_sizes] : c == 'r' ? &rounds : &n)) {
				fprintf(stderr, "bench_lookup: bad -%c %s\n", c, optarg);
				return 2;
			}
			n_sizes += c == 's';
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
	for (unsigned i = 0; i < n_addrs; i++)
		if (bench_addrs(addrs[i], rounds, n, json) != 0)
			return 1;
	if (n_addrs > 0 && n_sizes == 0)
		return 0;
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
