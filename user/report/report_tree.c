// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The aggregated call-path tree, per thread: numbers in fixed columns, the
 * function last, drawn with tree glyphs, children longest first (--sort).
 * A Python program's start-up and shutdown are one line each unless --all.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "report_formats.h"
#include "report_text.h"
#include "util.h"

/* Deeper than this, a subtree is one line saying how deep it goes. */
#define MAX_DRAWN_DEPTH 256
#define TIME_WIDTH 11

struct tree_printer {
	FILE *out;
	const struct us_model *m;
	const struct us_report_options *ro;
	struct us_time_unit unit;
	struct us_bytes_unit bytes_unit;
	uint64_t thread_total_ns;
	bool last_at_level[MAX_DRAWN_DEPTH + 1];
	char *line;		/* the function column being built */
	size_t line_cap;
	size_t label_start;		/* where the label starts in line, after the glyphs */
	uint32_t *pattern_of_fn;	/* each function's main repeated block of children */
	size_t place_start, place_len;	/* the label's " (file:line)" in line */
};

static void append(struct tree_printer *p, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(struct tree_printer *p, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->line)
		us_grow(&p->line, &p->line_cap, 256, 1);
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(p->line + *used, p->line_cap - *used, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < p->line_cap - *used)
			break;
		us_grow(&p->line, &p->line_cap, *used + (size_t)n + 256, 1);
	}
	*used += (size_t)n;
}

/* Glyphs for `depth`, then the label and what happened to the calls. */
static void build_function_column(struct tree_printer *p, uint32_t node, size_t depth)
{
	const struct us_node *n = &p->m->nodes[node];
	size_t used = 0;

	for (size_t i = 2; i < depth; i++)	/* top-level calls have no glyph */
		append(p, &used, "%s", p->last_at_level[i] ? "   " : "│  ");
	if (depth > 1)
		append(p, &used, "%s", p->last_at_level[depth] ? "└─ " : "├─ ");
	us_label_place(us_function_label(p->m, n->fn_id), &p->place_start, &p->place_len);
	p->label_start = used;
	p->place_start += used;
	append(p, &used, "%s", us_function_label(p->m, n->fn_id));
	for (uint8_t i = 0; i < n->n_call_lines; i++)	/* "(from lines 12, 40)" */
		append(p, &used, i ? ", %d" : n->n_call_lines > 1 || n->more_call_lines
		       ? "  (from lines %d" : "  (from line %d", n->call_lines[i]);
	if (n->n_call_lines)
		append(p, &used, "%s)", n->more_call_lines ? ", …" : "");
	if (n->resumes)
		append(p, &used, "  (+%llu resumes)", (unsigned long long)n->resumes);
	if (n->collapsed)
		append(p, &used, "  [calls out of scope folded in]");
	if (n->exception_exits)
		append(p, &used, "  (raised %s ×%llu)", p->m->node_exceptions[n->first_exception].type,
		       (unsigned long long)n->exception_exits);
	if (n->inferred_exits)
		append(p, &used, "  (%llu inferred)", (unsigned long long)n->inferred_exits);
	if (n->unfinished)
		append(p, &used, "  (%llu running at the end)", (unsigned long long)n->unfinished);
}

static void print_numbers(struct tree_printer *p, const struct us_node *n)
{
	double pct = p->thread_total_ns ? 100.0 * (double)n->total_ns / (double)p->thread_total_ns
					: 0;

	fputs(us_heat_color(p->ro, pct), p->out);
	fprintf(p->out, "%9llu ", (unsigned long long)n->count);
	us_print_time(p->out, p->unit, n->total_ns, TIME_WIDTH);
	fputc(' ', p->out);
	us_print_time(p->out, p->unit, n->self_ns, TIME_WIDTH);
	fprintf(p->out, " %7.1f", pct);
	if (p->m->memory.recorded) {
		fprintf(p->out, " %9llu ", (unsigned long long)n->mem.allocs);
		us_print_bytes(p->out, p->bytes_unit, n->mem.bytes, 11);
	}
	fputs("  ", p->out);
}

/* Everything before the function column: its width on screen. */
static int numbers_width(const struct tree_printer *p)
{
	return 9 + 1 + TIME_WIDTH + 1 + TIME_WIDTH + 8 + (p->m->memory.recorded ? 22 : 0) + 2;
}

