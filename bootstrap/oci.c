/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "oci.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/syscalls.h"
#include "../base/util.h"
#include "jsonc.h"
#include "libarchive.h"
#include "netlibs.h"

/* No manifest, config or index is near this; a bigger one is not an image's. */
#define JSON_MAX (4 << 20)

#define MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define MEDIA_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

static int fail_as(struct cr_error *err, int error, const char *prefix, const char *member, const char *fmt, va_list ap)
	_printf_(5, 0);

/* err for member (NULL: none), named after prefix, and the formatted reason.  Returns error. */
static int fail_as(struct cr_error *err, int error, const char *prefix, const char *member, const char *fmt, va_list ap)
{
	char why[256];

	vsnprintf(why, sizeof(why), fmt, ap);
	if (member && member[0])
		return cr_fail(err, error, "%s%.255s: %s", prefix, member, why);
	return cr_fail(err, error, "%s", why);
}

static int fail(struct cr_error *err, int error, const char *member, const char *fmt, ...) _printf_(4, 5);

/* In an image read: the member named "member NAME". */
static int fail(struct cr_error *err, int error, const char *member, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error = fail_as(err, error, "member ", member, fmt, ap);
	va_end(ap);
	return error;
}

static int write_fail(struct cr_error *err, int error, const char *path, const char *fmt, ...) _printf_(4, 5);

/* In an image written: the file named by its path alone. */
static int write_fail(struct cr_error *err, int error, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error = fail_as(err, error, "", path, fmt, ap);
	va_end(ap);
	return error;
}

static int load_libraries(struct cr_error *err)
{
	if (libarchive_load() < 0)
		return fail(err, -ELIBACC, NULL, "cannot load %s: apt-get install libarchive13", LIBARCHIVE_SONAME);
	if (libjsonc_load() < 0)
		return fail(err, -ELIBACC, NULL, "cannot load %s: apt-get install libjson-c5", LIBJSONC_SONAME);
	if (netlibs_load_nettle() < 0)
		return fail(err, -ELIBACC, NULL, "cannot load %s: apt-get install libnettle8", LIBNETTLE_SONAME);
	return 0;
}

static void json_putp(json_object **o)
{
	if (*o)
		jc.json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

static void archive_freep(struct archive **a)
{
	if (*a)
		la.archive_read_free(*a);
}

/* --- digests -------------------------------------------------------------------------------- */

static void hex_of(struct sha256_ctx *ctx, char hex[65])
{
	uint8_t d[SHA256_DIGEST_SIZE];

	nl.nettle_sha256_digest(ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* The sha256 of the whole file at fd (read from offset 0), and its size. */
static int sha256_file(int fd, char hex[65], uint64_t *size)
{
	struct sha256_ctx ctx;
	char buf[65536];
	uint64_t off = 0;

	nl.nettle_sha256_init(&ctx);
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		nl.nettle_sha256_update(&ctx, (size_t)n, (const uint8_t *)buf);
		off += (uint64_t)n;
	}
	hex_of(&ctx, hex);
	*size = off;
	return 0;
}

/* The sha256 of the file at fd decompressed (gzip, zstd, ...; as it is when plain): a layer's diff_id. */
static int sha256_decompressed(int fd, char hex[65], struct cr_error *err, const char *name)
{
	__attribute__((cleanup(archive_freep))) struct archive *in = la.archive_read_new();
	struct archive_entry *entry;
	struct sha256_ctx ctx;
	char buf[65536];
	la_ssize_t n;

	if (!in)
		return fail(err, -ENOMEM, name, "%s", strerror(ENOMEM));
	la.archive_read_support_filter_all(in);
	la.archive_read_support_format_raw(in);
	if (lseek(fd, 0, SEEK_SET) < 0 || la.archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK ||
	    la.archive_read_next_header(in, &entry) != ARCHIVE_OK)
		return fail(err, -EBADMSG, name, "cannot read it: %s",
			    la.archive_error_string(in) ? la.archive_error_string(in) : strerror(errno));
	nl.nettle_sha256_init(&ctx);
	while ((n = la.archive_read_data(in, buf, sizeof(buf))) > 0)
		nl.nettle_sha256_update(&ctx, (size_t)n, (const uint8_t *)buf);
	if (n < 0)
		return fail(err, -EBADMSG, name, "cannot decompress it: %s", la.archive_error_string(in));
	hex_of(&ctx, hex);
	return lseek(fd, 0, SEEK_SET) < 0 ? fail(err, -errno, name, "%s", strerror(errno)) : 0;
}

/* The hex of "sha256:<64 lowercase hex digits>" into hex; false for any other digest. */
static bool digest_hex(const char *digest, char hex[65])
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest + 7) != 64 ||
	    strspn(digest + 7, "0123456789abcdef") != 64)
		return false;
	memcpy(hex, digest + 7, 65);
	return true;
}

