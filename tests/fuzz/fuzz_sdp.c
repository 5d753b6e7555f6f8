/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_sdp: the SDP module (control/daemon/sdp.h) on arbitrary offers:
 * parse, choose, answer, and parse the answer again.
 *
 * Input: byte 0 = flags (what srtpgw wants: the role and codecs, the
 * feedback it supports, IPv4 or IPv6, a short answer buffer), the rest =
 * the offer. The offer is parsed where libFuzzer put it (a block of
 * exactly its size, no NUL: ASan sees any read past it).
 *
 * Invariants checked: every refusal has a code of its step and one line of
 * message within the buffer, which does not repeat the offer's ice-pwd;
 * parsing is deterministic; what the parser reports stays within its
 * bounds (media, payload types distinct and 0..127, mids unique, the
 * BUNDLE group's indices distinct and real, ICE credentials of the sizes
 * RFC 8839 allows, fingerprints of their hash's length); a choice serves
 * only a section of the right kind and direction with a payload type of
 * it, tags a kept section of the group that has a port, and names the
 * peer's sha-256 fingerprint and ufrag; the answer always fits
 * SDP_ANSWER_MAX, is CRLF text that parses again, with the offer's mids,
 * kinds and protos in order, srtpgw's port on kept sections and 0 on
 * rejected ones, one payload type (the chosen one) per kept section and
 * the direction srtpgw's role gives; with a buffer too short by any
 * amount, -SDP_E_ARG and an empty string.
 */
#include "control/daemon/sdp.h"
#include "api/addr.h"
#include "fuzz_common.h"

static struct sdp_offer offer, again, reparsed;

static struct {
	uint64_t inputs, parse_err[SDP_E_ARG + 1], choose_err[SDP_E_ARG + 1], answers, short_buffers;
	uint64_t served, inactive, rejected;
} st;

static void fz_summary(void)
{
	fprintf(stderr, "fuzz_sdp: %llu inputs; parse refused: syntax %llu too_large %llu limit %llu; "
		"choose refused: proto %llu ice %llu fingerprint %llu setup %llu rtcp_mux %llu bundle %llu "
		"no_media %llu no_codec %llu; %llu answers parsed back (%llu sections served, %llu inactive, "
		"%llu rejected), %llu short buffers refused\n",
		(unsigned long long)st.inputs, (unsigned long long)st.parse_err[SDP_E_SYNTAX],
		(unsigned long long)st.parse_err[SDP_E_TOO_LARGE], (unsigned long long)st.parse_err[SDP_E_LIMIT],
		(unsigned long long)st.choose_err[SDP_E_PROTO], (unsigned long long)st.choose_err[SDP_E_ICE],
		(unsigned long long)st.choose_err[SDP_E_FINGERPRINT], (unsigned long long)st.choose_err[SDP_E_SETUP],
		(unsigned long long)st.choose_err[SDP_E_RTCP_MUX], (unsigned long long)st.choose_err[SDP_E_BUNDLE],
		(unsigned long long)st.choose_err[SDP_E_NO_MEDIA], (unsigned long long)st.choose_err[SDP_E_NO_CODEC],
		(unsigned long long)st.answers, (unsigned long long)st.served, (unsigned long long)st.inactive,
		(unsigned long long)st.rejected, (unsigned long long)st.short_buffers);
}

static bool verbose(void)
{
	static int v = -1;

	if (v < 0)
		v = getenv("SGW_FUZZ_VERBOSE") != NULL;
	return v;
}

static bool ice_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
	       c == '/';
}

/* One line, within the buffer, that does not repeat an ice-pwd of the
 * offer: the value of an a=ice-pwd line the parser would take (22 or more
 * ice-chars to the end of the line; shorter strings are found in any
 * message: "n-mode=1" once was). */
static void check_message(const char *err, size_t errlen, const uint8_t *text, size_t len)
{
	size_t n = strnlen(err, errlen);

	FZ_CHECK(n > 0 && n < errlen, "message of %zu bytes", n);
	for (size_t i = 0; i < n; i++)
		FZ_CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f, "control character in \"%s\"", err);
	for (size_t i = 0; i + 10 < len; i++) {
		char pwd[SDP_ICE_MAX + 1];
		size_t k = 0, j = i + 10;

		if ((i > 0 && text[i - 1] != '\n') || memcmp(text + i, "a=ice-pwd:", 10) != 0)
			continue;
		while (j < len && k < SDP_ICE_MAX && ice_char(text[j]))
			pwd[k++] = (char)text[j++];
		pwd[k] = '\0';
		if (k >= SDP_PWD_MIN && (j == len || text[j] == '\r' || text[j] == '\n'))
			FZ_CHECK(strstr(err, pwd) == NULL, "the message repeats an ice-pwd: %s", err);
	}
}

