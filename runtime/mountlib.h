/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmount, loaded when first needed (dlopen), as libarchive and json-c
 * are (bootstrap/libarchive.h): only `rm` reads the mount table with it,
 * and linking it would make every `crossroot run` load libmount, libblkid,
 * libselinux and libpcre2 (about 1 ms of the dynamic loader's time).
 * Called as ml.NAME(...).
 */
#ifndef CROSSROOT_MOUNTLIB_H
#define CROSSROOT_MOUNTLIB_H

#include <libmount.h>

#define LIBMOUNT_SONAME "libmount.so.1"

#define LIBMOUNT_FUNCTIONS(X)      \
	X(mnt_new_table_from_file) \
	X(mnt_new_iter)            \
	X(mnt_table_next_fs)       \
	X(mnt_fs_get_target)       \
	X(mnt_free_iter)           \
	X(mnt_unref_table)

struct libmount_api {
#define LIBMOUNT_POINTER(name) __typeof__(&name) name;
	LIBMOUNT_FUNCTIONS(LIBMOUNT_POINTER)
#undef LIBMOUNT_POINTER
};

/* The functions, valid after libmount_load() returned 0. */
extern struct libmount_api ml;

/* Load LIBMOUNT_SONAME and look up its functions, once per process.  Returns 0 or -ELIBACC. */
int libmount_load(void);

#endif
