/* SPDX-License-Identifier: BSD-3-Clause */
/* The op language of srtpgw-agentctl apply: see api/ops_text.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api/addr.h"
#include "api/ops_text.h"
#include "api/suite.h"

#define MAX_TOKENS 16

/* Length of the name part of a token (up to '='), at most 63. */
static int name_len(const char *tok)
{
	size_t n = strcspn(tok, "=");

	return n > 63 ? 63 : (int)n;
}

struct line {
	char *tok[MAX_TOKENS];
	int n;
	struct sgw_ops_text_err *err;
};

static int fail(const struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err->msg, sizeof(l->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* value of key=VALUE, or NULL */
static const char *opt_val(const struct line *l, const char *key)
{
	size_t n = strlen(key);

	for (int i = 0; i < l->n; i++)
		if (strncmp(l->tok[i], key, n) == 0 && l->tok[i][n] == '=')
			return l->tok[i] + n + 1;
	return NULL;
}

static bool has_flag(const struct line *l, const char *flag)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->tok[i], flag) == 0)
			return true;
	return false;
}

/* Every token after the fixed ones must be known. */
static int check_keys(const struct line *l, int fixed, const char *const *known)
{
	for (int i = fixed; i < l->n; i++) {
		bool ok = false;
		for (int k = 0; known[k] && !ok; k++) {
			size_t n = strlen(known[k]);
			ok = strncmp(l->tok[i], known[k], n) == 0 &&
			     (l->tok[i][n] == '=' || (l->tok[i][n] == '\0' && known[k][n - 1] != '='));
		}
		if (!ok) /* the name only: the value may be a key */
			return fail(l, "unknown argument \"%.*s\"", name_len(l->tok[i]), l->tok[i]);
	}
	return 0;
}

static int num(const struct line *l, const char *s, const char *what, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL)
		return fail(l, "%s missing", what);
	/* strtoull takes a sign and wraps "-3": digits only */
	if (*s < '0' || *s > '9')
		return fail(l, "%s must be a positive integer", what);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		return fail(l, "%s must be a positive integer", what);
	*out = v;
	return 0;
}

static int num32(const struct line *l, const char *s, const char *what, uint32_t *out)
{
	uint64_t v;

	if (num(l, s, what, &v) != 0)
		return -1;
	if (v > UINT32_MAX)
		return fail(l, "%s must be at most %u", what, UINT32_MAX);
	*out = (uint32_t)v;
	return 0;
}

static int id_at(const struct line *l, int i, const char *what, uint64_t *out)
{
	return num(l, i < l->n ? l->tok[i] : NULL, what, out);
}

static int endpoint(const struct line *l, const char *key, struct sgw_endpoint *e, bool port_optional)
{
	const char *v = opt_val(l, key);

	if (v == NULL)
		return fail(l, "%s= missing", key);
	if (sgw_endpoint_parse(v, e, port_optional) != 0)
		return fail(l, "%s: bad address", key);
	return 0;
}

static int digits(const char *s, const char *end, int base, uint64_t max, uint64_t *out);

/* B64 of a key||salt of suite s, the value of name= */
static int key_b64(const struct line *l, const char *name, const char *b64, enum sgw_suite s,
		   struct sgw_key *k)
{
	uint8_t buf[SGW_KEY_MAX + 3];
	size_t blen = strlen(b64);
	int n;

	if (blen == 0 || blen % 4 != 0 || blen > 4 * ((SGW_KEY_MAX + 2) / 3))
		return fail(l, "%s: not base64 of a key||salt", name);
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)blen);
	if (n < 0)
		return fail(l, "%s: not base64", name);
	n -= (b64[blen - 1] == '=') + (b64[blen - 2] == '=');
	if ((unsigned)n != sgw_suite_master_len(s)) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return fail(l, "%s: %s needs %u bytes of key and salt", name, sgw_suite_info(s)->name,
			    sgw_suite_master_len(s));
	}
	k->suite = (uint8_t)s;
	k->len = (uint8_t)n;
	memcpy(k->material, buf, (size_t)n);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* suite=NAME key=B64, or plain */
