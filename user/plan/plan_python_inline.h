/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * plan: where CPython 3.11.0-3.11.3 runs a __getitem__ inside its caller's
 * C call (gh-104405), found in the interpreter's machine code. Pure: reads
 * the ELF file.
 */
#ifndef USCOPE_PLAN_PYTHON_INLINE_H
#define USCOPE_PLAN_PYTHON_INLINE_H

#include <stdint.h>
#include "plan_python.h"

/* Sets py->inline_getitem_probe_offset and the layout's
 * getitem_function_register when the place is found (py->eval_vaddr and
 * the eval function's size `eval_size` bytes); leaves them 0 otherwise. */
void us_python_place_getitem_probe(struct us_python *py, uint64_t eval_size);

#endif
