/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running containers: start, stop, and commands run in them.
 *
 * Process shapes (M is crossroot, I the container's init, C the command):
 *
 *   run/enter, container stopped:  M -> I (pid 1 of a new pid namespace,
 *     builds the mounts, pivots) -> C.  I forwards signals to C and reaps
 *     everything; when C ends, I exits with C's status and the kernel kills
 *     whatever C left behind, as `podman run --rm` does.
 *   start:  M -> I, which builds the mounts, reports ready, and stays as the
 *     container's reaping init until stop.  M records I in the state file.
 *   run/enter, container started:  M joins I's namespaces with
 *     setns(pidfd) and forks C there, like `podman exec`; what C leaves
 *     running is reparented to I and stays until stop.
 *
 * In every shape M forwards SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
 * SIGUSR2 to the command (not those a terminal sent to the whole process
 * group, which C gets itself), and returns C's exit status.
 */
#ifndef CROSSROOT_RUNTIME_H
#define CROSSROOT_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include "../binfmt/emulator.h"
#include "container.h"
#include "mounts.h"

/* $PATH of a command run inside (a host_tree one too) unless the caller's environment sets one. */
#define INSIDE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct exec_request {
	char *const *argv; /* the command; NULL: the user's login shell */
	char *const *env;  /* extra "K=V" entries, NULL-terminated, or NULL */
	/*
	 * Pass the caller's variables that env_inherited() names (locale, TZ,
	 * proxies); without it only TERM and LANG pass.
	 */
	bool inherit_env;
	/*
	 * Run as this user of the container instead of the caller (mapped mode
	 * only; else RUN_FAILED, -EPERM): a name or a uid, looked up in the
	 * container's /etc/passwd; a uid it does not list runs with gid 0 and
	 * HOME=/, as in podman.  NULL: the caller, or uid 0 with root.
	 */
	const char *user;
	const char *cwd; /* working directory inside; NULL: the caller's when it exists inside, else $HOME, else / */
	const struct bind_mount *binds; /* only for a stopped container */
	size_t n_binds;
	bool root; /* run as uid 0 with the build-safe capabilities */
	/*
	 * Give the command a new terminal of the container's devpts as stdin
	 * and stdout, proxied to ours (stdin must be a terminal): raw mode,
	 * window size and hangup follow it, as in `podman run -t`.
	 */
	bool tty;
	bool tty_keep_stderr; /* with tty: stderr stays ours (redirected) instead of the terminal */
	/*
	 * Only for a stopped container (else RUN_FAILED, -EBUSY).  isolated: no
	 * host tree but req->binds (no $HOME, no /var/tmp), an empty capability
	 * bounding set and no_new_privs, so nothing inside (sudo, a setuid
	 * program) can gain a capability.  timeout: seconds after which the
	 * container's init, and with it every process of its pid namespace
	 * (pid_namespaces(7)), is killed with SIGKILL; 0 for none.
	 */
	bool isolated;
	unsigned timeout;
	/*
	 * Run on a copy-on-write view of the rootfs (ephemeral.h), discarded
	 * when the command ends: never joins a started container (its own
	 * container instead, even beside a started ephemeral one), and
	 * container_exec() returns -EBUSY while the rootfs is used directly
	 * (a run without it on the stopped container, or the container is
	 * started without it).  Without it, -EBUSY while an ephemeral run or
	 * start is on the stopped container's rootfs.
	 */
	bool ephemeral;
	const char *const *devices; /* host device nodes "/dev/NAME" bound in /dev (stopped containers) */
	size_t n_devices;
	/*
	 * Only for a stopped container (else RUN_FAILED, -EINVAL): run argv,
	 * looked up in $PATH, from the host's tree instead of the rootfs, the
	 * rootfs mounted as for any run at its host path (c->rootfs) and the
	 * rootfs's /etc and /root bound over the host's (mounts.h host_tree):
	 * for a host tool that works on the rootfs by path and chroot(2)s
	 * into it for the rootfs's own programs, as dpkg --root does
	 * (dpkg(1), --instdir).
	 */
	bool host_tree;
};

enum run_outcome {
	RUN_EXITED,	 /* status holds the command's exit status (128+N for signal N) */
	RUN_EXEC_FAILED, /* the command could not be executed: err.error, found */
	RUN_FAILED,	 /* crossroot failed: err */
	RUN_NO_EMULATOR, /* nothing ran: no usable emulator for the container's arch (emulator says why) */
	RUN_TIMED_OUT,	 /* req->timeout passed: every process of the container was killed */
};

struct run_result {
	enum run_outcome outcome;
	int status;
	bool found;
	struct cr_error err; /* RUN_FAILED: what failed ("" when only err.error is known); RUN_EXEC_FAILED: execve's */
	struct emulator emulator; /* with RUN_NO_EMULATOR: what discovery found */
};

/*
 * Run req in container c (started or not, see above) and wait for it.  On a
 * stopped container, c's arch is checked first: native, or an emulator that
 * emulator_find() (with $PATH) finds static; else nothing runs and the
 * outcome is RUN_NO_EMULATOR.  (A started one has its entries already: the
 * kernel holds their emulators open.)  As container_start(): returns 0 when
 * the command ran or could not be executed (res->outcome RUN_EXITED,
 * RUN_EXEC_FAILED or RUN_TIMED_OUT says how it ended), -ENOEXEC with
 * res->outcome RUN_NO_EMULATOR, or -errno with res->outcome RUN_FAILED and
 * res->err: -EBUSY (the rootfs is used the other way), -EWOULDBLOCK
 * (another crossroot is starting or stopping c), or any other.
 */
int container_exec(const struct container *c, const struct exec_request *req, struct run_result *res);

/*
 * Start c: its init keeps its namespaces, mounts and binfmt entries until
 * container_stop().  binds are added for the container's lifetime.  With
 * ephemeral, on a copy-on-write view of the rootfs whose layer goes at
 * stop (ephemeral.h).  Returns 0, -EALREADY when it runs already, -EBUSY
 * when the rootfs is used the other way (container_rootfs_use()),
 * -EWOULDBLOCK when another crossroot is starting or stopping it,
 * -ENOEXEC with res->outcome
 * RUN_NO_EMULATOR when c's arch has no usable emulator (checked first, as
 * for container_exec()), or -errno with res->outcome RUN_FAILED and
 * res->err set (its message "" for the errors named above).
 */
int container_start(const struct container *c, const struct bind_mount *binds, size_t n_binds, bool ephemeral,
		    struct run_result *res);

/*
 * Stop c: SIGKILL its init, which takes every process of its pid namespace
 * and, with the last of them, every mount; wait until it is gone, then
 * remove its ephemeral layer, if it had one.
 * Returns 0, -ESRCH when it was not running, -EWOULDBLOCK, or -errno.
 */
int container_stop(const struct container *c);

/*
 * Call fn(arg, out) in a child process that is root of the user namespace
 * of mode (the pinned one in mapped mode, a new single-id one otherwise),
 * where files owned by the user's subordinate ids can be made and removed.
 * out (out_size bytes) is shared with the child.  Returns what fn returned
 * (0 or -errno), or -errno when the namespace could not be entered
 * (-ENOENT: mapped mode without setup).
 */
int userns_call(enum container_mode mode, int (*fn)(void *arg, void *out), void *arg, void *out, size_t out_size);

#endif
