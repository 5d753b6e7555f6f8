/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP over a burst (AES-CM-128 with HMAC-SHA1-80/32; AEAD_AES_128/256_GCM
 * packet by packet in the same passes: ipsec-mb's cipher and hash burst
 * calls take no GCM), libsrtp 2.5's
 * semantics (srtp_protect / srtp_unprotect, no MKI, allow_repeat_tx off).
 *
 * Protect, per chunk of up to SGW_BURST_MAX packets:
 *   1. in packet order: parse, estimate the index, replay-check it and
 *      take it (as libsrtp does before it encrypts), write the ROC after
 *      the payload (the HMAC covers packet || ROC), make the jobs;
 *   2. one AES-CTR burst (all packets), then one HMAC-SHA1 burst;
 *   3. the tags into place (over the ROC).
 * Unprotect:
 *   1. parse; guess each index from its context's state before the burst;
 *      keep the received tag aside, write the guessed ROC over its start,
 *      make a hash job;
 *   2. one HMAC-SHA1 burst;
 *   3. in packet order, with each context's state as the packets before
 *      left it: the SSRC, the index estimate again (if it differs from the
 *      guess, as when one burst crosses half the sequence space of one
 *      context, the packet is hashed again under the right ROC), replay
 *      check, tag check, and only then the window and ROC move; refused
 *      packets get their tag back;
 *   4. one AES-CTR burst over the accepted packets only.
 * The verdict order is libsrtp's (header, then replay, then the length
 * against the tag, then the tag), so each packet gets libsrtp's result.
 */
#include <string.h>

#include "dataplane/srtp_burst_priv.h"

/* libsrtp's index check for an index the caller chose (srtp_set_stream_roc
 * then srtp_protect: its srtp_estimate_index): more than 2^15 ahead of the
 * context moves it there with an empty window; else the usual replay check
 * with delta idx - index, and more than 2^15 behind is refused.
 * SGW_SRTP_OK and *delta, or the refusal. */
static enum sgw_srtp_result
index_at(struct sgw_burst_ctx *c, uint64_t idx, int32_t *delta)
{
	if (idx > c->index && idx - c->index > BURST_SEQ_MEDIAN) {
		c->index = idx;
		memset(c->window, 0, (size_t)c->window_words * 8);
		*delta = 0;
		return SGW_SRTP_OK; /* the window's bit 0 is set by burst_replay_add */
	}
	if (idx < c->index && c->index - idx > BURST_SEQ_MEDIAN)
		return SGW_SRTP_ERR_OTHER; /* libsrtp's srtp_err_status_pkt_idx_old */
	if (idx < c->index && c->index - idx >= c->window_bits)
		return SGW_SRTP_ERR_REPLAY;
	*delta = (int32_t)(int64_t)(idx - c->index);
	return burst_replay_check(c, *delta);
}

