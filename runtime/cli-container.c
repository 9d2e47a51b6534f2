/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot create | start | stop | run | enter | list | rm */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <time.h>
#include <pwd.h>
#include <signal.h>

#include "accel.h"
#include "cli.h"
#include "config.h"
#include "host.h"
#include "runtime.h"
#include "env.h"
#include "second-stage.h"
#include "store.h"

#define MAX_BINDS MOUNT_MAX_BINDS
#define MAX_ENV 128

/*
 * The caller's name and whether root's setup was done for them, read once,
 * before any namespace is entered (inside one, getuid() says 0).
 */
static const char *user_name(void)
{
	static char name[64];

	if (!name[0]) {
		struct passwd *pw = getpwuid(getuid());

		snprintf(name, sizeof(name), "%s", pw ? pw->pw_name : "YOU");
	}
	return name;
}

static bool setup_missing(void)
{
	static int missing = -1;

	if (missing < 0)
		missing = host_setup_done(getuid()) <= 0;
	return missing;
}

static void remember_caller(void)
{
	user_name();
	setup_missing();
}

int cli_container_load(const char *cmd, const char *name, struct container *c)
{
	int r = container_name_valid(name);

	if (r < 0) {
		cli_usage_error(cmd,
				"invalid container name '%.80s': use 1-%d characters of A-Z a-z 0-9 . _ -, "
				"not starting with '-' or '.'",
				name, CONTAINER_NAME_MAX);
		return EXIT_USAGE;
	}
	r = container_load(name, c);
	if (r == -ENOENT)
		cli_error("no container named '%s' ('crossroot list' shows yours)", name);
	else if (r < 0)
		cli_fail(EXIT_FAIL, r, NULL, "container '%s' is unreadable", name);
	return r < 0 ? EXIT_FAIL : 0;
}

static void report_mode_problem(const struct container *c, int r)
{
	if (c->mode == CONTAINER_MAPPED && r == -ENOENT && setup_missing())
		cli_hint("'%s' was created in mapped mode, but setup was not done for you since boot: "
			 "ask root to run 'crossroot setup --user %s'",
			 c->name, user_name());
}

int cli_run_failure(const struct container *c, const struct run_result *res)
{
	cli_fail(EXIT_RUN_FAILED, res->err.error, &res->err, "%s", c->name);
	report_mode_problem(c, res->err.error);
	return EXIT_RUN_FAILED;
}

void cli_no_emulator(const struct container *c, const struct emulator *emu)
{
	char found[PATH_MAX + 200] = "";

	if (emulator_describe(emu, found, sizeof(found)) < 0 && !found[0])
		snprintf(found, sizeof(found), "no static emulator");
	cli_error("%s: cannot run %s programs here: %s", c->name, c->arch->name, found);
	cli_hint("%s", emulator_hint(emu));
}

/* Options shared by run, enter and start. */
struct run_options {
	struct exec_request req;
	struct bind_mount binds[MAX_BINDS];
	char *env[MAX_ENV + 1];
	size_t n_env;
};

/* Add "KEY=VALUE" to o's variables; returns 0, or -EINVAL after reporting a usage error. */
static int add_variable(const char *cmd, struct run_options *o, char *entry)
{
	if (o->n_env == MAX_ENV) {
		cli_usage_error(cmd, "more than %d variables from --env and --env-file", MAX_ENV);
		return -EINVAL;
	}
	o->env[o->n_env++] = entry;
	o->req.env = o->env;
	return 0;
}

/* KEY alone: the caller's value, or nothing when the caller has none (podman's rule). */
static int add_host_variable(const char *cmd, struct run_options *o, const char *key)
{
	const char *value = getenv(key);
	_cleanup_free_ char *entry = NULL;
	int r;

	if (!value)
		return 0;
	if (asprintf(&entry, "%s=%s", key, value) < 0) {
		entry = NULL; /* undefined after a failure (asprintf(3)) */
		cli_error("%s: out of memory", cmd);
		return -EINVAL;
	}
	r = add_variable(cmd, o, entry);
	if (r == 0)
		steal_ptr(entry); /* o has it */
	return r;
}

static int env_option(const char *cmd, struct run_options *o, char *arg)
{
	size_t len = strcspn(arg, "=");

	if (!len) {
		cli_usage_error(cmd, "--env needs KEY=VALUE or KEY, not '%.80s'", arg);
		return -EINVAL;
	}
	if (len > 255) {
		cli_usage_error(cmd, "--env: a name longer than 255 characters");
		return -EINVAL;
	}
	return arg[len] ? add_variable(cmd, o, arg) : add_host_variable(cmd, o, arg);
}

struct env_file_target {
	const char *cmd;
	struct run_options *o;
};

static int env_file_add(void *data, const char *key, const char *value)
{
	struct env_file_target *t = data;
	_cleanup_free_ char *entry = NULL;

	if (!value)
		return add_host_variable(t->cmd, t->o, key) < 0 ? -ECANCELED : 0;
	if (asprintf(&entry, "%s=%s", key, value) < 0) {
		entry = NULL; /* undefined after a failure (asprintf(3)) */
		return -ENOMEM;
	}
	if (add_variable(t->cmd, t->o, entry) < 0)
		return -ECANCELED;
	steal_ptr(entry); /* t->o has it */
	return 0;
}

static int env_file_option(const char *cmd, struct run_options *o, const char *path)
{
	struct env_file_target target = { cmd, o };
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	unsigned line;
	int r;

	if (!f) {
		cli_usage_error(cmd, "--env-file %.200s: %m", path);
		return -EINVAL;
	}
	r = env_file_parse(f, env_file_add, &target, &line);
	if (r == -EINVAL || r == -E2BIG)
		cli_usage_error(cmd, "%.200s:%u: not a variable: write KEY=VALUE or KEY (KEY of A-Z a-z 0-9 _)", path,
				line);
	else if (r < 0 && r != -ECANCELED)
		cli_usage_error(cmd, "--env-file %.200s: %s", path, strerror(-r));
	return r < 0 ? -EINVAL : 0;
}

static int bind_option(const char *cmd, struct run_options *o, char *arg)
{
	char spec[256];

	snprintf(spec, sizeof(spec), "%s", arg);
	if (o->req.n_binds == MAX_BINDS) {
		cli_usage_error(cmd, "more than %d --bind options", MAX_BINDS);
		return -EINVAL;
	}
	if (bind_mount_parse(arg, &o->binds[o->req.n_binds]) < 0) {
		cli_usage_error(cmd, "--bind needs SRC[:DST[:ro]] with absolute paths, not '%.80s'", spec);
		return -EINVAL;
	}
	if (streq(o->binds[o->req.n_binds].target, "/") || !o->binds[o->req.n_binds].target[1]) {
		cli_usage_error(cmd, "--bind cannot replace the container's / ('%.80s')", spec);
		return -EINVAL;
	}
	o->req.binds = o->binds;
	o->req.n_binds++;
	return 0;
}

/* Parse one shared option; returns 0, or -EINVAL after reporting a usage error. */
static int run_option(const char *cmd, int c, struct run_options *o)
{
	switch (c) {
	case 'r':
		o->req.root = true;
		return 0;
	case 'w':
		if (optarg[0] != '/') {
			cli_usage_error(cmd, "--cwd needs an absolute path inside the container, not '%.80s'", optarg);
			return -EINVAL;
		}
		o->req.cwd = optarg;
		return 0;
	case 'e':
		return env_option(cmd, o, optarg);
	case 'E':
		return env_file_option(cmd, o, optarg);
	case 'v':
		/* podman's -v SRC alone makes an anonymous volume: not what a bind at the same path is. */
		if (!strchr(optarg, ':')) {
			cli_usage_error(cmd, "-v needs SRC:DST[:ro] (--bind SRC binds at the same path), not '%.80s'",
					optarg);
			return -EINVAL;
		}
		return bind_option(cmd, o, optarg);
	case 'b':
		return bind_option(cmd, o, optarg);
	case 'u':
		if (!optarg[0]) {
			cli_usage_error(cmd, "--user needs a user name or uid of the container");
			return -EINVAL;
		}
		o->req.user = optarg;
		return 0;
	case 'x':
		o->req.ephemeral = true;
		return 0;
	case 'i': /* stdin always passes through */
	case 't': /* a terminal is given whenever stdin and stdout are one */
		return 0;
	}
	return -EINVAL;
}

