/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "libarchive.h"

#include <dlfcn.h>
#include <errno.h>

struct libarchive_api la;

int libarchive_load(void)
{
	static int loaded;
	void *lib;

	if (loaded)
		return loaded > 0 ? 0 : -ELIBACC;
	loaded = -1;
	lib = dlopen(LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return -ELIBACC;
#define LIBARCHIVE_LOOKUP(name)                         \
	la.name = (__typeof__(&name))dlsym(lib, #name); \
	if (!la.name)                                   \
		return -ELIBACC;
	LIBARCHIVE_FUNCTIONS(LIBARCHIVE_LOOKUP)
#undef LIBARCHIVE_LOOKUP
	loaded = 1;
	return 0;
}
