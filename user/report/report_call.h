/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* report: one traced call as a JSON document (`uscope call`; docs/reports.md). */
#ifndef USCOPE_REPORT_CALL_H
#define USCOPE_REPORT_CALL_H

#include <stdint.h>
#include <stdio.h>
#include "model.h"
#include "record.h"

struct us_call_arg {
	char *name, *value;		/* value: the repr() the driver saw */
};

/* What the call driver reported about the function it called. */
struct us_call_info {
	const char *path;		/* MODULE.FUNC as given */
	char *file;			/* the function's code: file and first line */
	uint32_t line;
	char *error;			/* it could not be called: why */
	char *raised_type;		/* the arguments did not fit: the call's TypeError */
	char *raised_message;
	long long yields;		/* it returned a generator of this many items; -1 not */
	bool timed_out;			/* --timeout stopped it: what ran is what is shown */
	bool profile;			/* --profile: add the performance_profile */
	struct us_call_arg *args;	/* bound arguments */
	size_t n_args, args_cap;
};

/* The model must be focused on the function (filters.focus "FILE:LINE"). */
void us_report_call(FILE *out, const struct us_recording *rec, const struct us_model *m,
		    const struct us_call_info *info);
void us_call_info_free(struct us_call_info *info);

#endif
