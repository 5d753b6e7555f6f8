/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table versions under concurrent readers.
 *
 * Readers look up continuously and check, for every burst, that (1) every
 * entry they reach is whole (its check word matches its fields), (2) no
 * entry they reach has been freed (the free function poisons before
 * freeing, and ASan reports a use after free), and (3) a group of keys that
 * every transaction rewrites together shows one version only: a
 * transaction is visible all at once or not at all.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include <rte_cycles.h>

#include "dataplane/flow_table.h"
#include "check.h"

#define N_READERS 2
#define GROUP 16          /* keys rewritten by every transaction */
#define RANDOM_KEYS 4096  /* keys touched at random */
#define MAGIC 0x5157u

static struct flow_table ft;
static struct rte_rcu_qsbr *qs;
static volatile int stop;
static uint64_t reader_errors[N_READERS];
static uint64_t reader_lookups[N_READERS];

static uint32_t entry_check(const struct sgw_flow_entry *e)
{
	return (uint32_t)(e->stream_id * 2654435761u) ^ MAGIC;
}

static struct sgw_flow_entry *entry_new(uint64_t stream_id)
{
	struct sgw_flow_entry *e = calloc(1, sizeof(*e));
	e->stream_id = stream_id;
	e->owner = entry_check(e);
	return e;
}

static void entry_free(void *p)
{
	struct sgw_flow_entry *e = p;
	/* poison: a reader that still holds it sees a bad check word */
	e->stream_id = 0xdeaddeaddeaddeadull;
	e->owner = 0;
	free(e);
}

static void *reader(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	uint64_t errors = 0, lookups = 0;

	rte_rcu_qsbr_thread_register(qs, id);
	rte_rcu_qsbr_thread_online(qs, id);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		const struct ft_root *r = ft_acquire(&ft);
		uint64_t group_version = 0;

		for (unsigned k = 0; k < GROUP; k++) {
			const struct sgw_flow_entry *e = ft_lookup(r, 1, (uint16_t)k);
			lookups++;
			if (e == NULL)
				continue;
			if (e->owner != entry_check(e))
				errors++;
			/* group entries carry the version that wrote them */
			if (k == 0)
				group_version = e->stream_id >> 32;
			else if ((e->stream_id >> 32) != group_version)
				errors++;
		}
		if (group_version != 0 && group_version != r->version)
			errors++;
		for (unsigned k = 0; k < 256; k++) {
			uint16_t port = (uint16_t)((k * 16) % RANDOM_KEYS);
			const struct sgw_flow_entry *e = ft_lookup(r, 2, port);
			lookups++;
			if (e != NULL && e->owner != entry_check(e))
				errors++;
		}
		rte_rcu_qsbr_quiescent(qs, id);
		/* 2 cores, 3 threads: let the writer run */
		sched_yield();
	}
	rte_rcu_qsbr_thread_offline(qs, id);
	rte_rcu_qsbr_thread_unregister(qs, id);
	reader_errors[id] = errors;
	reader_lookups[id] = lookups;
	return NULL;
}

static void setup(unsigned readers)
{
	size_t sz = rte_rcu_qsbr_get_memsize(readers);
	qs = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	CHECK(qs != NULL);
	CHECK_EQ(rte_rcu_qsbr_init(qs, readers), 0);
	CHECK_EQ(ft_init(&ft, qs), 0);
}

static void teardown(void)
{
	ft_fini(&ft, entry_free);
	free(qs);
}

