/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Removing a tree without leaving it, and resolving paths inside a root. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "../../runtime/mounts.h"
#include "../../runtime/rmtree.h"
#include "../../base/util.h"
#include "harness.h"

static char *make_tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/crossroot-rmtree.XXXXXX");
	if (!mkdtemp(dir))
		harness_fail(__FILE__, __LINE__, "mkdtemp: %m");
	return dir;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	CHECK(fd >= 0);
	CHECK_INT(write(fd, text, strlen(text)), ==, (long long)strlen(text));
	close(fd);
}

TEST(rmtree_removes_links_not_their_targets_and_opens_locked_dirs)
{
	char *base = make_tmpdir();
	char path[512], outside[128];
	int fd;

	snprintf(outside, sizeof(outside), "%s/outside", base);
	CHECK_INT(mkdir(outside, 0755), ==, 0);
	snprintf(path, sizeof(path), "%s/keep", outside);
	write_file(path, "keep");
	snprintf(path, sizeof(path), "%s/tree", base);
	CHECK_INT(mkdir(path, 0755), ==, 0);
	snprintf(path, sizeof(path), "%s/tree/link", base);
	CHECK_INT(symlink(outside, path), ==, 0);
	snprintf(path, sizeof(path), "%s/tree/locked", base);
	CHECK_INT(mkdir(path, 0755), ==, 0);
	snprintf(path, sizeof(path), "%s/tree/locked/f", base);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/tree/locked", base);
	CHECK_INT(chmod(path, 0), ==, 0);

	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK_INT(rmtree_at(fd, "tree"), ==, 0);
	snprintf(path, sizeof(path), "%s/tree", base);
	CHECK_INT(access(path, F_OK), ==, -1);
	snprintf(path, sizeof(path), "%s/keep", outside);
	CHECK_INT(access(path, F_OK), ==, 0);
	CHECK_INT(rmtree_at(fd, "outside"), ==, 0);
	close(fd);
	CHECK_INT(rmdir(base), ==, 0);
}

TEST(rmtree_stops_at_a_mount_point)
{
	char *base = make_tmpdir();
	char path[256];
	int fd;

	harness_enter_userns();
	snprintf(path, sizeof(path), "%s/tree", base);
	CHECK_INT(mkdir(path, 0755), ==, 0);
	snprintf(path, sizeof(path), "%s/tree/mnt", base);
	CHECK_INT(mkdir(path, 0755), ==, 0);
	CHECK_INT(mount("tmpfs", path, "tmpfs", 0, NULL), ==, 0);
	snprintf(path, sizeof(path), "%s/tree/mnt/precious", base);
	write_file(path, "x");
	fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK_INT(rmtree_at(fd, "tree"), ==, -EBUSY);
	CHECK_INT(access(path, F_OK), ==, 0);
	snprintf(path, sizeof(path), "%s/tree/mnt", base);
	CHECK_INT(umount2(path, 0), ==, 0);
	CHECK_INT(rmtree_at(fd, "tree"), ==, 0);
	close(fd);
	CHECK_INT(rmdir(base), ==, 0);
}

TEST(paths_resolve_inside_the_root_and_nothing_is_created_across_mounts)
{
	char *root = make_tmpdir();
	char path[256];
	struct stat st;
	int rootfd, fd;

	harness_enter_userns();
	/* The root is a mount of its own, as the rootfs is after its bind. */
	CHECK_INT(mount(root, root, NULL, MS_BIND, NULL), ==, 0);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(rootfd >= 0);
	/* An absolute symlink is followed inside the root, not on the host. */
	snprintf(path, sizeof(path), "%s/target", root);
	CHECK_INT(mkdir(path, 0755), ==, 0);
	snprintf(path, sizeof(path), "%s/etc", root);
	CHECK_INT(symlink("/target", path), ==, 0);
	fd = path_in_root(rootfd, "/etc/passwd", true, true);
	CHECK(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/target/passwd", root);
	CHECK_INT(stat(path, &st), ==, 0);
	CHECK(S_ISREG(st.st_mode));
	/* A directory of another mount inside the root: nothing is created there. */
	snprintf(path, sizeof(path), "%s/other", root);
	CHECK_INT(mkdir(path, 0755), ==, 0);
	CHECK_INT(mount("tmpfs", path, "tmpfs", 0, NULL), ==, 0);
	CHECK_INT(path_in_root(rootfd, "/other/new/dir", true, false), ==, -EXDEV);
	snprintf(path, sizeof(path), "%s/other/new", root);
	CHECK_INT(access(path, F_OK), ==, -1);
	/* What exists there still resolves. */
	CHECK_INT(mkdir(path, 0755), ==, 0);
	fd = path_in_root(rootfd, "/other/new", false, false);
	CHECK(fd >= 0);
	close(fd);
	/* ".." never climbs out: this is the root's /etc/passwd (target/passwd), not the host's. */
	fd = path_in_root(rootfd, "/../../../etc/passwd", false, false);
	CHECK(fd >= 0);
	CHECK_INT(fstat(fd, &st), ==, 0);
	CHECK_INT(st.st_size, ==, 0);
	close(fd);
	/* A dangling link is no place to create anything. */
	snprintf(path, sizeof(path), "%s/dangling", root);
	CHECK_INT(symlink("/nowhere", path), ==, 0);
	CHECK_INT(path_in_root(rootfd, "/dangling/x", true, true), ==, -ENOENT);
	close(rootfd);
	snprintf(path, sizeof(path), "%s/other", root);
	CHECK_INT(umount2(path, 0), ==, 0);
	CHECK_INT(umount2(root, 0), ==, 0);
	fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK_INT(rmtree_at(fd, root + strlen("/tmp/")), ==, 0);
	close(fd);
}
