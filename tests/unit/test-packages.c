/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Packages index and the choice of a rootfs's packages. */
#include <errno.h>
#include <glob.h>
#include <stdlib.h>

#include "../../bootstrap/archive.h"
#include "../../bootstrap/packages.h"
#include "harness.h"

static const char index_text[] =
	"Package: base-files\nVersion: 1.0\nPriority: required\nEssential: yes\nDepends: mawk | awk\n"
	"Filename: pool/b.deb\nSize: 10\nSHA256: aa\n\n"
	"Package: dpkg\nVersion: 1.0\nPriority: required\nEssential: yes\nPre-Depends: libc6 (>= 2.36), tar\n"
	"Filename: pool/d.deb\nSize: 10\nSHA256: bb\n\n"
	"Package: libc6\nVersion: 2.36-9\nPriority: optional\nFilename: pool/l.deb\nSize: 10\nSHA256: cc\n\n"
	"Package: tar\nVersion: 1.0\nPriority: required\nFilename: pool/t.deb\nSize: 10\nSHA256: dd\n\n"
	"Package: mawk\nVersion: 1.0\nPriority: required\nProvides: awk\nFilename: pool/m.deb\nSize: 10\nSHA256: ee\n\n"
	"Package: gawk\nVersion: 1.0\nPriority: optional\nProvides: awk\nFilename: pool/g.deb\nSize: 10\nSHA256: ff\n\n"
	"Package: apt\nVersion: 1.0\nPriority: important\nDepends: debian-keyring-virtual, libapt:any\n"
	"Filename: pool/a.deb\nSize: 10\nSHA256: 11\n\n"
	"Package: libapt\nVersion: 1.0\nPriority: optional\nFilename: pool/la.deb\nSize: 10\nSHA256: 12\n\n"
	"Package: keys\nVersion: 1.0\nPriority: optional\nProvides: debian-keyring-virtual (= 1)\n"
	"Filename: pool/k.deb\nSize: 10\nSHA256: 13\n\n"
	"Package: broken\nVersion: 1.0\nPriority: optional\nDepends: nothing-provides-this\n"
	"Filename: pool/x.deb\nSize: 10\nSHA256: 14\n\n"
	"Package: certbot\nVersion: 1.0\nPriority: optional\nDepends: acme-abi-2 (>= 2.1)\n"
	"Filename: pool/c.deb\nSize: 10\nSHA256: 15\n\n"
	"Package: acme\nVersion: 1.0\nPriority: optional\nProvides: acme-abi-2 (= 2.1.0)\n"
	"Filename: pool/ac.deb\nSize: 10\nSHA256: 16\n\n"
	"Package: nofile\nVersion: 1.0\nPriority: required\n\n";

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
	struct cr_error missing;

	load(&index);
	/* base-files dpkg tar mawk (required/essential), apt, libc6, libapt, keys. */
	CHECK_INT(deb_select(&index, extras, &missing), ==, 8);
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
	struct cr_error missing;

	load(&index);
	CHECK_INT(deb_select(&index, extras, &missing), ==, 7);
	CHECK_STR(missing.message, "");
	CHECK(deb_index_find(&index, "acme")->selected);
	deb_index_free(&index);
}

