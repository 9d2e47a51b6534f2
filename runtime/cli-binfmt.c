/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot binfmt status|register|unregister|exec */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <sys/mount.h>

#include "../binfmt/binfmt.h"
#include "cli.h"
#include "launch.h"
#include "userns.h"

static const char binfmt_help[] = "Usage: crossroot binfmt COMMAND [ARGS...]\n"
				  "\n"
				  "  status       table of architectures, emulators and binfmt entries\n"
				  "  register     register crossroot's entries host-wide (root)\n"
				  "  unregister   remove crossroot's host-wide entries (root); others' are kept\n"
				  "  exec [--arch A]... -- CMD [ARG...]\n"
				  "               run CMD with crossroot's entries in a sandboxed binfmt_misc\n"
				  "               (Linux >= 6.7, no root); --arch fails unless A's entry is in place\n";

static int host_machine_or_fail(char *buf, size_t size)
{
	int r = arch_host_machine(buf, size);

	if (r < 0)
		cli_error("cannot read the host architecture: %s", strerror(-r));
	return r;
}

/* The host entry that claims arch: crossroot's own first. 1 found, 0 none. */
static int host_claimant(int dirfd, const struct arch_info *arch, struct binfmt_entry *out)
{
	char name[NAME_MAX + 1];

	if (binfmt_entry_name(arch, name, sizeof(name)) == 0 && binfmt_entry_read(dirfd, name, out) == 0 &&
	    out->enabled)
		return 1;
	return binfmt_find_claimant(dirfd, arch, NULL, out) > 0;
}

/* One arch of binfmt status --json: the table's columns with types of their own. */
static struct json_object *status_object(const struct arch_info *arch, const struct emulator *emu, int host_fd,
					 const struct binfmt_entry *entry, bool claimed, int sandbox)
{
	struct json_object *obj = jc.json_object_new_object();
	bool found = emu->status == EMULATOR_FOUND;

	cli_json_add_string(obj, "arch", arch->name);
	cli_json_add(obj, "native", jc.json_object_new_boolean(emu->status == EMULATOR_NATIVE));
	cli_json_add_string(obj, "emulator",
			    found				 ? emu->path
			    : emu->status == EMULATOR_NOT_STATIC ? emu->rejected
								 : NULL);
	cli_json_add(obj, "static",
		     emu->status == EMULATOR_NATIVE || emu->status == EMULATOR_NOT_FOUND
			     ? NULL
			     : jc.json_object_new_boolean(found));
	cli_json_add(obj, "host_mounted", jc.json_object_new_boolean(host_fd >= 0));
	cli_json_add_string(obj, "host_entry", claimed ? entry->name : NULL);
	cli_json_add_string(obj, "host_flags", claimed ? entry->flags : NULL);
	cli_json_add(obj, "sandboxed",
		     emu->status == EMULATOR_NATIVE ? NULL : jc.json_object_new_boolean(found && sandbox > 0));
	return obj;
}

static const char status_help[] = "Usage: crossroot binfmt status [--json]\n"
				  "\n"
				  "One line per architecture: its emulator, whether the emulator is static,\n"
				  "the host-wide binfmt entry that claims it and that entry's flags, and\n"
				  "whether crossroot can register it in a sandboxed binfmt_misc.\n"
				  "\n"
				  "  --json  a JSON array of objects: \"arch\", \"native\", \"emulator\" (path\n"
				  "          or null), \"static\", \"host_mounted\", \"host_entry\" and\n"
				  "          \"host_flags\" (null when no entry claims it), \"sandboxed\"\n";

/* What binfmt status looks at: the host's uname -m, its binfmt_misc, whether a sandboxed one works. */
struct status_host {
	char machine[65];
	int host_fd;		   /* the host's binfmt_misc, or -errno */
	int sandbox;		   /* binfmt_sandbox_probe() */
	struct json_object *array; /* --json: the array of objects; NULL: a table */
};

