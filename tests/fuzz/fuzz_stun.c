/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_stun: the STUN parser and builder (control/daemon/stun.c) and one
 * ICE-lite agent's life (control/daemon/ice.c) on datagrams from the
 * input.
 *
 * Input: byte 0 = flags: bit 0 signs each datagram (the harness fixes
 * the length field, and recomputes MESSAGE-INTEGRITY with the agent's
 * password and FINGERPRINT where the datagram has them, so that the
 * fuzzer reaches the authenticated paths); bit 1 makes the agent expect
 * any remote ufrag. The rest is datagrams, each [u16 length][u8 source]
 * [u8 ms/100 that pass before it][bytes]; source picks one of eight
 * addresses (IPv4, IPv6, none). Each datagram is copied into a block of
 * exactly its size (ASan sees any read past it), parsed, and given to the
 * agent, whose clock ticks between datagrams.
 *
 * Checked: parsing is deterministic and stays in the datagram; a message
 * that parses is STUN by stun_is_stun(); one whose integrity verifies with
 * the password gets a success response built that parses back with the
 * same transaction, integrity, FINGERPRINT and XOR-MAPPED-ADDRESS. For the
 * agent: a reply is a Binding response with the request's transaction and
 * FINGERPRINT; a success (and only a success) means accepted, and was
 * only given to a request that the harness itself verifies (its own HMAC)
 * and whose USERNAME is the local and remote ufrags; error responses but a
 * 400 to an unauthenticated request carry integrity; a refused datagram
 * changes neither the selected address nor the valid ones; the selected
 * address changes only on an accepted request with USE-CANDIDATE; counters
 * add up; a tick lapses exactly the addresses silent for 30 s, and the
 * selected address is always a valid one.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "api/addr.h"
#include "control/daemon/ice.h"
#include "control/daemon/stun.h"
#include "fuzz_common.h"

/* Low byte first. Not fz_u16(): the order in which its two fz_u8() calls
 * run is unspecified in C, and gcc and its ASan build differ. */
static uint16_t u16le(struct fz *f)
{
	uint16_t lo = fz_u8(f);

	return (uint16_t)(lo | fz_u8(f) << 8);
}

#define PWD "FuzzPasswordOfTwentyFour"
#define LUFRAG "Lfz1"
#define RUFRAG "Rfz1"

static struct {
	uint64_t inputs, datagrams, parsed, verified, accepted, selected, lapsed, errors;
} st;

