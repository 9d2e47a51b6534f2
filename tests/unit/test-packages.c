/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Packages index and the choice of a rootfs's packages. */
#include <errno.h>
#include <stdlib.h>

#include "../../bootstrap/archive.h"
#include "../../bootstrap/packages.h"
#include "harness.h"

static const char index_text[] =
	"Package: base-files\nPriority: required\nEssential: yes\nDepends: mawk | awk\n"
	"Filename: pool/b.deb\nSize: 10\nSHA256: aa\n\n"
	"Package: dpkg\nPriority: required\nEssential: yes\nPre-Depends: libc6 (>= 2.36), tar\n"
	"Filename: pool/d.deb\nSize: 10\nSHA256: bb\n\n"
	"Package: libc6\nPriority: optional\nFilename: pool/l.deb\nSize: 10\nSHA256: cc\n\n"
	"Package: tar\nPriority: required\nFilename: pool/t.deb\nSize: 10\nSHA256: dd\n\n"
	"Package: mawk\nPriority: required\nProvides: awk\nFilename: pool/m.deb\nSize: 10\nSHA256: ee\n\n"
	"Package: gawk\nPriority: optional\nProvides: awk\nFilename: pool/g.deb\nSize: 10\nSHA256: ff\n\n"
	"Package: apt\nPriority: important\nDepends: debian-keyring-virtual, libapt:any\n"
	"Filename: pool/a.deb\nSize: 10\nSHA256: 11\n\n"
	"Package: libapt\nPriority: optional\nFilename: pool/la.deb\nSize: 10\nSHA256: 12\n\n"
	"Package: keys\nPriority: optional\nProvides: debian-keyring-virtual (= 1)\nFilename: pool/k.deb\nSize: 10\n"
	"SHA256: 13\n\n"
	"Package: broken\nPriority: optional\nDepends: nothing-provides-this\nFilename: pool/x.deb\nSize: 10\n"
	"SHA256: 14\n\n"
	"Package: certbot\nPriority: optional\nDepends: acme-abi-2 (>= 2.1)\nFilename: pool/c.deb\nSize: 10\n"
	"SHA256: 15\n\n"
	"Package: acme\nPriority: optional\nProvides: acme-abi-2 (= 2.1.0)\nFilename: pool/ac.deb\nSize: 10\n"
	"SHA256: 16\n\n"
	"Package: nofile\nPriority: required\n\n";

static void load(struct deb_index *index)
{
	char *text = strdup(index_text);

	CHECK(text);
	CHECK_INT(deb_index_parse(text, index), ==, 0);
}

TEST(index_parses_fields)
{
	struct deb_index index;
	struct deb_package *p;

	load(&index);
	CHECK_INT(index.n, ==, 12); /* "nofile" has no Filename: not installable */
	p = deb_index_find(&index, "dpkg");
	CHECK(p);
	CHECK(p->essential);
	CHECK_STR(p->priority, "required");
	CHECK_STR(p->pre_depends, "libc6 (>= 2.36), tar");
	CHECK_STR(p->filename, "pool/d.deb");
	CHECK_INT(p->size, ==, 10);
	CHECK(!deb_index_find(&index, "nofile"));
	CHECK(!deb_index_find(&index, "awk"));
	deb_index_free(&index);
}

TEST(selection_closes_over_depends_alternatives_and_provides)
{
	const char *extras[] = { "apt", NULL };
	struct deb_index index;
	char missing[256];

	load(&index);
	/* base-files dpkg tar mawk (required/essential), apt, libc6, libapt, keys. */
	CHECK_INT(deb_select(&index, extras, missing, sizeof(missing)), ==, 8);
	CHECK(deb_index_find(&index, "libc6")->selected);  /* Pre-Depends, with a version */
	CHECK(deb_index_find(&index, "mawk")->selected);   /* first alternative */
	CHECK(!deb_index_find(&index, "gawk")->selected);  /* the other provider of awk */
	CHECK(deb_index_find(&index, "keys")->selected);   /* only provider of a virtual package */
	CHECK(deb_index_find(&index, "libapt")->selected); /* ":any" qualifier stripped */
	CHECK(!deb_index_find(&index, "broken")->selected);
	deb_index_free(&index);
}

