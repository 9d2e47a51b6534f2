/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../base/util.h"
#include "netlibs.h"

/* --- the host's mirror --------------------------------------------------------------------- */

static bool suite_is_main(const char *suite)
{
	size_t len = strlen(suite);

	for (const char *const *s = (const char *const[]){ "-security", "-updates", "-backports", NULL }; *s; s++)
		if (len > strlen(*s) && streq(suite + len - strlen(*s), *s))
			return false;
	return true;
}

bool word_in_list(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += len)
		if ((p == list || strchr(" \t", p[-1])) && strchr(" \t\n", p[len]))
			return true;
	return false;
}

/* Whether suite is a security suite ("bookworm-security"), and its release's codename matches codename if given. */
static bool suite_is_security(const char *suite, const char *codename)
{
	size_t len = strlen(suite);

	if (len <= 9 || !streq(suite + len - 9, "-security"))
		return false;
	return !codename || (strlen(codename) == len - 9 && !strncmp(suite, codename, len - 9));
}

/*
 * Whether a source (suite, components, signed-by) is the Debian archive we
 * want: its main suite, or with security its security suite.
 */
static bool debian_source(const char *suite, const char *components, const char *signed_by, const char *codename,
			  bool security)
{
	bool debian_key = signed_by && strstr(signed_by, "debian-archive-keyring");

	if (!word_in_list(components, "main"))
		return false;
	if (security)
		return suite_is_security(suite, NULL) && (debian_key || suite_is_security(suite, codename));
	return suite_is_main(suite) && ((codename[0] && streq(suite, codename)) || debian_key);
}

static int copy_uri(const char *uri, size_t len, char *buf, size_t size)
{
	while (len > 0 && uri[len - 1] == '/')
		len--;
	return format_buf(buf, size, "%.*s", (int)len, uri);
}

/* One-line format: "deb [options] URI SUITE COMPONENT...". */
static int one_line_sources(const char *path, const char *codename, bool security, char *buf, size_t size)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[2048];

	while (f && fgets(line, sizeof(line), f)) {
		char *p = line, *options = NULL, *uri, *suite;

		p += strspn(p, " \t");
		if (strncmp(p, "deb", 3) != 0 || !strchr(" \t", p[3]))
			continue;
		p += 3 + strspn(p + 3, " \t");
		if (*p == '[') {
			options = p;
			p = strchr(p, ']');
			if (!p)
				continue;
			*p++ = '\0';
		}
		uri = strtok(p, " \t\n");
		suite = strtok(NULL, " \t\n");
		p = strtok(NULL, "\n");
		if (uri && suite && p && debian_source(suite, p, options, codename, security))
			return copy_uri(uri, strlen(uri), buf, size);
	}
	return -ENOENT;
}

