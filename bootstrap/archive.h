/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Debian archive client: where the mirror is, fetching over HTTP(S)
 * with libcurl, the InRelease signature (gpgv), and the Packages index.
 * Nothing here prints: errors come back as -errno with a message in
 * struct cr_error.
 */
#ifndef CROSSROOT_BOOTSTRAP_ARCHIVE_H
#define CROSSROOT_BOOTSTRAP_ARCHIVE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../base/error.h"

#define DEBIAN_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"

/*
 * The mirror of the host's apt sources (/etc/apt/sources.list, *.list in
 * one-line format and *.sources in deb822 format): the URI of the first
 * source with the main component whose suite is the host's own
 * (VERSION_CODENAME of /etc/os-release) or whose Signed-By names the Debian
 * archive keyring; "-security" and "-updates" suites are passed over.
 * Writes it without a trailing '/' into buf.  Returns 0, or -ENOENT when
 * there is none (the caller asks for --mirror).
 */
int archive_host_mirror(char *buf, size_t size);

/*
 * The security mirror of the host's apt sources, found as
 * archive_host_mirror() finds the mirror: the URI of the first source with
 * the main component whose suite is a "-security" one and either the host's
 * own (VERSION_CODENAME-security) or signed by the Debian archive keyring.
 * Returns 0, or -ENOENT when the host has none.
 */
int archive_host_security_mirror(char *buf, size_t size);

/*
 * What archive_host_mirror() (security false) or
 * archive_host_security_mirror() (security true) find, in the apt sources
 * and os-release below root instead of the host's ("/": the host's):
 * ROOT/etc/apt/sources.list, then the .list and .sources files of
 * ROOT/etc/apt/sources.list.d in name order.  Returns 0 with the URI in buf, -ENOENT, or
 * -ENAMETOOLONG.
 */
int archive_sources_mirror(const char *root, bool security, char *buf, size_t size);

/*
 * Whether the host's apt checks Valid-Until: Acquire::Check-Valid-Until as
 * `apt-config shell` reports it (apt.conf(5); apt's default is true).
 * Returns 1 (checks), 0 (the host's apt is configured not to), or -ENOENT
 * when apt-config is absent or says nothing; -errno when it cannot be run.
 */
int archive_host_check_valid_until(void);

/* Whether suite has -updates and -security suites beside it: all but sid, unstable, experimental. */
bool suite_has_pockets(const char *suite);

/* The apt sources of a new rootfs. */
struct apt_sources {
	const char *mirror;	     /* without a trailing '/' */
	const char *security_mirror; /* NULL: no security stanza */
	const char *suite;
	const char *const *components;	/* NULL-terminated, not empty */
	const char *signed_by;		/* the keyring's path inside the rootfs */
	const char *security_signed_by; /* the same for the security stanza */
	bool no_check_valid_until;	/* "Check-Valid-Until: no" in each stanza (sources.list(5)) */
};

/*
 * s as the deb822 text of /etc/apt/sources.list.d/debian.sources, as the
 * Debian installer writes it (sources.list(5)): "Types: deb deb-src", SUITE
 * and SUITE-updates in one stanza, SUITE-security from the security mirror
 * in another (neither pocket where suite_has_pockets() says there is
 * none), each with s's Components and Signed-By (and Check-Valid-Until: no
 * when s says so).  Returns 0 or
 * -ENAMETOOLONG when it does not fit size bytes.
 */
int archive_sources_deb822(const struct apt_sources *s, char *buf, size_t size);

/*
 * Download url to path (written as path.part and renamed when complete).
 * Returns 0, -ENOENT for HTTP 404, -EHOSTUNREACH when the host cannot be
 * reached, -EIO for other failures; err says which.
 */
int archive_fetch(const char *url, const char *path, struct cr_error *err);

