/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What srtpgw serves of a parsed offer (sdp.h, docs/webrtc.md "SDP"):
 * per media section serve, answer inactive or reject; the payload type and
 * codec served, the RTX payload type and the feedback offered for it; the
 * BUNDLE tag (RFC 8843 7.3.1) and the peer's ICE and DTLS parameters; or
 * why the offer cannot be served.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control/daemon/sdp.h"

int sdp_status(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
	case SDP_OK:
		return 200;
	case SDP_E_SYNTAX:
		return 400;
	case SDP_E_TOO_LARGE:
		return 413;
	case SDP_E_ARG:
		return 500;
	default:
		return 422;
	}
}

const char *sdp_err_name(int code)
{
	static const char *const names[] = {
		[SDP_OK] = "ok",
		[SDP_E_SYNTAX] = "syntax",
		[SDP_E_TOO_LARGE] = "too_large",
		[SDP_E_LIMIT] = "limit",
		[SDP_E_PROTO] = "proto",
		[SDP_E_ICE] = "ice",
		[SDP_E_FINGERPRINT] = "fingerprint",
		[SDP_E_SETUP] = "setup",
		[SDP_E_RTCP_MUX] = "rtcp_mux",
		[SDP_E_BUNDLE] = "bundle",
		[SDP_E_NO_MEDIA] = "no_media",
		[SDP_E_NO_CODEC] = "no_codec",
		[SDP_E_ARG] = "arg",
	};

	if (code < 0)
		code = -code;
	if ((size_t)code >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[code];
}

const char *sdp_codec_name(enum sdp_codec c)
{
	static const char *const names[] = {
		[SDP_CODEC_NONE] = "none",   [SDP_CODEC_H264] = "H264",     [SDP_CODEC_VP8] = "VP8",
		[SDP_CODEC_VP9] = "VP9",     [SDP_CODEC_AV1] = "AV1",       [SDP_CODEC_H265] = "H265",
		[SDP_CODEC_OPUS] = "opus",   [SDP_CODEC_JPEG] = "JPEG",     [SDP_CODEC_RTX] = "rtx",
		[SDP_CODEC_RED] = "red",     [SDP_CODEC_ULPFEC] = "ulpfec", [SDP_CODEC_FLEXFEC] = "flexfec-03",
		[SDP_CODEC_OTHER] = "other",
	};

	if ((unsigned)c >= sizeof(names) / sizeof(names[0]))
		return "other";
	return names[c];
}

/* H.264 profiles by profile_idc and profile-iop (RFC 6184 8.1, Table 5;
 * the same patterns as libwebrtc's), levels aside. */
enum h264_profile { H264_UNKNOWN = 0, H264_CB, H264_BASELINE, H264_MAIN, H264_HIGH, H264_CHIGH,
		    H264_HIGH444 };

static enum h264_profile h264_profile(uint32_t plid)
{
	static const struct {
		uint8_t idc, mask, value;
		enum h264_profile profile;
	} tab[] = {
		{ 0x42, 0x4f, 0x40, H264_CB },       { 0x4d, 0x8f, 0x80, H264_CB },
		{ 0x58, 0xcf, 0xc0, H264_CB },       { 0x42, 0x4f, 0x00, H264_BASELINE },
		{ 0x58, 0xcf, 0x80, H264_BASELINE }, { 0x4d, 0xaf, 0x00, H264_MAIN },
		{ 0x64, 0xff, 0x00, H264_HIGH },     { 0x64, 0xff, 0x0c, H264_CHIGH },
		{ 0xf4, 0xff, 0x00, H264_HIGH444 },
	};
	uint8_t idc = (uint8_t)(plid >> 16), iop = (uint8_t)(plid >> 8);

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].idc == idc && (iop & tab[i].mask) == tab[i].value)
			return tab[i].profile;
	return H264_UNKNOWN;
}