static void
protect_chunk(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[], uint8_t *const pkt[],
	      int len[], const uint64_t *at, enum sgw_srtp_result res[], unsigned n)
{
	unsigned nj = 0;

	for (unsigned i = 0; i < n; i++) {
		struct sgw_burst_ctx *c = ctx[i];
		uint8_t *p = pkt[i];
		uint32_t ssrc;
		uint64_t est;
		int32_t delta;
		int h;

		m->state[i] = PKT_DONE;
		if (c->dir != SGW_SRTP_OUTBOUND || (h = burst_rtp_hdr_len(p, len[i])) < 0) {
			res[i] = SGW_SRTP_ERR_OTHER;
			continue;
		}
		ssrc = burst_rd32(p + 8);
		if (c->bound && ssrc != c->ssrc) {
			res[i] = SGW_SRTP_ERR_SSRCS;
			continue;
		}
		if (at == NULL) {
			delta = burst_estimate(c->index, burst_rd16(p + 2), &est);
			res[i] = burst_replay_check(c, delta);
		} else {
			est = at[i];
			res[i] = (uint16_t)est == burst_rd16(p + 2) ? index_at(c, est, &delta)
								   : SGW_SRTP_ERR_OTHER;
		}
		if (res[i] != SGW_SRTP_OK)
			continue;
		burst_replay_add(c, delta);
		c->bound = true;
		c->ssrc = ssrc;
		c->rtp_seen = true;
		if (burst_is_gcm(c)) {
			/* RFC 7714: AAD the header, the tag after the payload */
			uint8_t iv[12];

			burst_gcm_iv(iv, c->gcm->rtp_salt, ssrc, (uint32_t)(est >> 32), (uint32_t)est);
			burst_gcm_enc(m, c, &c->gcm->rtp, p + h, (unsigned)(len[i] - h), iv, p,
				      (unsigned)h, p + len[i]);
			len[i] += BURST_GCM_TAG;
			res[i] = SGW_SRTP_OK;
			continue;
		}
		burst_iv(m->iv[i], c->rtp.salt, ssrc, est);
		burst_wr32(p + len[i], (uint32_t)(est >> 16));
		m->hdr_len[i] = (uint16_t)h;
		m->state[i] = PKT_HASHED;
		m->jpkt[nj++] = (uint8_t)i;
	}
	/* cipher, then hash the ciphertext */
	unsigned nc = 0;

	for (unsigned j = 0; j < nj; j++) {
		unsigned i = m->jpkt[j];
		unsigned h = m->hdr_len[i];

		if ((unsigned)len[i] > h)
			burst_cipher_job(&m->jobs[nc++], &ctx[i]->rtp, pkt[i] + h,
					 (unsigned)len[i] - h, m->iv[i], IMB_DIR_ENCRYPT);
	}
	if (burst_run_cipher(m, m->jobs, nc, IMB_DIR_ENCRYPT) != 0)
		goto fail;
	for (unsigned j = 0; j < nj; j++) {
		unsigned i = m->jpkt[j];

		burst_hash_job(&m->jobs[j], &ctx[i]->rtp, pkt[i], (unsigned)len[i] + 4, m->tag[i]);
	}
	if (burst_run_hash(m, m->jobs, nj) != 0)
		goto fail;
	for (unsigned j = 0; j < nj; j++) {
		unsigned i = m->jpkt[j];
		unsigned t = ctx[i]->rtp_tag_len;

		burst_tag_copy(pkt[i] + len[i], m->tag[i], t);
		len[i] += (int)t;
		res[i] = SGW_SRTP_OK;
	}
	return;
fail:
	/* ipsec-mb refused a job: nothing of this chunk goes out (the
	 * indices stay taken: never used twice) */
	for (unsigned j = 0; j < nj; j++)
		res[m->jpkt[j]] = SGW_SRTP_ERR_OTHER;
}

void
sgw_burst_protect(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[], uint8_t *const pkt[],
		  int len[], enum sgw_srtp_result res[], unsigned n)
{
	for (unsigned off = 0; off < n; off += SGW_BURST_MAX) {
		unsigned k = n - off < SGW_BURST_MAX ? n - off : SGW_BURST_MAX;

		protect_chunk(m, ctx + off, pkt + off, len + off, NULL, res + off, k);
	}
}

void
sgw_burst_protect_at(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[], uint8_t *const pkt[],
		     int len[], const uint64_t idx[], enum sgw_srtp_result res[], unsigned n)
{
	for (unsigned off = 0; off < n; off += SGW_BURST_MAX) {
		unsigned k = n - off < SGW_BURST_MAX ? n - off : SGW_BURST_MAX;

		protect_chunk(m, ctx + off, pkt + off, len + off, idx + off, res + off, k);
	}
}

/* Put packet i's received tag back (a refused packet is left unchanged). */
static inline void
restore_tag(struct sgw_burst_mgr *m, const struct sgw_burst_ctx *c, uint8_t *p, int len,
	    unsigned i)
{
	burst_tag_copy(p + len - c->rtp_tag_len, m->rx_tag[i], c->rtp_tag_len);
}

/* One AEAD packet, in packet order: libsrtp's srtp_unprotect_aead. The
 * packet is decrypted in place and, if its tag does not verify,
 * encrypted back (GCM's CTR is its own inverse): refused, it is unchanged. */
