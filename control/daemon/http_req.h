/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a request to the HTTP API asks (docs/webrtc.md, "HTTP API"), read
 * from its path and header values: which resource, which bearer token,
 * whether its body is SDP and whether it takes SDP back, whether its
 * origin may call. No I/O and no state: the HTTP thread calls these on
 * what libevent parsed; tests/unit/test_http_req.c and
 * tests/fuzz/fuzz_http.c call them on anything.
 */
#ifndef SRTPGW_HTTP_REQ_H
#define SRTPGW_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include "control/daemon/config.h"

#define HTTP_NAME_MAX 64    /* a stream's name or a session's id, and the NUL */
#define HTTP_TOKEN_MAX 128  /* a bearer token's text (ours are 48 characters) */

enum http_route_kind {
	HTTP_ROUTE_NONE,     /* none of the API's resources */
	HTTP_ROUTE_STREAM,   /* /whep/STREAM, /whip/STREAM: POST an offer */
	HTTP_ROUTE_SESSION,  /* /whep/session/ID, /whip/session/ID: DELETE */
};

struct http_route {
	enum http_route_kind kind;
	bool whip;                 /* /whip/... (publish), else /whep/... (view) */
	char name[HTTP_NAME_MAX];  /* the stream's name, or the session's id */
};

/* The resource a path names. A name is 1 to 63 of A-Z a-z 0-9 _ . -,
 * taken as it is (names need no percent-encoding, and a '%' is no name
 * character). 0, or -1 with r->kind HTTP_ROUTE_NONE. */
int http_route_parse(const char *path, struct http_route *r);

/* The methods a resource allows, for Allow and
 * Access-Control-Allow-Methods: "POST, OPTIONS" or "DELETE, OPTIONS". */
const char *http_route_methods(enum http_route_kind kind);

/* The token of an Authorization header "Bearer TOKEN" (the scheme in any
 * case, RFC 6750's b64token syntax, at most HTTP_TOKEN_MAX characters)
 * into token (room for HTTP_TOKEN_MAX + 1). 0; -1 for a header that is
 * not such a bearer token (token left empty). */
int http_bearer(const char *authorization, char token[HTTP_TOKEN_MAX + 1]);

/* Is a Content-Type application/sdp (any case, parameters allowed)? */
bool http_is_sdp(const char *content_type);

/* Does an Accept header (NULL: none, which accepts anything) accept
 * application/sdp? By its most specific matching range (application/sdp,
 * then application/x, then x/x), refused at q=0 (RFC 9110 12.5.1). */
bool http_accepts_sdp(const char *accept);

/* May a page of origin call the API? origins: the configured ones
 * (n 0: any origin); compared without regard to case. */
bool http_origin_allowed(const char *origin, const char (*origins)[CTL_ORIGIN_MAX], unsigned n);

/* The reason phrase of a status ("Not Found"); "Unknown" for others. */
const char *http_reason(int status);

/* s made printable for a log line or an error: at most max - 1 bytes,
 * control characters and non-ASCII as '?'. Returns out. */
char *http_printable(const char *s, char *out, size_t max);

#endif
