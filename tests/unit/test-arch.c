/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The architecture table against real ELF headers and Debian's binfmt files. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "../../binfmt/arch.h"
#include "../../binfmt/binfmt.h"
#include "../../base/util.h"
#include <sys/wait.h>

#include "harness.h"

#define EF_MIPS_ABI2_FLAG 0x20

static void put16(uint8_t *p, uint16_t v, uint8_t data)
{
	if (data == ELFDATA2LSB) {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
	} else {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
}

static void put32(uint8_t *p, uint32_t v, uint8_t data)
{
	for (int i = 0; i < 4; i++)
		p[data == ELFDATA2LSB ? i : 3 - i] = (uint8_t)(v >> (8 * i));
}

/*
 * A complete ELF header as a linker writes it for arch: 52 bytes for
 * ELFCLASS32, 64 for ELFCLASS64, fields in the arch's byte order.
 */
static size_t build_header(const struct arch_info *arch, uint16_t type, uint8_t osabi, uint32_t flags, uint8_t *h)
{
	bool is64 = arch->elf_class == ELFCLASS64;
	size_t size = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	/* e_flags sits after e_entry, e_phoff and e_shoff, each 4 or 8 bytes. */
	size_t flags_at = is64 ? 48 : 36;

	memset(h, 0, 64);
	memcpy(h, ELFMAG, SELFMAG);
	h[EI_CLASS] = arch->elf_class;
	h[EI_DATA] = arch->elf_data;
	h[EI_VERSION] = EV_CURRENT;
	h[EI_OSABI] = osabi;
	put16(h + 16, type, arch->elf_data);
	put16(h + 18, arch->elf_machine, arch->elf_data);
	put32(h + 20, EV_CURRENT, arch->elf_data);
	put32(h + flags_at, flags, arch->elf_data);
	put16(h + (is64 ? 52 : 40), (uint16_t)size, arch->elf_data);
	return size;
}

TEST(every_arch_matches_its_own_headers)
{
	static const uint16_t types[] = { ET_EXEC, ET_DYN };
	static const uint8_t osabis[] = { ELFOSABI_SYSV, ELFOSABI_GNU };

	for (size_t i = 0; i < arch_count(); i++) {
		const struct arch_info *arch = &arch_table[i];

		for (size_t t = 0; t < ARRAY_SIZE(types); t++)
			for (size_t o = 0; o < ARRAY_SIZE(osabis); o++) {
				uint8_t h[64];
				size_t len = build_header(arch, types[t], osabis[o], 0, h);

				if (!arch_magic_matches(arch, h, len))
					harness_fail(__FILE__, __LINE__,
						     "%s does not match its type %u osabi %u header", arch->name,
						     types[t], osabis[o]);
			}
	}
}

TEST(no_arch_matches_another_emulators_header)
{
	for (size_t i = 0; i < arch_count(); i++) {
		uint8_t h[64];
		size_t len = build_header(&arch_table[i], ET_EXEC, ELFOSABI_SYSV, 0, h);

		for (size_t j = 0; j < arch_count(); j++) {
			if (streq(arch_table[i].qemu_name, arch_table[j].qemu_name))
				continue;
			if (arch_magic_matches(&arch_table[j], h, len))
				harness_fail(__FILE__, __LINE__, "%s's magic matches a %s header", arch_table[j].name,
					     arch_table[i].name);
		}
	}
}

TEST(relocatable_objects_and_core_files_do_not_match)
{
	for (size_t i = 0; i < arch_count(); i++) {
		uint8_t h[64];
		size_t len = build_header(&arch_table[i], ET_REL, ELFOSABI_SYSV, 0, h);

		CHECK(!arch_magic_matches(&arch_table[i], h, len));
		len = build_header(&arch_table[i], ET_CORE, ELFOSABI_SYSV, 0, h);
		CHECK(!arch_magic_matches(&arch_table[i], h, len));
	}
}

TEST(mipsel_rejects_n32_binaries)
{
	const struct arch_info *mipsel = arch_lookup("mipsel");
	uint8_t h[64];
	size_t len;

	CHECK(mipsel);
	len = build_header(mipsel, ET_EXEC, ELFOSABI_SYSV, 0x50001007, h);
	CHECK(arch_magic_matches(mipsel, h, len));
	len = build_header(mipsel, ET_EXEC, ELFOSABI_SYSV, 0x50001007 | EF_MIPS_ABI2_FLAG, h);
	CHECK(!arch_magic_matches(mipsel, h, len));
}

TEST(short_headers_never_match)
{
	const struct arch_info *arm64 = arch_lookup("arm64");
	uint8_t h[64];
	size_t len = build_header(arm64, ET_EXEC, 0, 0, h);

	CHECK(arch_magic_matches(arm64, h, len));
	CHECK(!arch_magic_matches(arm64, h, arm64->magic_len - 1));
}

TEST(lookup_elf_names_the_arch_of_a_header)
{
	const struct arch_info *arm64 = arch_lookup("arm64");
	uint8_t h[64];
	size_t len;

	for (size_t i = 0; i < arch_count(); i++) {
		const struct arch_info *found;

		len = build_header(&arch_table[i], ET_DYN, ELFOSABI_SYSV, 0, h);
		found = arch_lookup_elf(h, len);
		CHECK(found);
		/* armhf and armel look alike: the first of them answers for both. */
		CHECK(streq(found->qemu_name, arch_table[i].qemu_name));
	}
	len = build_header(arm64, ET_EXEC, ELFOSABI_SYSV, 0, h);
	put16(h + 18, EM_IA_64, ELFDATA2LSB);
	CHECK(arch_lookup_elf(h, len) == NULL);
	CHECK(arch_lookup_elf(h, 4) == NULL);
}

/* Parse a "\x7f\x45..."-or-"\x7fELF" escaped string of a /usr/share/binfmts file. */
static size_t unescape(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*s && *s != '\n' && n < max) {
		if (s[0] == '\\' && s[1] == 'x') {
			char hex[3] = { s[2], s[3], 0 };
			out[n++] = (uint8_t)strtoul(hex, NULL, 16);
			s += 4;
		} else
			out[n++] = (uint8_t)*s++;
	}
	return n;
}

