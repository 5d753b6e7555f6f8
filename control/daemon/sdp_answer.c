/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The answer's text (sdp.h, docs/webrtc.md "SDP"): srtpgw is ICE-lite
 * with one host candidate, the DTLS server (setup:passive), rtcp-mux on
 * every section it keeps, BUNDLE with the offer's mids. ICE and DTLS
 * attributes are at session level, where RFC 8839 and RFC 8122 allow
 * them, so that every section, rejected ones included, has them (aiortc
 * checks each); the candidate is in the BUNDLE-tagged section only
 * (RFC 8843 7.1.3). A served section answers the chosen codec only, with
 * the offer's payload type number (JSEP), and the feedback srtpgw supports.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/addr.h"
#include "control/daemon/sdp.h"

struct out {
	char *buf;
	size_t cap, n;
	bool full;
};

/* One line and its CRLF. */
static void line(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->full)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->buf + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k + 2 >= o->cap - o->n) {
		o->full = true;
		return;
	}
	o->n += (size_t)k;
	memcpy(o->buf + o->n, "\r\n", 3);
	o->n += 2;
}

static int fail(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return -SDP_E_ARG;
}

static bool ice_chars(const char *s, size_t min)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n < min || n > SDP_ICE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/'))
			return false;
	return true;
}

/* 1..64 of the characters allowed: visible ASCII, or token ones only. */
static bool word_ok(const char *s, bool token)
{
	static const char other[] = "!#$%&'*+-.^_`{|}~";
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			return false;
		if (token && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			       strchr(other, c) != NULL))
			return false;
	}
	return true;
}

static const struct sdp_pt *pt_of(const struct sdp_media *m, uint8_t pt)
{
	for (unsigned i = 0; i < m->n_pt; i++)
		if (m->pt[i].pt == pt)
			return &m->pt[i];
	return NULL;
}

static void rtpmap(struct out *o, const struct sdp_pt *p)
{
	if (p->name[0] == '\0')
		return;
	if (p->channels > 0)
		line(o, "a=rtpmap:%u %s/%u/%u", p->pt, p->name, p->clock, p->channels);
	else
		line(o, "a=rtpmap:%u %s/%u", p->pt, p->name, p->clock);
}

static void feedback(struct out *o, uint8_t pt, uint32_t fb)
{
	if (fb & SDP_FB_NACK)
		line(o, "a=rtcp-fb:%u nack", pt);
	if (fb & SDP_FB_PLI)
		line(o, "a=rtcp-fb:%u nack pli", pt);
	if (fb & SDP_FB_FIR)
		line(o, "a=rtcp-fb:%u ccm fir", pt);
	if (fb & SDP_FB_REMB)
		line(o, "a=rtcp-fb:%u goog-remb", pt);
	if (fb & SDP_FB_TWCC)
		line(o, "a=rtcp-fb:%u transport-cc", pt);
}

/* The served codec's parameters: H.264's as offered for that payload type
 * (its profile-level-id too: libwebrtc matches answers by profile), opus's
 * FEC and stereo where offered. */
static void fmtp(struct out *o, const struct sdp_pt *p, const struct sdp_choice_media *cm)
{
	if (p->codec == SDP_CODEC_H264) {
		char plid[32] = "";

		if (p->has_plid)
			snprintf(plid, sizeof(plid), ";profile-level-id=%06x", (unsigned)cm->plid);
		line(o, "a=fmtp:%u %spacketization-mode=%d%s", p->pt,
		     p->level_asym ? "level-asymmetry-allowed=1;" : "", cm->pmode, plid);
	} else if (p->codec == SDP_CODEC_OPUS && (p->minptime || p->useinbandfec || p->stereo)) {
		char params[64] = "";
		size_t n = 0;

		if (p->minptime)
			n += (size_t)snprintf(params + n, sizeof(params) - n, "minptime=%u;", p->minptime);
		if (p->useinbandfec)
			n += (size_t)snprintf(params + n, sizeof(params) - n, "useinbandfec=1;");
		if (p->stereo)
			n += (size_t)snprintf(params + n, sizeof(params) - n, "stereo=1;");
		params[n - 1] = '\0'; /* the last ; */
		line(o, "a=fmtp:%u %s", p->pt, params);
	}
}

static void fingerprint(struct out *o, const uint8_t fp[32])
{
	char hex[32 * 3];

	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02X%s", fp[i], i < 31 ? ":" : "");
	line(o, "a=fingerprint:sha-256 %s", hex);
}

static int check(const struct sdp_offer *of, const struct sdp_choice *c, const struct sdp_local *l,
		 char *err, size_t errlen)
{
	if (!ice_chars(l->ice_ufrag, SDP_UFRAG_MIN))
		return fail(err, errlen, "local: ice_ufrag is not 4..256 ice-chars");
	if (!ice_chars(l->ice_pwd, SDP_PWD_MIN))
		return fail(err, errlen, "local: ice_pwd is not 22..256 ice-chars");
	if ((l->addr.addr.family != SGW_AF_INET && l->addr.addr.family != SGW_AF_INET6) ||
	    l->addr.port == 0)
		return fail(err, errlen, "local: addr is not an IPv4 or IPv6 address and port");
	if (l->session_id >= (1ull << 63) || l->session_version >= (1ull << 63))
		return fail(err, errlen, "local: session_id and session_version are below 2^63");
	if (c->n_media != of->n_media || (c->role != SDP_WHEP && c->role != SDP_WHIP))
		return fail(err, errlen, "the choice is not one of this offer");
	if (c->role == SDP_WHEP && !word_ok(l->cname, false))
		return fail(err, errlen, "local: cname is not 1..64 visible characters");
	if (l->msid != NULL && !word_ok(l->msid, true))
		return fail(err, errlen, "local: msid is not 1..64 token characters");
	for (unsigned i = 0; i < c->n_media; i++) {
		const struct sdp_choice_media *cm = &c->media[i];

		if (cm->mode != SDP_REJECT && (!of->media[i].rtp || pt_of(&of->media[i], cm->pt) == NULL))
			return fail(err, errlen, "the choice is not one of this offer");
		if (cm->mode == SDP_SERVE && of->media[i].kind != SDP_KIND_VIDEO &&
		    of->media[i].kind != SDP_KIND_AUDIO)
			return fail(err, errlen, "the choice is not one of this offer");
	}
	if (c->tagged >= (int)c->n_media || (c->tagged >= 0 && c->media[c->tagged].mode == SDP_REJECT))
		return fail(err, errlen, "the choice is not one of this offer");
	return 0;
}

