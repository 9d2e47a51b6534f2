/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot job list | run | timer */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ctype.h>
#include <time.h>

#include "cli.h"
#include "job.h"
#include "runtime.h"
#include "../base/syscalls.h"

/* Runs kept in the state directory's logs/. */
#define JOB_LOGS_KEPT 10
#define JOB_EXIT_TIMEOUT 124

/* The host's own Debian arch (amd64 on x86_64): jobs run natively by default. */
static const struct arch_info *host_arch(void)
{
	char machine[65];

	if (arch_host_machine(machine, sizeof(machine)) < 0)
		return NULL;
	for (size_t i = 0; i < arch_count(); i++)
		if (arch_table[i].native_host && streq(arch_table[i].native_host, machine) &&
		    streq(arch_table[i].uname_m, machine) && !arch_table[i].personality32)
			return &arch_table[i];
	return NULL;
}

static void report_job_error(const struct job_error *err)
{
	if (err->line)
		cli_error("%s:%u: %s", err->file, err->line, err->message);
	else if (err->file[0])
		cli_error("%s: %s", err->file, err->message);
	else
		cli_error("%s", err->message);
}

/* ${XDG_STATE_HOME:-~/.local/state}/crossroot/jobs/NAME, made private (0700). */
static int state_dir(const char *name, char *buf, size_t size)
{
	char suffix[PATH_MAX];
	int r;

	snprintf(suffix, sizeof(suffix), "crossroot/jobs/%s", name);
	r = xdg_user_dir("XDG_STATE_HOME", ".local/state", suffix, buf, size);
	if (r < 0)
		return r;
	return mkdir_private(buf, true);
}

/*
 * ${XDG_CONFIG_HOME:-~/.config}/crossroot/job-settings, private: where a
 * job's saved settings and its lock live.  Never in the state directory:
 * the job writes there, and a setting it planted would bind a host path
 * or run a command on the host at the next run.
 */
static int settings_dir(char *buf, size_t size)
{
	int r = xdg_user_dir("XDG_CONFIG_HOME", ".config", "crossroot/job-settings", buf, size);

	return r < 0 ? r : mkdir_private(buf, true);
}

/* ---- job list ---- */

