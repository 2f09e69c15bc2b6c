// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "unwind.h"
#include "unwind_frames.h"

static const char *name_of(struct us_unwinder *u, uint64_t pc, bool return_address)
{
	struct us_frame_name n;

	us_unwinder_name(u, pc, return_address, &n);
	return n.function ? n.function : "?";
}

/* Code without frame pointers unwinds from a stack copy through its own
 * frames, into this test and on through libc to _start. */
TEST(unwind_a_copied_stack_without_frame_pointers)
{
	static struct captured c;
	struct us_unwinder *u;
	uint64_t pcs[64];
	bool complete;
	size_t n;

	CHECK_EQ(unwind_outer(&c, 1), 7);
	u = us_unwinder_for_process(getpid());
	CHECK(u != NULL);
	n = us_unwind(u, gettid(), &c.regs, c.stack, c.len, pcs, 64, &complete);
	CHECK(n >= 4);
	CHECK(strcmp(name_of(u, pcs[0], false), "unwind_leaf") == 0);
	CHECK(strcmp(name_of(u, pcs[1], true), "unwind_middle") == 0);
	CHECK(strcmp(name_of(u, pcs[2], true), "unwind_outer") == 0);
	CHECK(strstr(name_of(u, pcs[3], true), "unwind_a_copied_stack") != NULL);
	us_unwinder_free(u);
}

/* A copy cut short stops the walk where the copy ends: no frame made up. */
TEST(unwind_stops_at_the_end_of_the_copy)
{
	static struct captured c;
	struct us_unwinder *u;
	uint64_t pcs[64];
	bool complete;
	size_t n;

	unwind_outer(&c, 2);
	u = us_unwinder_for_process(getpid());
	n = us_unwind(u, gettid(), &c.regs, c.stack, 8, pcs, 64, &complete);
	CHECK(!complete);
	CHECK(n >= 1 && n <= 2);
	CHECK(strcmp(name_of(u, pcs[0], false), "unwind_leaf") == 0);
	us_unwinder_free(u);
}