/* deb822 format: stanzas with Types:, URIs:, Suites:, Components:, Signed-By:. */
static int deb822_sources(const char *path, const char *codename, bool security, char *buf, size_t size)
{
	char text[65536];
	ssize_t n = read_file_at(AT_FDCWD, path, text, sizeof(text));

	if (n < 0)
		return (int)n;
	for (char *stanza = text; stanza && *stanza;) {
		char *next = strstr(stanza, "\n\n");
		char fields[5][1024] = { "", "", "", "", "" };
		static const char *const keys[] = { "Types:", "URIs:", "Suites:", "Components:", "Signed-By:" };
		char suite[128];

		if (next)
			*next = '\0';
		for (char *line = stanza; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
			for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
				if (!strncmp(line, keys[k], strlen(keys[k])))
					snprintf(fields[k], sizeof(fields[k]), "%.*s", (int)strcspn(line, "\n"),
						 line + strlen(keys[k]));
		if (word_in_list(fields[0], "deb")) {
			/* Each suite of the stanza counts on its own. */
			for (const char *s = fields[2]; sscanf(s, " %127s", suite) == 1;
			     s = strstr(s, suite) + strlen(suite)) {
				char uri[1024];

				if (debian_source(suite, fields[3], fields[4], codename, security) &&
				    sscanf(fields[1], " %1023s", uri) == 1)
					return copy_uri(uri, strlen(uri), buf, size);
			}
		}
		stanza = next ? next + 2 : NULL;
	}
	return -ENOENT;
}

static void host_codename(const char *root, char *buf, size_t size)
{
	char text[4096], path[PATH_MAX], *p;

	buf[0] = '\0';
	if (format_buf(path, sizeof(path), "%s/etc/os-release", root) < 0 ||
	    read_file_at(AT_FDCWD, path, text, sizeof(text)) < 0)
		return;
	p = strstr(text, "VERSION_CODENAME=");
	if (p)
		snprintf(buf, size, "%.*s", (int)strcspn(p + 17, "\n\""), p + 17);
}

int archive_sources_mirror(const char *root, bool security, char *buf, size_t size)
{
	char codename[64], path[PATH_MAX], dir[PATH_MAX];
	struct dirent **names = NULL;
	int n, r = -ENOENT;

	if (streq(root, "/"))
		root = "";
	host_codename(root, codename, sizeof(codename));
	if (format_buf(path, sizeof(path), "%s/etc/apt/sources.list", root) < 0 ||
	    format_buf(dir, sizeof(dir), "%s/etc/apt/sources.list.d", root) < 0)
		return -ENAMETOOLONG;
	if (one_line_sources(path, codename, security, buf, size) == 0)
		return 0;
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);

		if (r < 0 && format_buf(path, sizeof(path), "%s/%s", dir, name) == 0) {
			if (len > 5 && streq(name + len - 5, ".list"))
				r = one_line_sources(path, codename, security, buf, size);
			else if (len > 8 && streq(name + len - 8, ".sources"))
				r = deb822_sources(path, codename, security, buf, size);
		}
		free(names[i]);
	}
	free(names);
	return r == 0 ? 0 : -ENOENT;
}

int archive_host_mirror(char *buf, size_t size)
{
	return archive_sources_mirror("/", false, buf, size);
}

int archive_host_security_mirror(char *buf, size_t size)
{
	return archive_sources_mirror("/", true, buf, size);
}