static void rejected(struct out *o, const struct sdp_media *m, const char *ip, int ipv)
{
	const struct sdp_pt *p = m->rtp && m->n_pt > 0 ? &m->pt[0] : NULL;

	if (p != NULL)
		line(o, "m=%s 0 %s %u", m->kind_name, m->proto, p->pt);
	else
		line(o, "m=%s 0 %s %s", m->kind_name, m->proto, m->fmt0);
	line(o, "c=IN IP%d %s", ipv, ip);
	if (m->mid[0] != '\0')
		line(o, "a=mid:%s", m->mid);
	if (p != NULL && (m->kind == SDP_KIND_AUDIO || m->kind == SDP_KIND_VIDEO)) {
		/* what aiortc checks in every audio and video section */
		line(o, "a=inactive");
		if (m->rtcp_mux)
			line(o, "a=rtcp-mux");
		rtpmap(o, p);
	}
}

int sdp_answer(const struct sdp_offer *of, const struct sdp_choice *c, const struct sdp_local *l,
	       char *buf, size_t cap, char *err, size_t errlen)
{
	struct out o = { buf, cap, 0, cap == 0 };
	char ip[SGW_ADDR_STRLEN];
	int ipv = l->addr.addr.family == SGW_AF_INET6 ? 6 : 4;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	rc = check(of, c, l, err, errlen);
	if (rc != 0)
		return rc;
	sgw_addr_format(&l->addr.addr, ip, sizeof(ip));
	line(&o, "v=0");
	line(&o, "o=- %llu %llu IN IP%d %s", (unsigned long long)l->session_id,
	     (unsigned long long)l->session_version, ipv, ip);
	line(&o, "s=-");
	line(&o, "t=0 0");
	line(&o, "a=ice-lite");
	if (c->tagged >= 0) {
		/* the tagged mid first, then the others kept, in the offer's order */
		char mids[SDP_MAX_GROUP * (SDP_MID_MAX + 1) + 1];
		size_t n = (size_t)snprintf(mids, sizeof(mids), "%s", of->media[c->tagged].mid);

		for (unsigned k = 0; k < of->n_bundle; k++) {
			unsigned i = of->bundle[k];

			if ((int)i != c->tagged && c->media[i].mode != SDP_REJECT)
				n += (size_t)snprintf(mids + n, sizeof(mids) - n, " %s", of->media[i].mid);
		}
		line(&o, "a=group:BUNDLE %s", mids);
	}
	line(&o, "a=ice-ufrag:%s", l->ice_ufrag);
	line(&o, "a=ice-pwd:%s", l->ice_pwd);
	fingerprint(&o, l->fingerprint);
	line(&o, "a=setup:passive");
	for (unsigned i = 0; i < of->n_media; i++) {
		const struct sdp_media *m = &of->media[i];
		const struct sdp_choice_media *cm = &c->media[i];
		const struct sdp_pt *p;
		bool serve = cm->mode == SDP_SERVE;
		bool whep = c->role == SDP_WHEP;

		if (cm->mode == SDP_REJECT) {
			rejected(&o, m, ip, ipv);
			continue;
		}
		p = pt_of(m, cm->pt);
		line(&o, "m=%s %u %s %u", m->kind_name, l->addr.port, m->proto, cm->pt);
		line(&o, "c=IN IP%d %s", ipv, ip);
		if (m->mid[0] != '\0')
			line(&o, "a=mid:%s", m->mid);
		line(&o, "%s", !serve ? "a=inactive" : whep ? "a=sendonly" : "a=recvonly");
		line(&o, "a=rtcp-mux");
		rtpmap(&o, p);
		if (serve) {
			feedback(&o, cm->pt, cm->fb);
			fmtp(&o, p, cm);
			if (whep) {
				uint32_t ssrc = m->kind == SDP_KIND_VIDEO ? l->ssrc_video : l->ssrc_audio;

				if (l->msid != NULL)
					line(&o, "a=msid:%s %s-%s", l->msid, l->msid, m->kind_name);
				line(&o, "a=ssrc:%u cname:%s", ssrc, l->cname);
			}
		}
		if ((int)i == c->tagged || (c->tagged < 0 && serve)) {
			line(&o, "a=candidate:1 1 udp 2130706431 %s %u typ host", ip, l->addr.port);
			line(&o, "a=end-of-candidates");
		}
	}
	if (o.full) {
		if (errlen > 0)
			snprintf(err, errlen, "the answer does not fit in %zu bytes", cap);
		if (cap > 0)
			buf[0] = '\0';
		return -SDP_E_ARG;
	}
	return (int)o.n;
}
