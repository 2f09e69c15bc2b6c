/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* lib: kernel addresses named from /proc/kallsyms (root sees real ones). */
#ifndef USCOPE_KALLSYMS_H
#define USCOPE_KALLSYMS_H

#include <stdbool.h>
#include <stdint.h>

struct us_kallsyms;

/* Reads /proc/kallsyms (or `path`); NULL when it cannot be read. */
struct us_kallsyms *us_kallsyms_load(const char *path);
/* The function holding `address` and its module ("" for the kernel
 * itself); false when none does. Valid until us_kallsyms_free. */
bool us_kallsyms_name(const struct us_kallsyms *k, uint64_t address, const char **function,
		      const char **module);
void us_kallsyms_free(struct us_kallsyms *k);

#endif
