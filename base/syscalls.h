/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw system calls that glibc lacks or only recently wrapped, in one place.
 * Each wrapper returns what the system call returns (-1 with errno set), like
 * a glibc wrapper, so callers convert to -errno themselves.  Constants get
 * #ifndef fallbacks so the build does not depend on the installed uapi
 * headers being new.
 *
 * No wrapper falls back to anything: on a kernel without the call it fails
 * with ENOSYS, and the callers pass -ENOSYS up like any other error.
 * crossroot needs Linux 5.12 (mount_setattr; doc/design.md facts 11-16,
 * `crossroot check` fails below it), which has every call here.  Two
 * callers go on without theirs: cloexec_from() (runtime.c) takes any
 * close_range failure as a reason to walk /proc/self/fd instead, and
 * binfmt_sandbox_probe() (binfmt.c) takes any failure of fsopen, fsconfig
 * or fsmount as "no sandboxed binfmt_misc", so setup and check choose host
 * mode.  Nothing falls back to mount(2).
 */
#ifndef CROSSROOT_SYSCALLS_H
#define CROSSROOT_SYSCALLS_H

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#ifndef __NR_fsconfig
#define __NR_fsconfig 431
#endif
#ifndef __NR_fsmount
#define __NR_fsmount 432
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif

/* fsopen(2) flags */
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
/* fsconfig(2) commands */
#ifndef FSCONFIG_SET_STRING
#define FSCONFIG_SET_STRING 1
#endif
#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_CMD_CREATE 6
#endif
/* fsmount(2) flags */
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#endif
#ifndef MOUNT_ATTR_NOEXEC
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef MOUNT_ATTR_NODEV
#define MOUNT_ATTR_NODEV 0x00000004
#endif
/* move_mount(2) flags */
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
/* open_tree(2) flags */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC 02000000
#endif

#include <linux/openat2.h>

/* move_mount(2) flag: the target is the fd itself */
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

static inline int sys_openat2(int dirfd, const char *path, int flags, unsigned long long resolve)
{
	struct open_how how = { .flags = (unsigned long long)flags, .mode = 0, .resolve = resolve };

	return (int)syscall(__NR_openat2, dirfd, path, &how, sizeof(how));
}

static inline int sys_pidfd_send_signal(int pidfd, int sig)
{
	return (int)syscall(__NR_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static inline int sys_fsopen(const char *fsname, unsigned int flags)
{
	return (int)syscall(__NR_fsopen, fsname, flags);
}

static inline int sys_fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
	return (int)syscall(__NR_fsconfig, fd, cmd, key, value, aux);
}

static inline int sys_fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
	return (int)syscall(__NR_fsmount, fd, flags, attr_flags);
}

static inline int sys_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path,
				 unsigned int flags)
{
	return (int)syscall(__NR_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

static inline int sys_open_tree(int dirfd, const char *path, unsigned int flags)
{
	return (int)syscall(__NR_open_tree, dirfd, path, flags);
}

static inline int sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(SYS_pivot_root, new_root, put_old);
}

static inline int sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(__NR_pidfd_open, pid, flags);
}

/*
 * mount_setattr(2), Linux 5.12: set attr->attr_set (MOUNT_ATTR_*) on the
 * mount at dirfd/path, with AT_RECURSIVE on all of its tree (a detached one
 * too, with AT_EMPTY_PATH).  struct mount_attr_arg is <linux/mount.h>'s
 * struct mount_attr, which older headers lack.
 */
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
struct mount_attr_arg {
	unsigned long long attr_set, attr_clr, propagation, userns_fd;
};
static inline int sys_mount_setattr(int dirfd, const char *path, unsigned int flags, struct mount_attr_arg *attr)
{
	return (int)syscall(__NR_mount_setattr, dirfd, path, flags, attr, sizeof(*attr));
}

/*
 * clone(2) as fork(2) with flags (CLONE_PARENT, which fork() cannot take):
 * no new stack, no tids, no TLS.  The raw argument order is x86's and
 * arm's, flags first; s390 puts the stack first (clone(2) NOTES), where
 * these zeros need the swap.  Returns the child's pid, 0 in the child, or -1
 * with errno set.
 */
static inline long sys_clone_flags(unsigned long flags)
{
#if defined(__s390__)
	return syscall(SYS_clone, 0, flags, NULL, NULL, 0);
#else
	return syscall(SYS_clone, flags, 0, NULL, NULL, 0);
#endif
}

/* close_range(2), Linux 5.9; CLOSE_RANGE_CLOEXEC, 5.11. */
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
static inline int sys_close_range(unsigned int first, unsigned int last, unsigned int flags)
{
	return (int)syscall(__NR_close_range, first, last, flags);
}

#endif
