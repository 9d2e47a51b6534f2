/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot prune */
#include <getopt.h>
#include <limits.h>
#include <sys/file.h>

#include "../bootstrap/bootstrap.h"
#include "cache.h"
#include "cli.h"
#include "container.h"

_Static_assert(CACHE_RECENT_DAYS == 7, "the help text says 7 days");

static void show_item(void *data, const struct cache_item *item)
{
	const bool *dry_run = data;
	char size[32];

	cli_human_size(item->bytes, size, sizeof(size));
	if (item->error)
		cli_error("cannot remove %s: %s", item->path, strerror(-item->error));
	else
		printf("%s %s (%s)\n", *dry_run ? "would remove" : "removed", item->path, size);
}

/* The cache's lock: shared for a dry run (creates go on), else exclusive, waiting for running creates. */
static int lock_cache(const char *cache, bool dry_run)
{
	int op = dry_run ? LOCK_SH : LOCK_EX;
	int fd = cache_lock(cache, op | LOCK_NB);

	if (fd != -EWOULDBLOCK)
		return fd;
	cli_error("waiting for %s to finish", dry_run ? "a running prune" : "the running creates");
	return cache_lock(cache, op);
}

static const struct option prune_long_options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static const char prune_help[] = "Usage: crossroot prune [--all] [--dry-run]\n"
				 "\n"
				 "Remove what the bootstrap cache (${XDG_CACHE_HOME:-~/.cache}/crossroot) holds\n"
				 "that nothing uses: .debs, suite indexes, cached rootfs tarballs, logs of failed\n"
				 "creates, partial downloads.  Kept is what an existing container was\n"
				 "bootstrapped from (its .debs, its suite's index, the cached rootfs of its\n"
				 "package set) and what a create used in the last 7 days.  Symlinks in the cache\n"
				 "are removed as links, never followed.  Waits for running creates.\n"
				 "\n"
				 "  --all      remove everything in the cache\n"
				 "  --dry-run  only say what would be removed\n";

/* Parse prune's options into opts: returns -1 to go on, or the status to exit with (0 after --help). */
static int prune_parse_options(int argc, char **argv, struct cache_prune_options *opts)
{
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = cli_getopt(argc, argv, ":h", prune_long_options)) != -1) {
		switch (ch) {
		case 'h':
			fputs(prune_help, stdout);
			return EXIT_OK;
		case 'a':
			opts->all = true;
			break;
		case 'n':
			opts->dry_run = true;
			break;
		default:
			return cli_option_error("prune", argv, ch);
		}
	}
	if (optind < argc)
		return cli_usage_error("prune", "unexpected argument '%.80s'", argv[optind]);
	return -1;
}

/* What was freed (or would be), and what could not be removed: returns the exit status. */
static int prune_report(const struct cache_prune_options *opts, const struct cache_prune_result *result)
{
	char size[32];

	cli_human_size(result->bytes, size, sizeof(size));
	printf("%s %llu file%s, %s\n", opts->dry_run ? "would free" : "freed", (unsigned long long)result->files,
	       result->files == 1 ? "" : "s", size);
	if (result->failed)
		cli_error("%zu item%s could not be removed", result->failed, result->failed == 1 ? "" : "s");
	return result->failed ? EXIT_FAIL : EXIT_OK;
}

int cmd_prune(int argc, char **argv)
{
	struct cache_prune_options opts = { 0 };
	struct cache_prune_result result;
	char cache[PATH_MAX], containers[PATH_MAX];
	_cleanup_close_ int lock = -EBADF;
	int r;

	r = prune_parse_options(argc, argv, &opts);
	if (r >= 0)
		return r;
	if (bootstrap_cache_dir(cache, sizeof(cache)) < 0 || container_base_dir(containers, sizeof(containers)) < 0) {
		cli_error("cannot tell where the cache and your containers are: no home directory");
		return EXIT_FAIL;
	}
	opts.cache_dir = cache;
	opts.containers_dir = containers;
	opts.now = time(NULL);
	lock = lock_cache(cache, opts.dry_run);
	if (lock == -ENOENT) {
		printf("%s: nothing cached\n", cache);
		return EXIT_OK;
	}
	if (lock < 0)
		return cli_fail(EXIT_FAIL, lock, NULL, "locking the cache %s", cache);
	r = cache_prune(&opts, show_item, &opts.dry_run, &result);
	if (r < 0) {
		cli_error("pruning %s: %s; nothing was removed", cache, strerror(-r));
		return EXIT_FAIL;
	}
	return prune_report(&opts, &result);
}