TEST(table_agrees_with_debian_qemu_binfmt_files)
{
	int compared = 0;

	for (size_t i = 0; i < arch_count(); i++) {
		const struct arch_info *arch = &arch_table[i];
		char path[128], text[4096];
		uint8_t magic[ARCH_MAGIC_MAX], mask[ARCH_MAGIC_MAX];
		size_t magic_len = 0, mask_len = 0;

		if (arch->native_host || arch_lookup_qemu(arch->qemu_name) != arch)
			continue;
		snprintf(path, sizeof(path), "/usr/share/binfmts/qemu-%s", arch->qemu_name);
		if (read_file_at(AT_FDCWD, path, text, sizeof(text)) < 0)
			harness_fail(__FILE__, __LINE__, "%s: %m (qemu-user-static is a test prerequisite)", path);
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			if (!strncmp(line, "magic ", 6))
				magic_len = unescape(line + 6, magic, sizeof(magic));
			else if (!strncmp(line, "mask ", 5))
				mask_len = unescape(line + 5, mask, sizeof(mask));
		}
		CHECK_INT(magic_len, ==, arch->magic_len);
		CHECK_INT(mask_len, ==, arch->magic_len);
		if (memcmp(mask, arch->mask, mask_len) != 0)
			harness_fail(__FILE__, __LINE__, "%s: mask differs from %s", arch->name, path);
		for (size_t b = 0; b < magic_len; b++)
			CHECK_INT(magic[b] & mask[b], ==, arch->magic[b] & arch->mask[b]);
		compared++;
	}
	CHECK_INT(compared, ==, 9);
}

TEST(lookup_by_debian_and_qemu_name)
{
	// clang-format off
	static const struct {
		const char *name, *qemu, *uname_m;
	} expect[] = {
		{ "amd64", "x86_64", "x86_64" },   { "i386", "i386", "i686" },       { "arm64", "aarch64", "aarch64" },
		{ "armhf", "arm", "armv7l" },      { "armel", "arm", "armv7l" },     { "ppc64el", "ppc64le", "ppc64le" },
		{ "ppc64", "ppc64", "ppc64" },     { "s390x", "s390x", "s390x" },    { "riscv64", "riscv64", "riscv64" },
		{ "mips64el", "mips64el", "mips64" }, { "mipsel", "mipsel", "mips" }, { "loong64", "loongarch64", "loongarch64" },
	};
	// clang-format on

	CHECK_INT(arch_count(), ==, ARRAY_SIZE(expect));
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++) {
		const struct arch_info *arch = arch_lookup(expect[i].name);

		CHECK(arch);
		CHECK_STR(arch->qemu_name, expect[i].qemu);
		CHECK_STR(arch->uname_m, expect[i].uname_m);
	}
	CHECK(arch_lookup_qemu("arm") == arch_lookup("armhf"));
	CHECK(!arch_lookup("aarch64"));
	CHECK(!arch_lookup(""));
	CHECK(arch_lookup("i386")->personality32);
	CHECK(!arch_is_native(arch_lookup("arm64"), "x86_64"));
	CHECK(arch_is_native(arch_lookup("amd64"), "x86_64"));
	CHECK(strstr(arch_names(), "arm64, armhf"));
}

