/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "runtime.h"

#include <cap-ng.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/securebits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/single_threaded.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "config.h"
#include "../bootstrap/rootfs-arch.h"
#include "env.h"
#include "ephemeral.h"
#include "host.h"
#include "init.h"
#include "launch.h"
#include "supervise.h"
#include "syscall-filter.h"
#include "../base/syscalls.h"
#include "userns.h"
#include "../base/util.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3, include/uapi/linux/memfd.h */
#endif

/* The capabilities root keeps with --root: Docker's and Podman's default set. */
static const int build_caps[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE,	   CAP_FOWNER,	   CAP_FSETID,	    CAP_KILL,	 CAP_SETGID, CAP_SETUID,
	CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_AUDIT_WRITE, CAP_SETFCAP, CAP_MKNOD,
};

static int identity_read(struct identity *id)
{
	struct passwd *pw = getpwuid(getuid());
	char source[PATH_MAX + 200];

	memset(id, 0, sizeof(*id));
	id->uid = getuid();
	id->gid = getgid();
	if (!pw)
		return -ENOENT;
	snprintf(id->name, sizeof(id->name), "%s", pw->pw_name);
	snprintf(id->home, sizeof(id->home), "%s", pw->pw_dir ? pw->pw_dir : "/");
	snprintf(id->shell, sizeof(id->shell), "%s", pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
	if (!getcwd(id->cwd, sizeof(id->cwd)))
		snprintf(id->cwd, sizeof(id->cwd), "/");
	if (arch_host_machine(id->machine, sizeof(id->machine)) < 0)
		snprintf(id->machine, sizeof(id->machine), "unknown");
	config_binfmt_mode(0, &id->binfmt_mode, source, sizeof(source), &id->binfmt_err);
	return 0;
}

/*
 * Probe whether this kernel runs 32-bit x86 (arch_is_native() remembers it
 * for the process), here on the host: inside a container an emulator would
 * answer.  A new container's binfmt_misc needs it when i386 is among its
 * arches (an i386 entry or none), and so does an i386 container's
 * personality; other commands do not, and save the probe's fork and exec.
 */
static void probe_x86_32(const struct identity *id)
{
	arch_is_native(arch_lookup("i386"), id->machine);
}

/*
 * The arches a new container's sandboxed binfmt_misc gets entries for, into
 * id->binfmt_arches: the container's own and those its dpkg knows
 * (`dpkg --add-architecture`).  Registering every emulator found took about
 * 2 ms of every run on a stopped container.  Read as the user, inside the
 * rootfs (rootfs_dpkg_arches()); unreadable, the container's own arch is
 * still there.
 */
static void binfmt_arches_read(const struct container *c, struct identity *id)
{
	_cleanup_close_ int rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	const struct arch_info *i386 = arch_lookup("i386");
	uint32_t dpkg = 0;

	if (rootfd < 0 || rootfs_dpkg_arches(rootfd, &dpkg) < 0)
		dpkg = 0;
	id->binfmt_arches = arch_bit(c->arch) | dpkg;
	if (i386 && (id->binfmt_arches & arch_bit(i386)))
		probe_x86_32(id);
}

/* A binfmt mode that could not be read, as crossroot's failure in res.  Returns whether there was one. */
static bool binfmt_mode_failed(const struct identity *id, struct run_result *res)
{
	if (!id->binfmt_err.error)
		return false;
	res->outcome = RUN_FAILED;
	cr_fail_errno(&res->err, id->binfmt_err.error, "%.198s", id->binfmt_err.message);
	return true;
}

static int enter_userns_mode(enum container_mode mode, const char **step)
{
	char pin[128];
	_cleanup_close_ int fd = -EBADF;

	if (mode == CONTAINER_SINGLE) {
		*step = "create a user namespace";
		return userns_unshare_single(0, 0, 0);
	}
	*step = "join the user namespace of crossroot setup";
	if (host_pin_path(getuid(), pin, sizeof(pin)) < 0 || host_setup_done(getuid()) <= 0)
		return -ENOENT;
	fd = open(pin, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWUSER) < 0)
		return -errno;
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	/*
	 * Changing ids made us non-dumpable, and setns(2) into a non-dumpable
	 * process needs CAP_SYS_PTRACE on the host (ptrace_may_access()): the
	 * container's init must stay joinable by its unprivileged owner.
	 */
	if (prctl(PR_SET_DUMPABLE, 1) < 0)
		return -errno;
	return 0;
}

int enter_userns(const struct container *c, struct cr_error *err)
{
	const char *step;
	int r = enter_userns_mode(c->mode, &step);

	return r < 0 ? cr_fail_errno(err, r, "%s", step) : 0;
}

