/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container's init, and the messages between it and crossroot: see init.h. */
#include "init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mounts.h"
#include "supervise.h"
#include "../base/syscalls.h"

int send_message(int fd, int type, int error, const char *text, int pass_fd)
{
	struct message msg = { .type = type, .error = error };
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (text)
		snprintf(msg.text, sizeof(msg.text), "%s", text);
	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == sizeof(msg) ? 0 : -EIO;
}

/* MSG_FAILED on fd: step, and the reason error (a -errno) gives. */
static void send_failed(int fd, int error, const char *step)
{
	struct cr_error err;

	cr_fail_errno(&err, error, "%s", step);
	send_message(fd, MSG_FAILED, error, err.message, -1);
}

/* Returns 0 with *msg (and *fd when one came), -EPIPE at EOF, or -errno. */
int recv_message(int fd, struct message *msg, int *passed)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { msg, sizeof(*msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)
	};
	ssize_t n;

	if (passed)
		*passed = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	if ((size_t)n != sizeof(*msg))
		return -EIO;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(cm), sizeof(int));
			if (passed)
				*passed = got;
			else
				close(got);
		}
	return 0;
}

/* Become root of the container's user namespace: the pinned one (mapped) or a new one (single). */
/* The host's `uname -m`, as emulator discovery takes it. */
void host_machine(char *machine, size_t size)
{
	if (arch_host_machine(machine, size) < 0)
		snprintf(machine, size, "unknown");
}

static void fill_mount_config(struct mount_config *cfg, const struct container *c, const struct identity *id,
			      const struct bind_mount *binds, size_t n_binds, char *machine, size_t machine_size)
{
	memset(cfg, 0, sizeof(*cfg));
	host_machine(machine, machine_size);
	cfg->rootfs = c->rootfs;
	cfg->hostname = c->name;
	cfg->home = id->home[0] == '/' && !streq(id->home, "/") ? id->home : NULL;
	cfg->binds = binds;
	cfg->n_binds = n_binds;
	cfg->mapped = c->mode == CONTAINER_MAPPED;
	if (cfg->mapped) {
		cfg->user_name = id->name;
		cfg->user_uid = id->uid;
		cfg->user_gid = id->gid;
		cfg->user_shell = id->shell;
	}
	cfg->sandboxed_binfmt = true;
	cfg->arch = c->arch;
	cfg->binfmt_mode = id->binfmt_mode;
	cfg->binfmt_arches = id->binfmt_arches;
	cfg->host_machine = machine;
	cfg->emulator_search_path = getenv("PATH");
}

/* In the new pid namespace's first process: mounts, then the caller's part. Reports failure on sync. */
static int init_setup(const struct container *c, const struct identity *id, const struct bind_mount *binds,
		      size_t n_binds, const struct exec_request *req, struct ephemeral *eph, int sync)
{
	struct mount_config cfg;
	struct cr_error err;
	char machine[65];
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fill_mount_config(&cfg, c, id, binds, n_binds, machine, sizeof(machine));
	if (req) {
		cfg.isolated = req->isolated;
		cfg.devices = req->devices;
		cfg.n_devices = req->n_devices;
		cfg.host_tree = req->host_tree;
	}
	if (eph) {
		cfg.ephemeral = true;
		cfg.ephemeral_dir = eph->dir;
		cfg.ephemeral_path = eph->path;
	}
	r = mount_container(&cfg, &err);
	/* Only the layer's lock file stays open here: no fd of a host directory may reach the container. */
	if (eph) {
		closep(&eph->dir);
		closep(&eph->parent);
	}
	if (r < 0)
		send_message(sync, MSG_FAILED, r, err.message, -1);
	return r;
}

/* The transient init of a run on a stopped container: start the command, forward, reap, exit with its status. */
_noreturn_ void run_init(const struct container *c, const struct exec_request *req, const struct identity *id,
			 struct ephemeral *eph, int sync, int report)
{
	char slave[128];
	int sfd, master = -1;
	pid_t cmd;

