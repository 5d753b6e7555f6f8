/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/daemon/punt_link.h"

void punt_link_init(struct punt_link *l, const char *path)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->fd = -1;
}

bool punt_link_up(const struct punt_link *l)
{
	return l->fd >= 0;
}

void punt_link_close(struct punt_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int punt_link_connect(struct punt_link *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	punt_link_close(l);
	if (strlen(l->path) >= sizeof(sa.sun_path)) {
		snprintf(l->last_error, sizeof(l->last_error), "punt socket %s: path too long", l->path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, l->path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = errno;
		snprintf(l->last_error, sizeof(l->last_error), "punt socket %s: %s", l->path, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	l->fd = fd;
	l->last_error[0] = '\0';
	return 0;
}

int punt_link_recv(struct punt_link *l, struct sgw_punt_hdr *h, uint8_t *payload, size_t cap)
{
	struct iovec iov[2] = {
		{ .iov_base = h, .iov_len = sizeof(*h) }, { .iov_base = payload, .iov_len = cap },
	};
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	if (l->fd < 0)
		return -ENOTCONN;
	for (;;) {
		n = recvmsg(l->fd, &m, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			int err = n == 0 ? ECONNRESET : errno;
			snprintf(l->last_error, sizeof(l->last_error), "punt socket %s: %s", l->path,
				 n == 0 ? "closed by the gateway" : strerror(err));
			punt_link_close(l);
			return -err;
		}
		if ((size_t)n < sizeof(*h) || (m.msg_flags & MSG_TRUNC) || h->magic != SGW_PUNT_MAGIC ||
		    h->version != SGW_PUNT_VERSION || h->type != SGW_PUNT_RX ||
		    h->len != (size_t)n - sizeof(*h)) {
			l->rx_bad++;
			m.msg_flags = 0;
			continue;
		}
		l->rx++;
		return 1;
	}
}

int punt_link_send(struct punt_link *l, const struct sgw_endpoint *local,
		   const struct sgw_endpoint *remote, const void *payload, size_t len)
{
	struct sgw_punt_hdr h = {
		.magic = SGW_PUNT_MAGIC, .version = SGW_PUNT_VERSION, .type = SGW_PUNT_TX,
		.local = *local, .remote = *remote, .len = (uint32_t)len,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)(uintptr_t)payload, .iov_len = len },
	};
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	if (l->fd < 0 || len > SGW_PUNT_MAX_PAYLOAD) {
		l->tx_dropped++;
		return l->fd < 0 ? -ENOTCONN : -EMSGSIZE;
	}
	if (sendmsg(l->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		int err = errno;
		l->tx_dropped++;
		if (err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS) {
			snprintf(l->last_error, sizeof(l->last_error), "punt socket %s: %s", l->path,
				 strerror(err));
			punt_link_close(l);
		}
		return -err;
	}
	l->tx++;
	return 0;
}
