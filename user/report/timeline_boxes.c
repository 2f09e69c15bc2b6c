// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* report: a timeline's calls merged to fit (timeline_boxes.h). */
#include <stdlib.h>
#include <string.h>
#include "timeline_boxes.h"
#include "util.h"

/* Short calls further apart than this many thresholds are not merged. */
#define MERGE_GAP 4

static int by_thread_start_depth(const void *a, const void *b)
{
	const struct us_timeline_box *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->depth < y->depth ? -1 : x->depth > y->depth;
}

uint64_t us_timeline_box_ns(const struct us_timeline_box *b)
{
	return b->end_ns > b->start_ns ? b->end_ns - b->start_ns : 0;
}

static int longest_first(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x > y ? -1 : x < y;
}

/* The shortest duration kept so that about `keep` boxes are at least that
 * long: a parent lasts at least as long as its children, so these are whole
 * subtrees from the top. */
static uint64_t threshold_for(const struct us_timeline_boxes *t, size_t keep)
{
	uint64_t *durations, threshold;

	if (t->n <= keep)
		return 0;
	durations = us_calloc(t->n, sizeof(*durations));
	for (size_t i = 0; i < t->n; i++)
		durations[i] = us_timeline_box_ns(&t->boxes[i]);
	us_sort(durations, t->n, sizeof(*durations), longest_first);
	threshold = durations[keep] + 1;
	free(durations);
	return threshold;
}

/* Boxes waiting to be written, one per depth: short calls merged so far. */
struct merging {
	struct us_timeline_box *pending;
	bool *open;
	size_t cap;
	size_t written;
};

static void merging_reserve(struct merging *g, size_t depth)
{
	size_t old = g->cap, cap = g->cap;

	if (depth < g->cap)
		return;
	us_grow(&g->pending, &cap, depth + 64, sizeof(*g->pending));
	us_grow(&g->open, &g->cap, depth + 64, sizeof(*g->open));
	memset(g->open + old, 0, (g->cap - old) * sizeof(*g->open));
}

static void flush_deeper(struct merging *g, struct us_timeline_box *out, size_t depth)
{
	for (size_t d = depth; d < g->cap; d++) {
		if (!g->open[d])
			continue;
		out[g->written++] = g->pending[d];
		g->open[d] = false;
	}
}

/* Merges calls shorter than `threshold` in place: each short call (with all
 * it called) joins the box of the short calls just before it at its depth
 * under the same parent, unless more than MERGE_GAP thresholds of time lie
 * between them. Never writes past what it has read. */
static void decimate(struct us_timeline_boxes *t, uint64_t threshold)
{
	struct merging g = { 0 };
	uint32_t thread = UINT32_MAX;
	size_t i = 0;

	if (threshold <= t->threshold_ns || !t->n)
		return;
	us_sort(t->boxes, t->n, sizeof(*t->boxes), by_thread_start_depth);
	while (i < t->n) {
		struct us_timeline_box b = t->boxes[i++];

		merging_reserve(&g, b.depth + 1);
		/* a new thread, or a shallower call: the deeper boxes' parents ended */
		flush_deeper(&g, t->boxes, b.thread != thread ? 0 : b.depth + 1);
		thread = b.thread;
		if (us_timeline_box_ns(&b) >= threshold) {
			flush_deeper(&g, t->boxes, b.depth);
			t->boxes[g.written++] = b;
			continue;
		}
		/* what it called goes into the same box */
		for (; i < t->n && t->boxes[i].thread == b.thread &&
		       t->boxes[i].depth > b.depth; i++)
			b.calls += t->boxes[i].calls;
		if (g.open[b.depth] && b.start_ns < g.pending[b.depth].end_ns + MERGE_GAP * threshold) {
			struct us_timeline_box *p = &g.pending[b.depth];

			p->calls += b.calls;
			p->mixed |= b.mixed || b.fn_id != p->fn_id;
			p->raised |= b.raised;
			if (b.end_ns > p->end_ns)
				p->end_ns = b.end_ns;
			continue;
		}
		flush_deeper(&g, t->boxes, b.depth);
		g.pending[b.depth] = b;
		g.open[b.depth] = true;
	}
	flush_deeper(&g, t->boxes, 0);
	t->n = g.written;
	t->threshold_ns = threshold;
	free(g.pending);
	free(g.open);
}

void us_timeline_boxes_fit(struct us_timeline_boxes *t, size_t max)
{
	uint64_t threshold = threshold_for(t, max / 2);

	for (; threshold && t->n > max; threshold *= 2)
		decimate(t, threshold);
	us_sort(t->boxes, t->n, sizeof(*t->boxes), by_thread_start_depth);
}

void us_timeline_boxes_add(struct us_timeline_boxes *t, const struct us_timeline_box *box)
{
	us_grow(&t->boxes, &t->cap, t->n + 1, sizeof(*t->boxes));
	t->boxes[t->n++] = *box;
}

void us_timeline_boxes_free(struct us_timeline_boxes *t)
{
	free(t->boxes);
	memset(t, 0, sizeof(*t));
}