int archive_host_check_valid_until(void)
{
	char out[256] = "";
	int pipefd[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return -e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(pipefd[1], STDOUT_FILENO) < 0 ||
		    dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		/* "/b": the value as apt reads a boolean (true/false, yes/no, 1/0 all come out true or false). */
		execlp("apt-config", "apt-config", "shell", "V", "Acquire::Check-Valid-Until/b", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < (ssize_t)sizeof(out) - 1 && (n = read(pipefd[0], out + len, sizeof(out) - 1 - (size_t)len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += n;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ENOENT;
	out[len] = '\0';
	if (streq(out, "V='false'\n"))
		return 0;
	if (streq(out, "V='true'\n"))
		return 1;
	return -ENOENT;
}

bool suite_has_pockets(const char *suite)
{
	static const char *const rolling[] = { "sid", "unstable", "experimental", "rc-buggy", NULL };

	for (const char *const *s = rolling; *s; s++)
		if (streq(suite, *s))
			return false;
	return true;
}

int archive_sources_deb822(const struct apt_sources *s, char *buf, size_t size)
{
	char components[512] = "";
	const char *check = s->no_check_valid_until ? "Check-Valid-Until: no\n" : "";
	size_t used = 0;
	int n;

	for (const char *const *c = s->components; *c; c++)
		if (format_buf(components + strlen(components), sizeof(components) - strlen(components), "%s%s",
			       c == s->components ? "" : " ", *c) < 0)
			return -ENAMETOOLONG;
	/* As the Debian installer writes it: the release and its updates in one stanza, security in its own. */
	n = snprintf(buf, size, "Types: deb deb-src\nURIs: %s/\nSuites: %s%s%s%s\nComponents: %s\nSigned-By: %s\n%s",
		     s->mirror, s->suite, suite_has_pockets(s->suite) ? " " : "",
		     suite_has_pockets(s->suite) ? s->suite : "", suite_has_pockets(s->suite) ? "-updates" : "",
		     components, s->signed_by, check);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	used = (size_t)n;
	if (s->security_mirror && suite_has_pockets(s->suite)) {
		n = snprintf(buf + used, size - used,
			     "\nTypes: deb deb-src\nURIs: %s/\nSuites: %s-security\nComponents: %s\nSigned-By: %s\n%s",
			     s->security_mirror, s->suite, components, s->security_signed_by, check);
		if (n < 0 || (size_t)n >= size - used)
			return -ENAMETOOLONG;
	}
	return 0;
}

/* --- hashing ------------------------------------------------------------------------------- */

static void to_hex(const uint8_t *digest, char hex[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
}

int sha256_file(const char *path, char hex[65])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct sha256_ctx ctx;
	uint8_t buf[65536], digest[SHA256_DIGEST_SIZE];
	ssize_t n;

	if (netlibs_load(NULL) < 0)
		return -ELIBACC;
	if (fd < 0)
		return -errno;
	nl.nettle_sha256_init(&ctx);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		nl.nettle_sha256_update(&ctx, (size_t)n, buf);
	if (n < 0)
		return -errno;
	nl.nettle_sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
	to_hex(digest, hex);
	return 0;
}

int sha256_text(const void *data, size_t len, char hex[65])
{
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];

	if (netlibs_load(NULL) < 0)
		return -ELIBACC;
	nl.nettle_sha256_init(&ctx);
	nl.nettle_sha256_update(&ctx, len, data);
	nl.nettle_sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
	to_hex(digest, hex);
	return 0;
}

/* --- fetching ------------------------------------------------------------------------------ */

static void easy_options(CURL *h, const char *url, FILE *out)
{
	nl.curl_easy_setopt(h, CURLOPT_URL, url);
	nl.curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	nl.curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	nl.curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	nl.curl_easy_setopt(h, CURLOPT_USERAGENT, "crossroot");
	/* A CI job must never hang: give up on a dead connection. */
	nl.curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	nl.curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 512L);
	nl.curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	nl.curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
}

static int curl_error(CURL *h, CURLcode code, const char *url, struct cr_error *err)
{
	long status = 0;

	if (code == CURLE_HTTP_RETURNED_ERROR) {
		nl.curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		return cr_fail(err, status == 404 ? -ENOENT : -EIO, "%s: HTTP %ld", url, status);
	}
	if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT)
		return cr_fail(err, -EHOSTUNREACH, "%s: %s", url, nl.curl_easy_strerror(code));
	return cr_fail(err, -EIO, "%s: %s", url, nl.curl_easy_strerror(code));
}

/*
 * A new file beside path to download into, "PATH.part-XXXXXX" (mkostemp(3),
 * O_EXCL): two creates fetching the same .deb at once (an arch: all package
 * of two arches) each write their own and rename a verified whole into place.
 */
static FILE *part_open(const char *path, char *buf, size_t size)
{
	mode_t mask = umask(0);
	FILE *f;
	int fd;

	umask(mask);
	if (format_buf(buf, size, "%s.part-XXXXXX", path) < 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = mkostemp(buf, O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* The mode fopen(3) would give (mkostemp makes it 0600). */
	if (fchmod(fd, 0666 & ~mask) < 0 || !(f = fdopen(fd, "w"))) {
		int e = errno;

		close(fd);
		unlink(buf);
		errno = e;
		return NULL;
	}
	return f;
}

/* One transfer in flight. */
struct transfer {
	struct fetch_item *item;
	CURL *handle;
	FILE *out;
	char part[PATH_MAX];
};

static int start_transfer(CURLM *multi, struct transfer *t, struct fetch_item *item, struct cr_error *err)
{
	memset(t, 0, sizeof(*t));
	t->item = item;
	t->out = part_open(item->path, t->part, sizeof(t->part));
	if (!t->out)
		return cr_fail(err, -errno, "%s: %s", t->part[0] ? t->part : item->path, strerror(errno));
	t->handle = nl.curl_easy_init();
	if (!t->handle) {
		/* transfer_all() drops only slots with a handle: this one's file goes here. */
		fclose(steal_ptr(t->out));
		unlink(t->part);
		return cr_fail(err, -ENOMEM, "cannot start a download");
	}
	easy_options(t->handle, item->url, t->out);
	nl.curl_easy_setopt(t->handle, CURLOPT_PRIVATE, t);
	nl.curl_multi_add_handle(multi, t->handle);
	return 0;
}

/* Close a finished transfer; check what arrived; rename it into place. */
static int finish_transfer(CURLM *multi, struct transfer *t, CURLcode code, struct cr_error *err)
{
	const struct fetch_item *item = t->item;
	char hex[65];
	struct stat st;
	int r = 0;

	if (code != CURLE_OK)
		r = curl_error(t->handle, code, item->url, err);
	nl.curl_multi_remove_handle(multi, t->handle);
	nl.curl_easy_cleanup(t->handle);
	t->handle = NULL;
	if (fclose(t->out) != 0 && r == 0)
		r = cr_fail(err, -errno, "%s: %s", t->part, strerror(errno));
	t->out = NULL;
	if (r == 0 && item->sha256) {
		if (stat(t->part, &st) < 0)
			r = cr_fail(err, -errno, "%s: %s", t->part, strerror(errno));
		else if ((uint64_t)st.st_size != item->size)
			r = cr_fail(err, -EBADMSG, "%s: %lld bytes, the index says %llu", item->url,
				    (long long)st.st_size, (unsigned long long)item->size);
		else if ((r = sha256_file(t->part, hex)) < 0)
			r = cr_fail(err, r, "%s: %s", t->part, strerror(-r));
		else if (!streq(hex, item->sha256))
			r = cr_fail(err, -EBADMSG, "%s: SHA-256 %s, the index says %s", item->url, hex, item->sha256);
	}
	if (r == 0 && rename(t->part, item->path) < 0)
		r = cr_fail(err, -errno, "%s: %s", item->path, strerror(errno));
	if (r < 0)
		unlink(t->part);
	return r;
}

/* Already fetched: present under its final name (only verified files get it) with the right size. */
static bool already_there(const struct fetch_item *item)
{
	struct stat st;

	return item->sha256 && stat(item->path, &st) == 0 && (uint64_t)st.st_size == item->size;
}

/* Downloads under way: parallel slots over items, and the counts progress reports. */
struct transfers {
	struct fetch_item *items;
	size_t n, next, done, active;
	unsigned parallel;
	struct transfer *slots;
	CURLM *multi;
	uint64_t bytes, total_bytes;
	fetch_progress_fn progress;
	void *data;
	struct cr_error *err;
};

/* Fill free slots with what is still to fetch, counting what is there already. Returns 0 or -errno. */
static int transfers_fill(struct transfers *tr)
{
	int r = 0;

	for (unsigned s = 0; r == 0 && s < tr->parallel && tr->next < tr->n; s++) {
		if (tr->slots[s].handle)
			continue;
		while (tr->next < tr->n && already_there(&tr->items[tr->next])) {
			tr->bytes += tr->items[tr->next].size;
			tr->done++;
			tr->next++;
		}
		if (tr->next < tr->n) {
			r = start_transfer(tr->multi, &tr->slots[s], &tr->items[tr->next++], tr->err);
			tr->active++;
		}
	}
	return r;
}

/* Finish the transfers curl says are done, reporting progress after each. Returns 0 or -errno. */
static int transfers_collect(struct transfers *tr)
{
	CURLMsg *msg;
	int left, r;

	while ((msg = nl.curl_multi_info_read(tr->multi, &left))) {
		struct transfer *t;

		if (msg->msg != CURLMSG_DONE)
			continue;
		nl.curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		tr->bytes += t->item->size;
		tr->done++;
		tr->active--;
		r = finish_transfer(tr->multi, t, msg->data.result, tr->err);
		if (r < 0)
			return r;
		if (tr->progress)
			tr->progress(tr->data, tr->done, tr->n, tr->bytes, tr->total_bytes);
	}
	return 0;
}

/* On error, drop what is still in flight, with its partial file. */
static void transfers_drop(struct transfers *tr)
{
	for (unsigned s = 0; s < tr->parallel; s++)
		if (tr->slots[s].handle) {
			nl.curl_multi_remove_handle(tr->multi, tr->slots[s].handle);
			nl.curl_easy_cleanup(tr->slots[s].handle);
			fclose(tr->slots[s].out);
			unlink(tr->slots[s].part);
		}
}

static int transfer_all(struct fetch_item *items, size_t n, unsigned parallel, fetch_progress_fn progress, void *data,
			struct cr_error *err)
{
	struct transfers tr = { .items = items, .n = n, .progress = progress, .data = data, .err = err };
	int r = 0;

	if (netlibs_load(err) < 0)
		return -ELIBACC;
	tr.parallel = parallel == 0 ? 1 : parallel;
	for (size_t i = 0; i < n; i++)
		tr.total_bytes += items[i].size;
	tr.slots = calloc(tr.parallel, sizeof(*tr.slots));
	tr.multi = nl.curl_multi_init();
	if (!tr.slots || !tr.multi) {
		free(tr.slots);
		if (tr.multi)
			nl.curl_multi_cleanup(tr.multi);
		return cr_fail(err, -ENOMEM, "cannot start downloads");
	}
	for (;;) {
		int running;

		r = transfers_fill(&tr);
		if (tr.active == 0 || r < 0)
			break;
		nl.curl_multi_perform(tr.multi, &running);
		r = transfers_collect(&tr);
		if (r < 0)
			break;
		if (tr.active > 0)
			nl.curl_multi_poll(tr.multi, NULL, 0, 1000, NULL);
	}
	transfers_drop(&tr);
	nl.curl_multi_cleanup(tr.multi);
	free(tr.slots);
	if (r == 0 && progress)
		progress(data, tr.done, n, tr.bytes, tr.total_bytes);
	return r;
}

int archive_fetch(const char *url, const char *path, struct cr_error *err)
{
	struct fetch_item item = { .url = url, .path = path };

	return transfer_all(&item, 1, 1, NULL, NULL, err);
}

int archive_fetch_many(struct fetch_item *items, size_t n, unsigned parallel, fetch_progress_fn progress, void *data,
		       struct cr_error *err)
{
	return transfer_all(items, n, parallel, progress, data, err);
}

/* --- InRelease ----------------------------------------------------------------------------- */

int archive_verify_inrelease(const char *path, const char *keyring, const char *clear_path, struct cr_error *err)
{
	_cleanup_close_pair_ int status_pipe[2] = { -EBADF, -EBADF }, out_pipe[2] = { -EBADF, -EBADF };
	int status;
	char status_text[8192] = "", messages[2048] = "";
	size_t used = 0, mused = 0;
	pid_t pid;

	if (access(keyring, R_OK) < 0)
		return cr_fail(err, -ENOENT,
			       "keyring %s: %s (apt-get install debian-archive-keyring, or give --keyring)", keyring,
			       strerror(errno));
	if (pipe2(status_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0)
		return cr_fail(err, -errno, "pipe: %s", strerror(errno));
	unlink(clear_path);
	pid = fork();
	if (pid < 0)
		return cr_fail(err, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(status_pipe[1], 3);
		dup2(out_pipe[1], 2);
		execlp("gpgv", "gpgv", "--quiet", "--status-fd", "3", "--keyring", keyring, "--output", clear_path,
		       path, (char *)NULL);
		_exit(127);
	}
	status_pipe[1] = safe_close(status_pipe[1]);
	out_pipe[1] = safe_close(out_pipe[1]);
	for (;;) {
		ssize_t k = read(status_pipe[0], status_text + used, sizeof(status_text) - 1 - used);

		if (k <= 0)
			break;
		used += (size_t)k;
	}
	for (;;) {
		ssize_t k = read(out_pipe[0], messages + mused, sizeof(messages) - 1 - mused);

		if (k <= 0)
			break;
		mused += (size_t)k;
	}
	status_text[used] = '\0';
	messages[mused] = '\0';
	status_pipe[0] = safe_close(status_pipe[0]);
	out_pipe[0] = safe_close(out_pipe[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return cr_fail(err, -ENOENT, "gpgv is not installed (apt-get install gpgv)");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !strstr(status_text, "[GNUPG:] VALIDSIG ")) {
		unlink(clear_path);
		/* gpgv's last line says why ("BAD signature", "Can't check signature: No public key"). */
		while (mused > 0 && messages[mused - 1] == '\n')
			messages[--mused] = '\0';
		if (strrchr(messages, '\n'))
			memmove(messages, strrchr(messages, '\n') + 1, strlen(strrchr(messages, '\n')));
		return cr_fail(err, -EBADMSG, "the signature of %s does not verify against %s%s%s", path, keyring,
			       messages[0] ? ": " : "", messages);
	}
	return 0;
}

int release_file_hash(const char *release, const char *file, char sha256[65], uint64_t *size)
{
	const char *p = strstr(release, "\nSHA256:");
	size_t len = strlen(file);

	if (!p)
		return -ENOENT;
	p = strchr(p + 1, '\n');
	while (p && p[1] == ' ') {
		char hash[65], name[512];
		unsigned long long sz;

		if (sscanf(p + 1, " %64s %llu %511s", hash, &sz, name) == 3 && strlen(name) == len &&
		    streq(name, file)) {
			memcpy(sha256, hash, 65);
			*size = sz;
			return 0;
		}
		p = strchr(p + 1, '\n');
	}
	return -ENOENT;
}

bool release_has_arch(const char *release, const char *arch)
{
	const char *p = strstr(release, "\nArchitectures:");
	char line[1024];

	if (!p)
		return false;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(p + 16, "\n"), p + 16);
	return word_in_list(line, arch);
}

int release_field(const char *release, const char *field, char *buf, size_t size)
{
	size_t len = strlen(field);

	for (const char *line = release; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *value;

		/* The hash lists' continuation lines start with a space: never a field. */
		if (strncmp(line, field, len) != 0 || line[len] != ':')
			continue;
		value = line + len + 1;
		value += strspn(value, " \t");
		len = strcspn(value, "\n");
		while (len > 0 && strchr(" \t\r", value[len - 1]))
			len--;
		snprintf(buf, size, "%.*s", (int)len, value);
		return 0;
	}
	return -ENOENT;
}

int release_parse_date(const char *text, time_t *t)
{
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char month[4], zone[8];
	struct tm tm = { 0 };
	int consumed = 0;
	const char *comma = strchr(text, ',');

	/* English month names whatever the locale, so no strptime(). */
	if (comma)
		text = comma + 1;
	if (sscanf(text, " %2d %3s %4d %2d:%2d:%2d %7s%n", &tm.tm_mday, month, &tm.tm_year, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, zone, &consumed) != 7 ||
	    text[consumed + strspn(text + consumed, " \t")] != '\0')
		return -EINVAL;
	if (!streq(zone, "UTC") && !streq(zone, "GMT") && !streq(zone, "Z") && !streq(zone, "+0000"))
		return -EINVAL;
	tm.tm_mon = -1;
	for (int i = 0; i < 12; i++)
		if (streq(month, months[i]))
			tm.tm_mon = i;
	if (tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_year < 1970 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	tm.tm_year -= 1900;
	*t = timegm(&tm);
	return *t == (time_t)-1 ? -EINVAL : 0;
}

static void format_date(time_t t, char buf[64])
{
	struct tm tm;
	static const char days[][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

	gmtime_r(&t, &tm);
	snprintf(buf, 64, "%s, %02d %s %d %02d:%02d:%02d UTC", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int release_check(const char *release, const char *suite, time_t now, unsigned flags, const char *where,
		  struct cr_error *err)
{
	char text[128], field_suite[128] = "", codename[128] = "", now_text[64];
	time_t t;

	format_date(now, now_text);
	if (!(flags & RELEASE_IGNORE_VALID_UNTIL) && release_field(release, "Valid-Until", text, sizeof(text)) == 0) {
		if (release_parse_date(text, &t) < 0)
			return cr_fail(err, -EBADMSG, "%s: its Valid-Until '%s' is no date", where, text);
		/* A replayed old release, validly signed, is refused here (apt: "is expired"). */
		if (now > t)
			return cr_fail(err, -EKEYEXPIRED,
				       "%s expired on %s (its Valid-Until; the time here is %s): the mirror "
				       "serves an outdated release; use another --mirror, or check the clock",
				       where, text, now_text);
	}
	/* apt accepts a Release without a Date; one that is there must not lie ahead. */
	if (release_field(release, "Date", text, sizeof(text)) == 0) {
		if (release_parse_date(text, &t) < 0)
			return cr_fail(err, -EBADMSG, "%s: its Date '%s' is no date", where, text);
		if (t > now + RELEASE_MAX_FUTURE)
			return cr_fail(err, -ETIME,
				       "%s is not valid yet: it is dated %s, but the time here is %s; check the "
				       "clock of this machine",
				       where, text, now_text);
	}
	release_field(release, "Suite", field_suite, sizeof(field_suite));
	release_field(release, "Codename", codename, sizeof(codename));
	if (!streq(suite, field_suite) && !streq(suite, codename))
		return cr_fail(err, -EBADMSG,
			       "%s is of another suite than '%s' (its Suite is '%s', its Codename '%s'): the "
			       "mirror serves something else at dists/%s",
			       where, suite, field_suite, codename, suite);
	return 0;
}
