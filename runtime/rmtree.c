/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rmtree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "../base/util.h"

static int open_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == EACCES) {
		/* Not readable: make it so, without following a link (fchmodat has no NOFOLLOW for dirs). */
		_cleanup_close_ int path = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char proc[64];

		if (path < 0)
			return -errno;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path);
		if (chmod(proc, 0700) < 0)
			return -errno;
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? -errno : fd;
}

static int remove_below(int fd, unsigned long long mnt)
{
	DIR *dir;
	struct dirent *de;
	int r = 0;
	struct stat st;

	if (fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700 && fchmod(fd, st.st_mode | 0700) < 0)
		return -errno;
	dir = opendir_dup(fd);
	if (!dir)
		return -errno;
	while (r == 0 && (errno = 0, de = readdir(dir))) {
		struct stat est;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &est, AT_SYMLINK_NOFOLLOW) < 0) {
			r = errno == ENOENT ? 0 : -errno;
			continue;
		}
		if (S_ISDIR(est.st_mode)) {
			_cleanup_close_ int sub = open_dir(fd, de->d_name);
			unsigned long long sub_mnt;

			if (sub < 0) {
				r = sub;
				break;
			}
			r = fd_mount_id(sub, &sub_mnt);
			if (r == 0 && sub_mnt != mnt)
				r = -EBUSY;
			if (r == 0)
				r = remove_below(sub, mnt);
			if (r == 0 && unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0)
				r = -errno;
		} else if (unlinkat(fd, de->d_name, 0) < 0)
			r = -errno;
	}
	if (r == 0 && errno != 0 && !de)
		r = -errno;
	closedir(dir);
	return r;
}

int rmtree_at(int dirfd, const char *name)
{
	_cleanup_close_ int fd = -EBADF;
	unsigned long long mnt, parent_mnt;
	int r;

	fd = open_dir(dirfd, name);
	if (fd < 0)
		return fd;
	r = fd_mount_id(fd, &mnt);
	if (r == 0)
		r = fd_mount_id(dirfd, &parent_mnt);
	if (r < 0)
		return r;
	if (mnt != parent_mnt)
		return -EBUSY;
	r = remove_below(fd, mnt);
	if (r < 0)
		return r;
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}