static bool ice_chars(const char *s)
{
	for (; *s; s++)
		if (!ice_char((uint8_t)*s))
			return false;
	return true;
}

static void check_transport(const struct sdp_transport *tr)
{
	static const uint8_t lens[] = { 0, 20, 28, 32, 48, 64 };
	size_t u = strlen(tr->ufrag), p = strlen(tr->pwd);

	FZ_CHECK(u == 0 || (u >= SDP_UFRAG_MIN && u <= SDP_ICE_MAX && ice_chars(tr->ufrag)), "ufrag");
	FZ_CHECK(p == 0 || (p >= SDP_PWD_MIN && p <= SDP_ICE_MAX && ice_chars(tr->pwd)), "pwd");
	FZ_CHECK(tr->setup <= SDP_SETUP_HOLDCONN, "setup %u", tr->setup);
	FZ_CHECK(tr->n_fp <= SDP_MAX_FP && tr->n_fp <= tr->n_fp_seen, "fingerprints %u/%u", tr->n_fp,
		 tr->n_fp_seen);
	for (unsigned i = 0; i < tr->n_fp; i++)
		FZ_CHECK(tr->fp[i].hash <= SDP_FP_SHA512 && tr->fp[i].len == lens[tr->fp[i].hash],
			 "fingerprint %u: hash %u len %u", i, tr->fp[i].hash, tr->fp[i].len);
}

/* What a parsed offer (or answer) guarantees. */
static void check_offer(const struct sdp_offer *o)
{
	FZ_CHECK(o->n_media <= SDP_MAX_MEDIA, "%u media", o->n_media);
	FZ_CHECK(o->n_bundle <= o->n_media && o->n_bundle <= SDP_MAX_GROUP, "bundle of %u", o->n_bundle);
	FZ_CHECK(o->n_bundle == 0 || o->n_bundle_groups >= 1, "bundle without a group");
	check_transport(&o->tr);
	for (unsigned k = 0; k < o->n_bundle; k++) {
		FZ_CHECK(o->bundle[k] < o->n_media && o->media[o->bundle[k]].mid[0] != '\0', "bundle[%u]", k);
		for (unsigned j = 0; j < k; j++)
			FZ_CHECK(o->bundle[j] != o->bundle[k], "bundle twice");
	}
	for (unsigned i = 0; i < o->n_media; i++) {
		const struct sdp_media *m = &o->media[i];

		check_transport(&m->tr);
		FZ_CHECK(m->kind <= SDP_KIND_APPLICATION && m->dir <= SDP_DIR_INACTIVE, "kind/dir");
		FZ_CHECK(m->kind_name[0] != '\0' && m->proto[0] != '\0' && m->fmt0[0] != '\0', "m= fields");
		FZ_CHECK(m->rtp || m->n_pt == 0, "payload types on a non-RTP section");
		FZ_CHECK(!m->rtp || m->n_pt >= 1, "an RTP section without payload types");
		FZ_CHECK(m->n_extmap <= SDP_MAX_EXTMAP && m->n_extmap <= m->n_extmap_seen, "extmap");
		FZ_CHECK(m->n_ssrc <= SDP_MAX_SSRC && m->n_ssrc_group <= SDP_MAX_SSRC_GROUP, "ssrc");
		FZ_CHECK(m->n_cand <= SDP_MAX_CAND && m->n_cand <= m->n_cand_seen, "candidates");
		for (unsigned j = 0; j < i; j++)
			FZ_CHECK(m->mid[0] == '\0' || strcmp(m->mid, o->media[j].mid) != 0, "mid twice");
		for (unsigned k = 0; k < m->n_pt; k++) {
			const struct sdp_pt *p = &m->pt[k];

			FZ_CHECK(p->pt <= 127 && p->codec <= SDP_CODEC_OTHER, "pt %u codec %u", p->pt, p->codec);
			FZ_CHECK(p->apt >= -1 && p->apt <= 127 && p->pmode >= -1 && p->pmode <= 2, "fmtp");
			FZ_CHECK(!p->has_rtpmap || (p->clock > 0 && p->name[0] != '\0'), "rtpmap");
			for (unsigned j = 0; j < k; j++)
				FZ_CHECK(m->pt[j].pt != p->pt, "payload type %u twice", p->pt);
		}
		for (unsigned k = 0; k < m->n_extmap; k++)
			FZ_CHECK(m->extmap[k].id >= 1 && m->extmap[k].id != 15, "extmap id");
	}
}

