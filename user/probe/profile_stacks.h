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
#include "unwind.h"

typedef void (*us_profile_emit_fn)(void *ctx, const struct us_event_header *ev);

struct us_profile_stacks;

/* One thread's stack as read: by the sampler, or by ptrace (uscope dump). */
struct us_sample_view {
	pid_t pid, tid;
	uint32_t kind;			/* enum us_sample_kind */
	uint32_t state;			/* off-CPU: enum us_thread_state */
	struct us_user_regs regs;
	const uint8_t *stack;		/* from regs.sp up */
	size_t stack_len;
	const struct us_py_sample_frame *py;	/* innermost first */
	uint32_t py_count;
	bool py_truncated;
	const uint64_t *kernel_ips;	/* --kernel: innermost first */
	uint32_t kernel_count;
	bool kernel_only;		/* a kernel thread: no user part */
};

/* Records go to `emit`; CPython processes are registered with `bpf` (NULL:
 * with no sampler). */
struct us_profile_stacks *us_profile_stacks_new(struct us_bpf_profile *bpf,
						us_profile_emit_fn emit, void *ctx);
/* Looks at process `pid` now (before it runs: is it CPython?). */
void us_profile_stacks_watch(struct us_profile_stacks *s, pid_t pid);
/* A US_EV_SAMPLE_RAW or US_EV_PROCESS_EXEC record; true when it was one. */
bool us_profile_stacks_add(struct us_profile_stacks *s, const struct us_event_header *ev);
/* Unwinds and names one stack, sending its frames and stack records as
 * needed. Returns its stack id, or -1 (counted) when the process is gone;
 * *flags (may be NULL) gets its US_STACK_* flags. */
int64_t us_profile_stacks_resolve(struct us_profile_stacks *s, const struct us_sample_view *v,
				  uint16_t *flags);
/* Where the Python frames of process `pid`'s threads are, if it is a
 * CPython uscope can read (looked at now if it was not watched). */
bool us_profile_stacks_python(struct us_profile_stacks *s, pid_t pid, struct us_py_sampling *out);
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
