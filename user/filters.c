// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "filters.h"
#include "util.h"

void us_filters_add_exclude(struct us_filters *f, const char *glob)
{
	size_t cap = f->n_excludes;

	us_grow(&f->excludes, &cap, f->n_excludes + 1, sizeof(*f->excludes));
	f->excludes[f->n_excludes++] = us_strdup(glob);
}

void us_filters_merge(struct us_filters *into, const struct us_filters *over)
{
	if (over->min_duration_ns)
		into->min_duration_ns = over->min_duration_ns;
	if (over->max_depth)
		into->max_depth = over->max_depth;
	for (size_t i = 0; i < over->n_excludes; i++)
		us_filters_add_exclude(into, over->excludes[i]);
}

void us_filters_free(struct us_filters *f)
{
	for (size_t i = 0; i < f->n_excludes; i++)
		free(f->excludes[i]);
	free(f->excludes);
	memset(f, 0, sizeof(*f));
}
