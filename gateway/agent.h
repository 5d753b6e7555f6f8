/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agent thread: owns the stream and viewer records (the writer side of
 * the flow table), applies transactions, serves the agent socket, answers
 * ARP/ND/ICMP for the gateway's addresses and resolves next hops.
 * Everything here runs on the agent thread only.
 */
#ifndef SRTPGW_AGENT_H_INTERNAL
#define SRTPGW_AGENT_H_INTERNAL

#include <stdbool.h>
#include <stdint.h>

#include "api/srtpgw_agent.h"
#include "dataplane/dp.h"
#include "gateway/config.h"
#include "gateway/idmap.h"

struct viewer_rec {
	uint64_t id;
	uint64_t stream_id;
	uint32_t owner;
	uint8_t suite;
	uint8_t digest[32];         /* keyed hash of the key, to compare keys */
	struct sgw_endpoint dest;
	uint16_t port_idx;          /* egress port */
	uint32_t neigh;             /* next-hop slot */
	struct sgw_addr src_ip;     /* gateway address the viewer sees */
	struct sgw_srtp *egress;    /* NULL for plain */
	uint8_t n_lanes;            /* egress lanes (0: none) and their SSRCs */
	uint32_t lane_ssrc[SGW_MAX_LANES];
	struct sgw_viewer_port port; /* its own port, payload types (rtcp_key
	                               zeroed: its digest is rtcp_digest) */
	uint8_t rtcp_digest[32];
	unsigned aidx;              /* of the stream's listen address (its port's) */
	struct sgw_srtp *rtcp_in;   /* its RTCP in (a port of its own), or NULL */
	struct sgw_stream_state *port_st; /* its port's entry's state, or NULL */
	struct sgw_viewer_state *st;
	struct sgw_nack_cache *nack; /* what it was sent, to answer its NACKs, or NULL */
	uint64_t created_gen;       /* transaction that created the record */
};

struct stream_rec {
	uint64_t id;
	uint32_t owner;
	uint32_t replay_window;
	uint8_t suite;
	uint8_t digest[32];
	uint8_t n_grants;
	uint32_t grants[SGW_MAX_GRANTS];
	struct sgw_endpoint listen, source;
	unsigned aidx;              /* local address index of listen.addr */
	uint32_t flags;             /* SGW_STREAM_* */
	struct sgw_srtp *ingress, *ingress_old;
	uint8_t old_digest[32];     /* of the key of ingress_old, if any */
	struct sgw_stream_state *st;
	uint32_t n_viewers, cap_viewers;
	struct viewer_rec **viewers;
	uint64_t created_gen;
	uint64_t fence;             /* fencing token (SGW_OP_STREAM_FENCE), 0: none */
};

/* A port with no media yet (SGW_OP_PORT_ADD). */
struct port_rec {
	struct sgw_endpoint local;
	unsigned aidx;
	uint32_t flags;
	struct sgw_stream_state *st; /* its entry's state (counters) */
	uint64_t created_gen;
};

struct txn_touch {
	uint8_t is_stream;
	uint64_t id;
	void *before;               /* the record at first touch, or NULL */
	void *copy;                 /* its contents at first touch */
};

struct txn_port {
	bool added;                 /* added by the transaction, else removed */
	uint64_t key;               /* its listen key */
	struct port_rec *rec;
};

struct txn_res {
	void *obj;
	void (*free_fn)(void *);
};

struct txn_slot {
	unsigned aidx;
	uint16_t port;
};

struct txn_neigh {
	uint32_t slot;
	int delta;
};

#define VEC(type) struct { type *v; size_t n, cap; }

struct sgw_txn {
	bool open;
	uint64_t gen;               /* version this transaction will publish */
	uint64_t ctl_seq;
	uint32_t flags;
	uint32_t n_ops;
	unsigned op_type;           /* of the op being applied */
	struct idmap touched;       /* (kind << 63 | id) -> 1 */
	struct idmap seen;          /* REPLACE_ALL: (kind << 63 | id) named by an op */
	struct idmap dirty;         /* stream ids whose entry is rebuilt */
	VEC(struct txn_touch) touches;
	VEC(struct txn_res) created; /* freed on abort */
	VEC(struct txn_res) dropped; /* retired after the grace period on commit */
	VEC(struct txn_slot) cleared; /* flow-table slots emptied */
	VEC(struct txn_neigh) neigh; /* next-hop reference changes */
	VEC(struct txn_port) port_log; /* ports added and removed */
	struct idmap seen_ports;    /* REPLACE_ALL: listen keys of ports named */
	/* fencing (agent_fence.c); dirty's values are 1 + the index of the op
	 * that first changed the stream */
	struct idmap fence;         /* stream id -> highest token a STREAM_FENCE gave */
	struct idmap fence_gone;    /* stream id -> token of a fenced stream deleted */
};

