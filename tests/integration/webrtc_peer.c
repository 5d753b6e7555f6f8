/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * webrtc_peer: srtpgw-control's sans-I/O ICE-lite agent and DTLS-SRTP
 * server (control/daemon/ice.c, dtls.c) on one loopback UDP socket, for
 * the interoperability tests with independent peers (aioice, aiortc:
 * tests/integration/test_webrtc_interop.py). A test program, not a
 * server: it demultiplexes as RFC 7983 says (STUN 0..3, DTLS 20..63) and
 * takes DTLS only from addresses that passed an authenticated check, as
 * the gateway and the daemon will.
 *
 *   webrtc_peer --fingerprint 'sha-256 AB:..' [--remote-ufrag U] [--consent-ms N]
 *
 * Prints one JSON object per line on stdout: first
 *   {"port": P, "ufrag": U, "pwd": W, "fingerprint": "sha-256 ..."}
 * then one per datagram and event:
 *   {"stun": "<refusal or accepted>", "from": "ip:port", "reply": N}
 *   {"event": "selected"|"consent-lapsed"|"check"|"failed", "addr": ..., "nominated": b}
 *   {"event": "dtls-connected", "suite": S, "ingress": HEX, "egress": HEX}
 *   {"event": "dtls-failed", "error": E} / {"event": "dtls-closed"}
 *   {"dtls": "refused", "from": ..., "why": ...}
 * The SRTP keys of this throwaway session are printed so that the test can
 * check them against the peer's; nothing in srtpgw prints keys. Exits when
 * stdin closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/addr.h"
#include "api/suite.h"
#include "control/daemon/cert.h"
#include "control/daemon/dtls.h"
#include "control/daemon/ice.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void to_endpoint(const struct sockaddr_in *sin, struct sgw_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->addr.family = SGW_AF_INET;
	memcpy(ep->addr.a, &sin->sin_addr, 4);
	ep->port = ntohs(sin->sin_port);
}

static void to_sockaddr(const struct sgw_endpoint *ep, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, ep->addr.a, 4);
	sin->sin_port = htons(ep->port);
}

