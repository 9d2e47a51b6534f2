/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bootstrap's second stage: dpkg installs and configures the packages
 * in the new rootfs, their maintainer scripts under emulation, as root of
 * the user's namespace.
 */
#ifndef CROSSROOT_SECOND_STAGE_H
#define CROSSROOT_SECOND_STAGE_H

#include "../bootstrap/bootstrap.h"
#include "container.h"
#include "runtime.h"

/* How the second stage ended. */
struct second_stage_end {
	struct run_result run; /* the shell's outcome: RUN_EXITED with the script's status, or why it never ran */
	char tail[4][256];     /* the last lines of its output, a ring: the oldest at n_lines % 4 */
	size_t n_lines;
};

/*
 * Whether the host has dpkg, dpkg-deb and chroot (executable files in
 * INSIDE_PATH's directories), which second_stage_run() with host_dpkg runs.
 */
bool second_stage_host_dpkg_found(void);

/*
 * Run the second stage in the new rootfs of tmpc (a stopped container of
 * the temporary directory), the .debs of plan in the directory debs, its
 * output to the file log_path; "Unpacking" and "Setting up" lines count as
 * progress (STAGE_INSTALL, STAGE_CONFIGURE).  host_dpkg: the host's dpkg
 * (--root, run with exec_request.host_tree) unpacks the packages and writes
 * the database natively, chroot(2)ing into the rootfs only for preinst
 * scripts, which run under emulation; the rootfs's own dpkg then
 * configures them (postinst scripts, triggers) under emulation.  Else the
 * rootfs's own dpkg does everything under emulation, the .debs bound
 * read-only inside.
 * Both leave the same rootfs (tests/e2e/32-suites.t compares them).
 * Returns 0, or -errno with *end saying how it ended: -EIO when the script
 * (dpkg) failed, the exec error of /bin/sh when the shell could not start
 * (-ENOEXEC: the kernel could not execute it; -ENOENT: missing, or its ELF
 * interpreter is), or crossroot's own error.
 */
int second_stage_run(const struct container *tmpc, const struct bootstrap_plan *plan, const char *debs, bool host_dpkg,
		     const char *log_path, bootstrap_progress_fn progress, void *data, struct second_stage_end *end);

/*
 * Say in err why the second stage of tmpc ended as *end (second_stage_run()
 * failed), naming the real cause: the kernel that cannot execute the
 * rootfs's programs (what to check, and whether /bin/sh is of another
 * arch: tmpc's rootfs is read for that), a missing shell, or dpkg's failure
 * with the end of its output.  log is where the log is kept.
 */
void second_stage_explain(const struct container *tmpc, const struct second_stage_end *end, const char *log,
			  struct cr_error *err);

#endif
