/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the fuzz harnesses (docs/fuzzing.md): a reader that turns the
 * fuzzer's bytes into choices, a check that aborts (libFuzzer records the
 * input as a crash), and, when built without libFuzzer (no SGW_LIBFUZZER),
 * a main() that replays files and directories of inputs through
 * LLVMFuzzerTestOneInput: the unit suite replays every corpus and
 * regression input in the normal and the ASan build.
 */
#ifndef SRTPGW_FUZZ_COMMON_H
#define SRTPGW_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Each harness: what it did (printed after a replay, and at the exit of
 * a fuzzer run when SGW_FUZZ_STATS is set). */
static void fz_summary(void);

#define FZ_CHECK(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s: ",       \
				__FILE__, __LINE__, #cond);                    \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

/* The input as a sequence of choices; reads past the end give zeroes. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline bool fz_empty(const struct fz *f)
{
	return f->n == 0;
}

static inline uint8_t fz_u8(struct fz *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

/* Little-endian, the low byte first: one statement a read, since the
 * order of two calls in one expression is unspecified (gcc and clang read
 * the same input differently, and a regression input would replay
 * otherwise than it was found). */
static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t lo = fz_u8(f);

	return (uint16_t)(lo | fz_u8(f) << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t lo = fz_u16(f);

	return lo | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t lo = fz_u32(f);

	return lo | (uint64_t)fz_u32(f) << 32;
}

/* n bytes, zero-filled past the end of the input. */
static inline void fz_bytes(struct fz *f, void *out, size_t n)
{
	size_t k = n < f->n ? n : f->n;

	memcpy(out, f->p, k);
	memset((uint8_t *)out + k, 0, n - k);
	f->p += k;
	f->n -= k;
}

/* One of n choices. */
static inline unsigned fz_pick(struct fz *f, unsigned n)
{
	return fz_u8(f) % n;
}

#ifndef SGW_LIBFUZZER
#include <dirent.h>
#include <sys/stat.h>


static unsigned fz_replayed;

static int fz_replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		fprintf(stderr, "%s: cannot read\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	rewind(f);
	/* exactly the input's size: ASan sees any read past its end */
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (getenv("SGW_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "replay %s (%ld bytes)\n", path, n);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	fz_replayed++;
	return 0;
}

static int fz_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or every file in a directory (sorted). A missing directory is
 * empty (git keeps no empty regress/ directories). */
static int fz_replay_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	DIR *d;

	if (stat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return fz_replay_file(path);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				abort();
		}
		names[n] = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (names[n] == NULL)
			abort();
		sprintf(names[n], "%s/%s", path, de->d_name);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), fz_cmp);
	for (size_t i = 0; i < n; i++) {
		if (fz_replay_file(names[i]) != 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n"
			"Runs every input through the fuzz harness (without libFuzzer).\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (fz_replay_path(argv[i]) != 0)
			rc = 1;
	fz_summary();
	printf("%u inputs replayed\n", fz_replayed);
	if (fz_replayed == 0) {
		fprintf(stderr, "no inputs found\n");
		return 1;
	}
	return rc;
}
#endif

#endif
