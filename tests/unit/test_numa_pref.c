/* SPDX-License-Identifier: BSD-3-Clause */
/* The agent thread's NUMA preference (gateway/numa_pref.h): the node
 * chosen for the workers' lcores, and the policy the kernel then holds for
 * the calling thread. */
#include <errno.h>
#include <linux/mempolicy.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gateway/numa_pref.h"
#include "check.h"

static void node_choice(void)
{
	const unsigned one[] = { 3 }, same[] = { 1, 1, 1 }, mixed[] = { 0, 0, 1 };

	CHECK_EQ(numa_workers_node(same, 3, 1), -1); /* one node: nothing to prefer */
	CHECK_EQ(numa_workers_node(one, 1, 4), 3);
	CHECK_EQ(numa_workers_node(same, 3, 2), 1);
	CHECK_EQ(numa_workers_node(mixed, 3, 2), -1); /* workers on two nodes: local */
	CHECK_EQ(numa_workers_node(mixed, 2, 2), 0);
	CHECK_EQ(numa_workers_node(one, 0, 2), -1);
}

/* numa_prefer(0) makes the thread's policy MPOL_PREFERRED on node 0 (every
 * Linux machine has node 0); a node past the mask is refused. */
static void kernel_policy(void)
{
	unsigned long mask[1024 / (8 * sizeof(unsigned long))] = { 0 };
	int mode = -1;

	CHECK_EQ(numa_prefer(0), 0);
	CHECK_EQ(syscall(SYS_get_mempolicy, &mode, mask, 1025ul, NULL, 0ul), 0);
	CHECK_EQ(mode, MPOL_PREFERRED);
	CHECK_EQ(mask[0], 1);
	CHECK_EQ(numa_prefer(-1), -EINVAL);
	CHECK_EQ(numa_prefer(1024), -EINVAL);
	CHECK_EQ(syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0ul), 0);
}

int main(void)
{
	RUN(node_choice);
	RUN(kernel_policy);
	return CHECK_DONE();
}
