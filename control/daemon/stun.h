/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN messages (RFC 8489, compatible with RFC 5389): a bounded parser, the
 * checks of MESSAGE-INTEGRITY (HMAC-SHA1, short-term credentials) and
 * FINGERPRINT, and a builder for requests and (error) responses. Sans-I/O:
 * bytes in, bytes out; no sockets, no global state. The ICE-lite agent
 * (ice.h) is its user; docs/webrtc.md, "ICE-lite".
 *
 * Only what an ICE-lite Binding server needs is interpreted: USERNAME,
 * MESSAGE-INTEGRITY, FINGERPRINT, PRIORITY, USE-CANDIDATE, ICE-CONTROLLING,
 * ICE-CONTROLLED, XOR-MAPPED-ADDRESS, ERROR-CODE, SOFTWARE. Other attributes
 * are skipped; comprehension-required ones (type < 0x8000) are listed so
 * that a server can answer 420.
 */
#ifndef SRTPGW_CONTROL_STUN_H
#define SRTPGW_CONTROL_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/srtpgw_agent.h"

#define STUN_HEADER_LEN 20
#define STUN_TXID_LEN 12
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_FINGERPRINT_XOR 0x5354554Eu
/* Larger datagrams are refused: a Binding request is about 100 bytes. */
#define STUN_MAX_LEN 1280
/* RFC 8489 14.3: USERNAME is less than 513 bytes. */
#define STUN_USERNAME_MAX 512
/* Room enough for any response this module builds for an ICE agent. */
#define STUN_REPLY_MAX 256
/* Unknown comprehension-required attributes remembered per message. */
#define STUN_MAX_UNKNOWN 4

/* Attribute types (RFC 8489 18.3, RFC 8445 16.1). */
enum {
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_ATTR_REALM = 0x0014,
	STUN_ATTR_NONCE = 0x0015,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_PRIORITY = 0x0024,
	STUN_ATTR_USE_CANDIDATE = 0x0025,
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,
	STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

#define STUN_METHOD_BINDING 0x001

enum stun_class {
	STUN_REQUEST = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS = 2,
	STUN_ERROR = 3,
};

/* Why stun_parse() refused a datagram. */
enum stun_parse_err {
	STUN_OK = 0,
	STUN_ERR_SIZE,              /* shorter than a header, or over STUN_MAX_LEN */
	STUN_ERR_NOT_STUN,          /* top bits set, or no magic cookie (RFC 3489) */
	STUN_ERR_LENGTH,            /* length field is not the datagram's, or not 4-aligned */
	STUN_ERR_ATTR_TRUNCATED,    /* an attribute runs past the end */
	STUN_ERR_ATTR_SIZE,         /* a known attribute of the wrong size */
	STUN_ERR_FINGERPRINT,       /* FINGERPRINT does not match */
	STUN_ERR_AFTER_FINGERPRINT, /* an attribute follows FINGERPRINT */
};

/* A parsed message. Pointers point into the caller's buffer, which must
 * outlive it. Only the first occurrence of an attribute counts; attributes
 * after MESSAGE-INTEGRITY other than FINGERPRINT are ignored (RFC 8489 14.5). */
struct stun_msg {
	uint16_t method;
	uint8_t cls;                    /* enum stun_class */
	uint8_t txid[STUN_TXID_LEN];
	const uint8_t *raw;             /* the whole message */
	size_t len;

	const uint8_t *username;        /* NULL: absent; not NUL-terminated */
	size_t username_len;
	const uint8_t *software;        /* NULL: absent */
	size_t software_len;
	bool has_priority;
	uint32_t priority;
	bool use_candidate;
	bool has_controlling;
	uint64_t controlling;           /* the tie-breaker */
	bool has_controlled;
	uint64_t controlled;
	size_t integrity_off;           /* offset of MESSAGE-INTEGRITY's header; 0: absent */
	bool has_fingerprint;           /* present (and it matched: else parse fails) */
	bool has_xor_mapped;
	struct sgw_endpoint xor_mapped; /* decoded (un-XORed) */
	uint16_t error_code;            /* 0: absent, else 300..699 */
	unsigned n_unknown;             /* comprehension-required attributes not known here */
	uint16_t unknown[STUN_MAX_UNKNOWN];
};

/* Parses buf[0..len). STUN_OK and *m filled, or why not (*m undefined). */
enum stun_parse_err stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len);
const char *stun_parse_strerror(enum stun_parse_err e);

/* Whether the first bytes look like STUN (RFC 7983: first byte 0..3, and
 * the magic cookie). Cheap; stun_parse() decides. */
bool stun_is_stun(const uint8_t *buf, size_t len);

/* MESSAGE-INTEGRITY checked with key (the short-term credential: the
 * password's bytes). False when absent. Constant time in the HMAC. */
bool stun_integrity_ok(const struct stun_msg *m, const void *key, size_t key_len);

/* CRC-32 (ISO-HDLC, as zlib) of buf; FINGERPRINT is this XOR 0x5354554e. */
uint32_t stun_crc32(const uint8_t *buf, size_t len);

/*
 * The builder: attributes are appended in order, the header's length
 * follows. Errors (no room) are sticky: stun_finish() then returns 0.
 * Padding bytes are `pad` (0 unless changed; RFC 8489 lets the sender
 * choose, RFC 5769's vectors use 0x20).
 */
struct stun_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint8_t pad;
	bool overflow;
};

void stun_build_init(struct stun_builder *b, void *buf, size_t cap, uint16_t method,
		     enum stun_class cls, const uint8_t txid[STUN_TXID_LEN]);
void stun_add_attr(struct stun_builder *b, uint16_t type, const void *value, size_t len);
void stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t v);
void stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t v);
void stun_add_xor_address(struct stun_builder *b, uint16_t type, const struct sgw_endpoint *ep);
/* ERROR-CODE: code 300..699 and a reason phrase (UTF-8, < 128 characters). */
void stun_add_error_code(struct stun_builder *b, unsigned code, const char *reason);
void stun_add_unknown_attributes(struct stun_builder *b, const uint16_t *types, unsigned n);
/* MESSAGE-INTEGRITY over what was built so far, then FINGERPRINT. */
void stun_add_integrity(struct stun_builder *b, const void *key, size_t key_len);
void stun_add_fingerprint(struct stun_builder *b);
/* The message's length, or 0 if it did not fit. */
size_t stun_finish(struct stun_builder *b);

/*
 * Responses to a Binding request req, into buf (STUN_REPLY_MAX is enough):
 * success with XOR-MAPPED-ADDRESS (the request's source, from), SOFTWARE
 * when software is not NULL, then MESSAGE-INTEGRITY with key and
 * FINGERPRINT. An error response carries ERROR-CODE (with the RFC's reason
 * phrase), UNKNOWN-ATTRIBUTES for 420 (req's list), and MESSAGE-INTEGRITY
 * only when key is not NULL (a request that could not be authenticated
 * gets none). Each returns the length, 0 if buf is too small.
 */
size_t stun_binding_success(uint8_t *buf, size_t cap, const struct stun_msg *req,
			    const struct sgw_endpoint *from, const void *key, size_t key_len,
			    const char *software);
size_t stun_binding_error(uint8_t *buf, size_t cap, const struct stun_msg *req, unsigned code,
			  const void *key, size_t key_len);

#endif
