// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* model: stack reconstruction, reconciliation, aggregation, filters. */
#include <stdlib.h>
#include "call_stats.h"
#include "model_helpers.h"
#include "unit.h"

enum { MAIN, A, B, C };

/* A sink that keeps the order calls start in. */
static uint32_t started_fn[16];
static size_t n_started, n_ended;

static void count_start(void *ctx, const struct us_model *m, size_t thread,
			const struct us_frame *f)
{
	if (n_started < 16)
		started_fn[n_started] = f->fn_id;
	n_started++;
}

static void count_end(void *ctx, const struct us_model *m, size_t thread, const struct us_call *c,
		      bool shown)
{
	n_ended += shown;
}

static const struct us_model_sink counting_sink = {
	.call_started = count_start, .call_ended = count_end,
};
static const char *const names[] = { "main", "a", "b", "c" };

TEST(model_nested_calls_total_and_self)
{
	struct us_plan plan;
	struct us_model m;
	const struct us_node *n;

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, &counting_sink);
	enter(&m, 1, 100, MAIN, 0x8000);
	enter(&m, 1, 110, A, 0x7f00);
	leave(&m, 1, 140, A, 0x7f00);
	enter(&m, 1, 150, A, 0x7f00);
	enter(&m, 1, 155, B, 0x7e00);
	leave(&m, 1, 165, B, 0x7e00);
	leave(&m, 1, 170, A, 0x7f00);
	leave(&m, 1, 200, MAIN, 0x8000);
	us_model_finish(&m, 300);

	n = node_at(&m, 0, (uint32_t[]){ MAIN }, 1);
	CHECK(n && n->count == 1 && n->total_ns == 100 && n->self_ns == 50);
	n = node_at(&m, 0, (uint32_t[]){ MAIN, A }, 2);
	CHECK(n && n->count == 2 && n->total_ns == 50 && n->self_ns == 40);
	CHECK_EQ(n->min_ns, 20);
	CHECK_EQ(n->max_ns, 30);
	n = node_at(&m, 0, (uint32_t[]){ MAIN, A, B }, 3);
	CHECK(n && n->count == 1 && n->total_ns == 10);
	CHECK_EQ(m.total_calls, 4);
	CHECK_EQ(m.inferred_exits, 0);
	CHECK_EQ(n_started, 4);
	CHECK_EQ(n_ended, 4);
	CHECK_EQ(started_fn[0], MAIN);
	CHECK_EQ(started_fn[3], B);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(model_recursion_counts_total_once_in_flat)
{
	struct us_plan plan;
	struct us_model m;

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	enter(&m, 1, 0, A, 0x8000);
	enter(&m, 1, 10, A, 0x7f00);
	enter(&m, 1, 20, A, 0x7e00);
	leave(&m, 1, 30, A, 0x7e00);
	leave(&m, 1, 40, A, 0x7f00);
	leave(&m, 1, 100, A, 0x8000);
	us_model_finish(&m, 100);
	CHECK_EQ(m.funcs[A].count, 3);
	CHECK_EQ(m.funcs[A].total_ns, 100);	/* outermost only */
	CHECK_EQ(m.funcs[A].self_ns, 100);
	CHECK_EQ(m.funcs[A].sum_ns, 100 + 30 + 10);
	us_model_free(&m);
	us_plan_free(&plan);
}

/* Beyond 64 pending uretprobes the kernel reports no return: the next event
 * at a higher stack pointer proves those frames are gone. */
TEST(model_reconciles_returns_beyond_64_deep)
{
	struct us_plan plan;
	struct us_model m;
	const int depth = 100;
	uint64_t ts = 0;

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	for (int d = 0; d < depth; d++)
		enter(&m, 1, ts++, A, 0x100000 - (uint64_t)d * 64);
	/* only the 64 outermost returns are reported, innermost first */
	for (int d = 63; d >= 0; d--)
		leave(&m, 1, ts++, A, 0x100000 - (uint64_t)d * 64);
	us_model_finish(&m, ts);
	CHECK_EQ(m.funcs[A].count, depth);
	CHECK_EQ(m.inferred_exits, depth - 64);
	CHECK_EQ(m.unfinished_calls, 0);
	CHECK_EQ(m.threads[0].depth, 0);
	us_model_free(&m);
	us_plan_free(&plan);
}

