/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: walking a call tree depth first without recursion (a recursion
 * 150,000 calls deep is a tree that deep), each node's children in the
 * chosen order. Memory: the children of the nodes on the current path.
 */
#ifndef USCOPE_MODEL_WALK_H
#define USCOPE_MODEL_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model_core.h"

/* The order of a node's children. */
enum us_sort {
	US_SORT_TOTAL,		/* total time, longest first (the default) */
	US_SORT_SELF,		/* self time */
	US_SORT_CALLS,		/* number of calls */
	US_SORT_NAME,		/* function name */
	US_SORT_FIRST,		/* first call first: the order things ran */
};

bool us_sort_parse(const char *name, enum us_sort *out);

struct us_walk_level {
	uint32_t *children;
	size_t n, next;
};

struct us_walk {
	const struct us_model *m;
	enum us_sort sort;
	bool all;		/* also nodes that did not run or a filter hides */
	struct us_walk_level *levels;
	size_t depth, cap;
	bool descend;		/* into the children of the node last returned */
	uint32_t last;
};

/* Walks the nodes below `root` (not root itself). `all`: every node, in
 * first-call order, for sums; otherwise the shown ones, sorted by `sort`. */
void us_walk_init(struct us_walk *w, const struct us_model *m, uint32_t root, enum us_sort sort,
		  bool all);
/* The next node, depth first: 1 for root's children. `is_last`: the last
 * (shown) child of its parent. False at the end. */
bool us_walk_next(struct us_walk *w, uint32_t *node, size_t *depth, bool *is_last);
/* Do not go below the node last returned. */
void us_walk_skip_children(struct us_walk *w);
void us_walk_free(struct us_walk *w);

/* The shown children of `node`, sorted: a new array of *n (free it). */
uint32_t *us_node_children(const struct us_model *m, uint32_t node, enum us_sort sort, bool all,
			   size_t *n);

/* The functions open on a depth-first walk's current path (the depths
 * us_walk_next gives), to count a recursive function once, or to tell how
 * deep it is in itself. Zeroed to start; any uint64_t names a function. */
struct us_open_functions {
	uint64_t *keys;		/* the path: keys[d - 1] at depth d */
	size_t depth, cap;
	struct us_map count;	/* key -> times on the path */
};

/* Moves to a node at `depth` (1: top level) of function `key`: how many
 * times the function is on the path now, this node included (1: its
 * outermost call). */
uint32_t us_open_functions_enter(struct us_open_functions *o, size_t depth, uint64_t key);
/* Empties the path, for a walk of another tree. */
void us_open_functions_reset(struct us_open_functions *o);
void us_open_functions_free(struct us_open_functions *o);

/* How deep the shown tree below `root` goes (levels may be NULL) and how
 * many calls it holds. */
void us_subtree_size(const struct us_model *m, uint32_t root, size_t *levels, uint64_t *calls);

#endif
