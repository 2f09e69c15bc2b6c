// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
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

/* Whether the filters show the lines of fn_id, run by frame `top` (NULL: a
 * frame whose entry was not seen). */
static bool lines_shown(const struct us_model *m, uint32_t fn_id, const struct us_frame *top)
{
	if (m->functions[fn_id].out_of_scope || m->functions[fn_id].hidden)
		return false;
	return !top || top->node != US_NO_NODE;
}

/* --locals: a generator's or coroutine's run ends; its slots are kept for
 * its resume, where `changed` goes on from them. */
static void keep_suspended_locals(struct us_model *m, struct us_frame *f)
{
	uint32_t i = us_map_get(&m->suspended_locals_index, f->instance);

	if (i == US_MAP_NONE) {
		us_grow(&m->suspended_locals, &m->suspended_locals_cap, m->n_suspended_locals + 1,
			sizeof(*m->suspended_locals));
		i = (uint32_t)m->n_suspended_locals++;
		us_map_put(&m->suspended_locals_index, f->instance, i);
	} else {
		free(m->suspended_locals[i]);	/* a finished generator's, its frame reused */
	}
	m->suspended_locals[i] = f->last_locals;
	f->last_locals = NULL;
}

static struct us_py_value *resumed_locals(struct us_model *m, const struct us_frame *f)
{
	uint32_t i = us_map_get(&m->suspended_locals_index, f->instance);
	struct us_py_value *values;

	if (i == US_MAP_NONE)
		return NULL;
	values = m->suspended_locals[i];
	m->suspended_locals[i] = NULL;
	return values;
}

void us_model_end_line(struct us_model *m, struct us_thread *t, struct us_frame *f,
		       uint64_t end_ns)
{
	end_line(m, f, t->phase == US_PHASE_PROGRAM, end_ns);
	if (f->instance && f->last_locals)
		keep_suspended_locals(m, f);
	free(f->last_locals);
	f->last_locals = NULL;
}

void us_model_on_py_varnames(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_varnames_event *ev = (const struct us_py_varnames_event *)hdr;
	struct us_function *fn = &m->functions[us_model_function_of_code(m, ev->code)];
	uint32_t n = ev->count < US_PY_LOCALS_MAX ? ev->count : US_PY_LOCALS_MAX;

	if (fn->varnames)
		return;	/* the same function, its code object made again */
	fn->varnames = us_calloc(n + 1, sizeof(*fn->varnames));
	for (uint32_t i = 0; i < n; i++)
		fn->varnames[i] = us_asprintf("%.*s", (int)sizeof(ev->names[i]), ev->names[i]);
	fn->n_varnames = n;
	fn->n_slots = ev->count;
}

/* All the slots of a frame came: the sinks see them, with the frame's
 * previous ones, which they then replace. */
static void locals_complete(struct us_model *m, struct us_thread *t,
			    struct us_locals_snapshot *snap, const struct us_py_locals_event *last)
{
	struct us_frame *top = t->depth ? &t->stack[t->depth - 1] : NULL;
	uint32_t fn_id = us_model_function_of_code(m, snap->code);
	size_t bytes = sizeof(snap->values[0]) * US_PY_LOCALS_MAX;

	if (top && (!top->python || top->fn_id != fn_id))
		top = NULL;
	if (top && !lines_shown(m, fn_id, top))
		return;
	if (top && top->resume && top->instance && !top->last_locals)
		top->last_locals = resumed_locals(m, top);
	if (m->sink && m->sink->locals_seen)
		m->sink->locals_seen(m->sink->ctx, m, (size_t)(t - m->threads), fn_id,
				     (enum us_locals_moment)last->moment, last->hdr.ts_ns,
				     snap->values, top ? top->last_locals : NULL, snap->total);
	if (!top)
		return;
	if (!top->last_locals)
		top->last_locals = us_calloc(US_PY_LOCALS_MAX, sizeof(*top->last_locals));
	memcpy(top->last_locals, snap->values, bytes);
}

