/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw-control's end of the punt channel (api/srtpgw_punt.h): the STUN
 * and DTLS datagrams of WebRTC ports arrive from the gateway here, and the
 * answers go back. Non-blocking: a datagram the gateway's socket cannot
 * take now is dropped and counted (ICE and DTLS retransmit), as the
 * network would drop it.
 */
#ifndef SRTPGW_PUNT_LINK_H
#define SRTPGW_PUNT_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/srtpgw_punt.h"

struct punt_link {
	char path[108];
	int fd;                 /* -1 when down */
	uint64_t rx, tx;        /* datagrams received, sent */
	uint64_t tx_dropped;    /* not sent: the socket was full or down */
	uint64_t rx_bad;        /* messages that were not a well-formed RX */
	char last_error[160];
};

void punt_link_init(struct punt_link *l, const char *path);
/* Connect (non-blocking socket). 0 or -errno with last_error set. */
int punt_link_connect(struct punt_link *l);
void punt_link_close(struct punt_link *l);
bool punt_link_up(const struct punt_link *l);

/* One datagram from the gateway into *h and payload (cap bytes). 1 with
 * one, 0 when none is waiting, -errno when the link failed (closed). */
int punt_link_recv(struct punt_link *l, struct sgw_punt_hdr *h, uint8_t *payload, size_t cap);

/* Send a datagram from the gateway's local endpoint to remote. 0, or
 * -errno (counted in tx_dropped; a failed link is closed). */
int punt_link_send(struct punt_link *l, const struct sgw_endpoint *local,
		   const struct sgw_endpoint *remote, const void *payload, size_t len);

#endif