static const struct sdp_media *media_of(const struct sdp_offer *o, int i)
{
	FZ_CHECK(i >= 0 && i < o->n_media, "media index %d", i);
	return &o->media[i];
}

static bool has_pt(const struct sdp_media *m, uint8_t pt)
{
	for (unsigned k = 0; k < m->n_pt; k++)
		if (m->pt[k].pt == pt)
			return true;
	return false;
}

static void check_choice(const struct sdp_offer *o, const struct sdp_want *w, const struct sdp_choice *c)
{
	const struct sdp_transport *tr;
	bool sha256 = false;
	int n_served = 0;

	FZ_CHECK(c->n_media == o->n_media && c->role == w->role, "choice header");
	FZ_CHECK(c->video >= 0 || c->audio >= 0, "nothing served");
	if (c->video >= 0)
		FZ_CHECK(media_of(o, c->video)->kind == SDP_KIND_VIDEO, "video served from another kind");
	if (c->audio >= 0)
		FZ_CHECK(media_of(o, c->audio)->kind == SDP_KIND_AUDIO, "audio served from another kind");
	for (int i = 0; i < c->n_media; i++) {
		const struct sdp_choice_media *cm = &c->media[i];
		const struct sdp_media *m = &o->media[i];

		if (cm->mode == SDP_SERVE) {
			n_served++;
			FZ_CHECK(i == c->video || i == c->audio, "served %d is neither", i);
			FZ_CHECK(m->rtp && m->dtls_srtp && m->rtcp_mux && has_pt(m, cm->pt), "served %d", i);
			FZ_CHECK(m->dir == SDP_DIR_SENDRECV ||
					 m->dir == (w->role == SDP_WHEP ? SDP_DIR_RECVONLY : SDP_DIR_SENDONLY),
				 "served %d in direction %u", i, m->dir);
			FZ_CHECK(cm->codec == SDP_CODEC_H264 || cm->codec == SDP_CODEC_VP8 ||
					 cm->codec == SDP_CODEC_OPUS,
				 "codec %u", cm->codec);
			FZ_CHECK((cm->fb & ~w->fb) == 0 && (cm->fb & ~cm->fb_offered) == 0, "feedback");
			FZ_CHECK(cm->rtx_pt == -1 || has_pt(m, (uint8_t)cm->rtx_pt), "rtx");
			st.served++;
		} else if (cm->mode == SDP_INACTIVE) {
			FZ_CHECK(c->tagged >= 0 && m->rtp && has_pt(m, cm->pt), "inactive %d", i);
			st.inactive++;
		} else {
			FZ_CHECK(cm->mode == SDP_REJECT, "mode %u", cm->mode);
			st.rejected++;
		}
	}
	FZ_CHECK(n_served == (c->video >= 0) + (c->audio >= 0), "served %d", n_served);
	if (c->tagged >= 0) {
		bool in = false;

		for (unsigned k = 0; k < o->n_bundle; k++)
			in = in || o->bundle[k] == (unsigned)c->tagged;
		FZ_CHECK(in && c->media[c->tagged].mode != SDP_REJECT && o->media[c->tagged].port != 0, "tagged");
		tr = &o->media[c->tagged].tr;
	} else {
		FZ_CHECK(n_served == 1, "%d served without BUNDLE", n_served);
		tr = &o->media[c->video >= 0 ? c->video : c->audio].tr;
	}
	FZ_CHECK(tr->ufrag[0] != '\0' && tr->pwd[0] != '\0' && !o->ice_lite, "ICE");
	FZ_CHECK(strcmp(tr->ufrag, c->remote_ufrag) == 0, "remote ufrag");
	for (unsigned k = 0; k < tr->n_fp; k++)
		sha256 = sha256 || (tr->fp[k].hash == SDP_FP_SHA256 && memcmp(tr->fp[k].fp, c->remote_fp, 32) == 0);
	FZ_CHECK(sha256, "remote fingerprint");
	FZ_CHECK(c->remote_setup == SDP_SETUP_NONE || c->remote_setup == SDP_SETUP_ACTPASS ||
			 c->remote_setup == SDP_SETUP_ACTIVE,
		 "setup %u", c->remote_setup);
}

