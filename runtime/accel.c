/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "accel.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../base/syscalls.h"
#include "../base/util.h"
#include "../binfmt/arch.h"

/* runtime/accel.sh, made a string by the Makefile. */
extern const char accel_script[];

int accel_supported(const struct container *c, struct cr_error *err)
{
	struct utsname u;

	if (uname(&u) < 0)
		return cr_fail_errno(err, -errno, "uname");
	if (!streq(u.machine, "x86_64"))
		return cr_fail(err, -EOPNOTSUPP,
			       "accel runs Debian's amd64-hosted cross compilers, and this host is %s, not x86_64",
			       u.machine);
	if (arch_is_native(c->arch, u.machine))
		return cr_fail(err, -EOPNOTSUPP, "'%s' is %s: its compilers run natively already", c->name,
			       c->arch->name);
	return 0;
}

int accel_run(const struct container *c, enum accel_action action, struct run_result *res)
{
	const char *argv[] = { "/bin/sh",
			       "-c",
			       accel_script,
			       "accel",
			       action == ACCEL_ENABLE ? "enable" : "disable",
			       c->arch->name,
			       c->arch->multiarch,
			       NULL };
	/* The caller's proxies pass (env_inherited()): apt downloads. */
	struct exec_request req = {
		.argv = (char *const *)argv,
		.inherit_env = true,
		.root = true,
		.cwd = "/",
	};

	return container_exec(c, &req, res);
}

/* One state line, "PACKAGE MODE NATIVE BUILT". */
static int parse_line(char *line, struct accel_package *p)
{
	char *fields[4], *save = NULL;
	size_t n = 0;

	for (char *t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		if (n == ARRAY_SIZE(fields))
			return -EBADMSG;
		fields[n++] = t;
	}
	if (n != ARRAY_SIZE(fields) ||
	    (!streq(fields[1], "accel") && !streq(fields[1], "native") && !streq(fields[1], "absent")))
		return -EBADMSG;
	if (format_buf(p->name, sizeof(p->name), "%s", fields[0]) < 0 ||
	    format_buf(p->mode, sizeof(p->mode), "%s", fields[1]) < 0 ||
	    format_buf(p->native, sizeof(p->native), "%s", fields[2]) < 0 ||
	    format_buf(p->built, sizeof(p->built), "%s", fields[3]) < 0)
		return -EBADMSG;
	return 0;
}

int accel_state_read(const struct container *c, struct accel_package *pkgs, size_t max, size_t *n)
{
	_cleanup_close_ int root = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_fclose_ FILE *f = NULL;
	char line[1024];
	int fd, r;

	*n = 0;
	if (root < 0)
		return -errno;
	fd = sys_openat2(root, "var/lib/crossroot-accel/state", O_RDONLY | O_CLOEXEC,
			 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		if (*n == max)
			return -EBADMSG;
		r = parse_line(line, &pkgs[*n]);
		if (r < 0)
			return r;
		(*n)++;
	}
	return ferror(f) ? -EIO : 0;
}
