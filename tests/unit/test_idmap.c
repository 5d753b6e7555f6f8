/* SPDX-License-Identifier: BSD-3-Clause */
/* The agent's id map against a reference (a plain array), through growth
 * and backward-shift deletions. */
#include <stdint.h>
#include <stdlib.h>

#include "gateway/idmap.h"
#include "check.h"

#define KEYS 4096

static void against_reference(void)
{
	static void *ref[KEYS];
	struct idmap m;
	unsigned seed = 7;

	idmap_init(&m);
	for (unsigned round = 0; round < 200000; round++) {
		/* keys in a small range collide and cluster a lot */
		uint64_t k = 1 + (uint64_t)(rand_r(&seed) % (KEYS - 1));
		void *v = (void *)(uintptr_t)(round + 1);
		if (rand_r(&seed) % 3) {
			CHECK_EQ(idmap_put(&m, k, v), 0);
			ref[k] = v;
		} else {
			CHECK(idmap_del(&m, k) == ref[k]);
			ref[k] = NULL;
		}
	}
	size_t n = 0;
	for (uint64_t k = 1; k < KEYS; k++) {
		CHECK(idmap_get(&m, k) == ref[k]);
		n += ref[k] != NULL;
	}
	CHECK_EQ(m.n, n);
	size_t pos = 0, seen = 0;
	uint64_t k;
	void *v;
	while (idmap_next(&m, &pos, &k, &v)) {
		CHECK(ref[k] == v);
		seen++;
	}
	CHECK_EQ(seen, n);
	CHECK_EQ(idmap_put(&m, 0, v), -22);
	CHECK(idmap_get(&m, 0) == NULL);
	idmap_fini(&m);
}

int main(void)
{
	RUN(against_reference);
	return CHECK_DONE();
}
