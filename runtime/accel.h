/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Accelerated toolchain: Debian's amd64-hosted cross compiler and binutils
 * for a container's arch, installed inside it so that gcc, cc, g++, cpp, as
 * and ld run natively while every header and library they use is the
 * container's own, and the amd64 builds of the container's versions of
 * the arch-independent tools a build runs most (dash, coreutils, sed, ...)
 * in place of the emulated ones, and perl-base's amd64 perl for the perl
 * programs of autoconf, automake and dpkg-dev (runtime/accel.sh says how; design.md
 * "Accelerated toolchain").
 */
#ifndef CROSSROOT_ACCEL_H
#define CROSSROOT_ACCEL_H

#include <stddef.h>

#include "../base/error.h"
#include "container.h"
#include "runtime.h"

/* The exit status of accel.sh when it refuses (the reason on its stderr). */
#define ACCEL_REFUSED 3

enum accel_action {
	ACCEL_ENABLE,
	ACCEL_DISABLE,
};

/*
 * Whether accel can work for c on this host: the host is x86_64 (Debian's
 * cross toolchains are amd64-hosted) and c's arch is not run natively.
 * Returns 0, or -EOPNOTSUPP with err saying why.
 */
int accel_supported(const struct container *c, struct cr_error *err);

/*
 * Run accel.sh's action as root in c (started: joined, as `crossroot run`
 * does; stopped: for the script's time), with apt's and dpkg's output on
 * our stderr.  Returns what container_exec() returns, res saying how the
 * script ended: RUN_EXITED with status 0 (done), ACCEL_REFUSED (it said why
 * on stderr) or another (apt or dpkg failed, their output above).
 */
int accel_run(const struct container *c, enum accel_action action, struct run_result *res);

/* One native package whose programs accel diverted. */
struct accel_package {
	char name[128];
	/*
	 * "accel"; "native": the versions differ; "held": they match, but
	 * another package's differ (the cross programs run only all together;
	 * a perl program's package: perl-base's, whose native perl runs them);
	 * "absent": not installed; "missing" (a tool's package only): the
	 * archive had no amd64 build of its version, it stays emulated.
	 */
	char mode[16];
	char native[128]; /* the installed native version, "-" when absent */
	/*
	 * The native version the cross one was built from; of a tool, its
	 * amd64 build's version ("missing": the amd64 versions the archive
	 * has, comma-separated, "-" for none).
	 */
	char built[128];
	/*
	 * A tool's programs, comma-separated; "" for the compilers and
	 * binutils; "perl" for perl-base, whose amd64 perl runs the programs
	 * of the perl programs' packages.
	 */
	char programs[2048];
	bool tool; /* one of the tools' packages, not the compilers' or binutils' */
};

#define ACCEL_PACKAGES_MAX 32

/*
 * Read c's accel state (var/lib/crossroot-accel/state inside the rootfs,
 * written by the switch that runs at install and after every upgrade of
 * the native compilers, binutils or tools; opened with openat2 RESOLVE_IN_ROOT, as
 * the caller).  Fills pkgs[0..*n).  Returns 0, -ENOENT when accel is not
 * enabled, -EBADMSG for a line it cannot read, or -errno.
 */
int accel_state_read(const struct container *c, struct accel_package *pkgs, size_t max, size_t *n);

#endif
