/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a request to the HTTP API asks (http_req.h). libevent has parsed
 * the request line and the header fields; these read the few values the
 * API needs, each bounded and checked character by character.
 */
#include <string.h>
#include <strings.h>

#include "control/daemon/http_req.h"

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

/* s is a whole name: 1 to HTTP_NAME_MAX - 1 name characters. */
static bool copy_name(const char *s, char out[HTTP_NAME_MAX])
{
	size_t n = 0;

	while (n < HTTP_NAME_MAX && name_char(s[n]))
		n++;
	if (n == 0 || n >= HTTP_NAME_MAX || s[n] != '\0')
		return false;
	memcpy(out, s, n + 1);
	return true;
}

int http_route_parse(const char *path, struct http_route *r)
{
	memset(r, 0, sizeof(*r));
	if (path == NULL)
		return -1;
	if (strncmp(path, "/whip/", 6) == 0)
		r->whip = true;
	else if (strncmp(path, "/whep/", 6) != 0)
		return -1;
	path += 6;
	/* a stream may be named "session": only /whep/session/ID is one */
	if (strncmp(path, "session/", 8) == 0) {
		if (!copy_name(path + 8, r->name))
			goto none;
		r->kind = HTTP_ROUTE_SESSION;
		return 0;
	}
	if (!copy_name(path, r->name))
		goto none;
	r->kind = HTTP_ROUTE_STREAM;
	return 0;
none:
	memset(r, 0, sizeof(*r));
	return -1;
}

const char *http_route_methods(enum http_route_kind kind)
{
	switch (kind) {
	case HTTP_ROUTE_STREAM: return "POST, OPTIONS";
	case HTTP_ROUTE_SESSION: return "DELETE, OPTIONS";
	default: return "";
	}
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 6750: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool b64token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

int http_bearer(const char *h, char token[HTTP_TOKEN_MAX + 1])
{
	size_t n = 0;
	const char *t;

	token[0] = '\0';
	if (h == NULL || strncasecmp(h, "Bearer", 6) != 0 || !ows(h[6]))
		return -1;
	t = h + 6;
	while (ows(*t))
		t++;
	while (b64token_char(t[n]))
		n++;
	if (n == 0)
		return -1;
	while (t[n] == '=')
		n++;
	if (n > HTTP_TOKEN_MAX)
		return -1;
	for (const char *p = t + n; *p != '\0'; p++)
		if (!ows(*p))
			return -1;
	memcpy(token, t, n);
	token[n] = '\0';
	return 0;
}

/* The media type at s (up to ';', ',', OWS or the end) is type/subtype,
 * in any case; *end set past it. */
static bool media_is(const char *s, const char *type, const char **end)
{
	size_t n = 0, want = strlen(type);

	while (s[n] != '\0' && s[n] != ';' && s[n] != ',' && !ows(s[n]))
		n++;
	*end = s + n;
	return n == want && strncasecmp(s, type, n) == 0;
}

bool http_is_sdp(const char *ct)
{
	const char *end;

	if (ct == NULL)
		return false;
	while (ows(*ct))
		ct++;
	if (!media_is(ct, "application/sdp", &end))
		return false;
	while (ows(*end))
		end++;
	return *end == '\0' || *end == ';';
}

/* A qvalue (RFC 9110 12.4.2): "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")],
 * from s up to ';', ',', OWS or the end. 1: above 0; 0: zero; -1: not a
 * qvalue. */
static int qvalue(const char *s)
{
	size_t n = 0;
	bool nonzero = false;

	while (s[n] != '\0' && s[n] != ';' && s[n] != ',' && !ows(s[n]))
		n++;
	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	if (n > 1) {
		if (s[1] != '.' || n > 5)
			return -1;
		for (size_t i = 2; i < n; i++) {
			if (s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0'))
				return -1;
			nonzero |= s[i] != '0';
		}
	}
	return s[0] == '1' || nonzero ? 1 : 0;
}

bool http_accepts_sdp(const char *accept)
{
	static const char *const ranges[] = { "*/*", "application/*", "application/sdp" };
	int best = 0;       /* specificity of the best match: 0 none, 1..3 */
	bool best_ok = false, any = false;
	const char *p = accept;

	if (accept == NULL)
		return true;
	while (*p != '\0') {
		const char *end = p;
		int spec = 0, q = 1;

		while (ows(*p) || *p == ',')
			p++;
		if (*p == '\0')
			break;
		any = true;
		for (int i = 0; i < 3 && spec == 0; i++)
			if (media_is(p, ranges[i], &end))
				spec = i + 1;
		if (spec == 0)
			media_is(p, "", &end);
		p = end;
		/* parameters: only q counts */
		for (;;) {
			while (ows(*p))
				p++;
			if (*p != ';')
				break;
			p++;
			while (ows(*p))
				p++;
			if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
				q = qvalue(p + 2);
				p += 2;
			}
			while (*p != '\0' && *p != ';' && *p != ',')
				p++;
		}
		/* an element that is neither a parameter nor the list's next is
		 * malformed, and so is a q that is no qvalue: both ignored */
		while (*p != '\0' && *p != ',') {
			p++;
			q = -1;
		}
		if (spec == 0 || q < 0)
			continue;
		if (spec > best || (spec == best && q > 0)) {
			best = spec;
			best_ok = q > 0;
		}
	}
	return !any || best_ok;
}

bool http_origin_allowed(const char *origin, const char (*origins)[CTL_ORIGIN_MAX], unsigned n)
{
	if (n == 0)
		return true;
	for (unsigned i = 0; origin != NULL && i < n; i++)
		if (strcasecmp(origin, origins[i]) == 0)
			return true;
	return false;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

char *http_printable(const char *s, char *out, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return out;
	for (; s != NULL && s[n] != '\0' && n + 1 < max; n++)
		out[n] = (unsigned char)s[n] < 0x20 || (unsigned char)s[n] >= 0x7f ? '?' : s[n];
	out[n] = '\0';
	return out;
}
