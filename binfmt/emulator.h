/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Emulator discovery: finding the static QEMU user-mode binary that runs an
 * architecture's programs.  The emulator must be statically linked: the
 * kernel starts it inside the container, after pivot_root, where the host's
 * shared libraries and dynamic loader are not there to load it.
 */
#ifndef CROSSROOT_BINFMT_EMULATOR_H
#define CROSSROOT_BINFMT_EMULATOR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "arch.h"

/* Where Debian's qemu-user-static puts its binfmt wrappers (NAME-binfmt-P). */
#define EMULATOR_LIBEXEC_DIR "/usr/libexec/qemu-binfmt"

enum emulator_status {
	EMULATOR_FOUND,	     /* path is a static emulator */
	EMULATOR_NATIVE,     /* the host runs this arch itself; no emulator needed */
	EMULATOR_NOT_FOUND,  /* no candidate anywhere */
	EMULATOR_NOT_STATIC, /* only dynamically linked candidates (rejected holds one) */
};

struct emulator {
	const struct arch_info *arch;
	enum emulator_status status;
	char path[PATH_MAX];	    /* the static emulator found */
	char interpreter[PATH_MAX]; /* the interpreter string to register */
	bool preserve_argv0;	    /* the interpreter honours binfmt's P flag */
	char rejected[PATH_MAX];    /* a dynamically linked candidate passed over, or "" */
};

/*
 * Find the emulator for arch on a host whose `uname -m` is host_machine.
 * Candidates, in order: qemu-QEMUNAME-static then qemu-QEMUNAME in each
 * absolute directory of search_path (a PATH-style list; NULL for none;
 * relative entries are ignored), then in
 * /usr/bin, then EMULATOR_LIBEXEC_DIR/QEMUNAME-binfmt-P.  Candidates that are
 * not executable regular files are ignored; dynamically linked ones are
 * remembered in `rejected` and passed over.
 *
 * P flag: Debian's QEMU keeps argv[0] only when started under a name ending
 * in "-binfmt-P" (its binfmt wrappers), so preserve_argv0 is set, and the
 * interpreter is that wrapper, exactly when the wrapper resolves to the
 * emulator found.
 *
 * Fills *out (status says which case) and returns 0; -errno only for an
 * internal failure (an over-long path gives -ENAMETOOLONG).
 */
int emulator_find(const struct arch_info *arch, const char *host_machine, const char *search_path,
		  struct emulator *out);

/*
 * Whether the ELF file open at fd, a program for this host, is statically
 * linked: it has no PT_INTERP program header (static-pie counts as static).
 * Returns 1 for static, 0 for dynamic, -ENOEXEC when fd is not an ELF file
 * of this host's byte order and machine (e_machine of /proc/self/exe), or
 * -errno.
 */
int elf_is_static(int fd);

/*
 * What discovery found, in words, for a status other than
 * EMULATOR_FOUND/EMULATOR_NATIVE, into buf: "/usr/bin/qemu-aarch64 is
 * dynamically linked", or where emulator_find() looked ("no
 * qemu-aarch64-static or qemu-aarch64 in PATH or /usr/bin, and no
 * /usr/libexec/qemu-binfmt/aarch64-binfmt-P").  Returns 0, -EINVAL for
 * another status, or -ENAMETOOLONG (buf then holds a truncated text).
 */
int emulator_describe(const struct emulator *emulator, char *buf, size_t size);

/*
 * A one-line hint for a status other than EMULATOR_FOUND/EMULATOR_NATIVE:
 * which package to install.  Static storage; never NULL.
 */
const char *emulator_hint(const struct emulator *emulator);

#endif
