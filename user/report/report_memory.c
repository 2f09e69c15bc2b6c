// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The memory report (--format memory) and the json report's memory section:
 * resident size, the heap and its peak, allocations by function, leaks by
 * call path, allocators, garbage collections (docs/reports.md). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "plan_memory.h"
#include "report_formats.h"
#include "util.h"

#define OUTSIDE_TRACED "(outside traced functions)"
#define TOP_FUNCTIONS 25
#define TOP_LEAKS 20
#define PATH_LEN 4096
#define TEXT_PATH_CALLS 6	/* the text report shows a path's innermost calls */

void us_format_bytes(char *buf, size_t len, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int unit = -1;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024 && unit < 3) {
		v /= 1024;
		unit++;
	}
	snprintf(buf, len, "%.1f %s", v, units[unit]);
}

/* One row of "by function": a function, or the code outside traced ones. */
struct memory_row {
	uint32_t fn_id;			/* US_ROOT_FN: outside traced functions */
	struct us_memory_stats mem;
};

/* Leaks merged by call path across threads. */
struct leak_row {
	char *path;			/* "a > b > c" */
	uint32_t node;			/* one node with that path */
	uint64_t count, bytes;
};

struct memory_view {
	struct memory_row *rows;
	size_t n_rows;
	struct leak_row *leaks;
	size_t n_leaks, leaks_cap;
};

static int by_bytes_desc(const void *a, const void *b)
{
	const struct memory_row *x = a, *y = b;

	if (x->mem.bytes != y->mem.bytes)
		return (x->mem.bytes < y->mem.bytes) - (x->mem.bytes > y->mem.bytes);
	return (x->mem.allocs < y->mem.allocs) - (x->mem.allocs > y->mem.allocs);
}

static int leak_by_bytes_desc(const void *a, const void *b)
{
	const struct leak_row *x = a, *y = b;

	if (x->bytes != y->bytes)
		return (x->bytes < y->bytes) - (x->bytes > y->bytes);
	return strcmp(x->path, y->path);
}

static void add_stats(struct us_memory_stats *to, const struct us_memory_stats *from)
{
	to->allocs += from->allocs;
	to->bytes += from->bytes;
	to->frees += from->frees;
	to->freed_bytes += from->freed_bytes;
	to->temporary += from->temporary;
	to->live_count += from->live_count;
	to->live_bytes += from->live_bytes;
	to->peak_bytes += from->peak_bytes;
	to->leaked += from->leaked;
	to->leaked_bytes += from->leaked_bytes;
	to->incl_allocs += from->incl_allocs;
	to->incl_bytes += from->incl_bytes;
}

static const char *node_name(const struct us_model *m, uint32_t node)
{
	uint32_t fn = m->nodes[node].fn_id;

	return fn == US_ROOT_FN ? OUTSIDE_TRACED : m->functions[fn].name;
}

/* Nodes from the thread's top call down to `node`; a thread's root only
 * when it is `node` itself (allocations outside traced functions). */
static size_t node_chain(const struct us_model *m, uint32_t node, uint32_t *chain, size_t cap)
{
	size_t n = 0;

	for (uint32_t p = node; p != US_NO_NODE && n < cap; p = m->nodes[p].parent)
		if (m->nodes[p].fn_id != US_ROOT_FN || p == node)
			chain[n++] = p;
	for (size_t i = 0; i < n / 2; i++) {
		uint32_t swap = chain[i];

		chain[i] = chain[n - 1 - i];
		chain[n - 1 - i] = swap;
	}
	return n;
}

/* "a > b > c": the innermost `keep` calls of the path down to `node`. */
static void node_path(const struct us_model *m, uint32_t node, size_t keep, char *buf,
		      size_t len)
{
	uint32_t chain[256];
	size_t n = node_chain(m, node, chain, US_ARRAY_SIZE(chain)), used = 0;
	size_t first = n > keep ? n - keep : 0;

	buf[0] = '\0';
	if (first)
		used += (size_t)snprintf(buf, len, "... (%zu calls) > ", first);
	for (size_t i = first; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i > first ? " > " : "",
					 node_name(m, chain[i]));
}

