/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "syscall-filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

int seccomp_apply(bool single_mode)
{
	struct sock_fprog prog = {
		.len = single_mode ? syscall_filter_single_len : syscall_filter_default_len,
		/* The kernel copies the program and never writes to it. */
		.filter = (struct sock_filter *)(single_mode ? syscall_filter_single : syscall_filter_default),
	};

	/* Flags 0 and no no_new_privs, as libseccomp's seccomp_load() without SCMP_FLTATR_CTL_NNP. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
}
