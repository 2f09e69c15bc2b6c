/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* report: each report is a function of the recording's metadata and the model. */
#ifndef USCOPE_REPORT_H
#define USCOPE_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "model.h"
#include "model_walk.h"
#include "record.h"

/* --locals: which local variables the steps show. */
enum us_locals_mode { US_LOCALS_NONE, US_LOCALS_ALL, US_LOCALS_CHANGED };

/* How a report is shown (not what it holds: that is the filters'). */
struct us_report_options {
	enum us_sort sort;	/* children of a node; the flat report's rows */
	bool all;		/* a Python program's start-up and shutdown in full */
	bool color;
	int width;		/* terminal columns the function names are cut to; 0: none */
	int verbosity;		/* -v: set-up and detach times */
	const char *coverdir;	/* --coverdir: where the coverage report writes its files */
	uint64_t await_threshold_ns;	/* --await-threshold: shorter suspensions not listed */
	enum us_locals_mode locals;	/* --locals */
	bool globals;			/* --globals: the module's globals too */
};

/* Shared by the reports. */
double us_ns_to_ms(uint64_t ns);
/* "12.345 ms", "3.210 us", "1.500 s": a width-10 human duration. */
void us_format_duration(char *buf, size_t len, uint64_t ns);
/* How long the program ran while traced: from its start (run) or the
 * attach to its exit or the end of tracing, set-up and detach not counted. */
uint64_t us_program_span_ns(const struct us_recording *rec, const struct us_model *m);
/* The one-line summary every text report starts with. */
void us_report_summary(FILE *out, const struct us_recording *rec, const struct us_model *m,
		       const struct us_report_options *ro);
/* The name a thread had when it exited, or has at the end. */
const char *us_thread_display_name(const struct us_recording *rec, const struct us_thread *t);
const char *us_function_name(const struct us_model *m, uint32_t fn_id);
/* As the text reports show it: "Shape.area (shapes.py:12)". */
const char *us_function_label(const struct us_model *m, uint32_t fn_id);
const char *us_function_object(const struct us_model *m, uint32_t fn_id);
/* "512 B", "1.5 KiB", "50.0 MiB". */
void us_format_bytes(char *buf, size_t len, uint64_t bytes);
struct us_json;
/* "gc": the garbage collections (report_memory.c). */
void us_json_gc(struct us_json *j, const struct us_model *m);
/* "6× [a → b → 2× [c → d]]": pattern `id`, nested repeats folded. */
void us_write_pattern_block(FILE *out, const struct us_model *m, uint32_t id);
/* For each function (by id), its children's pattern with the most time, or
 * US_NO_PATTERN: a new array. */
uint32_t *us_patterns_by_parent(const struct us_model *m);
/* "flat": [[function, calls, total_ns, self_ns, min_ns, max_ns]], the flat
 * report's rows (report_flat.c). */
void us_json_flat(struct us_json *j, const struct us_model *m, const struct us_report_options *ro);
/* "exceptions": each distinct chain with its frames and lines (report_json.c). */
void us_json_exceptions(struct us_json *j, const struct us_model *m);
/* The HTML report's page (report.html) with its data, `len` bytes of JSON
 * (report_html.c: a trace's; report_profile_html.c: a profile's). */
void us_write_html_report_page(FILE *out, const char *json, size_t len);
/* Writes `len` bytes of JSON inside a <script> element: no "</" ends it early. */
void us_write_script_safe(FILE *out, const char *json, size_t len);
/* "lines" (--lines): [{file, line, function, count, time_ms}], each line
 * run, in the order lines first ran (report_lines.c). */
void us_json_lines(struct us_json *j, const struct us_model *m, const struct us_report_options *ro);
/* "awaits" and "coroutines": coroutines' suspensions (report_awaits.c). */
void us_json_awaits(struct us_json *j, const struct us_recording *rec, const struct us_model *m,
		    const struct us_report_options *ro);
/* "tests": pytest's tests (report_tests.c). */
void us_json_tests(struct us_json *j, const struct us_recording *rec, const struct us_model *m);
/* "bottlenecks": the costly places with reasons (report_bottlenecks.c). */
void us_json_bottlenecks(struct us_json *j, const struct us_model *m);
/* The same for what ran in one call of `within_ns` (uscope call --profile):
 * shares are of that time; each also gets seed 000's
 * "optimization_suggestion". */
void us_json_call_bottlenecks(struct us_json *j, const struct us_model *m, uint64_t within_ns);
/* "patterns": repeated call sequences (report_patterns.c). */
void us_json_patterns(struct us_json *j, const struct us_model *m);
/* The json report's "memory" section (report_memory.c). */
void us_json_memory_section(struct us_json *j, const struct us_recording *rec,
			    const struct us_model *m);
/* Writes one node's own keys (not its "calls"). */
typedef void (*us_json_node_fn)(struct us_json *j, const struct us_model *m, uint32_t node);
/* "calls": the shown tree below `root`, each node's keys from `write_fields`
 * and its own "calls"; nesting stops at 256 levels with a "truncated" key
 * saying how deep and how many calls the rest held. */
void us_json_call_tree(struct us_json *j, const struct us_model *m, uint32_t root,
		       us_json_node_fn write_fields);
/* "command": [ARG...] and "pid": what was traced. */
void us_json_command(struct us_json *j, const struct us_recording *rec);
/* "function", then "file" and "line" (Python) or "object" (native). */
void us_json_function_location(struct us_json *j, const struct us_function *fn);

#endif
