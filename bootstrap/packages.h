/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A Packages index (deb822 stanzas, Debian Policy 5.3), and choosing the
 * packages of a rootfs: Priority required and Essential, the variant's
 * extras and --include, closed over Depends and Pre-Depends with
 * alternatives and Provides, versions compared as dpkg does (version.h),
 * Breaks and Conflicts respected.
 */
#ifndef CROSSROOT_BOOTSTRAP_PACKAGES_H
#define CROSSROOT_BOOTSTRAP_PACKAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"

struct deb_package {
	const char *name, *version, *architecture, *priority, *filename, *sha256;
	const char *depends, *pre_depends, *provides; /* raw field values, or NULL */
	const char *breaks, *conflicts;		      /* raw field values, or NULL */
	uint64_t size;
	bool essential;
	bool selected;
};

struct deb_index {
	char *text; /* the whole index; fields point into it */
	struct deb_package *packages;
	size_t n;
	size_t *table; /* open addressing: index + 1 into packages, 0 empty */
	size_t table_size;
	size_t *file_ends; /* deb_index_load_many(): where in text each file's stanzas end */
	size_t n_files;
};

/*
 * Parse the uncompressed Packages text (taken over: freed with the index)
 * into *index.  Stanzas without Package, Filename or SHA256 are skipped.
 * Returns 0 or -ENOMEM.
 */
int deb_index_parse(char *text, struct deb_index *index);

/* Read the xz- or gzip-compressed (or plain) Packages file at path into *index. Returns 0 or -errno. */
int deb_index_load(const char *path, struct deb_index *index);

/*
 * Read the Packages files at paths[0..n) (each compressed or plain, e.g.
 * one per component) into one *index.  Returns 0 or -errno (-EBADMSG for
 * a file that does not decompress).
 */
int deb_index_load_many(const char *const *paths, size_t n, struct deb_index *index);

/* Which of the files given to deb_index_load_many() listed p (0 for an index of one text). */
size_t deb_index_file_of(const struct deb_index *index, const struct deb_package *p);

void deb_index_free(struct deb_index *index);

/* The newest version (deb_version_compare()) of the package called name, or NULL. */
struct deb_package *deb_index_find(const struct deb_index *index, const char *name);

/*
 * Select the rootfs's packages as apt would: Priority required or
 * Essential yes, plus the names in extras (NULL-terminated: the variant's,
 * then --include), each at its newest version, closed over Depends and
 * Pre-Depends.  For each dependency ("a (>= 1) | b"), the first alternative
 * already selected that satisfies it wins, else the newest version of the
 * first alternative that satisfies it, else the first package providing it
 * (with a version that satisfies a versioned dependency: Debian Policy
 * 7.5); a candidate that a selected package Conflicts with or Breaks, or
 * that Conflicts with or Breaks a selected package, is passed over.  One
 * version of each name is selected.  Returns the number selected, or
 * -ENOENT with *err naming an extra that does not
 * exist or a dependency nothing satisfies and who needs it, or two
 * selected packages that conflict.
 */
int deb_select(struct deb_index *index, const char *const *extras, struct cr_error *err);

#endif