static void list_dir(const char *dir, const char *where, const char *shadow_dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;
	char names[256][JOB_NAME_MAX + 1];
	size_t n = 0;

	if (!d)
		return;
	while ((e = readdir(d)) && n < ARRAY_SIZE(names))
		if (job_name_valid(e->d_name) == 0)
			snprintf(names[n++], sizeof(names[0]), "%.*s", JOB_NAME_MAX, e->d_name);
	qsort(names, n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < n; i++) {
		struct job job;
		struct job_error err;
		char sub[PATH_MAX];
		struct stat st;

		if (format_buf(sub, sizeof(sub), "%s/%s", dir, names[i]) < 0 || stat(sub, &st) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		/* A job of the user's own of the same name is the one that runs. */
		if (shadow_dir && format_buf(sub, sizeof(sub), "%s/%s", shadow_dir, names[i]) == 0 &&
		    stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		format_buf(sub, sizeof(sub), "%s/%s", dir, names[i]);
		if (job_parse(names[i], sub, shadow_dir != NULL, &job, &err) < 0)
			printf("%-16s %-8s (broken: %s%s%u: %s)\n", names[i], where, err.file, err.line ? ":" : "",
			       err.line, err.message);
		else
			printf("%-16s %-8s %s\n", names[i], where, job.description);
	}
}

static int job_list(int argc, char **argv)
{
	static const char help[] = "Usage: crossroot job list\n"
				   "\n"
				   "List the jobs: your own (${XDG_CONFIG_HOME:-~/.config}/crossroot/jobs)\n"
				   "and the bundled ones; yours win over a bundled one of the same name.\n";
	char user[PATH_MAX], bundled[PATH_MAX];
	int r = cli_parse_help_only("job list", help, argc, argv);

	if (r >= 0)
		return r;
	if (optind < argc)
		return cli_usage_error("job list", "unexpected argument '%.80s'", argv[optind]);
	if (job_dirs(user, bundled) < 0)
		user[0] = '\0';
	printf("%-16s %-8s %s\n", "JOB", "FROM", "DESCRIPTION");
	if (user[0])
		list_dir(user, "yours", NULL);
	list_dir(bundled, "bundled", user[0] ? user : NULL);
	return EXIT_OK;
}

/* ---- job run ---- */

struct run_args {
	const char *container;
	const char *sets[JOB_MAX_SETTINGS * 2];
	size_t n_sets;
	char **args; /* after "--" */
	int n_args;
};

static const char run_help[] = "Usage: crossroot job run JOB [--container NAME] [--set NAME=VALUE]... [-- ARG...]\n"
			       "\n"
			       "Run JOB's script in its container, as you, with no capabilities, the\n"
			       "default seccomp filter and only what job.conf declares: the job directory\n"
			       "at " JOB_LIB_INSIDE " (read-only), its state directory\n"
			       "${XDG_STATE_HOME:-~/.local/state}/crossroot/jobs/JOB at " JOB_STATE_INSIDE " (the\n"
			       "working directory), file and dir settings at " JOB_SET_INSIDE "/NAME, its binds\n"
			       "and the devices present.  Your home directory is not visible.  The\n"
			       "container job-JOB is created on first use, with the packages the job needs.\n"
			       "Output is shown and also logged in the state directory's logs/ (the last\n"
			       "10 runs).  At the job's time limit, every process it started is killed.\n"
			       "JOB@NAME is an instance of JOB: settings and state of its own, the same\n"
			       "container.\n"
			       "\n"
			       "  --container NAME   run in container NAME instead (stopped; it must have\n"
			       "                     the packages)\n"
			       "  --set NAME=VALUE   a setting, saved for later runs (except 'once' ones) in\n"
			       "                     ${XDG_CONFIG_HOME:-~/.config}/crossroot/job-settings/JOB;\n"
			       "                     NAME= unsets it\n"
			       "\n"
			       "Exit status: the script's; 124 when the time limit killed it; 125 when\n"
			       "crossroot failed, bad usage or a bad job file included; when the script\n"
			       "succeeded but a command setting run on the host failed, that command's.\n";

static int parse_job_run(int argc, char **argv, struct run_args *a, const char **name)
{
	static const struct option options[] = {
		{ "container", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int ch;

	*name = NULL;
	optind = 0;
	opterr = 0;
	/* Options and JOB in any order, up to "--". */
	while (optind < argc) {
		if ((ch = cli_getopt(argc, argv, "+:h", options)) == -1) {
			if (optind >= argc || streq(argv[optind - 1], "--"))
				break;
			if (*name) {
				cli_usage_error("job run",
						"unexpected argument '%.80s': arguments for the "
						"script go after '--'",
						argv[optind]);
				return EXIT_RUN_FAILED;
			}
			*name = argv[optind++];
			continue;
		}
		switch (ch) {
		case 'h':
			fputs(run_help, stdout);
			return EXIT_OK;
		case 'c':
			a->container = optarg;
			break;
		case 's':
			if (a->n_sets == ARRAY_SIZE(a->sets)) {
				cli_usage_error("job run", "too many --set options");
				return EXIT_RUN_FAILED;
			}
			a->sets[a->n_sets++] = optarg;
			break;
		default:
			cli_option_error("job run", argv, ch);
			return EXIT_RUN_FAILED;
		}
	}
	a->args = argv + optind;
	a->n_args = argc - optind;
	if (!*name) {
		cli_usage_error("job run", "missing the job name ('crossroot job list' shows them)");
		return EXIT_RUN_FAILED;
	}
	if (job_name_valid(*name) < 0) {
		cli_usage_error("job run", "invalid job name '%.80s'", *name);
		return EXIT_RUN_FAILED;
	}
	return -1;
}

/* Run argv (argv[0] a path) and wait.  Returns its exit status (128+N for signal N), or -errno. */
static int spawn_wait(const char *const *argv, const char *cwd, char *const *env)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (cwd && chdir(cwd) < 0)
			_exit(125);
		/* exec(3) takes char *const[] for history's sake; it never writes to them. */
		if (env)
			execve(argv[0], (char *const *)argv, env);
		else
			execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Whether every package is installed in c's rootfs, from dpkg's status file
 * read inside the rootfs (RESOLVE_IN_ROOT: its symlinks stay in it).  The
 * missing ones go to missing as "a b c".  Returns 0 or -errno.
 */
static int missing_packages(const struct container *c, const struct job *job, char *missing, size_t size)
{
	_cleanup_fclose_ FILE *f = NULL;
	bool installed[JOB_MAX_PACKAGES] = { false };
	char line[4096], package[128] = "";
	size_t used = 0;

	missing[0] = '\0';
	if (job->n_packages == 0)
		return 0;
	f = container_fopen(c, "var/lib/dpkg/status");
	/* No dpkg database: none of them is installed. */
	if (!f && errno != ENOENT)
		return -errno;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "Package: ", 9))
			snprintf(package, sizeof(package), "%.127s", line + 9);
		else if (streq(line, "Status: install ok installed"))
			for (size_t i = 0; i < job->n_packages; i++)
				if (streq(job->packages[i], package))
					installed[i] = true;
	}
	for (size_t i = 0; i < job->n_packages && used < size; i++)
		if (!installed[i])
			used += (size_t)snprintf(missing + used, size - used, "%s%s", used ? " " : "",
						 job->packages[i]);
	return 0;
}

/* Create the job's container cname with `crossroot create`: returns 0, or EXIT_RUN_FAILED (reported). */
static int job_create_container(const struct job *job, const struct arch_info *arch, const char *cname)
{
	char packages[JOB_MAX_PACKAGES * 64] = "", self[PATH_MAX];
	const char *argv[] = { self,	  "create",   cname,	   "--arch", arch->name,
			       "--suite", job->suite, "--include", packages, NULL };
	size_t used = 0;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int r;

	if (n < 0)
		return cli_fail(EXIT_RUN_FAILED, -errno, NULL, "job %s: cannot find crossroot itself", job->name);
	self[n] = '\0';
	for (size_t i = 0; i < job->n_packages; i++)
		used += (size_t)snprintf(packages + used, sizeof(packages) - used, "%s%s", i ? "," : "",
					 job->packages[i]);
	if (job->n_packages == 0)
		argv[7] = NULL;
	fprintf(stderr, "crossroot: job %s: creating its container %s (%s %s%s%s), once\n", job->name, cname,
		job->suite, arch->name, used ? ", with " : "", packages);
	r = spawn_wait(argv, NULL, NULL);
	if (r != 0) {
		cli_error("job %s: creating the container %s failed (above)", job->name, cname);
		return EXIT_RUN_FAILED;
	}
	return 0;
}

/* c is stopped and has the job's packages: returns 0, or EXIT_RUN_FAILED (reported). */
static int job_container_usable(const struct job *job, const struct container *c)
{
	struct container_state state;
	char missing[1024];
	int r;

	r = container_state_read(c, &state);
	if (r == 0 && state.running) {
		cli_error("job %s: container '%s' is started; a job runs in a stopped container only (its binds "
			  "and time limit are its own): 'crossroot stop %s' first",
			  job->name, c->name, c->name);
		return EXIT_RUN_FAILED;
	}
	r = missing_packages(c, job, missing, sizeof(missing));
	if (r < 0)
		return cli_fail(EXIT_RUN_FAILED, r, NULL, "job %s: cannot read the package list of '%s'", job->name,
				c->name);
	if (missing[0]) {
		cli_error("job %s: container '%s' lacks packages it needs: %s", job->name, c->name, missing);
		cli_hint("crossroot run %s --root -- apt-get install -y %s", c->name, missing);
		return EXIT_RUN_FAILED;
	}
	return 0;
}

/*
 * The container the job runs in: --container NAME, or job-JOB, created on
 * first use.  Returns 0 with *c loaded, or EXIT_RUN_FAILED (reported).
 */
static int job_container(const struct job *job, const char *named, struct container *c)
{
	const struct arch_info *arch = job->arch[0] ? arch_lookup(job->arch) : host_arch();
	char cname[CONTAINER_NAME_MAX + 1];
	int r;

	if (!arch) {
		cli_error("%s/job.conf: unknown arch '%s' (known: %s)", job->dir, job->arch, arch_names());
		return EXIT_RUN_FAILED;
	}
	/* Instances (JOB@NAME) share the job's container. */
	snprintf(cname, sizeof(cname), "job-%s", job->base);
	r = container_load(named ? named : cname, c);
	if (r == -ENOENT && !named) {
		if (job_create_container(job, arch, cname) != 0)
			return EXIT_RUN_FAILED;
		r = container_load(cname, c);
	}
	if (r == -ENOENT) {
		cli_error("job %s: no container named '%s' ('crossroot list' shows yours)", job->name, named);
		return EXIT_RUN_FAILED;
	}
	if (r < 0)
		return cli_fail(EXIT_RUN_FAILED, r, NULL, "job %s: container '%s'", job->name, named ? named : cname);
	if (job->arch[0] && c->arch != arch) {
		cli_error("job %s needs an %s container; '%s' is %s", job->name, arch->name, c->name, c->arch->name);
		return EXIT_RUN_FAILED;
	}
	return job_container_usable(job, c);
}

/* The output of a run goes to our stdout and stderr and into a log file, through a child process. */
struct tee {
	pid_t pid;
	int saved_out, saved_err;
};

static _noreturn_ void tee_loop(int out, int err, int log)
{
	struct pollfd fds[2] = { { out, POLLIN, 0 }, { err, POLLIN, 0 } };
	char buf[65536];

	/* Ends when every writer is gone, not when a signal meant for the job arrives. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			n = read(fds[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				if (n < 0 && errno == EINTR)
					continue;
				fds[i].fd = -1;
				continue;
			}
			/* A closed stdout must not keep the log from being written. */
			(void)!write_once(i == 0 ? STDOUT_FILENO : STDERR_FILENO, buf, (size_t)n);
			(void)!write_once(log, buf, (size_t)n);
		}
	}
	_exit(0);
}

