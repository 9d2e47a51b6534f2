/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "arch.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "../base/util.h"

/* The table reads best as aligned rows. */
// clang-format off
/* The ELF identification shared by every entry: "\x7fELF", class, data, version. */
#define IDENT(class, data) 0x7f, 'E', 'L', 'F', class, data, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0

/* e_type ET_EXEC (2) with the low bit masked, so ET_DYN (3, PIE) matches too. */
#define TYPE_LE 0x02, 0x00
#define TYPE_BE 0x00, 0x02

/* Standard masks: all of e_ident but EI_OSABI, e_type's low bit, all of e_machine. */
#define MASK_LE 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff
#define MASK_BE 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff

const struct arch_info arch_table[] = {
	{
		.name = "amd64", .multiarch = "x86_64-linux-gnu", .qemu_name = "x86_64", .uname_m = "x86_64", .native_host = "x86_64",
		.oci_arch = "amd64",
		.elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_X86_64, .magic_len = 20,
		.magic = { IDENT(ELFCLASS64, ELFDATA2LSB), TYPE_LE, 0x3e, 0x00 },
		.mask = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfe, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xfe, 0xff, 0xff, 0xff },
	},
	{
		.name = "i386", .multiarch = "i386-linux-gnu", .qemu_name = "i386", .uname_m = "i686", .native_host = "x86_64",
		.oci_arch = "386",
		.personality32 = true,
		.elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_386, .magic_len = 20,
		.magic = { IDENT(ELFCLASS32, ELFDATA2LSB), TYPE_LE, 0x03, 0x00 },
		.mask = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfe, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xfe, 0xff, 0xff, 0xff },
	},
	{
		.name = "arm64", .multiarch = "aarch64-linux-gnu", .qemu_name = "aarch64", .uname_m = "aarch64",
		.oci_arch = "arm64", .oci_variant = "v8",
		.elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_AARCH64, .magic_len = 20,
		.magic = { IDENT(ELFCLASS64, ELFDATA2LSB), TYPE_LE, 0xb7, 0x00 },
		.mask = { MASK_LE },
	},
	/* armhf and armel share qemu-arm; QEMU's default CPU reports armv7l for both. */
	{
		.name = "armhf", .multiarch = "arm-linux-gnueabihf", .qemu_name = "arm", .uname_m = "armv7l",
		.oci_arch = "arm", .oci_variant = "v7",
		.elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_ARM, .magic_len = 20,
		.magic = { IDENT(ELFCLASS32, ELFDATA2LSB), TYPE_LE, 0x28, 0x00 },
		.mask = { MASK_LE },
	},
	{
		.name = "armel", .multiarch = "arm-linux-gnueabi", .qemu_name = "arm", .uname_m = "armv7l",
		.oci_arch = "arm", .oci_variant = "v5",
		.elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_ARM, .magic_len = 20,
		.magic = { IDENT(ELFCLASS32, ELFDATA2LSB), TYPE_LE, 0x28, 0x00 },
		.mask = { MASK_LE },
	},
	{
		.name = "ppc64el", .multiarch = "powerpc64le-linux-gnu", .qemu_name = "ppc64le", .uname_m = "ppc64le",
		.oci_arch = "ppc64le",
		.elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_PPC64, .magic_len = 20,
		.magic = { IDENT(ELFCLASS64, ELFDATA2LSB), TYPE_LE, 0x15, 0x00 },
		/* EI_OSABI partly checked and e_machine's high byte ignored, as QEMU does. */
		.mask = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xfe, 0xff, 0xff, 0x00 },
	},
	{
		.name = "ppc64", .multiarch = "powerpc64-linux-gnu", .qemu_name = "ppc64", .uname_m = "ppc64",
		.oci_arch = "ppc64",
		.elf_class = ELFCLASS64, .elf_data = ELFDATA2MSB, .elf_machine = EM_PPC64, .magic_len = 20,
		.magic = { IDENT(ELFCLASS64, ELFDATA2MSB), TYPE_BE, 0x00, 0x15 },
		.mask = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xff, 0xfe, 0xff, 0xff },
	},
	{
		.name = "s390x", .multiarch = "s390x-linux-gnu", .qemu_name = "s390x", .uname_m = "s390x",
		.oci_arch = "s390x",
		.elf_class = ELFCLASS64, .elf_data = ELFDATA2MSB, .elf_machine = EM_S390, .magic_len = 20,
		.magic = { IDENT(ELFCLASS64, ELFDATA2MSB), TYPE_BE, 0x00, 0x16 },
		.mask = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xff, 0xfe, 0xff, 0xff },
	},
	{
		.name = "riscv64", .multiarch = "riscv64-linux-gnu", .qemu_name = "riscv64", .uname_m = "riscv64",
		.oci_arch = "riscv64",
		.elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_RISCV, .magic_len = 20,
		.magic = { IDENT(ELFCLASS64, ELFDATA2LSB), TYPE_LE, 0xf3, 0x00 },
		.mask = { MASK_LE },
	},
	{
		.name = "mips64el", .multiarch = "mips64el-linux-gnuabi64", .qemu_name = "mips64el", .uname_m = "mips64",
		.oci_arch = "mips64le",
		.elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = EM_MIPS, .magic_len = 20,
		.magic = { IDENT(ELFCLASS64, ELFDATA2LSB), TYPE_LE, 0x08, 0x00 },
		/* EI_ABIVERSION's low bit ignored. */
		.mask = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xfe, 0xff, 0xff, 0xff },
	},
	/*
	 * mipsel is a 32-bit class like mipsn32el; the two differ in e_flags
	 * (byte 36, EF_MIPS_ABI2 = 0x20), so this magic is 37 bytes long.
	 */
	{
		.name = "mipsel", .multiarch = "mipsel-linux-gnu", .qemu_name = "mipsel", .uname_m = "mips",
		.oci_arch = "mipsle",
		.elf_class = ELFCLASS32, .elf_data = ELFDATA2LSB, .elf_machine = EM_MIPS, .magic_len = 37,
		.magic = { IDENT(ELFCLASS32, ELFDATA2LSB), TYPE_LE, 0x08, 0x00 },
		.mask = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20 },
	},
	{
		.name = "loong64", .multiarch = "loongarch64-linux-gnu", .qemu_name = "loongarch64", .uname_m = "loongarch64",
		.oci_arch = "loong64",
		.elf_class = ELFCLASS64, .elf_data = ELFDATA2LSB, .elf_machine = 258 /* EM_LOONGARCH */,
		.magic_len = 20,
		.magic = { IDENT(ELFCLASS64, ELFDATA2LSB), TYPE_LE, 0x02, 0x01 },
		/* EI_OSABI partly checked, EI_ABIVERSION ignored. */
		.mask = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xfe, 0xff, 0xff, 0xff },
	},
};
// clang-format on

