/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* crossroot config, and the defaults the configuration gives other commands. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../bootstrap/archive.h"
#include "cli.h"
#include "config.h"
#include "container.h"

int cli_config_load(struct config *cfg)
{
	struct cr_error err;
	int r = config_load(cfg, 0, &err);

	if (r < 0) {
		cli_fail(EXIT_FAIL, r, &err, NULL);
		if (r == -EINVAL && strncmp(err.message, "CROSSROOT_BINFMT", 16))
			cli_hint("a line is 'KEY VALUE'; see 'crossroot config --help'");
	}
	return r;
}

const char *cli_default_suite(const char **source)
{
	static char suite[64];
	char text[4096], *p;

	if (read_file_at(AT_FDCWD, "/etc/os-release", text, sizeof(text)) > 0 && strstr(text, "\nID=debian") &&
	    (p = strstr(text, "VERSION_CODENAME=")) && p[17] != '\n') {
		snprintf(suite, sizeof(suite), "%.*s", (int)strcspn(p + 17, "\n\""), p + 17);
		*source = "the host's release (/etc/os-release)";
		return suite;
	}
	*source = "default (the host is not Debian)";
	return "stable";
}

bool cli_check_valid_until(const struct config *cfg, const char **source)
{
	const struct config_value *v = &cfg->v[CONFIG_CHECK_VALID_UNTIL];
	int r;

	if (v->value[0]) {
		*source = v->source;
		return streq(v->value, "yes");
	}
	r = archive_host_check_valid_until();
	if (r < 0) {
		*source = "default";
		return true;
	}
	*source = "the host's apt configuration (Acquire::Check-Valid-Until)";
	return r == 1;
}

int cli_default_container(const struct config *cfg, const char *cmd, char *name, size_t size)
{
	const struct config_value *v = &cfg->v[CONFIG_CONTAINER];
	char list[256];
	int n;

	if (v->value[0]) {
		snprintf(name, size, "%s", v->value);
		return 0;
	}
	n = container_names(name, size, list, sizeof(list));
	if (n == 1)
		return 0;
	if (n < 0)
		cli_error("no NAME given, and your containers cannot be listed: %s", strerror(-n));
	else if (n == 0)
		cli_error("no NAME given, and you have no container yet");
	else
		cli_error("no NAME given, and you have %d containers (%s): name one", n, list);
	if (n >= 0)
		cli_hint("'crossroot %s NAME%s', or set a default: a line 'container NAME' in %s", cmd,
			 streq(cmd, "run") ? " -- CMD" : "", cfg->user_file[0] ? cfg->user_file : CONFIG_SYSTEM_FILE);
	return n < 0 ? n : -ENOENT;
}

/* The effective value of key and where it came from; false when there is none. */
static bool effective(const struct config *cfg, enum config_key key, char *value, size_t size, const char **source)
{
	const struct config_value *v = &cfg->v[key];
	char list[256];
	int n;

	if (v->value[0]) {
		snprintf(value, size, "%s", v->value);
		*source = v->source;
		return true;
	}
	*source = "default";
	switch (key) {
	case CONFIG_CONTAINER:
		n = container_names(value, size, list, sizeof(list));
		if (n == 1) {
			*source = "your only container";
			return true;
		}
		*source = n > 1 ? "none: you have several containers" : "none: you have no container";
		return false;
	case CONFIG_MIRROR:
		if (archive_host_mirror(value, size) == 0) {
			*source = "the host's apt sources";
			return true;
		}
		*source = "none: the host's apt sources name no Debian mirror (create needs --mirror)";
		return false;
	case CONFIG_SUITE:
		snprintf(value, size, "%s", cli_default_suite(source));
		return true;
	case CONFIG_VARIANT:
		snprintf(value, size, "minbase");
		return true;
	case CONFIG_COMPONENTS:
		snprintf(value, size, "main");
		return true;
	case CONFIG_CHECK_VALID_UNTIL:
		snprintf(value, size, "%s", cli_check_valid_until(cfg, source) ? "yes" : "no");
		return true;
	case CONFIG_BINFMT:
		snprintf(value, size, "auto");
		return true;
	case CONFIG_KEYS:
		break;
	}
	return false;
}

static const char config_help[] =
	"Usage: crossroot config [KEY]\n"
	"\n"
	"Print each setting in force, its value and where it came from; with KEY,\n"
	"only its value (exit status 1 when it has none).  Settings are read from\n" CONFIG_SYSTEM_FILE
	" (the system's), then from\n"
	"${XDG_CONFIG_HOME:-~/.config}/crossroot/config (yours, which wins; root reads\n"
	"only the system's).  Command-line options win over both.  A line is\n"
	"'KEY VALUE'; blank lines and lines starting with '#' are skipped.\n"
	"\n"
	"  container NAME      the container run and enter use when given no NAME\n"
	"                      (without it: your only container, if you have one)\n"
	"  mirror URL          create's --mirror (default: the host's apt sources)\n"
	"  suite SUITE         create's --suite (default: the host's Debian release)\n"
	"  variant V           create's --variant, minbase or buildd (default minbase)\n"
	"  components C,...    create's --components (default main)\n"
	"  check-valid-until yes|no\n"
	"                      whether create refuses a release past its Valid-Until\n"
	"                      (default: as the host's apt, Acquire::Check-Valid-Until;\n"
	"                      no also goes into the container's apt sources)\n"
	"  binfmt MODE         auto, sandboxed or host (default auto; CROSSROOT_BINFMT\n"
	"                      wins; root's setup reads only the system's file)\n"
	"\n"
	"An unknown key, an invalid value or a key given twice in one file is an\n"
	"error naming the file and line, for every command that reads the settings.\n";

static const struct option config_long_options[] = { { "help", no_argument, NULL, 'h' }, {} };

int cmd_config(int argc, char **argv)
{
	char value[PATH_MAX];
	const char *source;
	struct config cfg;
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = cli_getopt(argc, argv, ":h", config_long_options)) != -1) {
		if (ch != 'h')
			return cli_option_error("config", argv, ch);
		fputs(config_help, stdout);
		return EXIT_OK;
	}
	if (argc - optind > 1)
		return cli_usage_error("config", "unexpected argument '%.80s'", argv[optind + 1]);
	if (cli_config_load(&cfg) < 0)
		return EXIT_FAIL;
	for (enum config_key key = 0; key < CONFIG_KEYS; key++) {
		bool have = effective(&cfg, key, value, sizeof(value), &source);

		if (optind < argc) {
			if (!streq(argv[optind], config_key_name(key)))
				continue;
			if (!have) {
				cli_error("%s: %s", config_key_name(key), source);
				return EXIT_FAIL;
			}
			printf("%s\n", value);
			return EXIT_OK;
		}
		printf("%-17s %-40s %s\n", config_key_name(key), have ? value : "-", source);
	}
	if (optind < argc)
		return cli_usage_error("config",
				       "unknown key '%.40s' (known: container, mirror, suite, variant, components, "
				       "check-valid-until, binfmt)",
				       argv[optind]);
	return EXIT_OK;
}
