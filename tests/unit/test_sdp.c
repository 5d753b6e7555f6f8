/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SDP module (control/daemon/sdp.h, docs/webrtc.md "SDP"): every
 * offer of tests/unit/sdp/ (made by Chromium, aiortc and GStreamer's
 * webrtcbin, and written after Firefox's and libdatachannel's formats)
 * parsed, chosen for and answered, each answer parsed back and checked
 * line by line against the choice; two answers byte for byte; H.264's
 * profile rules; every bound at and past its limit; every refusal with
 * its code, HTTP status and message, and no message that repeats the
 * offer's secrets. (tests/integration/test_sdp_peers.py hands the answers
 * to aiortc and Chromium.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/addr.h"
#include "check.h"
#include "control/daemon/sdp.h"

static struct sdp_offer offer, reparsed;
static struct sdp_choice choice;
static char answer[SDP_ANSWER_MAX];
static char err[256];

static const uint8_t LOCAL_FP[32] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				      13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28 };

static struct sdp_local local(void)
{
	struct sdp_local l = {
		.ice_ufrag = "sgwU",
		.ice_pwd = "sgwPasswordOf22chars+/",
		.session_id = 4242,
		.session_version = 2,
		.cname = "srtpgw-cam1",
		.ssrc_video = 0x5eed0001,
		.ssrc_audio = 0x5eed0002,
		.msid = "cam1",
	};

	memcpy(l.fingerprint, LOCAL_FP, 32);
	sgw_endpoint_parse("192.0.2.1:20002", &l.addr, false);
	return l;
}

#define FB3 (SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR)

static struct sdp_codec_spec h264(uint32_t plid, int pmode)
{
	return (struct sdp_codec_spec){ .codec = SDP_CODEC_H264, .plid = plid, .pmode = (int8_t)pmode };
}

static struct sdp_codec_spec codec(enum sdp_codec c)
{
	return (struct sdp_codec_spec){ .codec = (uint8_t)c, .pmode = -1 };
}

static struct sdp_want whep_video(struct sdp_codec_spec s)
{
	return (struct sdp_want){ .role = SDP_WHEP, .n_video = 1, .video = { s }, .fb = FB3 };
}

static struct sdp_want whep_audio(void)
{
	return (struct sdp_want){ .role = SDP_WHEP, .n_audio = 1, .audio = { codec(SDP_CODEC_OPUS) }, .fb = FB3 };
}

/* What srtpgw takes from a camera: H.264 of any profile, then VP8, and opus. */
static struct sdp_want whip(void)
{
	return (struct sdp_want){ .role = SDP_WHIP,
				  .n_video = 2,
				  .video = { h264(0, -1), codec(SDP_CODEC_VP8) },
				  .n_audio = 1,
				  .audio = { codec(SDP_CODEC_OPUS) },
				  .fb = FB3 };
}

static char *load(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "sdp/%s.sdp", name);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	rewind(f);
	buf = malloc((size_t)n); /* exactly its size: ASan sees reads past the end */
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		exit(1);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Parse, choose, answer: the first failure's code, or the answer's length. */
static int run_text(const char *text, size_t len, const struct sdp_want *w)
{
	struct sdp_local l = local();
	int rc = sdp_parse_offer(text, len, &offer, err, sizeof(err));

	if (rc == 0)
		rc = sdp_choose(&offer, w, &choice, err, sizeof(err));
	if (rc == 0)
		rc = sdp_answer(&offer, &choice, &l, answer, sizeof(answer), err, sizeof(err));
	return rc;
}

static int run(const char *text, const struct sdp_want *w)
{
	return run_text(text, strlen(text), w);
}

static int run_fixture(const char *name, const struct sdp_want *w)
{
	size_t len;
	char *text = load(name, &len);
	int rc = run_text(text, len, w);

	free(text);
	return rc;
}

static bool in_bundle(const struct sdp_offer *o, unsigned i)
{
	for (unsigned k = 0; k < o->n_bundle; k++)
		if (o->bundle[k] == i)
			return true;
	return false;
}

/* The answer as another parser sees it, against the offer and the choice. */
static void check_answer(int len)
{
	struct sdp_local l = local();
	const struct sdp_offer *o = &offer;
	const struct sdp_choice *c = &choice;
	unsigned k = 0;

	CHECK(len > 0 && (size_t)len == strlen(answer));
	/* CRLF everywhere, nothing else */
	for (int i = 0; i < len; i++)
		if (answer[i] == '\n')
			CHECK(i > 0 && answer[i - 1] == '\r');
	CHECK(len >= 2 && answer[len - 2] == '\r' && answer[len - 1] == '\n');
	CHECK_EQ(sdp_parse_offer(answer, (size_t)len, &reparsed, err, sizeof(err)), 0);
	CHECK(reparsed.ice_lite);
	CHECK_EQ(reparsed.tr.setup, SDP_SETUP_PASSIVE);
	CHECK(strcmp(reparsed.tr.ufrag, l.ice_ufrag) == 0);
	CHECK(strcmp(reparsed.tr.pwd, l.ice_pwd) == 0);
	CHECK_EQ(reparsed.tr.n_fp, 1);
	CHECK_EQ(reparsed.tr.fp[0].hash, SDP_FP_SHA256);
	CHECK_MEM(reparsed.tr.fp[0].fp, LOCAL_FP, 32);
	CHECK_EQ(reparsed.n_media, o->n_media);
	/* RFC 8843: the tagged mid first, then the others kept, in the offer's order */
	if (c->tagged < 0) {
		CHECK_EQ(reparsed.n_bundle, 0);
	} else {
		CHECK(reparsed.n_bundle > 0 && reparsed.bundle[0] == (unsigned)c->tagged);
		k = 1;
		for (unsigned b = 0; b < o->n_bundle; b++) {
			unsigned i = o->bundle[b];

			if ((int)i == c->tagged || c->media[i].mode == SDP_REJECT)
				continue;
			CHECK(k < reparsed.n_bundle && reparsed.bundle[k] == i);
			k++;
		}
		CHECK_EQ(reparsed.n_bundle, k);
	}
	for (unsigned i = 0; i < o->n_media; i++) {
		const struct sdp_media *om = &o->media[i], *am = &reparsed.media[i];
		const struct sdp_choice_media *cm = &c->media[i];
		bool candidate_here = (int)i == c->tagged || (c->tagged < 0 && cm->mode == SDP_SERVE);

		CHECK(strcmp(am->mid, om->mid) == 0);
		CHECK(strcmp(am->kind_name, om->kind_name) == 0);
		CHECK(strcmp(am->proto, om->proto) == 0);
		CHECK_EQ(am->n_cand, candidate_here ? 1 : 0);
		if (candidate_here) {
			CHECK(strcmp(am->cand[0].addr, "192.0.2.1") == 0);
			CHECK_EQ(am->cand[0].port, 20002);
			CHECK(am->cand[0].udp && am->cand[0].type == SDP_CAND_HOST);
			CHECK_EQ(am->cand[0].priority, 2130706431u);
			CHECK(am->end_of_candidates);
		}
		if (cm->mode == SDP_REJECT) {
			CHECK_EQ(am->port, 0);
			CHECK(!in_bundle(&reparsed, i));
			continue;
		}
		CHECK_EQ(am->port, 20002);
		CHECK(in_bundle(&reparsed, i) == (c->tagged >= 0));
		CHECK(am->rtcp_mux);
		CHECK_EQ(am->n_pt, 1);
		CHECK_EQ(am->pt[0].pt, cm->pt);
		CHECK_EQ(am->pt[0].codec, cm->codec);
		CHECK_EQ(am->n_extmap, 0);
		if (cm->mode == SDP_INACTIVE) {
			CHECK_EQ(am->dir, SDP_DIR_INACTIVE);
			CHECK_EQ(am->pt[0].fb, 0);
			CHECK_EQ(am->n_ssrc, 0);
			continue;
		}
		CHECK_EQ(am->dir, c->role == SDP_WHEP ? SDP_DIR_SENDONLY : SDP_DIR_RECVONLY);
		CHECK_EQ(am->pt[0].fb, cm->fb);
		CHECK_EQ(cm->fb & ~FB3, 0);
		if (c->role == SDP_WHEP) {
			CHECK_EQ(am->n_ssrc, 1);
			CHECK_EQ(am->ssrc[0].ssrc, om->kind == SDP_KIND_VIDEO ? l.ssrc_video : l.ssrc_audio);
			CHECK(strcmp(am->ssrc[0].cname, l.cname) == 0);
		} else {
			CHECK_EQ(am->n_ssrc, 0);
		}
		if (cm->codec == SDP_CODEC_H264) {
			CHECK_EQ(am->pt[0].pmode, cm->pmode);
			CHECK_EQ(am->pt[0].plid, cm->plid);
		}
	}
}

/* A fixture, a want, and what must be chosen. */
struct expect {
	const char *fixture;
	int role; /* 1 WHEP H264 CB pm1, 2 WHEP VP8, 3 WHEP opus, 4 WHIP */
	int video, video_pt, video_rtx;
	uint32_t video_fb;
	int audio, audio_pt;
	int tagged;
	const char *modes; /* per media section: S serve, I inactive, R reject */
	int inactive_pt[3];
};

static struct sdp_want want_of(int role)
{
	switch (role) {
	case 1:
		return whep_video(h264(0x42e01f, 1));
	case 2:
		return whep_video(codec(SDP_CODEC_VP8));
	case 3:
		return whep_audio();
	default:
		return whip();
	}
}

