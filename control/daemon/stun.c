/* SPDX-License-Identifier: BSD-3-Clause */
/* STUN messages: parser, integrity and fingerprint, builder (stun.h). */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "control/daemon/stun.h"

#define MI_ATTR_LEN 24 /* header + HMAC-SHA1 */
#define FP_ATTR_LEN 8  /* header + CRC-32 */
#define HMAC_SHA1_LEN 20

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static size_t padded(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The message type's 14 bits interleave the method's 12 and the class's 2
 * (RFC 8489 5: M11..M7 C1 M6..M4 C0 M3..M0). */
static uint16_t type_encode(uint16_t method, unsigned cls)
{
	return (uint16_t)((method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2 |
			  (cls & 1) << 4 | (cls & 2) << 7);
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	/* bitwise: messages are short, and no table means no global state */
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return crc;
}

uint32_t stun_crc32(const uint8_t *buf, size_t len)
{
	return ~crc32_update(0xFFFFFFFFu, buf, len);
}

/* CRC-32 of msg[0..end) as if its length field said end + extra - 20:
 * what FINGERPRINT covers when it is the attribute at end. */
static uint32_t fingerprint_of(const uint8_t *msg, size_t end, size_t extra)
{
	uint8_t hdr[4];
	uint32_t crc;

	memcpy(hdr, msg, 2);
	wr16(hdr + 2, (uint16_t)(end + extra - STUN_HEADER_LEN));
	crc = crc32_update(0xFFFFFFFFu, hdr, sizeof(hdr));
	crc = crc32_update(crc, msg + 4, end - 4);
	return ~crc ^ STUN_FINGERPRINT_XOR;
}

/* HMAC-SHA1 of msg[0..end) with its length field saying end + 24 - 20:
 * what MESSAGE-INTEGRITY covers when it is the attribute at end. */
static bool integrity_of(const uint8_t *msg, size_t end, const void *key, size_t key_len,
			 uint8_t out[HMAC_SHA1_LEN])
{
	uint8_t copy[STUN_MAX_LEN];
	unsigned int out_len = 0;
	static const uint8_t nokey[1];

	if (end > sizeof(copy) || key_len > INT_MAX)
		return false;
	memcpy(copy, msg, end);
	wr16(copy + 2, (uint16_t)(end + MI_ATTR_LEN - STUN_HEADER_LEN));
	if (HMAC(EVP_sha1(), key_len > 0 ? key : nokey, (int)key_len, copy, end, out,
		 &out_len) == NULL)
		return false;
	return out_len == HMAC_SHA1_LEN;
}

bool stun_is_stun(const uint8_t *buf, size_t len)
{
	return len >= STUN_HEADER_LEN && (buf[0] & 0xC0) == 0 &&
	       rd32(buf + 4) == STUN_MAGIC_COOKIE;
}

static bool known_required(uint16_t type)
{
	switch (type) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE:
		return true;
	default:
		return false;
	}
}

/* XOR-MAPPED-ADDRESS's value (RFC 8489 14.2). */
static enum stun_parse_err parse_xor_address(struct stun_msg *m, const uint8_t *v, size_t n)
{
	struct sgw_endpoint *ep = &m->xor_mapped;
	uint8_t mask[16];

	if (n < 4)
		return STUN_ERR_ATTR_SIZE;
	wr32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, m->txid, STUN_TXID_LEN);
	memset(ep, 0, sizeof(*ep));
	if (v[1] == 0x01 && n == 8) {
		ep->addr.family = SGW_AF_INET;
		for (int i = 0; i < 4; i++)
			ep->addr.a[i] = v[4 + i] ^ mask[i];
	} else if (v[1] == 0x02 && n == 20) {
		ep->addr.family = SGW_AF_INET6;
		for (int i = 0; i < 16; i++)
			ep->addr.a[i] = v[4 + i] ^ mask[i];
	} else {
		return STUN_ERR_ATTR_SIZE;
	}
	ep->port = rd16(v + 2) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	m->has_xor_mapped = true;
	return STUN_OK;
}

/* One attribute at msg[off], value v[0..n). Only the first of each type
 * counts. */
