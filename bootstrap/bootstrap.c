/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bootstrap.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../runtime/util.h"

#define PARALLEL_DOWNLOADS 8

int bootstrap_cache_dir(char *buf, size_t size)
{
	return xdg_user_dir("XDG_CACHE_HOME", ".cache", "crossroot", buf, size);
}

/* The mirror's own cache directory: its URL with '/' and ':' made harmless. */
static int mirror_dir(const struct bootstrap_options *opts, const char *mirror, char *buf, size_t size)
{
	char key[PATH_MAX];
	size_t i = 0;

	for (const char *p = strstr(mirror, "://") ? strstr(mirror, "://") + 3 : mirror; *p && i + 1 < sizeof(key); p++)
		key[i++] = strchr("/:?&=", *p) ? '_' : *p;
	key[i] = '\0';
	return format_buf(buf, size, "%s/archives/%s/%s", opts->cache_dir, key, opts->suite);
}

/* Fetch url to path, or with offline use what is there. */
static int get(const struct bootstrap_options *opts, const char *url, const char *path, struct archive_error *err)
{
	if (opts->offline) {
		if (access(path, R_OK) == 0)
			return 0;
		return archive_fail(err, -ENODATA, "%s is not in the cache (%s): run once without --offline", url,
				    path);
	}
	return archive_fetch(url, path, err);
}

static int read_text(const char *path, char **out)
{
	struct stat st;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *text;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		return -ENOMEM;
	if (read(fd, text, (size_t)st.st_size) != st.st_size) {
		free(text);
		return -EIO;
	}
	text[st.st_size] = '\0';
	*out = text;
	return 0;
}

/* InRelease: fetched, verified, its signed text read. */
static int release_text(const struct bootstrap_options *opts, const char *mirror, const char *dir, char **release,
			struct archive_error *err)
{
	char url[PATH_MAX], path[PATH_MAX], clear[PATH_MAX];
	int r;

	if (format_buf(url, sizeof(url), "%s/dists/%s/InRelease", mirror, opts->suite) < 0 ||
	    format_buf(path, sizeof(path), "%s/InRelease", dir) < 0 ||
	    format_buf(clear, sizeof(clear), "%s/Release.verified", dir) < 0)
		return archive_fail(err, -ENAMETOOLONG, "cache path too long");
	r = get(opts, url, path, err);
	if (r == -ENOENT)
		return archive_fail(err, -ENOENT, "unknown suite '%s': %s has no dists/%s/InRelease", opts->suite,
				    mirror, opts->suite);
	if (r == -EHOSTUNREACH)
		return archive_fail(err, r, "the mirror %s cannot be reached (%s); check --mirror or the network",
				    mirror, err->message);
	if (r < 0)
		return r;
	/* Verified on every use, from the network or the cache alike. */
	r = archive_verify_inrelease(path, opts->keyring ? opts->keyring : DEBIAN_KEYRING, clear, err);
	if (r < 0) {
		unlink(path);
		return r;
	}
	r = read_text(clear, release);
	if (r < 0)
		return archive_fail(err, r, "%s: %s", clear, strerror(-r));
	/* As apt would before using it: not expired, not from the future, the suite asked for. */
	r = release_check(*release, opts->suite, time(NULL), url, err);
	if (r < 0) {
		free(steal_ptr(*release));
		unlink(path);
	}
	return r;
}

static const char *const default_components[] = { "main", NULL };

static const char *const *components_of(const struct bootstrap_options *opts)
{
	return opts->components && opts->components[0] ? opts->components : default_components;
}

/* The cache path of component's Packages index: main's keeps the name it had before components. */
static int index_path(const struct bootstrap_options *opts, const char *dir, const char *component, char *buf,
		      size_t size)
{
	if (streq(component, "main"))
		return format_buf(buf, size, "%s/Packages-%s.xz", dir, opts->arch->name);
	return format_buf(buf, size, "%s/Packages-%s-%s.xz", dir, component, opts->arch->name);
}

