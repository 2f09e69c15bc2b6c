// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * html: one self-contained page that works offline from file:// (the page
 * is user/report/report.html, with flame-chart-js inlined at build; the
 * recording's data is JSON inside it). Written while the model is built:
 * every shown call is kept for the timeline, then merged to fit
 * (timeline_boxes.h) so that a recording of millions of calls stays a file
 * a browser opens in seconds.
 */
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "log.h"
#include "report.h"
#include "report_html_page.h"
#include "report_stream.h"
#include "timeline_boxes.h"
#include "util.h"

#define DATA_MARK "/*USCOPE_DATA*/"
/* Boxes the timeline holds at most (all threads): about 35 bytes each. */
#define TIMELINE_BOXES 200000
/* Calls kept while the model is built before an early decimation to
 * TIMELINE_BOXES * 2: bounds memory on recordings of any length. */
#define CALLS_KEPT_MAX (2u << 20)
#define MARKS_MAX 2000		/* exception marks; the exceptions tab has them all */
#define SPANS_MAX 100000	/* garbage collections and imports */
#define COUNTER_POINTS 4000
/* Short calls further apart than this many thresholds are not merged. */
#define MERGE_GAP 4	/* per counter track, after thinning */

struct mark {
	uint64_t start_ns, end_ns;	/* the call that raised */
	uint32_t tid, fn_id;
	char *type;
};

struct span {
	uint64_t start_ns, end_ns;
	uint32_t tid, depth;
	int32_t generation;
	char *module;		/* NULL: a garbage collection */
};

struct point {
	uint64_t ts_ns, bytes;
};

#define COUNTERS 2	/* enum us_counter */

struct html {
	FILE *out;
	struct us_report_options ro;
	const struct us_recording *rec;
	struct us_timeline_boxes timeline;
	struct mark *marks;
	size_t n_marks, marks_cap;
	uint64_t marks_dropped;
	struct span *spans;
	size_t n_spans, spans_cap;
	uint64_t spans_dropped;
	struct point *points[COUNTERS];
	size_t n_points[COUNTERS], points_cap[COUNTERS];
};

static void *create(FILE *out, const struct us_report_options *ro)
{
	struct html *h = us_calloc(1, sizeof(*h));

	h->out = out;
	if (ro)
		h->ro = *ro;
	return h;
}

static void begin(void *ctx, const struct us_recording *rec)
{
	((struct html *)ctx)->rec = rec;
}

/* ---- what the model sends ---------------------------------------------- */

static void keep_mark(struct html *h, const struct us_call *call)
{
	struct mark *k;

	if (h->n_marks >= MARKS_MAX) {
		h->marks_dropped++;
		return;
	}
	us_grow(&h->marks, &h->marks_cap, h->n_marks + 1, sizeof(*h->marks));
	k = &h->marks[h->n_marks++];
	k->start_ns = call->start_ns;
	k->end_ns = call->end_ns ? call->end_ns : call->start_ns;
	k->tid = call->tid;
	k->fn_id = call->fn_id;
	k->type = us_strdup(call->exception);
}

static void call_ended(void *ctx, const struct us_model *m, size_t thread,
		       const struct us_call *call, bool shown)
{
	struct html *h = ctx;
	struct us_timeline_box b = {
		.start_ns = call->start_ns,
		.end_ns = call->end_ns ? call->end_ns : call->start_ns,
		.thread = (uint32_t)thread,
		.depth = call->depth,
		.fn_id = call->fn_id,
		.calls = 1,
		.raised = call->raised,
	};

	if (!shown)
		return;
	if (call->exception && call->raised_here)
		keep_mark(h, call);
	us_timeline_boxes_add(&h->timeline, &b);
	if (h->timeline.n >= CALLS_KEPT_MAX)
		us_timeline_boxes_fit(&h->timeline, TIMELINE_BOXES * 2);
}

