/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame building helpers shared by the parser and reply tests: an
 * independent, byte-by-byte checksum (RFC 1071), not the code under test. */
#ifndef SRTPGW_TEST_FRAME_UTIL_H
#define SRTPGW_TEST_FRAME_UTIL_H

#include <stdint.h>

struct frame {
	uint8_t b[4096];
	uint32_t len;
	uint32_t l2;
	uint32_t l3;
	uint32_t l4;
};

static inline void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* RFC 1071 sum over big-endian words; an odd tail is padded with zero. */
static inline uint32_t
sum_add(uint32_t sum, const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i += 2)
		sum += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	return sum;
}

static inline uint16_t
sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Checksum to store; over data that holds a valid checksum it is 0. */
static inline uint16_t
ref_cksum(const uint8_t *p, uint32_t n)
{
	return (uint16_t)~sum_fold(sum_add(0, p, n));
}

#endif
