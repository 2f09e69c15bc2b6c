// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * model: memory records -> the heap over time, allocations by call path,
 * the peak, leaks and temporary allocations.
 *
 * An allocation belongs to the innermost traced call of its thread at that
 * instant (events keep their per-thread order with the calls). Each node
 * keeps the bytes of its blocks still live; the bytes each node had live at
 * the heap's peak are kept without copying every node at every new peak: a
 * node saves its live bytes the first time it changes after a peak
 * (mem_saved_epoch), so at the end a node's bytes at the peak are the saved
 * ones if it changed since the last peak, and its live bytes if not.
 */
#include <stdlib.h>
#include <string.h>
#include "model_memory.h"
#include "model_walk.h"
#include "util.h"

/* A heap-track point when the heap moved this much since the last one. */
#define HEAP_POINT_STEP (64u << 10)

static struct us_memory_stats *node_mem(struct us_model *m, uint32_t node)
{
	return &m->nodes[node].mem;
}

/* Before a node's live bytes change: keep what it had at the last peak. */
static void save_for_peak(struct us_model *m, uint32_t node)
{
	struct us_node *n = &m->nodes[node];

	if (n->mem_saved_epoch != m->memory.peak_epoch) {
		n->mem_saved_bytes = n->mem.live_bytes;
		n->mem_saved_epoch = m->memory.peak_epoch;
	}
}

/* The node an allocation of thread t belongs to: its innermost shown call. */
static uint32_t current_node(struct us_thread *t)
{
	for (size_t i = t->depth; i > 0; i--)
		if (t->stack[i - 1].node != US_NO_NODE)
			return t->stack[i - 1].node;
	return t->root;
}

static uint64_t current_serial(const struct us_thread *t)
{
	return t->depth ? t->stack[t->depth - 1].serial : 0;
}

static void tell_counter(struct us_model *m, enum us_counter which, uint64_t ts, uint64_t bytes)
{
	if (m->sink && m->sink->counter)
		m->sink->counter(m->sink->ctx, m, which, ts, bytes);
}

static void track_heap(struct us_model *m, uint64_t ts)
{
	struct us_memory *mem = &m->memory;
	uint64_t last = mem->heap_point_bytes;

	if (mem->heap_bytes >= last + HEAP_POINT_STEP || mem->heap_bytes + HEAP_POINT_STEP <= last) {
		mem->heap_point_bytes = mem->heap_bytes;
		tell_counter(m, US_COUNTER_HEAP, ts, mem->heap_bytes);
	}
}

static uint32_t new_block_slot(struct us_memory *mem)
{
	uint32_t slot = mem->free_slot;

	if (slot != US_NO_NODE) {
		mem->free_slot = mem->blocks[slot].node;
		return slot;
	}
	us_grow(&mem->blocks, &mem->blocks_cap, mem->n_blocks + 1, sizeof(*mem->blocks));
	return (uint32_t)mem->n_blocks++;
}

static void release_block_slot(struct us_memory *mem, uint32_t slot)
{
	us_map_remove(&mem->block_index, mem->blocks[slot].address);
	mem->blocks[slot].address = 0;
	mem->blocks[slot].node = mem->free_slot;
	mem->free_slot = slot;
}

void us_model_on_mem_alloc(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_mem_event *ev = (const struct us_mem_event *)hdr;
	struct us_memory *mem = &m->memory;
	struct us_thread *t = us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	uint32_t node = current_node(t), slot;
	uint64_t weight = ev->weight ? ev->weight : 1, bytes = ev->size * weight;
	struct us_memory_stats *nm;

	m->memory.recorded = true;

	slot = us_map_get(&mem->block_index, ev->address);
	if (slot != US_MAP_NONE)	/* its free was never seen: the newer block wins */
		release_block_slot(mem, slot);
	slot = new_block_slot(mem);
	mem->blocks[slot] = (struct us_block){
		.address = ev->address, .size = ev->size, .weight = (uint32_t)weight, .node = node,
		.tid = ev->hdr.tid,
	};
	us_map_put(&mem->block_index, ev->address, slot);
	if (ev->allocator == US_ALLOC_BRK) {
		mem->blocks[slot].from_brk = true;
		us_grow(&mem->brk_blocks, &mem->brk_blocks_cap, mem->n_brk_blocks + 1,
			sizeof(*mem->brk_blocks));
		mem->brk_blocks[mem->n_brk_blocks++] = ev->address;
	}

	save_for_peak(m, node);
	if (t->depth)	/* --condition's alloc_bytes */
		t->stack[t->depth - 1].alloc_bytes += bytes;
	nm = node_mem(m, node);
	nm->allocs += weight;
	nm->bytes += bytes;
	nm->live_count += weight;
	nm->live_bytes += bytes;
	mem->allocs += weight;
	mem->alloc_bytes += bytes;
	if (ev->allocator < US_ALLOC_KINDS) {
		mem->by_allocator[ev->allocator][0] += weight;
		mem->by_allocator[ev->allocator][1] += bytes;
	}
	mem->heap_bytes += bytes;
	if (mem->heap_bytes > mem->peak_heap_bytes) {
		mem->peak_heap_bytes = mem->heap_bytes;
		mem->peak_ns = ev->hdr.ts_ns;
		mem->peak_node = node;
		mem->peak_epoch++;
	}
	t->last_alloc_address = ev->address;
	t->last_alloc_serial = current_serial(t);
	track_heap(m, ev->hdr.ts_ns);
}

