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

#include "../base/util.h"

#define PARALLEL_DOWNLOADS 8

int bootstrap_cache_dir(char *buf, size_t size)
{
	return xdg_user_dir("XDG_CACHE_HOME", ".cache", "crossroot", buf, size);
}

/* The cache directory of a suite of a mirror for opts's arch: the URL with '/' and ':' made harmless. */
static int mirror_dir(const struct bootstrap_options *opts, const char *mirror, const char *suite, char *buf,
		      size_t size)
{
	char key[PATH_MAX];
	size_t i = 0;

	for (const char *p = strstr(mirror, "://") ? strstr(mirror, "://") + 3 : mirror; *p && i + 1 < sizeof(key); p++)
		key[i++] = strchr("/:?&=", *p) ? '_' : *p;
	key[i] = '\0';
	/*
	 * Per arch: an arch's Packages index must stay paired with the InRelease
	 * that listed it, and a create for another arch fetches InRelease anew
	 * (a pocket changes several times a day), which left --offline with an
	 * index its InRelease no longer lists.
	 */
	return format_buf(buf, size, "%s/archives/%s/%s/%s", opts->cache_dir, key, suite, opts->arch->name);
}

/* Fetch url to path, or with offline use what is there. */
static int get(const struct bootstrap_options *opts, const char *url, const char *path, struct cr_error *err)
{
	if (opts->offline) {
		if (access(path, R_OK) == 0)
			return 0;
		return cr_fail(err, -ENODATA, "%s is not in the cache (%s): run once without --offline", url, path);
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

/* InRelease of suite at mirror: fetched, verified, checked, its signed text read. */
static int release_text(const struct bootstrap_options *opts, const char *mirror, const char *suite, const char *dir,
			char **release, struct cr_error *err)
{
	char url[PATH_MAX], path[PATH_MAX], clear[PATH_MAX];
	int r;

	if (format_buf(url, sizeof(url), "%s/dists/%s/InRelease", mirror, suite) < 0 ||
	    format_buf(path, sizeof(path), "%s/InRelease", dir) < 0 ||
	    format_buf(clear, sizeof(clear), "%s/Release.verified", dir) < 0)
		return cr_fail(err, -ENAMETOOLONG, "cache path too long");
	r = get(opts, url, path, err);
	if (r == -ENOENT)
		return cr_fail(err, -ENOENT, "unknown suite '%s': %s has no dists/%s/InRelease", suite, mirror, suite);
	if (r == -EHOSTUNREACH)
		return cr_fail(err, r, "the mirror %s cannot be reached (%s); check --mirror or the network", mirror,
			       err->message);
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
		return cr_fail(err, r, "%s: %s", clear, strerror(-r));
	/* As apt would before using it: not expired, not from the future, the suite asked for. */
	r = release_check(*release, suite, time(NULL), opts->no_check_valid_until ? RELEASE_IGNORE_VALID_UNTIL : 0, url,
			  err);
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

/* One source of packages: a suite (the release, its updates, its security) at a mirror. */
struct source {
	const char *mirror;
	char suite[128];
	char dir[PATH_MAX];
	bool pocket; /* updates or security: may be absent */
};

/*
 * One component's Packages index of src, fetched or from the cache,
 * checked against its Release, at path.  Returns 0, -ENOENT when a pocket's
 * Release lists none (err set), or -errno with err.
 */
static int packages_index(const struct bootstrap_options *opts, const struct source *src, const char *release,
			  const char *component, const char *path, struct cr_error *err)
{
	char file[128], url[PATH_MAX], sha[65], got[65], listed[1024] = "";
	uint64_t size;
	struct stat st;
	int r;

	release_field(release, "Components", listed, sizeof(listed));
	snprintf(file, sizeof(file), "%s/binary-%s/Packages.xz", component, opts->arch->name);
	if (release_file_hash(release, file, sha, &size) < 0) {
		if (listed[0] && !word_in_list(listed, component) && !src->pocket)
			return cr_fail(err, -ENOENT, "suite '%s' at %s has no component '%s' (it has: %s)", src->suite,
				       src->mirror, component, listed);
		return cr_fail(err, -ENOENT, "the Release file of %s lists no %s", src->suite, file);
	}
	if (format_buf(url, sizeof(url), "%s/dists/%s/%s", src->mirror, src->suite, file) < 0)
		return cr_fail(err, -ENAMETOOLONG, "cache path too long");
	/* A cached index that no longer matches Release is stale: fetch it again. */
	if (!opts->offline && (stat(path, &st) < 0 || sha256_file(path, got) < 0 || !streq(got, sha)))
		unlink(path);
	if (access(path, R_OK) < 0) {
		r = get(opts, url, path, err);
		/* A pocket's index listed but gone is an error, not an absence. */
		if (r == -ENOENT)
			r = cr_fail(err, -EIO, "%s: listed in the Release, but not on the mirror", url);
		if (r < 0)
			return r;
	}
	r = sha256_file(path, got);
	if (r < 0)
		return cr_fail(err, r, "%s: %s", path, strerror(-r));
	if (!streq(got, sha) || stat(path, &st) < 0 || (uint64_t)st.st_size != size) {
		unlink(path);
		return cr_fail(err, -EBADMSG, "%s: SHA-256 %s, but the signed Release says %s", url, got, sha);
	}
	return 0;
}

static int plan_add(char ***list, size_t *n, const char *text)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown)
		return -ENOMEM;
	*list = grown;
	grown[*n] = strdup(text);
	if (!grown[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/*
 * The sources a rootfs is made from, as its apt will see them: the suite
 * at the mirror, and (not for sid) SUITE-updates there and SUITE-security
 * at the security mirror, where they exist.  The security archive is
 * Debian's: it is read only when the bootstrap is verified with Debian's
 * keyring.
 */
static size_t plan_sources(const struct bootstrap_options *opts, const struct bootstrap_plan *plan,
			   struct source src[3])
{
	const char *keyring = opts->keyring ? opts->keyring : DEBIAN_KEYRING;
	size_t n = 0;

	src[n++] = (struct source){ .mirror = plan->mirror };
	snprintf(src[0].suite, sizeof(src[0].suite), "%s", opts->suite);
	if (!suite_has_pockets(opts->suite))
		return n;
	src[n] = (struct source){ .mirror = plan->mirror, .pocket = true };
	snprintf(src[n++].suite, sizeof(src[0].suite), "%s-updates", opts->suite);
	if (opts->security_mirror && streq(keyring, DEBIAN_KEYRING)) {
		src[n] = (struct source){ .mirror = opts->security_mirror, .pocket = true };
		snprintf(src[n++].suite, sizeof(src[0].suite), "%s-security", opts->suite);
	}
	return n;
}

/* The Packages index of every component asked for, of every source, read into one plan->index. */
static int packages_indexes(const struct bootstrap_options *opts, struct bootstrap_plan *plan, struct cr_error *err)
{
	const char *const *components = components_of(opts);
	struct source src[3];
	size_t n_src = plan_sources(opts, plan, src);
	int r;

	for (size_t k = 0; k < n_src; k++) {
		_cleanup_free_ char *release = NULL;

		if (mirror_dir(opts, src[k].mirror, src[k].suite, src[k].dir, sizeof(src[k].dir)) < 0)
			return cr_fail(err, -ENAMETOOLONG, "cache path too long");
		if ((r = mkdir_p(src[k].dir, 0700)) < 0)
			return cr_fail(err, r, "cannot create the cache %s: %s", src[k].dir, strerror(-r));
		r = release_text(opts, src[k].mirror, src[k].suite, src[k].dir, &release, err);
		/* A pocket the mirror does not have (404), or offline one never fetched, is left out. */
		if (src[k].pocket && (r == -ENOENT || r == -ENODATA))
			continue;
		if (r < 0)
			return r;
		if (k == 0 && !release_has_arch(release, opts->arch->name))
			return cr_fail(err, -ENOENT, "suite '%s' at %s has no architecture %s", opts->suite,
				       plan->mirror, opts->arch->name);
		for (const char *const *base = (const char *const[]){ "InRelease", "Release.verified", NULL }; *base;
		     base++) {
			char path[PATH_MAX];

			if (format_buf(path, sizeof(path), "%s/%s", src[k].dir, *base) < 0 ||
			    plan_add(&plan->release_files, &plan->n_release_files, path) < 0)
				return cr_fail(err, -ENOMEM, "out of memory");
		}
		for (size_t i = 0; components[i]; i++) {
			char path[PATH_MAX];

			if (index_path(opts, src[k].dir, components[i], path, sizeof(path)) < 0)
				return cr_fail(err, -ENAMETOOLONG, "cache path too long");
			r = packages_index(opts, &src[k], release, components[i], path, err);
			if (r == -ENOENT && src[k].pocket)
				continue; /* a component the pocket has not (yet) */
			if (r < 0)
				return r;
			if (plan_add(&plan->index_files, &plan->n_index_files, path) < 0 ||
			    plan_add(&plan->index_mirrors, &plan->n_index_mirrors, src[k].mirror) < 0)
				return cr_fail(err, -ENOMEM, "out of memory");
		}
	}
	r = deb_index_load_many((const char *const *)plan->index_files, plan->n_index_files, &plan->index);
	return r < 0 ? cr_fail(err, r, "%s: cannot read the index: %s", plan->index_files[0], strerror(-r)) : 0;
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

static int order_packages(struct bootstrap_plan *plan, const char *debs_dir, struct cr_error *err)
{
	size_t k = 0;

	plan->packages = calloc(plan->index.n, sizeof(*plan->packages));
	plan->deb_paths = calloc(plan->index.n, sizeof(*plan->deb_paths));
	if (!plan->packages || !plan->deb_paths)
		return cr_fail(err, -ENOMEM, "out of memory");
	/* Essential packages first: dpkg installs them before the rest. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < plan->index.n; i++) {
			struct deb_package *p = &plan->index.packages[i];

			if (!p->selected || p->essential != (pass == 0) || deb_index_find(&plan->index, p->name) != p)
				continue;
			plan->packages[k] = p;
			if (asprintf(&plan->deb_paths[k], "%s/%s.deb", debs_dir, p->sha256) < 0) {
				plan->n_packages = k; /* bootstrap_plan_free() frees those made */
				return cr_fail(err, -ENOMEM, "out of memory");
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

/* The mirror into plan->mirror: --mirror, else the host's apt sources'; no trailing '/'. Returns 0 or -errno, with err.
 */
static int plan_mirror(const struct bootstrap_options *opts, struct bootstrap_plan *plan, struct cr_error *err)
{
	int r;

	if (opts->mirror)
		r = format_buf(plan->mirror, sizeof(plan->mirror), "%s", opts->mirror);
	else if ((r = archive_host_mirror(plan->mirror, sizeof(plan->mirror))) < 0)
		return cr_fail(err, -ENOENT, "no Debian mirror in the host's apt sources: give --mirror URL");
	while (strlen(plan->mirror) > 1 && plan->mirror[strlen(plan->mirror) - 1] == '/')
		plan->mirror[strlen(plan->mirror) - 1] = '\0';
	return 0;
}

/*
 * The plan's .debs into the cache, verified (--offline: only checked to be
 * there), with download progress.  Returns 0 or -errno, with err.
 */
static int fetch_debs(const struct bootstrap_options *opts, const struct bootstrap_plan *plan,
		      bootstrap_progress_fn progress, void *data, struct cr_error *err)
{
	struct fetch_item *items;
	int r;

	items = calloc(plan->n_packages, sizeof(*items));
	if (!items)
		return cr_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->n_packages; i++) {
		char *url = NULL;

		/* From the mirror of the index that listed it: security updates come from the security mirror. */
		const char *mirror = plan->index_mirrors[deb_index_file_of(&plan->index, plan->packages[i])];

		if (asprintf(&url, "%s/%s", mirror, plan->packages[i]->filename) < 0)
			url = NULL;
		items[i] = (struct fetch_item){ url, plan->deb_paths[i], plan->packages[i]->sha256,
						plan->packages[i]->size };
	}
	if (opts->offline) {
		r = 0;
		for (size_t i = 0; r == 0 && i < plan->n_packages; i++)
			if (access(items[i].path, R_OK) < 0)
				r = cr_fail(err, -ENODATA, "%s is not in the cache: run once without --offline",
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

int bootstrap_prepare(const struct bootstrap_options *opts, struct bootstrap_plan *plan, bootstrap_progress_fn progress,
		      void *data, struct cr_error *err)
{
	const char *extras[256];
	char debs[PATH_MAX];
	struct cr_error missing;
	struct bootstrap_progress pr = { .stage = STAGE_INDEX };
	size_t n_extras = 0;
	int r;

	memset(plan, 0, sizeof(*plan));
	memset(err, 0, sizeof(*err));
	if (variant_extras(opts->variant, extras, &n_extras) < 0)
		return cr_fail(err, -EINVAL, "unknown variant '%s': use minbase or buildd", opts->variant);
	for (const char *const *p = opts->include; p && *p && n_extras + 1 < ARRAY_SIZE(extras); p++)
		extras[n_extras++] = *p;
	extras[n_extras] = NULL;
	r = plan_mirror(opts, plan, err);
	if (r < 0)
		return r;
	if (progress)
		progress(data, &pr);
	if (mirror_dir(opts, plan->mirror, opts->suite, plan->index_dir, sizeof(plan->index_dir)) < 0 ||
	    format_buf(debs, sizeof(debs), "%s/debs", opts->cache_dir) < 0)
		return cr_fail(err, -ENAMETOOLONG, "cache path too long");
	/* The cache is private to its owner, like the store. */
	if ((r = mkdir_private(opts->cache_dir, true)) < 0 || (r = mkdir_p(debs, 0700)) < 0)
		return cr_fail(err, r, "cannot create the cache %s: %s", opts->cache_dir, strerror(-r));
	r = packages_indexes(opts, plan, err);
	if (r < 0)
		return r;
	r = deb_select(&plan->index, extras, &missing);
	if (r < 0)
		return cr_fail(err, -ENOENT, "cannot choose the packages: %s", missing.message);
	r = order_packages(plan, debs, err);
	if (r < 0)
		return r;
	return fetch_debs(opts, plan, progress, data, err);
}

int bootstrap_extract(const struct bootstrap_plan *plan, size_t n, const struct tarball_owners *owners,
		      bootstrap_progress_fn progress, void *data, struct cr_error *err)
{
	struct bootstrap_progress pr = { .stage = STAGE_EXTRACT, .total = n };

	for (size_t i = 0; i < n; i++) {
		struct cr_error terr;
		int r = deb_extract_data(plan->deb_paths[i], owners, &terr);

		if (r < 0)
			return cr_fail(err, r, "%s (%s): %s", plan->packages[i]->name, plan->deb_paths[i],
				       cr_message(&terr));
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
	for (size_t i = 0; i < plan->n_index_mirrors; i++)
		free(plan->index_mirrors[i]);
	free(plan->index_mirrors);
	for (size_t i = 0; i < plan->n_release_files; i++)
		free(plan->release_files[i]);
	free(plan->release_files);
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
		.no_check_valid_until = opts->no_check_valid_until,
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
