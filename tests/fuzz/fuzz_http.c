/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of what the HTTP API reads from a request
 * (control/daemon/http_req.c; docs/webrtc.md, "HTTP API"). libevent has
 * parsed the request; these functions read its path and header values,
 * which are whatever a client sent.
 *
 * Input: NUL-separated fields, each a string as libevent hands it over
 * (NUL-terminated, so no NUL inside): the path, Authorization,
 * Content-Type, Accept, Origin, and configured origins (the rest of the
 * fields, up to 4). Each is copied to a heap block of exactly its size.
 *
 * Checked: a route is exactly "/whep/" or "/whip/", maybe "session/", and
 * a name of 1 to 63 name characters, and it prints back as the path; a
 * refused path leaves no name. A bearer token is the header's text after
 * "Bearer" (any case) and blanks, of b64token characters ('=' only at its
 * end), at most 128, with only blanks after it; a refused one leaves the
 * token empty. A Content-Type taken for SDP begins with application/sdp
 * and then ends or has parameters. Accept: a header that is only commas
 * and blanks accepts; "application/sdp, " before any header accepts; a
 * header with no "sdp" and no '*' refuses unless it is empty. An origin
 * is allowed exactly when a configured one equals it in any case, and any
 * origin with none configured. Printable text is a printable prefix.
 * Every answer is the same twice.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control/daemon/http_req.h"
#include "fuzz_common.h"

#define FIELDS 10

static unsigned long n_inputs, n_routes, n_tokens, n_sdp, n_accepts, n_allowed;

static void check_route(const char *path)
{
	struct http_route r, again;
	char back[HTTP_NAME_MAX + 32];
	int rc = http_route_parse(path, &r);

	FZ_CHECK(http_route_parse(path, &again) == rc && memcmp(&r, &again, sizeof(r)) == 0, "not deterministic");
	if (rc != 0) {
		FZ_CHECK(rc == -1 && r.kind == HTTP_ROUTE_NONE && r.name[0] == '\0', "a refused path left %s",
			 r.name);
		return;
	}
	n_routes++;
	FZ_CHECK(r.kind == HTTP_ROUTE_STREAM || r.kind == HTTP_ROUTE_SESSION, "kind %d", r.kind);
	size_t n = strlen(r.name);
	FZ_CHECK(n >= 1 && n <= 63, "name of %zu characters", n);
	for (size_t i = 0; i < n; i++)
		FZ_CHECK(isalnum((unsigned char)r.name[i]) || strchr("_.-", r.name[i]) != NULL,
			 "name character %02x", (unsigned char)r.name[i]);
	snprintf(back, sizeof(back), "/%s/%s%s", r.whip ? "whip" : "whep",
		 r.kind == HTTP_ROUTE_SESSION ? "session/" : "", r.name);
	FZ_CHECK(strcmp(back, path) == 0, "route of \"%s\" prints as \"%s\"", path, back);
	FZ_CHECK(strcmp(http_route_methods(r.kind), r.kind == HTTP_ROUTE_STREAM ? "POST, OPTIONS" : "DELETE, OPTIONS")
		 == 0, "methods");
}

static bool b64token_char(char c)
{
	return isalnum((unsigned char)c) || strchr("-._~+/", c) != NULL;
}

static void check_bearer(const char *h)
{
	char t[HTTP_TOKEN_MAX + 1], again[HTTP_TOKEN_MAX + 1];
	int rc = http_bearer(h, t);
	const char *p;
	size_t n;

	FZ_CHECK(http_bearer(h, again) == rc && strcmp(t, again) == 0, "not deterministic");
	if (rc != 0) {
		FZ_CHECK(rc == -1 && t[0] == '\0', "a refused header left a token");
		return;
	}
	n_tokens++;
	n = strlen(t);
	FZ_CHECK(n >= 1 && n <= HTTP_TOKEN_MAX, "token of %zu characters", n);
	FZ_CHECK(strncasecmp(h, "bearer", 6) == 0 && (h[6] == ' ' || h[6] == '\t'), "no Bearer scheme");
	p = h + 6;
	while (*p == ' ' || *p == '\t')
		p++;
	FZ_CHECK(strncmp(p, t, n) == 0, "the token is not what follows the scheme");
	for (size_t i = 0; i < n; i++) {
		bool eq_tail = t[i] == '=' && i > 0;
		for (size_t k = i; eq_tail && k < n; k++)
			eq_tail = t[k] == '=';
		FZ_CHECK(b64token_char(t[i]) || eq_tail, "token character %02x at %zu", (unsigned char)t[i], i);
	}
	for (p += n; *p != '\0'; p++)
		FZ_CHECK(*p == ' ' || *p == '\t', "text after the token");
}