int userns_call(enum container_mode mode, int (*fn)(void *arg, void *out), void *arg, void *out, size_t out_size)
{
	struct {
		int result;
		char out[];
	} * shared;
	size_t size = sizeof(*shared) + out_size;
	const char *step;
	int status, r;
	pid_t pid;

	shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -errno;
	shared->result = -ECHILD;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		munmap(shared, size);
		return r;
	}
	if (pid == 0) {
		pid_t parent = getppid();

		r = enter_userns_mode(mode, &step);
		/* After the id change, which clears it (prctl(2)): our work dies with crossroot. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		shared->result = r < 0 ? r : fn(arg, shared->out);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	r = shared->result;
	if (out)
		memcpy(out, shared->out, out_size);
	munmap(shared, size);
	return r;
}

static void add_env(char **env, size_t *n, size_t max, const char *key, const char *value)
{
	size_t len = strlen(key);

	if (!value || *n + 1 >= max)
		return;
	for (size_t i = 0; i < *n; i++)
		if (!strncmp(env[i], key, len) && env[i][len] == '=') {
			free(env[i]);
			if (asprintf(&env[i], "%s=%s", key, value) < 0)
				env[i] = NULL;
			return;
		}
	if (asprintf(&env[*n], "%s=%s", key, value) >= 0)
		(*n)++;
	env[*n] = NULL;
}

/*
 * Supplementary groups of name in the container's /etc/group, after gid.
 * Returns how many went into groups (at least 1).
 */
static size_t user_groups(const char *name, gid_t gid, gid_t *groups, size_t max)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	size_t n = 0;

	groups[n++] = gid;
	while (f && n < max && (gr = fgetgrent(f)))
		for (char **m = gr->gr_mem; m && *m; m++)
			if (streq(*m, name) && gr->gr_gid != gid) {
				groups[n++] = gr->gr_gid;
				break;
			}
	return n;
}

/*
 * Turn who (the caller) into spec, a user name or uid of the container:
 * its entry in the container's /etc/passwd, read with fgetpwent() because
 * getpwnam() would load NSS modules from the rootfs, of another arch.
 * Returns 0, or -ENOENT for a name that is not there.
 */
static int user_resolve(const char *spec, struct identity *who)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	unsigned long uid;
	bool numeric = parse_ulong(spec, &uid) == 0 && uid < UINT32_MAX;
	struct passwd *pw;

	while (f && (pw = fgetpwent(f)))
		if (numeric ? pw->pw_uid == (uid_t)uid : streq(pw->pw_name, spec)) {
			who->uid = pw->pw_uid;
			who->gid = pw->pw_gid;
			snprintf(who->name, sizeof(who->name), "%s", pw->pw_name);
			snprintf(who->home, sizeof(who->home), "%s", pw->pw_dir && pw->pw_dir[0] ? pw->pw_dir : "/");
			snprintf(who->shell, sizeof(who->shell), "%s",
				 pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
			return 0;
		}
	if (!numeric)
		return -ENOENT;
	who->uid = (uid_t)uid;
	who->gid = 0;
	snprintf(who->name, sizeof(who->name), "%lu", uid);
	snprintf(who->home, sizeof(who->home), "/");
	snprintf(who->shell, sizeof(who->shell), "/bin/sh");
	return 0;
}

/* The environment of the command: crossroot's own variables, the caller's that pass, then req->env. */
static void build_env(char **env, size_t max, const struct exec_request *req, const struct identity *who, bool as_user,
		      const char *home, const char *shell)
{
	size_t n = 0;

	add_env(env, &n, max, "PATH", INSIDE_PATH);
	add_env(env, &n, max, "HOME", home);
	add_env(env, &n, max, "USER", as_user ? who->name : "root");
	add_env(env, &n, max, "LOGNAME", as_user ? who->name : "root");
	add_env(env, &n, max, "SHELL", shell);
	add_env(env, &n, max, "TERM", getenv("TERM"));
	add_env(env, &n, max, "LANG", getenv("LANG"));
	for (char **e = environ; req->inherit_env && *e; e++)
		if (env_inherited(*e)) {
			char key[256];
			const char *eq = strchr(*e, '=');

			if ((size_t)(eq - *e) < sizeof(key)) {
				snprintf(key, sizeof(key), "%.*s", (int)(eq - *e), *e);
				add_env(env, &n, max, key, eq + 1);
			}
		}
	for (char *const *e = req->env; e && *e; e++) {
		char key[256];
		const char *eq = strchr(*e, '=');

		if (eq && (size_t)(eq - *e) < sizeof(key)) {
			snprintf(key, sizeof(key), "%.*s", (int)(eq - *e), *e);
			add_env(env, &n, max, key, eq + 1);
		}
	}
}

/*
 * In the command's process: a session of its own with the terminal at slave
 * as controlling terminal, stdin and stdout (and stderr when with_stderr).
 * Returns 0 or -errno.
 */
static int attach_terminal(const char *slave, bool with_stderr)
{
	_cleanup_close_ int fd = -EBADF;

	if (setsid() < 0)
		return -errno;
	fd = open(slave, O_RDWR);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		return -errno;
	if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 || (with_stderr && dup2(fd, STDERR_FILENO) < 0))
		return -errno;
	/* When one of ours was closed, the terminal landed there: it stays. */
	if (fd <= STDERR_FILENO)
		fd = -EBADF;
	return 0;
}