static int key_of(const struct line *l, struct sgw_key *k, bool allow_plain)
{
	const char *suite = opt_val(l, "suite"), *b64 = opt_val(l, "key");
	enum sgw_suite s;

	memset(k, 0, sizeof(*k));
	if (has_flag(l, "plain")) {
		if (!allow_plain || suite || b64)
			return fail(l, "%s", allow_plain ? "plain excludes suite= and key="
							 : "plain not allowed here");
		k->suite = SGW_SUITE_PLAIN;
		return 0;
	}
	if (suite == NULL || b64 == NULL)
		return fail(l, "suite= and key= (or plain) needed");
	if (sgw_suite_by_name(suite, &s) != 0 || s == SGW_SUITE_PLAIN)
		return fail(l, "unknown suite %.40s", suite);
	return key_b64(l, "key", b64, s, k);
}

/* pt=IN:OUT[,IN:OUT...], payload types below 128 */
static int pt_map_of(const struct line *l, struct sgw_viewer_port *vp)
{
	const char *v = opt_val(l, "pt");
	uint64_t in, out;

	if (v == NULL)
		return 0;
	for (;;) {
		const char *colon = strchr(v, ':'), *end = v + strcspn(v, ",");
		if (vp->n_pt == SGW_MAX_PT_MAP || colon == NULL || colon > end ||
		    digits(v, colon, 10, 127, &in) || digits(colon + 1, end, 10, 127, &out))
			return fail(l, "pt= must be IN:OUT[,IN:OUT...] (payload types 0-127, at most %d)",
				    SGW_MAX_PT_MAP);
		vp->pt_in[vp->n_pt] = (uint8_t)in;
		vp->pt_out[vp->n_pt++] = (uint8_t)out;
		if (*end == '\0')
			return 0;
		v = end + 1;
	}
}

/* A viewer's port of its own: port=N, punt, pt=..., rtcp-key=B64 (its
 * SRTCP in, of the viewer's suite), nack (its NACKs answered); camera: the
 * stream's feedback leg */
static int viewer_port_of(const struct line *l, const struct sgw_key *key, struct sgw_viewer_port *vp)
{
	const char *port = opt_val(l, "port"), *rk = opt_val(l, "rtcp-key");
	uint64_t n;

	memset(vp, 0, sizeof(*vp));
	if (port != NULL) {
		if (digits(port, port + strlen(port), 10, 65535, &n) || n == 0)
			return fail(l, "port= must be 1-65535");
		vp->local_port = (uint16_t)n;
	}
	if (has_flag(l, "punt"))
		vp->flags |= SGW_VIEWER_PUNT;
	if (has_flag(l, "camera"))
		vp->flags |= SGW_VIEWER_FEEDBACK;
	if (has_flag(l, "nack"))
		vp->flags |= SGW_VIEWER_NACK;
	if (((vp->flags & (SGW_VIEWER_PUNT | SGW_VIEWER_NACK)) || rk != NULL) && vp->local_port == 0)
		return fail(l, "punt, nack and rtcp-key= need port=");
	if (rk != NULL) {
		if (key->suite == SGW_SUITE_PLAIN)
			return fail(l, "rtcp-key= needs suite= and key=");
		if (key_b64(l, "rtcp-key", rk, (enum sgw_suite)key->suite, &vp->rtcp_key))
			return -1;
	}
	return pt_map_of(l, vp);
}