static const char *h264_profile_name(enum h264_profile p)
{
	static const char *const names[] = {
		[H264_UNKNOWN] = "unknown profile", [H264_CB] = "constrained baseline",
		[H264_BASELINE] = "baseline",       [H264_MAIN] = "main",
		[H264_HIGH] = "high",               [H264_CHIGH] = "constrained high",
		[H264_HIGH444] = "high 4:4:4 predictive",
	};

	return names[p];
}

/*
 * How well payload type p serves spec s: -1 not at all, else higher is
 * better. H.264: the packetization mode must be the spec's (any: mode 1
 * preferred, what every browser offers); the profile the spec's, or
 * baseline for a constrained baseline stream (RFC 6184: a constrained
 * baseline stream is a baseline one). With no profile in the spec (a WHIP
 * camera), constrained baseline is preferred, then baseline: what every
 * viewer decodes. Levels are not compared: browsers decode past the level
 * they offer, and level-asymmetry-allowed is everywhere.
 */
static int match(const struct sdp_codec_spec *s, const struct sdp_pt *p)
{
	int rank = 0;

	if (p->codec != s->codec)
		return -1;
	switch (s->codec) {
	case SDP_CODEC_VP8:
		return p->clock == 90000 ? 0 : -1;
	case SDP_CODEC_OPUS:
		/* RFC 7587 says opus/48000/2; GStreamer writes OPUS/48000 */
		return p->clock == 48000 && (p->channels == 2 || p->channels == 0) ? 0 : -1;
	case SDP_CODEC_H264: {
		int pmode = p->pmode < 0 ? 0 : p->pmode;
		enum h264_profile want = h264_profile(s->plid), got = h264_profile(p->plid);

		if (p->clock != 90000 || pmode > 1 || (s->pmode >= 0 && pmode != s->pmode))
			return -1;
		if (s->pmode < 0 && pmode == 1)
			rank += 4;
		if (s->plid == 0)
			rank += got == H264_CB ? 2 : got == H264_BASELINE ? 1 : 0;
		else if (want != H264_UNKNOWN ? want == got : ((s->plid ^ p->plid) & 0xffff00) == 0)
			rank += 8;
		else if (!(want == H264_CB && got == H264_BASELINE))
			return -1;
		return rank;
	}
	default:
		return -1;
	}
}

/* The best payload type of m for s (first in the offer's order among the
 * best), or -1. */
static int best_pt(const struct sdp_media *m, const struct sdp_codec_spec *s)
{
	int best = -1, best_rank = -1;

	for (unsigned i = 0; i < m->n_pt; i++) {
		int r = match(s, &m->pt[i]);

		if (r > best_rank) {
			best_rank = r;
			best = (int)i;
		}
	}
	return best;
}

static bool in_bundle(const struct sdp_offer *o, unsigned i)
{
	for (unsigned k = 0; k < o->n_bundle; k++)
		if (o->bundle[k] == i)
			return true;
	return false;
}

/* Why no media section of a kind could be served: the one that came
 * furthest. */
enum stage { ST_NONE = 0, ST_DISABLED, ST_PROTO, ST_DIRECTION, ST_CODEC };

struct why {
	enum stage stage;
	unsigned media;
};

static void describe_spec(const struct sdp_codec_spec *s, char *buf, size_t cap)
{
	if (s->codec != SDP_CODEC_H264) {
		snprintf(buf, cap, "%s", sdp_codec_name(s->codec));
		return;
	}
	if (s->plid == 0 && s->pmode < 0)
		snprintf(buf, cap, "H264");
	else if (s->plid == 0)
		snprintf(buf, cap, "H264 packetization-mode=%d", s->pmode);
	else if (s->pmode < 0)
		snprintf(buf, cap, "H264 %s", h264_profile_name(h264_profile(s->plid)));
	else
		snprintf(buf, cap, "H264 %s packetization-mode=%d", h264_profile_name(h264_profile(s->plid)),
			 s->pmode);
}

