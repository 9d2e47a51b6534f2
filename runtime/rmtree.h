/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Removing a container's directory without ever leaving it. */
#ifndef CROSSROOT_RMTREE_H
#define CROSSROOT_RMTREE_H

/*
 * Remove name (a directory) below dirfd and everything in it.  Symlinks are
 * removed, never followed; a directory on another mount (a bind mount, any
 * mount point, told by its mount id from statx(2) STATX_MNT_ID) stops the
 * removal with -EBUSY before anything below it is touched.  Directories
 * without write or search permission are made accessible first (the caller
 * owns them, or is root of their user namespace).
 *
 * Returns 0 or -errno (-EBUSY: a mount point was found; what was already
 * removed stays removed).
 */
int rmtree_at(int dirfd, const char *name);

#endif
