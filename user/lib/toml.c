// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The settings files' TOML (toml.h): a cursor over the text that counts
 * lines, strict in the table asked for, lenient elsewhere. */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "toml.h"
#include "util.h"

struct reader {
	const char *at;
	int line;
	char *err;
	size_t err_len;
	bool failed;
};

static void fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct reader *r, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->err_len, "line %d: %s", r->line, what);
}

static void skip_blanks(struct reader *r)
{
	while (*r->at == ' ' || *r->at == '\t')
		r->at++;
}

static void skip_comment(struct reader *r)
{
	if (*r->at == '#')
		while (*r->at && *r->at != '\n')
			r->at++;
}

/* Blanks, comments and newlines (between a table's statements, or inside
 * an array). */
static void skip_space(struct reader *r)
{
	for (;;) {
		skip_blanks(r);
		skip_comment(r);
		if (*r->at == '\r' && r->at[1] == '\n')
			r->at++;
		if (*r->at != '\n')
			return;
		r->at++;
		r->line++;
	}
}

/* After a statement: blanks, maybe a comment, then the end of the line. */
static void end_of_line(struct reader *r)
{
	skip_blanks(r);
	skip_comment(r);
	if (*r->at == '\r')
		r->at++;
	if (*r->at && *r->at != '\n')
		fail(r, "unexpected '%c' after the value", *r->at);
}

/* ---- values ------------------------------------------------------------ */

