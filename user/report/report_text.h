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

#endif
