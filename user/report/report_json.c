// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The json report: metadata, then each thread's call tree (docs/reports.md). */
#include "json_writer.h"
#include "report_formats.h"

struct stats {
	uint64_t count, resumes, total_ns, self_ns, min_ns, max_ns, inferred_exits, unfinished;
};

static void write_function(struct us_json *j, const struct us_model *m, uint32_t fn_id,
			   const struct stats *s)
{
	const struct us_function *fn = &m->functions[fn_id];

	us_json_kv_string(j, "kind", fn->kind == US_FN_PYTHON ? "python" : "native");
	us_json_function_location(j, fn);
	us_json_kv_uint(j, "count", s->count);
	if (fn->kind == US_FN_PYTHON) {
		us_json_kv_uint(j, "resumes", s->resumes);
	}
	us_json_kv_double(j, "total_ms", us_ns_to_ms(s->total_ns));
	us_json_kv_double(j, "self_ms", us_ns_to_ms(s->self_ns));
	us_json_kv_double(j, "min_ms", us_ns_to_ms(s->min_ns));
	us_json_kv_double(j, "max_ms", us_ns_to_ms(s->max_ns));
	us_json_kv_uint(j, "inferred_exits", s->inferred_exits);
	if (s->unfinished)
		us_json_kv_uint(j, "unfinished", s->unfinished);
}

