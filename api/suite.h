/* SPDX-License-Identifier: BSD-3-Clause */
/* SRTP protection profiles: names and key lengths, shared by all programs. */
#ifndef SRTPGW_SUITE_H
#define SRTPGW_SUITE_H

#include <stddef.h>
#include "api/srtpgw_agent.h"

struct sgw_suite_info {
	const char *name;   /* RFC 4568 / RFC 7714 name, e.g. "AES_CM_128_HMAC_SHA1_80" */
	unsigned key_len;   /* master key bytes */
	unsigned salt_len;  /* master salt bytes */
	unsigned rtp_tag_len;  /* bytes libsrtp appends to an RTP packet */
};

/* NULL for an unknown suite value. SGW_SUITE_PLAIN has name "PLAIN", no key. */
const struct sgw_suite_info *sgw_suite_info(unsigned suite);
/* 0 and *out on success, -EINVAL for an unknown name (case-sensitive). */
int sgw_suite_by_name(const char *name, enum sgw_suite *out);
/* key_len + salt_len of the suite, 0 for PLAIN or unknown. */
unsigned sgw_suite_master_len(unsigned suite);

#endif
