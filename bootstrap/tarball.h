/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rootfs tarballs in and out (libarchive): import into a new container, export from one. */
#ifndef CROSSROOT_BOOTSTRAP_TARBALL_H
#define CROSSROOT_BOOTSTRAP_TARBALL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../base/error.h"

/*
 * Errors come back as -errno with struct cr_error (base/error.h): in
 * extraction "member NAME: " and libarchive's message or ours, in writing
 * "PATH: " and the message; without a member, the message alone.
 */

/*
 * Whose the extracted files are.  With keep, the members' uids and gids are
 * applied (mapped mode, as root of the user's namespace), and user_uid and
 * user_gid are the ids inside that are the user's own on the host;
 * without, every file belongs to the caller, which is the user on the host
 * (single mode).
 */
struct tarball_owners {
	bool keep;
	uid_t user_uid;
	gid_t user_gid;
};

#define TARBALL_NAMES_KEPT 4

/* Members of one kind: how many, and the first TARBALL_NAMES_KEPT names. */
struct tarball_list {
	size_t count;
	char names[TARBALL_NAMES_KEPT][128];
};

/* What an extraction changed or left out, for the caller to report. */
struct tarball_report {
	struct tarball_list setid_dropped;   /* files whose setuid or setgid bit was dropped */
	struct tarball_list devices_skipped; /* character and block devices not created */
};

/*
 * Extract the tarball at path (plain, gzip, xz, zstd, bzip2: libarchive
 * detects the filter) into the current working directory, which the caller
 * has made the new rootfs.  Members named absolutely or with a ".."
 * component are refused (-EPERM), and so is writing through a symlink the
 * tarball made (libarchive's ARCHIVE_EXTRACT_SECURE_* checks), so nothing
 * is ever written outside the rootfs.  Owners follow *owners.
 *
 * No file becomes setuid or setgid to the user on the host: a non-directory
 * loses S_ISUID when its owner is the user's (user_uid, or any owner
 * without keep) and S_ISGID when its group is (user_gid, or any without
 * keep); root's setuid programs keep theirs in mapped mode (sudo works).  A
 * directory's setgid bit only passes its group on and is kept.  Device
 * nodes are skipped (mknod is impossible in a user namespace; crossroot
 * binds /dev at run time).  FIFOs are kept: mkfifo needs no privilege and
 * grants none.  Dropped bits and skipped nodes are listed in *report
 * (NULL: not wanted).  A member whose owner or group is not an id of
 * 0 .. 2^32 - 2 (pax headers can say any number; chown(2) would cut it to
 * 32 bits) is refused, -EOVERFLOW.
 *
 * Returns 0 or -errno with *err filled.
 */
int tarball_extract(const char *path, const struct tarball_owners *owners, struct tarball_report *report,
		    struct cr_error *err);

/* tarball_extract() of the tarball read from fd (a file or a pipe: stdin). */
int tarball_extract_fd(int fd, const struct tarball_owners *owners, struct tarball_report *report,
		       struct cr_error *err);

/*
 * Apply one layer of an OCI image (a tar, compressed or not, in the regular
 * file at fd) to the rootfs at the working directory, which holds the
 * layers below it (image-spec layer.md).  First its whiteouts, wherever
 * they stand in the tar: dir/.wh.NAME removes dir/NAME (with everything
 * below it), dir/.wh..wh..opq everything the lower layers put in dir; a
 * whiteout never reaches through a symlink (-ELOOP) nor across a mount.
 * Then every other member, under tarball_extract()'s rules.  The layer may
 * be empty.  Returns 0 or -errno with *err filled.
 */
int tarball_apply_layer(int fd, const struct tarball_owners *owners, struct tarball_report *report,
			struct cr_error *err);

/*
 * Extract the data.tar member of the .deb at path into the working
 * directory, with the same rules as tarball_extract().  Returns 0, or
 * -EBADMSG for a file that is not a .deb or is truncated, or -errno.
 */
int deb_extract_data(const char *path, const struct tarball_owners *owners, struct cr_error *err);

/* Whether name ends in .tar, .tar.gz, .tgz, .tar.xz, .tar.zst or .tar.bz2. */
bool tarball_name_known(const char *name);

/*
 * Write the tree at the working directory (a rootfs) as a tarball to fd,
 * compressed as the name says (.gz, .xz, .zst, .bz2; anything else plain),
 * members named "./...", owners as numbers as the caller sees them (inside
 * the user's namespace: the container's own ids).  Symlinks are stored, not
 * followed; mount points are not entered.  Returns 0 or -errno with *err.
 */
int tarball_write(int fd, const char *name, struct cr_error *err);

#endif
