/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The checks of a verified Release as apt makes them: Valid-Until, Date, Suite/Codename. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../bootstrap/archive.h"
#include "../../runtime/rmtree.h"
#include "harness.h"

/* The head of Debian's bookworm-security InRelease as the archive signs it (hash lists cut short). */
static const char security_release[] =
	"-----BEGIN PGP SIGNED MESSAGE-----\n"
	"Hash: SHA256\n"
	"\n"
	"Origin: Debian\n"
	"Label: Debian-Security\n"
	"Suite: oldstable-security\n"
	"Version: 12\n"
	"Codename: bookworm-security\n"
	"Date: Tue, 01 Dec 2026 01:33:13 UTC\n"
	"Valid-Until: Tue, 08 Dec 2026 01:33:13 UTC\n"
	"Acquire-By-Hash: yes\n"
	"Architectures: amd64 arm64 armhf i386 ppc64el\n"
	"Components: updates/main updates/contrib updates/non-free-firmware updates/non-free\n"
	"Description: Debian 12 - Security Updates\n"
	"MD5Sum:\n"
	" 1d1e8a3c4e8c1d7e1e8b5c1e2d3f4a5b   123456 main/binary-arm64/Packages\n"
	"SHA256:\n"
	" 0123456789012345678901234567890123456789012345678901234567890123 123456 main/binary-arm64/Packages\n";

/* The head of the bookworm InRelease: no Valid-Until, as the main archive signs it. */
static const char main_release[] =
	"Origin: Debian\n"
	"Label: Debian\n"
	"Suite: oldstable\n"
	"Version: 12.15\n"
	"Codename: bookworm\n"
	"Changelogs: https://metadata.ftp-master.debian.org/changelogs/@CHANGEPATH@_changelog\n"
	"Date: Sat, 11 Jul 2026 10:16:37 UTC\n"
	"Acquire-By-Hash: yes\n"
	"Architectures: all amd64 arm64 armel armhf i386 mips64el mipsel ppc64el s390x\n"
	"SHA256:\n"
	" 01234567 12 Date: not a field\n";

static time_t date(const char *text)
{
	time_t t;

	if (release_parse_date(text, &t) < 0)
		harness_fail(__FILE__, __LINE__, "'%s' does not parse", text);
	return t;
}

TEST(dates_parse_as_rfc1123)
{
	time_t t;

	CHECK_INT(date("Thu, 01 Jan 1970 00:00:00 UTC"), ==, 0);
	CHECK_INT(date("Tue, 01 Dec 2026 01:33:13 UTC"), ==, 1796088793);
	CHECK_INT(date("01 Dec 2026 01:33:13 GMT"), ==, 1796088793);
	CHECK_INT(date("Tue, 01 Dec 2026 01:33:13 +0000"), ==, 1796088793);
	CHECK_INT(release_parse_date("Tue, 01 Dec 2026 01:33:13 CET", &t), ==, -EINVAL);
	CHECK_INT(release_parse_date("Tue, 01 Dez 2026 01:33:13 UTC", &t), ==, -EINVAL);
	CHECK_INT(release_parse_date("2026-12-01T01:33:13Z", &t), ==, -EINVAL);
	CHECK_INT(release_parse_date("Tue, 01 Dec 2026 01:33:13 UTC trailing", &t), ==, -EINVAL);
	CHECK_INT(release_parse_date("", &t), ==, -EINVAL);
}

