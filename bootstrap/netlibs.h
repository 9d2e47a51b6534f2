/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcurl (downloads) and nettle (SHA-256), loaded when first needed, for
 * the same reason as libarchive (libarchive.h): their dependencies would
 * slow every crossroot process, and only create uses them.
 */
#ifndef CROSSROOT_BOOTSTRAP_NETLIBS_H
#define CROSSROOT_BOOTSTRAP_NETLIBS_H

/* curl.h otherwise makes curl_easy_setopt() a macro, which la.NAME-style calls cannot use. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <nettle/sha2.h>

#include "../base/error.h"

#define LIBCURL_SONAME "libcurl.so.4"
#define LIBNETTLE_SONAME "libnettle.so.8"

#define LIBCURL_FUNCTIONS(X)        \
	X(curl_global_init)         \
	X(curl_easy_init)           \
	X(curl_easy_cleanup)        \
	X(curl_easy_setopt)         \
	X(curl_easy_getinfo)        \
	X(curl_easy_strerror)       \
	X(curl_multi_init)          \
	X(curl_multi_cleanup)       \
	X(curl_multi_add_handle)    \
	X(curl_multi_remove_handle) \
	X(curl_multi_perform)       \
	X(curl_multi_poll)          \
	X(curl_multi_info_read)

#define LIBNETTLE_FUNCTIONS(X)  \
	X(nettle_sha256_init)   \
	X(nettle_sha256_update) \
	X(nettle_sha256_digest)

struct netlibs_api {
#define NETLIBS_POINTER(name) __typeof__(&name) name;
	LIBCURL_FUNCTIONS(NETLIBS_POINTER)
	LIBNETTLE_FUNCTIONS(NETLIBS_POINTER)
#undef NETLIBS_POINTER
};

/* Filled by netlibs_load(). */
extern struct netlibs_api nl;

/*
 * Load libcurl and nettle once, and initialise libcurl.  Returns 0, or
 * -ELIBACC with *err naming the library that could not be loaded (err may
 * be NULL).
 */
int netlibs_load(struct cr_error *err);

/*
 * Load nettle alone (once), for what hashes without downloading (OCI
 * images).  Returns 0, or -ELIBACC: install libnettle8.
 */
int netlibs_load_nettle(void);

#endif
