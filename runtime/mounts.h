/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The container's mount namespace: everything between "a rootfs directory"
 * and "a process whose / is that rootfs", done by the container's init
 * (pid 1 of a new pid namespace, in a new mount namespace, root in the
 * container's user namespace).
 *
 * Every path inside the rootfs is resolved with openat2(RESOLVE_IN_ROOT):
 * the rootfs belongs to the user, and a symlink in it ("/etc/resolv.conf ->
 * /etc/shadow") must never lead a mount or a write to the host.
 */
#ifndef CROSSROOT_MOUNTS_H
#define CROSSROOT_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../base/error.h"
#include "../binfmt/binfmt.h"

/* The most --bind options one container takes. */
#define MOUNT_MAX_BINDS 64

struct bind_mount {
	const char *source; /* host path */
	const char *target; /* path inside the container */
	bool read_only;
};

/*
 * Parse "SRC[:DST[:ro]]" (DST defaults to SRC; both absolute) into *out,
 * pointing into spec, which is modified.  Returns 0 or -EINVAL.
 */
int bind_mount_parse(char *spec, struct bind_mount *out);

struct mount_config {
	const char *rootfs;	    /* host path of the rootfs directory */
	bool ephemeral;		    /* the rootfs as the lower layer of an overlayfs (ephemeral.h) */
	int ephemeral_dir;	    /* with ephemeral: fd of the layer directory (upper/, work/) */
	const char *ephemeral_path; /* and its path (overlayfs wants layers of the mount namespace it is in) */
	const char *hostname;	    /* UTS name inside */
	const char *home;	    /* host $HOME, bound at the same path; NULL for none */
	bool isolated;		    /* no host tree but binds: no $HOME, no /var/tmp */
	const char *const *devices; /* host nodes "/dev/NAME" bound at the same path (a name directly in /dev) */
	size_t n_devices;
	const struct bind_mount *binds;
	size_t n_binds;
	uid_t user_uid; /* the user's passwd entry, added inside when missing (mapped mode) */
	gid_t user_gid;
	const char *user_name; /* NULL: no entry is added */
	bool mapped;	       /* mapped mode: ids 0-65535 exist (gid 5 for devpts) */
	const char *user_shell;
	bool sandboxed_binfmt;		  /* set up binfmt entries for the container (see binfmt_mode) */
	enum binfmt_mode binfmt_mode;	  /* where they come from (binfmt.h) */
	const struct arch_info *arch;	  /* the container's arch: host mode binds its entry's interpreter */
	uint32_t binfmt_arches;		  /* a sandboxed instance's entries: arch_bit()s (0: every emulator) */
	const char *host_machine;	  /* for emulator discovery */
	const char *emulator_search_path; /* PATH for emulator discovery */
	/*
	 * No pivot_root: everything above is mounted in the rootfs at its
	 * path, the caller stays on the host's tree, where the rootfs's /etc
	 * and /root are bound over the host's (when the rootfs has them).
	 */
	bool host_tree;
};

/*
 * Build the container's mounts and switch root to it, in the calling
 * process's (already private) mount namespace, in this order (doc/design.md
 * section 3.3 says why): make / private; clone the host trees ($HOME,
 * /var/tmp, /etc/resolv.conf, /sys, the user's binds) with open_tree while
 * nothing is mounted yet; bind the rootfs onto itself (ephemeral: mount an
 * overlayfs on it, the rootfs as lower layer, cfg->ephemeral_dir's upper/
 * and work/ as the others, the upper root given the rootfs root's owner,
 * mode and times); add the user's passwd, group and shadow entries, set
 * the hostname and its /etc/hosts line, all before any host directory is
 * bound in; mount /proc (a new instance: the caller is pid 1 of its own pid
 * namespace); set up the binfmt entries (a sandboxed binfmt_misc with the
 * emulators registered; in host mode, or auto on a kernel without
 * sandboxed binfmt_misc, the host-wide entry for the container's arch, its
 * interpreter bound read-only at its path; -ENOEXEC when there is none);
 * build /dev (tmpfs, host nodes bound, a new devpts instance, /dev/shm, the
 * devices asked for); attach the cloned host trees in order; pivot_root
 * (host_tree: instead, bind the rootfs's /etc and /root over the host's).
 *
 * Returns 0 or -errno with *err saying which step failed ("mount /proc: ...").
 */
int mount_container(const struct mount_config *cfg, struct cr_error *err);

/*
 * Open path inside the root at rootfd with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS), creating missing directories on the way (mode
 * 0755) and, when last_is_file, the last component as an empty file (mode
 * 0644).  Returns an O_PATH fd or -errno.
 */
int path_in_root(int rootfd, const char *path, bool create, bool last_is_file);

/*
 * Write text to path inside the root at rootfd (created with missing
 * directories as path_in_root() does, never outside the root's mount;
 * replaced when it exists), with mode.  Returns 0 or -errno.
 */
int write_in_root(int rootfd, const char *path, mode_t mode, const char *text);

/* write_in_root() of len bytes at data, which may hold NULs (a binary keyring). Returns 0 or -errno. */
int write_bytes_in_root(int rootfd, const char *path, mode_t mode, const void *data, size_t len);

#endif
