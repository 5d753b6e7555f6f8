/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SDP offer/answer for WHEP viewers and WHIP cameras (docs/webrtc.md,
 * "SDP"). Sans-I/O: text in, structs out, text out; no allocation, no
 * global state, nothing logged. Three steps:
 *
 *   sdp_parse_offer()  the offer's text (RFC 8866) into struct sdp_offer:
 *                      media sections with their payload types, rtpmap,
 *                      fmtp, rtcp-fb, extmap, ssrc, candidates, and the
 *                      ICE and DTLS attributes. Syntax only: 400/413.
 *   sdp_choose()       what srtpgw serves of it (struct sdp_choice): per
 *                      media section serve / inactive / reject, the payload
 *                      type and codec, the RTX payload type and feedback
 *                      offered for it, the BUNDLE tag and the peer's ICE
 *                      and DTLS parameters. Refusals: 422.
 *   sdp_answer()       the answer's text: ICE-lite, our credentials and
 *                      certificate fingerprint, setup:passive, rtcp-mux,
 *                      BUNDLE, one host candidate, the chosen codec only.
 *
 * Each returns 0 (sdp_answer: the answer's length) or -SDP_E_*, with one
 * line in err that names the problem and never repeats the offer's text
 * beyond short validated tokens (codec names, attribute names) and never
 * an ice-pwd. sdp_status() maps a code to the HTTP status to answer.
 *
 * The structs are fixed-size (struct sdp_offer is about 200 KiB: keep it
 * off small stacks); the offer's ice-pwd is in it: sdp_offer_clear() it.
 */
#ifndef SRTPGW_SDP_H
#define SRTPGW_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/srtpgw_agent.h"

/* Bounds. An offer past one is refused with SDP_E_TOO_LARGE (the text) or
 * SDP_E_LIMIT (the rest); what is only reported (candidates, ssrc, extmap,
 * fingerprints, ssrc groups) is kept up to its bound, the rest counted. */
#define SDP_MAX_TEXT 65536    /* bytes of the offer */
#define SDP_MAX_LINE 2048     /* bytes of one line, without its line break */
#define SDP_MAX_LINES 4096
#define SDP_MAX_MEDIA 16      /* media sections (m= lines) */
#define SDP_MAX_PT 128        /* payload types of one media section (all of 0..127) */
#define SDP_MAX_GROUP 16      /* mids in a=group:BUNDLE */
#define SDP_MAX_EXTMAP 16     /* kept per media section */
#define SDP_MAX_SSRC 16       /* kept per media section */
#define SDP_MAX_SSRC_GROUP 4  /* kept per media section */
#define SDP_MAX_SSRC_IN_GROUP 4
#define SDP_MAX_CAND 8        /* kept per media section */
#define SDP_MAX_FP 4          /* fingerprints kept per level */
#define SDP_MID_MAX 32        /* characters of a mid */
#define SDP_NAME_MAX 31       /* characters of a codec name */
#define SDP_PROTO_MAX 31      /* characters of an m= line's proto */
#define SDP_KIND_MAX 15       /* characters of an m= line's media */
#define SDP_URI_MAX 127       /* characters of an extmap URI kept */
#define SDP_CNAME_MAX 64      /* characters of a CNAME kept */
#define SDP_ADDR_MAX 63       /* characters of a candidate's address kept */
#define SDP_UFRAG_MIN 4       /* RFC 8839: ice-ufrag 4..256, ice-pwd 22..256 ice-chars */
#define SDP_PWD_MIN 22
#define SDP_ICE_MAX 256
#define SDP_FP_MAX 64         /* bytes of a fingerprint (sha-512) */
#define SDP_ANSWER_MAX 16384  /* enough for any answer to an offer within the bounds */

enum sdp_err {
	SDP_OK = 0,
	SDP_E_SYNTAX,       /* 400: not SDP, or an attribute srtpgw reads is malformed */
	SDP_E_TOO_LARGE,    /* 413: longer than SDP_MAX_TEXT */
	SDP_E_LIMIT,        /* 422: past another bound (lines, media, a field's length) */
	SDP_E_PROTO,        /* 422: the media section to serve is not DTLS-SRTP (UDP/TLS/RTP/SAVPF) */
	SDP_E_ICE,          /* 422: no ice-ufrag/ice-pwd, or the peer is ICE-lite too */
	SDP_E_FINGERPRINT,  /* 422: no sha-256 fingerprint */
	SDP_E_SETUP,        /* 422: a=setup neither actpass nor active (srtpgw is the DTLS server) */
	SDP_E_RTCP_MUX,     /* 422: a media section to serve has no a=rtcp-mux */
	SDP_E_BUNDLE,       /* 422: the media sections to serve are not in one BUNDLE group */
	SDP_E_NO_MEDIA,     /* 422: no media section of a wanted kind and direction */
	SDP_E_NO_CODEC,     /* 422: no codec in common */
	SDP_E_ARG,          /* 500: the caller's want or local is invalid, or the buffer too small */
};

/* The HTTP status for a code: 400, 413, 422 or 500 (200 for SDP_OK). */
int sdp_status(int code);
/* "syntax", "too_large", ..., for counters and logs. */
const char *sdp_err_name(int code);

enum sdp_kind { SDP_KIND_OTHER = 0, SDP_KIND_AUDIO, SDP_KIND_VIDEO, SDP_KIND_APPLICATION };

/* Directions are the offerer's: SDP_DIR_RECVONLY = the peer receives. */
enum sdp_dir { SDP_DIR_SENDRECV = 0, SDP_DIR_SENDONLY, SDP_DIR_RECVONLY, SDP_DIR_INACTIVE };

enum sdp_setup { SDP_SETUP_NONE = 0, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE,
		 SDP_SETUP_HOLDCONN };

/* Codecs by rtpmap name (case-insensitive); SDP_CODEC_OTHER for the rest. */
enum sdp_codec {
	SDP_CODEC_NONE = 0,
	SDP_CODEC_H264,
	SDP_CODEC_VP8,
	SDP_CODEC_VP9,
	SDP_CODEC_AV1,
	SDP_CODEC_H265,
	SDP_CODEC_OPUS,
	SDP_CODEC_JPEG,     /* never served: browsers do not decode it over WebRTC */
	SDP_CODEC_RTX,
	SDP_CODEC_RED,
	SDP_CODEC_ULPFEC,
	SDP_CODEC_FLEXFEC,
	SDP_CODEC_OTHER,
};
const char *sdp_codec_name(enum sdp_codec c);

/* RTCP feedback (a=rtcp-fb), as bits. */
#define SDP_FB_NACK 0x01u   /* nack: generic NACK (RFC 4585) */
#define SDP_FB_PLI 0x02u    /* nack pli */
#define SDP_FB_FIR 0x04u    /* ccm fir (RFC 5104) */
#define SDP_FB_REMB 0x08u   /* goog-remb */
#define SDP_FB_TWCC 0x10u   /* transport-cc */

enum sdp_fp_hash { SDP_FP_OTHER = 0, SDP_FP_SHA1, SDP_FP_SHA224, SDP_FP_SHA256, SDP_FP_SHA384,
		   SDP_FP_SHA512 };

struct sdp_fingerprint {
	uint8_t hash;              /* enum sdp_fp_hash */
	uint8_t len;               /* bytes in fp (0 for SDP_FP_OTHER) */
	uint8_t fp[SDP_FP_MAX];
};

/* ICE and DTLS attributes of one level (session or media section). */
struct sdp_transport {
	char ufrag[SDP_ICE_MAX + 1];   /* "" when absent */
	char pwd[SDP_ICE_MAX + 1];     /* a secret of the peer's: never logged */
	uint8_t setup;                 /* enum sdp_setup */
	uint8_t n_fp;
	uint8_t n_fp_seen;             /* a=fingerprint lines, kept or not */
	struct sdp_fingerprint fp[SDP_MAX_FP];
};

/* One payload type of an RTP media section. */
struct sdp_pt {
	uint8_t pt;
	uint8_t codec;                 /* enum sdp_codec; NONE: no rtpmap and not static */
	uint8_t channels;              /* rtpmap's encoding parameters; 0 when absent */
	bool has_rtpmap;
	bool has_fmtp;
	char name[SDP_NAME_MAX + 1];   /* as the offer spells it ("" without rtpmap) */
	uint32_t clock;
	uint32_t fb;                   /* SDP_FB_* offered for it (a=rtcp-fb:* included) */
	/* fmtp parameters srtpgw reads: */
	int16_t apt;                   /* RTX: apt=, -1 when absent */
	int8_t pmode;                  /* H.264 packetization-mode, -1 when absent (means 0) */
	bool has_plid;
	bool level_asym;               /* H.264 level-asymmetry-allowed=1 */
	bool useinbandfec, stereo;     /* opus */
	uint8_t minptime;              /* opus minptime, 0 when absent */
	uint32_t plid;                 /* H.264 profile-level-id, 0x420010 when absent */
};

struct sdp_extmap {
	uint8_t id;
	uint8_t dir;                   /* enum sdp_dir; SENDRECV when not given */
	char uri[SDP_URI_MAX + 1];     /* "" when longer than SDP_URI_MAX */
};

struct sdp_ssrc {
	uint32_t ssrc;
	char cname[SDP_CNAME_MAX + 1]; /* "" when absent or not kept */
};

struct sdp_ssrc_group {
	char semantics[8];             /* "FID", "SIM", "FEC-FR"...; "" when longer */
	uint8_t n;
	uint32_t ssrc[SDP_MAX_SSRC_IN_GROUP];
};

enum sdp_cand_type { SDP_CAND_OTHER = 0, SDP_CAND_HOST, SDP_CAND_SRFLX, SDP_CAND_PRFLX,
		     SDP_CAND_RELAY };

struct sdp_candidate {
	uint16_t component;
	uint16_t port;
	uint32_t priority;
	bool udp;                      /* else TCP or other */
	uint8_t type;                  /* enum sdp_cand_type */
	char addr[SDP_ADDR_MAX + 1];   /* an IP address or an mDNS name */
};

struct sdp_media {
	uint8_t kind;                  /* enum sdp_kind */
	uint8_t dir;                   /* enum sdp_dir (the session's when not given) */
	bool rtp;                      /* proto is RTP: formats are payload types */
	bool dtls_srtp;                /* proto is UDP/TLS/RTP/SAVP(F) or RTP/SAVPF */
	bool bundle_only;
	bool rtcp_mux, rtcp_mux_only, rtcp_rsize;
	bool end_of_candidates;
	uint16_t port;
	uint16_t line;                 /* of its m= line, for messages */
	char kind_name[SDP_KIND_MAX + 1];
	char proto[SDP_PROTO_MAX + 1];
	char fmt0[SDP_NAME_MAX + 1];   /* the first format, as written */
	char mid[SDP_MID_MAX + 1];     /* "" when absent */
	uint32_t fb_all;               /* a=rtcp-fb:* */
	struct sdp_transport tr;       /* the section's own, completed from the session's */
	uint8_t n_pt;
	struct sdp_pt pt[SDP_MAX_PT];  /* in the m= line's order: the offerer's preference */
	uint8_t n_extmap;
	uint16_t n_extmap_seen;
	struct sdp_extmap extmap[SDP_MAX_EXTMAP];
	uint8_t n_ssrc;
	bool ssrc_more;                /* SSRCs past SDP_MAX_SSRC were not kept */
	struct sdp_ssrc ssrc[SDP_MAX_SSRC];
	uint8_t n_ssrc_group;
	struct sdp_ssrc_group ssrc_group[SDP_MAX_SSRC_GROUP];
	uint8_t n_cand;
	uint16_t n_cand_seen;
	struct sdp_candidate cand[SDP_MAX_CAND];
};

struct sdp_offer {
	bool ice_lite;                 /* the peer is ICE-lite */
	uint8_t dir;                   /* session-level direction */
	struct sdp_transport tr;       /* session-level ICE and DTLS attributes */
	uint8_t n_bundle;              /* the first a=group:BUNDLE: media indices in its order */
	uint8_t bundle[SDP_MAX_GROUP];
	uint8_t n_bundle_groups;       /* a=group:BUNDLE lines */
	uint8_t n_media;
	struct sdp_media media[SDP_MAX_MEDIA];
};

/*
 * Parse an offer of len bytes (no NUL needed). CRLF or LF line breaks.
 * 0, or -SDP_E_SYNTAX / -SDP_E_TOO_LARGE / -SDP_E_LIMIT with one line in
 * err ("line 12: a=rtpmap: ..."). *out is written in full either way.
 */
int sdp_parse_offer(const char *text, size_t len, struct sdp_offer *out, char *err, size_t errlen);

/* Zero an offer (it holds the peer's ice-pwd). */
void sdp_offer_clear(struct sdp_offer *o);

/* A codec srtpgw can take or send. */
struct sdp_codec_spec {
	uint8_t codec;                 /* SDP_CODEC_H264, VP8, OPUS (or JPEG: refused) */
	int8_t pmode;                  /* H.264: packetization-mode 0 or 1; -1 any, 1 preferred */
	uint32_t plid;                 /* H.264: the stream's profile-level-id; 0 any profile */
};

enum sdp_role {
	SDP_WHEP = 1,                  /* a viewer: srtpgw sends (answers sendonly) */
	SDP_WHIP,                      /* a camera: srtpgw receives (answers recvonly) */
};

/*
 * What srtpgw will serve. WHEP: the stream's codec, one spec in video or
 * audio (or one of each). WHIP: the codecs srtpgw takes, in its order of
 * preference. The first spec an offered payload type matches wins.
 */
struct sdp_want {
	uint8_t role;                  /* enum sdp_role */
	uint8_t n_video, n_audio;
	struct sdp_codec_spec video[4];
	struct sdp_codec_spec audio[2];
	uint32_t fb;                   /* SDP_FB_* srtpgw supports: answered where offered */
};

enum sdp_mode { SDP_REJECT = 0, SDP_SERVE, SDP_INACTIVE };

struct sdp_choice_media {
	uint8_t mode;                  /* enum sdp_mode */
	uint8_t pt;                    /* SERVE: the chosen payload type (the offer's number);
					  INACTIVE: the format answered */
	uint8_t codec;                 /* enum sdp_codec of pt */
	int16_t rtx_pt;                /* SERVE: the offer's RTX payload type for pt, -1 none */
	uint32_t fb;                   /* SERVE: offered for pt and in want->fb: answered */
	uint32_t fb_offered;           /* SERVE: everything offered for pt */
	uint32_t plid;                 /* SERVE, H.264: profile-level-id answered */
	int8_t pmode;                  /* SERVE, H.264: packetization-mode answered */
	uint8_t spec;                  /* SERVE: index of the want spec it matched */
	uint32_t ssrc, rtx_ssrc;       /* SERVE: the offer's first SSRC and its FID (RTX)
					  partner, 0 when not given (WHIP: what the camera sends) */
};

struct sdp_choice {
	uint8_t role;
	int8_t tagged;                 /* the BUNDLE-tagged media section, -1: no BUNDLE */
	int8_t video, audio;           /* the served media section of each kind, -1 none */
	uint8_t n_media;               /* = the offer's */
	struct sdp_choice_media media[SDP_MAX_MEDIA];
	/* the peer's transport: that of the tagged (or only served) section */
	char remote_ufrag[SDP_ICE_MAX + 1];
	uint8_t remote_setup;          /* ACTPASS or ACTIVE (NONE: RFC 4145's active) */
	uint8_t remote_fp[32];         /* its sha-256 certificate fingerprint */
};

/* 0 or -SDP_E_* with one line in err. */
int sdp_choose(const struct sdp_offer *o, const struct sdp_want *want, struct sdp_choice *out,
	       char *err, size_t errlen);

/* srtpgw's side of the session. */
struct sdp_local {
	const char *ice_ufrag;         /* 4..256 ice-chars (ALPHA DIGIT + /) */
	const char *ice_pwd;           /* 22..256 ice-chars */
	uint8_t fingerprint[32];       /* SHA-256 of our DTLS certificate (DER) */
	struct sgw_endpoint addr;      /* the session's address and port (the one candidate) */
	uint64_t session_id;           /* o= line, < 2^63 */
	uint64_t session_version;
	/* WHEP, what srtpgw sends: */
	const char *cname;             /* 1..64 printable characters, no space */
	uint32_t ssrc_video, ssrc_audio;
	const char *msid;              /* a=msid stream id (1..64 token characters), NULL: none */
};

/*
 * The answer to o as c chose, into buf (cap bytes, SDP_ANSWER_MAX is
 * enough), NUL-terminated, CRLF line breaks. Returns its length, or
 * -SDP_E_ARG with err set (local invalid, buf too small).
 */
int sdp_answer(const struct sdp_offer *o, const struct sdp_choice *c, const struct sdp_local *l,
	       char *buf, size_t cap, char *err, size_t errlen);

#endif
