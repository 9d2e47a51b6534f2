/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting the user's command: PATH search, exec, and what a failure means. */
#ifndef CROSSROOT_LAUNCH_H
#define CROSSROOT_LAUNCH_H

#include <stdbool.h>

/*
 * execve(2) file with argv and envp, searching path_env (PATH-style; NULL
 * or "" means "/usr/local/bin:/usr/bin:/bin") when file has no '/'.  Unlike
 * execvp(3) it never retries a file that failed with ENOEXEC under /bin/sh:
 * a foreign binary with no binfmt entry must fail, not be read as a script.
 *
 * Returns only on failure: -errno of the most telling attempt (a file that
 * exists but could not run beats a directory that did not have it), with
 * *found set when some candidate exists as a file.  The caller exits 126
 * when found (permission, format, missing script interpreter), 127 when not.
 */
int exec_search(const char *file, char *const argv[], char *const envp[], const char *path_env, bool *found);

#endif
