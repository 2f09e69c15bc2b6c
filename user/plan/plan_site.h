/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * plan: where in a function the probe goes, and what it will cost.
 * The kernel emulates some instructions under a uprobe (push, nop, relative
 * jumps and calls: ~0.9 us a hit here) and single-steps all others out of line
 * (~13 us). A leading endbr64 is skipped: it is a single-stepped instruction
 * and the stack pointer is the same after it. The kernel refuses to probe
 * some instructions at all (a LOCK or segment prefix, privileged or invalid
 * opcodes); it does so silently, when the object is mapped, so the plan must
 * not put a probe there: it falls back to the endbr64, or gives up.
 */
#ifndef USCOPE_PLAN_SITE_H
#define USCOPE_PLAN_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct us_placement {
	uint32_t skip;		/* bytes from the function start to the probe */
	bool probeable;		/* false: the kernel refuses this instruction */
	bool emulated;		/* the kernel emulates the instruction at the site */
	const char *insn;	/* short name of that instruction ("push", "mov"...) */
};

/* `code` holds the first bytes of the function (at least 16 when available). */
struct us_placement us_place_probe(const uint8_t *code, size_t len);

#endif