static const struct expect EXPECT[] = {
	/* Chromium 156: VP8 96, H.264 42e01f mode 1 at 108, opus 111 */
	{ "chromium_whep_video_audio", 1, 0, 108, 109, FB3, -1, -1, 0, "SI", { -1, 111 } },
	{ "chromium_whep_video_audio", 2, 0, 96, 97, FB3, -1, -1, 0, "SI", { -1, 111 } },
	{ "chromium_whep_video_audio", 3, -1, -1, -1, 0, 1, 111, 0, "IS", { 96, -1 } },
	{ "chromium_whep_video", 1, 0, 108, 109, FB3, -1, -1, 0, "S", { -1 } },
	{ "chromium_whep_datachannel", 2, 0, 96, 97, FB3, -1, -1, 0, "SIR", { -1, 111, -1 } },
	{ "chromium_whip_video_audio", 4, 0, 108, 109, FB3, 1, 111, 0, "SS", { -1 } },
	/* aiortc 1.4: VP8 97, H.264 42001f 99 and 42e01f 101, opus 96; nack and pli */
	{ "aiortc_whep_video_audio", 1, 0, 101, 102, SDP_FB_NACK | SDP_FB_PLI, -1, -1, 0, "SI", { -1, 96 } },
	{ "aiortc_whep_video_audio", 3, -1, -1, -1, 0, 1, 96, 0, "IS", { 97, -1 } },
	{ "aiortc_whep_video", 2, 0, 97, 98, SDP_FB_NACK | SDP_FB_PLI, -1, -1, 0, "S", { -1 } },
	{ "aiortc_whip_video_audio", 4, 0, 101, 102, SDP_FB_NACK | SDP_FB_PLI, 1, 96, 0, "SS", { -1 } },
	{ "aiortc_whip_h264", 4, 0, 101, 102, SDP_FB_NACK | SDP_FB_PLI, -1, -1, 0, "S", { -1 } },
	/* Firefox: VP8 120, H.264 42e01f mode 1 at 126, opus 109, fmtp before rtpmap */
	{ "firefox_whep_video_audio", 1, 0, 126, 127, FB3, -1, -1, 0, "SI", { -1, 109 } },
	{ "firefox_whep_video_audio", 2, 0, 120, 124, FB3, -1, -1, 0, "SI", { -1, 109 } },
	{ "firefox_whep_video_audio", 3, -1, -1, -1, 0, 1, 109, 0, "IS", { 120, -1 } },
	/* webrtcbin max-bundle: audio bundle-only (port 0); no generic nack */
	{ "gst_whep_video_audio", 1, 0, 102, -1, SDP_FB_PLI | SDP_FB_FIR, -1, -1, 0, "SI", { -1, 111 } },
	{ "gst_whep_video_audio", 3, -1, -1, -1, 0, 1, 111, 0, "IS", { 96, -1 } },
	{ "gst_whip_h264_opus", 4, 0, 102, -1, SDP_FB_PLI | SDP_FB_FIR, 1, 111, 0, "SS", { -1 } },
	/* webrtcbin without BUNDLE: one section served, the other rejected */
	{ "gst_whep_nobundle", 2, 0, 96, -1, SDP_FB_PLI | SDP_FB_FIR, -1, -1, -1, "SR", { -1 } },
	{ "gst_whep_nobundle", 3, -1, -1, -1, 0, 1, 111, -1, "RS", { -1 } },
	/* libdatachannel (OBS): audio first, ICE and DTLS at session level */
	{ "obs_whip_audio_video", 4, 1, 96, -1, SDP_FB_NACK | SDP_FB_PLI, 0, 111, 0, "SS", { -1 } },
};

static void fixtures(void)
{
	for (size_t e = 0; e < sizeof(EXPECT) / sizeof(EXPECT[0]); e++) {
		const struct expect *x = &EXPECT[e];
		struct sdp_want w = want_of(x->role);
		int rc = run_fixture(x->fixture, &w);

		if (rc < 0) {
			fprintf(stderr, "%s (%d): %s\n", x->fixture, x->role, err);
			CHECK(rc >= 0);
			continue;
		}
		CHECK_EQ(choice.video, x->video);
		CHECK_EQ(choice.audio, x->audio);
		CHECK_EQ(choice.tagged, x->tagged);
		CHECK_EQ(choice.n_media, strlen(x->modes));
		for (unsigned i = 0; i < choice.n_media; i++) {
			const struct sdp_choice_media *cm = &choice.media[i];
			char mode = x->modes[i];

			CHECK_EQ(cm->mode, mode == 'S' ? SDP_SERVE : mode == 'I' ? SDP_INACTIVE : SDP_REJECT);
			if (mode == 'I')
				CHECK_EQ(cm->pt, x->inactive_pt[i]);
		}
		if (x->video >= 0) {
			const struct sdp_choice_media *v = &choice.media[x->video];

			CHECK_EQ(v->pt, x->video_pt);
			CHECK_EQ(v->rtx_pt, x->video_rtx);
			CHECK_EQ(v->fb, x->video_fb);
		}
		if (x->audio >= 0) {
			CHECK_EQ(choice.media[x->audio].pt, x->audio_pt);
			CHECK_EQ(choice.media[x->audio].codec, SDP_CODEC_OPUS);
			CHECK_EQ(choice.media[x->audio].rtx_pt, -1);
		}
		CHECK(choice.remote_setup == SDP_SETUP_ACTPASS);
		check_answer(rc);
		if (check_case_failed)
			fprintf(stderr, "  in %s (want %d)\n", x->fixture, x->role);
	}
}

/* What the parser reports of real offers. */
static void fixture_details(void)
{
	size_t len;
	char *text;
	const struct sdp_media *v, *a;
	const struct sdp_pt *p;

	/* Chromium: 34 payload types, mDNS candidates, transport in each section */
	text = load("chromium_whep_video_audio", &len);
	CHECK_EQ(sdp_parse_offer(text, len, &offer, err, sizeof(err)), 0);
	free(text);
	v = &offer.media[0];
	a = &offer.media[1];
	CHECK_EQ(offer.n_media, 2);
	CHECK_EQ(offer.n_bundle, 2);
	CHECK_EQ(v->kind, SDP_KIND_VIDEO);
	CHECK_EQ(v->n_pt, 34);
	CHECK_EQ(v->dir, SDP_DIR_RECVONLY);
	CHECK(v->rtcp_mux && v->rtcp_rsize && v->dtls_srtp && v->rtp);
	CHECK_EQ(v->port, 9);
	CHECK_EQ(v->n_extmap, 11);
	CHECK(strcmp(v->extmap[8].uri, "urn:ietf:params:rtp-hdrext:sdes:mid") == 0);
	CHECK_EQ(v->extmap[8].id, 9);
	CHECK_EQ(v->n_cand, 2);
	CHECK(strstr(v->cand[0].addr, ".local") != NULL);
	CHECK_EQ(v->tr.setup, SDP_SETUP_ACTPASS);
	CHECK_EQ(v->tr.n_fp, 1);
	CHECK_EQ(v->tr.fp[0].hash, SDP_FP_SHA256);
	CHECK_EQ(strlen(v->tr.ufrag), 4);
	CHECK_EQ(strlen(v->tr.pwd), 24);
	CHECK(strcmp(v->tr.ufrag, a->tr.ufrag) == 0);
	p = &v->pt[0];
	CHECK(p->pt == 96 && p->codec == SDP_CODEC_VP8 && p->clock == 90000);
	CHECK_EQ(p->fb, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB | SDP_FB_TWCC);
	CHECK(v->pt[1].pt == 97 && v->pt[1].codec == SDP_CODEC_RTX && v->pt[1].apt == 96);
	for (unsigned i = 0; i < v->n_pt; i++) {
		p = &v->pt[i];
		if (p->pt == 108) {
			CHECK(p->codec == SDP_CODEC_H264 && p->plid == 0x42e01f && p->pmode == 1 && p->level_asym);
		} else if (p->pt == 41) {
			CHECK(p->codec == SDP_CODEC_H264 && p->plid == 0xf4001f);
		} else if (p->pt == 45) {
			CHECK_EQ(p->codec, SDP_CODEC_AV1);
		} else if (p->pt == 49) {
			CHECK_EQ(p->codec, SDP_CODEC_FLEXFEC);
		}
	}
	CHECK(a->pt[0].pt == 111 && a->pt[0].codec == SDP_CODEC_OPUS && a->pt[0].channels == 2 &&
	      a->pt[0].useinbandfec && a->pt[0].minptime == 10);
	CHECK(a->pt[3].pt == 0 && strcmp(a->pt[3].name, "PCMU") == 0);

	/* Chromium's camera: its SSRC and its RTX partner (FID) */
	text = load("chromium_whip_video_audio", &len);
	CHECK_EQ(sdp_parse_offer(text, len, &offer, err, sizeof(err)), 0);
	free(text);
	v = &offer.media[0];
	CHECK_EQ(v->n_ssrc, 2);
	CHECK_EQ(v->n_ssrc_group, 1);
	CHECK(strcmp(v->ssrc_group[0].semantics, "FID") == 0);
	CHECK(v->ssrc_group[0].ssrc[0] == 964600700u && v->ssrc_group[0].ssrc[1] == 707815632u);
	CHECK(strcmp(v->ssrc[0].cname, "kWBe91MvtEBPVArV") == 0);
	CHECK_EQ(sdp_choose(&offer, &(struct sdp_want){ .role = SDP_WHIP, .n_video = 1,
							 .video = { h264(0, -1) }, .n_audio = 1,
							 .audio = { codec(SDP_CODEC_OPUS) } },
			    &choice, err, sizeof(err)),
		 0);
	CHECK(choice.media[0].ssrc == 964600700u && choice.media[0].rtx_ssrc == 707815632u);
	CHECK(choice.media[1].ssrc == 2845120772u && choice.media[1].rtx_ssrc == 0);
	CHECK_EQ(choice.media[0].fb, 0); /* srtpgw supports none here */
	CHECK_EQ(choice.media[0].fb_offered, SDP_FB_NACK | SDP_FB_PLI | SDP_FB_FIR | SDP_FB_REMB | SDP_FB_TWCC);

	/* aiortc: different ICE credentials per section; the tagged one's count */
	text = load("aiortc_whep_video_audio", &len);
	CHECK_EQ(sdp_parse_offer(text, len, &offer, err, sizeof(err)), 0);
	free(text);
	CHECK(strcmp(offer.media[0].tr.ufrag, offer.media[1].tr.ufrag) != 0);
	CHECK_EQ(offer.media[0].n_cand, 2);
	CHECK(offer.media[0].end_of_candidates);
	CHECK_EQ(sdp_choose(&offer, &(struct sdp_want){ .role = SDP_WHEP, .n_audio = 1,
							 .audio = { codec(SDP_CODEC_OPUS) } },
			    &choice, err, sizeof(err)),
		 0);
	CHECK_EQ(choice.tagged, 0); /* video: first in the group, kept inactive */
	CHECK(strcmp(choice.remote_ufrag, offer.media[0].tr.ufrag) == 0);
	CHECK_MEM(choice.remote_fp, offer.media[0].tr.fp[0].fp, 32);

	/* webrtcbin: ice-chars + and /, OPUS/48000 without channels, bundle-only */
	text = load("gst_whip_h264_opus", &len);
	CHECK_EQ(sdp_parse_offer(text, len, &offer, err, sizeof(err)), 0);
	free(text);
	CHECK(strchr(offer.media[0].tr.ufrag, '+') != NULL);
	a = &offer.media[1];
	CHECK(a->port == 0 && a->bundle_only && a->rtcp_mux_only);
	CHECK(a->pt[0].codec == SDP_CODEC_OPUS && a->pt[0].channels == 0 && strcmp(a->pt[0].name, "OPUS") == 0);
	CHECK_EQ(offer.media[0].n_cand, 0);

	/* libdatachannel: session-level ICE and DTLS reach every section */
	text = load("obs_whip_audio_video", &len);
	CHECK_EQ(sdp_parse_offer(text, len, &offer, err, sizeof(err)), 0);
	free(text);
	CHECK(strcmp(offer.tr.ufrag, "Qx7p") == 0);
	for (unsigned i = 0; i < 2; i++) {
		CHECK(strcmp(offer.media[i].tr.ufrag, "Qx7p") == 0);
		CHECK(strcmp(offer.media[i].tr.pwd, "V2bW9rK4mT8yZ1cN6hJ3dF5s") == 0);
		CHECK_EQ(offer.media[i].tr.n_fp, 1);
		CHECK_EQ(offer.media[i].tr.setup, SDP_SETUP_ACTPASS);
	}
	CHECK_EQ(offer.n_bundle_groups, 1); /* a=group:LS is not BUNDLE */
	sdp_offer_clear(&offer);
	CHECK_EQ(offer.n_media, 0);
	CHECK_EQ(offer.media[0].tr.pwd[0], 0);
}