static enum sgw_srtp_result
unprotect_gcm(struct sgw_burst_mgr *m, struct sgw_burst_ctx *c, uint8_t *p, int *len, int h,
	      unsigned i)
{
	uint32_t ssrc = burst_rd32(p + 8);
	enum sgw_srtp_result r;
	enum burst_est e;
	uint8_t iv[12];
	uint64_t est;
	int32_t delta = 0;
	int enc_len;

	if (c->bound && ssrc != c->ssrc)
		return SGW_SRTP_ERR_SSRCS;
	e = burst_in_estimate(c, burst_rd16(p + 2), &est, &delta);
	if (e == EST_OLD)
		return SGW_SRTP_ERR_OTHER;
	if (e == EST_OK && (r = burst_replay_check(c, delta)) != SGW_SRTP_OK)
		return r;
	if (h > *len - BURST_GCM_TAG)
		return SGW_SRTP_ERR_OTHER; /* parse_err */
	enc_len = *len - h - BURST_GCM_TAG;
	burst_gcm_iv(iv, c->gcm->rtp_salt, ssrc, (uint32_t)(est >> 32), (uint32_t)est);
	burst_gcm_dec(m, c, &c->gcm->rtp, p + h, (unsigned)enc_len, iv, p, (unsigned)h, m->tag[i]);
	if (!burst_tag_equal(m->tag[i], p + h + enc_len, BURST_GCM_TAG)) {
		burst_gcm_enc(m, c, &c->gcm->rtp, p + h, (unsigned)enc_len, iv, p, (unsigned)h,
			      m->tag[i]);
		return SGW_SRTP_ERR_AUTH;
	}
	burst_in_take(c, e, est, delta);
	c->bound = true;
	c->ssrc = ssrc;
	c->rtp_seen = true;
	*len -= BURST_GCM_TAG;
	return SGW_SRTP_OK;
}

