// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The profile reports in text: tree and flat (samples, %, estimated time,
 * self and total), folded stacks; and json. */
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "profile_paths.h"
#include "report_profile.h"
#include "report_text.h"
#include "util.h"

#define SHOWN_PERCENT_MIN 0.5	/* tree rows below this share are summed up, unless --all */

static const char *const loss_names[US_LOSS_CAUSES] = {
	[US_LOSS_RING_FULL] = "lost: ring buffer full",
	[US_LOSS_STACK_UNREADABLE] = "lost: stack unreadable",
	[US_LOSS_PROCESS_GONE] = "lost: process exited before its stack was unwound",
	[US_LOSS_UNWIND_STOPPED] = "kept, incomplete: the unwinding stopped",
	[US_LOSS_DEPTH_CUT] = "kept, cut: deeper than 256 frames",
	[US_LOSS_PYTHON_UNPLACED] = "kept: Python frames outside their interpreter frame",
	[US_LOSS_PYTHON_TRUNCATED] = "kept: more than 96 Python frames (outer ones cut)",
};

static const char *const loss_keys[US_LOSS_CAUSES] = {
	[US_LOSS_RING_FULL] = "ring_full",
	[US_LOSS_STACK_UNREADABLE] = "stack_unreadable",
	[US_LOSS_PROCESS_GONE] = "process_gone",
	[US_LOSS_UNWIND_STOPPED] = "unwinding_stopped",
	[US_LOSS_DEPTH_CUT] = "depth_cut",
	[US_LOSS_PYTHON_UNPLACED] = "python_unplaced",
	[US_LOSS_PYTHON_TRUNCATED] = "python_truncated",
};

bool us_recording_is_profile(const struct us_recording *rec)
{
	return rec->mode && strcmp(rec->mode, "profile") == 0;
}

static const char *kinds_name(unsigned kinds)
{
	if (kinds == ((1u << US_SAMPLE_ON_CPU) | (1u << US_SAMPLE_OFF_CPU)))
		return "wall-clock (on- and off-CPU)";
	return kinds & (1u << US_SAMPLE_OFF_CPU) ? "off-CPU" : "on-CPU";
}

char *us_profile_summary_line(const struct us_recording *rec, const struct us_model *m,
			      const struct us_profile_paths *paths, unsigned kinds)
{
	const struct us_profile *p = &m->profile;
	uint64_t span = rec->end_ns > rec->start_ns ? rec->end_ns - rec->start_ns : 0;
	char time[32], over[32], rate[32] = "";

	us_format_duration(time, sizeof(time), paths->nodes[0].weight_ns);
	us_format_duration(over, sizeof(over), span);
	if (p->has_totals && p->totals.frequency_hz)
		snprintf(rate, sizeof(rate), " at %u Hz", p->totals.frequency_hz);
	return us_asprintf("%llu %s samples%s over %s (~%s), %zu process%s, %zu thread%s%s",
			   (unsigned long long)paths->nodes[0].count, kinds_name(kinds), rate, over,
			   time, paths->n_processes, paths->n_processes == 1 ? "" : "es",
			   paths->n_threads, paths->n_threads == 1 ? "" : "s",
			   rec->truncated ? "; the recording was cut short" : "");
}

char *us_profile_losses_line(const struct us_model *m)
{
	const struct us_profile *p = &m->profile;
	char line[1024] = "losses: ";
	size_t used = strlen(line);
	bool any = false;

	for (int i = 0; i < US_LOSS_CAUSES && p->has_totals; i++) {
		if (!p->totals.losses[i] || used >= sizeof(line))
			continue;
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%llu %s",
					 any ? "; " : "", (unsigned long long)p->totals.losses[i],
					 loss_names[i]);
		any = true;
	}
	if (!any)
		snprintf(line + used, sizeof(line) - used, "%s",
			 p->has_totals ? "none" : "unknown (no totals record)");
	return us_strdup(line);
}

/* Two lines: what was sampled, and every loss by cause. */
static void print_summary(FILE *out, const struct us_recording *rec, const struct us_model *m,
			  const struct us_profile_paths *paths, unsigned kinds)
{
	char *summary = us_profile_summary_line(rec, m, paths, kinds);
	char *losses = us_profile_losses_line(m);

	fprintf(out, "uscope profile: %s\n%s\n", summary, losses);
	free(summary);
	free(losses);
}