static bool is_realloc(uint32_t allocator)
{
	return allocator == US_ALLOC_REALLOC || allocator == US_ALLOC_REALLOCARRAY ||
	       allocator == US_ALLOC_PY_REALLOC || allocator == US_ALLOC_MREMAP;
}

/* A block goes: `freed_by` (an allocator) on thread `tid` (0: a lowered break). */
static void free_block(struct us_model *m, uint32_t slot, uint32_t tid, uint32_t freed_by,
		       uint64_t ts)
{
	struct us_memory *mem = &m->memory;
	struct us_block b = mem->blocks[slot];
	uint64_t bytes = b.size * b.weight;
	struct us_memory_stats *nm = node_mem(m, b.node);
	uint32_t idx = tid ? us_map_get(&m->thread_index, tid) : US_MAP_NONE;
	struct us_thread *t = idx != US_MAP_NONE ? &m->threads[idx] : NULL;

	save_for_peak(m, b.node);
	nm->frees += b.weight;
	nm->freed_bytes += bytes;
	nm->live_count -= b.weight;
	nm->live_bytes -= bytes;
	mem->frees += b.weight;
	mem->freed_bytes += bytes;
	mem->heap_bytes -= bytes;
	/* temporary: freed (not grown) by the same call, with no allocation between */
	if (t && !is_realloc(freed_by) && t->tid == b.tid && t->last_alloc_address == b.address &&
	    t->last_alloc_serial == current_serial(t)) {
		nm->temporary += b.weight;
		mem->temporary += b.weight;
		mem->temporary_bytes += bytes;
	}
	if (t)
		t->last_alloc_address = 0;
	release_block_slot(mem, slot);
	track_heap(m, ts);
}

void us_model_on_mem_free(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_mem_event *ev = (const struct us_mem_event *)hdr;
	uint32_t slot = us_map_get(&m->memory.block_index, ev->address);

	m->memory.recorded = true;

	us_model_thread(m, ev->hdr.tid, ev->hdr.ts_ns);
	if (slot == US_MAP_NONE) {
		m->memory.unknown_frees++;
		return;
	}
	free_block(m, slot, ev->hdr.tid, ev->allocator, ev->hdr.ts_ns);
}

/* The program lowered its break: its brk blocks above the new one are gone.
 * Blocks are found by address: one freed otherwise meanwhile is gone from
 * the index, or its address now holds another block. */
void us_model_on_mem_break(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_mem_event *ev = (const struct us_mem_event *)hdr;
	struct us_memory *mem = &m->memory;
	size_t kept = 0;

	m->memory.recorded = true;

	for (size_t i = 0; i < mem->n_brk_blocks; i++) {
		uint64_t address = mem->brk_blocks[i];
		uint32_t slot;

		if (address < ev->address) {
			mem->brk_blocks[kept++] = address;
			continue;
		}
		slot = us_map_get(&mem->block_index, address);
		if (slot != US_MAP_NONE && mem->blocks[slot].from_brk)
			free_block(m, slot, 0, US_ALLOC_BRK, ev->hdr.ts_ns);
	}
	mem->n_brk_blocks = kept;
}

void us_model_on_mem_rss(struct us_model *m, const struct us_event_header *hdr)
{
	const struct us_rss_event *ev = (const struct us_rss_event *)hdr;

	m->memory.recorded = true;
	tell_counter(m, US_COUNTER_RSS, ev->hdr.ts_ns, ev->rss_bytes);
}

