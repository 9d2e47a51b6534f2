/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "store.h"

#include <dirent.h>
#include <libmount.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "host.h"
#include "rmtree.h"
#include "runtime.h"
#include "util.h"

enum container_mode store_default_mode(void)
{
	return host_setup_done(getuid()) > 0 ? CONTAINER_MAPPED : CONTAINER_SINGLE;
}

static int mkdir_p(const char *path, mode_t mode)
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

struct extract_args {
	const char *rootfs;
	const char *tarball;
	bool keep_owners;
};

static int extract_in_userns(void *arg, void *out)
{
	const struct extract_args *a = arg;

	if (chdir(a->rootfs) < 0)
		return -errno;
	return tarball_extract(a->tarball, a->keep_owners, out);
}

struct remove_args {
	const char *parent;
	const char *name;
};

static int remove_in_userns(void *arg, void *out)
{
	const struct remove_args *a = arg;
	_cleanup_close_ int fd = open(a->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return rmtree_at(fd, a->name);
}

static int remove_dir(enum container_mode mode, const char *parent, const char *name)
{
	struct remove_args a = { parent, name };

	return userns_call(mode, remove_in_userns, &a, NULL, 0);
}

int store_create_from_tar(struct container *c, const char *tarball, struct tarball_error *err)
{
	char base[PATH_MAX], tmp_name[CONTAINER_NAME_MAX + 32], tmp[PATH_MAX], rootfs[PATH_MAX];
	char tarball_path[PATH_MAX];
	struct container tmpc;
	struct extract_args args;
	struct stat st;
	int r;

	memset(err, 0, sizeof(*err));
	r = container_base_dir(base, sizeof(base));
	if (r < 0)
		return r;
	if (lstat(c->dir, &st) == 0)
		return -EEXIST;
	/* Extraction runs in the new rootfs as its working directory. */
	if (!realpath(tarball, tarball_path) || access(tarball_path, R_OK) < 0)
		return -errno;
	r = mkdir_p(base, 0755);
	if (r < 0)
		return r;
	snprintf(tmp_name, sizeof(tmp_name), ".%s.tmp-%d", c->name, (int)getpid());
	if (format_buf(tmp, sizeof(tmp), "%s/%s", base, tmp_name) < 0 ||
	    format_buf(rootfs, sizeof(rootfs), "%s/rootfs", tmp) < 0)
		return -ENAMETOOLONG;
	/* Owner and group of both directories are the user's: mapped in the namespace (DESIGN.md fact 5). */
	if (mkdir(tmp, 0755) < 0)
		return -errno;
	if (mkdir(rootfs, 0755) < 0) {
		r = -errno;
		rmdir(tmp);
		return r;
	}
	args = (struct extract_args){ rootfs, tarball_path, c->mode == CONTAINER_MAPPED };
	r = userns_call(c->mode, extract_in_userns, &args, err, sizeof(*err));
	if (r == 0) {
		tmpc = *c;
		snprintf(tmpc.dir, sizeof(tmpc.dir), "%s", tmp);
		r = container_save_config(&tmpc);
	}
	/* The rename is the moment the container exists: before it, `list` cannot see it. */
	if (r == 0 && rename(tmp, c->dir) < 0)
		r = -errno;
	if (r < 0)
		remove_dir(c->mode, base, tmp_name);
	return r;
}

/* Whether anything is mounted at or below dir in our mount namespace (libmount reads mountinfo). */
static int mounted_below(const char *dir)
{
	struct libmnt_table *table = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *iter = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	size_t len = strlen(dir);
	int found = 0;

	if (!table || !iter) {
		found = -ENOMEM;
		goto out;
	}
	while (!found && mnt_table_next_fs(table, iter, &fs) == 0) {
		const char *target = mnt_fs_get_target(fs);

		if (target && !strncmp(target, dir, len) && (target[len] == '/' || target[len] == '\0'))
			found = 1;
	}
out:
	mnt_free_iter(iter);
	mnt_unref_table(table);
	return found;
}

int store_remove(const struct container *c, char *left, size_t left_size)
{
	char base[PATH_MAX], hidden[CONTAINER_NAME_MAX + 32], path[PATH_MAX];
	int r;

	left[0] = '\0';
	r = container_base_dir(base, sizeof(base));
	if (r < 0)
		return r;
	/* Refuse before touching anything; rmtree_at() checks again, per directory, against races. */
	r = mounted_below(c->dir);
	if (r != 0)
		return r < 0 ? r : -EBUSY;
	/* Hidden at once, so a half-removed container is never listed or started. */
	snprintf(hidden, sizeof(hidden), ".%s.rm-%d", c->name, (int)getpid());
	if (format_buf(path, sizeof(path), "%s/%s", base, hidden) < 0)
		return -ENAMETOOLONG;
	if (rename(c->dir, path) < 0)
		return -errno;
	r = remove_dir(c->mode, base, hidden);
	if (r < 0)
		snprintf(left, left_size, "%s", path);
	return r;
}

static int add_sizes(int fd, uint64_t *total, int depth)
{
	DIR *dir;
	struct dirent *de;
	int dfd;

	if (depth > 256)
		return -ELOOP;
	dfd = dup(fd);
	if (dfd < 0)
		return -errno;
	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(dir))) {
		struct stat st;

		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		*total += (uint64_t)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub =
				openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				add_sizes(sub, total, depth + 1);
		}
	}
	closedir(dir);
	return 0;
}

static int size_in_userns(void *arg, void *out)
{
	_cleanup_close_ int fd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t total = 0;
	int r;

	if (fd < 0)
		return -errno;
	r = add_sizes(fd, &total, 0);
	memcpy(out, &total, sizeof(total));
	return r;
}

int store_size(const struct container *c, uint64_t *bytes)
{
	*bytes = 0;
	/* In single mode every file is the user's own: no namespace needed. */
	if (c->mode == CONTAINER_SINGLE) {
		uint64_t total = 0;
		int r = size_in_userns((void *)c->rootfs, &total);

		*bytes = total;
		return r;
	}
	return userns_call(c->mode, size_in_userns, (void *)c->rootfs, bytes, sizeof(*bytes));
}
