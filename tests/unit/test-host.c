/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host facts: subordinate id parsing, kernel version, user namespace probe. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "../../runtime/host.h"
#include "../../base/util.h"
#include "harness.h"

static const char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/crossroot-subid.XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, text, strlen(text)), ==, (long long)strlen(text));
	close(fd);
	return path;
}

TEST(subid_ranges_by_name_and_by_uid)
{
	const char *file = write_tmp("alice:100000:65536\n"
				     "# a comment\n"
				     "bob:200000:65536\n"
				     "1234:300000:1000\n"
				     "alice:400000:10\n"
				     "alice:notanumber:5\n"
				     "alice:500000:0\n"
				     "broken line\n"
				     "alice:600000\n");
	struct subid_range r[4];
	size_t n;

	CHECK_INT(subid_lookup(file, "alice", 1000, r, 4, &n), ==, 0);
	CHECK_INT(n, ==, 2);
	CHECK_INT(r[0].start, ==, 100000);
	CHECK_INT(r[0].count, ==, 65536);
	CHECK_INT(r[1].start, ==, 400000);
	CHECK_INT(subid_lookup(file, "carol", 1234, r, 4, &n), ==, 0);
	CHECK_INT(n, ==, 1);
	CHECK_INT(r[0].start, ==, 300000);
	CHECK_INT(subid_lookup(file, "dave", 99, r, 4, &n), ==, 0);
	CHECK_INT(n, ==, 0);
	/* A prefix of a name is not the name. */
	CHECK_INT(subid_lookup(file, "al", 99, r, 4, &n), ==, 0);
	CHECK_INT(n, ==, 0);
	unlink(file);
	CHECK_INT(subid_lookup("/nonexistent/subuid", "alice", 1000, r, 4, &n), ==, -ENOENT);
}

TEST(kernel_version_parses)
{
	struct kernel_version v;

	CHECK_INT(host_kernel_version(&v), ==, 0);
	CHECK(v.major >= 3);
	CHECK(kernel_at_least(&v, v.major, v.minor));
	CHECK(!kernel_at_least(&v, v.major + 1, 0));
	CHECK(kernel_at_least(&v, 3, 0));
}

TEST(user_namespaces_can_be_created_here)
{
	long max;

	/* A core prerequisite of crossroot and of this test suite. */
	CHECK_INT(host_userns_probe(), ==, 0);
	CHECK_INT(host_sysctl_read("user/max_user_namespaces", &max), ==, 0);
	CHECK(max > 0);
	CHECK_INT(host_sysctl_read("kernel/no_such_sysctl", &max), ==, -ENOENT);
}

TEST(setup_is_not_reported_without_a_pinned_namespace)
{
	/* uid 4000000000 is never set up. */
	CHECK_INT(host_setup_done(4000000000u), ==, 0);
}

TEST(parse_ulong_accepts_only_whole_decimal_numbers)
{
	unsigned long v;

	CHECK_INT(parse_ulong("65536", &v), ==, 0);
	CHECK_INT(v, ==, 65536);
	CHECK_INT(parse_ulong("", &v), ==, -EINVAL);
	CHECK_INT(parse_ulong("-1", &v), ==, -EINVAL);
	CHECK_INT(parse_ulong("12x", &v), ==, -EINVAL);
	CHECK_INT(parse_ulong("99999999999999999999999", &v), ==, -EINVAL);
}
