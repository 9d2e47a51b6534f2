/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

unsigned cli_closed_std_fds;

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("crossroot: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_fail(int status, int r, const struct cr_error *err, const char *fmt, ...)
{
	va_list ap;

	fputs("crossroot: ", stderr);
	if (fmt) {
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputs(": ", stderr);
	}
	fprintf(stderr, "%s\n", err && err->message[0] ? err->message : strerror(-r));
	return status;
}

void cli_hint(const char *fmt, ...)
{
	va_list ap;

	fputs("Hint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("crossroot: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'crossroot %s%s--help'.\n", cmd, cmd[0] ? " " : "");
	return EXIT_USAGE;
}

int cli_dispatch(const struct command *table, size_t n, const char *prefix, int argc, char **argv)
{
	if (argc < 1)
		return cli_usage_error(prefix, "missing command");
	if (argv[0][0] == '-')
		return cli_usage_error(prefix, "unknown option '%.64s'", argv[0]);
	for (size_t i = 0; i < n; i++)
		if (streq(table[i].name, argv[0]))
			return table[i].run(argc, argv);
	return cli_usage_error(prefix, "unknown command '%s%s%.64s'", prefix, prefix[0] ? " " : "", argv[0]);
}

/* The long option an abbreviation stood for, and the word as given: for cli_option_error(). */
static const char *abbreviated_name;
static char abbreviated_word[80];

int cli_getopt(int argc, char **argv, const char *optstring, const struct option *longopts)
{
	int index = -1, c = getopt_long(argc, argv, optstring, longopts, &index);
	const char *word;
	size_t len;

	if (c == -1 || c == '?' || c == ':' || index < 0)
		return c;
	/*
	 * The word getopt_long() just matched is behind optind, before its
	 * argument when that was a word of its own ("--env X", not "--env=X").
	 * GNU getopt permutes argv only at the next call, so it is still there.
	 */
	word = argv[optind - 1];
	if (optarg && optarg == argv[optind - 1] && optind >= 2)
		word = argv[optind - 2];
	if (strncmp(word, "--", 2) != 0)
		return c;
	len = strcspn(word + 2, "=");
	if (len == strlen(longopts[index].name) && !strncmp(word + 2, longopts[index].name, len))
		return c;
	abbreviated_name = longopts[index].name;
	snprintf(abbreviated_word, sizeof(abbreviated_word), "%.*s", (int)(len + 2 < 64 ? len + 2 : 64), word);
	return CLI_OPT_ABBREVIATED;
}

int cli_option_error(const char *cmd, char **argv, int c)
{
	const char *opt = argv[optind - 1];
	char shortopt[3] = { '-', (char)optopt, '\0' };

	if (c == CLI_OPT_ABBREVIATED)
		return cli_usage_error(cmd, "unknown option '%s': options are never abbreviated (did you mean '--%s'?)",
				       abbreviated_word, abbreviated_name);

	/*
	 * optopt names a short option, even inside a group such as -xy; for a
	 * long option it is 0 (unknown) or the internal code (missing
	 * argument), so the word itself is named.
	 */
	if (optopt && strncmp(opt, "--", 2) != 0)
		opt = shortopt;
	if (c == ':')
		return cli_usage_error(cmd, "option '%.64s' needs an argument", opt);
	return cli_usage_error(cmd, "unknown option '%.64s'", opt);
}

int cli_parse_help_only(const char *cmd, const char *help, int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = cli_getopt(argc, argv, "+:h", options)) != -1) {
		switch (c) {
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cmd, argv, c);
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

void cli_exec_error(const char *cmd, int err, bool found)
{
	struct stat st;

	if (found && err == -EACCES && stat(cmd, &st) == 0 && S_ISDIR(st.st_mode))
		cli_error("%.256s: cannot run it: Is a directory", cmd);
	else if (found && (err == -ENOENT || err == -ENOTDIR))
		cli_error("%.256s: cannot run it: its interpreter (#! line or ELF loader) is missing", cmd);
	else if (err == -ENOEXEC)
		cli_error("%.256s: cannot run it: Exec format error (a foreign binary needs its binfmt entry)", cmd);
	else
		cli_error("%.256s: %s", cmd, strerror(-err));
}

void cli_human_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "BKMGT";
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f%c" : "%.0f%c", v, units[u]);
}

int cli_parse_json_option(const char *cmd, const char *help, int argc, char **argv, bool array,
			  struct json_object **json)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	*json = NULL;
	optind = 0;
	opterr = 0;
	while ((c = cli_getopt(argc, argv, ":h", options)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (c != 'j')
			return cli_option_error(cmd, argv, c);
		if (!*json && !(*json = cli_json_new(array)))
			return EXIT_FAIL;
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%.80s'", argv[optind]);
	return -1;
}

struct json_object *cli_json_new(bool array)
{
	int r = libjsonc_load();

	if (r < 0) {
		cli_error("cannot load %s for JSON output: %s", LIBJSONC_SONAME, strerror(-r));
		cli_hint("apt-get install libjson-c5");
		return NULL;
	}
	return array ? jc.json_object_new_array() : jc.json_object_new_object();
}

void cli_json_add(struct json_object *obj, const char *key, struct json_object *value)
{
	if (jc.json_object_get_type(obj) == json_type_array)
		jc.json_object_array_add(obj, value);
	else
		jc.json_object_object_add(obj, key, value);
}

void cli_json_add_string(struct json_object *obj, const char *key, const char *value)
{
	cli_json_add(obj, key, value ? jc.json_object_new_string(value) : NULL);
}

int cli_json_print(struct json_object *obj)
{
	const char *text = jc.json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
									  JSON_C_TO_STRING_NOSLASHESCAPE);
	int r = text && puts(text) >= 0 ? 0 : -EIO;

	jc.json_object_put(obj);
	return r;
}

static pid_t forward_to;

/* A signal sent to crossroot alone (kill, systemd) goes on to the child; a terminal's reached it already. */
static void forward_signal(int sig, siginfo_t *info, void *context)
{
	if (forward_to > 0 && info->si_code != SI_KERNEL)
		kill(forward_to, sig);
}

int cli_in_child(int fail_status, const char *context, int (*fn)(void *arg), void *arg)
{
	static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigaction old[ARRAY_SIZE(forwarded)];
	int status;
	pid_t pid, waited = 0;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &sa, &old[i]);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
			signal(forwarded[i], SIG_DFL);
		/* Killed with us: a container's init dies with its crossroot in turn. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		status = fn(arg);
		fflush(stdout);
		fflush(stderr);
		_exit(status);
	}
	forward_to = pid;
	while (pid > 0 && (waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (pid < 0)
		status = cli_fail(fail_status, -errno, NULL, "%s: fork", context);
	else if (waited < 0)
		status = cli_fail(fail_status, -errno, NULL, "%s: waitpid", context);
	else if (!WIFEXITED(status)) {
		cli_error("%s: crossroot's process in the container died of signal %d", context, WTERMSIG(status));
		status = fail_status;
	} else
		status = WEXITSTATUS(status);
	forward_to = 0;
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &old[i], NULL);
	return status;
}
