/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Telling a rootfs's architecture from its /bin/sh and dpkg database, never from the host's files. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../../bootstrap/rootfs-arch.h"
#include "../../runtime/rmtree.h"
#include "../../base/util.h"
#include "harness.h"

static char base[64];
static int rootfd = -EBADF;

/* A new rootfs with bin/, var/lib/dpkg/ and bin/busybox, an arm64 program (the payload). */
static void make_rootfs(void)
{
	char payload[PATH_MAX], head[4096];
	int in, out;
	ssize_t n;

	snprintf(payload, sizeof(payload), "%s/payload-arm64", harness_payload_dir());
	in = open(payload, O_RDONLY | O_CLOEXEC);
	CHECK(in >= 0);
	n = read(in, head, sizeof(head));
	CHECK(n > 64);
	close(in);
	snprintf(base, sizeof(base), "/tmp/crossroot-rootfs-arch.XXXXXX");
	if (!mkdtemp(base))
		harness_fail(__FILE__, __LINE__, "mkdtemp: %m");
	rootfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(rootfd >= 0);
	CHECK_INT(mkdirat(rootfd, "bin", 0755), ==, 0);
	snprintf(payload, sizeof(payload), "%s/var/lib/dpkg", base);
	CHECK_INT(mkdir_p(payload, 0755), ==, 0);
	out = openat(rootfd, "bin/busybox", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	CHECK(out >= 0);
	CHECK_INT(write(out, head, (size_t)n), ==, n);
	close(out);
}

static void remove_rootfs(void)
{
	int parent = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	CHECK_INT(rmtree_at(parent, base + strlen("/tmp/")), ==, 0);
	close(parent);
	close(rootfd);
}

static void put_file(const char *path, const char *text)
{
	int fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	CHECK(fd >= 0);
	CHECK_INT(write(fd, text, strlen(text)), ==, (long long)strlen(text));
	close(fd);
}

static void set_shell(const char *target)
{
	unlinkat(rootfd, "bin/sh", 0);
	CHECK_INT(symlinkat(target, rootfd, "bin/sh"), ==, 0);
}

TEST(absolute_and_escaping_shell_links_resolve_inside_the_rootfs)
{
	const struct arch_info *arm64 = arch_lookup("arm64"), *armhf = arch_lookup("armhf");
	static const char *const inside[] = { "busybox", "/bin/busybox", "../../../../../bin/busybox" };
	struct rootfs_arch found;

	make_rootfs();
	for (size_t i = 0; i < ARRAY_SIZE(inside); i++) {
		set_shell(inside[i]);
		CHECK_INT(rootfs_arch_probe(rootfd, &found), ==, 0);
		CHECK(found.elf_arch == arm64);
		CHECK_INT(found.elf_machine, ==, arm64->elf_machine);
		CHECK_INT(rootfs_arch_check(&found, arm64), ==, ROOTFS_ARCH_MATCH);
		CHECK_INT(rootfs_arch_check(&found, armhf), ==, ROOTFS_ARCH_ELF_MISMATCH);
	}
	/* The host's own shell and crossroot itself exist, but not in this rootfs. */
	set_shell("/proc/self/exe");
	CHECK_INT(rootfs_arch_probe(rootfd, &found), ==, 0);
	CHECK_INT(found.elf_len, ==, 0);
	CHECK_INT(rootfs_arch_check(&found, arm64), ==, ROOTFS_ARCH_UNKNOWN);
	set_shell("/usr/bin/env");
	CHECK_INT(rootfs_arch_probe(rootfd, &found), ==, 0);
	CHECK_INT(found.elf_len, ==, 0);
	remove_rootfs();
}

TEST(dpkg_says_the_native_architecture)
{
	const struct arch_info *arm64 = arch_lookup("arm64"), *armel = arch_lookup("armel");
	struct rootfs_arch found;

	make_rootfs();
	put_file("var/lib/dpkg/arch", "armel\narm64\n");
	CHECK_INT(rootfs_arch_probe(rootfd, &found), ==, 0);
	CHECK(streq(found.dpkg_arch, "armel") && streq(found.dpkg_source, "/var/lib/dpkg/arch"));
	CHECK_INT(rootfs_arch_check(&found, armel), ==, ROOTFS_ARCH_MATCH);
	put_file("var/lib/dpkg/arch-native", "arm64\n");
	CHECK_INT(rootfs_arch_probe(rootfd, &found), ==, 0);
	CHECK(streq(found.dpkg_arch, "arm64") && streq(found.dpkg_source, "/var/lib/dpkg/arch-native"));
	put_file("var/lib/dpkg/status", "Package: libc6\nArchitecture: armhf\n\n"
					"Package: dpkg\nStatus: install ok installed\nArchitecture: armel\n\n");
	CHECK_INT(rootfs_arch_probe(rootfd, &found), ==, 0);
	CHECK(streq(found.dpkg_arch, "armel") && streq(found.dpkg_source, "/var/lib/dpkg/status"));
	CHECK_INT(rootfs_arch_check(&found, armel), ==, ROOTFS_ARCH_MATCH);
	CHECK_INT(rootfs_arch_check(&found, arm64), ==, ROOTFS_ARCH_DPKG_MISMATCH);
	/* With an arm64 /bin/sh, the ELF header is wrong for armel before dpkg is asked. */
	set_shell("busybox");
	CHECK_INT(rootfs_arch_probe(rootfd, &found), ==, 0);
	CHECK_INT(rootfs_arch_check(&found, armel), ==, ROOTFS_ARCH_ELF_MISMATCH);
	CHECK_INT(rootfs_arch_check(&found, arm64), ==, ROOTFS_ARCH_DPKG_MISMATCH);
	remove_rootfs();
}

TEST(a_fifo_or_directory_named_sh_is_no_shell)
{
	struct rootfs_arch found;

	make_rootfs();
	CHECK_INT(mkfifoat(rootfd, "bin/sh", 0644), ==, 0);
	CHECK_INT(rootfs_arch_probe(rootfd, &found), ==, 0);
	CHECK_INT(found.elf_len, ==, 0);
	CHECK_INT(unlinkat(rootfd, "bin/sh", 0), ==, 0);
	CHECK_INT(mkdirat(rootfd, "bin/sh", 0755), ==, 0);
	CHECK_INT(rootfs_arch_probe(rootfd, &found), ==, 0);
	CHECK_INT(found.elf_len, ==, 0);
	remove_rootfs();
}

/* The arches dpkg knows, for a container's binfmt entries: every known name in /var/lib/dpkg/arch, inside the rootfs.
 */
TEST(dpkg_arches_are_every_known_name_in_its_arch_file)
{
	uint32_t arches = 1;

	make_rootfs();
	CHECK_INT(rootfs_dpkg_arches(rootfd, &arches), ==, 0);
	CHECK_INT(arches, ==, 0);
	put_file("var/lib/dpkg/arch", "arm64\narmhf\nnosucharch\ni386\n");
	CHECK_INT(rootfs_dpkg_arches(rootfd, &arches), ==, 0);
	CHECK_INT(arches, ==,
		  arch_bit(arch_lookup("arm64")) | arch_bit(arch_lookup("armhf")) | arch_bit(arch_lookup("i386")));
	/* An absolute symlink leads to the rootfs's file, never the host's. */
	CHECK_INT(unlinkat(rootfd, "var/lib/dpkg/arch", 0), ==, 0);
	put_file("var/lib/dpkg/s390x", "s390x\n");
	CHECK_INT(symlinkat("/var/lib/dpkg/s390x", rootfd, "var/lib/dpkg/arch"), ==, 0);
	CHECK_INT(rootfs_dpkg_arches(rootfd, &arches), ==, 0);
	CHECK_INT(arches, ==, arch_bit(arch_lookup("s390x")));
	remove_rootfs();
}
