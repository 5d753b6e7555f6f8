/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw-loadgen: sends valid SRTP for the streams of a gateway description
 * (the op file given to `srtpgw-agentctl apply`) and counts, checks and
 * times what comes back to the viewers. docs/loadgen.md.
 *
 * Packet numbering: the k-th packet (k = 0, 1, ...) of stream s carries RTP
 * sequence number seq0[s] + k, RTP timestamp k and SSRC ssrc_base + s. The
 * gateway leaves the RTP header as it is, so a receiver knows (s, k) of any
 * packet without decrypting it. Streams are sent round robin: the g-th
 * packet sent is stream g % n_streams, k = g / n_streams.
 */
#ifndef SRTPGW_LOADGEN_H
#define SRTPGW_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_ring.h>

#include "api/srtpgw_agent.h"

struct sgw_srtp;
struct rte_hash;
struct rte_mempool;

#define LG_MAX_BURST 256
#define LG_PAYLOAD_MIN 12   /* the payload's mark: "SGWL", stream, k */
#define LG_PAYLOAD_MAX 1400
#define LG_PT 96
#define LG_STAMP_ENTRIES (1u << 20) /* send stamps kept, over all streams */

/* ---- options (lg_args.c) ------------------------------------------------ */

struct lg_opts {
	const char *ops_path;
	const char *port, *rx_port;     /* DPDK device names; NULL = the only port */
	double rate;                    /* packets/s over all streams; 0 = at once */
	double duration, warmup, drain; /* seconds */
	unsigned size;                  /* RTP payload bytes */
	unsigned burst;
	unsigned rx_queues;             /* RX queues to poll on the receiving port */
	uint64_t max_packets;           /* pre-encrypted packets, over all streams */
	unsigned streams_limit;         /* 0 = all */
	bool have_dst_mac, have_src_mac, no_arp, strict, quiet;
	struct rte_ether_addr dst_mac, src_mac;
	struct sgw_endpoint source;     /* for streams without a source; family NONE = none */
	const char *json_path;
	unsigned idle_sleep_us;
	uint32_t verify_first;          /* each viewer's first packets decrypted */
	double link_timeout;
};

/* 0, 1 (--help printed: exit 0) or -1 (usage error printed: exit 2). */
int lg_parse_args(int argc, char **argv, struct lg_opts *o);
void lg_usage(FILE *f);

/* ---- the description (lg_model.c) --------------------------------------- */

struct lg_stamp {
	uint32_t k;       /* which packet the stamp is of (+1; 0 = none) */
	uint32_t pad;
	uint64_t tsc;     /* when it was handed to the port */
};

struct lg_stream {
	uint64_t id;
	struct sgw_endpoint listen, source;
	struct sgw_key key;          /* zeroed once the packets are made */
	bool plain;
	unsigned n_viewers;
	/* made by lg_frames.c */
	uint32_t ssrc;
	uint16_t seq0;
	uint16_t frame_len;          /* whole Ethernet frame */
	uint16_t hdr_len;            /* Ethernet + IP + UDP */
	struct rte_ether_addr dst_mac;
	bool dst_mac_known;
	uint8_t *frames;             /* SRTP: n_frames pre-encrypted frames of stride bytes */
	uint64_t n_frames;
	uint32_t stride;
	uint8_t *tmpl;               /* plain: the frame of k = 0, patched per packet */
	uint16_t tmpl_udp_ck;        /* its UDP checksum (network order) */
	/* send stamps (TX writes, RX reads): stamp of k at stamps[k & stamp_mask] */
	struct lg_stamp *stamps;
	uint32_t stamp_mask;
};

struct lg_viewer {
	uint64_t id;
	uint64_t stream_id;
	unsigned stream;             /* index into streams */
	struct sgw_endpoint to;
	struct sgw_key key;          /* zeroed once the receive context is made */
	bool plain;
	bool lanes;                  /* egress lanes: it receives lane_ssrc, the gateway's sequence */
	uint32_t lane_ssrc;
	struct sgw_srtp *rx;         /* receive context (NULL: plain) */
	/* RX lcore */
	uint64_t received, verified, decrypt_fail, mismatch, misdelivered;
};

struct lg_model {
	struct lg_stream *streams;
	unsigned n_streams;
	struct lg_viewer *viewers;
	unsigned n_viewers;
	unsigned n_srtp_streams;
};

/* Read the op file into m: the state the gateway holds after applying it.
 * 0, or -1 with the reason in err ("FILE:LINE: ..."). */
int lg_model_load(const char *path, struct lg_model *m, char *err, size_t errlen);
/* Keep the live streams (the first --streams-limit) and their viewers,
 * give sourceless streams --source. 0 or -1 + err. */
int lg_model_prepare(struct lg_model *m, const struct lg_opts *o, char *err, size_t errlen);
void lg_model_free(struct lg_model *m);

