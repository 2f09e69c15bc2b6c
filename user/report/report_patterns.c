// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Repeated call patterns (model_patterns.h): `--format patterns` lists them,
 * the most time first; json has them under "patterns".
 */
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "model_patterns.h"
#include "report.h"
#include "report_formats.h"
#include "util.h"

#define US_PATTERNS_SHOWN 40	/* in the text report */

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static double mean_iteration_ms(const struct us_call_pattern *p)
{
	return p->iterations ? ms(p->iteration_total_ns) / (double)p->iterations : 0;
}

/* The patterns nested in `id`'s block, in block order: a new array. */
static uint32_t *nested_of(const struct us_model *m, uint32_t id, size_t *n)
{
	uint32_t *out = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = id + 1; i < m->n_patterns && m->patterns[i].enclosing != US_NO_PATTERN; i++) {
		if (m->patterns[i].enclosing != id)
			continue;
		us_grow(&out, &cap, *n + 1, sizeof(*out));
		out[(*n)++] = (uint32_t)i;
	}
	return out;
}

/* "6× [a → b → 2× [c → d]]": the block with its nested repeats folded. */
void us_write_pattern_block(FILE *out, const struct us_model *m, uint32_t id)
{
	const struct us_call_pattern *p = &m->patterns[id];
	size_t n_nested;
	uint32_t *nested = nested_of(m, id, &n_nested);
	size_t next = 0;

	fprintf(out, "%u× [", p->repeats);
	for (uint32_t at = 0; at < p->period;) {
		if (at)
			fputs(" → ", out);
		if (next < n_nested && m->patterns[nested[next]].offset == at) {
			const struct us_call_pattern *q = &m->patterns[nested[next]];

			us_write_pattern_block(out, m, nested[next++]);
			at += q->period * q->repeats;
		} else {
			fputs(us_function_name(m, p->block[at++]), out);
		}
	}
	fputc(']', out);
	free(nested);
}

static int by_time(const void *a, const void *b, void *ctx)
{
	const struct us_model *m = ctx;
	uint64_t x = m->patterns[*(const uint32_t *)a].iteration_total_ns;
	uint64_t y = m->patterns[*(const uint32_t *)b].iteration_total_ns;

	return x > y ? -1 : x < y;
}

static const char *const phase_names[] = {
	[US_PHASE_STARTUP] = "startup", [US_PHASE_PROGRAM] = "program",
	[US_PHASE_SHUTDOWN] = "shutdown",
};

/* The top-level patterns (of the program's phase only, when `program_only`),
 * the most time first: a new array of *n. */
static uint32_t *top_level(const struct us_model *m, bool program_only, size_t *n)
{
	uint32_t *ids = us_calloc(m->n_patterns + 1, sizeof(*ids));

	*n = 0;
	for (size_t i = 0; i < m->n_patterns; i++)
		if (m->patterns[i].enclosing == US_NO_PATTERN &&
		    (!program_only || m->patterns[i].phase == US_PHASE_PROGRAM))
			ids[(*n)++] = (uint32_t)i;
	qsort_r(ids, *n, sizeof(*ids), by_time, (void *)m);
	return ids;
}

void us_report_patterns(FILE *out, const struct us_recording *rec, const struct us_model *m,
			const struct us_report_options *ro)
{
	size_t n, all;
	uint32_t *ids = top_level(m, false, &all);

	(void)rec;
	(void)ro;
	free(ids);
	/* a Python program's own patterns, not the interpreter's start-up */
	ids = top_level(m, true, &n);
	if (!n) {
		free(ids);
		ids = top_level(m, false, &n);
	}
	if (!n)
		fputs("No call sequence repeats.\n", out);
	else
		fprintf(out, "Repeated call sequences (%zu; iterations of up to %d calls), the most "
			"time first:\n\n", n, US_PATTERN_MAX_PERIOD);
	for (size_t i = 0; i < n && i < US_PATTERNS_SHOWN; i++) {
		const struct us_call_pattern *p = &m->patterns[ids[i]];

		fputs("  ", out);
		us_write_pattern_block(out, m, ids[i]);
		if (p->parent_fn == US_ROOT_FN)
			fprintf(out, "\n      at the top of thread %u", p->tid);
		else
			fprintf(out, "\n      in %s", us_function_label(m, p->parent_fn));
		if (p->occurrences > 1)
			fprintf(out, " (in %llu of its calls, %llu iterations in all)",
				(unsigned long long)p->occurrences, (unsigned long long)p->iterations);
		fprintf(out, ", calls #%llu-#%llu\n      iteration %.3f ms mean, %.3f min, %.3f "
			"max, %.3f ms in all", (unsigned long long)p->first_call,
			(unsigned long long)p->last_call, mean_iteration_ms(p),
			ms(p->iteration_min_ns), ms(p->iteration_max_ns), ms(p->iteration_total_ns));
		if (p->n_outliers) {
			fputs("; slower than 3× the median: iteration", out);
			for (size_t k = 0; k < p->n_outliers && k < 10; k++)
				fprintf(out, "%s %u", k ? "," : "", p->outliers[k] + 1);
			if (p->outliers_total > 10)
				fprintf(out, " and %llu more",
					(unsigned long long)(p->outliers_total - 10));
		}
		fputs("\n\n", out);
	}
	if (n > US_PATTERNS_SHOWN)
		fprintf(out, "(%zu more in --format json)\n", n - US_PATTERNS_SHOWN);
	if (all > n)
		fprintf(out, "(%zu more in the interpreter's start-up and shutdown: --format json)\n",
			all - n);
	free(ids);
}