/*
 * -e, -v, -w, -u, -i and -t are podman's and docker's letters, meaning the
 * same here, so that commands people already type keep working.
 */
#define RUN_SHORT_OPTIONS "+:he:v:w:u:it"
static const struct option run_long_options[] = {
	{ "root", no_argument, NULL, 'r' },
	{ "cwd", required_argument, NULL, 'w' },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, 'E' },
	{ "bind", required_argument, NULL, 'b' },
	{ "user", required_argument, NULL, 'u' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "ephemeral", no_argument, NULL, 'x' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/*
 * Parse run/enter options from argv until the first non-option (getopt's
 * "+"): returns -1 to go on, or the status to exit with (0 after --help,
 * EXIT_RUN_FAILED for bad usage).
 */
static int parse_run_options(const char *cmd, const char *help, int argc, char **argv, struct run_options *o)
{
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = cli_getopt(argc, argv, RUN_SHORT_OPTIONS, run_long_options)) != -1) {
		if (ch == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (ch > 0xff || !strchr("rweEvbuitx", ch)) {
			cli_option_error(cmd, argv, ch);
			return EXIT_RUN_FAILED;
		}
		if (run_option(cmd, ch, o) < 0)
			return EXIT_RUN_FAILED;
	}
	return -1;
}

/* -EBUSY from container_exec() or container_start(): the rootfs is used the other way. */
static void report_rootfs_busy(const char *name, bool ephemeral)
{
	if (ephemeral)
		cli_error("container '%s' is in use on its rootfs itself (started, or running a command, without "
			  "--ephemeral): an ephemeral view needs a rootfs that nothing changes under it",
			  name);
	else
		cli_error("container '%s' has an ephemeral run or start going on, whose view of the rootfs must not "
			  "change under it",
			  name);
	cli_hint("wait for it to end, or 'crossroot stop %s'%s", name, ephemeral ? "" : ", or add --ephemeral");
}

/*
 * run's rule for giving CMD a terminal inside: run is in the foreground of a
 * terminal that is its stdin and stdout.  A pipe or a file on either (CI,
 * `run ... | less`) keeps the fds passed through as they are; in the
 * background, copying from the terminal would only stop run (SIGTTIN).
 */
