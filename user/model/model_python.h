/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model internals shared by model.c (the shadow stacks) and model_python.c
 * (Python events: code objects, calls and resumes, return values, exceptions
 * and their chains, garbage collections, imports).
 */
#ifndef USCOPE_MODEL_PYTHON_H
#define USCOPE_MODEL_PYTHON_H

#include "model_core.h"
#include "python_lines.h"

/* Writes a one-line summary of a Python value ("int 42", "str 'a'",
 * "DataFrame", "ValueError: bad") into buf. */
void us_py_value_format(const struct us_py_value *v, char *buf, size_t len);

/* A local variable's type and value as the step reports show them:
 * ("int", "5"), ("list", "len 3"), ("str", "'abc'"), ("Counter", "<Counter>"). */
void us_py_local_format(const struct us_py_value *v, char *type, size_t type_len, char *value,
			size_t value_len);
/* The function of a code object, or a stand-in when its record was lost. */
uint32_t us_model_function_of_code(struct us_model *m, uint64_t code);
/* The line of `fn_id` at bytecode `offset`, from its line table; -1 unknown. */
int32_t us_model_line_at(const struct us_model *m, uint32_t fn_id, int32_t offset);
/* Ends the exception chain still propagating on t, if any. */
void us_model_close_chain(struct us_model *m, struct us_thread *t, bool caught);
/* Python events (bpf/python.bpf.c), routed by model.c's table. */
void us_model_on_py_code(struct us_model *m, const struct us_event_header *ev);
void us_model_on_func_stats(struct us_model *m, const struct us_event_header *ev);
void us_model_on_py_entry(struct us_model *m, const struct us_event_header *ev);
void us_model_on_py_exit(struct us_model *m, const struct us_event_header *ev);
void us_model_on_py_args(struct us_model *m, const struct us_event_header *ev);
void us_model_on_py_exception(struct us_model *m, const struct us_event_header *ev);
void us_model_on_py_gc(struct us_model *m, const struct us_event_header *ev);
void us_model_on_py_import(struct us_model *m, const struct us_event_header *ev);
void us_model_free_python(struct us_model *m);

#endif