/* Two answers byte for byte: the hand-written fixtures do not change. */
static void golden_answers(void)
{
	struct sdp_want w = whep_video(h264(0x42e01f, 1));
	int rc;

	rc = run_fixture("firefox_whep_video_audio", &w);
	CHECK(rc > 0);
	CHECK(strcmp(answer,
		     "v=0\r\n"
		     "o=- 4242 2 IN IP4 192.0.2.1\r\n"
		     "s=-\r\n"
		     "t=0 0\r\n"
		     "a=ice-lite\r\n"
		     "a=group:BUNDLE 0 1\r\n"
		     "a=ice-ufrag:sgwU\r\n"
		     "a=ice-pwd:sgwPasswordOf22chars+/\r\n"
		     "a=fingerprint:sha-256 DE:AD:BE:EF:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:"
		     "11:12:13:14:15:16:17:18:19:1A:1B:1C\r\n"
		     "a=setup:passive\r\n"
		     "m=video 20002 UDP/TLS/RTP/SAVPF 126\r\n"
		     "c=IN IP4 192.0.2.1\r\n"
		     "a=mid:0\r\n"
		     "a=sendonly\r\n"
		     "a=rtcp-mux\r\n"
		     "a=rtpmap:126 H264/90000\r\n"
		     "a=rtcp-fb:126 nack\r\n"
		     "a=rtcp-fb:126 nack pli\r\n"
		     "a=rtcp-fb:126 ccm fir\r\n"
		     "a=fmtp:126 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
		     "a=msid:cam1 cam1-video\r\n"
		     "a=ssrc:1592590337 cname:srtpgw-cam1\r\n"
		     "a=candidate:1 1 udp 2130706431 192.0.2.1 20002 typ host\r\n"
		     "a=end-of-candidates\r\n"
		     "m=audio 20002 UDP/TLS/RTP/SAVPF 109\r\n"
		     "c=IN IP4 192.0.2.1\r\n"
		     "a=mid:1\r\n"
		     "a=inactive\r\n"
		     "a=rtcp-mux\r\n"
		     "a=rtpmap:109 opus/48000/2\r\n") == 0);
	if (check_case_failed)
		fprintf(stderr, "%s", answer);

	/* a camera over IPv6, audio first; opus's parameters as offered */
	{
		size_t len;
		char *text = load("obs_whip_audio_video", &len);
		struct sdp_local l = local();
		struct sdp_want ww = whip();

		sgw_endpoint_parse("[2001:db8::1]:30000", &l.addr, false);
		CHECK_EQ(sdp_parse_offer(text, len, &offer, err, sizeof(err)), 0);
		CHECK_EQ(sdp_choose(&offer, &ww, &choice, err, sizeof(err)), 0);
		rc = sdp_answer(&offer, &choice, &l, answer, sizeof(answer), err, sizeof(err));
		free(text);
	}
	CHECK(strcmp(answer,
		     "v=0\r\n"
		     "o=- 4242 2 IN IP6 2001:db8::1\r\n"
		     "s=-\r\n"
		     "t=0 0\r\n"
		     "a=ice-lite\r\n"
		     "a=group:BUNDLE 0 1\r\n"
		     "a=ice-ufrag:sgwU\r\n"
		     "a=ice-pwd:sgwPasswordOf22chars+/\r\n"
		     "a=fingerprint:sha-256 DE:AD:BE:EF:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:"
		     "11:12:13:14:15:16:17:18:19:1A:1B:1C\r\n"
		     "a=setup:passive\r\n"
		     "m=audio 30000 UDP/TLS/RTP/SAVPF 111\r\n"
		     "c=IN IP6 2001:db8::1\r\n"
		     "a=mid:0\r\n"
		     "a=recvonly\r\n"
		     "a=rtcp-mux\r\n"
		     "a=rtpmap:111 opus/48000/2\r\n"
		     "a=fmtp:111 minptime=10;useinbandfec=1;stereo=1\r\n"
		     "a=candidate:1 1 udp 2130706431 2001:db8::1 30000 typ host\r\n"
		     "a=end-of-candidates\r\n"
		     "m=video 30000 UDP/TLS/RTP/SAVPF 96\r\n"
		     "c=IN IP6 2001:db8::1\r\n"
		     "a=mid:1\r\n"
		     "a=recvonly\r\n"
		     "a=rtcp-mux\r\n"
		     "a=rtpmap:96 H264/90000\r\n"
		     "a=rtcp-fb:96 nack\r\n"
		     "a=rtcp-fb:96 nack pli\r\n"
		     "a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n") == 0);
	CHECK_EQ(rc, (int)strlen(answer));
	if (check_case_failed)
		fprintf(stderr, "%s", answer);
}

/* A small valid offer, LF line breaks; the tests below change it. */
static const char BASE[] =
	"v=0\n"
	"o=- 1 1 IN IP4 0.0.0.0\n"
	"s=-\n"
	"t=0 0\n"
	"a=group:BUNDLE 0\n"
	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n"
	"a=ice-ufrag:abcd\n"
	"a=ice-pwd:SECRETpwdSECRETpwd0123\n"
	"a=setup:actpass\n"
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\n"
	"c=IN IP4 0.0.0.0\n"
	"a=mid:0\n"
	"a=recvonly\n"
	"a=rtcp-mux\n"
	"a=rtpmap:96 VP8/90000\n"
	"a=rtcp-fb:96 nack pli\n"
	"a=rtpmap:97 rtx/90000\n"
	"a=fmtp:97 apt=96\n";

static char edited[SDP_MAX_TEXT * 2];

/* src with its first `from` replaced by `to` (from "": to appended), into
 * dst. */
static const char *edit_in(const char *src, const char *from, const char *to, char *dst, size_t cap)
{
	const char *at = from[0] != '\0' ? strstr(src, from) : src + strlen(src);
	char tmp[SDP_MAX_TEXT];

	if (at == NULL) {
		fprintf(stderr, "edit: \"%s\" not in the text\n", from);
		exit(1);
	}
	snprintf(tmp, sizeof(tmp), "%.*s%s%s", (int)(at - src), src, to, at + strlen(from));
	snprintf(dst, cap, "%s", tmp);
	return dst;
}