static void print_row(struct tree_printer *p, uint32_t node, size_t depth)
{
	int room = p->ro && p->ro->width ? p->ro->width - numbers_width(p) : 0;

	print_numbers(p, &p->m->nodes[node]);
	build_function_column(p, node, depth);
	us_print_cut_keeping(p->out, p->line, room > 8 ? room : (room ? 8 : 0), p->label_start,
			     p->place_start, p->place_len);
	fprintf(p->out, "%s\n", us_color(p->ro, US_COLOR_RESET));
}

static void print_cut_subtree(struct tree_printer *p, uint32_t node, size_t depth)
{
	size_t levels;
	uint64_t calls;

	us_subtree_size(p->m, node, &levels, &calls);
	fprintf(p->out, "%*s", numbers_width(p), "");
	for (size_t i = 2; i <= depth; i++)
		fputs(p->last_at_level[i] ? "   " : "│  ", p->out);
	fprintf(p->out, "└─ … %zu levels deeper, %llu calls (not drawn)\n", levels,
		(unsigned long long)calls);
}

static bool has_shown_child(const struct us_model *m, uint32_t root);

/* Under a call path whose function's children repeat a block: the block,
 * where its children would be drawn ("↻ 6× [a → b → 2× [c → d]]"). */
static void print_pattern_line(struct tree_printer *p, uint32_t node, size_t depth)
{
	uint32_t fn = p->m->nodes[node].fn_id;
	uint32_t id = fn < p->m->n_functions ? p->pattern_of_fn[fn] : US_NO_PATTERN;

	if (id == US_NO_PATTERN || depth >= MAX_DRAWN_DEPTH)
		return;
	fprintf(p->out, "%*s", numbers_width(p), "");
	for (size_t i = 2; i <= depth; i++)
		fputs(p->last_at_level[i] ? "   " : "│  ", p->out);
	fputs(has_shown_child(p->m, node) ? "│  ↻ " : "   ↻ ", p->out);
	us_write_pattern_block(p->out, p->m, id);
	fputc('\n', p->out);
}

static void print_tree(struct tree_printer *p, uint32_t root)
{
	struct us_walk w;
	size_t depth;
	uint32_t node;
	bool is_last;

	us_walk_init(&w, p->m, root, p->ro ? p->ro->sort : US_SORT_TOTAL, false);
	while (us_walk_next(&w, &node, &depth, &is_last)) {
		p->last_at_level[depth <= MAX_DRAWN_DEPTH ? depth : MAX_DRAWN_DEPTH] = is_last;
		print_row(p, node, depth);
		print_pattern_line(p, node, depth);
		if (depth == MAX_DRAWN_DEPTH && p->m->nodes[node].first_child != US_NO_NODE) {
			print_cut_subtree(p, node, depth);
			us_walk_skip_children(&w);
		}
	}
	us_walk_free(&w);
}

static uint64_t children_total(const struct us_model *m, uint32_t root)
{
	uint64_t total = 0;

	if (root == US_NO_NODE)
		return 0;
	us_node_for_each_child(m, root, top)
		total += m->nodes[top].total_ns;
	return total;
}

static uint64_t phase_calls(const struct us_model *m, uint32_t root)
{
	uint64_t calls;

	if (root == US_NO_NODE)
		return 0;
	us_subtree_size(m, root, NULL, &calls);
	return calls;
}

static const char *const phase_names[] = {
	[US_PHASE_STARTUP] = "interpreter start-up", [US_PHASE_SHUTDOWN] = "interpreter shutdown",
};

/* "interpreter start-up: 312 calls, 18.2 ms" */
static void print_phase_line(struct tree_printer *p, const struct us_thread *t,
			     enum us_phase phase, const char *after)
{
	uint64_t dur = t->phase_end_ns[phase] > t->phase_start_ns[phase]
		? t->phase_end_ns[phase] - t->phase_start_ns[phase] : 0;
	char text[64];

	us_format_duration(text, sizeof(text), dur);
	fprintf(p->out, "%s%s: %llu calls, %s%s%s\n", us_color(p->ro, US_COLOR_DIM),
		phase_names[phase], (unsigned long long)phase_calls(p->m, t->roots[phase]), text,
		after, us_color(p->ro, US_COLOR_RESET));
}

