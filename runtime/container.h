/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Containers on disk: names, where they live, their config, their lock, and
 * whether they are running.
 *
 * A container NAME lives in ${XDG_DATA_HOME:-$HOME/.local/share}/crossroot/
 * containers/NAME/: rootfs/ (the root filesystem), config (key=value lines),
 * lock (flock(2) target: held exclusively by start, stop and rm, shared by
 * a run on a stopped container for its whole life) and, while started, state
 * ("PID STARTTIME BOOT_ID": the container's init as seen from the host).
 * The state file is trusted only when that process still exists with that
 * start time in this boot, so a crash never leaves a container that looks
 * running.
 */
#ifndef CROSSROOT_CONTAINER_H
#define CROSSROOT_CONTAINER_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "../binfmt/arch.h"

#define CONTAINER_NAME_MAX 64

enum container_mode {
	CONTAINER_SINGLE, /* only the user's own uid is mapped, to 0 */
	CONTAINER_MAPPED, /* root's setup mapped the user's subordinate ids */
};

struct container {
	char name[CONTAINER_NAME_MAX + 1];
	char dir[PATH_MAX];    /* .../containers/NAME */
	char rootfs[PATH_MAX]; /* .../containers/NAME/rootfs */
	const struct arch_info *arch;
	enum container_mode mode;
	char suite[64]; /* "" when unknown (imported from a tarball) */
};

/*
 * Whether name is a valid container name: 1 to 64 characters from
 * [A-Za-z0-9._-], not starting with '-' or '.'.  Returns 0 or -EINVAL.
 */
int container_name_valid(const char *name);

/*
 * The directory holding every container, into buf:
 * ${XDG_DATA_HOME:-$HOME/.local/share}/crossroot/containers, with $HOME
 * from the environment or the password database.  Returns 0 or -errno
 * (-ENOENT when no home directory is known).
 */
int container_base_dir(char *buf, size_t size);

/*
 * Count the user's containers (creates and removals in progress, whose
 * names are hidden, left out): the first in alphabetical order into first,
 * and "a, b, c" (as many as fit) into list.  Returns the number (0 when
 * there is no container directory yet) or -errno.
 */
int container_names(char *first, size_t first_size, char *list, size_t list_size);

/*
 * Fill c's name, dir and rootfs for container name (nothing is read).
 * Returns 0, -EINVAL for an invalid name, or -ENAMETOOLONG.
 */
int container_init(struct container *c, const char *name);

/*
 * Load container name's config into *c.  Returns 0, -ENOENT when there is
 * no such container (no config: a half-made create never has one), -EINVAL
 * for an invalid name or an unreadable config, or -errno.
 */
int container_load(const char *name, struct container *c);

/* Write c's config atomically (temporary file, rename). Returns 0 or -errno. */
int container_save_config(const struct container *c);

/*
 * Take c's lock (flock LOCK_EX; LOCK_NB unless wait).  Returns the fd that
 * holds it (close to release) or -errno: -EWOULDBLOCK when another crossroot
 * holds it.
 */
int container_lock(const struct container *c, bool wait);

/*
 * Open path (relative: "var/lib/dpkg/status") inside c's rootfs for
 * reading, as the caller, with openat2(2) RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS (Linux 5.6): the rootfs's own symlinks stay in it.
 * Returns the stream, or NULL with errno set (ENOENT: there is no such
 * file).
 */
FILE *container_fopen(const struct container *c, const char *path);

/*
 * Take c's lock shared (LOCK_SH | LOCK_NB), as a run on a stopped container
 * does for its whole life, so that rm, start and stop (exclusive) wait for
 * it to end.  Returns the fd or -errno (-EWOULDBLOCK: held exclusively).
 */
int container_lock_shared(const struct container *c);

/* How a run or a started container uses the rootfs. */
enum rootfs_use {
	ROOTFS_DIRECT,	/* mounted itself, writable: a run, enter or start without --ephemeral */
	ROOTFS_OVERLAY, /* the lower layer of an ephemeral overlay, which it must not change under */
};

/*
 * Declare a use of c's rootfs for as long as the returned fd is open (an
 * init keeps it): an open file description lock (fcntl(2) F_OFD_SETLK,
 * Linux 3.15) reading byte 0 (direct) or 1 (overlay) of c's lock-rootfs,
 * then a test (F_OFD_GETLK) that nobody holds the other byte.  Each takes
 * its own byte before it tests the other's, so of two that start together
 * at least one sees the other: a direct use and an ephemeral one never
 * overlap, while any number of the same kind do.  Returns the fd, -EBUSY
 * when the other kind is in use, or -errno.
 */
int container_rootfs_use(const struct container *c, enum rootfs_use use);

struct container_state {
	bool running;
	pid_t pid; /* the init's pid on the host when running */
};

/*
 * Read and verify c's state.  A state file whose process is gone, was
 * replaced (start time differs) or is from another boot counts as stopped.
 * Returns 0 or -errno.
 */
int container_state_read(const struct container *c, struct container_state *out);

/* Record that c's init is pid (atomically). Returns 0 or -errno. */
int container_state_write(const struct container *c, pid_t pid);

/* Forget c's state. Returns 0 or -errno (a missing file is not an error). */
int container_state_clear(const struct container *c);

/*
 * A process's start time (field 22 of /proc/PID/stat, clock ticks since
 * boot).  Returns 0, -ESRCH for a zombie or a process that is gone, or
 * -errno.
 */
int process_start_time(pid_t pid, unsigned long long *out);

#endif