static double percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void print_measure(FILE *out, uint64_t count,
			  uint64_t weight_ns)
{
	char time[32];

	us_format_duration(time, sizeof(time), weight_ns);
	fprintf(out, "%9llu %12s", (unsigned long long)count, time);
}

/* ---- tree --------------------------------------------------------------- */

struct tree_printer {
	FILE *out;
	const struct us_profile_paths *paths;
	const struct us_report_options *ro;
	uint64_t whole;
	uint64_t hidden;	/* rows under the threshold */
};

static void print_tree_node(struct tree_printer *tp, uint32_t id, int depth)
{
	const struct us_path_node *n = &tp->paths->nodes[id];
	uint64_t total = us_path_measure(tp->paths, n), self = us_path_self_measure(tp->paths, n);
	uint32_t *children;
	size_t count;
	int used;

	if (depth > 0 && !tp->ro->all && percent(total, tp->whole) < SHOWN_PERCENT_MIN) {
		tp->hidden++;
		return;
	}
	if (depth > 0) {
		fprintf(tp->out, "%s%6.1f%% %6.1f%% ", us_heat_color(tp->ro, percent(total, tp->whole)),
			percent(total, tp->whole), percent(self, tp->whole));
		print_measure(tp->out, n->count, n->weight_ns);
		used = fprintf(tp->out, "  %*s", 2 * (depth - 1), "");
		us_print_cut(tp->out, tp->paths->labels[n->label].text,
			     tp->ro->width ? tp->ro->width - 38 - used : 0);
		fprintf(tp->out, "%s\n", us_color(tp->ro, US_COLOR_RESET));
	}
	children = us_profile_paths_children(tp->paths, id, &count);
	for (size_t i = 0; i < count; i++)
		print_tree_node(tp, children[i], depth + 1);
	free(children);
}

void us_report_profile_tree(FILE *out, const struct us_recording *rec, const struct us_model *m,
			    const struct us_report_options *ro)
{
	unsigned kinds = us_profile_kinds(&m->profile);
	struct us_profile_paths paths;
	struct tree_printer tp = { .out = out, .ro = ro };

	us_profile_paths_build(&paths, &m->profile, kinds);
	tp.paths = &paths;
	tp.whole = us_path_measure(&paths, &paths.nodes[0]);
	print_summary(out, rec, m, &paths, kinds);
	fprintf(out, "\n%s  total    self   samples         time  call path%s\n",
		us_color(ro, US_COLOR_BOLD), us_color(ro, US_COLOR_RESET));
	print_tree_node(&tp, US_PATH_ROOT, 0);
	if (tp.hidden)
		fprintf(out, "(%llu paths under %.1f%% not shown: --all shows them)\n",
			(unsigned long long)tp.hidden, SHOWN_PERCENT_MIN);
	us_profile_paths_free(&paths);
}

/* ---- flat --------------------------------------------------------------- */

struct flat_row {
	uint32_t label;
	uint64_t self_count, self_ns, total_count, total_ns;
	uint64_t measure_self, measure_total;
};

/* Adds node `id`'s subtree to the rows; a function on the path already
 * (recursion) counts once in total. */
static void sum_flat(const struct us_profile_paths *p, uint32_t id, struct flat_row *rows,
		     uint32_t *on_path)
{
	const struct us_path_node *n = &p->nodes[id];
	struct flat_row *r = &rows[n->label];

	if (id != US_PATH_ROOT) {
		r->self_count += n->self_count;
		r->self_ns += n->self_weight_ns;
		if (!on_path[n->label]) {
			r->total_count += n->count;
			r->total_ns += n->weight_ns;
		}
		on_path[n->label]++;
	}
	for (uint32_t c = n->first_child; c != US_MAP_NONE; c = p->nodes[c].next_sibling)
		sum_flat(p, c, rows, on_path);
	if (id != US_PATH_ROOT)
		on_path[n->label]--;
}

static int by_self_desc(const void *a, const void *b)
{
	const struct flat_row *x = a, *y = b;

	if (x->measure_self != y->measure_self)
		return x->measure_self > y->measure_self ? -1 : 1;
	if (x->measure_total != y->measure_total)
		return x->measure_total > y->measure_total ? -1 : 1;
	return x->label < y->label ? -1 : x->label > y->label;
}

