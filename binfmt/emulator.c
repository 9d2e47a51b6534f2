/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "emulator.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "../base/util.h"

static int read_exact_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ENOEXEC;
}

/* Whether the program headers include PT_INTERP (a dynamic program); read in one pread(2) when they fit 4 KiB. */
#define DEFINE_HAS_INTERP(bits)                                                                                 \
	static int has_interp##bits(int fd, const Elf##bits##_Ehdr *eh)                                         \
	{                                                                                                       \
		Elf##bits##_Phdr ph[4096 / sizeof(Elf##bits##_Phdr)];                                           \
		unsigned done = 0;                                                                              \
                                                                                                                \
		if (eh->e_phentsize != sizeof(Elf##bits##_Phdr))                                                \
			return -ENOEXEC;                                                                        \
		while (done < eh->e_phnum) {                                                                    \
			unsigned n = eh->e_phnum - done < ARRAY_SIZE(ph) ? eh->e_phnum - done : ARRAY_SIZE(ph); \
			int r = read_exact_at(fd, ph, n * sizeof(ph[0]),                                        \
					      (off_t)(eh->e_phoff + (Elf##bits##_Off)done * sizeof(ph[0])));    \
			if (r < 0)                                                                              \
				return r;                                                                       \
			for (unsigned i = 0; i < n; i++)                                                        \
				if (ph[i].p_type == PT_INTERP)                                                  \
					return 1;                                                               \
			done += n;                                                                              \
		}                                                                                               \
		return 0;                                                                                       \
	}

DEFINE_HAS_INTERP(32)
DEFINE_HAS_INTERP(64)

/* The e_machine of this program itself, which every emulator must share. */
static uint16_t host_elf_machine(void)
{
	static uint16_t machine;

	if (!machine) {
		_cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		Elf32_Ehdr eh;

		if (fd >= 0 && read_exact_at(fd, &eh, sizeof(eh), 0) == 0)
			machine = eh.e_machine;
	}
	return machine;
}

int elf_is_static(int fd)
{
	union {
		unsigned char ident[EI_NIDENT];
		Elf32_Ehdr e32;
		Elf64_Ehdr e64;
	} h;
	int r;

	r = read_exact_at(fd, &h, sizeof(h), 0);
	if (r < 0)
		return r;
	if (memcmp(h.ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (h.ident[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
#else
	if (h.ident[EI_DATA] != ELFDATA2MSB)
		return -ENOEXEC;
#endif
	/* An emulator is a host program: e_machine sits at the same offset in both classes. */
	if (h.e32.e_machine != host_elf_machine())
		return -ENOEXEC;
	if (h.ident[EI_CLASS] == ELFCLASS64)
		r = has_interp64(fd, &h.e64);
	else if (h.ident[EI_CLASS] == ELFCLASS32)
		r = has_interp32(fd, &h.e32);
	else
		return -ENOEXEC;
	return r < 0 ? r : !r;
}

/*
 * Look at one candidate.  Returns 1 when it is a static emulator (copied to
 * out->path), 0 when it is absent, unusable or dynamic (a dynamic one is
 * remembered in out->rejected), or -errno.
 */
static int try_candidate(const char *path, struct emulator *out)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	/* Never open what is not a regular file: a FIFO would block, a device could do anything. */
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	r = elf_is_static(fd);
	if (r < 0)
		return 0;
	if (r == 0) {
		if (!out->rejected[0] && format_buf(out->rejected, sizeof(out->rejected), "%s", path) < 0)
			return -ENAMETOOLONG;
		return 0;
	}
	if (format_buf(out->path, sizeof(out->path), "%s", path) < 0)
		return -ENAMETOOLONG;
	return 1;
}

static int try_dir(const char *dir, size_t dir_len, const struct arch_info *arch, struct emulator *out)
{
	static const char *const suffixes[] = { "-static", "" };
	char path[PATH_MAX];

	if (dir_len == 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		int r;

		if (format_buf(path, sizeof(path), "%.*s/qemu-%s%s", (int)dir_len, dir, arch->qemu_name, suffixes[i]) <
		    0)
			continue;
		r = try_candidate(path, out);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Set the interpreter string, preferring the -binfmt-P wrapper of the same file. */
static int choose_interpreter(struct emulator *out)
{
	char wrapper[PATH_MAX];
	struct stat a, b;

	if (format_buf(wrapper, sizeof(wrapper), EMULATOR_LIBEXEC_DIR "/%s-binfmt-P", out->arch->qemu_name) == 0 &&
	    stat(wrapper, &a) == 0 && stat(out->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		out->preserve_argv0 = true;
		return format_buf(out->interpreter, sizeof(out->interpreter), "%s", wrapper);
	}
	out->preserve_argv0 = false;
	return format_buf(out->interpreter, sizeof(out->interpreter), "%s", out->path);
}

static int search(const struct arch_info *arch, const char *search_path, struct emulator *out)
{
	char wrapper[PATH_MAX];
	int r;

	for (const char *p = search_path; p && *p;) {
		const char *end = strchrnul(p, ':');

		/* Relative entries ("." or "") would make the emulator depend on the working directory. */
		r = p[0] == '/' ? try_dir(p, (size_t)(end - p), arch, out) : 0;
		if (r != 0)
			return r;
		p = *end ? end + 1 : end;
	}
	r = try_dir("/usr/bin", strlen("/usr/bin"), arch, out);
	if (r != 0)
		return r;
	if (format_buf(wrapper, sizeof(wrapper), EMULATOR_LIBEXEC_DIR "/%s-binfmt-P", arch->qemu_name) < 0)
		return -ENAMETOOLONG;
	return try_candidate(wrapper, out);
}

int emulator_find(const struct arch_info *arch, const char *host_machine, const char *search_path, struct emulator *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	out->arch = arch;
	if (arch_is_native(arch, host_machine)) {
		out->status = EMULATOR_NATIVE;
		return 0;
	}
	r = search(arch, search_path, out);
	if (r < 0)
		return r;
	if (r == 0) {
		out->status = out->rejected[0] ? EMULATOR_NOT_STATIC : EMULATOR_NOT_FOUND;
		return 0;
	}
	out->status = EMULATOR_FOUND;
	return choose_interpreter(out);
}

int emulator_describe(const struct emulator *emulator, char *buf, size_t size)
{
	const char *q = emulator->arch->qemu_name;

	switch (emulator->status) {
	case EMULATOR_NOT_STATIC:
		return format_buf(buf, size, "%s is dynamically linked", emulator->rejected);
	case EMULATOR_NOT_FOUND:
		return format_buf(buf, size,
				  "no qemu-%s-static or qemu-%s in PATH or /usr/bin, and no " EMULATOR_LIBEXEC_DIR
				  "/%s-binfmt-P",
				  q, q, q);
	case EMULATOR_FOUND:
	case EMULATOR_NATIVE:
		break;
	}
	return -EINVAL;
}

const char *emulator_hint(const struct emulator *emulator)
{
	switch (emulator->status) {
	case EMULATOR_NOT_STATIC:
		return "a dynamically linked emulator cannot load its libraries after pivot_root; "
		       "install the static one: apt-get install qemu-user-static";
	case EMULATOR_NOT_FOUND:
		return "install the static QEMU emulators: apt-get install qemu-user-static";
	case EMULATOR_FOUND:
	case EMULATOR_NATIVE:
		break;
	}
	return "";
}
