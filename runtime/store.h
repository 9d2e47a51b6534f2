/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Making, measuring and removing containers on disk. */
#ifndef CROSSROOT_STORE_H
#define CROSSROOT_STORE_H

#include <stdint.h>

#include "../bootstrap/bootstrap.h"
#include "../bootstrap/oci.h"
#include "../bootstrap/rootfs-arch.h"
#include "../bootstrap/tarball.h"
#include "clone.h"
#include "container.h"

/*
 * The mode a new container of this user gets: mapped when root's setup
 * pinned a namespace for the user, single otherwise.
 */
enum container_mode store_default_mode(void);

/* What store_create_from_tar() changed, left out, or failed on. */
struct store_import {
	struct cr_error error;		  /* on failure: which member, and why */
	struct tarball_report report;	  /* setuid/setgid bits dropped, device nodes skipped */
	struct rootfs_arch found;	  /* what the rootfs says its architecture is */
	enum rootfs_arch_verdict verdict; /* whether that is c's */
};

/*
 * Create container c (name, arch, mode, suite filled by the caller) from the
 * rootfs tarball at tarball, under tarball_extract()'s rules (in mapped
 * mode the members' owners are kept; no file becomes setuid or setgid to
 * the user on the host; no device node is made).  Atomic: the rootfs is
 * built in a hidden directory (.NAME.tmp-PID) and renamed into place with
 * its config only when complete; on failure the hidden directory is
 * removed, and a crash leaves only a hidden directory that `list` never
 * shows.  The rootfs must be of c's arch: its /bin/sh an ELF program of
 * it, dpkg's architecture (when it has dpkg) it, and at least one of them
 * there (rootfs_arch_check()).  Returns 0 with result->report filled,
 * -EEXIST when NAME exists, -ENOEXEC when the rootfs is not of c's arch
 * (result->verdict says why, result->found what it is), or -errno with
 * result->error saying which member failed.
 */
int store_create_from_tar(struct container *c, const char *tarball, struct store_import *result);

/*
 * Create container c from the OCI image at source: a directory (an OCI
 * image layout), a file or "-" (stdin): an oci-archive or docker-archive,
 * unpacked into the hidden directory first (oci_archive_unpack()).  The
 * image is opened and verified (oci_image_open(): digests, and its
 * platform must be c's arch), then its layers are applied in order
 * (tarball_apply_layer(): whiteouts, and tarball_extract()'s rules), then
 * the rootfs's arch checked as for store_create_from_tar(), which this is
 * as atomic as.  Returns what store_create_from_tar() does; -ENOEXEC with
 * result->verdict ROOTFS_ARCH_MATCH and result->error filled when the
 * image's config names another platform.
 */
int store_create_from_oci(struct container *c, const char *source, struct store_import *result);

/*
 * Create container c by bootstrapping opts's suite: the first stage
 * (bootstrap_prepare(), then the data of every package extracted as root of
 * the user's namespace, and rootfs-skel/), then the second stage: dpkg
 * installs and configures every package inside the new rootfs under
 * emulation (runtime/second-stage.c), its output in create.log, kept in
 * the cache as create-NAME.log when it fails.  Atomic like
 * store_create_from_tar(); the download cache is kept either way, so the
 * next create reuses it.  Returns 0, -EEXIST, or -errno with err naming
 * the cause (for the second stage: second_stage_explain()).
 */
int store_create_bootstrap(struct container *c, const struct bootstrap_options *opts, bootstrap_progress_fn progress,
			   void *data, struct cr_error *err);

/*
 * Create container c (its name filled by the caller) as a copy of source:
 * the same arch, suite and mode, its config and cache-refs, and its rootfs
 * copied by clone_tree() as root of source's user namespace (owners,
 * modes, times, xattrs and hard links kept; extents shared where the
 * filesystem has reflinks).  Not copied: source's lock, state and
 * ephemeral layers.  source may be started or running commands (its files
 * are read as they are meanwhile); its lock is held shared for the copy,
 * so rm, start and stop of it are refused until the copy ends.  Atomic
 * like store_create_from_tar().  Returns 0 with *report filled, -EEXIST
 * when c's name exists, -EWOULDBLOCK when source is being started,
 * stopped or removed, or -errno with report->failed and report->step
 * saying where (report->failed empty: before the copy).
 */
int store_create_clone(struct container *c, const struct container *source, struct clone_report *report);

/*
 * Remove container c's directory, as root of its user namespace so that
 * files of subordinate ids go too.  Refuses with -EBUSY, touching nothing,
 * when anything is mounted below it (libmount on /proc/self/mountinfo);
 * never follows symlinks nor crosses mounts (rmtree_at()).  The directory
 * is first renamed to a hidden name, so a removal that fails midway leaves
 * nothing that looks usable; its path is then in left (left_size bytes).
 * The caller holds the lock and checked it is not running.
 * Returns 0 or -errno.
 */
int store_remove(const struct container *c, char *left, size_t left_size);

/*
 * Write c's rootfs as a tarball to file (compressed by its name: .gz, .xz,
 * .zst), owners as the container's own ids so it imports anywhere (into
 * mapped or single mode, or other tools).  Written as file.part, renamed
 * when complete, owned by the user; file "-" is stdout, a plain tar
 * (-EPIPE when its reader went away: the caller ignores SIGPIPE).
 * Returns 0 or -errno with *err.
 */
int store_export(const struct container *c, const char *file, struct cr_error *err);

/*
 * Write c's rootfs as an OCI image of one gzip layer (oci_write()), of
 * export's platform and name: target "-" is an oci-archive on stdout; a
 * name ending in .tar an oci-archive written as target.part and renamed;
 * anything else an image layout directory, made as target.part and
 * renamed (-EEXIST when target exists).  The layer is first written to an
 * unnamed file (O_TMPFILE) in c's directory, or inside target.part.
 * Returns 0 or -errno with *err.
 */
int store_export_oci(const struct container *c, const char *target, const struct oci_export *export,
		     struct cr_error *err);

/* Disk usage of c's rootfs in bytes (allocated blocks), into *bytes. Returns 0 or -errno. */
int store_size(const struct container *c, uint64_t *bytes);

#endif