/* Mark every fd from first on close-on-exec.  Returns 0 or -errno. */
static int cloexec_from(int first)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;

	if (sys_close_range((unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	/* Kernels before 5.11: one by one. */
	d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		unsigned long fd;

		if (parse_ulong(e->d_name, &fd) == 0 && fd >= (unsigned long)first && (int)fd != dirfd(d) &&
		    fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0)
			return -errno;
	}
	return 0;
}

/* The command's process on its way to exec: who it runs as, and on failure the step and the error. */
struct exec_context {
	const struct container *c;
	const struct exec_request *req;
	const struct identity *id;  /* the caller */
	const struct identity *who; /* whom the command runs as: id, or --user's entry */
	bool single, as_user;
	const char *step;
	int error;
};

/* Never returns: report x's failure (MSG_FAILED) on report and exit 125. */
static _noreturn_ void exec_failed(const struct exec_context *x, int report)
{
	struct message msg = { .type = MSG_FAILED, .error = x->error ? x->error : -EPERM };

	snprintf(msg.text, sizeof(msg.text), "%s: %s", x->step, strerror(-msg.error));
	if (write(report, &msg, sizeof(msg)) < 0)
		_exit(125);
	_exit(125);
}

/* No signal blocked, the terminal at pty_slave (if any), the 32-bit personality. Returns false on failure. */
static bool exec_setup_process(struct exec_context *x, const char *pty_slave)
{
	sigset_t none;
	int r;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, 0);
	if (pty_slave) {
		x->step = "open the terminal";
		r = attach_terminal(pty_slave, !x->req->tty_keep_stderr);
		if (r < 0) {
			x->error = r;
			return false;
		}
	}
	/* A 32-bit arch run natively says so: uname -m gives i686, as on a 32-bit kernel. */
	if (x->c->arch->personality32 && arch_is_native(x->c->arch, x->id->machine)) {
		x->step = "set the 32-bit personality";
		if (personality(PER_LINUX32) < 0) {
			x->error = -errno;
			return false;
		}
	}
	return true;
}

/* x->who: the caller, or --user's entry in the container's /etc/passwd. Returns false on failure. */
static bool exec_find_user(struct exec_context *x)
{
	static char user_step[160];
	/* Copied only for --user: 17 kB of fresh pages, each a fault, in every command's process. */
	static struct identity user;
	int r;

	x->who = x->id;
	if (x->req->user) {
		snprintf(user_step, sizeof(user_step), "find user '%.64s' in the container's /etc/passwd",
			 x->req->user);
		x->step = user_step;
		user = *x->id;
		r = x->single || x->req->root ? -EPERM : user_resolve(x->req->user, &user);
		if (r < 0) {
			x->error = r;
			return false;
		}
		x->who = &user;
	}
	return true;
}

/* The seccomp filter, and the capabilities to keep, not applied yet. Returns false on failure. */
static bool exec_prepare_capabilities(struct exec_context *x)
{
	const struct exec_request *req = x->req;
	int r;

	/* Loaded while root of the namespace, so no_new_privs is not needed and sudo keeps working. */
	x->step = "load the seccomp filter";
	r = seccomp_apply(x->single);
	if (r < 0) {
		x->error = r;
		return false;
	}
	x->step = "set the capabilities";
	capng_clear(CAPNG_SELECT_BOTH);
	for (size_t i = 0; i < ARRAY_SIZE(build_caps); i++)
		if ((!x->single || req->root) && !req->isolated)
			capng_update(CAPNG_ADD,
				     CAPNG_BOUNDING_SET |
					     (req->root ? CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE : 0),
				     build_caps[i]);
	return true;
}

/* Become x->who (or root), apply the capabilities; isolated: no_new_privs, no fd of the caller's. */
static bool exec_switch_user(struct exec_context *x)
{
	const struct exec_request *req = x->req;
	int r;

	if (x->as_user) {
		gid_t gid = x->who->gid, groups[32];
		size_t n_groups = req->user ? user_groups(x->who->name, gid, groups, ARRAY_SIZE(groups)) : 1;

		groups[0] = gid;
		if (req->user)
			x->step = "switch to the user (in mapped mode, uids 0-65535 exist)";
		/* The bounding set is what sudo inside can get back; then drop to the user. */
		if (capng_apply(CAPNG_SELECT_BOUNDS) < 0 || setgroups(n_groups, groups) < 0 ||
		    setresgid(gid, gid, gid) < 0 || setresuid(x->who->uid, x->who->uid, x->who->uid) < 0) {
			x->error = -errno ? -errno : -EPERM;
			return false;
		}
		capng_clear(CAPNG_SELECT_CAPS);
		r = capng_apply(CAPNG_SELECT_CAPS) < 0 ? -EPERM : 0;
	} else {
		/* Single mode's namespace denies setgroups (user_namespaces(7)): there is nothing to drop. */
		if ((!x->single && setgroups(0, NULL) < 0) || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			x->error = -errno;
			return false;
		}
		/* Single mode's uid 0 without --root: no capabilities, not even after exec. */
		if (!req->root && prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED) < 0) {
			x->error = -errno;
			return false;
		}
		r = capng_apply(CAPNG_SELECT_BOTH) < 0 ? -EPERM : 0;
	}
	/* Isolated: not even a setuid program inside gets a capability back. */
	if (r == 0 && req->isolated && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = -errno;
	/* Nor any fd the caller left open (a shell's, a CI runner's): they would lead to the host. */
	if (r == 0 && req->isolated) {
		x->step = "close the caller's file descriptors";
		r = cloexec_from(3);
	}
	x->error = r;
	return r >= 0;
}

