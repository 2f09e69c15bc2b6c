// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "condition.h"
#include "log.h"
#include "model_core.h"
#include "model_patterns.h"
#include "util.h"

/* ---- functions -------------------------------------------------------- */

uint32_t us_model_add_function(struct us_model *m, const struct us_function *fn)
{
	uint32_t id = (uint32_t)m->n_functions;

	us_grow(&m->functions, &m->functions_cap, m->n_functions + 1, sizeof(*m->functions));
	us_grow(&m->funcs, &m->funcs_cap, m->n_functions + 1, sizeof(*m->funcs));
	m->functions[id] = *fn;
	m->functions[id].label = NULL;
	if (m->parts && m->parts->describe_function)
		m->parts->describe_function(m, &m->functions[id]);
	memset(&m->funcs[id], 0, sizeof(m->funcs[id]));
	m->n_functions++;
	return id;
}

/* A function for each site the plan has and the model not yet: at first
 * site i is function i; sites a later SITES chunk adds come after the
 * functions made since. */
static void add_site_functions(struct us_model *m)
{
	us_grow(&m->site_fn, &m->site_fn_cap, m->plan->count + 1, sizeof(*m->site_fn));
	for (size_t i = m->n_sites; i < m->plan->count; i++) {
		const struct us_site *site = &m->plan->sites[i];
		struct us_function fn = {
			.kind = US_FN_NATIVE, .name = us_strdup(site->function),
			.object = us_strdup(site->object), .file = us_strdup(""),
		};

		m->site_fn[i] = us_model_add_function(m, &fn);
	}
	m->n_sites = m->plan->count;
}

/* --condition: checked when given; a recording's may be damaged. */
static void parse_condition(struct us_model *m)
{
	char err[256];

	if (!m->filters.condition)
		return;
	m->condition = us_condition_parse(m->filters.condition, err, sizeof(err));
	if (!m->condition)
		us_warn("%s: it is ignored", err);
}

void us_model_core_init(struct us_model *m, const struct us_plan *plan,
			const struct us_filters *filters, const struct us_model_sink *sink,
			const struct us_model_parts *parts)
{
	memset(m, 0, sizeof(*m));
	m->parts = parts;
	m->plan = plan;
	m->sink = sink;
	m->main_code_fn = US_ROOT_FN;
	m->memory.free_slot = US_NO_NODE;
	if (filters)
		us_filters_merge(&m->filters, filters);
	parse_condition(m);
	add_site_functions(m);
}

uint32_t us_model_site_function(struct us_model *m, uint32_t site)
{
	if (site >= m->n_sites && site < m->plan->count)
		add_site_functions(m);	/* a followed process exec'd another program */
	return site < m->n_sites ? m->site_fn[site] : US_ROOT_FN;
}

static void end_propagation(struct us_model *m, struct us_thread *t, bool caught)
{
	if (m->parts && m->parts->end_propagation)
		m->parts->end_propagation(m, t, caught);
}

/* ---- tree ------------------------------------------------------------- */

static uint32_t new_node(struct us_model *m, uint32_t fn_id, uint32_t parent)
{
	us_grow(&m->nodes, &m->nodes_cap, m->n_nodes + 1, sizeof(*m->nodes));
	m->nodes[m->n_nodes] = (struct us_node){
		.fn_id = fn_id, .parent = parent, .first_child = US_NO_NODE,
		.last_child = US_NO_NODE, .next_sibling = US_NO_NODE,
		.first_exception = US_NO_NODE,
	};
	return (uint32_t)m->n_nodes++;
}

uint32_t us_model_new_root(struct us_model *m)
{
	return new_node(m, US_ROOT_FN, US_NO_NODE);
}

