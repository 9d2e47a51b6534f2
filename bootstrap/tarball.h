/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rootfs tarballs in and out (libarchive): import into a new container, export from one. */
#ifndef CROSSROOT_BOOTSTRAP_TARBALL_H
#define CROSSROOT_BOOTSTRAP_TARBALL_H

#include <stdbool.h>
#include <stddef.h>

struct tarball_error {
	char member[256]; /* the member being handled, or "" */
	char what[256];	  /* libarchive's message, or ours */
	int error;	  /* -errno */
};

/*
 * Extract the tarball at path (plain, gzip, xz, zstd, bzip2: libarchive
 * detects the filter) into the current working directory, which the caller
 * has made the new rootfs.  Members named absolutely or with a ".."
 * component are refused (-EPERM), and so is writing through a symlink the
 * tarball made (libarchive's ARCHIVE_EXTRACT_SECURE_* checks), so nothing
 * is ever written outside the rootfs.  With keep_owners the members' uids
 * and gids are applied (mapped mode, as root of the user's namespace);
 * otherwise everything belongs to the caller.  Device nodes are skipped:
 * crossroot binds /dev at run time.  Returns 0 or -errno with *err filled.
 */
int tarball_extract(const char *path, bool keep_owners, struct tarball_error *err);

/*
 * Extract the data.tar member of the .deb at path into the working
 * directory, with the same rules as tarball_extract().  Returns 0, or
 * -EBADMSG for a file that is not a .deb or is truncated, or -errno.
 */
int deb_extract_data(const char *path, bool keep_owners, struct tarball_error *err);

/* Whether name ends in .tar, .tar.gz, .tgz, .tar.xz, .tar.zst or .tar.bz2. */
bool tarball_name_known(const char *name);

/*
 * Write the tree at the working directory (a rootfs) as a tarball to fd,
 * compressed as the name says (.gz, .xz, .zst, .bz2; anything else plain),
 * members named "./...", owners as numbers as the caller sees them (inside
 * the user's namespace: the container's own ids).  Symlinks are stored, not
 * followed; mount points are not entered.  Returns 0 or -errno with *err.
 */
int tarball_write(int fd, const char *name, struct tarball_error *err);

#endif
