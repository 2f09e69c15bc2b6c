// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Python: offset tables, line tables, and the model's Python events. */
#include <stdio.h>
#include <string.h>
#include "model.h"
#include "model_tests.h"
#include "plan_python.h"
#include "unit.h"

/* co_linetable and co_lines() of this function, from CPython 3.11.2:
 *     def f(x):              # line 2
 *         y = x + 1
 *         if y > 2:
 *             z = [i for i in range(y)]
 *             return z
 *         raise ValueError(
 *             "no")
 */
static const uint8_t linetable_311[] = {
	0x80, 0x00, 0xd8, 0x08, 0x09, 0x88, 0x41, 0x89, 0x05, 0x80, 0x41, 0xd8, 0x07, 0x08, 0x88,
	0x31, 0x82, 0x75, 0x80, 0x75, 0xd8, 0x0c, 0x21, 0xd0, 0x0c, 0x21, 0x9d, 0x05, 0x98, 0x61,
	0x99, 0x08, 0x9c, 0x08, 0xd0, 0x0c, 0x21, 0xd1, 0x0c, 0x21, 0xd4, 0x0c, 0x21, 0x88, 0x01,
	0xd8, 0x0f, 0x10, 0x88, 0x08, 0xdd, 0x0a, 0x14, 0xd8, 0x08, 0x0c, 0xf1, 0x03, 0x01, 0x0b,
	0x0e, 0xf4, 0x00, 0x01, 0x0b, 0x0e, 0xf0, 0x00, 0x01, 0x05, 0x0e,
};
static const int32_t co_lines_311[][2] = {	/* (start offset, line) */
	{ 0, 2 }, { 2, 3 }, { 4, 3 }, { 6, 3 }, { 10, 3 }, { 12, 4 }, { 14, 4 }, { 16, 4 },
	{ 22, 4 }, { 24, 5 }, { 26, 5 }, { 28, 5 }, { 40, 5 }, { 42, 5 }, { 46, 5 }, { 56, 5 },
	{ 58, 5 }, { 62, 5 }, { 72, 5 }, { 74, 6 }, { 76, 6 }, { 78, 7 }, { 90, 8 }, { 92, 7 },
	{ 96, 7 }, { 106, 7 },
};

TEST(python_line_table_matches_co_lines)
{
	size_t n = sizeof(co_lines_311) / sizeof(co_lines_311[0]);

	for (size_t i = 0; i < n; i++) {
		int32_t start = co_lines_311[i][0];
		int32_t end = i + 1 < n ? co_lines_311[i + 1][0] : start + 2;

		for (int32_t off = start; off < end; off += 2)
			CHECK_EQ(us_py_line_of_offset(linetable_311, sizeof(linetable_311), 2, off),
				 co_lines_311[i][1]);
	}
	CHECK(us_py_line_of_offset(linetable_311, sizeof(linetable_311), 2, 4000) == -1);
	CHECK(us_py_line_of_offset(linetable_311, 10, 2, 106) == -1);	/* truncated */
	CHECK(us_py_line_of_offset(NULL, 0, 2, 0) == -1);
}

TEST(python_layouts_exist_for_3_8_to_3_13_only)
{
	struct us_py_layout l;
	int64_t eval_frame;

	for (int minor = US_PYTHON_MIN_MINOR; minor <= US_PYTHON_MAX_MINOR; minor++) {
		CHECK(us_python_layout_for(minor, &l, &eval_frame));
		CHECK_EQ(l.minor, minor);
		CHECK(eval_frame > 0);

		/* the probe reads these fields in one 128-byte read */
		int32_t fields[] = { l.code_flags, l.code_argcount, l.code_firstlineno, l.code_name,
				     l.code_qualname, l.code_filename };

		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			CHECK(fields[i] < 0 ||
			      (fields[i] >= l.code_header_start && fields[i] + 8 <= l.code_header_start + 128));
		CHECK((minor <= 10) == (l.frame_lasti >= 0));
		CHECK(l.code_linetable >= 0);	/* every version's line table: call-site lines */
		CHECK((minor <= 10) == (l.lasti_bytes > 0));
		CHECK((minor >= 11) == (l.tstate_frame >= 0 && l.frame_owner >= 0));
	}
	CHECK(!us_python_layout_for(7, &l, &eval_frame));
	CHECK(!us_python_layout_for(14, &l, &eval_frame));
}

