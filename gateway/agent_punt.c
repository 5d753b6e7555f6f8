/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The punt channel, gateway side (api/srtpgw_punt.h, agent_punt.h).
 *
 * One client at a time: srtpgw-control. A new connection from an allowed
 * peer replaces the old one (a restarted control plane does not wait for
 * the old connection to be noticed dead). Nothing here blocks: a datagram
 * the client's socket cannot take now is dropped and counted, as the
 * network would drop it; ICE and DTLS retransmit.
 *
 * Sending needs the next hop's MAC. A remote is routed as a viewer is
 * (agent_route) and holds a reference on its next-hop slot while it is in
 * use (a peer), so the slot is probed and kept; the first datagram to an
 * unresolved next hop waits for the answer (one per peer, as Linux's
 * neighbour queue does) instead of being lost, since it is often the
 * answer to the first ICE check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "api/addr.h"
#include "api/log.h"
#include "api/srtpgw_punt.h"
#include "dataplane/pkt_reply.h"
#include "gateway/agent.h"
#include "gateway/agent_punt.h"
#include "gateway/agent_slowpath.h"

#define PUNT_PEERS 256         /* remotes' next hops held at once */
#define PUNT_PEER_IDLE_MS 60000 /* a peer unused that long lets its next hop go */
#define PUNT_HOLD_MS 3000      /* a datagram waits that long for a next hop */
#define PUNT_READS_PER_TURN 64 /* the agent socket is served between batches */
#define PUNT_SNDBUF (1 << 20)  /* room for a burst of DTLS flights */

struct punt_peer {
	bool in_use;
	uint16_t port_idx;
	uint32_t slot;             /* next-hop slot, referenced */
	struct sgw_addr nexthop;
	uint64_t used_ms;
	struct rte_mbuf *held;     /* waiting for the next hop's MAC */
	uint64_t held_ms;
};

struct agent_punt {
	int lfd, cfd;
	uint32_t self_uid, self_gid;
	uint64_t refused_log_ms;
	uint8_t msg[sizeof(struct sgw_punt_hdr) + SGW_PUNT_MAX_PAYLOAD + 1];
	struct punt_peer peers[PUNT_PEERS];
};

static void count(enum sgw_counter c)
{
	sgw_ctr_add(&agent_slow_ctr[c], 1);
}

int agent_punt_open(struct sgw_agent *a, char *err, size_t errlen)
{
	struct agent_punt *p;

	a->punt = NULL;
	if (a->cfg->punt_socket[0] == '\0')
		return 0;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, errlen, "out of memory for the punt channel");
		return -1;
	}
	p->cfd = -1;
	p->self_uid = a->cfg->has_user ? a->cfg->uid : geteuid();
	p->self_gid = a->cfg->has_user ? a->cfg->gid : getegid();
	p->lfd = agent_listen("punt socket", a->cfg->punt_socket, SOCK_SEQPACKET, a->cfg, err, errlen);
	if (p->lfd < 0) {
		free(p);
		return -1;
	}
	a->punt = p;
	return 0;
}

static void peer_forget(struct sgw_agent *a, struct punt_peer *pe)
{
	if (pe->held != NULL) {
		rte_pktmbuf_free(pe->held);
		count(SGW_CTR_DROP_PUNT_TX);
	}
	agent_neigh_unref(a, pe->slot);
	memset(pe, 0, sizeof(*pe));
}

void agent_punt_close(struct sgw_agent *a)
{
	struct agent_punt *p = a->punt;

	if (p == NULL)
		return;
	for (unsigned i = 0; i < PUNT_PEERS; i++)
		if (p->peers[i].in_use)
			peer_forget(a, &p->peers[i]);
	if (p->cfd >= 0)
		close(p->cfd);
	close(p->lfd);
	unlink(a->cfg->punt_socket);
	free(p);
	a->punt = NULL;
}

void agent_punt_pollfds(const struct sgw_agent *a, struct pollfd *pfd)
{
	const struct agent_punt *p = a->punt;

	pfd[0] = (struct pollfd){ .fd = p ? p->lfd : -1, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = p ? p->cfd : -1, .events = POLLIN };
}

/* ---- gateway -> control ---------------------------------------------------- */

static void endpoint(struct sgw_endpoint *ep, uint8_t family, const uint8_t *ip, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->addr.family = family;
	memcpy(ep->addr.a, ip, family == SGW_AF_INET ? 4 : 16);
	ep->port = port;
}