/* "VP8, VP9, H264 (constrained baseline, packetization-mode=1) ...":
 * the codec names of m, which are tokens of at most 31 characters. */
static void describe_offered(const struct sdp_media *m, char *buf, size_t cap)
{
	size_t n = 0;
	unsigned shown = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < m->n_pt && n < cap; i++) {
		const struct sdp_pt *p = &m->pt[i];
		bool dup = false;
		int k;

		if (p->codec == SDP_CODEC_NONE || p->codec == SDP_CODEC_RTX || p->codec == SDP_CODEC_RED ||
		    p->codec == SDP_CODEC_ULPFEC || p->codec == SDP_CODEC_FLEXFEC)
			continue;
		for (unsigned j = 0; j < i && !dup; j++)
			dup = strcmp(m->pt[j].name, p->name) == 0 && m->pt[j].codec != SDP_CODEC_H264;
		if (dup)
			continue;
		if (shown == 6) {
			snprintf(buf + n, cap - n, ", ...");
			return;
		}
		if (p->codec == SDP_CODEC_H264)
			k = snprintf(buf + n, cap - n, "%s%s (%s, packetization-mode=%d)", shown ? ", " : "",
				     p->name, h264_profile_name(h264_profile(p->plid)),
				     p->pmode < 0 ? 0 : p->pmode);
		else
			k = snprintf(buf + n, cap - n, "%s%s", shown ? ", " : "", p->name);
		if (k < 0)
			return;
		n += (size_t)k;
		shown++;
	}
	if (shown == 0)
		snprintf(buf, cap, "no codec");
}

static const char *kind_name(enum sdp_kind k)
{
	return k == SDP_KIND_VIDEO ? "video" : "audio";
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -code;
}

static int explain(const struct sdp_offer *o, const struct sdp_want *w, enum sdp_kind kind,
		   const struct why *why, char *err, size_t errlen)
{
	const struct sdp_codec_spec *specs = kind == SDP_KIND_VIDEO ? w->video : w->audio;
	unsigned n_specs = kind == SDP_KIND_VIDEO ? w->n_video : w->n_audio;
	const struct sdp_media *m = &o->media[why->media];
	bool whep = w->role == SDP_WHEP;
	char wanted[160], offered[200];
	size_t n = 0;

	wanted[0] = '\0';
	for (unsigned i = 0; i < n_specs; i++) {
		if (i > 0)
			snprintf(wanted + n, sizeof(wanted) - n, " or ");
		n = strlen(wanted);
		describe_spec(&specs[i], wanted + n, sizeof(wanted) - n);
		n = strlen(wanted);
	}
	switch (why->stage) {
	case ST_NONE:
		return fail(err, errlen, SDP_E_NO_MEDIA, "the offer has no %s media section (%s %s)",
			    kind_name(kind), whep ? "the stream is" : "srtpgw takes", wanted);
	case ST_DISABLED:
		return fail(err, errlen, SDP_E_NO_MEDIA, "media section %u (%s) is disabled (port 0)",
			    why->media + 1, kind_name(kind));
	case ST_PROTO:
		return fail(err, errlen, SDP_E_PROTO,
			    "media section %u (%s) is %s: srtpgw speaks DTLS-SRTP only (UDP/TLS/RTP/SAVPF)",
			    why->media + 1, kind_name(kind), m->proto);
	case ST_DIRECTION:
		return fail(err, errlen, SDP_E_NO_MEDIA,
			    "media section %u (%s) is %s: a %s must %s (%s or sendrecv)", why->media + 1,
			    kind_name(kind),
			    m->dir == SDP_DIR_SENDONLY   ? "sendonly"
			    : m->dir == SDP_DIR_RECVONLY ? "recvonly"
							 : "inactive",
			    whep ? "WHEP viewer" : "WHIP camera", whep ? "receive" : "send",
			    whep ? "recvonly" : "sendonly");
	case ST_CODEC:
	default:
		describe_offered(m, offered, sizeof(offered));
		return fail(err, errlen, SDP_E_NO_CODEC,
			    "no common codec: media section %u (%s) offers %s; %s %s", why->media + 1,
			    kind_name(kind), offered, whep ? "the stream is" : "srtpgw takes", wanted);
	}
}

