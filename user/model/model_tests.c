// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model_tests.h"
#include "util.h"

static struct us_test *test_of(struct us_model *m, const char *nodeid, uint32_t tid,
			       uint64_t start_ns)
{
	uint64_t key = us_hash_str(nodeid);
	uint32_t i;

	for (;; key = us_hash_u64(key)) {	/* node ids may share a hash */
		i = us_map_get(&m->test_index, key);
		if (i == US_MAP_NONE || strcmp(m->tests[i].nodeid, nodeid) == 0)
			break;
	}
	if (i != US_MAP_NONE)
		return &m->tests[i];
	us_grow(&m->tests, &m->tests_cap, m->n_tests + 1, sizeof(*m->tests));
	m->tests[m->n_tests] = (struct us_test){
		.nodeid = us_strdup(nodeid), .tid = tid, .start_ns = start_ns,
		.calls_at_start = m->total_calls,
	};
	us_map_put(&m->test_index, key, (uint32_t)m->n_tests);
	return &m->tests[m->n_tests++];
}

static int phase_of(const char *when)
{
	return !strcmp(when, "setup") ? US_TEST_SETUP : !strcmp(when, "call") ? US_TEST_CALL
	       : !strcmp(when, "teardown") ? US_TEST_TEARDOWN : -1;
}

void us_model_on_test_report(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_test_report_event *ev = (const struct us_py_test_report_event *)hdr;
	char nodeid[US_TEST_NODEID_LEN + 1], when[17];
	double duration;
	uint64_t start;
	struct us_thread *thread = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	struct us_test *t;
	int phase;

	snprintf(nodeid, sizeof(nodeid), "%.*s", (int)sizeof(ev->nodeid), ev->nodeid);
	snprintf(when, sizeof(when), "%.*s", (int)sizeof(ev->when), ev->when);
	memcpy(&duration, &ev->duration_bits, sizeof(duration));
	phase = phase_of(when);
	if (!nodeid[0] || phase < 0)
		return;
	start = isfinite(duration) && duration >= 0 && duration * 1e9 < (double)ev->hdr.ts_ns
		? ev->hdr.ts_ns - (uint64_t)(duration * 1e9) : ev->hdr.ts_ns;
	t = test_of(m, nodeid, ev->hdr.tid, start);
	snprintf(t->phases[phase].outcome, sizeof(t->phases[phase].outcome), "%.*s",
		 (int)sizeof(ev->outcome), ev->outcome);
	t->phases[phase].duration_s = isfinite(duration) ? duration : 0;
	if (phase == US_TEST_CALL && thread->xfail_marked &&
	    !strcmp(t->phases[phase].outcome, "failed"))
		t->xfail = true;
	if (phase == US_TEST_TEARDOWN)
		thread->xfail_marked = false;
	/* its call phase runs between its setup's report and its call's */
	thread->current_test = phase == US_TEST_SETUP && !strcmp(t->phases[phase].outcome, "passed")
			       ? (uint32_t)(t - m->tests) + 1 : 0;
	thread->test_base = 0;
	t->end_ns = ev->hdr.ts_ns;
	t->calls = m->total_calls - t->calls_at_start;
}

const char *us_test_outcome(const struct us_test *t)
{
	const struct us_test_phase *p = t->phases;

	if (!strcmp(p[US_TEST_SETUP].outcome, "failed") ||
	    !strcmp(p[US_TEST_TEARDOWN].outcome, "failed"))
		return "error";
	if (!strcmp(p[US_TEST_CALL].outcome, "failed"))
		return t->xfail ? "skipped" : "failed";
	if (!strcmp(p[US_TEST_SETUP].outcome, "skipped") ||
	    !strcmp(p[US_TEST_CALL].outcome, "skipped"))
		return "skipped";
	return "passed";
}

double us_test_duration_s(const struct us_test *t)
{
	return t->phases[US_TEST_SETUP].duration_s + t->phases[US_TEST_CALL].duration_s +
	       t->phases[US_TEST_TEARDOWN].duration_s;
}

