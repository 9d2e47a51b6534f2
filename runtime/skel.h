/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The files of rootfs-skel/, embedded at build time (build/rootfs-skel.c). */
#ifndef CROSSROOT_SKEL_H
#define CROSSROOT_SKEL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../base/error.h"

struct skel_file {
	const char *path; /* inside the rootfs, relative */
	mode_t mode;
	bool single_only; /* from rootfs-skel/single/ */
	const char *content;
};

extern const struct skel_file skel_files[];
extern const size_t skel_count;

/*
 * Write the skeleton files into the root at rootfd (single: include the
 * single-mode ones), each resolved inside the root and replacing what is
 * there.  Returns 0, or -errno with *err naming the file ("placing /etc/hosts: ...").
 */
int skel_install(int rootfd, bool single, struct cr_error *err);

#endif