/* BASE, edited (into a buffer the next edit() reuses). */
static const char *edit(const char *from, const char *to)
{
	return edit_in(BASE, from, to, edited, sizeof(edited));
}

static void base_offer(void)
{
	struct sdp_want w = whep_video(codec(SDP_CODEC_VP8));
	int rc = run(BASE, &w);

	CHECK(rc > 0);
	/* session-level ICE and DTLS reach the section */
	CHECK(strcmp(offer.media[0].tr.ufrag, "abcd") == 0);
	CHECK_EQ(offer.media[0].tr.setup, SDP_SETUP_ACTPASS);
	CHECK_EQ(choice.media[0].pt, 96);
	CHECK_EQ(choice.media[0].rtx_pt, 97);
	CHECK_EQ(choice.media[0].fb, SDP_FB_PLI);
	check_answer(rc);
	/* a section's own attributes win over the session's */
	CHECK(run(edit("a=mid:0\n", "a=mid:0\na=ice-ufrag:wxyz\na=setup:active\n"), &w) > 0);
	CHECK(strcmp(choice.remote_ufrag, "wxyz") == 0);
	CHECK_EQ(choice.remote_setup, SDP_SETUP_ACTIVE);
	/* no a=setup: RFC 4145's default, active */
	CHECK(run(edit("a=setup:actpass\n", ""), &w) > 0);
	CHECK_EQ(choice.remote_setup, SDP_SETUP_NONE);
	/* a=rtcp-fb:* applies to every payload type */
	CHECK(run(edit("a=rtcp-mux\n", "a=rtcp-mux\na=rtcp-fb:* ccm fir\n"), &w) > 0);
	CHECK_EQ(choice.media[0].fb, SDP_FB_PLI | SDP_FB_FIR);
	/* sendrecv is served, answered sendonly (WHEP) */
	CHECK(run(edit("a=recvonly\n", "a=sendrecv\n"), &w) > 0);
	CHECK(strstr(answer, "a=sendonly\r\n") != NULL);
	/* no direction in the section: the session's (default sendrecv) */
	CHECK(run(edit("a=recvonly\n", ""), &w) > 0);
	/* msid is optional */
	{
		struct sdp_local l = local();

		l.msid = NULL;
		CHECK(sdp_answer(&offer, &choice, &l, answer, sizeof(answer), err, sizeof(err)) > 0);
		CHECK(strstr(answer, "a=msid") == NULL);
	}
}

static void line_breaks(void)
{
	struct sdp_want w = whep_video(codec(SDP_CODEC_VP8));
	char crlf[4096], *q = crlf;
	size_t n = strlen(BASE);

	for (const char *p = BASE; *p; p++) {
		if (*p == '\n')
			*q++ = '\r';
		*q++ = *p;
	}
	*q = '\0';
	CHECK(run(crlf, &w) > 0);
	CHECK(run_text(BASE, n - 1, &w) > 0); /* no last line break */
	CHECK(run(edit("", "\r\n\n\r\n"), &w) > 0); /* empty lines at the end */
	CHECK_EQ(run(edit("s=-\n", "s=-\n\n"), &w), -SDP_E_SYNTAX);
	CHECK(strcmp(err, "line 4: an empty line") == 0);
	CHECK_EQ(run(edit("a=mid:0\n", "a=mid:0\rx\n"), &w), -SDP_E_SYNTAX);
	CHECK(strcmp(err, "line 12: a control character (0x0d) at column 8") == 0);
	CHECK_EQ(run(edit("s=-\n", "s=-\r\r\n"), &w), -SDP_E_SYNTAX);
	/* a NUL inside: the length is what counts, not the NUL */
	memcpy(edited, BASE, n);
	edited[30] = '\0';
	CHECK_EQ(run_text(edited, n, &w), -SDP_E_SYNTAX);
	CHECK(strstr(err, "a control character (0x00)") != NULL);
	/* tabs and UTF-8 in a session name are fine */
	CHECK(run(edit("s=-\n", "s=\tcam\xc3\xa9ra\n"), &w) > 0);
}

/* Each refusal: the code, the status and the message, exactly. */
struct refusal {
	const char *from, *to;
	int want; /* 0 WHEP VP8, 1 WHEP opus, 2 WHIP, 3 WHEP H264 CB mode 1, 4 WHEP VP8 + opus */
	int code;
	const char *msg;
};

