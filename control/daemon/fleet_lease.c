/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The gateway's lease in the fleet and the data plane's deadline (fleet.h,
 * docs/fleet.md "Gateways, leases and placement"), on a thread of its own
 * with its own etcd client and its own agent connection, so that neither a
 * slow command nor a full push on the main thread delays a keep-alive or a
 * deadline.
 *
 * The rule that keeps two gateways from forwarding one stream: the
 * deadline given to the data plane after a keep-alive is the lease's TTL
 * counted from when the keep-alive was *sent*, less a margin. etcd can
 * only expire the lease TTL after it *received* the keep-alive (or later),
 * so the data plane stops first. If a keep-alive fails, nothing moves the
 * deadline and it passes by itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "api/agent_wire.h"
#include "api/log.h"
#include "api/srtpgw_agent.h"
#include "control/daemon/etcd.h"
#include "control/daemon/fleet.h"

#define KEY_MAX 256
#define RETRY_MS 50 /* after a failed keep-alive */

struct fleet_lease {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, revoke_on_stop;
	bool active;                  /* guarded by mu: hold a lease (the gateway is up) */
	int64_t id;                   /* guarded by mu: the lease now, 0: none */
	int64_t pushed;               /* guarded by mu: the lease the data plane's streams were pushed for */
	uint64_t renewals, grants;    /* guarded by mu */
	/* the thread's own */
	struct etcd *e;
	char gw_key[KEY_MAX];
	char gw_val[512];
	char agent[108];
	int agent_fd;
	uint32_t agent_seq;
	unsigned ttl_s, timeout_ms;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the data plane's deadline ----------------------------------------- */

static void agent_close(struct fleet_lease *l)
{
	if (l->agent_fd >= 0)
		close(l->agent_fd);
	l->agent_fd = -1;
}

static int agent_call(struct fleet_lease *l, uint16_t type, const void *p, uint32_t len)
{
	struct sgw_msg_hdr h;
	uint8_t buf[512];
	int rc;

	rc = sgw_wire_send(l->agent_fd, type, ++l->agent_seq, p, len);
	if (rc == 0)
		rc = sgw_wire_recv(l->agent_fd, &h, buf, sizeof(buf));
	if (rc == 0 && h.seq != l->agent_seq)
		rc = -EPROTO;
	if (rc == 0 && h.type == SGW_MSG_ERROR)
		rc = -EPERM;
	if (rc != 0)
		agent_close(l);
	return rc;
}

static int agent_connect(struct fleet_lease *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500000 };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->agent);
	l->agent_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (l->agent_fd < 0 || connect(l->agent_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    fcntl(l->agent_fd, F_SETFL, fcntl(l->agent_fd, F_GETFL) & ~O_NONBLOCK) != 0 ||
	    setsockopt(l->agent_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(l->agent_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		agent_close(l);
		return -errno;
	}
	return agent_call(l, SGW_MSG_HELLO, NULL, 0);
}

/* Tell the data plane its deadline: ms from now. */
static void push_deadline(struct fleet_lease *l, uint32_t ms)
{
	struct sgw_lease m = { .ttl_ms = ms };

	if (l->agent_fd < 0 && agent_connect(l) != 0)
		return; /* no gateway now: the next round tries again */
	if (agent_call(l, SGW_MSG_LEASE, &m, sizeof(m)) != 0)
		sgw_log(LOG_WARNING, "fleet: the gateway did not take its lease deadline");
}

/* ---- the lease ---------------------------------------------------------- */

static int take_lease(struct fleet_lease *l)
{
	int64_t id = 0, ttl = 0;
	int rc = etcd_lease_grant(l->e, l->ttl_s, &id, &ttl);

	if (rc == 0)
		rc = etcd_put(l->e, l->gw_key, strlen(l->gw_key), l->gw_val, strlen(l->gw_val), id, NULL);
	if (rc < 0) {
		if (id != 0)
			etcd_lease_revoke(l->e, id);
		return rc;
	}
	pthread_mutex_lock(&l->mu);
	l->id = id;
	l->grants++;
	pthread_mutex_unlock(&l->mu);
	sgw_log(LOG_INFO, "fleet: lease %llx granted for %llds", (unsigned long long)id, (long long)ttl);
	return 0;
}

static void give_back(struct fleet_lease *l)
{
	int64_t id;

	pthread_mutex_lock(&l->mu);
	id = l->id;
	l->id = 0;
	pthread_mutex_unlock(&l->mu);
	if (id != 0 && etcd_lease_revoke(l->e, id) == 0)
		sgw_log(LOG_INFO, "fleet: lease %llx revoked", (unsigned long long)id);
}

/* The margin left between the data plane's deadline and the earliest the
 * lease can expire: clock rates, a pass of the workers, the LEASE's own
 * way. A fifth of the TTL, at least 100 ms. */
static uint64_t margin_ms(const struct fleet_lease *l)
{
	uint64_t m = (uint64_t)l->ttl_s * 1000u / 5u;

	return m < 100 ? 100 : m;
}

static void *keeper(void *arg)
{
	struct fleet_lease *l = arg;
	const uint64_t period = (uint64_t)l->ttl_s * 1000u / 4u;

	for (;;) {
		uint64_t sent, now;
		int64_t id, ttl = 0;
		bool stop, active;
		int rc;

		pthread_mutex_lock(&l->mu);
		while (!l->stop && !l->active && l->id == 0)
			pthread_cond_wait(&l->cv, &l->mu);
		stop = l->stop;
		active = l->active;
		id = l->id;
		pthread_mutex_unlock(&l->mu);
		if (stop)
			break;
		if (!active) { /* the gateway went away: its streams go to others now */
			give_back(l);
			continue;
		}
		sent = mono_ms();
		if (id == 0) {
			rc = take_lease(l);
		} else {
			rc = etcd_lease_keepalive(l->e, id, &ttl);
			if (rc == -ENOENT) {
				sgw_log(LOG_WARNING, "fleet: lease %llx expired: this gateway's streams went to "
					"others; a new lease", (unsigned long long)id);
				pthread_mutex_lock(&l->mu);
				l->id = 0;
				pthread_mutex_unlock(&l->mu);
			}
		}
		now = mono_ms();
		if (rc == 0) {
			uint64_t valid = sent + (uint64_t)l->ttl_s * 1000u - margin_ms(l);
			bool ours;

			pthread_mutex_lock(&l->mu);
			l->renewals++;
			/* A new lease moves the deadline only once the data plane
			 * holds what is placed under it: its fenced streams may
			 * still be those placed under the old one, which other
			 * gateways have now (fleet_lease_pushed). */
			ours = l->pushed == l->id;
			pthread_mutex_unlock(&l->mu);
			if (ours && valid > now)
				push_deadline(l, (uint32_t)(valid - now));
		}
		/* the next round: a quarter TTL after this one was sent; after
		 * a failure (etcd electing a leader, a member gone) sooner, so
		 * that the deadline moves again as soon as etcd can */
		pthread_mutex_lock(&l->mu);
		if (!l->stop && l->active) {
			struct timespec until;
			uint64_t wake = sent + (rc == 0 ? period : RETRY_MS < period ? RETRY_MS : period);

			clock_gettime(CLOCK_REALTIME, &until);
			if (wake > now) {
				uint64_t ns = (uint64_t)until.tv_nsec + (wake - now) * 1000000u;

				until.tv_sec += (time_t)(ns / 1000000000u);
				until.tv_nsec = (long)(ns % 1000000000u);
				pthread_cond_timedwait(&l->cv, &l->mu, &until);
			}
		}
		pthread_mutex_unlock(&l->mu);
	}
	if (l->revoke_on_stop)
		give_back(l);
	return NULL;
}

int fleet_lease_start(const struct fleet_cfg *cfg, const char *agent_socket, unsigned ttl_s,
		      struct fleet_lease **out, char *err, size_t errlen)
{
	struct fleet_lease *l = calloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	if (l == NULL)
		return -ENOMEM;
	l->agent_fd = -1;
	l->ttl_s = ttl_s;
	l->timeout_ms = cfg->timeout_ms;
	snprintf(l->agent, sizeof(l->agent), "%s", agent_socket);
	snprintf(l->gw_key, sizeof(l->gw_key), "%sgw/%s", cfg->prefix, cfg->name);
	snprintf(l->gw_val, sizeof(l->gw_val), "{\"name\":\"%s\"}", cfg->name);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	rc = etcd_open(cfg->endpoints, cfg->timeout_ms, &l->e, err, errlen);
	if (rc == 0 && (rc = -pthread_create(&l->thread, NULL, keeper, l)) != 0)
		snprintf(err, errlen, "starting the lease's thread: %s", strerror(-rc));
	if (rc != 0) {
		if (l->e != NULL)
			etcd_close(l->e);
		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void fleet_lease_stop(struct fleet_lease *l, bool revoke_lease)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->stop = true;
	l->revoke_on_stop = revoke_lease;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	agent_close(l);
	etcd_close(l->e);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}

void fleet_lease_set_active(struct fleet_lease *l, bool active)
{
	pthread_mutex_lock(&l->mu);
	if (l->active != active) {
		l->active = active;
		pthread_cond_broadcast(&l->cv);
	}
	pthread_mutex_unlock(&l->mu);
}

void fleet_lease_pushed(struct fleet_lease *l, int64_t lease)
{
	pthread_mutex_lock(&l->mu);
	if (l->pushed != lease) {
		l->pushed = lease;
		pthread_cond_broadcast(&l->cv); /* a keep-alive and the deadline now */
	}
	pthread_mutex_unlock(&l->mu);
}

int64_t fleet_lease_id(struct fleet_lease *l)
{
	int64_t id;

	pthread_mutex_lock(&l->mu);
	id = l->id;
	pthread_mutex_unlock(&l->mu);
	return id;
}

uint64_t fleet_lease_renewals(struct fleet_lease *l)
{
	uint64_t n;

	pthread_mutex_lock(&l->mu);
	n = l->renewals;
	pthread_mutex_unlock(&l->mu);
	return n;
}
