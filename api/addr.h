/* SPDX-License-Identifier: BSD-3-Clause */
/* Text forms of addresses and endpoints, shared by the gateway and its tools. */
#ifndef SRTPGW_ADDR_H
#define SRTPGW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include "api/srtpgw_agent.h"

#define SGW_ADDR_STRLEN 64

/* "10.0.0.1" or "fd00::1" -> *out. 0 or -1. */
int sgw_addr_parse(const char *s, struct sgw_addr *out);
/* "10.0.0.1:5000", "[fd00::1]:5000"; with port_optional also "10.0.0.1",
 * "fd00::1" or "[fd00::1]" (port 0). 0 or -1. */
int sgw_endpoint_parse(const char *s, struct sgw_endpoint *out, bool port_optional);
/* Into buf (>= SGW_ADDR_STRLEN). Returns buf. "-" for SGW_AF_NONE. */
const char *sgw_addr_format(const struct sgw_addr *a, char *buf, size_t len);
const char *sgw_endpoint_format(const struct sgw_endpoint *e, char *buf, size_t len);
bool sgw_addr_equal(const struct sgw_addr *a, const struct sgw_addr *b);
/* a within prefix/prefix_len (same family). */
bool sgw_addr_in_prefix(const struct sgw_addr *a, const struct sgw_addr *prefix,
			unsigned prefix_len);

#endif
