/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Emulator discovery on the real host, and with the system directories hidden. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../binfmt/emulator.h"
#include "../../base/util.h"
#include "harness.h"

static int static_of(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		harness_fail(__FILE__, __LINE__, "%s: %m", path);
	return elf_is_static(fd);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	_cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ssize_t n;

	if (in < 0 || out < 0)
		harness_fail(__FILE__, __LINE__, "copying %s to %s: %m", from, to);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			harness_fail(__FILE__, __LINE__, "writing %s: %m", to);
}

static char *make_tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/crossroot-test.XXXXXX");
	if (!mkdtemp(dir))
		harness_fail(__FILE__, __LINE__, "mkdtemp: %m");
	return dir;
}

TEST(static_and_dynamic_elf_files_are_told_apart)
{
	char path[512];

	CHECK_INT(static_of("/usr/bin/qemu-aarch64-static"), ==, 1);
	CHECK_INT(static_of("/bin/true"), ==, 0);
	CHECK_INT(static_of("/etc/passwd"), ==, -ENOEXEC);
	snprintf(path, sizeof(path), "%s/payload-amd64", harness_payload_dir());
	CHECK_INT(static_of(path), ==, 1);
	/* Big-endian: not an ELF file this host could run as an emulator. */
	snprintf(path, sizeof(path), "%s/payload-s390x", harness_payload_dir());
	CHECK_INT(static_of(path), ==, -ENOEXEC);
}

TEST(debian_emulators_are_found_with_their_binfmt_P_wrapper)
{
	struct emulator emu;

	CHECK_INT(emulator_find(arch_lookup("arm64"), "x86_64", NULL, &emu), ==, 0);
	CHECK_INT(emu.status, ==, EMULATOR_FOUND);
	CHECK_STR(emu.path, "/usr/bin/qemu-aarch64-static");
	CHECK(emu.preserve_argv0);
	CHECK_STR(emu.interpreter, EMULATOR_LIBEXEC_DIR "/aarch64-binfmt-P");
	CHECK_STR(emu.rejected, "");

	CHECK_INT(emulator_find(arch_lookup("armel"), "x86_64", NULL, &emu), ==, 0);
	CHECK_STR(emu.path, "/usr/bin/qemu-arm-static");
}

TEST(native_arches_need_no_emulator)
{
	struct emulator emu;

	CHECK_INT(emulator_find(arch_lookup("amd64"), "x86_64", NULL, &emu), ==, 0);
	CHECK_INT(emu.status, ==, EMULATOR_NATIVE);
	/* i386 only where this kernel runs 32-bit x86 programs; else qemu-i386 runs them. */
	CHECK_INT(emulator_find(arch_lookup("i386"), "x86_64", NULL, &emu), ==, 0);
	CHECK_INT(emu.status, ==, arch_is_native(arch_lookup("i386"), "x86_64") ? EMULATOR_NATIVE : EMULATOR_FOUND);
	/* On an arm64 host, amd64 is the foreign one. */
	CHECK_INT(emulator_find(arch_lookup("amd64"), "aarch64", NULL, &emu), ==, 0);
	CHECK_INT(emu.status, ==, EMULATOR_FOUND);
	CHECK_STR(emu.path, "/usr/bin/qemu-x86_64-static");
}

TEST(search_path_comes_first_and_dynamic_candidates_are_passed_over)
{
	char *dir = make_tmpdir();
	char path[256], search[512];
	struct emulator emu;

	snprintf(path, sizeof(path), "%s/qemu-aarch64-static", dir);
	copy_file("/bin/true", path, 0755);
	snprintf(search, sizeof(search), "/nonexistent::%s", dir);
	CHECK_INT(emulator_find(arch_lookup("arm64"), "x86_64", search, &emu), ==, 0);
	CHECK_INT(emu.status, ==, EMULATOR_FOUND);
	CHECK_STR(emu.path, "/usr/bin/qemu-aarch64-static");
	CHECK_STR(emu.rejected, path);

	/* A static copy on the search path wins, but is not the -binfmt-P wrapper's file. */
	copy_file("/usr/bin/qemu-aarch64-static", path, 0755);
	CHECK_INT(emulator_find(arch_lookup("arm64"), "x86_64", search, &emu), ==, 0);
	CHECK_STR(emu.path, path);
	CHECK(!emu.preserve_argv0);
	CHECK_STR(emu.interpreter, path);

	/* Not executable: ignored. */
	CHECK_INT(chmod(path, 0644), ==, 0);
	CHECK_INT(emulator_find(arch_lookup("arm64"), "x86_64", search, &emu), ==, 0);
	CHECK_STR(emu.path, "/usr/bin/qemu-aarch64-static");
	CHECK_INT(unlink(path), ==, 0);
	CHECK_INT(rmdir(dir), ==, 0);
}

