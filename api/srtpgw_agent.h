/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The srtpgw agent protocol: what the control plane (and srtpgw-agentctl)
 * sends to the gateway's agent socket, and what the gateway answers.
 * This header is the definition; docs/agent-protocol.md explains it.
 *
 * Transport: AF_UNIX SOCK_STREAM. Every message is a struct sgw_msg_hdr
 * followed by hdr.len payload bytes. Integers are in the host's byte order
 * (both ends are on one host). Requests are answered in order; every reply
 * echoes the request's seq. A malformed or oversized message gets an
 * SGW_MSG_ERROR reply and changes nothing; the gateway then closes the
 * connection if it can no longer find the next header (bad magic, version
 * or oversized length).
 *
 * A transaction is TXN_BEGIN, any number of TXN_OPS, TXN_COMMIT. Nothing is
 * visible before COMMIT; COMMIT is answered with SGW_MSG_APPLIED only after
 * the new version has been published to the workers. An error in any op
 * aborts the whole transaction. A connection that closes before COMMIT
 * changes nothing.
 */
#ifndef SRTPGW_AGENT_H
#define SRTPGW_AGENT_H

#include <stdint.h>

#define SGW_AGENT_MAGIC 0x31574753u /* "SGW1" read as bytes on little-endian */
#define SGW_AGENT_VERSION 1
#define SGW_AGENT_MAX_PAYLOAD (1u << 20)
#define SGW_AGENT_MAX_TXN_OPS (4u << 20)

/* Limits of one flow entry, enforced by the agent. */
#define SGW_MAX_VIEWERS_PER_STREAM 256
#define SGW_MAX_GRANTS 7 /* owners besides the stream's own */

enum sgw_msg_type {
	/* requests */
	SGW_MSG_HELLO = 1,        /* no payload -> SGW_MSG_STATUS */
	SGW_MSG_TXN_BEGIN = 2,    /* struct sgw_txn_begin -> SGW_MSG_OK */
	SGW_MSG_TXN_OPS = 3,      /* struct sgw_txn_ops + ops -> SGW_MSG_OK */
	SGW_MSG_TXN_COMMIT = 4,   /* no payload -> SGW_MSG_APPLIED */
	SGW_MSG_TXN_ABORT = 5,    /* no payload -> SGW_MSG_OK */
	SGW_MSG_STATS_WORKERS = 6, /* no payload -> SGW_MSG_WORKER_STATS */
	SGW_MSG_STATS_FLOWS = 7,  /* struct sgw_flow_stats_req -> SGW_MSG_FLOW_STATS */
	SGW_MSG_STATS_VIEWERS = 8, /* struct sgw_flow_stats_req -> SGW_MSG_VIEWER_STATS */
	SGW_MSG_RESERVE = 9,      /* struct sgw_reserve_hdr + entries -> SGW_MSG_RESERVED */
	SGW_MSG_STATS_LANES = 10, /* struct sgw_lanes_req -> SGW_MSG_LANE_STATS */
	SGW_MSG_STATS_ADDRS = 11, /* no payload -> SGW_MSG_ADDR_STATS */
	SGW_MSG_LEASE = 12,       /* struct sgw_lease -> SGW_MSG_OK */
	/* replies */
	SGW_MSG_OK = 64,
	SGW_MSG_ERROR = 65,       /* struct sgw_error */
	SGW_MSG_STATUS = 66,      /* struct sgw_status */
	SGW_MSG_APPLIED = 67,     /* struct sgw_applied */
	SGW_MSG_WORKER_STATS = 68, /* struct sgw_worker_stats_hdr + entries */
	SGW_MSG_FLOW_STATS = 69,  /* struct sgw_stats_page + sgw_flow_stats[] */
	SGW_MSG_VIEWER_STATS = 70, /* struct sgw_stats_page + sgw_viewer_stats[] */
	SGW_MSG_RESERVED = 71,    /* struct sgw_reserved */
	SGW_MSG_LANE_STATS = 72,  /* struct sgw_stats_page + sgw_lane_stats[] */
	SGW_MSG_ADDR_STATS = 73,  /* struct sgw_stats_page + sgw_addr_stats[] */
};

