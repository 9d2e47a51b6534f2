/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootfs-arch.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "../base/syscalls.h"
#include "../base/util.h"

/* Whatever the rootfs's symlinks say: never the host's files, /proc's magic links, or another mount. */
#define IN_ROOTFS (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)

/* Whether an open_in_rootfs() error means "there is no such file". */
static bool absent(int r)
{
	return r == -ENOENT || r == -ENOTDIR || r == -ELOOP || r == -EXDEV || r == -EINVAL;
}

/* Open path (relative) inside the rootfs for reading.  Returns an fd, -EINVAL for no regular file, or -errno. */
static int open_in_rootfs(int rootfd, const char *path)
{
	/* O_NONBLOCK: a FIFO named like the file must not hang the probe. */
	_cleanup_close_ int fd = sys_openat2(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, IN_ROOTFS);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return steal_fd(fd);
}

static int read_shell(int rootfd, struct rootfs_arch *out)
{
	_cleanup_close_ int fd = open_in_rootfs(rootfd, "bin/sh");
	const uint8_t *h = out->elf_header;
	ssize_t n;

	if (fd < 0)
		return absent(fd) ? 0 : fd;
	n = read(fd, out->elf_header, sizeof(out->elf_header));
	if (n < 0)
		return -errno;
	if ((size_t)n < EI_NIDENT + 4 || memcmp(h, ELFMAG, SELFMAG) != 0)
		return 0;
	out->elf_len = (size_t)n;
	/* e_machine follows e_ident and the 2-byte e_type, in the file's own byte order. */
	out->elf_machine = h[EI_DATA] == ELFDATA2MSB ? (unsigned)(h[18] << 8 | h[19]) : (unsigned)(h[19] << 8 | h[18]);
	out->elf_arch = arch_lookup_elf(h, out->elf_len);
	return 0;
}

/* The Architecture of the dpkg package in dpkg's status database, into arch. */
static int read_dpkg_status(FILE *f, char *arch, size_t size)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	bool in_dpkg = false;

	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			in_dpkg = false;
		else if (streq(line, "Package: dpkg"))
			in_dpkg = true;
		else if (in_dpkg && !strncmp(line, "Architecture:", 13)) {
			const char *value = line + 13 + strspn(line + 13, " \t");

			snprintf(arch, size, "%.*s", (int)strcspn(value, " \t"), value);
			return 0;
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* The first word of the file: the native architecture in dpkg's arch-native and arch files. */
static int read_first_word(FILE *f, char *arch, size_t size)
{
	char line[128] = "";

	if (!fgets(line, sizeof(line), f))
		return ferror(f) ? -EIO : 0;
	snprintf(arch, size, "%.*s", (int)strcspn(line, " \t\r\n"), line);
	return 0;
}

static int read_dpkg_arch(int rootfd, struct rootfs_arch *out)
{
	static const struct {
		const char *path;
		int (*read)(FILE *f, char *arch, size_t size);
	} sources[] = {
		{ "/var/lib/dpkg/status", read_dpkg_status },
		{ "/var/lib/dpkg/arch-native", read_first_word },
		{ "/var/lib/dpkg/arch", read_first_word },
	};

	for (size_t i = 0; i < ARRAY_SIZE(sources) && !out->dpkg_arch[0]; i++) {
		_cleanup_close_ int fd = open_in_rootfs(rootfd, sources[i].path + 1);
		_cleanup_fclose_ FILE *f = NULL;
		int r;

		if (fd < 0) {
			if (absent(fd))
				continue;
			return fd;
		}
		f = fdopen(fd, "re");
		if (!f)
			return -errno;
		steal_fd(fd);
		r = sources[i].read(f, out->dpkg_arch, sizeof(out->dpkg_arch));
		if (r < 0)
			return r;
		if (out->dpkg_arch[0])
			snprintf(out->dpkg_source, sizeof(out->dpkg_source), "%s", sources[i].path);
	}
	return 0;
}

int rootfs_arch_probe(int rootfd, struct rootfs_arch *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = read_shell(rootfd, out);
	if (r == 0)
		r = read_dpkg_arch(rootfd, out);
	return r;
}

enum rootfs_arch_verdict rootfs_arch_check(const struct rootfs_arch *found, const struct arch_info *want)
{
	if (!found->elf_len && !found->dpkg_arch[0])
		return ROOTFS_ARCH_UNKNOWN;
	if (found->elf_len && !arch_magic_matches(want, found->elf_header, found->elf_len))
		return ROOTFS_ARCH_ELF_MISMATCH;
	if (found->dpkg_arch[0] && !streq(found->dpkg_arch, want->name))
		return ROOTFS_ARCH_DPKG_MISMATCH;
	return ROOTFS_ARCH_MATCH;
}

int rootfs_dpkg_arches(int rootfd, uint32_t *arches)
{
	_cleanup_close_ int fd = open_in_rootfs(rootfd, "var/lib/dpkg/arch");
	_cleanup_fclose_ FILE *f = NULL;
	char word[64];

	*arches = 0;
	if (fd < 0)
		return absent(fd) ? 0 : fd;
	f = fdopen(fd, "re");
	if (!f)
		return -errno;
	steal_fd(fd);
	while (fscanf(f, "%63s", word) == 1) {
		const struct arch_info *arch = arch_lookup(word);

		if (arch)
			*arches |= arch_bit(arch);
	}
	return ferror(f) ? -EIO : 0;
}
