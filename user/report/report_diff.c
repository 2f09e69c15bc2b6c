// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `uscope diff A B`: two recordings of a program compared, per function and
 * per call path: calls, total and self time in each, the change, and what
 * is new in B or gone from it; as text, json, or a page with a differential
 * flame graph (user/report/diff.html). Functions are matched by what they are (name
 * and object, or name, file and first line), never by the ids a recording
 * gave them; call paths by the chain of those.
 */
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "diff_html_page.h"
#include "json_writer.h"
#include "model_program.h"
#include "model_walk.h"
#include "profile_paths.h"
#include "report.h"
#include "report_diff.h"
#include "util.h"

#define US_DIFF_SENTENCES 10	/* the top changes told as sentences */
#define US_DIFF_TEXT_ROWS 25	/* rows of each text table */
#define US_DIFF_MAX_PATH_DEPTH 64	/* deeper call paths are not compared as paths */
#define DIFF_DATA_MARK "/*USCOPE_DATA*/"

struct side_stats {
	uint64_t calls, total_ns, self_ns;
};

/* A function, or a call path, and its figures in A (side 0) and B (side 1). */
struct diff_row {
	char *label;			/* as reports show it; a path: labels joined by " → " */
	char *name;			/* a path: its last function's label */
	uint64_t key;
	uint64_t parent_key;		/* a path: the path it extends; 0: a top-level call */
	bool in[2];
	struct side_stats side[2];
};

struct diff_table {
	struct diff_row *rows;
	size_t n, cap;
	struct us_map index;		/* key -> rows[] */
};

static uint64_t function_key(const struct us_model *m, uint32_t fn_id)
{
	const struct us_function *f = &m->functions[fn_id];
	uint64_t h = us_hash_u64(us_hash_str(f->name) + f->kind);

	if (f->kind == US_FN_PYTHON)
		return us_hash_u64(h ^ us_hash_str(f->file ? f->file : "") ^ f->line);
	return us_hash_u64(h ^ us_hash_str(f->object ? f->object : ""));
}

static struct diff_row *row_for(struct diff_table *t, uint64_t key, const char *label)
{
	uint32_t i = us_map_get(&t->index, key);

	if (i != US_MAP_NONE)
		return &t->rows[i];
	us_grow(&t->rows, &t->cap, t->n + 1, sizeof(*t->rows));
	memset(&t->rows[t->n], 0, sizeof(t->rows[t->n]));
	t->rows[t->n].key = key;
	t->rows[t->n].label = us_strdup(label);
	us_map_put(&t->index, key, (uint32_t)t->n);
	return &t->rows[t->n++];
}

/* The labels of the path down to each depth of a walk. */
struct path_labels {
	char **at;		/* at[d]: the path to depth d ("a → b") */
	uint64_t *keys;
	size_t cap;
};

static void path_labels_set(struct path_labels *p, size_t depth, uint64_t key, const char *label)
{
	size_t old = p->cap;

	if (depth >= p->cap) {
		us_grow(&p->at, &p->cap, depth + 1, sizeof(*p->at));
		p->keys = realloc(p->keys, p->cap * sizeof(*p->keys));
		if (!p->keys)
			abort();
		memset(&p->at[old], 0, (p->cap - old) * sizeof(*p->at));
	}
	free(p->at[depth]);
	p->at[depth] = depth > 1 ? us_asprintf("%s → %s", p->at[depth - 1], label)
				 : us_strdup(label);
	p->keys[depth] = key;
}

static void path_labels_free(struct path_labels *p)
{
	for (size_t i = 0; i < p->cap; i++)
		free(p->at[i]);
	free(p->at);
	free(p->keys);
}

static void add_stats(struct side_stats *s, const struct us_node *n, bool total)
{
	s->calls += n->count;
	s->self_ns += n->self_ns;
	if (total)
		s->total_ns += n->total_ns;
}

/* Every call path of every thread in the phases compared, merged across
 * threads; and each function, from the same nodes. */
