// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Chrome Trace Event JSON, written while the model is built, each event kind
 * where it means something:
 *   X      a call, as it ends; garbage collections and imports
 *   B      a call still running when tracing stopped (it has no end)
 *   i      where a Python exception started
 *   C      counter tracks (heap in use, resident size)
 *   b/n/e  a coroutine, one async slice from its first run to its last
 *          (an "await" slice nested in it for each suspension),
 *          an n at each resume after an await
 *   s/t/f  flows: from the call that made a thread or process to its first
 *          call; through a coroutine's runs, first to last
 *   M      thread names
 * Loads in Perfetto (ui.perfetto.dev) and chrome://tracing, which order
 * events themselves.
 */
#include <stdlib.h>
#include <sys/types.h>
#include "hashmap.h"
#include "json_writer.h"
#include "python_layout.h"
#include "log.h"
#include "report.h"
#include "report_stream.h"
#include "util.h"

/* Perfetto's UI loads traces of a few hundred MB comfortably; past this a
 * warning suggests thinning. */
#define LARGE_TRACE_BYTES (512ull << 20)

/* A coroutine seen running: its async slice is open until its frame is
 * reused or the trace ends. */
struct coroutine {
	uint64_t id;
	uint32_t tid, fn_id;
	uint64_t first_start_ns, last_end_ns;
	uint64_t pending_step_ns;	/* its latest resume, not yet a flow step */
	uint32_t runs;
	bool closed;			/* its frame was reused: written to its end */
};

/* A thread or process made by a traced thread: its flow ends at its first
 * event. */
struct new_task {
	uint64_t id;
	uint32_t tid;
};

struct chrome {
	FILE *out;
	struct us_json j;
	const struct us_recording *rec;
	uint64_t events;
	uint64_t next_id;		/* of async slices and flows */
	struct coroutine *coroutines;
	size_t n_coroutines, coroutines_cap;
	struct us_map coroutine_index;	/* frame address -> coroutines[] */
	struct new_task *tasks;
	size_t n_tasks, tasks_cap;
};

static double us_since_start(const struct chrome *c, uint64_t ts)
{
	return (double)(ts > c->rec->start_ns ? ts - c->rec->start_ns : 0) / 1e3;
}

static void write_timing(struct chrome *c, const char *ph, uint64_t start_ns, uint64_t end_ns,
			 uint32_t tid)
{
	struct us_json *j = &c->j;

	us_json_kv_string(j, "ph", ph);
	us_json_kv_double(j, "ts", us_since_start(c, start_ns));
	if (end_ns) {
		us_json_kv_double(j, "dur", (double)(end_ns > start_ns ? end_ns - start_ns : 0) / 1e3);
	}
	us_json_kv_int(j, "pid", c->rec->pid);
	if (tid) {
		us_json_kv_uint(j, "tid", tid);
	}
	c->events++;
}

/* Where an exception started: an instant event ("i", thread scope) at the
 * end of the call that raised it. */
static void write_raise(struct chrome *c, const struct us_model *m, const struct us_call *call)
{
	struct us_json *j = &c->j;
	char name[96];

	snprintf(name, sizeof(name), "raise %s", call->exception);
	us_json_object_begin(j);
	us_json_kv_string(j, "name", name);
	us_json_kv_string(j, "cat", "exception");
	write_timing(c, "i", call->end_ns, 0, call->tid);
	us_json_kv_string(j, "s", "t");
	us_json_key(j, "args");
	us_json_object_begin(j);
	us_json_kv_string(j, "function", us_function_name(m, call->fn_id));
	us_json_object_end(j);
	us_json_object_end(j);
}

/* An async ("b", "n", "e") or flow ("s", "t", "f") event of `id`. */
static void write_linked(struct chrome *c, const char *ph, const char *cat, const char *name,
			 uint64_t id, uint64_t ts_ns, uint32_t tid)
{
	struct us_json *j = &c->j;

	us_json_object_begin(j);
	us_json_kv_string(j, "name", name);
	us_json_kv_string(j, "cat", cat);
	us_json_kv_uint(j, "id", id);
	write_timing(c, ph, ts_ns, 0, tid);
	if (ph[0] == 'f' || ph[0] == 't')
		us_json_kv_string(j, "bp", "e");	/* bound to the slice it falls in */
	us_json_object_end(j);
}

static void close_coroutine(struct chrome *c, const struct us_model *m, struct coroutine *k)
{
	const char *name = us_function_name(m, k->fn_id);

	if (k->closed)
		return;
	k->closed = true;
	write_linked(c, "e", "coroutine", name, k->id, k->last_end_ns, k->tid);
	if (k->runs > 1)
		write_linked(c, "f", "coroutine", name, k->id, k->pending_step_ns, k->tid);
}

