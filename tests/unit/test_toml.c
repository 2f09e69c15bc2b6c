// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The settings files' TOML reader: values, arrays, other tables skipped,
 * errors with their line. */
#include <stdlib.h>
#include "toml.h"
#include "unit.h"

static const struct us_toml_setting *setting(const struct us_toml_table *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->settings[i].key, key) == 0)
			return &t->settings[i];
	return NULL;
}

TEST(toml_reads_strings_numbers_booleans_and_arrays)
{
	const char *text =
		"# uscope.toml\n"
		"format = \"flat\"   # a comment\n"
		"scope = 'src\\dir'\n"
		"escaped = \"a\\\"b\\\\c\\n\\u00e9\"\n"
		"min-duration = 1_000\n"
		"ratio = -2.5e3\n"
		"all = true\n"
		"lines = false\n"
		"exclude = [\n"
		"  \"_*\",  # private\n"
		"  'test_*',\n"
		"]\n"
		"empty = []\n";
	struct us_toml_table t;
	char err[256] = "";
	const struct us_toml_setting *s;

	CHECK(us_toml_read_table(text, "", &t, err, sizeof(err)) == 0);
	CHECK(t.found && t.n == 9);
	s = setting(&t, "format");
	CHECK(s && s->line == 2 && s->n_values == 1 && !s->is_array);
	CHECK(s && s->values[0].kind == US_TOML_STRING && strcmp(s->values[0].text, "flat") == 0);
	s = setting(&t, "scope");	/* a literal string keeps its backslash */
	CHECK(s && strcmp(s->values[0].text, "src\\dir") == 0);
	s = setting(&t, "escaped");
	CHECK(s && strcmp(s->values[0].text, "a\"b\\c\n\xc3\xa9") == 0);
	s = setting(&t, "min-duration");
	CHECK(s && s->values[0].kind == US_TOML_INTEGER && strcmp(s->values[0].text, "1000") == 0);
	s = setting(&t, "ratio");
	CHECK(s && s->values[0].kind == US_TOML_FLOAT && strcmp(s->values[0].text, "-2.5e3") == 0);
	s = setting(&t, "lines");
	CHECK(s && s->values[0].kind == US_TOML_BOOL && strcmp(s->values[0].text, "false") == 0);
	s = setting(&t, "exclude");
	CHECK(s && s->is_array && s->n_values == 2 && s->line == 9);
	CHECK(s && strcmp(s->values[1].text, "test_*") == 0);
	s = setting(&t, "empty");
	CHECK(s && s->is_array && s->n_values == 0);
	us_toml_table_free(&t);
}

TEST(toml_reads_one_table_of_pyproject_and_skips_the_others)
{
	const char *text =
		"[project]\n"
		"name = \"demo\"\n"
		"readme = {file = \"README.md\", content-type = \"text/markdown\"}\n"
		"description = \"\"\"\n"
		"[tool.uscope]\n"	/* inside a multi-line string: not a table */
		"format = 'nope'\n"
		"\"\"\"\n"
		"authors = [\n"
		"  {name = \"A\"},\n"
		"]\n"
		"[[tool.poetry.source]]\n"
		"url = 'x'\n"
		"[ tool . uscope ]\n"
		"format = \"json\"\n"
		"[tool.other]\n"
		"format = 3\n";
	struct us_toml_table t;
	char err[256] = "";

	CHECK(us_toml_read_table(text, "tool.uscope", &t, err, sizeof(err)) == 0);
	CHECK(t.found && t.n == 1);
	CHECK(t.n == 1 && strcmp(t.settings[0].values[0].text, "json") == 0);
	CHECK(t.n == 1 && t.settings[0].line == 14);
	us_toml_table_free(&t);
	CHECK(us_toml_read_table("[project]\nname = 'x'\n", "tool.uscope", &t, err,
				 sizeof(err)) == 0);
	CHECK(!t.found && t.n == 0);
	us_toml_table_free(&t);
}

static void check_error(const char *text, const char *expected)
{
	struct us_toml_table t;
	char err[256] = "";

	CHECK(us_toml_read_table(text, "", &t, err, sizeof(err)) == -1);
	if (!strstr(err, expected)) {
		fprintf(stderr, "    %s: got '%s', expected '%s'\n", text, err, expected);
		unit_fail(__FILE__, __LINE__, "error message");
	}
	us_toml_table_free(&t);
}

TEST(toml_errors_name_their_line)
{
	check_error("a = 1\nb = \n", "line 2: expected a value");
	check_error("a = 'x\n", "line 1: this string has no closing '");
	check_error("\n\na = [1, 2\n", "line 3: this array is never closed");
	check_error("a = 1\na = 2\n", "line 2: a is set twice (first on line 1)");
	check_error("a.b = 1\n", "line 1: dotted keys are not supported");
	check_error("a = {x = 1}\n", "line 1: inline tables are not supported");
	check_error("a = \"\"\"x\"\"\"\n", "line 1: multi-line strings are not supported");
	check_error("a = 1 2\n", "line 1: unexpected '2' after the value");
	check_error("a 1\n", "line 1: expected '=' after a");
	check_error("a = \"\\q\"\n", "line 1: unknown escape \\q");
	check_error("a = tru\n", "line 1: expected a value");
	check_error("[tool\n", "line 1: this table name is never closed");
	check_error("a = [[1]]\n", "line 1: arrays inside arrays are not supported");
}
