/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot setup | teardown: root's one-time work for a user. */
#include <getopt.h>
#include <pwd.h>

#include "../binfmt/binfmt.h"
#include "cli.h"
#include "config.h"
#include "setup.h"

#define SUBUID_FILE "/etc/subuid"
#define SUBGID_FILE "/etc/subgid"

/* why: what cmd does that needs root; single: whether crossroot works in single mode until root ran it. */
static int require_root(const char *cmd, const char *why, bool single)
{
	if (geteuid() == 0)
		return 0;
	cli_error("'crossroot %s' must run as root: %s", cmd, why);
	cli_hint("ask root to run 'crossroot %s --user %s'%s", cmd,
		 getpwuid(getuid()) ? getpwuid(getuid())->pw_name : "YOU",
		 single ? "; until then crossroot works in single mode" : "");
	return -EPERM;
}

/* The message for setup_apply()'s or setup_teardown()'s error r. */
static void setup_error(const char *doing, const char *user, uid_t uid, int r)
{
	if (r == -EPERM)
		cli_error("%s %s: /run, " CROSSROOT_RUN_DIR " or " CROSSROOT_PIN_DIR
			  " is not a directory of root's that only root can write to; nothing was changed",
			  doing, user);
	else if (r == -EEXIST)
		cli_error("%s %s: " CROSSROOT_PIN_DIR "/%u holds something crossroot did not make; it was left "
			  "alone: look at it, remove it, and run this again",
			  doing, user, (unsigned)uid);
	else if (r == -ETIMEDOUT)
		cli_error("%s %s: a helper process in the user's namespace did not get going within 5 s (it was "
			  "stopped or the machine is overloaded); it was killed: run this again",
			  doing, user);
	else
		cli_error("%s %s: %s", doing, user, strerror(-r));
}

static int setup_one(const char *user)
{
	struct setup_plan plan;
	struct cr_error err;
	bool changed;
	int r;

	r = setup_plan_user(user, SUBUID_FILE, SUBGID_FILE, &plan, &err);
	if (r < 0) {
		cli_fail(EXIT_FAIL, r, &err, "cannot set up '%.64s'", user);
		return r;
	}
	r = setup_apply(&plan, &changed);
	if (r < 0) {
		setup_error("setting up", plan.user, plan.uid, r);
		return r;
	}
	printf("%s: %s: uids 0-%lu -> %lu-%lu, gids 0-%lu -> %lu-%lu, own uid %u and gid %u kept\n", plan.user,
	       changed ? "user namespace pinned" : "already set up", plan.subuid.count - 1, plan.subuid.start,
	       plan.subuid.start + plan.subuid.count - 1, plan.subgid.count - 1, plan.subgid.start,
	       plan.subgid.start + plan.subgid.count - 1, (unsigned)plan.uid, (unsigned)plan.gid);
	return 0;
}

/* Every user named in /etc/subuid, once each. */
static int setup_all(void)
{
	_cleanup_fclose_ FILE *f = fopen(SUBUID_FILE, "re");
	char line[512], done[64][64], failed[512] = "";
	size_t n_done = 0, n_users = 0, n_failed = 0;

	if (!f) {
		cli_error("cannot read %s: %m", SUBUID_FILE);
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *user = strtok(line, ":\n");
		bool seen = false;

		if (!user || user[0] == '#' || !strtok(NULL, ":\n"))
			continue;
		for (size_t i = 0; i < n_done; i++)
			seen |= streq(done[i], user);
		if (seen)
			continue;
		if (n_done < ARRAY_SIZE(done))
			snprintf(done[n_done++], sizeof(done[0]), "%s", user);
		n_users++;
		/* One user's failure never keeps the others from being set up. */
		if (setup_one(user) < 0 && n_failed++ < 8)
			snprintf(failed + strlen(failed), sizeof(failed) - strlen(failed), "%s%s",
				 n_failed > 1 ? ", " : "", user);
	}
	if (n_failed > 0)
		cli_error("setup --all: %zu of %zu users could not be set up: %s%s", n_failed, n_users, failed,
			  n_failed > 8 ? ", ..." : "");
	return n_failed ? -EIO : 0;
}

