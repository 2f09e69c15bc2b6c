/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: the core every part builds on. Functions, call-tree nodes, threads
 * with their shadow stacks, push and pop, and the native call, return and
 * thread-exit events. It knows nothing of Python or memory: the parts see
 * calls through the model's sink and are asked through us_model_parts.
 */
#ifndef USCOPE_MODEL_CORE_H
#define USCOPE_MODEL_CORE_H

#include "model_types.h"

/* An empty model over `plan`'s native sites; `parts` may be NULL. */
void us_model_core_init(struct us_model *m, const struct us_plan *plan,
			const struct us_filters *filters, const struct us_model_sink *sink,
			const struct us_model_parts *parts);
/* Closes calls still open at `end_ns`; marks the paths of exceptions. */
void us_model_core_finish(struct us_model *m, uint64_t end_ns);
void us_model_core_free(struct us_model *m);

uint32_t us_model_new_root(struct us_model *m);
uint32_t us_model_add_function(struct us_model *m, const struct us_function *fn);
struct us_thread *us_model_thread(struct us_model *m, uint32_t tid, uint64_t ts);
void us_model_on_task_new(struct us_model *m, const struct us_event_header *hdr);
void us_model_on_exec(struct us_model *m, const struct us_event_header *hdr);
void us_model_on_process_info(struct us_model *m, const struct us_event_header *hdr);
/* The function of probe site `site`; US_ROOT_FN for a site the plan lacks. */
uint32_t us_model_site_function(struct us_model *m, uint32_t site);
void us_model_push(struct us_model *m, struct us_thread *t, struct us_frame f, bool tail_call);
uint32_t us_model_pop(struct us_model *m, struct us_thread *t, uint64_t end_ns, bool inferred,
		      bool raised);
void us_model_reconcile_for_exit(struct us_model *m, struct us_thread *t, uint64_t entry_sp,
				 uint64_t ts);

/* A glob matches a function's name, its file, or "module.name" (module: the
 * file's base name without .py). */
/* importlib's bootstrap, frozen or not. */

/* Native events. */
void us_model_on_call(struct us_model *m, const struct us_event_header *ev);
void us_model_on_return(struct us_model *m, const struct us_event_header *ev);
void us_model_on_thread_exit(struct us_model *m, const struct us_event_header *ev);
void us_model_on_lost(struct us_model *m, const struct us_event_header *ev);

/* The thread moves to a later phase (start-up -> program -> shutdown). */
void us_model_enter_phase(struct us_model *m, struct us_thread *t, enum us_phase phase,
			  uint64_t ts);
void us_program_info_free(struct us_program_info *info);

/* A node a report shows: it ran, and --exception-only keeps it. */
bool us_node_shown(const struct us_model *m, uint32_t node);

#endif