static int check_want(const struct sdp_want *w, char *err, size_t errlen)
{
	if (w->role != SDP_WHEP && w->role != SDP_WHIP)
		return fail(err, errlen, SDP_E_ARG, "want: role is neither WHEP nor WHIP");
	if (w->n_video > 4 || w->n_audio > 2 || w->n_video + w->n_audio == 0)
		return fail(err, errlen, SDP_E_ARG, "want: 0..4 video and 0..2 audio codecs, at least one");
	for (unsigned i = 0; i < w->n_video + w->n_audio; i++) {
		bool video = i < w->n_video;
		const struct sdp_codec_spec *s = video ? &w->video[i] : &w->audio[i - w->n_video];

		if (s->codec == SDP_CODEC_JPEG)
			return fail(err, errlen, SDP_E_NO_CODEC,
				    "JPEG is not sent over WebRTC (browsers decode H264 or VP8 video)");
		if (video && s->codec != SDP_CODEC_H264 && s->codec != SDP_CODEC_VP8)
			return fail(err, errlen, SDP_E_ARG, "want: video codecs are H264 or VP8");
		if (!video && s->codec != SDP_CODEC_OPUS)
			return fail(err, errlen, SDP_E_ARG, "want: the audio codec is opus");
		if (s->pmode < -1 || s->pmode > 1)
			return fail(err, errlen, SDP_E_ARG, "want: packetization-mode is -1, 0 or 1");
	}
	return 0;
}

/* The media section to serve for a kind, or -1 with why. */
static int pick(const struct sdp_offer *o, const struct sdp_want *w, enum sdp_kind kind,
		struct sdp_choice *c, struct why *why)
{
	const struct sdp_codec_spec *specs = kind == SDP_KIND_VIDEO ? w->video : w->audio;
	unsigned n_specs = kind == SDP_KIND_VIDEO ? w->n_video : w->n_audio;

	why->stage = ST_NONE;
	why->media = 0;
	for (unsigned i = 0; i < o->n_media; i++) {
		const struct sdp_media *m = &o->media[i];
		enum stage st;
		bool dir_ok = m->dir == SDP_DIR_SENDRECV ||
			      m->dir == (w->role == SDP_WHEP ? SDP_DIR_RECVONLY : SDP_DIR_SENDONLY);

		if (m->kind != kind)
			continue;
		if (m->port == 0 && !(m->bundle_only && in_bundle(o, i)))
			st = ST_DISABLED;
		else if (!m->rtp || !m->dtls_srtp)
			st = ST_PROTO;
		else if (!dir_ok)
			st = ST_DIRECTION;
		else
			st = ST_CODEC;
		if (st == ST_CODEC) {
			for (unsigned s = 0; s < n_specs; s++) {
				int k = best_pt(m, &specs[s]);
				struct sdp_choice_media *cm = &c->media[i];

				if (k < 0)
					continue;
				cm->mode = SDP_SERVE;
				cm->pt = m->pt[k].pt;
				cm->codec = m->pt[k].codec;
				cm->spec = (uint8_t)s;
				return (int)i;
			}
		}
		if (st > why->stage) {
			why->stage = st;
			why->media = i;
		}
	}
	return -1;
}

/* RTX payload type, feedback, H.264 parameters and SSRCs of a served one. */
static void describe_served(const struct sdp_media *m, const struct sdp_want *w,
			    struct sdp_choice_media *cm)
{
	const struct sdp_pt *p = NULL;

