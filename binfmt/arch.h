/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The architecture table: every Debian architecture crossroot knows, with
 * the ELF magic and mask that identify its binaries to binfmt_misc, the QEMU
 * user-mode emulator that runs them, and what `uname -m` reports inside.
 *
 * Magic and mask are QEMU's (scripts/qemu-binfmt-conf.sh), as Debian's
 * qemu-user-static ships them in /usr/share/binfmts/; tests/unit/test-arch.c
 * checks them against those files and against ELF headers built in the test.
 * Several Debian architectures can share one emulator and one binfmt entry
 * (armhf and armel differ only in float ABI, which no magic can see).
 */
#ifndef CROSSROOT_BINFMT_ARCH_H
#define CROSSROOT_BINFMT_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARCH_MAGIC_MAX 40
/* Room enough for one item per table entry. */
#define ARCH_COUNT_MAX 32

struct arch_info {
	const char *name;	 /* Debian architecture name: "arm64" */
	const char *multiarch;	 /* Debian's multiarch tuple, the GNU triplet of its toolchain: "aarch64-linux-gnu" */
	const char *qemu_name;	 /* QEMU's name, also the binfmt entry's: "aarch64" */
	const char *uname_m;	 /* `uname -m` inside a container of this arch */
	const char *oci_arch;	 /* the OCI image platform's architecture (Go's GOARCH): "arm64" */
	const char *oci_variant; /* and its variant ("v8", "v7"), or NULL when it has none */
	const char *native_host; /* host `uname -m` that runs it natively, or NULL */
	bool personality32;	 /* natively, run under PER_LINUX32 (i386 on x86_64) */
	uint8_t elf_class;	 /* ELFCLASS32 / ELFCLASS64 */
	uint8_t elf_data;	 /* ELFDATA2LSB / ELFDATA2MSB */
	uint16_t elf_machine;	 /* e_machine: EM_AARCH64, ... */
	size_t magic_len;	 /* bytes of magic and mask used */
	uint8_t magic[ARCH_MAGIC_MAX];
	uint8_t mask[ARCH_MAGIC_MAX];
};

/* The table, in a stable order; arch_count() entries. */
extern const struct arch_info arch_table[];
size_t arch_count(void);

/* A set of entries as a bit mask (uint32_t: ARCH_COUNT_MAX bits): arch's bit. */
static inline uint32_t arch_bit(const struct arch_info *arch)
{
	return UINT32_C(1) << (arch - arch_table);
}

/* The entry for a Debian architecture name, or NULL when unknown. */
const struct arch_info *arch_lookup(const char *name);

/* The first entry whose emulator is QEMU's `qemu_name`, or NULL. */
const struct arch_info *arch_lookup_qemu(const char *qemu_name);

/*
 * Whether the first len bytes of a file (an ELF header) match the entry's
 * magic under its mask, exactly as binfmt_misc compares them
 * (fs/binfmt_misc.c check_file()).  len shorter than magic_len never matches.
 */
bool arch_magic_matches(const struct arch_info *arch, const uint8_t *header, size_t len);

/*
 * The first entry whose magic the ELF header of a program (its first len
 * bytes) matches, or NULL when none does.  Entries that share an emulator
 * share a magic (armhf, armel): the first of them is returned.
 */
const struct arch_info *arch_lookup_elf(const uint8_t *header, size_t len);

/*
 * Whether arch runs without an emulator on a host whose `uname -m` is
 * host_machine: amd64 on x86_64, and i386 there only when the kernel runs
 * 32-bit x86 programs, which is probed once per process by executing a
 * minimal i386 program (kernels without CONFIG_IA32_EMULATION, or booted
 * with ia32_emulation=0, refuse it: execve(2) ENOEXEC).
 */
bool arch_is_native(const struct arch_info *arch, const char *host_machine);

/*
 * The host's `uname -m` (from uname(2)), into buf of size bytes.
 * Returns 0 or -errno.
 */
int arch_host_machine(char *buf, size_t size);

/*
 * The entry whose OCI platform (image-spec config.md: architecture and
 * variant, as Go names them) is architecture/variant.  variant NULL or ""
 * matches the first entry of that architecture (arm: armhf, v7, the
 * default of the registries).  Returns NULL when none is.
 */
const struct arch_info *arch_lookup_oci(const char *architecture, const char *variant);

/* A comma-separated list of every Debian name, for error messages. */
const char *arch_names(void);

#endif
