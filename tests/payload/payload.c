/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test payload: one small static program, cross-built for each
 * architecture the tests exercise, so end-to-end tests need no rootfs and no
 * shell of the foreign architecture.  Usage: payload APPLET [ARGS...]
 *
 *   uname-m      the machine `uname -m` reports
 *   id           "uid=U gid=G euid=E egid=F"
 *   argv0        argv[0] as the program received it
 *   cwd          the working directory
 *   exit N       exit with status N
 *   cat FILE     copy FILE to stdout
 *   tiocsti      push a byte into its terminal with TIOCSTI; print "errno N"
 *   keyctl       call keyctl(KEYCTL_GET_KEYRING_ID); print "errno N"
 *   signals      print "ready", then wait; on SIGINT, SIGTERM or SIGHUP print
 *                "got N" and exit 100 + N
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static int cat(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

static void on_signal(int sig)
{
	char msg[32];
	int n = snprintf(msg, sizeof(msg), "got %d\n", sig);

	if (write(1, msg, (size_t)n) < 0)
		_exit(1);
	_exit(100 + sig);
}

static int wait_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	puts("ready");
	fflush(stdout);
	for (int i = 0; i < 600; i++)
		sleep(1);
	return 1;
}

int main(int argc, char **argv)
{
	const char *applet = argc > 1 ? argv[1] : "";
	char cwd[4096];
	struct utsname u;

	if (!strcmp(applet, "uname-m")) {
		if (uname(&u) < 0)
			return 1;
		puts(u.machine);
	} else if (!strcmp(applet, "id")) {
		printf("uid=%u gid=%u euid=%u egid=%u\n", (unsigned)getuid(), (unsigned)getgid(), (unsigned)geteuid(),
		       (unsigned)getegid());
	} else if (!strcmp(applet, "argv0")) {
		puts(argv[0]);
	} else if (!strcmp(applet, "cwd")) {
		if (!getcwd(cwd, sizeof(cwd)))
			return 1;
		puts(cwd);
	} else if (!strcmp(applet, "exit") && argc > 2) {
		return atoi(argv[2]);
	} else if (!strcmp(applet, "cat") && argc > 2) {
		return cat(argv[2]);
	} else if (!strcmp(applet, "tiocsti")) {
		char c = '#';

		printf("errno %d\n", ioctl(0, TIOCSTI, &c) < 0 ? errno : 0);
	} else if (!strcmp(applet, "keyctl")) {
		/* KEYCTL_GET_KEYRING_ID = 0, KEY_SPEC_SESSION_KEYRING = -3 */
		printf("errno %d\n", syscall(SYS_keyctl, 0, -3, 0) < 0 ? errno : 0);
	} else if (!strcmp(applet, "signals")) {
		return wait_signals();
	} else {
		fprintf(stderr, "usage: payload uname-m|id|argv0|cwd|exit N|cat FILE|tiocsti|keyctl|signals\n");
		return 2;
	}
	return 0;
}