/* What is live now is what leaked: at the interpreter's shutdown, or the end. */
static void take_leaks(struct us_model *m, enum us_leak_cut cut, uint64_t ts)
{
	struct us_memory *mem = &m->memory;

	mem->leaks_taken = true;
	mem->leak_cut = cut;
	mem->leak_cut_ns = ts;
	mem->leaked = mem->leaked_bytes = 0;
	for (size_t i = 0; i < m->n_nodes; i++) {
		struct us_memory_stats *nm = &m->nodes[i].mem;

		nm->leaked = nm->live_count;
		nm->leaked_bytes = nm->live_bytes;
		mem->leaked += nm->leaked;
		mem->leaked_bytes += nm->leaked_bytes;
	}
}

void us_model_memory_at_finalize(struct us_model *m, uint64_t ts)
{
	if (m->memory.recorded && !m->memory.leaks_taken)
		take_leaks(m, US_LEAKS_AT_FINALIZE, ts);
}

/* Inclusive counts: a node's subtree (children come after their parent). */
static void sum_subtrees(struct us_model *m)
{
	for (size_t i = 0; i < m->n_nodes; i++) {
		m->nodes[i].mem.incl_allocs = m->nodes[i].mem.allocs;
		m->nodes[i].mem.incl_bytes = m->nodes[i].mem.bytes;
	}
	for (size_t i = m->n_nodes; i > 0; i--) {
		struct us_node *n = &m->nodes[i - 1];

		if (n->parent != US_NO_NODE) {
			m->nodes[n->parent].mem.incl_allocs += n->mem.incl_allocs;
			m->nodes[n->parent].mem.incl_bytes += n->mem.incl_bytes;
		}
	}
}

static void add_function_memory(struct us_memory_stats *fm, const struct us_node *n,
				bool outermost)
{
	fm->allocs += n->mem.allocs;
	fm->bytes += n->mem.bytes;
	fm->frees += n->mem.frees;
	fm->freed_bytes += n->mem.freed_bytes;
	fm->temporary += n->mem.temporary;
	fm->live_count += n->mem.live_count;
	fm->live_bytes += n->mem.live_bytes;
	fm->peak_bytes += n->mem.peak_bytes;
	fm->leaked += n->mem.leaked;
	fm->leaked_bytes += n->mem.leaked_bytes;
	if (outermost) {
		fm->incl_allocs += n->mem.incl_allocs;
		fm->incl_bytes += n->mem.incl_bytes;
	}
}

/* Per function: self sums over its nodes; inclusive over its outermost ones
 * (no caller of the same function on the path), found in one walk. */
static void sum_functions(struct us_model *m)
{
	uint32_t *on_path = us_calloc(m->n_functions + 1, sizeof(*on_path));
	uint32_t *path = NULL;
	size_t path_cap = 0;

	for (size_t i = 0; i < m->n_threads; i++) {
		for (int phase = 0; phase < US_PHASES; phase++) {
			uint32_t root = m->threads[i].roots[phase], node;
			size_t depth, len = 0;
			struct us_walk w;

			if (root == US_NO_NODE)
				continue;
			us_walk_init(&w, m, root, US_SORT_FIRST, true);
			while (us_walk_next(&w, &node, &depth, NULL)) {
				uint32_t fn = m->nodes[node].fn_id;

				while (len >= depth)
					on_path[path[--len]]--;
				add_function_memory(&m->funcs[fn].mem, &m->nodes[node], !on_path[fn]);
				us_grow(&path, &path_cap, len + 1, sizeof(*path));
				path[len++] = fn;
				on_path[fn]++;
			}
			while (len)
				on_path[path[--len]]--;
			us_walk_free(&w);
		}
	}
	free(path);
	free(on_path);
}

void us_model_finish_memory(struct us_model *m, uint64_t end_ns)
{
	struct us_memory *mem = &m->memory;

	if (!mem->recorded)
		return;
	if (!mem->leaks_taken)
		take_leaks(m, US_LEAKS_AT_END, end_ns);
	for (size_t i = 0; i < m->n_nodes; i++) {
		struct us_node *n = &m->nodes[i];

		n->mem.peak_bytes = n->mem_saved_epoch == mem->peak_epoch ? n->mem_saved_bytes
									   : n->mem.live_bytes;
	}
	sum_subtrees(m);
	sum_functions(m);
	mem->unknown_frees += mem->totals.unknown_frees;
	tell_counter(m, US_COUNTER_HEAP, end_ns, mem->heap_bytes);
}

void us_model_free_memory(struct us_model *m)
{
	struct us_memory *mem = &m->memory;

	free(mem->blocks);
	free(mem->brk_blocks);
	us_map_free(&mem->block_index);
}

void us_model_on_mem_totals(struct us_model *m, const struct us_event_header *hdr)
{
	m->memory.recorded = true;
	m->memory.totals = *(const struct us_mem_totals_event *)hdr;
	m->memory.have_totals = true;
}
