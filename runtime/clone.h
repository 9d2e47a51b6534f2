/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copying a rootfs tree file by file, through file descriptors, for `create --from`. */
#ifndef CROSSROOT_CLONE_H
#define CROSSROOT_CLONE_H

#include <limits.h>
#include <stdint.h>

#include "../bootstrap/tarball.h"

/* What clone_tree() copied and left out, or where it failed. */
struct clone_report {
	uint64_t files;			     /* regular files made (hard links not counted) */
	uint64_t reflinked;		     /* of which share their data with the source (FICLONE) */
	uint64_t bytes;			     /* their size */
	struct tarball_list devices_skipped; /* character and block devices not made */
	char failed[PATH_MAX];		     /* on failure: the path (relative to the source) */
	char step[64];			     /* and what was done to it */
};

/*
 * Copy everything below the directory src (an O_RDONLY fd) into the empty
 * directory dst, then src's own owner, xattrs, mode and times onto dst.
 * Every entry is opened with O_NOFOLLOW relative to its parent's fd, so no
 * symlink of the source is ever followed, and a directory on another mount
 * (told by its mount id, statx(2) STATX_MNT_ID) stops the copy with -EXDEV.
 *
 * Regular files share the source's extents where the filesystem can
 * (ioctl_ficlone(2): btrfs, xfs, bcachefs), else are copied with
 * copy_file_range(2), else read and written.  Owners (fchown), xattrs
 * (those the caller may set: user.*, security.capability, POSIX ACLs; a
 * security.* or trusted.* one the kernel refuses to the caller is left
 * out), modes and access and modification times are kept; hard links stay
 * hard links (linkat(2)); symlinks keep their target, owner and times (not
 * their xattrs: no fd-based call sets one on a link before Linux 6.13);
 * FIFOs and sockets are made again (mknodat(2), which needs no privilege);
 * device nodes are skipped and named in report->devices_skipped (a user
 * namespace cannot make them; crossroot binds /dev at run time).  Change
 * times and inode numbers are new.
 *
 * Owners other than the caller's own need the caller to be root of the
 * user namespace the source's ids are mapped in (userns_call()).
 * Returns 0 with *report filled, or -errno with report->failed and
 * report->step saying where.
 */
int clone_tree(int src, int dst, struct clone_report *report);

#endif