static void
unprotect_chunk(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[], uint8_t *const pkt[],
		int len[], enum sgw_srtp_result res[], uint64_t *after, unsigned n)
{
	unsigned nj = 0, nc = 0;

	/* 1. parse, guess, hash jobs */
	for (unsigned i = 0; i < n; i++) {
		struct sgw_burst_ctx *c = ctx[i];
		uint8_t *p = pkt[i];
		unsigned t = c->rtp_tag_len;
		uint64_t est;
		int h;

		m->state[i] = PKT_DONE;
		if (c->dir != SGW_SRTP_INBOUND || (h = burst_rtp_hdr_len(p, len[i])) < 0) {
			res[i] = SGW_SRTP_ERR_OTHER;
			continue;
		}
		m->hdr_len[i] = (uint16_t)h;
		if (burst_is_gcm(c)) {
			m->state[i] = PKT_GCM;
			continue;
		}
		if (h > len[i] - (int)t) {
			/* libsrtp: parse_err, after its replay check */
			m->state[i] = PKT_PARSE_ERR;
			continue;
		}
		{
			int32_t d;

			burst_in_estimate(c, burst_rd16(p + 2), &est, &d);
		}
		m->est[i] = est;
		burst_tag_copy(m->rx_tag[i], p + len[i] - t, t);
		burst_wr32(p + len[i] - t, (uint32_t)(est >> 16));
		burst_hash_job(&m->jobs[nj++], &c->rtp, p, (unsigned)len[i] - t + 4, m->tag[i]);
		m->state[i] = PKT_HASHED;
	}
	/* 2. authenticate them all */
	if (burst_run_hash(m, m->jobs, nj) != 0) {
		for (unsigned i = 0; i < n; i++) {
			if (m->state[i] == PKT_HASHED)
				restore_tag(m, ctx[i], pkt[i], len[i], i);
			if (m->state[i] != PKT_DONE)
				res[i] = SGW_SRTP_ERR_OTHER;
			if (after != NULL)
				after[i] = ctx[i]->index;
		}
		return;
	}
	/* 3. verdicts in packet order */
	for (unsigned i = 0; i < n; i++) {
		struct sgw_burst_ctx *c = ctx[i];
		uint8_t *p = pkt[i];
		unsigned t = c->rtp_tag_len;
		enum burst_est e;
		uint32_t ssrc;
		uint64_t est;
		int32_t delta = 0;

		if (m->state[i] == PKT_DONE)
			goto next;
		if (m->state[i] == PKT_GCM) {
			res[i] = unprotect_gcm(m, c, p, &len[i], m->hdr_len[i], i);
			goto next;
		}
		ssrc = burst_rd32(p + 8);
		if (c->bound && ssrc != c->ssrc) {
			res[i] = SGW_SRTP_ERR_SSRCS;
			goto refuse;
		}
		e = burst_in_estimate(c, burst_rd16(p + 2), &est, &delta);
		if (e == EST_OLD) {
			res[i] = SGW_SRTP_ERR_OTHER;
			goto refuse;
		}
		if (e == EST_OK && (res[i] = burst_replay_check(c, delta)) != SGW_SRTP_OK)
			goto refuse;
		if (m->state[i] == PKT_PARSE_ERR) {
			res[i] = SGW_SRTP_ERR_OTHER;
			goto next;
		}
		if (__builtin_expect(est != m->est[i], 0)) {
			/* the packets before it moved the ROC guess: again */
			burst_wr32(p + len[i] - t, (uint32_t)(est >> 16));
			burst_hash_job(&m->redo, &c->rtp, p, (unsigned)len[i] - t + 4, m->tag[i]);
			if (burst_run_hash(m, &m->redo, 1) != 0) {
				res[i] = SGW_SRTP_ERR_OTHER;
				goto refuse;
			}
		}
		if (!burst_tag_equal(m->tag[i], m->rx_tag[i], t)) {
			res[i] = SGW_SRTP_ERR_AUTH;
			goto refuse;
		}
		/* authenticated: now the state moves */
		burst_in_take(c, e, est, delta);
		c->bound = true;
		c->ssrc = ssrc;
		c->rtp_seen = true;
		len[i] -= (int)t;
		res[i] = SGW_SRTP_OK;
		if (len[i] > m->hdr_len[i]) {
			burst_iv(m->iv[i], c->rtp.salt, ssrc, est);
			burst_cipher_job(&m->jobs[nc], &c->rtp, p + m->hdr_len[i],
					 (unsigned)(len[i] - m->hdr_len[i]), m->iv[i], IMB_DIR_DECRYPT);
			m->jpkt[nc++] = (uint8_t)i;
		}
		goto next;
refuse:
		if (m->state[i] == PKT_HASHED)
			restore_tag(m, c, p, len[i], i);
next:
		if (after != NULL)
			after[i] = c->index;
	}
	/* 4. decrypt what authenticated */
	if (burst_run_cipher(m, m->jobs, nc, IMB_DIR_DECRYPT) != 0) {
		/* ipsec-mb refused a job: none of them goes on (their indices
		 * are taken, as for a packet the caller drops) */
		for (unsigned j = 0; j < nc; j++) {
			unsigned i = m->jpkt[j];

			res[i] = SGW_SRTP_ERR_OTHER;
			len[i] += ctx[i]->rtp_tag_len;
		}
	}
}

void
sgw_burst_unprotect(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
		    uint8_t *const pkt[], int len[], enum sgw_srtp_result res[], unsigned n)
{
	for (unsigned off = 0; off < n; off += SGW_BURST_MAX) {
		unsigned k = n - off < SGW_BURST_MAX ? n - off : SGW_BURST_MAX;

		unprotect_chunk(m, ctx + off, pkt + off, len + off, res + off, NULL, k);
	}
}

void
sgw_burst_unprotect_idx(struct sgw_burst_mgr *m, struct sgw_burst_ctx *const ctx[],
			uint8_t *const pkt[], int len[], enum sgw_srtp_result res[],
			uint64_t after[], unsigned n)
{
	for (unsigned off = 0; off < n; off += SGW_BURST_MAX) {
		unsigned k = n - off < SGW_BURST_MAX ? n - off : SGW_BURST_MAX;

		unprotect_chunk(m, ctx + off, pkt + off, len + off, res + off, after + off, k);
	}
}

int
sgw_burst_rtp_header_len(const uint8_t *p, int len)
{
	return burst_rtp_hdr_len(p, len);
}
