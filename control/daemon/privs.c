/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtpgw-control's privileges (docs/control.md, "Privileges"): it holds
 * the key-encryption key, unsealed SRTP keys while it works with them and
 * the TLS key, so it is never dumpable (no core file; no ptrace or
 * /proc/PID/mem by processes of its uid), and, configured with user, it
 * gives up root once it has opened what needs root.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "control/daemon/privs.h"

int ctl_no_core_dumps(char *err, size_t errlen)
{
	struct rlimit none = { 0, 0 };

	/* dumpable 0 alone still dumps (as root) where fs.suid_dumpable is 2 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || setrlimit(RLIMIT_CORE, &none) != 0) {
		snprintf(err, errlen, "cannot turn core dumps off: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int ctl_privileges_check(const struct ctl_config *cfg, char *err, size_t errlen)
{
	/* started as that user: nothing to become */
	if (!cfg->drop || geteuid() == 0 || geteuid() == cfg->uid)
		return 0;
	snprintf(err, errlen, "user: becoming %s needs root (running as uid %u)", cfg->user, (unsigned)geteuid());
	return -1;
}

int ctl_drop_privileges(const struct ctl_config *cfg, char *err, size_t errlen)
{
	if (!cfg->drop || geteuid() != 0)
		return ctl_privileges_check(cfg, err, errlen);
	/* the user's own groups too: e.g. the one that may use the gateway's
	 * agent socket */
	if (initgroups(cfg->user, (gid_t)cfg->gid) != 0 || setresgid(cfg->gid, cfg->gid, cfg->gid) != 0 ||
	    setresuid(cfg->uid, cfg->uid, cfg->uid) != 0) {
		snprintf(err, errlen, "user: cannot become %s (uid %u gid %u): %s", cfg->user, cfg->uid, cfg->gid,
			 strerror(errno));
		return -1;
	}
	if (cfg->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		snprintf(err, errlen, "user: became %s but could become root again", cfg->user);
		return -1;
	}
	/* a change of uid makes the process dumpable again (fs.suid_dumpable) */
	return ctl_no_core_dumps(err, errlen);
}
