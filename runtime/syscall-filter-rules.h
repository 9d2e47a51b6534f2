/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rules of the container's seccomp filter (syscall-filter.h), in
 * libseccomp's terms.  Not part of crossroot's binary: the build's
 * generator (runtime/syscall-filter-gen.c) compiles them into the BPF table
 * that `crossroot run` loads, and tests/unit/test-syscall-filter.c checks
 * that the table is what libseccomp compiles from them now.
 */
#ifndef CROSSROOT_SYSCALL_FILTER_RULES_H
#define CROSSROOT_SYSCALL_FILTER_RULES_H

#include <stdbool.h>

/*
 * Export the filter for single mode or not as classic BPF to fd (the
 * program's struct sock_filter array, as seccomp(2) takes it), for the
 * host's ABIs: x86_64, i386 and x32 on an x86_64 build, the native one
 * elsewhere.  Returns 0 or -errno.
 */
int syscall_filter_export(bool single_mode, int fd);

#endif
