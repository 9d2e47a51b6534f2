/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "store.h"

#include <dirent.h>
#include <signal.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cache.h"
#include "host.h"
#include "mountlib.h"
#include "mounts.h"
#include "rmtree.h"
#include "rootfs-cache.h"
#include "skel.h"
#include "runtime.h"
#include "second-stage.h"
#include "../base/util.h"

enum container_mode store_default_mode(void)
{
	return host_setup_done(getuid()) > 0 ? CONTAINER_MAPPED : CONTAINER_SINGLE;
}

/*
 * How files extracted into a container of mode are owned: in mapped mode
 * the user's uid and primary gid are the ids setup maps to themselves.
 */
static struct tarball_owners owners_for(enum container_mode mode)
{
	struct passwd *pw = getpwuid(getuid());

	return (struct tarball_owners){ mode == CONTAINER_MAPPED, getuid(), pw ? pw->pw_gid : getgid() };
}

struct extract_args {
	const char *rootfs;
	const char *tarball; /* a path, or NULL: read fd */
	struct tarball_owners owners;
	int fd;
	const struct oci_image *image; /* or its layers, bottom first */
};

/* Extract (the tarball, or the image's layers), then read what the rootfs says its architecture is. */
static int extract_in_userns(void *arg, void *out)
{
	const struct extract_args *a = arg;
	struct store_import *result = out;
	_cleanup_close_ int rootfd = -EBADF;
	int r = 0;

	if (chdir(a->rootfs) < 0)
		return -errno;
	if (a->image) {
		for (size_t i = 0; i < a->image->n_layers && r == 0; i++)
			r = tarball_apply_layer(a->image->layers[i], &a->owners, &result->report, &result->error);
	} else if (a->tarball)
		r = tarball_extract(a->tarball, &a->owners, &result->report, &result->error);
	else
		r = tarball_extract_fd(a->fd, &a->owners, &result->report, &result->error);
	if (r < 0)
		return r;
	rootfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	r = rootfs_arch_probe(rootfd, &result->found);
	if (r < 0)
		cr_fail(&result->error, r, "reading its /bin/sh or dpkg database to tell its architecture: %s",
			strerror(-r));
	return r;
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

/*
 * base/.lock, held LOCK_EX while a create makes and locks its temporary
 * directory and while leftovers are judged, so that a directory is never
 * seen between its mkdir(2) and its lock.  Returns the fd or -errno.
 */
static int store_lock(const char *base)
{
	char path[PATH_MAX];

	if (format_buf(path, sizeof(path), "%s/.lock", base) < 0)
		return -ENAMETOOLONG;
	return flock_file(path, LOCK_EX);
}

/*
 * The directory parent/name (or path when parent is AT_FDCWD), opened and
 * locked with flock(2) LOCK_EX: its creator or remover holds that lock
 * until it ends, and the kernel drops it when the process dies, on this
 * host or (NFS: flock is carried by POSIX locks) another sharing the home
 * directory.  Returns the fd, -EWOULDBLOCK while another process holds it
 * (and !wait), or -errno.
 */
static int lock_dir(int parent, const char *name, bool wait)
{
	_cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0)
		return -errno;
	return steal_fd(fd);
}

/*
 * Remove hidden leftovers whose crossroot is gone: a create or removal that
 * was killed leaves ".NAME.tmp-PID" or ".NAME.rm-PID", which the user may
 * not be able to delete alone (files of subordinate ids).  Gone is proven
 * by the directory's lock, not by the PID: that may be reused, or belong to
 * another pid namespace or host.
 */
static void remove_stale_leftovers(enum container_mode mode, const char *base)
{
	_cleanup_close_ int store = store_lock(base);
	struct dirent **names = NULL;
	int n = store < 0 ? -1 : scandir(base, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;

		if (d[0] == '.' && (strstr(d, ".tmp-") || strstr(d, ".rm-"))) {
			_cleanup_close_ int fd = -EBADF;
			char path[PATH_MAX];

			if (format_buf(path, sizeof(path), "%s/%s", base, d) == 0 &&
			    (fd = lock_dir(AT_FDCWD, path, false)) >= 0)
				remove_dir(mode, base, d);
		}
		free(names[i]);
	}
	free(names);
}

