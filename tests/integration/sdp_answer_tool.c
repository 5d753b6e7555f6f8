/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SDP module (control/daemon/sdp.h) as a filter, for the tests that
 * hand its answers to other WebRTC implementations
 * (tests/integration/test_sdp_peers.py) and for looking at what it does:
 *
 *   sdp_answer_tool --role whep|whip [--video SPEC]... [--audio opus]
 *                   [--fb nack,pli,fir,remb,twcc] [--addr ADDR:PORT]
 *                   [--ufrag U] [--pwd P] [--fingerprint HEX]
 *                   [--ssrc-video N] [--ssrc-audio N] [--cname C] [--msid M]
 *                   < offer > answer
 *
 * SPEC: VP8, JPEG, H264, H264/PLID (6 hex digits) or H264/PLID/MODE.
 * Prints the answer and exits 0; the choice goes to standard error as one
 * line ("choice video=0 pt=108 codec=H264 rtx=109 fb=0x7 tagged=0 ...").
 * A refused offer: "refused STATUS NAME: REASON" on standard error, exit 1.
 * Usage errors exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/addr.h"
#include "control/daemon/sdp.h"

static struct sdp_offer offer; /* ~200 KiB: not on the stack */

static void usage(void)
{
	fprintf(stderr, "usage: sdp_answer_tool --role whep|whip [--video SPEC]... [--audio opus] "
			"[--fb LIST] [--addr ADDR:PORT] [--ufrag U] [--pwd P] [--fingerprint HEX] "
			"[--ssrc-video N] [--ssrc-audio N] [--cname C] [--msid M] < offer\n");
	exit(2);
}

static int spec(const char *s, struct sdp_codec_spec *out)
{
	char buf[64];
	char *plid, *mode;

	memset(out, 0, sizeof(*out));
	out->pmode = -1;
	snprintf(buf, sizeof(buf), "%s", s);
	plid = strchr(buf, '/');
	if (plid != NULL)
		*plid++ = '\0';
	if (strcasecmp(buf, "VP8") == 0)
		out->codec = SDP_CODEC_VP8;
	else if (strcasecmp(buf, "opus") == 0)
		out->codec = SDP_CODEC_OPUS;
	else if (strcasecmp(buf, "JPEG") == 0)
		out->codec = SDP_CODEC_JPEG;
	else if (strcasecmp(buf, "H264") == 0)
		out->codec = SDP_CODEC_H264;
	else
		return -1;
	if (plid != NULL) {
		mode = strchr(plid, '/');
		if (mode != NULL) {
			*mode++ = '\0';
			if (strcmp(mode, "0") != 0 && strcmp(mode, "1") != 0)
				return -1;
			out->pmode = (int8_t)atoi(mode);
		}
		if (strlen(plid) != 6 || strspn(plid, "0123456789abcdefABCDEF") != 6)
			return -1;
		out->plid = (uint32_t)strtoul(plid, NULL, 16);
	}
	return 0;
}

static uint32_t feedback(const char *s)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} tab[] = { { "nack", SDP_FB_NACK }, { "pli", SDP_FB_PLI }, { "fir", SDP_FB_FIR },
		    { "remb", SDP_FB_REMB }, { "twcc", SDP_FB_TWCC } };
	char buf[128];
	uint32_t fb = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok(buf, ","); t != NULL; t = strtok(NULL, ",")) {
		size_t i;

		for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
			if (strcmp(t, tab[i].name) == 0)
				break;
		if (i == sizeof(tab) / sizeof(tab[0]))
			usage();
		fb |= tab[i].bit;
	}
	return fb;
}

int main(int argc, char **argv)
{
	static char text[SDP_MAX_TEXT + 2], answer[SDP_ANSWER_MAX];
	struct sdp_want want = { .fb = SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR };
	struct sdp_local local = {
		.ice_ufrag = "sgw1",
		.ice_pwd = "srtpgwsrtpgwsrtpgw0123",
		.session_id = 1,
		.session_version = 1,
		.cname = "srtpgw",
		.ssrc_video = 0x11111111,
		.ssrc_audio = 0x22222222,
		.msid = "srtpgw",
	};
	struct sdp_choice choice;
	char err[256];
	size_t len;
	int rc;

	for (unsigned i = 0; i < 32; i++)
		local.fingerprint[i] = (uint8_t)i;
	if (sgw_endpoint_parse("127.0.0.1:20000", &local.addr, false) != 0)
		return 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			usage();
		i++;
		if (strcmp(a, "--role") == 0) {
			want.role = strcmp(v, "whep") == 0 ? SDP_WHEP : strcmp(v, "whip") == 0 ? SDP_WHIP : 0;
			if (want.role == 0)
				usage();
		} else if (strcmp(a, "--video") == 0) {
			if (want.n_video == 4 || spec(v, &want.video[want.n_video++]) != 0)
				usage();
		} else if (strcmp(a, "--audio") == 0) {
			if (want.n_audio == 2 || spec(v, &want.audio[want.n_audio++]) != 0)
				usage();
		} else if (strcmp(a, "--fb") == 0) {
			want.fb = feedback(v);
		} else if (strcmp(a, "--addr") == 0) {
			if (sgw_endpoint_parse(v, &local.addr, false) != 0)
				usage();
		} else if (strcmp(a, "--ufrag") == 0) {
			local.ice_ufrag = v;
		} else if (strcmp(a, "--pwd") == 0) {
			local.ice_pwd = v;
		} else if (strcmp(a, "--fingerprint") == 0) {
			if (strlen(v) != 64)
				usage();
			for (unsigned k = 0; k < 32; k++) {
				char hex[3] = { v[2 * k], v[2 * k + 1], 0 };

				local.fingerprint[k] = (uint8_t)strtoul(hex, NULL, 16);
			}
		} else if (strcmp(a, "--ssrc-video") == 0) {
			local.ssrc_video = (uint32_t)strtoul(v, NULL, 0);
		} else if (strcmp(a, "--ssrc-audio") == 0) {
			local.ssrc_audio = (uint32_t)strtoul(v, NULL, 0);
		} else if (strcmp(a, "--cname") == 0) {
			local.cname = v;
		} else if (strcmp(a, "--msid") == 0) {
			local.msid = strcmp(v, "-") == 0 ? NULL : v;
		} else {
			usage();
		}
	}
	if (want.role == 0)
		usage();
	len = fread(text, 1, sizeof(text), stdin);
	rc = sdp_parse_offer(text, len, &offer, err, sizeof(err));
	if (rc == 0)
		rc = sdp_choose(&offer, &want, &choice, err, sizeof(err));
	if (rc == 0)
		rc = sdp_answer(&offer, &choice, &local, answer, sizeof(answer), err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "refused %d %s: %s\n", sdp_status(rc), sdp_err_name(rc), err);
		sdp_offer_clear(&offer);
		return 1;
	}
	fprintf(stderr, "choice tagged=%d", choice.tagged);
	for (unsigned i = 0; i < choice.n_media; i++) {
		const struct sdp_choice_media *m = &choice.media[i];

		if (m->mode == SDP_SERVE)
			fprintf(stderr, " %u=serve:%s/%u/rtx%d/fb0x%x", i, sdp_codec_name(m->codec), m->pt,
				m->rtx_pt, m->fb);
		else
			fprintf(stderr, " %u=%s", i, m->mode == SDP_INACTIVE ? "inactive" : "reject");
	}
	fprintf(stderr, "\n");
	fwrite(answer, 1, (size_t)rc, stdout);
	sdp_offer_clear(&offer);
	return 0;
}
