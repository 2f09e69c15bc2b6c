// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile_paths.h"
#include "util.h"

static uint32_t label_of_text(struct us_profile_paths *p, char *text, uint32_t kind,
			      const struct us_profile_frame *frame)
{
	uint64_t key = us_hash_str(text) ^ us_hash_u64(kind);
	uint32_t id = us_map_get(&p->label_index, key);

	if (id != US_MAP_NONE) {
		free(text);
		return id;
	}
	us_grow(&p->labels, &p->labels_cap, p->n_labels + 1, sizeof(*p->labels));
	id = (uint32_t)p->n_labels++;
	p->labels[id] = (struct us_path_label){ .text = text, .kind = kind, .frame = frame };
	us_map_put(&p->label_index, key, id);
	return id;
}

/* "handler (app.py)", "qsort (libc.so.6)", and for an address no symbol
 * covers, its object and offset in it: "libfoo.so+0x1a2b". */
static char *frame_text(const struct us_profile_frame *f)
{
	if (!f)
		return us_strdup("[unknown frame]");
	if (!*f->function && !*f->file)
		return us_asprintf("[unknown] 0x%llx", (unsigned long long)f->address);
	if (!*f->function)
		return us_asprintf("%s+0x%llx", us_base_name(f->file), (unsigned long long)f->address);
	if (!*f->file)
		return us_strdup(f->function);
	return us_asprintf("%s (%s)", f->function, us_base_name(f->file));
}

uint32_t us_profile_paths_frame_label(struct us_profile_paths *p, const struct us_profile *profile,
				      uint32_t frame_id)
{
	const struct us_profile_frame *f = us_profile_frame_of(profile, frame_id);
	size_t n = profile->n_frames;

	if (!p->frame_labels) {
		p->frame_labels = us_calloc(n ? n : 1, sizeof(*p->frame_labels));
		for (size_t i = 0; i < n; i++)
			p->frame_labels[i] = US_MAP_NONE;
	}
	if (frame_id >= n || !f)
		return label_of_text(p, us_strdup("[unknown frame]"), US_FRAME_MARK, NULL);
	if (p->frame_labels[frame_id] == US_MAP_NONE)
		p->frame_labels[frame_id] = label_of_text(p, frame_text(f), f->kind, f);
	return p->frame_labels[frame_id];
}

static uint32_t child_of(struct us_profile_paths *p, uint32_t parent, uint32_t label)
{
	uint64_t key = us_hash_u64(((uint64_t)parent << 32) | label);
	uint32_t id = us_map_get(&p->node_index, key);
	struct us_path_node *n;

	if (id != US_MAP_NONE)
		return id;
	us_grow(&p->nodes, &p->nodes_cap, p->n_nodes + 1, sizeof(*p->nodes));
	id = (uint32_t)p->n_nodes++;
	n = &p->nodes[id];
	*n = (struct us_path_node){ .label = label, .parent = parent,
				    .first_child = US_MAP_NONE, .next_sibling = US_MAP_NONE,
				    .depth = p->nodes[parent].depth + 1 };
	n->next_sibling = p->nodes[parent].first_child;
	p->nodes[parent].first_child = id;
	us_map_put(&p->node_index, key, id);
	return id;
}

static void add_to(struct us_path_node *n, const struct us_profile_samples *s)
{
	n->count += s->count;
	n->weight_ns += s->weight_ns;
}

/* How many processes, and threads of each: which marks the paths start with. */
struct population {
	struct us_map processes;	/* pid -> threads seen */
	struct us_map threads;		/* pid << 32 | tid -> 1 */
	uint32_t *thread_counts;
	size_t n;
};

static void count_population(struct population *pop, const struct us_profile *profile,
			     unsigned kinds)
{
	pop->thread_counts = us_calloc(profile->n_samples + 1, sizeof(*pop->thread_counts));
	for (size_t i = 0; i < profile->n_samples; i++) {
		const struct us_profile_samples *s = &profile->samples[i];
		uint32_t proc;

		if (!(kinds & (1u << s->kind)))
			continue;
		proc = us_map_get(&pop->processes, s->pid);
		if (proc == US_MAP_NONE) {
			proc = (uint32_t)pop->n++;
			us_map_put(&pop->processes, s->pid, proc);
		}
		if (us_map_get(&pop->threads, (uint64_t)s->pid << 32 | s->tid) == US_MAP_NONE) {
			us_map_put(&pop->threads, (uint64_t)s->pid << 32 | s->tid, 1);
			pop->thread_counts[proc]++;
		}
	}
}