static void concurrent_versions(void)
{
	pthread_t th[N_READERS];
	unsigned seed = 1;

	setup(N_READERS);
	for (unsigned i = 0; i < N_READERS; i++)
		pthread_create(&th[i], NULL, reader, (void *)(uintptr_t)i);

	for (unsigned txn = 0; txn < 3000; txn++) {
		CHECK_EQ(ft_begin(&ft), 0);
		uint64_t v = ft.next->version;
		for (unsigned k = 0; k < GROUP; k++)
			CHECK_EQ(ft_set(&ft, 1, (uint16_t)k, entry_new(v << 32 | k), entry_free), 0);
		for (unsigned j = 0; j < 8; j++) {
			uint16_t port = (uint16_t)(rand_r(&seed) % RANDOM_KEYS);
			struct sgw_flow_entry *e = (rand_r(&seed) & 3) ? entry_new(v << 32 | port) : NULL;
			CHECK_EQ(ft_set(&ft, 2, port, e, entry_free), 0);
		}
		/* one in ten transactions is abandoned: it must change nothing */
		if (txn % 10 == 9) {
			ft_abort(&ft);
			continue;
		}
		CHECK_EQ(ft_publish(&ft), v);
		ft_reclaim(&ft);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < N_READERS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(reader_errors[i], 0);
		CHECK(reader_lookups[i] > 0);
	}
	/* 3000 transactions, 300 aborted: the version counts only published ones */
	CHECK_EQ(ft_acquire(&ft)->version, 2700);
	teardown();
}

static void abort_changes_nothing(void)
{
	setup(1);
	CHECK_EQ(ft_begin(&ft), 0);
	CHECK_EQ(ft_set(&ft, 0, 5000, entry_new(1), entry_free), 0);
	CHECK_EQ(ft_publish(&ft), 1);
	ft_reclaim(&ft);

	CHECK_EQ(ft_begin(&ft), 0);
	CHECK_EQ(ft_set(&ft, 0, 5000, NULL, entry_free), 0);
	CHECK_EQ(ft_set(&ft, 0, 5001, entry_new(2), entry_free), 0);
	CHECK(ft_get(&ft, 0, 5000) == NULL);
	/* readers still see the published version */
	CHECK(ft_lookup(ft_acquire(&ft), 0, 5000) != NULL);
	CHECK(ft_lookup(ft_acquire(&ft), 0, 5001) == NULL);
	ft_abort(&ft);
	CHECK_EQ(ft_acquire(&ft)->version, 1);
	CHECK_EQ(ft_lookup(ft_acquire(&ft), 0, 5000)->stream_id, 1);
	CHECK(ft_lookup(ft_acquire(&ft), 0, 5001) == NULL);
	CHECK_EQ(ft.n_retired, 0);
	teardown();
}

/* A one-stream change copies the root, one directory and one page,
 * whatever the table size: the cost is proportional to the change. */
static void change_cost_independent_of_size(void)
{
	const unsigned n_addrs = 16; /* 16 x 65536 = 1M slots */
	uint64_t id = 1;
	struct timespec t0, t1;

	setup(1);
	for (unsigned a = 0; a < n_addrs; a++) {
		CHECK_EQ(ft_begin(&ft), 0);
		for (unsigned port = 0; port < 65536; port++)
			ft_set(&ft, a, (uint16_t)port, entry_new(id++), entry_free);
		ft_publish(&ft);
		ft_reclaim(&ft);
	}
	CHECK_EQ(id - 1, 1u << 20);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(ft_begin(&ft), 0);
	CHECK_EQ(ft_set(&ft, 7, 4242, entry_new(id), entry_free), 0);
	/* root + directory + page + the entry itself */
	CHECK_EQ(ft.n_created, 4);
	/* the replaced entry, page and directory */
	CHECK_EQ(ft.n_retired, 3);
	ft_publish(&ft);
	ft_reclaim(&ft);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# one-stream change on a 1M-stream table: %.1f us (not asserted)\n",
	       (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3);
	CHECK_EQ(ft_lookup(ft_acquire(&ft), 7, 4242)->stream_id, id);
	teardown();
}

int main(void)
{
	RUN(abort_changes_nothing);
	RUN(concurrent_versions);
	RUN(change_cost_independent_of_size);
	return CHECK_DONE();
}
