/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl's text output: aligned tables for lists, "name: value" lines
 * for single results, and the key block for keys the daemon generated.
 * Everything printed comes through format(), which makes any string from
 * the daemon printable on one line.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/ctl/ctl.h"

enum fmt {
	F_TEXT,          /* null "-", bool yes/no, list "a, b", object "a=1 b=2" */
	F_ANY,           /* null: "any" */
	F_COUNT,         /* a list's length */
	F_SUM,           /* the sum of an object's numbers */
	F_TIME,          /* unix seconds as UTC */
	F_SECONDS,       /* "30 s" */
	F_IDLE_TIMEOUT,  /* 0: "none", else "30 s" */
	F_AGO,           /* milliseconds: "1.5s ago"; null: "never" */
	F_STATE,         /* bool idle: "idle" or "active" */
	F_EXPIRES,       /* unix seconds as UTC; null: "never" */
	F_EXPIRED,       /* bool expired: "expired" or "valid" */
};

struct col {
	const char *head;
	const char *field;
	enum fmt fmt;
	bool right;
};

/* How a field of a single result is shown. */
static const struct {
	const char *field;
	enum fmt fmt;
} field_fmts[] = {
	{ "source", F_ANY },
	{ "rekey_overlap_until", F_TIME },
	{ "overlap", F_SECONDS },
	{ "idle_timeout", F_IDLE_TIMEOUT },
	{ "idle_ms", F_AGO },
	{ "created", F_TIME },
	{ "expires", F_EXPIRES },
};

static const struct col owner_cols[] = {
	{ "NAME", "name", F_TEXT, false },
	{ "STREAMS", "streams", F_TEXT, true },
	{ "VIEWERS", "viewers", F_TEXT, true },
};

static const struct col stream_cols[] = {
	{ "NAME", "name", F_TEXT, false },
	{ "OWNER", "owner", F_TEXT, false },
	{ "LISTEN", "listen", F_TEXT, false },
	{ "SOURCE", "source", F_ANY, false },
	{ "SUITE", "suite", F_TEXT, false },
	{ "KIND", "kind", F_TEXT, false },
	{ "CODEC", "codec", F_TEXT, false },
	{ "VIEWERS", "viewers", F_COUNT, true },
	{ "GRANTS", "grants", F_TEXT, false },
	{ "IDLE_TIMEOUT", "idle_timeout", F_IDLE_TIMEOUT, false },
	{ "OVERLAP_UNTIL", "rekey_overlap_until", F_TIME, false },
};

static const struct col viewer_cols[] = {
	{ "NAME", "name", F_TEXT, false },
	{ "STREAM", "stream", F_TEXT, false },
	{ "OWNER", "owner", F_TEXT, false },
	{ "TO", "to", F_TEXT, false },
	{ "SUITE", "suite", F_TEXT, false },
	{ "KIND", "kind", F_TEXT, false },
	{ "STATE", "state", F_TEXT, false },
};

static const struct col stats_stream_cols[] = {
	{ "NAME", "name", F_TEXT, false },
	{ "OWNER", "owner", F_TEXT, false },
	{ "WORKER", "worker", F_TEXT, true },
	{ "PACKETS", "packets", F_TEXT, true },
	{ "BYTES", "bytes", F_TEXT, true },
	{ "AUTH_FAIL", "auth_fail", F_TEXT, true },
	{ "REPLAY_FAIL", "replay_fail", F_TEXT, true },
	{ "OTHER_FAIL", "other_fail", F_TEXT, true },
	{ "LAST_PACKET", "idle_ms", F_AGO, false },
	{ "STATE", "idle", F_STATE, false },
};

static const struct col token_cols[] = {
	{ "NAME", "name", F_TEXT, false },
	{ "OWNER", "owner", F_TEXT, false },
	{ "CREATED", "created", F_TIME, false },
	{ "EXPIRES", "expires", F_EXPIRES, false },
	{ "STATE", "expired", F_EXPIRED, false },
};

static const struct col gateway_cols[] = {
	{ "GATEWAY", "name", F_TEXT, false },
	{ "LEASE", "lease", F_TEXT, false },
	{ "STREAMS", "streams", F_TEXT, true },
};

static const struct col placement_cols[] = {
	{ "STREAM", "stream", F_TEXT, false },
	{ "GATEWAY", "gateway", F_TEXT, false },
	{ "FENCE", "fence", F_TEXT, true },
};