static void write_json_patterns(struct us_json *j, const struct us_model *m, const uint32_t *ids,
				size_t n);

/* "summary": "6× [a → b → 2× [c → d]]", as the tree prints it. */
static void write_json_summary(struct us_json *j, const struct us_model *m, uint32_t id)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	us_write_pattern_block(mem, m, id);
	fclose(mem);
	us_json_kv_string(j, "summary", text);
	free(text);
}

static void write_json_pattern(struct us_json *j, const struct us_model *m, uint32_t id)
{
	const struct us_call_pattern *p = &m->patterns[id];
	size_t n_nested;
	uint32_t *nested = nested_of(m, id, &n_nested);

	us_json_object_begin(j);
	us_json_kv_string(j, "parent", us_function_label(m, p->parent_fn));
	us_json_kv_uint(j, "tid", p->tid);
	if (p->enclosing == US_NO_PATTERN)
		us_json_kv_string(j, "phase", phase_names[p->phase]);
	write_json_summary(j, m, id);
	us_json_kv_uint(j, "period", p->period);
	us_json_kv_uint(j, "repeats", p->repeats);
	if (p->enclosing != US_NO_PATTERN)
		us_json_kv_uint(j, "offset", p->offset);
	us_json_kv_uint(j, "first_call", p->first_call);
	us_json_kv_uint(j, "last_call", p->last_call);
	if (p->enclosing == US_NO_PATTERN) {
		us_json_kv_uint(j, "occurrences", p->occurrences);
		us_json_kv_uint(j, "iterations", p->iterations);
	}
	us_json_key(j, "calls");
	us_json_array_begin(j);
	for (uint32_t i = 0; i < p->period; i++)
		us_json_string(j, us_function_label(m, p->block[i]));
	us_json_array_end(j);
	us_json_key(j, "iteration_ms");
	us_json_object_begin(j);
	us_json_kv_double(j, "mean", mean_iteration_ms(p));
	us_json_kv_double(j, "min", ms(p->iteration_min_ns));
	us_json_kv_double(j, "max", ms(p->iteration_max_ns));
	us_json_kv_double(j, "total", ms(p->iteration_total_ns));
	us_json_object_end(j);
	us_json_key(j, "outliers");
	us_json_array_begin(j);
	for (size_t i = 0; i < p->n_outliers; i++)
		us_json_uint(j, p->outliers[i]);
	us_json_array_end(j);
	if (p->outliers_total > p->n_outliers)
		us_json_kv_uint(j, "outliers_total", p->outliers_total);
	write_json_patterns(j, m, nested, n_nested);
	us_json_object_end(j);
	free(nested);
}

/* "patterns": [the patterns `ids`, each with its nested ones]. */
static void write_json_patterns(struct us_json *j, const struct us_model *m, const uint32_t *ids,
				size_t n)
{
	us_json_key(j, "patterns");
	us_json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		write_json_pattern(j, m, ids[i]);
	us_json_array_end(j);
}

uint32_t *us_patterns_by_parent(const struct us_model *m)
{
	uint32_t *best = us_calloc(m->n_functions + 1, sizeof(*best));

	for (size_t f = 0; f <= m->n_functions; f++)
		best[f] = US_NO_PATTERN;
	for (size_t i = 0; i < m->n_patterns; i++) {
		const struct us_call_pattern *p = &m->patterns[i];
		uint32_t *b;

		if (p->enclosing != US_NO_PATTERN || p->parent_fn >= m->n_functions)
			continue;
		b = &best[p->parent_fn];
		if (*b == US_NO_PATTERN ||
		    m->patterns[*b].iteration_total_ns < p->iteration_total_ns)
			*b = (uint32_t)i;
	}
	return best;
}

void us_json_patterns(struct us_json *j, const struct us_model *m)
{
	size_t n;
	uint32_t *ids = top_level(m, false, &n);

	write_json_patterns(j, m, ids, n);
	free(ids);
}
