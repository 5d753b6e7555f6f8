/* SPDX-License-Identifier: BSD-3-Clause */
/* ICE-lite agent of one session (ice.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "api/addr.h"
#include "control/daemon/ice.h"

/* One address that passed an authenticated check. */
struct ice_addr {
	struct sgw_endpoint ep;
	uint64_t last_ok_ms; /* the latest authenticated check from it */
};

struct ice_agent {
	char local_ufrag[ICE_UFRAG_MAX + 1];
	char local_pwd[ICE_PWD_MAX + 1]; /* the short-term credential's key */
	size_t local_ufrag_len, local_pwd_len;
	char remote_ufrag[ICE_UFRAG_MAX + 1]; /* "": any */
	uint32_t consent_ms, connect_ms;
	const char *software;
	enum ice_state state;
	uint64_t created_ms;
	struct ice_addr addrs[ICE_MAX_ADDRS];
	unsigned n_addrs;
	int selected; /* index in addrs, -1: none */
	struct ice_counters counters;
};

/* RFC 8839 5.4: ice-char = ALPHA / DIGIT / "+" / "/" */
static const char ice_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool is_ice_char(char c)
{
	return c != '\0' && strchr(ice_chars, c) != NULL;
}

bool ice_chars_valid(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (n >= max || !is_ice_char(s[n]))
			return false;
	return n >= min;
}

