/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot: the command table and global options. */
#include <fcntl.h>
#include <getopt.h>

#include "cli.h"

#ifndef CROSSROOT_VERSION
#define CROSSROOT_VERSION "unknown"
#endif

static const struct command commands[] = {
	{ "check", cmd_check, "report what this host supports and what to change" },
	{ "setup", cmd_setup, "root: give a user a persistent user namespace (once per boot)" },
	{ "teardown", cmd_teardown, "root: undo setup for a user" },
	{ "create", cmd_create, "bootstrap a Debian container, or import a rootfs tarball" },
	{ "start", cmd_start, "start a container: it keeps its mounts until stop" },
	{ "stop", cmd_stop, "stop a container and everything in it" },
	{ "run", cmd_run, "run a command in a container" },
	{ "enter", cmd_enter, "open a shell in a container" },
	{ "list", cmd_list, "list your containers" },
	{ "rm", cmd_rm, "remove a container" },
	{ "export", cmd_export, "write a container's rootfs as a tarball" },
	{ "prune", cmd_prune, "remove what the download and rootfs cache holds that nothing uses" },
	{ "config", cmd_config, "show the settings in force and where each comes from" },
	{ "binfmt", cmd_binfmt, "show, register or use binfmt_misc entries for the emulators" },
	{ "job", cmd_job, "list, run or schedule jobs (certificate renewal, TPM2 keys)" },
	{ "accel", cmd_accel, "run a container's compilers natively (enable, disable, status)" },
};

static void print_help(void)
{
	printf("Usage: crossroot [--help] [--version] COMMAND [ARGS...]\n"
	       "\n"
	       "Unprivileged cross-architecture build containers: Debian rootfs of\n"
	       "another architecture, run through QEMU user-mode emulation.\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-9s %s\n", commands[i].name, commands[i].summary);
	printf("\n"
	       "Run 'crossroot COMMAND --help' for a command's options.\n"
	       "Exit status: 0 success, 1 failure, 2 bad usage; see crossroot(1).\n");
}

/*
 * Output that could not be written is a failure, not a success: a full
 * disk or a closed pipe must not exit 0 (util-linux close_stdout()).
 */
static int finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			cli_error("write error: %s", strerror(errno ? errno : EIO));
		return status == EXIT_OK ? EXIT_FAIL : status;
	}
	return status;
}

/*
 * A closed stdin, stdout or stderr would be taken by the next file opened,
 * and a command inside would read or write that file instead (QEMU opens
 * the program it runs).  Point closed ones at /dev/null.
 */
static void open_standard_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);

			cli_closed_std_fds |= 1u << fd;
			if (null >= 0 && null != fd) {
				dup2(null, fd);
				close(null);
			}
		}
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	int c;

	open_standard_fds();
	opterr = 0;
	while ((c = cli_getopt(argc, argv, "+:hV", options)) != -1) {
		switch (c) {
		case 'h':
			print_help();
			return finish(EXIT_OK);
		case 'V':
			printf("crossroot %s\n", CROSSROOT_VERSION);
			return finish(EXIT_OK);
		default:
			return cli_option_error("", argv, c);
		}
	}
	return finish(cli_dispatch(commands, ARRAY_SIZE(commands), "", argc - optind, argv + optind));
}
