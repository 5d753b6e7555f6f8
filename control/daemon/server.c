/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl's socket and the TLS listener, in one poll() loop: one JSON
 * request per line, one JSON reply per line (docs/control-protocol.md).
 * A line is acted on only once it is whole; a line over the limit is
 * answered with an error and the connection closed. Each connection's
 * peer is mapped to a principal when it is accepted: on the UNIX socket by
 * its credentials (SO_PEERCRED, SO_PEERGROUPS), on TLS by its certificate
 * (tls_server.c). The gateway link's tick runs between polls. The HTTP
 * API (http.h) runs its own thread; the loop watches its eventfd and
 * answers the requests that need the daemon, a few per turn.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api/addr.h"
#include "api/log.h"
#include "control/daemon/auth.h"
#include "control/daemon/daemon.h"
#include "control/daemon/fleet.h"
#include "control/daemon/http.h"
#include "control/daemon/serve.h"
#include "control/daemon/webrtc.h"

#define MAX_CLIENTS 32
#define TICK_MS 100

struct client {
	int fd;
	size_t len;
	char *buf; /* CTL_LINE_MAX + 1 */
	struct ctl_peer peer;
};

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	if (c->buf != NULL) {
		OPENSSL_cleanse(c->buf, CTL_LINE_MAX + 1); /* requests may carry keys and tokens */
		free(c->buf);
	}
	c->buf = NULL;
	c->len = 0;
}

static int send_all(int fd, const char *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static int handle_line(struct ctl_daemon *d, struct client *c, const char *line, size_t len)
{
	size_t n = 0;
	char *reply = ctl_reply_line(d, &c->peer, line, len, &n);
	int rc = reply != NULL ? send_all(c->fd, reply, n) : -1;

	ctl_reply_free(reply, n);
	return rc;
}

/* Read what is there; act on whole lines. <0 to close. */
static int client_read(struct ctl_daemon *d, struct client *c)
{
	ssize_t r = recv(c->fd, c->buf + c->len, CTL_LINE_MAX + 1 - c->len, MSG_DONTWAIT);
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
		OPENSSL_cleanse(c->buf, n + 1);
		memmove(c->buf, nl + 1, c->len - n - 1);
		c->len -= n + 1;
	}
	if (c->len > CTL_LINE_MAX) {
		send_all(c->fd, CTL_LINE_TOO_LONG, strlen(CTL_LINE_TOO_LONG));
		return -1;
	}
	return 0;
}

/* Who connected: its uid, gid and supplementary groups, mapped. */
static void unix_peer(const struct ctl_config *cfg, int fd, struct ctl_peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t *groups = NULL;
	uint32_t *g32 = NULL;
	socklen_t glen = 0;
	unsigned n = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		memset(p, 0, sizeof(*p));
		snprintf(p->who, sizeof(p->who), "a peer without credentials (%s)", strerror(errno));
		return;
	}
	/* the kernel says how much room its groups need (ERANGE), then fills
	 * it; without them only uid and gid entries can match */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &glen) != 0 && errno == ERANGE && glen > 0 &&
	    (groups = malloc(glen)) != NULL && (g32 = malloc(glen / sizeof(gid_t) * sizeof(uint32_t))) != NULL &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) == 0)
		n = glen / sizeof(gid_t);
	for (unsigned i = 0; i < n; i++)
		g32[i] = (uint32_t)groups[i];
	ctl_peer_from_creds(cfg, (uint32_t)cred.uid, (uint32_t)cred.gid, g32, n, p);
	free(groups);
	free(g32);
}

static void accept_client(struct ctl_daemon *d, int lfd, struct client *clients)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	struct timeval tv = { .tv_sec = 5 };
	struct client *c = NULL;

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS && c == NULL; i++)
		if (clients[i].fd < 0)
			c = &clients[i];
	if (c == NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	c->len = 0;
	c->buf = malloc(CTL_LINE_MAX + 1);
	if (c->buf == NULL) {
		client_close(c);
		return;
	}
	unix_peer(&d->cfg, fd, &c->peer);
}

int ctl_server_open(struct ctl_daemon *d, char *err, size_t errlen)
{
	struct ctl_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	srv->unix_fd = ctl_unix_bind(&d->cfg, err, errlen);
	if (srv->unix_fd >= 0 && d->cfg.tls && (srv->tls = ctl_tls_open(&d->cfg, err, errlen)) == NULL) {
		close(srv->unix_fd);
		srv->unix_fd = -1;
	}
	/* the HTTP API: its certificate and socket now, its thread in ctl_serve */
	if (srv->unix_fd >= 0 && d->cfg.http && (srv->http = http_open(&d->cfg, err, errlen)) == NULL) {
		ctl_tls_close(srv->tls);
		close(srv->unix_fd);
		srv->unix_fd = -1;
	}
	if (srv->unix_fd < 0) {
		free(srv);
		return -1;
	}
	d->srv = srv;
	return 0;
}

