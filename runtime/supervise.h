/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Supervision of a container's command by crossroot (or by the container's
 * init): signals forwarded, the terminal relayed, the exit status turned
 * into an exit code.  Split from runtime.c along its seam; see
 * doc/design.md, 1.3 Processes.
 */
#ifndef CROSSROOT_SUPERVISE_H
#define CROSSROOT_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>

/*
 * Block SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGCHLD (and
 * SIGWINCH with with_winch) and return a signalfd(2) reading them
 * (close-on-exec).  as_init also installs a handler for the forwarded ones:
 * a pid namespace's init gets no signal it has no handler for
 * (pid_namespaces(7)).  Returns the fd or -errno.
 */
int signals_fd(bool as_init, bool with_winch);

/* A wait(2) status as a shell's exit code: the exit status, 128 + the signal, or 125. */
int wait_status_code(int status);

/*
 * Forward the signals read from sfd (signals_fd()) to target until target
 * exits; with master >= 0, also copy between our stdin/stdout and that
 * terminal master, and pass on window size changes.  At deadline
 * (CLOCK_MONOTONIC; NULL: none) init, the pid namespace's init, is killed
 * with SIGKILL (all of the namespace then, pid_namespaces(7); target may be
 * init) and *timed_out set.  Returns target's wait status, or -errno when
 * poll(2) fails.
 */
int supervise(int sfd, pid_t target, pid_t init, int master, const struct timespec *deadline, bool *timed_out);

/* Put our stdin's terminal in raw mode, the old settings in *saved; false when it is no terminal. */
bool raw_terminal(struct termios *saved);

/*
 * A new pty from /dev/ptmx of the caller's mount namespace (the container's
 * devpts), its slave's path in slave (size bytes), with our stdin's window
 * size.  Returns the master fd (close-on-exec) or -errno.
 */
int open_pty(char *slave, size_t size);

#endif
