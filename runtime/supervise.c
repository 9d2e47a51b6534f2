/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "supervise.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

#include "../base/util.h"

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void dummy_handler(int sig)
{
}

/* Block the signals a supervisor reads from a signalfd; pid 1 also needs handlers to receive them. */
int signals_fd(bool as_init, bool with_winch)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++) {
		sigaddset(&set, forwarded_signals[i]);
		if (as_init) {
			struct sigaction sa = { .sa_handler = dummy_handler };

			sigaction(forwarded_signals[i], &sa, NULL);
		}
	}
	sigaddset(&set, SIGCHLD);
	if (with_winch)
		sigaddset(&set, SIGWINCH);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int wait_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 125;
}

static void copy_winsize(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

static bool copy_some(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		off += w;
	}
	return true;
}

/*
 * Copy what the command left on the terminal master to our stdout.  Without
 * blocking: a process the command left running (on a started container) may
 * hold the terminal open and never write again.  A read on an empty master
 * first flushes the kernel's pending buffer work (n_tty_read()), so nothing
 * the command wrote before it exited is lost.
 */
static void drain(int master)
{
	if (master < 0 || fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK) < 0)
		return;
	while (copy_some(master, STDOUT_FILENO))
		;
}

/* Milliseconds from now until deadline (CLOCK_MONOTONIC), at least 0; -1 for no deadline. */
static int ms_until(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	if (!deadline)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT32_MAX ? INT32_MAX : (int)ms;
}

int supervise(int sfd, pid_t target, pid_t init, int master, const struct timespec *deadline, bool *timed_out)
{
	bool tty = master >= 0, stdin_open = tty;

	if (tty)
		copy_winsize(STDIN_FILENO, master);
	for (;;) {
		struct pollfd fds[3] = { { sfd, POLLIN, 0 },
					 { master, POLLIN, 0 },
					 { stdin_open ? 0 : -1, POLLIN, 0 } };
		int status, n;

		n = poll(fds, 3, ms_until(deadline));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0 && deadline && !*timed_out && ms_until(deadline) == 0) {
			/* SIGKILL of a pid namespace's init kills all of it (pid_namespaces(7)). */
			kill(init, SIGKILL);
			*timed_out = true;
			deadline = NULL;
		}
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
			if (!copy_some(master, STDOUT_FILENO) && !(fds[1].revents & POLLIN))
				master = -1; /* every copy of the slave is closed */
		if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			stdin_open = copy_some(STDIN_FILENO, master);
			/* Our terminal went away: the shell inside hears it as a hangup of its own. */
			if (!stdin_open)
				kill(target, SIGHUP);
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGWINCH && tty)
				copy_winsize(STDIN_FILENO, master);
			else if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH &&
				 (tty || si.ssi_code != SI_KERNEL))
				/*
				 * Without a terminal of its own, the command shares our process
				 * group: what our terminal sent (^C) reached it already.
				 */
				kill(target, (int)si.ssi_signo);
		}
		while (waitpid(target, &status, WNOHANG) == target) {
			if (WIFEXITED(status) || WIFSIGNALED(status)) {
				drain(master);
				return status;
			}
		}
	}
}

/* Put our terminal in raw mode for the life of an enter; restored by the caller. */
bool raw_terminal(struct termios *saved)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved) < 0)
		return false;
	raw = *saved;
	cfmakeraw(&raw);
	return tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

/*
 * A new pty from the devpts at /dev/pts of our (container) mount namespace,
 * with the window size of our stdin's terminal before the command can ask.
 */
int open_pty(char *slave, size_t size)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (master < 0)
		return -errno;
	if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, slave, size) != 0)
		return -errno;
	copy_winsize(STDIN_FILENO, master);
	return steal_fd(master);
}
