/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Surviving a port whose peer leaves: DPDK 22.11's net_memif.
 *
 * The race (drivers/net/memif in DPDK 22.11; unchanged in 25.11): when the
 * peer's control socket closes (the peer died, or disconnected), the EAL
 * interrupt thread runs memif_disconnect(). It clears the device's
 * "connected" flag and then, a few microseconds later, munmap()s the shared
 * memory that holds the rings and packet buffers and frees the region
 * records. The PMD's rx/tx burst functions check the flag once, on entry,
 * and then read and write that memory with no lock. A worker that passed
 * the check and is preempted before it is done (two CPUs shared by several
 * busy threads make that likely) resumes on unmapped memory: SIGSEGV. It
 * was seen with testpmd as a memif server killed in the middle of a burst
 * (a read of ring->head); checking the link state before polling does not
 * help, it is cleared at the same moment as the PMD's own flag.
 *
 * The fix: nothing may be unmapped under a burst. srtpgw defines munmap()
 * (the PMD, loaded as a plugin, binds to the executable's definition: it is
 * exported with --export-dynamic-symbol=munmap); when the EAL interrupt
 * thread calls it, it first waits for a grace period of the workers' RCU
 * (dp->qs), then unmaps. Every rx/tx burst on a port runs between two
 * quiescent states of its thread: the workers report one per loop and are
 * offline while they sleep; the agent thread is online only around its own
 * transmissions (gateway/agent_slowpath.c). A burst that began before the
 * flag was cleared has therefore ended before the memory goes; a burst that
 * begins after it sees the flag cleared (the grace period orders it) and
 * touches nothing. Other threads' munmap() calls go straight through.
 */
#include <dlfcn.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_interrupts.h>
#include <rte_rcu_qsbr.h>

#include "gateway/port_guard.h"

static struct rte_rcu_qsbr *guard_qs;

void port_guard_enable(struct rte_rcu_qsbr *qs)
{
	__atomic_store_n(&guard_qs, qs, __ATOMIC_RELEASE);
}

void port_guard_disable(void)
{
	__atomic_store_n(&guard_qs, NULL, __ATOMIC_RELEASE);
}

/* Until every thread online in qs has passed a quiescent state. Sleeps
 * between checks: the worker it waits for may need this CPU. */
static void grace_period(struct rte_rcu_qsbr *qs)
{
	uint64_t token = rte_rcu_qsbr_start(qs);
	struct timespec ts = { 0, 10000 };

	while (rte_rcu_qsbr_check(qs, token, false) == 0)
		nanosleep(&ts, NULL);
}

typedef int (*munmap_fn)(void *, size_t);

/* The next munmap() after ours (libc's, or a sanitizer's interceptor). */
static munmap_fn next_munmap(void)
{
	static munmap_fn next;
	static int resolving;
	munmap_fn f = __atomic_load_n(&next, __ATOMIC_ACQUIRE);

	if (f == NULL && !__atomic_exchange_n(&resolving, 1, __ATOMIC_ACQ_REL)) {
		f = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
		__atomic_store_n(&next, f, __ATOMIC_RELEASE);
		__atomic_store_n(&resolving, 0, __ATOMIC_RELEASE);
	}
	return f;
}

int munmap(void *addr, size_t len)
{
	struct rte_rcu_qsbr *qs = __atomic_load_n(&guard_qs, __ATOMIC_ACQUIRE);
	munmap_fn f;

	if (qs != NULL && rte_thread_is_intr())
		grace_period(qs);
	f = next_munmap();
	if (f == NULL) /* while dlsym itself unmaps, or before it can */
		return (int)syscall(SYS_munmap, addr, len);
	return f(addr, len);
}