static void add_side(struct diff_table *fns, struct diff_table *paths, const struct us_model *m,
		     int side, bool program_only)
{
	struct path_labels path = { 0 };
	struct us_open_functions open = { 0 };

	for (size_t i = 0; i < m->n_threads; i++) {
		for (int phase = 0; phase < US_PHASES; phase++) {
			uint32_t root = m->threads[i].roots[phase], node;
			struct us_walk w;
			size_t depth;

			if (root == US_NO_NODE || (program_only && phase != US_PHASE_PROGRAM))
				continue;
			us_open_functions_reset(&open);
			us_walk_init(&w, m, root, US_SORT_FIRST, false);
			while (us_walk_next(&w, &node, &depth, NULL)) {
				const struct us_node *n = &m->nodes[node];
				uint64_t key = function_key(m, n->fn_id);
				const char *label = us_function_label(m, n->fn_id);
				/* only its outermost call counts in its total */
				bool nested = us_open_functions_enter(&open, depth, key) > 1;
				struct diff_row *r = row_for(fns, key, label);

				r->in[side] = true;
				add_stats(&r->side[side], n, !nested);
				if (depth > US_DIFF_MAX_PATH_DEPTH)
					continue;	/* deeper paths are compared as functions only */
				path_labels_set(&path, depth,
						us_hash_u64((depth > 1 ? path.keys[depth - 1]
								       : (uint64_t)phase) * 31 + key),
						label);
				r = row_for(paths, path.keys[depth], path.at[depth]);
				if (!r->name) {
					r->name = us_strdup(label);
					r->parent_key = depth > 1 ? path.keys[depth - 1] : 0;
				}
				r->in[side] = true;
				add_stats(&r->side[side], n, true);
			}
			us_walk_free(&w);
		}
	}
	us_open_functions_free(&open);
	path_labels_free(&path);
}

/* A profile's side: its call paths of samples, process and thread groups
 * left out (their names hold pids): calls are samples, times their weight. */
struct profile_walk {
	struct diff_table *fns, *paths;
	const struct us_profile_paths *p;
	struct us_open_functions open;
	struct path_labels path;
	int side;
};

static void add_profile_node(struct profile_walk *w, uint32_t id, size_t depth)
{
	const struct us_path_node *n = &w->p->nodes[id];
	const struct us_path_label *l = &w->p->labels[n->label];
	size_t below = depth;

	if (id != US_PATH_ROOT && l->kind != US_LABEL_GROUP) {
		uint64_t key = us_hash_u64(us_hash_str(l->text));
		bool nested = us_open_functions_enter(&w->open, depth, key) > 1;
		struct diff_row *r = row_for(w->fns, key, l->text);
		struct side_stats s = { n->count, n->weight_ns, n->self_weight_ns };

		r->in[w->side] = true;
		r->side[w->side].calls += s.calls;
		r->side[w->side].self_ns += s.self_ns;
		r->side[w->side].total_ns += nested ? 0 : s.total_ns;
		if (depth <= US_DIFF_MAX_PATH_DEPTH) {
			path_labels_set(&w->path, depth, us_hash_u64((depth > 1 ? w->path.keys[depth - 1]
									 : 0) * 31 + key), l->text);
			r = row_for(w->paths, w->path.keys[depth], w->path.at[depth]);
			if (!r->name) {
				r->name = us_strdup(l->text);
				r->parent_key = depth > 1 ? w->path.keys[depth - 1] : 0;
			}
			r->in[w->side] = true;
			r->side[w->side].calls += s.calls;
			r->side[w->side].self_ns += s.self_ns;
			r->side[w->side].total_ns += s.total_ns;
		}
		below = depth + 1;
	}
	for (uint32_t c = n->first_child; c != US_MAP_NONE; c = w->p->nodes[c].next_sibling)
		add_profile_node(w, c, below);
}

static void add_profile_side(struct diff_table *fns, struct diff_table *paths,
			     const struct us_model *m, int side)
{
	struct us_profile_paths p;
	struct profile_walk w = { .fns = fns, .paths = paths, .p = &p, .side = side };

	us_profile_paths_build(&p, &m->profile, us_profile_kinds(&m->profile));
	add_profile_node(&w, US_PATH_ROOT, 1);
	us_open_functions_free(&w.open);
	path_labels_free(&w.path);
	us_profile_paths_free(&p);
}