/* to=ADDR:PORT, or to=none (a paused viewer) */
static int dest_of(const struct line *l, struct sgw_endpoint *e)
{
	const char *v = opt_val(l, "to");

	if (v != NULL && strcmp(v, "none") == 0) {
		memset(e, 0, sizeof(*e));
		return 0;
	}
	return endpoint(l, "to", e, false);
}
/* Unsigned digits of base (10 or 16), at most max; 0 allowed. */
static int digits(const char *s, const char *end, int base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == end || end - s > 10)
		return -1;
	for (; s < end; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 :
			base == 16 && *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* ADDRESS or ADDRESS/PREFIX (default: the host prefix, 32 or 128) */
static int addr_prefix_of(const char *s, struct sgw_op_addr *b)
{
	char buf[SGW_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t plen;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sgw_addr_parse(buf, &b->ip) != 0)
		return -1;
	plen = b->ip.family == SGW_AF_INET ? 32 : 128;
	if (slash != NULL && digits(slash + 1, slash + 1 + strlen(slash + 1), 10, plen, &plen))
		return -1;
	b->prefix_len = (uint8_t)plen;
	return 0;
}

/* resume=SSRC/ROC/SEQ (SSRC in hex, as `stats` prints positions) */
static int position_of(const struct line *l, struct sgw_pos *p)
{
	const char *v = opt_val(l, "resume"), *a, *b;
	uint64_t ssrc, roc, seq;

	memset(p, 0, sizeof(*p));
	if (v == NULL)
		return 0;
	a = strchr(v, '/');
	b = a ? strchr(a + 1, '/') : NULL;
	if (a == NULL || b == NULL || digits(v, a, 16, UINT32_MAX, &ssrc) ||
	    digits(a + 1, b, 10, UINT32_MAX, &roc) || digits(b + 1, b + 1 + strlen(b + 1), 10, 65535, &seq))
		return fail(l, "resume= must be SSRC/ROC/SEQ (SSRC in hex, ROC below 2^32, SEQ below 65536)");
	*p = (struct sgw_pos){ .ssrc = (uint32_t)ssrc, .roc = (uint32_t)roc, .seq = (uint16_t)seq,
			       .flags = SGW_POS_VALID };
	return 0;
}

/* lanes=SSRC[,SSRC...] (hex): egress lanes with the whole index space
 * reserved, from index 1 (tools and benches; srtpgw-control reserves) */
static int lanes_of(const struct line *l, struct sgw_lanes *out)
{
	const char *v = opt_val(l, "lanes");

	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return 0;
	while (*v != '\0') {
		const char *end = strchr(v, ',');
		uint64_t ssrc;

		if (end == NULL)
			end = v + strlen(v);
		if (out->n == SGW_MAX_LANES || digits(v, end, 16, UINT32_MAX, &ssrc))
			return fail(l, "lanes= must be 1 to 8 SSRCs in hex, separated by commas");
		for (uint32_t i = 0; i < out->n; i++)
			if (out->lane[i].ssrc == (uint32_t)ssrc)
				return fail(l, "lanes= names an SSRC twice");
		out->lane[out->n++] = (struct sgw_lane_res){ .ssrc = (uint32_t)ssrc, .next = 1,
							     .limit = (1ull << 48) - 1, .rtcp_next = 1,
							     .rtcp_limit = 0x7fffffffu };
		v = *end == ',' ? end + 1 : end;
	}
	if (out->n == 0)
		return fail(l, "lanes= must be 1 to 8 SSRCs in hex, separated by commas");
	return 0;
}

static int parse(const struct line *l, struct sgw_text_op *op)
{
	const char *obj = l->tok[0], *verb = l->n > 1 ? l->tok[1] : "";

	if (strcmp(obj, "stream") == 0 && strcmp(verb, "add") == 0) {
		static const char *const known[] = { "owner", "listen", "source", "suite", "key", "plain",
						     "replay-window", "resume", "punt", "rtcp-port", NULL };
		struct sgw_op_stream_add *b = &op->body.stream_add;
		const char *src = opt_val(l, "source");
		op->type = SGW_OP_STREAM_ADD;
		op->len = sizeof(*b);
		if (check_keys(l, 3, known) || id_at(l, 2, "stream id", &b->stream_id) ||
		    num32(l, opt_val(l, "owner"), "owner=", &b->owner) ||
		    endpoint(l, "listen", &b->listen, false))
			return -1;
		if (src != NULL && strcmp(src, "any") != 0 && endpoint(l, "source", &b->source, true))
			return -1;
		if (opt_val(l, "replay-window") != NULL &&
		    num32(l, opt_val(l, "replay-window"), "replay-window=", &b->replay_window))
			return -1;
		if (position_of(l, &b->resume))
			return -1;
		b->flags = (has_flag(l, "punt") ? SGW_STREAM_PUNT : 0) |
			   (has_flag(l, "rtcp-port") ? SGW_STREAM_RTCP_PORT : 0);
		return key_of(l, &b->key, true);
	}
	if (strcmp(obj, "stream") == 0 && strcmp(verb, "rekey") == 0) {
		static const char *const known[] = { "suite", "key", "keep-old", NULL };
		struct sgw_op_rekey *b = &op->body.rekey;
		op->type = SGW_OP_STREAM_REKEY;
		op->len = sizeof(*b);
		if (check_keys(l, 3, known) || id_at(l, 2, "stream id", &b->id))
			return -1;
		b->flags = has_flag(l, "keep-old") ? SGW_REKEY_KEEP_OLD : 0;
		return key_of(l, &b->key, false);
	}
	if (strcmp(obj, "stream") == 0 && strcmp(verb, "source") == 0) {
		static const char *const known[] = { "source", NULL };
		struct sgw_op_stream_source *b = &op->body.stream_source;
		const char *src = opt_val(l, "source");
		op->type = SGW_OP_STREAM_SET_SOURCE;
		op->len = sizeof(*b);
		if (check_keys(l, 3, known) || id_at(l, 2, "stream id", &b->stream_id))
			return -1;
		if (strcmp(src ? src : "", "any") != 0)
			return endpoint(l, "source", &b->source, true);
		return 0;
	}
	if (strcmp(obj, "stream") == 0 && (strcmp(verb, "del") == 0 || strcmp(verb, "end-overlap") == 0)) {
		static const char *const known[] = { NULL };
		op->type = verb[0] == 'd' ? SGW_OP_STREAM_DEL : SGW_OP_STREAM_END_OVERLAP;
		op->len = sizeof(op->body.id);
		if (id_at(l, 2, "stream id", &op->body.id.id))
			return -1;
		return check_keys(l, 3, known);
	}
	if (strcmp(obj, "stream") == 0 && strcmp(verb, "fence") == 0) {
		static const char *const known[] = { "token", NULL };
		struct sgw_op_fence *b = &op->body.fence;
		op->type = SGW_OP_STREAM_FENCE;
		op->len = sizeof(*b);
		if (check_keys(l, 3, known) || id_at(l, 2, "stream id", &b->stream_id))
			return -1;
		return num(l, opt_val(l, "token"), "token=", &b->token);
	}
	if (strcmp(obj, "grant") == 0 && (strcmp(verb, "add") == 0 || strcmp(verb, "del") == 0)) {
		static const char *const known[] = { "owner", NULL };
		struct sgw_op_grant *b = &op->body.grant;
		op->type = verb[0] == 'a' ? SGW_OP_GRANT_ADD : SGW_OP_GRANT_DEL;
		op->len = sizeof(*b);
		if (check_keys(l, 3, known) || id_at(l, 2, "stream id", &b->stream_id))
			return -1;
		return num32(l, opt_val(l, "owner"), "owner=", &b->owner);
	}
	if (strcmp(obj, "viewer") == 0 && strcmp(verb, "add") == 0) {
		static const char *const known[] = { "stream", "owner", "to", "suite", "key", "plain",
						     "resume", "port", "punt", "pt", "rtcp-key", "camera", "lanes",
						     NULL };
		struct sgw_op_viewer_add *b = &op->body.viewer_add;
		op->type = SGW_OP_VIEWER_ADD;
		op->len = sizeof(*b);
		if (check_keys(l, 3, known) || id_at(l, 2, "viewer id", &b->viewer_id) ||
		    num(l, opt_val(l, "stream"), "stream=", &b->stream_id) ||
		    num32(l, opt_val(l, "owner"), "owner=", &b->owner) ||
		    dest_of(l, &b->dest) || position_of(l, &b->resume) || key_of(l, &b->key, true) ||
		    lanes_of(l, &b->lanes))
			return -1;
		return viewer_port_of(l, &b->key, &b->port);
	}
	if (strcmp(obj, "viewer") == 0 && strcmp(verb, "rekey") == 0) {
		static const char *const known[] = { "suite", "key", "plain", NULL };
		struct sgw_op_rekey *b = &op->body.rekey;
		op->type = SGW_OP_VIEWER_REKEY;
		op->len = sizeof(*b);
		if (check_keys(l, 3, known) || id_at(l, 2, "viewer id", &b->id))
			return -1;
		return key_of(l, &b->key, true);
	}
	if (strcmp(obj, "viewer") == 0 && strcmp(verb, "dest") == 0) {
		static const char *const known[] = { "to", NULL };
		struct sgw_op_viewer_dest *b = &op->body.viewer_dest;
		op->type = SGW_OP_VIEWER_SET_DEST;
		op->len = sizeof(*b);
		if (check_keys(l, 3, known) || id_at(l, 2, "viewer id", &b->viewer_id))
			return -1;
		return dest_of(l, &b->dest);
	}
	if (strcmp(obj, "port") == 0 && (strcmp(verb, "add") == 0 || strcmp(verb, "del") == 0)) {
		static const char *const known[] = { "punt", NULL };
		struct sgw_op_port *b = &op->body.port;
		op->type = verb[0] == 'a' ? SGW_OP_PORT_ADD : SGW_OP_PORT_DEL;
		op->len = sizeof(*b);
		if (check_keys(l, 3, known))
			return -1;
		if (l->n < 3 || sgw_endpoint_parse(l->tok[2], &b->local, false) != 0)
			return fail(l, "port %s needs ADDRESS:PORT", verb);
		b->flags = has_flag(l, "punt") ? SGW_PORT_PUNT : 0;
		return 0;
	}
	if (strcmp(obj, "addr") == 0 && (strcmp(verb, "add") == 0 || strcmp(verb, "del") == 0)) {
		static const char *const known_add[] = { "port-idx", "leased", NULL };
		static const char *const known_del[] = { NULL };
		struct sgw_op_addr *b = &op->body.addr;
		op->type = verb[0] == 'a' ? SGW_OP_ADDR_ADD : SGW_OP_ADDR_DEL;
		op->len = sizeof(*b);
		if (check_keys(l, 3, verb[0] == 'a' ? known_add : known_del))
			return -1;
		if (l->n < 3 || addr_prefix_of(l->tok[2], b) != 0)
			return fail(l, "addr %s needs ADDRESS%s", verb, verb[0] == 'a' ? "[/PREFIX]" : "");
		if (verb[0] == 'd') {
			if (strchr(l->tok[2], '/') != NULL)
				return fail(l, "addr del needs ADDRESS (no prefix)");
			return 0;
		}
		const char *pi = opt_val(l, "port-idx");
		uint64_t n;
		if (pi == NULL || digits(pi, pi + strlen(pi), 10, 65535, &n))
			return fail(l, "addr add needs port-idx=N (the gateway port, 0 = the first)");
		b->port_idx = (uint16_t)n;
		b->flags = has_flag(l, "leased") ? SGW_ADDR_LEASED : 0;
		return 0;
	}
	if (strcmp(obj, "viewer") == 0 && strcmp(verb, "del") == 0) {
		static const char *const known[] = { NULL };
		op->type = SGW_OP_VIEWER_DEL;
		op->len = sizeof(op->body.id);
		if (id_at(l, 2, "viewer id", &op->body.id.id))
			return -1;
		return check_keys(l, 3, known);
	}
	/* names only, cut at '=': a misplaced key=VALUE is not echoed */
	return fail(l, "unknown op \"%.*s %.*s\"", name_len(obj), obj,
		    name_len(verb), verb);
}

int sgw_ops_text_parse_line(char *line, int line_no, struct sgw_text_op *op,
			    struct sgw_ops_text_err *err)
{
	struct line l = { .n = 0, .err = err };
	char *save, *t;

	memset(op, 0, sizeof(*op));
	err->line = line_no;
	err->msg[0] = '\0';
	for (t = strtok_r(line, " \t\r\n", &save); t != NULL && t[0] != '#';
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (l.n == MAX_TOKENS)
			return fail(&l, "too many arguments");
		l.tok[l.n++] = t;
	}
	if (l.n == 0)
		return 0;
	if (parse(&l, op) != 0) {
		sgw_text_op_clear(op);
		return -1;
	}
	return 1;
}

int sgw_ops_text_read(FILE *f, sgw_ops_text_fn fn, void *arg, struct sgw_ops_text_err *err)
{
	struct sgw_text_op op;
	char *line = NULL;
	size_t cap = 0;
	int no = 0, rc = 0;

	errno = 0;
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		int r = sgw_ops_text_parse_line(line, ++no, &op, err);
		if (r < 0)
			rc = -1;
		else if (r > 0)
			rc = fn(&op, no, arg);
		sgw_text_op_clear(&op);
	}
	if (rc == 0 && ferror(f)) {
		err->line = 0;
		snprintf(err->msg, sizeof(err->msg), "read error: %s", strerror(errno ? errno : EIO));
		rc = -1;
	}
	if (line != NULL) {
		OPENSSL_cleanse(line, cap);
		free(line);
	}
	return rc;
}

void sgw_text_op_clear(struct sgw_text_op *op)
{
	OPENSSL_cleanse(op, sizeof(*op));
}
