// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dlfcn.h>
#include <link.h>
#include <stddef.h>
#include "ifunc.h"

uint64_t us_ifunc_implementation(const char *path, const char *name)
{
	/* only an object uscope has loaded already: nothing of the target's runs here */
	void *handle = dlopen(path, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
	struct link_map *map = NULL, *chosen_map = NULL;
	uint64_t vaddr = 0;
	Dl_info where;
	void *chosen;

	if (!handle)
		return 0;
	chosen = dlsym(handle, name);
	if (chosen && dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 &&
	    dladdr1(chosen, &where, (void **)&chosen_map, RTLD_DL_LINKMAP) && chosen_map == map)
		vaddr = (uintptr_t)chosen - map->l_addr;
	dlclose(handle);
	return vaddr;
}
