/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seccomp filter `crossroot run` loads is a table generated at build
 * time (runtime/syscall-filter.h): it must be, instruction for instruction,
 * what libseccomp compiles from the rules now, so neither can drift from
 * the other.  And the table, loaded, blocks what it is there to block.
 */
#include <linux/filter.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "../../runtime/syscall-filter-rules.h"
#include "../../runtime/syscall-filter.h"
#include "harness.h"

/* libseccomp's program for the mode equals the table (length and every instruction). */
static void check_same(bool single_mode, const struct sock_filter *table, unsigned short len)
{
	static struct sock_filter compiled[4096];
	int fd = memfd_create("filter", MFD_CLOEXEC);
	ssize_t got;

	CHECK(fd >= 0);
	CHECK_INT(syscall_filter_export(single_mode, fd), ==, 0);
	got = pread(fd, compiled, sizeof(compiled), 0);
	CHECK(got > 0 && got % sizeof(struct sock_filter) == 0);
	CHECK_INT(got / sizeof(struct sock_filter), ==, len);
	for (unsigned short i = 0; i < len; i++) {
		CHECK_INT(compiled[i].code, ==, table[i].code);
		CHECK_INT(compiled[i].jt, ==, table[i].jt);
		CHECK_INT(compiled[i].jf, ==, table[i].jf);
		CHECK_INT(compiled[i].k, ==, table[i].k);
	}
	close(fd);
}

TEST(mapped_mode_table_is_what_libseccomp_compiles)
{
	check_same(false, syscall_filter_default, syscall_filter_default_len);
}

TEST(single_mode_table_is_what_libseccomp_compiles)
{
	check_same(true, syscall_filter_single, syscall_filter_single_len);
}

/* Loaded (as root of a user namespace, as crossroot does), the table blocks the keyring and TIOCSTI. */
TEST(the_loaded_table_blocks_keyctl_and_tiocsti)
{
	char c = 'x';

	harness_enter_userns();
	CHECK_INT(seccomp_apply(false), ==, 0);
	errno = 0;
	CHECK_INT(syscall(SYS_keyctl, 0, 0, 0, 0, 0), ==, -1);
	CHECK_INT(errno, ==, ENOSYS);
	errno = 0;
	CHECK_INT(ioctl(STDIN_FILENO, TIOCSTI, &c), ==, -1);
	CHECK_INT(errno, ==, EPERM);
	/* Other calls and other ioctls pass. */
	CHECK_INT(syscall(SYS_getpid), ==, getpid());
}

/* In single mode, chown to another id succeeds without effect; in mapped mode it is not touched. */
TEST(single_mode_makes_chown_to_other_ids_a_no_op)
{
	char path[] = "/tmp/crossroot-filter-XXXXXX";
	int fd;

	harness_enter_userns();
	fd = mkstemp(path);
	CHECK(fd >= 0);
	unlink(path);
	/* uid 1000 is not mapped in the test's namespace: without the filter this fails with EINVAL. */
	CHECK_INT(fchown(fd, 1000, 1000), ==, -1);
	CHECK_INT(seccomp_apply(true), ==, 0);
	CHECK_INT(fchown(fd, 1000, 1000), ==, 0);
	close(fd);
}