TEST(python_minor_from_file_names)
{
	CHECK_EQ(us_python_minor_from_name("/usr/lib/libpython3.12.so.1.0"), 12);
	CHECK_EQ(us_python_minor_from_name("/usr/bin/python3.11"), 11);
	CHECK_EQ(us_python_minor_from_name("python3.8"), 8);
	CHECK(us_python_minor_from_name("/usr/bin/python3") == -1);
	CHECK(us_python_minor_from_name("/usr/lib/libc.so.6") == -1);
}

TEST(python_values_are_summarised)
{
	struct us_py_value v = { .kind = US_PY_VALUE_INT, .number = -42 };
	char buf[128];
	double d = 2.5;

	us_py_value_format(&v, buf, sizeof(buf));
	CHECK(strcmp(buf, "int -42") == 0);
	v = (struct us_py_value){ .kind = US_PY_VALUE_FLOAT };
	memcpy(&v.number, &d, sizeof(d));
	us_py_value_format(&v, buf, sizeof(buf));
	CHECK(strcmp(buf, "float 2.5") == 0);
	v = (struct us_py_value){ .kind = US_PY_VALUE_STR, .text_len = 3, .truncated = 1 };
	memcpy(v.text, "abc", 3);
	us_py_value_format(&v, buf, sizeof(buf));
	CHECK(strcmp(buf, "str 'abc...'") == 0);
	v = (struct us_py_value){ .kind = US_PY_VALUE_OBJECT };
	strcpy(v.type_name, "DataFrame");
	us_py_value_format(&v, buf, sizeof(buf));
	CHECK(strcmp(buf, "DataFrame") == 0);
	v = (struct us_py_value){ .kind = US_PY_VALUE_BOOL, .number = 0 };
	us_py_value_format(&v, buf, sizeof(buf));
	CHECK(strcmp(buf, "bool False") == 0);
}

/* ---- the model fed Python events ---- */

static void code(struct us_model *m, uint64_t addr, const char *name, uint32_t line,
		 uint32_t flags)
{
	struct us_py_code_event e = {
		.hdr = { US_EV_PY_CODE, sizeof(e), 1, 1 }, .code = addr, .first_line = line,
		.flags = flags,
	};

	strcpy(e.qualname, name);
	strcpy(e.file, "/app.py");
	us_model_add_event(m, &e.hdr);
}

static void py_enter_on(struct us_model *m, uint32_t tid, uint64_t ts, uint64_t addr, uint64_t sp,
			uint32_t kind)
{
	struct us_py_entry_event e = {
		.hdr = { US_EV_PY_ENTRY, sizeof(e), tid, ts }, .code = addr, .sp = sp, .kind = kind,
	};

	us_model_add_event(m, &e.hdr);
}

static void py_enter(struct us_model *m, uint64_t ts, uint64_t addr, uint64_t sp, uint32_t kind)
{
	py_enter_on(m, 1, ts, addr, sp, kind);
}

static void py_leave_on(struct us_model *m, uint32_t tid, uint64_t ts, uint64_t sp,
			const char *raise)
{
	struct us_py_exit_event e = {
		.hdr = { US_EV_PY_EXIT, sizeof(e), tid, ts }, .sp = sp + US_RETURN_SP_DELTA,
		.line = raise ? 7 : -1, .offset = -1,
		.value = { .kind = raise ? US_PY_VALUE_EXCEPTION : US_PY_VALUE_NONE },
	};

	if (raise)
		strcpy(e.value.type_name, raise);
	us_model_add_event(m, &e.hdr);
}

static void py_leave(struct us_model *m, uint64_t ts, uint64_t sp, const char *raise)
{
	py_leave_on(m, 1, ts, sp, raise);
}