static void check_sdp(const char *ct)
{
	bool yes = http_is_sdp(ct);
	const char *p = ct;

	FZ_CHECK(http_is_sdp(ct) == yes, "not deterministic");
	if (!yes)
		return;
	n_sdp++;
	while (*p == ' ' || *p == '\t')
		p++;
	FZ_CHECK(strncasecmp(p, "application/sdp", 15) == 0, "\"%s\" taken for SDP", ct);
	p += 15;
	while (*p == ' ' || *p == '\t')
		p++;
	FZ_CHECK(*p == '\0' || *p == ';', "\"%s\" taken for SDP", ct);
}

static void check_accept(const char *a)
{
	bool yes = http_accepts_sdp(a), blank = strspn(a, " \t,") == strlen(a);
	size_t n = strlen(a);
	char *both = malloc(n + 18);

	FZ_CHECK(http_accepts_sdp(a) == yes, "not deterministic");
	n_accepts += yes;
	if (blank)
		FZ_CHECK(yes, "an empty Accept refused");
	if (strchr(a, '*') == NULL && strcasestr(a, "sdp") == NULL && !blank)
		FZ_CHECK(!yes, "\"%s\" accepts SDP", a);
	if (both == NULL)
		abort();
	memcpy(both, "application/sdp, ", 17);
	memcpy(both + 17, a, n + 1);
	/* an exact range at q=1 is the most specific there is; another
	 * exact one at q=0 ties with it and does not win */
	FZ_CHECK(http_accepts_sdp(both), "\"%s\" refuses SDP", both);
	free(both);
}

static void check_origin(const char *origin, char (*list)[CTL_ORIGIN_MAX], unsigned n)
{
	bool yes = http_origin_allowed(origin, (const char (*)[CTL_ORIGIN_MAX])list, n), want = n == 0;

	for (unsigned i = 0; i < n; i++)
		want |= strcasecmp(origin, list[i]) == 0;
	FZ_CHECK(yes == want, "origin \"%s\": %d, want %d", origin, yes, want);
	n_allowed += yes;
}

static void check_printable(const char *s)
{
	char out[40];
	size_t n = strlen(http_printable(s, out, sizeof(out)));

	FZ_CHECK(n == (strlen(s) < sizeof(out) ? strlen(s) : sizeof(out) - 1), "length %zu", n);
	for (size_t i = 0; i < n; i++)
		FZ_CHECK(out[i] >= 0x20 && out[i] < 0x7f && (out[i] == s[i] || out[i] == '?'), "byte %zu", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *field[FIELDS] = { NULL };
	char (*list)[CTL_ORIGIN_MAX];
	unsigned nf = 0, n_list = 0;
	size_t start = 0;

	if (size > 65536)
		return 0;
	n_inputs++;
	/* each field in a block of exactly its size (ASan sees any overread) */
	for (size_t i = 0; i <= size && nf < FIELDS; i++) {
		if (i == size || data[i] == 0) {
			field[nf] = malloc(i - start + 1);
			if (field[nf] == NULL)
				abort();
			memcpy(field[nf], data + start, i - start);
			field[nf][i - start] = '\0';
			nf++;
			start = i + 1;
		}
	}
	for (unsigned i = nf; i < FIELDS; i++) {
		field[i] = calloc(1, 1);
		if (field[i] == NULL)
			abort();
	}
	check_route(field[0]);
	check_bearer(field[1]);
	check_sdp(field[2]);
	check_accept(field[3]);
	list = calloc(4, sizeof(*list));
	if (list == NULL)
		abort();
	for (unsigned i = 5; i < FIELDS && i < nf && n_list < 4; i++)
		if (field[i][0] != '\0' && strlen(field[i]) < CTL_ORIGIN_MAX)
			snprintf(list[n_list++], CTL_ORIGIN_MAX, "%s", field[i]);
	check_origin(field[4], list, n_list);
	check_origin(field[4], list, 0);
	for (unsigned i = 0; i < FIELDS; i++) {
		check_printable(field[i]);
		free(field[i]);
	}
	free(list);
	return 0;
}

static void fz_summary(void)
{
	fprintf(stderr, "http: %lu inputs: %lu routes, %lu bearer tokens, %lu SDP content types, %lu Accept "
		"headers accepting SDP, %lu origins allowed\n", n_inputs, n_routes, n_tokens, n_sdp, n_accepts,
		n_allowed);
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