/* Change to --cwd, else the caller's directory, home or /. Returns false on failure. */
static bool exec_chdir(struct exec_context *x, const char *home)
{
	x->step = "change to the working directory";
	if (x->req->cwd) {
		if (chdir(x->req->cwd) < 0) {
			x->error = -errno;
			return false;
		}
	} else if (chdir(x->id->cwd) < 0 && chdir(home) < 0 && chdir("/") < 0) {
		x->error = -errno;
		return false;
	}
	return true;
}

/* Never returns: exec the command (or the login shell) with its environment; report on exec's failure. */
static _noreturn_ void exec_command(const struct exec_context *x, const char *home, int report)
{
	static char *env[256];
	char shell[PATH_MAX], login_name[PATH_MAX];
	char *shell_argv[] = { login_name, NULL };
	char *const *argv = x->req->argv;
	bool found = false;
	int r;

	snprintf(shell, sizeof(shell), "%s", access(x->who->shell, X_OK) == 0 ? x->who->shell : "/bin/sh");
	build_env(env, ARRAY_SIZE(env), x->req, x->who, x->as_user, home, shell);
	/*
	 * The command dies with crossroot: a CI job that kills `crossroot run`
	 * must not leave it running (on a started container its parent is
	 * crossroot itself).  Set last: changing ids clears it.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!argv) {
		const char *base = strrchr(shell, '/');

		/* A leading '-' in argv[0] makes it a login shell. */
		if (format_buf(login_name, sizeof(login_name), "-%s", base ? base + 1 : shell) < 0)
			snprintf(login_name, sizeof(login_name), "-sh");
		r = exec_search(shell, shell_argv, env, INSIDE_PATH, &found);
	} else {
		const char *path = INSIDE_PATH;

		for (size_t i = 0; env[i]; i++)
			if (!strncmp(env[i], "PATH=", 5))
				path = env[i] + 5;
		r = exec_search(argv[0], argv, env, path, &found);
	}
	{
		struct message msg = { .type = MSG_EXEC_FAILED, .error = r, .found = found };

		if (write(report, &msg, sizeof(msg)) < 0)
			_exit(127);
	}
	_exit(found ? 126 : 127);
}

/* Never returns: in the command's process, become who req says and exec. */
_noreturn_ void command_exec(const struct container *c, const struct exec_request *req, const struct identity *id,
			     const char *pty_slave, int report)
{
	struct exec_context x = {
		.c = c,
		.req = req,
		.id = id,
		.who = id,
		.single = c->mode == CONTAINER_SINGLE,
		.as_user = !req->root && c->mode != CONTAINER_SINGLE,
		.step = "",
	};

	if (!exec_setup_process(&x, pty_slave) || !exec_find_user(&x) || !exec_prepare_capabilities(&x) ||
	    !exec_switch_user(&x) || !exec_chdir(&x, req->root ? "/root" : x.who->home))
		exec_failed(&x, report);
	exec_command(&x, req->root ? "/root" : x.who->home, report);
}

struct command_args {
	const struct container *c;
	const struct exec_request *req;
	const struct identity *id;
	const char *pty_slave;
	int report;
	int close_fd[3];
};

static int command_main(void *arg)
{
	const struct command_args *a = arg;

	for (size_t i = 0; i < ARRAY_SIZE(a->close_fd); i++)
		if (a->close_fd[i] >= 0)
			close(a->close_fd[i]);
	command_exec(a->c, a->req, a->id, a->pty_slave, a->report);
}

/*
 * The child runs on our TLS: libcap-ng's state lives there, and is taken
 * up (its pid the child's) only by the command's process; we never call it.
 * fork(2) took ~0.5 ms here, and the copy-on-write faults after it more
 * (task-clock of a run on a started container 8.7 -> 5.9 ms).  With other
 * threads, glibc's set*id() would make them follow (nptl's setxid
 * broadcast) from the child: then fork it is.
 */
