/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* lib: C++ symbol names as people write them (libstdc++'s demangler). */
#ifndef USCOPE_DEMANGLE_H
#define USCOPE_DEMANGLE_H

/* "level1(int)" for "_Z6level1i"; NULL when `name` is not a mangled C++
 * name. The caller frees it. */
char *us_demangle(const char *name);

#endif
