/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* report: the reports of a profile recording (uscope profile). */
#ifndef USCOPE_REPORT_PROFILE_H
#define USCOPE_REPORT_PROFILE_H

#include <stdbool.h>
#include <stdio.h>
#include "report.h"

/* Whether the recording holds a profile (samples) rather than a trace. */
bool us_recording_is_profile(const struct us_recording *rec);

typedef void (*us_profile_report_fn)(FILE *out, const struct us_recording *rec,
				     const struct us_model *m, const struct us_report_options *ro);
void us_report_profile_tree(FILE *out, const struct us_recording *rec, const struct us_model *m,
			    const struct us_report_options *ro);
void us_report_profile_flat(FILE *out, const struct us_recording *rec, const struct us_model *m,
			    const struct us_report_options *ro);
void us_report_profile_folded(FILE *out, const struct us_recording *rec,
			      const struct us_model *m, const struct us_report_options *ro);
void us_report_profile_json(FILE *out, const struct us_recording *rec, const struct us_model *m,
			    const struct us_report_options *ro);

#endif
