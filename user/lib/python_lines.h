/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* lib: the line of a bytecode offset, from a code object's line table in
 * each CPython version's format. Pure. */
#ifndef USCOPE_PYTHON_LINES_H
#define USCOPE_PYTHON_LINES_H

#include <stddef.h>
#include <stdint.h>

/* The line of the instruction at `byte_offset` in a 3.11+ code object, from
 * its location table (CPython's Objects/locations.md); -1 when unknown. */
int32_t us_py_line_of_offset(const uint8_t *table, size_t len, uint32_t first_line,
			     int32_t byte_offset);
/* The same for 3.minor: 3.8 and 3.9 read co_lnotab, 3.10 its co_linetable
 * (Objects/lnotab_notes.txt of each), 3.11+ the location table. */
int32_t us_py_line_for_version(int minor, const uint8_t *table, size_t len, uint32_t first_line,
			       int32_t byte_offset);

#endif
