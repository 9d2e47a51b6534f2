/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "setup.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "../base/syscalls.h"
#include "../base/util.h"

static bool range_holds(const struct subid_range *r, unsigned long id)
{
	return id >= r->start && id - r->start < r->count;
}

/* The first range of the user's that is big enough and does not hold own_id. */
static int choose_range(const char *file, const char *user, uid_t uid, unsigned long own_id, struct subid_range *out,
			struct cr_error *err)
{
	struct subid_range ranges[16];
	bool small = false, overlap = false;
	size_t n;
	int r;

	r = subid_lookup(file, user, uid, ranges, ARRAY_SIZE(ranges), &n);
	if (r < 0 && r != -ENOENT)
		return cr_fail_errno(err, r, "%s", file);
	if (r == -ENOENT || n == 0) {
		return cr_fail(err, -ENOENT,
			       "%s has no range for %s: add one, e.g. usermod --add-subuids "
			       "100000-165535 --add-subgids 100000-165535 %s",
			       file, user, user);
	}
	for (size_t i = 0; i < n; i++) {
		if (ranges[i].count < SETUP_MIN_IDS)
			small = true;
		else if (range_holds(&ranges[i], own_id))
			overlap = true;
		else {
			*out = ranges[i];
			return 0;
		}
	}
	if (overlap) {
		return cr_fail(err, -EEXIST, "%s's range in %s holds %s's own id %lu: give %s a range that does not",
			       user, file, user, own_id, user);
	}
	(void)small;
	return cr_fail(err, -ERANGE,
		       "%s's ranges in %s have fewer than %d ids (Debian uses ids up to 65534): give %s "
		       "a range of %d",
		       user, file, SETUP_MIN_IDS, user, SETUP_MIN_IDS);
}

/* Inside 0..count-1 to the range, except own_id, which maps to itself. */
static int build_map(const struct subid_range *r, unsigned long own, char *buf, size_t size)
{
	if (own >= r->count)
		return format_buf(buf, size, "0 %lu %lu\n%lu %lu 1\n", r->start, r->count, own, own);
	if (own == 0)
		return format_buf(buf, size, "0 0 1\n1 %lu %lu\n", r->start + 1, r->count - 1);
	return format_buf(buf, size, "0 %lu %lu\n%lu %lu 1\n%lu %lu %lu\n", r->start, own, own, own, own + 1,
			  r->start + own + 1, r->count - own - 1);
}

int setup_plan_user(const char *user, const char *subuid_file, const char *subgid_file, struct setup_plan *plan,
		    struct cr_error *err)
{
	struct passwd *pw;
	unsigned long id;
	int r;

	memset(plan, 0, sizeof(*plan));
	cr_clear(err);
	pw = getpwnam(user);
	/* subuid(5): a line may name the user by uid. */
	if (!pw && user[0] && strspn(user, "0123456789") == strlen(user) && parse_ulong(user, &id) == 0 &&
	    id < (unsigned long)(uid_t)-1)
		pw = getpwuid((uid_t)id);
	if (!pw) {
		return cr_fail(err, -ESRCH, "no user named '%s' in the password database", user);
	}
	if (pw->pw_uid == 0) {
		return cr_fail(err, -EINVAL, "setup is for unprivileged users; root needs none");
	}
	snprintf(plan->user, sizeof(plan->user), "%s", pw->pw_name);
	plan->uid = pw->pw_uid;
	plan->gid = pw->pw_gid;
	r = choose_range(subuid_file, plan->user, plan->uid, plan->uid, &plan->subuid, err);
	if (r < 0)
		return r;
	r = choose_range(subgid_file, plan->user, plan->uid, plan->gid, &plan->subgid, err);
	if (r < 0)
		return r;
	r = build_map(&plan->subuid, plan->uid, plan->uid_map, sizeof(plan->uid_map));
	if (r == 0)
		r = build_map(&plan->subgid, plan->gid, plan->gid_map, sizeof(plan->gid_map));
	return r < 0 ? cr_fail_errno(err, r, "the id maps") : 0;
}

