/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: await points. A coroutine's frame runs in pieces: each run ends
 * when it suspends (an await that has to wait) and the next resumes it. The
 * span between is one await: where it suspended (the line), what it awaited
 * (the coroutine or generator below it that suspended too, else the type
 * of what the run yielded: a Future), and for how long.
 */
#ifndef USCOPE_MODEL_AWAITS_H
#define USCOPE_MODEL_AWAITS_H

#include "model_core.h"

/* Whether a function's frames are coroutines (async def, or a generator
 * made one by types.coroutine). */
bool us_is_coroutine(const struct us_function *fn);
/* The run of frame f (a generator's or coroutine's, on top of t) ends at
 * ts, at `line` of its code, having yielded a `yielded` (a type name). */
void us_model_run_ended(struct us_model *m, struct us_thread *t, const struct us_frame *f,
			int32_t line, const char *yielded, uint64_t ts);
/* A coroutine's first run in frame `instance` (a frame may be reused). */
void us_model_run_first(struct us_model *m, uint64_t instance);
/* The frame `instance` resumes at ts: what it waited for ends. */
void us_model_run_resumed(struct us_model *m, uint64_t instance, uint64_t ts);
void us_model_free_awaits(struct us_model *m);

#endif
