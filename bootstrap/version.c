/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "version.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The parts of a version, as ranges of its text. */
struct deb_version {
	unsigned long epoch;
	const char *upstream, *upstream_end;
	const char *revision, *revision_end;
};

static void version_split(const char *text, struct deb_version *v)
{
	const char *colon = strchr(text, ':'), *end = text + strlen(text), *hyphen;

	v->epoch = 0;
	if (colon) {
		v->epoch = strtoul(text, NULL, 10);
		text = colon + 1;
	}
	/* The revision follows the last hyphen; without one it is empty (equal to "0"). */
	hyphen = memrchr(text, '-', (size_t)(end - text));
	v->upstream = text;
	v->upstream_end = hyphen ? hyphen : end;
	v->revision = hyphen ? hyphen + 1 : end;
	v->revision_end = end;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The weight of a character in a non-digit run: '~' lowest, then the end (and digits), letters, the rest. */
static int order(const char *p, const char *end)
{
	if (p == end || is_digit(*p))
		return 0;
	if (is_alpha(*p))
		return (unsigned char)*p;
	if (*p == '~')
		return -1;
	return (unsigned char)*p + 256;
}

static int part_compare(const char *a, const char *a_end, const char *b, const char *b_end)
{
	while (a != a_end || b != b_end) {
		int first_diff = 0;

		while ((a != a_end && !is_digit(*a)) || (b != b_end && !is_digit(*b))) {
			int ac = order(a, a_end), bc = order(b, b_end);

			if (ac != bc)
				return ac - bc;
			a += a != a_end;
			b += b != b_end;
		}
		while (a != a_end && *a == '0')
			a++;
		while (b != b_end && *b == '0')
			b++;
		/* Digits as numbers of any length: the longer run wins, else the first difference. */
		for (; a != a_end && b != b_end && is_digit(*a) && is_digit(*b); a++, b++)
			if (!first_diff)
				first_diff = *a - *b;
		if (a != a_end && is_digit(*a))
			return 1;
		if (b != b_end && is_digit(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

int deb_version_compare(const char *a, const char *b)
{
	struct deb_version va, vb;
	int r;

	version_split(a, &va);
	version_split(b, &vb);
	if (va.epoch != vb.epoch)
		return va.epoch < vb.epoch ? -1 : 1;
	r = part_compare(va.upstream, va.upstream_end, vb.upstream, vb.upstream_end);
	if (r)
		return r;
	return part_compare(va.revision, va.revision_end, vb.revision, vb.revision_end);
}
