/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --condition EXPR: a predicate on one call, such as
 *   duration_ms > 10 and not function ~ 'test_*'
 * Fields: duration_ms, self_ms, calls (the calls it made), depth (1: top
 * level), alloc_bytes (allocated in it and its callees, with --memory),
 * function, module, file, exception (the type it raised; '' none), return
 * (a Python call's return value, as reports summarise it). Comparisons
 * == != < <= > >=, glob matches ~ and !~ ('parse_*'), and, or, not,
 * parentheses; strings in single or double quotes; a field alone is true
 * when it is not 0 or ''.
 */
#ifndef USCOPE_CONDITION_H
#define USCOPE_CONDITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum us_condition_field {
	US_COND_DURATION_MS,
	US_COND_SELF_MS,
	US_COND_CALLS,
	US_COND_DEPTH,
	US_COND_ALLOC_BYTES,
	US_COND_FUNCTION,	/* the first string field */
	US_COND_MODULE,
	US_COND_FILE,
	US_COND_EXCEPTION,
	US_COND_RETURN,
	US_COND_FIELDS,
};

/* One call's values. Strings may be NULL (read as ''). */
struct us_condition_values {
	double number[US_COND_FUNCTION];
	const char *text[US_COND_FIELDS - US_COND_FUNCTION];
};

struct us_condition;

/* Parses `text`; NULL with a message that names the column on error. */
struct us_condition *us_condition_parse(const char *text, char *err, size_t err_len);
bool us_condition_matches(const struct us_condition *c, const struct us_condition_values *v);
/* Whether the condition reads `field` at all (the model computes only
 * what is read). */
bool us_condition_uses(const struct us_condition *c, enum us_condition_field field);
const char *us_condition_text(const struct us_condition *c);
void us_condition_free(struct us_condition *c);

#endif