static void span(void *ctx, const struct us_model *m, const struct us_span *s)
{
	struct html *h = ctx;
	struct span *k;

	if (h->n_spans >= SPANS_MAX) {
		h->spans_dropped++;
		return;
	}
	us_grow(&h->spans, &h->spans_cap, h->n_spans + 1, sizeof(*h->spans));
	k = &h->spans[h->n_spans++];
	*k = (struct span){ .start_ns = s->start_ns, .end_ns = s->end_ns ? s->end_ns : s->start_ns,
			    .tid = s->tid, .depth = s->depth, .generation = s->generation,
			    .module = s->module ? us_strdup(s->module) : NULL };
}

static void counter(void *ctx, const struct us_model *m, enum us_counter which, uint64_t ts,
		    uint64_t bytes)
{
	struct html *h = ctx;

	if ((unsigned)which >= COUNTERS)
		return;
	us_grow(&h->points[which], &h->points_cap[which], h->n_points[which] + 1,
		sizeof(*h->points[which]));
	h->points[which][h->n_points[which]++] = (struct point){ ts, bytes };
}

/* ---- the page's data --------------------------------------------------- */

static double us_since_start(const struct html *h, uint64_t ts)
{
	return (double)(ts > h->rec->start_ns ? ts - h->rec->start_ns : 0) / 1e3;
}

/* "program_start_us": where a Python program's own code starts after the
 * interpreter's start-up (the timeline opens there). */
static void write_program_start(struct us_json *j, const struct us_recording *rec,
				const struct us_model *m)
{
	for (size_t i = 0; i < m->n_threads; i++) {
		const struct us_thread *t = &m->threads[i];
		uint64_t start = t->phase_start_ns[US_PHASE_PROGRAM];

		if (t->roots[US_PHASE_STARTUP] == US_NO_NODE || !start)
			continue;
		us_json_kv_double(j, "program_start_us",
				  (double)(start > rec->start_ns ? start - rec->start_ns : 0) / 1e3);
		return;
	}
}

static void write_summary(struct us_json *j, const struct us_recording *rec,
			  const struct us_model *m)
{
	us_json_key(j, "summary");
	us_json_object_begin(j);
	us_json_command(j, rec);
	us_json_kv_string(j, "mode", rec->mode);
	us_json_kv_string(j, "uscope", rec->uscope_version);
	us_json_kv_double(j, "duration_ms", us_ns_to_ms(us_program_span_ns(rec, m)));
	us_json_kv_uint(j, "calls", m->total_calls);
	us_json_kv_uint(j, "threads", m->n_threads);
	us_json_kv_uint(j, "lost_events", rec->lost_events);
	us_json_kv_uint(j, "inferred_exits", m->inferred_exits);
	us_json_kv_uint(j, "unfinished_calls", m->unfinished_calls);
	us_json_key(j, "exit_status");
	if (rec->exited)
		us_json_int(j, rec->exit_status);
	else
		us_json_null(j);
	if (rec->python)
		us_json_kv_string(j, "python", rec->python);
	if (m->memory.recorded)
		us_json_kv_uint(j, "peak_heap_bytes", m->memory.peak_heap_bytes);
	if (rec->truncated)
		us_json_kv_bool(j, "truncated", true);
	write_program_start(j, rec, m);
	us_json_object_end(j);
}

/* "functions": [[name, label, where, kind]], indexed by function id. */
static void write_functions(struct us_json *j, const struct us_model *m)
{
	us_json_key(j, "functions");
	us_json_array_begin(j);
	for (size_t i = 0; i < m->n_functions; i++) {
		const struct us_function *fn = &m->functions[i];
		char where[512];

		if (fn->kind == US_FN_PYTHON)
			snprintf(where, sizeof(where), "%s:%u", fn->file ? fn->file : "?", fn->line);
		else
			snprintf(where, sizeof(where), "%s", fn->object ? fn->object : "");
		us_json_array_begin(j);
		us_json_string(j, fn->name);
		us_json_string(j, fn->label);
		us_json_string(j, where);
		us_json_string(j, fn->kind == US_FN_PYTHON ? "python" : "native");
		us_json_array_end(j);
	}
	us_json_array_end(j);
}

