/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot accel: the accelerated toolchain of a container (runtime/accel.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "accel.h"
#include "cli.h"

static const char accel_help[] = "Usage: crossroot accel enable|disable|status NAME\n"
				 "\n"
				 "Run the compilers of container NAME natively: Debian's amd64-hosted cross\n"
				 "compiler and binutils for NAME's arch, of the versions NAME's own gcc and\n"
				 "binutils are built from, installed in NAME through multiarch as one local\n"
				 "package, crossroot-accel, so that gcc, cc, g++, cpp, as and ld run\n"
				 "natively while every header and library they use is NAME's own.  The code\n"
				 "they produce is the native compiler's.  The arch-independent tools a build\n"
				 "runs most (dash as /bin/sh, coreutils, sed, grep, diffutils, findutils,\n"
				 "mawk, m4, tar, gzip, xz-utils, bzip2, patch) run natively too, each package\n"
				 "whose amd64 build of the installed version the archive has; and the perl\n"
				 "programs of autoconf, automake and dpkg-dev run with perl-base's amd64\n"
				 "build of the installed version.  uname, arch, stdbuf, bash, dpkg, make and\n"
				 "/usr/bin/perl itself (so every other perl program) stay emulated.\n"
				 "\n"
				 "  enable   install it (apt-get update, and about 60 MB from the archive);\n"
				 "           refused, with the reason, unless the cross versions match NAME's\n"
				 "           exactly (bookworm arm64 is refused: CVE-2023-4039)\n"
				 "  disable  remove it and the amd64 packages it needed; dpkg --audit and\n"
				 "           dpkg --verify stay clean\n"
				 "  status   which native packages and tools run accelerated; after an\n"
				 "           upgrade (apt-get upgrade) that makes their versions differ,\n"
				 "           NAME's own emulated ones run again by themselves, and status\n"
				 "           says why\n"
				 "\n"
				 "Needs an x86_64 host.  Exit status: 0 done, 1 refused or failed, 2 bad usage.\n";

/* Print one tool package's line of the state. */
static void print_tool(const struct container *c, const struct accel_package *p)
{
	/* The perl that runs the perl programs (runtime/accel.sh). */
	if (streq(p->programs, "perl") && streq(p->mode, "accel"))
		printf("  %s %s: accelerated: the perl that runs the perl programs below (/usr/bin/perl stays "
		       "emulated)\n",
		       p->name, p->native);
	else if (streq(p->programs, "perl"))
		printf("  %s %s: emulated: the amd64 perl is %s, so the perl programs below run emulated; "
		       "'crossroot accel enable %s' installs a matching one when the archive has it\n",
		       p->name, p->native, p->built, c->name);
	else if (streq(p->mode, "held"))
		printf("  %s %s: emulated with the native perl (perl-base's version differs, above)\n", p->name,
		       p->native);
	else if (streq(p->mode, "accel")) {
		printf("  %s %s: accelerated: ", p->name, p->native);
		for (const char *s = p->programs; *s; s++)
			putchar(*s == ',' ? ' ' : *s);
		putchar('\n');
	} else if (streq(p->mode, "absent"))
		printf("  %s: not installed (native once installed at %s)\n", p->name, p->built);
	else if (streq(p->mode, "missing"))
		printf("  %s %s: emulated: the archive has no amd64 build of this version (amd64: %s)\n", p->name,
		       p->native, p->built);
	else
		printf("  %s %s: emulated: the amd64 build is %s; 'crossroot accel enable %s' installs a matching one "
		       "when the archive has it\n",
		       p->name, p->native, p->built, c->name);
}

/* Print c's accel state: returns EXIT_OK, or EXIT_FAIL (reported). */
static int print_state(const struct container *c)
{
	_cleanup_free_ struct accel_package *pkgs = calloc(ACCEL_PACKAGES_MAX, sizeof(*pkgs));
	bool differs = false, tools = false;
	size_t n;
	int r;

	if (!pkgs)
		return cli_fail(EXIT_FAIL, -ENOMEM, NULL, "%s: accel status", c->name);
	r = accel_state_read(c, pkgs, ACCEL_PACKAGES_MAX, &n);
	if (r == -ENOENT) {
		printf("%s: accel is not enabled ('crossroot accel enable %s')\n", c->name, c->name);
		return EXIT_OK;
	}
	if (r < 0)
		return cli_fail(EXIT_FAIL, r, NULL, "%s: read /var/lib/crossroot-accel/state", c->name);
	for (size_t i = 0; i < n; i++) {
		if (pkgs[i].tool)
			tools = true;
		else if (streq(pkgs[i].mode, "native"))
			differs = true;
	}
	printf("%s: accel is enabled%s\n", c->name,
	       differs ? ", but the native toolchain runs: a native package's version differs from the cross one's"
		       : "");
	for (size_t i = 0; i < n; i++) {
		const struct accel_package *p = &pkgs[i];

		if (p->tool)
			continue;
		if (streq(p->mode, "accel"))
			printf("  %s %s: accelerated\n", p->name, p->native);
		else if (streq(p->mode, "absent"))
			printf("  %s: not installed (accelerated once installed at %s)\n", p->name, p->built);
		else if (streq(p->mode, "held"))
			printf("  %s %s: emulated with the others (the cross programs run only together)\n", p->name,
			       p->native);
		else
			printf("  %s %s: emulated: the cross one was built from %s; "
			       "'crossroot accel enable %s' installs a matching one when the archive has it\n",
			       p->name, p->native, p->built, c->name);
	}
	if (!tools)
		return EXIT_OK;
	printf("tools (amd64 builds of the same versions, each package by itself):\n");
	for (size_t i = 0; i < n; i++)
		if (pkgs[i].tool)
			print_tool(c, &pkgs[i]);
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

/* The action of accel_child(): the script runs in a child, for entering the container moves the caller. */
struct accel_call {
	const struct container *c;
	enum accel_action action;
};

static int accel_child(void *arg)
{
	const struct accel_call *call = arg;

	return run_action(call->c, call->action);
}

static int accel_action(const struct container *c, enum accel_action action)
{
	struct accel_call call = { c, action };

	return cli_in_child(EXIT_FAIL, action == ACCEL_ENABLE ? "accel enable" : "accel disable", accel_child, &call);
}

int cli_accel_enable(const struct container *c)
{
	int status = accel_action(c, ACCEL_ENABLE);

	return status == EXIT_OK ? print_state(c) : status;
}

int cmd_accel(int argc, char **argv)
{
	static const struct option options[] = { { "help", no_argument, NULL, 'h' }, {} };
	struct container c;
	int ch, r;

	/* Options anywhere, as rm's: "accel status NAME --help" is help, "accel status --bogus" no name. */
	optind = 0;
	opterr = 0;
	while ((ch = cli_getopt(argc, argv, ":h", options)) != -1) {
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
		return accel_action(&c, ACCEL_DISABLE);
	return cli_accel_enable(&c);
}
