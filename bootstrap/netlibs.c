/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "netlibs.h"

#include <dlfcn.h>
#include <errno.h>

struct netlibs_api nl;

static int load_curl(void)
{
	void *lib = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return -ELIBACC;
#define NETLIBS_LOOKUP(name)                            \
	nl.name = (__typeof__(&name))dlsym(lib, #name); \
	if (!nl.name)                                   \
		return -ELIBACC;
	LIBCURL_FUNCTIONS(NETLIBS_LOOKUP)
	return nl.curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ELIBACC;
}

static int load_nettle(void)
{
	void *lib = dlopen(LIBNETTLE_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib)
		return -ELIBACC;
	LIBNETTLE_FUNCTIONS(NETLIBS_LOOKUP)
#undef NETLIBS_LOOKUP
	return 0;
}

int netlibs_load(struct cr_error *err)
{
	static int state; /* 0 not tried, 1 loaded, -1 failed */
	static const char *failed;

	if (state == 0) {
		state = 1;
		if (load_curl() < 0) {
			state = -1;
			failed = LIBCURL_SONAME " (apt-get install libcurl4)";
		} else if (load_nettle() < 0) {
			state = -1;
			failed = LIBNETTLE_SONAME " (apt-get install libnettle8)";
		}
	}
	return state > 0 ? 0 : cr_fail(err, -ELIBACC, "cannot load %s", failed);
}

int netlibs_load_nettle(void)
{
	static int state; /* 0 not tried, 1 loaded, -1 failed */

	if (state == 0)
		state = load_nettle() == 0 ? 1 : -1;
	return state > 0 ? 0 : -ELIBACC;
}
