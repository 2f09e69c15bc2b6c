// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memory: the model's books (attribution, peak, leaks, temporary, sampling,
 * brk), the memory report, the live-block map, and the plan's helpers. */
#include <stdlib.h>
#include "hashmap.h"
#include "model_helpers.h"
#include "plan_memory.h"
#include "record.h"
#include "report_formats.h"
#include "unit.h"
#include "util.h"

enum { MAIN, A, B, C };
static const char *const names[] = { "main", "a", "b", "c" };

static void mem_event(struct us_model *m, uint16_t type, uint64_t ts, uint64_t address,
		      uint64_t size, uint32_t allocator, uint32_t weight)
{
	struct us_mem_event e = {
		.hdr = { .type = type, .size = sizeof(e), .tid = 1, .ts_ns = ts },
		.address = address, .size = size, .allocator = allocator, .weight = weight,
	};

	us_model_add_event(m, &e.hdr);
}

static void alloc(struct us_model *m, uint64_t ts, uint64_t address, uint64_t size)
{
	mem_event(m, US_EV_MEM_ALLOC, ts, address, size, US_ALLOC_MALLOC, 1);
}

static void release(struct us_model *m, uint64_t ts, uint64_t address)
{
	mem_event(m, US_EV_MEM_FREE, ts, address, 0, US_ALLOC_FREE, 1);
}

static const struct us_node *node_of(const struct us_model *m, uint32_t fn)
{
	return node_at(m, 0, (uint32_t[]){ MAIN, fn }, 2);
}

static void start(struct us_plan *plan, struct us_model *m)
{
	make_plan(plan, names, 4);
	us_model_init(m, plan, NULL, NULL);
	enter(m, 1, 1, MAIN, 0x8000);
}