static const struct us_func_stats *stats_of(const struct us_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_functions; i++)
		if (strcmp(m->functions[i].name, name) == 0)
			return &m->funcs[i];
	return NULL;
}

TEST(python_resumes_are_not_calls)
{
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, NULL);
	code(&m, 0x100, "main", 1, 0);
	code(&m, 0x200, "gen", 5, US_CO_GENERATOR);
	py_enter(&m, 10, 0x100, 0x9000, US_PY_CALL);
	py_enter(&m, 11, 0x200, 0x8000, US_PY_GENERATOR_NEW);	/* 3.11+: builds it */
	py_leave(&m, 12, 0x8000, NULL);
	for (int i = 0; i < 4; i++) {
		py_enter(&m, 20 + 2 * i, 0x200, 0x8000, i ? US_PY_RESUME : US_PY_CALL);
		py_leave(&m, 21 + 2 * i, 0x8000, NULL);
	}
	py_leave(&m, 40, 0x9000, NULL);
	us_model_finish(&m, 50);
	CHECK_EQ(stats_of(&m, "gen")->count, 1);
	CHECK_EQ(stats_of(&m, "gen")->resumes, 3);
	CHECK_EQ(m.total_calls, 2);
	CHECK_EQ(m.unmatched_exits, 0);
	us_model_free(&m);
}

TEST(python_exception_chains_and_where_they_stop)
{
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, NULL);
	code(&m, 0x100, "<module>", 1, 0);
	code(&m, 0x200, "outer", 3, 0);
	code(&m, 0x300, "inner", 6, 0);
	py_enter(&m, 1, 0x100, 0x9000, US_PY_CALL);
	py_enter(&m, 2, 0x200, 0x8000, US_PY_CALL);
	py_enter(&m, 3, 0x300, 0x7000, US_PY_CALL);
	py_leave(&m, 4, 0x7000, "KeyError");	/* inner raises */
	py_leave(&m, 5, 0x8000, "KeyError");	/* through outer */
	py_enter(&m, 6, 0x200, 0x8000, US_PY_CALL);	/* <module> caught it and goes on */
	py_enter(&m, 7, 0x300, 0x7000, US_PY_CALL);
	py_leave(&m, 8, 0x7000, "ValueError");
	py_leave(&m, 9, 0x8000, "ValueError");
	py_leave(&m, 10, 0x9000, "ValueError");	/* out of the script: uncaught */
	us_model_finish(&m, 20);
	CHECK_EQ(m.n_chains, 2);
	CHECK(strcmp(m.chains[0].type, "KeyError") == 0);
	CHECK_EQ(m.chains[0].n_frames, 2);
	CHECK(m.chains[0].caught);
	CHECK_EQ(m.chains[0].lines[0], 7);
	CHECK(strcmp(m.chains[1].type, "ValueError") == 0);
	CHECK_EQ(m.chains[1].n_frames, 3);
	CHECK(!m.chains[1].caught);
	us_model_free(&m);
}

/* Two threads with exceptions in flight at once: each chain closes on its
 * own thread, whichever opened last (once a use-after-free). */
TEST(python_exception_chains_of_two_threads_interleave)
{
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, NULL);
	code(&m, 0x100, "worker", 1, 0);
	code(&m, 0x200, "middle", 3, 0);
	code(&m, 0x300, "thrower", 6, 0);
	for (uint32_t tid = 1; tid <= 2; tid++) {
		uint64_t sp = 0x9000 * tid;

		py_enter_on(&m, tid, tid, 0x100, sp, US_PY_CALL);
		py_enter_on(&m, tid, 2 + tid, 0x200, sp - 0x100, US_PY_CALL);
		py_enter_on(&m, tid, 4 + tid, 0x300, sp - 0x200, US_PY_CALL);
	}
	py_leave_on(&m, 1, 10, 0x9000 - 0x200, "ValueError");	/* thread 1 opens a chain */
	py_leave_on(&m, 2, 11, 0x12000 - 0x200, "ValueError");	/* then thread 2 */
	py_leave_on(&m, 1, 12, 0x9000 - 0x100, "ValueError");
	py_enter_on(&m, 1, 13, 0x200, 0x9000 - 0x100, US_PY_CALL);	/* worker 1 caught it */
	py_leave_on(&m, 2, 14, 0x12000 - 0x100, "ValueError");
	py_enter_on(&m, 2, 15, 0x200, 0x12000 - 0x100, US_PY_CALL);	/* worker 2 caught it */
	us_model_finish(&m, 20);
	CHECK_EQ(m.n_chains, 1);	/* identical chains merge */
	CHECK_EQ(m.chains[0].count, 2);
	CHECK(strcmp(m.chains[0].type, "ValueError") == 0);
	CHECK_EQ(m.chains[0].n_frames, 2);
	CHECK(m.chains[0].caught);
	us_model_free(&m);
}

