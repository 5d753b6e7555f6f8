/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The main thread's side of the HTTP API: each job the HTTP thread
 * queued is answered here, where the database is. The token is looked up
 * (auth.c: by its hash; unknown, deleted and expired tokens refused) and
 * cleansed; an offer's stream is checked against the token's owner; then
 * the WebRTC sessions (webrtc.h) make or end the session. Nothing is
 * created on any refusal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/log.h"
#include "control/daemon/auth.h"
#include "control/daemon/daemon.h"
#include "control/daemon/http_priv.h"

int http_stream_access(struct ctl_daemon *d, const struct ctl_principal *who, bool whip, const char *stream,
		       struct webrtc_reply *out)
{
	struct store_stream_info st;
	int rc = store_stream_info_by_name(d->store, stream, &st);
	const char *owner = who->admin ? "" : "owner ";

	if (rc == -ENOENT) {
		snprintf(out->reason, sizeof(out->reason), "no stream named \"%s\"", stream);
		return 404;
	}
	if (rc == 0 && (who->admin || st.owner_id == who->owner_id))
		return 0;
	if (rc == 0 && whip) {
		/* a grant lets its holder receive a stream, not send it */
		snprintf(out->reason, sizeof(out->reason), "permission denied: %s%s may not publish to stream %s "
			 "(not %s's)", owner, who->name, stream, who->name);
		return 403;
	}
	if (rc == 0)
		rc = store_grant_exists(d->store, st.id, who->owner_id);
	if (rc == 1)
		return 0;
	if (rc == 0) {
		snprintf(out->reason, sizeof(out->reason), "permission denied: %s%s may not view stream %s (not "
			 "%s's, no grant)", owner, who->name, stream, who->name);
		return 403;
	}
	snprintf(out->reason, sizeof(out->reason), "internal error: the database failed");
	sgw_log(LOG_ERR, "HTTP: stream %s: database: %s", stream, store_errmsg(d->store));
	return 500;
}

/* A status the sessions answered, made sure to be one we can send. */
static int checked_status(struct http_job *j, int status)
{
	struct webrtc_reply *r = &j->reply;
	const char *what = j->del ? "webrtc_delete" : "webrtc_offer";

	struct http_route loc;
	bool ok = status == 200 || status == 202 || status == 204 || (status >= 400 && status <= 599);

	/* a 201 names the session as DELETE finds it; header values are
	 * printable */
	if (status == 201)
		ok = http_route_parse(r->location, &loc) == 0 && loc.kind == HTTP_ROUTE_SESSION &&
		     loc.whip == j->whip;
	for (const char *p = r->etag; ok && *p != '\0'; p++)
		ok = (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f;
	for (const char *p = r->content_type; ok && *p != '\0'; p++)
		ok = (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f;

	if (!ok) {
		char where[48];
		sgw_log(LOG_ERR, "HTTP: %s answered %d (location \"%s\"); that is not a valid answer: "
			"answering 500", what, status, http_printable(r->location, where, sizeof(where)));
		snprintf(r->reason, sizeof(r->reason), "internal error: the session's answer was not valid");
		status = 500;
	}
	if (status >= 300 && r->body != NULL) {
		OPENSSL_cleanse(r->body, r->len);
		free(r->body);
		r->body = NULL;
		r->len = 0;
	}
	if (status >= 400 && r->reason[0] == '\0')
		snprintf(r->reason, sizeof(r->reason), "%s", http_reason(status));
	/* one line, whatever the sessions wrote */
	for (char *p = r->reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return status;
}

static void answer(struct ctl_daemon *d, struct http_job *j)
{
	struct ctl_principal who;
	struct ctl_peer nobody;
	char err[sizeof(j->reply.reason)];
	int rc;

	/* an HTTP client is mapped to nothing: only its token counts */
	memset(&nobody, 0, sizeof(nobody));
	snprintf(nobody.who, sizeof(nobody.who), "HTTP client %s", j->peer);
	rc = ctl_principal_of(d, &nobody, j->token, &who, err, sizeof(err));
	OPENSSL_cleanse(j->token, sizeof(j->token));
	if (rc == -EACCES || rc == -EKEYEXPIRED) {
		j->status = 401;
		j->bad_token = true;
		snprintf(j->reply.reason, sizeof(j->reply.reason), "%s", err);
		return;
	}
	if (rc != 0) {
		j->status = 500;
		snprintf(j->reply.reason, sizeof(j->reply.reason), "internal error: the database failed");
		sgw_log(LOG_ERR, "HTTP: token lookup: %s", err);
		return;
	}
	snprintf(j->principal, sizeof(j->principal), "%s", who.name);
	if (j->del) {
		j->status = checked_status(j, webrtc_delete(d, &who, j->whip, j->name, &j->reply));
		return;
	}
	j->status = http_stream_access(d, &who, j->whip, j->name, &j->reply);
	if (j->status == 0)
		j->status = checked_status(j, webrtc_offer(d, &who, j->whip, j->name, j->offer, j->offer_len,
							   &j->reply));
}

void http_service(struct http_server *h, struct ctl_daemon *d)
{
	bool more = false;

	/* emptied first: a job queued from now on signals it again */
	http_fd_drain(h->q.main_fd);
	for (int i = 0; i < HTTP_JOBS_PER_TURN; i++) {
		struct http_job *j = http_queue_take(&h->q, &more);

		if (j == NULL)
			break;
		answer(d, j);
		http_queue_answer(&h->q, j);
		if (!more)
			break;
	}
	if (more)
		http_fd_signal(h->q.main_fd);
}