static const struct col stats_worker_cols[] = {
	{ "WORKER", "worker", F_TEXT, false },
	{ "RX", "rx", F_TEXT, true },
	{ "TX", "tx", F_TEXT, true },
	{ "DROPS", "drops", F_SUM, true },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *xasprintf(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *f, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, f);
	n = vasprintf(&s, f, ap);
	va_end(ap);
	if (n < 0)
		ctl_fail(CTL_EXIT_FAIL, "out of memory");
	return s;
}

char *ctl_printable(const char *s)
{
	char *p = ctl_xstrdup(s);

	for (char *c = p; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = '?';
	return p;
}

static bool is_int(struct json_object *v)
{
	return v != NULL && json_object_is_type(v, json_type_int);
}

static char *format(struct json_object *v, enum fmt f);

static char *format_text(struct json_object *v)
{
	size_t n;
	char *s, *e;

	switch (v == NULL ? json_type_null : json_object_get_type(v)) {
	case json_type_null:
		return ctl_xstrdup("-");
	case json_type_boolean:
		return ctl_xstrdup(json_object_get_boolean(v) ? "yes" : "no");
	case json_type_string:
		return ctl_printable(json_object_get_string(v));
	case json_type_array:
		n = json_object_array_length(v);
		if (n == 0)
			return ctl_xstrdup("-");
		s = ctl_xstrdup("");
		for (size_t i = 0; i < n; i++) {
			struct json_object *el = json_object_array_get_idx(v, i);
			char *old = s;
			e = format_text(el);
			s = xasprintf("%s%s%s", old, i == 0 ? "" :
				      json_object_is_type(el, json_type_object) ? "; " : ", ", e);
			free(old);
			free(e);
		}
		return s;
	case json_type_object:
		/* name=value name=value */
		s = ctl_xstrdup("");
		json_object_object_foreach(v, name, m) {
			char *old = s, *nm = ctl_printable(name);
			e = format_text(m);
			s = xasprintf("%s%s%s=%s", old, old[0] ? " " : "", nm, e);
			free(old);
			free(nm);
			free(e);
		}
		return s;
	default:
		return ctl_printable(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
	}
}

static char *format_ago(int64_t ms)
{
	if (ms < 0)
		return xasprintf("%" PRId64 "ms", ms);
	if (ms < 1000)
		return xasprintf("%" PRId64 "ms ago", ms);
	if (ms < 60000)
		return xasprintf("%.1fs ago", (double)ms / 1000);
	if (ms < 3600000)
		return xasprintf("%" PRId64 "m%02" PRId64 "s ago", ms / 60000, ms / 1000 % 60);
	if (ms < 86400000)
		return xasprintf("%" PRId64 "h%02" PRId64 "m ago", ms / 3600000, ms / 60000 % 60);
	return xasprintf("%" PRId64 "d%02" PRId64 "h ago", ms / 86400000, ms / 3600000 % 24);
}

static char *format(struct json_object *v, enum fmt f)
{
	bool null = v == NULL || json_object_is_type(v, json_type_null);
	char buf[64];
	int64_t sum = 0;
	time_t t;
	struct tm tm;

	switch (f) {
	case F_ANY:
		return null ? ctl_xstrdup("any") : format_text(v);
	case F_COUNT:
		if (!null && json_object_is_type(v, json_type_array))
			return xasprintf("%zu", json_object_array_length(v));
		return format_text(v);
	case F_SUM:
		if (null || !json_object_is_type(v, json_type_object))
			return format_text(v);
		json_object_object_foreach(v, name, n) {
			(void)name;
			sum += json_object_get_int64(n);
		}
		return xasprintf("%" PRId64, sum);
	case F_TIME:
		if (!is_int(v))
			return format_text(v);
		t = (time_t)json_object_get_int64(v);
		if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			return format_text(v);
		return ctl_xstrdup(buf);
	case F_SECONDS:
		return is_int(v) ? xasprintf("%" PRId64 " s", json_object_get_int64(v)) : format_text(v);
	case F_IDLE_TIMEOUT:
		if (is_int(v) && json_object_get_int64(v) == 0)
			return ctl_xstrdup("none");
		return format(v, F_SECONDS);
	case F_AGO:
		if (null)
			return ctl_xstrdup("never");
		return is_int(v) ? format_ago(json_object_get_int64(v)) : format_text(v);
	case F_STATE:
		if (!null && json_object_is_type(v, json_type_boolean))
			return ctl_xstrdup(json_object_get_boolean(v) ? "idle" : "active");
		return format_text(v);
	case F_EXPIRES:
		return null ? ctl_xstrdup("never") : format(v, F_TIME);
	case F_EXPIRED:
		if (!null && json_object_is_type(v, json_type_boolean))
			return ctl_xstrdup(json_object_get_boolean(v) ? "expired" : "valid");
		return format_text(v);
	case F_TEXT:
		break;
	}
	return format_text(v);
}

static struct json_object *field(struct json_object *obj, const char *name)
{
	struct json_object *v = NULL;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, name, &v))
		return NULL;
	return v;
}