/* arch's row of the table, or its object in h->array: returns 0, or -errno (reported) from emulator_find(). */
static int status_arch(const struct arch_info *arch, const struct status_host *h)
{
	struct emulator emu;
	struct binfmt_entry entry;
	const char *path = "-", *is_static = "-", *host = "-", *flags = "-", *sandboxed = "-";
	bool claimed = false;
	int r;

	r = emulator_find(arch, h->machine, getenv("PATH"), &emu);
	if (r < 0) {
		cli_error("looking for the %s emulator: %s", arch->name, strerror(-r));
		return r;
	}
	switch (emu.status) {
	case EMULATOR_NATIVE:
		path = "(native)";
		break;
	case EMULATOR_FOUND:
		path = emu.path;
		is_static = "yes";
		sandboxed = h->sandbox > 0 ? "yes" : "no";
		break;
	case EMULATOR_NOT_STATIC:
		path = emu.rejected;
		is_static = "no";
		sandboxed = "no";
		break;
	case EMULATOR_NOT_FOUND:
		path = "(none)";
		sandboxed = "no";
		break;
	}
	if (emu.status != EMULATOR_NATIVE) {
		if (h->host_fd < 0)
			host = "(not mounted)";
		else if ((claimed = host_claimant(h->host_fd, arch, &entry))) {
			host = entry.name;
			flags = entry.flags[0] ? entry.flags : "none";
		}
	}
	if (h->array)
		cli_json_add(h->array, NULL, status_object(arch, &emu, h->host_fd, &entry, claimed, h->sandbox));
	else
		printf("%-9s %-34s %-6s %-22s %-6s %s\n", arch->name, path, is_static, host, flags, sandboxed);
	return 0;
}

static int binfmt_status(int argc, char **argv)
{
	struct status_host h = { .host_fd = -EBADF, .array = NULL };
	_cleanup_close_ int host_fd = -EBADF;
	int r;

	r = cli_parse_json_option("binfmt status", status_help, argc, argv, true, &h.array);
	if (r >= 0)
		return r;
	if (host_machine_or_fail(h.machine, sizeof(h.machine)) < 0)
		return EXIT_FAIL;
	h.host_fd = host_fd = binfmt_host_open();
	h.sandbox = binfmt_sandbox_probe();

	if (!h.array)
		printf("%-9s %-34s %-6s %-22s %-6s %s\n", "ARCH", "EMULATOR", "STATIC", "HOST ENTRY", "FLAGS",
		       "SANDBOXED");
	for (size_t i = 0; i < arch_count(); i++)
		if (status_arch(&arch_table[i], &h) < 0)
			return EXIT_FAIL;
	if (h.array && cli_json_print(h.array) < 0)
		return EXIT_FAIL;
	if (h.sandbox < 0)
		cli_hint("user namespaces are not available, so sandboxed binfmt_misc cannot be used: "
			 "run 'crossroot check'");
	else if (h.sandbox == 0)
		cli_hint("this kernel refuses sandboxed binfmt_misc (Linux >= 6.7 has it): "
			 "root can register host-wide entries with 'crossroot binfmt register'");
	return EXIT_OK;
}

static int require_root(const char *what)
{
	if (geteuid() == 0)
		return 0;
	cli_error("'crossroot binfmt %s' changes the host's binfmt_misc and must run as root", what);
	cli_hint("on Linux >= 6.7 crossroot registers entries in a sandboxed binfmt_misc without root; "
		 "'crossroot binfmt status' shows whether this host supports that");
	return -EPERM;
}

