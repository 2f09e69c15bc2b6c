/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* model internals: profile records (model_profile.c), routed by model.c:
 * frames and stacks by id, samples summed per thread and stack. */
#ifndef USCOPE_MODEL_PROFILE_H
#define USCOPE_MODEL_PROFILE_H

#include "model_core.h"

void us_model_on_profile_frame(struct us_model *m, const struct us_event_header *ev);
void us_model_on_profile_stack(struct us_model *m, const struct us_event_header *ev);
void us_model_on_profile_sample(struct us_model *m, const struct us_event_header *ev);
void us_model_on_profile_totals(struct us_model *m, const struct us_event_header *ev);
/* A frame of a stack, or NULL for an id no record named (a cut recording). */
const struct us_profile_frame *us_profile_frame_of(const struct us_profile *p, uint32_t id);
const struct us_profile_stack *us_profile_stack_of(const struct us_profile *p, uint32_t id);
void us_model_free_profile(struct us_model *m);

#endif
