/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's init (pid 1 of its new pid namespace): the transient one
 * of a run on a stopped container, and the one that stays while a container
 * is started; and the messages it and crossroot exchange.  Internal to
 * runtime.c and init.c, split from runtime.c along its seam; see
 * doc/design.md, 1.3 Processes.
 */
#ifndef CROSSROOT_INIT_H
#define CROSSROOT_INIT_H

#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../binfmt/binfmt.h"
#include "ephemeral.h"
#include "runtime.h"
#include "../base/util.h"

#define CONTAINER_NAMESPACES (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS)

/* Who runs crossroot, read before any namespace changes what getpwuid() sees. */
struct identity {
	uid_t uid;
	gid_t gid;
	char name[64];
	char home[PATH_MAX];
	char shell[PATH_MAX];
	char cwd[PATH_MAX];
	char machine[65];	      /* the host's uname -m */
	enum binfmt_mode binfmt_mode; /* config_binfmt_mode() */
	struct cr_error binfmt_err;   /* when it could not be read: why */
	uint32_t binfmt_arches;	      /* a new container's binfmt entries: arch_bit()s (binfmt_arches_read()) */
};

/* Init and command report to crossroot over a socketpair (init) or a pipe (command). */
enum { MSG_READY = 1, MSG_FAILED, MSG_EXEC_FAILED, MSG_COMMIT, MSG_SPAWNED };

struct message {
	int type;
	int error;
	bool found;
	char text[512]; /* MSG_FAILED: what failed, complete ("mount /proc: No such device") */
};

/*
 * Send a message of type with error and text (NULL: none) on the
 * SOCK_SEQPACKET socket fd, passing pass_fd (SCM_RIGHTS, unix(7)) when it
 * is >= 0.  Returns 0 or -EIO.
 */
int send_message(int fd, int type, int error, const char *text, int pass_fd);

/*
 * Receive a message from fd into *msg; a passed fd goes to *passed
 * (close-on-exec; -1 when none came), or is closed when passed is NULL.
 * Returns 0, -EPIPE at EOF, -EIO for a short message, or -errno.
 */
int recv_message(int fd, struct message *msg, int *passed);

/* The host's `uname -m` into machine (size bytes), as emulator discovery takes it; "unknown" if unreadable. */
void host_machine(char *machine, size_t size);

/*
 * Never returns: the transient init of a run on a stopped container, forked
 * in the container's new namespaces.  Builds the mounts (with req's binds
 * and devices; on eph's layer when eph is not NULL), opens a terminal when
 * req->tty, forks the command (command_exec(), reporting on report), sends
 * MSG_READY (with the terminal's master) or MSG_FAILED on sync, then
 * forwards signals to the command and exits with its status (125 when the
 * setup failed).
 */
_noreturn_ void run_init(const struct container *c, const struct exec_request *req, const struct identity *id,
			 struct ephemeral *eph, int sync, int report);

/* crossroot-init, built from runtime/reaper.c by the Makefile; reaper_blob_size is 0 where it is not built. */
extern const unsigned char reaper_blob[];
extern const size_t reaper_blob_size;

/*
 * Never returns: pid 1 of a run on a stopped container, started with
 * clone(CLONE_VM | CLONE_VFORK) in the container's new namespaces, so on
 * crossroot's memory while crossroot waits.  Builds the mounts as run_init()
 * does (pivot_root(2) moves crossroot's root along: "changes the root
 * directory ... of each process ... in the same mount namespace"), then
 * execs crossroot-init (runtime/reaper.c) from the memfd reaper with
 * /dev/null as fds 0-2 and ready as fd 3, on which it writes one byte once
 * it runs.  A failure goes to sync as MSG_FAILED, and the process exits 125.
 */
_noreturn_ void setup_reaper(const struct container *c, const struct exec_request *req, const struct identity *id,
			     struct ephemeral *eph, int sync, int ready, int reaper);

/*
 * Never returns: in a helper child of crossroot, enter the container's
 * namespaces and create the init of a started container as crossroot's
 * child (CLONE_PARENT), so its PR_SET_PDEATHSIG refers to crossroot.  On
 * sync: MSG_SPAWNED with the init's host pid in error, and the init's own
 * MSG_READY or MSG_FAILED, in either order (the init may be quicker); the init waits for MSG_COMMIT (crossroot has
 * recorded it), answers MSG_COMMIT and stays, reaping, until SIGTERM,
 * SIGINT or SIGHUP.  Exits 0, or 125 after MSG_FAILED.
 */
_noreturn_ void spawn_daemon(const struct container *c, const struct identity *id, const struct bind_mount *binds,
			     size_t n_binds, struct ephemeral *eph, int sync);

/* In runtime.c, for the init: */

/*
 * Become root of c's user namespace: the pinned one of crossroot setup
 * (mapped mode) or a new one (single).  Returns 0, or -errno with *err
 * saying what failed.
 */
int enter_userns(const struct container *c, struct cr_error *err);

/*
 * Never returns: in the command's process, become whom req says (ids,
 * capabilities, seccomp filter), on the terminal pty_slave (NULL: none),
 * and exec the command; report MSG_FAILED or MSG_EXEC_FAILED on report
 * (a pipe) and exit 125, 126 or 127 when that fails.
 */
_noreturn_ void command_exec(const struct container *c, const struct exec_request *req, const struct identity *id,
			     const char *pty_slave, int report);

/*
 * Start the command's process: command_exec() in a child that shares our
 * memory until it execs or exits, while we wait (clone(2) CLONE_VM |
 * CLONE_VFORK, as posix_spawn(3) does), so no page table is copied and
 * neither process takes copy-on-write faults (fork(2) in a process that
 * has had other threads).  The child first closes
 * close_fd[0..2] (those >= 0; its fd table is a copy).  Returns the
 * child's pid or -errno.
 */
pid_t command_spawn(const struct container *c, const struct exec_request *req, const struct identity *id,
		    const char *pty_slave, int report, const int close_fd[3]);

#endif
