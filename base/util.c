/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util.h"

#include <sys/file.h>

#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdarg.h>

int format_buf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int write_once(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -EBADF;
	size_t used = 0;

	if (size == 0)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + used, size - 1 - used);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == size - 1) {
			char extra;

			if (read(fd, &extra, 1) > 0)
				return -EFBIG;
			break;
		}
	}
	buf[used] = '\0';
	return (ssize_t)used;
}

int write_file_at(int dirfd, const char *path, const char *s)
{
	_cleanup_close_ int fd = -EBADF;

	fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return write_once(fd, s, strlen(s));
}

int parse_ulong(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

int xdg_user_dir(const char *xdg_var, const char *home_default, const char *suffix, char *buf, size_t size)
{
	const char *base = getenv(xdg_var);
	const char *home = getenv("HOME");

	if (base && base[0] == '/')
		return format_buf(buf, size, "%s/%s", base, suffix);
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());

		if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
			return -ENOENT;
		home = pw->pw_dir;
	}
	return format_buf(buf, size, "%s/%s/%s", home, home_default, suffix);
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (format_buf(buf, sizeof(buf), "%s", path) < 0)
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int mkdir_private(const char *path, bool create)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	if (create && (r = mkdir_p(path, 0700)) < 0)
		return r;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid == geteuid() && (st.st_mode & 077) && fchmod(fd, st.st_mode & 07700) < 0)
		return -errno;
	return 0;
}

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

int fd_mount_id(int fd, unsigned long long *out)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	*out = stx.stx_mnt_id;
	return 0;
}

static int dir_usage_below(int fd, uint64_t *bytes, uint64_t *files, int depth)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;

	if (depth > 256)
		return -ELOOP;
	dir = opendir_dup(fd);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		*bytes += (uint64_t)st.st_blocks * 512;
		if (!S_ISDIR(st.st_mode)) {
			if (files)
				(*files)++;
			continue;
		}
		_cleanup_close_ int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (sub >= 0)
			dir_usage_below(sub, bytes, files, depth + 1);
	}
	return 0;
}

DIR *opendir_dup(int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	DIR *dir;

	if (dup_fd < 0)
		return NULL;
	dir = fdopendir(dup_fd);
	if (!dir) {
		int saved = errno;

		close(dup_fd);
		errno = saved;
	}
	return dir;
}

int dir_usage(int fd, uint64_t *bytes, uint64_t *files)
{
	return dir_usage_below(fd, bytes, files, 0);
}

int write_file_atomic(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (format_buf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = write_once(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int flock_file(const char *path, int operation)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (flock(fd, operation) < 0)
		return -errno;
	return steal_fd(fd);
}
