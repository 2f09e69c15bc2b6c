/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cli: the plan of run, attach and probes from the options. */
#ifndef USCOPE_TRACE_PLAN_H
#define USCOPE_TRACE_PLAN_H

#include <stdbool.h>
#include "options.h"
#include "plan.h"

/* -f patterns, or the default: every function of the main executable, or
 * none when the target is Python (its calls are traced instead). OBJECT parts
 * that are paths to ELF files (a library the target will dlopen) join
 * `objects`. `following`: a pattern naming an object the target does not
 * load is for the programs it runs (said, not an error). */
int us_build_plan(struct us_plan *plan, const struct us_options *o,
		  struct us_object_list *objects, bool python, bool following);

/* A program a followed process exec'd: the same patterns (or the default)
 * on its objects, added to `plan` quietly (a pattern may name nothing
 * there). Returns the sites added. */
size_t us_extend_plan(struct us_plan *plan, const struct us_options *o,
		      const struct us_object_list *objects);

#endif
