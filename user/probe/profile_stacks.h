/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * probe: raw samples (bpf/profile.bpf.c) -> the records a profile keeps.
 * Each sample's copied stack is unwound with DWARF call-frame information
 * (lib/unwind.h), its frames named, and the Python frames the probe read
 * put in place of the interpreter frames that run them. Frames and stacks
 * are sent once each (US_EV_PROFILE_FRAME, US_EV_PROFILE_STACK), then every
 * sample is a small US_EV_PROFILE_SAMPLE naming its stack: what a recording
 * keeps does not grow with the stacks' size. CPython processes are found as
 * their samples arrive and registered with the sampler.
 */
#ifndef USCOPE_PROFILE_STACKS_H
#define USCOPE_PROFILE_STACKS_H

#include <stdint.h>
#include <sys/types.h>
#include "bpf_profile.h"
#include "events.h"

typedef void (*us_profile_emit_fn)(void *ctx, const struct us_event_header *ev);

struct us_profile_stacks;

/* Records go to `emit`; CPython processes are registered with `bpf`. */
struct us_profile_stacks *us_profile_stacks_new(struct us_bpf_profile *bpf,
						us_profile_emit_fn emit, void *ctx);
/* Looks at process `pid` now (before it runs: is it CPython?). */
void us_profile_stacks_watch(struct us_profile_stacks *s, pid_t pid);
/* A US_EV_SAMPLE_RAW or US_EV_PROCESS_EXEC record; true when it was one. */
bool us_profile_stacks_add(struct us_profile_stacks *s, const struct us_event_header *ev);
/* The losses seen so far, by cause, into `totals` (added to its counts). */
void us_profile_stacks_losses(const struct us_profile_stacks *s,
			      struct us_profile_totals_event *totals);
/* Samples unwound, distinct frames and stacks sent so far. */
struct us_profile_stacks_counts {
	uint64_t samples;
	uint32_t frames, stacks;
	size_t processes;
};
void us_profile_stacks_counts(const struct us_profile_stacks *s,
			      struct us_profile_stacks_counts *out);
/* The Python processes found ("3.11 /usr/bin/python3.11"), for messages. */
size_t us_profile_stacks_python_count(const struct us_profile_stacks *s);
void us_profile_stacks_free(struct us_profile_stacks *s);

#endif
