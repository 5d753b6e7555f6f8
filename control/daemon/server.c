/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl's socket: one JSON request per line, one JSON reply per line
 * (docs/control-protocol.md). A line is acted on only once it is whole;
 * a line over the limit is answered with an error and the connection
 * closed. The gateway link's tick runs between polls.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api/log.h"
#include "control/daemon/daemon.h"

#define MAX_CLIENTS 32
#define MAX_LINE 65536
#define TICK_MS 100


struct client {
	int fd;
	size_t len;
	char *buf; /* MAX_LINE + 1 */
};

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	if (c->buf != NULL) {
		OPENSSL_cleanse(c->buf, MAX_LINE + 1); /* requests may carry keys */
		free(c->buf);
	}
	c->buf = NULL;
	c->len = 0;
}

static int send_reply(struct client *c, struct json_object *r)
{
	size_t n;
	const char *s = json_object_to_json_string_length(r, JSON_C_TO_STRING_PLAIN, &n);
	char *line = malloc(n + 1);
	int rc = 0;

	if (line == NULL)
		return -1;
	memcpy(line, s, n);
	line[n] = '\n';
	for (size_t off = 0; off < n + 1;) {
		ssize_t w = send(c->fd, line + off, n + 1 - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	OPENSSL_cleanse(line, n + 1); /* replies may carry a generated key */
	free(line);
	return rc;
}

static int handle_line(struct ctl_daemon *d, struct client *c, const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *reply;
	int rc;

	req = json_tokener_parse_ex(tok, line, (int)len);
	if (req == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len) {
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "ok", json_object_new_boolean(0));
		json_object_object_add(e, "error", json_object_new_string("a request is one JSON object on one line"));
		json_object_object_add(e, "code", json_object_new_string("EPROTO"));
		json_object_put(req);
		reply = e;
	} else {
		reply = ctl_handle(d, req);
		json_object_put(req);
	}
	json_tokener_free(tok);
	rc = send_reply(c, reply);
	json_object_put(reply);
	return rc;
}

/* Read what is there; act on whole lines. <0 to close. */
static int client_read(struct ctl_daemon *d, struct client *c)
{
	ssize_t r = recv(c->fd, c->buf + c->len, MAX_LINE + 1 - c->len, MSG_DONTWAIT);
	char *nl;

	if (r == 0)
		return -1; /* a partial line is dropped: nothing was done */
	if (r < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	c->len += (size_t)r;
	while ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
		size_t n = (size_t)(nl - c->buf);
		if (handle_line(d, c, c->buf, n) != 0)
			return -1;
		memmove(c->buf, nl + 1, c->len - n - 1);
		c->len -= n + 1;
	}
	if (c->len > MAX_LINE) {
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "ok", json_object_new_boolean(0));
		json_object_object_add(e, "error", json_object_new_string("request longer than 65536 bytes"));
		json_object_object_add(e, "code", json_object_new_string("EPROTO"));
		send_reply(c, e);
		json_object_put(e);
		return -1;
	}
	return 0;
}

static int listen_on(const struct ctl_config *cfg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cfg->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		errno = EADDRINUSE; /* another daemon answers there */
		return -1;
	}
	unlink(cfg->socket);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || chmod(cfg->socket, 0660) != 0)
		goto fail;
	if (cfg->socket_group[0] != '\0') {
		struct group *g = getgrnam(cfg->socket_group);
		if (g == NULL) {
			errno = ENOENT;
			sgw_log(LOG_ERR, "socket_group: no group \"%s\"", cfg->socket_group);
			goto fail;
		}
		if (chown(cfg->socket, (uid_t)-1, g->gr_gid) != 0)
			goto fail;
	}
	if (listen(fd, 16) != 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int ctl_serve(struct ctl_daemon *d, volatile bool *quit)
{
	struct client clients[MAX_CLIENTS];
	struct pollfd pfd[MAX_CLIENTS + 2];
	int lfd = listen_on(&d->cfg);

	if (lfd < 0) {
		sgw_log(LOG_ERR, "socket %s: %s", d->cfg.socket, strerror(errno));
		return -1;
	}
	sgw_log(LOG_INFO, "listening on %s", d->cfg.socket);
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	while (!*quit) {
		int n = 0;

		pfd[n].fd = lfd;
		pfd[n++].events = POLLIN;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			pfd[n].fd = clients[i].fd;
			pfd[n++].events = POLLIN;
		}
		/* the gateway link: a hang-up while idle means it went away */
		pfd[n].fd = d->gw.fd;
		pfd[n++].events = POLLIN;
		if (poll(pfd, (nfds_t)n, TICK_MS) > 0) {
			if (pfd[0].revents & POLLIN) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				int slot = -1;
				for (int i = 0; i < MAX_CLIENTS && fd >= 0 && slot < 0; i++)
					if (clients[i].fd < 0)
						slot = i;
				if (fd >= 0 && slot < 0) {
					close(fd);
				} else if (fd >= 0) {
					struct timeval tv = { .tv_sec = 5 };
					setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
					clients[slot].fd = fd;
					clients[slot].len = 0;
					clients[slot].buf = malloc(MAX_LINE + 1);
					if (clients[slot].buf == NULL)
						client_close(&clients[slot]);
				}
			}
			for (int i = 0; i < MAX_CLIENTS; i++)
				if (clients[i].fd >= 0 && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
				    client_read(d, &clients[i]) < 0)
					client_close(&clients[i]);
			if (d->gw.fd >= 0 && (pfd[n - 1].revents & (POLLIN | POLLHUP | POLLERR))) {
				sgw_log(LOG_WARNING, "the gateway closed the agent connection");
				gw_link_close(&d->gw);
			}
		}
		sync_tick(d, ctl_now_ms());
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
	close(lfd);
	unlink(d->cfg.socket);
	return 0;
}
