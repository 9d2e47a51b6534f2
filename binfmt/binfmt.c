/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "binfmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "../base/syscalls.h"
#include "../base/util.h"

#ifndef BINFMTFS_MAGIC
#define BINFMTFS_MAGIC 0x42494e4d
#endif

int binfmt_entry_name(const struct arch_info *arch, char *buf, size_t size)
{
	return format_buf(buf, size, BINFMT_PREFIX "%s", arch->qemu_name);
}

/* Append bytes as "\xNN" escapes, which the kernel's register parser decodes. */
static char *escape_bytes(char *p, const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p += sprintf(p, "\\x%02x", bytes[i]);
	return p;
}

int binfmt_format_register(const struct arch_info *arch, const char *name, const char *interpreter, unsigned flags,
			   char *buf, size_t size)
{
	char magic[4 * ARCH_MAGIC_MAX + 1], mask[4 * ARCH_MAGIC_MAX + 1];

	if (strpbrk(interpreter, ":\n") || strpbrk(name, ":/\n") || !name[0])
		return -EINVAL;
	*escape_bytes(magic, arch->magic, arch->magic_len) = '\0';
	*escape_bytes(mask, arch->mask, arch->magic_len) = '\0';
	/* The kernel refuses longer lines with EINVAL (fs/binfmt_misc.c MAX_REGISTER_LENGTH). */
	if (strlen(name) + strlen(magic) + strlen(mask) + strlen(interpreter) + 16 > BINFMT_REGISTER_KERNEL_MAX)
		return -ENAMETOOLONG;
	return format_buf(buf, size, ":%s:M:0:%s:%s:%s:%s%s%s", name, magic, mask, interpreter,
			  flags & BINFMT_FLAG_FIX_BINARY ? "F" : "", flags & BINFMT_FLAG_PRESERVE_ARGV0 ? "P" : "",
			  flags & BINFMT_FLAG_CREDENTIALS ? "C" : "");
}

int binfmt_register(int dirfd, const char *line)
{
	return write_file_at(dirfd, "register", line);
}

int binfmt_unregister(int dirfd, const char *name)
{
	if (!name[0] || strchr(name, '/') || streq(name, "register") || streq(name, "status"))
		return -EINVAL;
	return write_file_at(dirfd, name, "-1");
}

static int parse_hex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = 0;

	while (s[0] && s[0] != '\n') {
		unsigned v;

		if (n == max || sscanf(s, "%2x", &v) != 1 || !s[1])
			return -EINVAL;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	*len = n;
	return 0;
}

int binfmt_entry_read(int dirfd, const char *name, struct binfmt_entry *out)
{
	char text[2048];
	size_t mask_len = 0;
	bool have_magic = false;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (format_buf(out->name, sizeof(out->name), "%s", name) < 0)
		return -ENAMETOOLONG;
	n = read_file_at(dirfd, name, text, sizeof(text));
	if (n < 0)
		return (int)n;
	memset(out->mask, 0xff, sizeof(out->mask));
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (streq(line, "enabled"))
			out->enabled = true;
		else if (!strncmp(line, "interpreter ", 12))
			snprintf(out->interpreter, sizeof(out->interpreter), "%s", line + 12);
		else if (!strncmp(line, "flags: ", 7))
			snprintf(out->flags, sizeof(out->flags), "%s", line + 7);
		else if (!strncmp(line, "offset ", 7))
			out->offset = (unsigned)strtoul(line + 7, NULL, 10);
		else if (!strncmp(line, "magic ", 6)) {
			if (parse_hex(line + 6, out->magic, sizeof(out->magic), &out->magic_len) < 0)
				return -EINVAL;
			have_magic = true;
		} else if (!strncmp(line, "mask ", 5)) {
			if (parse_hex(line + 5, out->mask, sizeof(out->mask), &mask_len) < 0)
				return -EINVAL;
		}
	}
	if (!have_magic || (mask_len && mask_len != out->magic_len))
		return -EINVAL;
	return 0;
}

bool binfmt_entry_claims(const struct binfmt_entry *entry, const struct arch_info *arch)
{
	if (!entry->enabled || entry->offset + entry->magic_len > arch->magic_len)
		return false;
	for (size_t i = 0; i < entry->magic_len; i++) {
		uint8_t byte = arch->magic[entry->offset + i];

		if ((byte & entry->mask[i]) != (entry->magic[i] & entry->mask[i]))
			return false;
	}
	return true;
}

int binfmt_find_claimant(int dirfd, const struct arch_info *arch, const char *except, struct binfmt_entry *out)
{
	_cleanup_close_ int fd = -EBADF;
	DIR *dir;
	struct dirent *de;
	int found = 0;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir)
		return -errno;
	fd = -EBADF; /* now owned by dir */
	while (!found && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || streq(de->d_name, "register") || streq(de->d_name, "status") ||
		    (except && streq(de->d_name, except)))
			continue;
		if (binfmt_entry_read(dirfd, de->d_name, out) == 0 && binfmt_entry_claims(out, arch))
			found = 1;
	}
	closedir(dir);
	return found;
}

static int open_if_binfmt(const char *path)
{
	_cleanup_close_ int fd = -EBADF;
	struct statfs sfs;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	if (sfs.f_type != BINFMTFS_MAGIC)
		return -ENOENT;
	return steal_fd(fd);
}