static enum stun_parse_err parse_attr(struct stun_msg *m, uint16_t type, const uint8_t *v,
				      size_t n, size_t off)
{
	switch (type) {
	case STUN_ATTR_USERNAME:
		if (n > STUN_USERNAME_MAX)
			return STUN_ERR_ATTR_SIZE;
		if (m->username == NULL) {
			m->username = v;
			m->username_len = n;
		}
		return STUN_OK;
	case STUN_ATTR_SOFTWARE:
		if (m->software == NULL) {
			m->software = v;
			m->software_len = n;
		}
		return STUN_OK;
	case STUN_ATTR_MESSAGE_INTEGRITY:
		if (n != HMAC_SHA1_LEN)
			return STUN_ERR_ATTR_SIZE;
		m->integrity_off = off;
		return STUN_OK;
	case STUN_ATTR_PRIORITY:
		if (n != 4)
			return STUN_ERR_ATTR_SIZE;
		if (!m->has_priority) {
			m->has_priority = true;
			m->priority = rd32(v);
		}
		return STUN_OK;
	case STUN_ATTR_USE_CANDIDATE:
		if (n != 0)
			return STUN_ERR_ATTR_SIZE;
		m->use_candidate = true;
		return STUN_OK;
	case STUN_ATTR_ICE_CONTROLLING:
		if (n != 8)
			return STUN_ERR_ATTR_SIZE;
		if (!m->has_controlling) {
			m->has_controlling = true;
			m->controlling = rd64(v);
		}
		return STUN_OK;
	case STUN_ATTR_ICE_CONTROLLED:
		if (n != 8)
			return STUN_ERR_ATTR_SIZE;
		if (!m->has_controlled) {
			m->has_controlled = true;
			m->controlled = rd64(v);
		}
		return STUN_OK;
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
		return m->has_xor_mapped ? STUN_OK : parse_xor_address(m, v, n);
	case STUN_ATTR_ERROR_CODE:
		/* 21 bits of zero, class 3..6, number 0..99 */
		if (n < 4 || v[0] != 0 || v[1] != 0 || (v[2] & 0xF8) != 0 || v[2] < 3 ||
		    v[2] > 6 || v[3] > 99)
			return STUN_ERR_ATTR_SIZE;
		if (m->error_code == 0)
			m->error_code = (uint16_t)(v[2] * 100 + v[3]);
		return STUN_OK;
	default:
		if (type < 0x8000 && !known_required(type)) {
			for (unsigned i = 0; i < m->n_unknown; i++)
				if (m->unknown[i] == type)
					return STUN_OK;
			if (m->n_unknown < STUN_MAX_UNKNOWN)
				m->unknown[m->n_unknown++] = type;
		}
		return STUN_OK;
	}
}

enum stun_parse_err stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	uint16_t type;
	bool after_mi = false, after_fp = false;
	size_t off;

	memset(m, 0, sizeof(*m));
	if (len < STUN_HEADER_LEN || len > STUN_MAX_LEN)
		return STUN_ERR_SIZE;
	if (!stun_is_stun(buf, len))
		return STUN_ERR_NOT_STUN;
	if (rd16(buf + 2) % 4 != 0 || (size_t)rd16(buf + 2) + STUN_HEADER_LEN != len)
		return STUN_ERR_LENGTH;
	type = rd16(buf);
	m->method = (uint16_t)((type & 0x000F) | (type & 0x00E0) >> 1 | (type & 0x3E00) >> 2);
	m->cls = (uint8_t)((type >> 4 & 1) | (type >> 7 & 2));
	memcpy(m->txid, buf + 8, STUN_TXID_LEN);
	m->raw = buf;
	m->len = len;

	/* len - off stays a multiple of 4: each attribute's padding is there */
	for (off = STUN_HEADER_LEN; off < len;) {
		uint16_t atype, alen;
		enum stun_parse_err e;

		if (len - off < 4)
			return STUN_ERR_ATTR_TRUNCATED;
		atype = rd16(buf + off);
		alen = rd16(buf + off + 2);
		if (alen > len - off - 4)
			return STUN_ERR_ATTR_TRUNCATED;
		if (after_fp)
			return STUN_ERR_AFTER_FINGERPRINT;
		if (atype == STUN_ATTR_FINGERPRINT) {
			if (alen != 4)
				return STUN_ERR_ATTR_SIZE;
			if (rd32(buf + off + 4) != fingerprint_of(buf, off, FP_ATTR_LEN))
				return STUN_ERR_FINGERPRINT;
			m->has_fingerprint = true;
			after_fp = true;
		} else if (!after_mi) {
			e = parse_attr(m, atype, buf + off + 4, alen, off);
			if (e != STUN_OK)
				return e;
			after_mi = atype == STUN_ATTR_MESSAGE_INTEGRITY;
		}
		off += 4 + padded(alen);
	}
	return STUN_OK;
}

