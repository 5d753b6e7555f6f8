/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Thin wrapper over libsrtp (built on OpenSSL): one context per direction of
 * one stream or viewer. A context holds mutable state (ROC, replay window,
 * SRTCP index) and is used by one worker at a time (its home worker).
 * Key material is copied into libsrtp and the caller's copy is not kept;
 * sgw_srtp_free() zeroes what libsrtp held (libsrtp's srtp_dealloc does,
 * and the policy copy here is cleansed).
 */
#ifndef SRTPGW_SRTP_CTX_H
#define SRTPGW_SRTP_CTX_H

#include <stdint.h>
#include "api/srtpgw_agent.h"

/* Space libsrtp may append to an RTP/RTCP packet on protect. */
#define SGW_SRTP_MAX_TRAILER 32 /* >= 16-byte tag + 4-byte SRTCP index (no MKI) */

enum sgw_srtp_dir { SGW_SRTP_INBOUND, SGW_SRTP_OUTBOUND };

enum sgw_srtp_result {
	SGW_SRTP_OK = 0,
	SGW_SRTP_ERR_AUTH = -1,   /* authentication tag did not verify */
	SGW_SRTP_ERR_REPLAY = -2, /* replayed, or older than the replay window */
	SGW_SRTP_ERR_OTHER = -3,  /* malformed, too short, or libsrtp failure */
};

struct sgw_srtp;

/* Once per process, before any other call. 0 or -1. */
int sgw_srtp_global_init(void);

/*
 * A context for suite key->suite (not PLAIN) using key->material
 * (key->len must equal the suite's master key + salt length).
 * replay_window: packets (64..32767, libsrtp's limit), 0 = 128. Returns NULL on bad
 * parameters or allocation failure.
 */
struct sgw_srtp *sgw_srtp_create(const struct sgw_key *key,
				 enum sgw_srtp_dir dir, unsigned replay_window);
void sgw_srtp_free(struct sgw_srtp *ctx);

/* In place. *len in: bytes of the SRTP packet; out: bytes of RTP. On
 * failure the buffer is undefined (GCM decrypts before it checks the tag):
 * drop the packet, or retry from a copy. Wrong-direction calls fail
 * with SGW_SRTP_ERR_OTHER. */
enum sgw_srtp_result sgw_srtp_unprotect(struct sgw_srtp *ctx, void *pkt, int *len);
enum sgw_srtp_result sgw_srtp_unprotect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len);
/* In place. The buffer must have SGW_SRTP_MAX_TRAILER bytes free after *len. */
enum sgw_srtp_result sgw_srtp_protect(struct sgw_srtp *ctx, void *pkt, int *len);
enum sgw_srtp_result sgw_srtp_protect_rtcp(struct sgw_srtp *ctx, void *pkt, int *len);

#endif
