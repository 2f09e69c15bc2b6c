// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "filters.h"
#include "util.h"

/* A glob given twice (on the command line and in the recording) is one. */
static void add_glob(char ***globs, size_t *n, const char *glob)
{
	size_t cap = *n;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*globs)[i], glob) == 0)
			return;
	us_grow(globs, &cap, *n + 1, sizeof(**globs));
	(*globs)[(*n)++] = us_strdup(glob);
}

void us_filters_add_exclude(struct us_filters *f, const char *glob)
{
	add_glob(&f->excludes, &f->n_excludes, glob);
}

void us_filters_add_include(struct us_filters *f, const char *glob)
{
	add_glob(&f->includes, &f->n_includes, glob);
}

static void replace_string(char **into, const char *over)
{
	if (!over)
		return;
	free(*into);
	*into = us_strdup(over);
}

void us_filters_merge(struct us_filters *into, const struct us_filters *over)
{
	if (over->min_duration_ns)
		into->min_duration_ns = over->min_duration_ns;
	if (over->max_depth)
		into->max_depth = over->max_depth;
	for (size_t i = 0; i < over->n_excludes; i++)
		us_filters_add_exclude(into, over->excludes[i]);
	for (size_t i = 0; i < over->n_includes; i++)
		us_filters_add_include(into, over->includes[i]);
	replace_string(&into->scope, over->scope);
	replace_string(&into->focus, over->focus);
	replace_string(&into->condition, over->condition);
	into->exception_only |= over->exception_only;
	into->no_imports |= over->no_imports;
}

static void free_globs(char **globs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(globs[i]);
	free(globs);
}

void us_filters_free(struct us_filters *f)
{
	free_globs(f->excludes, f->n_excludes);
	free_globs(f->includes, f->n_includes);
	free(f->scope);
	free(f->focus);
	free(f->condition);
	memset(f, 0, sizeof(*f));
}