TEST(memory_peak_is_what_each_call_had_live_then)
{
	struct us_plan plan;
	struct us_model m;

	start(&plan, &m);
	enter(&m, 1, 10, A, 0x7f00);
	alloc(&m, 11, 0x1000, 100);
	leave(&m, 1, 12, A, 0x7f00);
	enter(&m, 1, 20, B, 0x7f00);
	alloc(&m, 21, 0x2000, 50);		/* peak 150: a 100, b 50 */
	leave(&m, 1, 22, B, 0x7f00);
	release(&m, 30, 0x1000);		/* heap 50 */
	enter(&m, 1, 40, B, 0x7f00);
	alloc(&m, 41, 0x3000, 30);		/* heap 80 */
	leave(&m, 1, 42, B, 0x7f00);
	leave(&m, 1, 50, MAIN, 0x8000);
	us_model_finish(&m, 100);

	CHECK_EQ(m.memory.peak_heap_bytes, 150);
	CHECK_EQ(m.memory.peak_ns, 21);
	CHECK_EQ(m.nodes[m.memory.peak_node].fn_id, B);
	CHECK_EQ(node_of(&m, A)->mem.peak_bytes, 100);
	CHECK_EQ(node_of(&m, B)->mem.peak_bytes, 50);
	CHECK_EQ(node_of(&m, B)->mem.allocs, 2);
	CHECK_EQ(node_of(&m, A)->mem.frees, 1);
	CHECK_EQ(m.memory.heap_bytes, 80);
	CHECK_EQ(m.funcs[MAIN].mem.incl_allocs, 3);
	CHECK_EQ(m.funcs[MAIN].mem.incl_bytes, 180);
	CHECK_EQ(m.funcs[MAIN].mem.allocs, 0);
	/* leaks at the end: b's two blocks */
	CHECK_EQ(node_of(&m, B)->mem.leaked, 2);
	CHECK_EQ(node_of(&m, B)->mem.leaked_bytes, 80);
	CHECK_EQ(m.memory.leak_cut, US_LEAKS_AT_END);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(memory_a_new_peak_replaces_the_old_one)
{
	struct us_plan plan;
	struct us_model m;

	start(&plan, &m);
	enter(&m, 1, 10, A, 0x7f00);
	alloc(&m, 11, 0x1000, 100);
	release(&m, 12, 0x1000);
	leave(&m, 1, 13, A, 0x7f00);
	enter(&m, 1, 20, C, 0x7f00);
	alloc(&m, 21, 0x2000, 70);
	alloc(&m, 22, 0x3000, 70);		/* peak 140, all c's */
	leave(&m, 1, 23, C, 0x7f00);
	us_model_finish(&m, 100);
	CHECK_EQ(m.memory.peak_heap_bytes, 140);
	CHECK_EQ(node_of(&m, A)->mem.peak_bytes, 0);
	CHECK_EQ(node_of(&m, C)->mem.peak_bytes, 140);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(memory_temporary_is_freed_at_once_by_the_same_call)
{
	struct us_plan plan;
	struct us_model m;

	start(&plan, &m);
	enter(&m, 1, 10, A, 0x7f00);
	alloc(&m, 11, 0x1000, 8);
	release(&m, 12, 0x1000);		/* temporary */
	alloc(&m, 13, 0x2000, 8);
	alloc(&m, 14, 0x3000, 8);
	release(&m, 15, 0x2000);		/* another allocation came between */
	alloc(&m, 16, 0x4000, 8);
	enter(&m, 1, 17, B, 0x7e00);
	release(&m, 18, 0x4000);		/* freed by a callee */
	leave(&m, 1, 19, B, 0x7e00);
	leave(&m, 1, 20, A, 0x7f00);
	us_model_finish(&m, 100);
	CHECK_EQ(node_of(&m, A)->mem.temporary, 1);
	CHECK_EQ(m.memory.temporary, 1);
	CHECK_EQ(m.memory.temporary_bytes, 8);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(memory_leaks_are_taken_when_the_interpreter_shuts_down)
{
	struct us_py_finalize_event fin = {
		.hdr = { .type = US_EV_PY_FINALIZE, .size = sizeof(fin), .tid = 1, .ts_ns = 30 },
	};
	struct us_plan plan;
	struct us_model m;

	start(&plan, &m);
	enter(&m, 1, 10, A, 0x7f00);
	alloc(&m, 11, 0x1000, 100);
	alloc(&m, 12, 0x2000, 10);
	leave(&m, 1, 13, A, 0x7f00);
	us_model_add_event(&m, &fin.hdr);
	release(&m, 40, 0x1000);		/* the interpreter's teardown */
	us_model_finish(&m, 100);
	CHECK_EQ(m.memory.leak_cut, US_LEAKS_AT_FINALIZE);
	CHECK_EQ(m.memory.leaked, 2);
	CHECK_EQ(m.memory.leaked_bytes, 110);
	CHECK_EQ(node_of(&m, A)->mem.live_bytes, 10);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(memory_sampled_blocks_count_by_their_weight)
{
	struct us_plan plan;
	struct us_model m;

	start(&plan, &m);
	mem_event(&m, US_EV_MEM_ALLOC, 10, 0x1000, 16, US_ALLOC_MALLOC, 100);
	mem_event(&m, US_EV_MEM_ALLOC, 11, 0x2000, 1 << 20, US_ALLOC_MALLOC, 1);
	mem_event(&m, US_EV_MEM_FREE, 12, 0x1000, 16, US_ALLOC_FREE, 100);
	us_model_finish(&m, 100);
	CHECK_EQ(m.memory.allocs, 101);
	CHECK_EQ(m.memory.alloc_bytes, 1600 + (1 << 20));
	CHECK_EQ(m.memory.frees, 100);
	CHECK_EQ(m.memory.by_allocator[US_ALLOC_MALLOC][0], 101);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(memory_a_lowered_break_frees_the_brk_blocks_above_it)
{
	struct us_plan plan;
	struct us_model m;

	start(&plan, &m);
	mem_event(&m, US_EV_MEM_ALLOC, 10, 0x10000, 0x1000, US_ALLOC_BRK, 1);
	mem_event(&m, US_EV_MEM_ALLOC, 11, 0x11000, 0x2000, US_ALLOC_BRK, 1);
	mem_event(&m, US_EV_MEM_BREAK, 12, 0x11000, 0, US_ALLOC_BRK, 1);
	release(&m, 13, 0x9999);		/* not ours */
	us_model_finish(&m, 100);
	CHECK_EQ(m.memory.heap_bytes, 0x1000);
	CHECK_EQ(m.memory.frees, 1);
	CHECK_EQ(m.memory.unknown_frees, 1);
	us_model_free(&m);
	us_plan_free(&plan);
}

static char *render_memory(enum us_format format)
{
	struct us_recording rec = { 0 };
	struct us_mem_totals_event totals = {
		.hdr = { .type = US_EV_MEM_TOTALS, .size = sizeof(totals), .tid = 1, .ts_ns = 90 },
		.initial_rss_bytes = 1 << 20, .peak_rss_bytes = 8 << 20, .final_rss_bytes = 2 << 20,
	};
	struct us_model m;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct us_report_stream *stream;

	make_plan(&rec.plan, names, 4);
	rec.uscope_version = "test";
	rec.mode = "attach";
	rec.memory = "libc";
	rec.memory_sample_one_in = 1;
	rec.end_ns = 100;
	stream = us_report_stream_new(out, format, NULL);
	us_model_init(&m, &rec.plan, NULL, us_report_stream_sink(stream));
	if (stream)
		stream_begin(stream, &rec);
	enter(&m, 1, 1, MAIN, 0x8000);
	enter(&m, 1, 10, A, 0x7f00);
	alloc(&m, 11, 0x1000, 3 << 20);
	leave(&m, 1, 12, A, 0x7f00);
	leave(&m, 1, 20, MAIN, 0x8000);
	us_model_add_event(&m, &totals.hdr);
	us_model_finish(&m, rec.end_ns);
	if (stream)
		us_report_stream_finish(stream, &rec, &m);
	else
		us_report_write(out, format, &rec, &m, NULL);
	fclose(out);
	us_model_free(&m);
	us_plan_free(&rec.plan);
	return text;
}

TEST(report_memory_text_and_json)
{
	char *text = render_memory(US_FORMAT_MEMORY);

	CHECK(strstr(text, "Resident size   initial 1.0 MiB   peak 8.0 MiB   final 2.0 MiB"));
	CHECK(strstr(text, "Heap in use     initial 0 B   peak 3.0 MiB"));
	CHECK(strstr(text, "Leaks: still live at detach: 1 blocks, 3.0 MiB"));
	CHECK(strstr(text, "At the peak     main > a"));
	free(text);
	text = render_memory(US_FORMAT_JSON);
	CHECK(strstr(text, "\"peak_rss_bytes\": 8388608"));
	CHECK(strstr(text, "\"alloc_count\": 1"));
	CHECK(strstr(text, "\"leaks_at\": \"still live at detach\""));
	CHECK(strstr(text, "\"incl_bytes\": 3145728"));
	free(text);
	text = render_memory(US_FORMAT_CHROME);
	CHECK(strstr(text, "\"heap in use\""));
	free(text);
}

TEST(hashmap_remove_keeps_every_other_key)
{
	struct us_map map = { 0 };
	bool present[2000] = { false };

	for (uint32_t i = 0; i < 2000; i++) {
		us_map_put(&map, (uint64_t)i * 4096, i);
		present[i] = true;
	}
	for (uint32_t i = 0; i < 2000; i += 3) {
		us_map_remove(&map, (uint64_t)i * 4096);
		present[i] = false;
	}
	for (uint32_t i = 0; i < 2000; i++)
		CHECK_EQ(us_map_get(&map, (uint64_t)i * 4096), present[i] ? i : US_MAP_NONE);
	CHECK_EQ(map.count, 2000 - 667);
	us_map_free(&map);
}

TEST(plan_memory_skips_free_null_check)
{
	/* glibc 2.36 free: test %rdi,%rdi; je rel32; push %rbp */
	static const uint8_t libc_free[] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00,
					     0x55, 0x48, 0x89, 0xfd };
	/* _PyObject_Free(ctx, p): test %rsi,%rsi; je rel32; push %r12 */
	static const uint8_t py_free[] = { 0x48, 0x85, 0xf6, 0x0f, 0x84, 0xb7, 0x00, 0x00, 0x00,
					   0x41, 0x54, 0x55 };
	static const uint8_t mov_first[] = { 0x48, 0x8b, 0x05, 0x09, 0x96, 0x45, 0x00 };

	CHECK_EQ(us_skip_null_check(libc_free, sizeof(libc_free), 0), 9);
	CHECK_EQ(us_skip_null_check(libc_free, sizeof(libc_free), 1), 0);
	CHECK_EQ(us_skip_null_check(py_free, sizeof(py_free), 1), 9);
	CHECK_EQ(us_skip_null_check(mov_first, sizeof(mov_first), 0), 0);
	CHECK(!strcmp(us_allocator_name(US_ALLOC_PY_MALLOC), "PyObject_Malloc"));
}

TEST(util_parse_bytes)
{
	uint64_t v;

	CHECK(us_parse_bytes("4096", &v) && v == 4096);
	CHECK(us_parse_bytes("64K", &v) && v == 65536);
	CHECK(us_parse_bytes("1MiB", &v) && v == 1 << 20);
	CHECK(!us_parse_bytes("12Q", &v));
	CHECK(!us_parse_bytes("-1", &v));
}
