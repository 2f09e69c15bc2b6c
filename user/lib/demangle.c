// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>
#include <string.h>
#include "demangle.h"

/* libstdc++'s, with the Itanium C++ ABI's declaration. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

char *us_demangle(const char *name)
{
	int status = -1;
	char *readable;

	if (strncmp(name, "_Z", 2) != 0)
		return NULL;
	readable = __cxa_demangle(name, NULL, NULL, &status);
	return status == 0 ? readable : NULL;
}