static bool run_interactive(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

/* Whether run and enter have a container to use when given no NAME. */
static bool has_default(const struct config *cfg)
{
	char first[CONTAINER_NAME_MAX + 1], list[8];

	return cfg->v[CONFIG_CONTAINER].value[0] || container_names(first, sizeof(first), list, sizeof(list)) == 1;
}

static const char run_help[] =
	"Usage: crossroot run [NAME] [OPTIONS] -- CMD [ARG...]\n"
	"\n"
	"Run CMD in container NAME (without NAME, the default container: the\n"
	"'container' setting, else your only one; see 'crossroot config'), as you\n"
	"(your own uid, no capabilities) unless --root.  On a started container CMD joins it (like podman "
	"exec) and what\n"
	"it leaves running stays until 'crossroot stop'; on a stopped one the\n"
	"container lives exactly as long as CMD.\n"
	"\n"
	"From a terminal (stdin and stdout are terminals, and run is in the\n"
	"foreground), CMD gets a new terminal of the container's own devpts, as\n"
	"with 'crossroot enter': tty names it, the window size follows yours, and\n"
	"stderr goes there too unless you redirected it.  Otherwise (pipes, files,\n"
	"CI) stdin, stdout and stderr pass straight through, unchanged.  SIGINT,\n"
	"SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to CMD.\n"
	"\n"
	"  --root                 run as uid 0 with a build-safe set of capabilities\n"
	"  -u, --user USER        run as USER of the container, a name or a uid (mapped\n"
	"                         mode; a uid without a passwd entry gets gid 0)\n"
	"  -w, --cwd DIR          working directory inside (default: yours when it\n"
	"                         exists inside, e.g. under $HOME; else $HOME; else /)\n"
	"  -e, --env KEY=VALUE    set a variable (repeatable); -e KEY passes your KEY\n"
	"                         (not set inside when you have none)\n"
	"  --env-file FILE        KEY=VALUE lines (VALUE taken literally), KEY lines as\n"
	"                         -e KEY, '#' comments and blank lines\n"
	"  --bind SRC[:DST[:ro]]  bind a host path (stopped containers; repeatable)\n"
	"  -v SRC:DST[:ro]        the same, as in podman (DST is required)\n"
	"  -i, -t                 accepted for podman's sake: stdin always passes\n"
	"                         through, and the terminal is decided as above\n"
	"  --ephemeral            on a copy-on-write view of the rootfs (overlayfs),\n"
	"                         thrown away when CMD ends: the rootfs never changes;\n"
	"                         a container of its own even when NAME is started\n"
	"                         with --ephemeral; refused while NAME is used without\n"
	"                         it (started, or running a command)\n"
	"\n"
	"Environment: PATH, HOME, USER, LOGNAME and SHELL are crossroot's; from\n"
	"yours pass TERM, LANG, every LC_*, TZ and the proxy variables http_proxy,\n"
	"https_proxy, ftp_proxy, no_proxy and all_proxy (in lower or upper case);\n"
	"nothing else unless given with -e or --env-file, which come last and win.\n"
	"Long options are never abbreviated.\n"
	"\n"
	"Exit status: CMD's (128+N when it died of signal N); 125 when crossroot\n"
	"failed, bad usage included; 126 when CMD could not be executed; 127 when\n"
	"CMD was not found.\n";
static const char enter_help[] = "Usage: crossroot enter [NAME] [--root | --user USER] [--cwd DIR] [--env "
				 "KEY[=VALUE]]... [--env-file FILE]...\n"
				 "                       [--bind SRC[:DST[:ro]]]... [--ephemeral]\n"
				 "\n"
				 "Start a login shell in container NAME (without NAME, the default\n"
				 "container, as for run) on a new terminal of the container's own devpts:\n"
				 "job control works and the window size follows yours.  Options as for\n"
				 "'crossroot run'.  Exit status: the shell's; 125 when crossroot\n"
				 "failed; 126 or 127 when the shell could not be run or found.\n";

/* A run or enter being set up: its options, its container's name, the settings. */
struct run_call {
	const char *cmd, *help;
	bool enter;
	int argc; /* argv and argc from NAME on (getopt's optind into them) */
	char **argv;
	const char *name;
	char default_name[CONTAINER_NAME_MAX + 1];
	struct config cfg;
	struct run_options o;
};

/*
 * Options before NAME, then NAME (or the default container), then options
 * after it, up to "--"; then the arguments left.  Returns -1 to go on, or the
 * status to exit with.
 */
static int run_parse_args(struct run_call *rc)
{
	int r;

	r = parse_run_options(rc->cmd, rc->help, rc->argc, rc->argv, &rc->o);
	if (r >= 0)
		return r;
	if (cli_config_load(&rc->cfg) < 0)
		return EXIT_RUN_FAILED;
	if (!rc->enter && optind >= rc->argc) {
		cli_usage_error(rc->cmd, "missing the command: crossroot run [NAME] -- CMD [ARG...]");
		return EXIT_RUN_FAILED;
	}
	/* No NAME: enter with nothing left, or run whose first word after the options is "--". */
	if (rc->enter ? optind >= rc->argc : optind > 1 && streq(rc->argv[optind - 1], "--")) {
		if (cli_default_container(&rc->cfg, rc->cmd, rc->default_name, sizeof(rc->default_name)) < 0)
			return EXIT_RUN_FAILED;
		rc->name = rc->default_name;
	} else {
		rc->name = rc->argv[optind];
		rc->argv[optind] = rc->argv[0];
		rc->argc -= optind;
		rc->argv += optind;
		r = parse_run_options(rc->cmd, rc->help, rc->argc, rc->argv, &rc->o);
		if (r >= 0)
			return r;
	}
	if (rc->enter && optind < rc->argc) {
		cli_usage_error(rc->cmd, "unexpected argument '%.80s' (use 'crossroot run' for a command)",
				rc->argv[optind]);
		return EXIT_RUN_FAILED;
	}
	if (!rc->enter && optind >= rc->argc) {
		cli_usage_error(rc->cmd, "missing the command: crossroot run %s -- CMD [ARG...]", rc->name);
		return EXIT_RUN_FAILED;
	}
	if (rc->o.req.user && rc->o.req.root) {
		cli_usage_error(rc->cmd,
				"--root and --user exclude each other (--user 0 is uid 0 without --root's setup)");
		return EXIT_RUN_FAILED;
	}
	return -1;
}

/* Load the container and check --user against its mode: returns -1 to go on, or EXIT_RUN_FAILED (reported). */
static int run_load(const struct run_call *rc, struct container *c)
{
	if (cli_container_load(rc->cmd, rc->name, c) != 0) {
		if (rc->name == rc->default_name && rc->cfg.v[CONFIG_CONTAINER].value[0])
			cli_hint("'%s' is the default container set at %s", rc->name,
				 rc->cfg.v[CONFIG_CONTAINER].source);
		else if (!rc->enter && has_default(&rc->cfg))
			cli_hint("to run '%s' in your default container, put '--' first: crossroot run -- %s ...",
				 rc->name, rc->name);
		return EXIT_RUN_FAILED;
	}
	if (rc->o.req.user && c->mode == CONTAINER_SINGLE) {
		cli_error("--user needs mapped mode: '%s' is in single mode, where only your own uid exists "
			  "(it is uid 0 inside; --root gives it the capabilities)",
			  rc->name);
		cli_hint("ask root to run 'crossroot setup --user %s', then create the container again", user_name());
		return EXIT_RUN_FAILED;
	}
	return -1;
}

/* container_exec() refused before anything was set up (RUN_FAILED without a message): why, as run's exit status. */
static int run_refused(const struct run_call *rc, const struct run_result *res)
{
	if (res->err.error == -EBUSY)
		report_rootfs_busy(rc->name, rc->o.req.ephemeral);
	else if (res->err.error == -EWOULDBLOCK)
		cli_error("container '%s' is being started, stopped or removed by another crossroot; try again",
			  rc->name);
	else
		cli_fail(EXIT_RUN_FAILED, res->err.error, &res->err, "%s", rc->name);
	return EXIT_RUN_FAILED;
}

/* How the command of container_exec() ended, or why it never ran, as run's and enter's exit status. */
static int run_report(const struct run_call *rc, const struct container *c, const struct run_result *res)
{
	if (res->outcome == RUN_FAILED && !res->err.message[0])
		return run_refused(rc, res);
	switch (res->outcome) {
	case RUN_EXITED:
		return res->status;
	case RUN_EXEC_FAILED:
		cli_exec_error(rc->enter ? "the login shell" : rc->o.req.argv[0], res->err.error, res->found);
		return res->found ? EXIT_RUN_NOEXEC : EXIT_RUN_NOTFOUND;
	case RUN_NO_EMULATOR:
		cli_no_emulator(c, &res->emulator);
		return EXIT_RUN_FAILED;
	case RUN_TIMED_OUT: /* run sets no time limit */
	case RUN_FAILED:
		break;
	}
	return cli_run_failure(c, res);
}

static int run_or_enter(int argc, char **argv, bool enter)
{
	struct run_call rc = { .cmd = enter ? "enter" : "run",
			       .help = enter ? enter_help : run_help,
			       .enter = enter,
			       .argc = argc,
			       .argv = argv };
	struct run_result res;
	struct container c;
	int r;

	remember_caller();
	r = run_parse_args(&rc);
	if (r >= 0)
		return r;
	r = run_load(&rc, &c);
	if (r >= 0)
		return r;
	rc.o.req.inherit_env = true;
	rc.o.req.argv = enter ? NULL : rc.argv + optind;
	rc.o.req.tty = enter || run_interactive();
	rc.o.req.tty_keep_stderr = !enter && !isatty(STDERR_FILENO);
	if (enter && !isatty(STDIN_FILENO)) {
		cli_error("'crossroot enter' needs a terminal on stdin; use 'crossroot run %s -- CMD' otherwise",
			  rc.name);
		return EXIT_RUN_FAILED;
	}
	container_exec(&c, &rc.o.req, &res);
	return run_report(&rc, &c, &res);
}

int cmd_run(int argc, char **argv)
{
	return run_or_enter(argc, argv, false);
}

int cmd_enter(int argc, char **argv)
{
	return run_or_enter(argc, argv, true);
}

/* Parse "CMD NAME" with --help only; returns the name, or NULL with *status set. */
static const char *name_only(const char *cmd, const char *help, int argc, char **argv, int *status)
{
	static const struct option options[] = { { "help", no_argument, NULL, 'h' }, {} };
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = cli_getopt(argc, argv, ":h", options)) != -1) {
		if (ch == 'h') {
			fputs(help, stdout);
			*status = EXIT_OK;
		} else
			*status = cli_option_error(cmd, argv, ch);
		return NULL;
	}
	if (optind != argc - 1) {
		*status = cli_usage_error(cmd, optind >= argc ? "missing the container name" : "too many arguments");
		return NULL;
	}
	return argv[optind];
}

static int report_lock(const char *name, int r)
{
	if (r != -EWOULDBLOCK)
		return cli_fail(EXIT_FAIL, r, NULL, "%s", name);
	cli_error("container '%s' is being started, stopped, removed or run by another crossroot; try again", name);
	return EXIT_FAIL;
}

