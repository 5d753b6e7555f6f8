/* SPDX-License-Identifier: BSD-3-Clause */
/* A viewer's NACK cache and mailbox (nack_cache.h). Worker code. */
#include <string.h>

#include "dataplane/nack_cache.h"

void sgw_nack_keep(struct sgw_nack_cache *c, const uint8_t *p, uint32_t len)
{
	uint16_t seq;
	struct sgw_nack_slot *s;

	if (len < 12)
		return;
	seq = (uint16_t)(p[2] << 8 | p[3]);
	s = &c->slot[seq % SGW_NACK_SLOTS];
	if (len > SGW_NACK_PKT_MAX) {
		s->len = 0; /* what the slot held is older than this */
		return;
	}
	s->ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	s->seq = seq;
	s->len = (uint16_t)len;
	s->resent = 0;
	memcpy(s->data, p, len);
}

const struct sgw_nack_slot *sgw_nack_next(struct sgw_nack_cache *c, const struct sgw_nack_mailbox *mb,
					  uint64_t *missed, uint64_t *lost)
{
	uint32_t head = __atomic_load_n(&mb->head, __ATOMIC_ACQUIRE);

	if (head - c->tail > SGW_NACK_MAILBOX) {
		*lost += head - c->tail - SGW_NACK_MAILBOX;
		c->tail = head - SGW_NACK_MAILBOX;
		c->it = 0;
	}
	while (c->tail != head) {
		struct sgw_nack_req r = mb->req[c->tail % SGW_NACK_MAILBOX];

		while (c->it <= 16) {
			unsigned k = c->it++;
			uint16_t seq;
			struct sgw_nack_slot *s;

			if (k > 0 && !(r.blp & (1u << (k - 1))))
				continue;
			seq = (uint16_t)(r.pid + k);
			s = &c->slot[seq % SGW_NACK_SLOTS];
			if (s->len == 0 || s->seq != seq || s->ssrc != r.ssrc || s->resent >= SGW_NACK_RESENDS) {
				(*missed)++;
				continue;
			}
			s->resent++;
			return s;
		}
		c->tail++;
		c->it = 0;
	}
	return NULL;
}