/* Kernels without sandboxed binfmt_misc: root registers the emulators host-wide. */
static int register_host_if_needed(void)
{
	_cleanup_close_ int dirfd = -EBADF;
	struct binfmt_result results[ARCH_COUNT_MAX];
	char machine[65];
	size_t n = 0;
	int r;

	enum binfmt_mode mode;
	char source[PATH_MAX + 16];
	struct cr_error err;

	/* Host-wide entries are what host mode uses, and what auto falls back to without sandboxed binfmt_misc. */
	r = config_binfmt_mode(CONFIG_SYSTEM_ONLY, &mode, source, sizeof(source), &err);
	if (r < 0) {
		cli_fail(EXIT_FAIL, r, &err, NULL);
		return r;
	}
	if (mode == BINFMT_MODE_SANDBOXED || (mode == BINFMT_MODE_AUTO && binfmt_sandbox_probe() > 0) ||
	    arch_host_machine(machine, sizeof(machine)) < 0)
		return 0;
	dirfd = binfmt_host_mount();
	if (dirfd < 0) {
		cli_error("cannot mount binfmt_misc at %s: %s", BINFMT_HOST_DIR, strerror(-dirfd));
		return dirfd;
	}
	r = binfmt_register_emulators(dirfd, machine, getenv("PATH"), 0, true, results, &n);
	if (r < 0)
		return r;
	return cli_print_binfmt_results(results, n);
}

int cmd_setup(int argc, char **argv)
{
	static const struct option options[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static const char help[] = "Usage: crossroot setup --user USER | --all\n"
				   "\n"
				   "As root, once per boot (contrib/systemd/crossroot-setup.service does it):\n"
				   "give USER a persistent user namespace with the subordinate ids of\n"
				   "/etc/subuid and /etc/subgid mapped (at least 65536 of each; USER's own uid\n"
				   "and gid map to themselves), pinned at /run/crossroot/pins/UID.  USER's\n"
				   "containers then have real root-owned files, and sudo works inside.\n"
				   "Running it again changes nothing.  On kernels without sandboxed\n"
				   "binfmt_misc it also registers the emulators host-wide.\n"
				   "\n"
				   "  --user USER  set up USER\n"
				   "  --all        set up every user with a range in /etc/subuid\n";
	const char *user = NULL;
	bool all = false;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = cli_getopt(argc, argv, "+:u:ah", options)) != -1) {
		switch (c) {
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		case 'u':
			user = optarg;
			break;
		case 'a':
			all = true;
			break;
		default:
			return cli_option_error("setup", argv, c);
		}
	}
	if (optind < argc)
		return cli_usage_error("setup", "unexpected argument '%.64s'", argv[optind]);
	if (!!user == all)
		return cli_usage_error("setup", "give either --user USER or --all");
	if (require_root("setup", "it creates user namespaces for other users", true) < 0)
		return EXIT_FAIL;
	r = all ? setup_all() : setup_one(user);
	if (register_host_if_needed() < 0)
		r = -EIO;
	return r < 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_teardown(int argc, char **argv)
{
	static const struct option options[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static const char help[] = "Usage: crossroot teardown --user USER\n"
				   "\n"
				   "As root, undo 'crossroot setup' for USER: the pinned user namespace is\n"
				   "released (running containers keep theirs until they stop).  USER's\n"
				   "containers and files are not touched.\n";
	const char *user = NULL;
	struct passwd *pw;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = cli_getopt(argc, argv, "+:u:h", options)) != -1) {
		switch (c) {
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		case 'u':
			user = optarg;
			break;
		default:
			return cli_option_error("teardown", argv, c);
		}
	}
	if (optind < argc)
		return cli_usage_error("teardown", "unexpected argument '%.64s'", argv[optind]);
	if (!user)
		return cli_usage_error("teardown", "give --user USER");
	if (require_root("teardown", "it releases the user namespaces root's setup pinned", false) < 0)
		return EXIT_FAIL;
	pw = getpwnam(user);
	if (!pw) {
		cli_error("no user named '%.64s' in the password database", user);
		return EXIT_FAIL;
	}
	r = setup_teardown(pw->pw_uid);
	if (r < 0) {
		setup_error("tearing down", pw->pw_name, pw->pw_uid, r);
		return EXIT_FAIL;
	}
	if (r == 0)
		printf("%s: no user namespace pinned: nothing to release\n", pw->pw_name);
	else
		printf("%s: user namespace released\n", pw->pw_name);
	return EXIT_OK;
}
