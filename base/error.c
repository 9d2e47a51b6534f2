// SPDX-License-Identifier: LGPL-2.1-or-later
#include "error.h"

#include <stdarg.h>

void cr_clear(struct cr_error *err)
{
	if (err) {
		err->error = 0;
		err->message[0] = '\0';
	}
}

/*
 * err's message from fmt, then ": " and suffix unless it is NULL; formatted
 * in a buffer of its own first, for an argument may be err's message
 * (overlapping vsnprintf is undefined).  Returns r, now err's error.
 */
static _printf_(4, 0) int set_message(struct cr_error *err, int r, const char *suffix, const char *fmt, va_list ap)
{
	char message[CR_ERROR_MESSAGE_MAX];
	size_t len;

	vsnprintf(message, sizeof(message), fmt, ap);
	len = strlen(message);
	if (suffix)
		snprintf(message + len, sizeof(message) - len, ": %s", suffix);
	memcpy(err->message, message, sizeof(message));
	err->error = r;
	return r;
}

int cr_fail(struct cr_error *err, int r, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return r;
	va_start(ap, fmt);
	set_message(err, r, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int cr_fail_errno(struct cr_error *err, int r, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return r;
	va_start(ap, fmt);
	set_message(err, r, strerror(-r), fmt, ap);
	va_end(ap);
	return r;
}

int cr_prefix(struct cr_error *err, const char *fmt, ...)
{
	char message[CR_ERROR_MESSAGE_MAX];
	va_list ap;

	if (!err)
		return 0;
	snprintf(message, sizeof(message), "%s", cr_message(err));
	va_start(ap, fmt);
	set_message(err, err->error, message, fmt, ap);
	va_end(ap);
	return err->error;
}

const char *cr_message(const struct cr_error *err)
{
	return err->message[0] || err->error == 0 ? err->message : strerror(-err->error);
}