/* A run of a coroutine (3.8+: its frame names it across its resumes). */
static void coroutine_ran(struct chrome *c, const struct us_model *m, const struct us_call *call)
{
	const char *name = us_function_name(m, call->fn_id);
	uint32_t at = us_map_get(&c->coroutine_index, call->instance);
	struct coroutine *k = at != US_MAP_NONE ? &c->coroutines[at] : NULL;

	if (k && (!call->resume || k->fn_id != call->fn_id)) {	/* its frame, reused */
		close_coroutine(c, m, k);
		k = NULL;
	}
	if (!k) {
		if (call->resume)
			return;	/* first seen resuming: began before tracing */
		us_grow(&c->coroutines, &c->coroutines_cap, c->n_coroutines + 1,
			sizeof(*c->coroutines));
		k = &c->coroutines[at != US_MAP_NONE ? at : c->n_coroutines++];
		*k = (struct coroutine){ .id = ++c->next_id, .tid = call->tid, .fn_id = call->fn_id,
					 .first_start_ns = call->start_ns };
		us_map_put(&c->coroutine_index, call->instance, (uint32_t)(k - c->coroutines));
		write_linked(c, "b", "coroutine", name, k->id, call->start_ns, call->tid);
	} else {
		/* resumed after an await: the flow steps through each run */
		if (k->runs == 1)
			write_linked(c, "s", "coroutine", name, k->id, k->first_start_ns, k->tid);
		else
			write_linked(c, "t", "coroutine", name, k->id, k->pending_step_ns, k->tid);
		write_linked(c, "n", "coroutine", "resumed", k->id, call->start_ns, call->tid);
		/* the await it was suspended in: a slice nested in the coroutine's */
		write_linked(c, "b", "coroutine", "await", k->id, k->last_end_ns, k->tid);
		write_linked(c, "e", "coroutine", "await", k->id, call->start_ns, call->tid);
		k->pending_step_ns = call->start_ns;
	}
	k->runs++;
	k->last_end_ns = call->end_ns ? call->end_ns : call->start_ns;
}

static void call_ended(void *ctx, const struct us_model *m, size_t thread,
		       const struct us_call *call, bool shown)
{
	struct chrome *c = ctx;
	struct us_json *j = &c->j;
	const struct us_function *fn = &m->functions[call->fn_id];

	if (!shown)
		return;
	if (call->instance && fn->kind == US_FN_PYTHON && (fn->code_flags & US_CO_COROUTINE))
		coroutine_ran(c, m, call);
	us_json_object_begin(j);
	us_json_kv_string(j, "name", us_function_name(m, call->fn_id));
	us_json_kv_string(j, "cat", fn->kind == US_FN_PYTHON ? "python" : "native");
	if (call->unfinished)	/* no end: a slice that began and did not end */
		write_timing(c, "B", call->start_ns, 0, call->tid);
	else
		write_timing(c, "X", call->start_ns, call->end_ns ? call->end_ns : call->start_ns,
			     call->tid);
	us_json_key(j, "args");
	us_json_object_begin(j);
	if (fn->kind == US_FN_PYTHON) {
		us_json_kv_string(j, "file", fn->file);
		us_json_kv_uint(j, "line", fn->line);
	} else {
		us_json_kv_string(j, "object", fn->object);
	}
	if (call->call_line > 0) {
		us_json_kv_int(j, "call_line", call->call_line);	/* in its caller */
	}
	if (call->resume) {
		us_json_kv_bool(j, "resume", true);
	}
	if (call->raised) {
		us_json_kv_bool(j, "raised", true);
	}
	if (call->inferred) {
		us_json_kv_bool(j, "inferred_exit", true);
	}
	us_json_object_end(j);
	us_json_object_end(j);
	if (call->exception && call->raised_here)
		write_raise(c, m, call);
}

/* A garbage collection or an import, on the thread that ran it. */
static void span(void *ctx, const struct us_model *m, const struct us_span *s)
{
	struct chrome *c = ctx;
	char name[64];

	if (!s->module)
		snprintf(name, sizeof(name), "gc (generation %d)", s->generation);
	us_json_object_begin(&c->j);
	us_json_key(&c->j, "name");
	us_json_string(&c->j, s->module ? s->module : name);
	us_json_key(&c->j, "cat");
	us_json_string(&c->j, s->module ? "import" : "gc");
	write_timing(c, "X", s->start_ns, s->end_ns ? s->end_ns : s->start_ns, s->tid);
	us_json_object_end(&c->j);
}