static int tee_start(int log, struct tee *t)
{
	_cleanup_close_pair_ int out[2] = { -EBADF, -EBADF }, err[2] = { -EBADF, -EBADF };

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		close(out[1]);
		close(err[1]);
		tee_loop(out[0], err[0], log);
	}
	out[0] = safe_close(out[0]);
	err[0] = safe_close(err[0]);
	t->saved_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	t->saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	dup2(out[1], STDOUT_FILENO);
	dup2(err[1], STDERR_FILENO);
	return 0;
}

static void tee_stop(struct tee *t)
{
	int status;

	fflush(stdout);
	fflush(stderr);
	dup2(t->saved_out, STDOUT_FILENO);
	dup2(t->saved_err, STDERR_FILENO);
	close(t->saved_out);
	close(t->saved_err);
	while (waitpid(t->pid, &status, 0) < 0 && errno == EINTR)
		;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A new log file in logs/ of the state directory statefd, the oldest
 * removed so that JOB_LOGS_KEPT remain; its name into name.  The job can
 * write the state directory: everything goes through fds, and a logs that is
 * not a directory (a symlink the job planted) is refused, never followed.
 * Returns the log's fd or -errno (-ENOTDIR for such a logs).
 */
static int open_log(int statefd, char *name, size_t size)
{
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_closedir_ DIR *d = NULL;
	char stamp[32], *names[256];
	size_t n = 0;
	struct dirent *e;
	time_t now = time(NULL);
	struct tm tm;
	int fd;

	if (mkdirat(statefd, "logs", 0700) < 0 && errno != EEXIST)
		return -errno;
	dirfd = openat(statefd, "logs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	d = opendir_dup(dirfd);
	while (d && (e = readdir(d)) && n < ARRAY_SIZE(names))
		if (e->d_type == DT_REG && strlen(e->d_name) > 4 && streq(e->d_name + strlen(e->d_name) - 4, ".log"))
			names[n++] = strdup(e->d_name);
	qsort(names, n, sizeof(names[0]), compare_names);
	for (size_t i = 0; i < n; i++) {
		if (names[i] && i + JOB_LOGS_KEPT <= n)
			unlinkat(dirfd, names[i], 0);
		free(names[i]);
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned i = 0; i < 100; i++) {
		if (format_buf(name, size, "%s%s%.0u.log", stamp, i ? "-" : "", i) < 0)
			return -ENAMETOOLONG;
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

/* NAME -> JOB_SET_NAME */
static void env_name(const char *name, char *buf, size_t size)
{
	size_t i = (size_t)snprintf(buf, size, "JOB_SET_");

	for (; *name && i + 1 < size; name++)
		buf[i++] = (char)toupper((unsigned char)*name);
	buf[i] = '\0';
}

/* The job's command settings, on the host, after a run that changed something. */
static int run_commands(const struct job *job, const char *state)
{
	char *env[JOB_MAX_SETTINGS + 8];
	size_t n = 0, inherited;
	int status = 0;

	for (char **e = environ; *e && n < 3; e++)
		if (!strncmp(*e, "PATH=", 5) || !strncmp(*e, "HOME=", 5) || !strncmp(*e, "USER=", 5))
			env[n++] = *e;
	inherited = n; /* environ's; ours from here on */
	if (asprintf(&env[n], "JOB_NAME=%s", job->name) >= 0)
		n++;
	if (asprintf(&env[n], "JOB_STATE=%s", state) >= 0)
		n++;
	for (size_t i = 0; i < job->n_settings; i++) {
		char key[64];

		if (!job->settings[i].set || job->settings[i].type == JOB_SET_COMMAND)
			continue;
		env_name(job->settings[i].name, key, sizeof(key));
		if (asprintf(&env[n], "%s=%s", key, job->settings[i].value) >= 0)
			n++;
	}
	env[n] = NULL;
	for (size_t i = 0; i < job->n_settings && status == 0; i++) {
		const struct job_setting *s = &job->settings[i];
		const char *argv[] = { "/bin/sh", "-c", s->value, NULL };

		if (s->type != JOB_SET_COMMAND || !s->set)
			continue;
		fprintf(stderr, "crossroot: job %s: running %s on the host: %s\n", job->name, s->name, s->value);
		status = spawn_wait(argv, state, env);
		if (status != 0)
			cli_error("job %s: the %s command failed (exit status %d): %s", job->name, s->name,
				  status < 0 ? 125 : status, s->value);
	}
	for (size_t i = inherited; i < n; i++)
		free(env[i]);
	return status < 0 ? EXIT_RUN_FAILED : status;
}

/* Everything a run binds and sets, built from the job and its settings. */
struct job_mounts {
	struct bind_mount binds[MOUNT_MAX_BINDS];
	size_t n_binds;
	const char *devices[JOB_MAX_DEVICES];
	size_t n_devices;
	char targets[JOB_MAX_SETTINGS][64];
	char *env[JOB_MAX_ENV + JOB_MAX_SETTINGS + 8];
	size_t n_env;
};

static void add_bind(struct job_mounts *m, const char *source, const char *target, bool ro)
{
	m->binds[m->n_binds++] = (struct bind_mount){ source, target, ro };
}

/* "key=value", or key alone when value is NULL (key is then "NAME=VALUE"). */
static void add_env(struct job_mounts *m, const char *key, const char *value)
{
	if (asprintf(&m->env[m->n_env], "%s%s%s", key, value ? "=" : "", value ? value : "") >= 0)
		m->n_env++;
	m->env[m->n_env] = NULL;
}

static void job_mounts_build(const struct job *job, const char *state, struct job_mounts *m)
{
	memset(m, 0, sizeof(*m));
	add_bind(m, job->dir, JOB_LIB_INSIDE, true);
	add_bind(m, state, JOB_STATE_INSIDE, false);
	add_env(m, "JOB_NAME", job->name);
	add_env(m, "JOB_STATE", JOB_STATE_INSIDE);
	add_env(m, "HOME", JOB_STATE_INSIDE);
	for (size_t i = 0; i < job->n_env; i++)
		add_env(m, job->env[i], NULL);
	for (size_t i = 0; i < job->n_settings; i++) {
		const struct job_setting *s = &job->settings[i];
		char key[64];

		if (!s->set || s->type == JOB_SET_COMMAND)
			continue;
		env_name(s->name, key, sizeof(key));
		if (s->type == JOB_SET_TEXT) {
			add_env(m, key, s->value);
			continue;
		}
		snprintf(m->targets[i], sizeof(m->targets[i]), JOB_SET_INSIDE "/%s", s->name);
		add_bind(m, s->value, m->targets[i], !s->writable);
		add_env(m, key, m->targets[i]);
	}
	for (size_t i = 0; i < job->n_binds; i++)
		add_bind(m, job->binds[i].path, job->binds[i].path, !job->binds[i].writable);
	for (size_t i = 0; i < job->n_devices; i++) {
		struct stat st;

		/* "When present": a device the host lacks is simply not there inside. */
		if (stat(job->devices[i], &st) == 0 && S_ISCHR(st.st_mode) && access(job->devices[i], R_OK | W_OK) == 0)
			m->devices[m->n_devices++] = job->devices[i];
	}
}

static void job_mounts_free(struct job_mounts *m)
{
	for (size_t i = 0; i < m->n_env; i++)
		free(m->env[i]);
}

/* The run in the container, in a child process of crossroot's.  Returns the exit status. */
static int job_in_container(const struct job *job, const struct run_args *a, const char *state)
{
	char script[PATH_MAX];
	char *argv[256];
	struct job_mounts m;
	struct run_result res;
	struct container c;
	int r;

	r = job_container(job, a->container, &c);
	if (r != 0)
		return r;
	if ((size_t)a->n_args + 2 > ARRAY_SIZE(argv)) {
		cli_error("job %s: too many arguments", job->name);
		return EXIT_RUN_FAILED;
	}
	snprintf(script, sizeof(script), JOB_LIB_INSIDE "/%s", job->script);
	argv[0] = script;
	for (int i = 0; i < a->n_args; i++)
		argv[i + 1] = a->args[i];
	argv[a->n_args + 1] = NULL;
	job_mounts_build(job, state, &m);
	{
		struct exec_request req = {
			.argv = argv,
			.env = m.env,
			.cwd = JOB_STATE_INSIDE,
			.binds = m.binds,
			.n_binds = m.n_binds,
			.isolated = true,
			.timeout = job->timeout,
			.devices = m.devices,
			.n_devices = m.n_devices,
		};

		r = container_exec(&c, &req, &res);
	}
	job_mounts_free(&m);
	/* r < 0 with RUN_FAILED (res.err) or RUN_NO_EMULATOR, said below. */
	switch (res.outcome) {
	case RUN_EXITED:
		return res.status;
	case RUN_TIMED_OUT:
		cli_error("job %s: time limit of %u s reached: every process of the run was killed", job->name,
			  job->timeout);
		return JOB_EXIT_TIMEOUT;
	case RUN_EXEC_FAILED:
		cli_exec_error(script, res.err.error, res.found);
		return res.found ? EXIT_RUN_NOEXEC : EXIT_RUN_NOTFOUND;
	case RUN_NO_EMULATOR:
		cli_error("job %s: container '%s' is %s, and this host cannot run %s programs: %s", job->name, c.name,
			  c.arch->name, c.arch->name, emulator_hint(&res.emulator));
		return EXIT_RUN_FAILED;
	case RUN_FAILED:
	default:
		return cli_fail(EXIT_RUN_FAILED, r, &res.err, "job %s: %s", job->name, c.name);
	}
}

/* job_in_container()'s arguments, for cli_in_child(). */
struct job_child {
	const struct job *job;
	const struct run_args *a;
	const char *state;
};

static int job_child(void *arg)
{
	const struct job_child *j = arg;

	return job_in_container(j->job, j->a, j->state);
}

/*
 * The run, then the host commands when it changed something.  The run is
 * a child process: entering the container moves the calling process into
 * the container's namespaces, and the commands must run on the host.
 */
static int job_execute(const struct job *job, const struct run_args *a, const char *state, int statefd)
{
	struct job_child j = { job, a, state };
	char context[JOB_NAME_MAX + 8];
	struct stat st;
	int status;

	if (unlinkat(statefd, "changed", 0) < 0 && errno != ENOENT)
		return cli_fail(EXIT_RUN_FAILED, -errno, NULL, "job %s: cannot remove %s/changed", job->name, state);
	snprintf(context, sizeof(context), "job %s", job->name);
	status = cli_in_child(EXIT_RUN_FAILED, context, job_child, &j);
	if (status == 0 && fstatat(statefd, "changed", &st, AT_SYMLINK_NOFOLLOW) == 0)
		return run_commands(job, state);
	return status;
}

/*
 * One run of a job at a time: a timer that fires during a long run does not
 * start a second.  Returns the lock's fd (DIR/JOB.lock, flock(2)
 * exclusive), or -errno (reported).
 */
static int job_lock(const struct job *job, const char *dir)
{
	char file[PATH_MAX];
	int lock;

	format_buf(file, sizeof(file), "%s/%s.lock", dir, job->name);
	lock = flock_file(file, LOCK_EX | LOCK_NB);
	if (lock == -EWOULDBLOCK)
		cli_error("job %s is running already (%s is locked)", job->name, file);
	else if (lock < 0)
		cli_error("job %s: cannot open its lock %s: %s", job->name, file, strerror(-lock));
	return lock;
}

/*
 * The job's saved settings (DIR/JOB), a's --set assignments over them,
 * checked, and saved again.  Returns 0 or -1 (reported).
 */
static int job_run_settings(struct job *job, const struct run_args *a, const char *dir)
{
	char file[PATH_MAX];
	struct job_error err = { 0 };
	struct cr_error why;
	int r;

	format_buf(file, sizeof(file), "%s/%s", dir, job->name);
	r = job_settings_load(job, file, &err);
	if (r < 0) {
		report_job_error(&err);
		return -1;
	}
	for (size_t i = 0; i < a->n_sets; i++)
		if (job_setting_assign(job, a->sets[i], &why) < 0) {
			cli_usage_error("job run", "%s", why.message);
			return -1;
		}
	if (job_settings_check(job, &why) < 0) {
		cli_fail(EXIT_FAIL, -EINVAL, &why, NULL);
		return -1;
	}
	r = job_settings_save(job, file);
	if (r < 0) {
		cli_error("job %s: cannot save its settings in %s: %s", job->name, file, strerror(-r));
		return -1;
	}
	return 0;
}

static int job_run(int argc, char **argv)
{
	char state[PATH_MAX], dir[PATH_MAX], log_name[64];
	_cleanup_close_ int lock = -EBADF, log = -EBADF, statefd = -EBADF;
	struct run_args a;
	struct job_error err;
	struct job job;
	struct tee tee = { 0 };
	const char *name;
	time_t start = time(NULL);
	int r, status;

	memset(&a, 0, sizeof(a));
	r = parse_job_run(argc, argv, &a, &name);
	if (r >= 0)
		return r;
	r = job_find(name, &job, &err);
	if (r < 0) {
		report_job_error(&err);
		return EXIT_RUN_FAILED;
	}
	r = state_dir(job.name, state, sizeof(state));
	if (r == 0) {
		statefd = open(state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = statefd < 0 ? -errno : 0;
	}
	if (r < 0)
		return cli_fail(EXIT_RUN_FAILED, r, NULL, "job %s: cannot make its state directory", job.name);
	r = settings_dir(dir, sizeof(dir));
	if (r < 0)
		return cli_fail(EXIT_RUN_FAILED, r, NULL, "job %s: cannot make the directory for its settings",
				job.name);
	lock = job_lock(&job, dir);
	if (lock < 0)
		return EXIT_RUN_FAILED;
	if (job_run_settings(&job, &a, dir) < 0)
		return EXIT_RUN_FAILED;
	log = open_log(statefd, log_name, sizeof(log_name));
	if (log == -ENOTDIR) {
		cli_error("job %s: %s/logs is not a directory (did the job replace it?): remove it", job.name, state);
		return EXIT_RUN_FAILED;
	}
	if (log < 0)
		return cli_fail(EXIT_RUN_FAILED, log, NULL, "job %s: cannot open a log in %s/logs", job.name, state);
	dprintf(log, "# crossroot job run %s, started %s", job.name, ctime(&start));
	r = tee_start(log, &tee);
	if (r < 0)
		return cli_fail(EXIT_RUN_FAILED, r, NULL, "job %s: cannot set up its log", job.name);
	status = job_execute(&job, &a, state, statefd);
	tee_stop(&tee);
	dprintf(log, "# exit status %d after %lld s\n", status, (long long)(time(NULL) - start));
	return status;
}

/* ---- job timer ---- */

static const struct option timer_long_options[] = {
	{ "on-calendar", required_argument, NULL, 'c' },
	{ "print", no_argument, NULL, 'p' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static const char timer_help[] = "Usage: crossroot job timer JOB --on-calendar SPEC [--print]\n"
				 "\n"
				 "Run JOB on a schedule: write the systemd user units crossroot-job-JOB.service\n"
				 "and .timer (OnCalendar=SPEC, systemd.time(7); Persistent=true, so a run\n"
				 "missed while the machine was off happens at the next boot) to\n"
				 "${XDG_CONFIG_HOME:-~/.config}/systemd/user and enable the timer.  Give the\n"
				 "job's settings with 'crossroot job run' first: the timer runs it with the\n"
				 "saved ones.  Where systemd does not run the machine the units are\n"
				 "written but not enabled; --print prints them instead of writing them.\n"
				 "For runs while you are logged out: 'loginctl enable-linger'.\n";

/* job timer's options, parsed, and the units made of them. */
struct timer_units {
	const char *calendar, *name;
	bool print;
	char dir[PATH_MAX]; /* where systemd user units go */
	char service[PATH_MAX + 1024], timer[1024];
};

/* Parse job timer's options and check them: returns -1 to go on, or the status to exit with (0 after --help). */
static int timer_parse_options(int argc, char **argv, struct timer_units *u)
{
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = cli_getopt(argc, argv, ":h", timer_long_options)) != -1) {
		switch (ch) {
		case 'h':
			fputs(timer_help, stdout);
			return EXIT_OK;
		case 'c':
			u->calendar = optarg;
			break;
		case 'p':
			u->print = true;
			break;
		default:
			return cli_option_error("job timer", argv, ch);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("job timer", optind >= argc ? "missing the job name" : "too many arguments");
	u->name = argv[optind];
	if (!u->calendar)
		return cli_usage_error("job timer", "give --on-calendar SPEC (for example: daily, or '*-*-* 03:00')");
	if (!u->calendar[0] || strpbrk(u->calendar, "\n\r\\%"))
		return cli_usage_error("job timer", "invalid --on-calendar '%.80s'", u->calendar);
	if (job_name_valid(u->name) < 0)
		return cli_usage_error("job timer", "invalid job name '%.80s'", u->name);
	return -1;
}

/* Ask systemd-analyze, where there is one, whether it understands calendar: returns -1 if so, else EXIT_USAGE. */
static int timer_check_calendar(const char *calendar)
{
	const char *check[] = { "/usr/bin/systemd-analyze", "calendar", calendar, NULL };
	int fd, saved, r;

	if (access("/usr/bin/systemd-analyze", X_OK) != 0)
		return -1;
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	r = spawn_wait(check, NULL, NULL);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	if (r != 0)
		return cli_usage_error("job timer",
				       "'%s' is not a calendar event systemd understands "
				       "(systemd-analyze calendar said why, above)",
				       calendar);
	return -1;
}

/* The .service and .timer of job, and where they go: returns -1 to go on, or EXIT_FAIL (reported). */
static int timer_make_units(const struct job *job, struct timer_units *u)
{
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return cli_fail(EXIT_FAIL, -errno, NULL, "cannot find crossroot itself");
	self[n] = '\0';
	format_buf(u->service, sizeof(u->service),
		   "[Unit]\n"
		   "Description=crossroot job %s: %s\n"
		   "\n"
		   "[Service]\n"
		   "Type=oneshot\n"
		   "ExecStart=\"%s\" job run %s\n",
		   job->name, job->description, self, job->name);
	format_buf(u->timer, sizeof(u->timer),
		   "[Unit]\n"
		   "Description=crossroot job %s, on %s\n"
		   "\n"
		   "[Timer]\n"
		   "OnCalendar=%s\n"
		   "Persistent=true\n"
		   "RandomizedDelaySec=10min\n"
		   "\n"
		   "[Install]\n"
		   "WantedBy=timers.target\n",
		   job->name, u->calendar, u->calendar);
	if (xdg_user_dir("XDG_CONFIG_HOME", ".config", "systemd/user", u->dir, sizeof(u->dir)) < 0) {
		cli_error("cannot tell where systemd user units go: no home directory");
		return EXIT_FAIL;
	}
	return -1;
}

/* Write the units into their directory: returns -1 to go on, or EXIT_FAIL (reported). */
static int timer_write_units(const struct job *job, const struct timer_units *u)
{
	char path[PATH_MAX];
	int r;

	r = mkdir_p(u->dir, 0755);
	if (r == 0 && format_buf(path, sizeof(path), "%s/crossroot-job-%s.service", u->dir, job->name) == 0)
		r = write_file_atomic(path, u->service, 0644);
	if (r == 0 && format_buf(path, sizeof(path), "%s/crossroot-job-%s.timer", u->dir, job->name) == 0)
		r = write_file_atomic(path, u->timer, 0644);
	if (r < 0)
		return cli_fail(EXIT_FAIL, r, NULL, "cannot write the units in %s", u->dir);
	printf("wrote %s/crossroot-job-%s.service and .timer\n", u->dir, job->name);
	return -1;
}

/* Enable the timer with systemctl --user where systemd runs the machine: returns the exit status. */
static int timer_enable(const struct job *job)
{
	char unit[128];
	const char *reload[] = { "/usr/bin/systemctl", "--user", "daemon-reload", NULL };
	const char *enable[] = { "/usr/bin/systemctl", "--user", "enable", "--now", unit, NULL };

	snprintf(unit, sizeof(unit), "crossroot-job-%s.timer", job->name);
	/* sd_booted(3): systemd runs this machine when /run/systemd/system exists. */
	if (access("/run/systemd/system", F_OK) < 0 || access("/usr/bin/systemctl", X_OK) < 0) {
		printf("systemd does not run this machine: nothing enabled; where it does, run "
		       "'systemctl --user daemon-reload && systemctl --user enable --now %s'\n",
		       unit);
		return EXIT_OK;
	}
	if (spawn_wait(reload, NULL, NULL) != 0 || spawn_wait(enable, NULL, NULL) != 0) {
		cli_error("systemctl --user could not enable %s (no user session bus?)", unit);
		cli_hint("in your session: systemctl --user daemon-reload && systemctl --user enable --now %s", unit);
		return EXIT_FAIL;
	}
	printf("enabled %s: 'systemctl --user list-timers' shows the next run\n", unit);
	return EXIT_OK;
}

static int job_timer(int argc, char **argv)
{
	struct timer_units u = { 0 };
	struct job_error err;
	struct job job;
	int r;

	r = timer_parse_options(argc, argv, &u);
	if (r >= 0)
		return r;
	r = job_find(u.name, &job, &err);
	if (r < 0) {
		report_job_error(&err);
		return EXIT_FAIL;
	}
	r = timer_check_calendar(u.calendar);
	if (r >= 0)
		return r;
	r = timer_make_units(&job, &u);
	if (r >= 0)
		return r;
	if (u.print) {
		printf("# %s/crossroot-job-%s.service\n%s\n# %s/crossroot-job-%s.timer\n%s", u.dir, job.name, u.service,
		       u.dir, job.name, u.timer);
		printf("# Save them there, then: systemctl --user daemon-reload && systemctl --user enable --now "
		       "crossroot-job-%s.timer\n",
		       job.name);
		return EXIT_OK;
	}
	r = timer_write_units(&job, &u);
	if (r >= 0)
		return r;
	return timer_enable(&job);
}

int cmd_job(int argc, char **argv)
{
	static const struct command table[] = {
		{ "list", job_list, "list the bundled jobs and yours" },
		{ "run", job_run, "run a job in its container" },
		{ "timer", job_timer, "run a job on a schedule (a systemd user timer)" },
	};

	/* Usage errors here say "Try 'crossroot job --help'": it must work. */
	if (argc >= 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
		fputs("Usage: crossroot job COMMAND [ARGS...]\n\n", stdout);
		for (size_t i = 0; i < ARRAY_SIZE(table); i++)
			printf("  %-8s %s\n", table[i].name, table[i].summary);
		fputs("\nRun 'crossroot job COMMAND --help' for a command's options.\n", stdout);
		return EXIT_OK;
	}
	return cli_dispatch(table, ARRAY_SIZE(table), "job", argc - 1, argv + 1);
}
