// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* model: repeated call patterns among a call's children. */
#include "model_helpers.h"
#include "model_patterns.h"
#include "unit.h"

enum { MAIN, A, B, C };
static const char *const names[] = { "main", "a", "b", "c" };

/* main's children, in order: each letter a call at depth 1; a call followed
 * by '+' makes one call of c inside it. */
static void run_main(struct us_model *m, const char *children, uint64_t *ts)
{
	enter(m, 1, (*ts)++, MAIN, 0x8000);
	for (const char *at = children; *at; at++) {
		uint32_t site = *at == 'a' ? A : *at == 'b' ? B : C;

		if (*at == '+')
			continue;
		enter(m, 1, (*ts)++, site, 0x7f00);
		if (at[1] == '+') {
			enter(m, 1, (*ts)++, C, 0x7e00);
			leave(m, 1, (*ts)++, C, 0x7e00);
		}
		leave(m, 1, (*ts)++, site, 0x7f00);
	}
	leave(m, 1, (*ts)++, MAIN, 0x8000);
}

static void model_of(struct us_model *m, struct us_plan *plan, const char *const *runs, size_t n)
{
	uint64_t ts = 1;

	make_plan(plan, names, 4);
	us_model_init(m, plan, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		run_main(m, runs[i], &ts);
	us_model_finish(m, ts);
}

static const struct us_call_pattern *under(const struct us_model *m, uint32_t parent)
{
	for (size_t i = 0; i < m->n_patterns; i++)
		if (m->patterns[i].enclosing == US_NO_PATTERN && m->patterns[i].parent_fn == parent)
			return &m->patterns[i];
	return NULL;
}

TEST(patterns_find_a_period_and_its_repeats)
{
	struct us_model m;
	struct us_plan plan;
	const char *const runs[] = { "ababab" };
	const struct us_call_pattern *p;

	model_of(&m, &plan, runs, 1);
	p = under(&m, MAIN);
	CHECK(p != NULL);
	if (p) {
		CHECK_EQ(p->period, 2);
		CHECK_EQ(p->repeats, 3);
		CHECK_EQ(p->block[0], A);
		CHECK_EQ(p->block[1], B);
		CHECK_EQ(p->iterations, 3);
	}
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(patterns_tell_calls_apart_by_their_subtrees)
{
	struct us_model m;
	struct us_plan plan;
	const char *const runs[] = { "a+bab" };	/* the first a calls c, the second not */

	model_of(&m, &plan, runs, 1);
	CHECK(under(&m, MAIN) == NULL);
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(patterns_nest_a_repeat_inside_a_repeated_block)
{
	struct us_model m;
	struct us_plan plan;
	const char *const runs[] = { "abbabbabb" };
	const struct us_call_pattern *p;

	model_of(&m, &plan, runs, 1);
	p = under(&m, MAIN);
	CHECK(p != NULL);
	if (p) {
		const struct us_call_pattern *inner = p + 1;

		CHECK_EQ(p->period, 3);
		CHECK_EQ(p->repeats, 3);
		CHECK((size_t)(inner - m.patterns) < m.n_patterns);
		CHECK_EQ(inner->enclosing, (uint32_t)(p - m.patterns));
		CHECK_EQ(inner->period, 1);
		CHECK_EQ(inner->repeats, 2);
		CHECK_EQ(inner->offset, 1);
		CHECK_EQ(inner->block[0], B);
	}
	us_model_free(&m);
	us_plan_free(&plan);
}

TEST(patterns_of_many_calls_of_one_parent_are_one)
{
	struct us_model m;
	struct us_plan plan;
	const char *const runs[] = { "abab", "ababab", "c" };
	const struct us_call_pattern *p;
	size_t top = 0;

	model_of(&m, &plan, runs, 3);
	for (size_t i = 0; i < m.n_patterns; i++)
		top += m.patterns[i].enclosing == US_NO_PATTERN && m.patterns[i].parent_fn == MAIN;
	CHECK_EQ(top, 1);
	p = under(&m, MAIN);
	if (p) {
		CHECK_EQ(p->occurrences, 2);
		CHECK_EQ(p->repeats, 2);	/* the first occurrence's */
		CHECK_EQ(p->iterations, 5);
	}
	us_model_free(&m);
	us_plan_free(&plan);
}
