// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include "model_awaits.h"
#include "python_layout.h"
#include "util.h"

#define CO_ITERABLE_COROUTINE 0x100	/* a generator types.coroutine made awaitable */

bool us_is_coroutine(const struct us_function *fn)
{
	return fn->kind == US_FN_PYTHON &&
	       (fn->code_flags & (US_CO_COROUTINE | CO_ITERABLE_COROUTINE));
}

/* The coroutine running in frame `instance` (one that began before tracing
 * did gets its number at its first suspension). */
static uint32_t coroutine_of(struct us_model *m, uint64_t instance)
{
	uint32_t id = us_map_get(&m->coroutine_ids, instance);

	if (id == US_MAP_NONE) {
		id = m->n_coroutines++;
		us_map_put(&m->coroutine_ids, instance, id);
	}
	return id;
}

void us_model_run_ended(struct us_model *m, struct us_thread *t, const struct us_frame *f,
			int32_t line, const char *yielded, uint64_t ts)
{
	struct us_frame *caller = t->depth >= 2 ? &t->stack[t->depth - 2] : NULL;
	struct us_await *a;

	/* the frame it ran in awaits this one, if that suspends too */
	if (caller && caller->python)
		caller->awaited_fn = f->fn_id + 1;
	if (!f->instance || !us_is_coroutine(&m->functions[f->fn_id]))
		return;
	us_grow(&m->awaits, &m->awaits_cap, m->n_awaits + 1, sizeof(*m->awaits));
	a = &m->awaits[m->n_awaits];
	*a = (struct us_await){
		.fn_id = f->fn_id, .tid = t->tid, .instance = f->instance,
		.coroutine = coroutine_of(m, f->instance),
		.line = line > 0 ? line : 0, .awaited_fn = f->awaited_fn, .start_ns = ts,
	};
	snprintf(a->awaited_type, sizeof(a->awaited_type), "%s", yielded);
	us_map_put(&m->open_awaits, f->instance, (uint32_t)m->n_awaits++);
}

void us_model_run_first(struct us_model *m, uint64_t instance)
{
	us_map_remove(&m->open_awaits, instance);	/* a finished coroutine's frame, reused */
	us_map_put(&m->coroutine_ids, instance, m->n_coroutines++);
}

void us_model_run_resumed(struct us_model *m, uint64_t instance, uint64_t ts)
{
	uint32_t i = us_map_get(&m->open_awaits, instance);

	if (i == US_MAP_NONE)
		return;
	us_map_remove(&m->open_awaits, instance);
	m->awaits[i].end_ns = ts;
	m->awaits[i].resumed = true;
}

void us_model_free_awaits(struct us_model *m)
{
	free(m->awaits);
	m->awaits = NULL;
	m->n_awaits = m->awaits_cap = 0;
	us_map_free(&m->open_awaits);
	us_map_free(&m->coroutine_ids);
}