struct sgw_msg_hdr {
	uint32_t magic;   /* SGW_AGENT_MAGIC */
	uint16_t version; /* SGW_AGENT_VERSION */
	uint16_t type;    /* enum sgw_msg_type */
	uint32_t len;     /* payload bytes that follow, <= SGW_AGENT_MAX_PAYLOAD */
	uint32_t seq;     /* chosen by the requester, echoed in the reply */
};

/* ---- addresses, keys ---------------------------------------------------- */

enum sgw_family { SGW_AF_NONE = 0, SGW_AF_INET = 4, SGW_AF_INET6 = 6 };

struct sgw_addr {
	uint8_t family; /* enum sgw_family */
	uint8_t pad[3];
	uint8_t a[16];  /* IPv4 in a[0..3], network order */
};

struct sgw_endpoint {
	struct sgw_addr addr;
	uint16_t port; /* host order; 0 = any (source only) */
	uint16_t pad;
};

/* SRTP protection profiles. SGW_SUITE_PLAIN means plain RTP, no crypto. */
enum sgw_suite {
	SGW_SUITE_PLAIN = 0,
	SGW_SUITE_AES_CM_128_HMAC_SHA1_80 = 1,
	SGW_SUITE_AES_CM_128_HMAC_SHA1_32 = 2,
	SGW_SUITE_AEAD_AES_128_GCM = 3,
	SGW_SUITE_AEAD_AES_256_GCM = 4,
	SGW_SUITE_MAX
};

#define SGW_KEY_MAX 48
struct sgw_key {
	uint8_t suite;   /* enum sgw_suite */
	uint8_t len;     /* master key || master salt, must match the suite */
	uint8_t pad[6];
	uint8_t material[SGW_KEY_MAX];
};

/*
 * Where an SRTP context is in its RTP stream: the SSRC it follows and its
 * highest packet index, ROC << 16 | SEQ (RFC 3711 3.3.1). The ROC is in no
 * packet, and a context made anew counts from 0: a gateway that restarts
 * cannot authenticate a source, nor be decrypted by a viewer, whose
 * sequence numbers have wrapped, unless it is told where they were.
 */
#define SGW_POS_VALID 0x1u
struct sgw_pos {
	uint32_t ssrc;
	uint32_t roc;
	uint16_t seq;
	uint16_t flags; /* SGW_POS_VALID, or 0: no position */
	uint32_t pad;
};

/*
 * Egress lanes (invariant 8: no SRTP or SRTCP index is ever used twice
 * under one key). A viewer added with lanes receives each source SSRC of
 * its stream on a lane: the lane's SSRC, sequence numbers of the lane's
 * own, and packet and SRTCP indices that a context made anew (a restarted
 * gateway) starts at `next` and never takes past `limit`, the reservation
 * the control plane durably recorded before it sent it. SGW_MSG_RESERVE
 * raises limits; SGW_MSG_STATS_LANES says where lanes are.
 */
#define SGW_MAX_LANES 8

struct sgw_lane_res {
	uint32_t ssrc;        /* the SSRC the viewer receives on this lane */
	uint32_t rtcp_next;   /* first SRTCP index a new context uses, 1..2^31-1 */
	uint32_t rtcp_limit;  /* the highest it may use (rtcp_next - 1: none yet) */
	uint32_t pad;
	uint64_t next;        /* first RTP index (ROC << 16 | SEQ), 1..2^48-1 */
	uint64_t limit;       /* the highest it may use (next - 1: none yet) */
};

struct sgw_lanes {
	uint32_t n;           /* 0: no lanes (SSRCs and sequence numbers passed
	                         through, indices estimated, nothing reserved) */
	uint32_t pad;
	struct sgw_lane_res lane[SGW_MAX_LANES];
};

/* ---- transactions ------------------------------------------------------- */

#define SGW_TXN_REPLACE_ALL 0x1u /* the ops are the whole desired state:
                                    what they do not name is deleted, what
                                    they name unchanged keeps its crypto state */

