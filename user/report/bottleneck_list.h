/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report: the bottlenecks a rule set found (report_bottlenecks.c for traces,
 * report_profile_bottlenecks.c for profiles), most costly first, as text
 * or json: the few places that cost most, each with its rule, reason,
 * evidence and suggestion (docs/reports.md, "Bottlenecks").
 */
#ifndef USCOPE_BOTTLENECK_LIST_H
#define USCOPE_BOTTLENECK_LIST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct us_json;

struct us_bottleneck {
	char *operation, *evidence;	/* owned */
	const char *rule, *reason, *suggestion;
	uint64_t cost_ns;		/* the time it stands for, for the order */
};

struct us_bottleneck_list {
	struct us_bottleneck *items;
	size_t n, cap;
	const char *whole;		/* what shares are of: "the program", "the call" */
};

/* Takes `operation` and `evidence` (made with us_strdup / us_asprintf). */
void us_bottleneck_add(struct us_bottleneck_list *l, const char *rule, char *operation,
		       const char *reason, char *evidence, const char *suggestion, uint64_t cost_ns);
void us_bottleneck_sort(struct us_bottleneck_list *l);
/* The text report: the first ten, numbered, or a line saying none fired. */
void us_bottleneck_print(FILE *out, const struct us_bottleneck_list *l);
/* "bottlenecks": the first ten; `seed_keys`: each also with seed 000's
 * "optimization_suggestion" (uscope call --profile). */
void us_bottleneck_json(struct us_json *j, const struct us_bottleneck_list *l, bool seed_keys);
void us_bottleneck_list_free(struct us_bottleneck_list *l);

#endif
