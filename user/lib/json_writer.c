// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "util.h"

void us_json_init(struct us_json *j, FILE *out, int pretty_depth)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->pretty_depth = pretty_depth;
	us_grow(&j->has_items, &j->has_items_cap, 1, sizeof(*j->has_items));
	j->has_items[0] = false;
}

static void newline_indent(struct us_json *j)
{
	if (j->depth > j->pretty_depth)
		return;
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Separator before a value or a key at the current level. */
static void before_item(struct us_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->has_items[j->depth])
			fputc(',', j->out);
		newline_indent(j);
		j->has_items[j->depth] = true;
	}
}

static void open_level(struct us_json *j, char c)
{
	before_item(j);
	fputc(c, j->out);
	j->depth++;
	us_grow(&j->has_items, &j->has_items_cap, (size_t)j->depth + 1, sizeof(*j->has_items));
	j->has_items[j->depth] = false;
}

static void close_level(struct us_json *j, char c)
{
	bool had_items = j->has_items[j->depth];

	j->depth--;
	if (had_items && j->depth + 1 <= j->pretty_depth)
		newline_indent(j);
	fputc(c, j->out);
}

void us_json_object_begin(struct us_json *j) { open_level(j, '{'); }
void us_json_object_end(struct us_json *j) { close_level(j, '}'); }
void us_json_array_begin(struct us_json *j) { open_level(j, '['); }
void us_json_array_end(struct us_json *j) { close_level(j, ']'); }

static void write_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void us_json_key(struct us_json *j, const char *key)
{
	before_item(j);
	write_escaped(j->out, key);
	fputs(j->depth <= j->pretty_depth ? ": " : ":", j->out);
	j->after_key = true;
}

void us_json_string(struct us_json *j, const char *s)
{
	before_item(j);
	write_escaped(j->out, s);
}

void us_json_uint(struct us_json *j, uint64_t v)
{
	before_item(j);
	fprintf(j->out, "%llu", (unsigned long long)v);
}

void us_json_int(struct us_json *j, int64_t v)
{
	before_item(j);
	fprintf(j->out, "%lld", (long long)v);
}

void us_json_double(struct us_json *j, double v)
{
	before_item(j);
	if (!isfinite(v))
		fputs("null", j->out);
	else
		fprintf(j->out, "%.3f", v);
}

void us_json_bool(struct us_json *j, bool v)
{
	before_item(j);
	fputs(v ? "true" : "false", j->out);
}

void us_json_null(struct us_json *j)
{
	before_item(j);
	fputs("null", j->out);
}

void us_json_finish(struct us_json *j)
{
	fputc('\n', j->out);
	free(j->has_items);
	j->has_items = NULL;
}

void us_json_kv_string(struct us_json *j, const char *key, const char *s)
{
	us_json_key(j, key);
	us_json_string(j, s);
}

void us_json_kv_uint(struct us_json *j, const char *key, uint64_t v)
{
	us_json_key(j, key);
	us_json_uint(j, v);
}

void us_json_kv_int(struct us_json *j, const char *key, int64_t v)
{
	us_json_key(j, key);
	us_json_int(j, v);
}

void us_json_kv_double(struct us_json *j, const char *key, double v)
{
	us_json_key(j, key);
	us_json_double(j, v);
}

void us_json_kv_bool(struct us_json *j, const char *key, bool v)
{
	us_json_key(j, key);
	us_json_bool(j, v);
}
