/* SPDX-License-Identifier: BSD-3-Clause */
/* STUN (control/daemon/stun.c): RFC 5769's test vectors parsed, verified
 * and rebuilt bit for bit; every refusal of the parser; error responses;
 * the builder's bounds. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "api/addr.h"
#include "control/daemon/stun.h"
#include "check.h"

/* RFC 5769 2.1: a request with ICE attributes, short-term credentials. */
static const uint8_t req_vec[] = {
	0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
	0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
	0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
	0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
	0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
	0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
	0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* RFC 5769 2.2: the IPv4 response (192.0.2.1:32853). */
static const uint8_t resp4_vec[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
	0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99,
	0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b,
	0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* RFC 5769 2.3: the IPv6 response ([2001:db8:1234:5678:11:2233:4455:6677]:32853). */
static const uint8_t resp6_vec[] = {
	0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
	0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74,
	0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02,
	0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5,
	0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6,
	0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
	0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

/* RFC 5769 2.4: a request with long-term credentials (no FINGERPRINT). */
static const uint8_t longterm_vec[] = {
	0x00, 0x01, 0x00, 0x60, 0x21, 0x12, 0xa4, 0x42, 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
	0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e, 0x00, 0x06, 0x00, 0x12, 0xe3, 0x83, 0x9e, 0xe3,
	0x83, 0x88, 0xe3, 0x83, 0xaa, 0xe3, 0x83, 0x83, 0xe3, 0x82, 0xaf, 0xe3, 0x82, 0xb9,
	0x00, 0x00, 0x00, 0x15, 0x00, 0x1c, 0x66, 0x2f, 0x2f, 0x34, 0x39, 0x39, 0x6b, 0x39,
	0x35, 0x34, 0x64, 0x36, 0x4f, 0x4c, 0x33, 0x34, 0x6f, 0x4c, 0x39, 0x46, 0x53, 0x54,
	0x76, 0x79, 0x36, 0x34, 0x73, 0x41, 0x00, 0x14, 0x00, 0x0b, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x08, 0x00, 0x14, 0xf6, 0x70,
	0x24, 0x65, 0x6d, 0xd6, 0x4a, 0x3e, 0x02, 0xb8, 0xe0, 0x71, 0x2e, 0x85, 0xc9, 0xa2,
	0x8c, 0xa8, 0x96, 0x66,
};

static const char vec_pwd[] = "VOkJxbRl1RmTxUk/WvJxBt";

static struct sgw_endpoint ep(const char *text)
{
	struct sgw_endpoint e;

	if (sgw_endpoint_parse(text, &e, false) != 0)
		fprintf(stderr, "bad endpoint in test: %s\n", text);
	return e;
}

static void crc32_check_value(void)
{
	/* the CRC-32 catalogue's check value */
	CHECK_EQ(stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
	CHECK_EQ(stun_crc32(NULL, 0), 0);
}

static void rfc5769_request(void)
{
	struct stun_msg m;

	CHECK_EQ(stun_parse(&m, req_vec, sizeof(req_vec)), STUN_OK);
	CHECK_EQ(m.method, STUN_METHOD_BINDING);
	CHECK_EQ(m.cls, STUN_REQUEST);
	CHECK_MEM(m.txid, req_vec + 8, 12);
	CHECK(m.username != NULL && m.username_len == 9 && memcmp(m.username, "evtj:h6vY", 9) == 0);
	CHECK(m.software != NULL && m.software_len == 16 &&
	      memcmp(m.software, "STUN test client", 16) == 0);
	CHECK(m.has_priority);
	CHECK_EQ(m.priority, 0x6e0001ffu);
	CHECK(m.has_controlled && !m.has_controlling);
	CHECK(m.controlled == 0x932ff9b151263b36ull);
	CHECK(!m.use_candidate);
	CHECK_EQ(m.integrity_off, 76);
	CHECK(m.has_fingerprint);
	CHECK_EQ(m.n_unknown, 0);
	CHECK(stun_integrity_ok(&m, vec_pwd, strlen(vec_pwd)));
	CHECK(!stun_integrity_ok(&m, "VOkJxbRl1RmTxUk/WvJxBu", strlen(vec_pwd)));
	CHECK(!stun_integrity_ok(&m, vec_pwd, strlen(vec_pwd) - 1));
	CHECK(!stun_integrity_ok(&m, "", 0));
}

/* The builder makes the request again, bit for bit (padding 0x20, as the
 * RFC's sample). */
static void rfc5769_request_rebuilt(void)
{
	uint8_t buf[STUN_MAX_LEN];
	struct stun_builder b;

	stun_build_init(&b, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_REQUEST, req_vec + 8);
	b.pad = 0x20;
	stun_add_attr(&b, STUN_ATTR_SOFTWARE, "STUN test client", 16);
	stun_add_u32(&b, STUN_ATTR_PRIORITY, 0x6e0001ff);
	stun_add_u64(&b, STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull);
	stun_add_attr(&b, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
	stun_add_integrity(&b, vec_pwd, strlen(vec_pwd));
	stun_add_fingerprint(&b);
	CHECK_EQ(stun_finish(&b), sizeof(req_vec));
	CHECK_MEM(buf, req_vec, sizeof(req_vec));
}

static void check_response_vec(const uint8_t *vec, size_t len, const char *mapped)
{
	struct sgw_endpoint want = ep(mapped);
	uint8_t buf[STUN_MAX_LEN];
	struct stun_builder b;
	struct stun_msg m, req;
	size_t n;

	CHECK_EQ(stun_parse(&m, vec, len), STUN_OK);
	CHECK_EQ(m.method, STUN_METHOD_BINDING);
	CHECK_EQ(m.cls, STUN_SUCCESS);
	CHECK(m.has_xor_mapped);
	CHECK(sgw_addr_equal(&m.xor_mapped.addr, &want.addr));
	CHECK_EQ(m.xor_mapped.port, 32853);
	CHECK(m.has_fingerprint);
	CHECK(stun_integrity_ok(&m, vec_pwd, strlen(vec_pwd)));

	/* the low-level builder with the RFC's padding: bit for bit */
	stun_build_init(&b, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_SUCCESS, vec + 8);
	b.pad = 0x20;
	stun_add_attr(&b, STUN_ATTR_SOFTWARE, "test vector", 11);
	stun_add_xor_address(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, &want);
	stun_add_integrity(&b, vec_pwd, strlen(vec_pwd));
	stun_add_fingerprint(&b);
	CHECK_EQ(stun_finish(&b), len);
	CHECK_MEM(buf, vec, len);

	/* what the ICE agent sends: XOR-MAPPED-ADDRESS, SOFTWARE, MI, FP */
	CHECK_EQ(stun_parse(&req, req_vec, sizeof(req_vec)), STUN_OK);
	n = stun_binding_success(buf, sizeof(buf), &req, &want, vec_pwd, strlen(vec_pwd),
				 "test vector");
	CHECK_EQ(n, len);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_OK);
	CHECK_EQ(m.cls, STUN_SUCCESS);
	CHECK_MEM(m.txid, req_vec + 8, 12);
	CHECK(m.has_xor_mapped && sgw_addr_equal(&m.xor_mapped.addr, &want.addr) &&
	      m.xor_mapped.port == 32853);
	CHECK(m.software_len == 11 && memcmp(m.software, "test vector", 11) == 0);
	CHECK(m.has_fingerprint);
	CHECK(stun_integrity_ok(&m, vec_pwd, strlen(vec_pwd)));
	/* the same XOR-MAPPED-ADDRESS bytes as the RFC's */
	CHECK_MEM(buf + 20, vec + 36, len == sizeof(resp4_vec) ? 12 : 24);
}

static void rfc5769_responses(void)
{
	check_response_vec(resp4_vec, sizeof(resp4_vec), "192.0.2.1:32853");
	check_response_vec(resp6_vec, sizeof(resp6_vec), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

/* Long-term credentials: key = MD5(username ":" realm ":" SASLprep(password)). */
static void rfc5769_long_term(void)
{
	static const char ukey[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
				   "\xe3\x82\xb9:example.org:TheMatrIX";
	uint8_t key[16];
	unsigned int klen = 0;
	struct stun_msg m;

	CHECK_EQ(stun_parse(&m, longterm_vec, sizeof(longterm_vec)), STUN_OK);
	CHECK(!m.has_fingerprint);
	CHECK_EQ(m.username_len, 18);
	CHECK_EQ(m.n_unknown, 0); /* NONCE and REALM are known */
	CHECK(EVP_Digest(ukey, strlen(ukey), key, &klen, EVP_md5(), NULL) == 1 && klen == 16);
	CHECK(stun_integrity_ok(&m, key, sizeof(key)));
	key[0] ^= 1;
	CHECK(!stun_integrity_ok(&m, key, sizeof(key)));
}

/* Every prefix fails to parse; every bit flip fails parse or integrity. */
static void vector_damage(void)
{
	uint8_t buf[sizeof(req_vec)];
	struct stun_msg m;
	unsigned accepted = 0;

	for (size_t n = 0; n < sizeof(req_vec); n++)
		CHECK(stun_parse(&m, req_vec, n) != STUN_OK);
	/* up to FINGERPRINT: MESSAGE-INTEGRITY covers it */
	for (size_t i = 0; i < (sizeof(req_vec) - 8) * 8; i++) {
		memcpy(buf, req_vec, sizeof(buf));
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		if (stun_parse(&m, buf, sizeof(buf)) == STUN_OK &&
		    stun_integrity_ok(&m, vec_pwd, strlen(vec_pwd)))
			accepted++;
	}
	CHECK_EQ(accepted, 0);
	/* FINGERPRINT's value */
	for (size_t i = (sizeof(req_vec) - 4) * 8; i < sizeof(req_vec) * 8; i++) {
		memcpy(buf, req_vec, sizeof(buf));
		buf[i / 8] ^= (uint8_t)(1u << (i % 8));
		CHECK_EQ(stun_parse(&m, buf, sizeof(buf)), STUN_ERR_FINGERPRINT);
	}
}

/* A message with the given attribute bytes after the header. */
static size_t with_attrs(uint8_t *buf, uint16_t type, const uint8_t *attrs, size_t n)
{
	memcpy(buf, req_vec, 20);
	buf[0] = (uint8_t)(type >> 8);
	buf[1] = (uint8_t)type;
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	memcpy(buf + 20, attrs, n);
	return 20 + n;
}

static void parse_refusals(void)
{
	uint8_t buf[STUN_MAX_LEN + 8] = { 0 };
	struct stun_msg m;
	size_t n;

	CHECK_EQ(stun_parse(&m, req_vec, 19), STUN_ERR_SIZE);
	n = with_attrs(buf, 0x0001, (const uint8_t *)"", 0);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_OK);
	memset(buf + 20, 0, sizeof(buf) - 20);
	buf[2] = (STUN_MAX_LEN - 20 + 4) >> 8;
	buf[3] = (STUN_MAX_LEN - 20 + 4) & 0xFF;
	CHECK_EQ(stun_parse(&m, buf, STUN_MAX_LEN + 4), STUN_ERR_SIZE);
	n = with_attrs(buf, 0x0001, (const uint8_t *)"", 0);
	buf[0] = 0x40;
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_NOT_STUN);
	n = with_attrs(buf, 0x0001, (const uint8_t *)"", 0);
	buf[4] = 0;
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_NOT_STUN);
	CHECK(!stun_is_stun(buf, n));
	/* length field: not the datagram's, not a multiple of 4 */
	n = with_attrs(buf, 0x0001, (const uint8_t *)"\x80\x22\x00\x00", 4);
	CHECK_EQ(stun_parse(&m, buf, n - 4), STUN_ERR_LENGTH);
	buf[3] = 2;
	CHECK_EQ(stun_parse(&m, buf, 22), STUN_ERR_LENGTH);
	/* an attribute longer than what is left */
	n = with_attrs(buf, 0x0001, (const uint8_t *)"\x80\x22\x00\x05" "abcd", 8);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_TRUNCATED);
	/* sizes of known attributes */
	n = with_attrs(buf, 0x0001, (const uint8_t *)"\x00\x24\x00\x02\x00\x01\x00\x00", 8);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_SIZE);
	n = with_attrs(buf, 0x0001, (const uint8_t *)"\x00\x25\x00\x04\x00\x00\x00\x00", 8);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_SIZE);
	n = with_attrs(buf, 0x0001, (const uint8_t *)"\x80\x2a\x00\x04\x00\x00\x00\x00", 8);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_SIZE);
	n = with_attrs(buf, 0x0001, (const uint8_t *)"\x00\x08\x00\x04\x00\x00\x00\x00", 8);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_SIZE);
	/* XOR-MAPPED-ADDRESS: family 3, or IPv6 family with an IPv4 length */
	n = with_attrs(buf, 0x0101, (const uint8_t *)"\x00\x20\x00\x08\x00\x03\x00\x00\x00\x00\x00\x00", 12);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_SIZE);
	n = with_attrs(buf, 0x0101, (const uint8_t *)"\x00\x20\x00\x08\x00\x02\x00\x00\x00\x00\x00\x00", 12);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_SIZE);
	/* ERROR-CODE: class 7, number 100 */
	n = with_attrs(buf, 0x0111, (const uint8_t *)"\x00\x09\x00\x04\x00\x00\x07\x00", 8);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_SIZE);
	n = with_attrs(buf, 0x0111, (const uint8_t *)"\x00\x09\x00\x04\x00\x00\x04\x64", 8);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_SIZE);
	n = with_attrs(buf, 0x0111, (const uint8_t *)"\x00\x09\x00\x04\x00\x00\x04\x57", 8);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_OK);
	CHECK_EQ(m.error_code, 487);
	CHECK_EQ(m.cls, STUN_ERROR);
	/* USERNAME of 513 bytes */
	memset(buf + 24, 'a', 516);
	n = with_attrs(buf, 0x0001, (const uint8_t *)"\x00\x06\x02\x01", 4);
	n = 20 + 4 + 516;
	buf[2] = (uint8_t)((n - 20) >> 8);
	buf[3] = (uint8_t)(n - 20);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_ERR_ATTR_SIZE);
	buf[22] = 0x02; /* 512: the largest allowed */
	buf[23] = 0x00;
	n = 20 + 4 + 512;
	buf[2] = (uint8_t)((n - 20) >> 8);
	buf[3] = (uint8_t)(n - 20);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_OK);
	CHECK_EQ(m.username_len, 512);
	/* the vector's FINGERPRINT damaged, and an attribute after it */
	memcpy(buf, req_vec, sizeof(req_vec));
	buf[sizeof(req_vec) - 1] ^= 1;
	CHECK_EQ(stun_parse(&m, buf, sizeof(req_vec)), STUN_ERR_FINGERPRINT);
	memcpy(buf, req_vec, sizeof(req_vec));
	memcpy(buf + sizeof(req_vec), "\x80\x22\x00\x00", 4);
	buf[3] += 4;
	CHECK_EQ(stun_parse(&m, buf, sizeof(req_vec) + 4), STUN_ERR_AFTER_FINGERPRINT);
	for (int e = STUN_OK; e <= STUN_ERR_AFTER_FINGERPRINT; e++)
		CHECK(strlen(stun_parse_strerror((enum stun_parse_err)e)) > 0);
}

