/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw --ops FILE: streams and viewers installed at start-up, before the
 * ports start, so that the first packet read already finds them (a pcap
 * file replayed by net_pcap's rx_pcap= is read from the first moment).
 */
#ifndef SRTPGW_STARTUP_OPS_H
#define SRTPGW_STARTUP_OPS_H

#include <stddef.h>
#include <stdio.h>

#include "gateway/agent.h"

/* Open path for startup_ops_apply(): NULL with err set ("FILE: reason"). */
FILE *startup_ops_open(const char *path, char *err, size_t errlen);

/*
 * Read f (the op language of srtpgw-agentctl apply, docs/agentctl.md) and
 * apply it as one transaction through the agent's own transaction code, as
 * `srtpgw-agentctl apply` would; closes f. 0, or -1 with err set to one
 * line "FILE:LINE: problem" (the transaction aborted, nothing installed).
 * The agent must be initialised; the workers must not run yet.
 */
int startup_ops_apply(struct sgw_agent *a, FILE *f, const char *path, char *err, size_t errlen);

#endif
