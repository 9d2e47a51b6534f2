/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ephemeral.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "rmtree.h"
#include "runtime.h"
#include "../base/util.h"

/* c->dir/ephemeral, made 0700 when create is set.  Returns an O_RDONLY fd or -errno. */
static int open_parent(const struct container *c, bool create)
{
	char path[PATH_MAX];
	int fd;

	if (format_buf(path, sizeof(path), "%s/%s", c->dir, EPHEMERAL_DIR) < 0)
		return -ENAMETOOLONG;
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void ephemeral_close(struct ephemeral *e)
{
	closep(&e->lock);
	closep(&e->dir);
	closep(&e->parent);
	e->lock = e->dir = e->parent = -EBADF;
}

/* A name like mkdtemp(3)'s, made with mkdirat(2) below parent. */
static int make_layer_dir(int parent, char *name, size_t size)
{
	for (int attempt = 0; attempt < 100; attempt++) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		snprintf(name, size, "layer.%d.%06lx", (int)getpid(),
			 (unsigned long)(now.tv_nsec ^ (attempt * 0x9e37L)) & 0xffffff);
		if (mkdirat(parent, name, 0700) == 0)
			return 0;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int ephemeral_make(const struct container *c, struct ephemeral *e)
{
	int r;

	*e = (struct ephemeral){ .parent = -EBADF, .dir = -EBADF, .lock = -EBADF };
	e->parent = open_parent(c, true);
	if (e->parent < 0) {
		r = e->parent;
		e->parent = -EBADF;
		return r;
	}
	/* Held while the layer is made and locked, so no sweep takes it for a dead one meanwhile. */
	if (flock(e->parent, LOCK_EX) < 0)
		goto fail_errno;
	r = make_layer_dir(e->parent, e->name, sizeof(e->name));
	if (r == 0)
		r = format_buf(e->path, sizeof(e->path), "%s/%s/%s", c->dir, EPHEMERAL_DIR, e->name);
	if (r < 0)
		goto fail;
	e->dir = openat(e->parent, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (e->dir < 0)
		goto fail_errno;
	/* The upper root gets the rootfs root's owner and mode in the container (mount_container()). */
	if (mkdirat(e->dir, "upper", 0755) < 0 || mkdirat(e->dir, "work", 0700) < 0)
		goto fail_errno;
	/* A file, not a directory, holds the lock: an init keeps it, and no host directory fd may reach the container.
	 */
	e->lock = openat(e->dir, "lock", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (e->lock < 0 || flock(e->lock, LOCK_EX) < 0)
		goto fail_errno;
	flock(e->parent, LOCK_UN);
	return 0;
fail_errno:
	r = -errno;
fail:
	if (e->dir >= 0)
		rmtree_at(e->parent, e->name);
	ephemeral_close(e);
	return r;
}

int ephemeral_discard(struct ephemeral *e)
{
	int r = 0;

	/* Removed while still locked: no sweep starts on it meanwhile. */
	if (e->parent >= 0 && e->dir >= 0)
		r = rmtree_at(e->parent, e->name);
	ephemeral_close(e);
	return r;
}

struct sweep_args {
	const char *parent;
	const char *name;
};

static int remove_in_userns(void *arg, void *out)
{
	const struct sweep_args *a = arg;
	_cleanup_close_ int fd = open(a->parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return rmtree_at(fd, a->name);
}

/* Whether layer name below parent is in use: its lock is held (a layer without one was never finished). */
static bool layer_in_use(int parent, const char *name)
{
	char path[64];
	_cleanup_close_ int fd = -EBADF;

	if (format_buf(path, sizeof(path), "%s/lock", name) < 0)
		return true;
	fd = openat(parent, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	return flock(fd, LOCK_EX | LOCK_NB) < 0;
}

int ephemeral_sweep(const struct container *c)
{
	_cleanup_close_ int parent = open_parent(c, false);
	_cleanup_closedir_ DIR *dir = NULL;
	char path[PATH_MAX];
	struct dirent *de;
	int r = 0;

	if (parent == -ENOENT)
		return 0;
	if (parent < 0)
		return parent;
	if (flock(parent, LOCK_EX) < 0)
		return -errno;
	dir = opendir_dup(parent);
	if (!dir)
		return -errno;
	if (format_buf(path, sizeof(path), "%s/%s", c->dir, EPHEMERAL_DIR) < 0)
		return -ENAMETOOLONG;
	while ((de = readdir(dir))) {
		struct sweep_args a = { path, de->d_name };
		int q;

		if (de->d_name[0] == '.' || layer_in_use(parent, de->d_name))
			continue;
		q = userns_call(c->mode, remove_in_userns, &a, NULL, 0);
		if (q < 0 && r == 0)
			r = q;
	}
	return r;
}