TEST(unknown_extras_and_unsatisfiable_dependencies_are_named)
{
	const char *unknown[] = { "no-such", NULL };
	const char *broken[] = { "broken", NULL };
	struct deb_index index;
	struct cr_error missing;

	load(&index);
	CHECK_INT(deb_select(&index, unknown, &missing), ==, -ENOENT);
	CHECK_STR(missing.message, "'no-such' is not in the suite");
	deb_index_free(&index);
	load(&index);
	CHECK_INT(deb_select(&index, broken, &missing), ==, -ENOENT);
	CHECK_STR(missing.message, "'nothing-provides-this', needed by broken");
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
	char main_path[] = "/tmp/crossroot-main.XXXXXX", contrib_path[] = "/tmp/crossroot-contrib.XXXXXX",
	     empty_path[] = "/tmp/crossroot-empty.XXXXXX";
	/* The last is empty, as an updates pocket's component with no package yet is. */
	const char *paths[] = { main_path, contrib_path, empty_path };
	int main_fd = mkstemp(main_path), contrib_fd = mkstemp(contrib_path), empty_fd = mkstemp(empty_path);
	/* The first file ends without a newline: its last stanza must stay apart from the next file's first. */
	static const char main_text[] = "Package: libc6\nFilename: pool/l.deb\nSHA256: cc";
	static const char contrib_text[] = "Package: fonts-contrib\nDepends: libc6\nFilename: pool/f.deb\nSHA256: dd\n";
	struct deb_index index;

	CHECK(main_fd >= 0 && contrib_fd >= 0 && empty_fd >= 0);
	close(empty_fd);
	CHECK_INT(write(main_fd, main_text, strlen(main_text)), ==, (long long)strlen(main_text));
	CHECK_INT(write(contrib_fd, contrib_text, strlen(contrib_text)), ==, (long long)strlen(contrib_text));
	close(main_fd);
	close(contrib_fd);
	CHECK_INT(deb_index_load_many(paths, 3, &index), ==, 0);
	unlink(main_path);
	unlink(contrib_path);
	unlink(empty_path);
	CHECK_INT(index.n, ==, 2);
	CHECK_STR(deb_index_find(&index, "libc6")->sha256, "cc");
	CHECK_STR(deb_index_find(&index, "fonts-contrib")->depends, "libc6");
	/* Each package's file is known: its .deb is fetched from that file's mirror. */
	CHECK_INT(deb_index_file_of(&index, deb_index_find(&index, "libc6")), ==, 0);
	CHECK_INT(deb_index_file_of(&index, deb_index_find(&index, "fonts-contrib")), ==, 1);
	deb_index_free(&index);
}

/*
 * An index with no package at all, as the Release lists it (bookworm-updates
 * has an empty contrib/binary-arm64/Packages.xz): xz of nothing, and a plain
 * empty file, read beside a full index as no packages, not as an error.
 */
TEST(an_empty_index_holds_no_packages)
{
	static const unsigned char empty_xz[] = { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4,
						  0x46, 0x00, 0x00, 0x00, 0x00, 0x1c, 0xdf, 0x44, 0x21, 0x1f, 0xb6,
						  0xf3, 0x7d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x04, 0x59, 0x5a };
	static const char main_text[] = "Package: libc6\nFilename: pool/l.deb\nSHA256: cc\n";
	char main_path[] = "/tmp/crossroot-main.XXXXXX", xz_path[] = "/tmp/crossroot-empty-xz.XXXXXX",
	     plain_path[] = "/tmp/crossroot-empty.XXXXXX";
	const char *paths[] = { main_path, xz_path, plain_path };
	int main_fd = mkstemp(main_path), xz_fd = mkstemp(xz_path), plain_fd = mkstemp(plain_path);
	struct deb_index index;

	CHECK(main_fd >= 0 && xz_fd >= 0 && plain_fd >= 0);
	CHECK_INT(write(main_fd, main_text, strlen(main_text)), ==, (long long)strlen(main_text));
	CHECK_INT(write(xz_fd, empty_xz, sizeof(empty_xz)), ==, (long long)sizeof(empty_xz));
	close(main_fd);
	close(xz_fd);
	close(plain_fd);
	CHECK_INT(deb_index_load_many(paths, 3, &index), ==, 0);
	unlink(main_path);
	unlink(xz_path);
	unlink(plain_path);
	CHECK_INT(index.n, ==, 1);
	CHECK_STR(deb_index_find(&index, "libc6")->sha256, "cc");
	CHECK_INT(deb_index_file_of(&index, deb_index_find(&index, "libc6")), ==, 0);
	deb_index_free(&index);
}

/* An index of stanzas given as "Package: NAME\nVersion: V\n..." without the file fields, which are added. */
static void load_text(struct deb_index *index, const char *const *stanzas)
{
	size_t cap = 8192, used = 0;
	char *text = malloc(cap);

	CHECK(text);
	for (size_t i = 0; stanzas[i]; i++)
		used += (size_t)snprintf(text + used, cap - used,
					 "%sPriority: optional\nFilename: pool/%zu.deb\n"
					 "Size: 1\nSHA256: %02zx\n\n",
					 stanzas[i], i, i);
	CHECK(used < cap);
	CHECK_INT(deb_index_parse(text, index), ==, 0);
}

static int select_extras(struct deb_index *index, const char *const *extras, struct cr_error *missing)
{
	return deb_select(index, extras, missing);
}