TEST(only_a_dynamic_emulator_is_rejected_with_a_hint)
{
	char *dir = make_tmpdir();
	char path[256];
	struct emulator emu;

	snprintf(path, sizeof(path), "%s/qemu-riscv64", dir);
	copy_file("/bin/true", path, 0755);
	/* Hide the system's emulators in a private mount namespace. */
	harness_enter_userns();
	CHECK_INT(mount("tmpfs", "/usr/bin", "tmpfs", 0, NULL), ==, 0);
	CHECK_INT(mount("tmpfs", EMULATOR_LIBEXEC_DIR, "tmpfs", 0, NULL), ==, 0);

	CHECK_INT(emulator_find(arch_lookup("riscv64"), "x86_64", dir, &emu), ==, 0);
	CHECK_INT(emu.status, ==, EMULATOR_NOT_STATIC);
	CHECK_STR(emu.rejected, path);
	CHECK(strstr(emulator_hint(&emu), "qemu-user-static"));
	CHECK(strstr(emulator_hint(&emu), "pivot_root"));

	CHECK_INT(emulator_find(arch_lookup("riscv64"), "x86_64", "", &emu), ==, 0);
	CHECK_INT(emu.status, ==, EMULATOR_NOT_FOUND);
	CHECK(strstr(emulator_hint(&emu), "apt-get install qemu-user-static"));
	CHECK_INT(unlink(path), ==, 0);
	CHECK_INT(rmdir(dir), ==, 0);
}

TEST_TIMEOUT(fifos_and_wrong_machine_programs_are_not_emulators, 10)
{
	char *dir = make_tmpdir();
	char path[256], payload[512];
	struct emulator emu;

	/* Opening a FIFO would block until a writer comes: the timeout catches a regression. */
	snprintf(path, sizeof(path), "%s/qemu-aarch64-static", dir);
	CHECK_INT(mkfifo(path, 0755), ==, 0);
	CHECK_INT(emulator_find(arch_lookup("arm64"), "x86_64", dir, &emu), ==, 0);
	CHECK_STR(emu.path, "/usr/bin/qemu-aarch64-static");
	CHECK_INT(unlink(path), ==, 0);

	/* A static program for another machine is no emulator for this host. */
	snprintf(payload, sizeof(payload), "%s/payload-riscv64", harness_payload_dir());
	copy_file(payload, path, 0755);
	CHECK_INT(static_of(path), ==, -ENOEXEC);
	CHECK_INT(emulator_find(arch_lookup("arm64"), "x86_64", dir, &emu), ==, 0);
	CHECK_STR(emu.path, "/usr/bin/qemu-aarch64-static");
	CHECK_INT(unlink(path), ==, 0);
	CHECK_INT(rmdir(dir), ==, 0);
}

TEST(relative_search_path_entries_are_ignored)
{
	char *dir = make_tmpdir();
	char path[256];
	struct emulator emu;

	snprintf(path, sizeof(path), "%s/qemu-aarch64-static", dir);
	copy_file("/usr/bin/qemu-aarch64-static", path, 0755);
	CHECK_INT(chdir(dir), ==, 0);
	CHECK_INT(emulator_find(arch_lookup("arm64"), "x86_64", ".::", &emu), ==, 0);
	CHECK_STR(emu.path, "/usr/bin/qemu-aarch64-static");
	CHECK_INT(unlink(path), ==, 0);
	CHECK_INT(rmdir(dir), ==, 0);
}

TEST(what_discovery_found_is_described_for_messages)
{
	struct emulator emu = { .arch = arch_lookup("arm64"),
				.status = EMULATOR_NOT_STATIC,
				.rejected = "/usr/bin/qemu-aarch64" };
	char buf[512];

	CHECK_INT(emulator_describe(&emu, buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "/usr/bin/qemu-aarch64 is dynamically linked");
	emu.status = EMULATOR_NOT_FOUND;
	CHECK_INT(emulator_describe(&emu, buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "no qemu-aarch64-static or qemu-aarch64 in PATH or /usr/bin, and no " EMULATOR_LIBEXEC_DIR
		       "/aarch64-binfmt-P");
	CHECK_INT(emulator_describe(&emu, buf, 16), ==, -ENAMETOOLONG);
	emu.status = EMULATOR_FOUND;
	CHECK_INT(emulator_describe(&emu, buf, sizeof(buf)), ==, -EINVAL);
	emu.status = EMULATOR_NATIVE;
	CHECK_INT(emulator_describe(&emu, buf, sizeof(buf)), ==, -EINVAL);
}