void us_model_on_py_locals(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_locals_event *ev = (const struct us_py_locals_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	struct us_locals_snapshot *snap;

	if (t->line_dropped)
		return;
	if (!t->locals)
		t->locals = us_calloc(1, sizeof(*t->locals));
	snap = t->locals;
	if (ev->first == 0 || snap->code != ev->code) {	/* a new frame's slots */
		memset(snap, 0, sizeof(*snap));
		snap->code = ev->code;
		snap->total = ev->total < US_PY_LOCALS_MAX ? ev->total : US_PY_LOCALS_MAX;
	}
	for (uint32_t i = 0; i < ev->count && i < US_PY_LOCALS_PER_RECORD; i++)
		if (ev->first + i < US_PY_LOCALS_MAX)
			snap->values[ev->first + i] = ev->values[i];
	snap->received += ev->count;
	if (snap->received >= snap->total) {
		locals_complete(m, t, snap, ev);
		snap->code = 0;
	}
}

/* 3.12+: the probe ran before the interpreter's own test; settrace's
 * 'line' comes when the line differs from the previous instruction's (or
 * that was a RESUME), or at a backward jump within one line. */
static bool settrace_would_see(const struct us_model *m, uint32_t fn_id,
			       const struct us_py_line_event *ev, int32_t line)
{
	int32_t prev_line;

	if (!(ev->flags & (US_LINE_IF_NEW_LINE | US_LINE_IF_SAME_LINE)))
		return true;
	if (line < 0)
		return false;	/* an instruction of no line: none for settrace either */
	prev_line = us_model_line_at(m, fn_id, ev->prev_offset);
	if (ev->flags & US_LINE_IF_SAME_LINE)
		return prev_line == line;
	return prev_line != line || (ev->flags & US_LINE_AFTER_RESUME);
}

void us_model_on_py_line(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_line_event *ev = (const struct us_py_line_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	struct us_frame *top = t->depth ? &t->stack[t->depth - 1] : NULL;
	bool in_program = t->phase == US_PHASE_PROGRAM;
	uint32_t fn_id = us_model_function_of_code(m, ev->code), i;
	int32_t line = ev->line > 0 ? ev->line : us_model_line_at(m, fn_id, ev->offset);
	uint64_t since;

	t->line_dropped = hdr->size >= sizeof(*ev) && !settrace_would_see(m, fn_id, ev, line);
	if (t->line_dropped)
		return;
	since = t->last_line_ns && ev->hdr.ts_ns > t->last_line_ns ? ev->hdr.ts_ns - t->last_line_ns
								     : 0;
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

/* The globals of module `dict` as last seen, made empty the first time. */
static struct us_globals_snapshot *module_globals_of(struct us_model *m, uint64_t dict)
{
	for (size_t i = 0; i < m->n_module_globals; i++)
		if (m->module_globals[i].dict == dict)
			return &m->module_globals[i];
	us_grow(&m->module_globals, &m->module_globals_cap, m->n_module_globals + 1,
		sizeof(*m->module_globals));
	memset(&m->module_globals[m->n_module_globals], 0, sizeof(*m->module_globals));
	m->module_globals[m->n_module_globals].dict = dict;
	return &m->module_globals[m->n_module_globals++];
}

static void globals_complete(struct us_model *m, struct us_thread *t,
			     struct us_globals_snapshot *snap)
{
	struct us_globals_snapshot *before = module_globals_of(m, snap->dict);
	struct us_frame *top = t->depth ? &t->stack[t->depth - 1] : NULL;
	uint32_t fn_id = us_model_function_of_code(m, snap->code);
	bool seen = before->received > 0 || before->scanned > 0;

	if (t->line_dropped)
		return;
	snap->fn_id = fn_id;
	if (top && (!top->python || top->fn_id != fn_id))
		top = NULL;
	if (!lines_shown(m, fn_id, top))
		return;
	if (m->sink && m->sink->globals_seen)
		m->sink->globals_seen(m->sink->ctx, m, (size_t)(t - m->threads), snap,
				      seen ? before : NULL);
	*before = *snap;
}

void us_model_on_py_globals(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_py_globals_event *ev = (const struct us_py_globals_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	struct us_globals_snapshot *snap;

	if (!t->globals)
		t->globals = us_calloc(1, sizeof(*t->globals));
	snap = t->globals;
	if (ev->first == 0 || snap->dict != ev->dict) {	/* a new reading */
		memset(snap, 0, sizeof(*snap));
		snap->code = ev->code;
		snap->dict = ev->dict;
		snap->ts_ns = ev->hdr.ts_ns;
		snap->moment = ev->moment;
		snap->total = ev->total < US_PY_GLOBALS_MAX ? ev->total : US_PY_GLOBALS_MAX;
		snap->scanned = ev->scanned;
		snap->entries = ev->entries;
	}
	for (uint32_t i = 0; i < ev->count && i < US_PY_GLOBALS_PER_RECORD; i++)
		if (ev->first + i < US_PY_GLOBALS_MAX)
			snap->vars[ev->first + i] = ev->vars[i];
	snap->received += ev->count;
	if (snap->received >= snap->total) {
		globals_complete(m, t, snap);
		snap->dict = 0;
	}
}

void us_model_free_lines(struct us_model *m)
{
	for (size_t i = 0; i < m->n_suspended_locals; i++)
		free(m->suspended_locals[i]);
	free(m->suspended_locals);
	m->suspended_locals = NULL;
	m->n_suspended_locals = m->suspended_locals_cap = 0;
	us_map_free(&m->suspended_locals_index);
	free(m->module_globals);
	m->module_globals = NULL;
	m->n_module_globals = m->module_globals_cap = 0;
	free(m->lines);
	m->lines = NULL;
	m->n_lines = m->lines_cap = 0;
	us_map_free(&m->line_index);
}
