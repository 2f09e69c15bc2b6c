// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Frames for test_unwind.c, built -O2 -fomit-frame-pointer (tests/unit/
 * CMakeLists.txt): the code uscope must unwind without frame pointers. */
#include "unwind_frames.h"

static struct captured *capture_to;

/* The caller's registers and stack as they are at our return address.
 * The copy reads other frames' bytes, redzones too: not for AddressSanitizer. */
__attribute__((noinline, no_sanitize("address"))) static void capture(void)
{
	struct captured *c = capture_to;
	const volatile uint8_t *from;
	uint64_t bp;

	__asm__ volatile("mov %%rbp, %0" : "=r"(bp));
	c->regs.ip = (uint64_t)__builtin_return_address(0);
	c->regs.sp = (uint64_t)__builtin_dwarf_cfa();
	c->regs.bp = bp;
	c->len = sizeof(c->stack);
	from = (const volatile uint8_t *)c->regs.sp;
	for (size_t i = 0; i < c->len; i++)
		c->stack[i] = from[i];
}

__attribute__((noinline)) int unwind_leaf(int x)
{
	capture();
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

__attribute__((noinline)) int unwind_middle(int x)
{
	int r = unwind_leaf(x) * 2;

	__asm__ volatile("" ::: "memory");
	return r;
}

__attribute__((noinline)) int unwind_outer(struct captured *c, int x)
{
	int r;

	capture_to = c;
	r = unwind_middle(x) + 3;
	__asm__ volatile("" ::: "memory");
	return r;
}
