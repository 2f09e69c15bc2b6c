// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Chrome Trace Event JSON, written while the model is built: an X event per
 * call as it ends, an i event where a Python exception started, garbage
 * collections and imports, counter tracks (heap in use, resident size), then
 * M events naming the threads. Loads in Perfetto
 * (ui.perfetto.dev) and chrome://tracing, which order events themselves.
 */
#include <stdlib.h>
#include <sys/types.h>
#include "json_writer.h"
#include "log.h"
#include "report.h"
#include "report_stream.h"
#include "util.h"

/* Perfetto's UI loads traces of a few hundred MB comfortably; past this a
 * warning suggests thinning. */
#define LARGE_TRACE_BYTES (512ull << 20)

struct chrome {
	FILE *out;
	struct us_json j;
	const struct us_recording *rec;
	uint64_t events;
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

static void call_ended(void *ctx, const struct us_model *m, size_t thread,
		       const struct us_call *call, bool shown)
{
	struct chrome *c = ctx;
	struct us_json *j = &c->j;
	const struct us_function *fn = &m->functions[call->fn_id];

	if (!shown)
		return;
	us_json_object_begin(j);
	us_json_kv_string(j, "name", us_function_name(m, call->fn_id));
	us_json_kv_string(j, "cat", fn->kind == US_FN_PYTHON ? "python" : "native");
	write_timing(c, "X", call->start_ns, call->end_ns ? call->end_ns : call->start_ns, call->tid);
	us_json_key(j, "args");
	us_json_object_begin(j);
	if (fn->kind == US_FN_PYTHON) {
		us_json_kv_string(j, "file", fn->file);
		us_json_kv_uint(j, "line", fn->line);
	} else {
		us_json_kv_string(j, "object", fn->object);
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

static void discard(void *state)
{
	struct chrome *c = state;

	if (c->rec)	/* begun: close what was written */
		us_json_finish(&c->j);
	free(c);
}

static void finish(void *state, const struct us_recording *rec, const struct us_model *m)
{
	struct chrome *c = state;

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
	free(c);
}

const struct us_stream_ops us_chrome_ops = {
	.create = create,
	.sink = { .begin = begin, .call_ended = call_ended, .span = span, .counter = counter },
	.finish = finish,
	.discard = discard,
};