/* 0 when fd has input (or EOF) within timeout_ms, -ETIMEDOUT, or -errno. */
static int poll_in(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	/* EINTR restarts the full wait: setup installs no signal handlers. */
	while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

/*
 * How long a helper may take to report that it is parked.  The user whose
 * namespace it is in may signal it (it runs as the user, or in a namespace
 * the user owns, where the user holds CAP_KILL), so root never waits on it
 * unbounded: a helper stopped with SIGSTOP costs at most this, then fails.
 */
#define PARK_READY_TIMEOUT_MS 5000

/*
 * A helper process parked in a user namespace until unpark(): either a new
 * one it creates as uid:gid (userns_fd < 0), or the one userns_fd refers to,
 * which it joins.  Returns its pid, with *release the write end of its pipe,
 * or -errno: -ETIMEDOUT it did not report within PARK_READY_TIMEOUT_MS (it
 * is killed and reaped), -EPERM it could not enter the namespace.
 */
static pid_t park_child(uid_t uid, gid_t gid, int userns_fd, int *release)
{
	_cleanup_close_ int ready_r = -EBADF, ready_w = -EBADF, hold_r = -EBADF, hold_w = -EBADF;
	int fds[2], status, r;
	char byte = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	ready_r = fds[0];
	ready_w = fds[1];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	hold_r = fds[0];
	hold_w = fds[1];
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/*
		 * Never ptrace-able by the user, whatever fs.suid_dumpable says: the
		 * kernel makes it non-dumpable on the id change, this makes it so
		 * before (prctl(2) PR_SET_DUMPABLE).
		 */
		prctl(PR_SET_DUMPABLE, 0);
		if (userns_fd >= 0) {
			if (setns(userns_fd, CLONE_NEWUSER) < 0)
				_exit(1);
		} else if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0 ||
			   unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		if (write(ready_w, &byte, 1) != 1)
			_exit(1);
		/* Parked until the parent closes its end. */
		close(hold_w);
		while (read(hold_r, &byte, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(steal_fd(ready_w));
	r = poll_in(ready_r, PARK_READY_TIMEOUT_MS);
	if (r == 0 && read(ready_r, &byte, 1) != 1)
		r = -EPERM;
	if (r < 0) {
		/* SIGKILL ends it even when stopped; never wait on a live helper. */
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return r;
	}
	*release = steal_fd(hold_w);
	return pid;
}

/*
 * End a parked helper.  It is killed, not asked: a helper the user stopped
 * would never read the closed pipe, and waitpid() would wait forever.
 */
static void unpark(pid_t pid, int release)
{
	int status;

	close(release);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* The uid_map or gid_map (which) of the user namespace userns_fd refers to. */
static int read_map(int userns_fd, const char *which, char *buf, size_t size)
{
	char proc[64];
	int release = -1;
	pid_t pid;
	ssize_t n;

	pid = park_child(0, 0, userns_fd, &release);
	if (pid < 0)
		return (int)pid;
	snprintf(proc, sizeof(proc), "/proc/%d/%s", (int)pid, which);
	n = read_file_at(AT_FDCWD, proc, buf, size);
	unpark(pid, release);
	return n < 0 ? (int)n : 0;
}

/* The kernel prints maps as "%10u %10u %10u"; compare field by field. */
static bool maps_equal(const char *kernel, const char *planned)
{
	unsigned long a[3], b[3];
	int ka, kb;

	for (;;) {
		int na = sscanf(kernel, "%lu %lu %lu%n", &a[0], &a[1], &a[2], &ka);
		int nb = sscanf(planned, "%lu %lu %lu%n", &b[0], &b[1], &b[2], &kb);

		if (na != 3 || nb != 3)
			return na < 3 && nb < 3 && na <= 0 && nb <= 0;
		if (memcmp(a, b, sizeof(a)) != 0)
			return false;
		kernel += ka;
		planned += kb;
	}
}

/*
 * parent/name as a directory only root can change: created 0755 when
 * missing, opened O_PATH without following any symlink, and refused
 * (-EPERM) unless it belongs to root and nobody else may write to it.
 * Returns the fd or -errno.
 */
static int open_root_dir(int parent, const char *name, bool create)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	if (create && mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = sys_openat2(parent, name, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_uid != 0 || (st.st_mode & 022))
		return -EPERM;
	return steal_fd(fd);
}

/* CROSSROOT_PIN_DIR, each step checked by open_root_dir(). */
static int open_pin_dir(bool create)
{
	_cleanup_close_ int run = -EBADF, top = -EBADF;

	run = open_root_dir(AT_FDCWD, "/run", false);
	if (run < 0)
		return run;
	top = open_root_dir(run, "crossroot", create);
	if (top < 0)
		return top;
	return open_root_dir(top, "pins", create);
}

/*
 * What is at pins/name: 1 a namespace pinned there, 0 crossroot's empty pin
 * file (root-owned, regular, empty), -ENOENT nothing, -EEXIST anything else.  Opened O_PATH|O_NOFOLLOW, so a
 * FIFO or device is looked at, never opened.
 */
static int pin_state(int pins, const char *name)
{
	_cleanup_close_ int fd = -EBADF;
	struct statfs sfs;
	struct stat st;

	fd = openat(pins, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (sfs.f_type == NSFS_MAGIC)
		return 1;
	return S_ISREG(st.st_mode) && st.st_uid == 0 && st.st_nlink == 1 && st.st_size == 0 ? 0 : -EEXIST;
}

/*
 * Detach the namespace mounted on pins/name.  umount2(2) has no *at form:
 * the path goes through the pins directory's fd (a magic link root holds),
 * and UMOUNT_NOFOLLOW keeps the last component from being followed.
 */
static int pin_unmount(int pins, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pins, name);
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* Whether the namespace pinned at pins/name has the planned maps. */
static bool pin_has_maps(int pins, const char *name, const struct setup_plan *plan)
{
	_cleanup_close_ int fd = openat(pins, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char current[512];

	return fd >= 0 && read_map(fd, "uid_map", current, sizeof(current)) == 0 &&
	       maps_equal(current, plan->uid_map) && read_map(fd, "gid_map", current, sizeof(current)) == 0 &&
	       maps_equal(current, plan->gid_map);
}

/*
 * Bind the user namespace of pid onto the empty pin file pins/name: a
 * detached copy of /proc/PID/ns/user (open_tree(2)) moved onto an O_PATH
 * fd of the file (move_mount(2)), so no path is looked up at mount time.
 */
static int pin_mount(int pins, const char *name, pid_t pid)
{
	_cleanup_close_ int tree = -EBADF, target = -EBADF;
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/%d/ns/user", (int)pid);
	tree = sys_open_tree(AT_FDCWD, proc, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	target = openat(pins, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return -errno;
	if (sys_move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* A new namespace for plan, its maps written by root, pinned at pins/name. */
static int pin_new_namespace(const struct setup_plan *plan, int pins, const char *name)
{
	char proc[64];
	int release = -1, r;
	pid_t pid;

	pid = park_child(plan->uid, plan->gid, -1, &release);
	if (pid < 0)
		return (int)pid;
	snprintf(proc, sizeof(proc), "/proc/%d/uid_map", (int)pid);
	r = write_file_at(AT_FDCWD, proc, plan->uid_map);
	if (r == 0) {
		snprintf(proc, sizeof(proc), "/proc/%d/gid_map", (int)pid);
		r = write_file_at(AT_FDCWD, proc, plan->gid_map);
	}
	if (r == 0)
		r = pin_mount(pins, name, pid);
	unpark(pid, release);
	return r;
}

int setup_apply(const struct setup_plan *plan, bool *changed)
{
	_cleanup_close_ int pins = -EBADF;
	char name[16];
	int state, fd, r;

	*changed = false;
	pins = open_pin_dir(true);
	if (pins < 0)
		return pins;
	snprintf(name, sizeof(name), "%u", (unsigned)plan->uid);
	state = pin_state(pins, name);
	if (state == 1) {
		if (pin_has_maps(pins, name, plan))
			return 0;
		/* Other maps: release the old namespace (running containers keep it). */
		while ((state = pin_state(pins, name)) == 1)
			if ((r = pin_unmount(pins, name)) < 0)
				return r;
	}
	if (state == -ENOENT) {
		/* O_NONBLOCK: even if something appeared in between, open(2) never waits on it. */
		fd = openat(pins, name, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0444);
		if (fd < 0)
			return -errno;
		close(fd);
		state = pin_state(pins, name);
	}
	if (state < 0)
		return state;
	r = pin_new_namespace(plan, pins, name);
	if (r == 0)
		*changed = true;
	return r;
}

int setup_teardown(uid_t uid)
{
	_cleanup_close_ int pins = -EBADF;
	char name[16];
	int state, r;
	bool pinned = false;

	pins = open_pin_dir(false);
	if (pins == -ENOENT)
		return 0;
	if (pins < 0)
		return pins;
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	while ((state = pin_state(pins, name)) == 1) {
		if ((r = pin_unmount(pins, name)) < 0)
			return r;
		pinned = true;
	}
	if (state == -ENOENT)
		return pinned;
	if (state < 0)
		return state;
	if (unlinkat(pins, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return pinned;
}