static void write_node_exceptions(struct us_json *j, const struct us_model *m,
				  const struct us_node *n)
{
	us_json_key(j, "exceptions");
	us_json_array_begin(j);
	for (uint32_t e = n->first_exception; e != US_NO_NODE; e = m->node_exceptions[e].next) {
		us_json_object_begin(j);
		us_json_kv_string(j, "type", m->node_exceptions[e].type);
		us_json_kv_string(j, "message", m->node_exceptions[e].message);
		us_json_kv_uint(j, "count", m->node_exceptions[e].count);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

static void write_python_node(struct us_json *j, const struct us_model *m,
			      const struct us_node *n)
{
	if (n->n_call_lines) {	/* the lines of its caller it was called from */
		us_json_key(j, "call_lines");
		us_json_array_begin(j);
		for (uint8_t i = 0; i < n->n_call_lines; i++)
			us_json_uint(j, (uint64_t)n->call_lines[i]);
		us_json_array_end(j);
		if (n->more_call_lines)
			us_json_kv_bool(j, "more_call_lines", true);
	}
	if (n->exception_exits)
		write_node_exceptions(j, m, n);
	if (n->last_return) {
		us_json_kv_string(j, "return", n->last_return);
	}
	if (n->last_args) {
		us_json_kv_string(j, "args", n->last_args);
	}
	if (n->collapsed) {
		us_json_kv_bool(j, "collapsed", true);
	}
}

/* Deeper than this, a subtree is cut, with what it held (a recursion
 * thousands deep would otherwise nest that deep). */
#define MAX_JSON_DEPTH 256

static void write_node_fields(struct us_json *j, const struct us_model *m, uint32_t node_idx)
{
	const struct us_node *n = &m->nodes[node_idx];
	struct stats s = { n->count, n->resumes, n->total_ns, n->self_ns, n->min_ns, n->max_ns,
			   n->inferred_exits, n->unfinished };

	write_function(j, m, n->fn_id, &s);
	if (m->functions[n->fn_id].kind == US_FN_PYTHON)
		write_python_node(j, m, n);
	if (m->memory.recorded) {
		us_json_kv_uint(j, "alloc_count", n->mem.allocs);
		us_json_kv_uint(j, "alloc_bytes", n->mem.bytes);
	}
}

/* "truncated": how deep and how many calls the cut subtree held. */
static void write_cut(struct us_json *j, const struct us_model *m, uint32_t node)
{
	size_t levels;
	uint64_t calls;

	us_subtree_size(m, node, &levels, &calls);
	us_json_key(j, "truncated");
	us_json_object_begin(j);
	us_json_kv_uint(j, "levels", levels);
	us_json_kv_uint(j, "calls", calls);
	us_json_object_end(j);
}

/* "calls": the tree below `root`, each node with its own "calls". */
void us_json_call_tree(struct us_json *j, const struct us_model *m, uint32_t root,
		       us_json_node_fn write_fields)
{
	struct us_walk w;
	size_t depth, open = 0;
	uint32_t node;

	us_json_key(j, "calls");
	us_json_array_begin(j);
	us_walk_init(&w, m, root, US_SORT_FIRST, false);
	while (us_walk_next(&w, &node, &depth, NULL)) {
		for (; open >= depth; open--) {
			us_json_array_end(j);
			us_json_object_end(j);
		}
		us_json_object_begin(j);
		write_fields(j, m, node);
		us_json_key(j, "calls");
		us_json_array_begin(j);
		if (depth >= MAX_JSON_DEPTH && m->nodes[node].first_child != US_NO_NODE) {
			us_json_array_end(j);
			write_cut(j, m, node);
			us_json_object_end(j);
			us_walk_skip_children(&w);
			continue;
		}
		open++;
	}
	for (; open > 0; open--) {
		us_json_array_end(j);
		us_json_object_end(j);
	}
	us_walk_free(&w);
	us_json_array_end(j);
}

static const char *const phase_keys[] = {
	[US_PHASE_STARTUP] = "startup", [US_PHASE_SHUTDOWN] = "shutdown",
};

/* A Python program's start-up or shutdown on its main thread. */
static void write_phase(struct us_json *j, const struct us_model *m, const struct us_thread *t,
			enum us_phase phase)
{
	uint64_t calls = 0;

	if (t->roots[phase] == US_NO_NODE)
		return;
	us_json_key(j, phase_keys[phase]);
	us_json_object_begin(j);
	us_subtree_size(m, t->roots[phase], NULL, &calls);
	us_json_kv_uint(j, "call_count", calls);
	us_json_kv_double(j, "duration_ms", us_ns_to_ms(t->phase_end_ns[phase] > t->phase_start_ns[phase]
				      ? t->phase_end_ns[phase] - t->phase_start_ns[phase] : 0));
	us_json_call_tree(j, m, t->roots[phase], write_node_fields);
	us_json_object_end(j);
}

static void write_metadata(struct us_json *j, const struct us_recording *rec,
			   const struct us_model *m)
{
	us_json_kv_string(j, "uscope", rec->uscope_version);
	us_json_kv_string(j, "mode", rec->mode);
	us_json_command(j, rec);
	us_json_key(j, "exit_status");
	if (rec->exited)
		us_json_int(j, rec->exit_status);
	else
		us_json_null(j);
	us_json_kv_double(j, "duration_ms",
			  us_ns_to_ms(rec->end_ns > rec->start_ns ? rec->end_ns - rec->start_ns : 0));
	us_json_kv_uint(j, "lost_events", rec->lost_events);
	if (rec->truncated) {
		us_json_kv_bool(j, "truncated", true); /* uscope was killed: read to the last chunk */
	}
	us_json_kv_uint(j, "total_calls", m->total_calls);
	if (rec->aggregate)
		us_json_kv_bool(j, "aggregate", true);
	if (rec->python) {
		us_json_kv_string(j, "python", rec->python);
		us_json_kv_uint(j, "python_calls", m->python_calls);
	}
	if (m->condition)
		us_json_kv_string(j, "condition", m->filters.condition);
	us_json_kv_uint(j, "inferred_exits", m->inferred_exits);
	us_json_kv_uint(j, "unfinished_calls", m->unfinished_calls);
	us_json_kv_uint(j, "unmatched_exits", m->unmatched_exits);
}

/* --aggregate: "latency": [{"from_ns": 2^i, "calls": N}], the buckets used;
 * the last one holds everything from its bound up. */
static void write_latency(struct us_json *j, const struct us_func_stats *f)
{
	us_json_kv_uint(j, "timed", f->timed);
	us_json_key(j, "latency");
	us_json_array_begin(j);
	for (size_t b = 0; b < US_LATENCY_BUCKETS; b++) {
		if (!f->latency[b])
			continue;
		us_json_object_begin(j);
		us_json_kv_uint(j, "from_ns", 1ull << b);
		us_json_kv_uint(j, "calls", f->latency[b]);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

static void write_functions(struct us_json *j, const struct us_model *m)
{
	us_json_key(j, "functions");
	us_json_array_begin(j);
	for (uint32_t i = 0; i < m->n_functions; i++) {
		const struct us_func_stats *f = &m->funcs[i];
		struct stats s = { f->count, f->resumes, f->total_ns, f->self_ns, f->min_ns,
				   f->max_ns, f->inferred_exits, f->unfinished };

		if (!f->count && !f->resumes)
			continue;
		us_json_object_begin(j);
		write_function(j, m, i, &s);
		if (f->latency)
			write_latency(j, f);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

static void write_chain(struct us_json *j, const struct us_model *m,
			const struct us_exception_chain *c)
{
	us_json_object_begin(j);
	us_json_kv_string(j, "type", c->type);
	us_json_kv_string(j, "message", c->message);
	us_json_kv_uint(j, "count", c->count);
	us_json_kv_bool(j, "caught", c->caught);
	us_json_kv_uint(j, "tid", c->tid);
	us_json_key(j, "frames");
	us_json_array_begin(j);
	for (size_t i = 0; i < c->n_frames; i++) {
		const struct us_function *fn = &m->functions[c->fn_ids[i]];

		us_json_object_begin(j);
		us_json_kv_string(j, "function", fn->name);
		us_json_kv_string(j, "file", fn->file);
		us_json_key(j, "line");
		if (c->lines[i] >= 0)
			us_json_int(j, c->lines[i]);
		else
			us_json_null(j);
		us_json_object_end(j);
	}
	us_json_array_end(j);
	us_json_object_end(j);
}

void us_json_exceptions(struct us_json *j, const struct us_model *m)
{
	us_json_key(j, "exceptions");
	us_json_array_begin(j);
	for (size_t i = 0; i < m->n_chains; i++)
		write_chain(j, m, &m->chains[i]);
	us_json_array_end(j);
}

/* Exceptions with the frames they passed through, collections, imports. */
static void write_python(struct us_json *j, const struct us_model *m)
{
	us_json_exceptions(j, m);
	us_json_gc(j, m);
	us_json_kv_uint(j, "imports", m->imports);
}

/* "processes": each process traced (--follow): pid, parent, command line,
 * and its threads' ids. */
static void write_processes(struct us_json *j, const struct us_recording *rec,
			    const struct us_model *m)
{
	us_json_key(j, "processes");
	us_json_array_begin(j);
	for (size_t i = 0; i < m->n_processes; i++) {
		const struct us_process *p = &m->processes[i];

		us_json_object_begin(j);
		us_json_kv_uint(j, "pid", p->pid);
		us_json_kv_uint(j, "parent_pid", p->parent_pid);
		us_json_kv_string(j, "command", p->command ? p->command : "");
		us_json_key(j, "threads");
		us_json_array_begin(j);
		for (size_t k = 0; k < m->n_threads; k++) {
			uint32_t pid = m->threads[k].pid ? m->threads[k].pid : (uint32_t)rec->pid;

			if (pid == p->pid)
				us_json_uint(j, m->threads[k].tid);
		}
		us_json_array_end(j);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

void us_report_json(FILE *out, const struct us_recording *rec, const struct us_model *m,
		    const struct us_report_options *ro)
{
	struct us_json j;

	us_json_init(&j, out, US_JSON_PRETTY);
	us_json_object_begin(&j);
	write_metadata(&j, rec, m);
	us_json_key(&j, "threads");
	us_json_array_begin(&j);
	for (size_t i = 0; i < m->n_threads; i++) {
		const struct us_thread *t = &m->threads[i];

		us_json_object_begin(&j);
		us_json_key(&j, "tid");
		us_json_uint(&j, t->tid);
		us_json_key(&j, "name");
		us_json_string(&j, us_thread_display_name(rec, t));
		us_json_kv_uint(&j, "pid", t->pid ? t->pid : (uint64_t)rec->pid);
		if (t->roots[US_PHASE_PROGRAM] != US_NO_NODE)
			us_json_call_tree(&j, m, t->roots[US_PHASE_PROGRAM], write_node_fields);
		else {
			us_json_key(&j, "calls");
			us_json_array_begin(&j);
			us_json_array_end(&j);
		}
		write_phase(&j, m, t, US_PHASE_STARTUP);
		write_phase(&j, m, t, US_PHASE_SHUTDOWN);
		us_json_object_end(&j);
	}
	us_json_array_end(&j);
	write_processes(&j, rec, m);
	write_functions(&j, m);
	us_json_patterns(&j, m);
	us_json_bottlenecks(&j, m);
	if (m->line_events)
		us_json_lines(&j, m, ro);
	if (m->n_awaits)
		us_json_awaits(&j, rec, m, ro);
	if (m->n_tests)
		us_json_tests(&j, rec, m);
	if (rec->python)
		write_python(&j, m);
	if (rec->memory)
		us_json_memory_section(&j, rec, m);
	us_json_object_end(&j);
	us_json_finish(&j);
}
