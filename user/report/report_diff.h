/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report: two recordings compared (`uscope diff A B`), per function and per
 * call path, the largest changes first; text or json.
 */
#ifndef USCOPE_REPORT_DIFF_H
#define USCOPE_REPORT_DIFF_H

#include <stdbool.h>
#include <stdio.h>
#include "model.h"

struct us_diff_input {
	const char *name[2];			/* A and B, as the user named them */
	const struct us_model *model[2];
	bool profiles;		/* both are profiles: samples, not calls */
};

enum us_diff_form { US_DIFF_TEXT, US_DIFF_JSON, US_DIFF_HTML };

void us_report_diff(FILE *out, const struct us_diff_input *in, enum us_diff_form form);

#endif