/* The OCI platforms as Go names them (GOARCH, GOARM): what podman and the registries use. */
TEST(oci_platforms_map_both_ways)
{
	// clang-format off
	static const struct {
		const char *name, *arch, *variant;
	} expect[] = {
		{ "amd64", "amd64", NULL },      { "i386", "386", NULL },           { "arm64", "arm64", "v8" },
		{ "armhf", "arm", "v7" },        { "armel", "arm", "v5" },          { "ppc64el", "ppc64le", NULL },
		{ "ppc64", "ppc64", NULL },      { "s390x", "s390x", NULL },        { "riscv64", "riscv64", NULL },
		{ "mips64el", "mips64le", NULL }, { "mipsel", "mipsle", NULL },     { "loong64", "loong64", NULL },
	};
	// clang-format on

	CHECK_INT(arch_count(), ==, ARRAY_SIZE(expect));
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++) {
		const struct arch_info *arch = arch_lookup(expect[i].name);

		CHECK(arch);
		CHECK_STR(arch->oci_arch, expect[i].arch);
		CHECK((arch->oci_variant == NULL) == (expect[i].variant == NULL));
		if (expect[i].variant)
			CHECK_STR(arch->oci_variant, expect[i].variant);
		CHECK(arch_lookup_oci(expect[i].arch, expect[i].variant) == arch);
	}
	/* arm64 images often leave out v8; arm without a variant is armhf, the registries' default. */
	CHECK(arch_lookup_oci("arm64", NULL) == arch_lookup("arm64"));
	CHECK(arch_lookup_oci("arm64", "") == arch_lookup("arm64"));
	CHECK(arch_lookup_oci("arm", NULL) == arch_lookup("armhf"));
	CHECK(!arch_lookup_oci("arm", "v6"));
	CHECK(!arch_lookup_oci("arm64", "v9"));
	CHECK(!arch_lookup_oci("aarch64", NULL));
	CHECK(!arch_lookup_oci("i386", NULL));
}

TEST(register_string_has_the_kernel_format)
{
	const struct arch_info *arm64 = arch_lookup("arm64");
	char line[BINFMT_REGISTER_MAX];

	CHECK_INT(binfmt_format_register(arm64, "crossroot-aarch64", "/usr/bin/qemu-aarch64-static",
					 BINFMT_FLAG_FIX_BINARY | BINFMT_FLAG_PRESERVE_ARGV0, line, sizeof(line)),
		  ==, 0);
	CHECK_STR(
		line,
		":crossroot-aarch64:M:0:"
		"\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:"
		"\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:"
		"/usr/bin/qemu-aarch64-static:FP");
	CHECK_INT(binfmt_format_register(arm64, "x", "/a:b", 0, line, sizeof(line)), ==, -EINVAL);
	CHECK_INT(binfmt_format_register(arm64, "a/b", "/a", 0, line, sizeof(line)), ==, -EINVAL);
	CHECK_INT(binfmt_format_register(arm64, "x", "/a", 0, line, 16), ==, -ENAMETOOLONG);
}

/* i386 on x86_64 is native exactly when this kernel runs a 32-bit x86 program. */
TEST(i386_is_native_only_where_the_kernel_runs_it)
{
	char path[512], out[64];
	char *argv[] = { path, "uname-m", NULL };
	int status;

	snprintf(path, sizeof(path), "%s/payload-i386", harness_payload_dir());
	status = harness_run_capture(argv, out, sizeof(out));
	/* 200 + ENOEXEC: the kernel refused it; 0: it ran. */
	CHECK(status == 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 208));
	CHECK_INT(arch_is_native(arch_lookup("i386"), "x86_64"), ==, status == 0);
	CHECK(!arch_is_native(arch_lookup("i386"), "aarch64"));
}

/* Each arch's multiarch tuple (accel's GNU triplet) is the one dpkg-architecture gives. */
TEST(multiarch_tuples_agree_with_dpkg_architecture)
{
	for (size_t i = 0; i < arch_count(); i++) {
		char cmd[128], got[64] = "";
		FILE *p;

		snprintf(cmd, sizeof(cmd), "dpkg-architecture -a %s -qDEB_HOST_MULTIARCH 2>/dev/null",
			 arch_table[i].name);
		p = popen(cmd, "r");
		CHECK(p != NULL);
		if (!p)
			return;
		if (!fgets(got, sizeof(got), p))
			got[0] = '\0';
		got[strcspn(got, "\n")] = '\0';
		CHECK_INT(pclose(p), ==, 0);
		CHECK_STR(arch_table[i].multiarch, got);
	}
}