/* A loop raising a new message each time: a path keeps 8 messages, the
 * rest count under one "(other messages)" chain, and so does the node. */
TEST(python_many_messages_fold_into_one_chain)
{
	struct us_plan plan = { 0 };
	struct us_model m;
	uint64_t total = 0;

	us_model_init(&m, &plan, NULL, NULL);
	code(&m, 0x100, "worker", 1, 0);
	code(&m, 0x300, "thrower", 6, 0);
	py_enter(&m, 1, 0x100, 0x9000, US_PY_CALL);
	for (uint64_t i = 0; i < 100; i++) {
		char message[32];
		struct us_py_exception_event x = {
			.hdr = { US_EV_PY_EXCEPTION, sizeof(x), 1, 10 + 4 * i },
		};

		snprintf(message, sizeof(message), "bad %llu", (unsigned long long)i);
		x.message_len = (uint32_t)strlen(message);
		memcpy(x.message, message, x.message_len);
		py_enter(&m, 11 + 4 * i, 0x300, 0x8f00, US_PY_CALL);
		us_model_add_event(&m, &x.hdr);
		py_leave(&m, 12 + 4 * i, 0x8f00, "ValueError");
		py_enter(&m, 13 + 4 * i, 0x100, 0x9000, US_PY_RESUME);	/* caught */
	}
	us_model_finish(&m, 1000);
	CHECK_EQ(m.n_chains, 9);
	for (size_t i = 0; i < m.n_chains; i++)
		total += m.chains[i].count;
	CHECK_EQ(total, 100);
	CHECK(strcmp(m.chains[8].message, "(other messages)") == 0);
	CHECK_EQ(m.chains[8].count, 92);
	us_model_free(&m);
}

/* ---- --lines ---- */

static void line(struct us_model *m, uint64_t ts, uint64_t addr, int32_t lineno)
{
	struct us_py_line_event e = {
		.hdr = { US_EV_PY_LINE, sizeof(e), 1, ts }, .code = addr, .offset = -1, .line = lineno,
	};

	us_model_add_event(m, &e.hdr);
}

static const struct us_line_stats *line_stats(const struct us_model *m, const char *fn, int32_t l)
{
	for (size_t i = 0; i < m->n_lines; i++)
		if (m->lines[i].line == l && strcmp(m->functions[m->lines[i].fn_id].name, fn) == 0)
			return &m->lines[i];
	return NULL;
}

TEST(python_line_time_runs_to_the_next_line_and_holds_its_calls)
{
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, NULL);
	code(&m, 0x100, "main", 1, 0);
	code(&m, 0x200, "work", 10, 0);
	py_enter(&m, 100, 0x100, 0x9000, US_PY_CALL);
	line(&m, 110, 0x100, 2);		/* main:2 calls work: 110..300 */
	py_enter(&m, 120, 0x200, 0x8000, US_PY_CALL);
	line(&m, 130, 0x200, 11);
	line(&m, 150, 0x200, 12);
	line(&m, 170, 0x200, 11);		/* a loop: 11 again */
	py_leave(&m, 290, 0x8000, NULL);	/* 11 ends with the frame */
	line(&m, 300, 0x100, 3);
	py_leave(&m, 400, 0x9000, NULL);
	us_model_finish(&m, 500);
	CHECK_EQ(line_stats(&m, "main", 2)->count, 1);
	CHECK_EQ(line_stats(&m, "main", 2)->time_ns, 190);
	CHECK_EQ(line_stats(&m, "work", 11)->count, 2);
	CHECK_EQ(line_stats(&m, "work", 11)->time_ns, 20 + 120);
	CHECK_EQ(line_stats(&m, "work", 12)->time_ns, 20);
	CHECK_EQ(line_stats(&m, "main", 3)->time_ns, 100);
	CHECK_EQ(m.line_events, 5);
	us_model_free(&m);
}