/* The same path as a json array of names. */
static void json_node_path(struct us_json *j, const struct us_model *m, uint32_t node)
{
	uint32_t chain[256];
	size_t n = node_chain(m, node, chain, US_ARRAY_SIZE(chain));

	us_json_array_begin(j);
	for (size_t i = 0; i < n; i++)
		us_json_string(j, node_name(m, chain[i]));
	us_json_array_end(j);
}

static void collect_leaks(const struct us_model *m, struct memory_view *v)
{
	struct us_map by_path = { 0 };
	char path[PATH_LEN];

	for (uint32_t i = 0; i < m->n_nodes; i++) {
		const struct us_node *n = &m->nodes[i];
		uint64_t key;
		uint32_t at;

		if (!n->mem.leaked)
			continue;
		node_path(m, i, SIZE_MAX, path, sizeof(path));
		key = us_hash_str(path);
		at = us_map_get(&by_path, key);
		if (at == US_MAP_NONE) {
			us_grow(&v->leaks, &v->leaks_cap, v->n_leaks + 1, sizeof(*v->leaks));
			at = (uint32_t)v->n_leaks++;
			v->leaks[at] = (struct leak_row){ .path = us_strdup(path), .node = i };
			us_map_put(&by_path, key, at);
		}
		v->leaks[at].count += n->mem.leaked;
		v->leaks[at].bytes += n->mem.leaked_bytes;
	}
	us_map_free(&by_path);
	us_sort(v->leaks, v->n_leaks, sizeof(*v->leaks), leak_by_bytes_desc);
}

static void build_view(const struct us_model *m, struct memory_view *v)
{
	struct memory_row outside = { .fn_id = US_ROOT_FN };

	memset(v, 0, sizeof(*v));
	v->rows = us_calloc(m->n_functions + 1, sizeof(*v->rows));
	for (uint32_t i = 0; i < m->n_functions; i++)
		if (m->funcs[i].mem.allocs || m->funcs[i].mem.incl_allocs)
			v->rows[v->n_rows++] = (struct memory_row){ .fn_id = i, .mem = m->funcs[i].mem };
	for (size_t i = 0; i < m->n_threads; i++)
		add_stats(&outside.mem, &m->nodes[m->threads[i].root].mem);
	if (outside.mem.allocs)
		v->rows[v->n_rows++] = outside;
	us_sort(v->rows, v->n_rows, sizeof(*v->rows), by_bytes_desc);
	collect_leaks(m, v);
}

static void free_view(struct memory_view *v)
{
	for (size_t i = 0; i < v->n_leaks; i++)
		free(v->leaks[i].path);
	free(v->leaks);
	free(v->rows);
}

/* When the leaks were taken, in words. */
static const char *leaks_label(const struct us_recording *rec, const struct us_model *m)
{
	if (m->memory.leak_cut == US_LEAKS_AT_FINALIZE)
		return "still live when the interpreter began to shut down";
	if (rec->mode && !strcmp(rec->mode, "attach"))
		return "still live at detach";
	return rec->exited ? "still live at exit" : "still live when tracing stopped";
}

static bool sampled(const struct us_recording *rec)
{
	return rec->memory_sample_one_in > 1;
}

static double ms_since_start(const struct us_recording *rec, uint64_t ts)
{
	return us_ns_to_ms(ts > rec->start_ns ? ts - rec->start_ns : 0);
}

/* ---- text ------------------------------------------------------------------- */