static int random_chars(char *out, size_t n)
{
	uint8_t r[ICE_PWD_LEN];

	/* 64 ice-chars: a byte's low 6 bits pick one without bias */
	if (n > sizeof(r) || RAND_bytes(r, (int)n) != 1)
		return -EIO;
	for (size_t i = 0; i < n; i++)
		out[i] = ice_chars[r[i] & 63];
	out[n] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

int ice_creds_generate(struct ice_creds *c)
{
	memset(c, 0, sizeof(*c));
	if (random_chars(c->ufrag, ICE_UFRAG_LEN) != 0 || random_chars(c->pwd, ICE_PWD_LEN) != 0) {
		OPENSSL_cleanse(c, sizeof(*c));
		return -EIO;
	}
	return 0;
}

struct ice_agent *ice_agent_new(const struct ice_creds *local, const char *remote_ufrag,
				const struct ice_config *cfg, uint64_t now_ms, const char **err)
{
	struct ice_agent *a;

	if (!ice_chars_valid(local->ufrag, ICE_UFRAG_MIN, ICE_UFRAG_MAX)) {
		*err = "local ice-ufrag must be 4 to 256 ice-chars";
		return NULL;
	}
	if (!ice_chars_valid(local->pwd, ICE_PWD_MIN, ICE_PWD_MAX)) {
		*err = "local ice-pwd must be 22 to 256 ice-chars";
		return NULL;
	}
	if (remote_ufrag != NULL && remote_ufrag[0] != '\0' &&
	    !ice_chars_valid(remote_ufrag, ICE_UFRAG_MIN, ICE_UFRAG_MAX)) {
		*err = "remote ice-ufrag must be 4 to 256 ice-chars";
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		*err = "out of memory";
		return NULL;
	}
	strcpy(a->local_ufrag, local->ufrag);
	strcpy(a->local_pwd, local->pwd);
	a->local_ufrag_len = strlen(a->local_ufrag);
	a->local_pwd_len = strlen(a->local_pwd);
	if (remote_ufrag != NULL)
		strcpy(a->remote_ufrag, remote_ufrag);
	a->consent_ms = cfg != NULL && cfg->consent_ms != 0 ? cfg->consent_ms : ICE_CONSENT_MS;
	a->connect_ms = cfg != NULL && cfg->connect_ms != 0 ? cfg->connect_ms : ICE_CONNECT_MS;
	a->software = cfg != NULL ? cfg->software : NULL;
	a->state = ICE_NEW;
	a->created_ms = now_ms;
	a->selected = -1;
	return a;
}

void ice_agent_free(struct ice_agent *a)
{
	if (a == NULL)
		return;
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

static void emit(struct ice_output *out, enum ice_event_type type, const struct sgw_endpoint *ep,
		 bool nominated)
{
	struct ice_event *ev;

	if (out->n_events >= ICE_MAX_EVENTS)
		return; /* cannot happen: ICE_MAX_EVENTS covers the worst call */
	ev = &out->events[out->n_events++];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->nominated = nominated;
	if (ep != NULL)
		ev->addr = *ep;
}

static bool ep_equal(const struct sgw_endpoint *a, const struct sgw_endpoint *b)
{
	return a->port == b->port && sgw_addr_equal(&a->addr, &b->addr);
}

static int find_addr(const struct ice_agent *a, const struct sgw_endpoint *ep)
{
	for (unsigned i = 0; i < a->n_addrs; i++)
		if (ep_equal(&a->addrs[i].ep, ep))
			return (int)i;
	return -1;
}

static void remove_addr(struct ice_agent *a, unsigned i)
{
	a->n_addrs--;
	if (a->selected == (int)a->n_addrs)
		a->selected = (int)i; /* the last one moves into slot i */
	a->addrs[i] = a->addrs[a->n_addrs];
}

/* The slot of ep, made if new: when full, the least recently checked
 * address that is not selected is forgotten. */
static int learn_addr(struct ice_agent *a, const struct sgw_endpoint *ep)
{
	int i = find_addr(a, ep);
	int victim = -1;

	if (i >= 0)
		return i;
	if (a->n_addrs == ICE_MAX_ADDRS) {
		for (unsigned k = 0; k < a->n_addrs; k++)
			if ((int)k != a->selected &&
			    (victim < 0 || a->addrs[k].last_ok_ms < a->addrs[victim].last_ok_ms))
				victim = (int)k;
		remove_addr(a, (unsigned)victim);
		a->counters.evicted++;
	}
	a->addrs[a->n_addrs].ep = *ep;
	return (int)a->n_addrs++;
}

/* USERNAME is "<local ufrag>:<remote ufrag>" (RFC 8445 7.2.2). */
static bool username_ok(const struct ice_agent *a, const struct stun_msg *m)
{
	size_t ll = a->local_ufrag_len, rl = strlen(a->remote_ufrag);

	if (m->username_len <= ll || memcmp(m->username, a->local_ufrag, ll) != 0 ||
	    m->username[ll] != ':')
		return false;
	if (rl == 0)
		return m->username_len > ll + 1;
	return m->username_len == ll + 1 + rl && memcmp(m->username + ll + 1, a->remote_ufrag, rl) == 0;
}

/* Checks m (parsed) from `from`; a reply to send in reply (out->reply_len)
 * and why the request was not accepted. */
static enum ice_refusal check_request(struct ice_agent *a, const struct stun_msg *m,
				      const struct sgw_endpoint *from, uint8_t *reply,
				      struct ice_output *out)
{
	if (m->method != STUN_METHOD_BINDING || m->cls != STUN_REQUEST)
		return ICE_REFUSED_NOT_REQUEST;
	/* unauthenticated: RFC 8489 9.1.3 wants 400, without integrity */
	if (m->username == NULL || m->integrity_off == 0) {
		out->reply_len = stun_binding_error(reply, ICE_REPLY_MAX, m, 400, NULL, 0);
		return ICE_REFUSED_BAD_REQUEST;
	}
	/* not for us, or forged: silence (no oracle, nothing to reflect) */
	if (!username_ok(a, m))
		return ICE_REFUSED_UNKNOWN_USERNAME;
	if (!stun_integrity_ok(m, a->local_pwd, a->local_pwd_len))
		return ICE_REFUSED_BAD_INTEGRITY;

	/* authenticated from here: errors carry MESSAGE-INTEGRITY */
	if (m->n_unknown > 0) {
		out->reply_len = stun_binding_error(reply, ICE_REPLY_MAX, m, 420, a->local_pwd,
						    a->local_pwd_len);
		return ICE_REFUSED_UNKNOWN_ATTRIBUTE;
	}
	if (!m->has_priority || (!m->has_controlling && !m->has_controlled)) {
		out->reply_len = stun_binding_error(reply, ICE_REPLY_MAX, m, 400, a->local_pwd,
						    a->local_pwd_len);
		return ICE_REFUSED_BAD_REQUEST;
	}
	/* a lite agent is always controlled (RFC 8445 6.1.1, 7.3.1.1) */
	if (m->has_controlled) {
		out->reply_len = stun_binding_error(reply, ICE_REPLY_MAX, m, 487, a->local_pwd,
						    a->local_pwd_len);
		return ICE_REFUSED_ROLE_CONFLICT;
	}
	out->reply_len = stun_binding_success(reply, ICE_REPLY_MAX, m, from, a->local_pwd,
					      a->local_pwd_len, a->software);
	/* only a SOFTWARE too long for the reply fails */
	return out->reply_len > 0 ? ICE_ACCEPTED : ICE_REFUSED_MALFORMED;
}

static uint64_t *refusal_counter(struct ice_counters *c, enum ice_refusal r)
{
	switch (r) {
	case ICE_ACCEPTED:
		return &c->answered;
	case ICE_REFUSED_MALFORMED:
		return &c->malformed;
	case ICE_REFUSED_NOT_REQUEST:
		return &c->not_request;
	case ICE_REFUSED_BAD_REQUEST:
		return &c->bad_request;
	case ICE_REFUSED_UNKNOWN_USERNAME:
		return &c->unknown_username;
	case ICE_REFUSED_BAD_INTEGRITY:
		return &c->bad_integrity;
	case ICE_REFUSED_UNKNOWN_ATTRIBUTE:
		return &c->unknown_attribute;
	case ICE_REFUSED_ROLE_CONFLICT:
		return &c->role_conflict;
	case ICE_REFUSED_FAILED:
		break;
	}
	return &c->after_failure;
}

void ice_agent_input(struct ice_agent *a, const uint8_t *dgram, size_t len,
		     const struct sgw_endpoint *from, uint64_t now_ms, uint8_t *reply,
		     struct ice_output *out)
{
	struct stun_msg m;
	int i;

	memset(out, 0, sizeof(*out));
	a->counters.received++;
	if (a->state == ICE_FAILED)
		out->refusal = ICE_REFUSED_FAILED;
	else if (stun_parse(&m, dgram, len) != STUN_OK ||
		 (from->addr.family != SGW_AF_INET && from->addr.family != SGW_AF_INET6))
		out->refusal = ICE_REFUSED_MALFORMED;
	else
		out->refusal = check_request(a, &m, from, reply, out);
	(*refusal_counter(&a->counters, out->refusal))++;
	if (out->refusal != ICE_ACCEPTED)
		return;

	i = learn_addr(a, from);
	a->addrs[i].last_ok_ms = now_ms;
	emit(out, ICE_EV_CHECK, from, m.use_candidate);
	if (m.use_candidate && a->selected != i) {
		a->selected = i;
		a->state = ICE_CONNECTED;
		emit(out, ICE_EV_SELECTED, from, true);
	}
}

void ice_agent_tick(struct ice_agent *a, uint64_t now_ms, struct ice_output *out)
{
	memset(out, 0, sizeof(*out));
	if (a->state == ICE_FAILED)
		return;
	if (a->state == ICE_NEW && now_ms >= a->created_ms &&
	    now_ms - a->created_ms >= a->connect_ms) {
		a->state = ICE_FAILED;
		a->n_addrs = 0;
		emit(out, ICE_EV_FAILED, NULL, false);
		return;
	}
	for (unsigned i = 0; i < a->n_addrs;) {
		struct ice_addr ad = a->addrs[i];

		if (now_ms < ad.last_ok_ms || now_ms - ad.last_ok_ms < a->consent_ms) {
			i++;
			continue;
		}
		a->counters.consent_lapsed++;
		emit(out, ICE_EV_CONSENT_LAPSED, &ad.ep, false);
		if (a->selected == (int)i) {
			a->selected = -1;
			a->state = ICE_DISCONNECTED;
			emit(out, ICE_EV_SELECTED, NULL, false);
		}
		remove_addr(a, i); /* slot i now holds another address: look again */
	}
}

uint64_t ice_agent_next_timeout(const struct ice_agent *a)
{
	uint64_t t = UINT64_MAX;

	if (a->state == ICE_FAILED)
		return t;
	if (a->state == ICE_NEW)
		t = a->created_ms + a->connect_ms;
	for (unsigned i = 0; i < a->n_addrs; i++)
		if (a->addrs[i].last_ok_ms + a->consent_ms < t)
			t = a->addrs[i].last_ok_ms + a->consent_ms;
	return t;
}

enum ice_state ice_agent_state(const struct ice_agent *a)
{
	return a->state;
}

bool ice_agent_selected(const struct ice_agent *a, struct sgw_endpoint *out)
{
	if (a->selected < 0)
		return false;
	*out = a->addrs[a->selected].ep;
	return true;
}

bool ice_agent_is_valid(const struct ice_agent *a, const struct sgw_endpoint *addr)
{
	return find_addr(a, addr) >= 0;
}

const struct ice_counters *ice_agent_counters(const struct ice_agent *a)
{
	return &a->counters;
}

const char *ice_agent_local_ufrag(const struct ice_agent *a)
{
	return a->local_ufrag;
}

int ice_request_local_ufrag(const uint8_t *dgram, size_t len, char *ufrag)
{
	struct stun_msg m;
	const uint8_t *colon;
	size_t n;

	if (stun_parse(&m, dgram, len) != STUN_OK || m.method != STUN_METHOD_BINDING ||
	    m.cls != STUN_REQUEST || m.username == NULL)
		return -1;
	colon = memchr(m.username, ':', m.username_len);
	if (colon == NULL)
		return -1;
	n = (size_t)(colon - m.username);
	if (n == 0 || n > ICE_UFRAG_MAX || memchr(m.username, '\0', n) != NULL)
		return -1;
	memcpy(ufrag, m.username, n);
	ufrag[n] = '\0';
	return 0;
}

const char *ice_state_name(enum ice_state s)
{
	switch (s) {
	case ICE_NEW:
		return "new";
	case ICE_CONNECTED:
		return "connected";
	case ICE_DISCONNECTED:
		return "disconnected";
	case ICE_FAILED:
		return "failed";
	}
	return "?";
}

const char *ice_refusal_name(enum ice_refusal r)
{
	switch (r) {
	case ICE_ACCEPTED:
		return "accepted";
	case ICE_REFUSED_MALFORMED:
		return "malformed";
	case ICE_REFUSED_NOT_REQUEST:
		return "not a binding request";
	case ICE_REFUSED_BAD_REQUEST:
		return "bad request";
	case ICE_REFUSED_UNKNOWN_USERNAME:
		return "unknown username";
	case ICE_REFUSED_BAD_INTEGRITY:
		return "bad integrity";
	case ICE_REFUSED_UNKNOWN_ATTRIBUTE:
		return "unknown attribute";
	case ICE_REFUSED_ROLE_CONFLICT:
		return "role conflict";
	case ICE_REFUSED_FAILED:
		return "agent failed";
	}
	return "?";
}

const char *ice_event_name(enum ice_event_type t)
{
	switch (t) {
	case ICE_EV_CHECK:
		return "check";
	case ICE_EV_SELECTED:
		return "selected";
	case ICE_EV_CONSENT_LAPSED:
		return "consent-lapsed";
	case ICE_EV_FAILED:
		return "failed";
	}
	return "?";
}
