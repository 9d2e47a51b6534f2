/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "skel.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "mounts.h"
#include "util.h"

int skel_install(int rootfd, bool single, const char **failed)
{
	for (size_t i = 0; i < skel_count; i++) {
		const struct skel_file *f = &skel_files[i];
		_cleanup_close_ int path = -EBADF, fd = -EBADF;
		char proc[64];

		if (f->single_only && !single)
			continue;
		*failed = f->path;
		path = path_in_root(rootfd, f->path, true, true);
		if (path < 0)
			return path;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path);
		/* The O_PATH fd was resolved inside the root; reopening it follows nothing else. */
		fd = open(proc, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (fd < 0 || fchmod(fd, f->mode) < 0)
			return -errno;
		if (write_once(fd, f->content, strlen(f->content)) < 0)
			return -EIO;
	}
	return 0;
}