static void put_utf8(char **out, unsigned long c)
{
	char *o = *out;

	if (c < 0x80) {
		*o++ = (char)c;
	} else if (c < 0x800) {
		*o++ = (char)(0xc0 | (c >> 6));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (char)(0xe0 | (c >> 12));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (char)(0xf0 | (c >> 18));
		*o++ = (char)(0x80 | ((c >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	}
	*out = o;
}

static bool read_escape(struct reader *r, char **out)
{
	static const char plain[] = "\"\\btnfr", meant[] = "\"\\\b\t\n\f\r";
	const char *p = strchr(plain, *r->at);
	int digits = *r->at == 'u' ? 4 : *r->at == 'U' ? 8 : 0;
	unsigned long c = 0;

	if (p && *r->at) {
		*(*out)++ = meant[p - plain];
		r->at++;
		return true;
	}
	if (!digits) {
		fail(r, "unknown escape \\%c in a string", *r->at ? *r->at : ' ');
		return false;
	}
	r->at++;
	for (int i = 0; i < digits; i++, r->at++) {
		if (!isxdigit((unsigned char)*r->at)) {
			fail(r, "\\u needs %d hexadecimal digits", digits);
			return false;
		}
		c = c * 16 + (unsigned long)(isdigit((unsigned char)*r->at) ? *r->at - '0'
					     : (tolower((unsigned char)*r->at) - 'a' + 10));
	}
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		fail(r, "\\u%0*lx is not a character", digits, c);
		return false;
	}
	put_utf8(out, c);
	return true;
}

/* A one-line string at r->at (its opening quote). */
static char *read_string(struct reader *r)
{
	char quote = *r->at, *text, *out;

	if (r->at[1] == quote && r->at[2] == quote) {
		fail(r, "multi-line strings are not supported in uscope's settings");
		return NULL;
	}
	text = out = us_calloc(strlen(r->at) + 1, 1);
	for (r->at++; *r->at != quote; ) {
		if (!*r->at || *r->at == '\n') {
			fail(r, "this string has no closing %c", quote);
			free(text);
			return NULL;
		}
		if (quote == '"' && *r->at == '\\') {
			r->at++;
			if (!read_escape(r, &out)) {
				free(text);
				return NULL;
			}
			continue;
		}
		*out++ = *r->at++;
	}
	r->at++;
	*out = '\0';
	return text;
}

/* An integer or a float, underscores between digits allowed. */
static bool read_number(struct reader *r, struct us_toml_value *v)
{
	const char *s = r->at;
	char *text = us_calloc(strlen(s) + 1, 1), *out = text;
	bool digits = false, fraction = false, exponent = false;

	if (*s == '+' || *s == '-')
		*out++ = *s++;
	for (;; s++) {
		if (isdigit((unsigned char)*s)) {
			*out++ = *s;
			digits = true;
		} else if (*s == '_' && digits && isdigit((unsigned char)s[1])) {
			continue;
		} else if (*s == '.' && digits && !fraction && !exponent &&
			   isdigit((unsigned char)s[1])) {
			*out++ = *s;
			fraction = true;
		} else if ((*s == 'e' || *s == 'E') && digits && !exponent) {
			*out++ = *s;
			exponent = true;
			if (s[1] == '+' || s[1] == '-')
				*out++ = *++s;
		} else {
			break;
		}
	}
	if (!digits || isalpha((unsigned char)*s) || (exponent && !isdigit((unsigned char)out[-1]))) {
		fail(r, "expected a value (a string in quotes, a number, true or false)");
		free(text);
		return false;
	}
	*out = '\0';
	v->kind = fraction || exponent ? US_TOML_FLOAT : US_TOML_INTEGER;
	v->text = text;
	r->at = s;
	return true;
}

static bool read_scalar(struct reader *r, struct us_toml_value *v)
{
	if (*r->at == '"' || *r->at == '\'') {
		v->kind = US_TOML_STRING;
		v->text = read_string(r);
		return v->text != NULL;
	}
	if (strncmp(r->at, "true", 4) == 0 || strncmp(r->at, "false", 5) == 0) {
		size_t n = r->at[0] == 't' ? 4 : 5;

		if (isalnum((unsigned char)r->at[n]) || r->at[n] == '_') {
			fail(r, "expected a value (a string in quotes, a number, true or false)");
			return false;
		}
		v->kind = US_TOML_BOOL;
		v->text = us_strdup(n == 4 ? "true" : "false");
		r->at += n;
		return true;
	}
	if (*r->at == '{') {
		fail(r, "inline tables are not supported in uscope's settings");
		return false;
	}
	if (*r->at == '[') {
		fail(r, "arrays inside arrays are not supported in uscope's settings");
		return false;
	}
	return read_number(r, v);
}

static bool never_closed(struct reader *r, int opened)
{
	r->line = opened;	/* the error names where it began */
	fail(r, "this array is never closed");
	return false;
}

static bool read_array(struct reader *r, struct us_toml_setting *s)
{
	size_t cap = 0;
	int opened = r->line;

	s->is_array = 1;
	r->at++;
	for (;;) {
		skip_space(r);
		if (*r->at == ']') {
			r->at++;
			return true;
		}
		if (!*r->at)
			return never_closed(r, opened);
		us_grow(&s->values, &cap, s->n_values + 1, sizeof(*s->values));
		if (!read_scalar(r, &s->values[s->n_values]))
			return false;
		s->n_values++;
		skip_space(r);
		if (!*r->at)
			return never_closed(r, opened);
		if (*r->at == ',')
			r->at++;
		else if (*r->at != ']') {
			fail(r, "expected ',' or ']' in the array");
			return false;
		}
	}
}

/* ---- statements ---------------------------------------------------------- */

static char *read_key(struct reader *r)
{
	const char *start = r->at;

	if (*r->at == '"' || *r->at == '\'')
		return read_string(r);
	while (isalnum((unsigned char)*r->at) || *r->at == '_' || *r->at == '-')
		r->at++;
	if (r->at == start) {
		fail(r, "expected a setting (name = value)");
		return NULL;
	}
	return us_asprintf("%.*s", (int)(r->at - start), start);
}

static void read_setting(struct reader *r, struct us_toml_table *t)
{
	struct us_toml_setting s = { .line = r->line };

	s.key = read_key(r);
	if (!s.key)
		return;
	skip_blanks(r);
	if (*r->at == '.') {
		fail(r, "dotted keys are not supported in uscope's settings");
	} else if (*r->at != '=') {
		fail(r, "expected '=' after %s", s.key);
	} else {
		r->at++;
		skip_blanks(r);
		if (*r->at == '[') {
			read_array(r, &s);
		} else {
			s.values = us_calloc(1, sizeof(*s.values));
			if (read_scalar(r, s.values))
				s.n_values = 1;
		}
		end_of_line(r);
	}
	for (size_t i = 0; !r->failed && i < t->n; i++)
		if (strcmp(t->settings[i].key, s.key) == 0)
			fail(r, "%s is set twice (first on line %d)", s.key, t->settings[i].line);
	us_grow(&t->settings, &t->cap, t->n + 1, sizeof(*t->settings));
	t->settings[t->n++] = s;	/* freed with the table, even when it failed */
}

/* A statement of another table, whatever it holds: to the end of its line
 * outside strings and brackets. */
static void skip_statement(struct reader *r)
{
	int depth = 0;

	while (*r->at) {
		const char *triple = NULL;

		if (*r->at == '\n') {
			if (!depth)
				return;
			r->line++;
		} else if (*r->at == '#') {
			skip_comment(r);
			continue;
		} else if (*r->at == '[' || *r->at == '{') {
			depth++;
		} else if ((*r->at == ']' || *r->at == '}') && depth) {
			depth--;
		} else if (*r->at == '"' || *r->at == '\'') {
			char q = *r->at;

			if (r->at[1] == q && r->at[2] == q) {
				triple = r->at;
				for (r->at += 3; *r->at && strncmp(r->at, triple, 3) != 0; r->at++) {
					if (*r->at == '\\' && q == '"' && r->at[1])
						r->at++;
					if (*r->at == '\n')
						r->line++;
				}
				r->at += *r->at ? 3 : 0;
				continue;
			}
			for (r->at++; *r->at && *r->at != q && *r->at != '\n'; r->at++)
				if (*r->at == '\\' && q == '"' && r->at[1] && r->at[1] != '\n')
					r->at++;
		}
		if (*r->at)
			r->at++;
	}
}

/* "[name]" or "[[name]]": the table's name, spaces around its parts gone. */
static char *read_header(struct reader *r, bool *array_of_tables)
{
	char *name = us_calloc(strlen(r->at) + 1, 1), *out = name;

	*array_of_tables = r->at[1] == '[';
	r->at += *array_of_tables ? 2 : 1;
	while (*r->at && *r->at != ']' && *r->at != '\n') {
		if (*r->at != ' ' && *r->at != '\t')
			*out++ = *r->at;
		r->at++;
	}
	if (*r->at != ']' || (*array_of_tables && r->at[1] != ']')) {
		fail(r, "this table name is never closed");
		free(name);
		return NULL;
	}
	r->at += *array_of_tables ? 2 : 1;
	end_of_line(r);
	return name;
}

int us_toml_read_table(const char *text, const char *table, struct us_toml_table *out,
		       char *err, size_t err_len)
{
	struct reader r = { .at = text, .line = 1, .err = err, .err_len = err_len };
	bool inside = !*table;

	memset(out, 0, sizeof(*out));
	out->found = inside;
	while (!r.failed) {
		skip_space(&r);
		if (!*r.at)
			break;
		if (*r.at == '[') {
			bool array;
			char *name = read_header(&r, &array);

			if (!name)
				break;
			inside = !array && strcmp(name, table) == 0;
			out->found |= inside;
			free(name);
		} else if (inside) {
			read_setting(&r, out);
		} else {
			skip_statement(&r);
		}
	}
	return r.failed ? -1 : 0;
}

void us_toml_table_free(struct us_toml_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->settings[i].n_values; k++)
			free(t->settings[i].values[k].text);
		free(t->settings[i].values);
		free(t->settings[i].key);
	}
	free(t->settings);
	memset(t, 0, sizeof(*t));
}