static void fz_summary(void)
{
	fprintf(stderr, "fuzz_stun: %llu inputs, %llu datagrams: %llu parsed, %llu verified; "
		"agent: %llu accepted, %llu error responses, %llu selections, %llu lapses\n",
		(unsigned long long)st.inputs, (unsigned long long)st.datagrams,
		(unsigned long long)st.parsed, (unsigned long long)st.verified,
		(unsigned long long)st.accepted, (unsigned long long)st.errors,
		(unsigned long long)st.selected, (unsigned long long)st.lapsed);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static struct sgw_endpoint source(unsigned pick)
{
	static const char *const text[] = {
		"192.0.2.1:1000", "192.0.2.1:1001", "192.0.2.2:1000", "198.51.100.9:65535",
		"[2001:db8::1]:1000", "[2001:db8::1]:1001", "[::ffff:192.0.2.1]:1000",
	};
	struct sgw_endpoint e;

	memset(&e, 0, sizeof(e));
	if (pick % 8 < 7)
		FZ_CHECK(sgw_endpoint_parse(text[pick % 8], &e, false) == 0, "endpoint");
	return e; /* 7: no address */
}

/* The harness's own HMAC-SHA1 over m[0..off) with the length field as
 * MESSAGE-INTEGRITY at off wants it (RFC 8489 14.5). */
static void hmac_at(const uint8_t *m, size_t off, uint8_t out[20])
{
	uint8_t copy[STUN_MAX_LEN];
	unsigned int n = 0;

	memcpy(copy, m, off);
	wr16(copy + 2, off + 24 - 20);
	FZ_CHECK(HMAC(EVP_sha1(), PWD, (int)strlen(PWD), copy, off, out, &n) != NULL && n == 20,
		 "HMAC");
}

/* Offset of the first MESSAGE-INTEGRITY attribute, 0 if none, walking
 * attributes as far as they are well-formed. */
static size_t find_integrity(const uint8_t *m, size_t len)
{
	for (size_t off = 20; off + 4 <= len;) {
		size_t alen = rd16(m + off + 2);

		if (rd16(m + off) == STUN_ATTR_MESSAGE_INTEGRITY)
			return alen == 20 && off + 24 <= len ? off : 0;
		off += 4 + ((alen + 3) & ~(size_t)3);
	}
	return 0;
}

static void sign(uint8_t *m, size_t len)
{
	size_t mi;

	if (len < 20 || len > STUN_MAX_LEN)
		return;
	wr16(m + 2, len - 20);
	mi = find_integrity(m, len);
	if (mi != 0)
		hmac_at(m, mi, m + mi + 4);
	if (len >= 28 && rd16(m + len - 8) == STUN_ATTR_FINGERPRINT && rd16(m + len - 6) == 4) {
		uint8_t copy[STUN_MAX_LEN];
		uint32_t crc;

		memcpy(copy, m, len - 8);
		crc = stun_crc32(copy, len - 8) ^ STUN_FINGERPRINT_XOR;
		m[len - 4] = (uint8_t)(crc >> 24);
		m[len - 3] = (uint8_t)(crc >> 16);
		m[len - 2] = (uint8_t)(crc >> 8);
		m[len - 1] = (uint8_t)crc;
	}
}

/* The harness's own verdict: authenticated for this agent. */
static bool harness_accepts(const struct stun_msg *m, bool any_remote)
{
	uint8_t mac[20];
	size_t ll = strlen(LUFRAG);

	if (m->integrity_off == 0 || m->username == NULL)
		return false;
	hmac_at(m->raw, m->integrity_off, mac);
	if (CRYPTO_memcmp(mac, m->raw + m->integrity_off + 4, 20) != 0)
		return false;
	if (m->username_len <= ll + 1 || memcmp(m->username, LUFRAG ":", ll + 1) != 0)
		return false;
	return any_remote || (m->username_len == ll + 1 + strlen(RUFRAG) &&
			      memcmp(m->username + ll + 1, RUFRAG, strlen(RUFRAG)) == 0);
}

static bool ep_eq(const struct sgw_endpoint *a, const struct sgw_endpoint *b)
{
	return a->port == b->port && sgw_addr_equal(&a->addr, &b->addr);
}

/* The parser and builder alone. */
static void check_message(const uint8_t *d, size_t len, const struct sgw_endpoint *from)
{
	struct stun_msg m, again, resp;
	uint8_t buf[STUN_REPLY_MAX];
	enum stun_parse_err e = stun_parse(&m, d, len);
	size_t n;

	FZ_CHECK(stun_parse(&again, d, len) == e, "parse not deterministic");
	if (e != STUN_OK)
		return;
	st.parsed++;
	FZ_CHECK(stun_is_stun(d, len), "parsed but not STUN");
	FZ_CHECK(m.raw == d && m.len == len && m.method <= 0xFFF && m.cls <= 3, "header");
	FZ_CHECK(m.username == NULL || (m.username >= d && m.username + m.username_len <= d + len &&
					m.username_len <= STUN_USERNAME_MAX), "USERNAME");
	FZ_CHECK(m.software == NULL || (m.software >= d && m.software + m.software_len <= d + len),
		 "SOFTWARE");
	FZ_CHECK(m.integrity_off == 0 || (m.integrity_off >= 20 && m.integrity_off + 24 <= len),
		 "MESSAGE-INTEGRITY at %zu of %zu", m.integrity_off, len);
	FZ_CHECK(m.n_unknown <= STUN_MAX_UNKNOWN, "unknown");
	FZ_CHECK(m.error_code == 0 || (m.error_code >= 300 && m.error_code <= 699), "ERROR-CODE");
	if (!stun_integrity_ok(&m, PWD, strlen(PWD)))
		return;
	st.verified++;
	if (from->addr.family == SGW_AF_NONE)
		return;
	n = stun_binding_success(buf, sizeof(buf), &m, from, PWD, strlen(PWD), NULL);
	FZ_CHECK(n > 0, "no room for a success response");
	FZ_CHECK(stun_parse(&resp, buf, n) == STUN_OK, "our response does not parse");
	FZ_CHECK(resp.cls == STUN_SUCCESS && resp.method == STUN_METHOD_BINDING, "type");
	FZ_CHECK(memcmp(resp.txid, m.txid, STUN_TXID_LEN) == 0, "transaction");
	FZ_CHECK(resp.has_fingerprint && stun_integrity_ok(&resp, PWD, strlen(PWD)), "integrity");
	FZ_CHECK(resp.has_xor_mapped && ep_eq(&resp.xor_mapped, from), "XOR-MAPPED-ADDRESS");
}

static uint64_t counters_sum(const struct ice_counters *c)
{
	return c->answered + c->malformed + c->not_request + c->bad_request + c->unknown_username +
	       c->bad_integrity + c->unknown_attribute + c->role_conflict + c->after_failure;
}

/* The valid set among the harness's eight sources, as a bit mask. */
static unsigned valid_mask(const struct ice_agent *a)
{
	unsigned mask = 0;

	for (unsigned i = 0; i < 8; i++) {
		struct sgw_endpoint e = source(i);

		if (ice_agent_is_valid(a, &e))
			mask |= 1u << i;
	}
	return mask;
}

static void check_agent_input(struct ice_agent *a, const uint8_t *d, size_t len,
			      const struct sgw_endpoint *from, uint64_t now, bool any_remote)
{
	uint8_t reply[ICE_REPLY_MAX];
	struct ice_output out;
	struct sgw_endpoint sel_before, sel_after;
	bool had = ice_agent_selected(a, &sel_before), has;
	unsigned valid_before = valid_mask(a);
	struct stun_msg req, resp;
	bool req_ok = stun_parse(&req, d, len) == STUN_OK;

	ice_agent_input(a, d, len, from, now, reply, &out);
	has = ice_agent_selected(a, &sel_after);
	FZ_CHECK(out.reply_len <= ICE_REPLY_MAX && out.n_events <= ICE_MAX_EVENTS, "bounds");
	FZ_CHECK(counters_sum(ice_agent_counters(a)) == ice_agent_counters(a)->received, "counters");
	if (out.reply_len > 0) {
		FZ_CHECK(req_ok && req.cls == STUN_REQUEST && req.method == STUN_METHOD_BINDING,
			 "a reply to something that is not a Binding request");
		FZ_CHECK(stun_parse(&resp, reply, out.reply_len) == STUN_OK, "reply does not parse");
		FZ_CHECK(resp.method == STUN_METHOD_BINDING && resp.has_fingerprint &&
			 memcmp(resp.txid, req.txid, STUN_TXID_LEN) == 0, "reply header");
		FZ_CHECK((resp.cls == STUN_SUCCESS) == (out.refusal == ICE_ACCEPTED), "success iff accepted");
		FZ_CHECK(resp.cls == STUN_SUCCESS || resp.cls == STUN_ERROR, "reply class");
		if (resp.cls == STUN_ERROR)
			st.errors++;
		if (out.refusal != ICE_REFUSED_BAD_REQUEST || resp.integrity_off != 0)
			FZ_CHECK(stun_integrity_ok(&resp, PWD, strlen(PWD)), "reply integrity");
		if (resp.cls == STUN_SUCCESS)
			FZ_CHECK(resp.has_xor_mapped && ep_eq(&resp.xor_mapped, from), "mapped address");
	}
	if (out.refusal != ICE_ACCEPTED) {
		FZ_CHECK(out.n_events == 0, "events without acceptance");
		FZ_CHECK(had == has && (!had || ep_eq(&sel_before, &sel_after)), "selection moved");
		FZ_CHECK(valid_mask(a) == valid_before, "a refused datagram changed the valid set");
		if (out.refusal == ICE_REFUSED_UNKNOWN_USERNAME ||
		    out.refusal == ICE_REFUSED_BAD_INTEGRITY || out.refusal == ICE_REFUSED_MALFORMED)
			FZ_CHECK(out.reply_len == 0, "an answer to a forged or malformed request");
		return;
	}
	st.accepted++;
	FZ_CHECK(req_ok && harness_accepts(&req, any_remote), "accepted what the harness refuses");
	FZ_CHECK(req.has_priority && req.has_controlling && !req.has_controlled && req.n_unknown == 0,
		 "accepted without PRIORITY or as controlled");
	FZ_CHECK(ice_agent_is_valid(a, from), "accepted source not valid");
	FZ_CHECK(out.n_events >= 1 && out.events[0].type == ICE_EV_CHECK &&
		 ep_eq(&out.events[0].addr, from) && out.events[0].nominated == req.use_candidate,
		 "check event");
	if (req.use_candidate) {
		FZ_CHECK(has && ep_eq(&sel_after, from), "nominated but not selected");
		FZ_CHECK(ice_agent_state(a) == ICE_CONNECTED, "state");
	} else {
		FZ_CHECK(had == has && (!had || ep_eq(&sel_before, &sel_after)), "selected without nomination");
	}
	if (out.n_events == 2) {
		st.selected++;
		FZ_CHECK(out.events[1].type == ICE_EV_SELECTED && req.use_candidate, "selected event");
	}
}

static void check_tick(struct ice_agent *a, uint64_t now)
{
	struct ice_output out;
	struct sgw_endpoint sel;

	ice_agent_tick(a, now, &out);
	for (unsigned i = 0; i < out.n_events; i++) {
		const struct ice_event *ev = &out.events[i];

		if (ev->type == ICE_EV_CONSENT_LAPSED) {
			st.lapsed++;
			FZ_CHECK(!ice_agent_is_valid(a, &ev->addr), "lapsed but valid");
		}
	}
	if (ice_agent_selected(a, &sel))
		FZ_CHECK(ice_agent_is_valid(a, &sel), "selected but not valid");
	FZ_CHECK(ice_agent_next_timeout(a) > now, "tick left work due");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t flags = fz_u8(&f);
	bool any_remote = flags & 2;
	struct ice_creds creds = { .ufrag = LUFRAG, .pwd = PWD };
	const char *err = NULL;
	uint64_t now = 1000000;
	struct ice_agent *a;

	st.inputs++;
	a = ice_agent_new(&creds, any_remote ? NULL : RUFRAG, NULL, now, &err);
	FZ_CHECK(a != NULL, "agent: %s", err);
	while (!fz_empty(&f)) {
		size_t len = u16le(&f) % (STUN_MAX_LEN + 16);
		struct sgw_endpoint from = source(fz_u8(&f));
		uint8_t *d;
		char ufrag[ICE_UFRAG_MAX + 1];

		now += fz_u8(&f) * 100u;
		if (len > f.n)
			len = f.n;
		d = malloc(len > 0 ? len : 1);
		FZ_CHECK(d != NULL, "malloc");
		fz_bytes(&f, d, len);
		if (flags & 1)
			sign(d, len);
		st.datagrams++;
		check_message(d, len, &from);
		if (ice_request_local_ufrag(d, len, ufrag) == 0)
			FZ_CHECK(ufrag[0] != '\0' && strchr(ufrag, ':') == NULL &&
				 strlen(ufrag) <= ICE_UFRAG_MAX, "local ufrag");
		check_tick(a, now);
		check_agent_input(a, d, len, &from, now, any_remote);
		free(d);
	}
	check_tick(a, now + ICE_CONSENT_MS);
	FZ_CHECK(valid_mask(a) == 0, "consent outlived 30 s of silence");
	ice_agent_free(a);
	return 0;
}

#ifdef SGW_LIBFUZZER
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (getenv("SGW_FUZZ_STATS") != NULL)
		atexit(fz_summary);
	return 0;
}
#endif
