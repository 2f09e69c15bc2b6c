// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "util.h"

void us_model_init(struct us_model *m, const struct us_plan *plan,
		   const struct us_filters *filters, bool keep_calls)
{
	memset(m, 0, sizeof(*m));
	m->sites = plan->sites;
	m->n_sites = plan->count;
	m->keep_calls = keep_calls;
	if (filters)
		us_filters_merge(&m->filters, filters);
	m->site_hidden = us_calloc(m->n_sites, sizeof(*m->site_hidden));
	m->funcs = us_calloc(m->n_sites, sizeof(*m->funcs));
	for (size_t i = 0; i < m->n_sites; i++)
		for (size_t j = 0; j < m->filters.n_excludes; j++)
			if (us_glob_match(m->filters.excludes[j], m->sites[i].function))
				m->site_hidden[i] = true;
}

static uint32_t new_node(struct us_model *m, uint32_t site_id, uint32_t parent)
{
	us_grow(&m->nodes, &m->nodes_cap, m->n_nodes + 1, sizeof(*m->nodes));
	m->nodes[m->n_nodes] = (struct us_node){
		.site_id = site_id, .parent = parent, .first_child = US_NO_NODE,
		.last_child = US_NO_NODE, .next_sibling = US_NO_NODE,
	};
	return (uint32_t)m->n_nodes++;
}

static uint32_t child_node(struct us_model *m, uint32_t parent, uint32_t site_id)
{
	uint64_t key = (uint64_t)parent << 32 | site_id;
	uint32_t idx = us_map_get(&m->node_index, key);

	if (idx != US_MAP_NONE)
		return idx;
	idx = new_node(m, site_id, parent);
	if (m->nodes[parent].last_child == US_NO_NODE)
		m->nodes[parent].first_child = idx;
	else
		m->nodes[m->nodes[parent].last_child].next_sibling = idx;
	m->nodes[parent].last_child = idx;
	us_map_put(&m->node_index, key, idx);
	return idx;
}

static struct us_thread *thread_of(struct us_model *m, uint32_t tid, uint64_t ts)
{
	uint32_t idx = us_map_get(&m->thread_index, tid);
	struct us_thread *t;

	if (idx == US_MAP_NONE) {
		us_grow(&m->threads, &m->threads_cap, m->n_threads + 1, sizeof(*m->threads));
		idx = (uint32_t)m->n_threads++;
		m->threads[idx] = (struct us_thread){
			.tid = tid, .root = new_node(m, US_ROOT_SITE, US_NO_NODE), .first_ns = ts,
		};
		us_map_put(&m->thread_index, tid, idx);
	}
	t = &m->threads[idx];
	t->last_ns = ts;
	return t;
}

/* The nearest enclosing frame a report shows, or NULL (the thread's root). */
static struct us_frame *visible_parent(struct us_thread *t)
{
	for (size_t i = t->depth; i > 0; i--)
		if (t->stack[i - 1].node != US_NO_NODE)
			return &t->stack[i - 1];
	return NULL;
}

static bool outer_activation_of(const struct us_thread *t, uint32_t site_id)
{
	for (size_t i = 0; i < t->depth; i++)
		if (t->stack[i].site_id == site_id && t->stack[i].node != US_NO_NODE)
			return false;
	return true;
}

static void update_extremes(uint64_t *min_ns, uint64_t *max_ns, uint64_t count, uint64_t dur)
{
	if (count == 1 || dur < *min_ns)
		*min_ns = dur;
	if (dur > *max_ns)
		*max_ns = dur;
}

static void keep_call(struct us_model *m, const struct us_thread *t, const struct us_frame *f,
		      uint64_t end_ns, bool inferred)
{
	us_grow(&m->calls, &m->calls_cap, m->n_calls + 1, sizeof(*m->calls));
	m->calls[m->n_calls++] = (struct us_call){
		.tid = t->tid, .site_id = f->site_id, .depth = f->depth, .inferred = inferred,
		.start_ns = f->start_ns, .end_ns = end_ns,
	};
}

/* Adds a finished call (already popped from t's stack) to the aggregates. */
static void finish_call(struct us_model *m, struct us_thread *t, const struct us_frame *f,
			uint64_t end_ns, bool inferred)
{
	uint64_t dur = end_ns > f->start_ns ? end_ns - f->start_ns : 0;
	uint64_t self = dur > f->child_ns ? dur - f->child_ns : 0;
	struct us_func_stats *fs = &m->funcs[f->site_id];
	struct us_frame *parent;
	struct us_node *n;

	if (f->node == US_NO_NODE || dur < m->filters.min_duration_ns)
		return;	/* hidden: its time stays in the parent's self time */
	n = &m->nodes[f->node];
	n->count++;
	n->total_ns += dur;
	n->self_ns += self;
	n->inferred_exits += inferred;
	update_extremes(&n->min_ns, &n->max_ns, n->count, dur);

	fs->count++;
	fs->self_ns += self;
	fs->sum_ns += dur;
	fs->inferred_exits += inferred;
	if (outer_activation_of(t, f->site_id))
		fs->total_ns += dur;
	update_extremes(&fs->min_ns, &fs->max_ns, fs->count, dur);

	parent = visible_parent(t);
	if (parent)
		parent->child_ns += dur;
	if (m->keep_calls)
		keep_call(m, t, f, end_ns, inferred);
}

