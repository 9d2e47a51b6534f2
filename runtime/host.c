/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "host.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "../base/util.h"

int host_kernel_version(struct kernel_version *out)
{
	struct utsname u;

	memset(out, 0, sizeof(*out));
	if (uname(&u) < 0)
		return -errno;
	snprintf(out->release, sizeof(out->release), "%s", u.release);
	if (sscanf(u.release, "%u.%u.%u", &out->major, &out->minor, &out->patch) < 2)
		return -EINVAL;
	return 0;
}

bool kernel_at_least(const struct kernel_version *v, unsigned major, unsigned minor)
{
	return v->major > major || (v->major == major && v->minor >= minor);
}

int host_userns_probe(void)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) < 0 ? (errno & 0xff) : 0);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

int host_userns_root_probe(void)
{
	int status, r;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char map[64];

		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)geteuid());
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(errno & 0xff);
		r = write_file_at(AT_FDCWD, "/proc/self/setgroups", "deny");
		if (r == 0)
			r = write_file_at(AT_FDCWD, "/proc/self/uid_map", map);
		_exit(-r & 0xff);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

int host_sysctl_read(const char *name, long *value)
{
	char path[256], text[64], *end;
	ssize_t n;

	if (format_buf(path, sizeof(path), "/proc/sys/%s", name) < 0)
		return -ENAMETOOLONG;
	n = read_file_at(AT_FDCWD, path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	errno = 0;
	*value = strtol(text, &end, 10);
	if (errno || end == text)
		return -EINVAL;
	return 0;
}

int subid_lookup(const char *file, const char *user, unsigned long id, struct subid_range *ranges, size_t max,
		 size_t *n)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[512];
	char idstr[32];

	*n = 0;
	snprintf(idstr, sizeof(idstr), "%lu", id);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *owner = strtok(line, ":\n");
		char *start = strtok(NULL, ":\n");
		char *count = strtok(NULL, ":\n");
		struct subid_range r;

		if (!owner || !start || !count || owner[0] == '#')
			continue;
		if (!streq(owner, idstr) && !(user && streq(owner, user)))
			continue;
		if (parse_ulong(start, &r.start) < 0 || parse_ulong(count, &r.count) < 0 || r.count == 0)
			continue;
		if (*n < max)
			ranges[(*n)++] = r;
	}
	return 0;
}

int host_pin_path(uid_t uid, char *buf, size_t size)
{
	return format_buf(buf, size, CROSSROOT_PIN_DIR "/%u", (unsigned)uid) < 0 ? -ENAMETOOLONG : 0;
}

int host_setup_done(uid_t uid)
{
	_cleanup_close_ int fd = -EBADF;
	char path[128];
	struct statfs sfs;

	if (host_pin_path(uid, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == EACCES || errno == ENOTDIR || errno == ELOOP ? 0 : -errno;
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	return sfs.f_type == NSFS_MAGIC;
}