/* "ip:port", "-" for no address */
static const char *ep_text(const struct sgw_endpoint *ep, char *buf, size_t len)
{
	if (ep->addr.family == SGW_AF_NONE)
		return "-";
	return sgw_endpoint_format(ep, buf, len);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void print_ice_events(const struct ice_output *out)
{
	char a[SGW_ADDR_STRLEN + 8];

	for (unsigned i = 0; i < out->n_events; i++) {
		const struct ice_event *ev = &out->events[i];

		printf("{\"event\": \"%s\", \"addr\": \"%s\", \"nominated\": %s}\n",
		       ice_event_name(ev->type), ep_text(&ev->addr, a, sizeof(a)),
		       ev->nominated ? "true" : "false");
	}
}

static void dtls_flush(int fd, struct dtls_session *s, struct ice_agent *ice,
		       const struct sgw_endpoint *last_from)
{
	uint8_t buf[DTLS_MTU_MAX];
	struct sgw_endpoint to;
	struct sockaddr_in sin;
	enum dtls_event_type ev;
	size_t n;

	/* DTLS goes to the selected address, else where the peer spoke from */
	if (!ice_agent_selected(ice, &to))
		to = *last_from;
	to_sockaddr(&to, &sin);
	while ((n = dtls_session_pop(s, buf, sizeof(buf))) > 0)
		sendto(fd, buf, n, 0, (struct sockaddr *)&sin, sizeof(sin));
	while (dtls_session_poll_event(s, &ev)) {
		struct dtls_srtp_keys k;
		char in[2 * SGW_KEY_MAX + 1], eg[2 * SGW_KEY_MAX + 1];

		switch (ev) {
		case DTLS_EV_CONNECTED:
			if (dtls_session_srtp_keys(s, &k) != 0)
				break;
			hex(k.ingress.material, k.ingress.len, in);
			hex(k.egress.material, k.egress.len, eg);
			printf("{\"event\": \"dtls-connected\", \"suite\": \"%s\", \"ingress\": \"%s\", "
			       "\"egress\": \"%s\"}\n", sgw_suite_info(k.ingress.suite)->name, in, eg);
			break;
		case DTLS_EV_FAILED:
			printf("{\"event\": \"dtls-failed\", \"error\": \"%s\"}\n", dtls_session_error(s));
			break;
		case DTLS_EV_CLOSED:
			printf("{\"event\": \"dtls-closed\"}\n");
			break;
		}
	}
}

int main(int argc, char **argv)
{
	const char *fp_text = NULL, *remote_ufrag = NULL, *err = NULL;
	struct ice_config icfg = { 0 };
	struct ice_creds creds;
	struct cert cert;
	struct cert_fp fp;
	struct dtls_ctx *ctx;
	struct dtls_session *dtls;
	struct ice_agent *ice;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sgw_endpoint last_from = { 0 };
	socklen_t slen = sizeof(sin);
	char errbuf[256];
	int fd;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--fingerprint") == 0)
			fp_text = argv[i + 1];
		else if (strcmp(argv[i], "--remote-ufrag") == 0)
			remote_ufrag = argv[i + 1];
		else if (strcmp(argv[i], "--consent-ms") == 0)
			icfg.consent_ms = (uint32_t)strtoul(argv[i + 1], NULL, 10);
	}
	if (fp_text == NULL || cert_fp_parse_line(fp_text, &fp) != 0) {
		fprintf(stderr, "usage: %s --fingerprint 'sha-256 AB:..' [--remote-ufrag U] "
			"[--consent-ms N]\n", argv[0]);
		return 2;
	}
	if (cert_make_self_signed(&cert, "webrtc_peer", errbuf, sizeof(errbuf)) != 0 ||
	    (ctx = dtls_ctx_new(cert.x509, cert.key, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "webrtc_peer: %s\n", errbuf);
		return 1;
	}
	if (ice_creds_generate(&creds) != 0 ||
	    (ice = ice_agent_new(&creds, remote_ufrag, &icfg, mono_ms(), &err)) == NULL ||
	    (dtls = dtls_session_new(ctx, &fp, 1, NULL, mono_ms(), &err)) == NULL) {
		fprintf(stderr, "webrtc_peer: %s\n", err != NULL ? err : "credentials");
		return 1;
	}
	dtls_ctx_free(ctx);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) != 0) {
		perror("webrtc_peer: socket");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("{\"port\": %u, \"ufrag\": \"%s\", \"pwd\": \"%s\", \"fingerprint\": \"%s\"}\n",
	       ntohs(sin.sin_port), creds.ufrag, creds.pwd, cert.fingerprint);

	for (;;) {
		struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
		uint64_t now = mono_ms(), due = ice_agent_next_timeout(ice);
		uint8_t buf[4096], reply[ICE_REPLY_MAX];
		struct ice_output out;
		struct sgw_endpoint from;
		char a[SGW_ADDR_STRLEN + 8];
		ssize_t n;
		int timeout;

		if (dtls_session_next_timeout(dtls) < due)
			due = dtls_session_next_timeout(dtls);
		timeout = due == UINT64_MAX ? -1 : due <= now ? 0 : (int)(due - now);
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0)
				break; /* the test is done with us */
		}
		now = mono_ms();
		ice_agent_tick(ice, now, &out);
		print_ice_events(&out);
		dtls_session_tick(dtls, now);
		dtls_flush(fd, dtls, ice, &last_from);
		if (!(pfd[0].revents & POLLIN))
			continue;
		slen = sizeof(sin);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sin, &slen);
		if (n <= 0)
			continue;
		to_endpoint(&sin, &from);
		ep_text(&from, a, sizeof(a));
		if (buf[0] < 4) { /* STUN */
			ice_agent_input(ice, buf, (size_t)n, &from, now, reply, &out);
			if (out.reply_len > 0)
				sendto(fd, reply, out.reply_len, 0, (struct sockaddr *)&sin, sizeof(sin));
			printf("{\"stun\": \"%s\", \"from\": \"%s\", \"reply\": %zu}\n",
			       ice_refusal_name(out.refusal), a, out.reply_len);
			print_ice_events(&out);
		} else if (buf[0] >= 20 && buf[0] <= 63) { /* DTLS */
			if (!ice_agent_is_valid(ice, &from)) {
				printf("{\"dtls\": \"refused\", \"from\": \"%s\", \"why\": \"no authenticated "
				       "check from there\"}\n", a);
				continue;
			}
			last_from = from;
			if (dtls_session_input(dtls, buf, (size_t)n, now) != 0)
				printf("{\"dtls\": \"refused\", \"from\": \"%s\", \"why\": \"not DTLS\"}\n", a);
			dtls_flush(fd, dtls, ice, &last_from);
		}
	}
	dtls_session_free(dtls);
	ice_agent_free(ice);
	cert_free(&cert);
	close(fd);
	return 0;
}