static const struct refusal REFUSALS[] = {
	{ "v=0\n", "v=1\n", 0, SDP_E_SYNTAX, "line 1: an SDP offer starts with v=0" },
	{ "v=0\n", "o=x\n", 0, SDP_E_SYNTAX, "line 1: an SDP offer starts with v=0" },
	{ "s=-\n", "s=-\nv=0\n", 0, SDP_E_SYNTAX, "line 4: a second v= line" },
	{ "o=- 1 1 IN IP4 0.0.0.0\n", "", 0, SDP_E_SYNTAX, "the session has no o= line" },
	{ "s=-\n", "", 0, SDP_E_SYNTAX, "the session has no s= line" },
	{ "t=0 0\n", "", 0, SDP_E_SYNTAX, "the session has no t= line" },
	{ "s=-\n", "s=-\no=- 1 1 IN IP4 0.0.0.0\n", 0, SDP_E_SYNTAX, "line 4: a second o= line" },
	{ "s=-\n", "s=-\ns=x\n", 0, SDP_E_SYNTAX, "line 4: a second s= line" },
	{ "o=- 1 1 IN IP4 0.0.0.0\n", "o=- 1 1 IN IP4\n", 0, SDP_E_SYNTAX, "line 2: o= needs 6 fields" },
	{ "o=- 1 1 IN IP4 0.0.0.0\n", "o=- 1x 1 IN IP4 0.0.0.0\n", 0, SDP_E_SYNTAX,
	  "line 2: o=: session id and version must be numbers" },
	{ "t=0 0\n", "t=0\n", 0, SDP_E_SYNTAX, "line 4: t= needs start and stop times" },
	{ "t=0 0\n", "t=0 x\n", 0, SDP_E_SYNTAX, "line 4: t=: the stop time is not a number" },
	{ "s=-\n", "s=-\ny=1\n", 0, SDP_E_SYNTAX, "line 4: unknown line type y=" },
	{ "s=-\n", "s=-\nhello\n", 0, SDP_E_SYNTAX, "line 4: not a <type>=<value> line" },
	{ "s=-\n", "s=-\nA=1\n", 0, SDP_E_SYNTAX, "line 4: not a <type>=<value> line" },
	{ "a=mid:0\n", "a=mid:0\nt=0 0\n", 0, SDP_E_SYNTAX, "line 13: t= is not allowed in a media section" },
	{ "c=IN IP4 0.0.0.0\n", "c=IN IP4\n", 0, SDP_E_SYNTAX,
	  "line 11: c= needs network type, address type and address" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=video 9\n", 0, SDP_E_SYNTAX,
	  "line 10: m= needs media, port, proto and formats" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=video 9 UDP/TLS/RTP/SAVPF \n", 0, SDP_E_SYNTAX,
	  "line 10: m=: no format" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=video 70000 UDP/TLS/RTP/SAVPF 96 97\n", 0,
	  SDP_E_SYNTAX, "line 10: m=: the port is not a number of 0..65535" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=video 9/x UDP/TLS/RTP/SAVPF 96 97\n", 0,
	  SDP_E_SYNTAX, "line 10: m=: the number of ports is not a number" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=video 9 UDP/TLS/RTP/SAVPF 96 128\n", 0,
	  SDP_E_SYNTAX, "line 10: m=: a payload type is not a number of 0..127" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=video 9 UDP/TLS/RTP/SAVPF 96 97 96\n", 0,
	  SDP_E_SYNTAX, "line 10: m=: payload type 96 listed twice" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=vid\"eo 9 UDP/TLS/RTP/SAVPF 96 97\n", 0,
	  SDP_E_SYNTAX, "line 10: m=: the media is not a token" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=video 9 UDP/TLS/RTP/SAV\"PF 96 97\n", 0,
	  SDP_E_SYNTAX, "line 10: m=: the proto is not tokens and /" },
	{ "a=mid:0\n", "a=mi\"d:0\n", 0, SDP_E_SYNTAX, "line 12: the attribute name is not a token" },
	{ "a=mid:0\n", "a=mid:0\na=mid:1\n", 0, SDP_E_SYNTAX, "line 13: a second a=mid in media section 1" },
	{ "a=mid:0\n", "a=mid:\n", 0, SDP_E_SYNTAX, "line 12: a=mid is not a token" },
	{ "a=recvonly\n", "a=recvonly\na=sendonly\n", 0, SDP_E_SYNTAX,
	  "line 14: a second direction attribute here" },
	{ "a=ice-ufrag:abcd\n", "a=ice-ufrag:abc\n", 0, SDP_E_SYNTAX,
	  "line 7: a=ice-ufrag must be 4..256 of A-Z a-z 0-9 + /" },
	{ "a=ice-pwd:SECRETpwdSECRETpwd0123\n", "a=ice-pwd:SECRETpwdSECRETpwd012!\n", 0, SDP_E_SYNTAX,
	  "line 8: a=ice-pwd must be 22..256 of A-Z a-z 0-9 + /" },
	{ "a=ice-pwd:SECRETpwdSECRETpwd0123\n", "a=ice-pwd:SECRETpwdSECRETpwd0123\na=ice-pwd:x\n", 0,
	  SDP_E_SYNTAX, "line 9: a second a=ice-pwd here" },
	{ ":EE:FF\na=ice-ufrag", ":EE\na=ice-ufrag", 0, SDP_E_SYNTAX,
	  "line 6: a=fingerprint: 31 bytes, the hash function has 32" },
	{ "AA:BB:CC:DD:EE:FF\na=ice-ufrag", "AA:BB:CC:DD:EE:FG\na=ice-ufrag", 0, SDP_E_SYNTAX,
	  "line 6: a=fingerprint: the value is not hex bytes joined by :" },
	{ "a=fingerprint:sha-256 00:", "a=fingerprint:sha-256  00-", 0, SDP_E_SYNTAX,
	  "line 6: a=fingerprint: the value is not hex bytes joined by :" },
	{ "a=fingerprint:sha-256 ", "a=fingerprint:sha-256\n", 0, SDP_E_SYNTAX,
	  "line 6: a=fingerprint needs a hash function and a value" },
	{ "a=setup:actpass\n", "a=setup:server\n", 0, SDP_E_SYNTAX,
	  "line 9: a=setup is not actpass, active, passive or holdconn" },
	{ "a=setup:actpass\n", "a=setup:actpass\na=setup:active\n", 0, SDP_E_SYNTAX,
	  "line 10: a second a=setup here" },
	{ "a=group:BUNDLE 0\n", "a=group:BUNDLE 0 1\n", 0, SDP_E_SYNTAX,
	  "line 5: a=group:BUNDLE names a mid no media section has" },
	{ "a=group:BUNDLE 0\n", "a=group:BUNDLE 0 0\n", 0, SDP_E_SYNTAX, "line 5: a=group:BUNDLE names a mid twice" },
	{ "a=group:BUNDLE 0\n", "a=group:\n", 0, SDP_E_SYNTAX, "line 5: a=group needs a semantics token" },
	{ "a=rtpmap:97 rtx/90000\n", "a=rtpmap:97 rtx/90000\na=rtpmap:96 VP8/90000\n", 0, SDP_E_SYNTAX,
	  "line 18: a second a=rtpmap for payload type 96" },
	{ "a=rtpmap:96 VP8/90000\n", "a=rtpmap:96 VP8/0\n", 0, SDP_E_SYNTAX,
	  "line 15: a=rtpmap: the clock rate is not a positive number" },
	{ "a=rtpmap:96 VP8/90000\n", "a=rtpmap:96 VP8\n", 0, SDP_E_SYNTAX, "line 15: a=rtpmap needs <name>/<clock>" },
	{ "a=rtpmap:96 VP8/90000\n", "a=rtpmap:196 VP8/90000\n", 0, SDP_E_SYNTAX,
	  "line 15: a=rtpmap: the payload type is not a number of 0..127" },
	{ "a=rtpmap:96 VP8/90000\n", "a=rtpmap:96 VP8/90000/0\n", 0, SDP_E_SYNTAX,
	  "line 15: a=rtpmap: the channels are not a number of 1..255" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:97 apt=300\n", 0, SDP_E_SYNTAX,
	  "line 18: a=fmtp: apt is not a payload type of 0..127" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:97 apt=96\na=fmtp:97 apt=96\n", 0, SDP_E_SYNTAX,
	  "line 19: a second a=fmtp for payload type 97" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:97\n", 0, SDP_E_SYNTAX, "line 18: a=fmtp needs <pt> <parameters>" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:96 profile-level-id=42e01\n", 0, SDP_E_SYNTAX,
	  "line 18: a=fmtp: profile-level-id is not 6 hex digits" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:96 packetization-mode=3\n", 0, SDP_E_SYNTAX,
	  "line 18: a=fmtp: packetization-mode is not 0, 1 or 2" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:96 level-asymmetry-allowed=yes\n", 0, SDP_E_SYNTAX,
	  "line 18: a=fmtp: level-asymmetry-allowed is not 0 or 1" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:96 useinbandfec=2\n", 0, SDP_E_SYNTAX,
	  "line 18: a=fmtp: useinbandfec is not 0 or 1" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:96 minptime=500\n", 0, SDP_E_SYNTAX,
	  "line 18: a=fmtp: minptime is not a number of 0..120" },
	{ "a=rtcp-fb:96 nack pli\n", "a=rtcp-fb:96\n", 0, SDP_E_SYNTAX, "line 16: a=rtcp-fb needs <pt> <type>" },
	{ "a=rtcp-fb:96 nack pli\n", "a=rtcp-fb:x nack\n", 0, SDP_E_SYNTAX,
	  "line 16: a=rtcp-fb: the payload type is not * or 0..127" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=extmap:15 urn:x\n", 0, SDP_E_SYNTAX,
	  "line 15: a=extmap: the id is not 1..14 or 16..255" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=extmap:1 urn:x\na=extmap:1 urn:y\n", 0, SDP_E_SYNTAX,
	  "line 16: a=extmap: id 1 mapped twice" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=extmap:1/sideways urn:x\n", 0, SDP_E_SYNTAX,
	  "line 15: a=extmap: the direction is not a direction" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=extmap:1\n", 0, SDP_E_SYNTAX, "line 15: a=extmap needs <id> <URI>" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=ssrc:x cname:y\n", 0, SDP_E_SYNTAX,
	  "line 15: a=ssrc: the SSRC is not a number of 0..2^32-1" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=ssrc:4294967296 cname:y\n", 0, SDP_E_SYNTAX,
	  "line 15: a=ssrc: the SSRC is not a number of 0..2^32-1" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=ssrc:1\n", 0, SDP_E_SYNTAX, "line 15: a=ssrc needs <ssrc> <attribute>" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=ssrc-group:FID\n", 0, SDP_E_SYNTAX, "line 15: a=ssrc-group without SSRCs" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=ssrc-group:FID 1 x\n", 0, SDP_E_SYNTAX,
	  "line 15: a=ssrc-group: an SSRC is not a number of 0..2^32-1" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=candidate:1 1 udp 1 10.0.0.1 5000 typ\n", 0, SDP_E_SYNTAX,
	  "line 15: a=candidate needs 8 fields" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=candidate:1 1 udp 1 10.0.0.1 5000 type host\n", 0, SDP_E_SYNTAX,
	  "line 15: a=candidate: no typ" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=candidate:1 0 udp 1 10.0.0.1 5000 typ host\n", 0, SDP_E_SYNTAX,
	  "line 15: a=candidate: the component is not 1..256" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=candidate:1 1 udp 1 10.0.0.1/8 5000 typ host\n", 0, SDP_E_SYNTAX,
	  "line 15: a=candidate: the address is not an address or a name" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=candidate:1 1 udp 1 10.0.0.1 65536 typ host\n", 0, SDP_E_SYNTAX,
	  "line 15: a=candidate: the port is not 0..65535" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=candidate:1 1 udp 4294967296 10.0.0.1 1 typ host\n", 0,
	  SDP_E_SYNTAX, "line 15: a=candidate: the priority is not a number" },
	{ "a=rtcp-mux\n", "a=rtcp-mux\na=candidate:f! 1 udp 1 10.0.0.1 1 typ host\n", 0, SDP_E_SYNTAX,
	  "line 15: a=candidate: the foundation is not 1..32 ice-chars" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:97 apt=96\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:0\n", 0,
	  SDP_E_SYNTAX, "media sections 1 and 2 have the same mid" },
	/* bounds (limits at their edge pass: tests bounds()) */
	{ "a=mid:0\n", "a=mid:0123456789012345678901234567890123\na=x\n", 0, SDP_E_LIMIT,
	  "line 12: a=mid longer than 32 characters" },
	{ "a=rtpmap:96 VP8/90000\n", "a=rtpmap:96 VP8VP8VP8VP8VP8VP8VP8VP8VP8VP8VP8/90000\n", 0, SDP_E_LIMIT,
	  "line 15: a=rtpmap: encoding name longer than 31 characters" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=videovideovideovideo 9 UDP/TLS/RTP/SAVPF 96 97\n", 0,
	  SDP_E_LIMIT, "line 10: m=: media longer than 15 characters" },
	/* what srtpgw cannot serve */
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=video 9 RTP/AVP 96 97\n", 0, SDP_E_PROTO,
	  "media section 1 (video) is RTP/AVP: srtpgw speaks DTLS-SRTP only (UDP/TLS/RTP/SAVPF)" },
	{ "m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", "m=video 9 TCP/DTLS/RTP/SAVPF 96 97\n", 0, SDP_E_PROTO,
	  "media section 1 (video) is TCP/DTLS/RTP/SAVPF: srtpgw speaks DTLS-SRTP only (UDP/TLS/RTP/SAVPF)" },
	{ "a=ice-ufrag:abcd\n", "", 0, SDP_E_ICE, "media section 1 has no a=ice-ufrag (nor the session)" },
	{ "a=ice-pwd:SECRETpwdSECRETpwd0123\n", "", 0, SDP_E_ICE, "media section 1 has no a=ice-pwd (nor the session)" },
	{ "t=0 0\n", "t=0 0\na=ice-lite\n", 0, SDP_E_ICE,
	  "the offer is ICE-lite: srtpgw is ICE-lite too and needs a full ICE agent" },
	{ "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	  "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n",
	  "", 0, SDP_E_FINGERPRINT, "no a=fingerprint:sha-256 for media section 1 (none offered)" },
	{ "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	  "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n",
	  "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\n"
	  "a=fingerprint:md5 00:11\n",
	  0, SDP_E_FINGERPRINT, "no a=fingerprint:sha-256 for media section 1 (offered: sha-1, other)" },
	{ "a=setup:actpass\n", "a=setup:passive\n", 0, SDP_E_SETUP,
	  "a=setup:passive: srtpgw is the DTLS server (setup:passive), so the offer must be actpass or active" },
	{ "a=setup:actpass\n", "a=setup:holdconn\n", 0, SDP_E_SETUP,
	  "a=setup:holdconn: srtpgw is the DTLS server (setup:passive), so the offer must be actpass or active" },
	{ "a=rtcp-mux\n", "", 0, SDP_E_RTCP_MUX,
	  "media section 1 (video) has no a=rtcp-mux: srtpgw takes RTP and RTCP on one port" },
	{ "a=fmtp:97 apt=96\n", "a=fmtp:97 apt=96\nm=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:1\na=rtcp-mux\n"
	  "a=rtpmap:111 opus/48000/2\n", 4, SDP_E_BUNDLE,
	  "media sections 1 and 2 are not in one a=group:BUNDLE: srtpgw takes all media of a session on one port" },
	{ "m=video 9 ", "m=video 0 ", 0, SDP_E_NO_MEDIA, "media section 1 (video) is disabled (port 0)" },
	{ "m=video 9 ", "m=video 0 ", 4, SDP_E_NO_MEDIA, "media section 1 (video) is disabled (port 0)" },
	{ "a=mid:0\n", "a=mid:0\na=bundle-only\n", 0, SDP_E_BUNDLE, "" /* port 9: fine; see below */ },
	{ "a=recvonly\n", "a=sendonly\n", 0, SDP_E_NO_MEDIA,
	  "media section 1 (video) is sendonly: a WHEP viewer must receive (recvonly or sendrecv)" },
	{ "a=recvonly\n", "a=inactive\n", 0, SDP_E_NO_MEDIA,
	  "media section 1 (video) is inactive: a WHEP viewer must receive (recvonly or sendrecv)" },
	{ "a=recvonly\n", "a=recvonly\n", 2, SDP_E_NO_MEDIA,
	  "media section 1 (video) is recvonly: a WHIP camera must send (sendonly or sendrecv)" },
	{ "a=recvonly\n", "a=recvonly\n", 1, SDP_E_NO_MEDIA, "the offer has no audio media section (the stream is opus)" },
	{ "a=recvonly\n", "a=recvonly\n", 3, SDP_E_NO_CODEC,
	  "no common codec: media section 1 (video) offers VP8; the stream is H264 constrained baseline "
	  "packetization-mode=1" },
	{ "a=recvonly\n", "a=sendonly\n", 1, SDP_E_NO_MEDIA, "the offer has no audio media section (the stream is opus)" },
};

