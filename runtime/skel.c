/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "skel.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "mounts.h"
#include "../base/util.h"

int skel_install(int rootfd, bool single, struct cr_error *err)
{
	for (size_t i = 0; i < skel_count; i++) {
		const struct skel_file *f = &skel_files[i];
		int r;

		if (f->single_only && !single)
			continue;
		r = write_in_root(rootfd, f->path, f->mode, f->content);
		if (r < 0)
			return cr_fail(err, r, "placing /%s: %s", f->path, strerror(-r));
	}
	return 0;
}
