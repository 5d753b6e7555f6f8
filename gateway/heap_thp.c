/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "gateway/config.h"
#include "gateway/heap_thp.h"

/* The value GLIBC_TUNABLES gives the tunable, or NULL. */
static const char *tunable_value(void)
{
	const char *p = getenv("GLIBC_TUNABLES");
	size_t n = strlen(HEAP_THP_TUNABLE);

	/* name=value pairs separated by ':' */
	for (; p != NULL; p = strchr(p, ':'), p = p ? p + 1 : NULL)
		if (strncmp(p, HEAP_THP_TUNABLE, n) == 0 && p[n] == '=')
			return p + n + 1;
	return NULL;
}

bool heap_thp_active(void)
{
	const char *v = tunable_value();

	/* set-user-ID or file capabilities: glibc ignores GLIBC_TUNABLES */
	return getauxval(AT_SECURE) == 0 && v != NULL && v[0] == '1' && (v[1] == '\0' || v[1] == ':');
}

/* heap_hugepages from the file --config names (after the EAL's "--");
 * true if there is none or it does not load: the real load reports it. */
static bool wanted(int argc, char **argv)
{
	static struct sgw_config cfg; /* large: not on the stack */
	const char *path = NULL;
	char err[256];
	int i = 1;

	while (i < argc && strcmp(argv[i], "--") != 0)
		i++;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
	}
	if (path == NULL || sgw_config_load(path, &cfg, err, sizeof(err)) != 0)
		return true;
	return cfg.heap_hugepages;
}

void heap_thp_reexec(int argc, char **argv, char *why, size_t whylen)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char *val;

	if (getauxval(AT_SECURE) != 0) {
		snprintf(why, whylen, "secure-execution mode (set-user-ID or file capabilities): "
			 "glibc ignores GLIBC_TUNABLES");
		return;
	}
	if (tunable_value() != NULL) {
		snprintf(why, whylen, "GLIBC_TUNABLES sets %s", HEAP_THP_TUNABLE);
		return;
	}
	if (!wanted(argc, argv)) {
		snprintf(why, whylen, "heap_hugepages = false");
		return;
	}
	if (asprintf(&val, "%s%s%s=1", old ? old : "", old && *old ? ":" : "", HEAP_THP_TUNABLE) < 0) {
		snprintf(why, whylen, "out of memory");
		return;
	}
	if (setenv("GLIBC_TUNABLES", val, 1) == 0)
		execv("/proc/self/exe", argv);
	/* still here: the same process goes on without it */
	snprintf(why, whylen, "cannot re-execute: %s", strerror(errno));
	free(val);
	if (old != NULL)
		setenv("GLIBC_TUNABLES", old, 1);
	else
		unsetenv("GLIBC_TUNABLES");
}