static int64_t change_ns(const struct diff_row *r)
{
	return (int64_t)r->side[1].total_ns - (int64_t)r->side[0].total_ns;
}

/* What ranks a change: the time spent in the function itself, so a slower
 * leaf comes before the callers whose totals hold it. */
static int64_t self_change_ns(const struct diff_row *r)
{
	return (int64_t)r->side[1].self_ns - (int64_t)r->side[0].self_ns;
}

static int by_change(const void *a, const void *b)
{
	int64_t x = llabs(self_change_ns(a)), y = llabs(self_change_ns(b));

	return x > y ? -1 : x < y;
}

static void table_free(struct diff_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].label);
		free(t->rows[i].name);
	}
	free(t->rows);
	us_map_free(&t->index);
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* B's total over A's; 0 when A took no time (new, or too short to see). */
static double ratio(const struct diff_row *r)
{
	return r->side[0].total_ns ? (double)r->side[1].total_ns / (double)r->side[0].total_ns : 0;
}

/* The growth rule (docs/reports.md, "Bottlenecks"): a function whose own
 * time per call (self: not its callers', whose totals hold it) grew
 * GROWTH_MIN_RATIO times or more, that growth 5 % or more of B's time: work
 * that grows faster than its calls. */
#define GROWTH_MIN_RATIO 2.0
#define GROWTH_MIN_SHARE 0.05

static double self_per_call_ns(const struct side_stats *s)
{
	return s->calls ? (double)s->self_ns / (double)s->calls : 0;
}

static bool grows(const struct diff_row *r, uint64_t b_span_ns, bool samples)
{
	double before = self_per_call_ns(&r->side[0]), after = self_per_call_ns(&r->side[1]);

	if (samples)	/* a sample is not a call: no time per call */
		return false;
	return r->in[0] && r->in[1] && before > 0 && after >= GROWTH_MIN_RATIO * before &&
	       (double)self_change_ns(r) >= GROWTH_MIN_SHARE * (double)b_span_ns;
}

static char *growth_evidence(const struct diff_row *r)
{
	return us_asprintf("its own time per call %.3f ms in A, %.3f ms in B (%.1f×), over %llu "
			   "and %llu call%s; %+.1f ms in all",
			   self_per_call_ns(&r->side[0]) / 1e6, self_per_call_ns(&r->side[1]) / 1e6,
			   self_per_call_ns(&r->side[1]) / self_per_call_ns(&r->side[0]),
			   (unsigned long long)r->side[0].calls, (unsigned long long)r->side[1].calls,
			   r->side[1].calls == 1 ? "" : "s", (double)self_change_ns(r) / 1e6);
}

#define GROWTH_REASON "each call does more work in B: its cost grows faster than its calls " \
	"(with a larger input: more than linearly)"
#define GROWTH_SUGGESTION "look for work that grows with the square of the input (a loop " \
	"over it inside a loop, list searches, repeated concatenation): an index (dict, set) " \
	"or one pass"

static uint64_t span_ns(const struct us_model *m)
{
	return m->last_ns > m->first_ns ? m->last_ns - m->first_ns : 1;
}

static void write_growth_text(FILE *out, const struct diff_table *fns, uint64_t b_span_ns,
			      bool samples)
{
	size_t shown = 0;

	for (size_t i = 0; i < fns->n; i++) {
		char *evidence;

		if (!grows(&fns->rows[i], b_span_ns, samples))
			continue;
		if (!shown++)
			fputs("\nBottlenecks (rule growth):\n", out);
		evidence = growth_evidence(&fns->rows[i]);
		fprintf(out, "  %s\n    why: %s\n    evidence: %s\n    suggestion: %s\n",
			fns->rows[i].label, GROWTH_REASON, evidence, GROWTH_SUGGESTION);
		free(evidence);
	}
}

