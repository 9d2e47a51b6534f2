/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "rmtree.h"
#include "../base/util.h"

int cache_lock(const char *cache_dir, int operation)
{
	char path[PATH_MAX];

	if (format_buf(path, sizeof(path), "%s/.lock", cache_dir) < 0)
		return -ENAMETOOLONG;
	return flock_file(path, operation);
}

int cache_record_use(const char *dir, const char *cache_dir, char *const *paths, size_t n)
{
	size_t len = strlen(cache_dir);
	char path[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;

	if (format_buf(path, sizeof(path), "%s/" CACHE_REFS_FILE, dir) < 0)
		return -ENAMETOOLONG;
	f = fopen(path, "wxe");
	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		if (strncmp(paths[i], cache_dir, len) != 0 || paths[i][len] != '/')
			continue;
		fprintf(f, "%s\n", paths[i] + len + 1);
		/* Used now: prune keeps it for CACHE_RECENT_DAYS even once no container records it. */
		utimensat(AT_FDCWD, paths[i], NULL, AT_SYMLINK_NOFOLLOW);
	}
	/* On disk before the container's rename, like its config: a crash must not leave it unrecorded. */
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

/* --- what the containers use ---------------------------------------------------------------- */

struct refs {
	char **paths;
	size_t n, cap;
};

static void refs_free(struct refs *refs)
{
	for (size_t i = 0; i < refs->n; i++)
		free(refs->paths[i]);
	free(refs->paths);
}

static int refs_add(struct refs *refs, const char *path)
{
	if (refs->n == refs->cap) {
		size_t cap = refs->cap ? refs->cap * 2 : 256;
		char **p = realloc(refs->paths, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		refs->paths = p;
		refs->cap = cap;
	}
	refs->paths[refs->n] = strdup(path);
	return refs->paths[refs->n++] ? 0 : -ENOMEM;
}

/* The lines of container name's cache-refs (below the store's fd), if it has one. */
static int refs_read(struct refs *refs, int store, const char *name)
{
	_cleanup_close_ int dir = openat(store, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int fd = -EBADF;
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	ssize_t len;

	if (dir < 0)
		return errno == ENOTDIR || errno == ENOENT || errno == ELOOP ? 0 : -errno;
	fd = openat(dir, CACHE_REFS_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	f = fdopen(fd, "re");
	if (!f)
		return -errno;
	steal_fd(fd);
	while ((len = getline(&line, &size, f)) > 0) {
		int r;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] && (r = refs_add(refs, line)) < 0)
			return r;
	}
	return ferror(f) ? -EIO : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every container's references, sorted.  Hidden directories count too: a
 * create that began before us records its references before it renames
 * its directory into place (a removal's .NAME.rm- directory does not).
 */
static int refs_load(struct refs *refs, const char *containers_dir)
{
	_cleanup_close_ int store = open(containers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent **names = NULL;
	int n, r = 0;

	if (store < 0)
		return errno == ENOENT ? 0 : -errno;
	n = scandirat(store, ".", &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;

		if (r == 0 && !streq(d, ".") && !streq(d, "..") && !(d[0] == '.' && strstr(d, ".rm-")))
			r = refs_read(refs, store, d);
		free(names[i]);
	}
	free(names);
	if (r == 0 && refs->n)
		qsort(refs->paths, refs->n, sizeof(*refs->paths), cmp_str);
	return r;
}

static bool refs_has(const struct refs *refs, const char *path)
{
	return refs->n && bsearch(&path, refs->paths, refs->n, sizeof(*refs->paths), cmp_str);
}

/* --- pruning --------------------------------------------------------------------------------- */

struct prune {
	const struct cache_prune_options *opts;
	struct refs refs;
	cache_item_fn fn;
	void *data;
	struct cache_prune_result *result;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && streq(s + a - b, suffix);
}

static bool item_used(const struct prune *p, const char *path, const char *name, const struct stat *st)
{
	/* A download's partial file: "NAME.part-XXXXXX" (".part" from older versions). */
	if (p->opts->all || S_ISLNK(st->st_mode) || ends_with(name, ".part") || strstr(name, ".part-"))
		return false;
	if (S_ISREG(st->st_mode) && refs_has(&p->refs, path))
		return true;
	return st->st_mtime >= p->opts->now - (time_t)CACHE_RECENT_DAYS * 24 * 3600;
}

static void report_failure(struct prune *p, const char *path, int error)
{
	struct cache_item item = { .path = path, .error = error };

	p->result->failed++;
	if (p->fn)
		p->fn(p->data, &item);
}

/* Judge, and unless it is used remove, the entry name of dirfd (path from the cache's top). */
static void prune_item(struct prune *p, int dirfd, const char *name, const char *path, const struct stat *st)
{
	struct cache_item item = { .path = path, .bytes = (uint64_t)st->st_blocks * 512, .files = 1 };

	if (item_used(p, path, name, st))
		return;
	if (S_ISDIR(st->st_mode)) {
		_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		item.files = 0;
		if (fd >= 0)
			dir_usage(fd, &item.bytes, &item.files);
	}
	if (!p->opts->dry_run) {
		/* rmtree_at() removes symlinks inside as links and stops at a mount; unlinkat() never follows. */
		if (S_ISDIR(st->st_mode))
			item.error = rmtree_at(dirfd, name);
		else if (unlinkat(dirfd, name, 0) < 0)
			item.error = -errno;
	}
	if (item.error)
		p->result->failed++;
	else {
		p->result->bytes += item.bytes;
		p->result->files += item.files;
	}
	if (p->fn)
		p->fn(p->data, &item);
}

/* How many levels below a top directory of the cache are its layout; -1: it is one item. */
static int top_levels(const char *name)
{
	/* archives/MIRROR/SUITE/ARCH/FILE (and archives/MIRROR/SUITE/FILE as older versions wrote it) */
	if (streq(name, "archives"))
		return 3;
	if (streq(name, "debs") || streq(name, "rootfs"))
		return 0;
	return -1;
}

/*
 * The entries of dirfd (path from the cache's top, "" for the top itself).
 * levels: how many levels of directories below are the cache's layout, to
 * be entered; below that every entry is one item.
 */
static int prune_dir(struct prune *p, int dirfd, const char *path, int levels)
{
	struct dirent **names = NULL;
	int n = scandirat(dirfd, ".", &names, NULL, alphasort);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char sub[PATH_MAX];
		struct stat st;
		int sub_levels = levels - 1;

		if (!path[0])
			sub_levels = top_levels(name);
		if (streq(name, ".") || streq(name, "..") || (!path[0] && streq(name, ".lock")) ||
		    format_buf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "/" : "", name) < 0 ||
		    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			free(names[i]);
			continue;
		}
		if (S_ISDIR(st.st_mode) && sub_levels >= 0) {
			_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int r = fd < 0 ? -errno : prune_dir(p, fd, sub, sub_levels);

			if (r < 0) /* unreadable: nothing below it is judged, and the user hears of it */
				report_failure(p, sub, r);
			/* archives/MIRROR, MIRROR/SUITE and SUITE/ARCH go once empty; the top directories stay. */
			if (path[0] && !p->opts->dry_run)
				unlinkat(dirfd, name, AT_REMOVEDIR);
		} else
			prune_item(p, dirfd, name, sub, &st);
		free(names[i]);
	}
	free(names);
	return 0;
}

int cache_prune(const struct cache_prune_options *opts, cache_item_fn fn, void *data, struct cache_prune_result *result)
{
	struct prune p = { .opts = opts, .fn = fn, .data = data, .result = result };
	_cleanup_close_ int top = -EBADF;
	int r;

	memset(result, 0, sizeof(*result));
	/* The cache directory itself is where the user's XDG_CACHE_HOME says, links included; nothing below. */
	top = open(opts->cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return -errno;
	r = opts->all ? 0 : refs_load(&p.refs, opts->containers_dir);
	if (r == 0)
		r = prune_dir(&p, top, "", 1);
	refs_free(&p.refs);
	return r;
}