/*
 * The hidden directory a create builds in: base/.NAME.tmp-PID (mode 0700,
 * like the store above it: containers are private to their owner) with
 * rootfs/ inside.  Returns the fd that holds its lock (see lock_dir()),
 * or -errno.
 */
static int make_temp(const struct container *c, char *base, char *tmp_name, size_t tmp_name_size, char *tmp,
		     char *rootfs)
{
	_cleanup_close_ int store = -EBADF, lock = -EBADF;
	char top[PATH_MAX];
	int r;

	r = container_base_dir(base, PATH_MAX);
	if (r < 0)
		return r;
	/* The data directory above the store, too: older versions made both 0755. */
	snprintf(top, sizeof(top), "%s", base);
	*strrchr(top, '/') = '\0';
	if ((r = mkdir_private(top, true)) < 0 || (r = mkdir_private(base, true)) < 0)
		return r;
	remove_stale_leftovers(c->mode, base);
	snprintf(tmp_name, tmp_name_size, ".%s.tmp-%d", c->name, (int)getpid());
	if (format_buf(tmp, PATH_MAX, "%s/%s", base, tmp_name) < 0 ||
	    format_buf(rootfs, PATH_MAX, "%s/rootfs", tmp) < 0)
		return -ENAMETOOLONG;
	store = store_lock(base);
	if (store < 0)
		return store;
	/* Owner and group of both directories are the user's: mapped in the namespace (doc/design.md fact 8). */
	if (mkdir(tmp, 0700) < 0)
		return -errno;
	lock = lock_dir(AT_FDCWD, tmp, false);
	if (lock < 0 || mkdir(rootfs, 0755) < 0) {
		r = lock < 0 ? lock : -errno;
		rmdir(tmp);
		return r;
	}
	return steal_fd(lock);
}

/* The container's directory appears: config written, then the rename that makes it exist. */
static int commit_temp(const struct container *c, const char *tmp)
{
	struct container tmpc = *c;
	int r;

	snprintf(tmpc.dir, sizeof(tmpc.dir), "%s", tmp);
	r = container_save_config(&tmpc);
	/* rename(2) will not replace a non-empty directory: another create of the name finished first. */
	if (r == 0 && rename(tmp, c->dir) < 0)
		r = errno == ENOTEMPTY || errno == EEXIST ? -EEXIST : -errno;
	return r;
}

int store_create_from_tar(struct container *c, const char *tarball, struct store_import *result)
{
	char base[PATH_MAX], tmp_name[CONTAINER_NAME_MAX + 32], tmp[PATH_MAX], rootfs[PATH_MAX];
	char tarball_path[PATH_MAX];
	_cleanup_close_ int lock = -EBADF;
	struct extract_args args;
	struct stat st;
	int r;

	memset(result, 0, sizeof(*result));
	if (lstat(c->dir, &st) == 0)
		return -EEXIST;
	/* Extraction runs in the new rootfs as its working directory. */
	if (!streq(tarball, "-") && (!realpath(tarball, tarball_path) || access(tarball_path, R_OK) < 0))
		return -errno;
	lock = make_temp(c, base, tmp_name, sizeof(tmp_name), tmp, rootfs);
	if (lock < 0)
		return lock;
	/* "-": the child of userns_call() reads the stdin it inherits. */
	args = (struct extract_args){ rootfs, streq(tarball, "-") ? NULL : tarball_path, owners_for(c->mode),
				      STDIN_FILENO, NULL };
	r = userns_call(c->mode, extract_in_userns, &args, result, sizeof(*result));
	if (r == 0) {
		result->verdict = rootfs_arch_check(&result->found, c->arch);
		if (result->verdict != ROOTFS_ARCH_MATCH)
			r = -ENOEXEC;
	}
	/* The rename is the moment the container exists: before it, `list` cannot see it. */
	if (r == 0)
		r = commit_temp(c, tmp);
	if (r < 0)
		remove_dir(c->mode, base, tmp_name);
	return r;
}

