/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The WebRTC sessions, until they exist (webrtc.h): every request that
 * passed the HTTP layer's checks (token, stream, rights, offer) is
 * answered 501, and nothing is made. Replaced by the sessions.
 */
#include <stdio.h>

#include "control/daemon/webrtc.h"

#define NOT_YET "WebRTC sessions are not built yet"

int webrtc_offer(struct ctl_daemon *d, const struct ctl_principal *who, bool whip, const char *stream,
		 const char *offer, size_t len, struct webrtc_reply *out)
{
	(void)d, (void)who, (void)whip, (void)stream, (void)offer, (void)len;
	snprintf(out->reason, sizeof(out->reason), NOT_YET);
	return 501;
}

int webrtc_delete(struct ctl_daemon *d, const struct ctl_principal *who, bool whip, const char *session,
		  struct webrtc_reply *out)
{
	(void)d, (void)who, (void)whip, (void)session;
	snprintf(out->reason, sizeof(out->reason), NOT_YET);
	return 501;
}
