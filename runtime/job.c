/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/util.h"

#ifndef CROSSROOT_BUNDLED_JOBS
#define CROSSROOT_BUNDLED_JOBS "/usr/local/share/crossroot/jobs"
#endif

static int job_fail(struct job_error *err, const char *file, unsigned line, int r, const char *fmt, ...) _printf_(5, 6);
static int job_fail(struct job_error *err, const char *file, unsigned line, int r, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return r;
}

static bool name_chars(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static bool simple_name(const char *name, size_t len)
{
	if (len == 0 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

int job_name_valid(const char *name)
{
	size_t len = strlen(name), base = strcspn(name, "@");

	if (len > JOB_NAME_MAX || !simple_name(name, base) ||
	    (base < len && !simple_name(name + base + 1, len - base - 1)))
		return -EINVAL;
	return 0;
}

int job_dirs(char *user, char *bundled)
{
	const char *env = getenv("CROSSROOT_JOBS_DIR");

	snprintf(bundled, PATH_MAX, "%s", env && env[0] == '/' ? env : CROSSROOT_BUNDLED_JOBS);
	return xdg_user_dir("XDG_CONFIG_HOME", ".config", "crossroot/jobs", user, PATH_MAX);
}

/* Whether path has a ".." component. */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return true;
	return false;
}

/* Split line into at most max words separated by blanks, in place.  Returns the count. */
static size_t split_words(char *line, char **words, size_t max)
{
	size_t n = 0;

	for (char *w = strtok(line, " \t"); w; w = strtok(NULL, " \t")) {
		if (n == max)
			return max + 1;
		words[n++] = w;
	}
	return n;
}

/* The rest of line after its first word, blanks skipped, or "". */
static const char *rest_of(const char *line)
{
	line += strspn(line, " \t");
	line += strcspn(line, " \t");
	return line + strspn(line, " \t");
}

static int parse_setting(struct job *job, char **w, size_t n, const char *file, unsigned line, struct job_error *err)
{
	static const char *const types[] = { "text", "file", "dir", "command" };
	struct job_setting *s;
	size_t i = 3;

	if (n < 4 || n > 5)
		return job_fail(err, file, line, -EINVAL,
				"'setting NAME TYPE [ro|rw] required|optional|once': wrong number of words");
	if (job->n_settings == JOB_MAX_SETTINGS)
		return job_fail(err, file, line, -EINVAL, "more than %d settings", JOB_MAX_SETTINGS);
	if (strlen(w[1]) >= sizeof(s->name) || !islower((unsigned char)w[1][0]) || !name_chars(w[1], "_"))
		return job_fail(err, file, line, -EINVAL, "invalid setting name '%.40s': use a-z 0-9 _, from a letter",
				w[1]);
	if (job_setting(job, w[1]))
		return job_fail(err, file, line, -EINVAL, "setting '%s' declared twice", w[1]);
	s = &job->settings[job->n_settings];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", w[1]);
	for (s->type = 0; s->type < ARRAY_SIZE(types) && !streq(types[s->type], w[2]); s->type++)
		;
	if (s->type == ARRAY_SIZE(types))
		return job_fail(err, file, line, -EINVAL,
				"unknown setting type '%.40s': use text, file, dir or command", w[2]);
	if (n == 5) {
		if (s->type != JOB_SET_FILE && s->type != JOB_SET_DIR)
			return job_fail(err, file, line, -EINVAL, "ro or rw is for file and dir settings only");
		if (!streq(w[3], "ro") && !streq(w[3], "rw"))
			return job_fail(err, file, line, -EINVAL, "'%.40s': use ro or rw", w[3]);
		s->writable = streq(w[3], "rw");
		i = 4;
	}
	if (streq(w[i], "required"))
		s->need = JOB_REQUIRED;
	else if (streq(w[i], "optional"))
		s->need = JOB_OPTIONAL;
	else if (streq(w[i], "once"))
		s->need = JOB_ONCE;
	else
		return job_fail(err, file, line, -EINVAL, "'%.40s': use required, optional or once", w[i]);
	job->n_settings++;
	return 0;
}

/* "env NAME=VALUE" (rest: the text after env). */
static int parse_env(struct job *job, const char *rest, size_t n, const char *file, unsigned line,
		     struct job_error *err)
{
	const char *eq = strchr(rest, '='), *blank = strpbrk(rest, " \t");

	if (n < 2 || !eq || eq == rest || (blank && blank < eq))
		return job_fail(err, file, line, -EINVAL, "'env NAME=VALUE': no NAME=");
	if (job->n_env == JOB_MAX_ENV)
		return job_fail(err, file, line, -EINVAL, "more than %d env lines", JOB_MAX_ENV);
	snprintf(job->env[job->n_env++], JOB_VALUE_MAX, "%s", rest);
	return 0;
}

/* "packages PKG..." (rest: the text after packages). */
static int parse_packages(struct job *job, const char *rest, const char *file, unsigned line, struct job_error *err)
{
	char list[JOB_VALUE_MAX + 64], *save = NULL;
	size_t before = job->n_packages;

	snprintf(list, sizeof(list), "%s", rest);
	for (char *p = strtok_r(list, " \t", &save); p; p = strtok_r(NULL, " \t", &save)) {
		if (job->n_packages == JOB_MAX_PACKAGES || strlen(p) >= sizeof(job->packages[0]))
			return job_fail(err, file, line, -EINVAL, "too many packages, or a name too long");
		if (!name_chars(p, "+-.") || !isalnum((unsigned char)p[0]))
			return job_fail(err, file, line, -EINVAL, "invalid package name '%.64s'", p);
		snprintf(job->packages[job->n_packages++], sizeof(job->packages[0]), "%s", p);
	}
	if (job->n_packages == before)
		return job_fail(err, file, line, -EINVAL, "'packages PKG...': no package");
	return 0;
}

/* "bind PATH ro|rw" (w: its n words): an absolute path outside /job that the caller can use so. */
static int parse_bind(struct job *job, char **w, size_t n, const char *file, unsigned line, struct job_error *err)
{
	struct job_bind *b = &job->binds[job->n_binds];

	if (n != 3 || (!streq(w[2], "ro") && !streq(w[2], "rw")))
		return job_fail(err, file, line, -EINVAL, "'bind PATH ro|rw': say ro or rw");
	if (w[1][0] != '/' || strlen(w[1]) >= sizeof(b->path) || has_dotdot(w[1]) || streq(w[1], "/job") ||
	    !strncmp(w[1], "/job/", 5))
		return job_fail(err, file, line, -EINVAL, "bind '%.64s': give an absolute path outside /job", w[1]);
	if (job->n_binds == JOB_MAX_BINDS)
		return job_fail(err, file, line, -EINVAL, "more than %d binds", JOB_MAX_BINDS);
	snprintf(b->path, sizeof(b->path), "%s", w[1]);
	b->writable = streq(w[2], "rw");
	if (access(b->path, b->writable ? R_OK | W_OK : R_OK) < 0)
		return job_fail(err, file, line, -errno, "bind %s %s: you cannot %s it: %s", b->path, w[2],
				b->writable ? "read and write" : "read", strerror(errno));
	job->n_binds++;
	return 0;
}

/* One directive of job.conf (line is the text after leading blanks, no newline). */
static int parse_line(struct job *job, char *text, const char *file, unsigned line, struct job_error *err)
{
	char copy[JOB_VALUE_MAX + 64], *w[8];
	const char *rest = rest_of(text);
	size_t n;

	snprintf(copy, sizeof(copy), "%s", text);
	n = split_words(copy, w, ARRAY_SIZE(w) - 1);
	if (streq(w[0], "description")) {
		snprintf(job->description, sizeof(job->description), "%s", rest);
		return 0;
	}
	if (streq(w[0], "env"))
		return parse_env(job, rest, n, file, line, err);
	if (streq(w[0], "packages"))
		return parse_packages(job, rest, file, line, err);
	if (streq(w[0], "setting"))
		return parse_setting(job, w, n, file, line, err);
	if (n != 2 && !(n == 3 && streq(w[0], "bind")))
		return job_fail(err, file, line, -EINVAL, "'%.40s' takes %s", w[0],
				streq(w[0], "bind") ? "a path and ro or rw" : "one value");
	if (streq(w[0], "suite")) {
		if (strlen(w[1]) >= sizeof(job->suite) || !name_chars(w[1], "-._"))
			return job_fail(err, file, line, -EINVAL, "invalid suite '%.64s'", w[1]);
		snprintf(job->suite, sizeof(job->suite), "%s", w[1]);
	} else if (streq(w[0], "arch")) {
		if (strlen(w[1]) >= sizeof(job->arch) || !name_chars(w[1], ""))
			return job_fail(err, file, line, -EINVAL, "invalid arch '%.64s'", w[1]);
		snprintf(job->arch, sizeof(job->arch), "%s", w[1]);
	} else if (streq(w[0], "timeout")) {
		unsigned long t;

		if (parse_ulong(w[1], &t) < 0 || t == 0 || t > 7 * 24 * 3600)
			return job_fail(err, file, line, -EINVAL, "timeout '%.40s': give seconds, 1 to 604800", w[1]);
		job->timeout = (unsigned)t;
	} else if (streq(w[0], "script")) {
		if (strlen(w[1]) >= sizeof(job->script) || strchr(w[1], '/') || w[1][0] == '.')
			return job_fail(err, file, line, -EINVAL,
					"script '%.64s': give a file name in the job directory", w[1]);
		snprintf(job->script, sizeof(job->script), "%s", w[1]);
	} else if (streq(w[0], "bind")) {
		return parse_bind(job, w, n, file, line, err);
	} else if (streq(w[0], "device")) {
		if (strncmp(w[1], "/dev/", 5) || strlen(w[1]) >= sizeof(job->devices[0]) || strstr(w[1], ".."))
			return job_fail(err, file, line, -EINVAL, "device '%.64s': give a path under /dev", w[1]);
		if (job->n_devices == JOB_MAX_DEVICES)
			return job_fail(err, file, line, -EINVAL, "more than %d devices", JOB_MAX_DEVICES);
		snprintf(job->devices[job->n_devices++], sizeof(job->devices[0]), "%s", w[1]);
	} else {
		return job_fail(err, file, line, -EINVAL,
				"unknown key '%.40s' (known: description suite arch packages timeout script bind "
				"device env setting)",
				w[0]);
	}
	return 0;
}

int job_parse(const char *name, const char *dir, bool bundled, struct job *job, struct job_error *err)
{
	char file[PATH_MAX], script[PATH_MAX], text[JOB_VALUE_MAX + 64];
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned line = 0;
	int r;

	memset(job, 0, sizeof(*job));
	memset(err, 0, sizeof(*err));
	snprintf(job->name, sizeof(job->name), "%s", name);
	snprintf(job->base, sizeof(job->base), "%.*s", (int)strcspn(name, "@"), name);
	snprintf(job->dir, sizeof(job->dir), "%s", dir);
	job->bundled = bundled;
	job->timeout = JOB_DEFAULT_TIMEOUT;
	snprintf(job->suite, sizeof(job->suite), "%s", JOB_DEFAULT_SUITE);
	snprintf(job->script, sizeof(job->script), "run");
	if (format_buf(file, sizeof(file), "%s/job.conf", dir) < 0)
		return job_fail(err, dir, 0, -ENAMETOOLONG, "path too long");
	f = fopen(file, "re");
	if (!f)
		return job_fail(err, file, 0, -errno, "%s", strerror(errno));
	while ((n = getline(&buf, &cap, f)) >= 0) {
		size_t len = (size_t)n;
		char *t = text;

		line++;
		if (len >= sizeof(text))
			return job_fail(err, file, line, -EINVAL, "line too long");
		if (memchr(buf, '\0', len))
			return job_fail(err, file, line, -EINVAL, "a NUL byte: job.conf is text");
		memcpy(text, buf, len + 1);
		t = text + strspn(text, " \t");
		while (len > 0 && strchr("\n\r \t", text[len - 1]))
			text[--len] = '\0';
		if (!*t || *t == '#')
			continue;
		r = parse_line(job, t, file, line, err);
		if (r < 0)
			return r;
	}
	if (ferror(f))
		return job_fail(err, file, 0, -EIO, "cannot read it");
	if (format_buf(script, sizeof(script), "%s/%s", dir, job->script) < 0 || access(script, X_OK) < 0)
		return job_fail(err, file, 0, -ENOENT, "the script %s is missing or not executable", script);
	return 0;
}

int job_find(const char *name, struct job *job, struct job_error *err)
{
	char user[PATH_MAX], bundled[PATH_MAX], dir[PATH_MAX];
	int base = (int)strcspn(name, "@");
	struct stat st;

	memset(err, 0, sizeof(*err));
	if (job_dirs(user, bundled) < 0)
		user[0] = '\0';
	if (user[0] && format_buf(dir, sizeof(dir), "%s/%.*s", user, base, name) == 0 && stat(dir, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		return job_parse(name, dir, false, job, err);
	if (format_buf(dir, sizeof(dir), "%s/%.*s", bundled, base, name) == 0 && stat(dir, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		return job_parse(name, dir, true, job, err);
	return job_fail(err, "", 0, -ENOENT, "no job named '%.*s' in %s or %s", base, name,
			user[0] ? user : "(no home)", bundled);
}

struct job_setting *job_setting(struct job *job, const char *name)
{
	for (size_t i = 0; i < job->n_settings; i++)
		if (streq(job->settings[i].name, name))
			return &job->settings[i];
	return NULL;
}

int job_settings_load(struct job *job, const char *file, struct job_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	char text[JOB_VALUE_MAX + 64];
	unsigned line = 0;

	if (!f)
		return errno == ENOENT ? 0 : job_fail(err, file, 0, -errno, "%s", strerror(errno));
	while (fgets(text, sizeof(text), f)) {
		char *eq = strchr(text, '=');
		struct job_setting *s;
		size_t len = strlen(text);

		line++;
		if (len > 0 && text[len - 1] == '\n')
			text[--len] = '\0';
		if (!eq)
			return job_fail(err, file, line, -EINVAL, "not NAME=VALUE");
		*eq = '\0';
		s = job_setting(job, text);
		if (!s || s->need == JOB_ONCE)
			continue;
		snprintf(s->value, sizeof(s->value), "%s", eq + 1);
		s->set = true;
	}
	return ferror(f) ? job_fail(err, file, 0, -EIO, "cannot read it") : 0;
}

int job_setting_assign(struct job *job, const char *spec, struct cr_error *err)
{
	const char *eq = strchr(spec, '=');
	char name[64], value[JOB_VALUE_MAX];
	struct job_setting *s;

	if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof(name)) {
		return cr_fail(err, -EINVAL, "'--set %.64s': give NAME=VALUE", spec);
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
	s = job_setting(job, name);
	if (!s) {
		char names[JOB_MAX_SETTINGS * 64 + 8] = "";
		size_t used = 0;

		for (size_t i = 0; i < job->n_settings && used < sizeof(names); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used, " %s", job->settings[i].name);
		return cr_fail(err, -EINVAL, "job '%s' has no setting '%s' (its settings:%s%s)", job->name, name, names,
			       job->n_settings ? "" : " none");
	}
	if (strchr(eq + 1, '\n') || strlen(eq + 1) >= sizeof(value)) {
		return cr_fail(err, -EINVAL, "the value of '%s' holds a newline or is too long", name);
	}
	snprintf(value, sizeof(value), "%s", eq + 1);
	if (value[0] && value[0] != '/' && (s->type == JOB_SET_FILE || s->type == JOB_SET_DIR)) {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)) || format_buf(s->value, sizeof(s->value), "%s/%s", cwd, value) < 0) {
			return cr_fail(err, -EINVAL, "'%s': cannot make the path %s absolute", name, value);
		}
	} else {
		snprintf(s->value, sizeof(s->value), "%s", value);
	}
	s->set = value[0] != '\0';
	return 0;
}

int job_settings_check(const struct job *job, struct cr_error *err)
{
	for (size_t i = 0; i < job->n_settings; i++) {
		const struct job_setting *s = &job->settings[i];
		struct stat st;
		bool dir = s->type == JOB_SET_DIR;

		if (!s->set) {
			if (s->need == JOB_REQUIRED) {
				return cr_fail(err, -EINVAL, "job '%s' needs setting '%s': give --set %s=%s", job->name,
					       s->name, s->name,
					       dir			    ? "DIR"
					       : s->type == JOB_SET_FILE    ? "FILE"
					       : s->type == JOB_SET_COMMAND ? "COMMAND"
									    : "VALUE");
			}
			continue;
		}
		if (s->type != JOB_SET_FILE && !dir)
			continue;
		if (stat(s->value, &st) < 0 || (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) ||
		    access(s->value, s->writable ? R_OK | W_OK : R_OK) < 0) {
			return cr_fail(err, -EINVAL, "setting '%s': %s is not a %s you can %s", s->name, s->value,
				       dir ? "directory" : "file", s->writable ? "read and write" : "read");
		}
	}
	return 0;
}

int job_settings_save(const struct job *job, const char *file)
{
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int r;

	if (!f)
		return -errno;
	for (size_t i = 0; i < job->n_settings; i++)
		if (job->settings[i].set && job->settings[i].need != JOB_ONCE)
			fprintf(f, "%s=%s\n", job->settings[i].name, job->settings[i].value);
	r = fclose(f) == 0 ? 0 : -ENOMEM;
	return r < 0 ? r : write_file_atomic(file, text, 0600);
}
