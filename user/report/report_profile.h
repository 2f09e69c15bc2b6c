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

void us_report_profile_speedscope(FILE *out, const struct us_recording *rec,
				  const struct us_model *m, const struct us_report_options *ro);
void us_report_profile_pprof(FILE *out, const struct us_recording *rec, const struct us_model *m,
			     const struct us_report_options *ro);
void us_report_profile_flamegraph(FILE *out, const struct us_recording *rec,
				  const struct us_model *m, const struct us_report_options *ro);
/* The bottleneck rules of a profile (report_profile_bottlenecks.c). */
void us_report_profile_bottlenecks(FILE *out, const struct us_recording *rec,
				   const struct us_model *m, const struct us_report_options *ro);
struct us_json;
void us_json_profile_bottlenecks(struct us_json *j, const struct us_model *m);
/* The HTML report's page of a profile (report_profile_html.c). */
void us_report_profile_html(FILE *out, const struct us_recording *rec, const struct us_model *m,
			    const struct us_report_options *ro);
struct us_profile_paths;
/* "flat": [[label, samples, total_ns, self_ns, 0, 0]], most self first, a
 * function's total counted once on a path (report_profile.c). */
void us_json_profile_flat(struct us_json *j, const struct us_profile_paths *p);
struct us_profile_paths;
/* "1234 on-CPU samples at 99 Hz over 2.0 s (~2.0 s), 1 process, 2 threads" */
char *us_profile_summary_line(const struct us_recording *rec, const struct us_model *m,
			      const struct us_profile_paths *paths, unsigned kinds);
/* "losses: none", or each cause with its count. */
char *us_profile_losses_line(const struct us_model *m);
/* The profile as a gzipped profile.proto, into `gzipped`. Returns 0 or -1. */
struct us_bytes;
int us_profile_pprof_bytes(const struct us_recording *rec, const struct us_profile *p,
			   struct us_bytes *gzipped);

#endif