/* certbot's "python3-acme-abi-2 (>= 2.1)": only python3-acme provides it, with a version. */
TEST(versioned_dependency_on_a_virtual_package)
{
	const char *extras[] = { "certbot", NULL };
	struct deb_index index;
	char missing[256] = "";

	load(&index);
	CHECK_INT(deb_select(&index, extras, missing, sizeof(missing)), ==, 7);
	CHECK_STR(missing, "");
	CHECK(deb_index_find(&index, "acme")->selected);
	deb_index_free(&index);
}

TEST(unknown_extras_and_unsatisfiable_dependencies_are_named)
{
	const char *unknown[] = { "no-such", NULL };
	const char *broken[] = { "broken", NULL };
	struct deb_index index;
	char missing[256];

	load(&index);
	CHECK_INT(deb_select(&index, unknown, missing, sizeof(missing)), ==, -ENOENT);
	CHECK_STR(missing, "'no-such' is not in the suite");
	deb_index_free(&index);
	load(&index);
	CHECK_INT(deb_select(&index, broken, missing, sizeof(missing)), ==, -ENOENT);
	CHECK_STR(missing, "'nothing-provides-this', needed by broken");
	deb_index_free(&index);
}

TEST(release_fields)
{
	const char release[] =
		"Origin: Debian\nArchitectures: all amd64 arm64 armhf\nSHA256:\n"
		" 0123456789012345678901234567890123456789012345678901234567890123 42 main/binary-arm64/Packages\n"
		" abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd 7 main/binary-arm64/Packages.xz\n";
	char sha[65];
	uint64_t size;

	CHECK_INT(release_file_hash(release, "main/binary-arm64/Packages.xz", sha, &size), ==, 0);
	CHECK_STR(sha, "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd");
	CHECK_INT(size, ==, 7);
	CHECK_INT(release_file_hash(release, "main/binary-riscv64/Packages.xz", sha, &size), ==, -ENOENT);
	CHECK(release_has_arch(release, "arm64"));
	CHECK(release_has_arch(release, "armhf"));
	CHECK(!release_has_arch(release, "arm"));
	CHECK(!release_has_arch(release, "riscv64"));
}

TEST(sha256_of_text_and_files)
{
	char hex[65], path[] = "/tmp/crossroot-sha.XXXXXX";
	int fd = mkstemp(path);

	CHECK_INT(sha256_text("abc", 3, hex), ==, 0);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK(fd >= 0);
	CHECK_INT(write(fd, "abc", 3), ==, 3);
	close(fd);
	CHECK_INT(sha256_file(path, hex), ==, 0);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	unlink(path);
	CHECK_INT(sha256_file("/nonexistent", hex), ==, -ENOENT);
}

/* Several components' indexes (main, contrib) read into one: a package of either is found. */
TEST(indexes_of_several_components_load_as_one)
{
	char main_path[] = "/tmp/crossroot-main.XXXXXX", contrib_path[] = "/tmp/crossroot-contrib.XXXXXX";
	const char *paths[] = { main_path, contrib_path };
	int main_fd = mkstemp(main_path), contrib_fd = mkstemp(contrib_path);
	/* The first file ends without a newline: its last stanza must stay apart from the next file's first. */
	static const char main_text[] = "Package: libc6\nFilename: pool/l.deb\nSHA256: cc";
	static const char contrib_text[] = "Package: fonts-contrib\nDepends: libc6\nFilename: pool/f.deb\nSHA256: dd\n";
	struct deb_index index;

	CHECK(main_fd >= 0 && contrib_fd >= 0);
	CHECK_INT(write(main_fd, main_text, strlen(main_text)), ==, (long long)strlen(main_text));
	CHECK_INT(write(contrib_fd, contrib_text, strlen(contrib_text)), ==, (long long)strlen(contrib_text));
	close(main_fd);
	close(contrib_fd);
	CHECK_INT(deb_index_load_many(paths, 2, &index), ==, 0);
	unlink(main_path);
	unlink(contrib_path);
	CHECK_INT(index.n, ==, 2);
	CHECK_STR(deb_index_find(&index, "libc6")->sha256, "cc");
	CHECK_STR(deb_index_find(&index, "fonts-contrib")->depends, "libc6");
	deb_index_free(&index);
}
