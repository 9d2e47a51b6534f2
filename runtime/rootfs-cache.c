/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rootfs cache, CACHE/rootfs/KEY.tar.zst: see rootfs-cache.h. */
#include "rootfs-cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skel.h"
#include "store.h"
#include "../base/util.h"

int rootfs_cache_path(const struct container *c, const struct bootstrap_options *opts,
		      const struct bootstrap_plan *plan, const struct bootstrap_apt *apt, const char *keyring_sha,
		      char *path, size_t size)
{
	size_t cap = 4096 + sizeof(apt->sources) + plan->n_packages * 66, used;
	_cleanup_free_ char *text = malloc(cap);
	char key[65];
	int r;

	if (!text)
		return -ENOMEM;
	used = (size_t)snprintf(text, cap, "crossroot-rootfs-1 %s %s %s %s\n", plan->mirror, opts->suite, c->arch->name,
				c->mode == CONTAINER_MAPPED ? "mapped" : "single");
	/* Made by the rootfs's own dpkg: its own entry, so that it can be compared with the host dpkg's. */
	if (opts->dpkg == BOOTSTRAP_DPKG_EMULATED)
		used += (size_t)snprintf(text + used, cap - used, "dpkg emulated\n");
	/* The apt sources and a copied keyring are in the rootfs too. */
	used += (size_t)snprintf(text + used, cap - used, "%s%s\n", apt->sources, keyring_sha);
	for (size_t i = 0; i < plan->n_packages && used + 66 < cap; i++)
		used += (size_t)snprintf(text + used, cap - used, "%s\n", plan->packages[i]->sha256);
	for (size_t i = 0; i < skel_count; i++) {
		char skel[65];

		if (sha256_text(skel_files[i].content, strlen(skel_files[i].content), skel) == 0 && used + 66 < cap)
			used += (size_t)snprintf(text + used, cap - used, "%s %s\n", skel_files[i].path, skel);
	}
	r = sha256_text(text, used, key);
	if (r < 0)
		return r;
	return format_buf(path, size, "%s/rootfs/%s.tar.zst", opts->cache_dir, key);
}

void rootfs_cache_store(const struct container *tmpc, const char *cache_path)
{
	char dir[PATH_MAX];
	struct cr_error terr;

	snprintf(dir, sizeof(dir), "%s", cache_path);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0700) < 0)
		return;
	store_export(tmpc, cache_path, &terr);
}
