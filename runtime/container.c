/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "container.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "../base/syscalls.h"
#include "../base/util.h"

int container_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > CONTAINER_NAME_MAX || name[0] == '-' || name[0] == '.')
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return -EINVAL;
	return 0;
}

int container_base_dir(char *buf, size_t size)
{
	return xdg_user_dir("XDG_DATA_HOME", ".local/share", "crossroot/containers", buf, size);
}

int container_init(struct container *c, const char *name)
{
	char base[PATH_MAX];
	int r;

	memset(c, 0, sizeof(*c));
	r = container_name_valid(name);
	if (r < 0)
		return r;
	snprintf(c->name, sizeof(c->name), "%s", name);
	r = container_base_dir(base, sizeof(base));
	if (r < 0)
		return r;
	r = format_buf(c->dir, sizeof(c->dir), "%s/%s", base, name);
	if (r < 0)
		return r;
	return format_buf(c->rootfs, sizeof(c->rootfs), "%s/rootfs", c->dir);
}

int container_names(char *first, size_t first_size, char *list, size_t list_size)
{
	struct dirent **names = NULL;
	char base[PATH_MAX];
	size_t used = 0;
	int n, count = 0, r;

	first[0] = list[0] = '\0';
	r = container_base_dir(base, sizeof(base));
	if (r < 0)
		return r;
	n = scandir(base, &names, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct container c;

		if (names[i]->d_name[0] != '.' && container_load(names[i]->d_name, &c) == 0) {
			if (!count++)
				snprintf(first, first_size, "%s", c.name);
			if (used < list_size)
				used += (size_t)snprintf(list + used, list_size - used, "%s%s", used ? ", " : "",
							 c.name);
		}
		free(names[i]);
	}
	free(names);
	return count;
}

static int config_path(const struct container *c, const char *file, char *buf, size_t size)
{
	return format_buf(buf, size, "%s/%s", c->dir, file);
}

int container_load(const char *name, struct container *c)
{
	char path[PATH_MAX], text[4096];
	bool have_arch = false;
	ssize_t n;
	int r;

	r = container_init(c, name);
	if (r < 0)
		return r;
	r = config_path(c, "config", path, sizeof(path));
	if (r < 0)
		return r;
	n = read_file_at(AT_FDCWD, path, text, sizeof(text));
	if (n < 0)
		return n == -ENOTDIR ? -ENOENT : (int)n;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (streq(line, "arch")) {
			c->arch = arch_lookup(eq + 1);
			have_arch = c->arch != NULL;
		} else if (streq(line, "mode"))
			c->mode = streq(eq + 1, "mapped") ? CONTAINER_MAPPED : CONTAINER_SINGLE;
		else if (streq(line, "suite"))
			snprintf(c->suite, sizeof(c->suite), "%s", eq + 1);
	}
	return have_arch ? 0 : -EINVAL;
}

/* Write text to dir/file through a temporary file and rename(2), so readers see all or nothing. */
static int write_atomic(const struct container *c, const char *file, const char *text)
{
	char path[PATH_MAX];

	if (config_path(c, file, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	return write_file_atomic(path, text, 0644);
}

int container_save_config(const struct container *c)
{
	char text[512];

	/* One value per line: a value with a newline would add keys of its own. */
	if (strpbrk(c->suite, "\n\r"))
		return -EINVAL;
	if (format_buf(text, sizeof(text), "arch=%s\nmode=%s\nsuite=%s\n", c->arch->name,
		       c->mode == CONTAINER_MAPPED ? "mapped" : "single", c->suite) < 0)
		return -ENAMETOOLONG;
	return write_atomic(c, "config", text);
}

static int lock_file(const struct container *c, const char *name, int operation)
{
	char path[PATH_MAX];

	if (config_path(c, name, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	return flock_file(path, operation);
}

int container_lock_shared(const struct container *c)
{
	return lock_file(c, "lock", LOCK_SH | LOCK_NB);
}

int container_lock(const struct container *c, bool wait)
{
	return lock_file(c, "lock", LOCK_EX | (wait ? 0 : LOCK_NB));
}

int container_rootfs_use(const struct container *c, enum rootfs_use use)
{
	struct flock own = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = use, .l_len = 1 };
	struct flock other = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = !use, .l_len = 1 };
	_cleanup_close_ int fd = -EBADF;
	char path[PATH_MAX];

	if (config_path(c, "lock-rootfs", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* Read locks only: this never waits.  F_OFD_GETLK tests the other byte without taking it. */
	if (fcntl(fd, F_OFD_SETLKW, &own) < 0 || fcntl(fd, F_OFD_GETLK, &other) < 0)
		return -errno;
	return other.l_type == F_UNLCK ? steal_fd(fd) : -EBUSY;
}

int process_start_time(pid_t pid, unsigned long long *out)
{
	char path[64], text[1024], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_file_at(AT_FDCWD, path, text, sizeof(text));
	if (n < 0)
		return (int)n;
	/* The command name may hold spaces and ')': fields start after the last ')'. */
	p = strrchr(text, ')');
	if (!p)
		return -EINVAL;
	/* A zombie (Z) or a dying task (X) is no running container init. */
	if (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
		return -ESRCH;
	/* Field 3 (state) follows; starttime is field 22. */
	for (int field = 2; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	return sscanf(p + 1, "%llu", out) == 1 ? 0 : -EINVAL;
}

static int boot_id(char *buf, size_t size)
{
	ssize_t n = read_file_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", buf, size);

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int container_state_read(const struct container *c, struct container_state *out)
{
	char path[PATH_MAX], text[256], id[64], want_id[64];
	unsigned long long start, now_start;
	int pid;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (config_path(c, "state", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	n = read_file_at(AT_FDCWD, path, text, sizeof(text));
	if (n == -ENOENT)
		return 0;
	if (n < 0)
		return (int)n;
	if (sscanf(text, "%d %llu %63s", &pid, &start, id) != 3 || pid <= 0)
		return 0;
	if (boot_id(want_id, sizeof(want_id)) < 0 || !streq(id, want_id))
		return 0;
	if (process_start_time(pid, &now_start) < 0 || now_start != start)
		return 0;
	out->running = true;
	out->pid = pid;
	return 0;
}

int container_state_write(const struct container *c, pid_t pid)
{
	char text[256], id[64];
	unsigned long long start;
	int r;

	r = process_start_time(pid, &start);
	if (r < 0)
		return r;
	r = boot_id(id, sizeof(id));
	if (r < 0)
		return r;
	snprintf(text, sizeof(text), "%d %llu %s\n", (int)pid, start, id);
	return write_atomic(c, "state", text);
}

int container_state_clear(const struct container *c)
{
	char path[PATH_MAX];

	if (config_path(c, "state", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

FILE *container_fopen(const struct container *c, const char *path)
{
	_cleanup_close_ int root = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd, saved;
	FILE *f;

	if (root < 0)
		return NULL;
	fd = sys_openat2(root, path, O_RDONLY | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return f;
}