static void print_totals(FILE *out, const struct us_recording *rec, const struct us_model *m)
{
	const struct us_memory *mem = &m->memory;
	char a[32], b[32], c[32];

	us_format_bytes(a, sizeof(a), mem->totals.initial_rss_bytes);
	us_format_bytes(b, sizeof(b), mem->totals.peak_rss_bytes);
	us_format_bytes(c, sizeof(c), mem->totals.final_rss_bytes);
	fprintf(out, "\nResident size   initial %s   peak %s   final %s\n", a, b, c);
	us_format_bytes(a, sizeof(a), mem->peak_heap_bytes);
	us_format_bytes(b, sizeof(b), mem->heap_bytes);
	fprintf(out, "Heap in use     initial 0 B   peak %s at %.1f ms   final %s   (%s)\n", a,
		ms_since_start(rec, mem->peak_ns), b,
		rec->memory && !strcmp(rec->memory, "objects")
			? "libc and CPython's object allocator" : "libc allocators and anonymous mmap");
	us_format_bytes(a, sizeof(a), mem->alloc_bytes);
	us_format_bytes(b, sizeof(b), mem->freed_bytes);
	us_format_bytes(c, sizeof(c), mem->temporary_bytes);
	fprintf(out, "Allocations     %llu (%s)   frees %llu (%s)   temporary %llu (%s)\n",
		(unsigned long long)mem->allocs, a, (unsigned long long)mem->frees, b,
		(unsigned long long)mem->temporary, c);
	if (sampled(rec)) {
		us_format_bytes(a, sizeof(a), rec->memory_sample_min_bytes);
		fprintf(out, "Sampled         one in %u allocations under %s kept, counts and bytes "
			"scaled by %u\n", rec->memory_sample_one_in, a, rec->memory_sample_one_in);
	} else {
		fprintf(out, "Unknown frees   %llu (blocks allocated before tracing began)\n",
			(unsigned long long)mem->unknown_frees);
	}
	if (mem->totals.untracked_allocs || mem->totals.missed_returns)
		fprintf(out, "Not recorded    %llu allocations (live map full), %llu allocator returns "
			"the kernel did not report\n",
			(unsigned long long)mem->totals.untracked_allocs,
			(unsigned long long)mem->totals.missed_returns);
	if (mem->peak_heap_bytes) {
		char path[PATH_LEN];

		node_path(m, mem->peak_node, TEXT_PATH_CALLS, path, sizeof(path));
		fprintf(out, "At the peak     %s\n", path);
	}
}

/* "name", or for Python "name (file.py:line)": many functions are <module>. */
static void row_label(const struct us_model *m, const struct memory_row *r, char *buf,
		      size_t len)
{
	const struct us_function *fn = r->fn_id == US_ROOT_FN ? NULL : &m->functions[r->fn_id];
	const char *base;

	if (!fn || fn->kind != US_FN_PYTHON || !fn->file) {
		snprintf(buf, len, "%s", fn ? fn->name : OUTSIDE_TRACED);
		return;
	}
	base = strrchr(fn->file, '/');
	snprintf(buf, len, "%s (%s:%u)", fn->name, base ? base + 1 : fn->file, fn->line);
}

static void print_functions(FILE *out, const struct us_model *m, const struct memory_view *v)
{
	fprintf(out, "\nAllocations by function (self, and inclusive of what it called)\n");
	fprintf(out, "%10s %11s %11s %11s %11s %10s  %s\n", "Allocs", "Bytes", "Incl allocs",
		"Incl bytes", "At peak", "Temporary", "Function");
	for (size_t i = 0; i < v->n_rows && i < TOP_FUNCTIONS; i++) {
		const struct memory_row *r = &v->rows[i];
		char bytes[32], incl[32], peak[32], label[512];

		us_format_bytes(bytes, sizeof(bytes), r->mem.bytes);
		us_format_bytes(incl, sizeof(incl), r->mem.incl_bytes);
		us_format_bytes(peak, sizeof(peak), r->mem.peak_bytes);
		row_label(m, r, label, sizeof(label));
		fprintf(out, "%10llu %11s %11llu %11s %11s %10llu  %s\n",
			(unsigned long long)r->mem.allocs, bytes,
			(unsigned long long)r->mem.incl_allocs, incl, peak,
			(unsigned long long)r->mem.temporary, label);
	}
	if (v->n_rows > TOP_FUNCTIONS)
		fprintf(out, "... %zu more (the json report has them all)\n", v->n_rows - TOP_FUNCTIONS);
	if (!v->n_rows)
		fputs("no allocation was recorded\n", out);
}

static void print_leaks(FILE *out, const struct us_recording *rec, const struct us_model *m,
			const struct memory_view *v)
{
	char bytes[32];

	us_format_bytes(bytes, sizeof(bytes), m->memory.leaked_bytes);
	fprintf(out, "\nLeaks: %s: %llu blocks, %s\n", leaks_label(rec, m),
		(unsigned long long)m->memory.leaked, bytes);
	if (!v->n_leaks)
		return;
	fprintf(out, "%10s %11s  %s\n", "Blocks", "Bytes", "Call path");
	for (size_t i = 0; i < v->n_leaks && i < TOP_LEAKS; i++) {
		char path[PATH_LEN];

		node_path(m, v->leaks[i].node, TEXT_PATH_CALLS, path, sizeof(path));
		us_format_bytes(bytes, sizeof(bytes), v->leaks[i].bytes);
		fprintf(out, "%10llu %11s  %s\n", (unsigned long long)v->leaks[i].count, bytes, path);
	}
	if (v->n_leaks > TOP_LEAKS)
		fprintf(out, "... %zu more paths\n", v->n_leaks - TOP_LEAKS);
}

