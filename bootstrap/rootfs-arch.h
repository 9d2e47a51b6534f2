/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What architecture a rootfs is of, from its own files: the ELF header of
 * its /bin/sh and dpkg's architecture.  Every path is resolved inside the
 * rootfs (openat2 RESOLVE_IN_ROOT): an absolute symlink such as
 * /bin/sh -> /bin/dash leads to the rootfs's dash, never to the host's.
 */
#ifndef CROSSROOT_BOOTSTRAP_ROOTFS_ARCH_H
#define CROSSROOT_BOOTSTRAP_ROOTFS_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "../binfmt/arch.h"

struct rootfs_arch {
	uint8_t elf_header[64];		  /* the start of /bin/sh, when it is an ELF file */
	size_t elf_len;			  /* bytes of it read; 0: no /bin/sh, or not an ELF file */
	unsigned elf_machine;		  /* its e_machine */
	const struct arch_info *elf_arch; /* arch_lookup_elf() of it: NULL for a machine of no entry */
	char dpkg_arch[32];		  /* dpkg's native architecture, or "" */
	char dpkg_source[32];		  /* the file that said so: "/var/lib/dpkg/status", ... */
};

enum rootfs_arch_verdict {
	ROOTFS_ARCH_MATCH,	   /* everything found agrees with the arch asked */
	ROOTFS_ARCH_ELF_MISMATCH,  /* /bin/sh is a program of another machine */
	ROOTFS_ARCH_DPKG_MISMATCH, /* dpkg's architecture is another */
	ROOTFS_ARCH_UNKNOWN,	   /* neither /bin/sh (an ELF file) nor dpkg's architecture was found */
};

/*
 * Read what the rootfs at rootfd (a directory fd) says of its architecture
 * into *out: /bin/sh's ELF header, and dpkg's native architecture from the
 * Architecture of the dpkg package in /var/lib/dpkg/status, else from
 * /var/lib/dpkg/arch-native, else from the first line of
 * /var/lib/dpkg/arch.  A file that is missing, not a regular file, or
 * reached only through a symlink loop or across a mount counts as absent.
 * Returns 0, or -errno when a file that exists cannot be read.
 */
int rootfs_arch_probe(int rootfd, struct rootfs_arch *out);

/* Whether what the rootfs says (rootfs_arch_probe()) agrees with want. */
enum rootfs_arch_verdict rootfs_arch_check(const struct rootfs_arch *found, const struct arch_info *want);

/*
 * The architectures dpkg in the rootfs at rootfd knows (its native one and
 * those added with `dpkg --add-architecture`: the words of
 * /var/lib/dpkg/arch), as arch_bit()s of arch_table into *arches; names
 * crossroot does not know are left out.  A missing file gives 0.  Returns 0
 * or -errno.
 */
int rootfs_dpkg_arches(int rootfd, uint32_t *arches);

#endif
