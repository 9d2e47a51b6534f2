/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libarchive, loaded when first needed.  Linked directly, libarchive's
 * dependencies (libxml2, ICU, libstdc++, the compressors) cost every
 * crossroot process 1.5 ms of loading, measured on `crossroot --version`;
 * `crossroot run` is the hot path and never touches an archive.  So the
 * functions crossroot uses are looked up with dlopen(3) by the code that
 * needs them, and called as la.NAME(...).
 */
#ifndef CROSSROOT_BOOTSTRAP_LIBARCHIVE_H
#define CROSSROOT_BOOTSTRAP_LIBARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

#define LIBARCHIVE_SONAME "libarchive.so.13"

#define LIBARCHIVE_FUNCTIONS(X)                    \
	X(archive_read_new)                        \
	X(archive_read_free)                       \
	X(archive_read_support_filter_all)         \
	X(archive_read_support_format_tar)         \
	X(archive_read_support_format_gnutar)      \
	X(archive_read_support_format_ar)          \
	X(archive_read_support_format_raw)         \
	X(archive_read_support_format_empty)       \
	X(archive_read_open)                       \
	X(archive_read_open_filename)              \
	X(archive_read_open_fd)                    \
	X(archive_read_open_memory)                \
	X(archive_read_next_header)                \
	X(archive_read_data_block)                 \
	X(archive_read_data)                       \
	X(archive_read_data_skip)                  \
	X(archive_write_disk_new)                  \
	X(archive_write_disk_set_options)          \
	X(archive_write_new)                       \
	X(archive_write_free)                      \
	X(archive_write_set_format_pax_restricted) \
	X(archive_write_add_filter_by_name)        \
	X(archive_write_open_filename)             \
	X(archive_write_header)                    \
	X(archive_write_data)                      \
	X(archive_write_data_block)                \
	X(archive_write_finish_entry)              \
	X(archive_write_close)                     \
	X(archive_error_string)                    \
	X(archive_errno)                           \
	X(archive_read_disk_new)                   \
	X(archive_read_disk_open)                  \
	X(archive_read_disk_descend)               \
	X(archive_read_disk_set_symlink_physical)  \
	X(archive_read_disk_set_behavior)          \
	X(archive_read_next_header2)               \
	X(archive_write_open_fd)                   \
	X(archive_entry_new)                       \
	X(archive_entry_free)                      \
	X(archive_entry_clear)                     \
	X(archive_entry_pathname)                  \
	X(archive_entry_hardlink)                  \
	X(archive_entry_mode)                      \
	X(archive_entry_set_mode)                  \
	X(archive_entry_uid)                       \
	X(archive_entry_gid)                       \
	X(archive_entry_size)                      \
	X(archive_entry_set_uid)                   \
	X(archive_entry_set_gid)

struct libarchive_api {
#define LIBARCHIVE_POINTER(name) __typeof__(&name) name;
	LIBARCHIVE_FUNCTIONS(LIBARCHIVE_POINTER)
#undef LIBARCHIVE_POINTER
};

/* Filled by libarchive_load(). */
extern struct libarchive_api la;

/*
 * Load libarchive (once; later calls return at once).  Returns 0, or
 * -ELIBACC when the library or one of its functions is missing: install
 * libarchive13.
 */
int libarchive_load(void);

#endif