_Static_assert(ARRAY_SIZE(arch_table) <= ARCH_COUNT_MAX, "ARCH_COUNT_MAX too small");

size_t arch_count(void)
{
	return ARRAY_SIZE(arch_table);
}

const struct arch_info *arch_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++)
		if (streq(arch_table[i].name, name))
			return &arch_table[i];
	return NULL;
}

const struct arch_info *arch_lookup_qemu(const char *qemu_name)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++)
		if (streq(arch_table[i].qemu_name, qemu_name))
			return &arch_table[i];
	return NULL;
}

const struct arch_info *arch_lookup_oci(const char *architecture, const char *variant)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++) {
		const struct arch_info *a = &arch_table[i];

		if (!streq(a->oci_arch, architecture))
			continue;
		/* arm64's only variant is v8, which images often leave out. */
		if (!variant || !variant[0] || (a->oci_variant && streq(a->oci_variant, variant)))
			return a;
	}
	return NULL;
}

bool arch_magic_matches(const struct arch_info *arch, const uint8_t *header, size_t len)
{
	if (len < arch->magic_len)
		return false;
	for (size_t i = 0; i < arch->magic_len; i++)
		if ((header[i] & arch->mask[i]) != (arch->magic[i] & arch->mask[i]))
			return false;
	return true;
}

