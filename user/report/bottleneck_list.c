// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include "bottleneck_list.h"
#include "json_writer.h"
#include "util.h"

#define SHOWN 10

void us_bottleneck_add(struct us_bottleneck_list *l, const char *rule, char *operation,
		       const char *reason, char *evidence, const char *suggestion, uint64_t cost_ns)
{
	us_grow(&l->items, &l->cap, l->n + 1, sizeof(*l->items));
	l->items[l->n++] = (struct us_bottleneck){
		.operation = operation, .evidence = evidence, .rule = rule, .reason = reason,
		.suggestion = suggestion, .cost_ns = cost_ns,
	};
}

static int by_cost(const void *a, const void *b)
{
	const struct us_bottleneck *x = a, *y = b;

	return x->cost_ns > y->cost_ns ? -1 : x->cost_ns < y->cost_ns;
}

void us_bottleneck_sort(struct us_bottleneck_list *l)
{
	us_sort(l->items, l->n, sizeof(*l->items), by_cost);
}

void us_bottleneck_print(FILE *out, const struct us_bottleneck_list *l)
{
	if (!l->n)
		fputs("No bottleneck rule fired (docs/reports.md lists them).\n", out);
	for (size_t i = 0; i < l->n && i < SHOWN; i++) {
		const struct us_bottleneck *b = &l->items[i];

		fprintf(out, "%zu. %s  [%s]\n   why: %s\n   evidence: %s\n   suggestion: %s\n\n",
			i + 1, b->operation, b->rule, b->reason, b->evidence, b->suggestion);
	}
}

void us_bottleneck_json(struct us_json *j, const struct us_bottleneck_list *l, bool seed_keys)
{
	us_json_key(j, "bottlenecks");
	us_json_array_begin(j);
	for (size_t i = 0; i < l->n && i < SHOWN; i++) {
		const struct us_bottleneck *b = &l->items[i];

		us_json_object_begin(j);
		us_json_kv_string(j, "operation", b->operation);
		us_json_kv_string(j, "rule", b->rule);
		us_json_kv_string(j, "reason", b->reason);
		us_json_kv_string(j, "evidence", b->evidence);
		us_json_kv_string(j, "suggestion", b->suggestion);
		if (seed_keys)
			us_json_kv_string(j, "optimization_suggestion", b->suggestion);
		us_json_kv_double(j, "time_ms", (double)b->cost_ns / 1e6);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

void us_bottleneck_list_free(struct us_bottleneck_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].operation);
		free(l->items[i].evidence);
	}
	free(l->items);
}