	sfd = signals_fd(true, false);
	if (sfd < 0 || init_setup(c, id, req->binds, req->n_binds, req, eph, sync) < 0)
		_exit(125);
	if (req->tty) {
		master = open_pty(slave, sizeof(slave));
		if (master < 0) {
			send_failed(sync, master, "open a terminal inside");
			_exit(125);
		}
	}
	{
		const int close_fd[3] = { sync, sfd, master };

		cmd = command_spawn(c, req, id, req->tty ? slave : NULL, report, close_fd);
	}
	if (cmd < 0) {
		send_failed(sync, cmd, "start the command");
		_exit(125);
	}
	close(report);
	send_message(sync, MSG_READY, 0, NULL, master);
	if (master >= 0)
		close(master);
	close(sync);
	for (;;) {
		struct signalfd_siginfo si;
		int status;
		pid_t pid;

		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			if (si.ssi_code != SI_KERNEL)
				kill(cmd, (int)si.ssi_signo);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == cmd)
				_exit(wait_status_code(status));
	}
}

/* fd moved to the lowest free number >= 4, close-on-exec; the old one closed. */
static int fd_above_3(int fd)
{
	int moved = fcntl(fd, F_DUPFD_CLOEXEC, 4);

	close(fd);
	return moved;
}

_noreturn_ void setup_reaper(const struct container *c, const struct exec_request *req, const struct identity *id,
			     struct ephemeral *eph, int sync, int ready, int reaper)
{
	char *const argv[] = { (char *)"crossroot-init", NULL }, *const envp[] = { NULL };
	int null;

	/* init_setup() makes our death crossroot's (PR_SET_PDEATHSIG): crossroot-init keeps it. */
	if (init_setup(c, id, req->binds, req->n_binds, req, eph, sync) < 0)
		_exit(125);
	/* crossroot-init's fds: /dev/null (the container's), and ready as 3. */
	sync = fd_above_3(sync);
	ready = fd_above_3(ready);
	reaper = fd_above_3(reaper);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0)
		null = fd_above_3(null);
	if (sync < 0 || ready < 0 || reaper < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0 || dup2(ready, 3) < 0) {
		send_failed(sync, -errno, "set up the descriptors of the container's init");
		_exit(125);
	}
	execveat(reaper, "", argv, envp, AT_EMPTY_PATH);
	send_failed(sync, -errno, "start the container's init (crossroot-init, from a memfd)");
	_exit(125);
}

/* The init of a started container: reap until told to stop. */
static _noreturn_ void daemon_init(const struct container *c, const struct identity *id, const struct bind_mount *binds,
				   size_t n_binds, struct ephemeral *eph, int sync)
{
	struct message msg;
	int sfd, devnull;

	sfd = signals_fd(true, false);
	if (sfd < 0 || init_setup(c, id, binds, n_binds, NULL, eph, sync) < 0)
		_exit(125);
	send_message(sync, MSG_READY, 0, NULL, -1);
	/*
	 * Until crossroot has recorded us, its death is ours (PR_SET_PDEATHSIG
	 * from init_setup), so no container ever looks started that is not.
	 */
	if (recv_message(sync, &msg, NULL) < 0 || msg.type != MSG_COMMIT)
		_exit(125);
	prctl(PR_SET_PDEATHSIG, 0);
	send_message(sync, MSG_COMMIT, 0, NULL, -1);
	close(sync);
	setsid();
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	for (;;) {
		struct signalfd_siginfo si;

		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT || si.ssi_signo == SIGHUP)
			_exit(0);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

/*
 * In a helper child: enter the container's namespaces and create the init
 * as a sibling (CLONE_PARENT), so crossroot is the init's parent and its
 * PR_SET_PDEATHSIG refers to crossroot, not to this short-lived helper.
 * The init's host pid goes to crossroot in msg.error.
 */
_noreturn_ void spawn_daemon(const struct container *c, const struct identity *id, const struct bind_mount *binds,
			     size_t n_binds, struct ephemeral *eph, int sync)
{
	struct cr_error err;
	long pid;
	int r;

	r = enter_userns(c, &err);
	if (r == 0 && unshare(CONTAINER_NAMESPACES) < 0)
		r = cr_fail_errno(&err, -errno, "create the container's namespaces");
	if (r < 0) {
		send_message(sync, MSG_FAILED, r, err.message, -1);
		_exit(125);
	}
	pid = sys_clone_flags(CLONE_PARENT | SIGCHLD);
	if (pid < 0) {
		send_failed(sync, -errno, "create the container's init");
		_exit(125);
	}
	if (pid == 0)
		daemon_init(c, id, binds, n_binds, eph, sync);
	send_message(sync, MSG_SPAWNED, (int)pid, NULL, -1);
	_exit(0);
}
