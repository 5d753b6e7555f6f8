/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The punt channel, gateway side (api/srtpgw_punt.h): STUN and DTLS
 * datagrams of the ports marked for it go to srtpgw-control, and the
 * datagrams it gives back go out of those ports. On the agent thread.
 */
#ifndef SRTPGW_AGENT_PUNT_H
#define SRTPGW_AGENT_PUNT_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane/pkt_parse.h"

struct sgw_agent;

/* At start-up, before srtpgw drops root: listens on cfg->punt_socket
 * (nothing when it is ""). 0, or -1 with a one-line error in err. */
int agent_punt_open(struct sgw_agent *a, char *err, size_t errlen);
/* Closes everything, removes the socket's file, lets the next hops go. */
void agent_punt_close(struct sgw_agent *a);

/* The descriptors to poll (at most AGENT_PUNT_NFDS, -1 for none). */
#define AGENT_PUNT_NFDS 2
void agent_punt_pollfds(const struct sgw_agent *a, struct pollfd *pfd);
/* After poll: accepts, reads what srtpgw-control sends (a bounded batch),
 * sends what waited for a next hop, forgets idle peers. */
void agent_punt_events(struct sgw_agent *a, const struct pollfd *pfd, uint64_t now_ms);

/* A STUN or DTLS datagram the workers punted (pi: its parse), to
 * srtpgw-control. Counts punt_rx or drop_punt. */
void agent_punt_rx(struct sgw_agent *a, const uint8_t *frame, const struct pkt_info *pi);

#endif