static void check_answer(const struct sdp_offer *o, const struct sdp_choice *c, const struct sdp_local *l,
			 const char *ans, int len)
{
	char err[256];

	FZ_CHECK(len > 0 && (size_t)len < SDP_ANSWER_MAX && strlen(ans) == (size_t)len, "answer length %d", len);
	for (int i = 0; i < len; i++) {
		FZ_CHECK(ans[i] != '\n' || (i > 0 && ans[i - 1] == '\r'), "LF without CR at %d", i);
		FZ_CHECK(ans[i] != '\r' || ans[i + 1] == '\n', "CR without LF at %d", i);
	}
	FZ_CHECK(sdp_parse_offer(ans, (size_t)len, &reparsed, err, sizeof(err)) == 0, "our answer: %s\n%s", err, ans);
	check_offer(&reparsed);
	FZ_CHECK(reparsed.ice_lite && reparsed.tr.setup == SDP_SETUP_PASSIVE && reparsed.n_media == o->n_media,
		 "answer session");
	FZ_CHECK(strcmp(reparsed.tr.ufrag, l->ice_ufrag) == 0 && reparsed.tr.n_fp == 1 &&
			 memcmp(reparsed.tr.fp[0].fp, l->fingerprint, 32) == 0,
		 "answer transport");
	FZ_CHECK((reparsed.n_bundle > 0) == (c->tagged >= 0), "answer bundle");
	if (c->tagged >= 0)
		FZ_CHECK(reparsed.bundle[0] == (unsigned)c->tagged, "answer tag");
	for (unsigned i = 0; i < o->n_media; i++) {
		const struct sdp_media *am = &reparsed.media[i], *om = &o->media[i];
		const struct sdp_choice_media *cm = &c->media[i];

		FZ_CHECK(strcmp(am->mid, om->mid) == 0 && strcmp(am->kind_name, om->kind_name) == 0 &&
				 strcmp(am->proto, om->proto) == 0,
			 "section %u", i);
		if (cm->mode == SDP_REJECT) {
			FZ_CHECK(am->port == 0, "rejected %u has port %u", i, am->port);
			continue;
		}
		FZ_CHECK(am->port == l->addr.port && am->rtcp_mux && am->n_pt == 1 && am->pt[0].pt == cm->pt,
			 "kept %u", i);
		FZ_CHECK(am->dir == (cm->mode == SDP_INACTIVE ? SDP_DIR_INACTIVE
					 : c->role == SDP_WHEP  ? SDP_DIR_SENDONLY
								: SDP_DIR_RECVONLY),
			 "direction of %u", i);
		if (cm->mode == SDP_SERVE)
			FZ_CHECK(am->pt[0].fb == cm->fb, "feedback of %u", i);
	}
}

/* The want, from the flags' low 4 bits. */
static struct sdp_want want_of(uint8_t flags)
{
	static const uint32_t plids[4] = { 0x42e01f, 0x42001f, 0x640c1f, 0x4d0028 };
	struct sdp_want w = { .fb = (flags & 0x10) ? 0x1f : 0x07 };