static void print_table(const struct col *cols, size_t ncols, struct json_object *rows,
			const char *empty)
{
	size_t nrows = json_object_array_length(rows), width[16] = { 0 };
	char **cell;

	if (nrows == 0) {
		printf("%s\n", empty);
		return;
	}
	cell = ctl_xmalloc(nrows * ncols * sizeof(*cell));
	for (size_t c = 0; c < ncols; c++)
		width[c] = strlen(cols[c].head);
	for (size_t r = 0; r < nrows; r++) {
		struct json_object *row = json_object_array_get_idx(rows, r);
		for (size_t c = 0; c < ncols; c++) {
			struct json_object *v;
			/* a member the daemon did not send (a granted stream's
			 * listen address) is "-", whatever null would print */
			bool has = json_object_is_type(row, json_type_object) &&
				   json_object_object_get_ex(row, cols[c].field, &v);
			char *s = has ? format(v, cols[c].fmt) : ctl_xstrdup("-");
			cell[r * ncols + c] = s;
			if (strlen(s) > width[c])
				width[c] = strlen(s);
		}
	}
	for (size_t r = 0; r <= nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *s = r == 0 ? cols[c].head : cell[(r - 1) * ncols + c];
			int w = (int)width[c];
			const char *sep = c + 1 < ncols ? "  " : "\n";

			if (cols[c].right)
				printf("%*s%s", w, s, sep);
			else if (c + 1 < ncols)
				printf("%-*s%s", w, s, sep);
			else
				printf("%s%s", s, sep);
		}
	}
	for (size_t i = 0; i < nrows * ncols; i++)
		free(cell[i]);
	free(cell);
}

/* The secret it is, or 0 (CTL_SECRET_*). */
static unsigned secret_of(const char *name)
{
	if (strcmp(name, "key") == 0 || strcmp(name, "sdp") == 0)
		return CTL_SECRET_KEYS;
	return strcmp(name, "token") == 0 ? CTL_SECRET_TOKEN : 0;
}

static void print_fields(struct json_object *obj)
{
	json_object_object_foreach(obj, name, v) {
		enum fmt f = F_TEXT;
		char *n, *s;

		if (secret_of(name) != 0)
			continue;
		for (size_t i = 0; i < N(field_fmts); i++)
			if (strcmp(field_fmts[i].field, name) == 0)
				f = field_fmts[i].fmt;
		n = ctl_printable(name);
		s = format(v, f);
		printf("%s: %s\n", n, s);
		free(n);
		free(s);
	}
}

void ctl_print_secrets(struct json_object *result, unsigned secrets)
{
	struct json_object *key = field(result, "key"), *sdp = field(result, "sdp"), *tok = field(result, "token");
	bool shown = false;

	if ((secrets & CTL_SECRET_KEYS) && key != NULL && json_object_is_type(key, json_type_string)) {
		printf("key: %s\n", json_object_get_string(key));
		shown = true;
	}
	if ((secrets & CTL_SECRET_KEYS) && sdp != NULL && json_object_is_type(sdp, json_type_string)) {
		printf("sdp: %s\n", json_object_get_string(sdp));
		shown = true;
	}
	if (shown)
		printf("note: the daemon generated this key and shows it this once only: store it now\n");
	if ((secrets & CTL_SECRET_TOKEN) && tok != NULL && json_object_is_type(tok, json_type_string)) {
		printf("token: %s\n", json_object_get_string(tok));
		printf("note: the daemon made this token and shows it this once only: store it now\n");
	}
}

/* result[name] as a list, or exit 1. */
static struct json_object *list(struct json_object *result, const char *name)
{
	struct json_object *v = field(result, name);

	if (v == NULL || !json_object_is_type(v, json_type_array))
		ctl_fail(CTL_EXIT_FAIL, "malformed reply: the result has no \"%s\" list", name);
	return v;
}

