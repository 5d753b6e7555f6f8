/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "api/suite.h"

static const struct sgw_suite_info suites[SGW_SUITE_MAX] = {
	[SGW_SUITE_PLAIN] = { "PLAIN", 0, 0, 0 },
	[SGW_SUITE_AES_CM_128_HMAC_SHA1_80] = { "AES_CM_128_HMAC_SHA1_80", 16, 14, 10 },
	[SGW_SUITE_AES_CM_128_HMAC_SHA1_32] = { "AES_CM_128_HMAC_SHA1_32", 16, 14, 4 },
	[SGW_SUITE_AEAD_AES_128_GCM] = { "AEAD_AES_128_GCM", 16, 12, 16 },
	[SGW_SUITE_AEAD_AES_256_GCM] = { "AEAD_AES_256_GCM", 32, 12, 16 },
};

const struct sgw_suite_info *sgw_suite_info(unsigned suite)
{
	return suite < SGW_SUITE_MAX ? &suites[suite] : NULL;
}

int sgw_suite_by_name(const char *name, enum sgw_suite *out)
{
	for (unsigned i = 0; i < SGW_SUITE_MAX; i++) {
		if (strcmp(name, suites[i].name) == 0) {
			*out = (enum sgw_suite)i;
			return 0;
		}
	}
	return -EINVAL;
}

unsigned sgw_suite_master_len(unsigned suite)
{
	const struct sgw_suite_info *s = sgw_suite_info(suite);
	return s ? s->key_len + s->salt_len : 0;
}