static void write_growth_json(struct us_json *j, const struct diff_table *fns, uint64_t b_span_ns,
			      bool samples)
{
	us_json_key(j, "bottlenecks");
	us_json_array_begin(j);
	for (size_t i = 0; i < fns->n; i++) {
		const struct diff_row *r = &fns->rows[i];
		char *evidence;

		if (!grows(r, b_span_ns, samples))
			continue;
		evidence = growth_evidence(r);
		us_json_object_begin(j);
		us_json_kv_string(j, "operation", r->label);
		us_json_kv_string(j, "rule", "growth");
		us_json_kv_string(j, "reason", GROWTH_REASON);
		us_json_kv_string(j, "evidence", evidence);
		us_json_kv_string(j, "suggestion", GROWTH_SUGGESTION);
		us_json_kv_double(j, "time_ms", (double)self_change_ns(r) / 1e6);
		us_json_object_end(j);
		free(evidence);
	}
	us_json_array_end(j);
}

/* "apply_transform: 45.300 ms vs 5.200 ms, 8.7×, +40.100 ms" (B vs A). */
static void write_sentence(FILE *out, const struct diff_row *r, bool samples)
{
	const char *unit = samples ? "sample" : "call";

	if (!r->in[0])
		fprintf(out, "  %s: new in B, %.3f ms (%llu %s%s)\n", r->label,
			ms(r->side[1].total_ns), (unsigned long long)r->side[1].calls, unit,
			r->side[1].calls == 1 ? "" : "s");
	else if (!r->in[1])
		fprintf(out, "  %s: gone from B, was %.3f ms (%llu %s%s)\n", r->label,
			ms(r->side[0].total_ns), (unsigned long long)r->side[0].calls, unit,
			r->side[0].calls == 1 ? "" : "s");
	else
		fprintf(out, "  %s: %.3f ms vs %.3f ms, %.1f×, %+.3f ms\n", r->label,
			ms(r->side[1].total_ns), ms(r->side[0].total_ns), ratio(r),
			(double)change_ns(r) / 1e6);
}

static void write_table(FILE *out, const char *title, const struct diff_table *t, bool samples)
{
	fprintf(out, "\n%s (B vs A, the largest changes in self time first):\n", title);
	fprintf(out, "  %9s %9s %12s %12s %12s %12s %7s  %s\n", samples ? "Samples A" : "Calls A",
		samples ? "Samples B" : "Calls B", "Total A(ms)", "Total B(ms)", "Self A(ms)",
		"Self B(ms)", "Ratio", "Function");
	for (size_t i = 0; i < t->n && i < US_DIFF_TEXT_ROWS; i++) {
		const struct diff_row *r = &t->rows[i];

		fprintf(out, "  %9llu %9llu %12.3f %12.3f %12.3f %12.3f ",
			(unsigned long long)r->side[0].calls, (unsigned long long)r->side[1].calls,
			ms(r->side[0].total_ns), ms(r->side[1].total_ns), ms(r->side[0].self_ns),
			ms(r->side[1].self_ns));
		if (r->in[0] && r->in[1] && r->side[0].total_ns)
			fprintf(out, "%6.1f×", ratio(r));
		else
			fprintf(out, "%7s", r->in[0] ? (r->in[1] ? "-" : "gone") : "new");
		fprintf(out, "  %s\n", r->label);
	}
	if (t->n > US_DIFF_TEXT_ROWS)
		fprintf(out, "  (%zu more in --format json)\n", t->n - US_DIFF_TEXT_ROWS);
}

/* A trace's calls, or a profile's samples. */
static uint64_t calls_or_samples(const struct us_diff_input *in, int side)
{
	const struct us_model *m = in->model[side];

	return in->profiles ? m->profile.count[US_SAMPLE_ON_CPU] + m->profile.count[US_SAMPLE_OFF_CPU]
			    : m->total_calls;
}