/* --- reading -------------------------------------------------------------------------------- */

/* The member key of o when it is of type, else NULL. */
static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v;

	if (!o || !jc.json_object_object_get_ex(o, key, &v) || jc.json_object_get_type(v) != type)
		return NULL;
	return v;
}

static const char *string_of(json_object *o, const char *key)
{
	json_object *v = member(o, key, json_type_string);

	return v ? jc.json_object_get_string(v) : NULL;
}

/*
 * Open path beneath dirfd (symlinks inside allowed, none leading out): a
 * regular file.  O_NONBLOCK: a FIFO planted as a blob must not hang the
 * open (it is then refused as no regular file).
 */
static int open_beneath(int dirfd, const char *path, struct cr_error *err)
{
	_cleanup_close_ int fd =
		sys_openat2(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	struct stat st;

	if (fd < 0)
		return fail(err, -errno, path, "%s%s", strerror(errno),
			    errno == ENOENT ? ": the image is incomplete" : "");
	if (fstat(fd, &st) < 0)
		return fail(err, -errno, path, "%s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, -EBADMSG, path, "not a regular file");
	return steal_fd(fd);
}

/* Parse the JSON file at fd (named name, for messages) into *out. */
static int read_json(int fd, const char *name, json_object **out, struct cr_error *err)
{
	_cleanup_free_ char *text = malloc(JSON_MAX);
	struct json_tokener *tok;
	size_t len = 0;
	ssize_t n;

	if (!text)
		return fail(err, -ENOMEM, name, "%s", strerror(ENOMEM));
	while (len < JSON_MAX && (n = pread(fd, text + len, JSON_MAX - len, (off_t)len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(err, -errno, name, "%s", strerror(errno));
		len += (size_t)n;
	}
	if (len == JSON_MAX)
		return fail(err, -EFBIG, name, "larger than %d MiB: not an image's JSON", JSON_MAX >> 20);
	tok = jc.json_tokener_new();
	if (!tok)
		return fail(err, -ENOMEM, name, "%s", strerror(ENOMEM));
	*out = jc.json_tokener_parse_ex(tok, text, (int)len);
	if (!*out) {
		enum json_tokener_error e = jc.json_tokener_get_error(tok);

		jc.json_tokener_free(tok);
		return fail(err, -EBADMSG, name, "not valid JSON: %s",
			    e == json_tokener_continue ? "it ends too early" : jc.json_tokener_error_desc(e));
	}
	jc.json_tokener_free(tok);
	return 0;
}

/*
 * Open the blob at path beneath dirfd and check its content against hex
 * (its sha256), its size in *bytes.  Returns the fd, or -errno with err
 * naming the blob (what: "config", "layer", ...).
 */
static int open_checked(int dirfd, const char *path, const char *hex, const char *what, uint64_t *bytes,
			struct cr_error *err)
{
	_cleanup_close_ int fd = open_beneath(dirfd, path, err);
	char got[65];
	int r;

	if (fd < 0)
		return fd;
	r = sha256_file(fd, got, bytes);
	if (r < 0)
		return fail(err, r, path, "%s", strerror(-r));
	if (!streq(got, hex))
		return fail(err, -EBADMSG, path,
			    "the %s's content does not match its digest (sha256:%s): the image is damaged", what, got);
	return steal_fd(fd);
}

/*
 * The blob a descriptor (an object with digest and size) names, opened
 * after its content was checked against both.  Returns the fd or -errno.
 */
static int open_descriptor(int dirfd, json_object *desc, const char *what, struct cr_error *err)
{
	const char *digest = string_of(desc, "digest");
	json_object *size = member(desc, "size", json_type_int);
	char hex[65], path[96];
	_cleanup_close_ int fd = -EBADF;
	uint64_t bytes;

	if (!digest_hex(digest, hex))
		return fail(err, -EBADMSG, NULL, "the %s's digest '%.100s' is not a sha256 digest", what,
			    digest ? digest : "(none)");
	snprintf(path, sizeof(path), "blobs/sha256/%s", hex);
	fd = open_checked(dirfd, path, hex, what, &bytes, err);
	if (fd < 0)
		return fd;
	if (size && (uint64_t)jc.json_object_get_int64(size) != bytes)
		return fail(err, -EBADMSG, path, "the %s is %llu bytes, its descriptor says %lld", what,
			    (unsigned long long)bytes, (long long)jc.json_object_get_int64(size));
	return steal_fd(fd);
}

static int read_descriptor_json(int dirfd, json_object *desc, const char *what, json_object **out, struct cr_error *err)
{
	_cleanup_close_ int fd = open_descriptor(dirfd, desc, what, err);

	return fd < 0 ? fd : read_json(fd, what, out, err);
}

/* Whether the config's platform (os, architecture, variant) is want's; *image->platform says what it is. */
static int check_platform(json_object *config, const struct arch_info *want, struct oci_image *image,
			  struct cr_error *err)
{
	const char *os = string_of(config, "os"), *arch = string_of(config, "architecture");
	const char *variant = string_of(config, "variant");
	const struct arch_info *is;

	if (!os || !arch)
		return fail(err, -EBADMSG, NULL, "the image's config names no os and architecture");
	snprintf(image->platform, sizeof(image->platform), "%.20s/%.40s%s%.20s", os, arch,
		 variant && variant[0] ? "/" : "", variant ? variant : "");
	/* No variant: arm images often leave it out; /bin/sh and dpkg tell armhf from armel after. */
	if (streq(os, "linux") && streq(arch, want->oci_arch) &&
	    (!variant || !variant[0] || (want->oci_variant && streq(variant, want->oci_variant))))
		return 0;
	is = streq(os, "linux") ? arch_lookup_oci(arch, variant) : NULL;
	if (is)
		return fail(err, -ENOEXEC, NULL, "the image is for %s (%s), not %s (linux/%s%s%s): use --arch %s",
			    image->platform, is->name, want->name, want->oci_arch, want->oci_variant ? "/" : "",
			    want->oci_variant ? want->oci_variant : "", is->name);
	return fail(err, -ENOEXEC, NULL,
		    "the image is for %s, not %s (linux/%s%s%s), and of no architecture crossroot knows",
		    image->platform, want->name, want->oci_arch, want->oci_variant ? "/" : "",
		    want->oci_variant ? want->oci_variant : "");
}

/* Whether an index's descriptor says it is for want (or says no platform). */
static bool descriptor_for(json_object *desc, const struct arch_info *want)
{
	json_object *platform = member(desc, "platform", json_type_object);
	const char *arch, *variant;

	if (!platform)
		return true;
	arch = string_of(platform, "architecture");
	variant = string_of(platform, "variant");
	return arch && streq(arch, want->oci_arch) &&
	       (!variant || !variant[0] || (want->oci_variant && streq(variant, want->oci_variant)));
}

/* The manifest of an OCI index for want, followed through nested indexes (depth levels at most), into *out. */
static int pick_manifest(int dirfd, json_object *index, const struct arch_info *want, int depth, json_object **out,
			 struct cr_error *err)
{
	json_object *list = member(index, "manifests", json_type_array), *chosen = NULL;
	size_t n = list ? jc.json_object_array_length(list) : 0;
	const char *media;

	if (n == 0)
		return fail(err, -EBADMSG, "index.json", "the index lists no manifest");
	for (size_t i = 0; i < n && !chosen; i++)
		if (n == 1 || descriptor_for(jc.json_object_array_get_idx(list, i), want))
			chosen = jc.json_object_array_get_idx(list, i);
	if (!chosen)
		return fail(err, -ENOEXEC, "index.json", "none of the index's %zu manifests is for linux/%s%s%s (%s)",
			    n, want->oci_arch, want->oci_variant ? "/" : "", want->oci_variant ? want->oci_variant : "",
			    want->name);
	media = string_of(chosen, "mediaType");
	if (media && (streq(media, MEDIA_INDEX) || streq(media, MEDIA_DOCKER_LIST))) {
		_cleanup_json_ json_object *nested = NULL;
		int r;

		if (depth == 0)
			return fail(err, -EBADMSG, "index.json", "indexes nested too deep");
		r = read_descriptor_json(dirfd, chosen, "nested index", &nested, err);
		return r < 0 ? r : pick_manifest(dirfd, nested, want, depth - 1, out, err);
	}
	return read_descriptor_json(dirfd, chosen, "manifest", out, err);
}

static int open_oci_layout(int dirfd, const struct arch_info *want, struct oci_image *image, struct cr_error *err)
{
	_cleanup_json_ json_object *index = NULL, *manifest = NULL, *config = NULL;
	_cleanup_close_ int fd = open_beneath(dirfd, "index.json", err);
	json_object *layers;
	int r;

	if (fd < 0 || (r = read_json(fd, "index.json", &index, err)) < 0 ||
	    (r = pick_manifest(dirfd, index, want, 2, &manifest, err)) < 0)
		return fd < 0 ? fd : r;
	r = read_descriptor_json(dirfd, member(manifest, "config", json_type_object), "config", &config, err);
	if (r < 0 || (r = check_platform(config, want, image, err)) < 0)
		return r;
	layers = member(manifest, "layers", json_type_array);
	if (!layers)
		return fail(err, -EBADMSG, NULL, "the manifest lists no layers");
	if (jc.json_object_array_length(layers) > OCI_LAYERS_MAX)
		return fail(err, -E2BIG, NULL, "the image has %zu layers; crossroot imports up to %d",
			    jc.json_object_array_length(layers), OCI_LAYERS_MAX);
	for (size_t i = 0; i < jc.json_object_array_length(layers); i++) {
		r = open_descriptor(dirfd, jc.json_object_array_get_idx(layers, i), "layer", err);
		if (r < 0)
			return r;
		image->layers[image->n_layers++] = r;
	}
	return 0;
}

/* Whether a path named in a docker-archive's manifest.json stays inside it. */
static bool path_is_safe(const char *path)
{
	return path && path[0] && path[0] != '/' && !strstr(path, "..");
}

/*
 * The docker-archive's config: named by its digest ("HEX.json", or
 * "blobs/sha256/HEX" as newer docker writes), checked against it.
 */
static int open_docker_config(int dirfd, const char *path, struct cr_error *err)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char hex[65], digest[80];
	uint64_t bytes;

	snprintf(digest, sizeof(digest), "sha256:%.64s", base);
	if (!digest_hex(digest, hex) || (base[64] && !streq(base + 64, ".json")))
		return fail(err, -EBADMSG, path, "the config is not named by its sha256 digest: cannot verify it");
	return open_checked(dirfd, path, hex, "config", &bytes, err);
}

static int open_docker_archive(int dirfd, const struct arch_info *want, struct oci_image *image, struct cr_error *err)
{
	_cleanup_json_ json_object *list = NULL, *config = NULL;
	_cleanup_close_ int fd = open_beneath(dirfd, "manifest.json", err), cfd = -EBADF;
	json_object *entry, *layers, *diff_ids;
	const char *config_path;
	size_t n;
	int r;

	if (fd < 0 || (r = read_json(fd, "manifest.json", &list, err)) < 0)
		return fd < 0 ? fd : r;
	if (jc.json_object_get_type(list) != json_type_array || jc.json_object_array_length(list) != 1)
		return fail(err, -EBADMSG, "manifest.json", "it must list one image, not %zu",
			    jc.json_object_get_type(list) == json_type_array ? jc.json_object_array_length(list) : 0);
	entry = jc.json_object_array_get_idx(list, 0);
	config_path = string_of(entry, "Config");
	layers = member(entry, "Layers", json_type_array);
	if (!path_is_safe(config_path) || !layers)
		return fail(err, -EBADMSG, "manifest.json", "no Config or Layers, or a path outside the archive");
	cfd = open_docker_config(dirfd, config_path, err);
	if (cfd < 0 || (r = read_json(cfd, config_path, &config, err)) < 0)
		return cfd < 0 ? cfd : r;
	r = check_platform(config, want, image, err);
	if (r < 0)
		return r;
	diff_ids = member(member(config, "rootfs", json_type_object), "diff_ids", json_type_array);
	n = jc.json_object_array_length(layers);
	if (!diff_ids || jc.json_object_array_length(diff_ids) != n)
		return fail(err, -EBADMSG, config_path, "the config's rootfs.diff_ids do not match the %zu layers", n);
	if (n > OCI_LAYERS_MAX)
		return fail(err, -E2BIG, NULL, "the image has %zu layers; crossroot imports up to %d", n,
			    OCI_LAYERS_MAX);
	for (size_t i = 0; i < n; i++) {
		json_object *p = jc.json_object_array_get_idx(layers, i);
		const char *path = jc.json_object_get_type(p) == json_type_string ? jc.json_object_get_string(p) : NULL;
		const char *want_id = jc.json_object_get_string(jc.json_object_array_get_idx(diff_ids, i));
		char hex[65], got[65];

		if (!path_is_safe(path))
			return fail(err, -EBADMSG, "manifest.json", "layer %zu has no path inside the archive", i + 1);
		if (!digest_hex(want_id, hex))
			return fail(err, -EBADMSG, config_path, "diff_id %zu is not a sha256 digest", i + 1);
		r = open_beneath(dirfd, path, err);
		if (r < 0)
			return r;
		image->layers[image->n_layers++] = r;
		r = sha256_decompressed(r, got, err, path);
		if (r < 0)
			return r;
		if (!streq(got, hex))
			return fail(err, -EBADMSG, path,
				    "the layer's content does not match its diff_id %s (it is sha256:%s): the image is "
				    "damaged",
				    want_id, got);
	}
	return 0;
}

void oci_image_close(struct oci_image *image)
{
	for (size_t i = 0; i < image->n_layers; i++)
		closep(&image->layers[i]);
	image->n_layers = 0;
}

int oci_image_open(int dirfd, const struct arch_info *want, struct oci_image *image, struct cr_error *err)
{
	struct stat st;
	int r;

	memset(err, 0, sizeof(*err));
	memset(image, 0, sizeof(*image));
	r = load_libraries(err);
	if (r < 0)
		return r;
	/* Newer docker saves both: the OCI index is the one with digests throughout. */
	if (fstatat(dirfd, "index.json", &st, AT_SYMLINK_NOFOLLOW) == 0)
		r = open_oci_layout(dirfd, want, image, err);
	else if (fstatat(dirfd, "manifest.json", &st, AT_SYMLINK_NOFOLLOW) == 0)
		r = open_docker_archive(dirfd, want, image, err);
	else
		r = fail(err, -EBADMSG, NULL,
			 "neither index.json (an OCI image layout) nor manifest.json (a docker-archive): not an image");
	if (r < 0)
		oci_image_close(image);
	return r;
}

/* --- unpacking an archive ------------------------------------------------------------------- */

/* Make the directories above name (relative to dirfd; made by this unpack, so no symlinks among them). */
static int make_parents(int dirfd, const char *name)
{
	char path[PATH_MAX];

	if (format_buf(path, sizeof(path), "%s", name) < 0)
		return -ENAMETOOLONG;
	for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdirat(dirfd, path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	return 0;
}

static int unpack_file(struct archive *in, int dirfd, const char *name, struct cr_error *err)
{
	struct open_how how = { .flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				.mode = 0644,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
	_cleanup_close_ int fd = -EBADF;
	const void *buf;
	size_t size;
	la_int64_t offset;
	int r;

	r = make_parents(dirfd, name);
	if (r < 0)
		return fail(err, r, name, "%s", strerror(-r));
	fd = (int)syscall(__NR_openat2, dirfd, name, &how, sizeof(how));
	if (fd < 0 && errno == EEXIST) /* not -EEXIST: that would read as "the container exists" */
		return fail(err, -EBADMSG, name, "the archive holds it twice");
	if (fd < 0)
		return fail(err, -errno, name, "%s", strerror(errno));
	while ((r = la.archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
		if (pwrite(fd, buf, size, offset) != (ssize_t)size)
			return fail(err, errno ? -errno : -EIO, name, "%s", strerror(errno ? errno : EIO));
	if (r != ARCHIVE_EOF)
		return fail(err, -EBADMSG, name, "%s", la.archive_error_string(in));
	return 0;
}

int oci_archive_unpack(int fd, int dirfd, struct cr_error *err)
{
	__attribute__((cleanup(archive_freep))) struct archive *in = NULL;
	struct archive_entry *entry;
	size_t members = 0;
	int r;

	memset(err, 0, sizeof(*err));
	r = load_libraries(err);
	if (r < 0)
		return r;
	in = la.archive_read_new();
	if (!in)
		return fail(err, -ENOMEM, NULL, "%s", strerror(ENOMEM));
	la.archive_read_support_filter_all(in);
	la.archive_read_support_format_tar(in);
	la.archive_read_support_format_gnutar(in);
	if (la.archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK)
		return fail(err, -EBADMSG, NULL, "%s", la.archive_error_string(in));
	while ((r = la.archive_read_next_header(in, &entry)) != ARCHIVE_EOF) {
		const char *name = la.archive_entry_pathname(entry);
		mode_t mode;

		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return fail(err, -EBADMSG, NULL, "not an image archive: %s", la.archive_error_string(in));
		if (!name || name[0] == '/' || streq(name, "..") || !strncmp(name, "../", 3) || strstr(name, "/../") ||
		    (strlen(name) >= 3 && streq(name + strlen(name) - 3, "/..")))
			return fail(err, -EPERM, name, "absolute or '..' member name: refused");
		while (!strncmp(name, "./", 2))
			name += 2;
		members++;
		mode = la.archive_entry_mode(entry);
		if (!name[0] || streq(name, ".") || S_ISDIR(mode)) {
			r = name[0] && !streq(name, ".") ? make_parents(dirfd, name) : 0;
			if (r == 0 && name[0] && !streq(name, ".") && name[strlen(name) - 1] != '/' &&
			    mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
				r = -errno;
			if (r < 0)
				return fail(err, r, name, "%s", strerror(-r));
		} else if (S_ISREG(mode) && !la.archive_entry_hardlink(entry)) {
			r = unpack_file(in, dirfd, name, err);
			if (r < 0)
				return r;
		}
		/* Anything else (symlinks, links) is no part of an image an importer reads. */
	}
	return members ? 0 : fail(err, -EBADMSG, NULL, "an empty archive: not an image");
}

/* --- writing -------------------------------------------------------------------------------- */

/* Where the image's files go: a directory, or a tar archive. */
struct sink {
	int dir;
	struct archive *tar;
	time_t now;
};

static int sink_error(struct sink *s, const char *path, struct cr_error *err)
{
	int sys = la.archive_errno(s->tar);

	return write_fail(err, sys > 0 ? -sys : -EIO, path, "%s",
			  sys > 0			    ? strerror(sys)
			  : la.archive_error_string(s->tar) ? la.archive_error_string(s->tar)
							    : "");
}

static int sink_header(struct sink *s, const char *path, mode_t type, uint64_t size, struct cr_error *err)
{
	struct archive_entry *e = la.archive_entry_new();
	int r = 0;

	if (!e)
		return write_fail(err, -ENOMEM, path, "%s", strerror(ENOMEM));
	la.archive_entry_set_pathname(e, path);
	la.archive_entry_set_filetype(e, type);
	la.archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	la.archive_entry_set_size(e, (la_int64_t)size);
	la.archive_entry_set_mtime(e, s->now, 0);
	if (la.archive_write_header(s->tar, e) < ARCHIVE_WARN)
		r = sink_error(s, path, err);
	la.archive_entry_free(e);
	return r;
}

static int sink_dir(struct sink *s, const char *path, struct cr_error *err)
{
	if (s->tar)
		return sink_header(s, path, AE_IFDIR, 0, err);
	if (mkdirat(s->dir, path, 0755) < 0 && errno != EEXIST)
		return write_fail(err, -errno, path, "%s", strerror(errno));
	return 0;
}

static int sink_text(struct sink *s, const char *path, const char *text, struct cr_error *err)
{
	size_t len = strlen(text);
	_cleanup_close_ int fd = -EBADF;

	if (s->tar) {
		int r = sink_header(s, path, AE_IFREG, len, err);

		if (r == 0 && la.archive_write_data(s->tar, text, len) != (la_ssize_t)len)
			r = sink_error(s, path, err);
		return r;
	}
	fd = openat(s->dir, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		return write_fail(err, errno ? -errno : -EIO, path, "%s", strerror(errno ? errno : EIO));
	return 0;
}

/* The layer's bytes from the file at fd into the archive. */
static int sink_copy(struct sink *s, const char *path, int fd, uint64_t size, struct cr_error *err)
{
	char buf[65536];
	uint64_t off = 0;
	int r = sink_header(s, path, AE_IFREG, size, err);

	while (r == 0 && off < size) {
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)off);

		if (n <= 0)
			return write_fail(err, n < 0 ? -errno : -EIO, path, "reading the layer: %s",
					  n < 0 ? strerror(errno) : "it shrank");
		if (la.archive_write_data(s->tar, buf, (size_t)n) != n)
			return sink_error(s, path, err);
		off += (uint64_t)n;
	}
	return r;
}

/* A blob (text) into blobs/sha256/, its digest and size into desc. */
static int sink_blob(struct sink *s, const char *text, const char *media, json_object *desc, struct cr_error *err)
{
	struct sha256_ctx ctx;
	char hex[65], path[96], digest[80];

	nl.nettle_sha256_init(&ctx);
	nl.nettle_sha256_update(&ctx, strlen(text), (const uint8_t *)text);
	hex_of(&ctx, hex);
	snprintf(path, sizeof(path), "blobs/sha256/%s", hex);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	jc.json_object_object_add(desc, "mediaType", jc.json_object_new_string(media));
	jc.json_object_object_add(desc, "digest", jc.json_object_new_string(digest));
	jc.json_object_object_add(desc, "size", jc.json_object_new_int64((int64_t)strlen(text)));
	return sink_text(s, path, text, err);
}

static json_object *string_array(const char *s)
{
	json_object *a = jc.json_object_new_array();

	jc.json_object_array_add(a, jc.json_object_new_string(s));
	return a;
}

static json_object *platform_object(const struct arch_info *arch)
{
	json_object *p = jc.json_object_new_object();

	jc.json_object_object_add(p, "architecture", jc.json_object_new_string(arch->oci_arch));
	jc.json_object_object_add(p, "os", jc.json_object_new_string("linux"));
	if (arch->oci_variant)
		jc.json_object_object_add(p, "variant", jc.json_object_new_string(arch->oci_variant));
	return p;
}

/* The image config (image-spec config.md) of the one layer whose diff_id is given. */
static json_object *config_object(const struct oci_export *export, const char *diff_id, time_t now)
{
	json_object *config = platform_object(export->arch), *run = jc.json_object_new_object();
	json_object *rootfs = jc.json_object_new_object(), *history = jc.json_object_new_object();
	json_object *histories = jc.json_object_new_array();
	char created[32];

	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	jc.json_object_object_add(config, "created", jc.json_object_new_string(created));
	jc.json_object_object_add(run, "Env",
				  string_array("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	jc.json_object_object_add(run, "Cmd", string_array("/bin/sh"));
	jc.json_object_object_add(config, "config", run);
	jc.json_object_object_add(rootfs, "type", jc.json_object_new_string("layers"));
	jc.json_object_object_add(rootfs, "diff_ids", string_array(diff_id));
	jc.json_object_object_add(config, "rootfs", rootfs);
	jc.json_object_object_add(history, "created", jc.json_object_new_string(created));
	jc.json_object_object_add(history, "created_by", jc.json_object_new_string(export->created_by));
	jc.json_object_array_add(histories, history);
	jc.json_object_object_add(config, "history", histories);
	return config;
}

static const char *json_text(json_object *o)
{
	return jc.json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* Every file of the image into s; the layer's digest, diff_id and size are known. */
static int write_image(struct sink *s, int layer, const char *layer_name, const char *hex, const char *diff_id,
		       uint64_t size, const struct oci_export *export, struct cr_error *err)
{
	_cleanup_json_ json_object *config = config_object(export, diff_id, s->now);
	_cleanup_json_ json_object *manifest = jc.json_object_new_object();
	_cleanup_json_ json_object *index = jc.json_object_new_object();
	json_object *config_desc = jc.json_object_new_object(), *layer_desc = jc.json_object_new_object();
	json_object *layers = jc.json_object_new_array(), *manifests = jc.json_object_new_array();
	json_object *manifest_desc = jc.json_object_new_object(), *annotations = jc.json_object_new_object();
	char path[96], digest[80];
	int r;

	jc.json_object_object_add(manifest, "schemaVersion", jc.json_object_new_int64(2));
	jc.json_object_object_add(manifest, "mediaType", jc.json_object_new_string(MEDIA_MANIFEST));
	jc.json_object_object_add(manifest, "config", config_desc);
	jc.json_object_object_add(manifest, "layers", layers);
	jc.json_object_array_add(layers, layer_desc);
	jc.json_object_object_add(index, "schemaVersion", jc.json_object_new_int64(2));
	jc.json_object_object_add(index, "mediaType", jc.json_object_new_string(MEDIA_INDEX));
	jc.json_object_object_add(index, "manifests", manifests);
	jc.json_object_array_add(manifests, manifest_desc);
	snprintf(digest, sizeof(digest), "sha256:%s", hex);
	jc.json_object_object_add(layer_desc, "mediaType", jc.json_object_new_string(MEDIA_LAYER_GZIP));
	jc.json_object_object_add(layer_desc, "digest", jc.json_object_new_string(digest));
	jc.json_object_object_add(layer_desc, "size", jc.json_object_new_int64((int64_t)size));

	snprintf(path, sizeof(path), "blobs/sha256/%s", hex);
	if ((r = sink_text(s, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", err)) < 0 ||
	    (r = sink_dir(s, "blobs", err)) < 0 || (r = sink_dir(s, "blobs/sha256", err)) < 0 ||
	    (r = sink_blob(s, json_text(config), MEDIA_CONFIG, config_desc, err)) < 0 ||
	    (r = sink_blob(s, json_text(manifest), MEDIA_MANIFEST, manifest_desc, err)) < 0)
		return r;
	if (s->tar)
		r = sink_copy(s, path, layer, size, err);
	else if (layer_name && renameat(s->dir, layer_name, s->dir, path) < 0)
		r = write_fail(err, -errno, path, "%s", strerror(errno));
	if (r < 0)
		return r;
	jc.json_object_object_add(manifest_desc, "platform", platform_object(export->arch));
	jc.json_object_object_add(annotations, "org.opencontainers.image.ref.name",
				  jc.json_object_new_string(export->ref_name));
	jc.json_object_object_add(manifest_desc, "annotations", annotations);
	/* index.json last: a directory without it is no image yet. */
	return sink_text(s, "index.json", json_text(index), err);
}

static void write_freep(struct archive **a)
{
	if (*a)
		la.archive_write_free(*a);
}

int oci_write(int layer, const char *layer_name, int out_dir, int out_fd, const struct oci_export *export,
	      struct cr_error *err)
{
	__attribute__((cleanup(write_freep))) struct archive *tar = NULL;
	struct sink s = { .dir = out_dir, .now = time(NULL) };
	char hex[65], diff[65], diff_id[80];
	uint64_t size;
	int r;

	memset(err, 0, sizeof(*err));
	r = load_libraries(err);
	if (r < 0)
		return r;
	r = sha256_file(layer, hex, &size);
	if (r < 0)
		return write_fail(err, r, NULL, "reading the layer: %s", strerror(-r));
	r = sha256_decompressed(layer, diff, err, "layer");
	if (r < 0)
		return r;
	snprintf(diff_id, sizeof(diff_id), "sha256:%s", diff);
	if (out_dir < 0) {
		tar = s.tar = la.archive_write_new();
		if (!tar)
			return write_fail(err, -ENOMEM, NULL, "%s", strerror(ENOMEM));
		la.archive_write_set_format_pax_restricted(tar);
		if (la.archive_write_open_fd(tar, out_fd) != ARCHIVE_OK)
			return sink_error(&s, NULL, err);
	}
	r = write_image(&s, layer, layer_name, hex, diff_id, size, export, err);
	if (r == 0 && tar && la.archive_write_close(tar) != ARCHIVE_OK)
		r = sink_error(&s, NULL, err);
	return r;
}
