/* SPDX-License-Identifier: BSD-3-Clause */
/* uint64 -> pointer map for the agent thread (open addressing, linear
 * probing, backward-shift deletion). Key 0 is reserved. Not thread-safe. */
#ifndef SRTPGW_IDMAP_H
#define SRTPGW_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
	uint64_t key;
	void *val;
};

struct idmap {
	struct idmap_slot *slots;
	size_t cap; /* power of two */
	size_t n;
};

void idmap_init(struct idmap *m);
void idmap_fini(struct idmap *m);
void *idmap_get(const struct idmap *m, uint64_t key);
/* 0, or -ENOMEM. Replaces an existing value. */
int idmap_put(struct idmap *m, uint64_t key, void *val);
/* The removed value, or NULL. */
void *idmap_del(struct idmap *m, uint64_t key);
/* Iterate: for (size_t i = 0; idmap_next(m, &i, &k, &v);) */
int idmap_next(const struct idmap *m, size_t *pos, uint64_t *key, void **val);

#endif
