// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* One row per function, all threads, sorted by self time. */
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "util.h"

static const struct us_model *sort_model;

static int by_self_desc(const void *a, const void *b)
{
	const struct us_func_stats *x = &sort_model->funcs[*(const uint32_t *)a];
	const struct us_func_stats *y = &sort_model->funcs[*(const uint32_t *)b];

	if (x->self_ns != y->self_ns)
		return (x->self_ns < y->self_ns) - (x->self_ns > y->self_ns);
	return (x->count < y->count) - (x->count > y->count);
}

void us_report_flat(FILE *out, const struct us_recording *rec, const struct us_model *m)
{
	uint32_t *order = us_calloc(m->n_functions + 1, sizeof(*order));
	size_t n = 0;
	uint64_t all_self = 0;
	int width = 8;

	for (uint32_t i = 0; i < m->n_functions; i++) {
		if (!m->funcs[i].count && !m->funcs[i].resumes)
			continue;
		order[n++] = i;
		all_self += m->funcs[i].self_ns;
		if ((int)strlen(m->functions[i].name) > width)
			width = (int)strlen(m->functions[i].name);
	}
	if (width > 60)
		width = 60;
	sort_model = m;
	qsort(order, n, sizeof(*order), by_self_desc);
	us_report_summary(out, rec, m);
	fprintf(out, "\n%-*s %9s %12s %12s %12s %12s %12s %7s", width, "Function", "Calls", "Total",
		"Self", "Avg", "Min", "Max", "% Self");
	if (m->memory.recorded)
		fprintf(out, " %9s %11s", "Allocs", "Bytes");
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		const struct us_func_stats *f = &m->funcs[order[i]];
		char total[32], self[32], avg[32], min[32], max[32];

		us_format_duration(total, sizeof(total), f->total_ns);
		us_format_duration(self, sizeof(self), f->self_ns);
		us_format_duration(avg, sizeof(avg),
				   f->count + f->resumes ? f->sum_ns / (f->count + f->resumes) : 0);
		us_format_duration(min, sizeof(min), f->min_ns);
		us_format_duration(max, sizeof(max), f->max_ns);
		fprintf(out, "%-*s %9llu %12s %12s %12s %12s %12s %7.1f", width,
			m->functions[order[i]].name, (unsigned long long)f->count, total, self, avg, min,
			max, all_self ? 100.0 * (double)f->self_ns / (double)all_self : 0.0);
		if (m->memory.recorded) {
			char bytes[32];

			us_format_bytes(bytes, sizeof(bytes), f->mem.bytes);
			fprintf(out, " %9llu %11s", (unsigned long long)f->mem.allocs, bytes);
		}
		if (f->resumes)
			fprintf(out, "  (+%llu resumes)", (unsigned long long)f->resumes);
		fputc('\n', out);
	}
	if (n == 0)
		fputs("no traced function was called\n", out);
	free(order);
}