struct sgw_txn_begin {
	uint64_t ctl_seq; /* the control plane's change number; reported back */
	uint32_t flags;   /* SGW_TXN_* */
	uint32_t pad;
};

struct sgw_txn_ops {
	uint32_t n_ops;
	uint32_t pad;
	/* followed by n_ops ops, each a struct sgw_op_hdr and its body */
};

enum sgw_op_type {
	SGW_OP_STREAM_ADD = 1,      /* struct sgw_op_stream_add */
	SGW_OP_STREAM_DEL = 2,      /* struct sgw_op_id */
	SGW_OP_STREAM_REKEY = 3,    /* struct sgw_op_rekey */
	SGW_OP_STREAM_END_OVERLAP = 4, /* struct sgw_op_id: forget the old key */
	SGW_OP_STREAM_SET_SOURCE = 5, /* struct sgw_op_stream_source */
	SGW_OP_GRANT_ADD = 6,       /* struct sgw_op_grant */
	SGW_OP_GRANT_DEL = 7,       /* struct sgw_op_grant */
	SGW_OP_VIEWER_ADD = 8,      /* struct sgw_op_viewer_add */
	SGW_OP_VIEWER_DEL = 9,      /* struct sgw_op_id */
	SGW_OP_VIEWER_REKEY = 10,   /* struct sgw_op_rekey */
	SGW_OP_VIEWER_SET_DEST = 11, /* struct sgw_op_viewer_dest */
	SGW_OP_PORT_ADD = 12,       /* struct sgw_op_port */
	SGW_OP_PORT_DEL = 13,       /* struct sgw_op_port */
	SGW_OP_ADDR_ADD = 14,       /* struct sgw_op_addr */
	SGW_OP_ADDR_DEL = 15,       /* struct sgw_op_addr (ip only) */
	SGW_OP_STREAM_FENCE = 16,   /* struct sgw_op_fence */
	SGW_OP_MAX
};

/* An op's body may be the short form of its type, without the fields
 * added last (marked "optional"): they are then zero. */
struct sgw_op_hdr {
	uint16_t type; /* enum sgw_op_type */
	uint16_t len;  /* of the body that follows this header */
	uint32_t pad;
};

struct sgw_op_id {
	uint64_t id; /* stream or viewer id */
};

struct sgw_op_stream_add {
	uint64_t stream_id;        /* 1..2^63-1, unique */
	uint32_t owner;            /* != 0 */
	uint32_t replay_window;    /* packets; 0 = gateway default */
	struct sgw_endpoint listen; /* a gateway address and a UDP port */
	struct sgw_endpoint source; /* family NONE = any sender; port 0 = any */
	struct sgw_key key;        /* ingress; suite PLAIN = plain RTP in */
	/* optional: the ingress position to go on from (a restarted gateway:
	 * the source's ROC); ignored when a REPLACE_ALL keeps the stream */
	struct sgw_pos resume;
	/* optional: during a rekey overlap, the previous key, accepted too
	 * (suite PLAIN and len 0: none) */
	struct sgw_key old_key;
	/* optional: SGW_STREAM_* */
	uint32_t flags;
	uint32_t pad2;
};

/* STUN and DTLS arriving on the stream's listen port go to the punt channel
 * (api/srtpgw_punt.h): a WebRTC camera (WHIP) */
#define SGW_STREAM_PUNT 0x1u
/* The stream's RTCP also arrives on listen port + 1 (RFC 3550 without
 * rtcp-mux, as ffmpeg sends it): taken there as on the listen port; RTP
 * there is dropped (drop_rtcp_port_rtp). Port + 1 must be free. */
#define SGW_STREAM_RTCP_PORT 0x2u

#define SGW_REKEY_KEEP_OLD 0x1u /* stream: accept the old key too until
                                   STREAM_END_OVERLAP or the next rekey */
struct sgw_op_rekey {
	uint64_t id;
	uint32_t flags;
	uint32_t pad;
	struct sgw_key key;
	/* optional, viewers only: the new context's lanes (n 0 for streams) */
	struct sgw_lanes lanes;
};

struct sgw_op_stream_source {
	uint64_t stream_id;
	struct sgw_endpoint source;
};

