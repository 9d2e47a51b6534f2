/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tarball.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../runtime/util.h"
#include "libarchive.h"

static void read_free(struct archive **a)
{
	if (*a)
		la.archive_read_free(*a);
}

static int fail(struct tarball_error *err, struct archive *a, int error, const char *member, const char *what)
{
	snprintf(err->member, sizeof(err->member), "%s", member ? member : "");
	snprintf(err->what, sizeof(err->what), "%s",
		 what ? what : (a && la.archive_error_string(a) ? la.archive_error_string(a) : strerror(-error)));
	err->error = error;
	return error;
}

/* Whether a member name stays inside the rootfs: relative, no ".." component. */
static bool name_is_safe(const char *name)
{
	if (name[0] == '/')
		return false;
	for (const char *p = name; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += len;
		while (*p == '/')
			p++;
	}
	return true;
}

static void write_free_ptr(struct archive **a)
{
	if (*a)
		la.archive_write_free(*a);
}

/* Extract every entry of the open archive in into the working directory. */
static int extract_entries(struct archive *in, bool keep_owners, struct tarball_error *err)
{
	__attribute__((cleanup(write_free_ptr))) struct archive *out = NULL;
	int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_XATTR;
	struct archive_entry *entry;
	int r;

	if (keep_owners)
		flags |= ARCHIVE_EXTRACT_OWNER;
	out = la.archive_write_disk_new();
	if (!out)
		return fail(err, NULL, -ENOMEM, NULL, NULL);
	/* Owners by number: the rootfs's /etc/passwd is not the host's. */
	la.archive_write_disk_set_options(out, flags);
	for (;;) {
		const char *name;
		const void *buf;
		size_t size;
		la_int64_t offset;

		r = la.archive_read_next_header(in, &entry);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return fail(err, in, -EBADMSG, NULL, NULL);
		name = la.archive_entry_pathname(entry);
		if (!name || !name_is_safe(name))
			return fail(err, NULL, -EPERM, name, "absolute or '..' member name: refused");
		if (la.archive_entry_hardlink(entry) && !name_is_safe(la.archive_entry_hardlink(entry)))
			return fail(err, NULL, -EPERM, name, "hard link to an absolute or '..' path: refused");
		if (S_ISCHR(la.archive_entry_mode(entry)) || S_ISBLK(la.archive_entry_mode(entry)))
			continue; /* mknod is impossible in a user namespace; /dev is bound at run time */
		if (!keep_owners) {
			la.archive_entry_set_uid(entry, getuid());
			la.archive_entry_set_gid(entry, getgid());
		}
		r = la.archive_write_header(out, entry);
		if (r < ARCHIVE_WARN)
			return fail(err, out, la.archive_errno(out) ? -la.archive_errno(out) : -EPERM, name, NULL);
		if (r == ARCHIVE_OK && la.archive_entry_size(entry) > 0) {
			while ((r = la.archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
				if (la.archive_write_data_block(out, buf, size, offset) < ARCHIVE_OK)
					return fail(err, out, la.archive_errno(out) ? -la.archive_errno(out) : -EIO,
						    name, NULL);
			if (r != ARCHIVE_EOF)
				return fail(err, in, -EBADMSG, name, NULL);
		}
		if (la.archive_write_finish_entry(out) < ARCHIVE_WARN)
			return fail(err, out, la.archive_errno(out) ? -la.archive_errno(out) : -EIO, name, NULL);
	}
	if (la.archive_write_close(out) != ARCHIVE_OK)
		return fail(err, out, -EIO, NULL, NULL);
	return 0;
}

static struct archive *open_reader(struct tarball_error *err)
{
	struct archive *in;

	if (libarchive_load() < 0) {
		fail(err, NULL, -ELIBACC, NULL, "cannot load " LIBARCHIVE_SONAME ": apt-get install libarchive13");
		return NULL;
	}
	in = la.archive_read_new();
	if (!in) {
		fail(err, NULL, -ENOMEM, NULL, NULL);
		return NULL;
	}
	la.archive_read_support_filter_all(in);
	la.archive_read_support_format_tar(in);
	la.archive_read_support_format_gnutar(in);
	return in;
}

int tarball_extract(const char *path, bool keep_owners, struct tarball_error *err)
{
	__attribute__((cleanup(read_free))) struct archive *in = NULL;

	memset(err, 0, sizeof(*err));
	in = open_reader(err);
	if (!in)
		return err->error;
	if (la.archive_read_open_filename(in, path, 65536) != ARCHIVE_OK)
		return fail(err, in, -EINVAL, NULL, NULL);
	return extract_entries(in, keep_owners, err);
}

/* The inner tar of a .deb, read through the outer ar archive. */
static la_ssize_t read_member(struct archive *inner, void *data, const void **buf)
{
	static char block[65536];
	la_ssize_t n = la.archive_read_data(data, block, sizeof(block));

	*buf = block;
	return n;
}

int deb_extract_data(const char *path, bool keep_owners, struct tarball_error *err)
{
	__attribute__((cleanup(read_free))) struct archive *outer = NULL;
	__attribute__((cleanup(read_free))) struct archive *inner = NULL;
	struct archive_entry *entry;
	int r;

	memset(err, 0, sizeof(*err));
	if (libarchive_load() < 0)
		return fail(err, NULL, -ELIBACC, NULL, "cannot load " LIBARCHIVE_SONAME ": apt-get install libarchive13");
	outer = la.archive_read_new();
	if (!outer)
		return fail(err, NULL, -ENOMEM, NULL, NULL);
	la.archive_read_support_format_ar(outer);
	if (la.archive_read_open_filename(outer, path, 65536) != ARCHIVE_OK)
		return fail(err, outer, -EBADMSG, NULL, NULL);
	while ((r = la.archive_read_next_header(outer, &entry)) == ARCHIVE_OK) {
		const char *name = la.archive_entry_pathname(entry);

		if (!name || strncmp(name, "data.tar", 8) != 0)
			continue;
		inner = open_reader(err);
		if (!inner)
			return err->error;
		if (la.archive_read_open(inner, outer, NULL, read_member, NULL) != ARCHIVE_OK)
			return fail(err, inner, -EBADMSG, name, NULL);
		return extract_entries(inner, keep_owners, err);
	}
	return fail(err, r == ARCHIVE_EOF ? NULL : outer, -EBADMSG, NULL,
		    r == ARCHIVE_EOF ? "no data.tar member: not a .deb" : NULL);
}
