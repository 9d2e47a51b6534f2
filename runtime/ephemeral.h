/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ephemeral containers: a copy-on-write layer over the rootfs that is
 * thrown away afterwards (`run --ephemeral`, `start --ephemeral`).
 *
 * The container's init mounts an overlayfs (Documentation/filesystems/
 * overlayfs.rst) inside the container's own user and mount namespaces:
 * lower = the rootfs, upper and work = upper/ and work/ of a fresh layer
 * directory containers/NAME/ephemeral/layer.XXXXXX (0700).  Unprivileged
 * overlayfs mounts came with Linux 5.11, commit 459c7c565ac3 ("ovl:
 * unprivieged mounts"); crossroot needs 5.12, so it is always there.  In a
 * user namespace overlayfs cannot use trusted.overlay.* xattrs, so the mount
 * passes "userxattr" (5.11): opaque directories and whiteouts are marked
 * with user.overlay.*, which also turns redirect_dir and metacopy off (the
 * kernel refuses them with userxattr: following redirects written in an
 * unprivileged layer would be unsafe).  So renaming a directory of the
 * rootfs fails with EXDEV, and programs fall back to copy and delete (mv
 * does), and a chmod or chown of a rootfs file copies its data up.  Owners
 * need no care: overlayfs copies up as the mounter (root of the user
 * namespace) and gives the copy the lower file's ids, which are all mapped
 * there (subordinate ids in mapped mode, the user's own in single mode),
 * as every file of the rootfs was made in that namespace; a file of an
 * unmapped owner (put there from the host) could not be copied up.  The
 * upper root directory, which the merged / shows, is given the rootfs
 * root's owner and mode by mount_container().
 *
 * Why the layer lives beside the rootfs, on the store's filesystem, and
 * not in a tmpfs: a build's installs can be gigabytes, which a tmpfs would
 * take from memory; tmpfs holds user.* xattrs (opaque directories) only
 * since Linux 6.6; and copy-up on the rootfs's own filesystem can share
 * extents (btrfs, xfs).  The price is that a crash leaves the layer on
 * disk: each layer holds an flock(2) on its "lock" file while in use (the
 * run's crossroot, or a started container's init, which the kernel drops
 * when they die), and ephemeral_sweep() removes layers nobody holds at the
 * next run, start or stop of the container.
 *
 * The rootfs must not change under a mounted overlay (overlayfs.rst:
 * "Changes to underlying filesystems"), so container_rootfs_use() keeps
 * ephemeral users and those that write the rootfs itself apart.
 */
#ifndef CROSSROOT_EPHEMERAL_H
#define CROSSROOT_EPHEMERAL_H

#include "container.h"

#define EPHEMERAL_DIR "ephemeral"

struct ephemeral {
	int parent;	     /* O_RDONLY fd of containers/NAME/ephemeral */
	int dir;	     /* O_RDONLY fd of the layer directory, holding upper/ and work/ */
	int lock;	     /* the layer's lock file, flock(2) LOCK_EX while the layer is in use */
	char name[32];	     /* the layer directory's name in parent */
	char path[PATH_MAX]; /* and its path */
};

/*
 * Make a new layer for c (c->dir/ephemeral/layer.XXXXXX with empty upper/
 * and work/, owned by the caller) and lock it.  Every fd is -EBADF when it
 * fails.  Returns 0 or -errno.
 */
int ephemeral_make(const struct container *c, struct ephemeral *e);

/*
 * Remove e's layer and close its fds.  The caller must be able to remove
 * what the container made in it: root of the container's user namespace,
 * or the user in single mode.  A layer that cannot be removed stays
 * locked until the fds close, then goes at the next ephemeral_sweep().
 * Returns 0 or -errno.
 */
int ephemeral_discard(struct ephemeral *e);

/* Close e's fds (the lock is released; the layer stays for ephemeral_sweep()). */
void ephemeral_close(struct ephemeral *e);

/*
 * Remove every layer of c whose lock nobody holds (left by a crossroot or a
 * container init that was killed, or by a reboot), as root of c's user
 * namespace (userns_call()).  Called on the host, before any namespace is
 * entered.  Returns 0 or the first -errno (the others are still tried).
 */
int ephemeral_sweep(const struct container *c);

#endif
