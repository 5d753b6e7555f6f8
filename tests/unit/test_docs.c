/* SPDX-License-Identifier: BSD-3-Clause */
/* docs/counters.md names every counter the gateway reports. */
#include <stdio.h>
#include <stdlib.h>

#include "api/srtpgw_counters.h"
#include "check.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void every_counter_documented(void)
{
	static const char *names[] = {
#define NAME(e, name, help) name,
		SGW_FOREACH_COUNTER(NAME)
#undef NAME
	};
	char *doc = slurp("../../docs/counters.md");
	char want[96];

	CHECK(doc != NULL);
	if (doc == NULL)
		return;
	for (unsigned i = 0; i < SGW_CTR_MAX; i++) {
		snprintf(want, sizeof(want), "| `%s` |", names[i]);
		if (strstr(doc, want) == NULL) {
			fprintf(stderr, "docs/counters.md lacks %s\n", names[i]);
			CHECK(0);
		}
	}
	free(doc);
}

int main(void)
{
	RUN(every_counter_documented);
	return CHECK_DONE();
}
