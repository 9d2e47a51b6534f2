/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "launch.h"

#include <limits.h>
#include <sys/stat.h>

#include "../base/util.h"

/* Whether something by that name exists to blame: a file, or a directory given as the command. */
static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int exec_search(const char *file, char *const argv[], char *const envp[], const char *path_env, bool *found)
{
	char path[PATH_MAX];
	int best = -ENOENT;

	*found = false;
	if (!file[0])
		return -ENOENT;
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		*found = is_file(file);
		return -errno;
	}
	if (!path_env || !path_env[0])
		path_env = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path_env;; p++) {
		const char *end = strchrnul(p, ':');
		int len = (int)(end - p);

		/* An empty entry means the working directory, as in execvp(3). */
		if (format_buf(path, sizeof(path), "%.*s%s%s", len, p, len ? "/" : "", file) == 0) {
			struct stat st;

			execve(path, argv, envp);
			/* A directory on PATH with the command's name is not the command. */
			if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && !*found) {
				*found = true;
				best = -errno;
			}
		}
		if (!*end)
			break;
		p = end;
	}
	return best;
}
