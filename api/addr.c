/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/addr.h"

int sgw_addr_parse(const char *s, struct sgw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = SGW_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = SGW_AF_INET6;
		return 0;
	}
	return -1;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int sgw_endpoint_parse(const char *s, struct sgw_endpoint *out, bool port_optional)
{
	char buf[SGW_ADDR_STRLEN];
	const char *colon;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(buf))
		return -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL)
			return -1;
		n = (size_t)(close - s - 1);
		memcpy(buf, s + 1, n);
		buf[n] = '\0';
		if (sgw_addr_parse(buf, &out->addr) != 0 || out->addr.family != SGW_AF_INET6)
			return -1;
		if (close[1] == '\0')
			return port_optional ? 0 : -1;
		if (close[1] != ':')
			return -1;
		return parse_port(close + 2, &out->port);
	}
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		/* bare IPv6 address: no port */
		if (!port_optional)
			return -1;
		return sgw_addr_parse(s, &out->addr);
	}
	if (colon == NULL) {
		if (!port_optional)
			return -1;
		return sgw_addr_parse(s, &out->addr);
	}
	n = (size_t)(colon - s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sgw_addr_parse(buf, &out->addr) != 0)
		return -1;
	return parse_port(colon + 1, &out->port);
}

const char *sgw_addr_format(const struct sgw_addr *a, char *buf, size_t len)
{
	if (a->family == SGW_AF_INET)
		inet_ntop(AF_INET, a->a, buf, (socklen_t)len);
	else if (a->family == SGW_AF_INET6)
		inet_ntop(AF_INET6, a->a, buf, (socklen_t)len);
	else
		snprintf(buf, len, "-");
	return buf;
}

const char *sgw_endpoint_format(const struct sgw_endpoint *e, char *buf, size_t len)
{
	char a[SGW_ADDR_STRLEN];

	sgw_addr_format(&e->addr, a, sizeof(a));
	if (e->addr.family == SGW_AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, e->port);
	else
		snprintf(buf, len, "%s:%u", a, e->port);
	return buf;
}

bool sgw_addr_equal(const struct sgw_addr *a, const struct sgw_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->a, b->a, a->family == SGW_AF_INET ? 4 : 16) == 0;
}

bool sgw_addr_in_prefix(const struct sgw_addr *a, const struct sgw_addr *prefix,
			unsigned prefix_len)
{
	unsigned bytes = prefix_len / 8, bits = prefix_len % 8;

	if (a->family != prefix->family || a->family == SGW_AF_NONE)
		return false;
	if (prefix_len > (a->family == SGW_AF_INET ? 32u : 128u))
		return false;
	if (memcmp(a->a, prefix->a, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - bits));
	return (a->a[bytes] & mask) == (prefix->a[bytes] & mask);
}
