// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The json report: metadata, then each thread's call tree (docs/reports.md). */
#include "json_writer.h"
#include "report.h"

struct stats {
	uint64_t count, total_ns, self_ns, min_ns, max_ns, inferred_exits;
};

static void write_function(struct us_json *j, const struct us_model *m, uint32_t site_id,
			   const struct stats *s)
{
	us_json_key(j, "function");
	us_json_string(j, us_site_name(m, site_id));
	us_json_key(j, "object");
	us_json_string(j, us_site_object(m, site_id));
	us_json_key(j, "count");
	us_json_uint(j, s->count);
	us_json_key(j, "total_ms");
	us_json_double(j, us_ns_to_ms(s->total_ns));
	us_json_key(j, "self_ms");
	us_json_double(j, us_ns_to_ms(s->self_ns));
	us_json_key(j, "min_ms");
	us_json_double(j, us_ns_to_ms(s->min_ns));
	us_json_key(j, "max_ms");
	us_json_double(j, us_ns_to_ms(s->max_ns));
	us_json_key(j, "inferred_exits");
	us_json_uint(j, s->inferred_exits);
}

static void write_node(struct us_json *j, const struct us_model *m, uint32_t node_idx)
{
	const struct us_node *n = &m->nodes[node_idx];
	struct stats s = { n->count, n->total_ns, n->self_ns, n->min_ns, n->max_ns,
			   n->inferred_exits };

	us_json_object_begin(j);
	write_function(j, m, n->site_id, &s);
	us_json_key(j, "kind");
	us_json_string(j, "native");
	us_json_key(j, "calls");
	us_json_array_begin(j);
	us_node_for_each_child(m, node_idx, child)
		if (m->nodes[child].count)
			write_node(j, m, child);
	us_json_array_end(j);
	us_json_object_end(j);
}

static void write_metadata(struct us_json *j, const struct us_recording *rec,
			   const struct us_model *m)
{
	us_json_key(j, "uscope");
	us_json_string(j, rec->uscope_version);
	us_json_key(j, "mode");
	us_json_string(j, rec->mode);
	us_json_key(j, "command");
	us_json_array_begin(j);
	for (size_t i = 0; i < rec->argc; i++)
		us_json_string(j, rec->argv[i]);
	us_json_array_end(j);
	us_json_key(j, "pid");
	us_json_int(j, rec->pid);
	us_json_key(j, "exit_status");
	if (rec->exited)
		us_json_int(j, rec->exit_status);
	else
		us_json_null(j);
	us_json_key(j, "duration_ms");
	us_json_double(j, us_ns_to_ms(rec->end_ns > rec->start_ns ? rec->end_ns - rec->start_ns : 0));
	us_json_key(j, "lost_events");
	us_json_uint(j, rec->lost_events);
	us_json_key(j, "total_calls");
	us_json_uint(j, m->total_calls);
	us_json_key(j, "inferred_exits");
	us_json_uint(j, m->inferred_exits);
	us_json_key(j, "unfinished_calls");
	us_json_uint(j, m->unfinished_calls);
	us_json_key(j, "unmatched_exits");
	us_json_uint(j, m->unmatched_exits);
}

static void write_functions(struct us_json *j, const struct us_model *m)
{
	us_json_key(j, "functions");
	us_json_array_begin(j);
	for (uint32_t i = 0; i < m->n_sites; i++) {
		const struct us_func_stats *f = &m->funcs[i];
		struct stats s = { f->count, f->total_ns, f->self_ns, f->min_ns, f->max_ns,
				   f->inferred_exits };

		if (!f->count)
			continue;
		us_json_object_begin(j);
		write_function(j, m, i, &s);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

void us_report_json(FILE *out, const struct us_recording *rec, const struct us_model *m)
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
		us_json_string(&j, us_recording_thread_name(rec, t->tid));
		us_json_key(&j, "calls");
		us_json_array_begin(&j);
		us_node_for_each_child(m, t->root, top)
			if (m->nodes[top].count)
				write_node(&j, m, top);
		us_json_array_end(&j);
		us_json_object_end(&j);
	}
	us_json_array_end(&j);
	write_functions(&j, m);
	us_json_object_end(&j);
	us_json_finish(&j);
}
