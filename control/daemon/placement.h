/* SPDX-License-Identifier: BSD-3-Clause */
/* Placement of a fleet's streams on its gateways (placement.c). */
#ifndef SRTPGW_PLACEMENT_H
#define SRTPGW_PLACEMENT_H

#include <stdbool.h>
#include <stdint.h>

struct ctl_daemon;

/* Place the streams the rule gives this gateway, let go of placements of
 * deleted streams, and mark the gateway out of sync when the set of
 * streams placed here changed. Cheap when nothing changed; every tick. */
void placement_tick(struct ctl_daemon *d, uint64_t now_ms);

/* Whether this controller's gateway forwards stream_id, and its fencing
 * token (0 on one machine, where every stream is pushed unfenced). */
bool placement_mine(const struct ctl_daemon *d, int64_t stream_id, uint64_t *token);

#endif