int cli_print_binfmt_results(const struct binfmt_result *results, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		const struct binfmt_result *res = &results[i];
		const struct emulator *emu = &res->emulator;
		char name[NAME_MAX + 1];

		binfmt_entry_name(res->arch, name, sizeof(name));
		switch (res->outcome) {
		case BINFMT_REGISTERED:
			printf("%-9s registered %s -> %s\n", res->arch->name, name, emu->interpreter);
			break;
		case BINFMT_ALREADY:
			printf("%-9s already registered: %s\n", res->arch->name, name);
			break;
		case BINFMT_KEPT_OTHER:
			printf("%-9s kept another tool's entry '%s' (interpreter %s, flags %s)\n", res->arch->name,
			       res->other.name, res->other.interpreter,
			       res->other.flags[0] ? res->other.flags : "none");
			if (!strchr(res->other.flags, 'F'))
				cli_hint("'%s' has no F flag, so it works inside a container only where %s exists in "
					 "the rootfs",
					 res->other.name, res->other.interpreter);
			break;
		case BINFMT_NO_EMULATOR:
			printf("%-9s skipped: %s\n", res->arch->name,
			       emu->status == EMULATOR_NOT_STATIC ? "the emulator is not static" : "no emulator");
			break;
		case BINFMT_FAILED:
			cli_error("registering the %s entry: %s", res->arch->name, strerror(-res->error));
			failed = 1;
			break;
		}
	}
	return failed ? -EIO : 0;
}

static int binfmt_register_cmd(int argc, char **argv)
{
	static const char help[] = "Usage: crossroot binfmt register\n"
				   "\n"
				   "As root, register one host-wide binfmt entry (named crossroot-QEMUNAME, flags F\n"
				   "and P where the emulator keeps argv[0]) for every static emulator found, for\n"
				   "kernels without sandboxed binfmt_misc.  An entry of another tool that already\n"
				   "claims an architecture is kept and reported, never replaced.\n";
	_cleanup_close_ int dirfd = -EBADF;
	struct binfmt_result results[32];
	size_t n = 0;
	char machine[65];
	int r;

	r = cli_parse_help_only("binfmt register", help, argc, argv);
	if (r >= 0)
		return r;
	if (require_root("register") < 0 || host_machine_or_fail(machine, sizeof(machine)) < 0)
		return EXIT_FAIL;
	dirfd = binfmt_host_mount();
	if (dirfd < 0)
		return cli_fail(EXIT_FAIL, dirfd, NULL, "cannot mount binfmt_misc at %s", BINFMT_HOST_DIR);
	r = binfmt_register_emulators(dirfd, machine, getenv("PATH"), 0, true, results, &n);
	if (r < 0)
		return cli_fail(EXIT_FAIL, r, NULL, "looking for emulators");
	return cli_print_binfmt_results(results, n) < 0 ? EXIT_FAIL : EXIT_OK;
}

static int binfmt_unregister_cmd(int argc, char **argv)
{
	static const char help[] = "Usage: crossroot binfmt unregister\n"
				   "\n"
				   "As root, remove every host-wide binfmt entry that crossroot created\n"
				   "(named crossroot-*).  Entries of other tools are never touched.\n";
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;
	int r, failed = 0;

	r = cli_parse_help_only("binfmt unregister", help, argc, argv);
	if (r >= 0)
		return r;
	if (require_root("unregister") < 0)
		return EXIT_FAIL;
	dirfd = binfmt_host_open();
	if (dirfd == -ENOENT)
		return EXIT_OK; /* not mounted: no entries at all */
	if (dirfd < 0)
		return cli_fail(EXIT_FAIL, dirfd, NULL, "cannot open %s", BINFMT_HOST_DIR);
	dir = opendir_dup(dirfd);
	if (!dir) {
		cli_error("cannot list %s: %m", BINFMT_HOST_DIR);
		return EXIT_FAIL;
	}
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, BINFMT_PREFIX, strlen(BINFMT_PREFIX)) != 0)
			continue;
		r = binfmt_unregister(dirfd, de->d_name);
		if (r < 0 && r != -ENOENT) {
			cli_error("removing %s: %s", de->d_name, strerror(-r));
			failed = 1;
		} else
			printf("removed %s\n", de->d_name);
	}
	return failed ? EXIT_FAIL : EXIT_OK;
}

