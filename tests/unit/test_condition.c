// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --condition: parsing, errors with their column, evaluation on one call. */
#include <stdlib.h>
#include "condition.h"
#include "unit.h"

static struct us_condition_values a_call(double duration_ms, const char *function)
{
	struct us_condition_values v = { 0 };

	v.number[US_COND_DURATION_MS] = duration_ms;
	v.number[US_COND_SELF_MS] = duration_ms / 2;
	v.number[US_COND_DEPTH] = 3;
	v.number[US_COND_CALLS] = 0;
	v.text[US_COND_FUNCTION - US_COND_FUNCTION] = function;
	v.text[US_COND_FILE - US_COND_FUNCTION] = "/src/app/parse.py";
	v.text[US_COND_EXCEPTION - US_COND_FUNCTION] = "";
	return v;
}

static bool matches(const char *text, const struct us_condition_values *v)
{
	char err[256];
	struct us_condition *c = us_condition_parse(text, err, sizeof(err));
	bool yes;

	if (!c) {
		fprintf(stderr, "    %s\n", err);
		return false;
	}
	yes = us_condition_matches(c, v);
	us_condition_free(c);
	return yes;
}

TEST(condition_compares_numbers_and_text)
{
	struct us_condition_values slow = a_call(12.5, "parse_header"), fast = a_call(0.2, "emit");

	CHECK(matches("duration_ms > 10", &slow));
	CHECK(!matches("duration_ms > 10", &fast));
	CHECK(matches("duration_ms >= 12.5 and self_ms < 7", &slow));
	CHECK(matches("depth == 3", &slow) && !matches("depth != 3", &slow));
	CHECK(matches("function ~ 'parse_*'", &slow) && !matches("function ~ 'parse_*'", &fast));
	CHECK(matches("function !~ \"parse_*\"", &fast));
	CHECK(matches("function == emit", &fast));	/* a bare word is text */
	CHECK(matches("file ~ '*/app/*'", &slow));
	CHECK(!matches("exception", &slow) && matches("not exception", &slow));
	CHECK(!matches("calls", &slow));	/* a field alone: not 0 */
	CHECK(matches("module == ''", &slow));	/* unset text reads as '' */
}

TEST(condition_and_binds_tighter_than_or_and_parentheses_win)
{
	struct us_condition_values fast = a_call(0.2, "emit");

	CHECK(matches("depth == 3 or duration_ms > 10 and function == x", &fast));
	CHECK(!matches("(depth == 3 or duration_ms > 10) and function == x", &fast));
	CHECK(matches("not (duration_ms > 10) && !(function == x) || depth > 99", &fast));
}

static void check_error(const char *text, const char *expected)
{
	char err[256] = "";
	struct us_condition *c = us_condition_parse(text, err, sizeof(err));

	CHECK(c == NULL);
	if (!strstr(err, expected)) {
		fprintf(stderr, "    %s: got '%s', expected '%s'\n", text, err, expected);
		unit_fail(__FILE__, __LINE__, "error message");
	}
	us_condition_free(c);
}

TEST(condition_errors_point_at_the_column)
{
	check_error("duraton_ms > 3", "column 1: no field 'duraton_ms' (did you mean duration_ms?)");
	check_error("duration_ms > > 3", "column 15: duration_ms is a number");
	check_error("function > 'a'", "column 12: function is text");
	check_error("depth ~ 'a'", "column 9: depth is a number: ~ and !~ match text");
	check_error("(depth < 3", "column 1: this parenthesis is never closed");
	check_error("depth < 3)", "column 10: expected 'and', 'or' or the end");
	check_error("function == 'abc", "column 13: this string has no closing '");
	check_error("depth < 3 and", "column 14: the expression ends where a field was expected");
	check_error("depth # 3", "column 7: unexpected '#'");
	check_error("   ", "the condition is empty");
	check_error("speed > 3", "no field 'speed': fields are duration_ms");
}

TEST(condition_says_which_fields_it_reads)
{
	char err[256];
	struct us_condition *c = us_condition_parse("module == a or not alloc_bytes", err, sizeof(err));

	CHECK(c != NULL);
	CHECK(us_condition_uses(c, US_COND_MODULE));
	CHECK(us_condition_uses(c, US_COND_ALLOC_BYTES));
	CHECK(!us_condition_uses(c, US_COND_DURATION_MS));
	CHECK(strcmp(us_condition_text(c), "module == a or not alloc_bytes") == 0);
	us_condition_free(c);
}
