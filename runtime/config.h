/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * crossroot's configuration files: the system's, CONFIG_SYSTEM_FILE (root
 * writes it), then the user's, ${XDG_CONFIG_HOME:-~/.config}/crossroot/config,
 * whose values win.  A line is "KEY VALUE"; blank lines and lines starting
 * with '#' (after blanks) are skipped.  Keys: container (the default for
 * run and enter), mirror, suite, variant, components, check-valid-until
 * (create's defaults) and binfmt (auto, sandboxed or host; $CROSSROOT_BINFMT wins over both
 * files).  An unknown key, a bad value or a key given twice in one file is
 * an error naming the file and line: nothing guesses what was meant.
 */
#ifndef CROSSROOT_CONFIG_H
#define CROSSROOT_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/error.h"
#include "../binfmt/binfmt.h"

#define CONFIG_SYSTEM_FILE "/etc/crossroot/crossroot.conf"

enum config_key {
	CONFIG_CONTAINER,
	CONFIG_MIRROR,
	CONFIG_SUITE,
	CONFIG_VARIANT,
	CONFIG_COMPONENTS,
	CONFIG_CHECK_VALID_UNTIL,
	CONFIG_BINFMT,
	CONFIG_KEYS,
};

/* One setting: its value and where it came from ("FILE:LINE" or "CROSSROOT_BINFMT"); value[0] == 0 when unset. */
struct config_value {
	char value[256];
	char source[PATH_MAX + 16];
};

struct config {
	struct config_value v[CONFIG_KEYS];
	char user_file[PATH_MAX]; /* the user's file, "" when none is read (root, or no home) */
};

/* Do not read the user's file: what root's setup uses, so no user steers it. */
#define CONFIG_SYSTEM_ONLY 1u

/*
 * Read the configuration into *cfg: CONFIG_SYSTEM_FILE, then (unless flags
 * has CONFIG_SYSTEM_ONLY, or the caller's effective uid is 0, which reads
 * no file a user could have pointed elsewhere) the user's file, then
 * $CROSSROOT_BINFMT.  Missing files are fine.  Returns 0; -EINVAL for a bad
 * line, with "FILE:LINE: what is wrong" in *err ("CROSSROOT_BINFMT: ..."
 * for a bad variable); or -errno when a file exists but cannot be read
 * (the file named in *err).
 */
int config_load(struct config *cfg, unsigned flags, struct cr_error *err);

/* The key's name as written in the files ("container", "mirror", ...). */
const char *config_key_name(enum config_key key);

/*
 * Whether value is valid for key; on -EINVAL, what a valid one looks like
 * is written to hint ("auto, sandboxed or host").  Used for the files and
 * for the command-line options that set the same things.
 */
int config_check(enum config_key key, const char *value, char *hint, size_t size);

/*
 * The binfmt mode in force (the binfmt key of config_load(cfg, flags)), with
 * where it came from ("default" when nowhere) in source (size bytes).
 * Returns 0 or config_load()'s error with *err.
 */
int config_binfmt_mode(unsigned flags, enum binfmt_mode *mode, char *source, size_t size, struct cr_error *err);

#endif
