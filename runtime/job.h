/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Jobs: a directory holding job.conf (what the job needs: its container,
 * the host paths and devices it may see, its settings, its time limit) and
 * the script that runs inside the container.  This layer parses job.conf,
 * finds jobs, and keeps a job's saved settings; cli-job.c runs them.
 *
 * job.conf, one directive per line ('#' starts a comment line):
 *
 *   description TEXT
 *   suite SUITE                  the container's suite (default: bookworm)
 *   arch ARCH                    its arch (default: the host's: native)
 *   packages PKG...              installed in it (repeatable)
 *   timeout SECONDS              the time limit of a run (default 600)
 *   script FILE                  in the job directory (default: run)
 *   bind PATH ro|rw              a host path, at the same path inside
 *   device /dev/NAME             bound when present on the host
 *   env NAME=VALUE
 *   setting NAME TYPE [ro|rw] required|optional|once
 *       TYPE text: given to the script as $JOB_SET_NAME (upper-cased);
 *       file, dir: a host path, bound at /job/set/NAME (ro unless rw);
 *       command: a host shell command, run on the host after a run that
 *       exited 0 and created $JOB_STATE/changed.  once: for one run,
 *       never saved.
 */
#ifndef CROSSROOT_JOB_H
#define CROSSROOT_JOB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/error.h"

#define JOB_NAME_MAX 48
#define JOB_MAX_PACKAGES 64
#define JOB_MAX_BINDS 16
#define JOB_MAX_DEVICES 8
#define JOB_MAX_ENV 32
#define JOB_MAX_SETTINGS 24
#define JOB_VALUE_MAX 1024
#define JOB_DEFAULT_TIMEOUT 600
#define JOB_DEFAULT_SUITE "bookworm"

/* Where the job's things are inside its container. */
#define JOB_LIB_INSIDE "/job/lib"
#define JOB_STATE_INSIDE "/job/state"
#define JOB_SET_INSIDE "/job/set"

enum job_setting_type { JOB_SET_TEXT, JOB_SET_FILE, JOB_SET_DIR, JOB_SET_COMMAND };
enum job_setting_need { JOB_REQUIRED, JOB_OPTIONAL, JOB_ONCE };

struct job_setting {
	char name[32];
	enum job_setting_type type;
	bool writable; /* file, dir: bound read-write */
	enum job_setting_need need;
	bool set;
	char value[JOB_VALUE_MAX]; /* file, dir: an absolute host path */
};

struct job_bind {
	char path[PATH_MAX];
	bool writable;
};

struct job {
	char name[JOB_NAME_MAX + 1]; /* as asked for: "cert-renew" or "cert-renew@b" */
	char base[JOB_NAME_MAX + 1]; /* the job directory's name: "cert-renew" */
	char dir[PATH_MAX];	     /* the job directory */
	bool bundled;		     /* found in the bundled directory, not the user's */
	char description[256];
	char suite[64];
	char arch[32]; /* "" for the host's */
	char packages[JOB_MAX_PACKAGES][64];
	size_t n_packages;
	unsigned timeout; /* seconds */
	char script[128];
	struct job_bind binds[JOB_MAX_BINDS];
	size_t n_binds;
	char devices[JOB_MAX_DEVICES][64];
	size_t n_devices;
	char env[JOB_MAX_ENV][JOB_VALUE_MAX]; /* "NAME=VALUE" */
	size_t n_env;
	struct job_setting settings[JOB_MAX_SETTINGS];
	size_t n_settings;
};

/* Where a problem is: file and line (0: the file as a whole), and what. */
struct job_error {
	char file[PATH_MAX];
	unsigned line;
	char message[512];
};

/*
 * Whether name can name a job: 1 to JOB_NAME_MAX characters of [a-z0-9-_.],
 * starting with a letter or digit, optionally followed by "@INSTANCE" of
 * the same characters: cert-renew@example.org is the job cert-renew with a
 * state (and so settings) of its own, in the same container.  Returns 0 or
 * -EINVAL.
 */
int job_name_valid(const char *name);

/*
 * The user's job directory (${XDG_CONFIG_HOME:-~/.config}/crossroot/jobs)
 * and the bundled one ($CROSSROOT_JOBS_DIR when set, else the directory
 * `make install` put them in), into user and bundled (PATH_MAX bytes each).
 * Returns 0 or -ENOENT when no home directory is known.
 */
int job_dirs(char *user, char *bundled);

/*
 * Parse dir/job.conf into *job, named name, and check what can be checked
 * before a run: the script exists and is executable, each bind's path
 * exists and is readable (and writable for rw).  Returns 0, or -ENOENT
 * (no job.conf), -EINVAL (a bad line or value) or -errno with *err naming
 * the file, the line and the problem.
 */
int job_parse(const char *name, const char *dir, bool bundled, struct job *job, struct job_error *err);

/*
 * Find job name (its part before any '@'), the user's own first, then the
 * bundled one, and parse it.
 * Returns 0, -ENOENT (no such job: err->message says where it looked), or
 * job_parse()'s errors.
 */
int job_find(const char *name, struct job *job, struct job_error *err);

/* The setting of job named name, or NULL. */
struct job_setting *job_setting(struct job *job, const char *name);

/*
 * Load the settings saved in file (lines "NAME=VALUE"; a missing file holds
 * none).  A saved name the job no longer declares is ignored.  Returns 0
 * or -errno with *err set.
 */
int job_settings_load(struct job *job, const char *file, struct job_error *err);

/*
 * Apply "NAME=VALUE" (an empty VALUE unsets).  A file or dir value is made
 * absolute against the working directory.  Returns 0, or -EINVAL with *err
 * saying what is wrong: an unknown name, a value with a newline, a
 * required setting unset.
 */
int job_setting_assign(struct job *job, const char *spec, struct cr_error *err);

/*
 * Check that every required setting is set, and that each file or dir
 * setting's path is a file (directory) the user can read (and write, for
 * rw).  Returns 0 or -EINVAL with *err naming the setting and what to do.
 */
int job_settings_check(const struct job *job, struct cr_error *err);

/*
 * Save the settings (not those of need once) to file, replacing it
 * atomically (a new file renamed over it, mode 0600).  Returns 0 or -errno.
 */
int job_settings_save(const struct job *job, const char *file);

#endif
