/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The jobs between the HTTP thread and the main thread (http_priv.h): two
 * FIFO lists under one mutex, and an eventfd for each direction, so that
 * the main thread's poll() and the HTTP thread's event loop each wake up
 * when the other has something for them. Nothing here blocks but the
 * mutex, which is held for a few pointer moves.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "control/daemon/http_priv.h"

void http_fd_drain(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
}

void http_fd_signal(int fd)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is full, so it is readable anyway */
	while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

int http_queue_init(struct http_queue *q)
{
	q->todo = q->done = NULL;
	q->todo_tail = &q->todo;
	q->done_tail = &q->done;
	q->n_todo = 0;
	q->stop = false;
	q->main_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->http_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->main_fd < 0 || q->http_fd < 0 || pthread_mutex_init(&q->lock, NULL) != 0) {
		int e = errno;
		if (q->main_fd >= 0)
			close(q->main_fd);
		if (q->http_fd >= 0)
			close(q->http_fd);
		q->main_fd = q->http_fd = -1;
		return -e;
	}
	return 0;
}

static void free_list(struct http_job *j)
{
	while (j != NULL) {
		struct http_job *next = j->next;
		http_job_free(j);
		j = next;
	}
}

void http_queue_fini(struct http_queue *q)
{
	if (q->main_fd < 0)
		return;
	free_list(q->todo);
	free_list(q->done);
	q->todo = q->done = NULL;
	pthread_mutex_destroy(&q->lock);
	close(q->main_fd);
	close(q->http_fd);
	q->main_fd = q->http_fd = -1;
}

int http_queue_submit(struct http_queue *q, struct http_job *j)
{
	bool first;

	pthread_mutex_lock(&q->lock);
	if (q->n_todo >= HTTP_MAX_PENDING) {
		pthread_mutex_unlock(&q->lock);
		return -EBUSY;
	}
	j->next = NULL;
	*q->todo_tail = j;
	q->todo_tail = &j->next;
	first = q->n_todo++ == 0;
	pthread_mutex_unlock(&q->lock);
	/* the main thread reads the fd empty before it takes jobs, and
	 * signals itself while it leaves some: one signal per empty list */
	if (first)
		http_fd_signal(q->main_fd);
	return 0;
}

struct http_job *http_queue_take(struct http_queue *q, bool *more)
{
	struct http_job *j;

	pthread_mutex_lock(&q->lock);
	j = q->todo;
	if (j != NULL) {
		q->todo = j->next;
		if (q->todo == NULL)
			q->todo_tail = &q->todo;
		q->n_todo--;
		j->next = NULL;
	}
	*more = q->todo != NULL;
	pthread_mutex_unlock(&q->lock);
	return j;
}

void http_queue_answer(struct http_queue *q, struct http_job *j)
{
	pthread_mutex_lock(&q->lock);
	j->next = NULL;
	*q->done_tail = j;
	q->done_tail = &j->next;
	pthread_mutex_unlock(&q->lock);
	http_fd_signal(q->http_fd);
}

struct http_job *http_queue_answered(struct http_queue *q, bool *stop)
{
	struct http_job *j;

	pthread_mutex_lock(&q->lock);
	j = q->done;
	q->done = NULL;
	q->done_tail = &q->done;
	*stop = q->stop;
	pthread_mutex_unlock(&q->lock);
	return j;
}

void http_queue_stop(struct http_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_mutex_unlock(&q->lock);
	http_fd_signal(q->http_fd);
}

void http_job_free(struct http_job *j)
{
	if (j == NULL)
		return;
	OPENSSL_cleanse(j->token, sizeof(j->token));
	if (j->offer != NULL) {
		OPENSSL_cleanse(j->offer, j->offer_len);
		free(j->offer);
	}
	if (j->reply.body != NULL) {
		OPENSSL_cleanse(j->reply.body, j->reply.len);
		free(j->reply.body);
	}
	free(j);
}
