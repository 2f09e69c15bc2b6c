/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: repeated call patterns. Among one call's children (in the order
 * they ran), a block of up to US_PATTERN_MAX_PERIOD calls that runs again
 * and again: "6x [attention -> get -> 2x [forward -> layer_name]]". Two
 * calls are the same when their function and their whole subtree's shape
 * are (a hash of each subtree, made as calls end). Found exactly, as each
 * call ends, in time linear in the number of calls for a bounded period;
 * the same block under the same function in many calls is one pattern.
 */
#ifndef USCOPE_MODEL_PATTERNS_H
#define USCOPE_MODEL_PATTERNS_H

#include <stdint.h>
#include "model_types.h"

#define US_PATTERN_MAX_PERIOD 32	/* calls in one iteration of a block */
#define US_PATTERN_MAX_CHILDREN (1u << 20)	/* a call's children kept for the search */
#define US_PATTERN_OUTLIER_FACTOR 3	/* an iteration slower than 3x the median */
#define US_PATTERN_MAX_OUTLIERS 100	/* iteration numbers kept; the rest counted */

/* (struct us_child_calls and struct us_call_pattern are in model_types.h) */

/* A frame was pushed at index `depth` of the thread's stack. */
void us_patterns_frame_pushed(struct us_thread *t, size_t depth);
/* A shown call ended: `f` was at `depth` on the stack; `parent_depth` is its
 * shown parent's index, or SIZE_MAX for the thread's root. */
void us_patterns_call_ended(struct us_model *m, struct us_thread *t, const struct us_frame *f,
			    size_t depth, size_t parent_depth, uint64_t end_ns);
/* Tracing ended: the threads' top-level calls are searched too. */
void us_patterns_finish(struct us_model *m);
void us_patterns_free(struct us_model *m);

#endif
