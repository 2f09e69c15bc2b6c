// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pytest's tests (model_tests.h): `tests` lists each test with its outcome,
 * its duration as pytest measured it, and the calls made in it; json has
 * "tests" with each phase's outcome and duration.
 */
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "model_tests.h"
#include "report_formats.h"
#include "util.h"

static const char *const phase_names[US_TEST_PHASES] = { "setup", "call", "teardown" };

void us_report_tests(FILE *out, const struct us_recording *rec, const struct us_model *m,
		     const struct us_report_options *ro)
{
	size_t counts[4] = { 0 };
	static const char *const outcomes[4] = { "passed", "failed", "error", "skipped" };
	char dur[32];

	us_report_summary(out, rec, m, ro);
	if (!m->n_tests) {
		fprintf(out, "uscope: no pytest test ran while traced (uscope reads the "
			"TestReports of pytest's _pytest/reports.py)\n");
		return;
	}
	for (size_t i = 0; i < m->n_tests; i++)
		for (int k = 0; k < 4; k++)
			counts[k] += strcmp(us_test_outcome(&m->tests[i]), outcomes[k]) == 0;
	fprintf(out, "uscope: %zu tests: %zu passed, %zu failed, %zu errors, %zu skipped\n\n",
		m->n_tests, counts[0], counts[1], counts[2], counts[3]);
	fprintf(out, "%12s  %-8s %9s  %s\n", "DURATION", "OUTCOME", "CALLS", "TEST");
	for (size_t i = 0; i < m->n_tests; i++) {
		const struct us_test *t = &m->tests[i];

		us_format_duration(dur, sizeof(dur), (uint64_t)(us_test_duration_s(t) * 1e9));
		fprintf(out, "%12s  %-8s %9llu  %s\n", dur, us_test_outcome(t),
			(unsigned long long)t->calls, t->nodeid);
	}
}

#define TEST_TREE_DEPTH 64

/* Children of each node of a test's tree, and of its root (index n_nodes),
 * as linked lists in order of first call. */
static void write_test_calls(struct us_json *j, const struct us_model *m, const struct us_test *t,
			     const uint32_t *first_child, const uint32_t *next, uint32_t parent,
			     int depth)
{
	us_json_key(j, "calls");
	us_json_array_begin(j);
	for (uint32_t c = first_child[parent]; c != UINT32_MAX && depth < TEST_TREE_DEPTH;
	     c = next[c]) {
		us_json_object_begin(j);
		us_json_kv_string(j, "function", us_function_name(m, t->nodes[c].fn_id));
		us_json_kv_uint(j, "count", t->nodes[c].calls);
		us_json_kv_double(j, "total_ms", us_ns_to_ms(t->nodes[c].total_ns));
		write_test_calls(j, m, t, first_child, next, c, depth + 1);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

/* "calls": the test's own call tree, from its test function down. */
static void write_test_tree(struct us_json *j, const struct us_model *m, const struct us_test *t)
{
	uint32_t *first_child = us_calloc(t->n_nodes + 1, sizeof(*first_child));
	uint32_t *last_child = us_calloc(t->n_nodes + 1, sizeof(*last_child));
	uint32_t *next = us_calloc(t->n_nodes + 1, sizeof(*next));

	for (size_t i = 0; i <= t->n_nodes; i++)
		first_child[i] = last_child[i] = next[i] = UINT32_MAX;
	for (uint32_t i = 0; i < t->n_nodes; i++) {	/* parents come before children */
		uint32_t p = t->nodes[i].parent == UINT32_MAX ? (uint32_t)t->n_nodes
							       : t->nodes[i].parent;

		if (first_child[p] == UINT32_MAX)
			first_child[p] = i;
		else
			next[last_child[p]] = i;
		last_child[p] = i;
	}
	write_test_calls(j, m, t, first_child, next, (uint32_t)t->n_nodes, 0);
	free(first_child);
	free(last_child);
	free(next);
}

void us_json_tests(struct us_json *j, const struct us_recording *rec, const struct us_model *m)
{
	us_json_key(j, "tests");
	us_json_array_begin(j);
	for (size_t i = 0; i < m->n_tests; i++) {
		const struct us_test *t = &m->tests[i];

		us_json_object_begin(j);
		us_json_kv_string(j, "nodeid", t->nodeid);
		us_json_kv_string(j, "outcome", us_test_outcome(t));
		us_json_kv_double(j, "duration_ms", us_test_duration_s(t) * 1e3);
		us_json_kv_double(j, "start_ms", us_ns_to_ms(t->start_ns > rec->start_ns
							     ? t->start_ns - rec->start_ns : 0));
		us_json_kv_double(j, "span_ms", us_ns_to_ms(t->end_ns - t->start_ns));
		us_json_kv_uint(j, "tid", t->tid);
		us_json_kv_uint(j, "calls", t->calls);
		if (t->xfail)
			us_json_kv_bool(j, "xfail", true);
		us_json_key(j, "phases");
		us_json_object_begin(j);
		for (int p = 0; p < US_TEST_PHASES; p++) {
			if (!t->phases[p].outcome[0])
				continue;
			us_json_key(j, phase_names[p]);
			us_json_object_begin(j);
			us_json_kv_string(j, "outcome", t->phases[p].outcome);
			us_json_kv_double(j, "duration_ms", t->phases[p].duration_s * 1e3);
			us_json_object_end(j);
		}
		us_json_object_end(j);
		write_test_tree(j, m, t);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}
