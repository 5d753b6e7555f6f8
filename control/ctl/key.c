/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys in srtpgwctl: --key - reads one from standard input, so that it
 * does not appear in argv (ps, shell history). Buffers that held a key
 * are zeroed before they are freed, best effort: json-c's parser keeps
 * its own scratch copy, which a short-lived client cannot reach.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "control/ctl/ctl.h"

static struct termios saved_tty;
static volatile sig_atomic_t tty_changed;

static void restore_tty(int sig)
{
	if (tty_changed)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* On a terminal: a prompt on stderr and no echo. */
static void tty_begin(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) != 0)
		return;
	fputs("key (base64): ", stderr);
	fflush(stderr);
	t = saved_tty;
	t.c_lflag &= ~(tcflag_t)ECHO;
	signal(SIGINT, restore_tty);
	signal(SIGTERM, restore_tty);
	signal(SIGHUP, restore_tty);
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
		tty_changed = 1;
}

static void tty_end(void)
{
	if (!tty_changed)
		return;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	tty_changed = 0;
	fputc('\n', stderr);
}

char *ctl_key_read(const char *what)
{
	char *buf = ctl_xmalloc(CTL_KEY_MAX + 1);
	size_t len = 0, start = 0;
	ssize_t n = 0;

	tty_begin();
	while (len < CTL_KEY_MAX && memchr(buf, '\n', len) == NULL) {
		n = read(STDIN_FILENO, buf + len, CTL_KEY_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	tty_end();
	if (n < 0) {
		int e = errno;
		ctl_key_free(buf);
		ctl_fail(CTL_EXIT_USAGE, "%s -: reading standard input: %s", what, strerror(e));
	}
	buf[len] = '\0';
	if (memchr(buf, '\n', len) == NULL && len == CTL_KEY_MAX) {
		ctl_key_free(buf);
		ctl_fail(CTL_EXIT_USAGE, "%s -: more than %d bytes on standard input", what,
			 CTL_KEY_MAX - 1);
	}
	/* the first line, without surrounding white space */
	len = strcspn(buf, "\n");
	while (len > 0 && strchr(" \t\r", buf[len - 1]) != NULL)
		len--;
	while (start < len && strchr(" \t", buf[start]) != NULL)
		start++;
	memmove(buf, buf + start, len - start);
	memset(buf + (len - start), 0, CTL_KEY_MAX + 1 - (len - start));
	if (buf[0] == '\0') {
		ctl_key_free(buf);
		ctl_fail(CTL_EXIT_USAGE, "%s -: no key on standard input", what);
	}
	return buf;
}

void ctl_key_free(char *key)
{
	if (key == NULL)
		return;
	explicit_bzero(key, CTL_KEY_MAX + 1);
	free(key);
}

void ctl_json_cleanse(struct json_object *obj)
{
	size_t n;

	if (json_object_is_type(obj, json_type_array)) {
		n = json_object_array_length(obj);
		for (size_t i = 0; i < n; i++)
			ctl_json_cleanse(json_object_array_get_idx(obj, i));
		return;
	}
	if (!json_object_is_type(obj, json_type_object))
		return;
	json_object_object_foreach(obj, name, v) {
		if (json_object_is_type(v, json_type_string) &&
		    (strcmp(name, "key") == 0 || strcmp(name, "sdp") == 0 || strcmp(name, "token") == 0))
			/* json-c's own copy of the string */
			explicit_bzero((char *)json_object_get_string(v),
				       (size_t)json_object_get_string_len(v));
		else
			ctl_json_cleanse(v);
	}
}
