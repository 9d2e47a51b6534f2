/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* job.conf parsing and a job's saved settings. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../../runtime/job.h"
#include "../../runtime/rmtree.h"
#include "../../base/util.h"
#include "harness.h"

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	CHECK(fd >= 0);
	CHECK_INT(write(fd, text, strlen(text)), ==, (long long)strlen(text));
	close(fd);
}

static char made[32][64];
static size_t n_made;

/* Remove every job directory this test made (each test runs in a process of its own). */
static void remove_jobs(void)
{
	for (size_t i = 0; i < n_made; i++)
		rmtree_at(AT_FDCWD, made[i]);
	n_made = 0;
}

/* A job directory in /tmp holding job.conf with conf and an executable script "run". */
static const char *make_job(const char *conf)
{
	char *dir = made[n_made < 32 ? n_made++ : 31];
	char path[128];

	snprintf(dir, sizeof(made[0]), "/tmp/crossroot-job.XXXXXX");
	if (!mkdtemp(dir))
		harness_fail(__FILE__, __LINE__, "mkdtemp: %m");
	snprintf(path, sizeof(path), "%s/job.conf", dir);
	put(path, conf, 0644);
	snprintf(path, sizeof(path), "%s/run", dir);
	put(path, "#!/bin/sh\n", 0755);
	return dir;
}

TEST(a_full_job_conf_parses)
{
	const char *dir = make_job("# a comment\n"
				   "\n"
				   "description Renews a certificate\n"
				   "suite trixie\n"
				   "arch arm64\n"
				   "packages certbot openssl\n"
				   "packages ca-certificates\n"
				   "timeout 120\n"
				   "bind /tmp ro\n"
				   "device /dev/tpmrm0\n"
				   "env A=b c=d\n"
				   "  setting domains text required\n"
				   "setting webroot dir rw required\n"
				   "setting key file ro once\n"
				   "setting reload command optional\n");
	struct job job;
	struct job_error err;

	CHECK_INT(job_parse("cert", dir, true, &job, &err), ==, 0);
	CHECK_STR(job.description, "Renews a certificate");
	CHECK_STR(job.suite, "trixie");
	CHECK_STR(job.arch, "arm64");
	CHECK_INT(job.n_packages, ==, 3);
	CHECK_STR(job.packages[2], "ca-certificates");
	CHECK_INT(job.timeout, ==, 120);
	CHECK_STR(job.script, "run");
	CHECK_INT(job.n_binds, ==, 1);
	CHECK(!job.binds[0].writable);
	CHECK_STR(job.devices[0], "/dev/tpmrm0");
	CHECK_STR(job.env[0], "A=b c=d");
	CHECK_INT(job.n_settings, ==, 4);
	CHECK(job_setting(&job, "webroot")->writable);
	CHECK_INT(job_setting(&job, "webroot")->type, ==, JOB_SET_DIR);
	CHECK_INT(job_setting(&job, "key")->need, ==, JOB_ONCE);
	CHECK_INT(job_setting(&job, "reload")->type, ==, JOB_SET_COMMAND);
	remove_jobs();
}

TEST(defaults_when_unsaid)
{
	struct job job;
	struct job_error err;

	CHECK_INT(job_parse("x", make_job("description d\n"), false, &job, &err), ==, 0);
	CHECK_STR(job.suite, JOB_DEFAULT_SUITE);
	CHECK_STR(job.arch, "");
	CHECK_INT(job.timeout, ==, JOB_DEFAULT_TIMEOUT);
	CHECK_INT(job.n_packages, ==, 0);
	remove_jobs();
}

/* conf must fail at line with a message containing what. */
static void expect_bad(const char *conf, unsigned line, const char *what)
{
	struct job job;
	struct job_error err;
	const char *dir = make_job(conf);

	CHECK_INT(job_parse("x", dir, false, &job, &err), <, 0);
	CHECK_INT(err.line, ==, line);
	CHECK(strstr(err.file, dir) == err.file);
	if (!strstr(err.message, what))
		harness_fail(__FILE__, __LINE__, "'%s' does not say '%s'", err.message, what);
}

TEST(bad_lines_name_their_line)
{
	expect_bad("description x\nfrobnicate 1\n", 2, "unknown key 'frobnicate'");
	expect_bad("timeout 0\n", 1, "timeout '0'");
	expect_bad("timeout 10s\n", 1, "timeout '10s'");
	expect_bad("\nbind tmp ro\n", 2, "absolute path");
	expect_bad("bind /tmp\n", 1, "ro or rw");
	expect_bad("bind /job/x ro\n", 1, "outside /job");
	expect_bad("bind /tmp/.. ro\n", 1, "absolute path");
	expect_bad("bind /tmp/../etc ro\n", 1, "absolute path");
	expect_bad("bind /nonexistent/crossroot rw\n", 1, "you cannot read and write it");
	expect_bad("device /etc/passwd\n", 1, "under /dev");
	expect_bad("env =x\n", 1, "NAME=");
	expect_bad("env A B=c\n", 1, "NAME=");
	expect_bad("packages\n", 1, "'packages PKG...'");
	expect_bad("packages foo;rm\n", 1, "invalid package name");
	expect_bad("setting Key text required\n", 1, "invalid setting name");
	expect_bad("setting k blob required\n", 1, "unknown setting type 'blob'");
	expect_bad("setting k text rw required\n", 1, "file and dir settings only");
	expect_bad("setting k file ro sometimes\n", 1, "required, optional or once");
	expect_bad("setting k text required\nsetting k text optional\n", 2, "declared twice");
	expect_bad("script ../run\n", 1, "a file name in the job directory");
	expect_bad("suite a/b\n", 1, "invalid suite");
	remove_jobs();
}