/* The service addresses' part of the agent (agent_addrs.c). */
#define SGW_ADDR_ANNOUNCE_COUNT 3    /* announcements of an address added */
#define SGW_ADDR_ANNOUNCE_MS 150     /* between two of them */
struct agent_addrs {
	struct sgw_addr_set *next;  /* the open transaction's addresses; NULL: unchanged */
	uint8_t seen[SGW_FT_MAX_ADDRS];    /* REPLACE_ALL: slots an ADDR_ADD named */
	uint8_t waiting[SGW_FT_MAX_ADDRS]; /* slots a published version emptied: free
	                                      again after the grace period */
	uint8_t change[SGW_FT_MAX_ADDRS];  /* commit: ADDR_ADDED, ADDR_REMOVED */
	struct {
		uint8_t left;               /* announcements still to send */
		uint64_t next_ms;           /* when the next one goes */
	} announce[SGW_FT_MAX_ADDRS];
	unsigned n_announcing;          /* slots with left > 0 */
};

struct sgw_agent {
	struct sgw_dp *dp;
	const struct sgw_config *cfg;
	struct idmap streams;       /* id -> struct stream_rec */
	struct idmap viewers;       /* id -> struct viewer_rec */
	struct idmap listen;        /* (aidx + 1) << 16 | port -> struct stream_rec */
	struct idmap vports;        /* listen key -> struct viewer_rec with a port of its own */
	struct idmap ports;         /* listen key -> struct port_rec (SGW_OP_PORT_ADD) */
	struct sgw_txn txn;
	uint64_t ctl_seq;           /* of the last applied transaction */
	uint64_t boot_id;
	uint8_t digest_key[32];     /* random per start: key digests are not comparable across runs */
	uint64_t tsc_hz;
	struct agent_punt *punt;    /* the punt channel (agent_punt.c), NULL when off */
	struct agent_addrs addrs;   /* service addresses (agent_addrs.c) */
};

/* Transactions (agent_txn.c). Errors: negative errno and a message in
 * err (never key material). */
int agent_txn_begin(struct sgw_agent *a, const struct sgw_txn_begin *b, char *err, size_t errlen);
int agent_txn_op(struct sgw_agent *a, unsigned type, const void *body, char *err, size_t errlen);
/* Publishes; *version set. Frees nothing: call agent_txn_reclaim() after
 * answering the client. A failure about one op (the fencing check, which
 * runs at the end of the build) sets *op_index to its index, else
 * UINT32_MAX. */
int agent_txn_commit(struct sgw_agent *a, uint64_t *version, uint32_t *op_index, char *err,
		     size_t errlen);
void agent_txn_reclaim(struct sgw_agent *a);
void agent_txn_abort(struct sgw_agent *a);
int agent_init(struct sgw_agent *a, struct sgw_dp *dp, const struct sgw_config *cfg);
void agent_fini(struct sgw_agent *a);

/* Addresses (agent_addrs.c). Version 0's set from dp->laddrs (the config
 * file's): 0 or -ENOMEM. */
int agent_addrs_init(struct sgw_agent *a);
void agent_addrs_fini(struct sgw_agent *a);
/* The published version's addresses (ARP/ND answers, the punt channel). */
const struct sgw_addr_set *agent_addrs_pub(const struct sgw_agent *a);
/* The open transaction's addresses (its ops), else the published ones. */
const struct sgw_addr_set *agent_addrs_txn(const struct sgw_agent *a);
/* After the grace period (agent_txn_reclaim): emptied slots are free. */
void agent_addrs_reclaimed(struct sgw_agent *a);
/* SGW_MSG_STATS_ADDRS reply into buf, its length. */
size_t agent_stats_addrs(struct sgw_agent *a, uint8_t *buf, size_t cap);
/* Announcements due by now_ms (agent_announce.c, from the slow path). */
void agent_announce_poll(struct sgw_agent *a, uint64_t now_ms);

/* The lease deadline (agent_lease.c): SGW_MSG_LEASE's ttl_ms from now
 * (TSC now_tsc), 0 clears it; 0 or -EINVAL with a message in err. And
 * the STATUS field: SGW_LEASE_NONE, ms left, or SGW_LEASE_EXPIRED. */
int agent_lease_set(struct sgw_agent *a, const struct sgw_lease *l, uint64_t now_tsc, char *err,
		    size_t errlen);