static void print_counts(struct json_object *obj)
{
	size_t w = strlen("DROP");
	bool any = false;

	json_object_object_foreach(obj, n1, v1) {
		if (json_object_get_int64(v1) != 0 && strlen(n1) > w)
			w = strlen(n1);
		any |= json_object_get_int64(v1) != 0;
	}
	if (!any) {
		printf("no drops\n");
		return;
	}
	printf("%-*s  %s\n", (int)w, "DROP", "COUNT");
	json_object_object_foreach(obj, name, v) {
		char *n, *s;

		if (json_object_get_int64(v) == 0)
			continue;
		n = ctl_printable(name);
		s = format_text(v);
		printf("%-*s  %s\n", (int)w, n, s);
		free(n);
		free(s);
	}
}

static void print_stats(struct json_object *result)
{
	struct json_object *streams = list(result, "streams");
	struct json_object *workers = field(result, "workers"), *drops = field(result, "drops");

	print_table(stats_stream_cols, N(stats_stream_cols), streams, "no streams");
	if (workers != NULL && json_object_is_type(workers, json_type_array)) {
		printf("\n");
		print_table(stats_worker_cols, N(stats_worker_cols), workers, "no workers");
	}
	if (drops != NULL && json_object_is_type(drops, json_type_object)) {
		printf("\n");
		print_counts(drops);
	}
}

/* A table, or key: value lines when one object was asked for by name. */
static void print_show(const struct ctl_req *r, struct json_object *rows, const struct col *cols,
		       size_t ncols, const char *empty)
{
	if (r->pos != NULL && json_object_array_length(rows) == 1 &&
	    json_object_is_type(json_object_array_get_idx(rows, 0), json_type_object))
		print_fields(json_object_array_get_idx(rows, 0));
	else
		print_table(cols, ncols, rows, empty);
}

/* Changes committed that the gateway has not applied (a show lists them
 * after its table). */
static void print_pending(struct json_object *result)
{
	struct json_object *p = field(result, "pending");
	char *s;

	if (p == NULL || !json_object_is_type(p, json_type_array) || json_object_array_length(p) == 0)
		return;
	s = format_text(p);
	printf("\npending (committed, not applied by the gateway yet): %s\n", s);
	free(s);
}

void ctl_print_result(const struct ctl_req *r, struct json_object *result)
{
	switch (r->cmd->out) {
	case CTL_OUT_OWNERS:
		print_table(owner_cols, N(owner_cols), list(result, "owners"), "no owners");
		break;
	case CTL_OUT_STREAMS:
		print_show(r, list(result, "streams"), stream_cols, N(stream_cols), "no streams");
		print_pending(result);
		break;
	case CTL_OUT_VIEWERS:
		print_show(r, list(result, "viewers"), viewer_cols, N(viewer_cols), "no viewers");
		print_pending(result);
		break;
	case CTL_OUT_STATS:
		print_stats(result);
		break;
	case CTL_OUT_TOKENS:
		print_table(token_cols, N(token_cols), list(result, "tokens"), "no tokens");
		break;
	case CTL_OUT_FLEET: {
		struct json_object *gws = NULL, *pls = NULL;

		/* the gateways and the placements as tables after the other fields */
		if (json_object_object_get_ex(result, "gateways", &gws))
			json_object_get(gws);
		if (json_object_object_get_ex(result, "placements", &pls))
			json_object_get(pls);
		json_object_object_del(result, "gateways");
		json_object_object_del(result, "placements");
		print_fields(result);
		printf("\n");
		print_table(gateway_cols, N(gateway_cols), gws != NULL ? gws : list(result, "gateways"),
			    "no gateways");
		printf("\n");
		print_table(placement_cols, N(placement_cols), pls != NULL ? pls : list(result, "placements"),
			    "no streams");
		json_object_put(gws);
		json_object_put(pls);
		break;
	}
	case CTL_OUT_FIELDS:
		print_fields(result);
		ctl_print_secrets(result, r->cmd->secrets);
		break;
	}
}

int ctl_strip_secrets(struct json_object *obj, unsigned top)
{
	static const char *const names[] = { "key", "sdp", "token" };
	int removed = 0;

	if (json_object_is_type(obj, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(obj); i++)
			removed += ctl_strip_secrets(json_object_array_get_idx(obj, i), 0);
		return removed;
	}
	if (!json_object_is_type(obj, json_type_object))
		return 0;
	json_object_object_foreach(obj, name, v) {
		if (secret_of(name) == 0)
			removed += ctl_strip_secrets(v, 0);
	}
	for (size_t i = 0; i < N(names); i++) {
		struct json_object *v = field(obj, names[i]);
		if (v == NULL || (secret_of(names[i]) & top))
			continue;
		ctl_json_cleanse(obj);
		json_object_object_del(obj, names[i]);
		removed++;
	}
	return removed;
}
