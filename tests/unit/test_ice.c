/* SPDX-License-Identifier: BSD-3-Clause */
/* The ICE-lite agent (control/daemon/ice.c): credentials, what is
 * answered, refused (and counted), learned and selected, consent per
 * address, the connect deadline. Time is the test's own clock. */
#include <stdio.h>
#include <string.h>

#include "api/addr.h"
#include "control/daemon/ice.h"
#include "check.h"

#define T0 1000000ull

static const struct ice_creds local = { .ufrag = "Lufr", .pwd = "LocalPasswordOf24Chars+/" };
#define REMOTE_UFRAG "Rufrag"

static struct sgw_endpoint ep(const char *text)
{
	struct sgw_endpoint e;

	if (sgw_endpoint_parse(text, &e, false) != 0)
		fprintf(stderr, "bad endpoint in test: %s\n", text);
	return e;
}

static bool ep_eq(const struct sgw_endpoint *a, const struct sgw_endpoint *b)
{
	return a->port == b->port && sgw_addr_equal(&a->addr, &b->addr);
}

/* What a browser sends. */
struct req_opts {
	const char *username; /* NULL: "Lufr:Rufrag"; "": none */
	const char *pwd;      /* NULL: the local pwd; "": no MESSAGE-INTEGRITY */
	bool use_candidate;
	bool controlled;      /* ICE-CONTROLLED instead of ICE-CONTROLLING */
	bool no_role, no_priority;
	uint16_t extra_attr;  /* 0: none */
	enum stun_class cls;
};

static uint8_t txid_counter;

