/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "clone.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <search.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "../base/syscalls.h"
#include "../base/util.h"

#ifndef FICLONE
#define FICLONE _IOW(0x94, 9, int)
#endif

/* A source inode with more than one link, and where its first copy went. */
struct link {
	dev_t dev;
	ino_t ino;
	char path[]; /* relative to the destination root */
};

struct clone {
	int dst_root;
	unsigned long long mnt; /* the source's mount: nothing below it is on another */
	void *links;		/* tsearch(3) tree of struct link */
	struct clone_report *report;
	char path[PATH_MAX]; /* the entry being copied, relative to the roots */
	size_t len;
};

static int link_compare(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Record a failure at the current path; returns r. */
static int fail(struct clone *cl, int r, const char *step)
{
	snprintf(cl->report->failed, sizeof(cl->report->failed), "%s", cl->len ? cl->path : ".");
	snprintf(cl->report->step, sizeof(cl->report->step), "%s", step);
	return r;
}

static int push(struct clone *cl, const char *name)
{
	size_t n = strlen(name);

	if (cl->len + n + 2 > sizeof(cl->path))
		return fail(cl, -ENAMETOOLONG, "name the path");
	if (cl->len)
		cl->path[cl->len++] = '/';
	memcpy(cl->path + cl->len, name, n + 1);
	cl->len += n;
	return 0;
}

static void pop(struct clone *cl, const char *name)
{
	cl->len -= strlen(name);
	if (cl->len)
		cl->len--;
	cl->path[cl->len] = '\0';
}

/*
 * Every xattr of src onto dst, both real fds.  One the kernel does not let
 * the caller set outside the user.* namespace (security.selinux, trusted.*:
 * they need privilege on the host) is left out; user.* ones must copy.
 */
static int copy_xattrs(struct clone *cl, int src, int dst)
{
	char names[65536], value[65536];
	ssize_t n = flistxattr(src, names, sizeof(names));

	if (n < 0)
		return errno == ENOTSUP ? 0 : fail(cl, -errno, "list the xattrs");
	for (char *name = names; name < names + n; name += strlen(name) + 1) {
		ssize_t len = fgetxattr(src, name, value, sizeof(value));

		if (len < 0 && errno == ENODATA)
			continue;
		if (len < 0)
			return fail(cl, -errno, "read an xattr");
		if (fsetxattr(dst, name, value, (size_t)len, 0) < 0) {
			if (strncmp(name, "user.", 5) && (errno == EPERM || errno == ENOTSUP || errno == EACCES))
				continue;
			return fail(cl, -errno, "set an xattr");
		}
	}
	return 0;
}

/*
 * Owner, xattrs, mode and times of st onto dst, in that order: chown(2)
 * clears setuid bits and security.capability, so the xattrs and the mode
 * come after it, and the times last, after every write.
 */
static int copy_meta(struct clone *cl, int src, int dst, const struct stat *st)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	int r;

	if (fchown(dst, st->st_uid, st->st_gid) < 0)
		return fail(cl, -errno, "set the owner");
	r = copy_xattrs(cl, src, dst);
	if (r < 0)
		return r;
	if (fchmod(dst, st->st_mode & 07777) < 0)
		return fail(cl, -errno, "set the mode");
	if (futimens(dst, times) < 0)
		return fail(cl, -errno, "set the times");
	return 0;
}

/* The data: shared extents where the filesystem can, else copied in the kernel, else read and written. */
static int copy_data(struct clone *cl, int in, int out, off_t size)
{
	static char buf[1 << 16];
	bool kernel_copy = true;

	if (size == 0)
		return 0;
	if (ioctl(out, FICLONE, in) == 0) {
		cl->report->reflinked++;
		return 0;
	}
	for (;;) {
		ssize_t n;

		if (kernel_copy) {
			n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
			/* Not between these files (another filesystem, an old kernel): read and write. */
			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
				kernel_copy = false;
				continue;
			}
		} else {
			n = read(in, buf, sizeof(buf));
			for (ssize_t off = 0, w; n > 0 && off < n; off += w) {
				w = write(out, buf + off, (size_t)(n - off));
				if (w < 0 && errno == EINTR)
					w = 0;
				else if (w < 0)
					return fail(cl, -errno, "write");
			}
		}
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return fail(cl, -errno, "copy the data");
	}
}

/* A second name of an inode copied already: a hard link to that copy. */
static int copy_hard_link(struct clone *cl, const struct link *first, int dst, const char *name)
{
	char dir[PATH_MAX];
	const char *base = strrchr(first->path, '/');
	_cleanup_close_ int parent = -EBADF;

	snprintf(dir, sizeof(dir), "%.*s", base ? (int)(base - first->path) : 0, first->path);
	/* The copy's own tree, which we made: still, nothing on the way may be a link. */
	parent = sys_openat2(cl->dst_root, dir[0] ? dir : ".", O_PATH | O_DIRECTORY | O_CLOEXEC,
			     RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
	if (parent < 0 || linkat(parent, base ? base + 1 : first->path, dst, name, 0) < 0)
		return fail(cl, -errno, "make a hard link");
	return 0;
}

static int copy_file(struct clone *cl, int src, int dst, const char *name, const struct stat *st)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	struct link key = { .dev = st->st_dev, .ino = st->st_ino }, *entry;
	struct stat now;
	void *found;
	int r;

	if (st->st_nlink > 1 && (found = tfind(&key, &cl->links, link_compare)))
		return copy_hard_link(cl, *(struct link **)found, dst, name);
	/* O_NONBLOCK: were it swapped for a FIFO since fstatat(), the open must not hang. */
	in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (in < 0)
		return fail(cl, -errno, "open");
	if (fstat(in, &now) < 0 || !S_ISREG(now.st_mode) || now.st_ino != st->st_ino)
		return fail(cl, -EAGAIN, "open (it changed while being copied)");
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return fail(cl, -errno, "create");
	r = copy_data(cl, in, out, now.st_size);
	if (r == 0)
		r = copy_meta(cl, in, out, &now);
	if (r < 0)
		return r;
	cl->report->files++;
	cl->report->bytes += (uint64_t)now.st_size;
	if (st->st_nlink > 1) {
		entry = malloc(sizeof(*entry) + cl->len + 1);
		if (!entry)
			return fail(cl, -ENOMEM, "remember a hard link");
		*entry = key;
		memcpy(entry->path, cl->path, cl->len + 1);
		if (!tsearch(entry, &cl->links, link_compare)) {
			free(entry);
			return fail(cl, -ENOMEM, "remember a hard link");
		}
	}
	return 0;
}

