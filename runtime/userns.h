/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User namespaces made by an unprivileged process for itself. */
#ifndef CROSSROOT_USERNS_H
#define CROSSROOT_USERNS_H

#include <sys/types.h>

/*
 * Move the calling process into a new user namespace (plus the namespaces in
 * extra_flags, CLONE_NEWNS for example) in which exactly one uid and one gid
 * are mapped: inner_uid to the caller's current uid outside, inner_gid to its
 * current gid.  setgroups is set to "deny" first, as an unprivileged process
 * must before writing gid_map (user_namespaces(7)); supplementary groups
 * then show as the overflow gid.  Each map is written in one write(2): a
 * second write on the same open file fails with EINVAL, and any write to a
 * map already set with EPERM (user_namespaces(7)).  The caller must be
 * single-threaded.
 * Returns 0 or -errno (-EPERM/-EACCES: user namespaces forbidden here).
 */
int userns_unshare_single(uid_t inner_uid, gid_t inner_gid, int extra_flags);

#endif