const struct arch_info *arch_lookup_elf(const uint8_t *header, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++)
		if (arch_magic_matches(&arch_table[i], header, len))
			return &arch_table[i];
	return NULL;
}

/*
 * Whether this kernel runs a 32-bit x86 program: a minimal static i386 ELF
 * (exit(0) through int 0x80) executed from a memfd in a child.  Kernels
 * built without CONFIG_IA32_EMULATION, or booted with ia32_emulation=0,
 * refuse it with ENOEXEC.  Done once per process.
 */
static bool x86_32_runs(void)
{
	static int runs = -1;
	/* ELF header (52 bytes), one PT_LOAD program header (32), code (12). */
	static const uint8_t elf[] = {
		0x7f, 'E',  'L',  'F',	1,    1,    1,	  0,	0, 0, 0, 0, 0, 0, 0, 0, /* e_ident */
		2,    0,    3,	  0,	1,    0,    0,	  0,				/* ET_EXEC, EM_386, version */
		0x54, 0x80, 0x04, 0x08,							/* e_entry 0x08048054 */
		0x34, 0,    0,	  0,	0,    0,    0,	  0,	0, 0, 0, 0, /* e_phoff 52, e_shoff, e_flags */
		0x34, 0,    0x20, 0,	1,    0,    0,	  0,	0, 0, 0, 0, /* sizes, 1 phdr, no sections */
		1,    0,    0,	  0,	0,    0,    0,	  0,		    /* PT_LOAD, offset 0 */
		0x00, 0x80, 0x04, 0x08, 0x00, 0x80, 0x04, 0x08,		    /* vaddr, paddr */
		0x60, 0,    0,	  0,	0x60, 0,    0,	  0,		    /* filesz, memsz */
		5,    0,    0,	  0,	0,    0x10, 0,	  0,		    /* R+X, align 4096 */
		0xb8, 1,    0,	  0,	0,				    /* mov eax, 1 (exit) */
		0x31, 0xdb,						    /* xor ebx, ebx */
		0xcd, 0x80,						    /* int 0x80 */
		0x90, 0x90, 0x90,
	};
	char *argv[] = { (char *)"x86-32-probe", NULL }, *envp[] = { NULL };
	int fd, status;
	pid_t pid;

	if (runs >= 0)
		return runs;
	fd = (int)syscall(SYS_memfd_create, "crossroot-x86-32-probe", 1U /* MFD_CLOEXEC */);
	if (fd < 0 || write(fd, elf, sizeof(elf)) != (ssize_t)sizeof(elf)) {
		if (fd >= 0)
			close(fd);
		return false; /* cannot tell: not assumed */
	}
	/* vfork: the child only execs or exits, and copying our page tables for it took longer than the probe. */
	pid = vfork();
	if (pid == 0) {
		fexecve(fd, argv, envp);
		_exit(127);
	}
	close(fd);
	runs = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return runs;
}

bool arch_is_native(const struct arch_info *arch, const char *host_machine)
{
	if (!arch->native_host || !streq(arch->native_host, host_machine))
		return false;
	/* Native is probed, not assumed: many kernels refuse 32-bit x86 programs. */
	return !arch->personality32 || x86_32_runs();
}

int arch_host_machine(char *buf, size_t size)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	return format_buf(buf, size, "%s", u.machine);
}

const char *arch_names(void)
{
	static char names[256];

	if (!names[0]) {
		size_t used = 0;

		for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++) {
			int n = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "", arch_table[i].name);
			if (n < 0 || (size_t)n >= sizeof(names) - used)
				break;
			used += (size_t)n;
		}
	}
	return names;
}