const char *stun_parse_strerror(enum stun_parse_err e)
{
	switch (e) {
	case STUN_OK:
		return "ok";
	case STUN_ERR_SIZE:
		return "datagram too short or too long for STUN";
	case STUN_ERR_NOT_STUN:
		return "not STUN (top bits or magic cookie)";
	case STUN_ERR_LENGTH:
		return "STUN length field does not match the datagram";
	case STUN_ERR_ATTR_TRUNCATED:
		return "STUN attribute runs past the end";
	case STUN_ERR_ATTR_SIZE:
		return "STUN attribute of a wrong size or value";
	case STUN_ERR_FINGERPRINT:
		return "STUN FINGERPRINT does not match";
	case STUN_ERR_AFTER_FINGERPRINT:
		return "STUN attribute after FINGERPRINT";
	}
	return "unknown STUN error";
}

bool stun_integrity_ok(const struct stun_msg *m, const void *key, size_t key_len)
{
	uint8_t mac[HMAC_SHA1_LEN];
	bool ok;

	if (m->integrity_off == 0 || m->integrity_off + MI_ATTR_LEN > m->len)
		return false;
	if (!integrity_of(m->raw, m->integrity_off, key, key_len, mac))
		return false;
	ok = CRYPTO_memcmp(mac, m->raw + m->integrity_off + 4, HMAC_SHA1_LEN) == 0;
	OPENSSL_cleanse(mac, sizeof(mac));
	return ok;
}

/* ---- builder ----------------------------------------------------------- */

void stun_build_init(struct stun_builder *b, void *buf, size_t cap, uint16_t method,
		     enum stun_class cls, const uint8_t txid[STUN_TXID_LEN])
{
	b->buf = buf;
	b->cap = cap < STUN_MAX_LEN ? cap : STUN_MAX_LEN;
	b->len = 0;
	b->pad = 0;
	b->overflow = cap < STUN_HEADER_LEN || method > 0x0FFF;
	if (b->overflow)
		return;
	wr16(b->buf, type_encode(method, cls));
	wr16(b->buf + 2, 0);
	wr32(b->buf + 4, STUN_MAGIC_COOKIE);
	memcpy(b->buf + 8, txid, STUN_TXID_LEN);
	b->len = STUN_HEADER_LEN;
}

/* Room for an attribute of n value bytes, its header written; NULL when it
 * does not fit (and the builder failed). */
static uint8_t *attr_start(struct stun_builder *b, uint16_t type, size_t n)
{
	uint8_t *p;

	if (b->overflow || n > 0xFFFF || b->cap - b->len < 4 + padded(n)) {
		b->overflow = true;
		return NULL;
	}
	p = b->buf + b->len;
	wr16(p, type);
	wr16(p + 2, (uint16_t)n);
	memset(p + 4 + n, b->pad, padded(n) - n);
	b->len += 4 + padded(n);
	wr16(b->buf + 2, (uint16_t)(b->len - STUN_HEADER_LEN));
	return p + 4;
}

void stun_add_attr(struct stun_builder *b, uint16_t type, const void *value, size_t len)
{
	uint8_t *p = attr_start(b, type, len);

	if (p != NULL && len > 0)
		memcpy(p, value, len);
}

void stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t v)
{
	uint8_t *p = attr_start(b, type, 4);

	if (p != NULL)
		wr32(p, v);
}

void stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t v)
{
	uint8_t *p = attr_start(b, type, 8);

	if (p != NULL) {
		wr32(p, (uint32_t)(v >> 32));
		wr32(p + 4, (uint32_t)v);
	}
}