	switch (flags & 7) {
	case 0: /* a viewer of an H.264 stream */
	case 1:
		w.role = SDP_WHEP;
		w.n_video = 1;
		w.video[0] = (struct sdp_codec_spec){ .codec = SDP_CODEC_H264, .plid = plids[(flags >> 5) & 3],
						      .pmode = (int8_t)((flags & 1) ? -1 : 1) };
		break;
	case 2:
		w.role = SDP_WHEP;
		w.n_video = 1;
		w.video[0].codec = SDP_CODEC_VP8;
		break;
	case 3:
		w.role = SDP_WHEP;
		w.n_audio = 1;
		w.audio[0].codec = SDP_CODEC_OPUS;
		break;
	case 4: /* a viewer of video and audio */
		w.role = SDP_WHEP;
		w.n_video = w.n_audio = 1;
		w.video[0].codec = SDP_CODEC_VP8;
		w.audio[0].codec = SDP_CODEC_OPUS;
		break;
	default: /* a camera */
		w.role = SDP_WHIP;
		w.n_video = 2;
		w.video[0] = (struct sdp_codec_spec){ .codec = SDP_CODEC_H264, .pmode = -1 };
		w.video[1].codec = SDP_CODEC_VP8;
		w.n_audio = (flags & 7) == 5 ? 1 : 0;
		w.audio[0].codec = SDP_CODEC_OPUS;
		break;
	}
	return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char ans[SDP_ANSWER_MAX], small[SDP_ANSWER_MAX];
	struct sdp_local l = {
		.ice_ufrag = "fUzZ",
		.ice_pwd = "fuzzfuzzfuzzfuzzfuzz+/",
		.session_id = 7,
		.session_version = 1,
		.cname = "fuzz",
		.ssrc_video = 1,
		.ssrc_audio = 2,
		.msid = "fuzz",
	};
	struct sdp_choice choice;
	struct sdp_want w;
	const uint8_t *text;
	char err[160];
	size_t len;
	uint8_t flags;
	int rc;

	if (size < 1 || size > SDP_MAX_TEXT + 16)
		return 0;
	st.inputs++;
	flags = data[0];
	text = data + 1;
	len = size - 1;
	for (unsigned i = 0; i < 32; i++)
		l.fingerprint[i] = (uint8_t)(i * 7 + flags);
	sgw_endpoint_parse((flags & 0x80) ? "[2001:db8::7]:40000" : "198.51.100.7:40000", &l.addr, false);

	rc = sdp_parse_offer((const char *)text, len, &offer, err, sizeof(err));
	if (rc != 0) {
		FZ_CHECK(rc == -SDP_E_SYNTAX || rc == -SDP_E_TOO_LARGE || rc == -SDP_E_LIMIT, "parse: %d", rc);
		FZ_CHECK(sdp_status(rc) == 400 || sdp_status(rc) == 413 || sdp_status(rc) == 422, "status");
		check_message(err, sizeof(err), text, len);
		st.parse_err[-rc]++;
		if (verbose())
			fprintf(stderr, "parse: %s\n", err);
		return 0;
	}
	check_offer(&offer);
	FZ_CHECK(sdp_parse_offer((const char *)text, len, &again, err, sizeof(err)) == 0 &&
			 memcmp(&offer, &again, sizeof(offer)) == 0,
		 "parsing is not deterministic");

	w = want_of(flags);
	rc = sdp_choose(&offer, &w, &choice, err, sizeof(err));
	if (rc != 0) {
		FZ_CHECK(rc <= -SDP_E_PROTO && rc >= -SDP_E_NO_CODEC, "choose: %d", rc);
		FZ_CHECK(sdp_status(rc) == 422, "status");
		check_message(err, sizeof(err), text, len);
		st.choose_err[-rc]++;
		if (verbose())
			fprintf(stderr, "choose: %s\n", err);
		sdp_offer_clear(&offer);
		return 0;
	}
	check_choice(&offer, &w, &choice);

	rc = sdp_answer(&offer, &choice, &l, ans, sizeof(ans), err, sizeof(err));
	FZ_CHECK(rc > 0, "no answer: %s", err);
	check_answer(&offer, &choice, &l, ans, rc);
	st.answers++;
	if (verbose())
		fprintf(stderr, "answer:\n%s", ans);

	/* a buffer short by 1..256 bytes: refused whole, nothing half-written */
	if (flags & 0x08) {
		size_t short_by = 1 + text[len / 2], cap = (size_t)rc + 1 > short_by ? (size_t)rc + 1 - short_by : 0;

		memset(small, 'x', sizeof(small));
		FZ_CHECK(sdp_answer(&offer, &choice, &l, small, cap, err, sizeof(err)) == -SDP_E_ARG, "short");
		FZ_CHECK(cap == 0 || small[0] == '\0', "a short buffer holds a partial answer");
		st.short_buffers++;
	}
	sdp_offer_clear(&offer);
	return 0;
}

#ifdef SGW_LIBFUZZER
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (getenv("SGW_FUZZ_STATS") != NULL)
		atexit(fz_summary);
	return 0;
}
#endif