struct clone_args {
	const char *source, *target;
};

static int clone_in_userns(void *arg, void *out)
{
	const struct clone_args *a = arg;
	struct clone_report *report = out;
	_cleanup_close_ int src = open(a->source, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int dst = open(a->target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (src < 0 || dst < 0) {
		snprintf(report->step, sizeof(report->step), "open the %s rootfs", src < 0 ? "source's" : "new");
		return -errno;
	}
	return clone_tree(src, dst, report);
}

/* The file name of source's directory into tmp's, as the user (a missing one is no error). */
static int copy_container_file(const struct container *source, const char *tmp, const char *name)
{
	char from[PATH_MAX], to[PATH_MAX], buf[65536];
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	ssize_t n;

	if (format_buf(from, sizeof(from), "%s/%s", source->dir, name) < 0 ||
	    format_buf(to, sizeof(to), "%s/%s", tmp, name) < 0)
		return -ENAMETOOLONG;
	in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? 0 : -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_once(out, buf, (size_t)n) < 0)
			return -EIO;
	return n < 0 ? -errno : 0;
}

int store_create_clone(struct container *c, const struct container *source, struct clone_report *report)
{
	char base[PATH_MAX], tmp_name[CONTAINER_NAME_MAX + 32], tmp[PATH_MAX], rootfs[PATH_MAX];
	_cleanup_close_ int lock = -EBADF, source_lock = -EBADF;
	struct clone_args args;
	struct stat st;
	int r;

	memset(report, 0, sizeof(*report));
	c->arch = source->arch;
	c->mode = source->mode;
	snprintf(c->suite, sizeof(c->suite), "%s", source->suite);
	if (lstat(c->dir, &st) == 0)
		return -EEXIST;
	/* Shared, as a run takes it: rm cannot remove the source under the copy. */
	source_lock = container_lock_shared(source);
	if (source_lock < 0)
		return source_lock;
	lock = make_temp(c, base, tmp_name, sizeof(tmp_name), tmp, rootfs);
	if (lock < 0)
		return lock;
	args = (struct clone_args){ source->rootfs, rootfs };
	r = userns_call(c->mode, clone_in_userns, &args, report, sizeof(*report));
	/* What the rootfs was bootstrapped from is what the copy is made of, for prune. */
	if (r == 0 && (r = copy_container_file(source, tmp, CACHE_REFS_FILE)) < 0)
		snprintf(report->step, sizeof(report->step), "copy %s", CACHE_REFS_FILE);
	if (r == 0)
		r = commit_temp(c, tmp);
	if (r < 0)
		remove_dir(c->mode, base, tmp_name);
	return r;
}

/*
 * The image at source (a directory: an OCI image layout; a file or "-",
 * stdin: an archive, unpacked into tmp/image first) opened and verified
 * into *image.  Returns 0 or -errno with err filled.
 */
static int open_image(const char *source, const char *tmp, const struct arch_info *arch, struct oci_image *image,
		      struct cr_error *err)
{
	_cleanup_close_ int src = -EBADF, tmpfd = -EBADF, dir = -EBADF;
	struct stat st;
	int r;

	src = streq(source, "-") ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3) : open(source, O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return oci_image_open(src, arch, image, err);
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0 || mkdirat(tmpfd, "image", 0700) < 0)
		return -errno;
	dir = openat(tmpfd, "image", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	r = oci_archive_unpack(src, dir, err);
	return r < 0 ? r : oci_image_open(dir, arch, image, err);
}

int store_create_from_oci(struct container *c, const char *source, struct store_import *result)
{
	char base[PATH_MAX], tmp_name[CONTAINER_NAME_MAX + 32], tmp[PATH_MAX], rootfs[PATH_MAX];
	_cleanup_close_ int lock = -EBADF, tmpfd = -EBADF;
	struct oci_image image = { 0 };
	struct extract_args args;
	struct stat st;
	int r;

	memset(result, 0, sizeof(*result));
	if (lstat(c->dir, &st) == 0)
		return -EEXIST;
	if (!streq(source, "-") && access(source, R_OK) < 0)
		return -errno;
	lock = make_temp(c, base, tmp_name, sizeof(tmp_name), tmp, rootfs);
	if (lock < 0)
		return lock;
	r = open_image(source, tmp, c->arch, &image, &result->error);
	if (r == 0) {
		/* The layers' fds are inherited by the child, which applies them in order. */
		args = (struct extract_args){ rootfs, NULL, owners_for(c->mode), -EBADF, &image };
		r = userns_call(c->mode, extract_in_userns, &args, result, sizeof(*result));
	}
	oci_image_close(&image);
	if (r == 0) {
		result->verdict = rootfs_arch_check(&result->found, c->arch);
		if (result->verdict != ROOTFS_ARCH_MATCH)
			r = -ENOEXEC;
	}
	/* The unpacked archive (the user's own files) is no part of the container. */
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r == 0 && tmpfd >= 0 && fstatat(tmpfd, "image", &st, AT_SYMLINK_NOFOLLOW) == 0)
		r = rmtree_at(tmpfd, "image");
	if (r == 0)
		r = commit_temp(c, tmp);
	if (r < 0)
		remove_dir(c->mode, base, tmp_name);
	return r;
}

