/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Minimal test harness for the unit tests: named cases, CHECK() records a
 * failure with file:line and goes on, the binary exits 1 if any check
 * failed. Output is TAP-like: "ok - case" / "not ok - case".
 */
#ifndef SRTPGW_TEST_CHECK_H
#define SRTPGW_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_case_failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,  \
				__LINE__, #cond);                              \
			check_case_failed = 1;                                 \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", \
				__FILE__, __LINE__, #a, _a, #b, _b);           \
			check_case_failed = 1;                                 \
		}                                                              \
	} while (0)

#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

#define RUN(fn)                                                                \
	do {                                                                   \
		check_case_failed = 0;                                         \
		fn();                                                          \
		printf("%s - %s\n", check_case_failed ? "not ok" : "ok", #fn); \
		check_failures += check_case_failed;                           \
	} while (0)

#define CHECK_DONE() (check_failures ? 1 : 0)

#endif
