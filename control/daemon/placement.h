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

/* A stream this gateway holds: by id, its fencing token, and (held ones)
 * since when. */
struct place_ref {
	int64_t id, token;
	uint64_t since_ms;
};

/* Whether this controller's gateway forwards stream_id, and its fencing
 * token (0 on one machine, where every stream is pushed unfenced): a
 * stream placed here, or one moved away that it keeps until the new
 * gateway has it (at most PLACE_HANDOVER_MS). */
bool placement_mine(const struct ctl_daemon *d, int64_t stream_id, uint64_t *token);
/* Only a stream placed here (no handover): what may reserve indices. */
bool placement_owned(const struct ctl_daemon *d, int64_t stream_id, uint64_t *token);
/* After a successful full push: remember what the gateway holds, and say
 * in etcd which of the streams placed here it holds now (ready/<id>). */
void placement_pushed(struct ctl_daemon *d);
/* At the end. */
void placement_free(struct ctl_daemon *d);

#endif