/* Attributes after MESSAGE-INTEGRITY (but FINGERPRINT) are ignored;
 * unknown comprehension-required ones are listed, optional ones not. */
static void attributes_order_and_unknown(void)
{
	uint8_t buf[STUN_MAX_LEN];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	stun_build_init(&b, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_REQUEST, req_vec + 8);
	stun_add_attr(&b, 0x0030, "x", 1);             /* unknown, required */
	stun_add_attr(&b, 0xC057, "abcd", 4);          /* unknown, optional */
	stun_add_attr(&b, 0x0030, "y", 1);             /* listed once */
	stun_add_attr(&b, 0x7FFF, NULL, 0);
	stun_add_attr(&b, STUN_ATTR_USERNAME, "a:b", 3);
	stun_add_integrity(&b, "key", 3);
	stun_add_attr(&b, STUN_ATTR_USERNAME, "c:d", 3); /* ignored */
	stun_add_attr(&b, 0x0031, NULL, 0);            /* ignored */
	stun_add_attr(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0); /* ignored */
	stun_add_fingerprint(&b);
	n = stun_finish(&b);
	CHECK(n > 0);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_OK);
	CHECK(m.username_len == 3 && memcmp(m.username, "a:b", 3) == 0);
	CHECK(!m.use_candidate);
	CHECK_EQ(m.n_unknown, 2);
	CHECK_EQ(m.unknown[0], 0x0030);
	CHECK_EQ(m.unknown[1], 0x7FFF);
	/* integrity covers up to MESSAGE-INTEGRITY only: the rest may change */
	CHECK(stun_integrity_ok(&m, "key", 3));
}