static void pop_frame(struct us_model *m, struct us_thread *t, uint64_t end_ns, bool inferred)
{
	struct us_frame f = t->stack[--t->depth];

	if (f.exit_expected)
		t->pending_returns--;
	finish_call(m, t, &f, end_ns, inferred);
}

static void pop_inferred(struct us_model *m, struct us_thread *t, uint64_t end_ns)
{
	m->inferred_exits++;
	pop_frame(m, t, end_ns, true);
}

/*
 * A call at stack pointer `sp` proves every frame deeper than it (lower sp)
 * has returned. A frame at the same sp has returned too, unless this call is
 * a tail call that reuses a frame the kernel still holds a return for (the
 * kernel's own rule for chained uretprobes).
 */
static void reconcile_for_entry(struct us_model *m, struct us_thread *t, uint64_t sp,
				bool tail_call, uint64_t ts)
{
	while (t->depth) {
		const struct us_frame *top = &t->stack[t->depth - 1];

		if (top->sp > sp || (top->sp == sp && tail_call && top->exit_expected))
			break;
		pop_inferred(m, t, ts);
	}
}

static void on_call(struct us_model *m, const struct us_call_event *ev)
{
	struct us_thread *t = thread_of(m, ev->hdr.tid, ev->hdr.ts_ns);
	struct us_frame *parent;
	struct us_frame f = { .site_id = ev->site_id, .sp = ev->sp, .start_ns = ev->hdr.ts_ns };

	reconcile_for_entry(m, t, ev->sp, ev->flags & US_CALL_TAIL, ev->hdr.ts_ns);
	f.exit_expected = t->pending_returns < US_MAX_PENDING_RETURNS;
	t->pending_returns += f.exit_expected;
	parent = visible_parent(t);
	f.depth = parent ? parent->depth + 1 : 1;
	if (m->site_hidden[f.site_id] || (m->filters.max_depth && f.depth > m->filters.max_depth)) {
		f.node = US_NO_NODE;
		f.depth--;
	} else {
		f.node = child_node(m, parent ? parent->node : t->root, f.site_id);
	}
	us_grow(&t->stack, &t->cap, t->depth + 1, sizeof(*t->stack));
	t->stack[t->depth++] = f;
	m->total_calls++;
}

/* The returning frame entered at sp - 8; frames deeper than it returned
 * unseen. Tail-call chains share one sp: the frame is found by its site. */
static void on_return(struct us_model *m, const struct us_call_event *ev)
{
	struct us_thread *t = thread_of(m, ev->hdr.tid, ev->hdr.ts_ns);
	uint64_t entry_sp = ev->sp - US_RETURN_SP_DELTA;
	size_t match = 0;

	while (t->depth && t->stack[t->depth - 1].sp < entry_sp)
		pop_inferred(m, t, ev->hdr.ts_ns);
	for (size_t i = t->depth; i > 0 && t->stack[i - 1].sp == entry_sp; i--) {
		if (t->stack[i - 1].site_id == ev->site_id) {
			match = i;
			break;
		}
	}
	if (!match) {
		m->unmatched_exits++;	/* entered before tracing began */
		return;
	}
	while (t->depth > match)
		pop_inferred(m, t, ev->hdr.ts_ns);
	pop_frame(m, t, ev->hdr.ts_ns, false);
}

static void on_thread_exit(struct us_model *m, const struct us_thread_event *ev)
{
	struct us_thread *t = thread_of(m, ev->hdr.tid, ev->hdr.ts_ns);

	while (t->depth)
		pop_inferred(m, t, ev->hdr.ts_ns);
	t->exited = true;
}

void us_model_add_event(struct us_model *m, const struct us_event_header *ev)
{
	if (!m->first_ns || ev->ts_ns < m->first_ns)
		m->first_ns = ev->ts_ns;
	if (ev->ts_ns > m->last_ns)
		m->last_ns = ev->ts_ns;
	switch (ev->type) {
	case US_EV_CALL_ENTRY:
		on_call(m, (const struct us_call_event *)ev);
		break;
	case US_EV_CALL_EXIT:
		on_return(m, (const struct us_call_event *)ev);
		break;
	case US_EV_THREAD_EXIT:
		on_thread_exit(m, (const struct us_thread_event *)ev);
		break;
	}
}

static int by_start_then_depth(const void *a, const void *b)
{
	const struct us_call *x = a, *y = b;

	if (x->start_ns != y->start_ns)
		return (x->start_ns > y->start_ns) - (x->start_ns < y->start_ns);
	return (x->depth > y->depth) - (x->depth < y->depth);
}

void us_model_finish(struct us_model *m, uint64_t end_ns)
{
	for (size_t i = 0; i < m->n_threads; i++) {
		struct us_thread *t = &m->threads[i];

		while (t->depth) {
			m->unfinished_calls++;
			pop_frame(m, t, end_ns > t->last_ns ? end_ns : t->last_ns, true);
		}
	}
	qsort(m->calls, m->n_calls, sizeof(*m->calls), by_start_then_depth);
}

void us_model_free(struct us_model *m)
{
	for (size_t i = 0; i < m->n_threads; i++)
		free(m->threads[i].stack);
	free(m->threads);
	free(m->nodes);
	free(m->calls);
	free(m->funcs);
	free(m->site_hidden);
	us_map_free(&m->node_index);
	us_map_free(&m->thread_index);
	us_filters_free(&m->filters);
	memset(m, 0, sizeof(*m));
}