static uint32_t child_node(struct us_model *m, uint32_t parent, uint32_t fn_id)
{
	uint64_t key = (uint64_t)parent << 32 | fn_id;
	uint32_t idx = us_map_get(&m->node_index, key);

	if (idx != US_MAP_NONE)
		return idx;
	idx = new_node(m, fn_id, parent);
	if (m->nodes[parent].last_child == US_NO_NODE)
		m->nodes[parent].first_child = idx;
	else
		m->nodes[m->nodes[parent].last_child].next_sibling = idx;
	m->nodes[parent].last_child = idx;
	us_map_put(&m->node_index, key, idx);
	return idx;
}

struct us_thread *us_model_thread(struct us_model *m, uint32_t tid, uint64_t ts)
{
	uint32_t idx = us_map_get(&m->thread_index, tid);
	struct us_thread *t;

	if (idx == US_MAP_NONE) {
		/* a Python program's main thread starts in the interpreter's start-up */
		bool from_start = tid == m->program.main_tid && m->program.from_start &&
				  m->program.main_kind != US_MAIN_UNKNOWN;

		us_grow(&m->threads, &m->threads_cap, m->n_threads + 1, sizeof(*m->threads));
		idx = (uint32_t)m->n_threads++;
		t = &m->threads[idx];
		uint32_t pid = us_map_get(&m->task_pid, tid);

		*t = (struct us_thread){
			.tid = tid, .first_ns = ts, .pid = pid == US_MAP_NONE ? 0 : pid,
			.roots = { US_NO_NODE, US_NO_NODE, US_NO_NODE },
			.phase = from_start ? US_PHASE_STARTUP : US_PHASE_PROGRAM,
		};
		t->root = t->roots[t->phase] = new_node(m, US_ROOT_FN, US_NO_NODE);
		t->phase_start_ns[t->phase] = ts;
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

/* Shown activations of each function open on the thread's stack: the
 * outermost one's time is the function's total (recursion counted once). */
static void count_open(struct us_thread *t, uint32_t fn_id, int delta)
{
	uint32_t open = us_map_get(&t->open_by_function, fn_id);

	open = (open == US_MAP_NONE ? 0 : open) + (uint32_t)delta;
	if (open)
		us_map_put(&t->open_by_function, fn_id, open);
	else
		us_map_remove(&t->open_by_function, fn_id);
}

static bool outer_activation_of(const struct us_thread *t, uint32_t fn_id)
{
	return us_map_get(&t->open_by_function, fn_id) == US_MAP_NONE;
}

/* Min and max over the activations whose both ends were seen: an inferred
 * end is only a bound. `timed` counts them. */
static void update_extremes(uint64_t *min_ns, uint64_t *max_ns, uint64_t *timed, bool inferred,
			    uint64_t dur)
{
	if (inferred)
		return;
	if (++*timed == 1 || dur < *min_ns)
		*min_ns = dur;
	if (dur > *max_ns)
		*max_ns = dur;
}

/* A call the sink saw start has ended. */
static void tell_call_ended(struct us_model *m, const struct us_thread *t,
			    const struct us_frame *f, uint64_t end_ns, bool inferred, bool raised,
			    bool shown)
{
	struct us_call c = {
		.tid = t->tid, .fn_id = f->fn_id, .depth = f->depth, .inferred = inferred,
		.resume = f->resume, .raised = raised, .start_ns = f->start_ns, .end_ns = end_ns,
		.exception = raised ? t->exit_exception : NULL, .raised_here = t->exit_raised_here,
		.instance = f->instance, .unfinished = f->still_running, .call_line = f->call_line,
	};

	if (m->sink && m->sink->call_ended && f->node != US_NO_NODE)
		m->sink->call_ended(m->sink->ctx, m, (size_t)(t - m->threads), &c, shown);
}

/* --condition: whether the call matches, or a callee of it was shown (its
 * callers are shown with it, so that it keeps its place in the tree). */
static bool meets_condition(struct us_model *m, struct us_thread *t, const struct us_frame *f,
			    uint64_t dur, bool raised)
{
	uint64_t self = dur > f->callee_ns ? dur - f->callee_ns : 0;	/* shown callees or not */
	const struct us_function *fn = &m->functions[f->fn_id];
	struct us_condition_values v = { 0 };
	struct us_frame *parent;

	if (!m->condition)
		return true;
	v.number[US_COND_DURATION_MS] = (double)dur / 1e6;
	v.number[US_COND_SELF_MS] = (double)self / 1e6;
	v.number[US_COND_CALLS] = f->callees;
	v.number[US_COND_DEPTH] = f->depth;
	v.number[US_COND_ALLOC_BYTES] = (double)f->alloc_bytes;
	v.text[US_COND_FUNCTION - US_COND_FUNCTION] = fn->name;
	v.text[US_COND_MODULE - US_COND_FUNCTION] = fn->module;
	v.text[US_COND_FILE - US_COND_FUNCTION] = fn->kind == US_FN_PYTHON ? fn->file : fn->object;
	v.text[US_COND_EXCEPTION - US_COND_FUNCTION] = raised ? (t->exit_exception
							    ? t->exit_exception : "exception") : "";
	v.text[US_COND_RETURN - US_COND_FUNCTION] = raised ? "" : t->exit_return;
	if (!f->shown_below && !us_condition_matches(m->condition, &v))
		return false;
	parent = visible_parent(t);
	if (parent)
		parent->shown_below = true;
	return true;
}

static void add_call_line(struct us_node *n, int32_t line)
{
	if (line <= 0)
		return;
	for (uint8_t i = 0; i < n->n_call_lines; i++)
		if (n->call_lines[i] == line)
			return;
	if (n->n_call_lines < US_NODE_CALL_LINES)
		n->call_lines[n->n_call_lines++] = line;
	else
		n->more_call_lines = true;
}

/* Adds a finished activation (already popped from t's stack) to the
 * aggregates. Returns its node, or US_NO_NODE when it is hidden. */
static uint32_t finish_call(struct us_model *m, struct us_thread *t, const struct us_frame *f,
			    uint64_t end_ns, bool inferred, bool raised)
{
	uint64_t dur = end_ns > f->start_ns ? end_ns - f->start_ns : 0;
	uint64_t self = dur > f->child_ns ? dur - f->child_ns : 0;
	struct us_func_stats *fs = &m->funcs[f->fn_id];
	struct us_frame *parent;
	struct us_node *n;

	if (f->node != US_NO_NODE)
		count_open(t, f->fn_id, -1);
	if (f->node == US_NO_NODE || dur < m->filters.min_duration_ns ||
	    !meets_condition(m, t, f, dur, raised)) {
		tell_call_ended(m, t, f, end_ns, inferred, raised, false);
		return US_NO_NODE;	/* hidden: its time stays in the parent's self time */
	}
	n = &m->nodes[f->node];
	add_call_line(n, f->call_line);
	n->count += !f->resume;
	n->resumes += f->resume;
	n->total_ns += dur;
	n->self_ns += self;
	n->inferred_exits += inferred && !f->still_running;
	n->unfinished += f->still_running;
	update_extremes(&n->min_ns, &n->max_ns, &n->timed, inferred, dur);

	fs->count += !f->resume;
	fs->resumes += f->resume;
	fs->self_ns += self;
	fs->sum_ns += dur;
	fs->inferred_exits += inferred && !f->still_running;
	fs->unfinished += f->still_running;
	if (outer_activation_of(t, f->fn_id))
		fs->total_ns += dur;
	update_extremes(&fs->min_ns, &fs->max_ns, &fs->timed, inferred, dur);

	parent = visible_parent(t);
	if (parent)
		parent->child_ns += dur;
	us_patterns_call_ended(m, t, f, t->depth, parent ? (size_t)(parent - t->stack) : SIZE_MAX,
			       end_ns);
	tell_call_ended(m, t, f, end_ns, inferred, raised, true);
	return f->node;
}

/* Pops the top frame; returns its node (US_NO_NODE when hidden). */
uint32_t us_model_pop(struct us_model *m, struct us_thread *t, uint64_t end_ns, bool inferred,
		      bool raised)
{
	struct us_frame f = t->stack[--t->depth];
	uint32_t node;

	/* records of this thread were lost since the entry: the exit may be
	 * another call's, so the pairing is not proven */
	if (!inferred && f.loss_epoch != t->loss_epoch) {
		inferred = true;
		m->inferred_exits++;
	}
	if (m->functions[f.fn_id].is_focus && f.counted)
		t->focus_depth--;
	if (m->parts && m->parts->frame_ending)
		m->parts->frame_ending(m, t, &f, end_ns);
	m->funcs[f.fn_id].seen += f.counted && !f.resume;
	if (t->depth) {
		t->stack[t->depth - 1].alloc_bytes += f.alloc_bytes;
		t->stack[t->depth - 1].callee_ns += end_ns > f.start_ns ? end_ns - f.start_ns : 0;
	}
	node = finish_call(m, t, &f, end_ns, inferred, raised);
	if (t->main_frame_depth == t->depth + 1) {	/* __main__ ended */
		t->main_frame_depth = 0;
		us_model_enter_phase(m, t, US_PHASE_SHUTDOWN, end_ns);
	}
	return node;
}

/* A call whose return the kernel never reported, closed by a later event. */
static void pop_inferred(struct us_model *m, struct us_thread *t, uint64_t end_ns)
{
	m->inferred_exits++;
	us_model_pop(m, t, end_ns, true, false);
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

/* Frames that do not return (reported below sp) returned unseen. */
void us_model_reconcile_for_exit(struct us_model *m, struct us_thread *t, uint64_t entry_sp,
				 uint64_t ts)
{
	while (t->depth && t->stack[t->depth - 1].sp < entry_sp)
		pop_inferred(m, t, ts);
}

/* Whether the new frame f shows, and where, under the filters. */
static void place_frame(struct us_model *m, struct us_thread *t, struct us_frame *f)
{
	const struct us_function *fn = &m->functions[f->fn_id];
	const struct us_frame *top = t->depth ? &t->stack[t->depth - 1] : NULL;
	struct us_frame *parent = f->starts_phase ? NULL : visible_parent(t);
	bool in_scope_parent = parent && !m->functions[parent->fn_id].out_of_scope;
	bool shown = f->counted && !fn->hidden;

	f->depth = parent ? parent->depth + 1 : 1;
	if (fn->is_focus && f->counted)
		t->focus_depth++;
	if (m->filters.focus && !t->focus_depth)
		shown = false;
	if (m->filters.max_depth && f->depth > m->filters.max_depth)
		shown = false;
	if (top && top->collapsed_below && fn->out_of_scope) {
		shown = false;
		f->collapsed_below = true;	/* folded into the collapsed caller */
	} else if (top && top->collapsed_below) {
		;	/* the scope's own code called back from outside: shown under it */
	} else if (fn->out_of_scope) {
		shown = shown && in_scope_parent;	/* a call leaving the scope */
		f->collapsed_below = shown;
	}
	if (!shown) {
		f->node = US_NO_NODE;
		f->depth--;
		return;
	}
	f->node = child_node(m, parent ? parent->node : t->root, f->fn_id);
	m->nodes[f->node].collapsed = f->collapsed_below;
}

void us_model_push(struct us_model *m, struct us_thread *t, struct us_frame f, bool tail_call)
{
	end_propagation(m, t, true);
	reconcile_for_entry(m, t, f.sp, tail_call, f.start_ns);
	f.serial = ++m->next_serial;
	f.loss_epoch = t->loss_epoch;
	if (t->depth && f.counted && !f.resume)
		t->stack[t->depth - 1].callees++;
	place_frame(m, t, &f);
	us_grow(&t->stack, &t->cap, t->depth + 1, sizeof(*t->stack));
	t->stack[t->depth++] = f;
	us_patterns_frame_pushed(t, t->depth - 1);
	if (f.node != US_NO_NODE)
		count_open(t, f.fn_id, 1);
	if (m->sink && m->sink->call_started && f.node != US_NO_NODE)
		m->sink->call_started(m->sink->ctx, m, (size_t)(t - m->threads), &f);
	if (f.counted && !f.resume) {
		m->total_calls++;
		m->python_calls += f.python;
	}
}

/* ---- native events ---------------------------------------------------- */

void us_model_on_call(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_call_event *ev = (const struct us_call_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	struct us_frame f = {
		.fn_id = us_model_site_function(m, ev->site_id), .native_site = ev->site_id,
		.counted = true, .sp = ev->sp, .start_ns = ev->hdr.ts_ns,
		.exit_expected = !(ev->flags & US_CALL_NO_RETURN),
	};

	if (f.fn_id == US_ROOT_FN)
		return;
	us_model_push(m, t, f, ev->flags & US_CALL_TAIL);
}

/* The returning frame entered at sp - 8; frames deeper than it returned
 * unseen. Tail-call chains share one sp: the frame is found by its site. */
void us_model_on_return(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_call_event *ev = (const struct us_call_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	uint64_t entry_sp = ev->sp - US_RETURN_SP_DELTA;
	size_t match = 0;

	end_propagation(m, t, true);
	us_model_reconcile_for_exit(m, t, entry_sp, ev->hdr.ts_ns);
	for (size_t i = t->depth; i > 0 && t->stack[i - 1].sp == entry_sp; i--) {
		if (!t->stack[i - 1].python && t->stack[i - 1].native_site == ev->site_id) {
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
	us_model_pop(m, t, ev->hdr.ts_ns, false, false);
}

/* ---- processes (--follow) --------------------------------------------- */

static struct us_process *process_of(struct us_model *m, uint32_t pid)
{
	for (size_t i = 0; i < m->n_processes; i++)
		if (m->processes[i].pid == pid)
			return &m->processes[i];
	us_grow(&m->processes, &m->processes_cap, m->n_processes + 1, sizeof(*m->processes));
	m->processes[m->n_processes] = (struct us_process){ .pid = pid };
	return &m->processes[m->n_processes++];
}

void us_model_on_task_new(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_task_event *ev = (const struct us_task_event *)hdr;

	us_map_put(&m->task_pid, ev->hdr.tid, ev->pid);
	if (ev->pid == ev->hdr.tid)
		process_of(m, ev->pid)->parent_pid = ev->parent_pid;
	if (ev->hdr.size >= sizeof(*ev) && ev->parent_tid && m->sink && m->sink->task_made)
		m->sink->task_made(m->sink->ctx, m, ev->parent_tid, ev->hdr.tid, ev->hdr.ts_ns);
}

/* The thread exec'd: the old program's calls end there, unreturned. */
void us_model_on_exec(struct us_model *m, const struct us_event_header *hdr)
{
	struct us_thread *t = us_model_thread(m, hdr->tid, hdr->ts_ns);

	while (t->depth)
		pop_inferred(m, t, hdr->ts_ns);
}

void us_model_on_process_info(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_process_info_event *ev = (const struct us_process_info_event *)hdr;
	struct us_process *p = process_of(m, ev->pid);

	us_map_put(&m->task_pid, ev->pid, ev->pid);
	if (ev->parent_pid)
		p->parent_pid = ev->parent_pid;
	free(p->command);
	p->command = us_calloc(US_CMDLINE_LEN + 1, 1);
	memcpy(p->command, ev->cmdline, strnlen(ev->cmdline, US_CMDLINE_LEN));
}

/* The thread is gone: the kernel may give its id to a new one, which is
 * another thread of the report. */
void us_model_on_thread_exit(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_thread_event *ev = (const struct us_thread_event *)hdr;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);

	while (t->depth)
		pop_inferred(m, t, ev->hdr.ts_ns);
	end_propagation(m, t, false);
	t->exited = true;
	t->name = us_calloc(US_COMM_LEN + 1, 1);
	memcpy(t->name, ev->comm, strnlen(ev->comm, US_COMM_LEN));
	us_map_remove(&m->thread_index, ev->hdr.tid);
}

void us_model_on_lost(struct us_model *m, const struct us_event_header *ev)
{
	us_model_thread(m, ev->tid, ev->ts_ns)->loss_epoch++;
	m->lost_records += ((const struct us_lost_event *)ev)->count;
}

/* ---- the end ---------------------------------------------------------- */

/* A node is on an exception's path when it or a descendant raised. Children
 * always come after their parent in the node array. */
static void mark_exception_paths(struct us_model *m)
{
	for (size_t i = m->n_nodes; i > 0; i--) {
		struct us_node *n = &m->nodes[i - 1];

		if (n->exception_exits)
			n->on_exception_path = true;
		if (n->on_exception_path && n->parent != US_NO_NODE)
			m->nodes[n->parent].on_exception_path = true;
	}
}

void us_model_core_finish(struct us_model *m, uint64_t end_ns)
{
	for (size_t i = 0; i < m->n_threads; i++) {
		struct us_thread *t = &m->threads[i];

		while (t->depth) {
			m->unfinished_calls++;	/* counted apart from inferred exits */
			t->stack[t->depth - 1].still_running = true;
			us_model_pop(m, t, end_ns > t->last_ns ? end_ns : t->last_ns, true, false);
		}
		end_propagation(m, t, false);
		t->phase_end_ns[t->phase] = end_ns > t->last_ns ? end_ns : t->last_ns;
	}
	us_patterns_finish(m);
	mark_exception_paths(m);
}

void us_program_info_free(struct us_program_info *info)
{
	free(info->cwd);
	free(info->main_path);
	free(info->main_module);
	memset(info, 0, sizeof(*info));
}

void us_model_enter_phase(struct us_model *m, struct us_thread *t, enum us_phase phase,
			  uint64_t ts)
{
	if (phase <= t->phase)
		return;
	t->phase_end_ns[t->phase] = ts;
	t->phase = phase;
	t->phase_start_ns[phase] = ts;
	if (t->roots[phase] == US_NO_NODE)
		t->roots[phase] = us_model_new_root(m);
	t->root = t->roots[phase];
}

bool us_node_shown(const struct us_model *m, uint32_t node)
{
	const struct us_node *n = &m->nodes[node];

	if (!n->count && !n->resumes)
		return false;
	return !m->filters.exception_only || n->on_exception_path;
}

void us_model_core_free(struct us_model *m)
{
	for (size_t i = 0; i < m->n_threads; i++) {
		free(m->threads[i].stack);
		free(m->threads[i].locals);
		free(m->threads[i].globals);
		free(m->threads[i].name);
		us_map_free(&m->threads[i].open_by_function);
		free(m->threads[i].raised_message);
	}
	for (size_t i = 0; i < m->n_functions; i++) {
		free(m->functions[i].name);
		free(m->functions[i].label);
		free(m->functions[i].object);
		free(m->functions[i].file);
		free(m->functions[i].module);
		free(m->functions[i].linetable);
		for (uint32_t k = 0; k < m->functions[i].n_varnames; k++)
			free(m->functions[i].varnames[k]);
		free(m->functions[i].varnames);
	}
	for (size_t i = 0; i < m->n_nodes; i++) {
		free(m->nodes[i].last_return);
		free(m->nodes[i].last_args);
	}
	free(m->functions);
	free(m->threads);
	free(m->nodes);
	for (size_t i = 0; m->funcs && i < m->n_functions; i++)
		free(m->funcs[i].latency);
	free(m->funcs);
	free(m->site_fn);
	free(m->aggregates);
	us_map_free(&m->aggregate_index);
	for (size_t i = 0; i < m->n_processes; i++)
		free(m->processes[i].command);
	free(m->processes);
	us_map_free(&m->task_pid);
	us_map_free(&m->code_index);
	us_map_free(&m->function_index);
	us_map_free(&m->node_index);
	us_map_free(&m->thread_index);
	us_filters_free(&m->filters);
	us_condition_free(m->condition);
	us_program_info_free(&m->program);
	memset(m, 0, sizeof(*m));
}
