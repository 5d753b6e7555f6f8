/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker counters of srtpgw: every packet a worker drops is counted under
 * exactly one named reason. The list is part of the agent wire format
 * (SGW_MSG_STATS_WORKERS replies carry the values in this order), so new
 * counters are only ever appended.
 */
#ifndef SRTPGW_COUNTERS_H
#define SRTPGW_COUNTERS_H

/* _(ENUM_SUFFIX, "name", "meaning") */
#define SGW_FOREACH_COUNTER(_)                                                 \
	_(RX, "rx", "frames received from a port queue")                       \
	_(TX, "tx", "frames handed to a port queue and accepted")              \
	_(HANDOFF_OUT, "handoff_out", "packets passed to the stream's home worker") \
	_(HANDOFF_IN, "handoff_in", "packets received from another worker")   \
	_(FORWARDED, "forwarded", "RTP/RTCP packets accepted from a stream")   \
	_(ARP_REPLIED, "arp_replied", "ARP requests answered")                  \
	_(ARP_LEARNED, "arp_learned", "neighbour MACs learned from ARP")        \
	_(ARP_SENT, "arp_sent", "ARP requests sent for next hops")              \
	_(ND_REPLIED, "nd_replied", "neighbour solicitations answered")         \
	_(ND_LEARNED, "nd_learned", "neighbour MACs learned from ND")           \
	_(ND_SENT, "nd_sent", "neighbour solicitations sent for next hops")     \
	_(ICMP_ECHO_REPLIED, "icmp_echo_replied", "ICMP echo requests answered") \
	_(ICMP6_ECHO_REPLIED, "icmp6_echo_replied", "ICMPv6 echo requests answered") \
	/* drops: every one below is a reason a packet went nowhere */         \
	_(DROP_L2_TRUNCATED, "drop_l2_truncated", "frame shorter than its Ethernet/VLAN header") \
	_(DROP_ETHERTYPE, "drop_ethertype", "ethertype neither IPv4, IPv6 nor ARP") \
	_(DROP_L2_NOT_US, "drop_l2_not_us", "unicast destination MAC not the port's") \
	_(DROP_IP_MALFORMED, "drop_ip_malformed", "bad IP version, header length, total length or checksum") \
	_(DROP_IP_FRAGMENT, "drop_ip_fragment", "IP fragments (not reassembled)") \
	_(DROP_IP_NOT_LOCAL, "drop_ip_not_local", "destination not a gateway address") \
	_(DROP_L4_PROTO, "drop_l4_proto", "IP protocol neither UDP nor ICMP/ICMPv6") \
	_(DROP_UDP_MALFORMED, "drop_udp_malformed", "UDP header truncated or length inconsistent") \
	_(DROP_NOT_RTP, "drop_not_rtp", "UDP payload not RTP/RTCP by RFC 7983 (DTLS, STUN, other)") \
	_(DROP_RTP_MALFORMED, "drop_rtp_malformed", "RTP/RTCP header shorter than its fixed part") \
	_(DROP_NO_FLOW, "drop_no_flow", "no stream listens on that address and port") \
	_(DROP_SOURCE_MISMATCH, "drop_source_mismatch", "sender not the stream's configured source") \
	_(DROP_SRTP_AUTH, "drop_srtp_auth", "SRTP/SRTCP authentication failed") \
	_(DROP_SRTP_REPLAY, "drop_srtp_replay", "SRTP/SRTCP replayed or too old") \
	_(DROP_SRTP_OTHER, "drop_srtp_other", "libsrtp refused the packet for another reason") \
	_(DROP_OWNER_MISMATCH, "drop_owner_mismatch", "viewer's owner not allowed on the stream (per-packet owner check)") \
	_(DROP_NEIGH_UNRESOLVED, "drop_neigh_unresolved", "viewer's next hop MAC not yet resolved") \
	_(DROP_NO_MBUF, "drop_no_mbuf", "mbuf pool exhausted while copying for a viewer") \
	_(DROP_TOO_BIG, "drop_too_big", "packet would exceed the egress MTU or mbuf room") \
	_(DROP_MULTISEG, "drop_multiseg", "multi-segment mbuf could not be linearised") \
	_(DROP_TX_FULL, "drop_tx_full", "port TX queue full") \
	_(DROP_HANDOFF_FULL, "drop_handoff_full", "home worker's hand-off ring full") \
	_(DROP_ARP_OTHER, "drop_arp_other", "ARP not for us or malformed") \
	_(DROP_ICMP_OTHER, "drop_icmp_other", "ICMP/ICMPv6 other than echo request and ND, or malformed") \
	_(DROP_NO_VIEWERS, "drop_no_viewers", "authenticated packet of a stream with no viewers") \
	_(DROP_SLOWPATH_FULL, "drop_slowpath_full", "ARP/ICMP/ND queue to the agent thread full") \
	_(DROP_RX_CKSUM, "drop_rx_cksum", "port reported a bad IP or UDP checksum") \
	_(DROP_SRTP_SSRCS, "drop_srtp_ssrcs", "a new SSRC on a context that has as many as it may (RTP: none idle)") \
	_(DROP_SRTP_RESERVE, "drop_srtp_reserve", "egress index past the lane's reservation, or before its start") \
	_(DROP_SRTP_INDEX_USED, "drop_srtp_index_used", "egress index the viewer's context already used (libsrtp's guard)") \
	_(DROP_NEIGH_UNSOLICITED, "drop_neigh_unsolicited", "ARP reply or neighbour advertisement ignored: no probe of ours awaited it, or not on the port's VLAN") \
	/* the agent socket's limits (agent thread only) */                    \
	_(AGENT_PEER_REFUSED, "agent_peer_refused", "agent socket connections refused: peer uid/gid not allowed") \
	_(AGENT_CLIENTS_REFUSED, "agent_clients_refused", "agent socket connections refused: agent_max_clients reached") \
	_(AGENT_TXN_TIMEOUT, "agent_txn_timeout", "transactions aborted after agent_txn_timeout_ms without a message (client closed)") \
	_(AGENT_IDLE_CLOSED, "agent_idle_closed", "agent clients closed after agent_idle_timeout_ms without traffic") \
	_(AGENT_SEND_TIMEOUT, "agent_send_timeout", "agent clients closed: replies unread for agent_send_timeout_ms") \
	_(PUNTED, "punted", "STUN and DTLS datagrams of WebRTC ports queued for srtpgw-control") \
	_(DROP_VIEWER_MEDIA, "drop_viewer_media", "RTP sent to a viewer's own port (it takes RTCP only)") \
	_(PUNT_RX, "punt_rx", "datagrams given to srtpgw-control on the punt channel") \
	_(PUNT_TX, "punt_tx", "datagrams srtpgw-control gave to send, sent") \
	_(DROP_PUNT, "drop_punt", "punted datagrams lost: no srtpgw-control on the punt channel, or it is not reading") \
	_(DROP_PUNT_TX, "drop_punt_tx", "datagrams from srtpgw-control not sent: malformed, not from a gateway address, no route, next hop unresolved") \
	_(DROP_VIEWER_PAUSED, "drop_viewer_paused", "packets for a viewer with no address: paused (its consent lapsed) or not confirmed yet") \
	_(DROP_PORT_NOT_READY, "drop_port_not_ready", "media on a port whose WebRTC session is still being set up (ICE, DTLS)") \
	_(KEYFRAME_REQUESTED, "keyframe_requested", "PLIs sent to a camera: its viewers asked (PLI, FIR) or one joined; at most one per stream every 300 ms") \
	_(KEYFRAME_NO_CAMERA, "keyframe_no_camera", "keyframe wishes (a viewer's PLI or FIR) for a stream without a camera leg (an SDES camera): nobody to ask") \
	_(DROP_RTCP_PORT_RTP, "drop_rtcp_port_rtp", "RTP on a stream's RTCP port (listen + 1)") \
	_(NACK_RESENT, "nack_resent", "packets resent to a WebRTC viewer that NACKed them: the very SRTP packet it was sent") \
	_(NACK_MISSED, "nack_missed", "NACKed packets not resent: no longer held (older than the viewer's last 512), never sent to it, or resent 3 times already") \
	/* the worker's load (not packets): a worker busy polls, so its CPU \
	 * time says nothing; these say how much of it packets took */         \
	_(BUSY_POLLS, "busy_polls", "worker loop passes that got packets (from its queues or hand-off rings)") \
	_(BUSY_US, "busy_us", "microseconds those passes took: busy_us / (rx + handoff_in) is the worker's time per packet") \
	/* service addresses (agent thread only) */                            \
	_(ADDR_ANNOUNCED, "addr_announced", "gratuitous ARPs and unsolicited neighbour advertisements sent for service addresses added") \
	/* fencing (a fleet): every packet of a fenced stream after the deadline */ \
	_(DROP_LEASE_EXPIRED, "drop_lease_expired", "fenced stream's packet after the lease deadline: the controller stopped renewing")

enum sgw_counter {
#define SGW_COUNTER_ENUM(e, name, help) SGW_CTR_##e,
	SGW_FOREACH_COUNTER(SGW_COUNTER_ENUM)
#undef SGW_COUNTER_ENUM
	SGW_CTR_MAX
};

#endif /* SRTPGW_COUNTERS_H */
