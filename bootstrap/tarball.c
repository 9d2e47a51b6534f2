/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "tarball.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../runtime/rmtree.h"
#include "../base/syscalls.h"
#include "../base/util.h"
#include "libarchive.h"

static void read_free(struct archive **a)
{
	if (*a)
		la.archive_read_free(*a);
}

/*
 * err for a libarchive failure on a (its message, with the system's reason)
 * or for what, about member (NULL: none) named after prefix ("member " in
 * extraction, "" for a path written).  Returns the -errno.
 */
static int fail_as(struct cr_error *err, struct archive *a, int error, const char *prefix, const char *member,
		   const char *what)
{
	const char *text = what;
	int sys = a ? la.archive_errno(a) : 0;
	char why[256];

	if (!text)
		text = a && la.archive_error_string(a) ? la.archive_error_string(a) : strerror(-error);
	/* libarchive's words ("Write failed") with the system's reason ("No space left on device"). */
	if (!what && sys > 0 && !strstr(text, strerror(sys)))
		snprintf(why, sizeof(why), "%.180s: %.60s", text, strerror(sys));
	else
		snprintf(why, sizeof(why), "%s", text);
	error = sys > 0 ? -sys : error;
	if (member && member[0])
		return cr_fail(err, error, "%s%.255s: %s", prefix, member, why);
	return cr_fail(err, error, "%s", why);
}

/* fail_as() in extraction: the member named "member NAME". */
static int fail(struct cr_error *err, struct archive *a, int error, const char *member, const char *what)
{
	return fail_as(err, a, error, "member ", member, what);
}

