// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The aggregated call-path tree, per thread, drawn with tree glyphs. */
#include <string.h>
#include "report.h"

#define MAX_NAME_COLUMN 72
#define MAX_DRAWN_DEPTH 256

struct tree_printer {
	FILE *out;
	const struct us_model *m;
	int name_width;
	uint64_t thread_total_ns;
	bool last_at_level[MAX_DRAWN_DEPTH];
};

static uint32_t last_shown_child(const struct us_model *m, uint32_t node)
{
	uint32_t last = US_NO_NODE;

	us_node_for_each_child(m, node, child)
		if (us_node_shown(m, child))
			last = child;
	return last;
}

static int widest_name(const struct us_model *m, uint32_t node, int level)
{
	int widest = 0;

	us_node_for_each_child(m, node, child) {
		int w;

		if (!us_node_shown(m, child))
			continue;
		w = 3 * level + (int)strlen(us_function_name(m, m->nodes[child].fn_id));
		if (w > widest)
			widest = w;
		w = widest_name(m, child, level + 1);
		if (w > widest)
			widest = w;
	}
	return widest;
}

static void print_row(struct tree_printer *p, uint32_t node, int level)
{
	const struct us_node *n = &p->m->nodes[node];
	char prefix[3 * MAX_DRAWN_DEPTH * 3 + 8] = "";
	char total[32], self[32];
	int used = 0, glyph_cols = 0;
	double pct = p->thread_total_ns ? 100.0 * (double)n->total_ns / (double)p->thread_total_ns : 0;

	for (int i = 1; i < level && i < MAX_DRAWN_DEPTH; i++) {
		used += snprintf(prefix + used, sizeof(prefix) - (size_t)used, "%s",
				 p->last_at_level[i] ? "   " : "│  ");
		glyph_cols += 3;
	}
	if (level > 0 && level < MAX_DRAWN_DEPTH) {
		snprintf(prefix + used, sizeof(prefix) - (size_t)used, "%s",
			 p->last_at_level[level] ? "└─ " : "├─ ");
		glyph_cols += 3;
	}
	us_format_duration(total, sizeof(total), n->total_ns);
	us_format_duration(self, sizeof(self), n->self_ns);
	fprintf(p->out, "%s%-*s %9llu %12s %12s %7.1f", prefix, p->name_width - glyph_cols,
		us_function_name(p->m, n->fn_id), (unsigned long long)n->count, total, self, pct);
	if (p->m->memory.recorded) {
		char bytes[32];

		us_format_bytes(bytes, sizeof(bytes), n->mem.bytes);
		fprintf(p->out, " %9llu %11s", (unsigned long long)n->mem.allocs, bytes);
	}
	if (n->resumes)
		fprintf(p->out, "  (+%llu resumes)", (unsigned long long)n->resumes);
	if (n->collapsed)
		fputs("  [calls out of scope folded in]", p->out);
	if (n->exception_exits)
		fprintf(p->out, "  (raised %s x%llu)",
			p->m->node_exceptions[n->first_exception].type,
			(unsigned long long)n->exception_exits);
	if (n->inferred_exits)
		fprintf(p->out, "  (%llu inferred)", (unsigned long long)n->inferred_exits);
	fputc('\n', p->out);
}

static void print_subtree(struct tree_printer *p, uint32_t node, int level)
{
	uint32_t last = last_shown_child(p->m, node);

	us_node_for_each_child(p->m, node, child) {
		if (!us_node_shown(p->m, child))
			continue;
		if (level < MAX_DRAWN_DEPTH)
			p->last_at_level[level] = child == last;
		print_row(p, child, level);
		print_subtree(p, child, level + 1);
	}
}

void us_report_tree(FILE *out, const struct us_recording *rec, const struct us_model *m)
{
	struct tree_printer p = { .out = out, .m = m };
	bool printed_any = false;

	us_report_summary(out, rec, m);
	for (size_t i = 0; i < m->n_threads; i++) {
		const struct us_thread *t = &m->threads[i];
		int width = widest_name(m, t->root, 0);

		p.name_width = width > p.name_width ? width : p.name_width;
	}
	if (p.name_width < 8)
		p.name_width = 8;
	if (p.name_width > MAX_NAME_COLUMN)
		p.name_width = MAX_NAME_COLUMN;
	for (size_t i = 0; i < m->n_threads; i++) {
		const struct us_thread *t = &m->threads[i];

		if (last_shown_child(m, t->root) == US_NO_NODE)
			continue;
		p.thread_total_ns = 0;
		us_node_for_each_child(m, t->root, top)
			p.thread_total_ns += m->nodes[top].total_ns;
		fprintf(out, "\nThread %u (%s)\n", t->tid, us_thread_display_name(rec, t));
		fprintf(out, "%-*s %9s %12s %12s %7s", p.name_width, "Function", "Calls", "Total",
			"Self", "% Total");
		if (m->memory.recorded)
			fprintf(out, " %9s %11s", "Allocs", "Bytes");
		fputc('\n', out);
		print_subtree(&p, t->root, 0);
		printed_any = true;
	}
	if (!printed_any)
		fputs("\nno traced function was called\n", out);
}