static void print_allocators(FILE *out, const struct us_model *m)
{
	fputs("\nBy allocator\n", out);
	for (uint32_t a = 1; a < US_ALLOC_KINDS; a++) {
		char bytes[32];

		if (!m->memory.by_allocator[a][0])
			continue;
		us_format_bytes(bytes, sizeof(bytes), m->memory.by_allocator[a][1]);
		fprintf(out, "  %-18s %10llu %11s\n", us_allocator_name(a),
			(unsigned long long)m->memory.by_allocator[a][0], bytes);
	}
}

static void print_gc(FILE *out, const struct us_recording *rec, const struct us_model *m)
{
	if (!rec->python)
		return;
	fprintf(out, "\nGarbage collections  %llu (%.3f ms): generation 0: %llu, 1: %llu, 2: %llu\n",
		(unsigned long long)m->gc.collections, us_ns_to_ms(m->gc.total_ns),
		(unsigned long long)m->gc.by_generation[0], (unsigned long long)m->gc.by_generation[1],
		(unsigned long long)m->gc.by_generation[2]);
}

void us_report_memory(FILE *out, const struct us_recording *rec, const struct us_model *m,
		      const struct us_report_options *ro)
{
	struct memory_view v;

	us_report_summary(out, rec, m, ro);
	if (!rec->memory) {
		fputs("\nno memory was recorded: trace with --memory\n", out);
		return;
	}
	build_view(m, &v);
	print_totals(out, rec, m);
	print_functions(out, m, &v);
	print_leaks(out, rec, m, &v);
	print_allocators(out, m);
	print_gc(out, rec, m);
	free_view(&v);
}

/* ---- json ------------------------------------------------------------------- */

static void json_u64(struct us_json *j, const char *key, uint64_t v)
{
	us_json_key(j, key);
	us_json_uint(j, v);
}

static void write_json_heap(struct us_json *j, const struct us_recording *rec,
			    const struct us_model *m)
{
	const struct us_memory *mem = &m->memory;

	us_json_key(j, "heap");
	us_json_object_begin(j);
	json_u64(j, "initial_bytes", 0);
	json_u64(j, "peak_bytes", mem->peak_heap_bytes);
	us_json_kv_double(j, "peak_time_ms", ms_since_start(rec, mem->peak_ns));
	json_u64(j, "final_bytes", mem->heap_bytes);
	us_json_key(j, "peak_stack");
	if (mem->peak_heap_bytes) {
		json_node_path(j, m, mem->peak_node);
	} else {
		us_json_array_begin(j);
		us_json_array_end(j);
	}
	us_json_object_end(j);
}

static void write_json_row(struct us_json *j, const struct us_model *m,
			   const struct memory_row *r)
{
	const struct us_function *fn = r->fn_id == US_ROOT_FN ? NULL : &m->functions[r->fn_id];

	us_json_object_begin(j);
	us_json_kv_string(j, "function", fn ? fn->name : OUTSIDE_TRACED);
	us_json_kv_string(j, "object", fn && fn->object ? fn->object : "");
	us_json_kv_string(j, "file", fn && fn->file ? fn->file : "");
	json_u64(j, "line", fn ? fn->line : 0);
	json_u64(j, "allocs", r->mem.allocs);
	json_u64(j, "bytes", r->mem.bytes);
	json_u64(j, "frees", r->mem.frees);
	json_u64(j, "incl_allocs", r->mem.incl_allocs);
	json_u64(j, "incl_bytes", r->mem.incl_bytes);
	json_u64(j, "temporary", r->mem.temporary);
	json_u64(j, "peak_bytes", r->mem.peak_bytes);
	json_u64(j, "leaked", r->mem.leaked);
	json_u64(j, "leaked_bytes", r->mem.leaked_bytes);
	us_json_object_end(j);
}

