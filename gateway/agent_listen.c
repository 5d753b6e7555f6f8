/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agent socket's file (and the punt socket's: the same rules). Whoever can connect to it changes the gateway's
 * tables, and whoever can replace it receives the control plane's keys:
 * so it is born with its final mode (0660: the umask is set around bind,
 * there is no moment with a wider mode to chmod from), in a directory that
 * only root or the gateway's own user can write to. A missing directory is
 * made 0750 and given to the gateway's user and group; an existing one that
 * others may write to (world-writable, sticky or not), or that belongs to
 * another user, is refused. Runs at start-up, before srtpgw drops root.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gateway/agent.h"

/* mkdir of dir with exactly this mode (whatever the umask), unless it exists. */
static int make_dir(const char *dir, mode_t mode)
{
	if (mkdir(dir, mode) != 0)
		return errno == EEXIST ? 0 : -1;
	return chmod(dir, mode);
}

/* mkdir -p of dir: the directories above it 0755 (as /run is), dir 0750. */
static int make_dirs(char *dir)
{
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (make_dir(dir, 0755) != 0)
			return -1;
		*p = '/';
	}
	return make_dir(dir, 0750);
}

/* May the gateway trust dir with its socket? 0, or -1 with err set. */
static int check_dir(const char *what, const char *dir, const struct sgw_config *cfg, char *err,
		     size_t errlen)
{
	gid_t own_gid = cfg->has_user ? cfg->gid : getegid();
	struct stat st;

	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "%s directory %s: %s", what, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s directory %s: not a directory", what, dir);
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen,
			 "%s directory %s is world-writable (mode %04o): anyone could replace "
			 "the socket; give it a directory of its own (e.g. /run/srtpgw/agent.sock)",
			 what, dir, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() && !(cfg->has_user && st.st_uid == cfg->uid)) {
		snprintf(err, errlen,
			 "%s directory %s belongs to uid %u: it must belong to root or to the "
			 "gateway's user", what, dir, (unsigned)st.st_uid);
		return -1;
	}
	if ((st.st_mode & S_IWGRP) && st.st_gid != 0 && st.st_gid != own_gid) {
		snprintf(err, errlen,
			 "%s directory %s is writable by group %u (mode %04o): only root's or "
			 "the gateway's group may write to it", what, dir, (unsigned)st.st_gid,
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The directory of path, created if missing. */
static int prepare_dir(const char *what, const char *path, const struct sgw_config *cfg, char *err,
		       size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) != 0 && errno == ENOENT) {
		if (make_dirs(dir) != 0) {
			snprintf(err, errlen, "%s directory %s: cannot create it: %s", what, dir,
				 strerror(errno));
			return -1;
		}
		/* ours: the gateway's user keeps it, its group may enter */
		if (cfg->has_user && chown(dir, cfg->uid, cfg->gid) != 0) {
			snprintf(err, errlen, "%s directory %s: cannot give it to uid %u gid %u: %s", what,
				 dir, cfg->uid, cfg->gid, strerror(errno));
			return -1;
		}
	}
	return check_dir(what, dir, cfg, err, errlen);
}

int agent_listen(const char *what, const char *path, int type, const struct sgw_config *cfg,
		 char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_mask;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s %s: path too long", what, path);
		return -1;
	}
	if (prepare_dir(what, path, cfg, err, errlen) != 0)
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (lstat(path, &st) == 0) {
		/* a stale socket from a previous run: only if nobody answers on it */
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s %s: exists and is not a socket", what, path);
			close(fd);
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
			snprintf(err, errlen, "%s %s: another process serves it", what, path);
			close(fd);
			return -1;
		}
		close(fd);
		fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto fail;
		unlink(path);
	}
	old_mask = umask(0117); /* born 0660 */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc != 0)
		goto fail;
	if (cfg->has_user && lchown(path, cfg->uid, cfg->gid) != 0)
		goto fail;
	if (listen(fd, 64) != 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}
