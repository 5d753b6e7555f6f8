/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The description: the op file the gateway was given, read with the same
 * parser as srtpgw-agentctl (api/ops_text.c) and applied in order, as the
 * gateway would, to the streams and viewers it ends up with. Ops that do
 * not change what is sent or received (grants, end of a rekey overlap) are
 * accepted and have no effect here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/addr.h"
#include "api/ops_text.h"
#include "dataplane/srtp_ctx.h"
#include "gateway/idmap.h"
#include "tools/loadgen/lg.h"

struct load_ctx {
	struct lg_model *m;
	unsigned cap_s, cap_v;
	struct idmap by_id_s, by_id_v; /* id -> index + 1 of a live entry */
	char *err;
	size_t errlen;
	const char *path;
};

static int fail(struct load_ctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct load_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "%s:%d: ", c->path, line);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Entries are appended and, when deleted, zeroed and marked dead (id 0):
 * indices stay put while the file is read; lg_model_prepare() compacts. */
static struct lg_stream *find_stream(struct load_ctx *c, uint64_t id)
{
	uintptr_t i = (uintptr_t)idmap_get(&c->by_id_s, id);

	return i ? &c->m->streams[i - 1] : NULL;
}

static struct lg_viewer *find_viewer(struct load_ctx *c, uint64_t id)
{
	uintptr_t i = (uintptr_t)idmap_get(&c->by_id_v, id);

	return i ? &c->m->viewers[i - 1] : NULL;
}

static void del_viewer(struct load_ctx *c, struct lg_viewer *v)
{
	idmap_del(&c->by_id_v, v->id);
	OPENSSL_cleanse(v, sizeof(*v)); /* id 0: dead */
}

static int grow(void **p, unsigned *cap, unsigned n, size_t size)
{
	void *np;
	unsigned ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	np = calloc(ncap, size);
	if (np == NULL)
		return -1;
	if (*p != NULL) {
		memcpy(np, *p, n * size);
		OPENSSL_cleanse(*p, *cap * size); /* it holds keys */
		free(*p);
	}
	*p = np;
	*cap = ncap;
	return 0;
}

static int apply(const struct sgw_text_op *op, int line, void *arg)
{
	struct load_ctx *c = arg;
	struct lg_model *m = c->m;
	struct lg_stream *st;
	struct lg_viewer *v;

	switch (op->type) {
	case SGW_OP_STREAM_ADD: {
		const struct sgw_op_stream_add *b = &op->body.stream_add;
		if (find_stream(c, b->stream_id) != NULL)
			return fail(c, line, "stream %llu exists", (unsigned long long)b->stream_id);
		if (grow((void **)&m->streams, &c->cap_s, m->n_streams, sizeof(*st)) != 0 ||
		    idmap_put(&c->by_id_s, b->stream_id, (void *)(uintptr_t)(m->n_streams + 1)) != 0)
			return fail(c, line, "out of memory");
		st = &m->streams[m->n_streams++];
		memset(st, 0, sizeof(*st));
		st->id = b->stream_id;
		st->listen = b->listen;
		st->source = b->source;
		st->key = b->key;
		st->plain = b->key.suite == SGW_SUITE_PLAIN;
		return 0;
	}
	case SGW_OP_STREAM_DEL:
		if ((st = find_stream(c, op->body.id.id)) == NULL)
			return fail(c, line, "no stream %llu", (unsigned long long)op->body.id.id);
		for (unsigned j = 0; j < m->n_viewers; j++)
			if (m->viewers[j].id != 0 && m->viewers[j].stream_id == st->id)
				del_viewer(c, &m->viewers[j]);
		idmap_del(&c->by_id_s, st->id);
		OPENSSL_cleanse(st, sizeof(*st));
		return 0;
	case SGW_OP_STREAM_REKEY:
		if ((st = find_stream(c, op->body.rekey.id)) == NULL)
			return fail(c, line, "no stream %llu", (unsigned long long)op->body.rekey.id);
		st->key = op->body.rekey.key; /* the sender uses the new key */
		st->plain = false;
		return 0;
	case SGW_OP_STREAM_SET_SOURCE:
		if ((st = find_stream(c, op->body.stream_source.stream_id)) == NULL)
			return fail(c, line, "no stream %llu",
				    (unsigned long long)op->body.stream_source.stream_id);
		st->source = op->body.stream_source.source;
		return 0;
	case SGW_OP_STREAM_END_OVERLAP:
	case SGW_OP_GRANT_ADD:
	case SGW_OP_GRANT_DEL:
	case SGW_OP_STREAM_FENCE: /* the gateway's business: nothing sent or received changes */
		return 0;
	case SGW_OP_VIEWER_ADD: {
		const struct sgw_op_viewer_add *b = &op->body.viewer_add;
		if (find_viewer(c, b->viewer_id) != NULL)
			return fail(c, line, "viewer %llu exists", (unsigned long long)b->viewer_id);
		if (find_stream(c, b->stream_id) == NULL)
			return fail(c, line, "viewer %llu: no stream %llu",
				    (unsigned long long)b->viewer_id, (unsigned long long)b->stream_id);
		if (grow((void **)&m->viewers, &c->cap_v, m->n_viewers, sizeof(*v)) != 0 ||
		    idmap_put(&c->by_id_v, b->viewer_id, (void *)(uintptr_t)(m->n_viewers + 1)) != 0)
			return fail(c, line, "out of memory");
		v = &m->viewers[m->n_viewers++];
		memset(v, 0, sizeof(*v));
		v->id = b->viewer_id;
		v->stream_id = b->stream_id;
		v->to = b->dest;
		v->key = b->key;
		v->plain = b->key.suite == SGW_SUITE_PLAIN;
		/* one source SSRC per stream here: its first lane */
		v->lanes = b->lanes.n > 0;
		v->lane_ssrc = b->lanes.lane[0].ssrc;
		return 0;
	}
	case SGW_OP_VIEWER_DEL:
		if ((v = find_viewer(c, op->body.id.id)) == NULL)
			return fail(c, line, "no viewer %llu", (unsigned long long)op->body.id.id);
		del_viewer(c, v);
		return 0;
	case SGW_OP_VIEWER_REKEY:
		if ((v = find_viewer(c, op->body.rekey.id)) == NULL)
			return fail(c, line, "no viewer %llu", (unsigned long long)op->body.rekey.id);
		v->key = op->body.rekey.key;
		v->plain = v->key.suite == SGW_SUITE_PLAIN;
		return 0;
	case SGW_OP_VIEWER_SET_DEST:
		if ((v = find_viewer(c, op->body.viewer_dest.viewer_id)) == NULL)
			return fail(c, line, "no viewer %llu",
				    (unsigned long long)op->body.viewer_dest.viewer_id);
		v->to = op->body.viewer_dest.dest;
		return 0;
	default:
		return fail(c, line, "op %u not understood", op->type);
	}
}