static void refusals(void)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(REFUSALS) / sizeof(REFUSALS[0]); i++) {
		const struct refusal *r = &REFUSALS[i];
		struct sdp_want w;
		int rc;

		switch (r->want) {
		case 1:
			w = whep_audio();
			break;
		case 2:
			w = whip();
			break;
		case 3:
			w = whep_video(h264(0x42e01f, 1));
			break;
		case 4:
			w = whep_video(codec(SDP_CODEC_VP8));
			w.n_audio = 1;
			w.audio[0] = codec(SDP_CODEC_OPUS);
			break;
		default:
			w = whep_video(codec(SDP_CODEC_VP8));
			break;
		}
		rc = run(edit(r->from, r->to), &w);
		if (r->msg[0] == '\0') {
			/* bundle-only with a port: served as any other section */
			CHECK(rc > 0);
			continue;
		}
		CHECK_EQ(rc, -r->code);
		CHECK(strcmp(err, r->msg) == 0);
		CHECK_EQ(sdp_status(rc), r->code == SDP_E_SYNTAX ? 400 : 422);
		/* one short line that never repeats the offer's ice-pwd */
		CHECK(strlen(err) < 160 && strchr(err, '\n') == NULL);
		CHECK(strstr(err, "SECRET") == NULL);
		if (check_case_failed) {
			fprintf(stderr, "  refusal %zu: got %d \"%s\"\n", i, rc, err);
			check_case_failed = 0;
			failed = 1;
		}
	}
	check_case_failed |= failed;
	CHECK_EQ(run_text(BASE, 0, &(struct sdp_want){ 0 }), -SDP_E_SYNTAX);
	CHECK(strcmp(err, "the offer is empty") == 0);
}

/* Every bound: at its limit accepted, past it refused. */
static void bounds(void)
{
	struct sdp_want w = whep_video(codec(SDP_CODEC_VP8));
	static char big[SDP_MAX_TEXT + 2];
	char line[SDP_MAX_LINE + 8], pts[600], mid[64];
	size_t n;

	/* the text: exactly SDP_MAX_TEXT bytes of a valid offer, then one more */
	n = (size_t)snprintf(big, sizeof(big), "%s", BASE);
	while (SDP_MAX_TEXT - n >= 200)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "a=x-pad:%091d\n", 0);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "a=x-pad:%0*d", (int)(SDP_MAX_TEXT - n - 8), 0);
	CHECK_EQ(n, SDP_MAX_TEXT);
	CHECK(run_text(big, SDP_MAX_TEXT, &w) > 0);
	big[n++] = '0';
	CHECK_EQ(run_text(big, n, &w), -SDP_E_TOO_LARGE);
	CHECK(strcmp(err, "the offer is longer than 65536 bytes") == 0);
	CHECK_EQ(sdp_status(-SDP_E_TOO_LARGE), 413);

	/* a line */
	snprintf(line, sizeof(line), "a=x-long:%0*d\n", SDP_MAX_LINE - 9, 0);
	CHECK(run(edit("", line), &w) > 0);
	snprintf(line, sizeof(line), "a=x-long:%0*d\n", SDP_MAX_LINE - 8, 0);
	CHECK_EQ(run(edit("", line), &w), -SDP_E_LIMIT);
	CHECK(strcmp(err, "line 19: longer than 2048 bytes") == 0);

	/* lines: BASE has 18 */
	n = (size_t)snprintf(big, sizeof(big), "%s", BASE);
	for (int i = 18; i < SDP_MAX_LINES; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "a=x\n");
	CHECK(run_text(big, n, &w) > 0);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "a=x\n");
	CHECK_EQ(run_text(big, n, &w), -SDP_E_LIMIT);
	CHECK(strcmp(err, "line 4097: more than 4096 lines") == 0);

	/* media sections */
	n = (size_t)snprintf(big, sizeof(big), "%s", BASE);
	for (int i = 1; i < SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "m=audio 9 UDP/TLS/RTP/SAVPF 0\na=mid:m%d\n", i);
	CHECK(run_text(big, n, &w) > 0);
	CHECK_EQ(offer.n_media, SDP_MAX_MEDIA);
	CHECK_EQ(choice.media[SDP_MAX_MEDIA - 1].mode, SDP_REJECT); /* not in the bundle */
	check_answer((int)strlen(answer));
	n += (size_t)snprintf(big + n, sizeof(big) - n, "m=audio 9 UDP/TLS/RTP/SAVPF 0\n");
	CHECK_EQ(run_text(big, n, &w), -SDP_E_LIMIT);
	CHECK(strstr(err, "more than 16 media sections") != NULL);

	/* every payload type there is, the answer still one codec */
	n = 0;
	for (int pt = 0; pt < 128; pt++)
		n += (size_t)snprintf(pts + n, sizeof(pts) - n, " %d", (pt + 96) % 128);
	snprintf(line, sizeof(line), "m=video 9 UDP/TLS/RTP/SAVPF%s\n", pts);
	CHECK(run(edit("m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", line), &w) > 0);
	CHECK_EQ(offer.media[0].n_pt, 128);
	CHECK_EQ(choice.media[0].pt, 96);
	check_answer((int)strlen(answer));

	/* a mid of 32 characters; BUNDLE groups of 16 and 17 mids */
	snprintf(mid, sizeof(mid), "%032d", 7);
	snprintf(line, sizeof(line), "a=mid:%s\n", mid);
	edit_in(edit("a=mid:0\n", line), "", "", big, sizeof(big));
	snprintf(line, sizeof(line), "a=group:BUNDLE %s\n", mid);
	CHECK(run(edit_in(big, "a=group:BUNDLE 0\n", line, big, sizeof(big)), &w) > 0);
	snprintf(line, sizeof(line), "a=group:BUNDLE %s\r\n", mid);
	CHECK(strstr(answer, line) != NULL);
	n = (size_t)snprintf(big, sizeof(big), "%s", edit("a=group:BUNDLE 0\n",
		"a=group:BUNDLE 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"));
	for (int i = 1; i < 16; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "m=audio 9 UDP/TLS/RTP/SAVPF 0\na=mid:%d\n", i);
	CHECK(run_text(big, n, &w) > 0);
	CHECK_EQ(offer.n_bundle, 16);
	CHECK_EQ(choice.media[15].mode, SDP_INACTIVE); /* PCMU: bundled, inactive */
	check_answer((int)strlen(answer));
	CHECK_EQ(run(edit("a=group:BUNDLE 0\n", "a=group:BUNDLE 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"), &w),
		 -SDP_E_LIMIT);
	CHECK(strcmp(err, "line 5: a=group:BUNDLE with more than 16 mids") == 0);
}

