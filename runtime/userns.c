/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "userns.h"

#include <fcntl.h>
#include <sched.h>

#include "../base/util.h"

int userns_unshare_single(uid_t inner_uid, gid_t inner_gid, int extra_flags)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];
	int r;

	if (unshare(CLONE_NEWUSER | extra_flags) < 0)
		return -errno;
	r = write_file_at(AT_FDCWD, "/proc/self/setgroups", "deny");
	if (r < 0)
		return r;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)inner_uid, (unsigned)uid);
	r = write_file_at(AT_FDCWD, "/proc/self/uid_map", map);
	if (r < 0)
		return r;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)inner_gid, (unsigned)gid);
	return write_file_at(AT_FDCWD, "/proc/self/gid_map", map);
}
