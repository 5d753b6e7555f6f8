/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lease deadline (SGW_MSG_LEASE, docs/agent-protocol.md "Fencing"):
 * fenced streams forward only before it. The controller moves it forward
 * while it holds its etcd lease; if the controller dies or loses etcd, the
 * deadline passes and the workers drop those streams' packets by
 * themselves. Agent thread only; the workers read dp->lease_deadline once
 * per pass (dataplane/worker.c).
 */
#include <errno.h>

#include <rte_cycles.h>

#include "gateway/agent.h"
#include "gateway/agent_txn.h"

int agent_lease_set(struct sgw_agent *a, const struct sgw_lease *l, uint64_t now_tsc, char *err,
		    size_t errlen)
{
	uint64_t deadline;

	if (l->pad != 0)
		return txn_fail(err, errlen, EINVAL, "LEASE: pad must be 0");
	if (l->ttl_ms == UINT32_MAX)
		return txn_fail(err, errlen, EINVAL, "LEASE: ttl_ms must be below %u", UINT32_MAX);
	if (l->ttl_ms == 0) {
		deadline = UINT64_MAX;
	} else {
		/* below 2^32 ms at a few GHz: fits, and below UINT64_MAX */
		deadline = now_tsc + (uint64_t)((double)l->ttl_ms * (double)a->tsc_hz / 1e3);
		if (deadline == UINT64_MAX || deadline < now_tsc)
			deadline = UINT64_MAX - 1;
	}
	/* one aligned u64 the workers load relaxed (dataplane/dp.h) */
	__atomic_store_n(&a->dp->lease_deadline, deadline, __ATOMIC_RELAXED);
	return 0;
}

uint32_t agent_lease_ms(const struct sgw_agent *a, uint64_t now_tsc)
{
	uint64_t deadline = __atomic_load_n(&a->dp->lease_deadline, __ATOMIC_RELAXED);
	double left;
	uint32_t ms;

	if (deadline == UINT64_MAX)
		return SGW_LEASE_NONE;
	if (now_tsc > deadline)
		return SGW_LEASE_EXPIRED;
	left = (double)(deadline - now_tsc) * 1e3 / (double)a->tsc_hz;
	if (left >= (double)(UINT32_MAX - 1))
		return UINT32_MAX - 1;
	/* rounded up: a deadline not yet passed never reads as none (0) */
	ms = (uint32_t)left;
	return (double)ms < left || ms == 0 ? ms + 1 : ms;
}

bool agent_addr_held(const struct sgw_agent *a, const struct sgw_local_addr *l)
{
	if (!(l->flags & SGW_ADDR_LEASED))
		return true;
	return rte_rdtsc() <= __atomic_load_n(&a->dp->lease_deadline, __ATOMIC_RELAXED);
}
