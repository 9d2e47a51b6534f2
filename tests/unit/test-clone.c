/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copying a tree through fds (clone_tree), and the rootfs's direct/ephemeral exclusion. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "../../runtime/clone.h"
#include "../../runtime/container.h"
#include "../../runtime/rmtree.h"
#include "../../base/util.h"
#include "harness.h"

static char *make_tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/crossroot-clone.XXXXXX");
	if (!mkdtemp(dir))
		harness_fail(__FILE__, __LINE__, "mkdtemp: %m");
	return dir;
}

static void write_at(int dir, const char *name, const char *text, mode_t mode)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	CHECK(fd >= 0);
	CHECK_INT(write(fd, text, strlen(text)), ==, (long long)strlen(text));
	CHECK_INT(fchmod(fd, mode), ==, 0);
	close(fd);
}

TEST(clone_keeps_links_modes_times_and_xattrs_and_follows_no_symlink)
{
	char *base = make_tmpdir();
	int top = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC), src, dst;
	struct timespec old[2] = { { 1000000000, 5 }, { 1000000000, 7 } };
	struct clone_report report;
	struct stat a, b;
	char target[64], value[32];

	CHECK(top >= 0);
	CHECK_INT(mkdirat(top, "src", 0755), ==, 0);
	CHECK_INT(mkdirat(top, "dst", 0755), ==, 0);
	CHECK_INT(mkdirat(top, "outside", 0755), ==, 0);
	src = openat(top, "src", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dst = openat(top, "dst", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(src >= 0 && dst >= 0);
	write_at(top, "outside/secret", "not to be copied\n", 0644);
	CHECK_INT(mkdirat(src, "d", 0755), ==, 0);
	write_at(src, "d/file", "contents\n", 0640);
	CHECK_INT(linkat(src, "d/file", src, "hard", 0), ==, 0);
	CHECK_INT(symlinkat("../outside", src, "d/out"), ==, 0);
	CHECK_INT(mkfifoat(src, "fifo", 0600), ==, 0);
	CHECK_INT(mkdirat(src, "ro", 0755), ==, 0);
	write_at(src, "ro/inside", "x", 0400);
	CHECK_INT(fchmodat(src, "ro", 0555, 0), ==, 0);
	CHECK_INT(utimensat(src, "d/file", old, 0), ==, 0);
	{
		int fd = openat(src, "d/file", O_RDONLY | O_CLOEXEC);

		CHECK(fd >= 0);
		/* /tmp holds user xattrs on ext4, xfs, btrfs, and tmpfs from Linux 6.6. */
		CHECK_INT(fsetxattr(fd, "user.test", "v1", 2, 0), ==, 0);
		close(fd);
	}

	CHECK_INT(clone_tree(src, dst, &report), ==, 0);
	CHECK_INT(report.files, ==, 2); /* d/file (hard linked as hard), ro/inside */
	CHECK_INT(report.bytes, ==, 10);
	CHECK_INT(fstatat(dst, "d/file", &a, 0), ==, 0);
	CHECK_INT(fstatat(dst, "hard", &b, 0), ==, 0);
	CHECK(a.st_ino == b.st_ino && a.st_nlink == 2);
	CHECK_INT(a.st_mode & 07777, ==, 0640);
	CHECK(a.st_mtim.tv_sec == 1000000000 && a.st_mtim.tv_nsec == 7);
	CHECK_INT(getxattr(strcat(strcpy(target, base), "/dst/d/file"), "user.test", value, sizeof(value)), ==, 2);
	CHECK_INT(readlinkat(dst, "d/out", target, sizeof(target)), ==, 10);
	CHECK_INT(fstatat(dst, "d/out", &a, AT_SYMLINK_NOFOLLOW), ==, 0);
	CHECK(S_ISLNK(a.st_mode));
	CHECK_INT(fstatat(dst, "fifo", &a, AT_SYMLINK_NOFOLLOW), ==, 0);
	CHECK(S_ISFIFO(a.st_mode) && (a.st_mode & 07777) == 0600);
	CHECK_INT(fstatat(dst, "ro", &a, 0), ==, 0);
	CHECK_INT(a.st_mode & 07777, ==, 0555);
	CHECK_INT(faccessat(dst, "outside", F_OK, AT_SYMLINK_NOFOLLOW), ==, -1);
	CHECK_INT(report.devices_skipped.count, ==, 0);

	CHECK_INT(fchmodat(src, "ro", 0755, 0), ==, 0);
	CHECK_INT(fchmodat(dst, "ro", 0755, 0), ==, 0);
	close(src);
	close(dst);
	CHECK_INT(rmtree_at(top, "src"), ==, 0);
	CHECK_INT(rmtree_at(top, "dst"), ==, 0);
	CHECK_INT(rmtree_at(top, "outside"), ==, 0);
	close(top);
	CHECK_INT(rmdir(base), ==, 0);
}

TEST(clone_into_a_non_empty_directory_fails_naming_the_path)
{
	char *base = make_tmpdir();
	int top = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC), src, dst;
	struct clone_report report;

	CHECK_INT(mkdirat(top, "src", 0755), ==, 0);
	CHECK_INT(mkdirat(top, "dst", 0755), ==, 0);
	src = openat(top, "src", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dst = openat(top, "dst", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	write_at(src, "f", "new", 0644);
	write_at(dst, "f", "there already", 0644);
	CHECK_INT(clone_tree(src, dst, &report), ==, -EEXIST);
	CHECK(streq(report.failed, "f"));
	CHECK(streq(report.step, "create"));
	close(src);
	close(dst);
	CHECK_INT(rmtree_at(top, "src"), ==, 0);
	CHECK_INT(rmtree_at(top, "dst"), ==, 0);
	close(top);
	CHECK_INT(rmdir(base), ==, 0);
}

TEST(direct_and_ephemeral_uses_of_a_rootfs_exclude_each_other)
{
	char *base = make_tmpdir(), path[128];
	struct container c = { 0 };
	int direct1, direct2, overlay1, overlay2, go[2], status;
	pid_t pid;

	snprintf(c.dir, sizeof(c.dir), "%s", base);
	direct1 = container_rootfs_use(&c, ROOTFS_DIRECT);
	direct2 = container_rootfs_use(&c, ROOTFS_DIRECT);
	CHECK(direct1 >= 0 && direct2 >= 0);
	CHECK_INT(container_rootfs_use(&c, ROOTFS_OVERLAY), ==, -EBUSY);
	close(direct1);
	CHECK_INT(container_rootfs_use(&c, ROOTFS_OVERLAY), ==, -EBUSY);
	close(direct2);
	overlay1 = container_rootfs_use(&c, ROOTFS_OVERLAY);
	overlay2 = container_rootfs_use(&c, ROOTFS_OVERLAY);
	CHECK(overlay1 >= 0 && overlay2 >= 0);
	CHECK_INT(container_rootfs_use(&c, ROOTFS_DIRECT), ==, -EBUSY);
	close(overlay2);
	/* Inherited by a child (a container's init), the use lasts while the child keeps it. */
	CHECK_INT(pipe(go), ==, 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char byte;

		close(go[1]);
		_exit(read(go[0], &byte, 1) < 0);
	}
	close(go[0]);
	close(overlay1);
	CHECK_INT(container_rootfs_use(&c, ROOTFS_DIRECT), ==, -EBUSY);
	close(go[1]);
	CHECK_INT(waitpid(pid, &status, 0), ==, pid);
	direct1 = container_rootfs_use(&c, ROOTFS_DIRECT);
	CHECK(direct1 >= 0);
	close(direct1);
	snprintf(path, sizeof(path), "%s/lock-rootfs", base);
	CHECK_INT(unlink(path), ==, 0);
	CHECK_INT(rmdir(base), ==, 0);
}