TEST(python_a_recursive_line_is_timed_once)
{
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, NULL);
	code(&m, 0x100, "fact", 1, 0);
	py_enter(&m, 100, 0x100, 0x9000, US_PY_CALL);
	line(&m, 100, 0x100, 2);		/* return n * fact(n - 1) */
	py_enter(&m, 110, 0x100, 0x8000, US_PY_CALL);
	line(&m, 110, 0x100, 2);
	py_leave(&m, 150, 0x8000, NULL);
	py_leave(&m, 200, 0x9000, NULL);
	us_model_finish(&m, 300);
	CHECK_EQ(line_stats(&m, "fact", 2)->count, 2);
	CHECK_EQ(line_stats(&m, "fact", 2)->time_ns, 100);	/* not 100 + 40 */
	us_model_free(&m);
}

TEST(python_lines_of_a_frame_entered_before_tracing_count_untimed)
{
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, NULL);
	code(&m, 0x100, "loop", 1, 0);
	line(&m, 100, 0x100, 2);
	line(&m, 200, 0x100, 3);
	us_model_finish(&m, 300);
	CHECK_EQ(line_stats(&m, "loop", 2)->count, 1);
	CHECK_EQ(line_stats(&m, "loop", 2)->untimed, 1);
	CHECK_EQ(line_stats(&m, "loop", 2)->time_ns, 0);
	us_model_free(&m);
}

/* ---- pytest's tests ---- */

static void test_report(struct us_model *m, uint64_t ts, const char *nodeid, const char *when,
			const char *outcome, double seconds)
{
	struct us_py_test_report_event e = { .hdr = { US_EV_PY_TEST_REPORT, sizeof(e), 1, ts } };

	strcpy(e.nodeid, nodeid);
	strcpy(e.when, when);
	strcpy(e.outcome, outcome);
	memcpy(&e.duration_bits, &seconds, sizeof(seconds));
	us_model_add_event(m, &e.hdr);
}

static void code_in(struct us_model *m, uint64_t addr, const char *name, const char *file)
{
	struct us_py_code_event e = {
		.hdr = { US_EV_PY_CODE, sizeof(e), 1, 1 }, .code = addr, .first_line = 1,
	};

	strcpy(e.qualname, name);
	strcpy(e.file, file);
	us_model_add_event(m, &e.hdr);
}

TEST(pytest_outcomes_are_decided_as_junit_does)
{
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, NULL);
	test_report(&m, 100, "t.py::a", "setup", "passed", 0.001);
	test_report(&m, 200, "t.py::a", "call", "failed", 0.002);
	test_report(&m, 300, "t.py::a", "teardown", "passed", 0.001);
	test_report(&m, 400, "t.py::b", "setup", "failed", 0.001);
	test_report(&m, 500, "t.py::b", "teardown", "passed", 0.001);
	test_report(&m, 600, "t.py::c", "setup", "skipped", 0.001);
	test_report(&m, 700, "t.py::c", "teardown", "passed", 0.001);
	test_report(&m, 800, "t.py::d", "setup", "passed", 0.001);
	test_report(&m, 900, "t.py::d", "call", "passed", 0.004);
	test_report(&m, 950, "t.py::d", "teardown", "failed", 0.001);
	us_model_finish(&m, 1000);
	CHECK_EQ(m.n_tests, 4);
	CHECK(strcmp(us_test_outcome(&m.tests[0]), "failed") == 0);
	CHECK(strcmp(us_test_outcome(&m.tests[1]), "error") == 0);
	CHECK(strcmp(us_test_outcome(&m.tests[2]), "skipped") == 0);
	CHECK(strcmp(us_test_outcome(&m.tests[3]), "error") == 0);	/* teardown failed */
	CHECK(us_test_duration_s(&m.tests[0]) > 0.0039 && us_test_duration_s(&m.tests[0]) < 0.0041);
	us_model_free(&m);
}