int cmd_start(int argc, char **argv)
{
	static const char help[] =
		"Usage: crossroot start NAME [--bind SRC[:DST[:ro]]]... [-v SRC:DST[:ro]]... [--ephemeral]\n"
		"\n"
		"Start container NAME: its namespaces, mounts and binfmt entries stay\n"
		"until 'crossroot stop NAME' or reboot, shared by every run and enter.\n"
		"\n"
		"  --bind SRC[:DST[:ro]]  bind a host path (repeatable); -v SRC:DST[:ro] as in podman\n"
		"  --ephemeral            on a copy-on-write view of the rootfs (overlayfs): what\n"
		"                         runs in it changes only that view, thrown away at stop\n";
	struct run_options o;
	struct run_result res;
	struct container c;
	int ch, r;

	memset(&o, 0, sizeof(o));
	remember_caller();
	optind = 0;
	opterr = 0;
	/* RUN_SHORT_OPTIONS without its '+': NAME may come before the options. */
	while ((ch = cli_getopt(argc, argv, RUN_SHORT_OPTIONS + 1, run_long_options)) != -1) {
		if (ch == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (ch < 0xff && strchr("rweEuit", ch))
			return cli_usage_error("start", "--root, --cwd, --env, --env-file, --user, -i and -t are for "
							"run and enter; start takes only --bind (-v) and --ephemeral");
		if (ch != 'b' && ch != 'v' && ch != 'x')
			return cli_option_error("start", argv, ch);
		if (run_option("start", ch, &o) < 0)
			return EXIT_USAGE;
	}
	if (optind != argc - 1)
		return cli_usage_error("start", optind >= argc ? "missing the container name" : "too many arguments");
	r = cli_container_load("start", argv[optind], &c);
	if (r != 0)
		return r;
	r = container_start(&c, o.binds, o.req.n_binds, o.req.ephemeral, &res);
	if (r == -EALREADY) {
		cli_error("container '%s' is already started", c.name);
		return EXIT_FAIL;
	}
	if (r == -EBUSY) {
		report_rootfs_busy(c.name, o.req.ephemeral);
		return EXIT_FAIL;
	}
	if (r < 0 && res.outcome == RUN_NO_EMULATOR) {
		cli_no_emulator(&c, &res.emulator);
		return EXIT_FAIL;
	}
	/* Without a message: refused before anything was set up (the lock, the state, the rootfs's use). */
	if (r < 0 && res.err.message[0]) {
		cli_run_failure(&c, &res);
		return EXIT_FAIL;
	}
	if (r < 0)
		return report_lock(c.name, r);
	return EXIT_OK;
}

int cmd_stop(int argc, char **argv)
{
	static const char help[] = "Usage: crossroot stop NAME\n"
				   "\n"
				   "Stop container NAME: every process in it is killed and every mount\n"
				   "and binfmt entry it had goes with them.\n";
	struct container c;
	const char *name;
	int status, r;

	name = name_only("stop", help, argc, argv, &status);
	if (!name)
		return status;
	status = cli_container_load("stop", name, &c);
	if (status != 0)
		return status;
	r = container_stop(&c);
	if (r == -ESRCH) {
		cli_error("container '%s' is not started", name);
		return EXIT_FAIL;
	}
	return r < 0 ? report_lock(name, r) : EXIT_OK;
}

int cmd_rm(int argc, char **argv)
{
	static const char help[] = "Usage: crossroot rm NAME\n"
				   "\n"
				   "Remove container NAME and its rootfs.  A started container must be\n"
				   "stopped first.  Symlinks are removed, never followed, and nothing\n"
				   "mounted inside is entered: only the container's own files go.\n";
	_cleanup_close_ int lock = -EBADF;
	struct container_state state;
	struct container c;
	char left[PATH_MAX];
	const char *name;
	int status, r;

	remember_caller();
	name = name_only("rm", help, argc, argv, &status);
	if (!name)
		return status;
	status = cli_container_load("rm", name, &c);
	if (status != 0)
		return status;
	lock = container_lock(&c, false);
	if (lock < 0)
		return report_lock(name, lock);
	r = container_state_read(&c, &state);
	if (r == 0 && state.running) {
		cli_error("container '%s' is started: 'crossroot stop %s' first", name, name);
		return EXIT_FAIL;
	}
	r = store_remove(&c, left, sizeof(left));
	if (r < 0) {
		cli_fail(EXIT_FAIL, r, NULL, "removing '%s'", name);
		if (left[0])
			cli_hint("what could not be removed is in %s", left);
		if (r == -EBUSY)
			cli_hint("something is mounted inside it; unmount it, then run 'crossroot rm %s' again", name);
		report_mode_problem(&c, r);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static const struct option list_long_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "size", no_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static const char list_help[] = "Usage: crossroot list [--size] [--json]\n"
				"\n"
				"Your containers: name, arch, mode (mapped or single) and state (started or\n"
				"stopped, checked against the running processes).\n"
				"\n"
				"  --size  add each rootfs's disk usage (walks every file: slow for large ones)\n"
				"  --json  a JSON array of objects, \"size\" in bytes with --size\n";

/* list's options, parsed, and the JSON array it fills with --json. */
struct list_options {
	bool json, sizes;
	struct json_object *array;
};

/* Parse list's options into o: returns -1 to go on, or the status to exit with (0 after --help). */
static int list_parse_options(int argc, char **argv, struct list_options *o)
{
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = cli_getopt(argc, argv, ":h", list_long_options)) != -1) {
		if (ch == 'h') {
			fputs(list_help, stdout);
			return EXIT_OK;
		}
		if (ch == 'j')
			o->json = true;
		else if (ch == 's')
			o->sizes = true;
		else
			return cli_option_error("list", argv, ch);
	}
	if (optind < argc)
		return cli_usage_error("list", "unexpected argument '%.80s'", argv[optind]);
	return -1;
}

/* One entry of base, named name: a row, or an object of o->array; a warning when it is no readable container. */
static void list_entry(const char *base, const char *name, const struct list_options *o)
{
	struct container c;
	struct container_state state;
	const char *mode, *st;
	uint64_t bytes = 0;
	char size[32];
	int r;

	r = container_load(name, &c);
	if (r < 0) {
		/* Never silently missing: the user would think it gone. */
		cli_error("warning: %s/%s is no readable container (its config: %s); not listed", base, name,
			  strerror(-r));
		return;
	}
	if (container_state_read(&c, &state) < 0)
		state.running = false;
	mode = c.mode == CONTAINER_MAPPED ? "mapped" : "single";
	st = state.running ? "started" : "stopped";
	/* Only on request: the walk reads every inode of every rootfs. */
	if (o->sizes)
		store_size(&c, &bytes);
	if (o->json) {
		struct json_object *obj = jc.json_object_new_object();

		cli_json_add_string(obj, "name", c.name);
		cli_json_add_string(obj, "arch", c.arch->name);
		cli_json_add_string(obj, "mode", mode);
		cli_json_add_string(obj, "state", st);
		if (o->sizes)
			cli_json_add(obj, "size", jc.json_object_new_int64((int64_t)bytes));
		cli_json_add(o->array, NULL, obj);
	} else if (o->sizes) {
		cli_human_size(bytes, size, sizeof(size));
		printf("%-20s %-9s %-7s %-8s %s\n", c.name, c.arch->name, mode, st, size);
	} else
		printf("%-20s %-9s %-7s %s\n", c.name, c.arch->name, mode, st);
}

int cmd_list(int argc, char **argv)
{
	struct list_options o = { 0 };
	char base[PATH_MAX];
	struct dirent **names = NULL;
	int n, r;

	r = list_parse_options(argc, argv, &o);
	if (r >= 0)
		return r;
	if (container_base_dir(base, sizeof(base)) < 0) {
		cli_error("cannot tell where your containers are: no home directory");
		return EXIT_FAIL;
	}
	if (o.json && !(o.array = cli_json_new(true)))
		return EXIT_FAIL;
	n = scandir(base, &names, NULL, alphasort);
	if (n < 0 && errno != ENOENT) {
		cli_error("cannot read %s: %m", base);
		return EXIT_FAIL;
	}
	if (!o.json)
		printf(o.sizes ? "%-20s %-9s %-7s %-8s SIZE\n" : "%-20s %-9s %-7s %s\n", "NAME", "ARCH", "MODE",
		       "STATE");
	for (int i = 0; i < n; i++) {
		/* Hidden names are creates and removals in progress: never containers yet. */
		if (names[i]->d_name[0] != '.')
			list_entry(base, names[i]->d_name, &o);
		free(names[i]);
	}
	free(names);
	if (o.json && cli_json_print(o.array) < 0)
		return EXIT_FAIL;
	return EXIT_OK;
}

/* Where export writes, for messages: "stdout" for "-". */
static const char *target_name(const char *target)
{
	return streq(target, "-") ? "stdout" : target;
}

static int export_checks(const char *target, bool oci)
{
	size_t len = strlen(target);

	if (streq(target, "-")) {
		if (cli_closed_std_fds & (1u << STDOUT_FILENO)) {
			cli_error("stdout is closed: the %s would be lost; give a FILE, or open stdout",
				  oci ? "OCI image" : "tarball");
			return EXIT_FAIL;
		}
		if (isatty(STDOUT_FILENO))
			return cli_usage_error("export",
					       "refusing to write a %s to a terminal: redirect stdout "
					       "to a file or a pipe",
					       oci ? "OCI image" : "tarball");
		/* A reader that goes away is an error (EPIPE), reported, not a silent death. */
		signal(SIGPIPE, SIG_IGN);
		return EXIT_OK;
	}
	if (!oci && !tarball_name_known(target))
		return cli_usage_error(
			"export",
			"FILE must end in .tar, .tar.gz, .tgz, .tar.xz, .tar.zst or .tar.bz2 (or be -), not '%.80s'",
			target);
	if (oci && tarball_name_known(target) && !(len > 4 && streq(target + len - 4, ".tar")))
		return cli_usage_error("export",
				       "an OCI archive is a plain .tar (what 'podman load' reads), not '%.80s'; "
				       "or give a directory",
				       target);
	return EXIT_OK;
}

static const char export_help[] = "Usage: crossroot export NAME FILE\n"
				  "       crossroot export --format oci NAME TARGET\n"
				  "\n"
				  "Write container NAME's rootfs to FILE, a tarball compressed as its name\n"
				  "says (.tar, .tar.gz, .tar.xz, .tar.zst), with the owners the files have\n"
				  "inside the container, so 'crossroot create --from-tar' (or another\n"
				  "tool) imports it anywhere.  FILE - is stdout (a plain tar).\n"
				  "\n"
				  "  --format tar|oci  tar (the default), or an OCI image of one layer with\n"
				  "                    NAME's platform (arm64: linux/arm64/v8), named\n"
				  "                    localhost/NAME:latest: TARGET ending in .tar is an\n"
				  "                    oci-archive ('podman load -i TARGET'), - one on stdout,\n"
				  "                    anything else an OCI image layout directory\n";

static const struct option export_long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/* Parse export's options (--format into *oci): returns -1 to go on, or the status to exit with (0 after --help). */
static int export_parse_options(int argc, char **argv, bool *oci)
{
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = cli_getopt(argc, argv, ":h", export_long_options)) != -1) {
		switch (ch) {
		case 'h':
			fputs(export_help, stdout);
			return EXIT_OK;
		case 'f':
			if (!streq(optarg, "tar") && !streq(optarg, "oci"))
				return cli_usage_error("export", "unknown format '%.40s': use tar or oci", optarg);
			*oci = streq(optarg, "oci");
			break;
		default:
			return cli_option_error("export", argv, ch);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("export", "give NAME and %s", *oci ? "TARGET" : "FILE");
	return -1;
}

/* Export c to target, as an OCI image named localhost/NAME:latest when oci: returns 0 or -errno, with err. */
static int export_write(const struct container *c, const char *target, bool oci, struct cr_error *err)
{
	char ref[CONTAINER_NAME_MAX + 32], created_by[CONTAINER_NAME_MAX + 32];

	if (!oci)
		return store_export(c, target, err);
	/* Lowercase: an image reference allows no capitals. */
	snprintf(ref, sizeof(ref), "localhost/%s:latest", c->name);
	for (char *p = ref; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(created_by, sizeof(created_by), "crossroot export %s", c->name);
	return store_export_oci(c, target, &(struct oci_export){ c->arch, ref, created_by }, err);
}

int cmd_export(int argc, char **argv)
{
	struct cr_error err;
	struct container c;
	const char *target;
	bool oci = false;
	int r;

	r = export_parse_options(argc, argv, &oci);
	if (r >= 0)
		return r;
	target = argv[optind + 1];
	r = export_checks(target, oci);
	if (r != EXIT_OK)
		return r;
	r = cli_container_load("export", argv[optind], &c);
	if (r != 0)
		return r;
	r = export_write(&c, target, oci, &err);
	if (r < 0) {
		if (r == -EEXIST && !err.message[0])
			cli_error("exporting '%s' to %s: it exists already; remove it or give another name", c.name,
				  target);
		else
			cli_fail(EXIT_FAIL, r, &err, "exporting '%s' to %s", c.name, target_name(target));
		report_mode_problem(&c, r);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Progress of a create: one rewritten line on a terminal, plain lines otherwise. */
struct create_display {
	bool tty, quiet;
	enum bootstrap_stage stage;
	int last_percent;
	size_t last_done;
	struct timespec start;
};

static const char *const stage_names[] = {
	[STAGE_INDEX] = "index",     [STAGE_DOWNLOAD] = "download",   [STAGE_EXTRACT] = "extract",
	[STAGE_INSTALL] = "install", [STAGE_CONFIGURE] = "configure",
};

static void show_progress(void *data, const struct bootstrap_progress *p)
{
	struct create_display *d = data;
	struct timespec now;
	double seconds, rate;
	int percent = p->total ? (int)(100 * p->done / p->total) : 0;

	if (d->quiet)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	seconds = (double)(now.tv_sec - d->start.tv_sec) + (double)(now.tv_nsec - d->start.tv_nsec) / 1e9;
	rate = seconds > 0 ? (double)p->bytes / seconds / 1e6 : 0;
	if (d->tty && p->stage == STAGE_INDEX) {
		fprintf(stderr, "\r\033[K[index] verifying InRelease, reading Packages");
		fflush(stderr);
		return;
	}
	if (d->tty) {
		fprintf(stderr, "\r\033[K[%s] %zu/%zu packages", stage_names[p->stage], p->done, p->total);
		if (p->stage == STAGE_DOWNLOAD)
			fprintf(stderr, ", %.1f/%.1f MB, %.1f MB/s", (double)p->bytes / 1e6,
				(double)p->total_bytes / 1e6, rate);
		fflush(stderr);
		return;
	}
	/* Without a terminal: a line when a stage starts, then every 25%. */
	if (p->stage == STAGE_INDEX)
		fprintf(stderr, "crossroot: index: verifying InRelease, reading Packages\n");
	else if (p->stage != d->stage || percent / 25 != d->last_percent / 25 ||
		 (p->done == p->total && d->last_done != p->done)) {
		if (p->stage == STAGE_DOWNLOAD)
			fprintf(stderr, "crossroot: %s: %zu/%zu packages, %.1f/%.1f MB\n", stage_names[p->stage],
				p->done, p->total, (double)p->bytes / 1e6, (double)p->total_bytes / 1e6);
		else
			fprintf(stderr, "crossroot: %s: %zu/%zu packages\n", stage_names[p->stage], p->done, p->total);
	}
	d->stage = p->stage;
	d->last_percent = percent;
	d->last_done = p->done;
}

/* Split "a,b,c" into list (NULL-terminated, at most max - 1 names), in place. Returns 0 or -E2BIG. */
static int split_list(char *text, const char **list, size_t *n, size_t max)
{
	for (char *name = strtok(text, ","); name; name = strtok(NULL, ",")) {
		if (*n + 1 >= max)
			return -E2BIG;
		list[(*n)++] = name;
	}
	list[*n] = NULL;
	return 0;
}

/* A create that failed with r, err saying why (NULL: nothing more than r). */
static int create_report(const struct container *c, int r, const struct cr_error *err)
{
	if (r == -EEXIST)
		cli_error("container '%s' exists already; 'crossroot rm %s' first", c->name, c->name);
	else
		cli_fail(EXIT_FAIL, r, err, "creating '%s'", c->name);
	report_mode_problem(c, r);
	return EXIT_FAIL;
}

/* "a, b, c and N more": the names kept in list, into buf. */
static const char *list_names(const struct tarball_list *list, char *buf, size_t size)
{
	size_t shown = list->count < TARBALL_NAMES_KEPT ? list->count : TARBALL_NAMES_KEPT;
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < shown && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", list->names[i]);
	if (list->count > shown && used < size)
		snprintf(buf + used, size - used, " and %zu more", list->count - shown);
	return buf;
}

/* Warn about what the import changed or left out of the tarball. */
static void report_import(const struct tarball_report *report)
{
	char names[TARBALL_NAMES_KEPT * 140];
	size_t n;

	n = report->setid_dropped.count;
	if (n)
		cli_error("warning: setuid/setgid bits dropped from %zu file%s that would be yours on the host "
			  "(anyone could run %s as you): %s",
			  n, n == 1 ? "" : "s", n == 1 ? "it" : "them",
			  list_names(&report->setid_dropped, names, sizeof(names)));
	n = report->devices_skipped.count;
	if (n)
		cli_error("warning: %zu device node%s not created (crossroot binds /dev at run time): %s", n,
			  n == 1 ? "" : "s", list_names(&report->devices_skipped, names, sizeof(names)));
}

static const char *article(const char *arch)
{
	return strchr("aei", arch[0]) || !strncmp(arch, "s390", 4) ? "an" : "a";
}

/* "armhf or armel": every arch whose programs /bin/sh looks like, joined by sep; dpkg's when it is one. */
static const char *arches_of_shell(const struct rootfs_arch *found, const char *sep, char *buf, size_t size)
{
	const struct arch_info *dpkg = arch_lookup(found->dpkg_arch);
	size_t used = 0;

	if (dpkg && arch_magic_matches(dpkg, found->elf_header, found->elf_len)) {
		snprintf(buf, size, "%s", dpkg->name);
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < arch_count() && used < size; i++)
		if (arch_magic_matches(&arch_table[i], found->elf_header, found->elf_len))
			used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? sep : "", arch_table[i].name);
	return buf;
}

/* Why the tarball's rootfs is not of the arch asked, and which to ask for instead, into err (as -ENOEXEC). */
static void explain_wrong_arch(const struct container *c, const struct rootfs_arch *found,
			       enum rootfs_arch_verdict verdict, struct cr_error *err)
{
	char is[64], use[128];

	if (verdict == ROOTFS_ARCH_UNKNOWN)
		cr_fail(err, -ENOEXEC,
			"the tarball holds no /bin/sh (an ELF program) and no dpkg database (/var/lib/dpkg/status): "
			"cannot tell whether it is %s %s rootfs; crossroot needs a rootfs with a shell",
			article(c->arch->name), c->arch->name);
	else if (verdict == ROOTFS_ARCH_ELF_MISMATCH && !found->elf_arch)
		cr_fail(err, -ENOEXEC,
			"the tarball holds no %s rootfs: its /bin/sh is an ELF program for machine %u, "
			"of no architecture crossroot knows",
			c->arch->name, found->elf_machine);
	else if (verdict == ROOTFS_ARCH_ELF_MISMATCH)
		cr_fail(err, -ENOEXEC, "the tarball holds %s %s rootfs (/bin/sh is ELF %s), not %s: use --arch %s",
			article(arches_of_shell(found, " or ", is, sizeof(is))), is, found->elf_arch->qemu_name,
			c->arch->name, arches_of_shell(found, " or --arch ", use, sizeof(use)));
	else if (arch_lookup(found->dpkg_arch))
		cr_fail(err, -ENOEXEC,
			"the tarball holds %s %s rootfs (dpkg's architecture in %s), not %s: use --arch %s",
			article(found->dpkg_arch), found->dpkg_arch, found->dpkg_source, c->arch->name,
			found->dpkg_arch);
	else
		cr_fail(err, -ENOEXEC,
			"the tarball holds %s %s rootfs (dpkg's architecture in %s), not %s; crossroot knows %s",
			article(found->dpkg_arch), found->dpkg_arch, found->dpkg_source, c->arch->name, arch_names());
}

/* create --from-tar or --from-oci: returns the exit status. */
static int create_from_import(struct container *c, const char *source, bool oci)
{
	struct store_import result;
	const char *tarball = streq(source, "-") ? "stdin" : source;
	int r;

	r = oci ? store_create_from_oci(c, source, &result) : store_create_from_tar(c, source, &result);
	if (r == 0) {
		report_import(&result.report);
		return EXIT_OK;
	}
	if (r == -EEXIST)
		return create_report(c, r, NULL);
	if (result.verdict != ROOTFS_ARCH_MATCH)
		explain_wrong_arch(c, &result.found, result.verdict, &result.error);
	else if (result.error.message[0])
		cr_prefix(&result.error, "%.200s", tarball);
	else
		cr_fail_errno(&result.error, r, "%.400s", tarball);
	return create_report(c, r, &result.error);
}

/* store_create_clone() failed with r: where, from report. */
static int create_clone_failed(const struct container *c, const struct container *source, int r,
			       const struct clone_report *report)
{
	struct cr_error err = { 0 };

	if (report->failed[0])
		cr_fail_errno(&err, r, "copying the rootfs of '%s': /%s: %s", source->name,
			      streq(report->failed, ".") ? "" : report->failed, report->step);
	else if (report->step[0])
		cr_fail_errno(&err, r, "%s", report->step);
	return create_report(c, r, &err);
}

/* create --from: returns the exit status (0 after printing nothing: the caller says it was created). */
static int create_clone(struct container *c, const char *source_name, const struct arch_info *arch,
			struct clone_report *report)
{
	char names[TARBALL_NAMES_KEPT * 140];
	struct container source;
	int r;

	if (container_name_valid(source_name) < 0)
		return cli_usage_error("create", "--from: invalid container name '%.80s'", source_name);
	r = container_load(source_name, &source);
	if (r == -ENOENT) {
		cli_error("no container named '%s' to copy ('crossroot list' shows yours)", source_name);
		return EXIT_FAIL;
	}
	if (r < 0)
		return cli_fail(EXIT_FAIL, r, NULL, "container '%s' is unreadable", source_name);
	if (arch && arch != source.arch)
		return cli_usage_error("create",
				       "--arch %s: '%s' is %s, and a copy has its source's arch (leave --arch out)",
				       arch->name, source.name, source.arch->name);
	r = store_create_clone(c, &source, report);
	if (r == 0) {
		if (report->devices_skipped.count)
			cli_error("warning: %zu device node%s not copied (crossroot binds /dev at run time): %s",
				  report->devices_skipped.count, report->devices_skipped.count == 1 ? "" : "s",
				  list_names(&report->devices_skipped, names, sizeof(names)));
		return EXIT_OK;
	}
	if (r == -EWOULDBLOCK) {
		cli_error("container '%s' is being started, stopped or removed by another crossroot; try again",
			  source.name);
		return EXIT_FAIL;
	}
	return create_clone_failed(c, &source, r, report);
}

/* --components: Debian archive component names, main among them, none twice. */
static int check_components(const char *const *components)
{
	bool main_seen = false;

	for (size_t i = 0; components[i]; i++) {
		const char *c = components[i];

		if (strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(c) || strlen(c) > 32 || c[0] == '-')
			return cli_usage_error("create",
					       "invalid component '%.64s': a Debian archive component such as main, "
					       "contrib, non-free or non-free-firmware",
					       c);
		for (size_t j = 0; j < i; j++)
			if (streq(components[j], c))
				return cli_usage_error("create", "component '%s' given twice", c);
		main_seen = main_seen || streq(c, "main");
	}
	if (!components[0])
		return cli_usage_error("create", "--components needs at least main");
	if (!main_seen)
		return cli_usage_error("create", "--components must include main: the base system is in main");
	return EXIT_OK;
}

static const struct option create_long_options[] = {
	// clang-format off
	{ "arch", required_argument, NULL, 'a' },
	{ "from-tar", required_argument, NULL, 't' },
	{ "from-oci", required_argument, NULL, 'O' },
	{ "from", required_argument, NULL, 'f' },
	{ "suite", required_argument, NULL, 's' },
	{ "variant", required_argument, NULL, 'v' },
	{ "include", required_argument, NULL, 'i' },
	{ "components", required_argument, NULL, 'c' },
	{ "mirror", required_argument, NULL, 'm' },
	{ "keyring", required_argument, NULL, 'k' },
	{ "offline", no_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "dpkg", required_argument, NULL, 'd' },
	{ "accel", no_argument, NULL, 'A' },
	{ "help", no_argument, NULL, 'h' },
	{},
	// clang-format on
};

static const char create_help[] =
	"Usage: crossroot create NAME --arch ARCH [--suite SUITE] [--variant minbase|buildd]\n"
	"                        [--include PKG,...] [--components main,...] [--mirror URL] [--keyring FILE]\n"
	"                        [--offline] [--dpkg host|emulated] [--accel] [--quiet]\n"
	"       crossroot create NAME --arch ARCH --from-tar FILE [--accel]\n"
	"       crossroot create NAME --arch ARCH --from-oci IMAGE [--accel]\n"
	"       crossroot create NAME --from SOURCE\n"
	"\n"
	"Bootstrap a Debian rootfs of ARCH (no root, no debootstrap): InRelease is\n"
	"verified with gpgv against the Debian archive keyring, the Packages index\n"
	"against InRelease and every .deb against the index; the .debs are cached\n"
	"in ${XDG_CACHE_HOME:-~/.cache}/crossroot and never fetched twice; dpkg then\n"
	"installs them in the new rootfs, only their maintainer scripts under\n"
	"emulation.  The container appears only when complete; an interrupted\n"
	"create leaves nothing usable.\n"
	"Its apt sources (/etc/apt/sources.list.d/debian.sources) name SUITE,\n"
	"SUITE-updates and SUITE-security (not for sid), deb and deb-src.\n"
	"\n"
	"Defaults not given here come from your settings ('crossroot config').\n"
	"\n"
	"  --suite SUITE     Debian suite (default: the host's, else stable)\n"
	"  --variant V       minbase (required + apt, the default) or buildd (+ build-essential)\n"
	"  --include P,...   more packages\n"
	"  --components C,...\n"
	"                    archive components, main among them (default main; contrib,\n"
	"                    non-free, non-free-firmware); in debian.sources too\n"
	"  --mirror URL      the archive (default: the host's apt sources)\n"
	"  --keyring FILE    keyring for InRelease (default: " DEBIAN_KEYRING ")\n"
	"  --offline         use only the cache: no network\n"
	"  --dpkg host       the host's dpkg unpacks the packages and keeps the database,\n"
	"                    natively; only maintainer scripts run emulated (the default\n"
	"                    when the host has dpkg)\n"
	"  --dpkg emulated   the new rootfs's own dpkg does all under emulation (slower;\n"
	"                    the default on a host without dpkg)\n"
	"  --accel           then run its compilers natively ('crossroot accel enable'; with\n"
	"                    a bootstrap, --variant buildd or --include gcc or build-essential);\n"
	"                    if that is refused or fails, the new container is removed again\n"
	"  --quiet           no progress\n"
	"  --from-tar FILE   import a rootfs tarball (plain, gz, xz, zst) instead; members\n"
	"                    named absolutely or with '..', or written through a symlink,\n"
	"                    are refused; in mapped mode owners are kept; no file becomes\n"
	"                    setuid or setgid to you on the host; device nodes are skipped;\n"
	"                    its /bin/sh and dpkg's database must say it is of ARCH;\n"
	"                    FILE - is stdin\n"
	"  --from-oci IMAGE  import an OCI image: a layout directory, or an oci-archive\n"
	"                    or docker-archive ('podman save'; - is stdin); every blob\n"
	"                    is checked against its sha256 digest, the config's platform\n"
	"                    must be ARCH's, layers are applied in order with their\n"
	"                    whiteouts, each under --from-tar's rules\n"
	"  --from SOURCE     copy your container SOURCE instead: same arch, suite, mode\n"
	"                    and config; owners, modes, times, xattrs and hard links kept,\n"
	"                    data shared by reflink where the filesystem has them (btrfs,\n"
	"                    xfs), device nodes skipped; SOURCE may be started (its lock is\n"
	"                    held shared meanwhile: rm, start and stop of it are refused)\n";

/* create's options, parsed: the source of the rootfs and the bootstrap's options. */
struct create_args {
	const char *tarball, *image, *from;
	const struct arch_info *arch;
	const char *include[128], *components[8];
	size_t n_include, n_components;
	bool bootstrap_option; /* any option only a bootstrap takes */
	bool accel;
	struct bootstrap_options opts;
	struct create_display display;
	/* What opts points into: the settings' components, the host's security mirror, the cache. */
	char components_setting[256], security[PATH_MAX], cache[PATH_MAX];
};

/* One bootstrap option (suite, variant, include, components, mirror, keyring, offline, dpkg): returns -1 or the exit
 * status. */
static int create_bootstrap_option(int ch, struct create_args *a)
{
	char want[128];
	int r;

	a->bootstrap_option = true;
	switch (ch) {
	case 's':
		if (config_check(CONFIG_SUITE, optarg, want, sizeof(want)) < 0)
			return cli_usage_error("create", "invalid suite '%.64s': give %s", optarg, want);
		a->opts.suite = optarg;
		break;
	case 'v':
		if (config_check(CONFIG_VARIANT, optarg, want, sizeof(want)) < 0)
			return cli_usage_error("create", "unknown variant '%.64s': use %s", optarg, want);
		a->opts.variant = optarg;
		break;
	case 'i':
		if (split_list(optarg, a->include, &a->n_include, ARRAY_SIZE(a->include)) < 0)
			return cli_usage_error("create", "too many --include packages");
		break;
	case 'c':
		a->n_components = 0;
		if (split_list(optarg, a->components, &a->n_components, ARRAY_SIZE(a->components)) < 0)
			return cli_usage_error("create", "too many --components (Debian has 4)");
		r = check_components(a->components);
		if (r != EXIT_OK)
			return r;
		break;
	case 'm':
		if (config_check(CONFIG_MIRROR, optarg, want, sizeof(want)) < 0)
			return cli_usage_error("create", "invalid mirror '%.80s': give %s", optarg, want);
		a->opts.mirror = optarg;
		break;
	case 'k':
		a->opts.keyring = optarg;
		break;
	case 'o':
		a->opts.offline = true;
		break;
	case 'd':
		if (streq(optarg, "host"))
			a->opts.dpkg = BOOTSTRAP_DPKG_HOST;
		else if (streq(optarg, "emulated"))
			a->opts.dpkg = BOOTSTRAP_DPKG_EMULATED;
		else
			return cli_usage_error("create", "unknown --dpkg '%.64s': use host or emulated", optarg);
		break;
	}
	return -1;
}

/* Parse create's options into a: returns -1 to go on, or the status to exit with (0 after --help). */
static int create_parse_options(int argc, char **argv, struct create_args *a)
{
	int ch, r;

	optind = 0;
	opterr = 0;
	a->include[0] = NULL;
	a->components[0] = NULL;
	remember_caller();
	while ((ch = cli_getopt(argc, argv, ":h", create_long_options)) != -1) {
		switch (ch) {
		case 'h':
			fputs(create_help, stdout);
			return EXIT_OK;
		case 'a':
			a->arch = arch_lookup(optarg);
			if (!a->arch)
				return cli_usage_error("create", "unknown architecture '%.64s' (known: %s)", optarg,
						       arch_names());
			break;
		case 't':
			a->tarball = optarg;
			break;
		case 'O':
			a->image = optarg;
			break;
		case 'f':
			a->from = optarg;
			break;
		case 's':
		case 'v':
		case 'i':
		case 'c':
		case 'm':
		case 'k':
		case 'o':
		case 'd':
			r = create_bootstrap_option(ch, a);
			if (r >= 0)
				return r;
			break;
		case 'q':
			a->display.quiet = true;
			break;
		case 'A':
			a->accel = true;
			break;
		default:
			return cli_option_error("create", argv, ch);
		}
	}
	return -1;
}

/* The options together, and stdin for "-": returns -1 to go on, or the status to exit with. */
static int create_check_args(int argc, char **argv, const struct create_args *a)
{
	if (optind != argc - 1)
		return cli_usage_error("create", optind >= argc ? "missing the container name" : "too many arguments");
	if (a->from && (a->tarball || a->image || a->bootstrap_option || a->accel))
		return cli_usage_error(
			"create",
			"--from copies a container as it is: give no --from-tar, --from-oci, --suite, --components, "
			"--variant, --include, --mirror, --keyring, --offline, --dpkg or --accel with it");
	if (!a->arch && !a->from)
		return cli_usage_error("create", "give --arch ARCH (known: %s)", arch_names());
	if (a->tarball && a->image)
		return cli_usage_error("create", "give --from-tar or --from-oci, not both");
	if (streq(a->tarball ? a->tarball : a->image ? a->image : "", "-")) {
		if (cli_closed_std_fds & (1u << STDIN_FILENO)) {
			cli_error("stdin is closed: nothing to import; give a FILE, or a pipe on stdin");
			return EXIT_FAIL;
		}
		if (isatty(STDIN_FILENO))
			return cli_usage_error("create",
					       "refusing to read %s from a terminal: redirect stdin "
					       "from a file or a pipe",
					       a->tarball ? "a tarball" : "an image");
	}
	return -1;
}

/* The bootstrap's options not given, from the settings and the host: returns -1 to go on, EXIT_USAGE or EXIT_FAIL. */
static int create_bootstrap_defaults(struct create_args *a, const struct config *cfg)
{
	struct bootstrap_options *opts = &a->opts;
	const char *why;

	opts->arch = a->arch;
	if (!opts->suite)
		opts->suite = cfg->v[CONFIG_SUITE].value[0] ? cfg->v[CONFIG_SUITE].value : cli_default_suite(&why);
	if (!opts->mirror && cfg->v[CONFIG_MIRROR].value[0])
		opts->mirror = cfg->v[CONFIG_MIRROR].value;
	if (!opts->variant)
		opts->variant = cfg->v[CONFIG_VARIANT].value[0] ? cfg->v[CONFIG_VARIANT].value : "minbase";
	opts->include = a->include;
	if (!a->components[0] && cfg->v[CONFIG_COMPONENTS].value[0]) {
		/* The settings' list, checked there already (main among them). */
		snprintf(a->components_setting, sizeof(a->components_setting), "%s", cfg->v[CONFIG_COMPONENTS].value);
		split_list(a->components_setting, a->components, &a->n_components, ARRAY_SIZE(a->components));
	}
	opts->components = a->components;
	opts->no_check_valid_until = !cli_check_valid_until(cfg, &why);
	if (opts->dpkg == BOOTSTRAP_DPKG_AUTO)
		opts->dpkg = second_stage_host_dpkg_found() ? BOOTSTRAP_DPKG_HOST : BOOTSTRAP_DPKG_EMULATED;
	else if (opts->dpkg == BOOTSTRAP_DPKG_HOST && !second_stage_host_dpkg_found()) {
		cli_error("--dpkg host: this host has no dpkg, dpkg-deb or chroot (in %s): install Debian's dpkg, or "
			  "give "
			  "--dpkg emulated",
			  INSIDE_PATH);
		return EXIT_USAGE;
	}
	/* The security mirror comes from the host's sources as the mirror does: never invented. */
	if (archive_host_security_mirror(a->security, sizeof(a->security)) == 0)
		opts->security_mirror = a->security;
	else if (suite_has_pockets(opts->suite))
		cli_error("warning: the host's apt sources have no Debian security source (a SUITE-security "
			  "suite): the container's debian.sources gets no %s-security either; add one there "
			  "or to the host's sources",
			  opts->suite);
	if (bootstrap_cache_dir(a->cache, sizeof(a->cache)) < 0) {
		cli_error("cannot tell where the download cache goes: no home directory");
		return EXIT_FAIL;
	}
	opts->cache_dir = a->cache;
	return -1;
}

/* Whether --include named package. */
static bool included(const struct create_args *a, const char *package)
{
	for (size_t i = 0; i < a->n_include; i++)
		if (streq(a->include[i], package))
			return true;
	return false;
}

/* create's bootstrap, with progress on stderr: returns the exit status (0 before the "created" line). */
static int create_bootstrap(struct container *c, struct create_args *a, const struct config *cfg)
{
	struct cr_error err;
	int r;

	r = create_bootstrap_defaults(a, cfg);
	if (r >= 0)
		return r;
	if (a->accel && !streq(a->opts.variant, "buildd") && !included(a, "gcc") && !included(a, "build-essential"))
		return cli_usage_error("create",
				       "--accel needs a compiler in the container: give --variant buildd, or --include "
				       "gcc or build-essential");
	snprintf(c->suite, sizeof(c->suite), "%s", a->opts.suite);
	a->display.tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &a->display.start);
	r = store_create_bootstrap(c, &a->opts, show_progress, &a->display, &err);
	if (a->display.tty && !a->display.quiet)
		fputs("\r\033[K", stderr);
	if (r < 0)
		return create_report(c, r, &err);
	return EXIT_OK;
}

/* accel enable refused or failed on the new container c (reported): it goes again.  Returns EXIT_FAIL. */
static int create_accel_failed(const struct container *c)
{
	char left[PATH_MAX + 64] = "";
	_cleanup_close_ int lock = container_lock(c, false);
	int r = lock < 0 ? lock : store_remove(c, left, sizeof(left));

	if (r < 0) {
		cli_fail(EXIT_FAIL, r, NULL, "create %s --accel: accel was not enabled, and removing %s failed",
			 c->name, c->name);
		if (left[0])
			cli_hint("what could not be removed is in %s", left);
		return EXIT_FAIL;
	}
	cli_error("create %s --accel: accel was not enabled, so %s is removed again", c->name, c->name);
	return EXIT_FAIL;
}

int cmd_create(int argc, char **argv)
{
	struct create_args a = { .display = { .stage = STAGE_INDEX, .last_percent = -1 } };
	struct clone_report clone;
	struct config cfg;
	struct container c;
	int r;

	r = create_parse_options(argc, argv, &a);
	if (r >= 0)
		return r;
	r = create_check_args(argc, argv, &a);
	if (r >= 0)
		return r;
	if (cli_config_load(&cfg) < 0)
		return EXIT_FAIL;
	r = container_init(&c, argv[optind]);
	if (r == -EINVAL)
		return cli_usage_error("create",
				       "invalid container name '%.80s': use 1-%d characters of A-Z a-z 0-9 . _ -, "
				       "not starting with '-' or '.'",
				       argv[optind], CONTAINER_NAME_MAX);
	if (r < 0)
		return cli_fail(EXIT_FAIL, r, NULL, "%s", argv[optind]);
	c.arch = a.arch;
	c.mode = store_default_mode();
	if (a.accel) {
		struct cr_error err;

		r = accel_supported(&c, &err);
		if (r < 0)
			return cli_usage_error("create", "create --accel: %s", cr_message(&err));
	}
	if (a.from) {
		r = create_clone(&c, a.from, a.arch, &clone);
		if (r != EXIT_OK)
			return r;
		printf("created %s (%s%s%s, %s mode), a copy of %s: %llu files, %llu of them sharing their data by "
		       "reflink\n",
		       c.name, c.arch->name, c.suite[0] ? " " : "", c.suite,
		       c.mode == CONTAINER_MAPPED ? "mapped" : "single", a.from, (unsigned long long)clone.files,
		       (unsigned long long)clone.reflinked);
		return EXIT_OK;
	}
	if (a.tarball || a.image)
		r = create_from_import(&c, a.tarball ? a.tarball : a.image, a.image != NULL);
	else
		r = create_bootstrap(&c, &a, &cfg);
	if (r != EXIT_OK)
		return r;
	if (a.accel && cli_accel_enable(&c) != EXIT_OK)
		return create_accel_failed(&c);
	printf("created %s (%s%s%s, %s mode)\n", c.name, c.arch->name, c.suite[0] ? " " : "", c.suite,
	       c.mode == CONTAINER_MAPPED ? "mapped" : "single");
	return EXIT_OK;
}
