/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "accel.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

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

/* One state line, "PACKAGE MODE NATIVE BUILT [PROGRAMS]". */
static int parse_line(char *line, struct accel_package *p)
{
	char *fields[5], *save = NULL;
	size_t n = 0;

	for (char *t = strtok_r(line, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		if (n == ARRAY_SIZE(fields))
			return -EBADMSG;
		fields[n++] = t;
	}
	if (n < 4 || (!streq(fields[1], "accel") && !streq(fields[1], "native") && !streq(fields[1], "held") &&
		      !streq(fields[1], "absent") && !streq(fields[1], "missing")))
		return -EBADMSG;
	if (format_buf(p->name, sizeof(p->name), "%s", fields[0]) < 0 ||
	    format_buf(p->mode, sizeof(p->mode), "%s", fields[1]) < 0 ||
	    format_buf(p->native, sizeof(p->native), "%s", fields[2]) < 0 ||
	    format_buf(p->built, sizeof(p->built), "%s", fields[3]) < 0 ||
	    format_buf(p->programs, sizeof(p->programs), "%s", n == 5 ? fields[4] : "") < 0)
		return -EBADMSG;
	/* Only a tool's line names programs; one the archive had no amd64 build of names none. */
	p->tool = n == 5 || streq(p->mode, "missing");
	return 0;
}

int accel_state_read(const struct container *c, struct accel_package *pkgs, size_t max, size_t *n)
{
	_cleanup_fclose_ FILE *f = container_fopen(c, "var/lib/crossroot-accel/state");
	char line[4096];
	int r;

	*n = 0;
	if (!f)
		return -errno;
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
