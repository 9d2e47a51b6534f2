/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Root's one-time setup: a persistent user namespace per user, owned by the
 * user, with the user's subordinate ids mapped (doc/design.md facts 6, 7
 * and 8; the order of the steps: section 3.1).
 *
 * A child running as the user unshares CLONE_NEWUSER, so the user owns the
 * namespace and can later setns(2) into it without privilege; root writes
 * its uid_map and gid_map, each in one write(2) (user_namespaces(7)), which
 * leaves setgroups "allow" (apt's _apt sandbox calls setgroups); root then
 * bind-mounts /proc/CHILD/ns/user onto CROSSROOT_PIN_DIR/UID, which keeps
 * the namespace alive after the child exits, until teardown or reboot.
 *
 * Root never resolves a path inside a directory a user controls: every
 * directory on the way to the pin must be root's and writable by root alone
 * (checked on O_PATH fds opened with openat2(2) RESOLVE_NO_SYMLINKS), the
 * pin is looked at with O_PATH|O_NOFOLLOW, created with O_EXCL|O_NONBLOCK,
 * mounted with open_tree(2)+move_mount(2) onto its fd and unmounted with
 * UMOUNT_NOFOLLOW (mount(2) and umount2(2) would follow a swapped symlink).
 */
#ifndef CROSSROOT_SETUP_H
#define CROSSROOT_SETUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "../base/error.h"
#include "host.h"

/* A user namespace needs at least this many subordinate ids: Debian uses 0-65534. */
#define SETUP_MIN_IDS 65536

struct setup_plan {
	char user[64];
	uid_t uid;
	gid_t gid;
	struct subid_range subuid, subgid; /* the ranges chosen */
	char uid_map[256], gid_map[256];   /* the text written, one line per mapping */
};

/*
 * Plan the namespace for user (a name): look the user up, choose a range of
 * at least SETUP_MIN_IDS ids in subuid_file and subgid_file that does not
 * hold the user's own uid or gid, and build the maps: inside ids 0..N-1 go
 * to the range, except the user's uid and primary gid, which map to
 * themselves so $HOME keeps its owner (65534, nobody, is inside 0..N-1).
 *
 * Returns 0, or -errno with *err saying what to fix:
 * -ESRCH no such user, -EINVAL root (uid 0) asked for, -ENOENT no range
 * in a file, -ERANGE ranges too small, -EEXIST every range holds the
 * user's own id.
 */
int setup_plan_user(const char *user, const char *subuid_file, const char *subgid_file, struct setup_plan *plan,
		    struct cr_error *err);

/*
 * Carry out plan (as root): pin a new namespace at CROSSROOT_PIN_DIR/UID
 * (the directories created root's, 0755, when missing).  When a namespace
 * is pinned there already with the same maps, nothing changes and *changed
 * is false; with other maps it is replaced.  Returns 0 or -errno: -EPERM a
 * directory on the way is not root's alone, -EEXIST the pin path holds
 * something crossroot did not make (nothing is done to it), -ETIMEDOUT a
 * helper process in the user's namespace did not get going within 5 s (the
 * user can stop it: it is killed, never waited on), or the errno of the
 * failed step.
 */
int setup_apply(const struct setup_plan *plan, bool *changed);

/*
 * Undo setup for uid: unpin the namespace (running containers keep theirs
 * until they stop) and remove the pin file.  Returns 1 when there was one,
 * 0 when nothing was set up, or -errno: -EPERM and -EEXIST as for
 * setup_apply().
 */
int setup_teardown(uid_t uid);

#endif
