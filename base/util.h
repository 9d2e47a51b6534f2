/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers shared by every layer: cleanup attributes, fd and pointer
 * stealing, and checked string formatting.  Cleanup functions accept NULL or
 * a negative fd and preserve errno, so an early return never needs manual
 * unwinding and never clobbers the error being reported.
 */
#ifndef CROSSROOT_UTIL_H
#define CROSSROOT_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _unused_ __attribute__((unused))

static inline void freep(void *p)
{
	int saved = errno;
	free(*(void **)p);
	errno = saved;
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;
		fclose(*f);
		errno = saved;
	}
}

/* Both ends of a pipe(2) or socketpair(2); declare it initialized to { -EBADF, -EBADF }. */
static inline void close_pairp(int (*pair)[2])
{
	closep(&(*pair)[0]);
	closep(&(*pair)[1]);
}

/* Close fd when it is one (errno kept); returns -EBADF to store back: `fd = safe_close(fd);`. */
static inline int safe_close(int fd)
{
	closep(&fd);
	return -EBADF;
}

#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_close_pair_ __attribute__((cleanup(close_pairp)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define _cleanup_closedir_ __attribute__((cleanup(closedirp)))

/* Hand ownership out of a cleanup-tagged variable. */
#define steal_ptr(p)                      \
	({                                \
		__typeof__(p) _tmp = (p); \
		(p) = NULL;               \
		_tmp;                     \
	})
#define steal_fd(fd)             \
	({                       \
		int _tmp = (fd); \
		(fd) = -EBADF;   \
		_tmp;            \
	})

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/*
 * snprintf() into a fixed buffer.  Returns 0, or -ENAMETOOLONG when the
 * result would not fit (the buffer then holds a truncated string).
 */
int format_buf(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);

/*
 * Write all of buf (len bytes) to fd in ONE write(2) call.  Interfaces such
 * as binfmt_misc's register file and /proc/PID/uid_map take one record per
 * write, so a short write is an error.  Returns 0, or -errno (-EIO for a
 * short write).
 */
int write_once(int fd, const void *buf, size_t len);

/*
 * Read the file at path (relative to dirfd, or absolute with AT_FDCWD) into
 * buf, at most size - 1 bytes, NUL-terminated.  Returns the number of bytes
 * read, or -errno; -EFBIG when the file is larger than the buffer.
 */
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t size);

/*
 * Write the string s to the file at path (relative to dirfd) in one write.
 * The file must exist (O_WRONLY, no O_CREAT).  Returns 0 or -errno.
 */
int write_file_at(int dirfd, const char *path, const char *s);

/*
 * Parse a decimal unsigned integer that fills all of s.  Returns 0, or
 * -EINVAL for an empty string, a sign, trailing text, or overflow.
 */
int parse_ulong(const char *s, unsigned long *out);

/*
 * Replace the file at path with text, all or nothing: a temporary file
 * (path.tmp.PID, mode) written, fsync(2)ed and rename(2)d over it, never
 * through a symlink.  Returns 0 or -errno.
 */
int write_file_atomic(const char *path, const char *text, mode_t mode);

/*
 * Open the lock file path (made 0600 when missing, never through a symlink)
 * and flock(2) it with operation (LOCK_SH or LOCK_EX, optionally |
 * LOCK_NB).  Returns the fd that holds the lock, -EWOULDBLOCK when another
 * holds it (LOCK_NB), or -errno.
 */
int flock_file(const char *path, int operation);

/*
 * mkdir -p: create path and its missing parents (0755; path itself with
 * mode).  Existing directories are fine.  Returns 0 or -errno.
 */
int mkdir_p(const char *path, mode_t mode);

/*
 * path as a directory private to its owner: made as mkdir_p(path, 0700)
 * when create is set and it is missing; when it exists, belongs to this
 * process's euid and lets group or others in (stores of older versions were
 * 0755), chmod'ed to 0700 through an O_NOFOLLOW fd.  Returns 0, or -errno
 * (-ENOENT when missing and !create).
 */
int mkdir_private(const char *path, bool create);

/*
 * The id of the mount fd is on (statx(2) STATX_MNT_ID, Linux 5.8), into
 * *out.  Returns 0, -EOPNOTSUPP on older kernels, or -errno.
 */
int fd_mount_id(int fd, unsigned long long *out);

/*
 * A per-user directory after the XDG Base Directory rules: $XDG_VAR/suffix
 * when that variable holds an absolute path, else HOME/home_default/suffix,
 * with HOME from the environment or the password database.  Returns 0,
 * -ENOENT when no home directory is known, or -ENAMETOOLONG.
 */
int xdg_user_dir(const char *xdg_var, const char *home_default, const char *suffix, char *buf, size_t size);

/*
 * Disk usage of everything below the directory fd (allocated blocks, the
 * directories inside included, fd's own not), added to *bytes, and the
 * number of entries that are not directories added to *files (when not
 * NULL).  Never follows a symlink; entries that vanish or cannot be read
 * are skipped.  Returns 0 or -errno.
 */
int dir_usage(int fd, uint64_t *bytes, uint64_t *files);

/*
 * A directory stream over a duplicate of the directory fd (fcntl
 * F_DUPFD_CLOEXEC, then fdopendir(3)), so that fd stays the caller's and
 * closedir() closes only the duplicate.  Returns the stream, or NULL with
 * errno set (the duplicate, if made, closed again).
 */
DIR *opendir_dup(int fd);

#endif
