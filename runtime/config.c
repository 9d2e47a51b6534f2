/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "../base/util.h"

/* Longer lines are refused: no setting needs more. */
#define CONFIG_LINE_MAX 1024

static const char *const key_names[CONFIG_KEYS] = {
	[CONFIG_CONTAINER] = "container",
	[CONFIG_MIRROR] = "mirror",
	[CONFIG_SUITE] = "suite",
	[CONFIG_VARIANT] = "variant",
	[CONFIG_COMPONENTS] = "components",
	[CONFIG_BINFMT] = "binfmt",
	[CONFIG_CHECK_VALID_UNTIL] = "check-valid-until",
};

const char *config_key_name(enum config_key key)
{
	return key_names[key];
}

static bool only_of(const char *text, const char *allowed)
{
	return text[0] && strspn(text, allowed) == strlen(text);
}

/* Whether the comma-separated list holds name. */
static bool has_component(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"

int config_check(enum config_key key, const char *value, char *hint, size_t size)
{
	enum binfmt_mode mode;
	const char *want = NULL;

	switch (key) {
	case CONFIG_CONTAINER:
		if (container_name_valid(value) < 0)
			want = "a container name: 1-64 characters of A-Z a-z 0-9 . _ -, not starting with '-' or '.'";
		break;
	case CONFIG_MIRROR:
		if ((strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) || strpbrk(value, " \t\n\r"))
			want = "an http:// or https:// URL";
		break;
	case CONFIG_SUITE:
		if (strlen(value) > 63 || !only_of(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ" LOWER_DIGITS ".-_"))
			want = "a Debian suite name such as bookworm";
		break;
	case CONFIG_VARIANT:
		if (!streq(value, "minbase") && !streq(value, "buildd"))
			want = "minbase or buildd";
		break;
	case CONFIG_COMPONENTS:
		if (!only_of(value, LOWER_DIGITS "-,") || value[0] == ',' || value[strlen(value) - 1] == ',' ||
		    strstr(value, ",,") || !has_component(value, "main") || strlen(value) > 120)
			want = "archive components separated by commas, main among them, such as main,contrib";
		break;
	case CONFIG_CHECK_VALID_UNTIL:
		if (!streq(value, "yes") && !streq(value, "no"))
			want = "yes or no";
		break;
	case CONFIG_BINFMT:
		if (binfmt_mode_parse(value, &mode) < 0)
			want = "auto, sandboxed or host";
		break;
	case CONFIG_KEYS:
		break;
	}
	if (!want)
		return 0;
	snprintf(hint, size, "%s", want);
	return -EINVAL;
}

static int key_lookup(const char *name, enum config_key *key)
{
	for (enum config_key k = 0; k < CONFIG_KEYS; k++)
		if (streq(name, key_names[k])) {
			*key = k;
			return 0;
		}
	return -ENOENT;
}

/* Apply one line of path (number n) to cfg; seen[] marks the keys this file gave. */
static int config_line(struct config *cfg, const char *path, unsigned n, char *line, bool seen[], struct cr_error *err)
{
	char *key_text = line + strspn(line, " \t"), *value, *end;
	char hint[128];
	enum config_key key;

	line[strcspn(line, "\n")] = '\0';
	if (!key_text[0] || key_text[0] == '#')
		return 0;
	value = key_text + strcspn(key_text, " \t");
	if (*value)
		*value++ = '\0';
	value += strspn(value, " \t");
	for (end = value + strlen(value); end > value && (end[-1] == ' ' || end[-1] == '\t');)
		*--end = '\0';
	if (key_lookup(key_text, &key) < 0)
		return cr_fail(err, -EINVAL,
			       "%s:%u: unknown key '%.40s' (known: container, mirror, suite, variant, components, "
			       "check-valid-until, binfmt)",
			       path, n, key_text);
	if (!value[0])
		return cr_fail(err, -EINVAL, "%s:%u: '%s' needs a value", path, n, key_text);
	if (seen[key])
		return cr_fail(err, -EINVAL, "%s:%u: '%s' is given again (first at %s)", path, n, key_text,
			       cfg->v[key].source);
	if (strlen(value) >= sizeof(cfg->v[key].value))
		return cr_fail(err, -EINVAL, "%s:%u: the %s is too long", path, n, key_text);
	if (config_check(key, value, hint, sizeof(hint)) < 0)
		return cr_fail(err, -EINVAL, "%s:%u: invalid %s '%.80s': give %s", path, n, key_text, value, hint);
	seen[key] = true;
	snprintf(cfg->v[key].value, sizeof(cfg->v[key].value), "%s", value);
	snprintf(cfg->v[key].source, sizeof(cfg->v[key].source), "%s:%u", path, n);
	return 0;
}

/* Open path for reading: a regular file (a FIFO there must not hang every command).  NULL with r set. */
static FILE *open_config(const char *path, int *r)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *f;

	if (fd < 0 || fstat(fd, &st) < 0) {
		*r = -errno;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		return NULL;
	}
	f = fdopen(fd, "re");
	if (!f) {
		*r = -errno;
		return NULL;
	}
	fd = -EBADF; /* the FILE has it */
	return f;
}

static int config_file(struct config *cfg, const char *path, struct cr_error *err)
{
	bool seen[CONFIG_KEYS] = { false };
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	unsigned n = 0;
	ssize_t len;
	int r = 0;

	f = open_config(path, &r);
	if (!f) {
		if (r == -ENOENT || r == -ENOTDIR)
			return 0;
		if (r == -EINVAL)
			return cr_fail(err, -EINVAL, "%s: not a regular file", path);
		return cr_fail_errno(err, r, "%s", path);
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		n++;
		if (len > CONFIG_LINE_MAX)
			return cr_fail(err, -EINVAL, "%s:%u: line longer than %d bytes", path, n, CONFIG_LINE_MAX);
		if (memchr(line, '\0', (size_t)len))
			return cr_fail(err, -EINVAL, "%s:%u: a NUL byte: the file is not text", path, n);
		r = config_line(cfg, path, n, line, seen, err);
		if (r < 0)
			return r;
	}
	if (ferror(f)) {
		return cr_fail(err, -EIO, "%s: read error", path);
	}
	return 0;
}

int config_load(struct config *cfg, unsigned flags, struct cr_error *err)
{
	const char *env = getenv("CROSSROOT_BINFMT");
	char hint[128];
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cr_clear(err);
	r = config_file(cfg, CONFIG_SYSTEM_FILE, err);
	if (r < 0)
		return r;
	if (!(flags & CONFIG_SYSTEM_ONLY) && geteuid() != 0 &&
	    xdg_user_dir("XDG_CONFIG_HOME", ".config", "crossroot/config", cfg->user_file, sizeof(cfg->user_file)) ==
		    0) {
		r = config_file(cfg, cfg->user_file, err);
		if (r < 0)
			return r;
	}
	if (env && *env) {
		if (config_check(CONFIG_BINFMT, env, hint, sizeof(hint)) < 0)
			return cr_fail(err, -EINVAL, "CROSSROOT_BINFMT: invalid binfmt mode '%.40s': give %s", env,
				       hint);
		snprintf(cfg->v[CONFIG_BINFMT].value, sizeof(cfg->v[CONFIG_BINFMT].value), "%s", env);
		snprintf(cfg->v[CONFIG_BINFMT].source, sizeof(cfg->v[CONFIG_BINFMT].source), "CROSSROOT_BINFMT");
	}
	return 0;
}

int config_binfmt_mode(unsigned flags, enum binfmt_mode *mode, char *source, size_t size, struct cr_error *err)
{
	struct config cfg;
	int r = config_load(&cfg, flags, err);

	*mode = BINFMT_MODE_AUTO;
	if (r < 0)
		return r;
	if (!cfg.v[CONFIG_BINFMT].value[0]) {
		snprintf(source, size, "default");
		return 0;
	}
	snprintf(source, size, "%s", cfg.v[CONFIG_BINFMT].source);
	r = binfmt_mode_parse(cfg.v[CONFIG_BINFMT].value, mode);
	return r < 0 ? cr_fail(err, r, "%s", source) : 0;
}
