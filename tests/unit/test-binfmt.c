/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sandboxed binfmt_misc on the running kernel (doc/design.md facts 1 to 3):
 * entries registered in a user namespace's own instance run foreign
 * programs, and vanish with the instance's last mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../binfmt/binfmt.h"
#include "../../runtime/host.h"
#include "../../runtime/userns.h"
#include "../../base/util.h"
#include "harness.h"

#define EXEC_FAILED(errnum) (200 + (errnum))

/* Run the arm64 payload's uname-m; returns its exit status, output in out. */
static int run_arm64(char *out, size_t size)
{
	char path[512];
	char *argv[] = { path, "uname-m", NULL };
	int status;

	snprintf(path, sizeof(path), "%s/payload-arm64", harness_payload_dir());
	status = harness_run_capture(argv, out, size);
	CHECK(status >= 0 && WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void register_arm64(int dirfd, const char *name)
{
	struct emulator emu;
	char line[BINFMT_REGISTER_MAX];

	CHECK_INT(emulator_find(arch_lookup("arm64"), "x86_64", NULL, &emu), ==, 0);
	CHECK_INT(emu.status, ==, EMULATOR_FOUND);
	CHECK_INT(binfmt_format_register(arch_lookup("arm64"), name, emu.interpreter,
					 BINFMT_FLAG_FIX_BINARY | BINFMT_FLAG_PRESERVE_ARGV0 | BINFMT_FLAG_CREDENTIALS,
					 line, sizeof(line)),
		  ==, 0);
	CHECK_INT(binfmt_register(dirfd, line), ==, 0);
}

static int sandbox(void)
{
	int fd;

	harness_enter_userns();
	fd = binfmt_sandbox_mount();
	if (fd < 0)
		harness_fail(__FILE__, __LINE__, "binfmt_sandbox_mount: %s", strerror(-fd));
	return fd;
}

TEST(this_kernel_supports_sandboxed_binfmt_misc)
{
	struct kernel_version v;

	CHECK_INT(host_kernel_version(&v), ==, 0);
	CHECK_INT(binfmt_sandbox_probe(), ==, kernel_at_least(&v, 6, 7) ? 1 : 0);
}

TEST(foreign_program_fails_without_an_entry)
{
	char out[256];

	harness_enter_userns();
	CHECK_INT(run_arm64(out, sizeof(out)), ==, EXEC_FAILED(ENOEXEC));
}

TEST(registered_entry_runs_foreign_program_and_reads_back)
{
	_cleanup_close_ int fd = sandbox();
	struct binfmt_entry entry;
	char out[256];

	register_arm64(fd, "crossroot-aarch64");
	CHECK_INT(run_arm64(out, sizeof(out)), ==, 0);
	CHECK_STR(out, "aarch64");

	CHECK_INT(binfmt_entry_read(fd, "crossroot-aarch64", &entry), ==, 0);
	CHECK(entry.enabled);
	CHECK_STR(entry.interpreter, EMULATOR_LIBEXEC_DIR "/aarch64-binfmt-P");
	/* C implies O; the kernel prints the flags it holds. */
	CHECK(strchr(entry.flags, 'F') && strchr(entry.flags, 'P') && strchr(entry.flags, 'C') &&
	      strchr(entry.flags, 'O'));
	CHECK_INT(entry.magic_len, ==, 20);
	CHECK(binfmt_entry_claims(&entry, arch_lookup("arm64")));
	CHECK(!binfmt_entry_claims(&entry, arch_lookup("riscv64")));
	CHECK(!binfmt_entry_claims(&entry, arch_lookup("armhf")));

	CHECK_INT(binfmt_register(fd, ":crossroot-aarch64:M:0:\\x7f:\\xff:/bin/true:F"), ==, -EEXIST);
	CHECK_INT(binfmt_entry_read(fd, "status", &entry), ==, -EINVAL);
	CHECK_INT(binfmt_entry_read(fd, "nope", &entry), ==, -ENOENT);

	CHECK_INT(binfmt_unregister(fd, "crossroot-aarch64"), ==, 0);
	CHECK_INT(run_arm64(out, sizeof(out)), ==, EXEC_FAILED(ENOEXEC));
	CHECK_INT(binfmt_unregister(fd, "register"), ==, -EINVAL);
}

TEST(entries_vanish_with_the_last_detached_mount)
{
	int fd = sandbox();
	struct binfmt_entry entry;
	char out[256];

	register_arm64(fd, "crossroot-aarch64");
	CHECK_INT(run_arm64(out, sizeof(out)), ==, 0);
	close(fd);
	CHECK_INT(run_arm64(out, sizeof(out)), ==, EXEC_FAILED(ENOEXEC));
	fd = binfmt_sandbox_mount();
	CHECK(fd >= 0);
	CHECK_INT(binfmt_entry_read(fd, "crossroot-aarch64", &entry), ==, -ENOENT);
	close(fd);
}

TEST(an_attached_mount_keeps_entries_until_unmounted)
{
	int fd = sandbox();
	char dir[] = "/tmp/crossroot-binfmt.XXXXXX";
	char out[256];

	CHECK(mkdtemp(dir));
	register_arm64(fd, "crossroot-aarch64");
	CHECK_INT(binfmt_attach(fd, dir), ==, 0);
	close(fd);
	CHECK_INT(run_arm64(out, sizeof(out)), ==, 0);
	CHECK_STR(out, "aarch64");
	CHECK_INT(umount2(dir, 0), ==, 0);
	CHECK_INT(run_arm64(out, sizeof(out)), ==, EXEC_FAILED(ENOEXEC));
	rmdir(dir);
}

TEST(registering_needs_uid_0_mapped_in_the_owning_namespace)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_close_ int reg = -EBADF;

	/*
	 * The instance's files belong to the namespace's root.  With only an
	 * identity-mapped uid (no 0), that owner is unmapped and even the
	 * namespace's capabilities do not reach the register file.
	 */
	CHECK_INT(userns_unshare_single(1000, 1000, CLONE_NEWNS), ==, 0);
	fd = binfmt_sandbox_mount();
	CHECK(fd >= 0);
	reg = openat(fd, "register", O_WRONLY | O_CLOEXEC);
	CHECK_INT(reg, ==, -1);
	CHECK_INT(errno, ==, EACCES);
}

TEST(other_tools_entries_are_found_as_claimants)
{
	_cleanup_close_ int fd = sandbox();
	struct binfmt_entry entry;

	register_arm64(fd, "qemu-aarch64");
	register_arm64(fd, "crossroot-aarch64");
	CHECK_INT(binfmt_find_claimant(fd, arch_lookup("arm64"), "crossroot-aarch64", &entry), ==, 1);
	CHECK_STR(entry.name, "qemu-aarch64");
	CHECK_INT(binfmt_find_claimant(fd, arch_lookup("riscv64"), NULL, &entry), ==, 0);
	/* A disabled entry claims nothing. */
	CHECK_INT(write_file_at(fd, "qemu-aarch64", "0"), ==, 0);
	CHECK_INT(binfmt_find_claimant(fd, arch_lookup("arm64"), "crossroot-aarch64", &entry), ==, 0);
}

TEST(register_emulators_adds_one_entry_per_emulator)
{
	_cleanup_close_ int fd = sandbox();
	struct binfmt_result results[32];
	struct binfmt_entry entry;
	size_t n = 0;
	int armhf = 0;
	/* i386 is native only where the kernel runs 32-bit x86 programs (probed). */
	int want = arch_is_native(arch_lookup("i386"), "x86_64") ? 9 : 10;

	/* 12 arches, amd64 (and i386) native, armhf and armel share qemu-arm: 9 (10) entries. */
	CHECK_INT(binfmt_register_emulators(fd, "x86_64", NULL, 0, false, results, &n), ==, want);
	CHECK_INT(n, ==, (size_t)want);
	for (size_t i = 0; i < n; i++) {
		CHECK_INT(results[i].outcome, ==, BINFMT_REGISTERED);
		armhf += streq(results[i].arch->name, "armhf");
		CHECK(!streq(results[i].arch->name, "armel"));
	}
	CHECK_INT(armhf, ==, 1);
	CHECK_INT(binfmt_entry_read(fd, "crossroot-arm", &entry), ==, 0);
	CHECK(!strchr(entry.flags, 'C'));
	/* Again: every entry is already there. */
	CHECK_INT(binfmt_register_emulators(fd, "x86_64", NULL, 0, false, results, &n), ==, want);
	CHECK_INT(results[0].outcome, ==, BINFMT_ALREADY);
}

TEST(host_style_registration_keeps_other_tools_entries)
{
	_cleanup_close_ int fd = sandbox();
	struct binfmt_result results[32];
	struct binfmt_entry entry;
	char line[BINFMT_REGISTER_MAX];
	size_t n = 0;

	register_arm64(fd, "qemu-aarch64");
	CHECK_INT(binfmt_register_emulators(fd, "x86_64", NULL, 0, true, results, &n), ==,
		  arch_is_native(arch_lookup("i386"), "x86_64") ? 8 : 9);
	for (size_t i = 0; i < n; i++) {
		if (!streq(results[i].arch->name, "arm64")) {
			CHECK_INT(results[i].outcome, ==, BINFMT_REGISTERED);
			continue;
		}
		CHECK_INT(results[i].outcome, ==, BINFMT_KEPT_OTHER);
		CHECK_STR(results[i].other.name, "qemu-aarch64");
	}
	CHECK_INT(binfmt_entry_read(fd, "crossroot-aarch64", &entry), ==, -ENOENT);
	/* crossroot's own entry with a stale interpreter is replaced. */
	CHECK_INT(binfmt_unregister(fd, "crossroot-riscv64"), ==, 0);
	CHECK_INT(binfmt_format_register(arch_lookup("riscv64"), "crossroot-riscv64", "/bin/true",
					 BINFMT_FLAG_FIX_BINARY, line, sizeof(line)),
		  ==, 0);
	CHECK_INT(binfmt_register(fd, line), ==, 0);
	CHECK_INT(binfmt_register_emulators(fd, "x86_64", NULL, 0, true, results, &n), ==,
		  arch_is_native(arch_lookup("i386"), "x86_64") ? 8 : 9);
	CHECK_INT(binfmt_entry_read(fd, "crossroot-riscv64", &entry), ==, 0);
	CHECK_STR(entry.interpreter, EMULATOR_LIBEXEC_DIR "/riscv64-binfmt-P");
}