static void write_text(FILE *out, const struct us_diff_input *in, bool program_only,
		       const struct diff_table *fns, const struct diff_table *paths)
{
	size_t new_paths = 0, gone_paths = 0;

	for (size_t i = 0; i < paths->n; i++) {
		new_paths += !paths->rows[i].in[0];
		gone_paths += !paths->rows[i].in[1];
	}
	for (int side = 0; side < 2; side++)
		fprintf(out, "%c: %s, %.3f ms, %llu %s\n", side ? 'B' : 'A', in->name[side],
			ms(in->model[side]->last_ns - in->model[side]->first_ns),
			(unsigned long long)calls_or_samples(in, side),
			in->profiles ? "samples" : "calls");
	if (program_only)
		fputs("(the programs' own calls: the interpreter's start-up and shutdown are left "
		      "out)\n", out);
	fputs("\nThe largest changes:\n", out);
	for (size_t i = 0; i < fns->n && i < US_DIFF_SENTENCES; i++)
		write_sentence(out, &fns->rows[i], in->profiles);
	write_growth_text(out, fns, span_ns(in->model[1]), in->profiles);
	write_table(out, "Functions", fns, in->profiles);
	write_table(out, "Call paths", paths, in->profiles);
	fprintf(out, "\n%zu call paths new in B, %zu gone from B.\n", new_paths, gone_paths);
}

static void write_side(struct us_json *j, const char *key, const struct diff_row *r, int side)
{
	us_json_key(j, key);
	if (!r->in[side]) {
		us_json_null(j);
		return;
	}
	us_json_object_begin(j);
	us_json_kv_uint(j, "calls", r->side[side].calls);
	us_json_kv_double(j, "total_ms", ms(r->side[side].total_ns));
	us_json_kv_double(j, "self_ms", ms(r->side[side].self_ns));
	us_json_object_end(j);
}