void stun_add_xor_address(struct stun_builder *b, uint16_t type, const struct sgw_endpoint *ep)
{
	unsigned alen = ep->addr.family == SGW_AF_INET ? 4 : 16;
	uint8_t mask[16];
	uint8_t *p;

	if (ep->addr.family != SGW_AF_INET && ep->addr.family != SGW_AF_INET6) {
		b->overflow = true;
		return;
	}
	p = attr_start(b, type, 4 + alen);
	if (p == NULL)
		return;
	wr32(mask, STUN_MAGIC_COOKIE);
	memcpy(mask + 4, b->buf + 8, STUN_TXID_LEN);
	p[0] = 0;
	p[1] = ep->addr.family == SGW_AF_INET ? 0x01 : 0x02;
	wr16(p + 2, ep->port ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
	for (unsigned i = 0; i < alen; i++)
		p[4 + i] = ep->addr.a[i] ^ mask[i];
}

void stun_add_error_code(struct stun_builder *b, unsigned code, const char *reason)
{
	size_t rlen = strlen(reason);
	uint8_t *p;

	if (code < 300 || code > 699 || rlen > 508) {
		b->overflow = true;
		return;
	}
	p = attr_start(b, STUN_ATTR_ERROR_CODE, 4 + rlen);
	if (p == NULL)
		return;
	p[0] = 0;
	p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, reason, rlen);
}

void stun_add_unknown_attributes(struct stun_builder *b, const uint16_t *types, unsigned n)
{
	uint8_t *p = attr_start(b, STUN_ATTR_UNKNOWN_ATTRIBUTES, 2 * (size_t)n);

	for (unsigned i = 0; p != NULL && i < n; i++)
		wr16(p + 2 * i, types[i]);
}

void stun_add_integrity(struct stun_builder *b, const void *key, size_t key_len)
{
	uint8_t mac[HMAC_SHA1_LEN];
	size_t end = b->len;

	if (b->overflow || b->cap - b->len < MI_ATTR_LEN ||
	    !integrity_of(b->buf, end, key, key_len, mac)) {
		b->overflow = true;
		return;
	}
	stun_add_attr(b, STUN_ATTR_MESSAGE_INTEGRITY, mac, sizeof(mac));
	OPENSSL_cleanse(mac, sizeof(mac));
}

void stun_add_fingerprint(struct stun_builder *b)
{
	if (b->overflow || b->cap - b->len < FP_ATTR_LEN) {
		b->overflow = true;
		return;
	}
	stun_add_u32(b, STUN_ATTR_FINGERPRINT, fingerprint_of(b->buf, b->len, FP_ATTR_LEN));
}

size_t stun_finish(struct stun_builder *b)
{
	return b->overflow ? 0 : b->len;
}

size_t stun_binding_success(uint8_t *buf, size_t cap, const struct stun_msg *req,
			    const struct sgw_endpoint *from, const void *key, size_t key_len,
			    const char *software)
{
	struct stun_builder b;

	stun_build_init(&b, buf, cap, STUN_METHOD_BINDING, STUN_SUCCESS, req->txid);
	stun_add_xor_address(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, from);
	if (software != NULL)
		stun_add_attr(&b, STUN_ATTR_SOFTWARE, software, strlen(software));
	stun_add_integrity(&b, key, key_len);
	stun_add_fingerprint(&b);
	return stun_finish(&b);
}

static const char *reason_phrase(unsigned code)
{
	switch (code) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthenticated";
	case 420:
		return "Unknown Attribute";
	case 487:
		return "Role Conflict";
	case 500:
		return "Server Error";
	default:
		return "Error";
	}
}

size_t stun_binding_error(uint8_t *buf, size_t cap, const struct stun_msg *req, unsigned code,
			  const void *key, size_t key_len)
{
	struct stun_builder b;

	stun_build_init(&b, buf, cap, STUN_METHOD_BINDING, STUN_ERROR, req->txid);
	stun_add_error_code(&b, code, reason_phrase(code));
	if (code == 420 && req->n_unknown > 0)
		stun_add_unknown_attributes(&b, req->unknown, req->n_unknown);
	if (key != NULL)
		stun_add_integrity(&b, key, key_len);
	stun_add_fingerprint(&b);
	return stun_finish(&b);
}
