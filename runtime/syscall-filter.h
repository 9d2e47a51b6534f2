/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The default seccomp filter of every process in a container.
 *
 * It blocks what escapes the namespace model: TIOCSTI and TIOCLINUX, which
 * push input into a terminal that may be the host's; the kernel keyring,
 * which is not namespaced; loading kernels or modules; and
 * open_by_handle_at, which opens files outside the rootfs by handle.  The
 * filter covers the host's system calls, which is what QEMU user-mode turns
 * a foreign program's calls into, for every ABI of the host (x86_64, i386
 * and x32 on an x86_64 host).
 *
 * In single mode, chown-family calls that name an id other than 0 succeed
 * without effect: no other id exists there, and dpkg must still be able to
 * unpack files owned by _apt or man.
 */
#ifndef CROSSROOT_SYSCALL_FILTER_H
#define CROSSROOT_SYSCALL_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>

/*
 * Load the filter into the calling thread (inherited across fork and
 * execve).  Needs CAP_SYS_ADMIN in the current user namespace or
 * no_new_privs (seccomp(2)); crossroot loads it as root of the container's
 * namespace so that setuid programs (sudo) still work.  Returns 0 or -errno.
 */
int seccomp_apply(bool single_mode);

/*
 * The filter as classic BPF, for single mode and for mapped mode: generated
 * at build time by runtime/syscall-filter-gen.c with libseccomp from the
 * rules in syscall-filter-rules.c (compiling them took about 0.7 ms of
 * every run); tests/unit/test-syscall-filter.c checks that the tables are
 * what libseccomp compiles from those rules now.
 */
extern const struct sock_filter syscall_filter_default[], syscall_filter_single[];
extern const unsigned short syscall_filter_default_len, syscall_filter_single_len;

#endif
