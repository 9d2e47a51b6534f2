/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json-c, loaded when first needed (dlopen), for the same reason as
 * libarchive (libarchive.h): only export and create of OCI images read or
 * write JSON, and `crossroot run` must not pay for loading it.  Called as
 * jc.NAME(...).
 */
#ifndef CROSSROOT_BOOTSTRAP_JSONC_H
#define CROSSROOT_BOOTSTRAP_JSONC_H

#include <json-c/json.h>

#define LIBJSONC_SONAME "libjson-c.so.5"

#define LIBJSONC_FUNCTIONS(X)        \
	X(json_tokener_new)          \
	X(json_tokener_free)         \
	X(json_tokener_parse_ex)     \
	X(json_tokener_get_error)    \
	X(json_tokener_error_desc)   \
	X(json_object_put)           \
	X(json_object_get_type)      \
	X(json_object_object_get_ex) \
	X(json_object_get_string)    \
	X(json_object_get_int64)     \
	X(json_object_array_length)  \
	X(json_object_array_get_idx) \
	X(json_object_new_object)    \
	X(json_object_new_array)     \
	X(json_object_new_string)    \
	X(json_object_new_int64)     \
	X(json_object_object_add)    \
	X(json_object_array_add)     \
	X(json_object_to_json_string_ext)

struct libjsonc_api {
#define LIBJSONC_POINTER(name) __typeof__(&name) name;
	LIBJSONC_FUNCTIONS(LIBJSONC_POINTER)
#undef LIBJSONC_POINTER
};

/* Filled by libjsonc_load(). */
extern struct libjsonc_api jc;

/*
 * Load json-c (once; later calls return at once).  Returns 0, or -ELIBACC
 * when the library or one of its functions is missing: install libjson-c5.
 */
int libjsonc_load(void);

#endif
