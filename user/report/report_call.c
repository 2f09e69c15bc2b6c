// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One call as a JSON document: arguments, return or exception, its calls (docs/reports.md). */
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "util.h"
#include "report.h"
#include "report_call.h"

/* The first activation of the focus function: a top-level node. */
static uint32_t focus_node(const struct us_model *m)
{
	for (size_t i = 0; i < m->n_threads; i++)
		for (int phase = 0; phase < US_PHASES; phase++)
			if (m->threads[i].roots[phase] != US_NO_NODE)
				us_node_for_each_child(m, m->threads[i].roots[phase], top)
					if (m->functions[m->nodes[top].fn_id].is_focus &&
					    m->nodes[top].count)
						return top;
	return US_NO_NODE;
}

static void write_call_fields(struct us_json *j, const struct us_model *m, uint32_t node)
{
	const struct us_node *n = &m->nodes[node];

	us_json_function_location(j, &m->functions[n->fn_id]);
	us_json_kv_uint(j, "count", n->count);
	us_json_kv_double(j, "duration_ms", us_ns_to_ms(n->total_ns));
	if (n->last_args) {
		us_json_kv_string(j, "args", n->last_args);
	}
	if (n->last_return) {
		us_json_kv_string(j, "return", n->last_return);
	}
}

/* The functions run inside the call: exceptions raised among them belong to it. */
static void mark_subtree(const struct us_model *m, uint32_t node, bool *inside)
{
	struct us_walk w;
	size_t depth;
	uint32_t n;

	inside[m->nodes[node].fn_id] = true;
	us_walk_init(&w, m, node, US_SORT_FIRST, true);
	while (us_walk_next(&w, &n, &depth, NULL))
		inside[m->nodes[n].fn_id] = true;
	us_walk_free(&w);
}

static void write_traceback(struct us_json *j, const struct us_model *m,
			    const struct us_exception_chain *c)
{
	us_json_key(j, "traceback");
	us_json_array_begin(j);
	for (size_t i = c->n_frames; i > 0; i--) {	/* outermost first, like Python */
		const struct us_function *fn = &m->functions[c->fn_ids[i - 1]];
		char line[1024];

		if (c->lines[i - 1] >= 0)
			snprintf(line, sizeof(line), "    at %s, %s:%d", fn->name, fn->file,
				 c->lines[i - 1]);
		else
			snprintf(line, sizeof(line), "    at %s, %s", fn->name, fn->file);
		us_json_string(j, line);
	}
	us_json_array_end(j);
}

static bool passes_through_focus(const struct us_model *m, const struct us_exception_chain *c)
{
	for (size_t i = 0; i < c->n_frames; i++)
		if (m->functions[c->fn_ids[i]].is_focus)
			return true;
	return false;
}

static void write_exceptions(struct us_json *j, const struct us_model *m, uint32_t node)
{
	bool *inside = calloc(m->n_functions + 1, sizeof(*inside));

	if (inside)
		mark_subtree(m, node, inside);
	us_json_key(j, "exceptions");
	us_json_array_begin(j);
	for (size_t i = 0; inside && i < m->n_chains; i++) {
		const struct us_exception_chain *c = &m->chains[i];

		if (!c->n_frames || !inside[c->fn_ids[0]])
			continue;
		us_json_object_begin(j);
		us_json_kv_string(j, "type", c->type);
		us_json_kv_string(j, "message", c->message);
		us_json_kv_uint(j, "count", c->count);
		/* inside the call: it never left the function */
		us_json_kv_bool(j, "caught", c->caught && !passes_through_focus(m, c));
		write_traceback(j, m, c);
		us_json_object_end(j);
	}
	us_json_array_end(j);
	free(inside);
}

