/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * plan: where the target's stack unwinders start. A C++ throw, a thread's
 * cancellation and glibc's backtrace() walk the stack through libgcc's
 * unwinder; before it reads a frame's return address, uscope puts back the
 * real one where its return probe put the kernel's trampoline, and where the
 * exception is caught the trampoline goes back for the frames still live
 * (bpf/calls.bpf.c). Pure: reads ELF files only.
 */
#ifndef USCOPE_PLAN_UNWINDERS_H
#define USCOPE_PLAN_UNWINDERS_H

#include <stddef.h>
#include <stdint.h>
#include "objects.h"

struct us_unwinder_entry {
	char *open_path;	/* the object, as uscope opens it */
	uint64_t file_offset;	/* the function's first instruction */
	char *function;
	uint64_t cookie;	/* US_UNWIND_RESTORE or US_UNWIND_REARM (events.h) */
};

struct us_unwinder_entries {
	struct us_unwinder_entry *items;
	size_t count, cap;
};

/* The unwinder entry points the target's objects define, and those of the
 * libgcc_s.so.1 beside its libc (glibc loads it on demand, for
 * pthread_cancel and backtrace()). */
void us_plan_unwinder_entries(const struct us_object_list *objects,
			      struct us_unwinder_entries *out);
void us_unwinder_entries_free(struct us_unwinder_entries *entries);

#endif
