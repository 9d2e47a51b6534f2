/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Facts about the host that decide what crossroot can do: kernel version,
 * whether unprivileged user namespaces are allowed, sysctls that restrict
 * them, subordinate id ranges, and whether root's setup was done.
 */
#ifndef CROSSROOT_HOST_H
#define CROSSROOT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Root's setup pins each user's namespace at CROSSROOT_PIN_DIR/UID: a
 * directory only root writes to, so no user can put anything on the path
 * root works on (not the user's own runtime directory).
 */
#define CROSSROOT_RUN_DIR "/run/crossroot"
#define CROSSROOT_PIN_DIR CROSSROOT_RUN_DIR "/pins"

struct kernel_version {
	unsigned major, minor, patch;
	char release[65]; /* uname -r */
};

/* The running kernel's version from uname(2). Returns 0 or -errno (-EINVAL if unparsable). */
int host_kernel_version(struct kernel_version *out);

/* Whether v is at least major.minor. */
bool kernel_at_least(const struct kernel_version *v, unsigned major, unsigned minor);

/*
 * Whether this process may create a user namespace: a child calls
 * unshare(CLONE_NEWUSER) and reports.  Returns 0 when it can, or the child's
 * -errno (-EPERM/-EACCES: forbidden by sysctl or LSM policy; -ENOSPC:
 * user.max_user_namespaces reached; -EINVAL: kernel without user namespaces).
 */
int host_userns_probe(void);

/*
 * Whether this process can be root of a user namespace it creates: a child
 * unshares one and maps uid 0 in it to its own uid.  Returns 0, or -errno:
 * -EPERM when the mapping is refused, which on Linux >= 5.12 happens when
 * the creator lacks CAP_SETFCAP in its own namespace (kernel commit
 * db2e718a4798 "capabilities: require CAP_SETFCAP to map uid 0"), as in a
 * container run without it.
 */
int host_userns_root_probe(void);

/*
 * Read an integer sysctl given as a path under /proc/sys ("user/max_user_namespaces").
 * Returns 0 and *value, -ENOENT when this kernel has no such sysctl, or -errno.
 */
int host_sysctl_read(const char *name, long *value);

/* One range of subordinate ids: count ids starting at start. */
struct subid_range {
	unsigned long start;
	unsigned long count;
};

/*
 * The ranges that file (/etc/subuid or /etc/subgid, subuid(5)) grants to the
 * user named user or with numeric id id (both forms are valid in the file),
 * up to max ranges into ranges; *n receives their number.  Malformed lines
 * are skipped, as shadow-utils does.  Returns 0 (with *n possibly 0), or
 * -errno when the file cannot be read (-ENOENT when it does not exist).
 */
int subid_lookup(const char *file, const char *user, unsigned long id, struct subid_range *ranges, size_t max,
		 size_t *n);

/*
 * Whether root's setup pinned a user namespace for uid: CROSSROOT_PIN_DIR/UID
 * is a namespace file (nsfs), looked at without following a symlink.
 * Returns 1, 0, or -errno for an unexpected failure.
 */
int host_setup_done(uid_t uid);

/* CROSSROOT_PIN_DIR/UID into buf.  Returns 0 or -ENAMETOOLONG. */
int host_pin_path(uid_t uid, char *buf, size_t size);

#endif
