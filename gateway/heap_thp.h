/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SRTPGW_HEAP_THP_H
#define SRTPGW_HEAP_THP_H

#include <stdbool.h>

/*
 * The heap on transparent huge pages (config key heap_hugepages).
 *
 * Flow entries, stream and viewer state and crypto contexts come from
 * malloc, and with many streams every packet reads a dozen lines of them
 * on as many pages: with 4 KiB pages most of those are TLB misses too.
 * Where the kernel's THP mode is "madvise" (Debian's default) the heap
 * gets huge pages only if malloc asks for them, which glibc does with its
 * tunable glibc.malloc.hugetlb=1: it marks every heap extension
 * MADV_HUGEPAGE before touching it. Tunables are read at exec only, so
 * srtpgw re-executes itself once with the tunable added to GLIBC_TUNABLES
 * (same PID, before the EAL starts). docs/performance.md has the figures:
 * at 160,000 streams the worker needed about 20% less time per packet.
 */

#define HEAP_THP_TUNABLE "glibc.malloc.hugetlb"

/* Re-executes srtpgw (argv, /proc/self/exe) with HEAP_THP_TUNABLE=1
 * added, unless GLIBC_TUNABLES already sets that tunable (the operator's
 * value, or this process is the re-executed one), the config file named
 * by --config says heap_hugepages = false, or the process runs in secure
 * mode (set-user-ID, file capabilities: glibc would ignore the tunable).
 * Returns only if it did not re-execute (then it says why in why, for the
 * log once logging is up). */
void heap_thp_reexec(int argc, char **argv, char *why, size_t whylen);

/* The tunable is in effect in this process. */
bool heap_thp_active(void);

#endif