void us_json_profile_flat(struct us_json *j, const struct us_profile_paths *p)
{
	struct flat_row *rows = us_calloc(p->n_labels + 1, sizeof(*rows));
	uint32_t *on_path = us_calloc(p->n_labels + 1, sizeof(*on_path));

	sum_flat(p, US_PATH_ROOT, rows, on_path);
	for (size_t i = 0; i < p->n_labels; i++) {
		rows[i].label = (uint32_t)i;
		rows[i].measure_self = p->weight_is_time ? rows[i].self_ns : rows[i].self_count;
		rows[i].measure_total = p->weight_is_time ? rows[i].total_ns : rows[i].total_count;
	}
	us_sort(rows, p->n_labels, sizeof(*rows), by_self_desc);
	us_json_key(j, "flat");
	us_json_array_begin(j);
	for (size_t i = 0; i < p->n_labels; i++) {
		const struct flat_row *r = &rows[i];

		if (!r->measure_total || p->labels[r->label].kind == US_LABEL_GROUP)
			continue;
		us_json_array_begin(j);
		us_json_uint(j, r->label);
		us_json_uint(j, r->total_count);
		us_json_uint(j, r->total_ns);
		us_json_uint(j, r->self_ns);
		us_json_uint(j, 0);
		us_json_uint(j, 0);
		us_json_array_end(j);
	}
	us_json_array_end(j);
	free(rows);
	free(on_path);
}

void us_report_profile_flat(FILE *out, const struct us_recording *rec, const struct us_model *m,
			    const struct us_report_options *ro)
{
	unsigned kinds = us_profile_kinds(&m->profile);
	struct us_profile_paths paths;
	struct flat_row *rows;
	uint32_t *on_path;
	uint64_t whole;

	us_profile_paths_build(&paths, &m->profile, kinds);
	whole = us_path_measure(&paths, &paths.nodes[0]);
	rows = us_calloc(paths.n_labels, sizeof(*rows));
	on_path = us_calloc(paths.n_labels, sizeof(*on_path));
	sum_flat(&paths, US_PATH_ROOT, rows, on_path);
	for (size_t i = 0; i < paths.n_labels; i++) {
		rows[i].label = (uint32_t)i;
		rows[i].measure_self = paths.weight_is_time ? rows[i].self_ns : rows[i].self_count;
		rows[i].measure_total = paths.weight_is_time ? rows[i].total_ns : rows[i].total_count;
	}
	qsort(rows, paths.n_labels, sizeof(*rows), by_self_desc);
	print_summary(out, rec, m, &paths, kinds);
	fprintf(out, "\n%s  self%%   self samples    self time  total%%  total time  function%s\n",
		us_color(ro, US_COLOR_BOLD), us_color(ro, US_COLOR_RESET));
	for (size_t i = 0; i < paths.n_labels; i++) {
		const struct flat_row *r = &rows[i];
		char self_time[32], total_time[32];

		if (!r->measure_total || paths.labels[r->label].kind == US_LABEL_GROUP)
			continue;
		us_format_duration(self_time, sizeof(self_time), r->self_ns);
		us_format_duration(total_time, sizeof(total_time), r->total_ns);
		fprintf(out, "%6.1f%% %13llu %12s %6.1f%% %11s  ", percent(r->measure_self, whole),
			(unsigned long long)r->self_count, self_time, percent(r->measure_total, whole),
			total_time);
		us_print_cut(out, paths.labels[r->label].text, ro->width ? ro->width - 57 : 0);
		fputc('\n', out);
	}
	free(rows);
	free(on_path);
	us_profile_paths_free(&paths);
}

/* ---- folded ------------------------------------------------------------- */

/* A frame name in a folded line: no ';' (the separator) and no newline. */
static void print_folded_name(FILE *out, const char *text)
{
	for (const char *c = text; *c; c++)
		fputc(*c == ';' ? ':' : *c == '\n' ? ' ' : *c, out);
}

static void print_folded_path(FILE *out, const struct us_profile_paths *p, uint32_t id)
{
	if (p->nodes[id].parent != US_PATH_ROOT) {
		print_folded_path(out, p, p->nodes[id].parent);
		fputc(';', out);
	}
	print_folded_name(out, p->labels[p->nodes[id].label].text);
}

void us_report_profile_folded(FILE *out, const struct us_recording *rec,
			      const struct us_model *m, const struct us_report_options *ro)
{
	struct us_profile_paths paths;

	us_profile_paths_build(&paths, &m->profile, us_profile_kinds(&m->profile));
	for (uint32_t id = 1; id < paths.n_nodes; id++) {
		uint64_t self = us_path_self_measure(&paths, &paths.nodes[id]);

		if (!self)
			continue;
		print_folded_path(out, &paths, id);
		/* time profiles count microseconds, as offcputime does */
		fprintf(out, " %llu\n", (unsigned long long)(paths.weight_is_time ? self / 1000 : self));
	}
	us_profile_paths_free(&paths);
}

