/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Debian version numbers ([epoch:]upstream[-revision], Debian Policy 5.6.12)
 * and their order, as dpkg --compare-versions has it (dpkg's
 * lib/dpkg/version.c): epochs compared as numbers, then upstream versions,
 * then revisions, each by alternating runs of non-digits (letters before
 * other characters, '~' before everything, even the end) and digits
 * (compared as numbers).
 */
#ifndef CROSSROOT_BOOTSTRAP_VERSION_H
#define CROSSROOT_BOOTSTRAP_VERSION_H

/*
 * Compare Debian versions a and b: < 0 when a is older, 0 when they are
 * equal ("1.0" equals "1.0-0" and "0:1.0"), > 0 when a is newer.  An epoch
 * that is not a number counts as 0, as leading zeros do.
 */
int deb_version_compare(const char *a, const char *b);

#endif
