/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The user-facing commands; each returns uscope's exit code. */
#ifndef USCOPE_COMMANDS_H
#define USCOPE_COMMANDS_H

#include <stdbool.h>
#include "options.h"

/* `run` when the command ran but tracing it failed (a recording that could
 * not be written): like timeout(1) and env(1), 125 is the tool's own. */
#define US_EXIT_TRACING_FAILED 125

int us_cmd_run(struct us_options *o);
int us_cmd_attach(struct us_options *o);
int us_cmd_report(struct us_options *o);
int us_cmd_probes(struct us_options *o);
int us_cmd_call(struct us_options *o);

#endif
