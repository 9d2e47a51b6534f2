/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bootstrap cache, ${XDG_CACHE_HOME:-~/.cache}/crossroot: what it holds,
 * who uses what, and pruning what nobody uses.
 *
 *   .lock                        flock(2): LOCK_SH by every create, LOCK_EX by prune
 *   debs/SHA256.deb              the downloaded packages, named by their hash
 *   archives/MIRROR/SUITE/ARCH/  InRelease, Release.verified, Packages[-COMPONENT]-ARCH.xz
 *   rootfs/KEY.tar.zst           configured rootfs of a package set (store.c)
 *   create-NAME.log              dpkg's log of a failed second stage
 *   *.part-XXXXXX                a download or export in progress (*.part: older versions)
 *
 * An item is used, and kept by cache_prune(), when an existing container
 * records it in its cache-refs file (a bootstrap writes there what it was
 * made from: its .debs, its suite's index files, its cached rootfs), or
 * when a create used it in the last CACHE_RECENT_DAYS days (every create
 * refreshes the modification time of what it uses, cache hits included).
 * Symlinks (crossroot makes none) and .part files (no create runs while
 * prune holds the lock) are never used.
 */
#ifndef CROSSROOT_CACHE_H
#define CROSSROOT_CACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define CACHE_RECENT_DAYS 7
#define CACHE_REFS_FILE "cache-refs"

/*
 * Open cache_dir/.lock (made when missing; the directory must exist) and
 * flock(2) it with operation (LOCK_SH or LOCK_EX, optionally | LOCK_NB).
 * Returns the fd that holds the lock, -EWOULDBLOCK, or -errno.
 */
int cache_lock(const char *cache_dir, int operation);

/*
 * Record in dir/cache-refs (a container's directory, before it exists
 * under its name) the n cache files paths (absolute, below cache_dir) it
 * was made from, one per line relative to cache_dir, and refresh their
 * modification times.  Returns 0 or -errno.
 */
int cache_record_use(const char *dir, const char *cache_dir, char *const *paths, size_t n);

struct cache_item {
	const char *path; /* relative to the cache directory */
	uint64_t bytes;	  /* allocated, everything below it included */
	uint64_t files;	  /* files (non-directories) in it: 1 for a file */
	int error;	  /* 0, or -errno when removing it failed */
};

typedef void (*cache_item_fn)(void *data, const struct cache_item *item);

struct cache_prune_options {
	const char *cache_dir;
	const char *containers_dir; /* whose cache-refs say what is used */
	bool all;		    /* nothing is used: empty the cache (its .lock stays) */
	bool dry_run;		    /* judge and report, remove nothing */
	time_t now;
};

struct cache_prune_result {
	uint64_t bytes, files; /* removed (or, dry run, to remove) */
	size_t failed;	       /* items that could not be removed */
};

/*
 * Remove every unused item of the cache (see above), calling fn for each
 * (after its removal, or instead of it in a dry run).  Never follows a
 * symlink below cache_dir, never crosses a mount (rmtree_at()), never
 * touches the containers.  The caller holds cache_lock() (LOCK_EX; LOCK_SH
 * is enough for a dry run).  Returns 0 (result->failed counts the items
 * that stayed), -ENOENT when there is no cache, or -errno when the cache
 * or a container's cache-refs cannot be read (nothing is removed then).
 */
int cache_prune(const struct cache_prune_options *opts, cache_item_fn fn, void *data,
		struct cache_prune_result *result);

#endif
