/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The user-facing commands; each returns uscope's exit code. */
#ifndef USCOPE_COMMANDS_H
#define USCOPE_COMMANDS_H

#include <stdbool.h>
#include "options.h"
#include "plan.h"

/* `run` when the command ran but tracing it failed (a recording that could
 * not be written): like timeout(1) and env(1), 125 is the tool's own. */
#define US_EXIT_TRACING_FAILED 125

int us_cmd_run(struct us_options *o);
int us_cmd_attach(struct us_options *o);
int us_cmd_report(struct us_options *o);
int us_cmd_probes(struct us_options *o);
int us_cmd_call(struct us_options *o);

/* -f patterns, or the default: every function of the main executable, or
 * none when the target is Python (its calls are traced instead). OBJECT parts
 * that are paths to ELF files (a library the target will dlopen) join
 * `objects`. */
int us_build_plan(struct us_plan *plan, const struct us_options *o,
		  struct us_object_list *objects, bool python);
/* How the report to `out` is shown: the options, and whether `out` is a
 * terminal (colour, width). */
void us_report_options_for(const struct us_options *o, FILE *out, struct us_report_options *ro);
/* Reads a recording through the model and prints the chosen report to
 * --report, or to `default_out` (stdout for `report`; stderr while tracing,
 * so the target's own stdout stays clean). */
int us_print_report(const char *recording, const struct us_options *o, FILE *default_out);

#endif
