/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A streaming JSON writer: commas, escaping and indentation handled here. */
#ifndef USCOPE_JSON_WRITER_H
#define USCOPE_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct us_json {
	FILE *out;
	int pretty_depth;	/* items nested deeper than this stay on one line */
	int depth;
	bool *has_items;	/* per open level */
	size_t has_items_cap;
	bool after_key;
};

#define US_JSON_PRETTY 1000000	/* indent every level */
#define US_JSON_COMPACT 0

/* `pretty_depth`: US_JSON_PRETTY, US_JSON_COMPACT, or 2 for one item of a
 * top-level array per line. */
void us_json_init(struct us_json *j, FILE *out, int pretty_depth);
void us_json_object_begin(struct us_json *j);
void us_json_object_end(struct us_json *j);
void us_json_array_begin(struct us_json *j);
void us_json_array_end(struct us_json *j);
void us_json_key(struct us_json *j, const char *key);
void us_json_string(struct us_json *j, const char *s);
void us_json_uint(struct us_json *j, uint64_t v);
void us_json_int(struct us_json *j, int64_t v);
void us_json_double(struct us_json *j, double v);	/* 3 decimals */
void us_json_bool(struct us_json *j, bool v);
void us_json_null(struct us_json *j);
/* A key and its value in one call. */
void us_json_kv_string(struct us_json *j, const char *key, const char *s);
void us_json_kv_uint(struct us_json *j, const char *key, uint64_t v);
void us_json_kv_int(struct us_json *j, const char *key, int64_t v);
void us_json_kv_double(struct us_json *j, const char *key, double v);
void us_json_kv_bool(struct us_json *j, const char *key, bool v);
/* Ends the document with a newline and frees the writer's state. */
void us_json_finish(struct us_json *j);

#endif