static void error_responses(void)
{
	uint8_t buf[STUN_REPLY_MAX];
	struct stun_msg req, m;
	size_t n;

	CHECK_EQ(stun_parse(&req, req_vec, sizeof(req_vec)), STUN_OK);
	n = stun_binding_error(buf, sizeof(buf), &req, 487, vec_pwd, strlen(vec_pwd));
	CHECK(n > 0);
	CHECK_EQ(buf[0], 0x01); /* type 0x0111: Binding error response */
	CHECK_EQ(buf[1], 0x11);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_OK);
	CHECK_EQ(m.cls, STUN_ERROR);
	CHECK_EQ(m.error_code, 487);
	CHECK_MEM(m.txid, req.txid, 12);
	CHECK(m.has_fingerprint);
	CHECK(stun_integrity_ok(&m, vec_pwd, strlen(vec_pwd)));
	CHECK(memmem(buf, n, "Role Conflict", 13) != NULL);

	n = stun_binding_error(buf, sizeof(buf), &req, 400, NULL, 0);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_OK);
	CHECK_EQ(m.error_code, 400);
	CHECK_EQ(m.integrity_off, 0);
	CHECK(m.has_fingerprint);

	req.n_unknown = 2;
	req.unknown[0] = 0x0030;
	req.unknown[1] = 0x0031;
	n = stun_binding_error(buf, sizeof(buf), &req, 420, "k", 1);
	CHECK_EQ(stun_parse(&m, buf, n), STUN_OK);
	CHECK_EQ(m.error_code, 420);
	CHECK(memmem(buf, n, "\x00\x0a\x00\x04\x00\x30\x00\x31", 8) != NULL);
	CHECK(stun_integrity_ok(&m, "k", 1));

	/* success type 0x0101, indication 0x0011 */
	n = stun_binding_success(buf, sizeof(buf), &req, &(struct sgw_endpoint){ .addr = { .family = SGW_AF_INET } },
				 "k", 1, NULL);
	CHECK(n > 0 && buf[0] == 0x01 && buf[1] == 0x01);
	{
		struct stun_builder b;

		stun_build_init(&b, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_INDICATION, req.txid);
		CHECK_EQ(stun_finish(&b), 20);
		CHECK(buf[0] == 0x00 && buf[1] == 0x11);
		CHECK_EQ(stun_parse(&m, buf, 20), STUN_OK);
		CHECK_EQ(m.cls, STUN_INDICATION);
	}
}

