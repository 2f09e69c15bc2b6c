/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: what the program is, beyond its events. Which code is a Python
 * program's `__main__` (the script, the -m module, -c code), so that the
 * main thread's calls fall into start-up (site, .pth files, encodings),
 * the program itself, and shutdown; and how functions are named in
 * reports: `name (file:line)`, the file as short as it stays unique, a
 * module's code as `<module json.tool>`.
 */
#ifndef USCOPE_MODEL_PROGRAM_H
#define USCOPE_MODEL_PROGRAM_H

#include "model_core.h"
#include "record.h"

/* Fills `info` from a recording's command line, working directory and
 * interpreter (owned strings: us_program_info_free). */
void us_program_info_from_recording(const struct us_recording *rec, struct us_program_info *info);

/* "json/tool.py" for /usr/lib/python3.11/json/tool.py: the path below the
 * library directory or site-packages, or below `cwd`; else the path. */
const char *us_module_relative_path(const char *file, const char *cwd);
/* "json.tool" for "json/tool.py", "json" for "json/__init__.py",
 * "importlib._bootstrap" for "<frozen importlib._bootstrap>". */
void us_module_name(const char *file, const char *cwd, char *buf, size_t len);

/* A new function: its label, and what the filters say of it (hidden, out
 * of scope, the focus). The core calls it through us_model_parts. */
void us_model_describe_function(const struct us_model *m, struct us_function *fn);
/* Python's import machinery (importlib, zipimport): --no-imports hides it. */
bool us_model_is_import_machinery(const struct us_function *fn);
/* Sets fn->label for a new function. */
void us_model_label_function(const struct us_model *m, struct us_function *fn);
/* At the end: labels name a file by its base name when that is unique. */
void us_model_shorten_labels(struct us_model *m);

/* Whether a filter's GLOB names fn: its name; for Python also its file (by
 * path, a relative path, or base name), FILE:LINE of its first line, its
 * module (json.tool) or module.qualname. */
bool us_function_matches(const struct us_model *m, const struct us_function *fn, const char *glob);

/* Whether GLOB names a function that ran. */
bool us_model_glob_matched(const struct us_model *m, const char *glob);
/* The labels of the functions that ran closest to GLOB, ", "-separated. */
void us_model_closest_functions(const struct us_model *m, const char *glob, char *buf,
				size_t len);

/* A Python program traced from its start: its main thread, the one with a
 * start-up and a program phase; NULL for any other trace. */
const struct us_thread *us_model_program_thread(const struct us_model *m);
/* Before the frame of function fn_id is pushed on t: the main thread moves
 * from start-up to the program when it is __main__'s code. */
bool us_model_is_main_code(const struct us_model *m, const struct us_thread *t, uint32_t fn_id);


#endif
