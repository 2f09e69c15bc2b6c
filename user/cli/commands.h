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

/* A command `run` traces, and what a caller of it (uscope call) wants
 * beyond the options, which are only read. */
struct us_run_request {
	char **argv;		/* the command */
	int argc;
	const char *recording;	/* keep the recording here; NULL: -o, or a temporary file */
	bool python_args;	/* summarise the first arguments of every Python call */
	bool no_report;		/* keep the recording, print no report */
	bool unfiltered;	/* record every call: the options' filters apply in the report */
};
/* `uscope run` of `req`'s command; us_cmd_run makes its request from -- ARGS. */
int us_run_traced(const struct us_options *o, const struct us_run_request *req);
int us_cmd_attach(struct us_options *o);
int us_cmd_report(struct us_options *o);
int us_cmd_diff(struct us_options *o);
int us_cmd_probes(struct us_options *o);
int us_cmd_call(struct us_options *o);
int us_cmd_dump(struct us_options *o);
int us_cmd_profile(struct us_options *o);
int us_cmd_top(struct us_options *o);

#endif