void us_model_test_function_returned(struct us_model *m, struct us_thread *t,
				     const struct us_function *fn, const char *summary)
{
	size_t n = strlen(fn->file);

	(void)m;
	if (strcmp(fn->name, "evaluate_xfail_marks") != 0 || n < 19 ||
	    strcmp(fn->file + n - 19, "_pytest/skipping.py") != 0)
		return;
	if (strcmp(summary, "None") != 0)
		t->xfail_marked = true;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), k = strlen(tail);

	return n >= k && strcmp(s + n - k, tail) == 0;
}

/* pytest_pyfunc_call calls the test function: the frame above it is the
 * root of the test's own tree. The index past it on t's stack, or 0. */
static size_t test_base(const struct us_model *m, const struct us_thread *t)
{
	for (size_t i = t->depth; i > 0; i--) {
		const struct us_function *fn = &m->functions[t->stack[i - 1].fn_id];

		if (fn->kind == US_FN_PYTHON && !strcmp(fn->name, "pytest_pyfunc_call") &&
		    ends_with(fn->file, "_pytest/python.py"))
			return i;
	}
	return 0;
}

/* Whether fn is the function of the test `nodeid` ("f.py::TestA::test_b[1]":
 * test_b, or TestA.test_b where names are qualified). */
static bool is_test_function(const struct us_function *fn, const char *nodeid)
{
	const char *name = strrchr(nodeid, ':'), *dot = strrchr(fn->name, '.');
	const char *fn_name = dot ? dot + 1 : fn->name;
	size_t n;

	name = name ? name + 1 : nodeid;
	n = strcspn(name, "[");
	return fn->kind == US_FN_PYTHON && strlen(fn_name) == n && strncmp(fn_name, name, n) == 0;
}

static uint32_t test_node(struct us_test *test, uint32_t parent, uint32_t fn_id)
{
	uint64_t key = (uint64_t)parent << 32 | fn_id;
	uint32_t i = us_map_get(&test->node_index, key);

	if (i != US_MAP_NONE)
		return i;
	us_grow(&test->nodes, &test->nodes_cap, test->n_nodes + 1, sizeof(*test->nodes));
	test->nodes[test->n_nodes] = (struct us_test_node){ .fn_id = fn_id, .parent = parent };
	us_map_put(&test->node_index, key, (uint32_t)test->n_nodes);
	return (uint32_t)test->n_nodes++;
}

void us_model_test_frame_ending(struct us_model *m, struct us_thread *t, const struct us_frame *f,
				uint64_t end_ns)
{
	const struct us_frame *root;
	struct us_test *test;
	uint32_t node = UINT32_MAX;

	if (!t->current_test || t->current_test > m->n_tests)
		return;
	if (!t->test_base || t->test_base > t->depth)
		t->test_base = test_base(m, t);
	if (!t->test_base || t->depth < t->test_base)
		return;	/* not below the test function's caller */
	test = &m->tests[t->current_test - 1];
	root = t->depth == t->test_base ? f : &t->stack[t->test_base];
	if (!is_test_function(&m->functions[root->fn_id], test->nodeid))
		return;	/* pytest's own work around the call */
	for (size_t i = t->test_base; i < t->depth; i++)
		node = test_node(test, node, t->stack[i].fn_id);
	node = test_node(test, node, f->fn_id);
	test->nodes[node].calls += f->counted && !f->resume;
	test->nodes[node].total_ns += end_ns > f->start_ns ? end_ns - f->start_ns : 0;
}

void us_model_free_tests(struct us_model *m)
{
	for (size_t i = 0; i < m->n_tests; i++) {
		free(m->tests[i].nodeid);
		free(m->tests[i].nodes);
		us_map_free(&m->tests[i].node_index);
	}
	free(m->tests);
	m->tests = NULL;
	m->n_tests = m->tests_cap = 0;
	us_map_free(&m->test_index);
}