/* One file of a parallel download. */
struct fetch_item {
	const char *url;
	const char *path;   /* final path; written as path.part, renamed when verified */
	const char *sha256; /* expected, lowercase hex */
	uint64_t size;	    /* expected */
};

/*
 * Progress of archive_fetch_many(): called after each completed file and
 * about every second.  done/total count files, bytes/total_bytes count
 * payload.
 */
typedef void (*fetch_progress_fn)(void *data, size_t done, size_t total, uint64_t bytes, uint64_t total_bytes);

/*
 * Download items in parallel (at most `parallel` at once; libcurl multi
 * interface), each checked against its size and SHA-256 before it is
 * renamed into place.  A file already at its path with the right hash is
 * not fetched again.  Returns 0 or the first error (-EBADMSG for a hash or
 * size mismatch, others as archive_fetch()); err names the file.
 */
int archive_fetch_many(struct fetch_item *items, size_t n, unsigned parallel, fetch_progress_fn progress, void *data,
		       struct cr_error *err);

/* SHA-256 of len bytes at data, as 64 lowercase hex digits into hex[65]. Returns 0 or -ELIBACC. */
int sha256_text(const void *data, size_t len, char hex[65]);

/* SHA-256 of the file at path, as 64 lowercase hex digits into hex[65]. Returns 0 or -errno. */
int sha256_file(const char *path, char hex[65]);

/*
 * Verify the clearsigned InRelease at path with gpgv(1) against keyring and
 * write the signed text alone to clear_path.  Returns 0, or -EBADMSG when
 * the signature does not verify (err has gpgv's words), -ENOENT without
 * gpgv or keyring.
 */
int archive_verify_inrelease(const char *path, const char *keyring, const char *clear_path, struct cr_error *err);

/*
 * From verified Release text: the SHA-256 and size listed for file (e.g.
 * "main/binary-arm64/Packages.xz").  Returns 0 or -ENOENT.
 */
int release_file_hash(const char *release, const char *file, char sha256[65], uint64_t *size);

/*
 * How far a Release's Date may be ahead of this machine's clock, in
 * seconds: apt's Acquire::Max-FutureTime default (apt 2.1.2 and later,
 * apt.conf(5)).
 */
#define RELEASE_MAX_FUTURE 10

/*
 * The value of field (e.g. "Suite") of verified Release text, at most size
 * - 1 bytes into buf.  Returns 0 or -ENOENT when the field is absent.
 */
int release_field(const char *release, const char *field, char *buf, size_t size);

/*
 * Parse an RFC 1123 date as Release files write it ("Sat, 10 Jun 2023
 * 09:49:52 UTC"; the weekday optional, the zone UTC, GMT, Z or +0000, as
 * apt's RFC1123StrToTime() takes) into *t.  Returns 0 or -EINVAL.
 */
int release_parse_date(const char *text, time_t *t);

/*
 * The checks apt makes of a verified Release before using it (apt
 * debReleaseIndex::Load and VerifyVendor): Valid-Until, when present, not
 * before now (Acquire::Check-Valid-Until); Date not more than
 * RELEASE_MAX_FUTURE seconds after now (Acquire::Check-Date); suite equal
 * to its Suite or its Codename field.  where names the file in messages,
 * now is the current time (time(2)).  Returns 0, or with err naming the
 * dates or the fields: -EKEYEXPIRED for an expired release (not checked
 * when flags has RELEASE_IGNORE_VALID_UNTIL: apt's Check-Valid-Until no), -ETIME for one
 * dated in the future, -EBADMSG for a date that does not parse or another
 * suite.
 */
#define RELEASE_IGNORE_VALID_UNTIL 1u
int release_check(const char *release, const char *suite, time_t now, unsigned flags, const char *where,
		  struct cr_error *err);

/* Whether word is one of the words (separated by blanks) of list. */
bool word_in_list(const char *list, const char *word);

/* Whether the verified Release text lists arch in its Architectures field. */
bool release_has_arch(const char *release, const char *arch);

#endif
