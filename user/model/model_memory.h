/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* model internals: memory records (model_memory.c), called by model.c. */
#ifndef USCOPE_MODEL_MEMORY_H
#define USCOPE_MODEL_MEMORY_H

#include "model_core.h"

/* Memory events (bpf/alloc.bpf.c), routed by model.c's table. */
void us_model_on_mem_alloc(struct us_model *m, const struct us_event_header *ev);
void us_model_on_mem_free(struct us_model *m, const struct us_event_header *ev);
void us_model_on_mem_break(struct us_model *m, const struct us_event_header *ev);
void us_model_on_mem_rss(struct us_model *m, const struct us_event_header *ev);
void us_model_on_mem_totals(struct us_model *m, const struct us_event_header *ev);
/* Takes the leaks if nothing did before, and sums nodes into functions. */
/* The interpreter began to shut down: what is live now leaked. */
void us_model_memory_at_finalize(struct us_model *m, uint64_t ts);
void us_model_finish_memory(struct us_model *m, uint64_t end_ns);
void us_model_free_memory(struct us_model *m);

#endif
