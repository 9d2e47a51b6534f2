/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "jsonc.h"

#include <dlfcn.h>
#include <errno.h>

struct libjsonc_api jc;

int libjsonc_load(void)
{
	static int loaded;
	void *lib;

	if (loaded)
		return loaded > 0 ? 0 : -ELIBACC;
	loaded = -1;
	lib = dlopen(LIBJSONC_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return -ELIBACC;
#define LIBJSONC_LOOKUP(name)                           \
	jc.name = (__typeof__(&name))dlsym(lib, #name); \
	if (!jc.name)                                   \
		return -ELIBACC;
	LIBJSONC_FUNCTIONS(LIBJSONC_LOOKUP)
#undef LIBJSONC_LOOKUP
	loaded = 1;
	return 0;
}
