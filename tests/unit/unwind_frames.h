/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef USCOPE_TEST_UNWIND_FRAMES_H
#define USCOPE_TEST_UNWIND_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include "unwind.h"

struct captured {
	struct us_user_regs regs;
	uint8_t stack[2048];	/* the test's frames are well within it */
	size_t len;
};

/* unwind_outer -> unwind_middle -> unwind_leaf, which copies its stack into c. */
int unwind_outer(struct captured *c, int x);

#endif
