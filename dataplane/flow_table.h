/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow table: (local address index, UDP port) -> flow entry.
 *
 * Versions. The table is a persistent (copy-on-write) radix tree:
 * root -> per-address directory (256 pages) -> page (256 entry pointers).
 * A transaction copies only the root and the directories and pages it
 * changes, so a one-stream change costs three small copies whatever the
 * table size. ft_publish() makes the new root visible with one release
 * store; a worker loads the root once per burst (acquire) and so sees one
 * whole version per burst. Everything the old version alone referenced
 * (nodes, entries, crypto contexts: the "retired" list) is freed only after
 * an rte_rcu_qsbr grace period, once every worker has reported a quiescent
 * state after the store.
 *
 * The root also points to the version's addresses (dataplane/addr_set.h):
 * a worker finds a packet's address index in the same root whose dir[] it
 * then reads, so an address and its directory come and go together.
 *
 * Threads: workers read (ft_lookup); one writer (the agent thread) does
 * everything else.
 */
#ifndef SRTPGW_FLOW_TABLE_H
#define SRTPGW_FLOW_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#include "api/srtpgw_agent.h"
#include "dataplane/addr_set.h"
#include "dataplane/nack_cache.h"

#define SGW_NO_WORKER 0xffffu

struct sgw_srtp;

/* Times at which the stream's home worker forwarded its last sender
 * reports, by the middle 32 bits of their NTP timestamp: a viewer's
 * receiver report names one (LSR) and says how long it held it (DLSR), which
 * gives the round trip. dataplane: written by the stream's home worker,
 * read by the worker of a viewer's port (seq: odd while an entry is
 * written). */
#define SGW_SR_HISTORY 4
struct sgw_sr_times {
	uint32_t seq;
	uint32_t next;
	uint32_t ntp_mid[SGW_SR_HISTORY];
	uint64_t tsc[SGW_SR_HISTORY];
};

/*
 * Mutable per-stream state shared by all versions of the stream's entry.
 * dataplane: rw by the home worker only; ctlplane: reads counters.
 */
struct sgw_stream_state {
	uint16_t home;          /* worker that owns the crypto state, SGW_NO_WORKER
	                           until a packet authenticated (dataplane/worker.c) */
	uint16_t claim;         /* before that: 1 + the worker authenticating a
	                           packet of the stream, 0 = none (CAS) */
	uint64_t packets, bytes;
	uint64_t auth_fail, replay_fail, other_fail;
	uint64_t last_rx_tsc;   /* 0 = never */
	struct sgw_sr_times sr; /* the sender reports it forwarded */
	/* A keyframe is wanted (a viewer's PLI or FIR, a viewer joined): set
	 * by any worker or the agent (relaxed), sent to the camera and cleared
	 * by the home worker, at most once per SGW_KF_INTERVAL_MS. */
	uint8_t kf_wanted;
	uint64_t kf_last_tsc;   /* when the last request went out */
	uint64_t kf_sent;       /* requests sent to the camera */
} __rte_cache_aligned;

#define SGW_KF_INTERVAL_MS 300

/* dataplane: rw by the stream's home worker only; ctlplane: reads. */
struct sgw_viewer_state {
	uint64_t packets, bytes, drops;
	/* NACKs answered (dataplane/nack_cache.h): packets resent, NACKed
	 * packets no longer (or never) held, requests the mailbox lost */
	uint64_t nack_resent, nack_missed, nack_lost;
	/* what the viewer's RTCP says (a viewer with a port of its own):
	 * written by the home worker of that port's entry */
	uint64_t rtcp_in __rte_cache_aligned;
	uint64_t rr, pli, fir, nack;
	uint32_t fraction_lost;
	int32_t cumulative_lost;
	uint32_t jitter, rtt_us;
	uint64_t last_rr_tsc;     /* 0 = none yet */
	struct sgw_nack_mailbox nack_mb __rte_cache_aligned; /* its NACKs, to the stream's home worker */
} __rte_cache_aligned;

/* One viewer inside an entry. Immutable once published. */
struct sgw_flow_viewer {
	uint64_t viewer_id;
	uint32_t owner;
	uint16_t port;            /* DPDK port id to send on */
	uint32_t neigh;           /* next-hop slot (dataplane/neigh.h) */
	struct sgw_srtp *egress;  /* NULL: plain RTP out */
	struct sgw_viewer_state *st;
	struct sgw_nack_cache *nack; /* NULL: its NACKs are not answered */
	uint16_t mtu;
	uint8_t hdr_len;          /* bytes of hdr[] */
	uint8_t l3_off;           /* offset of the IP header in hdr[] */
	uint8_t family;           /* 4 or 6 */
	uint8_t n_pt;             /* payload types the viewer numbers otherwise */
	uint8_t pt_in[SGW_MAX_PT_MAP], pt_out[SGW_MAX_PT_MAP];
	uint8_t hdr[14 + 4 + 40 + 8] __rte_aligned(8); /* Ethernet (dst filled per packet), VLAN,
	                                 IP, UDP with lengths and checksums left 0 */
	uint16_t l3_sum, l4_sum;  /* hdr's checksum sums (dataplane/viewer_hdr.h), in
	                             what was hdr's tail padding */
};

enum sgw_entry_kind {
	SGW_ENTRY_STREAM = 0,     /* a stream's listen port: media in, fanned out */
	SGW_ENTRY_VIEWER_PORT = 1, /* a viewer's port of its own: its RTCP in */
	SGW_ENTRY_PORT = 2,       /* a port with no media yet: STUN and DTLS only */
	SGW_ENTRY_STREAM_RTCP = 3, /* a stream's RTCP port (listen + 1): its entry, RTCP only */
};

