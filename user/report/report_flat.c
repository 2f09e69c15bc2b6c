// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One row per function, all threads, sorted by self time (--sort): summed
 * over the call-tree nodes of the phases shown (a Python program's own
 * code unless --all), so it agrees with the tree. Total counts recursion
 * once: only activations with no caller of the same function.
 */
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "report_formats.h"
#include "report_text.h"
#include "util.h"

#define TIME_WIDTH 11

struct flat_row {
	uint32_t fn_id;
	uint64_t count, resumes, total_ns, sum_ns, self_ns, min_ns, max_ns, timed, inferred;
	uint64_t unfinished;
	uint64_t allocs, bytes;
};

struct flat {
	struct flat_row *rows;	/* by function id */
	uint32_t *path_fn;	/* the walk's current path */
	size_t path_cap;
	uint32_t *on_path;	/* per function: times it is on the current path */
};

static void add_node(struct flat_row *r, const struct us_node *n, bool outermost)
{
	r->count += n->count;
	r->resumes += n->resumes;
	r->self_ns += n->self_ns;
	r->sum_ns += n->total_ns;
	r->inferred += n->inferred_exits;
	r->unfinished += n->unfinished;
	r->allocs += n->mem.allocs;
	r->bytes += n->mem.bytes;
	if (outermost)
		r->total_ns += n->total_ns;
	if (n->timed && (!r->timed || n->min_ns < r->min_ns))
		r->min_ns = n->min_ns;
	if (n->timed && n->max_ns > r->max_ns)
		r->max_ns = n->max_ns;
	r->timed += n->timed;
}

static void add_tree(struct flat *f, const struct us_model *m, uint32_t root)
{
	struct us_walk w;
	size_t depth, path_len = 0;
	uint32_t node;

	us_walk_init(&w, m, root, US_SORT_FIRST, false);
	while (us_walk_next(&w, &node, &depth, NULL)) {
		uint32_t fn = m->nodes[node].fn_id;

		while (path_len >= depth)	/* the walk came back up */
			f->on_path[f->path_fn[--path_len]]--;
		add_node(&f->rows[fn], &m->nodes[node], f->on_path[fn] == 0);
		us_grow(&f->path_fn, &f->path_cap, path_len + 1, sizeof(*f->path_fn));
		f->path_fn[path_len++] = fn;
		f->on_path[fn]++;
	}
	while (path_len)
		f->on_path[f->path_fn[--path_len]]--;
	us_walk_free(&w);
}

/* What the rows are sorted by. */
struct sort_context {
	const struct us_model *m;
	enum us_sort by;
};

static int compare_rows(const void *a, const void *b, void *ctx)
{
	const struct flat_row *x = a, *y = b;
	const struct sort_context *sc = ctx;
	uint64_t kx = x->self_ns, ky = y->self_ns;

	switch (sc->by) {
	case US_SORT_TOTAL:
		kx = x->total_ns, ky = y->total_ns;
		break;
	case US_SORT_CALLS:
		kx = x->count + x->resumes, ky = y->count + y->resumes;
		break;
	case US_SORT_FIRST:
		return (x->fn_id > y->fn_id) - (x->fn_id < y->fn_id);
	default:
		break;
	}
	if (kx != ky)
		return (kx < ky) - (kx > ky);
	return (x->fn_id > y->fn_id) - (x->fn_id < y->fn_id);
}

static int compare_names(const void *a, const void *b, void *ctx)
{
	const struct flat_row *x = a, *y = b;
	const struct us_model *m = ((const struct sort_context *)ctx)->m;

	return strcmp(m->functions[x->fn_id].label, m->functions[y->fn_id].label);
}

/* --aggregate: no tree; BPF added up each function's calls itself. */
static void add_aggregates(struct flat *f, const struct us_model *m)
{
	for (uint32_t i = 0; i < m->n_functions; i++) {
		const struct us_func_stats *s = &m->funcs[i];
		struct flat_row *r = &f->rows[i];

		r->count = s->count;
		r->self_ns = s->self_ns;
		r->sum_ns = s->sum_ns;
		r->total_ns = s->total_ns;
		r->min_ns = s->min_ns;
		r->max_ns = s->max_ns;
		r->timed = s->timed;
		r->unfinished = s->unfinished;
	}
}

static void free_flat(struct flat *f)
{
	free(f->rows);
	free(f->on_path);
	free(f->path_fn);
}