static void write_json_leaks(struct us_json *j, const struct us_model *m,
			     const struct memory_view *v)
{
	us_json_key(j, "leaks");
	us_json_array_begin(j);
	for (size_t i = 0; i < v->n_leaks; i++) {
		us_json_object_begin(j);
		us_json_key(j, "path");
		json_node_path(j, m, v->leaks[i].node);
		json_u64(j, "count", v->leaks[i].count);
		json_u64(j, "bytes", v->leaks[i].bytes);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

static void write_json_allocators(struct us_json *j, const struct us_model *m)
{
	us_json_key(j, "by_allocator");
	us_json_array_begin(j);
	for (uint32_t a = 1; a < US_ALLOC_KINDS; a++) {
		if (!m->memory.by_allocator[a][0])
			continue;
		us_json_object_begin(j);
		us_json_kv_string(j, "allocator", us_allocator_name(a));
		json_u64(j, "count", m->memory.by_allocator[a][0]);
		json_u64(j, "bytes", m->memory.by_allocator[a][1]);
		us_json_object_end(j);
	}
	us_json_array_end(j);
}

void us_json_gc(struct us_json *j, const struct us_model *m)
{
	us_json_key(j, "gc");
	us_json_object_begin(j);
	json_u64(j, "collections", m->gc.collections);
	us_json_kv_double(j, "time_ms", us_ns_to_ms(m->gc.total_ns));
	us_json_key(j, "by_generation");
	us_json_array_begin(j);
	for (int g = 0; g < 3; g++)
		us_json_uint(j, m->gc.by_generation[g]);
	us_json_array_end(j);
	if (m->shutdown_seen) {
		/* the interpreter's own collections while it shuts down */
		json_u64(j, "during_shutdown", m->gc.collections - m->gc_at_shutdown.collections);
		us_json_key(j, "during_shutdown_by_generation");
		us_json_array_begin(j);
		for (int g = 0; g < 3; g++)
			us_json_uint(j, m->gc.by_generation[g] - m->gc_at_shutdown.by_generation[g]);
		us_json_array_end(j);
	}
	us_json_object_end(j);
}

void us_json_memory_section(struct us_json *j, const struct us_recording *rec,
			    const struct us_model *m)
{
	const struct us_memory *mem = &m->memory;
	struct memory_view v;

	build_view(m, &v);
	us_json_key(j, "memory");
	us_json_object_begin(j);
	us_json_kv_string(j, "mode", rec->memory);
	json_u64(j, "initial_rss_bytes", mem->totals.initial_rss_bytes);
	json_u64(j, "peak_rss_bytes", mem->totals.peak_rss_bytes);
	json_u64(j, "final_rss_bytes", mem->totals.final_rss_bytes);
	write_json_heap(j, rec, m);
	us_json_kv_bool(j, "sampled", sampled(rec));
	json_u64(j, "sample_one_in", rec->memory_sample_one_in ? rec->memory_sample_one_in : 1);
	json_u64(j, "sample_min_bytes", rec->memory_sample_min_bytes);
	json_u64(j, "allocs", mem->allocs);
	json_u64(j, "alloc_bytes", mem->alloc_bytes);
	json_u64(j, "frees", mem->frees);
	json_u64(j, "freed_bytes", mem->freed_bytes);
	json_u64(j, "temporary_allocs", mem->temporary);
	json_u64(j, "temporary_bytes", mem->temporary_bytes);
	json_u64(j, "unknown_frees", mem->unknown_frees);
	json_u64(j, "untracked_allocs", mem->totals.untracked_allocs);
	json_u64(j, "missed_returns", mem->totals.missed_returns);
	write_json_allocators(j, m);
	us_json_key(j, "by_function");
	us_json_array_begin(j);
	for (size_t i = 0; i < v.n_rows; i++)
		write_json_row(j, m, &v.rows[i]);
	us_json_array_end(j);
	us_json_kv_string(j, "leaks_at", leaks_label(rec, m));
	json_u64(j, "leaked", mem->leaked);
	json_u64(j, "leaked_bytes", mem->leaked_bytes);
	write_json_leaks(j, m, &v);
	us_json_gc(j, m);
	us_json_object_end(j);
	free_view(&v);
}
