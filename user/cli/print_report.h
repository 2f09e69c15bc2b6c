/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* cli: printing a recording's report as the options say. */
#ifndef USCOPE_PRINT_REPORT_H
#define USCOPE_PRINT_REPORT_H

#include <stdio.h>
#include "options.h"

/* How the report to `out` is shown: the options, and whether `out` is a
 * terminal (colour, width). */
void us_report_options_for(const struct us_options *o, FILE *out, struct us_report_options *ro);
/* Reads a recording through the model and prints the chosen report to
 * --report, or to `default_out` (stdout for `report`; stderr while tracing,
 * so the target's own stdout stays clean). */
int us_print_report(const char *recording, const struct us_options *o, FILE *default_out);

#endif
