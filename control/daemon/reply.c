/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One request line to one reply line, with no secret left in freed
 * memory: requests may carry SRTP keys and tokens, replies a generated
 * key or a new token.
 *
 * What json-c holds of them, and how it is cleansed:
 * - the parser accumulates each string in its own buffer: grown before
 *   parsing so that it is not reallocated under a key, zeroed before the
 *   parser is freed; a line that does not parse leaves the objects built
 *   so far on the parser's stack: every string in them is zeroed;
 * - the parsed request's and the reply's string objects: zeroed in place
 *   (json_object_get_string points at the object's own copy) before the
 *   objects are freed;
 * - the serialised reply: json-c writes it into a buffer of the reply
 *   object that doubles as it fills, freeing each smaller copy. So the
 *   reply is serialised once with every secret replaced by as many 'x's
 *   (the buffer reaches its final size holding no secret), then again
 *   with the secrets, into that same buffer, which no longer grows; it is
 *   copied out and zeroed. NOSLASHESCAPE: no character of a key, SDP line
 *   or token is escaped, so both passes have the same length.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/printbuf.h>
#include <openssl/crypto.h>

#include "control/daemon/auth.h"
#include "control/daemon/daemon.h"

#define SERIALISE (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define MAX_SECRETS 8       /* per reply: key, sdp or token at its top */
#define PARSE_BUF 4096      /* the parser's string buffer, grown up front */

static bool secret_name(const char *name)
{
	return strcmp(name, "key") == 0 || strcmp(name, "sdp") == 0 || strcmp(name, "token") == 0;
}

/* Calls fn on every string member named key, sdp or token below o. */
static void each_secret(struct json_object *o, void (*fn)(char *s, size_t n, void *arg), void *arg)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			each_secret(json_object_array_get_idx(o, i), fn, arg);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, name, v) {
		if (secret_name(name) && json_object_is_type(v, json_type_string))
			fn((char *)json_object_get_string(v), (size_t)json_object_get_string_len(v), arg);
		else
			each_secret(v, fn, arg);
	}
}

static void zero(char *s, size_t n, void *arg)
{
	(void)arg;
	OPENSSL_cleanse(s, n);
}

void ctl_json_cleanse_secrets(struct json_object *o)
{
	each_secret(o, zero, NULL);
}

struct saved {
	char *at[MAX_SECRETS];
	char *copy[MAX_SECRETS];
	size_t len[MAX_SECRETS];
	unsigned n;
	bool full;
};

/* Keeps a copy of the secret and writes 'x's over it. */
static void mask(char *s, size_t n, void *arg)
{
	struct saved *sv = arg;
	char *copy;

	if (sv->n == MAX_SECRETS || (copy = malloc(n + 1)) == NULL) {
		sv->full = true;
		return;
	}
	memcpy(copy, s, n);
	memset(s, 'x', n);
	sv->at[sv->n] = s;
	sv->copy[sv->n] = copy;
	sv->len[sv->n++] = n;
}

/* The reply object as one line ('\n' included) in a new buffer. */
static char *serialise(struct json_object *reply, size_t *len)
{
	struct saved sv = { .n = 0 };
	const char *s;
	char *line = NULL;
	size_t n = 0, n2 = 0;

	each_secret(reply, mask, &sv);
	s = json_object_to_json_string_length(reply, SERIALISE, &n);
	for (unsigned i = 0; i < sv.n; i++) {
		memcpy(sv.at[i], sv.copy[i], sv.len[i]);
		OPENSSL_cleanse(sv.copy[i], sv.len[i]);
		free(sv.copy[i]);
	}
	if (s != NULL)
		s = json_object_to_json_string_length(reply, SERIALISE, &n2);
	if (s != NULL && !sv.full && n2 == n && (line = malloc(n2 + 1)) != NULL) {
		memcpy(line, s, n2);
		line[n2] = '\n';
		*len = n2 + 1;
	}
	if (s != NULL)
		OPENSSL_cleanse((char *)s, n2);
	return line;
}

static void zero_strings(struct json_object *o)
{
	if (json_object_is_type(o, json_type_string)) {
		OPENSSL_cleanse((char *)json_object_get_string(o), (size_t)json_object_get_string_len(o));
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			zero_strings(json_object_array_get_idx(o, i));
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, name, v) {
			(void)name;
			zero_strings(v);
		}
	}
}

/* json-c's parser state is public (json_tokener.h) but documented as
 * internal; reading its buffer and stack is the only way to cleanse
 * them. */
static void tokener_cleanse(struct json_tokener *tok, bool failed)
{
	for (int i = 0; failed && i <= tok->depth && i < tok->max_depth; i++) {
		zero_strings(tok->stack[i].current);
		zero_strings(tok->stack[i].obj);
	}
	OPENSSL_cleanse(tok->pb->buf, (size_t)tok->pb->size);
}

static struct json_object *protocol_error(const char *msg)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "ok", json_object_new_boolean(0));
	json_object_object_add(e, "error", json_object_new_string(msg));
	json_object_object_add(e, "code", json_object_new_string("EPROTO"));
	return e;
}

char *ctl_reply_line(struct ctl_daemon *d, const struct ctl_peer *peer, const char *line, size_t len,
		     size_t *reply_len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *reply;
	bool parsed;
	char *out;

	if (tok == NULL)
		return NULL;
	/* grown once, before any key passes through it */
	printbuf_memset(tok->pb, 0, 0, PARSE_BUF);
	printbuf_reset(tok->pb);
	req = json_tokener_parse_ex(tok, line, (int)len);
	parsed = req != NULL && json_tokener_get_error(tok) == json_tokener_success &&
		 json_tokener_get_parse_end(tok) == len;
	if (!parsed)
		reply = protocol_error("a request is one JSON object on one line");
	else
		reply = ctl_handle_as(d, peer, req);
	tokener_cleanse(tok, req == NULL);
	json_tokener_free(tok);
	if (!parsed)
		zero_strings(req);
	ctl_json_cleanse_secrets(req);
	json_object_put(req);
	out = serialise(reply, reply_len);
	/* what served its purpose: the key, SDP line or token of the reply */
	ctl_json_cleanse_secrets(reply);
	json_object_put(reply);
	return out;
}

void ctl_reply_free(char *reply, size_t len)
{
	if (reply == NULL)
		return;
	OPENSSL_cleanse(reply, len);
	free(reply);
}