	for (unsigned i = 0; i < m->n_pt; i++)
		if (m->pt[i].pt == cm->pt)
			p = &m->pt[i];
	cm->rtx_pt = -1;
	for (unsigned i = 0; i < m->n_pt; i++) {
		if (m->pt[i].codec == SDP_CODEC_RTX && m->pt[i].apt == cm->pt &&
		    m->pt[i].clock == p->clock) {
			cm->rtx_pt = m->pt[i].pt;
			break;
		}
	}
	cm->fb_offered = p->fb;
	cm->fb = p->fb & w->fb;
	cm->pmode = (int8_t)(p->pmode < 0 ? 0 : p->pmode);
	cm->plid = p->plid;
	for (unsigned g = 0; g < m->n_ssrc_group; g++) {
		if (strcmp(m->ssrc_group[g].semantics, "FID") == 0 && m->ssrc_group[g].n >= 2) {
			cm->ssrc = m->ssrc_group[g].ssrc[0];
			cm->rtx_ssrc = m->ssrc_group[g].ssrc[1];
			return;
		}
	}
	if (m->n_ssrc > 0)
		cm->ssrc = m->ssrc[0].ssrc;
}

/* The format an inactive section is answered with: its first real codec
 * (an answer's m= line needs one, and aiortc wants one it knows). */
static int inactive_format(const struct sdp_media *m)
{
	for (unsigned i = 0; i < m->n_pt; i++) {
		uint8_t c = m->pt[i].codec;

		if (c != SDP_CODEC_NONE && c != SDP_CODEC_RTX && c != SDP_CODEC_RED &&
		    c != SDP_CODEC_ULPFEC && c != SDP_CODEC_FLEXFEC)
			return (int)i;
	}
	return -1;
}

static int check_transport(const struct sdp_offer *o, unsigned t, struct sdp_choice *c, char *err,
			   size_t errlen)
{
	const struct sdp_transport *tr = &o->media[t].tr;
	const struct sdp_fingerprint *sha256 = NULL;
	char seen[64] = "";

	if (tr->ufrag[0] == '\0' || tr->pwd[0] == '\0')
		return fail(err, errlen, SDP_E_ICE, "media section %u has no %s (nor the session)", t + 1,
			    tr->ufrag[0] == '\0' ? "a=ice-ufrag" : "a=ice-pwd");
	if (o->ice_lite)
		return fail(err, errlen, SDP_E_ICE,
			    "the offer is ICE-lite: srtpgw is ICE-lite too and needs a full ICE agent");
	for (unsigned i = 0; i < tr->n_fp && i < SDP_MAX_FP; i++) {
		if (tr->fp[i].hash == SDP_FP_SHA256) {
			sha256 = &tr->fp[i];
			break;
		}
	}
	if (sha256 == NULL) {
		static const char *const hn[] = { "other", "sha-1", "sha-224", "sha-256", "sha-384", "sha-512" };
		size_t n = 0;

		for (unsigned i = 0; i < tr->n_fp && i < SDP_MAX_FP && n < sizeof(seen); i++)
			n += (size_t)snprintf(seen + n, sizeof(seen) - n, "%s%s", i ? ", " : "",
					      hn[tr->fp[i].hash < 6 ? tr->fp[i].hash : 0]);
		return fail(err, errlen, SDP_E_FINGERPRINT,
			    "no a=fingerprint:sha-256 for media section %u (%s%s)", t + 1,
			    tr->n_fp ? "offered: " : "none offered", seen);
	}
	if (tr->setup != SDP_SETUP_NONE && tr->setup != SDP_SETUP_ACTPASS &&
	    tr->setup != SDP_SETUP_ACTIVE)
		return fail(err, errlen, SDP_E_SETUP,
			    "a=setup:%s: srtpgw is the DTLS server (setup:passive), so the offer must be "
			    "actpass or active",
			    tr->setup == SDP_SETUP_PASSIVE ? "passive" : "holdconn");
	snprintf(c->remote_ufrag, sizeof(c->remote_ufrag), "%s", tr->ufrag);
	c->remote_setup = tr->setup;
	memcpy(c->remote_fp, sha256->fp, sizeof(c->remote_fp));
	return 0;
}