/* fail_as() for a file written or a .deb's part: named by its path alone. */
static int fail_path(struct cr_error *err, struct archive *a, int error, const char *path, const char *what)
{
	return fail_as(err, a, error, "", path, what);
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

/* Remove name below dirfd: unlinked, or a directory with everything in it (never following a symlink). */
static int remove_entry(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	return rmtree_at(dirfd, name);
}

static void write_free_ptr(struct archive **a)
{
	if (*a)
		la.archive_write_free(*a);
}

static void list_add(struct tarball_list *list, const char *name)
{
	if (list->count < TARBALL_NAMES_KEPT)
		snprintf(list->names[list->count], sizeof(list->names[0]), "%s", name);
	list->count++;
}

/*
 * Clear the setuid and setgid bits that would be the user's own on the
 * host (tarball.h says which).  Returns whether any was set.
 */
static bool drop_user_setid(struct archive_entry *entry, const struct tarball_owners *owners)
{
	mode_t mode = la.archive_entry_mode(entry), drop = 0;

	if (S_ISDIR(mode))
		return false;
	/* Compared as the kernel will see them: ids_fit() keeps out any wider. */
	if (!owners->keep || (uid_t)la.archive_entry_uid(entry) == owners->user_uid)
		drop |= S_ISUID;
	if (!owners->keep || (gid_t)la.archive_entry_gid(entry) == owners->user_gid)
		drop |= S_ISGID;
	if (!(mode & drop))
		return false;
	la.archive_entry_set_mode(entry, mode & ~drop);
	return true;
}

/*
 * Whether the member's owner and group are ids the kernel can take as they
 * are: 0 .. 2^32 - 2.  A wider one (a pax header may say anything) would be
 * cut to 32 bits by chown(2), so uid 2^32 + 1000 would become uid 1000
 * after drop_user_setid() had judged it another's; (uid_t)-1 means "leave
 * unchanged" to chown(2).
 */
static bool ids_fit(struct archive_entry *entry)
{
	la_int64_t uid = la.archive_entry_uid(entry), gid = la.archive_entry_gid(entry);

	return uid >= 0 && uid < (la_int64_t)UINT32_MAX && gid >= 0 && gid < (la_int64_t)UINT32_MAX;
}

/* Copy the data of the member just written from in to out. */
static int copy_data(struct archive *in, struct archive *out, const char *name, struct cr_error *err)
{
	const void *buf;
	size_t size;
	la_int64_t offset;
	int r;

	while ((r = la.archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
		if (la.archive_write_data_block(out, buf, size, offset) < ARCHIVE_OK)
			return fail(err, out, la.archive_errno(out) ? -la.archive_errno(out) : -EIO, name, NULL);
	return r == ARCHIVE_EOF ? 0 : fail(err, in, -EBADMSG, name, NULL);
}

/* Write the member whose header was just read, under the rules of tarball_extract(). */
static int extract_entry(struct archive *in, struct archive *out, struct archive_entry *entry,
			 const struct tarball_owners *owners, struct tarball_report *report, struct cr_error *err)
{
	const char *name = la.archive_entry_pathname(entry);
	mode_t mode = la.archive_entry_mode(entry);
	int r;

	if (!name || !name_is_safe(name))
		return fail(err, NULL, -EPERM, name, "absolute or '..' member name: refused");
	if (la.archive_entry_hardlink(entry) && !name_is_safe(la.archive_entry_hardlink(entry)))
		return fail(err, NULL, -EPERM, name, "hard link to an absolute or '..' path: refused");
	/* A tar member cannot be a socket; a device node cannot be made in a user namespace. */
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		list_add(&report->devices_skipped, name);
		return 0;
	}
	if (!ids_fit(entry))
		return fail(err, NULL, -EOVERFLOW, name, "owner or group id is not a 32-bit id: refused");
	if (drop_user_setid(entry, owners))
		list_add(&report->setid_dropped, name);
	if (!owners->keep) {
		la.archive_entry_set_uid(entry, getuid());
		la.archive_entry_set_gid(entry, getgid());
	}
	r = la.archive_write_header(out, entry);
	if (r < ARCHIVE_WARN)
		return fail(err, out, la.archive_errno(out) ? -la.archive_errno(out) : -EPERM, name, NULL);
	if (r == ARCHIVE_OK && la.archive_entry_size(entry) > 0) {
		r = copy_data(in, out, name, err);
		if (r < 0)
			return r;
	}
	if (la.archive_write_finish_entry(out) < ARCHIVE_WARN)
		return fail(err, out, la.archive_errno(out) ? -la.archive_errno(out) : -EIO, name, NULL);
	return 0;
}

/* Whether name's last component is an OCI whiteout (".wh.NAME" or the opaque ".wh..wh..opq"). */
static bool is_whiteout(const char *name)
{
	const char *base = strrchr(name, '/');

	return !strncmp(base ? base + 1 : name, ".wh.", 4);
}

/*
 * Extract every entry of the open archive in into the working directory.
 * A layer (of an OCI image) may be empty, and its whiteouts are applied
 * before (apply_whiteouts()), not extracted.
 */
static int extract_entries(struct archive *in, bool layer, const struct tarball_owners *owners,
			   struct tarball_report *report, struct cr_error *err)
{
	__attribute__((cleanup(write_free_ptr))) struct archive *out = NULL;
	int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_XATTR;
	struct tarball_report unwanted;
	struct archive_entry *entry;
	size_t members = 0;
	int r;

	memset(&unwanted, 0, sizeof(unwanted));
	if (!report)
		report = &unwanted;
	if (owners->keep)
		flags |= ARCHIVE_EXTRACT_OWNER;
	out = la.archive_write_disk_new();
	if (!out)
		return fail(err, NULL, -ENOMEM, NULL, NULL);
	/* Owners by number: the rootfs's /etc/passwd is not the host's. */
	la.archive_write_disk_set_options(out, flags);
	while ((r = la.archive_read_next_header(in, &entry)) != ARCHIVE_EOF) {
		/* ARCHIVE_RETRY (a damaged header) is an error too, not a member. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return fail(err, in, -EBADMSG, NULL, NULL);
		members++;
		if (layer && la.archive_entry_pathname(entry) && is_whiteout(la.archive_entry_pathname(entry)))
			continue;
		r = extract_entry(in, out, entry, owners, report, err);
		if (r < 0)
			return r;
	}
	if (members == 0 && !layer)
		return fail(err, NULL, -EBADMSG, NULL, "no members: not a rootfs tarball");
	if (la.archive_write_close(out) != ARCHIVE_OK)
		return fail(err, out, -EIO, NULL, NULL);
	return 0;
}

static struct archive *open_reader(struct cr_error *err)
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

/* Extract the tarball at path, or (path NULL) read from fd. */
static int extract_from(const char *path, int fd, const struct tarball_owners *owners, struct tarball_report *report,
			struct cr_error *err)
{
	__attribute__((cleanup(read_free))) struct archive *in = NULL;

	memset(err, 0, sizeof(*err));
	if (report)
		memset(report, 0, sizeof(*report));
	in = open_reader(err);
	if (!in)
		return err->error;
	if ((path ? la.archive_read_open_filename(in, path, 65536) : la.archive_read_open_fd(in, fd, 65536)) !=
	    ARCHIVE_OK)
		return fail(err, in, -EINVAL, NULL, NULL);
	return extract_entries(in, false, owners, report, err);
}

int tarball_extract(const char *path, const struct tarball_owners *owners, struct tarball_report *report,
		    struct cr_error *err)
{
	return extract_from(path, -EBADF, owners, report, err);
}

int tarball_extract_fd(int fd, const struct tarball_owners *owners, struct tarball_report *report, struct cr_error *err)
{
	return extract_from(NULL, fd, owners, report, err);
}

/*
 * Remove what the whiteout member name hides: dir/.wh.NAME removes
 * dir/NAME (a directory with all below it), dir/.wh..wh..opq everything in
 * dir.  dir is opened beneath the rootfs without following any symlink: a
 * whiteout never reaches through one (-ELOOP); a dir that is not there
 * hides nothing.
 */
static int apply_whiteout(const char *name, struct cr_error *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(name, '/'), *base = slash ? slash + 1 : name, *hidden = base + 4;
	_cleanup_close_ int dfd = -EBADF;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;
	int r;

	if (!name_is_safe(name))
		return fail(err, NULL, -EPERM, name, "absolute or '..' member name: refused");
	if (format_buf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - name) : 1, slash ? name : ".") < 0)
		return fail(err, NULL, -ENAMETOOLONG, name, NULL);
	dfd = sys_openat2(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			  RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
	if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (dfd < 0)
		return fail(err, NULL, -errno, name,
			    errno == ELOOP ? "whiteout in a directory reached through a symlink: refused"
					   : strerror(errno));
	if (!streq(hidden, ".wh..opq")) {
		if (!hidden[0] || streq(hidden, ".") || streq(hidden, ".."))
			return fail(err, NULL, -EPERM, name, "whiteout of no name: refused");
		r = remove_entry(dfd, hidden);
		return r < 0 && r != -ENOENT ? fail(err, NULL, r, name, strerror(-r)) : 0;
	}
	/* Opaque: the directory stays, what lower layers put in it goes. */
	d = fdopendir(dfd);
	if (!d)
		return fail(err, NULL, -errno, name, strerror(errno));
	dfd = -EBADF;
	while ((e = readdir(d))) {
		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		r = remove_entry(dirfd(d), e->d_name);
		if (r < 0)
			return fail(err, NULL, r, name, strerror(-r));
	}
	return 0;
}

int tarball_apply_layer(int fd, const struct tarball_owners *owners, struct tarball_report *report,
			struct cr_error *err)
{
	__attribute__((cleanup(read_free))) struct archive *in = NULL;
	struct archive_entry *entry;
	int r;

	memset(err, 0, sizeof(*err));
	/* First pass: the whiteouts, which hide what lower layers made, wherever they stand in the tar. */
	in = open_reader(err);
	if (!in)
		return err->error;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return fail(err, NULL, -errno, NULL, strerror(errno));
	if (la.archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK)
		return fail(err, in, -EBADMSG, NULL, NULL);
	while ((r = la.archive_read_next_header(in, &entry)) != ARCHIVE_EOF) {
		const char *name = la.archive_entry_pathname(entry);

		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return fail(err, in, -EBADMSG, NULL, NULL);
		if (!name || !name_is_safe(name))
			return fail(err, NULL, -EPERM, name, "absolute or '..' member name: refused");
		if (is_whiteout(name) && (r = apply_whiteout(name, err)) < 0)
			return r;
	}
	la.archive_read_free(in);
	in = NULL;
	/* Second pass: everything else, under tarball_extract()'s rules. */
	in = open_reader(err);
	if (!in)
		return err->error;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return fail(err, NULL, -errno, NULL, strerror(errno));
	if (la.archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK)
		return fail(err, in, -EBADMSG, NULL, NULL);
	return extract_entries(in, true, owners, report, err);
}

/* The inner tar of a .deb, read through the outer ar archive. */
static la_ssize_t read_member(struct archive *inner, void *data, const void **buf)
{
	static char block[65536];
	la_ssize_t n = la.archive_read_data(data, block, sizeof(block));

	*buf = block;
	return n;
}

int deb_extract_data(const char *path, const struct tarball_owners *owners, struct cr_error *err)
{
	__attribute__((cleanup(read_free))) struct archive *outer = NULL;
	__attribute__((cleanup(read_free))) struct archive *inner = NULL;
	struct archive_entry *entry;
	int r;

	memset(err, 0, sizeof(*err));
	if (libarchive_load() < 0)
		return fail_path(err, NULL, -ELIBACC, NULL,
				 "cannot load " LIBARCHIVE_SONAME ": apt-get install libarchive13");
	outer = la.archive_read_new();
	if (!outer)
		return fail_path(err, NULL, -ENOMEM, NULL, NULL);
	la.archive_read_support_format_ar(outer);
	if (la.archive_read_open_filename(outer, path, 65536) != ARCHIVE_OK)
		return fail_path(err, outer, -EBADMSG, NULL, NULL);
	while ((r = la.archive_read_next_header(outer, &entry)) == ARCHIVE_OK) {
		const char *name = la.archive_entry_pathname(entry);

		if (!name || strncmp(name, "data.tar", 8) != 0)
			continue;
		inner = open_reader(err);
		if (!inner)
			return err->error;
		if (la.archive_read_open(inner, outer, NULL, read_member, NULL) != ARCHIVE_OK)
			return fail_path(err, inner, -EBADMSG, name, NULL);
		return extract_entries(inner, false, owners, NULL, err);
	}
	return fail_path(err, r == ARCHIVE_EOF ? NULL : outer, -EBADMSG, NULL,
			 r == ARCHIVE_EOF ? "no data.tar member: not a .deb" : NULL);
}

static const char *filter_for(const char *name)
{
	static const char *const filters[][2] = {
		{ ".gz", "gzip" }, { ".tgz", "gzip" }, { ".xz", "xz" }, { ".zst", "zstd" }, { ".bz2", "bzip2" },
	};
	size_t len = strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
		size_t ext = strlen(filters[i][0]);

		if (len > ext && streq(name + len - ext, filters[i][0]))
			return filters[i][1];
	}
	return NULL;
}

bool tarball_name_known(const char *name)
{
	size_t len = strlen(name);

	if (len > 4 && streq(name + len - 4, ".tar"))
		return true;
	for (const char *const *ext =
		     (const char *const[]){ ".tar.gz", ".tgz", ".tar.xz", ".tar.zst", ".tar.bz2", NULL };
	     *ext; ext++)
		if (len > strlen(*ext) && streq(name + len - strlen(*ext), *ext))
			return true;
	return false;
}

/* The data of the regular file path (relative to the working directory) into out. Returns 0 or -errno, with err. */
static int write_data(struct archive *out, const char *path, struct cr_error *err)
{
	_cleanup_close_ int in = -EBADF;
	char buf[65536];

	in = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return fail_path(err, NULL, -errno, path, strerror(errno));
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0)
			return fail_path(err, NULL, -errno, path, strerror(errno));
		if (n == 0)
			return 0;
		if (la.archive_write_data(out, buf, (size_t)n) < 0)
			return fail_path(err, out, -EIO, path, NULL);
	}
}

