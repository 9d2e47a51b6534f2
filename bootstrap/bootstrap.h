/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The first stage of a native Debian bootstrap (doc/design.md section 3.7):
 * InRelease verified with gpgv, the Packages index checked against it, the
 * package set chosen, the .debs downloaded in parallel into the per-user
 * cache with their SHA-256 checked, and their data extracted into a rootfs.
 * The second stage (dpkg inside the container, under emulation) is the
 * runtime's: runtime/second-stage.c, called by runtime/store.c.
 */
#ifndef CROSSROOT_BOOTSTRAP_BOOTSTRAP_H
#define CROSSROOT_BOOTSTRAP_BOOTSTRAP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "../binfmt/arch.h"
#include "archive.h"
#include "packages.h"
#include "tarball.h"

/*
 * The second stage's dpkg: the host's, running natively with only the
 * maintainer scripts under emulation, or the rootfs's own, all emulated
 * (slower; needs no dpkg on the host).  AUTO: the host's when it has one.
 */
enum bootstrap_dpkg { BOOTSTRAP_DPKG_AUTO, BOOTSTRAP_DPKG_HOST, BOOTSTRAP_DPKG_EMULATED };

struct bootstrap_options {
	const struct arch_info *arch;
	const char *suite;	       /* "bookworm" */
	const char *variant;	       /* "minbase" or "buildd" */
	const char *const *include;    /* NULL-terminated extra packages, or NULL */
	const char *const *components; /* NULL-terminated archive components, main among them; NULL: main */
	const char *mirror;	       /* NULL: the host's (archive_host_mirror()) */
	const char *security_mirror;   /* for the rootfs's apt sources; NULL: none */
	const char *keyring;	       /* NULL: DEBIAN_KEYRING */
	const char *cache_dir;	       /* ${XDG_CACHE_HOME:-~/.cache}/crossroot */
	bool offline;		       /* use only what the cache holds */
	bool no_check_valid_until;     /* accept a release past its Valid-Until (apt's Check-Valid-Until no) */
	enum bootstrap_dpkg dpkg;      /* which dpkg installs the packages (second stage) */
};

enum bootstrap_stage { STAGE_INDEX, STAGE_DOWNLOAD, STAGE_EXTRACT, STAGE_INSTALL, STAGE_CONFIGURE };

struct bootstrap_progress {
	enum bootstrap_stage stage;
	size_t done, total;	     /* packages */
	uint64_t bytes, total_bytes; /* downloaded */
};

typedef void (*bootstrap_progress_fn)(void *data, const struct bootstrap_progress *progress);

struct bootstrap_plan {
	char mirror[PATH_MAX];
	struct deb_index index;
	struct deb_package **packages; /* selected, essential ones first */
	size_t n_packages, n_essential;
	char **deb_paths;	  /* cache path of each package's .deb */
	char index_dir[PATH_MAX]; /* the suite's InRelease, Release.verified and Packages-ARCH.xz for the arch */
	char **index_files;	  /* the cache path of each Packages index read (component, source) */
	size_t n_index_files;
	char **index_mirrors; /* the mirror of each of index_files */
	size_t n_index_mirrors;
	char **release_files; /* the cache path of each source's InRelease and Release.verified */
	size_t n_release_files;
	uint64_t bytes;
};

/*
 * Everything up to a complete, verified download: mirror, InRelease and its
 * signature and dates, the Packages index of each component and its hash,
 * of the suite and of its -updates and -security pockets where they exist
 * (a pocket the mirror lacks, or that --offline never fetched, is left
 * out), the selection (deb_select()), the .debs, each from the mirror of
 * the index that listed it.
 * Returns 0, or -errno with err saying what and how to fix it: -EINVAL an
 * unknown variant, -ENOENT an unknown suite or package or arch not in the
 * suite, -EHOSTUNREACH an unreachable mirror, -EBADMSG a bad signature or
 * hash, -ENODATA offline without a cached file.
 */
int bootstrap_prepare(const struct bootstrap_options *opts, struct bootstrap_plan *plan, bootstrap_progress_fn progress,
		      void *data, struct cr_error *err);

/*
 * Extract the data of the first n packages of plan into the working
 * directory (the new rootfs), owners and setuid bits as deb_extract_data()
 * says.  Returns 0 or -errno with err naming the package.
 */
int bootstrap_extract(const struct bootstrap_plan *plan, size_t n, const struct tarball_owners *owners,
		      bootstrap_progress_fn progress, void *data, struct cr_error *err);

void bootstrap_plan_free(struct bootstrap_plan *plan);

/* What a create writes into the new rootfs for apt. */
struct bootstrap_apt {
	char sources[4096];	     /* the text of etc/apt/sources.list.d/debian.sources */
	char keyring_copy[PATH_MAX]; /* where in the rootfs the verifying keyring is copied, or "" */
	const char *keyring;	     /* the verifying keyring on the host */
};

/*
 * The apt sources of plan's rootfs (archive_sources_deb822()): the mirror
 * of the bootstrap and opts's security mirror, opts's components, and
 * Signed-By the keyring that verified the bootstrap: the rootfs's own
 * DEBIAN_KEYRING when that keyring is DEBIAN_KEYRING and the package set
 * has debian-archive-keyring, else a copy of it in etc/apt/keyrings/
 * (out->keyring_copy says where).  Returns 0 or -ENAMETOOLONG.
 */
int bootstrap_apt_sources(const struct bootstrap_options *opts, const struct bootstrap_plan *plan,
			  struct bootstrap_apt *out);

/* The cache directory: ${XDG_CACHE_HOME:-$HOME/.cache}/crossroot. Returns 0 or -errno. */
int bootstrap_cache_dir(char *buf, size_t size);

#endif