int lg_model_load(const char *path, struct lg_model *m, char *err, size_t errlen)
{
	struct load_ctx c = { .m = m, .err = err, .errlen = errlen, .path = path };
	struct sgw_ops_text_err perr;
	FILE *f;
	int rc;

	memset(m, 0, sizeof(*m));
	err[0] = '\0';
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	idmap_init(&c.by_id_s);
	idmap_init(&c.by_id_v);
	rc = sgw_ops_text_read(f, apply, &c, &perr);
	fclose(f);
	idmap_fini(&c.by_id_s);
	idmap_fini(&c.by_id_v);
	if (rc != 0 && err[0] == '\0') /* a parse error, not one of apply's */
		snprintf(err, errlen, "%s:%d: %s", path, perr.line, perr.msg);
	return rc == 0 ? 0 : -1;
}

int lg_model_prepare(struct lg_model *m, const struct lg_opts *o, char *err, size_t errlen)
{
	struct idmap idx; /* stream id -> index + 1 */
	unsigned n = 0;

	/* compact: the live streams, the first --streams-limit of them */
	for (unsigned i = 0; i < m->n_streams; i++) {
		if (m->streams[i].id == 0)
			continue;
		if (o->streams_limit && n == o->streams_limit) {
			OPENSSL_cleanse(&m->streams[i], sizeof(m->streams[i]));
			continue;
		}
		if (n != i) {
			m->streams[n] = m->streams[i];
			OPENSSL_cleanse(&m->streams[i], sizeof(m->streams[i]));
		}
		n++;
	}
	m->n_streams = n;
	if (m->n_streams == 0) {
		snprintf(err, errlen, "%s: no streams to send", o->ops_path);
		return -1;
	}
	idmap_init(&idx);
	for (unsigned i = 0; i < m->n_streams; i++) {
		if (idmap_put(&idx, m->streams[i].id, (void *)(uintptr_t)(i + 1)) != 0) {
			idmap_fini(&idx);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	/* the live viewers of the streams sent */
	n = 0;
	for (unsigned j = 0; j < m->n_viewers; j++) {
		uintptr_t s = m->viewers[j].id ? (uintptr_t)idmap_get(&idx, m->viewers[j].stream_id) : 0;
		if (s == 0) {
			OPENSSL_cleanse(&m->viewers[j], sizeof(m->viewers[j]));
			continue;
		}
		if (n != j) {
			m->viewers[n] = m->viewers[j];
			OPENSSL_cleanse(&m->viewers[j], sizeof(m->viewers[j]));
		}
		m->viewers[n++].stream = (unsigned)(s - 1);
	}
	m->n_viewers = n;
	idmap_fini(&idx);
	m->n_srtp_streams = 0;
	for (unsigned i = 0; i < m->n_streams; i++) {
		struct lg_stream *st = &m->streams[i];
		st->n_viewers = 0;
		m->n_srtp_streams += !st->plain;
		if (st->source.addr.family == SGW_AF_NONE) {
			if (o->source.addr.family == SGW_AF_NONE) {
				snprintf(err, errlen, "stream %llu has no source address: give --source ADDR",
					 (unsigned long long)st->id);
				return -1;
			}
			st->source.addr = o->source.addr;
			st->source.port = st->source.port ? st->source.port : o->source.port;
		}
		if (st->source.addr.family != st->listen.addr.family) {
			snprintf(err, errlen, "stream %llu: source and listen address differ in family",
				 (unsigned long long)st->id);
			return -1;
		}
		if (st->source.port == 0) /* any port: one of our own per stream */
			st->source.port = (uint16_t)(10000 + i % 50000);
	}
	for (unsigned j = 0; j < m->n_viewers; j++)
		m->streams[m->viewers[j].stream].n_viewers++;
	return 0;
}

void lg_model_free(struct lg_model *m)
{
	for (unsigned i = 0; i < m->n_streams; i++) {
		free(m->streams[i].frames);
		free(m->streams[i].tmpl);
		free(m->streams[i].stamps);
	}
	if (m->streams != NULL) {
		OPENSSL_cleanse(m->streams, m->n_streams * sizeof(m->streams[0]));
		free(m->streams);
	}
	for (unsigned j = 0; j < m->n_viewers; j++)
		sgw_srtp_free(m->viewers[j].rx);
	if (m->viewers != NULL) {
		OPENSSL_cleanse(m->viewers, m->n_viewers * sizeof(m->viewers[0]));
		free(m->viewers);
	}
	memset(m, 0, sizeof(*m));
}
