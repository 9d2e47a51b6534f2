/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OCI images in and out: the image layout (image-spec image-layout.md) as a
 * directory or a tar archive (what `podman save --format oci-archive`
 * writes and `podman load` reads), and the docker-archive of
 * `docker save` / `podman save` (a manifest.json naming the config and the
 * layers).  JSON is read and written with json-c (jsonc.h), blobs are
 * verified against their sha256 digests before anything uses them.
 */
#ifndef CROSSROOT_BOOTSTRAP_OCI_H
#define CROSSROOT_BOOTSTRAP_OCI_H

#include <stdint.h>

#include "../binfmt/arch.h"
#include "tarball.h"

#define OCI_LAYERS_MAX 128

/* An image ready to apply: its layers, bottom first, verified and open. */
struct oci_image {
	char platform[96]; /* "linux/arm64/v8", as the config says */
	size_t n_layers;
	int layers[OCI_LAYERS_MAX]; /* regular files, each its blob's digest checked */
};

/* Close the layers of *image (any may be -EBADF). */
void oci_image_close(struct oci_image *image);

/*
 * Unpack an image archive (an oci-archive or a docker-archive: a tar,
 * compressed or not, read from fd: a file or a pipe) into the empty
 * directory dirfd.  Only directories and regular files are written, each
 * opened beneath dirfd without following symlinks (openat2(2)
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS); members named absolutely or with
 * ".." are refused (-EPERM).  Returns 0 or -errno with *err.
 */
int oci_archive_unpack(int fd, int dirfd, struct cr_error *err);

/*
 * Open the image in dirfd: an OCI image layout (index.json; a nested index
 * is followed; with several manifests, the one whose platform is want's) or
 * a docker-archive (manifest.json with one image).  Every blob read is
 * checked against its digest (sha256 only): the manifest and config
 * against their descriptors, each layer against the manifest's (OCI) or,
 * decompressed, against the config's rootfs.diff_ids (docker-archive);
 * -EBADMSG on a mismatch, naming the blob.  The config's platform must be
 * want's (os linux, architecture and variant as arch_lookup_oci()):
 * -ENOEXEC, naming both.  Returns 0 with *image filled, or -errno with *err.
 */
int oci_image_open(int dirfd, const struct arch_info *want, struct oci_image *image, struct cr_error *err);

/* What export wrote into an image. */
struct oci_export {
	const struct arch_info *arch;
	const char *ref_name; /* the org.opencontainers.image.ref.name annotation: "localhost/NAME:latest" */
	const char *created_by;
};

/*
 * Write an OCI image of one layer: the gzip-compressed tar in the regular
 * file layer (read from offset 0), its config (the platform of
 * export->arch, Cmd /bin/sh), manifest and index.  As a directory when
 * out_dir >= 0 (an empty directory fd: oci-layout, index.json,
 * blobs/sha256/...; layer_name, when not NULL, is the layer's name in
 * out_dir, renamed to its digest), else as a tar archive (the same files:
 * an oci-archive) written to out_fd.  Returns 0 or -errno with *err (-EPIPE
 * when out_fd's reader went away).
 */
int oci_write(int layer, const char *layer_name, int out_dir, int out_fd, const struct oci_export *export,
	      struct cr_error *err);

#endif
