/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* report: what the --lines reports share (report_lines.c, report_steps.c). */
#ifndef USCOPE_REPORT_LINES_H
#define USCOPE_REPORT_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "record.h"

/* A source file's lines, read once. */
struct us_source_file {
	char *path;
	char **lines;
	size_t n_lines;
	bool readable;
};

/* The file the target named `file` (co_filename, maybe relative to its
 * working directory), as uscope opens it. */
void us_source_path(const struct us_recording *rec, const char *file, char *buf, size_t len);
/* Reads `path`; false (and no lines) when it cannot. */
bool us_source_file_read(struct us_source_file *f, const char *path);
/* The text of line `line` (1-based), NULL past the end. */
const char *us_source_line(const struct us_source_file *f, int32_t line);
void us_source_file_free(struct us_source_file *f);

#endif