int binfmt_host_open(void)
{
	return open_if_binfmt(BINFMT_HOST_DIR);
}

int binfmt_host_mount(void)
{
	int fd = binfmt_host_open();

	if (fd != -ENOENT)
		return fd;
	if (mount("binfmt_misc", BINFMT_HOST_DIR, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return binfmt_host_open();
}

int binfmt_sandbox_mount(void)
{
	_cleanup_close_ int fs_fd = -EBADF;
	int mnt_fd;

	fs_fd = sys_fsopen("binfmt_misc", FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return -errno;
	if (sys_fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	mnt_fd = sys_fsmount(fs_fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt_fd < 0)
		return -errno;
	return mnt_fd;
}

int binfmt_attach(int mount_fd, const char *path)
{
	if (sys_move_mount(mount_fd, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

int binfmt_sandbox_probe(void)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd;

		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			_exit(2);
		fd = binfmt_sandbox_mount();
		_exit(fd >= 0 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (!WIFEXITED(status))
		return -ECHILD;
	switch (WEXITSTATUS(status)) {
	case 0:
		return 1;
	case 1:
		return 0;
	default:
		return -EPERM;
	}
}

/* Whether an earlier result already covers arch's emulator (armel after armhf). */
static bool emulator_seen(const struct binfmt_result *results, size_t n, const struct arch_info *arch)
{
	for (size_t i = 0; i < n; i++)
		if (streq(results[i].arch->qemu_name, arch->qemu_name))
			return true;
	return false;
}

/* Register (or keep) one emulator's entry; fills res->outcome and res->error. */
static void register_one(int dirfd, unsigned extra_flags, bool keep_others, struct binfmt_result *res)
{
	const struct emulator *emu = &res->emulator;
	char name[NAME_MAX + 1], line[BINFMT_REGISTER_MAX];
	struct binfmt_entry mine;
	unsigned flags = BINFMT_FLAG_FIX_BINARY | extra_flags;
	int r;

	if (emu->status != EMULATOR_FOUND) {
		res->outcome = BINFMT_NO_EMULATOR;
		return;
	}
	if (emu->preserve_argv0)
		flags |= BINFMT_FLAG_PRESERVE_ARGV0;
	r = binfmt_entry_name(res->arch, name, sizeof(name));
	if (r == 0 && keep_others && binfmt_find_claimant(dirfd, res->arch, name, &res->other) > 0) {
		res->outcome = BINFMT_KEPT_OTHER;
		return;
	}
	if (r == 0 && binfmt_entry_read(dirfd, name, &mine) == 0) {
		if (!keep_others || (mine.enabled && streq(mine.interpreter, emu->interpreter))) {
			res->outcome = BINFMT_ALREADY;
			return;
		}
		r = binfmt_unregister(dirfd, name);
	}
	if (r == 0)
		r = binfmt_format_register(res->arch, name, emu->interpreter, flags, line, sizeof(line));
	if (r == 0)
		r = binfmt_register(dirfd, line);
	if (r == -EEXIST && !keep_others) {
		/* Another container of this user namespace registered it first. */
		res->outcome = BINFMT_ALREADY;
		return;
	}
	res->outcome = r == 0 ? BINFMT_REGISTERED : BINFMT_FAILED;
	res->error = r;
}

int binfmt_register_emulators(int dirfd, const char *host_machine, const char *search_path, unsigned extra_flags,
			      bool keep_others, struct binfmt_result *results, size_t *n_results)
{
	return binfmt_register_arches(dirfd, host_machine, search_path, extra_flags, keep_others, UINT32_MAX, results,
				      n_results);
}

int binfmt_register_arches(int dirfd, const char *host_machine, const char *search_path, unsigned extra_flags,
			   bool keep_others, uint32_t arches, struct binfmt_result *results, size_t *n_results)
{
	int in_place = 0;
	size_t n = 0;

	for (size_t i = 0; i < arch_count(); i++) {
		const struct arch_info *arch = &arch_table[i];
		struct binfmt_result *res;
		int r;

		/* The set first: arch_is_native() of i386 runs a probe, made only for an arch asked for. */
		if (!(arches & arch_bit(arch)) || arch_is_native(arch, host_machine) || emulator_seen(results, n, arch))
			continue;
		res = &results[n++];
		memset(res, 0, sizeof(*res));
		res->arch = arch;
		r = emulator_find(arch, host_machine, search_path, &res->emulator);
		if (r < 0)
			return r;
		register_one(dirfd, extra_flags, keep_others, res);
		if (res->outcome == BINFMT_REGISTERED || res->outcome == BINFMT_ALREADY)
			in_place++;
	}
	*n_results = n;
	return in_place;
}

const char *binfmt_mode_name(enum binfmt_mode mode)
{
	return mode == BINFMT_MODE_SANDBOXED ? "sandboxed" : mode == BINFMT_MODE_HOST ? "host" : "auto";
}

int binfmt_mode_parse(const char *text, enum binfmt_mode *mode)
{
	for (enum binfmt_mode m = BINFMT_MODE_AUTO; m <= BINFMT_MODE_HOST; m++)
		if (streq(text, binfmt_mode_name(m))) {
			*mode = m;
			return 0;
		}
	return -EINVAL;
}
