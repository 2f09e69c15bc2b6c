/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: pytest's tests. Each phase of a test (setup, call, teardown) ends
 * with a TestReport; the probe reads its node id, outcome, phase and
 * duration as it is made. A test is the span from its setup's start to its
 * teardown's report, its outcome decided as pytest's junit XML does: a
 * failed setup or teardown is an error, a failed call a failure, a skip a
 * skip.
 */
#ifndef USCOPE_MODEL_TESTS_H
#define USCOPE_MODEL_TESTS_H

#include "model_core.h"

void us_model_on_test_report(struct us_model *m, const struct us_event_header *ev);
/* Python function fn returned `summary` on thread t: pytest's
 * evaluate_xfail_marks says whether the coming test is marked xfail
 * (pytest turns its failed call's report into a skip only after the
 * report is made). */
void us_model_test_function_returned(struct us_model *m, struct us_thread *t,
				     const struct us_function *fn, const char *summary);
/* Frame f of thread t ends at end_ns: in a test's call phase, it counts in
 * that test's own call tree. */
void us_model_test_frame_ending(struct us_model *m, struct us_thread *t, const struct us_frame *f,
				uint64_t end_ns);
/* "passed", "failed", "error" or "skipped". */
const char *us_test_outcome(const struct us_test *t);
/* The sum of its phases' durations in seconds (pytest's). */
double us_test_duration_s(const struct us_test *t);
void us_model_free_tests(struct us_model *m);

#endif
