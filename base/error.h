/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one shape of error detail below the command layer (base/, binfmt/,
 * bootstrap/, runtime/ but its cli*.c), after crun's libcrun_error_t: a
 * function that can fail in more than one way returns 0 or -errno and takes
 * `struct cr_error *err` last, filled on failure with the same -errno and a
 * message saying what failed.  Nothing below the command layer prints: the
 * command layer prints the message once and chooses the exit status
 * (cli_fail()).
 *
 * A message is complete, ready to print after the caller's context: it
 * carries the system's reason itself where that helps ("mount /proc: No
 * such device", cr_fail_errno()), and a caller one level up adds what it was
 * doing in front (cr_prefix()).
 */
#ifndef CROSSROOT_ERROR_H
#define CROSSROOT_ERROR_H

#include "util.h"

#define CR_ERROR_MESSAGE_MAX 1024

struct cr_error {
	int error;			    /* -errno; 0 when nothing failed */
	char message[CR_ERROR_MESSAGE_MAX]; /* what failed; "" when only error is known (print strerror(-error)) */
};

/* Empty err (error 0, message ""); NULL is accepted. */
void cr_clear(struct cr_error *err);

/*
 * Set err to r (a -errno) and the formatted message, for `return
 * cr_fail(err, -EINVAL, "...", ...)`.  err may be NULL (the detail is not
 * wanted).  A message longer than the buffer is cut.  An argument may be
 * err's own message ("... (%s)", err->message).  Returns r.
 */
int cr_fail(struct cr_error *err, int r, const char *fmt, ...) _printf_(3, 4);

/* As cr_fail(), the message followed by ": " and strerror(-r) ("create a user namespace: Operation not permitted"). */
int cr_fail_errno(struct cr_error *err, int r, const char *fmt, ...) _printf_(3, 4);

/*
 * Put the formatted context and ": " in front of err's message ("member
 * etc/passwd: " + "Write failed"); with an empty message, the context and
 * strerror(-err->error).  err may be NULL.  Returns err->error (0 for NULL).
 */
int cr_prefix(struct cr_error *err, const char *fmt, ...) _printf_(2, 3);

/* err's message, or strerror(-err->error) when it has none: what to print. */
const char *cr_message(const struct cr_error *err);

#endif
