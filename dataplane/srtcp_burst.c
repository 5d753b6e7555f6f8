/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTCP over a burst (RFC 3711 3.4; AES-CM-128, HMAC-SHA1-80 for every
 * AES-CM suite; RFC 7714 9 for the GCM suites, packet by packet), libsrtp
 * 2.5's semantics: srtp_protect_rtcp sets the E
 * flag and takes the next SRTCP index (1, 2, ...; refused past 2^31 - 1);
 * srtp_unprotect_rtcp refuses a packet without the E flag (our policies
 * always encrypt), replay-checks the index against libsrtp's fixed
 * 128-index window, checks the tag, and only then marks the index seen.
 * The same phases as SRTP (srtp_burst.c): jobs made in packet order,
 * ipsec-mb bursts, verdicts in packet order, decryption of the accepted.
 */
#include <string.h>

#include "dataplane/srtp_burst_priv.h"

static void
protect_chunk(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[], uint8_t *const pkt[],
	      int len[], enum sgw_srtp_result res[], unsigned n)
{
	unsigned nj = 0, nc = 0;

	for (unsigned i = 0; i < n; i++) {
		struct sgw_burst_ctx *c = ctx[i];
		uint8_t *p = pkt[i];
		uint32_t ssrc;

		if (c->dir != SGW_SRTP_OUTBOUND || len[i] < BURST_RTCP_HDR) {
			res[i] = SGW_SRTP_ERR_OTHER;
			continue;
		}
		ssrc = burst_rd32(p + 4);
		if (c->bound && ssrc != c->ssrc) {
			res[i] = SGW_SRTP_ERR_SSRCS;
			continue;
		}
		c->bound = true;
		c->ssrc = ssrc;
		if (c->rtcp_ws >= BURST_SRTCP_INDEX_MAX) {
			res[i] = SGW_SRTP_ERR_OTHER; /* libsrtp: key_expired */
			continue;
		}
		c->rtcp_ws++;
		if (burst_is_gcm(c)) {
			/* RFC 7714 9: AAD header || E+index, the tag after
			 * the ciphertext, E+index after the tag */
			uint8_t iv[12];

			memcpy(m->aad, p, BURST_RTCP_HDR);
			burst_wr32(m->aad + BURST_RTCP_HDR, BURST_SRTCP_E | c->rtcp_ws);
			burst_gcm_iv(iv, c->gcm->rtcp_salt, ssrc, 0, c->rtcp_ws);
			burst_gcm_enc(m, c, &c->gcm->rtcp, p + BURST_RTCP_HDR,
				      (unsigned)len[i] - BURST_RTCP_HDR, iv, m->aad,
				      BURST_RTCP_HDR + BURST_SRTCP_TRAILER, p + len[i]);
			burst_wr32(p + len[i] + BURST_GCM_TAG, BURST_SRTCP_E | c->rtcp_ws);
			len[i] += BURST_GCM_TAG + BURST_SRTCP_TRAILER;
			res[i] = SGW_SRTP_OK;
			continue;
		}
		burst_wr32(p + len[i], BURST_SRTCP_E | c->rtcp_ws);
		if (len[i] > BURST_RTCP_HDR) {
			burst_iv(m->iv[i], c->rtcp.salt, ssrc, c->rtcp_ws);
			burst_cipher_job(&m->jobs[nc++], &c->rtcp, p + BURST_RTCP_HDR,
					 (unsigned)len[i] - BURST_RTCP_HDR, m->iv[i], IMB_DIR_ENCRYPT);
		}
		m->jpkt[nj++] = (uint8_t)i;
	}
	if (burst_run_cipher(m, m->jobs, nc, IMB_DIR_ENCRYPT) != 0)
		goto fail;
	for (unsigned j = 0; j < nj; j++) {
		unsigned i = m->jpkt[j];

		burst_hash_job(&m->jobs[j], &ctx[i]->rtcp, pkt[i],
			       (unsigned)len[i] + BURST_SRTCP_TRAILER, m->tag[i]);
	}
	if (burst_run_hash(m, m->jobs, nj) != 0)
		goto fail;
	for (unsigned j = 0; j < nj; j++) {
		unsigned i = m->jpkt[j];

		burst_tag_copy(pkt[i] + len[i] + BURST_SRTCP_TRAILER, m->tag[i], BURST_SRTCP_TAG);
		len[i] += BURST_SRTCP_TRAILER + BURST_SRTCP_TAG;
		res[i] = SGW_SRTP_OK;
	}
	return;
fail:
	for (unsigned j = 0; j < nj; j++)
		res[m->jpkt[j]] = SGW_SRTP_ERR_OTHER;
}