void agent_punt_rx(struct sgw_agent *a, const uint8_t *frame, const struct pkt_info *pi)
{
	struct agent_punt *p = a->punt;
	struct sgw_punt_hdr h = {
		.magic = SGW_PUNT_MAGIC, .version = SGW_PUNT_VERSION, .type = SGW_PUNT_RX,
		.len = pi->payload_len,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)(uintptr_t)(frame + pi->payload_off), .iov_len = pi->payload_len },
	};
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };

	if (p == NULL || p->cfd < 0 || pi->payload_len > SGW_PUNT_MAX_PAYLOAD) {
		count(SGW_CTR_DROP_PUNT);
		return;
	}
	endpoint(&h.local, pi->family, pi->dst, pi->dport);
	endpoint(&h.remote, pi->family, pi->src, pi->sport);
	if (sendmsg(p->cfd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		count(SGW_CTR_DROP_PUNT);
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			sgw_log(LOG_WARNING, "punt: the client's connection failed: %s", strerror(errno));
			close(p->cfd);
			p->cfd = -1;
		}
		return;
	}
	count(SGW_CTR_PUNT_RX);
}

/* ---- control -> gateway ---------------------------------------------------- */

/* The peer for a next hop, taken if new; NULL when all are busy. */
static struct punt_peer *peer_get(struct sgw_agent *a, uint16_t port_idx, const struct sgw_addr *nh,
				  uint64_t now_ms)
{
	struct agent_punt *p = a->punt;
	struct punt_peer *free_pe = NULL, *oldest = NULL;
	int slot;

	for (unsigned i = 0; i < PUNT_PEERS; i++) {
		struct punt_peer *pe = &p->peers[i];
		if (!pe->in_use) {
			if (free_pe == NULL)
				free_pe = pe;
			continue;
		}
		if (pe->port_idx == port_idx && sgw_addr_equal(&pe->nexthop, nh))
			return pe;
		if (pe->held == NULL && (oldest == NULL || pe->used_ms < oldest->used_ms))
			oldest = pe;
	}
	if (free_pe == NULL) {
		/* a full table gives up its least recently used idle peer */
		if (oldest == NULL)
			return NULL;
		peer_forget(a, oldest);
		free_pe = oldest;
	}
	slot = agent_neigh_ref(a, port_idx, nh);
	if (slot < 0)
		return NULL;
	*free_pe = (struct punt_peer){
		.in_use = true, .port_idx = port_idx, .slot = (uint32_t)slot, .nexthop = *nh,
		.used_ms = now_ms,
	};
	return free_pe;
}

/* Sends m to the peer's next hop if its MAC is known; true if m was taken. */
static bool peer_send(struct sgw_agent *a, struct punt_peer *pe, struct rte_mbuf *m)
{
	struct rte_ether_addr mac;

	if (sgw_neigh_mac(&a->dp->neigh[pe->slot], &mac) != 0)
		return false;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), mac.addr_bytes, 6);
	agent_slow_send(a, pe->port_idx, m);
	count(SGW_CTR_PUNT_TX);
	return true;
}

/* Is local a gateway address and port on which the punt channel may send
 * (a port marked for it, as published)? Its address index, or -1. */
static int punt_local(const struct sgw_agent *a, const struct sgw_endpoint *local)
{
	const struct sgw_flow_entry *e;
	int aidx;

	if (local->addr.family != SGW_AF_INET && local->addr.family != SGW_AF_INET6)
		return -1;
	aidx = sgw_addr_set_find(agent_addrs_pub(a), local->addr.family, local->addr.a);
	if (aidx < 0)
		return -1;
	e = ft_lookup(a->dp->ft.root, (unsigned)aidx, local->port);
	return e != NULL && e->punt ? aidx : -1;
}

static void tx(struct sgw_agent *a, const struct sgw_punt_hdr *h, const uint8_t *payload,
	       uint64_t now_ms)
{
	const struct sgw_local_addr *l;
	struct pkt_udp_addrs u = { .family = h->local.addr.family };
	struct sgw_addr nexthop, src;
	struct punt_peer *pe;
	struct rte_mbuf *m;
	uint16_t port_idx;
	uint32_t len;
	char err[96];
	int aidx = punt_local(a, &h->local);

	if (aidx < 0 || h->remote.addr.family != h->local.addr.family || h->remote.port == 0 ||
	    agent_route(a, &h->remote.addr, &h->local.addr, &port_idx, &nexthop, &src, err,
			sizeof(err)) != 0) {
		count(SGW_CTR_DROP_PUNT_TX);
		return;
	}
	l = &agent_addrs_pub(a)->slot[aidx];
	if (l->port_idx != port_idx) { /* the answer must leave from where the request came */
		count(SGW_CTR_DROP_PUNT_TX);
		return;
	}
	pe = peer_get(a, port_idx, &nexthop, now_ms);
	m = pe != NULL ? rte_pktmbuf_alloc(a->dp->pool) : NULL;
	if (m == NULL) {
		count(pe == NULL ? SGW_CTR_DROP_PUNT_TX : SGW_CTR_DROP_NO_MBUF);
		return;
	}
	memcpy(u.src, h->local.addr.a, 16);
	memcpy(u.dst, h->remote.addr.a, 16);
	u.sport = h->local.port;
	u.dport = h->remote.port;
	len = pkt_build_udp(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m),
			    a->dp->ports[port_idx].vlan, (const uint8_t[6]){ 0 },
			    a->dp->ports[port_idx].mac.addr_bytes, &u, payload, h->len);
	if (len == 0 || len > a->dp->ports[port_idx].mtu + 18u) {
		rte_pktmbuf_free(m);
		count(SGW_CTR_DROP_PUNT_TX);
		return;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	pe->used_ms = now_ms;
	if (peer_send(a, pe, m))
		return;
	if (pe->held != NULL) { /* the newer datagram waits instead */
		rte_pktmbuf_free(pe->held);
		count(SGW_CTR_DROP_PUNT_TX);
	}
	pe->held = m;
	pe->held_ms = now_ms;
}

