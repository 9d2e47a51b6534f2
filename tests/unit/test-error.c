/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's one error detail: setting it, adding context, and what is printed. */
#include <errno.h>

#include "../../base/error.h"
#include "harness.h"

TEST(error_fail_returns_the_errno_and_keeps_the_message)
{
	struct cr_error err;

	cr_clear(&err);
	CHECK_INT(err.error, ==, 0);
	CHECK(streq(cr_message(&err), ""));
	CHECK_INT(cr_fail(&err, -EINVAL, "bad %s %d", "thing", 3), ==, -EINVAL);
	CHECK_INT(err.error, ==, -EINVAL);
	CHECK(streq(err.message, "bad thing 3"));
	CHECK_INT(cr_fail_errno(&err, -ENOENT, "open %s", "/x"), ==, -ENOENT);
	CHECK(streq(err.message, "open /x: No such file or directory"));
	CHECK_INT(cr_fail(NULL, -EIO, "nobody reads this"), ==, -EIO);
}

TEST(error_fail_may_quote_its_own_message)
{
	struct cr_error err;

	/* As bootstrap's "mirror cannot be reached (curl's reason)": the arguments overlap the result. */
	cr_fail(&err, -EHOSTUNREACH, "Couldn't connect to server");
	cr_fail(&err, -EHOSTUNREACH, "the mirror %s cannot be reached (%s); check --mirror", "http://m", err.message);
	CHECK(streq(err.message, "the mirror http://m cannot be reached (Couldn't connect to server); check --mirror"));
	cr_fail_errno(&err, -EIO, "read (%s)", err.message);
	CHECK(streq(err.message, "read (the mirror http://m cannot be reached (Couldn't connect to server); check "
				 "--mirror): Input/output error"));
}

TEST(error_prefix_adds_context_in_front)
{
	struct cr_error err;

	cr_fail(&err, -EPERM, "member etc/passwd: refused");
	CHECK_INT(cr_prefix(&err, "%s", "rootfs.tar"), ==, -EPERM);
	CHECK(streq(err.message, "rootfs.tar: member etc/passwd: refused"));
	/* No message: the system's reason stands in for it. */
	cr_clear(&err);
	err.error = -EACCES;
	CHECK(streq(cr_message(&err), "Permission denied"));
	cr_prefix(&err, "copy %s", "refs");
	CHECK(streq(err.message, "copy refs: Permission denied"));
	CHECK_INT(cr_prefix(NULL, "x"), ==, 0);
}

TEST(error_long_message_is_cut_not_overrun)
{
	struct cr_error err;
	char big[3000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_fail(&err, -E2BIG, "%s", big);
	CHECK_INT((long long)strlen(err.message), ==, (long long)sizeof(err.message) - 1);
	cr_prefix(&err, "context");
	CHECK_INT((long long)strlen(err.message), ==, (long long)sizeof(err.message) - 1);
	CHECK(strncmp(err.message, "context: aaa", 12) == 0);
}