void
sgw_burst_protect_rtcp(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
		       uint8_t *const pkt[], int len[], enum sgw_srtp_result res[], unsigned n)
{
	for (unsigned off = 0; off < n; off += SGW_BURST_MAX) {
		unsigned k = n - off < SGW_BURST_MAX ? n - off : SGW_BURST_MAX;

		protect_chunk(m, ctx + off, pkt + off, len + off, res + off, k);
	}
}

/* One AEAD packet, in packet order: libsrtp's srtp_unprotect_rtcp_aead.
 * Without the E flag the packet is authenticated only (all of it AAD),
 * as libsrtp does; with it, decrypted in place and, refused, encrypted
 * back. */
static enum sgw_srtp_result
unprotect_gcm(struct sgw_burst_mgr *m, struct sgw_burst_ctx *c, uint8_t *p, int *len, unsigned i)
{
	uint32_t ssrc = burst_rd32(p + 4);
	uint32_t trailer = burst_rd32(p + *len - BURST_SRTCP_TRAILER);
	uint32_t idx = trailer & BURST_SRTCP_INDEX_MAX;
	int body = *len - BURST_SRTCP_TRAILER - BURST_GCM_TAG; /* header + ciphertext */
	enum sgw_srtp_result r;
	uint8_t iv[12];

	if (c->bound && ssrc != c->ssrc)
		return SGW_SRTP_ERR_SSRCS;
	if ((r = burst_rtcp_check(c, idx)) != SGW_SRTP_OK)
		return r;
	burst_gcm_iv(iv, c->gcm->rtcp_salt, ssrc, 0, idx);
	if (trailer & BURST_SRTCP_E) {
		memcpy(m->aad, p, BURST_RTCP_HDR);
		burst_wr32(m->aad + BURST_RTCP_HDR, trailer);
		burst_gcm_dec(m, c, &c->gcm->rtcp, p + BURST_RTCP_HDR,
			      (unsigned)(body - BURST_RTCP_HDR), iv, m->aad,
			      BURST_RTCP_HDR + BURST_SRTCP_TRAILER, m->tag[i]);
		if (!burst_tag_equal(m->tag[i], p + body, BURST_GCM_TAG)) {
			burst_gcm_enc(m, c, &c->gcm->rtcp, p + BURST_RTCP_HDR,
				      (unsigned)(body - BURST_RTCP_HDR), iv, m->aad,
				      BURST_RTCP_HDR + BURST_SRTCP_TRAILER, m->tag[i]);
			return SGW_SRTP_ERR_AUTH;
		}
	} else {
		if ((size_t)body + BURST_SRTCP_TRAILER > sizeof(m->aad))
			return SGW_SRTP_ERR_OTHER; /* longer than any packet here */
		memcpy(m->aad, p, (size_t)body);
		burst_wr32(m->aad + body, trailer);
		burst_gcm_enc(m, c, &c->gcm->rtcp, p + BURST_RTCP_HDR, 0, iv, m->aad,
			      (unsigned)body + BURST_SRTCP_TRAILER, m->tag[i]);
		if (!burst_tag_equal(m->tag[i], p + body, BURST_GCM_TAG))
			return SGW_SRTP_ERR_AUTH;
	}
	burst_rtcp_add(c, idx);
	c->bound = true;
	c->ssrc = ssrc;
	*len -= BURST_GCM_TAG + BURST_SRTCP_TRAILER;
	return SGW_SRTP_OK;
}

