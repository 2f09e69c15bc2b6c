/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* lib: --aggregate's counters (events.h, struct us_call_stats), which BPF
 * keeps per CPU: one function's, all CPUs together. */
#ifndef USCOPE_CALL_STATS_H
#define USCOPE_CALL_STATS_H

#include <stddef.h>
#include "events.h"

/* Adds `n` per-CPU counters into *out (zeroed first): sums, and the
 * smallest and largest of the CPUs' minimums and maximums. */
void us_call_stats_merge(const struct us_call_stats *per_cpu, size_t n, struct us_call_stats *out);
/* Adds b into a. */
void us_call_stats_add(struct us_call_stats *a, const struct us_call_stats *b);

#endif