/* A point of a counter track ("C" events). */
static void counter(void *ctx, const struct us_model *m, enum us_counter which, uint64_t ts,
		    uint64_t bytes)
{
	struct chrome *c = ctx;

	us_json_object_begin(&c->j);
	us_json_key(&c->j, "name");
	us_json_string(&c->j, which == US_COUNTER_HEAP ? "heap in use" : "resident size");
	write_timing(c, "C", ts, 0, 0);
	us_json_key(&c->j, "args");
	us_json_object_begin(&c->j);
	us_json_key(&c->j, "bytes");
	us_json_uint(&c->j, bytes);
	us_json_object_end(&c->j);
	us_json_object_end(&c->j);
}

/* A flow from the call running on `parent_tid` to the new task's first call. */
static void task_made(void *ctx, const struct us_model *m, uint32_t parent_tid, uint32_t tid,
		      uint64_t ts_ns)
{
	struct chrome *c = ctx;
	struct new_task *t;

	us_grow(&c->tasks, &c->tasks_cap, c->n_tasks + 1, sizeof(*c->tasks));
	t = &c->tasks[c->n_tasks++];
	*t = (struct new_task){ .id = ++c->next_id, .tid = tid };
	write_linked(c, "s", "task", "new thread", t->id, ts_ns, parent_tid);
}

static void end_task_flows(struct chrome *c, const struct us_model *m)
{
	for (size_t i = 0; i < c->n_tasks; i++)
		for (size_t k = 0; k < m->n_threads; k++)
			if (m->threads[k].tid == c->tasks[i].tid && m->threads[k].first_ns) {
				write_linked(c, "f", "task", "new thread", c->tasks[i].id,
					     m->threads[k].first_ns, c->tasks[i].tid);
				break;
			}
}

static void begin(void *ctx, const struct us_recording *rec)
{
	struct chrome *c = ctx;

	c->rec = rec;
	us_json_init(&c->j, c->out, 2);
	us_json_object_begin(&c->j);
	us_json_key(&c->j, "displayTimeUnit");
	us_json_string(&c->j, "ms");
	us_json_key(&c->j, "traceEvents");
	us_json_array_begin(&c->j);
}

static void *create(FILE *out, const struct us_report_options *ro)
{
	struct chrome *c = us_calloc(1, sizeof(*c));

	c->out = out;
	return c;
}

static void write_thread_names(struct chrome *c, const struct us_recording *rec,
			       const struct us_model *m)
{
	for (size_t i = 0; i < m->n_threads; i++) {
		us_json_object_begin(&c->j);
		us_json_key(&c->j, "name");
		us_json_string(&c->j, "thread_name");
		us_json_key(&c->j, "ph");
		us_json_string(&c->j, "M");
		us_json_key(&c->j, "pid");
		us_json_int(&c->j, rec->pid);
		us_json_key(&c->j, "tid");
		us_json_uint(&c->j, m->threads[i].tid);
		us_json_key(&c->j, "args");
		us_json_object_begin(&c->j);
		us_json_key(&c->j, "name");
		us_json_string(&c->j, us_thread_display_name(rec, &m->threads[i]));
		us_json_object_end(&c->j);
		us_json_object_end(&c->j);
	}
}

static void warn_when_large(struct chrome *c)
{
	off_t size = ftello(c->out);
	char bytes[32];

	if (size < 0 || (uint64_t)size < LARGE_TRACE_BYTES)
		return;
	us_format_bytes(bytes, sizeof(bytes), (uint64_t)size);
	us_warn("the chrome trace is %s (%llu events): Perfetto's UI may fail to load it; "
		"keep only the longer calls with --min-duration (say 100us), or fewer functions",
		bytes, (unsigned long long)c->events);
}

static void free_chrome(struct chrome *c)
{
	us_map_free(&c->coroutine_index);
	free(c->coroutines);
	free(c->tasks);
	free(c);
}

static void discard(void *state)
{
	struct chrome *c = state;

	if (c->rec)	/* begun: close what was written */
		us_json_finish(&c->j);
	free_chrome(c);
}

static void finish(void *state, const struct us_recording *rec, const struct us_model *m)
{
	struct chrome *c = state;

	for (size_t i = 0; i < c->n_coroutines; i++)
		close_coroutine(c, m, &c->coroutines[i]);
	end_task_flows(c, m);
	write_thread_names(c, rec, m);
	us_json_array_end(&c->j);
	us_json_key(&c->j, "otherData");
	us_json_object_begin(&c->j);
	us_json_key(&c->j, "uscope");
	us_json_string(&c->j, rec->uscope_version);
	us_json_key(&c->j, "lost_events");
	us_json_uint(&c->j, rec->lost_events);
	us_json_object_end(&c->j);
	us_json_object_end(&c->j);
	us_json_finish(&c->j);
	fflush(c->out);
	warn_when_large(c);
	free_chrome(c);
}

const struct us_stream_ops us_chrome_ops = {
	.create = create,
	.sink = { .begin = begin, .call_ended = call_ended, .span = span, .counter = counter,
		  .task_made = task_made },
	.finish = finish,
	.discard = discard,
};
