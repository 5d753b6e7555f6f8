/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SRTPGW_NUMA_PREF_H
#define SRTPGW_NUMA_PREF_H

/*
 * The agent thread makes what the workers read on every packet (flow
 * entries, stream and viewer state, crypto contexts). On a machine with
 * several NUMA nodes those pages belong on the workers' node, not on the
 * node the agent thread runs on: when every worker's lcore is on one node,
 * the calling thread prefers that node for the pages it touches first
 * (set_mempolicy MPOL_PREFERRED). Call on the agent thread before it makes
 * any; nothing to do on one node.
 */

/* The node to prefer for workers on nodes node[0..n) of a machine with
 * n_nodes nodes: the one they share, or -1 (one node, or several used). */
int numa_workers_node(const unsigned *node, unsigned n, unsigned n_nodes);

/* Prefer node for the calling thread's new pages: 0, or -errno. */
int numa_prefer(int node);

#endif
