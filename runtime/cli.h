/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command layer: the only code that prints or chooses an exit status.
 * Each subcommand is a function taking its own argc/argv (argv[0] is the
 * subcommand's name) and returning the process exit status.
 */
#ifndef CROSSROOT_CLI_H
#define CROSSROOT_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "../bootstrap/jsonc.h"
#include "../base/error.h"
#include "../base/util.h"

/* Exit statuses (README "Exit codes"). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the command failed, or `check` found the host unusable */
	EXIT_USAGE = 2,		/* bad usage */
	EXIT_RUN_FAILED = 125,	/* run-like commands: crossroot itself failed */
	EXIT_RUN_NOEXEC = 126,	/* the command was found but could not be executed */
	EXIT_RUN_NOTFOUND = 127 /* the command was not found */
};

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/*
 * Which of stdin, stdout and stderr were closed when crossroot started (bit
 * fd set), before main() pointed them at /dev/null: a tarball "written to
 * stdout" must not vanish there.
 */
extern unsigned cli_closed_std_fds;

/* "crossroot: MESSAGE" on stderr. */
void cli_error(const char *fmt, ...) _printf_(1, 2);

/*
 * The one place a library failure becomes what the user reads and the exit
 * status: r, the -errno a library function returned, and err, the detail it
 * filled (NULL for a function that gives none), as "crossroot: CONTEXT:
 * MESSAGE" on stderr: CONTEXT formatted from fmt (NULL: none), MESSAGE
 * err's message, or strerror(-r) when there is none.  Returns status, the
 * exit status the command gives this failure.
 */
int cli_fail(int status, int r, const struct cr_error *err, const char *fmt, ...) _printf_(4, 5);

/* "Hint: MESSAGE" on stderr, after an error. */
void cli_hint(const char *fmt, ...) _printf_(1, 2);

/*
 * Report bad usage of command cmd ("binfmt exec"; "" for crossroot itself): the message, then
 * "Try 'crossroot CMD --help'.", on stderr.  Returns EXIT_USAGE.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) _printf_(2, 3);

struct option;

/* What cli_getopt() returns for an abbreviated long option ("--jso" for "--json"). */
#define CLI_OPT_ABBREVIATED 0x10000

/*
 * getopt_long() that accepts long options only when written in full:
 * getopt_long() takes any unambiguous prefix, so "--jso" would be --json
 * today and something else once another option starts with "jso"; and
 * "--env" must never become "--env-file".  Returns CLI_OPT_ABBREVIATED
 * for such a word (cli_option_error() names it), else what getopt_long() does.
 */
int cli_getopt(int argc, char **argv, const char *optstring, const struct option *longopts);

/*
 * Report the option error getopt_long() (or cli_getopt()) returned as c (with opterr = 0 and
 * a ':'-prefixed optstring): an unknown option or one missing its argument.
 * Returns EXIT_USAGE.
 */
int cli_option_error(const char *cmd, char **argv, int c);

/*
 * Dispatch argv[0] (a subcommand name) to the matching entry of table
 * (n entries).  `prefix` names the parent command in messages ("" or
 * "binfmt").  Unknown or missing subcommands are usage errors.
 */
int cli_dispatch(const struct command *table, size_t n, const char *prefix, int argc, char **argv);

/*
 * Parse the options shared by every command that takes only --help: returns
 * -1 to continue, or the exit status to return (0 after printing help).
 */
int cli_parse_help_only(const char *cmd, const char *help, int argc, char **argv);

/*
 * cli_parse_help_only() for a command that also takes --json: with it, *json
 * becomes a new JSON array (array) or object (cli_json_new()), else NULL.
 * Returns -1 to continue, or the exit status to return.
 */
int cli_parse_json_option(const char *cmd, const char *help, int argc, char **argv, bool array,
			  struct json_object **json);

/*
 * Report that running cmd failed with err (-errno from exec_search();
 * found as it set): a missing interpreter and a foreign binary get words of
 * their own.
 */
void cli_exec_error(const char *cmd, int err, bool found);

/* bytes in binary units with one decimal ("1.5M", "512B"), into buf. */
void cli_human_size(uint64_t bytes, char *buf, size_t size);

struct binfmt_result;
/*
 * Print one line per result of binfmt_register_emulators() (errors to
 * stderr).  Returns 0, or -EIO when any registration failed.
 */
int cli_print_binfmt_results(const struct binfmt_result *results, size_t n);

struct config;
/*
 * config_load() for a command: a bad file is reported ("crossroot:
 * FILE:LINE: what is wrong" and a hint).  Returns 0 or the -errno, reported.
 */
int cli_config_load(struct config *cfg);

/*
 * The container run and enter use when given no NAME (cmd names the
 * command, for the hint): cfg's "container", else the user's only
 * container.  Into name.  Returns 0, or -ENOENT (or -errno) after
 * reporting that there is none and how to name one.
 */
int cli_default_container(const struct config *cfg, const char *cmd, char *name, size_t size);

/* create's suite when none is configured: the host's codename on Debian, else "stable"; where from in *source. */
const char *cli_default_suite(const char **source);

/*
 * Whether create refuses a release past its Valid-Until: the
 * check-valid-until setting, else the host's apt (Acquire::Check-Valid-Until,
 * archive_host_check_valid_until()), else yes.  *source says which.
 */
bool cli_check_valid_until(const struct config *cfg, const char **source);

/*
 * JSON output (json-c, loaded when first needed): a new object, or an
 * array when array; NULL after reporting that json-c cannot be loaded.
 */
struct json_object *cli_json_new(bool array);

/* Add value under key to obj (key ignored when obj is an array); takes value's reference; NULL is null. */
void cli_json_add(struct json_object *obj, const char *key, struct json_object *value);

/* cli_json_add() of a string, or null when value is NULL. */
void cli_json_add_string(struct json_object *obj, const char *key, const char *value);

/* Print obj to stdout (pretty, newline-terminated) and free it.  Returns 0 or -EIO. */
int cli_json_print(struct json_object *obj);

struct container;
struct run_result;
struct emulator;

/*
 * Load container name for command cmd ("export"), or say clearly why not.
 * Returns 0, EXIT_USAGE for an invalid name, or EXIT_FAIL (reported).
 */
int cli_container_load(const char *cmd, const char *name, struct container *c);

/* Report res, a RUN_FAILED container_exec() or container_start() in c, with a hint for a missing setup; returns
 * EXIT_RUN_FAILED. */
int cli_run_failure(const struct container *c, const struct run_result *res);

/* Nothing ran: c's arch has no usable emulator here (emu: what discovery found).  Says so and what to install. */
void cli_no_emulator(const struct container *c, const struct emulator *emu);

/*
 * accel enable for c, as `crossroot accel enable` and `create --accel` do:
 * the script's output on stderr, then c's accel state on stdout.  Returns
 * EXIT_OK, or EXIT_FAIL (reported).
 */
int cli_accel_enable(const struct container *c);

int cmd_config(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_setup(int argc, char **argv);
int cmd_teardown(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_enter(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_binfmt(int argc, char **argv);
int cmd_job(int argc, char **argv);
int cmd_accel(int argc, char **argv);

#endif
