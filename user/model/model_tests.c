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

void us_model_free_tests(struct us_model *m)
{
	for (size_t i = 0; i < m->n_tests; i++)
		free(m->tests[i].nodeid);
	free(m->tests);
	m->tests = NULL;
	m->n_tests = m->tests_cap = 0;
	us_map_free(&m->test_index);
}