pid_t command_spawn(const struct container *c, const struct exec_request *req, const struct identity *id,
		    const char *pty_slave, int report, const int close_fd[3])
{
	/* Ours only while we are suspended: the child's until it execs. */
	static char stack[256 * 1024] __attribute__((aligned(16)));
	struct command_args args = { c, req, id, pty_slave, report, { close_fd[0], close_fd[1], close_fd[2] } };
	pid_t pid;

	if (__libc_single_threaded)
		pid = clone(command_main, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
	else if ((pid = fork()) == 0)
		command_main(&args);
	return pid < 0 ? -errno : pid;
}

/*
 * Whether c's programs can run: its arch is native, or has a static emulator
 * that mount_binfmt() will find the same way (same $PATH).  Returns 0,
 * -ENOEXEC with res->outcome RUN_NO_EMULATOR and res->emulator saying what
 * was found, or -errno.
 */
static int emulator_check(const struct container *c, struct run_result *res)
{
	char machine[65];
	int r;

	host_machine(machine, sizeof(machine));
	r = emulator_find(c->arch, machine, getenv("PATH"), &res->emulator);
	if (r < 0)
		return r;
	if (res->emulator.status == EMULATOR_FOUND || res->emulator.status == EMULATOR_NATIVE)
		return 0;
	res->outcome = RUN_NO_EMULATOR;
	res->err.error = -ENOEXEC;
	return -ENOEXEC;
}

/* The failure an init or a command's process reported (MSG_FAILED, its text complete) in res. */
static void failed_message(struct run_result *res, const struct message *msg)
{
	res->outcome = RUN_FAILED;
	cr_fail(&res->err, msg->error, "%s", msg->text);
}

/* Read what the command's process reported before exec, if anything. */
static void read_report(int report, struct run_result *res)
{
	struct message msg;

	if (read(report, &msg, sizeof(msg)) != sizeof(msg))
		return;
	if (msg.type == MSG_EXEC_FAILED) {
		res->outcome = RUN_EXEC_FAILED;
		res->err.error = msg.error;
		res->found = msg.found;
	} else if (msg.type == MSG_FAILED)
		failed_message(res, &msg);
}

/* Record crossroot's own failure in res; returns 0, as the result is in res. */
static int failed(struct run_result *res, int error, const char *step)
{
	res->outcome = RUN_FAILED;
	cr_fail_errno(&res->err, error, "%s", step);
	return 0;
}

/*
 * Supervise target until it ends (supervise(); at req's time limit, init is
 * killed, and with it all of the container), put our terminal back when
 * raw (from saved), and record how it ended in res: RUN_TIMED_OUT, or
 * RUN_EXITED with its status and what the command's process reported on
 * report, unless res says RUN_FAILED already.
 */
static void supervise_outcome(int sfd, pid_t target, pid_t init, int master, const struct exec_request *req, bool raw,
			      const struct termios *saved, int report, struct run_result *res)
{
	struct timespec deadline;
	bool timed_out = false;
	int status;

	if (req->timeout) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += req->timeout;
	}
	status = supervise(sfd, target, init, master, req->timeout ? &deadline : NULL, &timed_out);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, saved);
	if (timed_out) {
		res->outcome = RUN_TIMED_OUT;
	} else if (res->outcome != RUN_FAILED) {
		res->outcome = RUN_EXITED;
		res->status = wait_status_code(status);
		read_report(report, res);
	}
}

/* Join c's user namespace (enter_userns()) and unshare new ones for the rest; false with res RUN_FAILED. */
static bool enter_new_namespaces(const struct container *c, struct run_result *res)
{
	if (enter_userns(c, &res->err) < 0) {
		res->outcome = RUN_FAILED;
		return false;
	}
	if (unshare(CONTAINER_NAMESPACES) < 0) {
		failed(res, -errno, "create the container's namespaces");
		return false;
	}
	return true;
}

/* exec_fresh() where crossroot-init cannot run: the init is a fork of crossroot (run_init()). */
static int exec_fresh_forked(const struct container *c, const struct exec_request *req, const struct identity *id,
			     struct ephemeral *eph, int sfd, struct run_result *res)
{
	_cleanup_close_pair_ int sync[2] = { -EBADF, -EBADF }, report[2] = { -EBADF, -EBADF };
	_cleanup_close_ int master = -EBADF;
	int r;
	struct message msg;
	struct termios saved;
	bool raw = false;
	pid_t init;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0)
		return failed(res, -errno, "socketpair");
	if (pipe2(report, O_CLOEXEC) < 0)
		return failed(res, -errno, "pipe");
	if (!enter_new_namespaces(c, res))
		return 0;
	init = fork();
	if (init < 0)
		return failed(res, -errno, "fork the container's init");
	if (init == 0) {
		close(sync[0]);
		close(report[0]);
		close(sfd);
		run_init(c, req, id, eph, sync[1], report[1]);
	}
	sync[1] = safe_close(sync[1]);
	report[1] = safe_close(report[1]);
	r = recv_message(sync[0], &msg, &master);
	if (r == 0 && msg.type == MSG_FAILED)
		failed_message(res, &msg);
	if (r == 0 && msg.type == MSG_READY && req->tty)
		raw = raw_terminal(&saved);
	supervise_outcome(sfd, init, init, master, req, raw, &saved, report[0], res);
	return 0;
}

/*
 * A sealed memfd holding crossroot-init (runtime/reaper.c, embedded by the
 * Makefile), close-on-exec; -ENOEXEC when there is none for this host's
 * arch, or -errno from memfd_create(2): vm.memfd_noexec=2 refuses
 * executable memfds (EACCES), and Linux before 6.3 knows no MFD_EXEC
 * (EINVAL), when a memfd is executable anyway.
 */