/* What is only reported is kept up to its bound, the rest counted. */
static void kept_and_counted(void)
{
	struct sdp_want w = whep_video(codec(SDP_CODEC_VP8));
	char extra[8192];
	size_t n = 0;

	for (int i = 0; i < 10; i++)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      "a=candidate:%d 1 udp %d 10.0.0.%d 5000 typ host generation 0\n", i, 100 - i, i);
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n, "a=ssrc:%d cname:c%d\na=ssrc:%d msid:x y\n",
				      1000 + i, i, 1000 + i);
	for (int i = 1; i <= 20; i++)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n, "a=extmap:%d urn:x:%d\n", i < 15 ? i : i + 1, i);
	for (int i = 0; i < 6; i++)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n, "a=ssrc-group:FID %d %d\n", 1000 + i, 1010 + i);
	n += (size_t)snprintf(extra + n, sizeof(extra) - n,
			      "a=candidate:x 1 tcp 5 host-name.local 9 typ srflx raddr 0.0.0.0 rport 0\n");
	CHECK(run(edit("", extra), &w) > 0);
	CHECK_EQ(offer.media[0].n_cand, SDP_MAX_CAND);
	CHECK_EQ(offer.media[0].n_cand_seen, 11);
	CHECK_EQ(offer.media[0].cand[7].priority, 93);
	CHECK(strcmp(offer.media[0].cand[7].addr, "10.0.0.7") == 0);
	CHECK_EQ(offer.media[0].n_ssrc, SDP_MAX_SSRC);
	CHECK(offer.media[0].ssrc_more);
	CHECK(strcmp(offer.media[0].ssrc[15].cname, "c15") == 0);
	CHECK_EQ(offer.media[0].n_extmap, SDP_MAX_EXTMAP);
	CHECK_EQ(offer.media[0].n_extmap_seen, 20);
	CHECK_EQ(offer.media[0].n_ssrc_group, SDP_MAX_SSRC_GROUP);
	/* the camera's SSRC: the first FID pair */
	CHECK(choice.media[0].ssrc == 1000 && choice.media[0].rtx_ssrc == 1010);

	/* fingerprints: 4 kept, all counted; a sha-256 one kept whatever came first */
	n = 0;
	for (int i = 0; i < 5; i++)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:%02d\n", i);
	snprintf(extra + n, sizeof(extra) - n, "a=ice-ufrag:abcd\n");
	CHECK_EQ(run(edit_in(edit("a=ice-ufrag:abcd\n", extra), "a=fingerprint:sha-256", "a=fingerprint:sha-512",
			     edited, sizeof(edited)),
		     &w),
		 -SDP_E_SYNTAX); /* 32 bytes are no sha-512 */
	CHECK_EQ(run(edit_in(edit("a=ice-ufrag:abcd\n", extra), "a=fingerprint:sha-256", "a=fingerprint:x-hash",
			     edited, sizeof(edited)),
		     &w),
		 -SDP_E_FINGERPRINT);
	CHECK_EQ(offer.tr.n_fp, SDP_MAX_FP);
	CHECK_EQ(offer.tr.n_fp_seen, 6);
	CHECK(strcmp(err, "no a=fingerprint:sha-256 for media section 1 (offered: other, sha-1, sha-1, sha-1)") == 0);
	/* the sha-256 one after five others: kept in place of one */
	n = 0;
	for (int i = 0; i < 5; i++)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:%02d\n", i);
	snprintf(extra + n, sizeof(extra) - n,
		 "a=fingerprint:sha-256 0F:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
		 "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\na=fingerprint:x-old 00:");
	CHECK(run(edit("a=fingerprint:sha-256 00:", extra), &w) > 0);
	CHECK_EQ(offer.tr.n_fp_seen, 7);
	CHECK_EQ(offer.tr.fp[3].hash, SDP_FP_SHA256);
	CHECK_EQ(choice.remote_fp[0], 0x0f);

	/* an extmap URI too long to keep: kept without it */
	snprintf(extra, sizeof(extra), "a=extmap:3 urn:%0200d\n", 0);
	CHECK(run(edit("", extra), &w) > 0);
	CHECK_EQ(offer.media[0].n_extmap, 1);
	CHECK_EQ(offer.media[0].extmap[0].uri[0], 0);
}

/* H.264: RFC 6184's profiles, packetization modes, defaults. */
static void h264_rules(void)
{
	const char *m = "m=video 9 UDP/TLS/RTP/SAVPF 100 101 102 103 104\n";
	const char *maps = "a=rtpmap:100 H264/90000\na=fmtp:100 profile-level-id=42001f;packetization-mode=1\n"
			   "a=rtpmap:101 H264/90000\na=fmtp:101 profile-level-id=42e01f\n"
			   "a=rtpmap:102 H264/90000\na=fmtp:102 profile-level-id=42E01F;packetization-mode=1\n"
			   "a=rtpmap:103 h264/90000\na=fmtp:103 profile-level-id=640c1f;packetization-mode=1\n"
			   "a=rtpmap:104 H264/90000\n";
	static const struct {
		uint32_t plid;
		int pmode;
		int pt; /* -1: no codec */
	} cases[] = {
		{ 0x42e01f, 1, 102 },  /* constrained baseline, mode 1: exact */
		{ 0x42e01f, 0, 101 },  /* mode 0: no packetization-mode means 0 */
		{ 0x42e01f, -1, 102 }, /* any mode: 1 preferred */
		{ 0x42c028, 1, 102 },  /* another CB spelling and level: same profile */
		{ 0x42001f, 1, 100 },  /* baseline, exact */
		{ 0x42001f, 0, 104 },  /* no profile-level-id: 420010, baseline, mode 0 */
		{ 0x640c1f, 1, 103 },  /* constrained high */
		{ 0x64001f, 1, -1 },   /* high: not offered */
		{ 0x4d001f, 1, -1 },   /* main: not offered */
		{ 0, -1, 102 },        /* a camera: mode 1 and constrained baseline first */
		{ 0, 0, 101 },
	};
	char text[4096];
	int failed = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sdp_want w = whep_video(h264(cases[i].plid, cases[i].pmode));
		int rc;

		snprintf(text, sizeof(text), "%s", edit("m=video 9 UDP/TLS/RTP/SAVPF 96 97\n", m));
		{
			char *at = strstr(text, "a=rtpmap:96");

			snprintf(at, sizeof(text) - (size_t)(at - text), "%s", maps);
		}
		rc = run(text, &w);
		if (cases[i].pt < 0) {
			CHECK_EQ(rc, -SDP_E_NO_CODEC);
		} else {
			CHECK(rc > 0);
			CHECK_EQ(choice.media[0].pt, cases[i].pt);
			check_answer(rc);
		}
		if (check_case_failed) {
			fprintf(stderr, "  h264 case %zu: %d %s\n", i, rc, err);
			check_case_failed = 0;
			failed = 1;
		}
	}
	check_case_failed |= failed;
	CHECK_EQ(offer.media[0].pt[4].plid, 0x420010);
	/* a constrained baseline stream to a baseline-only viewer: RFC 6184 allows it */
	CHECK(run(edit("a=rtpmap:96 VP8/90000\n", "a=rtpmap:96 H264/90000\na=fmtp:96 profile-level-id=42001f;"
						    "packetization-mode=1\n"),
		  &(struct sdp_want){ .role = SDP_WHEP, .n_video = 1, .video = { h264(0x42e01f, 1) } }) > 0);
	CHECK(strstr(answer, "a=fmtp:96 packetization-mode=1;profile-level-id=42001f\r\n") != NULL);
	/* not the other way round */
	CHECK_EQ(run(edit("a=rtpmap:96 VP8/90000\n", "a=rtpmap:96 H264/90000\na=fmtp:96 profile-level-id=42e01f;"
							 "packetization-mode=1\n"),
		     &(struct sdp_want){ .role = SDP_WHEP, .n_video = 1, .video = { h264(0x42001f, 1) } }),
		 -SDP_E_NO_CODEC);
	CHECK(strcmp(err, "no common codec: media section 1 (video) offers H264 (constrained baseline, "
			  "packetization-mode=1); the stream is H264 baseline packetization-mode=1") == 0);
	/* packetization-mode 2 is never served */
	CHECK_EQ(run(edit("a=rtpmap:96 VP8/90000\n", "a=rtpmap:96 H264/90000\na=fmtp:96 packetization-mode=2\n"),
		     &(struct sdp_want){ .role = SDP_WHEP, .n_video = 1, .video = { h264(0, -1) } }),
		 -SDP_E_NO_CODEC);
	/* a profile srtpgw does not name: same profile_idc and profile-iop */
	CHECK(run(edit("a=rtpmap:96 VP8/90000\n", "a=rtpmap:96 H264/90000\na=fmtp:96 profile-level-id=7a0028\n"),
		  &(struct sdp_want){ .role = SDP_WHEP, .n_video = 1, .video = { h264(0x7a001f, -1) } }) > 0);
	CHECK_EQ(run(edit("a=rtpmap:96 VP8/90000\n", "a=rtpmap:96 H264/90000\na=fmtp:96 profile-level-id=7a101f\n"),
		     &(struct sdp_want){ .role = SDP_WHEP, .n_video = 1, .video = { h264(0x7a001f, -1) } }),
		 -SDP_E_NO_CODEC);
	/* VP8 at another clock rate, opus at another one or in mono: not served */
	CHECK_EQ(run(edit("VP8/90000", "VP8/48000"), &(struct sdp_want){ .role = SDP_WHEP, .n_video = 1,
									  .video = { codec(SDP_CODEC_VP8) } }),
		 -SDP_E_NO_CODEC);
}

