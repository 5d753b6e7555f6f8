/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram: log-linear buckets, LG_HIST_SUB per power of two
 * (about 3 % wide), exact below LG_HIST_SUB. Values are TSC cycles.
 */
#include "tools/loadgen/lg.h"

static unsigned bucket(uint64_t v)
{
	unsigned e;

	if (v < LG_HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v); /* >= log2(LG_HIST_SUB) */
	return (e - 4u) * LG_HIST_SUB + (unsigned)((v >> (e - 5u)) & (LG_HIST_SUB - 1));
}

/* Smallest value of bucket i, and its width. */
static uint64_t bucket_low(unsigned i, uint64_t *width)
{
	unsigned e;

	if (i < LG_HIST_SUB) {
		*width = 1;
		return i;
	}
	e = i / LG_HIST_SUB + 4u;
	*width = 1ull << (e - 5u);
	return (1ull << e) + (uint64_t)(i % LG_HIST_SUB) * *width;
}

_Static_assert(LG_HIST_SUB == 32, "bucket() assumes 32 sub-buckets");

void lg_hist_add(struct lg_hist *h, uint64_t v)
{
	unsigned b = bucket(v);

	h->b[b < LG_HIST_BUCKETS ? b : LG_HIST_BUCKETS - 1]++;
	if (h->n == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->n++;
}

uint64_t lg_hist_quantile(const struct lg_hist *h, double q)
{
	uint64_t want, seen = 0, width, low;

	if (h->n == 0)
		return 0;
	want = (uint64_t)(q * (double)h->n);
	if (want >= h->n)
		want = h->n - 1;
	for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen > want) {
			low = bucket_low(i, &width);
			low += width / 2;
			if (low > h->max)
				low = h->max;
			return low < h->min ? h->min : low;
		}
	}
	return h->max;
}
