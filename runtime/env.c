/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "env.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"

static const char *const inherited[] = {
	"TERM",	     "LANG",	   "TZ",	  "http_proxy", "https_proxy", "ftp_proxy", "no_proxy",
	"all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY",	"NO_PROXY",    "ALL_PROXY",
};

bool env_inherited(const char *entry)
{
	size_t len = strcspn(entry, "=");

	if (!entry[len] || !len)
		return false;
	/* LC_ALL, LC_CTYPE, ... and any LC_ a newer libc adds. */
	if (len > 3 && !strncmp(entry, "LC_", 3))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(inherited); i++)
		if (strlen(inherited[i]) == len && !strncmp(entry, inherited[i], len))
			return true;
	return false;
}

bool env_name_valid(const char *name, size_t len)
{
	if (!len || len > 255 || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(name[i] == '_' || (name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			return false;
	return true;
}

/* One line, without its newline: 0, -EINVAL, or add's result. */
static int parse_line(char *line, int (*add)(void *data, const char *key, const char *value), void *data)
{
	char *key = line + strspn(line, " \t");
	size_t len = strcspn(key, "=");

	if (!key[0] || key[0] == '#')
		return 0;
	if (!env_name_valid(key, len))
		return -EINVAL;
	if (!key[len])
		return add(data, key, NULL);
	key[len] = '\0';
	return add(data, key, key + len + 1);
}

int env_file_parse(FILE *f, int (*add)(void *data, const char *key, const char *value), void *data, unsigned *bad_line)
{
	_cleanup_free_ char *line = NULL;
	size_t size = 0;
	ssize_t n;
	int r;

	*bad_line = 0;
	while ((n = getline(&line, &size, f)) >= 0) {
		(*bad_line)++;
		if (n > 65536)
			return -E2BIG;
		/* A NUL inside a line would cut the value short without a word: refuse it. */
		if (strlen(line) != (size_t)n)
			return -EINVAL;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		r = parse_line(line, add, data);
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return -EIO;
	*bad_line = 0;
	return 0;
}
