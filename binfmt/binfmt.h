/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * binfmt_misc instances and their entries.
 *
 * An instance is reached through a directory fd: the host-wide one mounted at
 * /proc/sys/fs/binfmt_misc, or a sandboxed one (Linux >= 6.7, commit
 * 21ca59b365c0 "binfmt_misc: enable sandboxed mounts") made by mounting
 * binfmt_misc inside a user namespace the caller owns.  Each user namespace
 * has at most one instance; exec(2) uses the instance of the nearest user
 * namespace, walking up to the host's, that has one.  A sandboxed instance's
 * entries are removed when its last mount is gone (the superblock is shut
 * down), so whoever wants them to last keeps a mount alive.
 *
 * Entry syntax and flags: Documentation/admin-guide/binfmt-misc.rst.
 */
#ifndef CROSSROOT_BINFMT_BINFMT_H
#define CROSSROOT_BINFMT_BINFMT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "emulator.h"

#define BINFMT_HOST_DIR "/proc/sys/fs/binfmt_misc"
/* Every entry crossroot creates is named BINFMT_PREFIX + QEMU name. */
#define BINFMT_PREFIX "crossroot-"
/* Register string: ":name:M:offset:magic:mask:interpreter:flags", magic escaped 4x. */
#define BINFMT_REGISTER_MAX (32 + 2 * 4 * ARCH_MAGIC_MAX + PATH_MAX)
/* The longest register line the kernel takes (fs/binfmt_misc.c MAX_REGISTER_LENGTH). */
#define BINFMT_REGISTER_KERNEL_MAX 1920

/* What the kernel reports for one entry (the file of that name in the instance). */
struct binfmt_entry {
	char name[NAME_MAX + 1];
	bool enabled;
	char interpreter[PATH_MAX];
	char flags[8]; /* "F", "POCF", ... as the kernel prints them; "" for none */
	unsigned offset;
	size_t magic_len;
	uint8_t magic[128];
	uint8_t mask[128]; /* all 0xff when the entry has no mask */
};

/* Entry flags crossroot may ask for. */
enum {
	BINFMT_FLAG_FIX_BINARY = 1 << 0,     /* F: the kernel opens the interpreter at registration */
	BINFMT_FLAG_PRESERVE_ARGV0 = 1 << 1, /* P */
	BINFMT_FLAG_CREDENTIALS = 1 << 2,    /* C (implies O): credentials from the binary */
};

/* The name crossroot gives arch's entry ("crossroot-aarch64"), into buf. Returns 0 or -ENAMETOOLONG. */
int binfmt_entry_name(const struct arch_info *arch, char *buf, size_t size);

/*
 * The register string for arch's entry named name with the given interpreter
 * path and BINFMT_FLAG_* flags, into buf (BINFMT_REGISTER_MAX bytes is always
 * enough).  Returns 0, -EINVAL when interpreter or name contains ':' or a
 * newline, or -ENAMETOOLONG when the line would exceed what the kernel
 * takes (BINFMT_REGISTER_KERNEL_MAX).
 */
int binfmt_format_register(const struct arch_info *arch, const char *name, const char *interpreter, unsigned flags,
			   char *buf, size_t size);

/*
 * Add an entry to the instance open at dirfd by writing line to its
 * "register" file in one write.  Returns 0 or -errno: -EEXIST when an entry
 * of that name exists, -EINVAL for a malformed line, -ENOENT when the
 * interpreter of an F entry does not exist, -EACCES/-EPERM without the
 * privilege over the instance.
 */
int binfmt_register(int dirfd, const char *line);

/* Remove entry name from the instance at dirfd. Returns 0, -ENOENT, or -errno. */
int binfmt_unregister(int dirfd, const char *name);

/*
 * Read entry name of the instance at dirfd into *out.  Returns 0, -ENOENT
 * when there is no such entry, -EINVAL when the kernel's text could not be
 * parsed (an extension entry, for example), or -errno.
 */
int binfmt_entry_read(int dirfd, const char *name, struct binfmt_entry *out);

/* Whether an enabled entry would claim arch's binaries (tested on arch's own magic). */
bool binfmt_entry_claims(const struct binfmt_entry *entry, const struct arch_info *arch);

/*
 * The first enabled entry in the instance at dirfd, other than one named
 * `except` (may be NULL), that would claim arch's binaries: 1 and *out
 * filled when one exists, 0 when none does, or -errno.
 */
int binfmt_find_claimant(int dirfd, const struct arch_info *arch, const char *except, struct binfmt_entry *out);

/*
 * Open the host-wide instance at BINFMT_HOST_DIR as a directory fd
 * (O_CLOEXEC).  Returns the fd, -ENOENT when binfmt_misc is not mounted
 * there, or -errno.
 */
