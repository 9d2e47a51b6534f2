/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small TAP unit-test harness.  Every test runs in a forked child with its
 * own timeout, so a crash, a hang or a namespace change in one test never
 * reaches the runner or the next test.  A failed CHECK ends the test at once.
 *
 *   TEST(name) { CHECK(1 + 1 == 2); }
 *   TEST_TIMEOUT(name, 60) { ... }   per-test timeout in seconds (default 30)
 *
 * Fixtures: harness_enter_userns() moves the test child into a new user and
 * mount namespace where it is root (its own uid mapped to 0), with "/" made
 * private, so mount and binfmt_misc code can be exercised unprivileged.
 * It fails the test (never skips) when that is impossible.
 */
#ifndef CROSSROOT_TEST_HARNESS_H
#define CROSSROOT_TEST_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void harness_register(const char *name, void (*fn)(void), unsigned timeout);
void harness_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
void harness_enter_userns(void);

/*
 * Run argv (argv[0] a path) in a child and capture up to size - 1 bytes of
 * its stdout, NUL-terminated, trailing newline removed.  Returns the wait
 * status, or -errno when fork/pipe failed.  An exec failure exits with
 * 200 + errno (so ENOEXEC shows as 208).
 */
int harness_run_capture(char *const argv[], char *out, size_t size);

/* The directory holding the cross-built payloads (env PAYLOAD_DIR); fails the test if unset. */
const char *harness_payload_dir(void);

#define TEST_TIMEOUT(name, seconds)                                    \
	static void name(void);                                        \
	__attribute__((constructor)) static void register_##name(void) \
	{                                                              \
		harness_register(#name, name, seconds);                \
	}                                                              \
	static void name(void)

#define TEST(name) TEST_TIMEOUT(name, 30)

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond))                                                  \
			harness_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define CHECK_INT(a, op, b)                                                                              \
	do {                                                                                             \
		long long _a = (long long)(a), _b = (long long)(b);                                      \
		if (!(_a op _b))                                                                         \
			harness_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a, #op, #b, _a, _b); \
	} while (0)

#define CHECK_STR(a, b)                                                                                            \
	do {                                                                                                       \
		const char *_a = (a), *_b = (b);                                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0)                                                             \
			harness_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a, #b, _a ? _a : "(null)", \
				     _b ? _b : "(null)");                                                          \
	} while (0)

#endif
