/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the SDP module (sdp.h): the parser's state and the small text
 * helpers shared by sdp_parse.c (lines and sections) and sdp_attr.c (the
 * attributes srtpgw reads).
 */
#ifndef SRTPGW_SDP_PRIV_H
#define SRTPGW_SDP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/daemon/sdp.h"

/* A piece of the offer's text: never NUL-terminated. */
struct sdp_word {
	const char *p;
	size_t n;
};

struct sdp_parser {
	struct sdp_offer *o;
	struct sdp_media *m;           /* the current media section, NULL at session level */
	int16_t pt_at[SDP_MAX_PT];     /* its payload types' indices in m->pt, -1 for none */
	unsigned line;                 /* 1-based number of the current line */
	char *err;
	size_t errlen;
	/* what was seen, for duplicates and defaults */
	bool has_o, has_s, has_t, has_dir;
	bool m_has_dir[SDP_MAX_MEDIA];
	uint8_t n_group;               /* the first BUNDLE group's mids, resolved at the end */
	char group[SDP_MAX_GROUP][SDP_MID_MAX + 1];
	unsigned group_line;
};

/* Writes "line N: " and the message into ps->err; returns -code. */
int sdp_fail(struct sdp_parser *ps, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The next space-separated word of *rest (runs of spaces skipped); false
 * at the end. */
bool sdp_next_word(struct sdp_word *rest, struct sdp_word *w);
bool sdp_word_eq(struct sdp_word w, const char *s);
bool sdp_word_ieq(struct sdp_word w, const char *s);
/* Decimal digits only (1..10 of them), at most max. */
bool sdp_word_u32(struct sdp_word w, uint32_t max, uint32_t *v);
/* RFC 8866 token characters only, at least one. */
bool sdp_is_token(struct sdp_word w);
/* Copy a word into a buffer of size cap (NUL-terminated); false if it does
 * not fit. */
bool sdp_word_copy(struct sdp_word w, char *dst, size_t cap);
/* Splits w at the first c: *head before, *tail after; false without c. */
bool sdp_word_split(struct sdp_word w, char c, struct sdp_word *head, struct sdp_word *tail);

enum sdp_codec sdp_codec_by_name(struct sdp_word name);
/* The payload type's entry in the current media section, or NULL (one
 * lookup: an offer may have thousands of lines for 128 payload types). */
struct sdp_pt *sdp_find_pt(struct sdp_parser *ps, uint32_t pt);

/* One a= line: name and value (has_value: there was a ':'). 0 or -SDP_E_*. */
int sdp_attr(struct sdp_parser *ps, struct sdp_word name, struct sdp_word value, bool has_value);

#endif