/* ---- frames (lg_frames.c) ----------------------------------------------- */

/* The RTP packet (header and payload) of packet k of stream s, into buf
 * (12 + size bytes). */
void lg_rtp_plain(const struct lg_stream *st, unsigned s, uint64_t k, unsigned size, uint8_t *buf);
/* Build each stream's frames (Ethernet source src_mac, destination
 * st->dst_mac): the template of plain streams, n_per_stream pre-encrypted
 * frames of SRTP streams (0 for none: plain streams only), and the send
 * stamps. Zeroes the streams' keys. 0 or -1 + err. */
int lg_frames_build(struct lg_model *m, const struct lg_opts *o, const struct rte_ether_addr *src_mac,
		    uint32_t ssrc_base, uint64_t n_per_stream, char *err, size_t errlen);
/* Frame of packet k of plain stream st into dst (st->frame_len bytes). */
void lg_frame_plain(const struct lg_stream *st, uint64_t k, uint8_t *dst);

/* ---- latency histogram (lg_hist.c) -------------------------------------- */

#define LG_HIST_SUB 32
#define LG_HIST_BUCKETS (64 * LG_HIST_SUB)
struct lg_hist {
	uint64_t n, max, min;
	uint64_t b[LG_HIST_BUCKETS];
};
void lg_hist_add(struct lg_hist *h, uint64_t v);
/* The value at or below which fraction q of the samples lie (bucket midpoint). */
uint64_t lg_hist_quantile(const struct lg_hist *h, double q);

/* ---- the run (lg_port.c, lg_tx.c, lg_rx.c) ------------------------------ */

struct lg_addr_entry {          /* an address the load generator answers ARP/ND for */
	uint8_t family;
	uint8_t a[16];
	bool viewer;                /* a viewer's: the gateway's next hop */
	bool asked;                 /* the gateway asked for it (and was answered) */
};

struct lg_run {
	struct lg_model *m;
	const struct lg_opts *o;
	uint16_t tx_port, rx_port;
	bool two_ports;
	uint16_t n_rxq;             /* on rx_port (a separate tx_port has one) */
	struct rte_mempool *pool;
	struct rte_ether_addr mac;  /* ours */
	struct rte_ring *replies;   /* RX -> TX: ARP/ND answers */
	struct rte_hash *by_dest;   /* viewer destination -> viewer index */
	struct lg_addr_entry *addrs;
	unsigned n_addrs;
	uint32_t ssrc_base;
	uint64_t hz;
	uint64_t t_start, t_window, t_end_planned; /* TSC */
	uint64_t total_packets;     /* UINT64_MAX: unlimited (plain only, rate 0) */
	/* written by TX, read by RX and main */
	uint64_t t_tx_end;          /* 0 while sending */
	uint64_t sent_total, sent_at_window, t_window_seen;
	uint64_t tx_full;           /* tx bursts that took less than offered */
	uint64_t *sent;             /* per stream (TX only: not in the streams' cache lines) */
	bool exhausted;             /* ran out of pre-encrypted packets */
	/* written by RX */
	uint64_t rx_frames, rx_window_frames, rx_known, unknown, other;
	uint64_t arp_answered, nd_answered, lat_lost;
	struct lg_hist hist;
	/* control */
	volatile bool stop_tx, stop_rx;
	bool interleaved;
	bool resolving;             /* lg_slow_resolve() is waiting for answers */
	uint8_t scratch[2][2048];   /* RX: decrypt and compare buffers */
};

/* Find, configure and start the port(s) and the mbuf pool, wait for the
 * link. 0 or -1 + err. */
int lg_port_setup(struct lg_run *r, char *err, size_t errlen);
void lg_port_close(struct lg_run *r);
/* The viewer destination table and receive contexts (zeroes the viewers'
 * keys). 0 or -1 + err. */
int lg_rx_init(struct lg_run *r, char *err, size_t errlen);
void lg_rx_fini(struct lg_run *r);
/* One receive poll of every port: returns the frames received. */
unsigned lg_rx_poll(struct lg_run *r);
/* The RX lcore's loop (rte_eal_remote_launch), until r->stop_rx. */
int lg_rx_main(void *arg);
/* The TX loop on the main lcore (polls RX too when interleaved). */
void lg_tx_main(struct lg_run *r);

/* ---- report (lg_report.c) ----------------------------------------------- */

void lg_report_text(const struct lg_run *r, FILE *f);
int lg_report_json(const struct lg_run *r, const char *path);
/* 0 if every viewer got exactly its expected packets, none unknown,
 * no decrypt failure, mismatch or misdelivery. */
int lg_report_check(const struct lg_run *r);
uint64_t lg_expected(const struct lg_run *r, const struct lg_viewer *v);

#endif