/*
 * In a new user and mount namespace where the caller is root, mount a
 * sandboxed binfmt_misc, register every emulator (flags F, C, and P where
 * supported) and attach the mount at /proc/sys/fs/binfmt_misc: the entries
 * then live exactly as long as this mount namespace, i.e. as long as the
 * command and its children.  Registering needs root in the namespace that
 * owns the instance (the register file is owned by that root), hence root
 * here and a nested namespace for the command.  Returns 0 or a negative
 * errno, with *what naming the failing step.
 */
static int sandbox_setup(const char *machine, struct binfmt_result *results, size_t *n_results, const char **what)
{
	_cleanup_close_ int mnt_fd = -EBADF;
	int r;

	*what = "creating a user namespace";
	r = userns_unshare_single(0, 0, CLONE_NEWNS);
	if (r < 0)
		return r;
	*what = "making the mount namespace private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	*what = "mounting a sandboxed binfmt_misc";
	mnt_fd = binfmt_sandbox_mount();
	if (mnt_fd < 0)
		return mnt_fd;
	*what = "registering the emulators";
	r = binfmt_register_emulators(mnt_fd, machine, getenv("PATH"), BINFMT_FLAG_CREDENTIALS, false, results,
				      n_results);
	if (r < 0)
		return r;
	*what = "attaching binfmt_misc at " BINFMT_HOST_DIR;
	return binfmt_attach(mnt_fd, BINFMT_HOST_DIR);
}

static const struct binfmt_result *find_result(const struct binfmt_result *results, size_t n,
					       const struct arch_info *arch)
{
	for (size_t i = 0; i < n; i++)
		if (streq(results[i].arch->qemu_name, arch->qemu_name))
			return &results[i];
	return NULL;
}

static bool arch_listed(const struct arch_info *const *list, size_t n, const struct arch_info *arch)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == arch)
			return true;
	return false;
}

