/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "syscall-filter-rules.h"

#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "../base/util.h"

static void release(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

/* Add a rule for a call that may not exist on every ABI in the filter (chown32 is i386-only). */
static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;
	return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

/*
 * chown to an unmapped uid or gid: succeed, change nothing (single mode).
 * Only id 0 exists there and every file is already 0:0, so any call naming
 * another id, or -1 for "unchanged", can be a no-op as a whole.
 * (libseccomp takes one comparison per argument in a rule.)
 */
static int chown_rules(scmp_filter_ctx ctx)
{
	static const struct {
		const char *name;
		unsigned uid_arg;
	} calls[] = {
		{ "chown", 1 },	  { "lchown", 1 },   { "fchown", 1 },	{ "fchownat", 2 },
		{ "chown32", 1 }, { "lchown32", 1 }, { "fchown32", 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
		for (unsigned arg = calls[i].uid_arg; arg <= calls[i].uid_arg + 1; arg++) {
			struct scmp_arg_cmp not_root = SCMP_CMP(arg, SCMP_CMP_NE, 0);
			int r = rule(ctx, SCMP_ACT_ERRNO(0), calls[i].name, 1, &not_root);

			if (r < 0)
				return r;
		}
	return 0;
}

int syscall_filter_export(bool single_mode, int fd)
{
	static const char *const blocked[] = {
		"add_key",     "request_key",  "keyctl",	"kexec_load",	     "kexec_file_load",
		"init_module", "finit_module", "delete_module", "open_by_handle_at",
	};
	static const unsigned long ioctls[] = { TIOCSTI, TIOCLINUX };
	__attribute__((cleanup(release))) scmp_filter_ctx ctx = NULL;
	int r;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
#if defined(__x86_64__)
	/* i386 containers run natively; 32-bit calls must meet the same filter. */
	r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (r < 0 && r != -EEXIST)
		return r;
	r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (r < 0 && r != -EEXIST)
		return r;
#endif
	for (size_t i = 0; i < ARRAY_SIZE(blocked); i++) {
		r = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), blocked[i], 0, NULL);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ioctls); i++) {
		struct scmp_arg_cmp cmp = SCMP_CMP(1, SCMP_CMP_MASKED_EQ, 0xffffffff, ioctls[i]);

		r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &cmp);
		if (r < 0)
			return r;
	}
	if (single_mode) {
		r = chown_rules(ctx);
		if (r < 0)
			return r;
	}
	return seccomp_export_bpf(ctx, fd);
}
