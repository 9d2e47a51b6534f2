/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mounts.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "../base/syscalls.h"
#include "../base/util.h"

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

int bind_mount_parse(char *spec, struct bind_mount *out)
{
	char *dst, *opt;

	memset(out, 0, sizeof(*out));
	out->source = spec;
	dst = strchr(spec, ':');
	if (dst) {
		*dst++ = '\0';
		opt = strchr(dst, ':');
		if (opt) {
			*opt++ = '\0';
			if (!streq(opt, "ro"))
				return -EINVAL;
			out->read_only = true;
		}
	}
	out->target = dst && *dst ? dst : spec;
	if (out->source[0] != '/' || out->target[0] != '/')
		return -EINVAL;
	return 0;
}

static int open_in_root(int rootfd, const char *rel, int flags)
{
	int fd = sys_openat2(rootfd, rel[0] ? rel : ".", flags | O_CLOEXEC, IN_ROOT);

	return fd < 0 ? -errno : fd;
}

static bool same_mount(int a, int b)
{
	unsigned long long ma, mb;

	return fd_mount_id(a, &ma) == 0 && fd_mount_id(b, &mb) == 0 && ma == mb;
}

int path_in_root(int rootfd, const char *path, bool create, bool last_is_file)
{
	char rel[PATH_MAX], *slash;
	int fd;

	while (*path == '/')
		path++;
	if (format_buf(rel, sizeof(rel), "%s", path) < 0)
		return -ENAMETOOLONG;
	fd = open_in_root(rootfd, rel, O_PATH);
	if (fd != -ENOENT || !create)
		return fd;
	/* Create what is missing, one component at a time, each resolved inside the root. */
	for (slash = rel;; slash++) {
		_cleanup_close_ int parent = -EBADF;
		const char *name;
		bool last;

		slash = strchrnul(slash, '/');
		last = !*slash;
		*slash = '\0';
		fd = open_in_root(rootfd, rel, O_PATH);
		if (fd == -ENOENT) {
			char *sep = strrchr(rel, '/');

			name = sep ? sep + 1 : rel;
			if (sep)
				*sep = '\0';
			parent = open_in_root(rootfd, sep ? rel : "", O_PATH | O_DIRECTORY);
			if (sep)
				*sep = '/';
			if (parent < 0)
				return parent;
			/*
			 * Never create anything outside the rootfs's own mount: a
			 * symlink in the rootfs may lead into /proc or into a host
			 * directory bound earlier ($HOME), where root of the
			 * namespace must leave no files behind.
			 */
			if (!same_mount(parent, rootfd))
				return -EXDEV;
			if (last && last_is_file) {
				int f = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
					       0644);

				if (f < 0)
					return -errno;
				close(f);
			} else if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
				return -errno;
			fd = open_in_root(rootfd, rel, O_PATH);
		}
		if (fd < 0 || last)
			return fd;
		close(fd);
		*slash = '/';
	}
}

int write_in_root(int rootfd, const char *path, mode_t mode, const char *text)
{
	return write_bytes_in_root(rootfd, path, mode, text, strlen(text));
}

int write_bytes_in_root(int rootfd, const char *path, mode_t mode, const void *data, size_t len)
{
	_cleanup_close_ int opath = path_in_root(rootfd, path, true, true);
	_cleanup_close_ int fd = -EBADF;
	char proc[64];

	if (opath < 0)
		return opath;
	/* The O_PATH fd was resolved inside the root; reopening it follows nothing else. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", opath);
	fd = open(proc, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, mode) < 0)
		return -errno;
	return write_once(fd, data, len);
}

/* mount(2) onto an O_PATH fd, through its /proc/self/fd magic link (the host's /proc, before pivot_root). */
static int mount_on_fd(const char *source, int fd, const char *fstype, unsigned long flags, const char *data)
{
	char target[64];

	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(source, target, fstype, flags, data) < 0)
		return -errno;
	return 0;
}

/*
 * A detached recursive copy of the host's tree at source (open_tree(2)
 * OPEN_TREE_CLONE), taken before anything is mounted in the rootfs: a later
 * recursive bind of $HOME would otherwise copy the container's own /proc,
 * /sys and /dev mounts too, when the rootfs lives under $HOME.
 */