struct sgw_op_grant {
	uint64_t stream_id;
	uint32_t owner;
	uint32_t pad;
};

/*
 * A viewer's port of its own and payload types (a WebRTC viewer, WHEP):
 * its media goes out from local_port on the stream's listen address (the
 * ICE candidate the viewer checked), its RTCP comes in to that port and is
 * read with rtcp_key (receiver reports into its statistics), and STUN and
 * DTLS to that port go to the punt channel when SGW_VIEWER_PUNT is set.
 * pt_in[i] of the stream is sent as pt_out[i] (the viewer's numbering).
 */
#define SGW_VIEWER_PUNT 0x1u
/* The stream's camera (its feedback leg): nothing of the stream is sent to
 * it; the keyframe requests (PLI) of the stream go to it, from the stream's
 * listen port (or local_port), under its key and lanes. At most one per
 * stream, of the stream's owner. */
#define SGW_VIEWER_FEEDBACK 0x2u
/* Its generic NACKs (RFC 4585) are answered: the gateway keeps the last
 * 512 packets it sent it and resends those a NACK names, as they were
 * sent (same index, same bytes). Needs local_port (NACKs are RTCP). */
#define SGW_VIEWER_NACK 0x4u
#define SGW_MAX_PT_MAP 4
struct sgw_viewer_port {
	uint16_t local_port;   /* 0: none, it sends from the stream's listen port */
	uint16_t flags;        /* SGW_VIEWER_* */
	uint8_t n_pt;          /* payload type rewrites, 0..SGW_MAX_PT_MAP */
	uint8_t pad[3];
	uint8_t pt_in[SGW_MAX_PT_MAP];
	uint8_t pt_out[SGW_MAX_PT_MAP];
	struct sgw_key rtcp_key; /* the viewer's SRTCP in; suite PLAIN, len 0: none */
};

struct sgw_op_viewer_add {
	uint64_t viewer_id;        /* 1..2^63-1, unique */
	uint64_t stream_id;
	uint32_t owner;            /* must be the stream's owner or granted */
	uint32_t pad;
	struct sgw_endpoint dest;  /* address and port the viewer receives on */
	struct sgw_key key;        /* egress; suite PLAIN = plain RTP out */
	/* optional: the egress position to go on from (a restarted gateway:
	 * the ROC the viewer's receiver counts); ignored when kept, and with
	 * lanes */
	struct sgw_pos resume;
	/* optional: the egress lanes; a REPLACE_ALL keeps a viewer only if its
	 * lanes have these SSRCs (it keeps its own indices and limits) */
	struct sgw_lanes lanes;
	/* optional: a port of its own, payload types (a WebRTC viewer) */
	struct sgw_viewer_port port;
};

/*
 * A port of the gateway's that carries no media yet: STUN and DTLS to it go
 * to the punt channel (SGW_PORT_PUNT), everything else is dropped. A WebRTC
 * session's port while ICE and DTLS run in srtpgw-control; once they are
 * done, one transaction deletes it and adds the viewer (with local_port) or
 * the stream (listen) on it.
 */
#define SGW_PORT_PUNT 0x1u
struct sgw_op_port {
	struct sgw_endpoint local; /* a gateway address and a port */
	uint32_t flags;            /* SGW_PORT_* */
	uint32_t pad;
};

/*
 * A service address: an address of the gateway's on one of its ports,
 * added and removed at run time (in a fleet, a stream's listen address,
 * which moves with the stream). Once the version with it is published the
 * gateway answers ARP/ND for it and announces it on that port (gratuitous
 * ARP, unsolicited neighbour advertisement); streams, ports and viewer
 * ports may listen on it from the op after the ADDR_ADD on. ADDR_DEL reads
 * ip only; nothing may listen on the address any more (delete them first,
 * in the same transaction or before).
 *
 * prefix_len: 32 (IPv4) or 128 (IPv6), a host address, on any port; or the
 * prefix of one of the port's config-file addresses that holds it (another
 * address on a subnet the port is on already). A service address never
 * adds a route: what is reachable from which port stays the config file's.
 */
