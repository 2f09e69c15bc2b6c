/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report: a timeline's calls, decimated to a number of boxes a browser draws
 * at once. Calls shorter than a threshold are merged with their short
 * neighbours (same thread, same depth, same parent) into one box that counts
 * every call it holds, its callees included: no call is lost, however many
 * are merged. A parent lasts at least as long as its callees, so what stays
 * apart is whole subtrees from the top.
 */
#ifndef USCOPE_TIMELINE_BOXES_H
#define USCOPE_TIMELINE_BOXES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A call, or a box of `calls` merged short ones. */
struct us_timeline_box {
	uint64_t start_ns, end_ns;
	uint32_t thread;	/* any number that tells threads apart */
	uint32_t depth;		/* 1: top level */
	uint32_t fn_id;		/* the first call's */
	uint32_t calls;		/* 1: one call, its callees in boxes of their own */
	bool mixed;		/* merged calls of more than one function */
	bool raised;		/* a call in it ended by an exception */
};

struct us_timeline_boxes {
	struct us_timeline_box *boxes;
	size_t n, cap;
	uint64_t threshold_ns;	/* calls shorter than this were merged; 0: none */
};

/* Calls come in any order (as they end: callees first). */
void us_timeline_boxes_add(struct us_timeline_boxes *t, const struct us_timeline_box *box);
/* Merges until at most `max` boxes are left (a threshold doubled until short
 * calls far apart in time are few enough), then sorts them by thread, start
 * and depth: each box after its parent. */
void us_timeline_boxes_fit(struct us_timeline_boxes *t, size_t max);
uint64_t us_timeline_box_ns(const struct us_timeline_box *box);
void us_timeline_boxes_free(struct us_timeline_boxes *t);

#endif
