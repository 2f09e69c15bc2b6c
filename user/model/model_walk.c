// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "model_walk.h"
#include "util.h"

static const char *const sort_names[] = {
	[US_SORT_TOTAL] = "total", [US_SORT_SELF] = "self", [US_SORT_CALLS] = "calls",
	[US_SORT_NAME] = "name", [US_SORT_FIRST] = "first",
};

bool us_sort_parse(const char *name, enum us_sort *out)
{
	for (size_t i = 0; i < US_ARRAY_SIZE(sort_names); i++) {
		if (strcmp(name, sort_names[i]) == 0) {
			*out = (enum us_sort)i;
			return true;
		}
	}
	return false;
}

/* What a sort of children compares by. */
struct sort_context {
	const struct us_model *m;
	enum us_sort by;
};

static int compare_u64_desc(uint64_t a, uint64_t b)
{
	return (a < b) - (a > b);
}

static int by_sort_key(const void *pa, const void *pb, void *ctx)
{
	const struct sort_context *sc = ctx;
	const struct us_model *m = sc->m;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	const struct us_node *x = &m->nodes[a], *y = &m->nodes[b];
	int c = 0;

	switch (sc->by) {
	case US_SORT_TOTAL:
		c = compare_u64_desc(x->total_ns, y->total_ns);
		break;
	case US_SORT_SELF:
		c = compare_u64_desc(x->self_ns, y->self_ns);
		break;
	case US_SORT_CALLS:
		c = compare_u64_desc(x->count + x->resumes, y->count + y->resumes);
		break;
	case US_SORT_NAME:
		if (x->fn_id < m->n_functions && y->fn_id < m->n_functions)
			c = strcmp(m->functions[x->fn_id].name, m->functions[y->fn_id].name);
		break;
	case US_SORT_FIRST:
		break;
	}
	return c ? c : (a > b) - (a < b);	/* ties: first call first */
}

uint32_t *us_node_children(const struct us_model *m, uint32_t node, enum us_sort sort, bool all,
			   size_t *n)
{
	uint32_t *children = NULL;
	size_t cap = 0;

	*n = 0;
	us_node_for_each_child(m, node, child) {
		if (!all && !us_node_shown(m, child))
			continue;
		us_grow(&children, &cap, *n + 1, sizeof(*children));
		children[(*n)++] = child;
	}
	if (!all && sort != US_SORT_FIRST && *n > 1) {
		struct sort_context sc = { m, sort };

		us_sort_with(children, *n, sizeof(*children), by_sort_key, &sc);
	}
	return children;
}

static void push_level(struct us_walk *w, uint32_t node)
{
	struct us_walk_level *l;

	us_grow(&w->levels, &w->cap, w->depth + 1, sizeof(*w->levels));
	l = &w->levels[w->depth++];
	l->children = us_node_children(w->m, node, w->sort, w->all, &l->n);
	l->next = 0;
}

void us_walk_init(struct us_walk *w, const struct us_model *m, uint32_t root, enum us_sort sort,
		  bool all)
{
	memset(w, 0, sizeof(*w));
	w->m = m;
	w->sort = all ? US_SORT_FIRST : sort;
	w->all = all;
	push_level(w, root);
}

bool us_walk_next(struct us_walk *w, uint32_t *node, size_t *depth, bool *is_last)
{
	struct us_walk_level *l;

	if (w->descend) {
		w->descend = false;
		push_level(w, w->last);
	}
	while (w->depth && w->levels[w->depth - 1].next == w->levels[w->depth - 1].n) {
		free(w->levels[--w->depth].children);
		w->levels[w->depth].children = NULL;
	}
	if (!w->depth)
		return false;
	l = &w->levels[w->depth - 1];
	w->last = l->children[l->next++];
	*node = w->last;
	*depth = w->depth;
	if (is_last)
		*is_last = l->next == l->n;
	w->descend = w->m->nodes[w->last].first_child != US_NO_NODE;
	return true;
}

void us_walk_skip_children(struct us_walk *w)
{
	w->descend = false;
}

void us_walk_free(struct us_walk *w)
{
	for (size_t i = 0; i < w->depth; i++)
		free(w->levels[i].children);
	free(w->levels);
	memset(w, 0, sizeof(*w));
}

void us_subtree_size(const struct us_model *m, uint32_t root, size_t *levels, uint64_t *calls)
{
	struct us_walk w;
	size_t depth, deepest = 0;
	uint32_t node;

	*calls = 0;
	us_walk_init(&w, m, root, US_SORT_FIRST, false);
	while (us_walk_next(&w, &node, &depth, NULL)) {
		deepest = depth > deepest ? depth : deepest;
		*calls += m->nodes[node].count;
	}
	us_walk_free(&w);
	if (levels)
		*levels = deepest;
}

uint32_t us_open_functions_enter(struct us_open_functions *o, size_t depth, uint64_t key)
{
	uint32_t n;

	while (o->depth >= depth) {
		uint64_t gone = o->keys[--o->depth];

		us_map_put(&o->count, gone, us_map_get(&o->count, gone) - 1);
	}
	n = us_map_get(&o->count, key);
	n = (n == US_MAP_NONE ? 0 : n) + 1;
	us_grow(&o->keys, &o->cap, o->depth + 1, sizeof(*o->keys));
	o->keys[o->depth++] = key;
	us_map_put(&o->count, key, n);
	return n;
}

void us_open_functions_reset(struct us_open_functions *o)
{
	o->depth = 0;
	us_map_free(&o->count);
	memset(&o->count, 0, sizeof(o->count));
}

void us_open_functions_free(struct us_open_functions *o)
{
	free(o->keys);
	us_map_free(&o->count);
	memset(o, 0, sizeof(*o));
}