/* Stops being answered (ARP/ND) and used when the gateway's lease
 * deadline passes (a fleet: the gateway holds the address under its
 * lease). Stored and reported; not yet acted on. */
#define SGW_ADDR_LEASED 0x1u
struct sgw_op_addr {
	struct sgw_addr ip;
	uint8_t prefix_len;
	uint8_t pad;
	uint16_t port_idx;  /* the gateway port: its index in the config file's
	                       ports list, 0 = the first */
	uint32_t flags;     /* SGW_ADDR_* */
};

struct sgw_op_viewer_dest {
	uint64_t viewer_id;
	struct sgw_endpoint dest; /* family NONE: paused (nothing is sent to it,
	                             drop_viewer_paused), its state kept */
};

/*
 * Fencing (a fleet, docs/agent-protocol.md "Fencing"): within its
 * transaction, the fencing token of stream_id is token (the etcd revision
 * of the stream's placement on this gateway). Never 0; never below the
 * token the stream has (ESTALE). A stream with a token is "fenced": every
 * transaction that changes it (or its viewers) must carry a STREAM_FENCE
 * for it, anywhere in the transaction (ESTALE otherwise), and its packets
 * are dropped once the lease deadline (SGW_MSG_LEASE) has passed.
 */
struct sgw_op_fence {
	uint64_t stream_id;
	uint64_t token;     /* != 0 */
};

/*
 * SGW_MSG_LEASE: the gateway's lease deadline is now + ttl_ms, on the
 * workers' clock (TSC); ttl_ms 0: no deadline. Fenced streams forward only
 * before the deadline; the controller moves it forward while it holds its
 * etcd lease. ttl_ms UINT32_MAX and a non-zero pad are refused (EINVAL).
 */
struct sgw_lease {
	uint32_t ttl_ms;
	uint32_t pad;
};

/* ---- replies ------------------------------------------------------------ */

struct sgw_error {
	int32_t code;      /* a positive errno value */
	uint32_t op_index; /* index of the failing op in the transaction, or
	                      UINT32_MAX when not about one op */
	char msg[200];     /* NUL-terminated, never contains key material */
};

struct sgw_status {
	uint64_t version;   /* published table version (0 = empty, at start) */
	uint64_t ctl_seq;   /* ctl_seq of the last applied transaction */
	uint64_t boot_id;   /* random per gateway start: a new one means the
	                       gateway restarted and holds no state */
	uint32_t n_streams;
	uint32_t n_viewers;
	uint32_t n_workers;
	/* the lease deadline (SGW_MSG_LEASE): SGW_LEASE_NONE (0, what a
	 * gateway without fencing sends in this field, once its pad), ms left
	 * until it (rounded up: 1 or more), or SGW_LEASE_EXPIRED */
	uint32_t lease_ms;
};

#define SGW_LEASE_NONE 0u
#define SGW_LEASE_EXPIRED UINT32_MAX

struct sgw_applied {
	uint64_t version;
	uint64_t ctl_seq;
};

struct sgw_worker_stats_hdr {
	uint32_t n_workers;
	uint32_t n_counters; /* SGW_CTR_MAX of the gateway's build */
	/* followed by n_workers x struct sgw_worker_stats_entry */
};

struct sgw_worker_stats_entry {
	uint32_t lcore;
	uint32_t pad;
	uint64_t counter[]; /* n_counters values, order of SGW_FOREACH_COUNTER */
};

struct sgw_flow_stats_req {
	uint64_t after_id; /* list ids > after_id, ascending; 0 = from start */
	uint32_t max;      /* at most this many entries (capped by the gateway) */
	uint32_t pad;
};

struct sgw_stats_page {
	uint32_t n;
	uint32_t more; /* 1 if more entries follow after the last id */
};

