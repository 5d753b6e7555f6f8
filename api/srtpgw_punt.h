/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The punt channel: how srtpgw and srtpgw-control share the packets of a
 * WebRTC port that are not media (docs/agent-protocol.md, "The punt
 * channel"). srtpgw-control runs ICE and DTLS (the certificate's key never
 * enters srtpgw); srtpgw gives it the STUN and DTLS datagrams (RFC 7983
 * first byte 0..3 and 20..63) that arrive on a port marked for it, and sends
 * the datagrams srtpgw-control gives back.
 *
 * Transport: AF_UNIX SOCK_SEQPACKET at the gateway's punt_socket, one
 * datagram per message, peer credentials checked as on the agent socket,
 * one client at a time. A message is a struct sgw_punt_hdr and hdr.len
 * payload bytes. Integers in the host's byte order. Nothing is answered:
 * datagrams that cannot be delivered are counted and dropped, as the
 * network would.
 */
#ifndef SRTPGW_PUNT_H
#define SRTPGW_PUNT_H

#include <stdint.h>

#include "api/srtpgw_agent.h"

#define SGW_PUNT_MAGIC 0x50574753u /* "SGWP" read as bytes on little-endian */
#define SGW_PUNT_VERSION 1
#define SGW_PUNT_MAX_PAYLOAD 2048

enum sgw_punt_type {
	SGW_PUNT_RX = 1, /* gateway -> control: a datagram that arrived */
	SGW_PUNT_TX = 2, /* control -> gateway: a datagram to send */
};

struct sgw_punt_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type;          /* enum sgw_punt_type */
	struct sgw_endpoint local;  /* the gateway's address and port */
	struct sgw_endpoint remote; /* the peer's */
	uint32_t len;           /* payload bytes that follow, <= SGW_PUNT_MAX_PAYLOAD */
	uint32_t pad;
};

#endif