/* ---- json --------------------------------------------------------------- */

static const char *const frame_kind_names[] = { "native", "python", "kernel", "mark" };

static void json_frames(struct us_json *j, const struct us_profile *p)
{
	us_json_key(j, "frames");
	us_json_array_begin(j);
	for (size_t i = 0; i < p->n_frames; i++) {
		const struct us_profile_frame *f = &p->frames[i];

		us_json_object_begin(j);
		us_json_kv_uint(j, "id", i);
		us_json_kv_string(j, "kind", f->function && f->kind < 4 ? frame_kind_names[f->kind]
								       : "unknown");
		us_json_kv_string(j, "function", f->function ? f->function : "");
		us_json_kv_string(j, f->kind == US_FRAME_PYTHON ? "file" : "object",
				  f->file ? f->file : "");
		if (f->kind == US_FRAME_PYTHON)
			us_json_kv_int(j, "line", f->line);
		else if (f->function && !*f->function)
			us_json_kv_uint(j, "address", f->address);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

static void json_stacks(struct us_json *j, const struct us_profile *p)
{
	us_json_key(j, "stacks");
	us_json_array_begin(j);
	for (size_t i = 0; i < p->n_stacks; i++) {
		const struct us_profile_stack *s = &p->stacks[i];

		us_json_object_begin(j);
		us_json_kv_uint(j, "id", i);
		us_json_key(j, "frames");	/* root first */
		us_json_array_begin(j);
		for (int k = (int)s->depth - 1; k >= 0; k--)
			us_json_uint(j, s->frames[k]);
		us_json_array_end(j);
		us_json_kv_bool(j, "incomplete", s->flags & US_STACK_INCOMPLETE);
		us_json_kv_bool(j, "cut", s->flags & US_STACK_CUT);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

static void json_samples(struct us_json *j, const struct us_profile *p)
{
	us_json_key(j, "samples");
	us_json_array_begin(j);
	for (size_t i = 0; i < p->n_samples; i++) {
		const struct us_profile_samples *s = &p->samples[i];

		us_json_object_begin(j);
		us_json_kv_uint(j, "pid", s->pid);
		us_json_kv_string(j, "process", s->process_comm);
		us_json_kv_uint(j, "tid", s->tid);
		us_json_kv_string(j, "thread", s->thread_comm);
		us_json_kv_string(j, "kind", s->kind == US_SAMPLE_OFF_CPU ? "off-cpu" : "on-cpu");
		us_json_kv_uint(j, "stack", s->stack_id);
		us_json_kv_uint(j, "count", s->count);
		us_json_kv_uint(j, "weight_ns", s->weight_ns);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

void us_report_profile_json(FILE *out, const struct us_recording *rec, const struct us_model *m,
			    const struct us_report_options *ro)
{
	const struct us_profile *p = &m->profile;
	struct us_json j;

	us_json_init(&j, out, 2);
	us_json_object_begin(&j);
	us_json_kv_string(&j, "uscope_version", rec->uscope_version ? rec->uscope_version : "");
	us_json_kv_string(&j, "kind", kinds_name(us_profile_kinds(p)));
	us_json_kv_uint(&j, "frequency_hz", p->has_totals ? p->totals.frequency_hz : 0);
	us_json_kv_uint(&j, "duration_ns", rec->end_ns > rec->start_ns ? rec->end_ns - rec->start_ns : 0);
	us_json_kv_uint(&j, "samples_taken", p->has_totals ? p->totals.samples : 0);
	us_json_kv_uint(&j, "on_cpu_samples", p->count[US_SAMPLE_ON_CPU]);
	us_json_kv_uint(&j, "off_cpu_ns", p->weight_ns[US_SAMPLE_OFF_CPU]);
	us_json_kv_bool(&j, "truncated", rec->truncated);
	us_json_key(&j, "losses");
	us_json_object_begin(&j);
	for (int i = 0; i < US_LOSS_CAUSES; i++)
		us_json_kv_uint(&j, loss_keys[i], p->has_totals ? p->totals.losses[i] : 0);
	us_json_object_end(&j);
	json_frames(&j, p);
	json_stacks(&j, p);
	json_samples(&j, p);
	us_json_profile_bottlenecks(&j, m);
	us_json_object_end(&j);
	us_json_finish(&j);
}
