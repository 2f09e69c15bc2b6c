/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small, strict reader of the TOML that settings files hold (uscope.toml,
 * pyproject.toml's [tool.uscope]): in the table asked for, `key = value`
 * lines whose value is a string ("basic" or 'literal'), an integer, a
 * float, a boolean, or an array of those (over several lines too), with
 * comments. Anything else there is an error naming its line. Other tables
 * are skipped whatever they hold (multi-line strings, inline tables,
 * arrays of tables), as pyproject.toml's other sections do. Debian has no C
 * TOML library; this is all uscope needs of one.
 */
#ifndef USCOPE_TOML_H
#define USCOPE_TOML_H

#include <stddef.h>

enum us_toml_kind { US_TOML_STRING, US_TOML_INTEGER, US_TOML_FLOAT, US_TOML_BOOL };

struct us_toml_value {
	enum us_toml_kind kind;
	char *text;		/* a string's value; else the value as written ("10", "true") */
};

struct us_toml_setting {
	char *key;
	int line;		/* 1-based, in the file */
	int is_array;
	struct us_toml_value *values;	/* one, or the array's items */
	size_t n_values;
};

struct us_toml_table {
	struct us_toml_setting *settings;
	size_t n, cap;
	int found;		/* the table is in the file ("" : the top level, always) */
};

/* Reads the settings of `table` ("" for the top level, "tool.uscope") from
 * `text`. Returns 0, or -1 with "line N: what is wrong" in err. */
int us_toml_read_table(const char *text, const char *table, struct us_toml_table *out,
		       char *err, size_t err_len);
void us_toml_table_free(struct us_toml_table *t);

#endif