TEST(fields_are_read_from_the_start_of_a_line_only)
{
	char buf[128];

	CHECK_INT(release_field(main_release, "Origin", buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "Debian");
	CHECK_INT(release_field(main_release, "Date", buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "Sat, 11 Jul 2026 10:16:37 UTC");
	CHECK_INT(release_field(main_release, "Valid-Until", buf, sizeof(buf)), ==, -ENOENT);
	CHECK_INT(release_field(main_release, "Suit", buf, sizeof(buf)), ==, -ENOENT);
	CHECK_INT(release_field(security_release, "Codename", buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "bookworm-security");
}

TEST(a_current_release_passes_by_codename_or_suite)
{
	struct cr_error err = { 0 };
	time_t now = date("Thu, 03 Dec 2026 08:00:00 UTC");

	CHECK_INT(release_check(security_release, "bookworm-security", now, 0, "InRelease", &err), ==, 0);
	CHECK_INT(release_check(security_release, "oldstable-security", now, 0, "InRelease", &err), ==, 0);
	CHECK_INT(release_check(main_release, "bookworm", now, 0, "InRelease", &err), ==, 0);
	/* No Valid-Until: the main archive's release never expires. */
	CHECK_INT(release_check(main_release, "oldstable", now + 10 * 365 * 86400, 0, "InRelease", &err), ==, 0);
}

TEST(an_expired_release_is_refused_naming_the_date)
{
	struct cr_error err = { 0 };
	time_t until = date("Tue, 08 Dec 2026 01:33:13 UTC");

	CHECK_INT(release_check(security_release, "bookworm-security", until, 0, "X/InRelease", &err), ==, 0);
	CHECK_INT(release_check(security_release, "bookworm-security", until + 1, 0, "X/InRelease", &err), ==,
		  -EKEYEXPIRED);
	CHECK(strstr(err.message, "X/InRelease expired on Tue, 08 Dec 2026 01:33:13 UTC"));
	CHECK(strstr(err.message, "the time here is Tue, 08 Dec 2026 01:33:14 UTC"));
	/* Check-Valid-Until no, as the host's apt may say: accepted, the other checks kept. */
	CHECK_INT(release_check(security_release, "bookworm-security", until + 86400 * 365, RELEASE_IGNORE_VALID_UNTIL,
				"X/InRelease", &err),
		  ==, 0);
	CHECK_INT(
		release_check(security_release, "bookworm", until + 1, RELEASE_IGNORE_VALID_UNTIL, "X/InRelease", &err),
		==, -EBADMSG);
}

TEST(a_release_from_the_future_is_refused_beyond_apts_tolerance)
{
	struct cr_error err = { 0 };
	time_t dated = date("Sat, 11 Jul 2026 10:16:37 UTC");

	CHECK_INT(release_check(main_release, "bookworm", dated - RELEASE_MAX_FUTURE, 0, "Y", &err), ==, 0);
	CHECK_INT(release_check(main_release, "bookworm", dated - RELEASE_MAX_FUTURE - 1, 0, "Y", &err), ==, -ETIME);
	CHECK(strstr(err.message, "Y is not valid yet: it is dated Sat, 11 Jul 2026 10:16:37 UTC, but the time here "
				  "is Sat, 11 Jul 2026 10:16:26 UTC"));
}

TEST(another_suite_is_refused_naming_both_fields)
{
	struct cr_error err = { 0 };
	time_t now = date("Thu, 03 Dec 2026 08:00:00 UTC");

	CHECK_INT(release_check(security_release, "bookworm", now, 0, "Z", &err), ==, -EBADMSG);
	CHECK(strstr(err.message, "Z is of another suite than 'bookworm' (its Suite is 'oldstable-security', its "
				  "Codename 'bookworm-security')"));
	CHECK_INT(release_check("Origin: x\nDate: Thu, 03 Dec 2026 08:00:00 UTC\n", "sid", now, 0, "Z", &err), ==,
		  -EBADMSG);
	CHECK(strstr(err.message, "its Suite is '', its Codename ''"));
}

TEST(dates_that_do_not_parse_are_refused)
{
	struct cr_error err = { 0 };

	CHECK_INT(release_check("Suite: sid\nDate: yesterday\n", "sid", 0, 0, "W", &err), ==, -EBADMSG);
	CHECK(strstr(err.message, "W: its Date 'yesterday' is no date"));
	CHECK_INT(release_check("Suite: sid\nValid-Until: 2026-12-08\n", "sid", 0, 0, "W", &err), ==, -EBADMSG);
	CHECK(strstr(err.message, "W: its Valid-Until '2026-12-08' is no date"));
}

/* The InRelease files apt fetched on this machine: their dates parse and their own codename passes. */
TEST(the_hosts_inrelease_files_pass_when_current)
{
	glob_t g;
	size_t checked = 0;

	if (glob("/var/lib/apt/lists/*InRelease", 0, NULL, &g) != 0)
		harness_fail(__FILE__, __LINE__, "no /var/lib/apt/lists/*InRelease: run apt-get update first");
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char text[1 << 16] = "", codename[128], when[128];
		struct cr_error err = { 0 };
		FILE *f = fopen(g.gl_pathv[i], "re");
		size_t n;

		CHECK(f);
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
		text[n] = '\0';
		if (release_field(text, "Codename", codename, sizeof(codename)) < 0 ||
		    release_field(text, "Date", when, sizeof(when)) < 0)
			continue; /* a third-party archive without them */
		if (release_check(text, codename, date(when), 0, g.gl_pathv[i], &err) != 0)
			harness_fail(__FILE__, __LINE__, "%s", err.message);
		checked++;
	}
	globfree(&g);
	CHECK_INT(checked, >, 0);
}

TEST(apt_sources_as_the_installer_writes_them)
{
	const char *const components[] = { "main", "contrib", NULL };
	struct apt_sources s = { "http://mirror.invalid/debian",
				 "http://mirror.invalid/debian-security",
				 "bookworm",
				 components,
				 "/usr/share/keyrings/debian-archive-keyring.gpg",
				 "/usr/share/keyrings/debian-archive-keyring.gpg",
				 false };
	char text[2048], small[64];

	CHECK_INT(archive_sources_deb822(&s, text, sizeof(text)), ==, 0);
	CHECK_STR(text, "Types: deb deb-src\n"
			"URIs: http://mirror.invalid/debian/\n"
			"Suites: bookworm bookworm-updates\n"
			"Components: main contrib\n"
			"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
			"\n"
			"Types: deb deb-src\n"
			"URIs: http://mirror.invalid/debian-security/\n"
			"Suites: bookworm-security\n"
			"Components: main contrib\n"
			"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");
	/* sid has neither pocket; no security mirror, no security stanza. */
	s.suite = "sid";
	CHECK_INT(archive_sources_deb822(&s, text, sizeof(text)), ==, 0);
	CHECK_STR(text, "Types: deb deb-src\nURIs: http://mirror.invalid/debian/\nSuites: sid\n"
			"Components: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");
	s.suite = "trixie";
	s.security_mirror = NULL;
	CHECK_INT(archive_sources_deb822(&s, text, sizeof(text)), ==, 0);
	CHECK(strstr(text, "Suites: trixie trixie-updates\n"));
	CHECK(!strstr(text, "security"));
	CHECK_INT(archive_sources_deb822(&s, small, sizeof(small)), ==, -ENAMETOOLONG);
	/* Where Valid-Until is not checked, apt inside is told so too (sources.list(5)). */
	s.suite = "sid";
	s.no_check_valid_until = true;
	CHECK_INT(archive_sources_deb822(&s, text, sizeof(text)), ==, 0);
	CHECK_STR(text, "Types: deb deb-src\nURIs: http://mirror.invalid/debian/\nSuites: sid\n"
			"Components: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
			"Check-Valid-Until: no\n");
	CHECK(!suite_has_pockets("unstable"));
	CHECK(!suite_has_pockets("experimental"));
	CHECK(suite_has_pockets("stable"));
}

/* Write text to root/rel (its directories made), for the sources tests below. */
static void put(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX], cmd[PATH_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd) != 0 || !(f = fopen(path, "w")))
		harness_fail(__FILE__, __LINE__, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
}

TEST(the_mirrors_are_found_in_apt_sources_below_a_root)
{
	char root[] = "/tmp/crossroot-test-sources.XXXXXX", buf[256];

	CHECK(mkdtemp(root));
	/* No sources at all. */
	CHECK_INT(archive_sources_mirror(root, false, buf, sizeof(buf)), ==, -ENOENT);
	/* deb822, as the installer writes it, after another vendor's source the same file holds first. */
	put(root, "etc/os-release", "ID=debian\nVERSION_CODENAME=trixie\n");
	put(root, "etc/apt/sources.list.d/debian.sources",
	    "Types: deb\nURIs: https://vendor.invalid/apt\nSuites: trixie\nComponents: stable\n\n"
	    "Types: deb deb-src\nURIs: http://mirror.invalid/debian/\nSuites: trixie trixie-updates\n"
	    "Components: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
	    "Types: deb\nURIs: http://security.invalid/debian-security//\nSuites: trixie-security\n"
	    "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");
	CHECK_INT(archive_sources_mirror(root, false, buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "http://mirror.invalid/debian");
	CHECK_INT(archive_sources_mirror(root, true, buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "http://security.invalid/debian-security");
	/* The one-line sources.list is read first; a suite of the host's codename counts without Signed-By. */
	put(root, "etc/apt/sources.list",
	    "# deb http://commented.invalid/debian trixie main\n"
	    "deb [arch=amd64] http://other.invalid/debian trixie contrib\n"
	    "deb [arch=amd64] http://one-line.invalid/debian trixie main\n");
	CHECK_INT(archive_sources_mirror(root, false, buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "http://one-line.invalid/debian");
	/* Another codename counts only when signed by the Debian keyring: here the deb822 file's. */
	put(root, "etc/os-release", "ID=debian\nVERSION_CODENAME=bookworm\n");
	CHECK_INT(archive_sources_mirror(root, false, buf, sizeof(buf)), ==, 0);
	CHECK_STR(buf, "http://mirror.invalid/debian");
	/* Neither file names a -security suite of Debian's: none. */
	put(root, "etc/apt/sources.list.d/debian.sources",
	    "Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm\nComponents: main\n");
	CHECK_INT(archive_sources_mirror(root, true, buf, sizeof(buf)), ==, -ENOENT);
	CHECK_INT(rmtree_at(AT_FDCWD, root), ==, 0);
}
