// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope diff A B`: two recordings of a program compared (report_diff.h),
 * to stdout or --report PATH. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "log.h"
#include "model_load.h"
#include "record.h"
#include "report_diff.h"

static int load(const char *path, struct us_recording *rec, struct us_model *m)
{
	char err[512];

	if (us_model_load(path, NULL, NULL, rec, m, err, sizeof(err))) {
		us_error("%s", err);
		return -1;
	}
	return 0;
}

int us_cmd_diff(struct us_options *o)
{
	struct us_recording rec[2];
	struct us_model m[2];
	struct us_diff_input in = { .name = { o->rest[0], o->rest[1] }, .model = { &m[0], &m[1] } };
	FILE *out = stdout;
	int rc = 0;

	in.profiles = us_recording_holds_profile(o->rest[0]);
	if (in.profiles != us_recording_holds_profile(o->rest[1])) {
		us_error("%s is a %s and %s a %s: uscope diff compares two traces or two profiles",
			 o->rest[0], in.profiles ? "profile" : "trace", o->rest[1],
			 in.profiles ? "trace" : "profile");
		return 1;
	}
	if (load(o->rest[0], &rec[0], &m[0]))
		return 1;
	if (load(o->rest[1], &rec[1], &m[1])) {
		us_model_free(&m[0]);
		us_recording_free(&rec[0]);
		return 1;
	}
	if (o->report_path && !(out = fopen(o->report_path, "we"))) {
		us_error("cannot write the report to %s: %s", o->report_path, strerror(errno));
		rc = 1;
	} else {
		us_report_diff(out, &in, o->format == US_FORMAT_JSON ? US_DIFF_JSON
				       : o->format == US_FORMAT_HTML ? US_DIFF_HTML : US_DIFF_TEXT);
		if (fflush(out) != 0 || ferror(out) || (out != stdout && fclose(out) != 0)) {
			us_error("writing the report failed: %s", strerror(errno));
			rc = 1;
		}
	}
	for (int i = 0; i < 2; i++) {
		us_model_free(&m[i]);
		us_recording_free(&rec[i]);
	}
	return rc;
}