TEST(pytest_each_test_has_its_own_call_tree)
{
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, NULL);
	code_in(&m, 0x100, "pytest_pyfunc_call", "/usr/lib/python3/dist-packages/_pytest/python.py");
	code_in(&m, 0x200, "test_squares", "/app/test_x.py");
	code_in(&m, 0x300, "helper", "/app/test_x.py");
	for (int k = 0; k < 2; k++) {	/* two parametrised runs of one function */
		uint64_t t0 = 1000 * (uint64_t)(k + 1);
		char id[32];

		snprintf(id, sizeof(id), "test_x.py::test_squares[%d]", k);
		test_report(&m, t0, id, "setup", "passed", 0.0);
		py_enter(&m, t0 + 10, 0x100, 0x9000, US_PY_CALL);
		py_enter(&m, t0 + 20, 0x200, 0x8000, US_PY_CALL);
		for (int i = 0; i <= k; i++) {
			py_enter(&m, t0 + 30 + 10 * i, 0x300, 0x7000, US_PY_CALL);
			py_leave(&m, t0 + 35 + 10 * i, 0x7000, NULL);
		}
		py_leave(&m, t0 + 80, 0x8000, NULL);
		py_leave(&m, t0 + 90, 0x9000, NULL);
		test_report(&m, t0 + 100, id, "call", "passed", 0.0);
		test_report(&m, t0 + 110, id, "teardown", "passed", 0.0);
	}
	us_model_finish(&m, 5000);
	CHECK_EQ(m.n_tests, 2);
	for (int k = 0; k < 2; k++) {
		const struct us_test *t = &m.tests[k];

		CHECK_EQ(t->n_nodes, 2);	/* test_squares -> helper */
		CHECK(strcmp(m.functions[t->nodes[0].fn_id].name, "test_squares") == 0);
		CHECK_EQ(t->nodes[0].calls, 1);
		CHECK_EQ(t->nodes[0].total_ns, 60);
		CHECK_EQ(t->nodes[1].parent, 0);
		CHECK_EQ(t->nodes[1].calls, (uint64_t)k + 1);
	}
	us_model_free(&m);
}

/* ---- --locals at calls and returns, --globals ---- */

struct variables_seen {
	int n_locals, n_globals;
	enum us_locals_moment moments[8];
	int64_t values[8];		/* the first slot's */
	int64_t previous[8];		/* the same before; -1 none */
	int64_t global_values[4];	/* global "g" */
	int64_t global_before[4];	/* -1 none */
};

static void record_locals(void *ctx, const struct us_model *m, size_t thread, uint32_t fn_id,
			  enum us_locals_moment moment, uint64_t ts_ns,
			  const struct us_py_value *values, const struct us_py_value *previous,
			  uint32_t count)
{
	struct variables_seen *seen = ctx;
	int i = seen->n_locals++;

	(void)m, (void)thread, (void)fn_id, (void)ts_ns, (void)count;
	if (i >= 8)
		return;
	seen->moments[i] = moment;
	seen->values[i] = values[0].number;
	seen->previous[i] = previous ? previous[0].number : -1;
}

static void record_globals(void *ctx, const struct us_model *m, size_t thread,
			   const struct us_globals_snapshot *now,
			   const struct us_globals_snapshot *before)
{
	struct variables_seen *seen = ctx;
	int i = seen->n_globals++;

	(void)m, (void)thread;
	if (i >= 4)
		return;
	seen->global_values[i] = now->vars[0].value.number;
	seen->global_before[i] = before ? before->vars[0].value.number : -1;
}