static const struct option exec_long_options[] = {
	{ "arch", required_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static const char exec_help[] = "Usage: crossroot binfmt exec [--arch ARCH]... -- CMD [ARG...]\n"
				"\n"
				"Run CMD, a host program, as yourself in a new user and mount namespace whose\n"
				"sandboxed binfmt_misc has crossroot's entries for every static emulator found,\n"
				"so foreign-architecture programs run with no host entry and no root.  The\n"
				"entries are visible at /proc/sys/fs/binfmt_misc inside and vanish with CMD.\n"
				"Needs Linux >= 6.7.\n"
				"\n"
				"  --arch ARCH  fail unless ARCH's entry is in place (repeatable)\n"
				"\n"
				"Exit status: CMD's; 125 when crossroot failed (bad usage included),\n"
				"126 when CMD could not be executed, 127 when CMD was not found.\n";

/* binfmt exec's --arch list, each arch once. */
struct exec_wanted {
	const struct arch_info *arches[ARCH_COUNT_MAX];
	size_t n;
};

/* Parse binfmt exec's options up to CMD: returns -1 to go on, or the status to exit with (0 after --help). */
static int exec_parse_options(int argc, char **argv, struct exec_wanted *wanted)
{
	int c;

	optind = 0;
	opterr = 0;
	while ((c = cli_getopt(argc, argv, "+:h", exec_long_options)) != -1) {
		switch (c) {
		case 'h':
			fputs(exec_help, stdout);
			return EXIT_OK;
		case 'a':
			if (!arch_lookup(optarg)) {
				cli_usage_error("binfmt exec", "unknown architecture '%.64s' (known: %s)", optarg,
						arch_names());
				return EXIT_RUN_FAILED;
			}
			if (!arch_listed(wanted->arches, wanted->n, arch_lookup(optarg)))
				wanted->arches[wanted->n++] = arch_lookup(optarg);
			break;
		default:
			cli_option_error("binfmt exec", argv, c);
			return EXIT_RUN_FAILED;
		}
	}
	if (optind >= argc) {
		cli_usage_error("binfmt exec", "missing the command to run");
		return EXIT_RUN_FAILED;
	}
	return -1;
}

/* sandbox_setup(), and what failed said with a hint: returns 0 or -errno (reported). */
static int exec_sandbox(const char *machine, struct binfmt_result *results, size_t *n_results)
{
	const char *what;
	int r;

	r = sandbox_setup(machine, results, n_results, &what);
	if (r < 0) {
		cli_error("%s: %s", what, strerror(-r));
		if (r == -EPERM || r == -EACCES)
			cli_hint("sandboxed binfmt_misc needs Linux >= 6.7 and unprivileged user namespaces; "
				 "run 'crossroot check'");
		else if (r == -ENOSPC)
			cli_hint("no user namespace may be created: user.max_user_namespaces is 0 or reached; "
				 "run 'crossroot check'");
	}
	return r;
}

/* Warn about entries that failed; false (reported) when an arch of wanted is neither native nor registered. */
static bool exec_entries_ok(const struct binfmt_result *results, size_t n_results, const struct exec_wanted *wanted,
			    const char *machine)
{
	for (size_t i = 0; i < n_results; i++)
		if (results[i].outcome == BINFMT_FAILED)
			cli_error("warning: the %s entry could not be registered: %s", results[i].arch->name,
				  strerror(-results[i].error));
	for (size_t i = 0; i < wanted->n; i++) {
		const struct binfmt_result *res = find_result(results, n_results, wanted->arches[i]);

		if (arch_is_native(wanted->arches[i], machine) ||
		    (res && (res->outcome == BINFMT_REGISTERED || res->outcome == BINFMT_ALREADY)))
			continue;
		if (res && res->emulator.status != EMULATOR_FOUND) {
			cli_error("no static emulator for %s", wanted->arches[i]->name);
			cli_hint("%s", emulator_hint(&res->emulator));
		}
		return false;
	}
	return true;
}

static int binfmt_exec_cmd(int argc, char **argv)
{
	struct exec_wanted wanted = { .n = 0 };
	struct binfmt_result results[32];
	size_t n_results = 0;
	uid_t uid = getuid();
	gid_t gid = getgid();
	char machine[65];
	bool found;
	int r;

	r = exec_parse_options(argc, argv, &wanted);
	if (r >= 0)
		return r;
	if (host_machine_or_fail(machine, sizeof(machine)) < 0)
		return EXIT_RUN_FAILED;
	if (exec_sandbox(machine, results, &n_results) < 0)
		return EXIT_RUN_FAILED;
	if (!exec_entries_ok(results, n_results, &wanted, machine))
		return EXIT_RUN_FAILED;
	/* The command runs as the caller again, in a nested namespace under the registering root. */
	r = userns_unshare_single(uid, gid, 0);
	if (r < 0)
		return cli_fail(EXIT_RUN_FAILED, r, NULL, "creating the command's user namespace");
	r = exec_search(argv[optind], argv + optind, environ, getenv("PATH"), &found);
	cli_exec_error(argv[optind], r, found);
	return found ? EXIT_RUN_NOEXEC : EXIT_RUN_NOTFOUND;
}

int cmd_binfmt(int argc, char **argv)
{
	static const struct command subcommands[] = {
		{ "status", binfmt_status, NULL },
		{ "register", binfmt_register_cmd, NULL },
		{ "unregister", binfmt_unregister_cmd, NULL },
		{ "exec", binfmt_exec_cmd, NULL },
	};

	if (argc >= 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
		fputs(binfmt_help, stdout);
		return EXIT_OK;
	}
	return cli_dispatch(subcommands, ARRAY_SIZE(subcommands), "binfmt", argc - 1, argv + 1);
}