/* The rows that ran, sorted; returns how many. */
static size_t build_rows(struct flat *f, const struct us_model *m,
			 const struct us_report_options *ro)
{
	size_t n = 0;

	f->rows = us_calloc(m->n_functions + 1, sizeof(*f->rows));
	f->on_path = us_calloc(m->n_functions + 1, sizeof(*f->on_path));
	if (m->aggregated)
		add_aggregates(f, m);
	for (size_t i = 0; !m->aggregated && i < m->n_threads; i++)
		for (int phase = 0; phase < US_PHASES; phase++)
			if (m->threads[i].roots[phase] != US_NO_NODE &&
			    (phase == US_PHASE_PROGRAM || (ro && ro->all)))
				add_tree(f, m, m->threads[i].roots[phase]);
	for (uint32_t i = 0; i < m->n_functions; i++) {
		if (!f->rows[i].count && !f->rows[i].resumes)
			continue;
		f->rows[n] = f->rows[i];
		f->rows[n++].fn_id = i;
	}
	struct sort_context sc = { m, ro && ro->sort != US_SORT_TOTAL ? ro->sort : US_SORT_SELF };

	us_sort_with(f->rows, n, sizeof(*f->rows), sc.by == US_SORT_NAME ? compare_names : compare_rows,
		     &sc);
	return n;
}

static void print_header(FILE *out, const struct us_model *m, const struct us_report_options *ro,
			 struct us_time_unit unit, struct us_bytes_unit bytes_unit)
{
	static const char *const columns[] = { "Total", "Self", "Avg", "Min", "Max" };
	char name[32];

	fprintf(out, "\n%s%9s", us_color(ro, US_COLOR_BOLD), "Calls");
	for (size_t i = 0; i < US_ARRAY_SIZE(columns); i++) {
		snprintf(name, sizeof(name), "%s(%s)", columns[i], unit.name);
		fprintf(out, " %*s", TIME_WIDTH, name);
	}
	fprintf(out, " %7s", "%Self");
	if (m->memory.recorded) {
		snprintf(name, sizeof(name), "Bytes(%s)", bytes_unit.name);
		fprintf(out, " %9s %11s", "Allocs", name);
	}
	fprintf(out, "  Function%s\n", us_color(ro, US_COLOR_RESET));
}

static void print_row(FILE *out, const struct us_model *m, const struct us_report_options *ro,
		      const struct flat_row *r, uint64_t all_self, struct us_time_unit unit,
		      struct us_bytes_unit bytes_unit)
{
	const uint64_t times[] = {
		r->total_ns, r->self_ns, r->count + r->resumes ? r->sum_ns / (r->count + r->resumes) : 0,
		r->min_ns, r->max_ns,
	};
	double pct = all_self ? 100.0 * (double)r->self_ns / (double)all_self : 0.0;
	int room = ro && ro->width ? ro->width - (10 + 5 * (TIME_WIDTH + 1) + 8 + 2 +
						  (m->memory.recorded ? 22 : 0)) : 0;
	char name[1024];
	size_t used, place_start, place_len;

	fprintf(out, "%s%9llu", us_heat_color(ro, pct), (unsigned long long)r->count);
	for (size_t i = 0; i < US_ARRAY_SIZE(times); i++) {
		fputc(' ', out);
		us_print_time(out, unit, times[i], TIME_WIDTH);
	}
	fprintf(out, " %7.1f", pct);
	if (m->memory.recorded) {
		fprintf(out, " %9llu ", (unsigned long long)r->allocs);
		us_print_bytes(out, bytes_unit, r->bytes, 11);
	}
	fputs("  ", out);
	used = (size_t)snprintf(name, sizeof(name), "%s", us_function_label(m, r->fn_id));
	if (r->resumes && used < sizeof(name))
		used += (size_t)snprintf(name + used, sizeof(name) - used, "  (+%llu resumes)",
					 (unsigned long long)r->resumes);
	if (r->inferred && used < sizeof(name))
		used += (size_t)snprintf(name + used, sizeof(name) - used, "  (%llu inferred)",
					 (unsigned long long)r->inferred);
	if (r->unfinished && used < sizeof(name))
		snprintf(name + used, sizeof(name) - used, "  (%llu running at the end)",
			 (unsigned long long)r->unfinished);
	us_label_place(us_function_label(m, r->fn_id), &place_start, &place_len);
	if (place_start + place_len > sizeof(name) - 1)
		place_len = 0;	/* a label longer than the row buffer: cut as it comes */
	us_print_cut_keeping(out, name, room > 8 ? room : (room ? 8 : 0), 0, place_start,
			     place_len);
	fprintf(out, "%s\n", us_color(ro, US_COLOR_RESET));
}

