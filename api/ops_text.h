/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The op language of `srtpgw-agentctl apply` (docs/agentctl.md), one op a
 * line, parsed into the agent protocol's op bodies (api/srtpgw_agent.h).
 * Shared by srtpgw-agentctl and srtpgw-loadgen, so that both read one
 * description the same way. Error messages never contain key material;
 * nothing here exits or prints.
 */
#ifndef SRTPGW_OPS_TEXT_H
#define SRTPGW_OPS_TEXT_H

#include <stdint.h>
#include <stdio.h>

#include "api/srtpgw_agent.h"

/* One parsed op: its type (enum sgw_op_type), the length of its wire body
 * and the body. The body may hold a key: sgw_text_op_clear() it. */
struct sgw_text_op {
	unsigned type;
	uint16_t len;
	union {
		struct sgw_op_stream_add stream_add;
		struct sgw_op_id id;                 /* STREAM_DEL, END_OVERLAP, VIEWER_DEL */
		struct sgw_op_rekey rekey;           /* STREAM_REKEY, VIEWER_REKEY */
		struct sgw_op_stream_source stream_source;
		struct sgw_op_grant grant;           /* GRANT_ADD, GRANT_DEL */
		struct sgw_op_viewer_add viewer_add;
		struct sgw_op_viewer_dest viewer_dest;
		struct sgw_op_port port;             /* PORT_ADD, PORT_DEL */
		struct sgw_op_addr addr;             /* ADDR_ADD, ADDR_DEL */
		struct sgw_op_fence fence;           /* STREAM_FENCE */
	} body;
};

struct sgw_ops_text_err {
	int line;       /* 1-based line of the error */
	char msg[160];  /* without the line number; never key material */
};

/*
 * Parse one line (tokenised in place: it is modified). Returns 1 and *op
 * for an op, 0 for a blank or comment-only line, -1 with err set.
 */
int sgw_ops_text_parse_line(char *line, int line_no, struct sgw_text_op *op,
			    struct sgw_ops_text_err *err);

/*
 * Read f to its end and call fn for each op, in order. fn returns 0 to go
 * on, or non-zero to stop (that value is returned). The line buffer and
 * every op are zeroed after use. Returns 0 at the end of f, fn's value, or
 * -1 with err set (a parse error, or err->line 0 and a read error).
 */
typedef int (*sgw_ops_text_fn)(const struct sgw_text_op *op, int line_no, void *arg);
int sgw_ops_text_read(FILE *f, sgw_ops_text_fn fn, void *arg, struct sgw_ops_text_err *err);

/* Zero an op (it may hold a key). */
void sgw_text_op_clear(struct sgw_text_op *op);

#endif
