// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "model_patterns.h"
#include "util.h"

static struct us_child_calls *children_at(struct us_thread *t, size_t depth)
{
	if (depth == SIZE_MAX)
		return &t->top_calls;
	if (depth >= t->children_cap) {
		size_t old = t->children_cap;

		us_grow(&t->children, &t->children_cap, depth + 1, sizeof(*t->children));
		memset(&t->children[old], 0, (t->children_cap - old) * sizeof(*t->children));
	}
	return &t->children[depth];
}

void us_patterns_frame_pushed(struct us_thread *t, size_t depth)
{
	struct us_child_calls *c = children_at(t, depth);

	c->n = 0;
	c->dropped = 0;
}

/* A call's shape: its function, then each child's shape in order. */
static uint64_t shape_of(uint32_t fn_id, const struct us_child_calls *c)
{
	uint64_t h = us_hash_u64((uint64_t)fn_id + 1);

	for (size_t i = 0; i < c->n; i++)
		h = us_hash_u64(h * 31 + c->calls[i].shape);
	return c->dropped ? us_hash_u64(h ^ c->dropped) : h;
}

static bool same_block(const struct us_child_call *a, const struct us_child_call *b, size_t period)
{
	for (size_t i = 0; i < period; i++)
		if (a[i].shape != b[i].shape)
			return false;
	return true;
}

/* How many times the block of `period` calls at `at` runs in a row. */
static size_t repeats_at(const struct us_child_call *calls, size_t n, size_t at, size_t period)
{
	size_t k = 1;

	while (at + (k + 1) * period <= n && same_block(&calls[at], &calls[at + k * period], period))
		k++;
	return k;
}

/* The block starting at `at` that covers the most calls by repeating
 * (the shortest on a tie); false when none repeats. */