static size_t make_req(uint8_t *buf, const struct req_opts *o)
{
	const char *user = o->username != NULL ? o->username : "Lufr:" REMOTE_UFRAG;
	const char *pwd = o->pwd != NULL ? o->pwd : local.pwd;
	uint8_t txid[STUN_TXID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0 };
	struct stun_builder b;

	txid[11] = ++txid_counter;
	stun_build_init(&b, buf, STUN_MAX_LEN, STUN_METHOD_BINDING, o->cls, txid);
	if (user[0] != '\0')
		stun_add_attr(&b, STUN_ATTR_USERNAME, user, strlen(user));
	if (!o->no_priority)
		stun_add_u32(&b, STUN_ATTR_PRIORITY, 0x6e0001ff);
	if (!o->no_role)
		stun_add_u64(&b, o->controlled ? STUN_ATTR_ICE_CONTROLLED : STUN_ATTR_ICE_CONTROLLING,
			     0x1122334455667788ull);
	if (o->use_candidate)
		stun_add_attr(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	if (o->extra_attr != 0)
		stun_add_u32(&b, o->extra_attr, 0);
	if (pwd[0] != '\0')
		stun_add_integrity(&b, pwd, strlen(pwd));
	stun_add_fingerprint(&b);
	return stun_finish(&b);
}

struct result {
	struct ice_output out;
	uint8_t reply[ICE_REPLY_MAX];
	struct stun_msg m; /* the reply parsed, if any */
};

static void send_req(struct ice_agent *a, const struct req_opts *o, const char *from,
		     uint64_t now, struct result *r)
{
	uint8_t buf[STUN_MAX_LEN];
	struct sgw_endpoint src = ep(from);
	size_t n = make_req(buf, o);

	CHECK(n > 0);
	ice_agent_input(a, buf, n, &src, now, r->reply, &r->out);
	memset(&r->m, 0, sizeof(r->m));
	if (r->out.reply_len > 0)
		CHECK_EQ(stun_parse(&r->m, r->reply, r->out.reply_len), STUN_OK);
}

static struct ice_agent *agent(void)
{
	const char *err = NULL;
	struct ice_agent *a = ice_agent_new(&local, REMOTE_UFRAG, NULL, T0, &err);

	CHECK(a != NULL);
	return a;
}

static void credentials(void)
{
	struct ice_creds c1, c2;

	CHECK_EQ(ice_creds_generate(&c1), 0);
	CHECK_EQ(ice_creds_generate(&c2), 0);
	CHECK_EQ(strlen(c1.ufrag), ICE_UFRAG_LEN);
	CHECK_EQ(strlen(c1.pwd), ICE_PWD_LEN);
	CHECK(ice_chars_valid(c1.ufrag, 4, 256) && ice_chars_valid(c1.pwd, 22, 256));
	CHECK(strcmp(c1.pwd, c2.pwd) != 0 && strcmp(c1.ufrag, c2.ufrag) != 0);
	CHECK(ice_chars_valid("ab+/09", 4, 6));
	CHECK(!ice_chars_valid("ab+/09x", 4, 6));
	CHECK(!ice_chars_valid("abc", 4, 6));
	CHECK(!ice_chars_valid("ab:d", 4, 6));
	CHECK(!ice_chars_valid("ab d", 4, 6));
	CHECK(!ice_chars_valid("ab=d", 4, 6));
}

static void new_refuses_bad_credentials(void)
{
	struct ice_creds c = local;
	const char *err = NULL;

	strcpy(c.ufrag, "abc");
	CHECK(ice_agent_new(&c, NULL, NULL, T0, &err) == NULL && err != NULL);
	c = local;
	strcpy(c.pwd, "only21charsofpasswordX");
	c.pwd[21] = '\0';
	err = NULL;
	CHECK(ice_agent_new(&c, NULL, NULL, T0, &err) == NULL && err != NULL);
	c = local;
	strcpy(c.pwd, "has:colon-and-22-chars");
	CHECK(ice_agent_new(&c, NULL, NULL, T0, &err) == NULL);
	CHECK(ice_agent_new(&local, "a:b:", NULL, T0, &err) == NULL);
	ice_agent_free(NULL);
}

/* An authenticated check without USE-CANDIDATE: answered, learned, not selected. */
static void check_answered(void)
{
	struct ice_agent *a = agent();
	struct sgw_endpoint from = ep("198.51.100.7:54321"), sel;
	struct result r;

	send_req(a, &(struct req_opts){ 0 }, "198.51.100.7:54321", T0 + 10, &r);
	CHECK_EQ(r.out.refusal, ICE_ACCEPTED);
	CHECK(r.out.reply_len > 0);
	CHECK_EQ(r.m.cls, STUN_SUCCESS);
	CHECK_EQ(r.m.method, STUN_METHOD_BINDING);
	CHECK_EQ(r.m.txid[11], txid_counter);
	CHECK(r.m.has_xor_mapped && ep_eq(&r.m.xor_mapped, &from));
	CHECK(r.m.has_fingerprint);
	CHECK(stun_integrity_ok(&r.m, local.pwd, strlen(local.pwd)));
	CHECK(r.m.software == NULL);
	CHECK_EQ(r.out.n_events, 1);
	CHECK_EQ(r.out.events[0].type, ICE_EV_CHECK);
	CHECK(!r.out.events[0].nominated);
	CHECK(ep_eq(&r.out.events[0].addr, &from));
	CHECK(ice_agent_is_valid(a, &from));
	CHECK(!ice_agent_selected(a, &sel));
	CHECK_EQ(ice_agent_state(a), ICE_NEW);
	CHECK_EQ(ice_agent_counters(a)->answered, 1);
	CHECK_EQ(ice_agent_counters(a)->received, 1);
	ice_agent_free(a);
}

static void nomination_selects(void)
{
	struct ice_agent *a = agent();
	struct sgw_endpoint from = ep("[2001:db8::7]:40000"), sel;
	struct result r;

	send_req(a, &(struct req_opts){ .use_candidate = true }, "[2001:db8::7]:40000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_ACCEPTED);
	CHECK(r.m.has_xor_mapped && ep_eq(&r.m.xor_mapped, &from));
	CHECK_EQ(r.m.xor_mapped.addr.family, SGW_AF_INET6);
	CHECK_EQ(r.out.n_events, 2);
	CHECK(r.out.events[0].type == ICE_EV_CHECK && r.out.events[0].nominated);
	CHECK_EQ(r.out.events[1].type, ICE_EV_SELECTED);
	CHECK(ep_eq(&r.out.events[1].addr, &from));
	CHECK(ice_agent_selected(a, &sel) && ep_eq(&sel, &from));
	CHECK_EQ(ice_agent_state(a), ICE_CONNECTED);
	/* the same nomination again: a check, no change */
	send_req(a, &(struct req_opts){ .use_candidate = true }, "[2001:db8::7]:40000", T0 + 1, &r);
	CHECK_EQ(r.out.n_events, 1);
	CHECK_EQ(r.out.events[0].type, ICE_EV_CHECK);
	ice_agent_free(a);
}

/* Forged or misaddressed requests get nothing and teach nothing. */
static void silent_refusals(void)
{
	struct ice_agent *a = agent();
	struct sgw_endpoint from = ep("203.0.113.9:1000"), sel;
	struct result r;

	send_req(a, &(struct req_opts){ .pwd = "WrongPasswordOf24Chars++", .use_candidate = true },
		 "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_BAD_INTEGRITY);
	CHECK_EQ(r.out.reply_len, 0);
	CHECK_EQ(r.out.n_events, 0);
	send_req(a, &(struct req_opts){ .username = "Other:" REMOTE_UFRAG, .use_candidate = true },
		 "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_UNKNOWN_USERNAME);
	CHECK_EQ(r.out.reply_len, 0);
	send_req(a, &(struct req_opts){ .username = "Lufr:Someone", .use_candidate = true },
		 "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_UNKNOWN_USERNAME);
	send_req(a, &(struct req_opts){ .username = "Lufr" }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_UNKNOWN_USERNAME);
	send_req(a, &(struct req_opts){ .username = "Lufrx:" REMOTE_UFRAG }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_UNKNOWN_USERNAME);
	send_req(a, &(struct req_opts){ .username = "Lufr:" REMOTE_UFRAG "x" }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_UNKNOWN_USERNAME);
	CHECK_EQ(r.out.reply_len, 0);
	CHECK(!ice_agent_is_valid(a, &from));
	CHECK(!ice_agent_selected(a, &sel));
	CHECK_EQ(ice_agent_counters(a)->bad_integrity, 1);
	CHECK_EQ(ice_agent_counters(a)->unknown_username, 5);
	CHECK_EQ(ice_agent_counters(a)->answered, 0);
	ice_agent_free(a);
}

/* Without a remote ufrag any "<local>:<something>" is for us. */
static void any_remote_ufrag(void)
{
	const char *err;
	struct ice_agent *a = ice_agent_new(&local, "", NULL, T0, &err);
	struct result r;

	send_req(a, &(struct req_opts){ .username = "Lufr:whoever" }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_ACCEPTED);
	send_req(a, &(struct req_opts){ .username = "Lufr:" }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_UNKNOWN_USERNAME);
	ice_agent_free(a);
}

/* Errors RFC 8489 and RFC 8445 want answered. */
static void error_answers(void)
{
	struct ice_agent *a = agent();
	struct sgw_endpoint from = ep("203.0.113.9:1000");
	struct result r;

	/* no MESSAGE-INTEGRITY, no USERNAME: 400 without integrity */
	send_req(a, &(struct req_opts){ .pwd = "" }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_BAD_REQUEST);
	CHECK_EQ(r.m.cls, STUN_ERROR);
	CHECK_EQ(r.m.error_code, 400);
	CHECK_EQ(r.m.integrity_off, 0);
	send_req(a, &(struct req_opts){ .username = "" }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.m.error_code, 400);
	CHECK_EQ(r.m.integrity_off, 0);
	/* authenticated, ICE-CONTROLLED: 487 with integrity */
	send_req(a, &(struct req_opts){ .controlled = true, .use_candidate = true },
		 "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_ROLE_CONFLICT);
	CHECK_EQ(r.m.error_code, 487);
	CHECK(stun_integrity_ok(&r.m, local.pwd, strlen(local.pwd)));
	CHECK_EQ(r.out.n_events, 0);
	/* no PRIORITY, no role: 400 with integrity */
	send_req(a, &(struct req_opts){ .no_priority = true }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_BAD_REQUEST);
	CHECK_EQ(r.m.error_code, 400);
	CHECK(stun_integrity_ok(&r.m, local.pwd, strlen(local.pwd)));
	send_req(a, &(struct req_opts){ .no_role = true }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.m.error_code, 400);
	/* an unknown comprehension-required attribute: 420 naming it */
	send_req(a, &(struct req_opts){ .extra_attr = 0x0033 }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_UNKNOWN_ATTRIBUTE);
	CHECK_EQ(r.m.error_code, 420);
	CHECK(memmem(r.reply, r.out.reply_len, "\x00\x0a\x00\x02\x00\x33", 6) != NULL);
	CHECK(stun_integrity_ok(&r.m, local.pwd, strlen(local.pwd)));
	/* an unknown optional one is fine */
	send_req(a, &(struct req_opts){ .extra_attr = 0xC057 }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_ACCEPTED);
	/* none of the refused ones taught an address before the last */
	CHECK_EQ(ice_agent_counters(a)->bad_request, 4);
	CHECK_EQ(ice_agent_counters(a)->role_conflict, 1);
	CHECK_EQ(ice_agent_counters(a)->unknown_attribute, 1);
	CHECK(ice_agent_is_valid(a, &from));
	ice_agent_free(a);
}

static void not_requests_and_garbage(void)
{
	struct ice_agent *a = agent();
	struct sgw_endpoint from = ep("203.0.113.9:1000"), none = { 0 };
	uint8_t buf[STUN_MAX_LEN], reply[ICE_REPLY_MAX];
	struct ice_output out;
	struct result r;
	size_t n;

	send_req(a, &(struct req_opts){ .cls = STUN_INDICATION }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_NOT_REQUEST);
	CHECK_EQ(r.out.reply_len, 0);
	send_req(a, &(struct req_opts){ .cls = STUN_SUCCESS }, "203.0.113.9:1000", T0, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_NOT_REQUEST);
	memset(buf, 0x16, sizeof(buf));
	ice_agent_input(a, buf, 100, &from, T0, reply, &out);
	CHECK_EQ(out.refusal, ICE_REFUSED_MALFORMED);
	CHECK_EQ(out.reply_len, 0);
	/* a good request with its FINGERPRINT damaged */
	n = make_req(buf, &(struct req_opts){ .use_candidate = true });
	buf[n - 1] ^= 0xFF;
	ice_agent_input(a, buf, n, &from, T0, reply, &out);
	CHECK_EQ(out.refusal, ICE_REFUSED_MALFORMED);
	/* a good request from no address */
	buf[n - 1] ^= 0xFF;
	ice_agent_input(a, buf, n, &none, T0, reply, &out);
	CHECK_EQ(out.refusal, ICE_REFUSED_MALFORMED);
	for (size_t k = 0; k < n; k++) {
		ice_agent_input(a, buf, k, &from, T0, reply, &out);
		CHECK(out.refusal == ICE_REFUSED_MALFORMED && out.reply_len == 0);
	}
	CHECK_EQ(ice_agent_counters(a)->not_request, 2);
	CHECK_EQ(ice_agent_counters(a)->malformed, 3 + n);
	CHECK(!ice_agent_is_valid(a, &from));
	ice_agent_free(a);
}

/* The latest nominated valid pair is selected; consent is per address. */
static void selection_and_consent(void)
{
	struct ice_agent *a = agent();
	struct sgw_endpoint A = ep("198.51.100.1:5000"), B = ep("198.51.100.2:6000"), sel;
	struct ice_output out;
	struct result r;

	send_req(a, &(struct req_opts){ .use_candidate = true }, "198.51.100.1:5000", T0, &r);
	CHECK(ice_agent_selected(a, &sel) && ep_eq(&sel, &A));
	/* a check from B without nomination: valid, not selected */
	send_req(a, &(struct req_opts){ 0 }, "198.51.100.2:6000", T0 + 1000, &r);
	CHECK(ice_agent_is_valid(a, &B));
	CHECK(ice_agent_selected(a, &sel) && ep_eq(&sel, &A));
	/* B nominated: selected moves */
	send_req(a, &(struct req_opts){ .use_candidate = true }, "198.51.100.2:6000", T0 + 2000, &r);
	CHECK_EQ(r.out.n_events, 2);
	CHECK(r.out.events[1].type == ICE_EV_SELECTED && ep_eq(&r.out.events[1].addr, &B));
	CHECK(ice_agent_selected(a, &sel) && ep_eq(&sel, &B));
	CHECK(ice_agent_is_valid(a, &A));
	CHECK_EQ(ice_agent_next_timeout(a), T0 + ICE_CONSENT_MS);

	/* A's consent lapses 30 s after its last check; B's is fresher */
	ice_agent_tick(a, T0 + ICE_CONSENT_MS - 1, &out);
	CHECK_EQ(out.n_events, 0);
	ice_agent_tick(a, T0 + ICE_CONSENT_MS, &out);
	CHECK_EQ(out.n_events, 1);
	CHECK(out.events[0].type == ICE_EV_CONSENT_LAPSED && ep_eq(&out.events[0].addr, &A));
	CHECK(!ice_agent_is_valid(a, &A));
	CHECK(ice_agent_selected(a, &sel) && ep_eq(&sel, &B));
	CHECK_EQ(ice_agent_next_timeout(a), T0 + 2000 + ICE_CONSENT_MS);

	/* B keeps consent with checks (no nomination needed) */
	send_req(a, &(struct req_opts){ 0 }, "198.51.100.2:6000", T0 + 25000, &r);
	ice_agent_tick(a, T0 + 2000 + ICE_CONSENT_MS, &out);
	CHECK_EQ(out.n_events, 0);
	CHECK_EQ(ice_agent_state(a), ICE_CONNECTED);
	/* then stops: lapsed, nothing selected, media must stop */
	ice_agent_tick(a, T0 + 25000 + ICE_CONSENT_MS, &out);
	CHECK_EQ(out.n_events, 2);
	CHECK(out.events[0].type == ICE_EV_CONSENT_LAPSED && ep_eq(&out.events[0].addr, &B));
	CHECK(out.events[1].type == ICE_EV_SELECTED && out.events[1].addr.addr.family == SGW_AF_NONE);
	CHECK(!ice_agent_selected(a, &sel));
	CHECK_EQ(ice_agent_state(a), ICE_DISCONNECTED);
	CHECK_EQ(ice_agent_next_timeout(a), UINT64_MAX);
	CHECK_EQ(ice_agent_counters(a)->consent_lapsed, 2);

	/* a check without nomination does not select again; a nomination does */
	send_req(a, &(struct req_opts){ 0 }, "198.51.100.2:6000", T0 + 60000, &r);
	CHECK(!ice_agent_selected(a, &sel));
	send_req(a, &(struct req_opts){ .use_candidate = true }, "198.51.100.2:6000", T0 + 60001, &r);
	CHECK(ice_agent_selected(a, &sel) && ep_eq(&sel, &B));
	CHECK_EQ(ice_agent_state(a), ICE_CONNECTED);
	ice_agent_free(a);
}

/* A display left; its address now belongs to another household, which
 * sends (and may forge) STUN to the gateway: it never gets consent. */
static void moved_display_stops(void)
{
	struct ice_agent *a = agent();
	struct ice_output out;
	struct result r;
	struct sgw_endpoint sel;

	send_req(a, &(struct req_opts){ .use_candidate = true }, "192.0.2.44:7000", T0, &r);
	CHECK(ice_agent_selected(a, &sel));
	for (uint64_t t = T0 + 5000; t < T0 + 40000; t += 5000) {
		send_req(a, &(struct req_opts){ .pwd = "NeighboursGuessOf24Chars", .use_candidate = true },
			 "192.0.2.44:7000", t, &r);
		CHECK_EQ(r.out.reply_len, 0);
		ice_agent_tick(a, t, &out);
	}
	CHECK(!ice_agent_selected(a, &sel));
	CHECK_EQ(ice_agent_state(a), ICE_DISCONNECTED);
	CHECK_EQ(ice_agent_counters(a)->bad_integrity, 7);
	ice_agent_free(a);
}

static void connect_deadline(void)
{
	struct ice_config cfg = { .connect_ms = 5000, .consent_ms = 2000, .software = "srtpgw" };
	const char *err;
	struct ice_agent *a = ice_agent_new(&local, REMOTE_UFRAG, &cfg, T0, &err);
	struct ice_output out;
	struct result r;

	/* an unnominated check does not count as connected */
	send_req(a, &(struct req_opts){ 0 }, "192.0.2.44:7000", T0 + 100, &r);
	CHECK(r.m.software_len == 6 && memcmp(r.m.software, "srtpgw", 6) == 0);
	CHECK_EQ(ice_agent_next_timeout(a), T0 + 2100);
	ice_agent_tick(a, T0 + 2100, &out); /* its consent lapses first */
	CHECK_EQ(out.n_events, 1);
	CHECK_EQ(ice_agent_next_timeout(a), T0 + 5000);
	ice_agent_tick(a, T0 + 4999, &out);
	CHECK_EQ(out.n_events, 0);
	ice_agent_tick(a, T0 + 5000, &out);
	CHECK_EQ(out.n_events, 1);
	CHECK_EQ(out.events[0].type, ICE_EV_FAILED);
	CHECK_EQ(ice_agent_state(a), ICE_FAILED);
	CHECK_EQ(ice_agent_next_timeout(a), UINT64_MAX);
	/* failed is final */
	send_req(a, &(struct req_opts){ .use_candidate = true }, "192.0.2.44:7000", T0 + 6000, &r);
	CHECK_EQ(r.out.refusal, ICE_REFUSED_FAILED);
	CHECK_EQ(r.out.reply_len, 0);
	CHECK_EQ(ice_agent_counters(a)->after_failure, 1);
	ice_agent_tick(a, T0 + 7000, &out);
	CHECK_EQ(out.n_events, 0);
	ice_agent_free(a);
}

/* At most ICE_MAX_ADDRS addresses; the stalest unselected one goes. */
static void address_table_bounded(void)
{
	struct ice_agent *a = agent();
	struct sgw_endpoint sel, e, first = ep("10.0.0.1:1");
	struct result r;
	char text[64];

	send_req(a, &(struct req_opts){ .use_candidate = true }, "10.0.0.1:1", T0, &r);
	for (unsigned i = 2; i <= ICE_MAX_ADDRS + 3; i++) {
		snprintf(text, sizeof(text), "10.0.0.%u:%u", i, i);
		send_req(a, &(struct req_opts){ 0 }, text, T0 + i, &r);
		CHECK_EQ(r.out.refusal, ICE_ACCEPTED);
	}
	CHECK_EQ(ice_agent_counters(a)->evicted, 3);
	CHECK(ice_agent_selected(a, &sel) && ep_eq(&sel, &first));
	for (unsigned i = 2; i <= ICE_MAX_ADDRS + 3; i++) {
		snprintf(text, sizeof(text), "10.0.0.%u:%u", i, i);
		e = ep(text);
		CHECK_EQ(ice_agent_is_valid(a, &e), i > 4);
	}
	ice_agent_free(a);
}

static void local_ufrag_for_demux(void)
{
	uint8_t buf[STUN_MAX_LEN];
	char ufrag[ICE_UFRAG_MAX + 1];
	size_t n;

	n = make_req(buf, &(struct req_opts){ .username = "abcd:efgh" });
	CHECK_EQ(ice_request_local_ufrag(buf, n, ufrag), 0);
	CHECK(strcmp(ufrag, "abcd") == 0);
	n = make_req(buf, &(struct req_opts){ .username = ":efgh" });
	CHECK_EQ(ice_request_local_ufrag(buf, n, ufrag), -1);
	n = make_req(buf, &(struct req_opts){ .username = "abcdefgh" });
	CHECK_EQ(ice_request_local_ufrag(buf, n, ufrag), -1);
	n = make_req(buf, &(struct req_opts){ .username = "" });
	CHECK_EQ(ice_request_local_ufrag(buf, n, ufrag), -1);
	n = make_req(buf, &(struct req_opts){ .username = "abcd:efgh", .cls = STUN_INDICATION });
	CHECK_EQ(ice_request_local_ufrag(buf, n, ufrag), -1);
	CHECK_EQ(ice_request_local_ufrag(buf, 10, ufrag), -1);
	{
		struct ice_agent *a = agent();

		CHECK(strcmp(ice_agent_local_ufrag(a), "Lufr") == 0);
		ice_agent_free(a);
	}
	CHECK(strcmp(ice_state_name(ICE_CONNECTED), "connected") == 0);
	CHECK(strcmp(ice_refusal_name(ICE_REFUSED_BAD_INTEGRITY), "bad integrity") == 0);
	CHECK(strcmp(ice_event_name(ICE_EV_CONSENT_LAPSED), "consent-lapsed") == 0);
}

int main(void)
{
	RUN(credentials);
	RUN(new_refuses_bad_credentials);
	RUN(check_answered);
	RUN(nomination_selects);
	RUN(silent_refusals);
	RUN(any_remote_ufrag);
	RUN(error_answers);
	RUN(not_requests_and_garbage);
	RUN(selection_and_consent);
	RUN(moved_display_stops);
	RUN(connect_deadline);
	RUN(address_table_bounded);
	RUN(local_ufrag_for_demux);
	return CHECK_DONE();
}