int ctl_serve(struct ctl_daemon *d, volatile bool *quit)
{
	struct client clients[MAX_CLIENTS];
	struct pollfd pfd[1 + MAX_CLIENTS + 1 + CTL_TLS_POLLFDS + 1 + 1 + 1];
	struct ctl_server *srv = d->srv;
	char tls_at[SGW_ADDR_STRLEN + 8] = "", err[256];
	int rc = 0;

	if (srv == NULL) {
		sgw_log(LOG_ERR, "no socket to serve (ctl_server_open)");
		return -1;
	}
	if (listen(srv->unix_fd, 16) != 0) {
		sgw_log(LOG_ERR, "socket %s: listen: %s", d->cfg.socket, strerror(errno));
		return -1;
	}
	if (srv->http != NULL && http_start(srv->http, err, sizeof(err)) != 0) {
		sgw_log(LOG_ERR, "%s", err);
		*quit = true;
		rc = -1;
	}
	if (srv->tls != NULL)
		sgw_endpoint_format(&d->cfg.tls_listen, tls_at, sizeof(tls_at));
	sgw_log(LOG_INFO, "listening on %s%s%s", d->cfg.socket, tls_at[0] ? " and with TLS on " : "", tls_at);
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	while (!*quit) {
		const int gw = 1 + MAX_CLIENTS, tls = gw + 1;
		int n = tls, http = -1, punt, fleet = -1;

		pfd[0].fd = srv->unix_fd;
		pfd[0].events = POLLIN;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			pfd[i + 1].fd = clients[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		/* the gateway link: a hang-up while idle means it went away */
		pfd[gw].fd = d->gw.fd;
		pfd[gw].events = POLLIN;
		if (srv->tls != NULL) {
			ctl_tls_poll_events(srv->tls, &pfd[tls]);
			n += CTL_TLS_POLLFDS;
		}
		if (srv->http != NULL) {
			http = n++;
			pfd[http].fd = http_wake_fd(srv->http);
			pfd[http].events = POLLIN;
		}
		/* WebRTC: the gateway's punt channel */
		punt = n++;
		pfd[punt].fd = webrtc_poll_fd(d);
		pfd[punt].events = POLLIN;
		/* a fleet: what other controllers changed */
		if (d->fleet != NULL) {
			fleet = n++;
			pfd[fleet].fd = fleet_fd(d->fleet);
			pfd[fleet].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, TICK_MS) < 0) {
			for (int i = 0; i < n; i++)
				pfd[i].revents = 0;
		}
		if (pfd[0].revents & POLLIN)
			accept_client(d, srv->unix_fd, clients);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].fd >= 0 && pfd[i + 1].fd == clients[i].fd &&
			    (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) && client_read(d, &clients[i]) < 0)
				client_close(&clients[i]);
		if (d->gw.fd >= 0 && pfd[gw].fd == d->gw.fd && (pfd[gw].revents & (POLLIN | POLLHUP | POLLERR))) {
			sgw_log(LOG_WARNING, "the gateway closed the agent connection");
			gw_link_close(&d->gw);
		}
		/* also with no event: handshake and idle timeouts */
		if (srv->tls != NULL)
			ctl_tls_service(srv->tls, d, &pfd[tls], ctl_now_ms());
		/* requests of the HTTP API waiting for the daemon, a few a turn */
		if (http >= 0 && (pfd[http].revents & POLLIN))
			http_service(srv->http, d);
		/* the copy follows the fleet; the gateway follows the copy: a
		 * full push (state kept for what did not change) */
		if (fleet >= 0 && (pfd[fleet].revents & POLLIN) && fleet_catch_up(d->fleet) != 0)
			d->gw.in_sync = false;
		sync_tick(d, ctl_now_ms());
		/* the gateway's lease is held while it is there */
		if (d->lease != NULL)
			fleet_lease_set_active(d->lease, gw_link_up(&d->gw));
		webrtc_service(d, pfd[punt].fd >= 0 && (pfd[punt].revents & (POLLIN | POLLHUP | POLLERR)),
			       ctl_now_ms());
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
	http_close(srv->http);
	ctl_tls_close(srv->tls);
	close(srv->unix_fd);
	/* may fail once privileges are dropped: the next start removes it */
	unlink(d->cfg.socket);
	free(srv);
	d->srv = NULL;
	return rc;
}