uint32_t agent_lease_ms(const struct sgw_agent *a, uint64_t now_tsc);
/* Is l an address this gateway may answer for now? Not a leased service
 * address (SGW_ADDR_LEASED) once the lease deadline has passed: another
 * gateway may hold it then. */
bool agent_addr_held(const struct sgw_agent *a, const struct sgw_local_addr *l);

/* Egress port, next hop and source address for dst; the source is listen
 * when it is an address of that port (agent_route.c). 0, or -EHOSTUNREACH
 * with a message in err. */
int agent_route(struct sgw_agent *a, const struct sgw_addr *dst, const struct sgw_addr *listen,
		uint16_t *port_idx, struct sgw_addr *nexthop, struct sgw_addr *src, char *err,
		size_t errlen);

/* Next hops (agent_neigh.c). */
int agent_neigh_init(struct sgw_agent *a);
/* Slot for (port, ip), allocated if needed, reference taken. -ENOSPC if full. */
int agent_neigh_ref(struct sgw_agent *a, uint16_t port_idx, const struct sgw_addr *ip);
void agent_neigh_unref(struct sgw_agent *a, uint32_t slot);
/* After publish: queue slots without references for release after grace. */
void agent_neigh_retire_unused(struct sgw_agent *a);
/* A MAC for (port, ip) seen in ARP/ND, and how far to believe it. Static
 * slots never change; a multicast or zero MAC is never taken. */
#define SGW_NEIGH_ANSWER_MS 1000
enum agent_neigh_how {
	AGENT_NEIGH_ANSWER,    /* taken by a slot whose probe is out, sent at most
	                          SGW_NEIGH_ANSWER_MS ago; the first answer wins */
	AGENT_NEIGH_TRUSTED,   /* taken (a port trusted for learning) */
	AGENT_NEIGH_CLAIM,     /* never taken: only whether it names a slot */
};
enum agent_neigh_learned {
	AGENT_NEIGH_NOT_OURS,  /* no dynamic slot for (port, ip) */
	AGENT_NEIGH_IGNORED,   /* a slot, but not taken */
	AGENT_NEIGH_LEARNED,
};
enum agent_neigh_learned agent_neigh_learn(struct sgw_agent *a, uint16_t port_idx,
					   const struct sgw_addr *ip, const uint8_t mac[6],
					   enum agent_neigh_how how, uint64_t now_ms);

/* Slow path (agent_slowpath.c): handle up to SGW_SLOW_BATCH frames of the
 * workers' ARP/ICMP/ND queue and send probes for unresolved next hops.
 * Returns frames handled (SGW_SLOW_BATCH: more may be waiting). */
#define SGW_SLOW_BATCH 64
unsigned agent_slowpath_poll(struct sgw_agent *a, uint64_t now_ms);

/* Stats replies (agent_stats.c): payload into buf, returns its length. */
size_t agent_stats_workers(struct sgw_agent *a, uint8_t *buf, size_t cap);
size_t agent_stats_flows(struct sgw_agent *a, const struct sgw_flow_stats_req *req,
			 uint8_t *buf, size_t cap);
size_t agent_stats_viewers(struct sgw_agent *a, const struct sgw_flow_stats_req *req,
			   uint8_t *buf, size_t cap);

/* Lanes (agent_stats.c, agent_reserve.c): SGW_MSG_STATS_LANES into buf;
 * SGW_MSG_RESERVE from its payload. Errors: negative errno, message in
 * err. */
size_t agent_stats_lanes(struct sgw_agent *a, const struct sgw_lanes_req *req, uint8_t *buf,
			 size_t cap);
int agent_reserve(struct sgw_agent *a, const void *payload, uint32_t len,
		  struct sgw_reserved *out, char *err, size_t errlen);
/* The agent socket and the punt socket (agent_listen.c), made at start-up
 * before srtpgw drops root: the listening fd of that type (SOCK_STREAM,
 * SOCK_SEQPACKET), or -1 with a one-line error in err naming it as what. */
int agent_listen(const char *what, const char *path, int type, const struct sgw_config *cfg,
		 char *err, size_t errlen);
/* May the peer of fd, whose SO_PEERCRED is cr, use the agent socket
 * (agent_peer.c)? own_uid/own_gid: what the gateway runs as. */
struct ucred;
bool agent_peer_allowed(const struct sgw_config *cfg, uint32_t own_uid, uint32_t own_gid, int fd,
			const struct ucred *cr);
/* The socket server (agent_server.c): serves lfd until *quit, then closes
 * it and removes path. */
int agent_serve(struct sgw_agent *a, int lfd, const char *path, volatile bool *quit);

#endif