/* The caller's mistakes: 500, and a message that says which. */
static void arguments(void)
{
	struct sdp_want w = whep_video(codec(SDP_CODEC_VP8)), bad;
	struct sdp_local l;
	int len;

	CHECK_EQ(sdp_parse_offer(BASE, strlen(BASE), &offer, err, sizeof(err)), 0);
	bad = w;
	bad.role = 0;
	CHECK_EQ(sdp_choose(&offer, &bad, &choice, err, sizeof(err)), -SDP_E_ARG);
	CHECK(strcmp(err, "want: role is neither WHEP nor WHIP") == 0);
	CHECK_EQ(sdp_status(-SDP_E_ARG), 500);
	bad = w;
	bad.n_video = 5;
	CHECK_EQ(sdp_choose(&offer, &bad, &choice, err, sizeof(err)), -SDP_E_ARG);
	bad = w;
	bad.n_video = 0;
	CHECK_EQ(sdp_choose(&offer, &bad, &choice, err, sizeof(err)), -SDP_E_ARG);
	CHECK(strcmp(err, "want: 0..4 video and 0..2 audio codecs, at least one") == 0);
	bad = w;
	bad.video[0] = codec(SDP_CODEC_OPUS);
	CHECK_EQ(sdp_choose(&offer, &bad, &choice, err, sizeof(err)), -SDP_E_ARG);
	CHECK(strcmp(err, "want: video codecs are H264 or VP8") == 0);
	bad = whep_audio();
	bad.audio[0] = codec(SDP_CODEC_VP8);
	CHECK_EQ(sdp_choose(&offer, &bad, &choice, err, sizeof(err)), -SDP_E_ARG);
	CHECK(strcmp(err, "want: the audio codec is opus") == 0);
	bad = whep_video(h264(0x42e01f, 2));
	CHECK_EQ(sdp_choose(&offer, &bad, &choice, err, sizeof(err)), -SDP_E_ARG);
	/* a JPEG stream: refused for what it is */
	bad = whep_video(codec(SDP_CODEC_JPEG));
	CHECK_EQ(sdp_choose(&offer, &bad, &choice, err, sizeof(err)), -SDP_E_NO_CODEC);
	CHECK(strcmp(err, "JPEG is not sent over WebRTC (browsers decode H264 or VP8 video)") == 0);
	CHECK_EQ(sdp_status(-SDP_E_NO_CODEC), 422);

	CHECK_EQ(sdp_choose(&offer, &w, &choice, err, sizeof(err)), 0);
	static const struct {
		int what;
		const char *msg;
	} locals[] = {
		{ 0, "local: ice_ufrag is not 4..256 ice-chars" },
		{ 1, "local: ice_pwd is not 22..256 ice-chars" },
		{ 2, "local: addr is not an IPv4 or IPv6 address and port" },
		{ 3, "local: addr is not an IPv4 or IPv6 address and port" },
		{ 4, "local: session_id and session_version are below 2^63" },
		{ 5, "local: cname is not 1..64 visible characters" },
		{ 6, "local: msid is not 1..64 token characters" },
		{ 7, "local: ice_pwd is not 22..256 ice-chars" },
		{ 8, "local: cname is not 1..64 visible characters" },
	};
	for (size_t i = 0; i < sizeof(locals) / sizeof(locals[0]); i++) {
		l = local();
		switch (locals[i].what) {
		case 0:
			l.ice_ufrag = "ab:c";
			break;
		case 1:
			l.ice_pwd = "tooshort";
			break;
		case 2:
			l.addr.addr.family = SGW_AF_NONE;
			break;
		case 3:
			l.addr.port = 0;
			break;
		case 4:
			l.session_id = 1ull << 63;
			break;
		case 5:
			l.cname = "";
			break;
		case 6:
			l.msid = "a b";
			break;
		case 7:
			l.ice_pwd = NULL;
			break;
		case 8:
			l.cname = "x\r\na=evil";
			break;
		}
		CHECK_EQ(sdp_answer(&offer, &choice, &l, answer, sizeof(answer), err, sizeof(err)), -SDP_E_ARG);
		CHECK(strcmp(err, locals[i].msg) == 0);
	}
	/* a choice of another offer */
	l = local();
	choice.n_media = 2;
	CHECK_EQ(sdp_answer(&offer, &choice, &l, answer, sizeof(answer), err, sizeof(err)), -SDP_E_ARG);
	CHECK(strcmp(err, "the choice is not one of this offer") == 0);
	choice.n_media = 1;
	choice.media[0].pt = 55;
	CHECK_EQ(sdp_answer(&offer, &choice, &l, answer, sizeof(answer), err, sizeof(err)), -SDP_E_ARG);

	/* the buffer: exactly enough, one byte short, none */
	CHECK_EQ(sdp_choose(&offer, &w, &choice, err, sizeof(err)), 0);
	len = sdp_answer(&offer, &choice, &l, answer, sizeof(answer), err, sizeof(err));
	CHECK(len > 0);
	CHECK_EQ(sdp_answer(&offer, &choice, &l, answer, (size_t)len + 1, err, sizeof(err)), len);
	CHECK_EQ(sdp_answer(&offer, &choice, &l, answer, (size_t)len, err, sizeof(err)), -SDP_E_ARG);
	CHECK_EQ(answer[0], 0);
	snprintf(answer, sizeof(answer), "the answer does not fit in %d bytes", len);
	CHECK(strcmp(err, answer) == 0);
	CHECK_EQ(sdp_answer(&offer, &choice, &l, answer, 0, err, sizeof(err)), -SDP_E_ARG);
	/* no room for a message is no problem */
	CHECK_EQ(sdp_parse_offer("v=1\n", 4, &offer, NULL, 0), -SDP_E_SYNTAX);
	CHECK_EQ(sdp_parse_offer("v=1\n", 4, &offer, err, 1), -SDP_E_SYNTAX);
	CHECK_EQ(err[0], 0);
	CHECK(strcmp(sdp_err_name(-SDP_E_NO_CODEC), "no_codec") == 0);
	CHECK(strcmp(sdp_err_name(99), "unknown") == 0);
}

/* Sections srtpgw never serves: data channels, other media, other protos. */
static void rejected_sections(void)
{
	struct sdp_want w = whep_video(codec(SDP_CODEC_VP8));
	int rc = run(edit("", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=mid:1\na=sctp-port:5000\n"
			      "m=text 9 UDP/TLS/RTP/SAVPF 98\na=mid:2\na=rtpmap:98 t140/1000\n"
			      "m=audio 9 RTP/AVP 0\na=mid:3\n"),
		     &w);

	/* outside the bundle, or never served */
	CHECK(rc > 0);
	CHECK_EQ(choice.media[1].mode, SDP_REJECT);
	CHECK_EQ(choice.media[2].mode, SDP_REJECT);
	CHECK_EQ(choice.media[3].mode, SDP_REJECT);
	CHECK(strstr(answer, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n") != NULL);
	CHECK(strstr(answer, "m=text 0 UDP/TLS/RTP/SAVPF 98\r\n") != NULL);
	CHECK(strstr(answer, "m=audio 0 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=mid:3\r\na=inactive\r\n"
			     "a=rtpmap:0 PCMU/8000\r\n") != NULL);
	check_answer(rc);
	/* in the bundle too */
	rc = run(edit_in(edited, "a=group:BUNDLE 0\n", "a=group:BUNDLE 0 1 2 3\n", edited, sizeof(edited)), &w);
	CHECK(rc > 0);
	CHECK(choice.media[1].mode == SDP_REJECT && choice.media[2].mode == SDP_REJECT &&
	      choice.media[3].mode == SDP_REJECT);
	CHECK(strstr(answer, "a=group:BUNDLE 0\r\n") != NULL);
	check_answer(rc);

	/* an offer that disabled a section (port 0, no bundle-only) */
	{
		char text[4096];

		snprintf(text, sizeof(text), "%s", edit("a=group:BUNDLE 0\n", "a=group:BUNDLE 0 1\n"));
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "m=audio 0 UDP/TLS/RTP/SAVPF 111\na=mid:1\na=rtcp-mux\na=rtpmap:111 opus/48000/2\n");
		rc = run(text, &w);
		CHECK(rc > 0);
		CHECK_EQ(choice.media[1].mode, SDP_REJECT);
		check_answer(rc);
		/* ...and the same section bundle-only: kept, inactive */
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "a=bundle-only\n");
		rc = run(text, &w);
		CHECK(rc > 0);
		CHECK_EQ(choice.media[1].mode, SDP_INACTIVE);
		check_answer(rc);
		/* a served section that is bundle-only, the tag on the other one */
		w = whep_audio();
		rc = run(text, &w);
		CHECK(rc > 0);
		CHECK_EQ(choice.media[1].mode, SDP_SERVE);
		CHECK_EQ(choice.tagged, 0);
		check_answer(rc);
		/* only bundle-only sections kept: no section to carry the bundle */
		snprintf(text, sizeof(text), "%s", edit("m=video 9 ", "m=video 0 "));
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "a=bundle-only\n");
		CHECK_EQ(run(text, &(struct sdp_want){ .role = SDP_WHEP, .n_video = 1,
						       .video = { codec(SDP_CODEC_VP8) } }),
			 -SDP_E_BUNDLE);
		CHECK(strcmp(err, "no media section of the BUNDLE group that srtpgw keeps has a port (all bundle-only)") == 0);
	}
}

int main(void)
{
	RUN(fixtures);
	RUN(fixture_details);
	RUN(golden_answers);
	RUN(base_offer);
	RUN(line_breaks);
	RUN(refusals);
	RUN(bounds);
	RUN(kept_and_counted);
	RUN(h264_rules);
	RUN(arguments);
	RUN(rejected_sections);
	return CHECK_DONE();
}
