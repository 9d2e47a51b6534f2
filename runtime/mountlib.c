/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mountlib.h"

#include <dlfcn.h>
#include <errno.h>

struct libmount_api ml;

int libmount_load(void)
{
	static int loaded;
	void *lib;

	if (loaded)
		return loaded > 0 ? 0 : -ELIBACC;
	loaded = -1;
	lib = dlopen(LIBMOUNT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return -ELIBACC;
#define LIBMOUNT_LOOKUP(name)                           \
	ml.name = (__typeof__(&name))dlsym(lib, #name); \
	if (!ml.name)                                   \
		return -ELIBACC;
	LIBMOUNT_FUNCTIONS(LIBMOUNT_LOOKUP)
#undef LIBMOUNT_LOOKUP
	loaded = 1;
	return 0;
}