/* A suite beside its updates: the newest version is the candidate, wherever its stanza is. */
TEST(the_newest_version_wins)
{
	static const char *const stanzas[] = {
		"Package: libc6\nVersion: 2.36-9+deb12u4\n",
		"Package: libc6\nVersion: 2.36-9\n",
		"Package: app\nVersion: 1:0.9\nDepends: libc6 (>= 2.36-9+deb12u1)\n",
		"Package: app\nVersion: 2.0\n",
		NULL,
	};
	const char *extras[] = { "app", NULL };
	struct deb_index index;
	struct cr_error missing;

	load_text(&index, stanzas);
	CHECK_STR(deb_index_find(&index, "libc6")->version, "2.36-9+deb12u4");
	CHECK_STR(deb_index_find(&index, "app")->version, "1:0.9"); /* the epoch wins */
	CHECK_INT(select_extras(&index, extras, &missing), ==, 2);
	CHECK(index.packages[0].selected);
	CHECK(!index.packages[1].selected); /* one version of a name */
	deb_index_free(&index);
}

TEST(versioned_dependencies_are_honoured)
{
	static const char *const stanzas[] = {
		"Package: lib\nVersion: 1.0\n",
		"Package: lib-compat\nVersion: 3.0\n",
		"Package: strict\nVersion: 1\nDepends: lib (>= 2.0)\n",
		"Package: flexible\nVersion: 1\nDepends: lib (>= 2.0) | lib-compat\n",
		"Package: older\nVersion: 1\nPre-Depends: lib (<< 1.0~)\n",
		"Package: exact\nVersion: 1\nDepends: lib (= 1.0), lib-compat (>> 2)\n",
		NULL,
	};
	const char *strict[] = { "strict", NULL }, *flexible[] = { "flexible", NULL }, *older[] = { "older", NULL },
		   *exact[] = { "exact", NULL };
	struct deb_index index;
	struct cr_error missing;

	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, strict, &missing), ==, -ENOENT);
	CHECK_STR(missing.message, "'lib (>= 2.0)', needed by strict");
	deb_index_free(&index);
	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, flexible, &missing), ==, 2);
	CHECK(deb_index_find(&index, "lib-compat")->selected);
	CHECK(!deb_index_find(&index, "lib")->selected);
	deb_index_free(&index);
	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, older, &missing), ==, -ENOENT);
	CHECK_STR(missing.message, "'lib (<< 1.0~)', needed by older");
	deb_index_free(&index);
	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, exact, &missing), ==, 3);
	deb_index_free(&index);
}

/* Debian Policy 7.5: an unversioned Provides never satisfies a versioned dependency. */
TEST(only_a_versioned_provides_satisfies_a_versioned_dependency)
{
	static const char *const stanzas[] = {
		"Package: plain\nVersion: 5\nProvides: virt\n",
		"Package: user\nVersion: 1\nDepends: virt (>= 1)\n",
		"Package: anyuser\nVersion: 1\nDepends: virt\n",
		NULL,
	};
	static const char *const versioned[] = {
		"Package: plain\nVersion: 5\nProvides: virt\n",
		"Package: good\nVersion: 5\nProvides: other, virt (= 1.5)\n",
		"Package: user\nVersion: 1\nDepends: virt (>= 1)\n",
		NULL,
	};
	const char *user[] = { "user", NULL }, *anyuser[] = { "anyuser", NULL };
	struct deb_index index;
	struct cr_error missing;

	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, user, &missing), ==, -ENOENT);
	deb_index_free(&index);
	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, anyuser, &missing), ==, 2);
	deb_index_free(&index);
	load_text(&index, versioned);
	CHECK_INT(select_extras(&index, user, &missing), ==, 2);
	CHECK(deb_index_find(&index, "good")->selected);
	CHECK(!deb_index_find(&index, "plain")->selected);
	deb_index_free(&index);
}

