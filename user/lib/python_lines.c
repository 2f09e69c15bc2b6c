// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include "python_lines.h"

struct table_reader {
	const uint8_t *p, *end;
};

static uint32_t read_varint(struct table_reader *r)
{
	uint32_t value = 0;
	unsigned shift = 0;

	while (r->p < r->end && shift < 32) {
		uint8_t b = *r->p++;

		value |= (uint32_t)(b & 0x3f) << shift;
		shift += 6;
		if (!(b & 0x40))
			break;
	}
	return value;
}

static int32_t read_svarint(struct table_reader *r)
{
	uint32_t v = read_varint(r);

	return v & 1 ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
}

int32_t us_py_line_of_offset(const uint8_t *table, size_t len, uint32_t first_line,
			     int32_t byte_offset)
{
	struct table_reader r;
	int32_t line = (int32_t)first_line, unit = 0, target = byte_offset / 2;

	if (!table || byte_offset < 0)
		return -1;
	r = (struct table_reader){ table, table + len };
	while (r.p < r.end) {
		uint8_t first = *r.p++;
		int code = (first >> 3) & 0xf, units = (first & 7) + 1;
		bool has_line = true;

		if (!(first & 0x80))
			return -1;	/* not at an entry: a truncated or foreign table */
		if (code == 15) {
			has_line = false;
		} else if (code == 14) {
			line += read_svarint(&r);
			read_varint(&r);	/* end line, columns */
			read_varint(&r);
			read_varint(&r);
		} else if (code == 13) {
			line += read_svarint(&r);
		} else if (code >= 10) {
			line += code - 10;
			r.p += 2;
		} else {
			r.p += 1;
		}
		if (target < unit + units)
			return has_line ? line : -1;
		unit += units;
	}
	return -1;
}

/* 3.8, 3.9: (bytecode delta, line delta) byte pairs; the line changes at
 * each pair's address. */
static int32_t line_of_lnotab(const uint8_t *table, size_t len, uint32_t first_line,
			      int32_t byte_offset)
{
	int32_t line = (int32_t)first_line, address = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		address += table[i];
		if (address > byte_offset)
			break;
		line += (int8_t)table[i + 1];
	}
	return line;
}

/* 3.10: each (byte count, line delta) pair is a range of bytes; a delta of
 * -128 marks bytes with no line. */
static int32_t line_of_310_table(const uint8_t *table, size_t len, uint32_t first_line,
				 int32_t byte_offset)
{
	int32_t line = (int32_t)first_line, end = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		int32_t start = end;
		int8_t delta = (int8_t)table[i + 1];

		end = start + table[i];
		if (delta != -128)
			line += delta;
		if (byte_offset >= start && byte_offset < end)
			return delta == -128 ? -1 : line;
	}
	return -1;
}

int32_t us_py_line_for_version(int minor, const uint8_t *table, size_t len, uint32_t first_line,
			       int32_t byte_offset)
{
	if (!table || byte_offset < 0)
		return -1;
	if (minor <= 9)
		return line_of_lnotab(table, len, first_line, byte_offset);
	if (minor == 10)
		return line_of_310_table(table, len, first_line, byte_offset);
	return us_py_line_of_offset(table, len, first_line, byte_offset);
}
