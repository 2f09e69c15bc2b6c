/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lib: native stacks from a copy of a thread's stack and three registers,
 * unwound with the objects' DWARF call-frame information (.eh_frame,
 * .debug_frame) through libdw, so code built without frame pointers (all of
 * Debian's) unwinds right. Symbols come from the objects' .symtab/.dynsym
 * and installed debug files; an address with no symbol is named
 * `object+0xoffset`, never dropped.
 */
#ifndef USCOPE_UNWIND_H
#define USCOPE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where a thread was: its instruction, stack and frame pointers. */
struct us_user_regs {
	uint64_t ip, sp, bp;
};

struct us_unwinder;

/* The objects process `pid` has mapped now (/proc/PID/maps). NULL after
 * saying why. */
struct us_unwinder *us_unwinder_for_process(pid_t pid);
/* The same, saying nothing: NULL when the process is gone. */
struct us_unwinder *us_unwinder_for_process_quiet(pid_t pid);
void us_unwinder_free(struct us_unwinder *u);

/* Unwinds the stack whose bytes from regs->sp up are `stack` (`len` bytes)
 * into `pcs`, innermost first: at most `max`. Returns how many; *complete
 * says whether the walk reached the outermost frame (else it stopped at the
 * end of the copy or at a frame with no call-frame information). */
size_t us_unwind(struct us_unwinder *u, pid_t tid, const struct us_user_regs *regs,
		 const uint8_t *stack, size_t len, uint64_t *pcs, size_t max, bool *complete);

/* What a pc names: its function (without a symbol version; valid until the
 * next call) and object, or where it is in the object when no symbol covers it. `return_address`: pc is where a call returns to
 * (every frame but the innermost), so the call itself is looked up. */
struct us_frame_name {
	const char *function;	/* NULL: no symbol */
	const char *object;	/* base name of the object; NULL: in no object */
	uint64_t object_address;	/* pc as the object's own (link-time) address */
};
void us_unwinder_name(struct us_unwinder *u, uint64_t pc, bool return_address,
		      struct us_frame_name *out);

#endif