static void write_json_rows(struct us_json *j, const char *key, const char *name_key,
			    const struct diff_table *t)
{
	us_json_key(j, key);
	us_json_array_begin(j);
	for (size_t i = 0; i < t->n; i++) {
		const struct diff_row *r = &t->rows[i];

		us_json_object_begin(j);
		us_json_kv_string(j, name_key, r->label);
		write_side(j, "a", r, 0);
		write_side(j, "b", r, 1);
		us_json_kv_double(j, "change_ms", (double)change_ns(r) / 1e6);
		us_json_kv_double(j, "self_change_ms", (double)self_change_ns(r) / 1e6);
		us_json_key(j, "ratio");
		if (r->in[0] && r->in[1] && r->side[0].total_ns)
			us_json_double(j, ratio(r));
		else
			us_json_null(j);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

/* "a" and "b" (each run), what was compared, and the growth findings. */
static void write_runs(struct us_json *j, const struct us_diff_input *in, bool program_only,
		       const struct diff_table *fns)
{
	for (int side = 0; side < 2; side++) {
		us_json_key(j, side ? "b" : "a");
		us_json_object_begin(j);
		us_json_kv_string(j, "recording", in->name[side]);
		us_json_kv_double(j, "duration_ms",
				  ms(in->model[side]->last_ns - in->model[side]->first_ns));
		us_json_kv_uint(j, in->profiles ? "samples" : "total_calls",
				calls_or_samples(in, side));
		us_json_object_end(j);
	}
	us_json_kv_bool(j, "program_only", program_only);
	us_json_kv_bool(j, "profiles", in->profiles);	/* calls are samples */
	write_growth_json(j, fns, span_ns(in->model[1]), in->profiles);
}

static void write_json(FILE *out, const struct us_diff_input *in, bool program_only,
		       const struct diff_table *fns, const struct diff_table *paths)
{
	struct us_json j;

	us_json_init(&j, out, 3);
	us_json_object_begin(&j);
	write_runs(&j, in, program_only, fns);
	write_json_rows(&j, "functions", "function", fns);
	write_json_rows(&j, "paths", "path", paths);
	us_json_object_end(&j);
	us_json_finish(&j);
}

/* "apply_transform: ..." as the text report tells it, without its indent. */
static void json_sentence(struct us_json *j, const struct diff_row *r, bool samples)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		return;
	write_sentence(mem, r, samples);
	fclose(mem);
	while (len && text[len - 1] == '\n')
		text[--len] = '\0';
	us_json_string(j, text + strspn(text, " "));
	free(text);
}

static void json_side(struct us_json *j, const struct diff_row *r, int side)
{
	us_json_uint(j, r->side[side].calls);
	us_json_uint(j, r->side[side].total_ns);
	us_json_uint(j, r->side[side].self_ns);
}

/* The page's data: "sentences", "functions" and "paths" as
 * [name, present (1 A, 2 B, 3 both), calls/total_ns/self_ns in A, in B],
 * paths with their parent's index first (-1: top level). */
static void write_html_data(FILE *out, const struct us_diff_input *in, bool program_only,
			    const struct diff_table *fns, const struct diff_table *paths)
{
	struct us_map index = { 0 };
	struct us_json j;

	for (size_t i = 0; i < paths->n; i++)
		us_map_put(&index, paths->rows[i].key, (uint32_t)i);
	us_json_init(&j, out, 0);
	us_json_object_begin(&j);
	write_runs(&j, in, program_only, fns);
	us_json_key(&j, "sentences");
	us_json_array_begin(&j);
	for (size_t i = 0; i < fns->n && i < US_DIFF_SENTENCES; i++)
		json_sentence(&j, &fns->rows[i], in->profiles);
	us_json_array_end(&j);
	us_json_key(&j, "functions");
	us_json_array_begin(&j);
	for (size_t i = 0; i < fns->n; i++) {
		const struct diff_row *r = &fns->rows[i];

		us_json_array_begin(&j);
		us_json_string(&j, r->label);
		us_json_uint(&j, (r->in[0] ? 1u : 0u) | (r->in[1] ? 2u : 0u));
		json_side(&j, r, 0);
		json_side(&j, r, 1);
		us_json_array_end(&j);
	}
	us_json_array_end(&j);
	us_json_key(&j, "paths");
	us_json_array_begin(&j);
	for (size_t i = 0; i < paths->n; i++) {
		const struct diff_row *r = &paths->rows[i];
		uint32_t parent = r->parent_key ? us_map_get(&index, r->parent_key) : US_MAP_NONE;

		us_json_array_begin(&j);
		us_json_int(&j, parent == US_MAP_NONE ? -1 : (int64_t)parent);
		us_json_string(&j, r->name);
		us_json_uint(&j, (r->in[0] ? 1u : 0u) | (r->in[1] ? 2u : 0u));
		json_side(&j, r, 0);
		json_side(&j, r, 1);
		us_json_array_end(&j);
	}
	us_json_array_end(&j);
	us_json_object_end(&j);
	us_json_finish(&j);
	us_map_free(&index);
}

/* One page: the page (diff.html, flame-chart-js inlined) with the data. */
static void write_html(FILE *out, const struct us_diff_input *in, bool program_only,
		       const struct diff_table *fns, const struct diff_table *paths)
{
	const char *mark = strstr(diff_html, DIFF_DATA_MARK);
	char *json = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&json, &len);

	if (!mark || !mem) {
		if (mem)
			fclose(mem);
		free(json);
		return;
	}
	write_html_data(mem, in, program_only, fns, paths);
	fclose(mem);
	fwrite(diff_html, 1, (size_t)(mark - diff_html), out);
	us_write_script_safe(out, json, len);
	fputs(mark + strlen(DIFF_DATA_MARK), out);
	free(json);
}

void us_report_diff(FILE *out, const struct us_diff_input *in, enum us_diff_form form)
{
	struct diff_table fns = { 0 }, paths = { 0 };

	/* Python programs traced from their start: their own phases only */
	bool program_only = us_model_program_thread(in->model[0]) &&
			    us_model_program_thread(in->model[1]);

	for (int side = 0; side < 2; side++) {
		if (in->profiles)
			add_profile_side(&fns, &paths, in->model[side], side);
		else
			add_side(&fns, &paths, in->model[side], side, program_only);
	}
	if (fns.n)	/* qsort's array must not be NULL, even empty */
		qsort(fns.rows, fns.n, sizeof(*fns.rows), by_change);
	if (paths.n)
		qsort(paths.rows, paths.n, sizeof(*paths.rows), by_change);
	if (form == US_DIFF_JSON)
		write_json(out, in, program_only, &fns, &paths);
	else if (form == US_DIFF_HTML)
		write_html(out, in, program_only, &fns, &paths);
	else
		write_text(out, in, program_only, &fns, &paths);
	table_free(&fns);
	table_free(&paths);
}
