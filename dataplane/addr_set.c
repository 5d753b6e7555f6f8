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
	for (unsigned i = 0; i < SGW_FT_MAX_ADDRS; i++) {
		const struct sgw_local_addr *l = &s->slot[i];

		if (l->ip.family == SGW_AF_INET) {
			memcpy(&s->v4[s->n4], l->ip.a, 4);
			s->v4_aidx[s->n4++] = (uint8_t)i;
		} else if (l->ip.family == SGW_AF_INET6) {
			memcpy(s->v6[s->n6], l->ip.a, 16);
			s->v6_aidx[s->n6++] = (uint8_t)i;
		}
	}
}