int binfmt_host_open(void);

/*
 * Mount binfmt_misc at BINFMT_HOST_DIR (root; what systemd's
 * proc-sys-fs-binfmt_misc.mount does) and open it.  Returns the fd or -errno.
 */
int binfmt_host_mount(void);

/*
 * Create a binfmt_misc mount for the caller's user namespace, detached
 * (fsopen/fsmount, not attached anywhere), and return its root as a
 * directory fd (O_CLOEXEC): the instance lives while this fd or any mount of
 * it does.  The caller must own its user and mount namespaces (after
 * unshare(CLONE_NEWUSER|CLONE_NEWNS)); called in the initial user namespace
 * it yields the host-wide instance.  Returns the fd, or -errno: -EPERM on
 * kernels without sandboxed binfmt_misc (< 6.7), -ENODEV without
 * binfmt_misc, -ENOSYS without the new mount API (< 5.2).
 */
int binfmt_sandbox_mount(void);

/*
 * Attach a detached mount fd (from binfmt_sandbox_mount) at path, so that it
 * stays as long as the mount namespace does.  Returns 0 or -errno.
 */
int binfmt_attach(int mount_fd, const char *path);

/*
 * Whether sandboxed binfmt_misc works here: a child process unshares a user
 * and mount namespace and mounts one.  Returns 1 when it works, 0 when the
 * kernel refused the mount (too old, or forbidden by policy), or -errno when
 * the probe itself could not run (-EPERM: no user namespaces).
 */
int binfmt_sandbox_probe(void);

/*
 * Where a container's binfmt entries come from.  auto: a sandboxed instance
 * where the kernel has one (>= 6.7), else the host-wide entries root
 * registered; sandboxed: only a sandboxed instance; host: only the
 * host-wide entries, each entry's interpreter bound read-only into the
 * container at its path.
 */
enum binfmt_mode { BINFMT_MODE_AUTO, BINFMT_MODE_SANDBOXED, BINFMT_MODE_HOST };

/* The mode named text ("auto", "sandboxed" or "host") into *mode.  Returns 0 or -EINVAL. */
int binfmt_mode_parse(const char *text, enum binfmt_mode *mode);

/* "auto", "sandboxed" or "host". */
const char *binfmt_mode_name(enum binfmt_mode mode);

/* What binfmt_register_emulators() did for one emulator. */
enum binfmt_outcome {
	BINFMT_REGISTERED,  /* crossroot's entry was added now */
	BINFMT_ALREADY,	    /* crossroot's entry was there already, with this interpreter */
	BINFMT_KEPT_OTHER,  /* another tool's entry claims the arch; kept, nothing added (other) */
	BINFMT_NO_EMULATOR, /* no static emulator (emulator.status says why) */
	BINFMT_FAILED,	    /* error says why */
};

struct binfmt_result {
	const struct arch_info *arch; /* first arch of its emulator; others share the entry */
	struct emulator emulator;
	enum binfmt_outcome outcome;
	int error;		   /* -errno with BINFMT_FAILED */
	struct binfmt_entry other; /* with BINFMT_KEPT_OTHER */
};

/*
 * Register, in the instance at dirfd, one crossroot entry per emulator found
 * for the architectures not native to host_machine (one per QEMU name:
 * armhf and armel share "crossroot-arm"), with flags F, plus P when the
 * emulator keeps argv[0], plus extra_flags.  Emulators are looked up with
 * emulator_find(search_path).
 *
 * With keep_others (the host-wide instance), an enabled entry of another
 * tool that claims the arch is kept and crossroot adds none: the kernel
 * tries the newest entry first, so adding one would shadow it.  crossroot's
 * own entry with another interpreter is replaced.  Without keep_others (an
 * instance of crossroot's own), an existing entry of crossroot's name counts
 * as in place.
 *
 * results (room for arch_count() items) receives one item per emulator
 * looked at; *n_results their number.  Returns the number of entries in
 * place afterwards (BINFMT_REGISTERED or BINFMT_ALREADY), or -errno when the
 * search itself failed.
 */
int binfmt_register_emulators(int dirfd, const char *host_machine, const char *search_path, unsigned extra_flags,
			      bool keep_others, struct binfmt_result *results, size_t *n_results);

/*
 * binfmt_register_emulators() for the architectures in arches only (arch_bit()s
 * of arch_table; those native to host_machine are still left out): a
 * container's instance gets the entries its rootfs needs, not all of them.
 */
int binfmt_register_arches(int dirfd, const char *host_machine, const char *search_path, unsigned extra_flags,
			   bool keep_others, uint32_t arches, struct binfmt_result *results, size_t *n_results);

#endif