int sdp_choose(const struct sdp_offer *o, const struct sdp_want *w, struct sdp_choice *c, char *err,
	       size_t errlen)
{
	struct why why_video = { ST_NONE, 0 }, why_audio = { ST_NONE, 0 };
	int served[2], n_served = 0, rc;
	unsigned t;
	bool bundled;

	memset(c, 0, sizeof(*c));
	c->tagged = c->video = c->audio = -1;
	if (errlen > 0)
		err[0] = '\0';
	rc = check_want(w, err, errlen);
	if (rc != 0)
		return rc;
	c->role = w->role;
	c->n_media = o->n_media;
	if (w->n_video > 0)
		c->video = (int8_t)pick(o, w, SDP_KIND_VIDEO, c, &why_video);
	if (w->n_audio > 0)
		c->audio = (int8_t)pick(o, w, SDP_KIND_AUDIO, c, &why_audio);
	if (c->video >= 0)
		served[n_served++] = c->video;
	if (c->audio >= 0)
		served[n_served++] = c->audio;
	if (n_served == 0)
		return w->n_video > 0 ? explain(o, w, SDP_KIND_VIDEO, &why_video, err, errlen)
				      : explain(o, w, SDP_KIND_AUDIO, &why_audio, err, errlen);

	/* RFC 8843: one port for everything served needs one BUNDLE group */
	bundled = o->n_bundle > 0;
	for (int i = 0; i < n_served; i++)
		bundled = bundled && in_bundle(o, (unsigned)served[i]);
	if (n_served == 2 && !bundled)
		return fail(err, errlen, SDP_E_BUNDLE,
			    "media sections %d and %d are not in one a=group:BUNDLE: srtpgw takes all media "
			    "of a session on one port",
			    served[0] + 1, served[1] + 1);
	for (unsigned i = 0; i < o->n_media; i++) {
		const struct sdp_media *m = &o->media[i];
		struct sdp_choice_media *cm = &c->media[i];
		int f;

		if (cm->mode == SDP_SERVE) {
			describe_served(m, w, cm);
			continue;
		}
		/* the rest of the bundle stays in it, inactive, where it can */
		if (!bundled || !in_bundle(o, i) || (m->kind != SDP_KIND_AUDIO && m->kind != SDP_KIND_VIDEO) ||
		    !m->rtp || !m->dtls_srtp || (m->port == 0 && !m->bundle_only) ||
		    (f = inactive_format(m)) < 0) {
			cm->mode = SDP_REJECT;
			continue;
		}
		cm->mode = SDP_INACTIVE;
		cm->pt = m->pt[f].pt;
		cm->codec = m->pt[f].codec;
	}
	/* RFC 8843 7.3.1: the first mid of the group that is kept and has a port */
	if (bundled) {
		for (unsigned k = 0; k < o->n_bundle && c->tagged < 0; k++) {
			unsigned i = o->bundle[k];

			if (c->media[i].mode != SDP_REJECT && o->media[i].port != 0)
				c->tagged = (int8_t)i;
		}
		if (c->tagged < 0)
			return fail(err, errlen, SDP_E_BUNDLE,
				    "no media section of the BUNDLE group that srtpgw keeps has a port "
				    "(all bundle-only)");
		t = (unsigned)c->tagged;
	} else {
		t = (unsigned)served[0];
	}
	rc = check_transport(o, t, c, err, errlen);
	if (rc != 0)
		return rc;
	for (int i = 0; i < n_served; i++)
		if (!o->media[served[i]].rtcp_mux)
			return fail(err, errlen, SDP_E_RTCP_MUX,
				    "media section %d (%s) has no a=rtcp-mux: srtpgw takes RTP and RTCP on "
				    "one port",
				    served[i] + 1, kind_name(o->media[served[i]].kind));
	return 0;
}
