/* SPDX-License-Identifier: BSD-3-Clause */
/* Token expiry times: expires.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "control/daemon/expires.h"

#define FORMS "a duration (90s, 45m, 12h, 30d, 2w) or a UTC date (2025-12-31 or 2025-12-31T18:00:00Z)"

static bool digits(const char *s, size_t n)
{
	return strspn(s, "0123456789") >= n;
}

/* "2025-12-31" or "2025-12-31T18:00:00Z", strictly. */
static int parse_date(const char *s, int64_t *at)
{
	struct tm tm = { 0 };
	size_t n = strlen(s);
	int y, mo, d, h = 0, mi = 0, se = 0;
	time_t t;

	if (!(n == 10 || (n == 20 && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z')) ||
	    s[4] != '-' || s[7] != '-' || !digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2))
		return -1;
	if (n == 20 && (!digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2)))
		return -1;
	if (sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) != 3 ||
	    (n == 20 && sscanf(s + 11, "%2d:%2d:%2d", &h, &mi, &se) != 3))
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	/* timegm normalises 2025-02-30 to March: refuse what moved */
	if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
	    tm.tm_hour != h || tm.tm_min != mi || tm.tm_sec != se)
		return -1;
	*at = (int64_t)t;
	return 0;
}

/* "90s", "45m", "12h", "30d", "2w" (at most 9 digits). */
static int parse_duration(const char *s, int64_t *secs)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 } };
	size_t n = strspn(s, "0123456789");
	long long v;

	if (n == 0 || n > 9 || strlen(s) != n + 1 || sscanf(s, "%9lld", &v) != 1)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (s[n] == units[i].unit) {
			*secs = (int64_t)v * units[i].secs;
			return 0;
		}
	}
	return -1;
}

int ctl_expires_parse(const char *s, int64_t now, int64_t *at, char *err, size_t errlen)
{
	int64_t v;

	if (parse_duration(s, &v) == 0) {
		if (v == 0) {
			snprintf(err, errlen, "expires: \"%.40s\" is no time at all", s);
			return -1;
		}
		*at = now + (v < CTL_EXPIRES_MAX_S ? v : CTL_EXPIRES_MAX_S + 1);
	} else if (parse_date(s, at) == 0) {
		if (*at <= now) {
			snprintf(err, errlen, "expires: %.40s is in the past", s);
			return -1;
		}
	} else {
		snprintf(err, errlen, "expires: \"%.40s\" is not %s", s, FORMS);
		return -1;
	}
	if (*at - now > CTL_EXPIRES_MAX_S) {
		snprintf(err, errlen, "expires: %.40s is more than ten years ahead", s);
		return -1;
	}
	return 0;
}
