/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a user asked to leave out of a report. Set at record time (stored in
 * the recording) and again, on top, in `uscope report`. */
#ifndef USCOPE_FILTERS_H
#define USCOPE_FILTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct us_filters {
	uint64_t min_duration_ns;	/* hide calls shorter than this (0: none) */
	uint32_t max_depth;		/* hide calls deeper than this (0: no limit) */
	char **excludes;		/* hide functions matching these globs */
	size_t n_excludes;
	char **includes;		/* show only functions matching these globs */
	size_t n_includes;
	char *scope;			/* Python: only frames whose file is under this directory */
	char *focus;			/* only what runs inside this function */
	bool exception_only;		/* only calls on the path of an exception */
	bool no_imports;		/* Python: hide the import machinery */
	char *condition;		/* --condition: show only calls it matches (condition.h) */
};

void us_filters_add_exclude(struct us_filters *f, const char *glob);
void us_filters_add_include(struct us_filters *f, const char *glob);
/* `over` wins where it sets a value; globs add up. */
void us_filters_merge(struct us_filters *into, const struct us_filters *over);
void us_filters_free(struct us_filters *f);

#endif
