/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * plan: --lines through CPython's own C trace function, trace_trampoline
 * (what sys.settrace installs), found in an interpreter without .symtab
 * (Debian's python3.11): sys_settrace loads its address into the second
 * argument right before it calls the exported _PyEval_SetTrace. Pure:
 * reads the ELF file.
 */
#ifndef USCOPE_PLAN_PYTHON_HOOK_H
#define USCOPE_PLAN_PYTHON_HOOK_H

#include <stddef.h>
#include <stdint.h>
#include "python_layout.h"

/* A place where an optimised build calls the hook without a call: GCC's
 * speculative devirtualisation (PGO) compares the trace function with it
 * (`cmp $hook, %reg`) and runs an inlined copy when they are equal, so a
 * probe on the function never sees those calls. The probe goes on the
 * conditional jump right after the compare (the kernel emulates it). */
struct us_hook_site {
	uint64_t file_offset;		/* the jump */
	enum us_register function_register;	/* holds the trace function there */
};

#define US_HOOK_SITES_MAX 4

/* The ELF address of the one function whose address is put in esi/rsi
 * (`mov $imm32, %esi` or `lea rel32(%rip), %rsi`) just before a `call` of
 * `set_trace_vaddr` in the code of `path`; 0 when there is not exactly one. */
uint64_t us_find_trace_trampoline(const char *path, uint64_t set_trace_vaddr);
/* The inlined uses of the hook at `hook_vaddr` in `path`, at most
 * US_HOOK_SITES_MAX in `out`; returns how many there are (more than
 * US_HOOK_SITES_MAX: the caller gives up, some would go unseen). */
size_t us_find_hook_sites(const char *path, uint64_t hook_vaddr, struct us_hook_site *out);

#endif
