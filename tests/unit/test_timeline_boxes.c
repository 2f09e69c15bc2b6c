// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* report: a timeline's calls merged to fit, every call still counted. */
#include <stdlib.h>
#include "timeline_boxes.h"
#include "unit.h"

static void add(struct us_timeline_boxes *t, uint32_t thread, uint32_t depth, uint32_t fn,
		uint64_t start, uint64_t end)
{
	struct us_timeline_box b = { .start_ns = start, .end_ns = end, .thread = thread,
				     .depth = depth, .fn_id = fn, .calls = 1 };

	us_timeline_boxes_add(t, &b);
}

static uint64_t calls_in(const struct us_timeline_boxes *t)
{
	uint64_t calls = 0;

	for (size_t i = 0; i < t->n; i++)
		calls += t->boxes[i].calls;
	return calls;
}

/* main (0..10000) calling f 100 times (1 ns each, 10 ns apart, as they end:
 * callees first), and one slow g (5000..9000). */
static void main_with_short_calls(struct us_timeline_boxes *t, uint32_t thread)
{
	for (uint64_t i = 0; i < 100; i++)
		add(t, thread, 2, 1, 10 + i * 10, 11 + i * 10);
	add(t, thread, 2, 2, 5000, 9000);
	add(t, thread, 1, 0, 0, 10000);
}

TEST(timeline_boxes_that_fit_stay_as_they_are_in_start_order)
{
	struct us_timeline_boxes t = { 0 };

	main_with_short_calls(&t, 7);
	us_timeline_boxes_fit(&t, 1000);
	CHECK_EQ(t.n, 102);
	CHECK_EQ(t.threshold_ns, 0);
	CHECK_EQ(t.boxes[0].fn_id, 0);	/* the parent before its callees */
	for (size_t i = 1; i < t.n; i++)
		CHECK(t.boxes[i - 1].start_ns <= t.boxes[i].start_ns);
	us_timeline_boxes_free(&t);
}

TEST(timeline_boxes_short_calls_merge_into_one_box_that_counts_them)
{
	struct us_timeline_boxes t = { 0 };

	main_with_short_calls(&t, 7);
	us_timeline_boxes_fit(&t, 6);
	CHECK(t.n <= 6);
	CHECK_EQ(calls_in(&t), 102);
	CHECK_EQ(t.boxes[0].fn_id, 0);
	CHECK_EQ(t.boxes[0].calls, 1);
	CHECK_EQ(t.boxes[1].fn_id, 1);	/* f's 100 calls, merged */
	CHECK_EQ(t.boxes[1].calls, 100);
	CHECK_EQ(t.boxes[1].start_ns, 10);
	CHECK_EQ(t.boxes[1].end_ns, 1001);
	CHECK(!t.boxes[1].mixed);
	CHECK_EQ(t.boxes[2].fn_id, 2);	/* g, long enough to stay */
	CHECK_EQ(t.boxes[2].calls, 1);
	us_timeline_boxes_free(&t);
}

TEST(timeline_boxes_a_short_call_takes_its_callees_into_its_box)
{
	struct us_timeline_boxes t = { 0 };

	add(&t, 1, 3, 9, 12, 13);	/* callees of the first short call */
	add(&t, 1, 3, 9, 14, 15);
	add(&t, 1, 2, 1, 10, 20);	/* two short calls of different functions */
	add(&t, 1, 2, 2, 22, 30);
	add(&t, 1, 2, 3, 100, 900);	/* a long one */
	add(&t, 1, 1, 0, 0, 1000);
	us_timeline_boxes_fit(&t, 4);
	CHECK_EQ(calls_in(&t), 6);
	CHECK_EQ(t.n, 3);
	CHECK_EQ(t.boxes[1].calls, 4);
	CHECK(t.boxes[1].mixed);
	CHECK_EQ(t.boxes[1].depth, 2);
	us_timeline_boxes_free(&t);
}

TEST(timeline_boxes_merge_neither_across_a_long_call_nor_across_threads)
{
	struct us_timeline_boxes t = { 0 };

	for (uint32_t thread = 1; thread <= 2; thread++) {
		add(&t, thread, 2, 1, 10, 11);
		add(&t, thread, 2, 1, 12, 13);
		add(&t, thread, 2, 2, 14, 900);	/* long: the short calls around it stay apart */
		add(&t, thread, 2, 1, 901, 902);
		add(&t, thread, 2, 1, 903, 904);
		add(&t, thread, 1, 0, 0, 1000);
	}
	us_timeline_boxes_fit(&t, 8);
	CHECK_EQ(calls_in(&t), 12);
	CHECK_EQ(t.n, 8);	/* per thread: main, 2 short, g, 2 short */
	for (size_t i = 0; i < t.n; i++)
		CHECK(t.boxes[i].calls <= 2);
	CHECK_EQ(t.boxes[0].thread, 1);
	CHECK_EQ(t.boxes[4].thread, 2);
	us_timeline_boxes_free(&t);
}

TEST(timeline_boxes_far_apart_short_calls_merge_once_the_threshold_grows)
{
	struct us_timeline_boxes t = { 0 };

	/* 1,000 calls of 1 ns, 100 ns apart: far apart for a threshold of 2 ns */
	for (uint64_t i = 0; i < 1000; i++)
		add(&t, 1, 2, 1, i * 100, i * 100 + 1);
	add(&t, 1, 1, 0, 0, 100000);
	us_timeline_boxes_fit(&t, 10);
	CHECK(t.n <= 10);
	CHECK_EQ(calls_in(&t), 1001);
	us_timeline_boxes_free(&t);
}