static void print_header(struct tree_printer *p)
{
	char total[32], self[32], bytes[32];

	snprintf(total, sizeof(total), "Total(%s)", p->unit.name);
	snprintf(self, sizeof(self), "Self(%s)", p->unit.name);
	fprintf(p->out, "%s%9s %*s %*s %7s", us_color(p->ro, US_COLOR_BOLD), "Calls", TIME_WIDTH,
		total, TIME_WIDTH, self, "%Total");
	if (p->m->memory.recorded) {
		snprintf(bytes, sizeof(bytes), "Bytes(%s)", p->bytes_unit.name);
		fprintf(p->out, " %9s %11s", "Allocs", bytes);
	}
	fprintf(p->out, "  Function%s\n", us_color(p->ro, US_COLOR_RESET));
}

static bool has_shown_child(const struct us_model *m, uint32_t root)
{
	if (root == US_NO_NODE)
		return false;
	us_node_for_each_child(m, root, child)
		if (us_node_shown(m, child))
			return true;
	return false;
}

/* --follow with more than one process: which one the thread is of. */
static void print_process(struct tree_printer *p, const struct us_recording *rec,
			  const struct us_thread *t)
{
	uint32_t pid = t->pid ? t->pid : (uint32_t)rec->pid;

	if (p->m->n_processes < 2)
		return;
	for (size_t i = 0; i < p->m->n_processes; i++)
		if (p->m->processes[i].pid == pid && p->m->processes[i].command)
			fprintf(p->out, " of process %u: %s", pid, p->m->processes[i].command);
}

/* The thread's phases in order; start-up and shutdown as one line each
 * unless --all. */
static void print_thread(struct tree_printer *p, const struct us_recording *rec,
			 const struct us_thread *t)
{
	bool all = p->ro && p->ro->all, header_printed = false;

	fprintf(p->out, "\nThread %u (%s)", t->tid, us_thread_display_name(rec, t));
	print_process(p, rec, t);
	fputc('\n', p->out);
	for (int i = 0; i < US_PHASES; i++) {
		enum us_phase phase = (enum us_phase)i;
		uint32_t root = t->roots[phase];

		if (root == US_NO_NODE)
			continue;
		if (phase != US_PHASE_PROGRAM && !all) {
			print_phase_line(p, t, phase, " (--all shows them)");
			continue;
		}
		if (!has_shown_child(p->m, root))
			continue;
		if (phase != US_PHASE_PROGRAM)
			print_phase_line(p, t, phase, "");
		if (!header_printed)
			print_header(p);
		header_printed = true;
		p->thread_total_ns = children_total(p->m, root);
		print_tree(p, root);
	}
}

static uint64_t largest_total(const struct us_model *m, uint64_t *largest_bytes)
{
	uint64_t largest = 0;

	*largest_bytes = 0;
	for (size_t i = 0; i < m->n_nodes; i++) {
		if (m->nodes[i].total_ns > largest)
			largest = m->nodes[i].total_ns;
		if (m->nodes[i].mem.bytes > *largest_bytes)
			*largest_bytes = m->nodes[i].mem.bytes;
	}
	return largest;
}

void us_report_tree(FILE *out, const struct us_recording *rec, const struct us_model *m,
		    const struct us_report_options *ro)
{
	struct tree_printer p = { .out = out, .m = m, .ro = ro };
	uint64_t largest_bytes;
	bool printed_any = false;

	if (m->aggregated) {	/* --aggregate kept no call paths: its table */
		us_report_flat(out, rec, m, ro);
		return;
	}

	p.pattern_of_fn = us_patterns_by_parent(m);
	p.unit = us_time_unit_for(largest_total(m, &largest_bytes));
	p.bytes_unit = us_bytes_unit_for(largest_bytes);
	us_report_summary(out, rec, m, ro);
	for (size_t i = 0; i < m->n_threads; i++) {
		const struct us_thread *t = &m->threads[i];
		bool shown = false;

		for (int phase = 0; phase < US_PHASES; phase++)
			shown |= has_shown_child(m, t->roots[phase]);
		if (!shown)
			continue;
		print_thread(&p, rec, t);
		printed_any = true;
	}
	if (!printed_any)
		fputs("\nno traced function was called\n", out);
	free(p.line);
	free(p.pattern_of_fn);
}
