/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lib: the implementation an IFUNC resolves to. An IFUNC symbol (memcpy,
 * strlen in libc, sqrt in libm) names a resolver that the dynamic loader
 * runs once to choose an implementation for this CPU; a probe on the symbol
 * would count the resolver, not the calls. uscope has libc and libm loaded
 * itself, from the same files and on the same CPU as the target, so its own
 * loader's choice is the target's (unless GLIBC_TUNABLES differs).
 */
#ifndef USCOPE_IFUNC_H
#define USCOPE_IFUNC_H

#include <stdint.h>

/* The virtual address (in the object's own ELF addresses) of the code the
 * IFUNC `name` of the object at `path` resolves to; 0 when uscope does not
 * have that object loaded, or the choice lands outside it. */
uint64_t us_ifunc_implementation(const char *path, const char *name);

#endif
