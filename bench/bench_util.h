/* SPDX-License-Identifier: BSD-3-Clause */
/* What the benchmark programs share: clocks and the median of rounds. */
#ifndef SRTPGW_BENCH_UTIL_H
#define SRTPGW_BENCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The thread's CPU time: the machines benches run on are shared, and
 * time the thread spends descheduled is no cost of what it measures. */
static inline uint64_t bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A count argument: 1..max, digits only. False if it is not one. */
static inline int bench_count(const char *arg, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*arg < '0' || *arg > '9' || *end != '\0' || v == 0 || v > max)
		return 0;
	*out = (unsigned)v;
	return 1;
}

/* The median of n values (reorders them). */
static inline double bench_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

#endif