#define LATENCY_HISTOGRAMS 5	/* --aggregate: histograms of the first rows */
#define LATENCY_BAR 40

/* "1.02 ms" etc. for a bucket bound of 2^i ns. */
static void format_bound(char *buf, size_t len, uint64_t ns)
{
	static const struct { uint64_t ns; const char *unit; } units[] = {
		{ 1000000000ull, "s" }, { 1000000, "ms" }, { 1000, "us" }, { 1, "ns" },
	};

	for (size_t i = 0; i < US_ARRAY_SIZE(units); i++)
		if (ns >= units[i].ns || units[i].ns == 1) {
			snprintf(buf, len, "%.3g %s", (double)ns / (double)units[i].ns, units[i].unit);
			return;
		}
}

/* A function's latencies as log2 buckets, bcc funclatency's way. */
static void print_latency(FILE *out, const struct us_model *m, const struct flat_row *r)
{
	const uint64_t *b = m->funcs[r->fn_id].latency;
	size_t first = US_LATENCY_BUCKETS, last = 0;
	uint64_t most = 0;

	for (size_t i = 0; b && i < US_LATENCY_BUCKETS; i++) {
		if (!b[i])
			continue;
		first = first < i ? first : i;
		last = i;
		most = b[i] > most ? b[i] : most;
	}
	if (!most)
		return;
	fprintf(out, "\n%s: %llu calls, %llu timed\n", us_function_label(m, r->fn_id),
		(unsigned long long)r->count, (unsigned long long)r->timed);
	fprintf(out, "  %21s : %-10s %s\n", "duration", "calls", "distribution");
	for (size_t i = first; i <= last; i++) {
		char lo[16], hi[16], range[40];
		int bar = (int)(b[i] * LATENCY_BAR / most);

		format_bound(lo, sizeof(lo), 1ull << i);
		format_bound(hi, sizeof(hi), 1ull << (i + 1));
		snprintf(range, sizeof(range), "%s%s - %s", i == US_LATENCY_BUCKETS - 1 ? ">= " : "",
			 lo, i == US_LATENCY_BUCKETS - 1 ? "" : hi);
		fprintf(out, "  %21s : %-10llu |%-*.*s|\n", range, (unsigned long long)b[i],
			LATENCY_BAR, bar, "****************************************");
	}
}

void us_report_flat(FILE *out, const struct us_recording *rec, const struct us_model *m,
		    const struct us_report_options *ro)
{
	struct flat f = { 0 };
	size_t n = build_rows(&f, m, ro);
	uint64_t all_self = 0, largest = 0, largest_bytes = 0;

	for (size_t i = 0; i < n; i++) {
		all_self += f.rows[i].self_ns;
		if (f.rows[i].total_ns > largest)
			largest = f.rows[i].total_ns;
		if (f.rows[i].max_ns > largest)
			largest = f.rows[i].max_ns;
		if (f.rows[i].bytes > largest_bytes)
			largest_bytes = f.rows[i].bytes;
	}
	us_report_summary(out, rec, m, ro);
	print_header(out, m, ro, us_time_unit_for(largest), us_bytes_unit_for(largest_bytes));
	for (size_t i = 0; i < n; i++)
		print_row(out, m, ro, &f.rows[i], all_self, us_time_unit_for(largest),
			  us_bytes_unit_for(largest_bytes));
	if (n == 0)
		fputs("no traced function was called\n", out);
	if (m->aggregated && n)
		fputs("(--aggregate: counted in the kernel, start-up included; a recursive "
		      "function's Total adds its nested calls again)\n", out);
	for (size_t i = 0; m->aggregated && i < n && i < LATENCY_HISTOGRAMS; i++)
		print_latency(out, m, &f.rows[i]);
	free_flat(&f);
}

void us_json_flat(struct us_json *j, const struct us_model *m, const struct us_report_options *ro)
{
	struct flat f = { 0 };
	size_t n = build_rows(&f, m, ro);

	us_json_key(j, "flat");
	us_json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		const struct flat_row *r = &f.rows[i];

		us_json_array_begin(j);
		us_json_uint(j, r->fn_id);
		us_json_uint(j, r->count + r->resumes);
		us_json_uint(j, r->total_ns);
		us_json_uint(j, r->self_ns);
		us_json_uint(j, r->timed ? r->min_ns : 0);
		us_json_uint(j, r->max_ns);
		us_json_array_end(j);
	}
	us_json_array_end(j);
	free_flat(&f);
}
