/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report: what the text reports share. Numbers first in fixed columns, one
 * unit per column, the function last, cut to the terminal with "…"; colour
 * when asked for.
 */
#ifndef USCOPE_REPORT_TEXT_H
#define USCOPE_REPORT_TEXT_H

#include <stdint.h>
#include <stdio.h>
#include "report.h"

/* A time column's unit, chosen from the largest value it shows. */
struct us_time_unit {
	const char *name;	/* "us", "ms", "s" */
	double ns;		/* nanoseconds per unit */
};

struct us_time_unit us_time_unit_for(uint64_t max_ns);
/* "   12.345": a value in the unit, `width` wide, 3 decimals. */
void us_print_time(FILE *out, struct us_time_unit unit, uint64_t ns, int width);

/* A bytes column's unit (B, KiB, MiB, GiB) from its largest value. */
struct us_bytes_unit {
	const char *name;
	double bytes;
};

struct us_bytes_unit us_bytes_unit_for(uint64_t max_bytes);
void us_print_bytes(FILE *out, struct us_bytes_unit unit, uint64_t bytes, int width);

/* SGR colours, or "" without --color. */
enum us_color { US_COLOR_BOLD, US_COLOR_RED, US_COLOR_YELLOW, US_COLOR_DIM, US_COLOR_RESET };
const char *us_color(const struct us_report_options *ro, enum us_color c);
/* The colour of a row that takes `percent` of its thread's time. */
const char *us_heat_color(const struct us_report_options *ro, double percent);

/* Writes `text`, cut with "…" to `columns` display columns (0: all). */
void us_print_cut(FILE *out, const char *text, int columns);
/* The same, but when it must cut, the `keep_len` bytes at `keep_start` (a
 * Python function's " (file.py:12)") stay whole after the "…": the name,
 * which starts at `name_start`, is cut instead of the place, as long as at
 * least 12 columns of it stay. */
void us_print_cut_keeping(FILE *out, const char *text, int columns, size_t name_start,
			  size_t keep_start, size_t keep_len);
/* Where a label's place is: " (file.py:12)" at its end, or keep_len 0. */
void us_label_place(const char *label, size_t *keep_start, size_t *keep_len);

#endif
