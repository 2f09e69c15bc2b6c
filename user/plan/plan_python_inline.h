/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * plan: where CPython 3.11.0-3.11.3 runs a __getitem__ inside its caller's
 * C call (gh-104405), found in the interpreter's machine code. Pure: reads
 * the ELF file.
 */
#ifndef USCOPE_PLAN_PYTHON_INLINE_H
#define USCOPE_PLAN_PYTHON_INLINE_H

#include <stdbool.h>
#include <stdint.h>
#include "python_layout.h"

struct us_inline_getitem_site {
	uint64_t file_offset;			/* where the probe goes */
	enum us_register function_register;	/* holds the __getitem__ function there */
};

/* Finds the place in the CPython 3.11 interpreter `path`, whose eval
 * function is at `eval_vaddr` (`eval_size` bytes) and whose heap types keep
 * the cached __getitem__ at `getitem_offset`. False when it is not found. */
bool us_find_inline_getitem(const char *path, uint64_t eval_vaddr, uint64_t eval_size,
			    int32_t getitem_offset, struct us_inline_getitem_site *out);

#endif
