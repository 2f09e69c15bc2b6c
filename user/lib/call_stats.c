// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "call_stats.h"

void us_call_stats_add(struct us_call_stats *a, const struct us_call_stats *b)
{
	if (b->timed && (!a->timed || b->min_ns < a->min_ns))
		a->min_ns = b->min_ns;
	if (b->max_ns > a->max_ns)
		a->max_ns = b->max_ns;
	a->calls += b->calls;
	a->timed += b->timed;
	a->total_ns += b->total_ns;
	a->self_ns += b->self_ns;
	for (size_t i = 0; i < US_LATENCY_BUCKETS; i++)
		a->latency[i] += b->latency[i];
}

void us_call_stats_merge(const struct us_call_stats *per_cpu, size_t n, struct us_call_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		us_call_stats_add(out, &per_cpu[i]);
}
