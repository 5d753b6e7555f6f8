/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl's side of the connection: the UNIX socket, or TLS with
 * --connect (tls.c). One request line out, one reply line in, both within
 * a deadline. Failing to connect exits 3; anything that goes wrong after
 * that exits 1 (the request may have been applied).
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control/ctl/ctl.h"

int64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void connect_unix(struct ctl_conn *c, const char *path, unsigned timeout_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* bounds a connect() to a daemon whose accept queue is full */
	struct timeval tv = { .tv_sec = (time_t)timeout_s };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: %s", path,
			 strerror(ENAMETOOLONG));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: socket: %s", path,
			 strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memcpy(sa.sun_path, path, strlen(path));
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == EINTR)
			continue;
		ctl_fail(CTL_EXIT_UNREACHABLE, "cannot connect to %s: %s", path, strerror(errno));
	}
	c->fd = fd;
}

void ctl_connect(struct ctl_conn *c, const struct ctl_global *g, int64_t deadline_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (g->connect != NULL) {
		c->name = g->connect;
		ctl_tls_connect(c, g, deadline_ms);
	} else {
		c->name = g->socket_path;
		connect_unix(c, g->socket_path, g->timeout_s);
	}
}

void ctl_conn_close(struct ctl_conn *c)
{
	if (c->ssl != NULL)
		ctl_tls_close(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

bool ctl_wait_fd(int fd, short events, int64_t deadline_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline_ms - ctl_now_ms();
		int rc;

		if (left <= 0)
			return false;
		rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (rc > 0)
			return true;
		if (rc < 0 && errno != EINTR)
			return true; /* let the read or write report it */
	}
}

/* Each operation is tried first and waited for only when it would block
 * (so bytes TLS has already decrypted are never waited for). */
void ctl_send_line(struct ctl_conn *c, const char *buf, size_t len, int64_t deadline_ms)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n;
		short wants = POLLOUT;

		if (c->ssl != NULL) {
			n = ctl_tls_send(c, buf + off, len - off);
			wants = ctl_tls_wants(c);
		} else {
			n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
				ctl_fail(CTL_EXIT_FAIL, "%s: sending the request: %s", c->name, strerror(errno));
		}
		if (n > 0)
			off += (size_t)n;
		else if (!ctl_wait_fd(c->fd, wants, deadline_ms))
			ctl_fail(CTL_EXIT_FAIL, "%s: timed out sending the request", c->name);
	}
}

size_t ctl_recv_line(struct ctl_conn *c, char *buf, size_t cap, int64_t deadline_ms, unsigned timeout_s)
{
	size_t len = 0;
	char *nl;

	for (;;) {
		ssize_t n;
		short wants = POLLIN;

		if (c->ssl != NULL) {
			n = ctl_tls_recv(c, buf + len, cap - len);
			wants = ctl_tls_wants(c);
		} else {
			n = recv(c->fd, buf + len, cap - len, MSG_DONTWAIT);
			if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
				ctl_fail(CTL_EXIT_FAIL, "%s: reading the reply: %s", c->name, strerror(errno));
		}
		if (n < 0) {
			if (!ctl_wait_fd(c->fd, wants, deadline_ms))
				ctl_fail(CTL_EXIT_FAIL, "%s: no reply within %u s (the request may still be "
					 "applied)", c->name, timeout_s);
			continue;
		}
		if (n == 0 && len == 0)
			ctl_fail(CTL_EXIT_FAIL, "%s: the daemon closed the connection without a reply",
				 c->name);
		if (n == 0)
			ctl_fail(CTL_EXIT_FAIL, "%s: the daemon closed the connection in the middle of "
				 "its reply", c->name);
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl != NULL)
			return (size_t)(nl - buf);
		if (len == cap)
			ctl_fail(CTL_EXIT_FAIL, "%s: reply longer than %zu bytes", c->name, cap - 1);
	}
}