static void slots_at(struct us_model *m, uint64_t ts, uint64_t code, enum us_locals_moment moment,
		     int64_t value)
{
	struct us_py_locals_event e = {
		.hdr = { US_EV_PY_LOCALS, sizeof(e), 1, ts }, .code = code, .count = 1, .total = 1,
		.moment = (uint16_t)moment,
	};

	e.values[0] = (struct us_py_value){ .kind = US_PY_VALUE_INT, .number = value };
	us_model_add_event(m, &e.hdr);
}

static void generator_run(struct us_model *m, uint64_t ts, uint64_t code, uint32_t kind)
{
	struct us_py_entry_event e = {
		.hdr = { US_EV_PY_ENTRY, sizeof(e), 1, ts }, .code = code, .sp = 0x8000,
		.kind = kind, .frame = 0xf000,
	};

	us_model_add_event(m, &e.hdr);
}

TEST(locals_of_a_resumed_generator_go_on_from_its_yield)
{
	struct variables_seen seen = { 0 };
	struct us_model_sink sink = { .ctx = &seen, .locals_seen = record_locals };
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, &sink);
	code(&m, 0x300, "countdown", 1, US_CO_SUSPENDABLE);
	generator_run(&m, 100, 0x300, US_PY_CALL);
	slots_at(&m, 101, 0x300, US_LOCALS_AT_CALL, 2);
	slots_at(&m, 110, 0x300, US_LOCALS_AT_RETURN, 2);	/* a yield */
	py_leave(&m, 111, 0x8000, NULL);
	generator_run(&m, 200, 0x300, US_PY_RESUME);
	slots_at(&m, 201, 0x300, US_LOCALS_AT_CALL, 2);
	slots_at(&m, 210, 0x300, US_LOCALS_AT_RETURN, 1);
	py_leave(&m, 211, 0x8000, NULL);
	us_model_finish(&m, 300);
	CHECK_EQ(seen.n_locals, 4);
	CHECK_EQ(seen.moments[0], US_LOCALS_AT_CALL);
	CHECK_EQ(seen.previous[0], -1);			/* a call: all new */
	CHECK_EQ(seen.moments[1], US_LOCALS_AT_RETURN);
	CHECK_EQ(seen.previous[1], 2);			/* against the call's */
	CHECK_EQ(seen.previous[2], 2);			/* the resume: against the yield's */
	CHECK_EQ(seen.values[3], 1);
	CHECK_EQ(seen.previous[3], 2);
	us_model_free(&m);
}

static void module_globals(struct us_model *m, uint64_t ts, int64_t value)
{
	struct us_py_globals_event e = {
		.hdr = { US_EV_PY_GLOBALS, sizeof(e), 1, ts }, .code = 0x100, .dict = 0xd000,
		.count = 1, .total = 1, .scanned = 5, .entries = 5,
	};

	strcpy(e.vars[0].name, "g");
	e.vars[0].value = (struct us_py_value){ .kind = US_PY_VALUE_INT, .number = value };
	us_model_add_event(m, &e.hdr);
}

TEST(globals_are_told_with_the_module_s_last_reading)
{
	struct variables_seen seen = { 0 };
	struct us_model_sink sink = { .ctx = &seen, .globals_seen = record_globals };
	struct us_plan plan = { 0 };
	struct us_model m;

	us_model_init(&m, &plan, NULL, &sink);
	code(&m, 0x100, "<module>", 1, 0);
	py_enter(&m, 100, 0x100, 0x9000, US_PY_CALL);
	module_globals(&m, 110, 5);
	module_globals(&m, 120, 6);
	py_leave(&m, 200, 0x9000, NULL);
	us_model_finish(&m, 300);
	CHECK_EQ(seen.n_globals, 2);
	CHECK_EQ(seen.global_before[0], -1);
	CHECK_EQ(seen.global_values[1], 6);
	CHECK_EQ(seen.global_before[1], 5);
	us_model_free(&m);
}
