/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgwctl's UNIX socket, made at start-up before privileges are dropped
 * (docs/control.md, "Sockets"). Whoever may write to the socket's
 * directory may replace the socket with their own and collect the
 * requests (and tokens) sent to it, so the directory must be writable by
 * root and the daemon only: it is made 0750 (given to the daemon's user
 * and the socket's group) when missing, and refused when group or others
 * may write to it or another user owns it. The socket is born 0660 (umask at bind), so there
 * is no moment at which others may connect.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control/daemon/serve.h"

/* mkdir -p dir, the last component 0750 whatever the umask; 1 if it made
 * the last one, 0 if it was there, -1 on failure. */
static int make_dir(const char *dir)
{
	char path[108];
	int made = 0;

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			made = mkdir(path, 0750) == 0;
			if (!made && errno != EEXIST)
				return -1;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	if (made && chmod(dir, 0750) != 0)
		return -1;
	return made;
}

/* The socket's directory: there (or made), ours or root's, and writable
 * by its owner only. uid: who the daemon serves as. A directory it makes
 * goes to owner and group (-1: unchanged): its user when it drops root,
 * the socket's group, whose members must be able to enter it. */
static int check_dir(const char *dir, uid_t uid, uid_t owner, gid_t group, char *err, size_t errlen)
{
	struct stat st;
	int made = make_dir(dir);

	if (made < 0) {
		snprintf(err, errlen, "socket directory %s: cannot create it: %s", dir, strerror(errno));
		return -1;
	}
	if (made == 1 && chown(dir, owner, group) != 0) {
		snprintf(err, errlen, "socket directory %s: cannot give it to uid %d gid %d: %s", dir, (int)owner,
			 (int)group, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "socket directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "socket directory %s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != uid) {
		snprintf(err, errlen, "socket directory %s belongs to uid %u, not to root or the daemon (uid %u): "
			 "it could replace the socket", dir, (unsigned)st.st_uid, (unsigned)uid);
		return -1;
	}
	if (st.st_mode & 022) {
		snprintf(err, errlen, "socket directory %s has mode %04o: %s may write to it and replace the "
			 "socket; use a directory only root and the daemon may write to (not /tmp)", dir,
			 (unsigned)(st.st_mode & 07777), st.st_mode & 002 ? "anyone" : "its group");
		return -1;
	}
	return 0;
}

int ctl_unix_bind(const struct ctl_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uid_t uid = cfg->drop ? (uid_t)cfg->uid : geteuid();
	gid_t gid = cfg->drop ? (gid_t)cfg->gid : (gid_t)-1;
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	mode_t old;
	int fd, e;

	if (cfg->socket_group[0] != '\0') {
		struct group *g = getgrnam(cfg->socket_group);
		if (g == NULL) {
			snprintf(err, errlen, "socket_group: no group \"%s\"", cfg->socket_group);
			return -1;
		}
		gid = g->gr_gid;
	}
	snprintf(dir, sizeof(dir), "%s", cfg->socket);
	if (check_dir(dirname(dir), uid, cfg->drop ? uid : (uid_t)-1, gid, err, errlen) != 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cfg->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "socket %s: another daemon serves it", cfg->socket);
		return -1;
	}
	if (lstat(cfg->socket, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "socket %s: there is a file that is not a socket; not removing it",
			 cfg->socket);
		return -1;
	}
	unlink(cfg->socket);
	old = umask(0117);
	e = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (e != 0 || (gid != (gid_t)-1 && chown(cfg->socket, (uid_t)-1, gid) != 0))
		goto fail;
	return fd;
fail:
	e = errno;
	snprintf(err, errlen, "socket %s: %s", cfg->socket, strerror(e));
	if (fd >= 0)
		close(fd);
	return -1;
}
