/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot accel: the accelerated toolchain of a container (runtime/accel.h). */
#include <getopt.h>
#include <stdio.h>

#include "accel.h"
#include "cli.h"

static const char accel_help[] = "Usage: crossroot accel enable|disable|status NAME\n"
				 "\n"
				 "Run the compilers of container NAME natively: Debian's amd64-hosted cross\n"
				 "compiler and binutils for NAME's arch, of the versions NAME's own gcc and\n"
				 "binutils are built from, installed in NAME through multiarch as one local\n"
				 "package, crossroot-accel, so that gcc, cc, g++, cpp, as and ld run\n"
				 "natively while every header and library they use is NAME's own.  The code\n"
				 "they produce is the native compiler's.\n"
				 "\n"
				 "  enable   install it (apt-get update, and about 70 MB from the archive);\n"
				 "           refused, with the reason, unless the cross versions match NAME's\n"
				 "           exactly (bookworm arm64 is refused: CVE-2023-4039)\n"
				 "  disable  remove it and the amd64 packages it needed; dpkg --audit and\n"
				 "           dpkg --verify stay clean\n"
				 "  status   which native packages run accelerated; after an upgrade (apt-get\n"
				 "           upgrade) that makes their versions differ, NAME's own emulated\n"
				 "           ones run again by themselves, and status says why\n"
				 "\n"
				 "Needs an x86_64 host.  Exit status: 0 done, 1 refused or failed, 2 bad usage.\n";

/* Print c's accel state: returns EXIT_OK, or EXIT_FAIL (reported). */
static int print_state(const struct container *c)
{
	struct accel_package pkgs[ACCEL_PACKAGES_MAX];
	size_t n;
	int r = accel_state_read(c, pkgs, ARRAY_SIZE(pkgs), &n);

	if (r == -ENOENT) {
		printf("%s: accel is not enabled ('crossroot accel enable %s')\n", c->name, c->name);
		return EXIT_OK;
	}
	if (r < 0)
		return cli_fail(EXIT_FAIL, r, NULL, "%s: read /var/lib/crossroot-accel/state", c->name);
	printf("%s: accel is enabled\n", c->name);
	for (size_t i = 0; i < n; i++) {
		const struct accel_package *p = &pkgs[i];

		if (streq(p->mode, "accel"))
			printf("  %s %s: accelerated\n", p->name, p->native);
		else if (streq(p->mode, "absent"))
			printf("  %s: not installed (accelerated once installed at %s)\n", p->name, p->built);
		else
			printf("  %s %s: emulated: the cross one was built from %s; "
			       "'crossroot accel enable %s' installs a matching one when the archive has it\n",
			       p->name, p->native, p->built, c->name);
	}
	return EXIT_OK;
}

/* Run the script's action in c: returns EXIT_OK, or EXIT_FAIL (reported). */
static int run_action(const struct container *c, enum accel_action action)
{
	const char *verb = action == ACCEL_ENABLE ? "enable" : "disable";
	struct run_result res = {};
	struct cr_error err;
	int r = accel_supported(c, &err);

	if (r < 0)
		return cli_fail(EXIT_FAIL, r, &err, "accel %s %s", verb, c->name);
	accel_run(c, action, &res);
	switch (res.outcome) {
	case RUN_EXITED:
		if (res.status == 0)
			return EXIT_OK;
		if (res.status != ACCEL_REFUSED)
			cli_error("accel %s %s: failed inside the container (exit status %d); apt's and dpkg's output "
				  "is above",
				  verb, c->name, res.status);
		return EXIT_FAIL;
	case RUN_NO_EMULATOR:
		cli_no_emulator(c, &res.emulator);
		return EXIT_FAIL;
	case RUN_EXEC_FAILED:
		return cli_fail(EXIT_FAIL, res.err.error, NULL, "accel %s %s: /bin/sh", verb, c->name);
	case RUN_TIMED_OUT: /* no time limit */
	case RUN_FAILED:
		break;
	}
	cli_run_failure(c, &res);
	return EXIT_FAIL;
}

int cli_accel_enable(const struct container *c)
{
	int status = run_action(c, ACCEL_ENABLE);

	return status == EXIT_OK ? print_state(c) : status;
}

int cmd_accel(int argc, char **argv)
{
	static const struct option options[] = { { "help", no_argument, NULL, 'h' }, {} };
	struct container c;
	int ch, r;

	opterr = 0;
	while ((ch = cli_getopt(argc, argv, "+:h", options)) != -1) {
		if (ch != 'h')
			return cli_option_error("accel", argv, ch);
		fputs(accel_help, stdout);
		return EXIT_OK;
	}
	if (argc - optind != 2)
		return cli_usage_error("accel", argc - optind < 2 ? "give enable, disable or status, and NAME"
								  : "too many arguments");
	if (!streq(argv[optind], "enable") && !streq(argv[optind], "disable") && !streq(argv[optind], "status"))
		return cli_usage_error("accel", "unknown action '%.40s': use enable, disable or status", argv[optind]);
	r = cli_container_load("accel", argv[optind + 1], &c);
	if (r != 0)
		return r;
	if (streq(argv[optind], "status"))
		return print_state(&c);
	if (streq(argv[optind], "disable"))
		return run_action(&c, ACCEL_DISABLE);
	return cli_accel_enable(&c);
}