static int reaper_memfd(void)
{
	int fd, r;

	if (reaper_blob_size == 0)
		return -ENOEXEC;
	fd = memfd_create("crossroot-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("crossroot-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	r = write_once(fd, reaper_blob, reaper_blob_size);
	if (r == 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

struct reaper_args {
	const struct container *c;
	const struct exec_request *req;
	const struct identity *id;
	struct ephemeral *eph;
	int sync, ready, reaper;
};

static int reaper_main(void *arg)
{
	const struct reaper_args *a = arg;

	setup_reaper(a->c, a->req, a->id, a->eph, a->sync, a->ready, a->reaper);
}

/* Wait for pid, which is ending or was killed; its status is of no interest. */
static void reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * run/enter on a stopped container, or an ephemeral one (on eph's layer).
 * The container's init is set up on our memory while we wait
 * (CLONE_VFORK: no copy of crossroot's address space, whose page-table
 * copy and copy-on-write faults were 2 ms of a run here), and becomes
 * crossroot-init (reaper, a memfd), which only reaps.  The command is then
 * our child in the container's namespaces, as on a started container
 * (exec_join()); when it has ended, the init's SIGKILL ends the rest.
 */
static int exec_fresh_reaper(const struct container *c, const struct exec_request *req, const struct identity *id,
			     struct ephemeral *eph, int sfd, int reaper, struct run_result *res)
{
	_cleanup_close_pair_ int sync[2] = { -EBADF, -EBADF }, ready[2] = { -EBADF, -EBADF },
				 report[2] = { -EBADF, -EBADF };
	_cleanup_close_ int master = -EBADF;
	struct reaper_args args = { c, req, id, eph, -EBADF, -EBADF, reaper };
	const size_t stack_size = 8 << 20, guard = 4096;
	struct termios saved;
	struct message msg;
	bool raw = false;
	char slave[128], byte;
	void *stack;
	pid_t init, cmd;
	ssize_t n;
	int r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0 || pipe2(ready, O_CLOEXEC) < 0 ||
	    pipe2(report, O_CLOEXEC) < 0)
		return failed(res, -errno, "create the channels to the init");
	if (!enter_new_namespaces(c, res))
		return 0;
	/* Its own stack, as deep as a main thread's, with a guard page below. */
	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE,
		     -1, 0);
	if (stack == MAP_FAILED)
		return failed(res, -errno, "allocate the init's stack");
	args.sync = sync[1];
	args.ready = ready[1];
	if (mprotect(stack, guard, PROT_NONE) < 0)
		init = -1;
	else
		init = clone(reaper_main, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
	r = init < 0 ? -errno : 0;
	munmap(stack, stack_size);
	if (r < 0)
		return failed(res, r, "create the container's init");
	sync[1] = safe_close(sync[1]);
	ready[1] = safe_close(ready[1]);
	do
		n = read(ready[0], &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		r = recv_message(sync[0], &msg, NULL);
		if (r == 0 && msg.type == MSG_FAILED)
			failed_message(res, &msg);
		else {
			res->outcome = RUN_FAILED;
			cr_fail(&res->err, -ECHILD, "the container's init ended before it was ready");
		}
		reap(init);
		return 0;
	}
	/* Our root is the container's now; the old tree goes with our working directory. */
	if (chdir("/") < 0) {
		r = failed(res, -errno, "chdir /");
		goto end;
	}
	if (req->tty) {
		master = open_pty(slave, sizeof(slave));
		if (master < 0) {
			r = failed(res, master, "open a terminal inside");
			goto end;
		}
	}
	{
		const int close_fd[3] = { report[0], sfd, master };

		cmd = command_spawn(c, req, id, req->tty ? slave : NULL, report[1], close_fd);
	}
	if (cmd < 0) {
		r = failed(res, cmd, "start the command");
		goto end;
	}
	report[1] = safe_close(report[1]);
	if (req->tty)
		raw = raw_terminal(&saved);
	supervise_outcome(sfd, cmd, init, master, req, raw, &saved, report[0], res);
	r = 0;
end:
	/* SIGKILL of a pid namespace's init kills all of it (pid_namespaces(7)); reaped, nothing of it runs. */
	kill(init, SIGKILL);
	reap(init);
	return r;
}

/* run/enter on a stopped container, or an ephemeral one (on eph's layer). */
static int exec_fresh(const struct container *c, const struct exec_request *req, const struct identity *id,
		      struct ephemeral *eph, int sfd, struct run_result *res)
{
	_cleanup_close_ int reaper = -EBADF;

	/* With other threads, glibc's set*id() in the command's process would make them follow (command_spawn()). */
	if (__libc_single_threaded)
		reaper = reaper_memfd();
	if (reaper < 0)
		return exec_fresh_forked(c, req, id, eph, sfd, res);
	return exec_fresh_reaper(c, req, id, eph, sfd, reaper, res);
}

/* run/enter on a started container: join its init's namespaces and fork the command there. */
static int exec_join(const struct container *c, const struct exec_request *req, const struct identity *id, pid_t pid,
		     int sfd, struct run_result *res)
{
	_cleanup_close_ int pidfd = -EBADF, master = -EBADF;
	_cleanup_close_pair_ int report[2] = { -EBADF, -EBADF };
	char slave[128];
	struct termios saved;
	bool raw = false;
	pid_t cmd;

	if (req->n_binds > 0)
		return failed(res, -EBUSY, "add binds: the container is started; give --bind to start");
	if (req->isolated || req->timeout || req->n_devices)
		return failed(res, -EBUSY, "run isolated or with a time limit: the container is started; stop it");
	pidfd = sys_pidfd_open(pid, 0);
	if (pidfd < 0)
		return failed(res, -errno, "find the container's init");
	/* One call joins all of them, or none (setns(2) with a pidfd, Linux 5.8). */
	if (setns(pidfd, CLONE_NEWUSER | CONTAINER_NAMESPACES) < 0)
		return failed(res, -errno, "join the container's namespaces");
	if ((c->mode == CONTAINER_MAPPED && setgroups(0, NULL) < 0) || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return failed(res, -errno, "become root in the container");
	if (req->tty) {
		master = open_pty(slave, sizeof(slave));
		if (master < 0)
			return failed(res, master, "open a terminal inside");
	}
	if (pipe2(report, O_CLOEXEC) < 0)
		return failed(res, -errno, "pipe");
	{
		const int close_fd[3] = { report[0], sfd, master };

		cmd = command_spawn(c, req, id, req->tty ? slave : NULL, report[1], close_fd);
	}
	if (cmd < 0)
		return failed(res, cmd, "start the command");
	report[1] = safe_close(report[1]);
	if (req->tty)
		raw = raw_terminal(&saved);
	supervise_outcome(sfd, cmd, cmd, master, req, raw, &saved, report[0], res);
	return 0;
}

/* exec_fresh() on a fresh ephemeral layer of c, discarded after. */
static int exec_ephemeral(const struct container *c, const struct exec_request *req, const struct identity *id, int sfd,
			  struct run_result *res)
{
	struct ephemeral eph;
	int r = ephemeral_make(c, &eph);

	if (r < 0)
		return failed(res, r, "make an ephemeral layer in the container's directory");
	r = exec_fresh(c, req, id, &eph, sfd, res);
	/*
	 * We are root of the container's user namespace now (and in its mount
	 * namespace, where the overlay stays mounted until we exit; nothing
	 * runs on it any more): whatever the command made, we may remove.
	 */
	ephemeral_discard(&eph);
	return r;
}

/*
 * A -errno r of container_exec() or container_start() as their result
 * says it: RUN_FAILED, with the detail when one was found.  Returns r.
 */
static int result_error(struct run_result *res, int r)
{
	if (r >= 0 || res->outcome == RUN_NO_EMULATOR)
		return r;
	if (res->outcome != RUN_FAILED)
		cr_clear(&res->err);
	res->outcome = RUN_FAILED;
	if (!res->err.error)
		res->err.error = r;
	return r;
}

/* container_exec(): 0 with any outcome in res, or -errno when c could not even be looked at. */
static int exec_outcome(const struct container *c, const struct exec_request *req, struct run_result *res)
{
	struct container_state state;
	struct identity id;
	_cleanup_close_ int sfd = -EBADF, lock = -EBADF, use = -EBADF;
	bool join;
	int r;

	memset(res, 0, sizeof(*res));
	r = identity_read(&id);
	if (r < 0)
		return r;
	if (binfmt_mode_failed(&id, res))
		return 0;
	r = container_state_read(c, &state);
	if (r < 0)
		return r;
	/* An ephemeral run never joins: it gets a container of its own, on a fresh layer. */
	if (!state.running || req->ephemeral) {
		/* A run on a stopped container uses the rootfs: rm must not remove it meanwhile. */
		lock = container_lock_shared(c);
		if (lock < 0)
			return lock;
		r = container_state_read(c, &state);
		if (r < 0)
			return r;
	}
	join = state.running && !req->ephemeral;
	if (!join)
		binfmt_arches_read(c, &id);
	else if (c->arch->personality32)
		probe_x86_32(&id);
	if (!join) {
		use = container_rootfs_use(c, req->ephemeral ? ROOTFS_OVERLAY : ROOTFS_DIRECT);
		if (use < 0)
			return use;
		/* Layers that a killed crossroot left go now: this is the next use. */
		ephemeral_sweep(c);
	}
	/* A started container has its entries already: the kernel holds their emulators open (flag F). */
	r = join ? 0 : emulator_check(c, res);
	if (r == -ENOEXEC)
		return 0; /* the outcome is in res */
	if (r < 0)
		return r;
	if (req->host_tree && (join || req->ephemeral))
		return failed(res, -EINVAL, "run a host program on a started container or an ephemeral layer");
	sfd = signals_fd(false, req->tty);
	if (sfd < 0)
		return sfd;
	if (join)
		return exec_join(c, req, &id, state.pid, sfd, res);
	return req->ephemeral ? exec_ephemeral(c, req, &id, sfd, res) : exec_fresh(c, req, &id, NULL, sfd, res);
}

/*
 * The socketpair to the init (into sync) and the helper that spawns it
 * (spawn_daemon()), waited for; lock, the container's, stays ours alone.
 * Returns 0 or -errno.
 */
static int start_helper(const struct container *c, const struct identity *id, const struct bind_mount *binds,
			size_t n_binds, struct ephemeral *eph, int lock, int sync[2])
{
	int status;
	pid_t helper;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0)
		return -errno;
	helper = fork();
	if (helper < 0)
		return -errno;
	if (helper == 0) {
		/* The init must not hold the lock: flock(2) locks belong to the open file, shared across fork. */
		close(lock);
		close(sync[0]);
		spawn_daemon(c, id, binds, n_binds, eph, sync[1]);
	}
	sync[1] = safe_close(sync[1]);
	waitpid(helper, &status, 0);
	return 0;
}

/*
 * On sync, after the helper has exited (what it sent is queued): the init's
 * pid and its readiness, in either order, as the init may report before
 * the helper does; record it in the state file and hand over (MSG_COMMIT
 * both ways).  A failure goes into res.  Returns the init's host pid, or -1
 * when none came.
 */
static pid_t start_handshake(const struct container *c, int sync, struct run_result *res)
{
	struct message msg = { 0 }, ready = { 0 };
	pid_t init = -1;
	int r = 0;

	/* Until both came, or nothing more can (the helper failed before making the init). */
	while ((init < 0 || !ready.type) && (r = recv_message(sync, &msg, NULL)) == 0) {
		if (msg.type == MSG_SPAWNED)
			init = msg.error;
		else
			ready = msg;
	}
	if (ready.type == MSG_READY && init > 0) {
		r = container_state_write(c, init);
		if (r < 0)
			failed(res, r, "record the container's state");
		else if (send_message(sync, MSG_COMMIT, 0, NULL, -1) < 0 || recv_message(sync, &msg, NULL) < 0 ||
			 msg.type != MSG_COMMIT)
			failed(res, -EIO, "hand over to the container's init");
	} else if (ready.type == MSG_FAILED)
		failed_message(res, &ready);
	else
		failed(res, r < 0 ? r : -EIO, "start the container's init");
	return init;
}

int container_exec(const struct container *c, const struct exec_request *req, struct run_result *res)
{
	int r = exec_outcome(c, req, res);

	if (r == 0 && res->outcome == RUN_FAILED)
		r = res->err.error < 0 ? res->err.error : -EIO;
	if (r == 0 && res->outcome == RUN_NO_EMULATOR)
		r = -ENOEXEC;
	return result_error(res, r);
}

static int start_container(const struct container *c, const struct bind_mount *binds, size_t n_binds, bool ephemeral,
			   struct run_result *res)
{
	_cleanup_close_ int lock = -EBADF, use = -EBADF;
	struct ephemeral eph = { .parent = -EBADF, .dir = -EBADF, .lock = -EBADF };
	struct container_state state;
	struct identity id;
	_cleanup_close_pair_ int sync[2] = { -EBADF, -EBADF };
	int r, status;
	pid_t init;

	memset(res, 0, sizeof(*res));
	lock = container_lock(c, false);
	if (lock < 0)
		return lock;
	r = container_state_read(c, &state);
	if (r < 0)
		return r;
	if (state.running)
		return -EALREADY;
	r = emulator_check(c, res);
	if (r < 0)
		return r;
	r = identity_read(&id);
	if (r < 0)
		return r;
	if (binfmt_mode_failed(&id, res))
		return -EINVAL;
	binfmt_arches_read(c, &id);
	/* The init inherits both and keeps them until it dies: the rootfs's use and the layer's lock. */
	use = container_rootfs_use(c, ephemeral ? ROOTFS_OVERLAY : ROOTFS_DIRECT);
	if (use < 0)
		return use;
	ephemeral_sweep(c);
	if (ephemeral) {
		r = ephemeral_make(c, &eph);
		if (r < 0) {
			failed(res, r, "make an ephemeral layer in the container's directory");
			return r;
		}
	}
	r = start_helper(c, &id, binds, n_binds, ephemeral ? &eph : NULL, lock, sync);
	if (r < 0) {
		ephemeral_discard(&eph);
		return r;
	}
	init = start_handshake(c, sync[0], res);
	sync[0] = safe_close(sync[0]);
	/* Ours go; the init's copies keep the layer locked while it lives. */
	ephemeral_close(&eph);
	if (res->outcome == RUN_FAILED) {
		if (init > 0) {
			kill(init, SIGKILL);
			waitpid(init, &status, 0);
		}
		container_state_clear(c);
		ephemeral_sweep(c);
		return res->err.error;
	}
	return 0;
}

int container_start(const struct container *c, const struct bind_mount *binds, size_t n_binds, bool ephemeral,
		    struct run_result *res)
{
	return result_error(res, start_container(c, binds, n_binds, ephemeral, res));
}

int container_stop(const struct container *c)
{
	_cleanup_close_ int lock = -EBADF, pidfd = -EBADF;
	struct container_state state;
	unsigned long long before, after;
	struct pollfd pfd;
	int r;

	lock = container_lock(c, false);
	if (lock < 0)
		return lock;
	r = container_state_read(c, &state);
	if (r < 0)
		return r;
	if (!state.running) {
		container_state_clear(c);
		return -ESRCH;
	}
	/* Pin the process, then make sure the pid was not reused in between. */
	if (process_start_time(state.pid, &before) < 0) {
		container_state_clear(c);
		return -ESRCH;
	}
	pidfd = sys_pidfd_open(state.pid, 0);
	if (pidfd < 0 || process_start_time(state.pid, &after) < 0 || after != before) {
		container_state_clear(c);
		return -ESRCH;
	}
	/* SIGKILL to a pid namespace's init kills every process in it (pid_namespaces(7)). */
	if (sys_pidfd_send_signal(pidfd, SIGKILL) < 0 && errno != ESRCH)
		return -errno;
	pfd = (struct pollfd){ .fd = pidfd, .events = POLLIN };
	if (poll(&pfd, 1, 30000) <= 0)
		return -ETIMEDOUT;
	/* The init's files closed before it could be seen gone: an ephemeral layer is unlocked now. */
	ephemeral_sweep(c);
	return container_state_clear(c);
}