static bool best_block(const struct us_child_call *calls, size_t n, size_t at, size_t max_period,
		       size_t *period, size_t *repeats)
{
	size_t best = 0;

	for (size_t p = 1; p <= max_period && at + 2 * p <= n; p++) {
		size_t k;

		if (calls[at].shape != calls[at + p].shape)
			continue;
		k = repeats_at(calls, n, at, p);
		if (k >= 2 && k * p > best) {
			best = k * p;
			*period = p;
			*repeats = k;
		}
	}
	return best > 0;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t iteration_ns(const struct us_child_call *first, size_t period)
{
	uint64_t end = first[period - 1].end_ns;

	return end > first[0].start_ns ? end - first[0].start_ns : 0;
}

/* Iteration times into the pattern; outliers only for a new one. */
static void add_iterations(struct us_call_pattern *p, const struct us_child_call *calls, size_t period,
			   size_t repeats, bool first)
{
	uint64_t *times = us_calloc(repeats, sizeof(*times)), median;

	for (size_t j = 0; j < repeats; j++) {
		times[j] = iteration_ns(&calls[j * period], period);
		p->iteration_total_ns += times[j];
		if (!p->iterations || times[j] < p->iteration_min_ns)
			p->iteration_min_ns = times[j];
		if (times[j] > p->iteration_max_ns)
			p->iteration_max_ns = times[j];
		p->iterations++;
	}
	if (first) {
		uint64_t *sorted = us_calloc(repeats, sizeof(*sorted));

		memcpy(sorted, times, repeats * sizeof(*times));
		qsort(sorted, repeats, sizeof(*sorted), compare_u64);
		median = sorted[repeats / 2];
		free(sorted);
		p->outliers = us_calloc(US_PATTERN_MAX_OUTLIERS, sizeof(*p->outliers));
		for (size_t j = 0; j < repeats; j++) {
			if (times[j] <= US_PATTERN_OUTLIER_FACTOR * median)
				continue;
			if (p->n_outliers < US_PATTERN_MAX_OUTLIERS)
				p->outliers[p->n_outliers++] = (uint32_t)j;
			p->outliers_total++;
		}
	}
	free(times);
}

static uint32_t new_pattern(struct us_model *m, const struct us_thread *t, uint32_t parent_fn,
			    const struct us_child_call *calls, size_t period, size_t repeats)
{
	struct us_call_pattern *p;

	us_grow(&m->patterns, &m->patterns_cap, m->n_patterns + 1, sizeof(*m->patterns));
	p = &m->patterns[m->n_patterns];
	memset(p, 0, sizeof(*p));
	p->parent_fn = parent_fn;
	p->tid = t->tid;
	p->phase = (int)t->phase;
	p->enclosing = US_NO_PATTERN;
	p->period = (uint32_t)period;
	p->repeats = (uint32_t)repeats;
	p->block = us_calloc(period, sizeof(*p->block));
	for (size_t i = 0; i < period; i++)
		p->block[i] = calls[i].fn_id;
	p->first_call = calls[0].serial;
	p->last_call = calls[period * repeats - 1].serial;
	p->occurrences = 1;
	return (uint32_t)m->n_patterns++;
}

/* Repeats inside one iteration of the block at `calls` (period calls),
 * the nested patterns of `enclosing`. */
static void find_nested(struct us_model *m, const struct us_thread *t, uint32_t enclosing,
			const struct us_child_call *calls, size_t n)
{
	size_t at = 0, period = 0, repeats = 0;

	while (at < n) {
		uint32_t id;

		if (!best_block(calls, n, at, n / 2, &period, &repeats)) {
			at++;
			continue;
		}
		id = new_pattern(m, t, m->patterns[enclosing].parent_fn, &calls[at], period, repeats);
		m->patterns[id].enclosing = enclosing;
		m->patterns[id].offset = (uint32_t)at;
		m->patterns[id].occurrences = 0;
		add_iterations(&m->patterns[id], &calls[at], period, repeats, true);
		if (period > 1)
			find_nested(m, t, id, &calls[at], period);
		at += period * repeats;
	}
}

/* The key of a top-level pattern: the parent function and the block's shapes. */
static uint64_t pattern_key(uint32_t parent_fn, const struct us_child_call *calls, size_t period)
{
	uint64_t h = us_hash_u64(((uint64_t)parent_fn << 8) ^ period);

	for (size_t i = 0; i < period; i++)
		h = us_hash_u64(h * 31 + calls[i].shape);
	return h;
}

static void found(struct us_model *m, const struct us_thread *t, uint32_t parent_fn,
		  const struct us_child_call *calls, size_t period, size_t repeats)
{
	uint64_t key = pattern_key(parent_fn, calls, period);
	uint32_t id = us_map_get(&m->pattern_index, key);

	if (id != US_MAP_NONE) {
		m->patterns[id].occurrences++;
		add_iterations(&m->patterns[id], calls, period, repeats, false);
		return;
	}
	id = new_pattern(m, t, parent_fn, calls, period, repeats);
	us_map_put(&m->pattern_index, key, id);
	add_iterations(&m->patterns[id], calls, period, repeats, true);
	if (period > 1)
		find_nested(m, t, id, calls, period);
}

/* Every repeated block among one call's children, left to right. */
static void search(struct us_model *m, const struct us_thread *t, uint32_t parent_fn,
		   const struct us_child_calls *c)
{
	size_t at = 0, period = 0, repeats = 0;

	while (at + 1 < c->n) {
		if (!best_block(c->calls, c->n, at, US_PATTERN_MAX_PERIOD, &period, &repeats)) {
			at++;
			continue;
		}
		found(m, t, parent_fn, &c->calls[at], period, repeats);
		at += period * repeats;
	}
}

static void append_child(struct us_child_calls *c, const struct us_child_call *call)
{
	if (c->n >= US_PATTERN_MAX_CHILDREN) {
		c->dropped++;
		return;
	}
	us_grow(&c->calls, &c->cap, c->n + 1, sizeof(*c->calls));
	c->calls[c->n++] = *call;
}

void us_patterns_call_ended(struct us_model *m, struct us_thread *t, const struct us_frame *f,
			    size_t depth, size_t parent_depth, uint64_t end_ns)
{
	struct us_child_calls *mine = children_at(t, depth);
	struct us_child_call call = {
		.shape = shape_of(f->fn_id, mine), .start_ns = f->start_ns, .end_ns = end_ns,
		.serial = f->serial, .fn_id = f->fn_id,
	};

	search(m, t, f->fn_id, mine);
	mine->n = 0;
	mine->dropped = 0;
	append_child(children_at(t, parent_depth), &call);
}

void us_patterns_finish(struct us_model *m)
{
	for (size_t i = 0; i < m->n_threads; i++) {
		search(m, &m->threads[i], US_ROOT_FN, &m->threads[i].top_calls);
		m->threads[i].top_calls.n = 0;
	}
}

void us_patterns_free(struct us_model *m)
{
	for (size_t i = 0; i < m->n_patterns; i++) {
		free(m->patterns[i].block);
		free(m->patterns[i].outliers);
	}
	free(m->patterns);
	us_map_free(&m->pattern_index);
	for (size_t i = 0; i < m->n_threads; i++) {
		struct us_thread *t = &m->threads[i];

		for (size_t d = 0; d < t->children_cap; d++)
			free(t->children[d].calls);
		free(t->children);
		free(t->top_calls.calls);
	}
}
