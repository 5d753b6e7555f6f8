/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <linux/mempolicy.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gateway/numa_pref.h"

#define MAX_NODES 1024 /* the nodemask below: the kernel's largest NODES_SHIFT */

int numa_workers_node(const unsigned *node, unsigned n, unsigned n_nodes)
{
	if (n == 0 || n_nodes < 2)
		return -1;
	for (unsigned i = 1; i < n; i++)
		if (node[i] != node[0])
			return -1;
	return node[0] < MAX_NODES ? (int)node[0] : -1;
}

int numa_prefer(int node)
{
	enum { BITS = sizeof(unsigned long) * CHAR_BIT };
	unsigned long mask[MAX_NODES / BITS] = { 0 };

	if (node < 0 || node >= MAX_NODES)
		return -EINVAL;
	mask[node / BITS] = 1ul << (node % BITS);
	/* no libnuma for one call: the system call itself */
	if (syscall(SYS_set_mempolicy, MPOL_PREFERRED, mask, (unsigned long)MAX_NODES + 1) != 0)
		return -errno;
	return 0;
}
