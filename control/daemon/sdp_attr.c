/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The a= lines srtpgw reads (sdp.h): ICE (RFC 8839), DTLS (RFC 8122,
 * RFC 4145), BUNDLE (RFC 8843), directions, mid, rtpmap, fmtp (H.264,
 * opus, RTX), rtcp-fb, extmap, ssrc and ssrc-group, candidates. Other
 * attributes are skipped. An attribute srtpgw reads that is malformed is
 * refused (SDP_E_SYNTAX); one that is too long for its field, SDP_E_LIMIT.
 * Messages name the attribute, never its value.
 */
#include <string.h>

#include "control/daemon/sdp_priv.h"

enum sdp_codec sdp_codec_by_name(struct sdp_word name)
{
	static const struct {
		const char *name;
		enum sdp_codec codec;
	} tab[] = {
		{ "H264", SDP_CODEC_H264 },     { "VP8", SDP_CODEC_VP8 },       { "VP9", SDP_CODEC_VP9 },
		{ "AV1", SDP_CODEC_AV1 },       { "H265", SDP_CODEC_H265 },     { "opus", SDP_CODEC_OPUS },
		{ "JPEG", SDP_CODEC_JPEG },     { "rtx", SDP_CODEC_RTX },       { "red", SDP_CODEC_RED },
		{ "ulpfec", SDP_CODEC_ULPFEC }, { "flexfec-03", SDP_CODEC_FLEXFEC },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (sdp_word_ieq(name, tab[i].name))
			return tab[i].codec;
	return SDP_CODEC_OTHER;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" */
static bool ice_chars(struct sdp_word w)
{
	for (size_t i = 0; i < w.n; i++) {
		char c = w.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	return true;
}

static struct sdp_transport *transport(struct sdp_parser *ps)
{
	return ps->m != NULL ? &ps->m->tr : &ps->o->tr;
}

static int ice_cred(struct sdp_parser *ps, struct sdp_word v, bool pwd)
{
	struct sdp_transport *tr = transport(ps);
	char *dst = pwd ? tr->pwd : tr->ufrag;
	const char *what = pwd ? "a=ice-pwd" : "a=ice-ufrag";
	size_t min = pwd ? SDP_PWD_MIN : SDP_UFRAG_MIN;

	if (dst[0] != '\0')
		return sdp_fail(ps, SDP_E_SYNTAX, "a second %s here", what);
	if (v.n < min || v.n > SDP_ICE_MAX || !ice_chars(v))
		return sdp_fail(ps, SDP_E_SYNTAX, "%s must be %zu..%d of A-Z a-z 0-9 + /", what, min,
				SDP_ICE_MAX);
	sdp_word_copy(v, dst, SDP_ICE_MAX + 1);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* a=fingerprint:<hash-func> <XX:XX:...> */
static int fingerprint(struct sdp_parser *ps, struct sdp_word v)
{
	static const struct {
		const char *name;
		enum sdp_fp_hash hash;
		uint8_t len;
	} tab[] = {
		{ "sha-1", SDP_FP_SHA1, 20 },     { "sha-224", SDP_FP_SHA224, 28 },
		{ "sha-256", SDP_FP_SHA256, 32 }, { "sha-384", SDP_FP_SHA384, 48 },
		{ "sha-512", SDP_FP_SHA512, 64 },
	};
	struct sdp_transport *tr = transport(ps);
	struct sdp_fingerprint fp;
	struct sdp_word hash, hex, extra;
	size_t want = 0;

	memset(&fp, 0, sizeof(fp)); /* whole structs: offers are compared bytewise (fuzz_sdp) */

	if (!sdp_next_word(&v, &hash) || !sdp_next_word(&v, &hex) || sdp_next_word(&v, &extra))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=fingerprint needs a hash function and a value");
	if (!sdp_is_token(hash))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=fingerprint: the hash function is not a token");
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (sdp_word_ieq(hash, tab[i].name)) {
			fp.hash = (uint8_t)tab[i].hash;
			want = tab[i].len;
		}
	}
	/* XX:XX:...: 3n - 1 characters for n bytes */
	if (hex.n % 3 != 2 || hex.n > 3 * SDP_FP_MAX - 1)
		return sdp_fail(ps, SDP_E_SYNTAX, "a=fingerprint: the value is not hex bytes joined by :");
	for (size_t i = 0; i < hex.n; i += 3) {
		int hi = hexval(hex.p[i]), lo = hexval(hex.p[i + 1]);

		if (hi < 0 || lo < 0 || (i + 2 < hex.n && hex.p[i + 2] != ':'))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=fingerprint: the value is not hex bytes joined by :");
		fp.fp[fp.len++] = (uint8_t)(hi << 4 | lo);
	}
	if (want != 0 && fp.len != want)
		return sdp_fail(ps, SDP_E_SYNTAX, "a=fingerprint: %zu bytes, the hash function has %zu",
				(size_t)fp.len, want);
	if (want == 0)
		fp.len = 0; /* another hash function: kept by name only */
	if (tr->n_fp_seen < 255)
		tr->n_fp_seen++;
	if (tr->n_fp < SDP_MAX_FP) {
		tr->fp[tr->n_fp++] = fp;
	} else if (fp.hash == SDP_FP_SHA256) {
		/* the one srtpgw needs is kept, in place of the last of another hash */
		for (int i = SDP_MAX_FP - 1; i >= 0; i--) {
			if (tr->fp[i].hash != SDP_FP_SHA256) {
				tr->fp[i] = fp;
				break;
			}
		}
	}
	return 0;
}

static int setup(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_transport *tr = transport(ps);

	if (tr->setup != SDP_SETUP_NONE)
		return sdp_fail(ps, SDP_E_SYNTAX, "a second a=setup here");
	if (sdp_word_eq(v, "actpass"))
		tr->setup = SDP_SETUP_ACTPASS;
	else if (sdp_word_eq(v, "active"))
		tr->setup = SDP_SETUP_ACTIVE;
	else if (sdp_word_eq(v, "passive"))
		tr->setup = SDP_SETUP_PASSIVE;
	else if (sdp_word_eq(v, "holdconn"))
		tr->setup = SDP_SETUP_HOLDCONN;
	else
		return sdp_fail(ps, SDP_E_SYNTAX, "a=setup is not actpass, active, passive or holdconn");
	return 0;
}

static int direction(struct sdp_parser *ps, enum sdp_dir d)
{
	bool *seen = ps->m != NULL ? &ps->m_has_dir[ps->m - ps->o->media] : &ps->has_dir;

	if (*seen)
		return sdp_fail(ps, SDP_E_SYNTAX, "a second direction attribute here");
	*seen = true;
	if (ps->m != NULL)
		ps->m->dir = (uint8_t)d;
	else
		ps->o->dir = (uint8_t)d;
	return 0;
}

/* a=group:BUNDLE <mid> ...; other semantics (LS, FID) are not read. */
static int group(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_word sem, mid;

	if (!sdp_next_word(&v, &sem) || !sdp_is_token(sem))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=group needs a semantics token");
	if (!sdp_word_eq(sem, "BUNDLE"))
		return 0;
	if (++ps->o->n_bundle_groups > 1)
		return 0; /* only the first BUNDLE group is served */
	ps->group_line = ps->line;
	while (sdp_next_word(&v, &mid)) {
		if (!sdp_is_token(mid))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=group:BUNDLE: a mid is not a token");
		if (ps->n_group == SDP_MAX_GROUP)
			return sdp_fail(ps, SDP_E_LIMIT, "a=group:BUNDLE with more than %d mids", SDP_MAX_GROUP);
		if (!sdp_word_copy(mid, ps->group[ps->n_group], sizeof(ps->group[0])))
			return sdp_fail(ps, SDP_E_LIMIT, "a=group:BUNDLE: a mid longer than %d characters",
					SDP_MID_MAX);
		ps->n_group++;
	}
	return 0;
}

static int mid(struct sdp_parser *ps, struct sdp_word v)
{
	if (ps->m->mid[0] != '\0')
		return sdp_fail(ps, SDP_E_SYNTAX, "a second a=mid in media section %d",
				(int)(ps->m - ps->o->media) + 1);
	if (!sdp_is_token(v))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=mid is not a token");
	if (!sdp_word_copy(v, ps->m->mid, sizeof(ps->m->mid)))
		return sdp_fail(ps, SDP_E_LIMIT, "a=mid longer than %d characters", SDP_MID_MAX);
	return 0;
}

/* "<pt> <rest>": the payload type's entry, NULL (and 0) for a payload type
 * the m= line does not list (ignored), or an error. */
static int pt_prefix(struct sdp_parser *ps, const char *what, struct sdp_word *v, struct sdp_pt **p)
{
	struct sdp_word w;
	uint32_t x;

	*p = NULL;
	if (!sdp_next_word(v, &w) || !sdp_word_u32(w, 127, &x))
		return sdp_fail(ps, SDP_E_SYNTAX, "%s: the payload type is not a number of 0..127", what);
	*p = sdp_find_pt(ps, x);
	return 0;
}

/* a=rtpmap:<pt> <name>/<clock>[/<channels>] */
static int rtpmap(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_word enc, name, rest, clock, chans;
	struct sdp_pt *p;
	uint32_t x;
	int rc = pt_prefix(ps, "a=rtpmap", &v, &p);

	if (rc != 0)
		return rc;
	if (!sdp_next_word(&v, &enc) || sdp_next_word(&v, &rest))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=rtpmap needs <pt> <name>/<clock>");
	if (!sdp_word_split(enc, '/', &name, &rest))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=rtpmap needs <name>/<clock>");
	chans.n = 0;
	if (!sdp_word_split(rest, '/', &clock, &chans))
		clock = rest;
	if (!sdp_is_token(name))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=rtpmap: the encoding name is not a token");
	if (!sdp_word_u32(clock, UINT32_MAX, &x) || x == 0)
		return sdp_fail(ps, SDP_E_SYNTAX, "a=rtpmap: the clock rate is not a positive number");
	if (p == NULL)
		return 0;
	if (p->has_rtpmap)
		return sdp_fail(ps, SDP_E_SYNTAX, "a second a=rtpmap for payload type %u", p->pt);
	if (!sdp_word_copy(name, p->name, sizeof(p->name)))
		return sdp_fail(ps, SDP_E_LIMIT, "a=rtpmap: encoding name longer than %d characters",
				SDP_NAME_MAX);
	p->clock = x;
	p->channels = 0;
	if (chans.n > 0) {
		if (!sdp_word_u32(chans, 255, &x) || x == 0)
			return sdp_fail(ps, SDP_E_SYNTAX, "a=rtpmap: the channels are not a number of 1..255");
		p->channels = (uint8_t)x;
	}
	p->has_rtpmap = true;
	p->codec = (uint8_t)sdp_codec_by_name(name);
	return 0;
}

static int fmtp_param(struct sdp_parser *ps, struct sdp_pt *p, struct sdp_word key, struct sdp_word val)
{
	uint32_t x;

	if (sdp_word_ieq(key, "profile-level-id")) {
		uint32_t plid = 0;

		if (val.n != 6)
			return sdp_fail(ps, SDP_E_SYNTAX, "a=fmtp: profile-level-id is not 6 hex digits");
		for (size_t i = 0; i < 6; i++) {
			int h = hexval(val.p[i]);

			if (h < 0)
				return sdp_fail(ps, SDP_E_SYNTAX, "a=fmtp: profile-level-id is not 6 hex digits");
			plid = plid << 4 | (uint32_t)h;
		}
		p->plid = plid;
		p->has_plid = true;
	} else if (sdp_word_ieq(key, "packetization-mode")) {
		if (!sdp_word_u32(val, 2, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=fmtp: packetization-mode is not 0, 1 or 2");
		p->pmode = (int8_t)x;
	} else if (sdp_word_ieq(key, "level-asymmetry-allowed")) {
		if (!sdp_word_u32(val, 1, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=fmtp: level-asymmetry-allowed is not 0 or 1");
		p->level_asym = x == 1;
	} else if (sdp_word_ieq(key, "apt")) {
		if (!sdp_word_u32(val, 127, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=fmtp: apt is not a payload type of 0..127");
		p->apt = (int16_t)x;
	} else if (sdp_word_ieq(key, "useinbandfec")) {
		if (!sdp_word_u32(val, 1, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=fmtp: useinbandfec is not 0 or 1");
		p->useinbandfec = x == 1;
	} else if (sdp_word_ieq(key, "stereo")) {
		if (!sdp_word_u32(val, 1, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=fmtp: stereo is not 0 or 1");
		p->stereo = x == 1;
	} else if (sdp_word_ieq(key, "minptime")) {
		if (!sdp_word_u32(val, 120, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=fmtp: minptime is not a number of 0..120");
		p->minptime = (uint8_t)x;
	}
	return 0;
}

/* a=fmtp:<pt> <k>=<v>;<k>=<v>... (other forms, e.g. RED's "111/111", are
 * not read) */
static int fmtp(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_pt *p;
	int rc = pt_prefix(ps, "a=fmtp", &v, &p);

	if (rc != 0)
		return rc;
	while (v.n > 0 && v.p[0] == ' ') {
		v.p++;
		v.n--;
	}
	if (v.n == 0)
		return sdp_fail(ps, SDP_E_SYNTAX, "a=fmtp needs <pt> <parameters>");
	if (p == NULL)
		return 0;
	if (p->has_fmtp)
		return sdp_fail(ps, SDP_E_SYNTAX, "a second a=fmtp for payload type %u", p->pt);
	p->has_fmtp = true;
	while (v.n > 0) {
		struct sdp_word param, key, val;

		if (!sdp_word_split(v, ';', &param, &v)) {
			param = v;
			v.n = 0;
		}
		while (param.n > 0 && param.p[0] == ' ') {
			param.p++;
			param.n--;
		}
		while (param.n > 0 && param.p[param.n - 1] == ' ')
			param.n--;
		if (!sdp_word_split(param, '=', &key, &val))
			continue;
		rc = fmtp_param(ps, p, key, val);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* a=rtcp-fb:<pt>|* <type> [<param>] */
static int rtcp_fb(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_word ptw, type, param = { NULL, 0 };
	uint32_t *dst, bit = 0, x;
	struct sdp_pt *p;

	if (!sdp_next_word(&v, &ptw) || !sdp_next_word(&v, &type))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=rtcp-fb needs <pt> <type>");
	sdp_next_word(&v, &param);
	if (sdp_word_eq(ptw, "*")) {
		dst = &ps->m->fb_all;
	} else {
		if (!sdp_word_u32(ptw, 127, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=rtcp-fb: the payload type is not * or 0..127");
		p = sdp_find_pt(ps, x);
		if (p == NULL)
			return 0;
		dst = &p->fb;
	}
	if (sdp_word_eq(type, "nack"))
		bit = param.n == 0 ? SDP_FB_NACK : sdp_word_eq(param, "pli") ? SDP_FB_PLI : 0;
	else if (sdp_word_eq(type, "ccm"))
		bit = sdp_word_eq(param, "fir") ? SDP_FB_FIR : 0;
	else if (sdp_word_eq(type, "goog-remb"))
		bit = SDP_FB_REMB;
	else if (sdp_word_eq(type, "transport-cc"))
		bit = SDP_FB_TWCC;
	*dst |= bit;
	return 0;
}

/* a=extmap:<id>[/<direction>] <URI> [<attributes>] */
static int extmap(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_media *m = ps->m;
	struct sdp_word idw, uri, id, dir;
	struct sdp_extmap e;
	uint32_t x;

	memset(&e, 0, sizeof(e));

	if (!sdp_next_word(&v, &idw) || !sdp_next_word(&v, &uri))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=extmap needs <id> <URI>");
	if (sdp_word_split(idw, '/', &id, &dir)) {
		if (sdp_word_eq(dir, "sendonly"))
			e.dir = SDP_DIR_SENDONLY;
		else if (sdp_word_eq(dir, "recvonly"))
			e.dir = SDP_DIR_RECVONLY;
		else if (sdp_word_eq(dir, "inactive"))
			e.dir = SDP_DIR_INACTIVE;
		else if (!sdp_word_eq(dir, "sendrecv"))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=extmap: the direction is not a direction");
	} else {
		id = idw;
	}
	/* RFC 8285: 1..14 (one-byte headers), 16..255 (two-byte) */
	if (!sdp_word_u32(id, 255, &x) || x == 0 || x == 15)
		return sdp_fail(ps, SDP_E_SYNTAX, "a=extmap: the id is not 1..14 or 16..255");
	for (unsigned i = 0; i < m->n_extmap; i++)
		if (m->extmap[i].id == x)
			return sdp_fail(ps, SDP_E_SYNTAX, "a=extmap: id %u mapped twice", x);
	e.id = (uint8_t)x;
	for (size_t i = 0; i < uri.n; i++)
		if ((unsigned char)uri.p[i] <= 0x20 || (unsigned char)uri.p[i] >= 0x7f)
			return sdp_fail(ps, SDP_E_SYNTAX, "a=extmap: the URI has a character URIs may not have");
	sdp_word_copy(uri, e.uri, sizeof(e.uri)); /* too long: "" */
	if (m->n_extmap_seen < UINT16_MAX)
		m->n_extmap_seen++;
	if (m->n_extmap < SDP_MAX_EXTMAP)
		m->extmap[m->n_extmap++] = e;
	return 0;
}

static struct sdp_ssrc *ssrc_entry(struct sdp_media *m, uint32_t ssrc)
{
	for (unsigned i = 0; i < m->n_ssrc; i++)
		if (m->ssrc[i].ssrc == ssrc)
			return &m->ssrc[i];
	if (m->n_ssrc == SDP_MAX_SSRC) {
		m->ssrc_more = true;
		return NULL;
	}
	m->ssrc[m->n_ssrc].ssrc = ssrc;
	return &m->ssrc[m->n_ssrc++];
}

/* a=ssrc:<ssrc> <attribute>[:<value>] */
static int ssrc(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_word id, attr, name, val;
	struct sdp_ssrc *s;
	uint32_t x;

	if (!sdp_next_word(&v, &id) || !sdp_word_u32(id, UINT32_MAX, &x))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=ssrc: the SSRC is not a number of 0..2^32-1");
	if (!sdp_next_word(&v, &attr))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=ssrc needs <ssrc> <attribute>");
	if (!sdp_word_split(attr, ':', &name, &val)) {
		name = attr;
		val.n = 0;
	}
	if (!sdp_is_token(name))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=ssrc: the attribute is not a token");
	s = ssrc_entry(ps->m, x);
	if (s == NULL || !sdp_word_eq(name, "cname") || s->cname[0] != '\0')
		return 0;
	/* kept when short and printable, for the report only */
	for (size_t i = 0; i < val.n; i++)
		if ((unsigned char)val.p[i] < 0x21 || (unsigned char)val.p[i] > 0x7e)
			return 0;
	sdp_word_copy(val, s->cname, sizeof(s->cname));
	return 0;
}

/* a=ssrc-group:<semantics> <ssrc> ... */
static int ssrc_group(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_media *m = ps->m;
	struct sdp_ssrc_group g;
	struct sdp_word sem, id;
	uint32_t x;

	memset(&g, 0, sizeof(g));

	if (!sdp_next_word(&v, &sem) || !sdp_is_token(sem))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=ssrc-group needs a semantics token");
	sdp_word_copy(sem, g.semantics, sizeof(g.semantics)); /* too long: "" */
	while (sdp_next_word(&v, &id)) {
		if (!sdp_word_u32(id, UINT32_MAX, &x))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=ssrc-group: an SSRC is not a number of 0..2^32-1");
		if (g.n < SDP_MAX_SSRC_IN_GROUP)
			g.ssrc[g.n++] = x;
	}
	if (g.n == 0)
		return sdp_fail(ps, SDP_E_SYNTAX, "a=ssrc-group without SSRCs");
	if (m->n_ssrc_group < SDP_MAX_SSRC_GROUP)
		m->ssrc_group[m->n_ssrc_group++] = g;
	return 0;
}

/* a=candidate:<foundation> <component> <transport> <priority> <address>
 * <port> typ <type> [extensions]: kept for the report (ICE-lite needs
 * none of the peer's). */
static int candidate(struct sdp_parser *ps, struct sdp_word v)
{
	struct sdp_media *m = ps->m;
	struct sdp_candidate c;
	struct sdp_word f[8];
	uint32_t x;

	memset(&c, 0, sizeof(c));

	for (unsigned i = 0; i < 8; i++)
		if (!sdp_next_word(&v, &f[i]))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=candidate needs 8 fields");
	if (f[0].n > 32 || !ice_chars(f[0]))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=candidate: the foundation is not 1..32 ice-chars");
	if (!sdp_word_u32(f[1], 256, &x) || x == 0)
		return sdp_fail(ps, SDP_E_SYNTAX, "a=candidate: the component is not 1..256");
	c.component = (uint16_t)x;
	if (!sdp_is_token(f[2]))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=candidate: the transport is not a token");
	c.udp = sdp_word_ieq(f[2], "udp");
	if (!sdp_word_u32(f[3], UINT32_MAX, &x))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=candidate: the priority is not a number");
	c.priority = x;
	for (size_t i = 0; i < f[4].n; i++) {
		char ch = f[4].p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == ':' || ch == '-'))
			return sdp_fail(ps, SDP_E_SYNTAX, "a=candidate: the address is not an address or a name");
	}
	if (!sdp_word_u32(f[5], 65535, &x))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=candidate: the port is not 0..65535");
	c.port = (uint16_t)x;
	if (!sdp_word_eq(f[6], "typ"))
		return sdp_fail(ps, SDP_E_SYNTAX, "a=candidate: no typ");
	c.type = sdp_word_eq(f[7], "host")    ? SDP_CAND_HOST
		 : sdp_word_eq(f[7], "srflx") ? SDP_CAND_SRFLX
		 : sdp_word_eq(f[7], "prflx") ? SDP_CAND_PRFLX
		 : sdp_word_eq(f[7], "relay") ? SDP_CAND_RELAY
					      : SDP_CAND_OTHER;
	if (m->n_cand_seen < UINT16_MAX)
		m->n_cand_seen++;
	if (m->n_cand < SDP_MAX_CAND && sdp_word_copy(f[4], c.addr, sizeof(c.addr)))
		m->cand[m->n_cand++] = c;
	return 0;
}

static int flag(struct sdp_parser *ps, bool *b, bool has_value)
{
	(void)ps;
	(void)has_value; /* a value on a property attribute is ignored */
	*b = true;
	return 0;
}

int sdp_attr(struct sdp_parser *ps, struct sdp_word name, struct sdp_word value, bool has_value)
{
	struct sdp_media *m = ps->m;

	if (!sdp_is_token(name))
		return sdp_fail(ps, SDP_E_SYNTAX, "the attribute name is not a token");
	/* session or media level */
	if (sdp_word_eq(name, "ice-ufrag"))
		return ice_cred(ps, value, false);
	if (sdp_word_eq(name, "ice-pwd"))
		return ice_cred(ps, value, true);
	if (sdp_word_eq(name, "fingerprint"))
		return fingerprint(ps, value);
	if (sdp_word_eq(name, "setup"))
		return setup(ps, value);
	if (sdp_word_eq(name, "sendrecv"))
		return direction(ps, SDP_DIR_SENDRECV);
	if (sdp_word_eq(name, "sendonly"))
		return direction(ps, SDP_DIR_SENDONLY);
	if (sdp_word_eq(name, "recvonly"))
		return direction(ps, SDP_DIR_RECVONLY);
	if (sdp_word_eq(name, "inactive"))
		return direction(ps, SDP_DIR_INACTIVE);
	if (m == NULL) {
		if (sdp_word_eq(name, "ice-lite"))
			return flag(ps, &ps->o->ice_lite, has_value);
		if (sdp_word_eq(name, "group"))
			return group(ps, value);
		return 0; /* a media attribute at session level is not read */
	}
	if (sdp_word_eq(name, "mid"))
		return mid(ps, value);
	if (sdp_word_eq(name, "rtcp-mux"))
		return flag(ps, &m->rtcp_mux, has_value);
	if (sdp_word_eq(name, "rtcp-mux-only"))
		return flag(ps, &m->rtcp_mux_only, has_value);
	if (sdp_word_eq(name, "rtcp-rsize"))
		return flag(ps, &m->rtcp_rsize, has_value);
	if (sdp_word_eq(name, "bundle-only"))
		return flag(ps, &m->bundle_only, has_value);
	if (sdp_word_eq(name, "end-of-candidates"))
		return flag(ps, &m->end_of_candidates, has_value);
	if (sdp_word_eq(name, "candidate"))
		return candidate(ps, value);
	if (!m->rtp)
		return 0; /* payload types, SSRCs and header extensions are RTP's */
	if (sdp_word_eq(name, "rtpmap"))
		return rtpmap(ps, value);
	if (sdp_word_eq(name, "fmtp"))
		return fmtp(ps, value);
	if (sdp_word_eq(name, "rtcp-fb"))
		return rtcp_fb(ps, value);
	if (sdp_word_eq(name, "extmap"))
		return extmap(ps, value);
	if (sdp_word_eq(name, "ssrc"))
		return ssrc(ps, value);
	if (sdp_word_eq(name, "ssrc-group"))
		return ssrc_group(ps, value);
	return 0;
}
