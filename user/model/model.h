/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: events -> calls -> aggregates. Each thread has a shadow stack of the
 * calls it is in, native and Python alike (each Python frame is one C call of
 * _PyEval_EvalFrameDefault, so both nest by stack pointer). Returns the kernel
 * never reports (more than 64 pending uretprobes on a thread, longjmp, a
 * thread exiting mid-call) are reconciled from the stack pointer of later
 * events, so call counts stay exact; such calls end at the first event that
 * proves they returned and are counted as inferred exits.
 *
 * The model is a core (model_core.h: functions, threads, push and pop) that
 * its parts plug into: the program's phases and names (model_program.h),
 * Python (model_python.h), memory (model_memory.h). model.c routes each
 * event type to its part through one table.
 */
#ifndef USCOPE_MODEL_H
#define USCOPE_MODEL_H

#include "model_core.h"
#include "model_memory.h"
#include "model_profile.h"
#include "model_program.h"
#include "model_python.h"
#include "model_types.h"

/* `sink` (may be NULL) sees calls, spans and counters as they complete. */
void us_model_init(struct us_model *m, const struct us_plan *plan,
		   const struct us_filters *filters, const struct us_model_sink *sink);
/* Before the first event: what the program is (copied). */
void us_model_set_program(struct us_model *m, const struct us_program_info *info);
void us_model_add_event(struct us_model *m, const struct us_event_header *ev);
/* Closes calls still open at `end_ns`. */
void us_model_finish(struct us_model *m, uint64_t end_ns);
void us_model_free(struct us_model *m);

#endif
