/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report: the table of reports. Each format is a row: its name and either a
 * function of the finished model or a stream written while the model is
 * built (report_stream.h). A new report is a new report_*.c and one row in
 * report_formats.c.
 */
#ifndef USCOPE_REPORT_FORMATS_H
#define USCOPE_REPORT_FORMATS_H

#include <stdbool.h>
#include <stdio.h>
#include "report.h"

enum us_format {
	US_FORMAT_TREE,
	US_FORMAT_FLAT,
	US_FORMAT_JSON,
	US_FORMAT_TIMELINE,
	US_FORMAT_TIMELINE_JSON,
	US_FORMAT_CHROME,
	US_FORMAT_MEMORY,
	US_FORMAT_FOLDED,	/* profiles only */
	US_FORMAT_SPEEDSCOPE,
	US_FORMAT_PPROF,
	US_FORMAT_FLAMEGRAPH,
	US_FORMAT_PATTERNS,	/* traces only: repeated call sequences */
	US_FORMAT_BOTTLENECKS,	/* traces only: the costly places, with reasons */
	US_FORMAT_HTML,		/* traces only: one self-contained interactive page */
	US_FORMAT_LINES,	/* --lines: the lines with the most time */
	US_FORMAT_COVERAGE,	/* --lines: annotated source files (--coverdir) */
	US_FORMAT_STEPS,	/* --lines: every line in the order it ran */
	US_FORMAT_AWAITS,	/* traces only: coroutines' suspensions */
	US_FORMAT_TESTS,	/* traces only: pytest's tests */
};

bool us_format_parse(const char *name, enum us_format *out);
/* "tree, flat, ...": for messages. */
const char *us_format_names(void);
const char *us_format_name(enum us_format f);
/* Whether it is a report of a profile (uscope profile), of a trace. */
bool us_format_for_profiles(enum us_format f);
bool us_format_for_traces(enum us_format f);
/* A report of a finished profile model. */
void us_report_write_profile(FILE *out, enum us_format f, const struct us_recording *rec,
			     const struct us_model *m, const struct us_report_options *ro);
/* Whether the report is written while the model is built (us_report_stream_*)
 * rather than from the finished model (us_report_write). */
bool us_format_streams(enum us_format f);

/* A report of the finished model. */
void us_report_write(FILE *out, enum us_format f, const struct us_recording *rec,
		     const struct us_model *m, const struct us_report_options *ro);

/* A streaming report: give its sink to the model (us_model_init or
 * us_model_load), then finish it once the model is finished. */
struct us_report_stream;
struct us_report_stream *us_report_stream_new(FILE *out, enum us_format f,
					      const struct us_report_options *ro);	/* NULL: not streaming */
const struct us_model_sink *us_report_stream_sink(const struct us_report_stream *s);
void us_report_stream_finish(struct us_report_stream *s, const struct us_recording *rec,
			     const struct us_model *m);
/* Frees a stream whose model could not be built. */
void us_report_stream_discard(struct us_report_stream *s);

void us_report_tree(FILE *out, const struct us_recording *rec, const struct us_model *m,
		      const struct us_report_options *ro);
void us_report_flat(FILE *out, const struct us_recording *rec, const struct us_model *m,
		      const struct us_report_options *ro);
void us_report_json(FILE *out, const struct us_recording *rec, const struct us_model *m,
		      const struct us_report_options *ro);
void us_report_memory(FILE *out, const struct us_recording *rec, const struct us_model *m,
		      const struct us_report_options *ro);
void us_report_patterns(FILE *out, const struct us_recording *rec, const struct us_model *m,
			const struct us_report_options *ro);
void us_report_lines(FILE *out, const struct us_recording *rec, const struct us_model *m,
		     const struct us_report_options *ro);
void us_report_coverage(FILE *out, const struct us_recording *rec, const struct us_model *m,
			const struct us_report_options *ro);
void us_report_awaits(FILE *out, const struct us_recording *rec, const struct us_model *m,
		      const struct us_report_options *ro);
void us_report_tests(FILE *out, const struct us_recording *rec, const struct us_model *m,
		     const struct us_report_options *ro);
/* Whether the report is of --lines. */
bool us_format_needs_lines(enum us_format f);
void us_report_bottlenecks(FILE *out, const struct us_recording *rec, const struct us_model *m,
			   const struct us_report_options *ro);

#endif