/* One component's Packages index, fetched or from the cache, checked against Release, at path. */
static int packages_index(const struct bootstrap_options *opts, const char *mirror, const char *release,
			  const char *component, const char *path, struct archive_error *err)
{
	char file[128], url[PATH_MAX], sha[65], got[65], listed[1024] = "";
	uint64_t size;
	struct stat st;
	int r;

	release_field(release, "Components", listed, sizeof(listed));
	snprintf(file, sizeof(file), "%s/binary-%s/Packages.xz", component, opts->arch->name);
	if (release_file_hash(release, file, sha, &size) < 0) {
		if (listed[0] && !word_in_list(listed, component))
			return archive_fail(err, -ENOENT, "suite '%s' at %s has no component '%s' (it has: %s)",
					    opts->suite, mirror, component, listed);
		return archive_fail(err, -ENOENT, "the Release file of %s lists no %s", opts->suite, file);
	}
	if (format_buf(url, sizeof(url), "%s/dists/%s/%s", mirror, opts->suite, file) < 0)
		return archive_fail(err, -ENAMETOOLONG, "cache path too long");
	/* A cached index that no longer matches Release is stale: fetch it again. */
	if (!opts->offline && (stat(path, &st) < 0 || sha256_file(path, got) < 0 || !streq(got, sha)))
		unlink(path);
	if (access(path, R_OK) < 0) {
		r = get(opts, url, path, err);
		if (r < 0)
			return r;
	}
	r = sha256_file(path, got);
	if (r < 0)
		return archive_fail(err, r, "%s: %s", path, strerror(-r));
	if (!streq(got, sha) || stat(path, &st) < 0 || (uint64_t)st.st_size != size) {
		unlink(path);
		return archive_fail(err, -EBADMSG, "%s: SHA-256 %s, but the signed Release says %s", url, got, sha);
	}
	return 0;
}

/* The Packages index of every component asked for, read into one plan->index. */
static int packages_indexes(const struct bootstrap_options *opts, struct bootstrap_plan *plan, const char *dir,
			    const char *release, struct archive_error *err)
{
	const char *const *components = components_of(opts);
	size_t n = 0;
	int r;

	while (components[n])
		n++;
	plan->index_files = calloc(n, sizeof(*plan->index_files));
	if (!plan->index_files)
		return archive_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (index_path(opts, dir, components[i], path, sizeof(path)) < 0)
			return archive_fail(err, -ENAMETOOLONG, "cache path too long");
		plan->index_files[i] = strdup(path);
		if (!plan->index_files[i])
			return archive_fail(err, -ENOMEM, "out of memory");
		plan->n_index_files = i + 1;
		r = packages_index(opts, plan->mirror, release, components[i], path, err);
		if (r < 0)
			return r;
	}
	r = deb_index_load_many((const char *const *)plan->index_files, n, &plan->index);
	return r < 0 ? archive_fail(err, r, "%s: cannot read the index: %s", plan->index_files[0], strerror(-r)) : 0;
}

static int variant_extras(const char *variant, const char **extras, size_t *n)
{
	if (streq(variant, "minbase")) {
		extras[(*n)++] = "apt";
		return 0;
	}
	if (streq(variant, "buildd")) {
		extras[(*n)++] = "apt";
		extras[(*n)++] = "build-essential";
		return 0;
	}
	return -EINVAL;
}

static int order_packages(struct bootstrap_plan *plan, const char *debs_dir, struct archive_error *err)
{
	size_t k = 0;

	plan->packages = calloc(plan->index.n, sizeof(*plan->packages));
	plan->deb_paths = calloc(plan->index.n, sizeof(*plan->deb_paths));
	if (!plan->packages || !plan->deb_paths)
		return archive_fail(err, -ENOMEM, "out of memory");
	/* Essential packages first: dpkg installs them before the rest. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < plan->index.n; i++) {
			struct deb_package *p = &plan->index.packages[i];

			if (!p->selected || p->essential != (pass == 0) || deb_index_find(&plan->index, p->name) != p)
				continue;
			plan->packages[k] = p;
			if (asprintf(&plan->deb_paths[k], "%s/%s.deb", debs_dir, p->sha256) < 0) {
				plan->n_packages = k; /* bootstrap_plan_free() frees those made */
				return archive_fail(err, -ENOMEM, "out of memory");
			}
			plan->bytes += p->size;
			k++;
			if (pass == 0)
				plan->n_essential = k;
		}
	plan->n_packages = k;
	return 0;
}

