/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "setup.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util.h"

static bool range_holds(const struct subid_range *r, unsigned long id)
{
	return id >= r->start && id - r->start < r->count;
}

/* The first range of the user's that is big enough and does not hold own_id. */
static int choose_range(const char *file, const char *user, uid_t uid, unsigned long own_id, struct subid_range *out,
			char *why, size_t why_size)
{
	struct subid_range ranges[16];
	bool small = false, overlap = false;
	size_t n;
	int r;

	r = subid_lookup(file, user, uid, ranges, ARRAY_SIZE(ranges), &n);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT || n == 0) {
		snprintf(why, why_size,
			 "%s has no range for %s: add one, e.g. usermod --add-subuids "
			 "100000-165535 --add-subgids 100000-165535 %s",
			 file, user, user);
		return -ENOENT;
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
		snprintf(why, why_size, "%s's range in %s holds %s's own id %lu: give %s a range that does not", user,
			 file, user, own_id, user);
		return -EEXIST;
	}
	snprintf(why, why_size,
		 "%s's ranges in %s have fewer than %d ids (Debian uses ids up to 65534): give %s "
		 "a range of %d",
		 user, file, SETUP_MIN_IDS, user, SETUP_MIN_IDS);
	(void)small;
	return -ERANGE;
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
		    char *why, size_t why_size)
{
	struct passwd *pw;
	int r;

	memset(plan, 0, sizeof(*plan));
	why[0] = '\0';
	pw = getpwnam(user);
	if (!pw) {
		snprintf(why, why_size, "no user named '%s' in the password database", user);
		return -ESRCH;
	}
	if (pw->pw_uid == 0) {
		snprintf(why, why_size, "setup is for unprivileged users; root needs none");
		return -EINVAL;
	}
	snprintf(plan->user, sizeof(plan->user), "%s", pw->pw_name);
	plan->uid = pw->pw_uid;
	plan->gid = pw->pw_gid;
	r = choose_range(subuid_file, user, plan->uid, plan->uid, &plan->subuid, why, why_size);
	if (r < 0)
		return r;
	r = choose_range(subgid_file, user, plan->uid, plan->gid, &plan->subgid, why, why_size);
	if (r < 0)
		return r;
	r = build_map(&plan->subuid, plan->uid, plan->uid_map, sizeof(plan->uid_map));
	if (r == 0)
		r = build_map(&plan->subgid, plan->gid, plan->gid_map, sizeof(plan->gid_map));
	return r;
}

/*
 * A helper process parked in a user namespace until *release is written:
 * either a new one it creates as uid:gid, or the one at pin_path it joins.
 * Returns its pid, with *release the write end of its pipe, or -errno.
 */
static pid_t park_child(uid_t uid, gid_t gid, const char *pin_path, int *release)
{
	int ready[2], hold[2];
	char byte = 0;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		pid = -errno;
		goto out;
	}
	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (pin_path) {
			fd = open(pin_path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0)
				_exit(1);
		} else if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0 ||
			   unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		if (write(ready[1], &byte, 1) != 1)
			_exit(1);
		/* Parked until the parent closes its end. */
		close(hold[1]);
		while (read(hold[0], &byte, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	close(hold[0]);
	hold[0] = -1;
	if (read(ready[0], &byte, 1) != 1) {
		int status;

		waitpid(pid, &status, 0);
		pid = -EPERM;
		goto out;
	}
	*release = hold[1];
	hold[1] = -1;
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (hold[i] >= 0)
			close(hold[i]);
	}
	return pid;
}

static void unpark(pid_t pid, int release)
{
	int status;

	close(release);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

int setup_read_map(const char *path, const char *which, char *buf, size_t size)
{
	char proc[64];
	int release = -1;
	pid_t pid;
	ssize_t n;

	pid = park_child(0, 0, path, &release);
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

static int make_run_dir(const struct setup_plan *plan, char *pin, size_t pin_size)
{
	char dir[128];
	struct stat st;
	int fd;

	if (mkdir(CROSSROOT_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(dir, sizeof(dir), CROSSROOT_RUN_DIR "/%u", (unsigned)plan->uid);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* Owner and group both mapped in the namespace, or its root gets EACCES (DESIGN.md fact 5). */
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (chown(dir, plan->uid, plan->gid) < 0 || chmod(dir, 0700) < 0)
		return -errno;
	if (format_buf(pin, pin_size, "%s/userns", dir) < 0)
		return -ENAMETOOLONG;
	fd = open(pin, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int setup_apply(const struct setup_plan *plan, bool *changed)
{
	char pin[160], proc[64], current[512];
	int release = -1, r;
	pid_t pid;

	*changed = false;
	r = make_run_dir(plan, pin, sizeof(pin));
	if (r < 0)
		return r;
	if (host_setup_done(plan->uid) > 0) {
		if (setup_read_map(pin, "uid_map", current, sizeof(current)) == 0 &&
		    maps_equal(current, plan->uid_map) &&
		    setup_read_map(pin, "gid_map", current, sizeof(current)) == 0 && maps_equal(current, plan->gid_map))
			return 0;
		if (umount2(pin, MNT_DETACH) < 0)
			return -errno;
	}
	pid = park_child(plan->uid, plan->gid, NULL, &release);
	if (pid < 0)
		return (int)pid;
	snprintf(proc, sizeof(proc), "/proc/%d/uid_map", (int)pid);
	r = write_file_at(AT_FDCWD, proc, plan->uid_map);
	if (r == 0) {
		snprintf(proc, sizeof(proc), "/proc/%d/gid_map", (int)pid);
		r = write_file_at(AT_FDCWD, proc, plan->gid_map);
	}
	if (r == 0) {
		snprintf(proc, sizeof(proc), "/proc/%d/ns/user", (int)pid);
		if (mount(proc, pin, NULL, MS_BIND, NULL) < 0)
			r = -errno;
	}
	unpark(pid, release);
	if (r == 0)
		*changed = true;
	return r;
}

int setup_teardown(uid_t uid)
{
	char pin[128], dir[128];

	if (format_buf(dir, sizeof(dir), CROSSROOT_RUN_DIR "/%u", (unsigned)uid) < 0 ||
	    format_buf(pin, sizeof(pin), "%s/userns", dir) < 0)
		return -ENAMETOOLONG;
	while (host_setup_done(uid) > 0)
		if (umount2(pin, MNT_DETACH) < 0)
			return -errno;
	if (unlink(pin) < 0 && errno != ENOENT)
		return -errno;
	/* The directory may still hold the user's runtime files; remove it only when empty. */
	if (rmdir(dir) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
		return -errno;
	return 0;
}
