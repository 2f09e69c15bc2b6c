// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* report: every format renders the same model as its readers expect. */
#include <stdlib.h>
#include "model_helpers.h"
#include "record.h"
#include "report_formats.h"
#include "report_text.h"
#include "unit.h"

static const char *const names[] = { "main", "parse", "emit" };

static char *render(enum us_format format)
{
	struct us_recording rec = { 0 };
	struct us_model m;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct us_report_stream *stream;

	make_plan(&rec.plan, names, 3);
	rec.uscope_version = "test";
	rec.mode = "run";
	rec.pid = 42;
	rec.start_ns = 0;
	rec.end_ns = 10000000;
	rec.exited = true;
	stream = us_report_stream_new(out, format, NULL);
	us_model_init(&m, &rec.plan, NULL, us_report_stream_sink(stream));
	if (stream)
		stream_begin(stream, &rec);
	enter(&m, 42, 1000, 0, 0x8000);
	enter(&m, 42, 2000, 1, 0x7f00);
	leave(&m, 42, 5002000, 1, 0x7f00);
	enter(&m, 42, 5003000, 2, 0x7f00);
	leave(&m, 42, 6003000, 2, 0x7f00);
	leave(&m, 42, 9001000, 0, 0x8000);
	us_model_finish(&m, rec.end_ns);
	if (stream)
		us_report_stream_finish(stream, &rec, &m);
	else
		us_report_write(out, format, &rec, &m, NULL);
	fclose(out);
	us_model_free(&m);
	us_plan_free(&rec.plan);
	return text;
}

TEST(report_tree_draws_glyphs_and_percentages)
{
	char *t = render(US_FORMAT_TREE);

	CHECK(strstr(t, "Thread 42") != NULL);
	CHECK(strstr(t, "├─ parse") != NULL);
	CHECK(strstr(t, "└─ emit") != NULL);
	CHECK(strstr(t, "100.0") != NULL);
	CHECK(strstr(t, "Total(ms)") != NULL);
	CHECK(strstr(t, "      5.000 ") != NULL);	/* parse, in the ms column */
	CHECK(strstr(t, "0 lost events") != NULL);
	free(t);
}

TEST(report_flat_sorted_by_self)
{
	char *t = render(US_FORMAT_FLAT);
	char *parse = strstr(t, "  parse\n"), *main_row = strstr(t, "  main\n");
	char *emit = strstr(t, "  emit\n");

	CHECK(parse && main_row && emit);
	CHECK(parse < main_row && main_row < emit);	/* self: 5 ms, 3 ms, 1 ms */
	free(t);
}

TEST(report_json_fields)
{
	char *t = render(US_FORMAT_JSON);

	CHECK(strstr(t, "\"pid\": 42") != NULL);
	CHECK(strstr(t, "\"exit_status\": 0") != NULL);
	CHECK(strstr(t, "\"lost_events\": 0") != NULL);
	CHECK(strstr(t, "\"function\": \"parse\"") != NULL);
	CHECK(strstr(t, "\"total_ms\": 5.000") != NULL);
	CHECK(strstr(t, "\"inferred_exits\": 0") != NULL);
	free(t);
}

TEST(report_timeline_json_orders_calls_and_returns)
{
	char *t = render(US_FORMAT_TIMELINE_JSON);
	char *ret_parse = strstr(t, "\"event\":\"return\",\"function\":\"parse\"");
	char *call_emit = strstr(t, "\"event\":\"call\",\"function\":\"emit\"");

	CHECK(ret_parse && call_emit && ret_parse < call_emit);
	CHECK(strstr(t, "\"time_ms\":0.001,\"event\":\"call\",\"function\":\"main\"") != NULL);
	free(t);
}

/* Text, like uftrace replay: a call with no callee on one line. */
TEST(report_timeline_text_indents_and_folds_leaves)
{
	char *t = render(US_FORMAT_TIMELINE);
	char *main_open = strstr(t, "  main() {\n");
	char *parse = strstr(t, "    parse();\n");
	char *emit = strstr(t, "    emit();\n");
	char *main_close = strstr(t, "  } /* main */\n");

	CHECK(main_open && parse && emit && main_close);
	CHECK(main_open < parse && parse < emit && emit < main_close);
	CHECK(strstr(t, "5.000 ms") != NULL);	/* parse's duration */
	free(t);
}

TEST(report_chrome_has_x_and_m_events)
{
	char *t = render(US_FORMAT_CHROME);

	CHECK(strstr(t, "\"traceEvents\"") != NULL);
	CHECK(strstr(t, "\"ph\":\"M\"") != NULL);
	CHECK(strstr(t, "{\"name\":\"parse\",\"cat\":\"native\",\"ph\":\"X\",\"ts\":2.000,\"dur\":5000.000") != NULL);
	free(t);
}

/* A name too long for the terminal is cut, not its place; a place that
 * leaves too little of the name is cut like the rest. */
TEST(report_cut_keeps_the_place_of_a_long_name)
{
	const char *line = "│  ├─ a_rather_long_qualified.function_name (file.py:12)  (+3 resumes)";
	size_t start, len;
	char out[256];
	FILE *f;

	us_label_place("a_rather_long_qualified.function_name (file.py:12)", &start, &len);
	CHECK(len == strlen(" (file.py:12)"));
	f = fmemopen(out, sizeof(out), "w");
	us_print_cut_keeping(f, line, 45, strlen("│  ├─ "), start + strlen("│  ├─ "), len);
	fclose(f);
	CHECK(strcmp(out, "│  ├─ a_rather_long_qualified.f… (file.py:12)") == 0);
	f = fmemopen(out, sizeof(out), "w");
	us_print_cut_keeping(f, line, 25, strlen("│  ├─ "), start + strlen("│  ├─ "), len);
	fclose(f);
	CHECK(strcmp(out, "│  ├─ a_rather_long_qual…") == 0);
	us_label_place("<module json.tool>", &start, &len);
	CHECK(len == 0);
}
