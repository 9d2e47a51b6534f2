/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "launch.h"

#include <limits.h>
#include <sys/stat.h>

#include "util.h"

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
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
			execve(path, argv, envp);
			if (is_file(path) && !*found) {
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
