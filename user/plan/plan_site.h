/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * plan: where in a function the probe goes, and what it will cost.
 * The kernel emulates some instructions under a uprobe (push, nop, relative
 * jumps and calls: ~0.9 us a hit here) and single-steps all others out of line
 * (~13 us). It refuses to probe some instructions at all (a LOCK or segment
 * prefix, privileged or invalid opcodes), silently, when the object is
 * mapped. So the function is decoded (capstone) and the probe goes on one of
 * its first instructions: before anything moves the stack pointer (the
 * return address must be at [rsp] for the return probe), on none a jump in
 * the function lands on (a loop would count each pass as a call), and
 * preferably one the kernel emulates.
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
	const char *why;	/* why there, for `uscope probes` */
	bool loop_head;		/* a jump in the function lands on the probed entry */
};

/* Where a probe that reads the function's arguments goes: its first
 * instruction, or the one after a leading endbr64. `code` holds the
 * function's bytes: all of them (the jumps in it are checked), or at least
 * its first 16. */
struct us_placement us_place_probe(const uint8_t *code, size_t len);
/* Where a call probe (which reads no argument) goes: as above, or past
 * instructions that do not move the stack, to one the kernel accepts or
 * emulates. */
struct us_placement us_place_call_probe(const uint8_t *code, size_t len);

#endif