static void builder_bounds(void)
{
	uint8_t buf[STUN_MAX_LEN];
	struct stun_msg req;
	struct stun_builder b;
	struct sgw_endpoint from = ep("[2001:db8::1]:9");
	struct sgw_endpoint none = { 0 };
	size_t full;

	CHECK_EQ(stun_parse(&req, req_vec, sizeof(req_vec)), STUN_OK);
	full = stun_binding_success(buf, sizeof(buf), &req, &from, "k", 1, NULL);
	CHECK_EQ(full, 20 + 24 + 24 + 8);
	for (size_t cap = 0; cap < full; cap++)
		CHECK_EQ(stun_binding_success(buf, cap, &req, &from, "k", 1, NULL), 0);
	CHECK_EQ(stun_binding_success(buf, full, &req, &from, "k", 1, NULL), full);
	/* an address of no family cannot be sent */
	CHECK_EQ(stun_binding_success(buf, sizeof(buf), &req, &none, "k", 1, NULL), 0);
	/* error codes outside 300..699 */
	stun_build_init(&b, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_ERROR, req.txid);
	stun_add_error_code(&b, 700, "x");
	CHECK_EQ(stun_finish(&b), 0);
	/* no attribute past STUN_MAX_LEN */
	stun_build_init(&b, buf, sizeof(buf), STUN_METHOD_BINDING, STUN_REQUEST, req.txid);
	stun_add_attr(&b, STUN_ATTR_SOFTWARE, req_vec, 0);
	b.len = 20; /* again, with a value as long as fits */
	{
		static const uint8_t big[STUN_MAX_LEN];

		stun_add_attr(&b, STUN_ATTR_SOFTWARE, big, STUN_MAX_LEN - 20 - 4);
	}
	CHECK_EQ(stun_finish(&b), STUN_MAX_LEN);
	stun_add_attr(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	CHECK_EQ(stun_finish(&b), 0);
}

int main(void)
{
	RUN(crc32_check_value);
	RUN(rfc5769_request);
	RUN(rfc5769_request_rebuilt);
	RUN(rfc5769_responses);
	RUN(rfc5769_long_term);
	RUN(vector_damage);
	RUN(parse_refusals);
	RUN(attributes_order_and_unknown);
	RUN(error_responses);
	RUN(builder_bounds);
	return CHECK_DONE();
}