struct tree {
	int fd;
	bool is_dir;
	bool read_only;
	const char *source, *target;
};

static int clone_tree(const char *source, const char *target, bool read_only, struct tree *t, struct cr_error *err)
{
	struct stat st;

	t->fd = -EBADF;
	t->source = source;
	t->target = target;
	t->read_only = read_only;
	if (stat(source, &st) < 0)
		return cr_fail_errno(err, -errno, "bind %.64s", source);
	t->is_dir = S_ISDIR(st.st_mode);
	t->fd = sys_open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (t->fd < 0)
		return cr_fail_errno(err, -errno, "copy the mount tree of %.64s", source);
	if (read_only) {
		struct mount_attr_arg attr = { .attr_set = MOUNT_ATTR_RDONLY };

		if (sys_mount_setattr(t->fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) < 0)
			return cr_fail_errno(err, -errno, "make %.64s read-only", target);
	}
	return 0;
}

/* Attach a cloned tree at its target inside the root (created like the source: file or directory). */
static int attach_tree(int rootfd, struct tree *t, struct cr_error *err)
{
	_cleanup_close_ int fd = path_in_root(rootfd, t->target, true, !t->is_dir);

	if (fd == -EXDEV)
		return cr_fail_errno(err, fd,
				     "bind %.64s: %.64s is missing and lies in another mount (a bound host directory): "
				     "create it first",
				     t->source, t->target);
	if (fd < 0)
		return cr_fail_errno(err, fd, "bind %.64s: target %.64s in the rootfs", t->source, t->target);
	if (sys_move_mount(t->fd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cr_fail_errno(err, -errno, "bind %.64s on %.64s", t->source, t->target);
	return 0;
}

static void close_trees(struct tree *trees, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (trees[i].fd >= 0)
			close(trees[i].fd);
}

static int mount_proc(int rootfd, struct cr_error *err)
{
	_cleanup_close_ int fd = path_in_root(rootfd, "proc", true, false);
	int r;

	if (fd < 0)
		return cr_fail_errno(err, fd, "/proc in the rootfs");
	/* A new instance needs the mounter to own its pid namespace (doc/design.md fact 5). */
	r = mount_on_fd("proc", fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r == -EPERM || r == -EACCES)
		r = mount_on_fd("/proc", fd, NULL, MS_BIND | MS_REC, NULL);
	return r < 0 ? cr_fail_errno(err, r, "mount /proc") : 0;
}

/*
 * Host mode: the host-wide entry root registered for the container's arch
 * runs its programs (exec(2) walks up to the nearest instance).  Its
 * interpreter is bound read-only at its path inside, so that nothing
 * installed in the container can replace it (an F entry's kernel-held file
 * would run anyway; one without F opens that path).
 */
static int use_host_entry(int rootfd, const struct mount_config *cfg, struct cr_error *err)
{
	_cleanup_close_ int dirfd = -EBADF;
	struct binfmt_entry entry;
	struct tree t = { .fd = -EBADF };
	int r;

	if (!cfg->arch || arch_is_native(cfg->arch, cfg->host_machine))
		return 0;
	dirfd = binfmt_host_open();
	r = dirfd < 0 ? 0 : binfmt_find_claimant(dirfd, cfg->arch, NULL, &entry);
	if (r < 0)
		return cr_fail_errno(err, r, "read the host's binfmt entries");
	if (r == 0)
		return cr_fail_errno(err, -ENOEXEC,
				     "no host binfmt entry runs %s programs (binfmt mode %s): root must run "
				     "'crossroot binfmt register'",
				     cfg->arch->name, binfmt_mode_name(cfg->binfmt_mode));
	r = clone_tree(entry.interpreter, entry.interpreter, true, &t, err);
	if (r == 0)
		r = attach_tree(rootfd, &t, err);
	if (t.fd >= 0)
		close(t.fd);
	return r;
}

static int mount_binfmt(int rootfd, const struct mount_config *cfg, struct cr_error *err)
{
	struct binfmt_result results[ARCH_COUNT_MAX];
	_cleanup_close_ int mnt = -EBADF, target = -EBADF;
	size_t n;
	int r;

	if (cfg->binfmt_mode == BINFMT_MODE_HOST)
		return use_host_entry(rootfd, cfg, err);
	mnt = binfmt_sandbox_mount();
	/* Kernels before 6.7 refuse the mount (EPERM): auto falls back to the host's entries. */
	if (mnt < 0 && cfg->binfmt_mode == BINFMT_MODE_AUTO && (mnt == -EPERM || mnt == -EACCES))
		return use_host_entry(rootfd, cfg, err);
	if (mnt < 0)
		return cr_fail_errno(err, mnt, "mount a sandboxed binfmt_misc");
	/* C only here, where it cannot reach beyond the user's namespace. */
	r = binfmt_register_arches(mnt, cfg->host_machine, cfg->emulator_search_path, BINFMT_FLAG_CREDENTIALS, false,
				   cfg->binfmt_arches ? cfg->binfmt_arches : UINT32_MAX, results, &n);
	if (r < 0)
		return cr_fail_errno(err, r, "register the emulators");
	for (size_t i = 0; i < n; i++)
		if (results[i].outcome == BINFMT_FAILED)
			return cr_fail_errno(err, results[i].error, "register the %s emulator", results[i].arch->name);
	/* Attached inside, the mount (and with it the entries) lives exactly as long as the container. */
	target = path_in_root(rootfd, "proc/sys/fs/binfmt_misc", false, false);
	if (target < 0)
		return cr_fail_errno(err, target, "/proc/sys/fs/binfmt_misc inside");
	if (sys_move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cr_fail_errno(err, -errno, "attach binfmt_misc inside");
	return 0;
}

/* Bind the host's node path ("/dev/NAME") onto an empty file NAME in dev. */
static int bind_node(int dev, const char *path, struct cr_error *err)
{
	const char *name = path + strlen("/dev/");
	_cleanup_close_ int node = -EBADF;
	int f, r;

	if (strncmp(path, "/dev/", 5) || !*name || strchr(name, '/') || name[0] == '.')
		return cr_fail_errno(err, -EINVAL, "bind %.64s: not a name directly in /dev", path);
	f = openat(dev, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (f < 0)
		return cr_fail_errno(err, -errno, "create %.64s", path);
	close(f);
	node = openat(dev, name, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	r = node < 0 ? -errno : mount_on_fd(path, node, NULL, MS_BIND, NULL);
	return r < 0 ? cr_fail_errno(err, r, "bind %.64s", path) : 0;
}

static int mount_dev(int rootfd, const struct mount_config *cfg, struct cr_error *err)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = {
		{ "ptmx", "pts/ptmx" },		 { "fd", "/proc/self/fd" },	  { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
	};
	_cleanup_close_ int fd = path_in_root(rootfd, "dev", true, false);
	_cleanup_close_ int dev = -EBADF;
	int r;

	if (fd < 0)
		return cr_fail_errno(err, fd, "/dev in the rootfs");
	r = mount_on_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536k");
	if (r < 0)
		return cr_fail_errno(err, r, "mount a tmpfs on /dev");
	dev = open_in_root(rootfd, "dev", O_DIRECTORY | O_RDONLY);
	if (dev < 0)
		return cr_fail_errno(err, dev, "open the new /dev");
	/* No mknod is possible in a user namespace: bind the host's nodes onto empty files. */
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		char host[32];

		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		r = bind_node(dev, host, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < cfg->n_devices; i++) {
		/* One of the nodes above is there already. */
		if (!strncmp(cfg->devices[i], "/dev/", 5) &&
		    faccessat(dev, cfg->devices[i] + 5, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		r = bind_node(dev, cfg->devices[i], err);
		if (r < 0)
			return r;
	}
	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0)
		return cr_fail_errno(err, -errno, "create /dev/pts and /dev/shm");
	{
		_cleanup_close_ int pts = openat(dev, "pts", O_PATH | O_CLOEXEC | O_NOFOLLOW);
		_cleanup_close_ int shm = openat(dev, "shm", O_PATH | O_CLOEXEC | O_NOFOLLOW);

		/* A devpts of the container's own: ptys made inside exist inside. gid 5 is "tty" in Debian. */
		r = mount_on_fd("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC,
				cfg->mapped ? "newinstance,ptmxmode=0666,mode=0620,gid=5"
					    : "newinstance,ptmxmode=0666,mode=0620");
		if (r < 0)
			return cr_fail_errno(err, r, "mount devpts on /dev/pts");
		r = mount_on_fd("tmpfs", shm, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
		if (r < 0)
			return cr_fail_errno(err, r, "mount a tmpfs on /dev/shm");
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			return cr_fail_errno(err, -errno, "link /dev/%s", links[i][0]);
	return 0;
}

/* Whether the passwd/group text has an entry with this name or id (field 3). */
static bool has_entry(const char *text, const char *name, unsigned long id)
{
	size_t len = strlen(name);

	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *f3 = line;

		if (!strncmp(line, name, len) && line[len] == ':')
			return true;
		for (int i = 0; i < 2 && f3; i++)
			f3 = strchr(f3, ':') ? strchr(f3, ':') + 1 : NULL;
		if (f3 && strtoul(f3, NULL, 10) == id && *f3 != ':')
			return true;
	}
	return false;
}

/* Append line to file inside the root unless an entry of that name or id is there; no file, no entry. */
static int add_entry(int rootfd, const char *file, const char *name, unsigned long id, const char *line)
{
	char text[65536];
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	ssize_t n;

	fd = open_in_root(rootfd, file, O_RDWR | O_NOFOLLOW);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* Only the rootfs's own files: not one a symlink leads to elsewhere. */
	if (!S_ISREG(st.st_mode) || !same_mount(fd, rootfd))
		return -EINVAL;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	if (has_entry(text, name, id))
		return 0;
	if (lseek(fd, 0, SEEK_END) < 0)
		return -errno;
	if (n > 0 && text[n - 1] != '\n' && write(fd, "\n", 1) != 1)
		return -errno;
	return write_once(fd, line, strlen(line));
}

static int add_user(int rootfd, const struct mount_config *cfg, struct cr_error *err)
{
	char line[512];
	int r;

	_cleanup_close_ int shell = path_in_root(rootfd, cfg->user_shell, false, false);

	/* The host's login shell may not exist inside (bash in a minimal rootfs). */
	snprintf(line, sizeof(line), "%s:x:%u:%u::%s:%s\n", cfg->user_name, (unsigned)cfg->user_uid,
		 (unsigned)cfg->user_gid, cfg->home ? cfg->home : "/", shell >= 0 ? cfg->user_shell : "/bin/sh");
	r = add_entry(rootfd, "etc/passwd", cfg->user_name, cfg->user_uid, line);
	if (r < 0)
		return cr_fail_errno(err, r, "add %s to /etc/passwd", cfg->user_name);
	snprintf(line, sizeof(line), "%s:x:%u:\n", cfg->user_name, (unsigned)cfg->user_gid);
	r = add_entry(rootfd, "etc/group", cfg->user_name, cfg->user_gid, line);
	if (r < 0)
		return cr_fail_errno(err, r, "add %s to /etc/group", cfg->user_name);
	/*
	 * pam_unix's account check (sudo, su) wants a shadow entry for an "x"
	 * password; '*' means no password login, and no ageing.  Field 3 of a
	 * shadow line is no id, hence an id no line can have.
	 */
	snprintf(line, sizeof(line), "%s:*:19000:0:99999:7:::\n", cfg->user_name);
	r = add_entry(rootfd, "etc/shadow", cfg->user_name, ULONG_MAX, line);
	return r < 0 ? cr_fail_errno(err, r, "add %s to /etc/shadow", cfg->user_name) : 0;
}

/* The container's hostname resolves, as Debian's installer makes it: "127.0.1.1 NAME" in /etc/hosts. */
static int add_hosts_entry(int rootfd, const char *hostname, struct cr_error *err)
{
	char text[65536], line[128];
	_cleanup_close_ int fd = open_in_root(rootfd, "etc/hosts", O_RDWR | O_NOFOLLOW);
	struct stat st;
	ssize_t n;
	size_t len = strlen(hostname);

	if (fd == -ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !same_mount(fd, rootfd))
		return 0; /* not a file of the rootfs's own to edit */
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0)
		return cr_fail_errno(err, -errno, "read /etc/hosts");
	text[n] = '\0';
	for (const char *p = strstr(text, hostname); p; p = strstr(p + 1, hostname))
		if ((p == text || strchr(" \t", p[-1])) && strchr(" \t\n", p[len]))
			return 0;
	snprintf(line, sizeof(line), "%s127.0.1.1\t%s\n", n > 0 && text[n - 1] != '\n' ? "\n" : "", hostname);
	if (lseek(fd, 0, SEEK_END) < 0 || write_once(fd, line, strlen(line)) < 0)
		return cr_fail_errno(err, -errno, "add %s to /etc/hosts", hostname);
	return 0;
}

/*
 * Switch root through file descriptors (pivot_root(2), "pivot_root(".", ".")"
 * in NOTES): the old root ends up stacked on the new one at "/", is made a
 * slave so its unmount never propagates to the host, and is detached.
 */
static int switch_root(int rootfd, struct cr_error *err)
{
	if (fchdir(rootfd) < 0)
		return cr_fail_errno(err, -errno, "chdir to the rootfs");
	if (sys_pivot_root(".", ".") < 0)
		return cr_fail_errno(err, -errno, "pivot_root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return cr_fail_errno(err, -errno, "make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return cr_fail_errno(err, -errno, "detach the old root");
	if (chdir("/") < 0)
		return cr_fail_errno(err, -errno, "chdir /");
	return 0;
}

/*
 * host_tree: stay on the host's tree, the rootfs ready at its path, and
 * show the rootfs's /etc and /root at the host's (a host tool working on
 * the rootfs by path, dpkg --root, then reads the rootfs's settings, users
 * and groups, as the rootfs's own would).  Missing ones stay the host's.
 */
static int show_rootfs_settings(int rootfd, struct cr_error *err)
{
	static const char *const dirs[] = { "/etc", "/root" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_close_ int from = open_in_root(rootfd, dirs[i] + 1, O_PATH | O_DIRECTORY);
		_cleanup_close_ int onto = -EBADF;
		char source[64];
		int r;

		if (from == -ENOENT)
			continue;
		if (from < 0)
			return cr_fail_errno(err, from, "open the rootfs's %s", dirs[i]);
		onto = openat(AT_FDCWD, dirs[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (onto < 0)
			return cr_fail_errno(err, -errno, "open the host's %s", dirs[i]);
		snprintf(source, sizeof(source), "/proc/self/fd/%d", from);
		r = mount_on_fd(source, onto, NULL, MS_BIND, NULL);
		if (r < 0)
			return cr_fail_errno(err, r, "show the rootfs's %s at the host's", dirs[i]);
	}
	return chdir("/") < 0 ? cr_fail_errno(err, -errno, "chdir /") : 0;
}

/*
 * The rootfs seen through an overlayfs in the caller's user namespace
 * (ephemeral.h says why each option), mounted on the rootfs's own path.
 * The layers are named by /proc/self/fd/N of fds opened without following
 * links: no path of the user's is parsed by overlayfs, whose option syntax
 * a ',' or ':' in $HOME would break.
 */
static int mount_overlay(const char *rootfs, int layer_fd, const char *layer_path, struct cr_error *err)
{
	_cleanup_close_ int lower = open(rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int layer = -EBADF, upper = -EBADF, work = -EBADF;
	struct timespec times[2];
	struct stat st, want;
	char data[160];
	int r;

	/*
	 * overlayfs takes private clones of its layers' mounts, only of mounts
	 * in the mounter's namespace (clone_private_mount()): the fd made on
	 * the host will not do, its path opened here must be the same directory.
	 */
	layer = open(layer_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (layer < 0 || fstat(layer, &st) < 0 || fstat(layer_fd, &want) < 0)
		return cr_fail_errno(err, -errno, "open the ephemeral layer");
	if (st.st_dev != want.st_dev || st.st_ino != want.st_ino)
		return cr_fail_errno(err, -ESTALE, "open the ephemeral layer (it was replaced)");
	upper = openat(layer, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	work = openat(layer, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lower < 0 || upper < 0 || work < 0 || fstat(lower, &st) < 0)
		return cr_fail_errno(err, -errno, "open the rootfs and its ephemeral layer");
	/* The merged / shows the upper root's attributes (overlayfs.rst "Directories"): the rootfs's own. */
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (fchown(upper, st.st_uid, st.st_gid) < 0 || fchmod(upper, st.st_mode & 07777) < 0 ||
	    futimens(upper, times) < 0)
		return cr_fail_errno(err, -errno, "give the ephemeral layer the rootfs's owner and mode");
	snprintf(data, sizeof(data),
		 "lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d,userxattr", lower, upper,
		 work);
	r = mount_on_fd("overlay", lower, "overlay", 0, data);
	if (r < 0)
		return cr_fail_errno(
			err, r,
			"mount the ephemeral overlay (its upper layer needs a filesystem overlayfs can write: "
			"ext4, xfs, btrfs; not NFS or overlayfs)");
	return 0;
}

/* Clone every host tree the container gets: /sys, $HOME, /var/tmp, the user's binds, resolv.conf. */
static int clone_trees(const struct mount_config *cfg, struct tree *trees, size_t *n, struct cr_error *err)
{
	int r;

	*n = 0;
	r = clone_tree("/sys", "/sys", false, &trees[(*n)++], err);
	if (r == 0 && cfg->home && !cfg->isolated)
		r = clone_tree(cfg->home, cfg->home, false, &trees[(*n)++], err);
	if (r == 0 && !cfg->isolated)
		r = clone_tree("/var/tmp", "/var/tmp", false, &trees[(*n)++], err);
	for (size_t i = 0; r == 0 && i < cfg->n_binds; i++)
		r = clone_tree(cfg->binds[i].source, cfg->binds[i].target, cfg->binds[i].read_only, &trees[(*n)++],
			       err);
	if (r < 0)
		return r;
	/* apt needs the host's resolver; a host without one simply goes without. */
	if (clone_tree("/etc/resolv.conf", "/etc/resolv.conf", false, &trees[*n], NULL) == 0)
		(*n)++;
	else if (trees[*n].fd >= 0)
		close(trees[*n].fd);
	return 0;
}

int mount_container(const struct mount_config *cfg, struct cr_error *err)
{
	_cleanup_close_ int rootfd = -EBADF;
	struct tree trees[MOUNT_MAX_BINDS + 5];
	size_t n_trees = 0;
	int r;

	memset(err, 0, sizeof(*err));
	if (cfg->n_binds > MOUNT_MAX_BINDS)
		return cr_fail_errno(err, -E2BIG, "too many binds");
	/* Nothing done below may propagate back to the host (systemd makes / shared). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return cr_fail_errno(err, -errno, "make / private");
	r = clone_trees(cfg, trees, &n_trees, err);
	/* pivot_root needs the new root to be a mount point. */
	if (r == 0 && cfg->ephemeral)
		r = mount_overlay(cfg->rootfs, cfg->ephemeral_dir, cfg->ephemeral_path, err);
	else if (r == 0 && mount(cfg->rootfs, cfg->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		r = cr_fail_errno(err, -errno, "bind the rootfs %.64s", cfg->rootfs);
	if (r == 0) {
		rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			r = cr_fail_errno(err, -errno, "open the rootfs");
	}
	/* The rootfs's own files first, before any host directory is bound into it. */
	if (r == 0 && cfg->user_name)
		r = add_user(rootfd, cfg, err);
	if (r == 0 && cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		r = cr_fail_errno(err, -errno, "set the hostname");
	if (r == 0 && cfg->hostname)
		r = add_hosts_entry(rootfd, cfg->hostname, err);
	if (r == 0)
		r = mount_proc(rootfd, err);
	if (r == 0 && cfg->sandboxed_binfmt)
		r = mount_binfmt(rootfd, cfg, err);
	if (r == 0)
		r = mount_dev(rootfd, cfg, err);
	/* Host trees last, in order, so that a bind inside $HOME lands on $HOME's mount. */
	for (size_t i = 0; r == 0 && i < n_trees; i++) {
		bool optional = streq(trees[i].source, "/etc/resolv.conf");

		/* A rootfs whose resolv.conf cannot take a bind (a dangling link) goes without. */
		r = attach_tree(rootfd, &trees[i], optional ? NULL : err);
		if (optional)
			r = 0;
	}
	close_trees(trees, n_trees);
	if (r < 0)
		return r;
	return cfg->host_tree ? show_rootfs_settings(rootfd, err) : switch_root(rootfd, err);
}
