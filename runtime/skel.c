/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "skel.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "mounts.h"
#include "../base/util.h"

int skel_install(int rootfd, bool single, const char **failed)
{
	for (size_t i = 0; i < skel_count; i++) {
		const struct skel_file *f = &skel_files[i];
		int r;

		if (f->single_only && !single)
			continue;
		*failed = f->path;
		r = write_in_root(rootfd, f->path, f->mode, f->content);
		if (r < 0)
			return r;
	}
	return 0;
}