/* Whether anything is mounted at or below dir in our mount namespace (libmount reads mountinfo). */
static int mounted_below(const char *dir)
{
	struct libmnt_table *table = NULL;
	struct libmnt_iter *iter = NULL;
	struct libmnt_fs *fs;
	size_t len = strlen(dir);
	int found = libmount_load();

	if (found < 0)
		return found;
	table = ml.mnt_new_table_from_file("/proc/self/mountinfo");
	iter = ml.mnt_new_iter(MNT_ITER_FORWARD);
	if (!table || !iter) {
		found = -ENOMEM;
		goto out;
	}
	while (!found && ml.mnt_table_next_fs(table, iter, &fs) == 0) {
		const char *target = ml.mnt_fs_get_target(fs);

		if (target && !strncmp(target, dir, len) && (target[len] == '/' || target[len] == '\0'))
			found = 1;
	}
out:
	ml.mnt_free_iter(iter);
	ml.mnt_unref_table(table);
	return found;
}

int store_remove(const struct container *c, char *left, size_t left_size)
{
	char base[PATH_MAX], hidden[CONTAINER_NAME_MAX + 32], path[PATH_MAX];
	_cleanup_close_ int lock = -EBADF;
	int r;

	left[0] = '\0';
	r = container_base_dir(base, sizeof(base));
	if (r < 0)
		return r;
	/* Refuse before touching anything; rmtree_at() checks again, per directory, against races. */
	r = mounted_below(c->dir);
	if (r != 0)
		return r < 0 ? r : -EBUSY;
	/* Locked before it is hidden, so no create takes the hidden directory for a leftover of a dead crossroot. */
	lock = lock_dir(AT_FDCWD, c->dir, true);
	if (lock < 0)
		return lock;
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

static int size_in_userns(void *arg, void *out)
{
	_cleanup_close_ int fd = open(arg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t total = 0;
	int r;

	if (fd < 0)
		return -errno;
	r = dir_usage(fd, &total, NULL);
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

/* --- bootstrap ----------------------------------------------------------------------------- */

struct first_stage {
	const struct bootstrap_plan *plan;
	const char *rootfs;
	const struct bootstrap_apt *apt; /* the apt sources and the keyring to place */
	const char *keyring_data;	 /* the keyring's bytes when apt->keyring_copy is set */
	size_t keyring_size;
	struct tarball_owners owners;
	bool single;
	bootstrap_progress_fn progress;
	void *data;
};

/* In the user's namespace, as its root: the packages' data, then the skeleton files. */
static int first_stage_in_userns(void *arg, void *out)
{
	const struct first_stage *a = arg;
	struct cr_error *err = out;
	_cleanup_close_ int rootfd = -EBADF;
	const char *failed;
	int r;

	if (chdir(a->rootfs) < 0)
		return -errno;
	r = bootstrap_extract(a->plan, a->plan->n_packages, &a->owners, a->progress, a->data, err);
	if (r < 0)
		return r;
	rootfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	r = skel_install(rootfd, a->single, err);
	if (r < 0)
		return r;
	failed = "etc/apt/sources.list.d/debian.sources";
	r = write_in_root(rootfd, failed, 0644, a->apt->sources);
	if (r == 0 && a->apt->keyring_copy[0]) {
		failed = a->apt->keyring_copy + 1;
		r = write_bytes_in_root(rootfd, failed, 0644, a->keyring_data, a->keyring_size);
	}
	if (r < 0)
		cr_fail(err, r, "placing /%s: %s", failed, strerror(-r));
	return r;
}

/*
 * The second stage of c, built as tmpc.  On failure its log is kept in the
 * cache, where the user can read it once the rootfs is gone, and err says
 * why it failed.
 */
static int run_second_stage(const struct container *c, const struct container *tmpc, const struct bootstrap_plan *plan,
			    const struct bootstrap_options *opts, bootstrap_progress_fn progress, void *data,
			    struct cr_error *err)
{
	char debs[PATH_MAX], log_path[PATH_MAX], kept[PATH_MAX];
	const char *log = log_path;
	struct second_stage_end end;
	int r;

	if (format_buf(debs, sizeof(debs), "%s/debs", opts->cache_dir) < 0 ||
	    format_buf(log_path, sizeof(log_path), "%s/create.log", tmpc->dir) < 0)
		return cr_fail(err, -ENAMETOOLONG, "the cache or container directory's path is too long");
	r = second_stage_run(tmpc, plan, debs, opts->dpkg != BOOTSTRAP_DPKG_EMULATED, log_path, progress, data, &end);
	if (r < 0) {
		if (format_buf(kept, sizeof(kept), "%s/create-%s.log", opts->cache_dir, c->name) == 0 &&
		    rename(log_path, kept) == 0)
			log = kept;
		second_stage_explain(tmpc, &end, log, err);
	}
	return r;
}

/*
 * Record in the new container's directory what of the cache it is made of
 * (its .debs, the index files of its suite and pockets, the cached rootfs of its set), so
 * that `crossroot prune` keeps them while it exists: with them, the next
 * create of the same set, --offline too, needs no network.
 */
static int record_cache_use(const char *tmp, const struct bootstrap_options *opts, const struct bootstrap_plan *plan,
			    const char *cached)
{
	size_t n = plan->n_packages, k = 0;
	_cleanup_free_ char **paths = calloc(n + plan->n_release_files + plan->n_index_files + 1, sizeof(*paths));

	if (!paths)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		paths[k++] = plan->deb_paths[i];
	for (size_t i = 0; i < plan->n_release_files; i++)
		paths[k++] = plan->release_files[i];
	for (size_t i = 0; i < plan->n_index_files; i++)
		paths[k++] = plan->index_files[i];
	if (cached[0])
		paths[k++] = (char *)cached;
	return cache_record_use(tmp, opts->cache_dir, paths, k);
}

/* The apt sources of the new rootfs, and the keyring's bytes (and hash) when it is copied in. */
static int read_apt_files(const struct bootstrap_options *opts, const struct bootstrap_plan *plan,
			  struct bootstrap_apt *apt, char **data, ssize_t *size, char sha[65], struct cr_error *err)
{
	size_t cap = 1 << 20;
	int r = bootstrap_apt_sources(opts, plan, apt);

	if (r < 0)
		return cr_fail(err, r, "the apt sources of the new rootfs do not fit: %s", strerror(-r));
	if (!apt->keyring_copy[0])
		return 0;
	*data = malloc(cap);
	if (!*data)
		return cr_fail(err, -ENOMEM, "out of memory");
	/* The keyring gpgv just used, read as the user who named it. */
	*size = read_file_at(AT_FDCWD, apt->keyring, *data, cap);
	if (*size < 0)
		return cr_fail(err, (int)*size, "keyring %s: %s", apt->keyring, strerror((int)-*size));
	r = sha256_text(*data, (size_t)*size, sha);
	return r < 0 ? cr_fail(err, r, "keyring %s: %s", apt->keyring, strerror(-r)) : 0;
}

/* A bootstrap under way: what store_create_bootstrap()'s steps share. */
struct bootstrap_build {
	struct container *c;
	const struct bootstrap_options *opts;
	bootstrap_progress_fn progress;
	void *data;
	struct cr_error *err;
	struct bootstrap_plan plan;
	struct bootstrap_apt apt;
	char *keyring_data; /* the keyring copied in (read_apt_files()), or NULL */
	ssize_t keyring_size;
	char keyring_sha[65];
	/* The temporary directory (make_temp()) and the cached rootfs's path ("" when none). */
	char base[PATH_MAX], tmp_name[CONTAINER_NAME_MAX + 32], tmp[PATH_MAX], rootfs[PATH_MAX];
	char cached[PATH_MAX];
};

/* The new container from the cached rootfs of its set, as --from-tar extracts a tarball. Returns 0 or -errno. */
static int bootstrap_from_cache(struct bootstrap_build *b)
{
	struct extract_args args = { b->rootfs, b->cached, owners_for(b->c->mode), -EBADF, NULL };
	struct store_import import;
	struct bootstrap_progress pr = { .stage = STAGE_EXTRACT,
					 .done = b->plan.n_packages,
					 .total = b->plan.n_packages };
	int r;

	r = userns_call(b->c->mode, extract_in_userns, &args, &import, sizeof(import));
	if (r == 0) {
		if (b->progress)
			b->progress(b->data, &pr);
		r = commit_temp(b->c, b->tmp);
	}
	if (r < 0) {
		cr_fail(b->err, r, "extracting the cached rootfs %.200s: %.250s", b->cached,
			import.error.message[0] ? import.error.message : strerror(-r));
		remove_dir(b->c->mode, b->base, b->tmp_name);
	}
	return r;
}

/* The new container from its packages: both stages, the result cached for the next create. Returns 0 or -errno. */
static int bootstrap_from_packages(struct bootstrap_build *b)
{
	struct container *c = b->c;
	struct container tmpc;
	struct first_stage first = { .plan = &b->plan,
				     .rootfs = b->rootfs,
				     .apt = &b->apt,
				     .keyring_data = b->keyring_data,
				     .keyring_size = (size_t)b->keyring_size,
				     .owners = owners_for(c->mode),
				     .single = c->mode == CONTAINER_SINGLE,
				     .progress = b->progress,
				     .data = b->data };
	int r;

	r = userns_call(c->mode, first_stage_in_userns, &first, b->err, sizeof(*b->err));
	if (r == 0) {
		tmpc = *c;
		snprintf(tmpc.dir, sizeof(tmpc.dir), "%s", b->tmp);
		snprintf(tmpc.rootfs, sizeof(tmpc.rootfs), "%s", b->rootfs);
		r = run_second_stage(c, &tmpc, &b->plan, b->opts, b->progress, b->data, b->err);
	}
	if (r == 0 && b->cached[0])
		rootfs_cache_store(&tmpc, b->cached);
	if (r == 0)
		r = commit_temp(c, b->tmp);
	if (r < 0)
		remove_dir(c->mode, b->base, b->tmp_name);
	return r;
}

/*
 * After the plan: the apt files, the temporary directory (locked until the
 * end), what of the cache it uses, then the rootfs from the cache or from
 * the packages.  Returns 0 or -errno, with b->err.
 */
static int bootstrap_in_temp(struct bootstrap_build *b)
{
	_cleanup_close_ int lock = -EBADF;
	int r;

	r = read_apt_files(b->opts, &b->plan, &b->apt, &b->keyring_data, &b->keyring_size, b->keyring_sha, b->err);
	if (r < 0)
		return r;
	lock = make_temp(b->c, b->base, b->tmp_name, sizeof(b->tmp_name), b->tmp, b->rootfs);
	if (lock < 0)
		return lock;
	if (rootfs_cache_path(b->c, b->opts, &b->plan, &b->apt, b->keyring_sha, b->cached, sizeof(b->cached)) < 0)
		b->cached[0] = '\0';
	r = record_cache_use(b->tmp, b->opts, &b->plan, b->cached);
	if (r < 0) {
		cr_fail(b->err, r, "recording what of the cache %.200s it uses: %s", b->opts->cache_dir, strerror(-r));
		remove_dir(b->c->mode, b->base, b->tmp_name);
		return r;
	}
	if (b->cached[0] && access(b->cached, R_OK) == 0)
		return bootstrap_from_cache(b);
	return bootstrap_from_packages(b);
}

int store_create_bootstrap(struct container *c, const struct bootstrap_options *opts, bootstrap_progress_fn progress,
			   void *data, struct cr_error *err)
{
	struct bootstrap_build b = { .c = c, .opts = opts, .progress = progress, .data = data, .err = err };
	_cleanup_close_ int cache = -EBADF;
	struct stat st;
	int r;

	memset(err, 0, sizeof(*err));
	if (lstat(c->dir, &st) == 0)
		return -EEXIST;
	/* Shared with other creates, for the whole create: prune (exclusive) waits, and removes nothing in use. */
	if ((r = mkdir_private(opts->cache_dir, true)) < 0 || (cache = cache_lock(opts->cache_dir, LOCK_SH)) < 0)
		return cr_fail(err, r < 0 ? r : cache, "cannot create or lock the cache %s: %s", opts->cache_dir,
			       strerror(-(r < 0 ? r : cache)));
	r = bootstrap_prepare(opts, &b.plan, progress, data, err);
	if (r >= 0)
		r = bootstrap_in_temp(&b);
	bootstrap_plan_free(&b.plan);
	free(b.keyring_data);
	return r;
}

/* --- export -------------------------------------------------------------------------------- */

struct export_args {
	const char *rootfs;
	int fd;
	const char *name;
};

static int export_in_userns(void *arg, void *out)
{
	const struct export_args *a = arg;

	if (chdir(a->rootfs) < 0)
		return -errno;
	return tarball_write(a->fd, a->name, out);
}

/* The process's umask. */
static mode_t umask_now(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return mask;
}

/*
 * What is written to be renamed to path when complete: a new file beside
 * it, "PATH.part-XXXXXX", made with O_EXCL (mkostemp(3)), so a file someone
 * else put at a predictable name is never written into; mode 0644 less the
 * umask.  Its name into part.  Returns the fd or -errno.
 */
static int create_part(const char *path, char *part, size_t size)
{
	_cleanup_close_ int fd = -EBADF;

	if (format_buf(part, size, "%s.part-XXXXXX", path) < 0)
		return -ENAMETOOLONG;
	fd = mkostemp(part, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644 & ~umask_now()) < 0) {
		unlink(part);
		return -errno;
	}
	return steal_fd(fd);
}

int store_export(const struct container *c, const char *file, struct cr_error *err)
{
	char part[PATH_MAX];
	struct export_args args;
	_cleanup_close_ int fd = -EBADF;
	int r;

	memset(err, 0, sizeof(*err));
	if (streq(file, "-")) {
		/* Plain tar: no name to tell a compression by. */
		args = (struct export_args){ c->rootfs, STDOUT_FILENO, "-" };
		return userns_call(c->mode, export_in_userns, &args, err, sizeof(*err));
	}
	/* Made here, as the user: the tarball is theirs, not root's of the namespace. */
	fd = create_part(file, part, sizeof(part));
	if (fd < 0)
		return fd;
	args = (struct export_args){ c->rootfs, fd, file };
	r = userns_call(c->mode, export_in_userns, &args, err, sizeof(*err));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(part, file) < 0)
		r = -errno;
	if (r < 0)
		unlink(part);
	return r;
}

/* The rootfs as one gzip-compressed layer, into the file at fd. */
static int write_layer(const struct container *c, int fd, struct cr_error *err)
{
	struct export_args args = { c->rootfs, fd, "layer.tar.gz" };

	return userns_call(c->mode, export_in_userns, &args, err, sizeof(*err));
}

/* export --format oci to an archive: target, or stdout for "-". */
static int export_oci_archive(const struct container *c, const char *target, const struct oci_export *export,
			      struct cr_error *err)
{
	_cleanup_close_ int layer = -EBADF, out = -EBADF;
	char part[PATH_MAX];
	int r;

	/* The layer is written before the archive, which names it by its digest: beside the rootfs. */
	layer = open(c->dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
	if (layer < 0)
		return -errno;
	r = write_layer(c, layer, err);
	if (r < 0)
		return r;
	if (streq(target, "-"))
		return oci_write(layer, NULL, -EBADF, STDOUT_FILENO, export, err);
	out = create_part(target, part, sizeof(part));
	if (out < 0)
		return out;
	r = oci_write(layer, NULL, -EBADF, out, export, err);
	if (r == 0 && fsync(out) < 0)
		r = -errno;
	if (r == 0 && rename(part, target) < 0)
		r = -errno;
	if (r < 0)
		unlink(part);
	return r;
}

/* Remove the tree at path, the user's own files, as the user, never following a symlink. */
static void remove_own_tree(const char *path)
{
	char parent[PATH_MAX];
	char *slash;
	_cleanup_close_ int fd = -EBADF;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof(parent), ".");
	else if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		rmtree_at(fd, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
}

/* export --format oci to a directory, made as target.part and renamed when complete. */
static int export_oci_dir(const struct container *c, const char *target, const struct oci_export *export,
			  struct cr_error *err)
{
	_cleanup_close_ int dir = -EBADF, layer = -EBADF;
	char part[PATH_MAX];
	struct stat st;
	int r;

	if (lstat(target, &st) == 0)
		return -EEXIST;
	/* A new directory of a name nobody could have chosen before (mkdtemp(3)). */
	if (format_buf(part, sizeof(part), "%s.part-XXXXXX", target) < 0)
		return -ENAMETOOLONG;
	if (!mkdtemp(part))
		return -errno;
	dir = open(part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0 || fchmod(dir, 0755 & ~umask_now()) < 0)
		r = -errno;
	else if ((layer = openat(dir, ".layer.part", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		r = -errno;
	else
		r = write_layer(c, layer, err);
	if (r == 0)
		r = oci_write(layer, ".layer.part", dir, -EBADF, export, err);
	if (r == 0 && (syncfs(dir) < 0 || rename(part, target) < 0))
		r = errno == ENOTEMPTY ? -EEXIST : -errno;
	if (r < 0)
		remove_own_tree(part);
	return r;
}

int store_export_oci(const struct container *c, const char *target, const struct oci_export *export,
		     struct cr_error *err)
{
	size_t len = strlen(target);

	memset(err, 0, sizeof(*err));
	if (streq(target, "-") || (len > 4 && streq(target + len - 4, ".tar")))
		return export_oci_archive(c, target, export, err);
	return export_oci_dir(c, target, export, err);
}