struct progress_relay {
	bootstrap_progress_fn fn;
	void *data;
};

static void relay_download(void *data, size_t done, size_t total, uint64_t bytes, uint64_t total_bytes)
{
	const struct progress_relay *relay = data;
	struct bootstrap_progress pr = { STAGE_DOWNLOAD, done, total, bytes, total_bytes };

	if (relay->fn)
		relay->fn(relay->data, &pr);
}

int bootstrap_prepare(const struct bootstrap_options *opts, struct bootstrap_plan *plan, bootstrap_progress_fn progress,
		      void *data, struct archive_error *err)
{
	const char *extras[256];
	char dir[PATH_MAX], debs[PATH_MAX], missing[512];
	struct fetch_item *items;
	_cleanup_free_ char *release = NULL;
	struct bootstrap_progress pr = { .stage = STAGE_INDEX };
	size_t n_extras = 0;
	int r;

	memset(plan, 0, sizeof(*plan));
	memset(err, 0, sizeof(*err));
	if (variant_extras(opts->variant, extras, &n_extras) < 0)
		return archive_fail(err, -EINVAL, "unknown variant '%s': use minbase or buildd", opts->variant);
	for (const char *const *p = opts->include; p && *p && n_extras + 1 < ARRAY_SIZE(extras); p++)
		extras[n_extras++] = *p;
	extras[n_extras] = NULL;
	if (opts->mirror)
		r = format_buf(plan->mirror, sizeof(plan->mirror), "%s", opts->mirror);
	else if ((r = archive_host_mirror(plan->mirror, sizeof(plan->mirror))) < 0)
		return archive_fail(err, -ENOENT, "no Debian mirror in the host's apt sources: give --mirror URL");
	while (strlen(plan->mirror) > 1 && plan->mirror[strlen(plan->mirror) - 1] == '/')
		plan->mirror[strlen(plan->mirror) - 1] = '\0';
	if (progress)
		progress(data, &pr);
	if (mirror_dir(opts, plan->mirror, dir, sizeof(dir)) < 0 ||
	    format_buf(plan->index_dir, sizeof(plan->index_dir), "%s", dir) < 0 ||
	    format_buf(debs, sizeof(debs), "%s/debs", opts->cache_dir) < 0)
		return archive_fail(err, -ENAMETOOLONG, "cache path too long");
	/* The cache is private to its owner, like the store. */
	if ((r = mkdir_private(opts->cache_dir, true)) < 0 || (r = mkdir_p(dir, 0700)) < 0 ||
	    (r = mkdir_p(debs, 0700)) < 0)
		return archive_fail(err, r, "cannot create the cache %s: %s", opts->cache_dir, strerror(-r));
	r = release_text(opts, plan->mirror, dir, &release, err);
	if (r < 0)
		return r;
	if (!release_has_arch(release, opts->arch->name))
		return archive_fail(err, -ENOENT, "suite '%s' at %s has no architecture %s", opts->suite, plan->mirror,
				    opts->arch->name);
	r = packages_indexes(opts, plan, dir, release, err);
	if (r < 0)
		return r;
	r = deb_select(&plan->index, extras, missing, sizeof(missing));
	if (r < 0)
		return archive_fail(err, -ENOENT, "cannot choose the packages: %s", missing);
	r = order_packages(plan, debs, err);
	if (r < 0)
		return r;

	items = calloc(plan->n_packages, sizeof(*items));
	if (!items)
		return archive_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->n_packages; i++) {
		char *url = NULL;

		if (asprintf(&url, "%s/%s", plan->mirror, plan->packages[i]->filename) < 0)
			url = NULL;
		items[i] = (struct fetch_item){ url, plan->deb_paths[i], plan->packages[i]->sha256,
						plan->packages[i]->size };
	}
	if (opts->offline) {
		r = 0;
		for (size_t i = 0; r == 0 && i < plan->n_packages; i++)
			if (access(items[i].path, R_OK) < 0)
				r = archive_fail(err, -ENODATA, "%s is not in the cache: run once without --offline",
						 plan->packages[i]->filename);
	} else {
		struct progress_relay relay = { progress, data };

		r = archive_fetch_many(items, plan->n_packages, PARALLEL_DOWNLOADS, relay_download, &relay, err);
	}
	for (size_t i = 0; i < plan->n_packages; i++)
		free((char *)items[i].url);
	free(items);
	return r;
}

