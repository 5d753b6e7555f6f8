/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What srtpgw keeps of its privileges (docs/security.md, "Keys and
 * privileges").
 *
 * Never dumpable, from the first instruction: the session keys live in
 * libsrtp's contexts, which libsrtp allocates with malloc among everything
 * else, so MADV_DONTDUMP could only cover them with an allocator of our
 * own inside libsrtp; PR_SET_DUMPABLE 0 keeps the whole process out of
 * core dumps (and /proc/PID/mem and ptrace from other users).
 *
 * Root is needed only to start: hugepages or memfd, the PCI or vdev
 * devices, AF_PACKET and TAP sockets, MTU and multicast settings, the
 * agent socket in /run. Once all of that is open, srtpgw becomes the
 * config's user and group and keeps no capability: the open sockets,
 * devices and mappings go on working, and nothing it does at run time
 * needs more (the memif server accepts on a socket it already listens on).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_eal.h>

#include "api/log.h"
#include "gateway/privs.h"

void privs_no_core_dumps(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* The EAL's runtime directory (/var/run/dpdk/PREFIX) and what is in it
 * go to the user, so that the EAL can remove them at exit. */
static void give_runtime_dir(uid_t uid, gid_t gid)
{
	const char *dir = rte_eal_get_runtime_dir();
	struct dirent *de;
	DIR *d;

	if (dir == NULL || dir[0] == '\0' || (d = opendir(dir)) == NULL)
		return;
	if (fchown(dirfd(d), uid, gid) != 0)
		sgw_log(LOG_WARNING, "%s: cannot give it to uid %u: %s", dir, (unsigned)uid, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			(void)!fchownat(dirfd(d), de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW);
	closedir(d);
}

/* No capability left in the permitted set of this thread. */
static bool no_capabilities(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return false;
	return (d[0].permitted | d[1].permitted | d[0].effective | d[1].effective) == 0;
}

int privs_drop(const struct sgw_config *cfg, char *err, size_t errlen)
{
	uid_t uid = cfg->uid, ruid, euid, suid;
	gid_t gid = cfg->gid, rgid, egid, sgid;

	if (!cfg->has_user) {
		if (geteuid() == 0)
			sgw_log(LOG_WARNING, "running as root: set user (and group) in the config to drop "
				"root once started (docs/security.md)");
		return 0;
	}
	if (geteuid() != 0) {
		if (geteuid() == uid && getegid() == gid)
			return 0;
		snprintf(err, errlen, "user: cannot become uid %u gid %u: srtpgw was not started as root",
			 (unsigned)uid, (unsigned)gid);
		return -1;
	}
	give_runtime_dir(uid, gid);
	/* glibc applies these to every thread of the process (the EAL's and
	 * the lcores' too), and the kernel clears the capabilities of each
	 * as its uids leave 0 */
	if ((cfg->user_name[0] != '\0' ? initgroups(cfg->user_name, gid) : setgroups(1, &gid)) != 0 ||
	    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
		snprintf(err, errlen, "user: cannot become uid %u gid %u: %s", (unsigned)uid,
			 (unsigned)gid, strerror(errno));
		return -1;
	}
	if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0 ||
	    ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid || sgid != gid ||
	    (uid != 0 && (setuid(0) == 0 || !no_capabilities()))) {
		snprintf(err, errlen, "user: still privileged after becoming uid %u gid %u", (unsigned)uid,
			 (unsigned)gid);
		return -1;
	}
	/* a change of uid resets "dumpable" to fs.suid_dumpable: again */
	privs_no_core_dumps();
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	sgw_log(LOG_INFO, "running as uid %u gid %u", (unsigned)uid, (unsigned)gid);
	return 0;
}
