// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every call in the order it ran, written while the model is built (memory
 * stays bounded by the call depth): `timeline` as indented text, like
 * `uftrace replay` (a call with no shown callee is one line), and
 * `timeline-json` as call/return events with times (time_ms, event,
 * function, tid, depth). Lines of one thread are in order; a call's line is
 * written once it is known to show (--min-duration is decided at its end,
 * and a shown call's callers show too: they last longer).
 */
#include <stdlib.h>
#include "json_writer.h"
#include "report.h"
#include "report_stream.h"
#include "util.h"

struct pending_call {
	uint32_t fn_id, depth;
	int32_t call_line;	/* Python: the line of its caller it was called from; 0 unknown */
	uint64_t start_ns;
	bool resume;
	bool entry_written;	/* its opening line is out: it ends with a closing one */
};

struct thread_calls {
	struct pending_call *calls;
	size_t depth, cap;
};

struct timeline {
	FILE *out;
	const struct us_report_options *ro;
	bool json;
	struct us_json j;
	const struct us_recording *rec;
	struct thread_calls *threads;	/* by model thread index */
	size_t n_threads;
};

static struct thread_calls *calls_of(struct timeline *tl, size_t thread)
{
	if (thread >= tl->n_threads) {
		size_t old = tl->n_threads, cap = tl->n_threads;

		us_grow(&tl->threads, &cap, thread + 1, sizeof(*tl->threads));
		for (size_t i = old; i < cap; i++)
			tl->threads[i] = (struct thread_calls){ 0 };
		tl->n_threads = cap;
	}
	return &tl->threads[thread];
}

static double ms_since_start(const struct timeline *tl, uint64_t ts)
{
	return us_ns_to_ms(ts > tl->rec->start_ns ? ts - tl->rec->start_ns : 0);
}

static void json_event(struct timeline *tl, const struct us_model *m, uint64_t ts,
		       const char *event, uint32_t fn_id, uint32_t tid, uint32_t depth,
		       bool inferred, int32_t call_line)
{
	struct us_json *j = &tl->j;

	us_json_object_begin(j);
	us_json_kv_double(j, "time_ms", ms_since_start(tl, ts));
	us_json_kv_string(j, "event", event);
	us_json_kv_string(j, "function", us_function_name(m, fn_id));
	us_json_kv_uint(j, "tid", tid);
	us_json_kv_uint(j, "depth", depth);
	if (call_line > 0) {
		us_json_kv_int(j, "call_line", call_line);	/* in its caller */
	}
	if (inferred) {
		us_json_kv_bool(j, "inferred", true);
	}
	us_json_object_end(j);
}

static void text_line(struct timeline *tl, const struct us_model *m, uint64_t ts,
		      const uint64_t *duration_ns, uint32_t tid, uint32_t depth, const char *before,
		      uint32_t fn_id, const char *after, int32_t call_line)
{
	char dur[32] = "", from[40] = "";

	if (duration_ns)
		us_format_duration(dur, sizeof(dur), *duration_ns);
	if (call_line > 0)
		snprintf(from, sizeof(from), "  /* from line %d */", call_line);
	fprintf(tl->out, "%12.3f %12s  [%6u]  %*s%s%s%s%s\n", ms_since_start(tl, ts), dur, tid,
		2 * (int)(depth > 0 ? depth - 1 : 0), "", before, us_function_label(m, fn_id), after,
		from);
}

/* The opening line of a call known to have a shown callee. */
static void write_entry(struct timeline *tl, const struct us_model *m, uint32_t tid,
			struct pending_call *p)
{
	if (p->entry_written)
		return;
	p->entry_written = true;
	if (tl->json)
		json_event(tl, m, p->start_ns, p->resume ? "resume" : "call", p->fn_id, tid,
			   p->depth, false, p->call_line);
	else
		text_line(tl, m, p->start_ns, NULL, tid, p->depth, "", p->fn_id,
			  p->resume ? "() (resumed) {" : "() {", p->call_line);
}

static void write_pending_entries(struct timeline *tl, const struct us_model *m, uint32_t tid,
				  struct thread_calls *tc)
{
	for (size_t i = 0; i < tc->depth; i++)
		write_entry(tl, m, tid, &tc->calls[i]);
}

static void call_started(void *ctx, const struct us_model *m, size_t thread,
			 const struct us_frame *f)
{
	struct timeline *tl = ctx;
	struct thread_calls *tc = calls_of(tl, thread);

	/* without --min-duration every call shows: its callers open now */
	if (!m->filters.min_duration_ns)
		write_pending_entries(tl, m, m->threads[thread].tid, tc);
	us_grow(&tc->calls, &tc->cap, tc->depth + 1, sizeof(*tc->calls));
	tc->calls[tc->depth++] = (struct pending_call){
		.fn_id = f->fn_id, .depth = f->depth, .start_ns = f->start_ns, .resume = f->resume,
		.call_line = f->call_line,
	};
}

static const char *ending_of(const struct us_call *c, bool one_line)
{
	if (c->raised)
		return one_line ? "(); raised" : " raised */";
	if (c->inferred)
		return one_line ? "(); (return inferred)" : " (return inferred) */";
	return one_line ? "();" : " */";
}

static void call_ended(void *ctx, const struct us_model *m, size_t thread,
		       const struct us_call *c, bool shown)
{
	struct timeline *tl = ctx;
	struct thread_calls *tc = calls_of(tl, thread);
	struct pending_call p;
	uint64_t dur = c->end_ns > c->start_ns ? c->end_ns - c->start_ns : 0;

	if (!tc->depth)
		return;
	p = tc->calls[--tc->depth];
	if (!shown)
		return;
	write_pending_entries(tl, m, c->tid, tc);
	if (tl->json) {
		if (!p.entry_written)
			json_event(tl, m, c->start_ns, c->resume ? "resume" : "call", c->fn_id, c->tid,
				   c->depth, false, c->call_line);
		json_event(tl, m, c->end_ns, c->raised ? "raise" : "return", c->fn_id, c->tid,
			   c->depth, c->inferred, 0);
	} else if (!p.entry_written) {
		text_line(tl, m, c->start_ns, &dur, c->tid, c->depth, "", c->fn_id,
			  ending_of(c, true), c->call_line);
	} else {
		text_line(tl, m, c->end_ns, &dur, c->tid, c->depth, "} /* ", c->fn_id,
			  ending_of(c, false), 0);
	}
}

static void begin(void *ctx, const struct us_recording *rec)
{
	struct timeline *tl = ctx;

	tl->rec = rec;
	if (!tl->json) {
		fprintf(tl->out, "%12s %12s  %8s  %s\n", "TIME(ms)", "DURATION", "TID", "FUNCTION");
		return;
	}
	us_json_init(&tl->j, tl->out, 2);
	us_json_object_begin(&tl->j);
	us_json_key(&tl->j, "pid");
	us_json_int(&tl->j, rec->pid);
	us_json_key(&tl->j, "timeline");
	us_json_array_begin(&tl->j);
}

static void *create(FILE *out, const struct us_report_options *ro, bool json)
{
	struct timeline *tl = us_calloc(1, sizeof(*tl));

	tl->out = out;
	tl->ro = ro;
	tl->json = json;
	return tl;
}

static void *create_text(FILE *out, const struct us_report_options *ro)
{
	return create(out, ro, false);
}

static void *create_json(FILE *out, const struct us_report_options *ro)
{
	return create(out, ro, true);
}

static void discard(void *state)
{
	struct timeline *tl = state;

	for (size_t i = 0; i < tl->n_threads; i++)
		free(tl->threads[i].calls);
	free(tl->threads);
	if (tl->json && tl->rec)	/* begun: close what was written */
		us_json_finish(&tl->j);
	free(tl);
}

static void finish(void *state, const struct us_recording *rec, const struct us_model *m)
{
	struct timeline *tl = state;

	if (tl->json) {
		us_json_array_end(&tl->j);
		us_json_key(&tl->j, "lost_events");
		us_json_uint(&tl->j, rec->lost_events);
		us_json_key(&tl->j, "inferred_exits");
		us_json_uint(&tl->j, m->inferred_exits);
		us_json_object_end(&tl->j);
		us_json_finish(&tl->j);
	} else {
		us_report_summary(tl->out, rec, m, tl->ro);
	}
	discard(tl);
}

const struct us_stream_ops us_timeline_text_ops = {
	.create = create_text,
	.sink = { .begin = begin, .call_started = call_started, .call_ended = call_ended },
	.finish = finish,
	.discard = discard,
};

const struct us_stream_ops us_timeline_json_ops = {
	.create = create_json,
	.sink = { .begin = begin, .call_started = call_started, .call_ended = call_ended },
	.finish = finish,
	.discard = discard,
};