struct sgw_flow_stats {
	uint64_t stream_id;
	uint32_t owner;
	uint32_t worker;       /* index of the stream's home worker */
	uint64_t packets;      /* accepted (authenticated) packets */
	uint64_t bytes;        /* accepted UDP payload bytes */
	uint64_t auth_fail;
	uint64_t replay_fail;
	uint64_t other_fail;   /* source mismatch, malformed, libsrtp other */
	uint64_t idle_ms;      /* since the last accepted packet; UINT64_MAX if none */
	struct sgw_pos pos;    /* of the current ingress key's context */
	uint64_t fence;        /* fencing token (SGW_OP_STREAM_FENCE), 0: not fenced */
};

/* SGW_MSG_RESERVE: raise lanes' limits (never lowers them). An entry for
 * a viewer or lane the gateway does not have, or whose lane has another
 * SSRC, is skipped and counted in `unknown`. */
struct sgw_reserve_hdr {
	uint32_t n;
	uint32_t pad;
	/* followed by n x struct sgw_reserve */
};

struct sgw_reserve {
	uint64_t viewer_id;
	uint32_t lane;
	uint32_t ssrc;        /* the lane's SSRC, as reserved */
	uint64_t limit;
	uint32_t rtcp_limit;
	uint32_t pad;
};

struct sgw_reserved {
	uint32_t applied;
	uint32_t unknown;
};

/* SGW_MSG_STATS_LANES: the lanes of viewers with ids above after_id,
 * ascending, at most max lanes (at most 1024) and never part of a
 * viewer's; with rtp_low or rtcp_low non-zero, only viewers with a lane
 * that has at most that many RTP or SRTCP indices left. */
struct sgw_lanes_req {
	uint64_t after_id;
	uint32_t max;
	uint32_t rtp_low;
	uint32_t rtcp_low;
	uint32_t pad;
};

#define SGW_LANE_MAPPED 0x1u /* a source SSRC is mapped onto the lane */
struct sgw_lane_stats {
	uint64_t viewer_id;
	uint32_t lane;
	uint32_t ssrc;
	uint64_t next;        /* the next RTP index it would use */
	uint64_t limit;
	uint32_t rtcp_next;
	uint32_t rtcp_limit;
	uint32_t in_ssrc;     /* the source SSRC mapped onto it */
	uint32_t flags;       /* SGW_LANE_* */
};

/* SGW_MSG_STATS_ADDRS: every gateway address of the published version,
 * config and service, by address index (n at most 256, more 0). */
#define SGW_ADDR_CONFIG 1  /* from the config file */
#define SGW_ADDR_SERVICE 2 /* SGW_OP_ADDR_ADD */
struct sgw_addr_stats {
	struct sgw_addr ip;
	uint8_t prefix_len;
	uint8_t origin;       /* SGW_ADDR_CONFIG, SGW_ADDR_SERVICE */
	uint16_t port_idx;
	uint32_t flags;       /* SGW_ADDR_* (service addresses) */
	uint32_t aidx;        /* its address index in the flow table */
	uint32_t announce_left; /* announcements still to send */
	char port_name[32];   /* the port's name in the config file */
};

struct sgw_viewer_stats {
	uint64_t viewer_id;
	uint64_t stream_id;
	uint32_t owner;
	uint32_t pad;
	uint64_t packets;      /* sent */
	uint64_t bytes;        /* sent UDP payload bytes */
	uint64_t drops;        /* owner check, neighbour, mbuf, tx full, protect */
	struct sgw_pos pos;    /* of the egress context */
	/* what the viewer's RTCP says (a viewer with a port of its own) */
	uint64_t rtcp_in;      /* its RTCP packets that authenticated */
	uint64_t rtcp_bad;     /* its RTCP packets that did not */
	uint64_t rr;           /* report blocks about what we sent it */
	uint64_t pli, fir, nack; /* feedback messages it sent */
	uint32_t fraction_lost; /* of the last report block, /256 */
	int32_t cumulative_lost;
	uint32_t jitter;       /* in the stream's RTP timestamp units */
	uint32_t rtt_us;       /* from the last block's LSR/DLSR, 0 if unknown */
	uint64_t last_rr_ms;   /* since its last report block, UINT64_MAX if none */
	uint64_t nack_resent;  /* packets resent for its NACKs */
	uint64_t nack_missed;  /* NACKed packets not resent (no longer held) */
};

#endif /* SRTPGW_AGENT_H */