static int copy_symlink(struct clone *cl, int src, int dst, const char *name, const struct stat *st)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	char target[PATH_MAX];
	ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);

	if (n < 0)
		return fail(cl, -errno, "read the link");
	target[n] = '\0';
	if (symlinkat(target, dst, name) < 0)
		return fail(cl, -errno, "make the link");
	if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(cl, -errno, "set the link's owner");
	if (utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(cl, -errno, "set the link's times");
	return 0;
}

/* A FIFO or socket: a new node of the same kind (no privilege needed), owner, mode and times. */
static int copy_special(struct clone *cl, int dst, const char *name, const struct stat *st)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	_cleanup_close_ int node = -EBADF;
	char proc[64];

	if (mknodat(dst, name, (st->st_mode & S_IFMT) | 0600, 0) < 0)
		return fail(cl, -errno, "make the node");
	/* Changed through an O_PATH fd, so nothing put in its place meanwhile is followed. */
	node = openat(dst, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (node < 0 || fchownat(node, "", st->st_uid, st->st_gid, AT_EMPTY_PATH) < 0)
		return fail(cl, -errno, "set the node's owner");
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", node);
	if (chmod(proc, st->st_mode & 07777) < 0)
		return fail(cl, -errno, "set the node's mode");
	if (utimensat(dst, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(cl, -errno, "set the node's times");
	return 0;
}

static void skip_device(struct clone *cl)
{
	struct tarball_list *list = &cl->report->devices_skipped;

	if (list->count < TARBALL_NAMES_KEPT)
		snprintf(list->names[list->count], sizeof(list->names[0]), "/%.120s", cl->path);
	list->count++;
}

static int copy_dir(struct clone *cl, int src, int dst, int depth);

static int copy_subdir(struct clone *cl, int src, int dst, const char *name, int depth)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	unsigned long long mnt;
	struct stat st;
	int r;

	in = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0)
		return fail(cl, -errno, "open the directory");
	r = fd_mount_id(in, &mnt);
	if (r < 0)
		return fail(cl, r, "find the directory's mount");
	if (mnt != cl->mnt)
		return fail(cl, -EXDEV, "copy (something is mounted there)");
	/* 0700 until its entries are in: the source's mode may forbid writing them. */
	if (mkdirat(dst, name, 0700) < 0)
		return fail(cl, -errno, "create the directory");
	out = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (out < 0)
		return fail(cl, -errno, "open the new directory");
	r = copy_dir(cl, in, out, depth + 1);
	return r < 0 ? r : copy_meta(cl, in, out, &st);
}

static int copy_entry(struct clone *cl, int src, int dst, const char *name, int depth)
{
	struct stat st;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(cl, -errno, "stat");
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		return copy_subdir(cl, src, dst, name, depth);
	case S_IFREG:
		return copy_file(cl, src, dst, name, &st);
	case S_IFLNK:
		return copy_symlink(cl, src, dst, name, &st);
	case S_IFIFO:
	case S_IFSOCK:
		return copy_special(cl, dst, name, &st);
	default:
		skip_device(cl);
		return 0;
	}
}

static int copy_dir(struct clone *cl, int src, int dst, int depth)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;
	int r = 0;

	if (depth > 256)
		return fail(cl, -ELOOP, "copy (deeper than 256 directories)");
	dir = opendir_dup(src);
	if (!dir)
		return fail(cl, -errno, "read the directory");
	while (r == 0 && (errno = 0, de = readdir(dir))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		r = push(cl, de->d_name);
		if (r < 0)
			break;
		r = copy_entry(cl, src, dst, de->d_name, depth);
		pop(cl, de->d_name);
	}
	if (r == 0 && errno != 0)
		r = fail(cl, -errno, "read the directory");
	return r;
}

int clone_tree(int src, int dst, struct clone_report *report)
{
	struct clone cl = { .dst_root = dst, .report = report };
	struct stat st;
	int r;

	memset(report, 0, sizeof(*report));
	if (fstat(src, &st) < 0)
		return fail(&cl, -errno, "stat");
	r = fd_mount_id(src, &cl.mnt);
	if (r < 0)
		return fail(&cl, r, "find the source's mount");
	r = copy_dir(&cl, src, dst, 0);
	if (r == 0)
		r = copy_meta(&cl, src, dst, &st);
	tdestroy(cl.links, free);
	return r;
}