TEST(breaks_and_conflicts_are_respected)
{
	static const char *const stanzas[] = {
		"Package: old-tool\nVersion: 1.0\n",
		"Package: newlib\nVersion: 2\nBreaks: old-tool (<< 2)\n",
		"Package: compatlib\nVersion: 1\n",
		"Package: app\nVersion: 1\nDepends: newlib | compatlib\n",
		"Package: exim\nVersion: 4\nProvides: mail-transport-agent\nConflicts: mail-transport-agent\n",
		"Package: postfix\nVersion: 3\nProvides: mail-transport-agent\nConflicts: mail-transport-agent\n",
		"Package: mailer\nVersion: 1\nDepends: postfix | mail-transport-agent\n",
		NULL,
	};
	const char *with_old[] = { "old-tool", "app", NULL }, *alone[] = { "app", NULL },
		   *mta[] = { "exim", "mailer", NULL }, *both[] = { "exim", "postfix", NULL };
	struct deb_index index;
	struct cr_error missing;

	/* newlib Breaks the selected old-tool: the next alternative is taken. */
	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, with_old, &missing), ==, 3);
	CHECK(deb_index_find(&index, "compatlib")->selected);
	CHECK(!deb_index_find(&index, "newlib")->selected);
	deb_index_free(&index);
	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, alone, &missing), ==, 2);
	CHECK(deb_index_find(&index, "newlib")->selected);
	deb_index_free(&index);
	/* exim provides (and conflicts with) the virtual MTA: postfix, conflicting with it, is passed over. */
	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, mta, &missing), ==, 2);
	CHECK(!deb_index_find(&index, "postfix")->selected);
	deb_index_free(&index);
	/* Two extras that conflict: refused, naming both. */
	load_text(&index, stanzas);
	CHECK_INT(select_extras(&index, both, &missing), ==, -ENOENT);
	CHECK_STR(missing.message, "exim 4 and postfix 3 conflict (Conflicts or Breaks)");
	deb_index_free(&index);
}

/*
 * The Packages indexes apt fetched on this machine (a suite, its updates,
 * its security archive): the packages chosen for a buildd rootfs are at the
 * version apt itself would install, its "Candidate" (apt-cache policy).
 * Backports and experimental lists are left out: apt does not take their
 * versions unasked (NotAutomatic), and a rootfs never reads them.
 */
TEST_TIMEOUT(versions_across_sources_are_apts_candidates, 120)
{
	static char out[1 << 19];
	char arch[64], pattern[128], *argv[512];
	const char *extras[] = { "apt", "build-essential", NULL }, *paths[64];
	size_t n_paths = 0, argc = 0, compared = 0;
	struct deb_index index;
	struct cr_error missing;
	glob_t g;
	int n;

	CHECK_INT(harness_run_capture((char *[]){ "/usr/bin/dpkg", "--print-architecture", NULL }, arch, sizeof(arch)),
		  ==, 0);
	snprintf(pattern, sizeof(pattern), "/var/lib/apt/lists/*_binary-%s_Packages*", arch);
	if (glob(pattern, 0, NULL, &g) != 0)
		harness_fail(__FILE__, __LINE__, "no %s: run apt-get update first (a prerequisite)", pattern);
	for (size_t i = 0; i < g.gl_pathc && n_paths < 64; i++)
		if (!strstr(g.gl_pathv[i], "backports") && !strstr(g.gl_pathv[i], "experimental"))
			paths[n_paths++] = g.gl_pathv[i];
	CHECK_INT(deb_index_load_many(paths, n_paths, &index), ==, 0);
	globfree(&g);
	n = deb_select(&index, extras, &missing);
	if (n < 0)
		harness_fail(__FILE__, __LINE__, "selection failed: %s", missing.message);
	argv[argc++] = "/usr/bin/env";
	argv[argc++] = "LC_ALL=C";
	argv[argc++] = "apt-cache";
	argv[argc++] = "policy";
	for (size_t i = 0; i < index.n && argc + 1 < 512; i++)
		if (index.packages[i].selected)
			argv[argc++] = (char *)index.packages[i].name;
	argv[argc] = NULL;
	CHECK_INT(harness_run_capture(argv, out, sizeof(out)), ==, 0);
	for (char *line = strtok(out, "\n"), *name = NULL; line; line = strtok(NULL, "\n")) {
		const struct deb_package *p;

		if (line[0] != ' ') {
			name = line;
			name[strcspn(name, ":")] = '\0';
		} else if (name && !strncmp(line, "  Candidate: ", 13) && (p = deb_index_find(&index, name))) {
			if (strcmp(p->version, line + 13) != 0)
				harness_fail(__FILE__, __LINE__, "%s: we chose %s, apt's candidate is %s", name,
					     p->version, line + 13);
			compared++;
		}
	}
	printf("# %zu packages of %d at apt's candidate version, from %zu indexes\n", compared, n, n_paths);
	CHECK_INT(compared, ==, n);
	deb_index_free(&index);
}