/* A thread's boxes: [start_us, duration_us, depth, function, calls, flags]
 * in start order (flags: 1 merged calls of several functions, 2 raised). */
static void write_thread_boxes(struct us_json *j, const struct html *h, uint32_t thread,
			       size_t *next)
{
	us_json_key(j, "boxes");
	us_json_array_begin(j);
	for (; *next < h->timeline.n && h->timeline.boxes[*next].thread == thread; (*next)++) {
		const struct us_timeline_box *b = &h->timeline.boxes[*next];

		us_json_array_begin(j);
		us_json_double(j, us_since_start(h, b->start_ns));
		us_json_double(j, (double)us_timeline_box_ns(b) / 1e3);
		us_json_uint(j, b->depth);
		us_json_uint(j, b->fn_id);
		us_json_uint(j, b->calls);
		us_json_uint(j, (b->mixed ? 1u : 0u) | (b->raised ? 2u : 0u));
		us_json_array_end(j);
	}
	us_json_array_end(j);
}

static void write_threads(struct us_json *j, const struct html *h, const struct us_model *m)
{
	size_t next = 0;

	us_json_key(j, "threads");
	us_json_array_begin(j);
	for (uint32_t i = 0; i < m->n_threads; i++) {
		const struct us_thread *t = &m->threads[i];

		us_json_object_begin(j);
		us_json_kv_uint(j, "tid", t->tid);
		us_json_kv_uint(j, "pid", t->pid ? t->pid : (uint64_t)h->rec->pid);
		us_json_kv_string(j, "name", us_thread_display_name(h->rec, t));
		while (next < h->timeline.n && h->timeline.boxes[next].thread < i)
			next++;
		write_thread_boxes(j, h, i, &next);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

static void write_decimation(struct us_json *j, const struct html *h)
{
	uint64_t merged = 0, merged_boxes = 0;

	const struct us_timeline_boxes *t = &h->timeline;

	for (size_t i = 0; i < t->n; i++) {
		if (t->boxes[i].calls > 1 || us_timeline_box_ns(&t->boxes[i]) < t->threshold_ns) {
			merged += t->boxes[i].calls;
			merged_boxes++;
		}
	}
	us_json_key(j, "decimation");
	us_json_object_begin(j);
	us_json_kv_double(j, "threshold_us", (double)t->threshold_ns / 1e3);
	us_json_kv_uint(j, "boxes", t->n);
	us_json_kv_uint(j, "merged_calls", t->threshold_ns ? merged : 0);
	us_json_kv_uint(j, "merged_boxes", t->threshold_ns ? merged_boxes : 0);
	us_json_kv_uint(j, "marks_dropped", h->marks_dropped);
	us_json_kv_uint(j, "spans_dropped", h->spans_dropped);
	us_json_object_end(j);
}

/* "marks": [[start_us, duration_us, tid, function, exception type]]: the
 * calls where exceptions started. */
static void write_marks(struct us_json *j, const struct html *h)
{
	us_json_key(j, "marks");
	us_json_array_begin(j);
	for (size_t i = 0; i < h->n_marks; i++) {
		us_json_array_begin(j);
		us_json_double(j, us_since_start(h, h->marks[i].start_ns));
		us_json_double(j, (double)(h->marks[i].end_ns - h->marks[i].start_ns) / 1e3);
		us_json_uint(j, h->marks[i].tid);
		us_json_uint(j, h->marks[i].fn_id);
		us_json_string(j, h->marks[i].type);
		us_json_array_end(j);
	}
	us_json_array_end(j);
}

/* "spans": [[start_us, duration_us, tid, depth, "gc"|"import", label]]. */
static void write_spans(struct us_json *j, const struct html *h)
{
	us_json_key(j, "spans");
	us_json_array_begin(j);
	for (size_t i = 0; i < h->n_spans; i++) {
		const struct span *s = &h->spans[i];
		char label[300];

		if (s->module)
			snprintf(label, sizeof(label), "import %s", s->module);
		else
			snprintf(label, sizeof(label), "gc (generation %d)", s->generation);
		us_json_array_begin(j);
		us_json_double(j, us_since_start(h, s->start_ns));
		us_json_double(j, (double)(s->end_ns - s->start_ns) / 1e3);
		us_json_uint(j, s->tid);
		us_json_uint(j, s->depth);
		us_json_string(j, s->module ? "import" : "gc");
		us_json_string(j, label);
		us_json_array_end(j);
	}
	us_json_array_end(j);
}

/* "counters": [{name, points: [[ts_us, bytes]]}], each thinned to
 * COUNTER_POINTS by keeping the highest point of each stretch. */
static void write_counters(struct us_json *j, const struct html *h)
{
	static const char *const names[COUNTERS] = {
		[US_COUNTER_HEAP] = "heap in use", [US_COUNTER_RSS] = "resident size",
	};

	us_json_key(j, "counters");
	us_json_array_begin(j);
	for (int c = 0; c < COUNTERS; c++) {
		size_t n = h->n_points[c], step = n / COUNTER_POINTS + 1;

		if (!n)
			continue;
		us_json_object_begin(j);
		us_json_kv_string(j, "name", names[c]);
		us_json_key(j, "points");
		us_json_array_begin(j);
		for (size_t i = 0; i < n; i += step) {
			const struct point *best = &h->points[c][i];

			for (size_t k = i; k < i + step && k < n; k++)
				if (h->points[c][k].bytes > best->bytes)
					best = &h->points[c][k];
			us_json_array_begin(j);
			us_json_double(j, us_since_start(h, best->ts_ns));
			us_json_uint(j, best->bytes);
			us_json_array_end(j);
		}
		us_json_array_end(j);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

static const char *const phase_labels[] = {
	[US_PHASE_STARTUP] = "start-up", [US_PHASE_PROGRAM] = "program",
	[US_PHASE_SHUTDOWN] = "shutdown",
};

/* A root's time: its children's (a thread's root node is not a call). */
static uint64_t children_total(const struct us_model *m, uint32_t root)
{
	uint64_t total = 0;

	for (uint32_t c = m->nodes[root].first_child; c != US_NO_NODE; c = m->nodes[c].next_sibling)
		total += m->nodes[c].total_ns;
	return total;
}

/* One tree's nodes, depth first: [parent, function, calls, total_ns,
 * self_ns]; `parent` indexes the array; a root is [-1, -1, ..., label,
 * phase]. */
static void write_tree(struct us_json *j, const struct us_model *m, uint32_t root,
		       const char *label, enum us_phase phase, enum us_sort sort, size_t *index)
{
	uint64_t root_ns = m->nodes[root].total_ns ? m->nodes[root].total_ns
			 : children_total(m, root);
	const struct us_node *r = &m->nodes[root];
	size_t *path = us_calloc(64, sizeof(*path)), path_cap = 64;
	struct us_walk w;
	uint32_t node;
	size_t depth;

	path[0] = (*index)++;
	us_json_array_begin(j);
	us_json_int(j, -1);
	us_json_int(j, -1);
	us_json_uint(j, r->count);
	us_json_uint(j, root_ns);
	us_json_uint(j, r->self_ns);
	us_json_string(j, label);
	us_json_string(j, phase_labels[phase]);
	us_json_array_end(j);
	us_walk_init(&w, m, root, sort, false);
	while (us_walk_next(&w, &node, &depth, NULL)) {
		const struct us_node *n = &m->nodes[node];

		us_grow(&path, &path_cap, depth + 1, sizeof(*path));
		path[depth] = (*index)++;
		us_json_array_begin(j);
		us_json_uint(j, path[depth - 1]);
		us_json_uint(j, n->fn_id);
		us_json_uint(j, n->count + n->resumes);
		us_json_uint(j, n->total_ns);
		us_json_uint(j, n->self_ns);
		us_json_array_end(j);
	}
	us_walk_free(&w);
	free(path);
}

/* "nodes": the aggregated call tree of every thread and phase. */
static void write_nodes(struct us_json *j, const struct html *h, const struct us_model *m)
{
	static const enum us_phase order[] = { US_PHASE_PROGRAM, US_PHASE_STARTUP,
					       US_PHASE_SHUTDOWN };
	size_t index = 0;

	us_json_key(j, "nodes");
	us_json_array_begin(j);
	for (size_t i = 0; i < m->n_threads; i++) {
		const struct us_thread *t = &m->threads[i];

		for (size_t p = 0; p < US_ARRAY_SIZE(order); p++) {
			uint32_t root = t->roots[order[p]];
			char label[300];

			if (root == US_NO_NODE || m->nodes[root].first_child == US_NO_NODE)
				continue;
			snprintf(label, sizeof(label), "thread %u (%s)%s%s", t->tid,
				 us_thread_display_name(h->rec, t),
				 order[p] == US_PHASE_PROGRAM ? "" : ": ",
				 order[p] == US_PHASE_PROGRAM ? "" : phase_labels[order[p]]);
			write_tree(j, m, root, label, order[p], h->ro.sort, &index);
		}
	}
	us_json_array_end(j);
}

static void write_data(FILE *out, const struct html *h, const struct us_model *m)
{
	const struct us_recording *rec = h->rec;
	struct us_json j;
	char *title = us_asprintf("uscope: %s", rec->argc ? rec->argv[0] : "trace");

	us_json_init(&j, out, 0);
	us_json_object_begin(&j);
	us_json_kv_string(&j, "title", title);
	write_summary(&j, rec, m);
	write_decimation(&j, h);
	write_functions(&j, m);
	write_threads(&j, h, m);
	write_marks(&j, h);
	write_spans(&j, h);
	write_counters(&j, h);
	write_nodes(&j, h, m);
	us_json_flat(&j, m, &h->ro);
	us_json_patterns(&j, m);
	us_json_exceptions(&j, m);
	us_json_bottlenecks(&j, m);
	us_json_object_end(&j);
	us_json_finish(&j);
	free(title);
}

static void free_html(struct html *h)
{
	for (size_t i = 0; i < h->n_marks; i++)
		free(h->marks[i].type);
	for (size_t i = 0; i < h->n_spans; i++)
		free(h->spans[i].module);
	for (int c = 0; c < COUNTERS; c++)
		free(h->points[c]);
	free(h->marks);
	free(h->spans);
	us_timeline_boxes_free(&h->timeline);
	free(h);
}

static void discard(void *state)
{
	free_html(state);
}

void us_write_html_report_page(FILE *out, const char *json, size_t len)
{
	const char *mark = strstr(report_html, DATA_MARK);

	if (!mark) {
		us_warn("cannot write the HTML report: its template has no data mark");
		return;
	}
	fwrite(report_html, 1, (size_t)(mark - report_html), out);
	us_write_script_safe(out, json, len);
	fputs(mark + strlen(DATA_MARK), out);
	fflush(out);
}

static void finish(void *state, const struct us_recording *rec, const struct us_model *m)
{
	struct html *h = state;
	char *json = NULL;
	size_t len = 0;
	FILE *mem;

	h->rec = rec;
	us_timeline_boxes_fit(&h->timeline, TIMELINE_BOXES);
	mem = open_memstream(&json, &len);
	if (!mem) {
		us_warn("cannot write the HTML report: out of memory");
		free_html(h);
		return;
	}
	write_data(mem, h, m);
	fclose(mem);
	us_write_html_report_page(h->out, json, len);
	free(json);
	free_html(h);
}

const struct us_stream_ops us_html_ops = {
	.create = create,
	.sink = { .begin = begin, .call_ended = call_ended, .span = span, .counter = counter },
	.finish = finish,
	.discard = discard,
};
