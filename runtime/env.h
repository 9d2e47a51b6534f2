/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The environment a command gets inside: what passes from the caller, and env files. */
#ifndef CROSSROOT_ENV_H
#define CROSSROOT_ENV_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Whether the caller's variable entry ("KEY=VALUE") passes into run and
 * enter by default: TERM, LANG, every LC_*, TZ, and the proxy variables
 * http_proxy, https_proxy, ftp_proxy, no_proxy and all_proxy in either case.
 * They describe the user and the network, not the host's layout, so they
 * mean the same inside.
 */
bool env_inherited(const char *entry);

/* Whether name can be a variable's name in an env file: [A-Za-z_][A-Za-z0-9_]*, at most 255 characters. */
bool env_name_valid(const char *name, size_t len);

/*
 * Read an env file (docker's format): a line is KEY=VALUE (VALUE taken
 * literally, quotes and spaces included) or a bare KEY (the caller's value);
 * blank lines and lines starting with '#' (after leading blanks) are
 * skipped.  add(data, line, key, value) is called for each variable, with
 * value NULL for a bare KEY; line is a NUL-terminated copy valid only
 * during the call.  Returns 0; -EINVAL for a bad line, its number in
 * *bad_line; -E2BIG for a line longer than 64 KiB (its number too);
 * add's negative result; or -EIO for a read error.
 */
int env_file_parse(FILE *f, int (*add)(void *data, const char *key, const char *value), void *data, unsigned *bad_line);

#endif