static void
unprotect_chunk(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[], uint8_t *const pkt[],
		int len[], enum sgw_srtp_result res[], unsigned n)
{
	unsigned nj = 0, nc = 0;

	for (unsigned i = 0; i < n; i++) {
		struct sgw_burst_ctx *c = ctx[i];
		uint8_t *p = pkt[i];

		m->state[i] = PKT_DONE;
		if (c->dir == SGW_SRTP_INBOUND && burst_is_gcm(c)) {
			if (len[i] < BURST_RTCP_HDR + BURST_SRTCP_TRAILER + BURST_GCM_TAG) {
				res[i] = SGW_SRTP_ERR_OTHER;
				continue;
			}
			m->state[i] = PKT_GCM;
			continue;
		}
		/* libsrtp: header + tag + trailer at least (bad_param), and
		 * the E flag (cant_check): both before anything else */
		if (c->dir != SGW_SRTP_INBOUND ||
		    len[i] < BURST_RTCP_HDR + BURST_SRTCP_TRAILER + BURST_SRTCP_TAG ||
		    !(p[len[i] - BURST_SRTCP_TAG - BURST_SRTCP_TRAILER] & 0x80)) {
			res[i] = SGW_SRTP_ERR_OTHER;
			continue;
		}
		burst_hash_job(&m->jobs[nj++], &c->rtcp, p, (unsigned)len[i] - BURST_SRTCP_TAG,
			       m->tag[i]);
		m->state[i] = PKT_HASHED;
	}
	if (burst_run_hash(m, m->jobs, nj) != 0) {
		for (unsigned i = 0; i < n; i++)
			if (m->state[i] != PKT_DONE)
				res[i] = SGW_SRTP_ERR_OTHER;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct sgw_burst_ctx *c = ctx[i];
		uint8_t *p = pkt[i];
		uint32_t ssrc, idx;
		int enc_len;

		if (m->state[i] == PKT_DONE)
			continue;
		if (m->state[i] == PKT_GCM) {
			res[i] = unprotect_gcm(m, c, p, &len[i], i);
			continue;
		}
		ssrc = burst_rd32(p + 4);
		if (c->bound && ssrc != c->ssrc) {
			res[i] = SGW_SRTP_ERR_SSRCS;
			continue;
		}
		idx = burst_rd32(p + len[i] - BURST_SRTCP_TAG - BURST_SRTCP_TRAILER) &
		      BURST_SRTCP_INDEX_MAX;
		if ((res[i] = burst_rtcp_check(c, idx)) != SGW_SRTP_OK)
			continue;
		if (!burst_tag_equal(m->tag[i], p + len[i] - BURST_SRTCP_TAG, BURST_SRTCP_TAG)) {
			res[i] = SGW_SRTP_ERR_AUTH;
			continue;
		}
		burst_rtcp_add(c, idx);
		c->bound = true;
		c->ssrc = ssrc;
		enc_len = len[i] - BURST_RTCP_HDR - BURST_SRTCP_TRAILER - BURST_SRTCP_TAG;
		len[i] -= BURST_SRTCP_TRAILER + BURST_SRTCP_TAG;
		res[i] = SGW_SRTP_OK;
		if (enc_len > 0) {
			burst_iv(m->iv[i], c->rtcp.salt, ssrc, idx);
			burst_cipher_job(&m->jobs[nc], &c->rtcp, p + BURST_RTCP_HDR, (unsigned)enc_len,
					 m->iv[i], IMB_DIR_DECRYPT);
			m->jpkt[nc++] = (uint8_t)i;
		}
	}
	if (burst_run_cipher(m, m->jobs, nc, IMB_DIR_DECRYPT) != 0) {
		for (unsigned j = 0; j < nc; j++) {
			unsigned i = m->jpkt[j];

			res[i] = SGW_SRTP_ERR_OTHER;
			len[i] += BURST_SRTCP_TRAILER + BURST_SRTCP_TAG;
		}
	}
}

void
sgw_burst_unprotect_rtcp(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
			 uint8_t *const pkt[], int len[], enum sgw_srtp_result res[], unsigned n)
{
	for (unsigned off = 0; off < n; off += SGW_BURST_MAX) {
		unsigned k = n - off < SGW_BURST_MAX ? n - off : SGW_BURST_MAX;

		unprotect_chunk(m, ctx + off, pkt + off, len + off, res + off, k);
	}
}
