/* SPDX-License-Identifier: BSD-3-Clause */
/* A version's addresses: see dataplane/addr_set.h. */
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "dataplane/addr_set.h"

struct sgw_addr_set *sgw_addr_set_new(void)
{
	struct sgw_addr_set *s = aligned_alloc(RTE_CACHE_LINE_SIZE,
					       RTE_ALIGN_CEIL(sizeof(*s), RTE_CACHE_LINE_SIZE));

	if (s != NULL)
		memset(s, 0, sizeof(*s));
	return s;
}

struct sgw_addr_set *sgw_addr_set_dup(const struct sgw_addr_set *s)
{
	struct sgw_addr_set *c = sgw_addr_set_new();

	if (c != NULL)
		memcpy(c, s, sizeof(*c));
	return c;
}

void sgw_addr_set_index(struct sgw_addr_set *s)
{
	s->n4 = s->n6 = 0;
	memset(s->h4, 0, sizeof(s->h4));
	memset(s->h6, 0, sizeof(s->h6));
	/* at most SGW_FT_MAX_ADDRS in 2x buckets: an empty one is always found */
	for (unsigned i = 0; i < SGW_FT_MAX_ADDRS; i++) {
		const struct sgw_local_addr *l = &s->slot[i];
		unsigned h;

		if (l->ip.family == SGW_AF_INET) {
			uint32_t k;

			memcpy(&k, l->ip.a, 4);
			for (h = sgw_addr_hash4(k); s->h4[h].aidx1 != 0; h = (h + 1) & (SGW_ADDR_HASH - 1))
				;
			s->h4[h].key = k;
			s->h4[h].aidx1 = (uint16_t)(i + 1);
			s->n4++;
		} else if (l->ip.family == SGW_AF_INET6) {
			uint64_t k[2];

			memcpy(k, l->ip.a, 16);
			for (h = sgw_addr_hash6(k); s->h6[h].aidx1 != 0; h = (h + 1) & (SGW_ADDR_HASH - 1))
				;
			memcpy(s->h6[h].key, k, 16);
			s->h6[h].aidx1 = (uint16_t)(i + 1);
			s->n6++;
		}
	}
}