/* One message from the client: 0, or -1 when the connection is done. */
static int read_one(struct sgw_agent *a, uint64_t now_ms)
{
	struct agent_punt *p = a->punt;
	struct sgw_punt_hdr h;
	ssize_t n = recv(p->cfd, p->msg, sizeof(p->msg), MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 1 : -1;
	if (n == 0)
		return -1;
	if ((size_t)n < sizeof(h) || (size_t)n > sizeof(p->msg) - 1) {
		count(SGW_CTR_DROP_PUNT_TX);
		return 0;
	}
	memcpy(&h, p->msg, sizeof(h));
	if (h.magic != SGW_PUNT_MAGIC || h.version != SGW_PUNT_VERSION || h.type != SGW_PUNT_TX ||
	    h.len != (size_t)n - sizeof(h)) {
		count(SGW_CTR_DROP_PUNT_TX);
		return 0;
	}
	tx(a, &h, p->msg + sizeof(h), now_ms);
	return 0;
}

static void accept_client(struct sgw_agent *a, uint64_t now_ms)
{
	struct agent_punt *p = a->punt;
	struct ucred cr = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t crlen = sizeof(cr);
	int fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), sndbuf = PUNT_SNDBUF;

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) != 0 ||
	    !agent_peer_allowed(a->cfg, geteuid(), getegid(), fd, &cr)) {
		close(fd);
		count(SGW_CTR_AGENT_PEER_REFUSED);
		if (now_ms - p->refused_log_ms >= 1000 || p->refused_log_ms == 0) {
			sgw_log(LOG_WARNING, "punt: refused a connection from uid %u gid %u pid %d "
				"(agent_allow_uids, agent_allow_gids)", (unsigned)cr.uid, (unsigned)cr.gid,
				(int)cr.pid);
			p->refused_log_ms = now_ms;
		}
		return;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (p->cfd >= 0) {
		sgw_log(LOG_INFO, "punt: a new client (pid %d) replaces the old one", (int)cr.pid);
		close(p->cfd);
	} else {
		sgw_log(LOG_INFO, "punt: client pid %d connected", (int)cr.pid);
	}
	p->cfd = fd;
}

static void peers_tick(struct sgw_agent *a, uint64_t now_ms)
{
	struct agent_punt *p = a->punt;

	for (unsigned i = 0; i < PUNT_PEERS; i++) {
		struct punt_peer *pe = &p->peers[i];
		if (!pe->in_use)
			continue;
		if (pe->held != NULL) {
			if (peer_send(a, pe, pe->held)) {
				pe->held = NULL;
			} else if (now_ms - pe->held_ms >= PUNT_HOLD_MS) {
				rte_pktmbuf_free(pe->held);
				pe->held = NULL;
				count(SGW_CTR_DROP_PUNT_TX);
			}
		}
		if (pe->held == NULL && now_ms - pe->used_ms >= PUNT_PEER_IDLE_MS)
			peer_forget(a, pe);
	}
}

void agent_punt_events(struct sgw_agent *a, const struct pollfd *pfd, uint64_t now_ms)
{
	struct agent_punt *p = a->punt;

	if (p == NULL)
		return;
	if (p->cfd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
		for (unsigned k = 0; k < PUNT_READS_PER_TURN; k++) {
			int rc = read_one(a, now_ms);
			if (rc > 0)
				break;
			if (rc < 0) {
				sgw_log(LOG_INFO, "punt: client disconnected");
				close(p->cfd);
				p->cfd = -1;
				break;
			}
		}
	}
	if (pfd[0].revents & POLLIN)
		accept_client(a, now_ms);
	peers_tick(a, now_ms);
}
