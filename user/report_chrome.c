// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Chrome Trace Event JSON: an X event per call, M events naming threads.
 * Loads in Perfetto (ui.perfetto.dev) and chrome://tracing. */
#include "json_writer.h"
#include "report.h"

static double ns_to_us(uint64_t ns)
{
	return (double)ns / 1e3;
}

static void write_thread_names(struct us_json *j, const struct us_recording *rec,
			       const struct us_model *m)
{
	for (size_t i = 0; i < m->n_threads; i++) {
		us_json_object_begin(j);
		us_json_key(j, "name");
		us_json_string(j, "thread_name");
		us_json_key(j, "ph");
		us_json_string(j, "M");
		us_json_key(j, "pid");
		us_json_int(j, rec->pid);
		us_json_key(j, "tid");
		us_json_uint(j, m->threads[i].tid);
		us_json_key(j, "args");
		us_json_object_begin(j);
		us_json_key(j, "name");
		us_json_string(j, us_recording_thread_name(rec, m->threads[i].tid));
		us_json_object_end(j);
		us_json_object_end(j);
	}
}

static void write_call(struct us_json *j, const struct us_recording *rec,
		       const struct us_model *m, const struct us_call *c)
{
	us_json_object_begin(j);
	us_json_key(j, "name");
	us_json_string(j, us_function_name(m, c->fn_id));
	us_json_key(j, "cat");
	us_json_string(j, m->functions[c->fn_id].kind == US_FN_PYTHON ? "python" : "native");
	us_json_key(j, "ph");
	us_json_string(j, "X");
	us_json_key(j, "ts");
	us_json_double(j, ns_to_us(c->start_ns - rec->start_ns));
	us_json_key(j, "dur");
	us_json_double(j, ns_to_us(c->end_ns - c->start_ns));
	us_json_key(j, "pid");
	us_json_int(j, rec->pid);
	us_json_key(j, "tid");
	us_json_uint(j, c->tid);
	us_json_key(j, "args");
	us_json_object_begin(j);
	if (m->functions[c->fn_id].kind == US_FN_PYTHON) {
		us_json_key(j, "file");
		us_json_string(j, m->functions[c->fn_id].file);
		us_json_key(j, "line");
		us_json_uint(j, m->functions[c->fn_id].line);
	} else {
		us_json_key(j, "object");
		us_json_string(j, us_function_object(m, c->fn_id));
	}
	if (c->resume) {
		us_json_key(j, "resume");
		us_json_bool(j, true);
	}
	if (c->raised) {
		us_json_key(j, "raised");
		us_json_bool(j, true);
	}
	if (c->inferred) {
		us_json_key(j, "inferred_exit");
		us_json_bool(j, true);
	}
	us_json_object_end(j);
	us_json_object_end(j);
}

/* A garbage collection or an import, on the thread that ran it. */
static void write_span(struct us_json *j, const struct us_recording *rec, const struct us_span *s)
{
	char name[64];

	if (!s->module)
		snprintf(name, sizeof(name), "gc (generation %d)", s->generation);
	us_json_object_begin(j);
	us_json_key(j, "name");
	us_json_string(j, s->module ? s->module : name);
	us_json_key(j, "cat");
	us_json_string(j, s->module ? "import" : "gc");
	us_json_key(j, "ph");
	us_json_string(j, "X");
	us_json_key(j, "ts");
	us_json_double(j, ns_to_us(s->start_ns - rec->start_ns));
	us_json_key(j, "dur");
	us_json_double(j, ns_to_us(s->end_ns - s->start_ns));
	us_json_key(j, "pid");
	us_json_int(j, rec->pid);
	us_json_key(j, "tid");
	us_json_uint(j, s->tid);
	us_json_object_end(j);
}

/* A counter track ("C" events): heap in use, resident size (--memory). */
static void write_counter(struct us_json *j, const struct us_recording *rec, const char *name,
			  const struct us_counter_point *points, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		us_json_object_begin(j);
		us_json_key(j, "name");
		us_json_string(j, name);
		us_json_key(j, "ph");
		us_json_string(j, "C");
		us_json_key(j, "ts");
		us_json_double(j, ns_to_us(points[i].ts_ns > rec->start_ns
					   ? points[i].ts_ns - rec->start_ns : 0));
		us_json_key(j, "pid");
		us_json_int(j, rec->pid);
		us_json_key(j, "args");
		us_json_object_begin(j);
		us_json_key(j, "bytes");
		us_json_uint(j, points[i].bytes);
		us_json_object_end(j);
		us_json_object_end(j);
	}
}

void us_report_chrome(FILE *out, const struct us_recording *rec, const struct us_model *m)
{
	struct us_json j;

	us_json_init(&j, out, 2);
	us_json_object_begin(&j);
	us_json_key(&j, "displayTimeUnit");
	us_json_string(&j, "ms");
	us_json_key(&j, "otherData");
	us_json_object_begin(&j);
	us_json_key(&j, "uscope");
	us_json_string(&j, rec->uscope_version);
	us_json_key(&j, "lost_events");
	us_json_uint(&j, rec->lost_events);
	us_json_object_end(&j);
	us_json_key(&j, "traceEvents");
	us_json_array_begin(&j);
	write_thread_names(&j, rec, m);
	for (size_t i = 0; i < m->n_calls; i++)
		write_call(&j, rec, m, &m->calls[i]);
	for (size_t i = 0; i < m->n_spans; i++)
		write_span(&j, rec, &m->spans[i]);
	write_counter(&j, rec, "heap in use", m->memory.heap_points, m->memory.n_heap_points);
	write_counter(&j, rec, "resident size", m->memory.rss_points, m->memory.n_rss_points);
	us_json_array_end(&j);
	us_json_object_end(&j);
	us_json_finish(&j);
}
