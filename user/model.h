/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: events -> calls -> aggregates. Each thread has a shadow stack of the
 * calls it is in. Returns the kernel never reports (more than 64 pending
 * uretprobes on a thread, longjmp, a thread exiting mid-call) are reconciled
 * from the stack pointer of later events, so call counts stay exact; such
 * calls end at the first event that proves they returned and are counted as
 * inferred exits.
 */
#ifndef USCOPE_MODEL_H
#define USCOPE_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include "events.h"
#include "filters.h"
#include "hashmap.h"
#include "plan.h"

/* The kernel keeps at most this many pending uretprobes per thread. */
#define US_MAX_PENDING_RETURNS 64
#define US_NO_NODE UINT32_MAX
#define US_ROOT_SITE UINT32_MAX

/* A node of a thread's aggregated call-path tree. */
struct us_node {
	uint32_t site_id;	/* US_ROOT_SITE for a thread's root */
	uint32_t parent, first_child, last_child, next_sibling;
	uint64_t count;
	uint64_t total_ns, self_ns, min_ns, max_ns;
	uint64_t inferred_exits;	/* calls whose return was not reported */
};

/* One call, kept when the report needs each call (timeline, chrome). */
struct us_call {
	uint32_t tid, site_id, depth;
	bool inferred;
	uint64_t start_ns, end_ns;
};

/* Per function (probe site), all threads. */
struct us_func_stats {
	uint64_t count;
	uint64_t total_ns;	/* outermost activations only: recursion not counted twice */
	uint64_t sum_ns;	/* every activation's duration, for the average */
	uint64_t self_ns, min_ns, max_ns;
	uint64_t inferred_exits;
};

struct us_frame {
	uint32_t site_id;
	uint32_t node;		/* US_NO_NODE: hidden by a filter */
	uint32_t depth;		/* visible depth (1 = top level) */
	bool exit_expected;	/* the kernel armed a uretprobe for it */
	uint64_t sp, start_ns, child_ns;
};

struct us_thread {
	uint32_t tid;
	uint32_t root;
	struct us_frame *stack;
	size_t depth, cap;
	uint32_t pending_returns;
	uint64_t first_ns, last_ns;
	bool exited;
};

struct us_model {
	const struct us_site *sites;
	size_t n_sites;
	bool *site_hidden;		/* excluded by a filter */
	struct us_filters filters;
	bool keep_calls;

	struct us_node *nodes;
	size_t n_nodes, nodes_cap;
	struct us_map node_index;	/* (parent << 32 | site) -> node */

	struct us_thread *threads;	/* in order of first event */
	size_t n_threads, threads_cap;
	struct us_map thread_index;	/* tid -> thread */

	struct us_call *calls;		/* keep_calls: by thread, then start time */
	size_t n_calls, calls_cap;

	struct us_func_stats *funcs;	/* by site id */

	uint64_t first_ns, last_ns;
	uint64_t total_calls;		/* every entry seen, filtered or not */
	uint64_t inferred_exits;	/* returns never reported, reconciled */
	uint64_t unfinished_calls;	/* still running when tracing stopped */
	uint64_t unmatched_exits;	/* returns of calls entered before tracing */
};

void us_model_init(struct us_model *m, const struct us_plan *plan,
		   const struct us_filters *filters, bool keep_calls);
void us_model_add_event(struct us_model *m, const struct us_event_header *ev);
/* Closes calls still open at `end_ns` and orders the kept calls. */
void us_model_finish(struct us_model *m, uint64_t end_ns);
void us_model_free(struct us_model *m);

/* Children of a node, in order of first call. */
#define us_node_for_each_child(m, parent_idx, child_idx)                            \
	for (uint32_t child_idx = (m)->nodes[parent_idx].first_child; child_idx != US_NO_NODE; \
	     child_idx = (m)->nodes[child_idx].next_sibling)

#endif
