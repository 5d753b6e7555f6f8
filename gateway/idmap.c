/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/idmap.h"

static size_t slot_of(uint64_t key, size_t cap)
{
	/* splitmix64 finaliser: ids are often sequential */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ull;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebull;
	key ^= key >> 31;
	return (size_t)key & (cap - 1);
}

void idmap_init(struct idmap *m)
{
	memset(m, 0, sizeof(*m));
}

void idmap_fini(struct idmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

void *idmap_get(const struct idmap *m, uint64_t key)
{
	if (m->cap == 0 || key == 0)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].key == key)
			return m->slots[i].val;
		if (m->slots[i].key == 0)
			return NULL;
	}
}

static int grow(struct idmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct idmap_slot *ns = calloc(ncap, sizeof(*ns));

	if (ns == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].key == 0)
			continue;
		size_t j = slot_of(m->slots[i].key, ncap);
		while (ns[j].key != 0)
			j = (j + 1) & (ncap - 1);
		ns[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

int idmap_put(struct idmap *m, uint64_t key, void *val)
{
	size_t i;

	if (key == 0)
		return -EINVAL;
	if ((m->n + 1) * 10 > m->cap * 7 && grow(m) != 0)
		return -ENOMEM;
	for (i = slot_of(key, m->cap); m->slots[i].key != 0; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].key == key) {
			m->slots[i].val = val;
			return 0;
		}
	}
	m->slots[i].key = key;
	m->slots[i].val = val;
	m->n++;
	return 0;
}

void *idmap_del(struct idmap *m, uint64_t key)
{
	size_t i, j;
	void *val;

	if (m->cap == 0 || key == 0)
		return NULL;
	for (i = slot_of(key, m->cap); m->slots[i].key != key; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].key == 0)
			return NULL;
	val = m->slots[i].val;
	/* backward-shift: move later members of the probe run into the hole */
	for (j = (i + 1) & (m->cap - 1); m->slots[j].key != 0; j = (j + 1) & (m->cap - 1)) {
		size_t home = slot_of(m->slots[j].key, m->cap);
		/* can slot j's key live at i? (home cyclically not in (i, j]) */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = 0;
	m->slots[i].val = NULL;
	m->n--;
	return val;
}

int idmap_next(const struct idmap *m, size_t *pos, uint64_t *key, void **val)
{
	while (*pos < m->cap) {
		size_t i = (*pos)++;
		if (m->slots[i].key != 0) {
			*key = m->slots[i].key;
			*val = m->slots[i].val;
			return 1;
		}
	}
	return 0;
}
