/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a request to the HTTP API asks (control/daemon/http_req.c): the
 * routes, bearer tokens (RFC 6750's syntax), Content-Type, Accept with
 * its q values and specificity (RFC 9110 12.5.1), origins, reason
 * phrases, printable log text. And the job queue between the HTTP thread
 * and the main thread (http_queue.c): order, its bound, its eventfds,
 * a producer and a consumer on two threads.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/daemon/http_priv.h"
#include "control/daemon/http_req.h"
#include "check.h"

#define CHECK_STREQ(a, b) CHECK(strcmp((a), (b)) == 0)

static void routes(void)
{
	struct http_route r;

	CHECK_EQ(http_route_parse("/whep/cam1", &r), 0);
	CHECK_EQ(r.kind, HTTP_ROUTE_STREAM);
	CHECK(!r.whip);
	CHECK_STREQ(r.name, "cam1");
	CHECK_EQ(http_route_parse("/whip/alice-cam_2.x", &r), 0);
	CHECK_EQ(r.kind, HTTP_ROUTE_STREAM);
	CHECK(r.whip);
	CHECK_STREQ(r.name, "alice-cam_2.x");
	/* a stream may be named "session" */
	CHECK_EQ(http_route_parse("/whep/session", &r), 0);
	CHECK_EQ(r.kind, HTTP_ROUTE_STREAM);
	CHECK_STREQ(r.name, "session");
	CHECK_EQ(http_route_parse("/whep/session/3fA-_9", &r), 0);
	CHECK_EQ(r.kind, HTTP_ROUTE_SESSION);
	CHECK(!r.whip);
	CHECK_STREQ(r.name, "3fA-_9");
	CHECK_EQ(http_route_parse("/whip/session/s1", &r), 0);
	CHECK_EQ(r.kind, HTTP_ROUTE_SESSION);
	CHECK(r.whip);
	/* 63 characters is a name, 64 is not */
	CHECK_EQ(http_route_parse("/whep/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &r), 0);
	CHECK_EQ(strlen(r.name), 63);
	static const char *const none[] = {
		NULL, "", "/", "/whep", "/whep/", "/whep//cam", "/whep/cam/", "/whep/c%61m", "/whep/cam?x=1",
		"/WHEP/cam", "whep/cam", "/whepx/cam", "/whep/session/", "/whep/session/a/b", "/whep/cam/extra",
		"/whep/ca m", "/whep/caé", "/wh/cam", "/whip/session/s1/",
		"/whep/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		r.kind = HTTP_ROUTE_STREAM;
		if (http_route_parse(none[i], &r) != -1 || r.kind != HTTP_ROUTE_NONE || r.name[0] != '\0') {
			fprintf(stderr, "route of \"%s\" is not none\n", none[i] ? none[i] : "(null)");
			check_case_failed = 1;
		}
	}
	CHECK_STREQ(http_route_methods(HTTP_ROUTE_STREAM), "POST, OPTIONS");
	CHECK_STREQ(http_route_methods(HTTP_ROUTE_SESSION), "DELETE, OPTIONS");
}

static void bearer(void)
{
	char t[HTTP_TOKEN_MAX + 1], max[HTTP_TOKEN_MAX + 20];

	CHECK_EQ(http_bearer("Bearer sgwt_abc-DEF_123", t), 0);
	CHECK_STREQ(t, "sgwt_abc-DEF_123");
	CHECK_EQ(http_bearer("bearer  \tx.y~z+/==  ", t), 0);
	CHECK_STREQ(t, "x.y~z+/==");
	CHECK_EQ(http_bearer("BEARER a", t), 0);
	CHECK_STREQ(t, "a");
	/* exactly the longest */
	snprintf(max, sizeof(max), "Bearer %0*d", HTTP_TOKEN_MAX, 0);
	CHECK_EQ(http_bearer(max, t), 0);
	CHECK_EQ(strlen(t), HTTP_TOKEN_MAX);
	snprintf(max, sizeof(max), "Bearer %0*d", HTTP_TOKEN_MAX + 1, 0);
	CHECK_EQ(http_bearer(max, t), -1);
	CHECK_STREQ(t, "");
	static const char *const bad[] = {
		NULL, "", "Bearer", "Bearer ", "Bearer  ", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearerabc",
		"Bearer a b", "Bearer a=b", "Bearer =", "Bearer a,b", "Bearer \"a\"", "Token a", "Bearer a\r\n",
		"Bearer a\x01", "Bearer é",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(t, "x");
		if (http_bearer(bad[i], t) != -1 || t[0] != '\0') {
			fprintf(stderr, "bearer of \"%s\" accepted\n", bad[i] ? bad[i] : "(null)");
			check_case_failed = 1;
		}
	}
}

static void content_types(void)
{
	CHECK(http_is_sdp("application/sdp"));
	CHECK(http_is_sdp("Application/SDP"));
	CHECK(http_is_sdp(" application/sdp ; charset=utf-8"));
	CHECK(http_is_sdp("application/sdp;x=y"));
	CHECK(!http_is_sdp(NULL));
	CHECK(!http_is_sdp(""));
	CHECK(!http_is_sdp("application/sdpx"));
	CHECK(!http_is_sdp("application/json"));
	CHECK(!http_is_sdp("text/plain"));
	CHECK(!http_is_sdp("application/sdp, text/plain"));
	CHECK(!http_is_sdp("application/sdp x"));
	CHECK(!http_is_sdp("application/*"));
}

static void accept_header(void)
{
	CHECK(http_accepts_sdp(NULL));
	CHECK(http_accepts_sdp(""));
	CHECK(http_accepts_sdp(" , "));
	CHECK(http_accepts_sdp("*/*"));
	CHECK(http_accepts_sdp("application/sdp"));
	CHECK(http_accepts_sdp("APPLICATION/*"));
	CHECK(http_accepts_sdp("text/html, application/xhtml+xml, */*;q=0.8"));
	CHECK(http_accepts_sdp("application/sdp;q=0.001"));
	CHECK(http_accepts_sdp("application/sdp; q=1.000"));
	CHECK(!http_accepts_sdp("text/plain"));
	CHECK(!http_accepts_sdp("application/json, text/*"));
	CHECK(!http_accepts_sdp("application/sdp;q=0"));
	CHECK(!http_accepts_sdp("application/sdp;q=0.000"));
	/* the most specific range decides */
	CHECK(!http_accepts_sdp("*/*, application/sdp;q=0"));
	CHECK(http_accepts_sdp("*/*;q=0, application/sdp"));
	CHECK(!http_accepts_sdp("*/*, application/*;q=0"));
	CHECK(http_accepts_sdp("application/*;q=0, application/sdp;q=0.5"));
	/* malformed elements are ignored, not taken as "anything" */
	CHECK(!http_accepts_sdp("application/sdp;q=2"));
	CHECK(!http_accepts_sdp("application/sdp;q=0.5x"));
	CHECK(!http_accepts_sdp("application/sdp;q=1.5"));
	CHECK(http_accepts_sdp("application/sdp;q=2, */*"));
	CHECK(!http_accepts_sdp("application/sdp junk"));
}

static void origins(void)
{
	static const char list[2][CTL_ORIGIN_MAX] = { "https://app.example.net", "http://localhost:8080" };

	CHECK(http_origin_allowed("https://anything.example", list, 0));
	CHECK(http_origin_allowed(NULL, list, 0));
	CHECK(http_origin_allowed("https://app.example.net", list, 2));
	CHECK(http_origin_allowed("HTTPS://APP.example.NET", list, 2));
	CHECK(http_origin_allowed("http://localhost:8080", list, 2));
	CHECK(!http_origin_allowed("http://localhost:8081", list, 2));
	CHECK(!http_origin_allowed("https://app.example.net.evil", list, 2));
	CHECK(!http_origin_allowed("null", list, 2));
	CHECK(!http_origin_allowed(NULL, list, 2));
}

static void reasons_and_text(void)
{
	char out[8];

	CHECK_STREQ(http_reason(201), "Created");
	CHECK_STREQ(http_reason(405), "Method Not Allowed");
	CHECK_STREQ(http_reason(413), "Content Too Large");
	CHECK_STREQ(http_reason(501), "Not Implemented");
	CHECK_STREQ(http_reason(299), "Unknown");
	CHECK_STREQ(http_printable("a\r\nb\x7f\xc3\xa9", out, sizeof(out)), "a??b???");
	CHECK_STREQ(http_printable("abcdefghij", out, sizeof(out)), "abcdefg");
	CHECK_STREQ(http_printable(NULL, out, sizeof(out)), "");
}

/* ---- the queue ---------------------------------------------------------- */

static struct http_job *job(unsigned i)
{
	struct http_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		abort();
	snprintf(j->name, sizeof(j->name), "job%u", i);
	snprintf(j->token, sizeof(j->token), "sgwt_secret%u", i);
	return j;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void queue_order_and_bound(void)
{
	struct http_queue q;
	struct http_job *j, *refused = job(999);
	bool more = true, stop = true;

	CHECK_EQ(http_queue_init(&q), 0);
	CHECK(!readable(q.main_fd));
	CHECK(http_queue_take(&q, &more) == NULL);
	CHECK(!more);
	for (unsigned i = 0; i < HTTP_MAX_PENDING; i++)
		CHECK_EQ(http_queue_submit(&q, job(i)), 0);
	CHECK(readable(q.main_fd));
	CHECK_EQ(http_queue_submit(&q, refused), -EBUSY);
	http_job_free(refused);
	http_fd_drain(q.main_fd);
	CHECK(!readable(q.main_fd));
	for (unsigned i = 0; i < HTTP_MAX_PENDING; i++) {
		char want[16];

		j = http_queue_take(&q, &more);
		CHECK(j != NULL);
		if (j == NULL)
			break;
		snprintf(want, sizeof(want), "job%u", i);
		CHECK_STREQ(j->name, want);
		CHECK_EQ(more, i + 1 < HTTP_MAX_PENDING);
		j->status = 200 + (int)i;
		http_queue_answer(&q, j);
	}
	CHECK(readable(q.http_fd));
	/* room again */
	j = job(1000);
	CHECK_EQ(http_queue_submit(&q, j), 0);
	CHECK(readable(q.main_fd));
	j = http_queue_answered(&q, &stop);
	CHECK(!stop);
	for (unsigned i = 0; i < HTTP_MAX_PENDING; i++) {
		struct http_job *next;

		CHECK(j != NULL);
		if (j == NULL)
			break;
		CHECK_EQ(j->status, 200 + (int)i);
		next = j->next;
		http_job_free(j);
		j = next;
	}
	CHECK(j == NULL);
	CHECK(http_queue_answered(&q, &stop) == NULL);
	http_queue_stop(&q);
	CHECK(http_queue_answered(&q, &stop) == NULL);
	CHECK(stop);
	http_queue_fini(&q); /* frees job 1000, left in the queue */
}

/* The HTTP thread's part, on a thread: submit N jobs (retrying while the
 * queue is full), collect N answers. */
#define N_JOBS 2000
struct producer {
	struct http_queue *q;
	unsigned answered, busy, bad;
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	unsigned sent = 0;

	/* gives up after 10 s without an answer (the main part failed) */
	for (unsigned idle = 0; p->answered < N_JOBS && idle < 100;) {
		struct pollfd pfd = { .fd = p->q->http_fd, .events = POLLIN };
		bool stop;

		while (sent < N_JOBS) {
			struct http_job *j = job(sent);
			if (http_queue_submit(p->q, j) != 0) {
				http_job_free(j);
				p->busy++;
				break;
			}
			sent++;
		}
		idle = poll(&pfd, 1, 100) == 1 ? 0 : idle + 1;
		http_fd_drain(p->q->http_fd);
		for (struct http_job *j = http_queue_answered(p->q, &stop), *next; j != NULL; j = next) {
			char want[16];
			snprintf(want, sizeof(want), "job%u", p->answered);
			p->bad += strcmp(j->name, want) != 0 || j->status != 201;
			p->answered++;
			next = j->next;
			http_job_free(j);
		}
	}
	return NULL;
}

static void queue_two_threads(void)
{
	struct http_queue q;
	struct producer p = { &q, 0, 0, 0 };
	pthread_t t;
	unsigned taken = 0;

	CHECK_EQ(http_queue_init(&q), 0);
	CHECK_EQ(pthread_create(&t, NULL, produce, &p), 0);
	/* the main thread's part: wake on main_fd, take, answer */
	while (taken < N_JOBS) {
		struct pollfd pfd = { .fd = q.main_fd, .events = POLLIN };
		bool more = true;

		if (poll(&pfd, 1, 5000) != 1)
			break; /* a lost wake-up: the check below fails */
		http_fd_drain(q.main_fd);
		while (more) {
			struct http_job *j = http_queue_take(&q, &more);
			if (j == NULL)
				break;
			j->status = 201;
			http_queue_answer(&q, j);
			taken++;
		}
	}
	pthread_join(t, NULL);
	CHECK_EQ(taken, N_JOBS);
	CHECK_EQ(p.answered, N_JOBS);
	CHECK_EQ(p.bad, 0);
	http_queue_fini(&q);
}

int main(void)
{
	RUN(routes);
	RUN(bearer);
	RUN(content_types);
	RUN(accept_header);
	RUN(origins);
	RUN(reasons_and_text);
	RUN(queue_order_and_bound);
	RUN(queue_two_threads);
	return CHECK_DONE();
}