static void add_samples(struct us_profile_paths *p, const struct us_profile *profile,
			const struct population *pop, const struct us_profile_samples *s)
{
	const struct us_profile_stack *stack = us_profile_stack_of(profile, s->stack_id);
	uint32_t node = US_PATH_ROOT, proc = us_map_get(&pop->processes, s->pid);

	add_to(&p->nodes[node], s);
	if (pop->n > 1) {
		node = child_of(p, node, label_of_text(p, us_asprintf("%s [%u]", s->process_comm,
								      s->pid), US_LABEL_GROUP, NULL));
		add_to(&p->nodes[node], s);
	}
	if (pop->thread_counts[proc] > 1) {
		node = child_of(p, node, label_of_text(p, us_asprintf("thread %s [%u]",
								      s->thread_comm, s->tid),
						       US_LABEL_GROUP, NULL));
		add_to(&p->nodes[node], s);
	}
	if (!stack || (stack->flags & US_STACK_INCOMPLETE)) {
		node = child_of(p, node, label_of_text(p, us_strdup(stack ? "[unwinding stopped]"
									  : "[unknown stack]"),
						       US_LABEL_GROUP, NULL));
		add_to(&p->nodes[node], s);
	}
	for (int i = stack ? (int)stack->depth - 1 : -1; i >= 0; i--) {
		node = child_of(p, node, us_profile_paths_frame_label(p, profile, stack->frames[i]));
		add_to(&p->nodes[node], s);
	}
	p->nodes[node].self_count += s->count;
	p->nodes[node].self_weight_ns += s->weight_ns;
}

unsigned us_profile_kinds(const struct us_profile *profile)
{
	unsigned kinds = profile->has_totals ? profile->totals.kinds : 0;

	for (unsigned k = 0; k < 2; k++)
		if (profile->count[k])
			kinds |= 1u << k;
	return kinds ? kinds : 1u << US_SAMPLE_ON_CPU;
}

void us_profile_paths_build(struct us_profile_paths *p, const struct us_profile *profile,
			    unsigned kinds)
{
	struct population pop = { 0 };

	memset(p, 0, sizeof(*p));
	p->weight_is_time = kinds & (1u << US_SAMPLE_OFF_CPU);
	us_grow(&p->nodes, &p->nodes_cap, 1, sizeof(*p->nodes));
	p->nodes[0] = (struct us_path_node){ .first_child = US_MAP_NONE,
					     .next_sibling = US_MAP_NONE };
	p->n_nodes = 1;
	label_of_text(p, us_strdup("all"), US_LABEL_GROUP, NULL);
	count_population(&pop, profile, kinds);
	for (size_t i = 0; i < profile->n_samples; i++)
		if (kinds & (1u << profile->samples[i].kind))
			add_samples(p, profile, &pop, &profile->samples[i]);
	p->n_processes = pop.n;
	p->n_threads = pop.threads.count;
	us_map_free(&pop.processes);
	us_map_free(&pop.threads);
	free(pop.thread_counts);
}

void us_profile_paths_free(struct us_profile_paths *p)
{
	for (size_t i = 0; i < p->n_labels; i++)
		free(p->labels[i].text);
	free(p->labels);
	free(p->nodes);
	free(p->frame_labels);
	us_map_free(&p->node_index);
	us_map_free(&p->label_index);
	memset(p, 0, sizeof(*p));
}

uint64_t us_path_measure(const struct us_profile_paths *p, const struct us_path_node *n)
{
	return p->weight_is_time ? n->weight_ns : n->count;
}

uint64_t us_path_self_measure(const struct us_profile_paths *p, const struct us_path_node *n)
{
	return p->weight_is_time ? n->self_weight_ns : n->self_count;
}

static int by_measure_desc(const void *a, const void *b, void *ctx)
{
	const struct us_profile_paths *p = ctx;
	uint64_t ma = us_path_measure(p, &p->nodes[*(const uint32_t *)a]);
	uint64_t mb = us_path_measure(p, &p->nodes[*(const uint32_t *)b]);

	if (ma != mb)
		return ma > mb ? -1 : 1;
	return strcmp(p->labels[p->nodes[*(const uint32_t *)a].label].text,
		      p->labels[p->nodes[*(const uint32_t *)b].label].text);
}

uint32_t *us_profile_paths_children(const struct us_profile_paths *p, uint32_t node, size_t *n)
{
	uint32_t *ids = NULL;
	size_t cap = 0;

	*n = 0;
	for (uint32_t c = p->nodes[node].first_child; c != US_MAP_NONE; c = p->nodes[c].next_sibling) {
		us_grow(&ids, &cap, *n + 1, sizeof(*ids));
		ids[(*n)++] = c;
	}
	if (*n > 1)
		us_sort_with(ids, *n, sizeof(*ids), by_measure_desc, (void *)p);
	return ids;
}