int bootstrap_extract(const struct bootstrap_plan *plan, size_t n, const struct tarball_owners *owners,
		      bootstrap_progress_fn progress, void *data, struct archive_error *err)
{
	struct bootstrap_progress pr = { .stage = STAGE_EXTRACT, .total = n };

	for (size_t i = 0; i < n; i++) {
		struct tarball_error terr;
		int r = deb_extract_data(plan->deb_paths[i], owners, &terr);

		if (r < 0)
			return archive_fail(err, r, "%s (%s): %s%s%s", plan->packages[i]->name, plan->deb_paths[i],
					    terr.member, terr.member[0] ? ": " : "",
					    terr.what[0] ? terr.what : strerror(-r));
		pr.done = i + 1;
		if (progress)
			progress(data, &pr);
	}
	return 0;
}

void bootstrap_plan_free(struct bootstrap_plan *plan)
{
	for (size_t i = 0; i < plan->n_index_files; i++)
		free(plan->index_files[i]);
	free(plan->index_files);
	for (size_t i = 0; plan->deb_paths && i < plan->n_packages; i++)
		free(plan->deb_paths[i]);
	free(plan->deb_paths);
	free(plan->packages);
	deb_index_free(&plan->index);
	memset(plan, 0, sizeof(*plan));
}

int bootstrap_apt_sources(const struct bootstrap_options *opts, const struct bootstrap_plan *plan,
			  struct bootstrap_apt *out)
{
	const char *keyring = opts->keyring ? opts->keyring : DEBIAN_KEYRING;
	const struct deb_package *package = deb_index_find(&plan->index, "debian-archive-keyring");
	bool has_debian_keyring = package && package->selected;
	const char *base = strrchr(keyring, '/') ? strrchr(keyring, '/') + 1 : keyring;
	size_t len = strlen(base);
	struct apt_sources s = {
		.mirror = plan->mirror,
		.security_mirror = opts->security_mirror,
		.suite = opts->suite,
		.components = components_of(opts),
		.signed_by = DEBIAN_KEYRING,
		.security_signed_by = has_debian_keyring ? DEBIAN_KEYRING : NULL,
	};

	memset(out, 0, sizeof(*out));
	out->keyring = keyring;
	/*
	 * The rootfs's own Debian keyring, which its package keeps current, when
	 * that is what verified the bootstrap; any other keyring is copied in
	 * (".asc" kept: apt reads armored keys only by that name).
	 */
	if (!streq(keyring, DEBIAN_KEYRING) || !has_debian_keyring) {
		if (format_buf(out->keyring_copy, sizeof(out->keyring_copy), "/etc/apt/keyrings/crossroot-%s%s",
			       opts->suite, len > 4 && streq(base + len - 4, ".asc") ? ".asc" : ".gpg") < 0)
			return -ENAMETOOLONG;
		s.signed_by = out->keyring_copy;
	}
	/* The security archive is Debian's (the host's source): its keyring is Debian's too, where there is one. */
	if (!s.security_signed_by)
		s.security_signed_by = s.signed_by;
	return archive_sources_deb822(&s, out->sources, sizeof(out->sources));
}
