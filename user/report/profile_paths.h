/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report: a profile's samples as one tree of call paths, root first, what
 * every profile report is made from. Frames are named per function
 * ("handler (app.py)", "qsort (libc.so.6)", "libfoo.so+0x1a2b" with no
 * symbol); the lines and addresses of one function are one node. Above the
 * program's own frames: its process when the profile holds several, its
 * thread when the process had several.
 */
#ifndef USCOPE_PROFILE_PATHS_H
#define USCOPE_PROFILE_PATHS_H

#include <stdbool.h>
#include <stdint.h>
#include "hashmap.h"
#include "model.h"

#define US_PATH_ROOT 0

struct us_path_node {
	uint32_t label;			/* index in labels */
	uint32_t parent, first_child, next_sibling;
	uint64_t count, weight_ns;	/* samples in this path and below */
	uint64_t self_count, self_weight_ns;	/* samples that ended here */
	uint32_t depth;
};

/* A label that groups samples rather than naming code: a process, a
 * thread, "[unwinding stopped]" (us_path_label.kind). */
#define US_LABEL_GROUP 100

struct us_path_label {
	char *text;
	uint32_t kind;			/* enum us_frame_kind, or US_LABEL_GROUP */
	const struct us_profile_frame *frame;	/* a frame it names; NULL for marks */
};

struct us_profile_paths {
	struct us_path_node *nodes;	/* nodes[0]: the root, every sample */
	size_t n_nodes, nodes_cap;
	struct us_map node_index;	/* (parent, label) -> node */
	struct us_path_label *labels;
	size_t n_labels, labels_cap;
	struct us_map label_index;	/* hash of the text -> label */
	uint32_t *frame_labels;		/* frame id -> label */
	size_t n_processes, n_threads;
	bool weight_is_time;		/* off-CPU or wall: weight, not counts, is the measure */
};

/* The paths of the samples of the kinds in `kinds` (bit 1 << us_sample_kind). */
void us_profile_paths_build(struct us_profile_paths *p, const struct us_profile *profile,
			    unsigned kinds);
void us_profile_paths_free(struct us_profile_paths *p);
/* The label of a frame (its function), made the first time it is asked. */
uint32_t us_profile_paths_frame_label(struct us_profile_paths *p, const struct us_profile *profile,
				      uint32_t frame_id);
/* The children of a node, most samples first (a new array of *n ids). */
uint32_t *us_profile_paths_children(const struct us_profile_paths *p, uint32_t node, size_t *n);
/* What the node measures: its weight in ns for time profiles, else samples. */
uint64_t us_path_measure(const struct us_profile_paths *p, const struct us_path_node *n);
uint64_t us_path_self_measure(const struct us_profile_paths *p, const struct us_path_node *n);
/* The kinds the profile sampled (bits of 1 << us_sample_kind). */
unsigned us_profile_kinds(const struct us_profile *profile);

#endif