static void write_arguments(struct us_json *j, const struct us_call_info *info)
{
	us_json_key(j, "arguments");
	us_json_object_begin(j);
	for (size_t i = 0; i < info->n_args; i++) {
		us_json_key(j, info->args[i].name);
		us_json_string(j, info->args[i].value);
	}
	us_json_object_end(j);
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

static uint64_t subtree_leaked_bytes(const struct us_model *m, uint32_t node)
{
	uint64_t bytes = m->nodes[node].mem.leaked_bytes;
	struct us_walk w;
	size_t depth;
	uint32_t n;

	us_walk_init(&w, m, node, US_SORT_FIRST, true);
	while (us_walk_next(&w, &n, &depth, NULL))
		bytes += m->nodes[n].mem.leaked_bytes;
	us_walk_free(&w);
	return bytes;
}

static void write_operation(struct us_json *j, const char *name, const struct us_memory_stats *s,
			    bool self)
{
	us_json_object_begin(j);
	us_json_kv_string(j, "operation", name);
	us_json_kv_double(j, "memory_mb", mib(self ? s->bytes : s->incl_bytes));
	us_json_kv_uint(j, "allocations", self ? s->allocs : s->incl_allocs);
	us_json_object_end(j);
}

/* Seed 000's memory_profile (call --memory): the process's resident size,
 * and what the call allocated: itself, then each function it called. */
static void write_memory_profile(struct us_json *j, const struct us_model *m, uint32_t node)
{
	const struct us_memory *mem = &m->memory;
	const struct us_node *n = &m->nodes[node];

	us_json_key(j, "memory_profile");
	us_json_object_begin(j);
	us_json_kv_double(j, "initial_mb", mib(mem->totals.initial_rss_bytes));
	us_json_kv_double(j, "peak_mb", mib(mem->totals.peak_rss_bytes));
	us_json_kv_double(j, "final_mb", mib(mem->totals.final_rss_bytes));
	us_json_kv_double(j, "allocated_mb", mib(n->mem.incl_bytes));
	us_json_key(j, "allocations");
	us_json_array_begin(j);
	write_operation(j, m->functions[n->fn_id].name, &n->mem, true);
	us_node_for_each_child(m, node, child)
		if (m->nodes[child].mem.incl_allocs)
			write_operation(j, m->functions[m->nodes[child].fn_id].name,
					&m->nodes[child].mem, false);
	us_json_array_end(j);
	us_json_kv_uint(j, "garbage_collections",
			m->gc_at_shutdown.collections ? m->gc_at_shutdown.collections
						      : m->gc.collections);
	us_json_kv_double(j, "memory_leaked_mb", mib(subtree_leaked_bytes(m, node)));
	us_json_object_end(j);
}

/* Seed 000's performance_profile (call --profile): the call's time by
 * operation (its own time, then each function it called, their nodes
 * added up), most first, and the bottlenecks inside it. */
struct operation {
	uint32_t fn_id;
	uint64_t ns;
};

static int most_time_first(const void *a, const void *b)
{
	const struct operation *x = a, *y = b;

	return x->ns > y->ns ? -1 : x->ns < y->ns;
}

static void write_performance_profile(struct us_json *j, const struct us_model *m, uint32_t node)
{
	const struct us_node *n = &m->nodes[node];
	struct operation *ops = calloc(m->n_functions + 1, sizeof(*ops));
	size_t n_ops = 0;

	if (!ops)
		return;
	ops[n_ops++] = (struct operation){ n->fn_id, n->self_ns };
	us_node_for_each_child(m, node, child) {
		const struct us_node *c = &m->nodes[child];
		size_t k = 1;

		if (!c->count && !c->resumes)
			continue;
		while (k < n_ops && ops[k].fn_id != c->fn_id)
			k++;
		if (k == n_ops)
			ops[n_ops++] = (struct operation){ c->fn_id, 0 };
		ops[k].ns += c->total_ns;
	}
	us_sort(ops, n_ops, sizeof(*ops), most_time_first);
	us_json_key(j, "performance_profile");
	us_json_object_begin(j);
	us_json_kv_double(j, "total_time", us_ns_to_ms(n->total_ns));
	us_json_key(j, "time_by_operation");
	us_json_array_begin(j);
	for (size_t i = 0; i < n_ops; i++) {
		char name[512];

		snprintf(name, sizeof(name), "%s%s", m->functions[ops[i].fn_id].name,
			 ops[i].fn_id == n->fn_id && i < n_ops ? " (itself)" : "");
		us_json_object_begin(j);
		us_json_kv_string(j, "operation", name);
		us_json_kv_double(j, "time_ms", us_ns_to_ms(ops[i].ns));
		us_json_kv_double(j, "percent", n->total_ns ? 100.0 * (double)ops[i].ns /
				  (double)n->total_ns : 0);
		us_json_object_end(j);
	}
	us_json_array_end(j);
	us_json_call_bottlenecks(j, m, n->total_ns);
	us_json_object_end(j);
	free(ops);
}

static void write_execution(struct us_json *j, const struct us_model *m, uint32_t node,
			    const struct us_call_info *info)
{
	const struct us_node *n = &m->nodes[node];
	const struct us_function *fn = &m->functions[n->fn_id];
	bool raised = n->exception_exits > 0;

	us_json_object_begin(j);
	us_json_function_location(j, fn);
	write_arguments(j, info);
	us_json_kv_double(j, "duration_ms", us_ns_to_ms(n->total_ns));
	us_json_key(j, "return_value");
	if (!raised && info->yields >= 0) {
		char text[64];

		snprintf(text, sizeof(text), "generator (%lld items)", info->yields);
		us_json_string(j, text);
	} else if (!raised && n->last_return) {
		us_json_string(j, n->last_return);
	} else {
		us_json_null(j);
	}
	us_json_kv_bool(j, "raised_exception", raised);
	if (raised) {
		us_json_key(j, "exception");
		us_json_object_begin(j);
		us_json_kv_string(j, "type", m->node_exceptions[n->first_exception].type);
		us_json_kv_string(j, "message", m->node_exceptions[n->first_exception].message);
		us_json_object_end(j);
	}
	us_json_call_tree(j, m, node, write_call_fields);
	write_exceptions(j, m, node);
	if (m->memory.recorded)
		write_memory_profile(j, m, node);
	if (info->profile)
		write_performance_profile(j, m, node);
	us_json_kv_bool(j, "partial_execution", raised);
	us_json_kv_bool(j, "timed_out", info->timed_out);	/* --timeout stopped it */
	us_json_object_end(j);
}

/* Python refused the call before the function ran (TypeError). */
static void write_refused_call(struct us_json *j, const struct us_model *m,
			       const struct us_call_info *info)
{
	us_json_object_begin(j);
	us_json_kv_string(j, "function",
			  strrchr(info->path, '.') ? strrchr(info->path, '.') + 1 : info->path);
	us_json_kv_string(j, "file", info->file);
	us_json_kv_uint(j, "line", info->line);
	write_arguments(j, info);
	us_json_kv_double(j, "duration_ms", 0);
	us_json_key(j, "return_value");
	us_json_null(j);
	us_json_kv_bool(j, "raised_exception", true);
	us_json_key(j, "exception");
	us_json_object_begin(j);
	us_json_kv_string(j, "type", info->raised_type);
	us_json_kv_string(j, "message", info->raised_message);
	us_json_object_end(j);
	us_json_key(j, "calls");
	us_json_array_begin(j);
	us_json_array_end(j);
	us_json_key(j, "exceptions");
	us_json_array_begin(j);
	us_json_array_end(j);
	us_json_kv_bool(j, "partial_execution", true);
	us_json_object_end(j);
}

void us_report_call(FILE *out, const struct us_recording *rec, const struct us_model *m,
		    const struct us_call_info *info)
{
	uint32_t node = focus_node(m);
	struct us_json j;

	us_json_init(&j, out, US_JSON_PRETTY);
	us_json_object_begin(&j);
	us_json_key(&j, "path");
	us_json_string(&j, info->path);
	us_json_key(&j, "execution");
	if (node != US_NO_NODE)
		write_execution(&j, m, node, info);
	else if (info->raised_type)
		write_refused_call(&j, m, info);	/* the arguments did not fit */
	else
		us_json_null(&j);	/* the function never ran */
	us_json_key(&j, "lost_events");
	us_json_uint(&j, rec->lost_events);
	us_json_key(&j, "python");
	us_json_string(&j, rec->python ? rec->python : "");
	us_json_object_end(&j);
	us_json_finish(&j);
}

void us_call_info_free(struct us_call_info *info)
{
	for (size_t i = 0; i < info->n_args; i++) {
		free(info->args[i].name);
		free(info->args[i].value);
	}
	free(info->args);
	free(info->file);
	free(info->error);
	free(info->raised_type);
	free(info->raised_message);
}
