/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model internals shared by model.c (the shadow stacks) and model_python.c
 * (Python events: code objects, calls and resumes, return values, exceptions
 * and their chains, garbage collections, imports).
 */
#ifndef USCOPE_MODEL_PYTHON_H
#define USCOPE_MODEL_PYTHON_H

#include "model.h"

uint32_t us_model_new_root(struct us_model *m);
uint32_t us_model_add_function(struct us_model *m, const struct us_function *fn);
struct us_thread *us_model_thread(struct us_model *m, uint32_t tid, uint64_t ts);
void us_model_push(struct us_model *m, struct us_thread *t, struct us_frame f, bool tail_call);
uint32_t us_model_pop(struct us_model *m, struct us_thread *t, uint64_t end_ns, bool inferred,
		      bool raised);
void us_model_reconcile_for_exit(struct us_model *m, struct us_thread *t, uint64_t entry_sp,
				 uint64_t ts);

/* A glob matches a function's name, its file, or "module.name" (module: the
 * file's base name without .py). */
/* importlib's bootstrap, frozen or not. */
bool us_model_is_import_machinery(const struct us_function *fn);
/* Ends the exception chain still propagating on t, if any. */
void us_model_close_chain(struct us_model *m, struct us_thread *t, bool caught);
void us_model_add_python_event(struct us_model *m, const struct us_event_header *ev);
void us_model_free_python(struct us_model *m);

#endif
