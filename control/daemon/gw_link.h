/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control daemon's link to the gateway's agent socket: one connection,
 * synchronous requests. A change is pushed as one transaction carrying the
 * change's ctl_seq; when the link comes up (or after any failure) the whole
 * state is pushed as one REPLACE_ALL transaction, unless the gateway
 * already reports the store's ctl_seq.
 */
#ifndef SRTPGW_GW_LINK_H
#define SRTPGW_GW_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/agent_wire.h"
#include "api/srtpgw_agent.h"

struct gw_link {
	char path[108];
	int fd;                 /* -1 when down */
	uint32_t seq;
	uint64_t boot_id;       /* of the gateway we last synced */
	uint64_t applied_seq;   /* ctl_seq the gateway last reported */
	uint64_t version;       /* table version it last reported */
	bool in_sync;           /* false: push the whole state before anything else */
	/* the last transaction's version did not follow the one before it:
	 * another client of the agent socket changed the gateway meanwhile */
	bool other_writer;
	uint32_t timeout_ms;    /* for each send and each reply (gw_link_set_timeout) */
	char last_error[256];
};

void gw_link_init(struct gw_link *l, const char *path);
bool gw_link_up(const struct gw_link *l);
/* Connect and say HELLO. 0 or -errno (last_error set). */
int gw_link_connect(struct gw_link *l);
void gw_link_close(struct gw_link *l);
/* How long a send or a reply may take from now on; past it the link is
 * closed (out of sync) and the request fails with -ETIMEDOUT: a gateway
 * that stopped (SIGSTOP, a hung agent thread) does not hold the daemon. */
void gw_link_set_timeout(struct gw_link *l, uint32_t ms);

/* The ops of one transaction, in as many TXN_OPS payloads as they need. */
struct gw_ops {
	struct sgw_ops_buf *bufs;
	unsigned n;
};

void gw_ops_init(struct gw_ops *o);
/* 0 or -ENOMEM. */
int gw_ops_add(struct gw_ops *o, unsigned type, const void *body, uint16_t len);
uint32_t gw_ops_count(const struct gw_ops *o);
/* Zeroes (the ops may hold keys) and frees. */
void gw_ops_free(struct gw_ops *o);

/* Apply ops (may be empty) as one transaction. 0, -errno for a transport
 * failure (the link is closed and marked out of sync), or the gateway's
 * refusal: a positive errno with its message in err and the index of the
 * failing op in *op_index. */
int gw_link_apply(struct gw_link *l, uint64_t ctl_seq, uint32_t flags,
		  const struct gw_ops *ops, uint32_t *op_index, char *err, size_t errlen);

/* One request, its reply into buf. The reply type, or -errno. */
int gw_link_request(struct gw_link *l, uint16_t type, const void *p, uint32_t len,
		    void *buf, uint32_t cap, uint32_t *reply_len);

#endif