/* Every entry disk walks (header, and data for a regular file) into out, through entry. Returns 0 or -errno, with err.
 */
static int write_entries(struct archive *disk, struct archive *out, struct archive_entry *entry, struct cr_error *err)
{
	for (;;) {
		const char *path;
		int h, r;

		la.archive_entry_clear(entry);
		h = la.archive_read_next_header2(disk, entry);
		if (h == ARCHIVE_EOF)
			return 0;
		if (h < ARCHIVE_WARN)
			return fail_path(err, disk, -EIO, NULL, NULL);
		la.archive_read_disk_descend(disk);
		path = la.archive_entry_pathname(entry);
		if (la.archive_write_header(out, entry) < ARCHIVE_WARN)
			return fail_path(err, out, -EIO, path, NULL);
		if (!S_ISREG(la.archive_entry_mode(entry)) || la.archive_entry_size(entry) == 0)
			continue;
		r = write_data(out, path, err);
		if (r < 0)
			return r;
	}
}

int tarball_write(int fd, const char *name, struct cr_error *err)
{
	__attribute__((cleanup(read_free))) struct archive *disk = NULL;
	__attribute__((cleanup(write_free_ptr))) struct archive *out = NULL;
	struct archive_entry *entry;
	const char *filter = filter_for(name);
	int r = 0;

	memset(err, 0, sizeof(*err));
	if (libarchive_load() < 0)
		return fail_path(err, NULL, -ELIBACC, NULL,
				 "cannot load " LIBARCHIVE_SONAME ": apt-get install libarchive13");
	disk = la.archive_read_disk_new();
	out = la.archive_write_new();
	entry = la.archive_entry_new();
	if (!disk || !out || !entry) {
		if (entry)
			la.archive_entry_free(entry);
		return fail_path(err, NULL, -ENOMEM, NULL, NULL);
	}
	la.archive_read_disk_set_symlink_physical(disk);
	la.archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	la.archive_write_set_format_pax_restricted(out);
	if (filter && la.archive_write_add_filter_by_name(out, filter) != ARCHIVE_OK)
		r = fail_path(err, out, -EINVAL, NULL, NULL);
	if (r == 0 && la.archive_write_open_fd(out, fd) != ARCHIVE_OK)
		r = fail_path(err, out, -EIO, NULL, NULL);
	if (r == 0 && la.archive_read_disk_open(disk, ".") != ARCHIVE_OK)
		r = fail_path(err, disk, -EIO, NULL, NULL);
	if (r == 0)
		r = write_entries(disk, out, entry, err);
	la.archive_entry_free(entry);
	if (r == 0 && la.archive_write_close(out) != ARCHIVE_OK)
		r = fail_path(err, out, -EIO, NULL, NULL);
	return r;
}
