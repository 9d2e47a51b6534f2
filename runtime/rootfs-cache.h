/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rootfs cache: the configured rootfs of a package set is kept as a
 * tarball, CACHE/rootfs/KEY.tar.zst, so the next create of the same set
 * skips the second stage (dpkg, and the maintainer scripts under
 * emulation: nearly all of a create's time).  The key covers everything the result depends on: mirror, suite,
 * arch, mode (single-mode files are all uid 0), the apt sources and
 * keyring, every package's SHA-256, and rootfs-skel/.  store.c looks the
 * tarball up and extracts it as it does --from-tar; cache.c records its use
 * and prunes it.  Split from store.c along its seam.
 */
#ifndef CROSSROOT_ROOTFS_CACHE_H
#define CROSSROOT_ROOTFS_CACHE_H

#include <stddef.h>

#include "../bootstrap/bootstrap.h"
#include "container.h"

/*
 * The cache path of the rootfs that bootstrapping c by plan with opts (into
 * opts->cache_dir) and apt makes; keyring_sha: the SHA-256 (hex) of the
 * keyring copied into it, "" when none is.  Into path (size bytes).
 * Returns 0, -ENOMEM, -ELIBACC (no SHA-256: sha256_text()) or
 * -ENAMETOOLONG.
 */
int rootfs_cache_path(const struct container *c, const struct bootstrap_options *opts,
		      const struct bootstrap_plan *plan, const struct bootstrap_apt *apt, const char *keyring_sha,
		      char *path, size_t size);

/*
 * Keep the finished rootfs of tmpc (a container not committed yet) at
 * cache_path (from rootfs_cache_path()), making its directory (0700) when
 * missing.  Best effort: a full disk only loses the cache.
 */
void rootfs_cache_store(const struct container *tmpc, const char *cache_path);

#endif