/* A sibling call at the same stack pointer as a frame whose return was not
 * reported (beyond the limit) means that frame returned. */
TEST(model_beyond_limit_sibling_calls_are_not_nested)
{
	struct us_plan plan;
	struct us_model m;
	uint64_t ts = 0;

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	for (int d = 0; d < 64; d++)
		enter(&m, 1, ts++, A, 0x100000 - (uint64_t)d * 64);
	enter(&m, 1, ts++, B, 0x1000);	/* 65th: no uretprobe */
	enter(&m, 1, ts++, B, 0x1000);	/* its sibling */
	CHECK_EQ(m.threads[0].depth, 65);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(model_longjmp_pops_skipped_frames)
{
	struct us_plan plan;
	struct us_model m;
	const struct us_node *n;

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	enter(&m, 1, 0, MAIN, 0x8000);
	enter(&m, 1, 10, A, 0x7f00);	/* setjmp here */
	enter(&m, 1, 20, B, 0x7e00);
	enter(&m, 1, 30, C, 0x7d00);	/* longjmp back into a */
	enter(&m, 1, 40, B, 0x7e00);	/* a calls b again, same sp: not nested */
	leave(&m, 1, 50, B, 0x7e00);
	leave(&m, 1, 60, A, 0x7f00);
	leave(&m, 1, 70, MAIN, 0x8000);
	us_model_finish(&m, 70);
	n = node_at(&m, 0, (uint32_t[]){ MAIN, A, B }, 3);
	CHECK(n && n->count == 2 && n->inferred_exits == 1);
	n = node_at(&m, 0, (uint32_t[]){ MAIN, A, B, C }, 4);
	CHECK(n && n->count == 1 && n->inferred_exits == 1);
	CHECK(node_at(&m, 0, (uint32_t[]){ MAIN, A, B, B }, 4) == NULL);
	CHECK_EQ(m.inferred_exits, 2);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(model_tail_call_nests_and_both_return)
{
	struct us_plan plan;
	struct us_model m;
	struct us_call_event e;
	const struct us_node *n;

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	enter(&m, 1, 0, MAIN, 0x8000);
	enter(&m, 1, 10, A, 0x7f00);
	e = call_event(US_EV_CALL_ENTRY, 1, 20, B, 0x7f00);
	e.flags = US_CALL_TAIL;
	us_model_add_event(&m, &e.hdr);
	leave(&m, 1, 30, B, 0x7f00);
	leave(&m, 1, 30, A, 0x7f00);
	leave(&m, 1, 40, MAIN, 0x8000);
	us_model_finish(&m, 40);
	n = node_at(&m, 0, (uint32_t[]){ MAIN, A, B }, 3);
	CHECK(n && n->count == 1 && n->inferred_exits == 0);
	CHECK_EQ(m.inferred_exits, 0);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(model_threads_are_apart_and_thread_exit_closes_calls)
{
	struct us_plan plan;
	struct us_model m;
	struct us_thread_event te = { .hdr = { US_EV_THREAD_EXIT, sizeof(te), 2, 50 } };

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	enter(&m, 1, 0, A, 0x8000);
	enter(&m, 2, 5, B, 0x9000);
	leave(&m, 1, 10, A, 0x8000);
	us_model_add_event(&m, &te.hdr);
	enter(&m, 1, 60, C, 0x8000);	/* still running at the end */
	us_model_finish(&m, 100);
	CHECK_EQ(m.n_threads, 2);
	CHECK(node_at(&m, 0, (uint32_t[]){ A }, 1)->count == 1);
	CHECK(node_at(&m, 1, (uint32_t[]){ B }, 1)->total_ns == 45);
	CHECK(node_at(&m, 0, (uint32_t[]){ C }, 1)->total_ns == 40);
	CHECK_EQ(m.inferred_exits, 1);
	CHECK_EQ(m.unfinished_calls, 1);
	/* still running is said as such, not as a return the kernel lost */
	CHECK(node_at(&m, 0, (uint32_t[]){ C }, 1)->unfinished == 1);
	CHECK(node_at(&m, 0, (uint32_t[]){ C }, 1)->inferred_exits == 0);
	CHECK_EQ(m.funcs[C].unfinished, 1);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(model_unmatched_return_is_counted_not_used)
{
	struct us_plan plan;
	struct us_model m;

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	leave(&m, 1, 10, A, 0x8000);	/* entered before tracing */
	us_model_finish(&m, 20);
	CHECK_EQ(m.unmatched_exits, 1);
	CHECK_EQ(m.funcs[A].count, 0);
	us_model_free(&m);
	us_plan_free(&plan);
}

static void filtered_run(struct us_model *m, struct us_plan *plan, const struct us_filters *f)
{
	us_model_init(m, plan, f, NULL);
	enter(m, 1, 0, MAIN, 0x8000);
	enter(m, 1, 10, A, 0x7f00);
	enter(m, 1, 20, B, 0x7e00);
	leave(m, 1, 21, B, 0x7e00);
	enter(m, 1, 30, C, 0x7e00);
	leave(m, 1, 80, C, 0x7e00);
	leave(m, 1, 90, A, 0x7f00);
	leave(m, 1, 100, MAIN, 0x8000);
	us_model_finish(m, 100);
}

TEST(model_filters_exclude_depth_duration)
{
	struct us_plan plan;
	struct us_filters f = { 0 };
	struct us_model m;
	const struct us_node *n;

	make_plan(&plan, names, 4);
	us_filters_add_exclude(&f, "a");
	filtered_run(&m, &plan, &f);
	/* a hidden: its children hang under main, its time is main's self */
	CHECK(node_at(&m, 0, (uint32_t[]){ MAIN, A }, 2) == NULL);
	n = node_at(&m, 0, (uint32_t[]){ MAIN, C }, 2);
	CHECK(n && n->total_ns == 50);
	CHECK_EQ(node_at(&m, 0, (uint32_t[]){ MAIN }, 1)->self_ns, 100 - 50 - 1);
	us_model_free(&m);
	us_filters_free(&f);

	f.max_depth = 2;
	filtered_run(&m, &plan, &f);
	CHECK(node_at(&m, 0, (uint32_t[]){ MAIN, A, C }, 3) == NULL);
	CHECK_EQ(node_at(&m, 0, (uint32_t[]){ MAIN, A }, 2)->self_ns, 80);
	us_model_free(&m);

	f.max_depth = 0;
	f.min_duration_ns = 10;
	filtered_run(&m, &plan, &f);
	CHECK_EQ(node_at(&m, 0, (uint32_t[]){ MAIN, A, B }, 3)->count, 0);
	CHECK_EQ(node_at(&m, 0, (uint32_t[]){ MAIN, A, C }, 3)->count, 1);
	CHECK_EQ(node_at(&m, 0, (uint32_t[]){ MAIN, A }, 2)->self_ns, 30);
	us_model_free(&m);
	us_plan_free(&plan);
}

static void lose_records(struct us_model *m, uint32_t tid, uint64_t ts, uint64_t count)
{
	struct us_lost_event e = { .hdr = { US_EV_LOST, sizeof(e), tid, ts }, .count = count };

	us_model_add_event(m, &e.hdr);
}

/* An exit after a loss at the entry's stack pointer may be another call's:
 * the pairing is marked inferred and leaves min/max alone. */
TEST(model_pairings_across_a_loss_are_inferred)
{
	struct us_plan plan;
	struct us_model m;

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	enter(&m, 1, 0, A, 0x8000);
	leave(&m, 1, 100, A, 0x8000);		/* proven: 100 ns */
	enter(&m, 1, 200, A, 0x8000);
	lose_records(&m, 1, 300, 7);		/* its exit and more were lost */
	leave(&m, 1, 900000, A, 0x8000);	/* a later call's exit */
	enter(&m, 2, 1000, B, 0x9000);		/* another thread is not touched */
	leave(&m, 2, 1010, B, 0x9000);
	us_model_finish(&m, 1000000);
	CHECK_EQ(m.lost_records, 7);
	CHECK_EQ(m.funcs[A].count, 2);
	CHECK_EQ(m.funcs[A].inferred_exits, 1);
	CHECK_EQ(m.funcs[A].timed, 1);
	CHECK_EQ(m.funcs[A].max_ns, 100);
	CHECK_EQ(m.funcs[B].inferred_exits, 0);
	us_model_free(&m);
	us_plan_free(&plan);
}

/* The kernel gives an exited thread's id to a new thread: two threads. */
TEST(model_a_recycled_thread_id_is_a_new_thread)
{
	struct us_plan plan;
	struct us_model m;
	struct us_thread_event te = { .hdr = { US_EV_THREAD_EXIT, sizeof(te), 7, 20 } };

	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	enter(&m, 7, 0, A, 0x8000);
	leave(&m, 7, 10, A, 0x8000);
	us_model_add_event(&m, &te.hdr);
	enter(&m, 7, 30, B, 0x8000);
	leave(&m, 7, 40, B, 0x8000);
	us_model_finish(&m, 50);
	CHECK_EQ(m.n_threads, 2);
	CHECK(node_at(&m, 0, (uint32_t[]){ A }, 1) != NULL);
	CHECK(node_at(&m, 0, (uint32_t[]){ B }, 1) == NULL);
	CHECK(node_at(&m, 1, (uint32_t[]){ B }, 1)->count == 1);
	us_model_free(&m);
	us_plan_free(&plan);
}

/* A later SITES chunk (a program a followed process exec'd): its sites get
 * functions of their own after the ones made since. */
TEST(model_sites_added_later_get_their_own_functions)
{
	struct us_plan plan;
	struct us_model m;
	struct us_site late = { .function = "late", .object = "/bin/other", .probeable = true };
	uint32_t fn;

	make_plan(&plan, names, 2);
	us_model_init(&m, &plan, NULL, NULL);
	enter(&m, 1, 1, A, 0x8000);
	leave(&m, 1, 2, A, 0x8000);
	us_plan_add_site(&plan, &late);	/* site 2 */
	enter(&m, 7, 3, 2, 0x9000);
	leave(&m, 7, 4, 2, 0x9000);
	us_model_finish(&m, 5);
	fn = us_model_site_function(&m, 2);
	CHECK(fn != US_ROOT_FN && fn >= 2);
	CHECK_STR(m.functions[fn].name, "late");
	CHECK_EQ(m.funcs[fn].count, 1);
	CHECK_EQ(m.funcs[A].count, 1);
	CHECK_EQ(us_model_site_function(&m, 9), US_ROOT_FN);
	us_model_free(&m);
	us_plan_free(&plan);
}

/* --aggregate: BPF's counters become the function's, as the exact mode
 * would have them; CPUs merge by sum, smallest minimum, largest maximum. */
TEST(model_takes_aggregated_counters)
{
	struct us_call_stats per_cpu[2] = {
		{ .calls = 3, .timed = 3, .total_ns = 300, .self_ns = 200, .min_ns = 50, .max_ns = 150,
		  .latency = { [5] = 1, [6] = 2 } },
		{ .calls = 2, .timed = 1, .total_ns = 40, .self_ns = 40, .min_ns = 40, .max_ns = 40,
		  .latency = { [5] = 1 } },
	};
	struct us_func_stats_event ev = {
		.hdr = { .type = US_EV_FUNC_STATS, .size = sizeof(ev), .tid = 1, .ts_ns = 9 },
		.site_id = B,
	};
	struct us_plan plan;
	struct us_model m;

	us_call_stats_merge(per_cpu, 2, &ev.stats);
	make_plan(&plan, names, 4);
	us_model_init(&m, &plan, NULL, NULL);
	us_model_add_event(&m, &ev.hdr);
	CHECK(m.aggregated);
	CHECK_EQ(m.funcs[B].count, 5);
	CHECK_EQ(m.funcs[B].timed, 4);
	CHECK_EQ(m.funcs[B].unfinished, 1);
	CHECK_EQ(m.funcs[B].total_ns, 340);
	CHECK_EQ(m.funcs[B].self_ns, 240);
	CHECK_EQ(m.funcs[B].min_ns, 40);
	CHECK_EQ(m.funcs[B].max_ns, 150);
	CHECK_EQ(m.funcs[B].latency[5], 2);
	CHECK_EQ(m.funcs[B].latency[6], 2);
	CHECK_EQ(m.total_calls, 5);
	/* the next second's record holds the totals since the start: it replaces */
	ev.stats.calls = 8;
	ev.stats.timed = 8;
	ev.stats.latency[5] = 6;
	us_model_add_event(&m, &ev.hdr);
	CHECK_EQ(m.funcs[B].count, 8);
	CHECK_EQ(m.funcs[B].unfinished, 0);
	CHECK_EQ(m.funcs[B].latency[5], 6);
	CHECK_EQ(m.total_calls, 8);
	us_model_free(&m);
	us_plan_free(&plan);
}