TEST(a_nul_byte_is_refused)
{
	static const char conf[] = "timeout 3\0bogus\ndescription x\n";
	char path[128];
	struct job job;
	struct job_error err;
	const char *dir = make_job("");
	int fd;

	snprintf(path, sizeof(path), "%s/job.conf", dir);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, conf, sizeof(conf) - 1), ==, (long long)sizeof(conf) - 1);
	close(fd);
	CHECK_INT(job_parse("x", dir, false, &job, &err), ==, -EINVAL);
	CHECK_INT(err.line, ==, 1);
	CHECK(strstr(err.message, "NUL byte") != NULL);
	remove_jobs();
}

TEST(a_missing_script_names_it)
{
	struct job job;
	struct job_error err;

	CHECK_INT(job_parse("x", make_job("script other\n"), false, &job, &err), ==, -ENOENT);
	CHECK(strstr(err.message, "/other is missing or not executable") != NULL);
	remove_jobs();
}

TEST(job_names)
{
	CHECK_INT(job_name_valid("cert-renew"), ==, 0);
	CHECK_INT(job_name_valid("tpm2"), ==, 0);
	CHECK_INT(job_name_valid(""), ==, -EINVAL);
	CHECK_INT(job_name_valid("../x"), ==, -EINVAL);
	CHECK_INT(job_name_valid(".hidden"), ==, -EINVAL);
	CHECK_INT(job_name_valid("Upper"), ==, -EINVAL);
	CHECK_INT(job_name_valid("a b"), ==, -EINVAL);
	CHECK_INT(job_name_valid("cert-renew@example.org"), ==, 0);
	CHECK_INT(job_name_valid("cert-renew@"), ==, -EINVAL);
	CHECK_INT(job_name_valid("@x"), ==, -EINVAL);
	CHECK_INT(job_name_valid("a@b@c"), ==, -EINVAL);
	CHECK_INT(job_name_valid("a@../x"), ==, -EINVAL);
}

TEST(settings_are_assigned_checked_saved_and_loaded)
{
	const char *dir = make_job("setting domains text required\n"
				   "setting out dir rw optional\n"
				   "setting key file ro once\n");
	char file[128], text[512];
	struct cr_error why;
	struct job job, again;
	struct job_error err;

	CHECK_INT(job_parse("x", dir, false, &job, &err), ==, 0);
	CHECK_INT(job_settings_check(&job, &why), ==, -EINVAL);
	CHECK(strstr(why.message, "needs setting 'domains': give --set domains=VALUE") != NULL);
	CHECK_INT(job_setting_assign(&job, "domains=example.org www.example.org", &why), ==, 0);
	CHECK_INT(job_setting_assign(&job, "nosuch=1", &why), ==, -EINVAL);
	CHECK(strstr(why.message, "(its settings: domains out key)") != NULL);
	CHECK_INT(job_setting_assign(&job, "novalue", &why), ==, -EINVAL);
	CHECK_INT(job_setting_assign(&job, "domains=a\nb", &why), ==, -EINVAL);
	CHECK_INT(chdir(dir), ==, 0);
	CHECK_INT(job_setting_assign(&job, "key=job.conf", &why), ==, 0);
	snprintf(file, sizeof(file), "%s/job.conf", dir);
	CHECK_STR(job_setting(&job, "key")->value, file);
	CHECK_INT(job_setting_assign(&job, "out=/nonexistent", &why), ==, 0);
	CHECK_INT(job_settings_check(&job, &why), ==, -EINVAL);
	CHECK(strstr(why.message, "setting 'out': /nonexistent is not a directory you can read and write") != NULL);
	CHECK_INT(job_setting_assign(&job, "out=", &why), ==, 0);
	CHECK(!job_setting(&job, "out")->set);
	CHECK_INT(job_settings_check(&job, &why), ==, 0);

	snprintf(file, sizeof(file), "%s/settings", dir);
	CHECK_INT(job_settings_save(&job, file), ==, 0);
	CHECK_INT(read_file_at(AT_FDCWD, file, text, sizeof(text)), >, 0);
	CHECK_STR(text, "domains=example.org www.example.org\n");
	CHECK_INT(job_parse("x", dir, false, &again, &err), ==, 0);
	CHECK_INT(job_settings_load(&again, file, &err), ==, 0);
	CHECK_STR(job_setting(&again, "domains")->value, "example.org www.example.org");
	CHECK(!job_setting(&again, "key")->set);
	remove_jobs();
}
