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

/* Format into a buffer of its own first: an argument may be err's message (overlapping vsnprintf is undefined). */
int cr_fail(struct cr_error *err, int r, const char *fmt, ...)
{
	char message[CR_ERROR_MESSAGE_MAX];
	va_list ap;

	if (!err)
		return r;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	memcpy(err->message, message, sizeof(message));
	err->error = r;
	return r;
}

int cr_fail_errno(struct cr_error *err, int r, const char *fmt, ...)
{
	char message[CR_ERROR_MESSAGE_MAX];
	va_list ap;
	size_t len;

	if (!err)
		return r;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	len = strlen(message);
	snprintf(message + len, sizeof(message) - len, ": %s", strerror(-r));
	memcpy(err->message, message, sizeof(message));
	err->error = r;
	return r;
}

int cr_prefix(struct cr_error *err, const char *fmt, ...)
{
	char message[CR_ERROR_MESSAGE_MAX];
	size_t len;
	va_list ap;

	if (!err)
		return 0;
	snprintf(message, sizeof(message), "%s", cr_message(err));
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	len = strlen(err->message);
	snprintf(err->message + len, sizeof(err->message) - len, ": %s", message);
	return err->error;
}

const char *cr_message(const struct cr_error *err)
{
	return err->message[0] || err->error == 0 ? err->message : strerror(-err->error);
}