/* Immutable once published. A stream's entry, or a viewer port's (kind):
 * then stream_id is its stream's, ingress the viewer's RTCP context, st the
 * port's own state (home, claim, counters), vst the viewer's, source its
 * address, fence its stream's, and it has no viewers. */
struct sgw_flow_entry {
	uint64_t stream_id;
	uint32_t owner;
	uint8_t n_allowed;        /* owners allowed to receive: owner + grants */
	uint8_t plain_in;         /* 1: plain RTP in, no ingress crypto */
	uint16_t n_viewers;
	uint8_t kind;             /* enum sgw_entry_kind */
	uint8_t punt;             /* STUN and DTLS go to srtpgw-control */
	uint8_t has_fb;           /* viewers[n_viewers] is the camera's feedback leg */
	uint64_t fence;           /* the stream's fencing token, 0: not fenced (its packets
	                             are dropped after the lease deadline, dp.h) */
	uint64_t viewer_id;       /* a viewer port's viewer */
	struct sgw_viewer_state *vst; /* a viewer port's viewer's state */
	struct sgw_stream_state *sst; /* a viewer port's stream's state (its SR times) */
	uint32_t allowed[1 + SGW_MAX_GRANTS];
	struct sgw_endpoint source; /* family NONE = any */
	struct sgw_srtp *ingress;     /* current key */
	struct sgw_srtp *ingress_old; /* previous key during a rekey overlap, or NULL */
	struct sgw_stream_state *st;
	struct sgw_flow_viewer viewers[];
};

struct ft_page {
	uint64_t gen; /* transaction that created it: writable while == txn gen */
	struct sgw_flow_entry *e[256];
};

struct ft_dir {
	uint64_t gen;
	struct ft_page *page[256];
};

struct ft_root {
	uint64_t version;
	const struct sgw_addr_set *addrs; /* this version's addresses, never NULL */
	struct ft_dir *dir[SGW_FT_MAX_ADDRS];
};

typedef void (*ft_free_fn)(void *obj);

struct ft_retired {
	void *obj;
	ft_free_fn free_fn;
};

struct flow_table {
	struct ft_root *root;           /* dataplane: ro (acquire); ctlplane: rw */
	struct rte_rcu_qsbr *qs;        /* workers' quiescent state */
	/* ctlplane only below */
	struct ft_root *next;           /* open transaction's root, or NULL */
	/* what the open transaction allocated (root, nodes, entries it placed):
	 * freed on abort, forgotten on publish */
	struct ft_retired *created;
	unsigned n_created, cap_created;
	/* what became unreachable: freed after the grace period that follows
	 * publish; on abort the open transaction's part is forgotten */
	struct ft_retired *retired;
	unsigned n_retired, cap_retired, retired_at_begin;
	uint64_t nodes;                 /* directories + pages allocated */
};

/* Worker side: the version for this burst. */
static inline const struct ft_root *ft_acquire(const struct flow_table *ft)
{
	return __atomic_load_n(&ft->root, __ATOMIC_ACQUIRE);
}

static inline struct sgw_flow_entry *
ft_lookup(const struct ft_root *r, unsigned addr_idx, uint16_t port)
{
	const struct ft_dir *d = r->dir[addr_idx];
	const struct ft_page *p;

	if (unlikely(d == NULL))
		return NULL;
	p = d->page[port >> 8];
	if (unlikely(p == NULL))
		return NULL;
	return p->e[port & 0xff];
}

/* Writer side. All return 0 or -ENOMEM unless noted. */
/* An empty table (version 0) with no address. */
int ft_init(struct flow_table *ft, struct rte_rcu_qsbr *qs);
/* Version 0's addresses (the config file's): before any reader runs, no
 * transaction open. The table owns s from then on. */
void ft_init_addrs(struct flow_table *ft, struct sgw_addr_set *s);
/* Frees every version and, through free_entry, every entry. No reader may run. */
void ft_fini(struct flow_table *ft, ft_free_fn free_entry);

int ft_begin(struct flow_table *ft);
/* Set (or with e == NULL clear) a slot in the open transaction. The entry it
 * replaces goes through free_old after the grace period (free_old may be
 * NULL when the caller retires it itself). */
int ft_set(struct flow_table *ft, unsigned addr_idx, uint16_t port,
	   struct sgw_flow_entry *e, ft_free_fn free_old);
/* The slot's content in the open transaction (or the published version). */
struct sgw_flow_entry *ft_get(const struct flow_table *ft, unsigned addr_idx, uint16_t port);
/* The open transaction's addresses become s (the table owns it: freed on
 * abort, or after the grace period once a later version replaced it); the
 * set it replaces is retired. */
int ft_set_addrs(struct flow_table *ft, struct sgw_addr_set *s);
/* Empty dir[addr_idx] in the open transaction (an address that goes): its
 * directory and pages are retired. -EBUSY if an entry is still in it. */
int ft_drop_dir(struct flow_table *ft, unsigned addr_idx);
/* Queue obj for free_fn after the grace period that follows the next publish. */
int ft_retire(struct flow_table *ft, void *obj, ft_free_fn free_fn);
/* Drop the open transaction: frees its new nodes, keeps retired objects
 * queued by ft_set out (they are still referenced). */
void ft_abort(struct flow_table *ft);
/* One release store of the new root. Returns the new version. */
uint64_t ft_publish(struct flow_table *ft);
/* Wait for a grace period (rte_rcu_qsbr_synchronize) and free what was
 * retired. Call after ft_publish (and after answering the client). */
void ft_reclaim(struct flow_table *ft);

#endif
