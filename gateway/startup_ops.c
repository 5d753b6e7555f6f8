/* SPDX-License-Identifier: BSD-3-Clause */
/* srtpgw --ops FILE: see gateway/startup_ops.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/agent_wire.h"
#include "api/log.h"
#include "api/ops_text.h"
#include "gateway/startup_ops.h"

struct apply_ctx {
	struct sgw_agent *a;
	int line;        /* of the op the agent refused */
	char msg[200];   /* its answer (never key material) */
};

FILE *startup_ops_open(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		snprintf(err, errlen, "%s: cannot open the ops file: %s", path, strerror(errno));
	return f;
}

/* sgw_ops_text_read callback: one op into the open transaction. */
static int apply_op(const struct sgw_text_op *op, int line_no, void *arg)
{
	struct apply_ctx *c = arg;
	char err[sizeof(c->msg) - 32];
	int rc = agent_txn_op(c->a, op->type, &op->body, err, sizeof(err));

	if (rc == 0)
		return 0;
	c->line = line_no;
	snprintf(c->msg, sizeof(c->msg), "%s: %s", sgw_op_name(op->type), err);
	return rc;
}

int startup_ops_apply(struct sgw_agent *a, FILE *f, const char *path, char *err, size_t errlen)
{
	struct sgw_txn_begin begin = { 0 };
	struct sgw_ops_text_err perr = { 0 };
	struct apply_ctx c = { .a = a };
	char terr[200];
	uint64_t version;
	uint32_t op_index;
	int rc;

	if (agent_txn_begin(a, &begin, terr, sizeof(terr)) != 0) {
		fclose(f);
		snprintf(err, errlen, "%s: %s", path, terr);
		return -1;
	}
	rc = sgw_ops_text_read(f, apply_op, &c, &perr);
	fclose(f);
	if (rc != 0) {
		agent_txn_abort(a);
		if (c.line > 0)
			snprintf(err, errlen, "%s:%d: %s (nothing applied)", path, c.line, c.msg);
		else if (perr.line > 0)
			snprintf(err, errlen, "%s:%d: %s (nothing applied)", path, perr.line, perr.msg);
		else
			snprintf(err, errlen, "%s: %s (nothing applied)", path, perr.msg);
		return -1;
	}
	if (agent_txn_commit(a, &version, &op_index, terr, sizeof(terr)) != 0) {
		snprintf(err, errlen, "%s: %s (nothing applied)", path, terr);
		return -1;
	}
	agent_txn_reclaim(a);
	sgw_log(LOG_INFO, "%s: applied as version %" PRIu64 ": %zu streams, %zu viewers", path,
		version, a->streams.n, a->viewers.n);
	return 0;
}
