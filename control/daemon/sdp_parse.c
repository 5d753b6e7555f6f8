/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An SDP offer's text into struct sdp_offer (sdp.h): lines, the session
 * and media sections, the m=, o=, t= and c= lines. The a= lines are read by
 * sdp_attr.c. Everything is bounded before it is read; every refusal names
 * the line and what is wrong with it, never the text itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "control/daemon/sdp_priv.h"

int sdp_fail(struct sdp_parser *ps, int code, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (ps->errlen > 0) {
		if (ps->line > 0)
			n = snprintf(ps->err, ps->errlen, "line %u: ", ps->line);
		if (n < 0 || (size_t)n >= ps->errlen)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -code;
}

bool sdp_next_word(struct sdp_word *rest, struct sdp_word *w)
{
	const char *p = rest->p, *e = rest->p + rest->n;

	while (p < e && *p == ' ')
		p++;
	if (p == e) {
		rest->p = p;
		rest->n = 0;
		return false;
	}
	w->p = p;
	while (p < e && *p != ' ')
		p++;
	w->n = (size_t)(p - w->p);
	rest->p = p;
	rest->n = (size_t)(e - p);
	return true;
}

bool sdp_word_eq(struct sdp_word w, const char *s)
{
	return strlen(s) == w.n && memcmp(w.p, s, w.n) == 0;
}

bool sdp_word_ieq(struct sdp_word w, const char *s)
{
	if (strlen(s) != w.n)
		return false;
	for (size_t i = 0; i < w.n; i++) {
		char a = w.p[i], b = s[i];

		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

bool sdp_word_u32(struct sdp_word w, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (w.n == 0 || w.n > 10)
		return false;
	for (size_t i = 0; i < w.n; i++) {
		if (w.p[i] < '0' || w.p[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(w.p[i] - '0');
	}
	if (x > max)
		return false;
	*v = (uint32_t)x;
	return true;
}

bool sdp_is_token(struct sdp_word w)
{
	static const char other[] = "!#$%&'*+-.^_`{|}~";

	if (w.n == 0)
		return false;
	for (size_t i = 0; i < w.n; i++) {
		char c = w.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != '\0' && strchr(other, c) != NULL)))
			return false;
	}
	return true;
}

bool sdp_word_copy(struct sdp_word w, char *dst, size_t cap)
{
	if (w.n >= cap)
		return false;
	memcpy(dst, w.p, w.n);
	dst[w.n] = '\0';
	return true;
}

bool sdp_word_split(struct sdp_word w, char c, struct sdp_word *head, struct sdp_word *tail)
{
	const char *x = memchr(w.p, c, w.n);

	if (x == NULL)
		return false;
	head->p = w.p;
	head->n = (size_t)(x - w.p);
	tail->p = x + 1;
	tail->n = w.n - head->n - 1;
	return true;
}

struct sdp_pt *sdp_find_pt(struct sdp_parser *ps, uint32_t pt)
{
	if (ps->m == NULL || pt >= SDP_MAX_PT || ps->pt_at[pt] < 0)
		return NULL;
	return &ps->m->pt[ps->pt_at[pt]];
}

/* Static payload types (RFC 3551) that need no rtpmap. */
static void static_pt(struct sdp_pt *p)
{
	static const struct {
		uint8_t pt;
		const char *name;
		uint32_t clock;
	} tab[] = {
		{ 0, "PCMU", 8000 }, { 3, "GSM", 8000 }, { 4, "G723", 8000 }, { 8, "PCMA", 8000 },
		{ 9, "G722", 8000 }, { 13, "CN", 8000 }, { 18, "G729", 8000 }, { 26, "JPEG", 90000 },
		{ 34, "H263", 90000 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (tab[i].pt == p->pt) {
			struct sdp_word w = { tab[i].name, strlen(tab[i].name) };

			snprintf(p->name, sizeof(p->name), "%s", tab[i].name);
			p->clock = tab[i].clock;
			p->codec = (uint8_t)sdp_codec_by_name(w);
			return;
		}
	}
}

/* m=<media> <port>[/<n>] <proto> <fmt> ... */
static int media_line(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_offer *o = ps->o;
	struct sdp_word kind, port, proto, fmt, head, tail;
	struct sdp_media *m;
	uint32_t x;

	if (o->n_media == SDP_MAX_MEDIA)
		return sdp_fail(ps, SDP_E_LIMIT, "more than %d media sections", SDP_MAX_MEDIA);
	m = &o->media[o->n_media];
	if (!sdp_next_word(&v, &kind) || !sdp_next_word(&v, &port) || !sdp_next_word(&v, &proto))
		return sdp_fail(ps, SDP_E_SYNTAX, "m= needs media, port, proto and formats");
	if (!sdp_is_token(kind))
		return sdp_fail(ps, SDP_E_SYNTAX, "m=: the media is not a token");
	if (!sdp_word_copy(kind, m->kind_name, sizeof(m->kind_name)))
		return sdp_fail(ps, SDP_E_LIMIT, "m=: media longer than %d characters", SDP_KIND_MAX);
	if (sdp_word_eq(kind, "audio"))
		m->kind = SDP_KIND_AUDIO;
	else if (sdp_word_eq(kind, "video"))
		m->kind = SDP_KIND_VIDEO;
	else if (sdp_word_eq(kind, "application"))
		m->kind = SDP_KIND_APPLICATION;
	else
		m->kind = SDP_KIND_OTHER;
	if (sdp_word_split(port, '/', &head, &tail)) {
		/* a port count: no meaning for WebRTC, but valid syntax */
		if (!sdp_word_u32(tail, 65535, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "m=: the number of ports is not a number");
		port = head;
	}
	if (!sdp_word_u32(port, 65535, &x))
		return sdp_fail(ps, SDP_E_SYNTAX, "m=: the port is not a number of 0..65535");
	m->port = (uint16_t)x;
	for (size_t i = 0; i < proto.n; i++) {
		struct sdp_word c = { proto.p + i, 1 };

		if (proto.p[i] != '/' && !sdp_is_token(c))
			return sdp_fail(ps, SDP_E_SYNTAX, "m=: the proto is not tokens and /");
	}
	if (!sdp_word_copy(proto, m->proto, sizeof(m->proto)))
		return sdp_fail(ps, SDP_E_LIMIT, "m=: proto longer than %d characters", SDP_PROTO_MAX);
	m->rtp = strstr(m->proto, "RTP/") != NULL;
	m->dtls_srtp = strcmp(m->proto, "UDP/TLS/RTP/SAVPF") == 0 ||
		       strcmp(m->proto, "UDP/TLS/RTP/SAVP") == 0 || strcmp(m->proto, "RTP/SAVPF") == 0;
	if (!sdp_next_word(&v, &fmt))
		return sdp_fail(ps, SDP_E_SYNTAX, "m=: no format");
	if (!sdp_is_token(fmt))
		return sdp_fail(ps, SDP_E_SYNTAX, "m=: a format is not a token");
	if (!sdp_word_copy(fmt, m->fmt0, sizeof(m->fmt0)))
		return sdp_fail(ps, SDP_E_LIMIT, "m=: a format longer than %d characters", SDP_NAME_MAX);
	ps->m = m;
	memset(ps->pt_at, 0xff, sizeof(ps->pt_at)); /* -1 */
	do {
		struct sdp_pt *p;

		if (!m->rtp) {
			if (!sdp_is_token(fmt))
				return sdp_fail(ps, SDP_E_SYNTAX, "m=: a format is not a token");
			continue;
		}
		if (!sdp_word_u32(fmt, 127, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "m=: a payload type is not a number of 0..127");
		if (ps->pt_at[x] >= 0)
			return sdp_fail(ps, SDP_E_SYNTAX, "m=: payload type %u listed twice", x);
		ps->pt_at[x] = (int16_t)m->n_pt;
		p = &m->pt[m->n_pt++];    /* at most 128 distinct: fits */
		p->pt = (uint8_t)x;
		p->apt = -1;
		p->pmode = -1;
		static_pt(p);
	} while (sdp_next_word(&v, &fmt));
	m->line = (uint16_t)(ps->line < 65535 ? ps->line : 65535);
	o->n_media++;
	return 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static int origin_line(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_word w[6];
	unsigned n = 0;

	while (n < 6 && sdp_next_word(&v, &w[n]))
		n++;
	if (n != 6 || sdp_next_word(&v, &w[0]))
		return sdp_fail(ps, SDP_E_SYNTAX, "o= needs 6 fields");
	for (unsigned i = 1; i <= 2; i++)
		for (size_t k = 0; k < w[i].n; k++)
			if (w[i].p[k] < '0' || w[i].p[k] > '9' || w[i].n > 20)
				return sdp_fail(ps, SDP_E_SYNTAX, "o=: session id and version must be numbers");
	return 0;
}

/* t=<start> <stop> */
static int timing_line(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_word a, b;

	if (!sdp_next_word(&v, &a) || !sdp_next_word(&v, &b) || sdp_next_word(&v, &a))
		return sdp_fail(ps, SDP_E_SYNTAX, "t= needs start and stop times");
	for (size_t k = 0; k < a.n; k++)
		if (a.p[k] < '0' || a.p[k] > '9')
			return sdp_fail(ps, SDP_E_SYNTAX, "t=: the start time is not a number");
	for (size_t k = 0; k < b.n; k++)
		if (b.p[k] < '0' || b.p[k] > '9')
			return sdp_fail(ps, SDP_E_SYNTAX, "t=: the stop time is not a number");
	return 0;
}

/* c=<nettype> <addrtype> <address>: read for its shape only (ICE decides). */
static int connection_line(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_word a, b, c;

	if (!sdp_next_word(&v, &a) || !sdp_next_word(&v, &b) || !sdp_next_word(&v, &c) ||
	    sdp_next_word(&v, &a))
		return sdp_fail(ps, SDP_E_SYNTAX, "c= needs network type, address type and address");
	return 0;
}

static int one_line(struct sdp_parser *ps, struct sdp_word line)
{
	struct sdp_word v = { line.p + 2, line.n - 2 }, name, value;
	char type;

	if (ps->line == 1) {
		if (!(line.n == 3 && memcmp(line.p, "v=0", 3) == 0))
			return sdp_fail(ps, SDP_E_SYNTAX, "an SDP offer starts with v=0");
		return 0;
	}
	if (line.n < 2 || line.p[1] != '=' || line.p[0] < 'a' || line.p[0] > 'z')
		return sdp_fail(ps, SDP_E_SYNTAX, "not a <type>=<value> line");
	type = line.p[0];
	switch (type) {
	case 'v':
		return sdp_fail(ps, SDP_E_SYNTAX, "a second v= line");
	case 'm':
		return media_line(ps, v);
	case 'a':
		if (sdp_word_split(v, ':', &name, &value))
			return sdp_attr(ps, name, value, true);
		value.p = v.p + v.n;
		value.n = 0;
		return sdp_attr(ps, v, value, false);
	case 'c':
		return connection_line(ps, v);
	case 'i':
	case 'b':
	case 'k':
		return 0; /* session or media level, not read */
	default:
		break;
	}
	if (ps->m != NULL)
		return sdp_fail(ps, SDP_E_SYNTAX, "%c= is not allowed in a media section", type);
	switch (type) {
	case 'o':
		if (ps->has_o)
			return sdp_fail(ps, SDP_E_SYNTAX, "a second o= line");
		ps->has_o = true;
		return origin_line(ps, v);
	case 's':
		if (ps->has_s)
			return sdp_fail(ps, SDP_E_SYNTAX, "a second s= line");
		ps->has_s = true;
		return 0;
	case 't':
		ps->has_t = true;
		return timing_line(ps, v);
	case 'u':
	case 'e':
	case 'p':
	case 'r':
	case 'z':
		return 0;
	default:
		/* RFC 8866 5: a parser must ignore or reject what it does not understand */
		return sdp_fail(ps, SDP_E_SYNTAX, "unknown line type %c=", type);
	}
}

/* The media sections take the session's attributes they lack; the
 * BUNDLE group's mids become media indices. */
static int finish(struct sdp_parser *ps)
{
	struct sdp_offer *o = ps->o;

	ps->line = 0;
	if (!ps->has_o || !ps->has_s || !ps->has_t)
		return sdp_fail(ps, SDP_E_SYNTAX, "the session has no %s line",
				!ps->has_o ? "o=" : !ps->has_s ? "s=" : "t=");
	for (unsigned i = 0; i < o->n_media; i++) {
		struct sdp_media *m = &o->media[i];

		if (m->tr.ufrag[0] == '\0')
			memcpy(m->tr.ufrag, o->tr.ufrag, sizeof(m->tr.ufrag));
		if (m->tr.pwd[0] == '\0')
			memcpy(m->tr.pwd, o->tr.pwd, sizeof(m->tr.pwd));
		if (m->tr.setup == SDP_SETUP_NONE)
			m->tr.setup = o->tr.setup;
		if (m->tr.n_fp_seen == 0) {
			m->tr.n_fp = o->tr.n_fp;
			m->tr.n_fp_seen = o->tr.n_fp_seen;
			memcpy(m->tr.fp, o->tr.fp, sizeof(m->tr.fp));
		}
		if (!ps->m_has_dir[i])
			m->dir = o->dir;
		for (unsigned k = 0; k < m->n_pt; k++) {
			struct sdp_pt *p = &m->pt[k];

			p->fb |= m->fb_all;
			if (p->codec == SDP_CODEC_H264 && !p->has_plid)
				p->plid = 0x420010; /* RFC 6184 8.1: Baseline, level 1.0 */
		}
		for (unsigned k = 0; k < i && m->mid[0] != '\0'; k++)
			if (strcmp(o->media[k].mid, m->mid) == 0)
				return sdp_fail(ps, SDP_E_SYNTAX, "media sections %u and %u have the same mid",
						k + 1, i + 1);
	}
	for (unsigned g = 0; g < ps->n_group; g++) {
		unsigned i;

		for (i = 0; i < o->n_media; i++)
			if (strcmp(o->media[i].mid, ps->group[g]) == 0)
				break;
		ps->line = ps->group_line;
		if (i == o->n_media)
			return sdp_fail(ps, SDP_E_SYNTAX, "a=group:BUNDLE names a mid no media section has");
		for (unsigned k = 0; k < o->n_bundle; k++)
			if (o->bundle[k] == i)
				return sdp_fail(ps, SDP_E_SYNTAX, "a=group:BUNDLE names a mid twice");
		o->bundle[o->n_bundle++] = (uint8_t)i;
	}
	return 0;
}

int sdp_parse_offer(const char *text, size_t len, struct sdp_offer *out, char *err, size_t errlen)
{
	struct sdp_parser ps;
	const char *p = text, *end = text + len;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&ps, 0, sizeof(ps));
	ps.o = out;
	ps.err = err;
	ps.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (len > SDP_MAX_TEXT)
		return sdp_fail(&ps, SDP_E_TOO_LARGE, "the offer is longer than %d bytes", SDP_MAX_TEXT);
	if (len == 0)
		return sdp_fail(&ps, SDP_E_SYNTAX, "the offer is empty");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		struct sdp_word line = { p, (size_t)(le - p) };

		if (line.n > 0 && line.p[line.n - 1] == '\r')
			line.n--;
		if (++ps.line > SDP_MAX_LINES)
			return sdp_fail(&ps, SDP_E_LIMIT, "more than %d lines", SDP_MAX_LINES);
		if (line.n > SDP_MAX_LINE)
			return sdp_fail(&ps, SDP_E_LIMIT, "longer than %d bytes", SDP_MAX_LINE);
		for (size_t i = 0; i < line.n; i++) {
			unsigned char c = (unsigned char)line.p[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return sdp_fail(&ps, SDP_E_SYNTAX, "a control character (0x%02x) at column %zu",
						c, i + 1);
		}
		if (line.n == 0) {
			/* empty lines are allowed only at the end */
			for (const char *q = le; q < end; q++)
				if (*q != '\r' && *q != '\n')
					return sdp_fail(&ps, SDP_E_SYNTAX, "an empty line");
			break;
		}
		rc = one_line(&ps, line);
		if (rc != 0)
			return rc;
		p = nl != NULL ? nl + 1 : end;
	}
	return finish(&ps);
}

void sdp_offer_clear(struct sdp_offer *o)
{
	OPENSSL_cleanse(o, sizeof(*o));
}
