// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include "model_lines.h"
#include "model_python.h"
#include "python_lines.h"
#include "util.h"

static uint32_t line_stat_of(struct us_model *m, uint32_t fn_id, int32_t line)
{
	uint64_t key = (uint64_t)fn_id << 32 | (uint32_t)line;
	uint32_t i = us_map_get(&m->line_index, key);

	if (i != US_MAP_NONE)
		return i;
	us_grow(&m->lines, &m->lines_cap, m->n_lines + 1, sizeof(*m->lines));
	i = (uint32_t)m->n_lines++;
	m->lines[i] = (struct us_line_stats){ .fn_id = fn_id, .line = line };
	us_map_put(&m->line_index, key, i);
	return i;
}

static void end_line(struct us_model *m, struct us_frame *f, bool in_program, uint64_t end_ns)
{
	struct us_line_stats *s;
	uint64_t ns;

	if (f->line <= 0)
		return;
	s = &m->lines[f->line_stat];
	f->line = 0;
	if (s->open && --s->open)
		return;	/* ran inside itself: the outer run holds this time */
	ns = end_ns > f->line_start_ns ? end_ns - f->line_start_ns : 0;
	s->time_ns += ns;
	if (in_program)
		s->program_ns += ns;
}

void us_model_end_line(struct us_model *m, struct us_thread *t, struct us_frame *f,
		       uint64_t end_ns)
{
	end_line(m, f, t->phase == US_PHASE_PROGRAM, end_ns);
}

/* Whether the filters show the lines of fn_id, run by frame `top` (NULL: a
 * frame whose entry was not seen). */
static bool lines_shown(const struct us_model *m, uint32_t fn_id, const struct us_frame *top)
{
	if (m->functions[fn_id].out_of_scope || m->functions[fn_id].hidden)
		return false;
	return !top || top->node != US_NO_NODE;
}

void us_model_on_py_line(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_line_event *ev = (const struct us_py_line_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	struct us_frame *top = t->depth ? &t->stack[t->depth - 1] : NULL;
	bool in_program = t->phase == US_PHASE_PROGRAM;
	uint32_t fn_id = us_model_function_of_code(m, ev->code), i;
	int32_t line = ev->line > 0 ? ev->line : us_model_line_at(m, fn_id, ev->offset);
	uint64_t since = t->last_line_ns && ev->hdr.ts_ns > t->last_line_ns
			 ? ev->hdr.ts_ns - t->last_line_ns : 0;

	m->line_events++;
	if (line <= 0) {
		m->lines_unknown++;
		return;
	}
	if (top && (!top->python || top->fn_id != fn_id))
		top = NULL;	/* its entry was not seen: counted, not timed */
	if (!lines_shown(m, fn_id, top))
		return;
	t->last_line_ns = ev->hdr.ts_ns;
	i = line_stat_of(m, fn_id, line);
	m->lines[i].count++;
	m->lines[i].program_count += in_program;
	if (top) {
		end_line(m, top, in_program, ev->hdr.ts_ns);
		top->line = line;
		top->line_stat = i;
		m->lines[i].open++;
		top->line_start_ns = ev->hdr.ts_ns;
	} else {
		m->lines[i].untimed++;
	}
	if (m->sink && m->sink->line_started)
		m->sink->line_started(m->sink->ctx, m, (size_t)(t - m->threads), fn_id, line,
				      ev->hdr.ts_ns, since, t->depth);
}

void us_model_free_lines(struct us_model *m)
{
	free(m->lines);
	m->lines = NULL;
	m->n_lines = m->lines_cap = 0;
	us_map_free(&m->line_index);
}
