/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bpf: load alloc.bpf.c (--memory), writing into the calls ring buffer so
 * that allocations keep their order with the calls of their thread. */
#ifndef USCOPE_BPF_MEMORY_H
#define USCOPE_BPF_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "bpf_links.h"
#include "events.h"
#include "plan_memory.h"

struct alloc_bpf;
struct bpf_link;

struct us_bpf_memory {
	struct alloc_bpf *skel;
	struct us_bpf_links links;
	uint64_t initial_rss_bytes;	/* when the probes went in */
};

/* Loads the programs for process `tgid`, sharing the calls object's ring
 * buffer and state. */
int us_bpf_memory_load(struct us_bpf_memory *b, pid_t tgid, const struct us_bpf_shared_maps *shared,
		       size_t ring_bytes, const struct us_memory_options *opts);
/* Attaches every allocator probe of the plan, the memory syscalls and the
 * resident-size tracepoint. On failure nothing stays attached. */
int us_bpf_memory_attach(struct us_bpf_memory *b, const struct us_memory_plan *mp, pid_t pid);
/* The memory books' last record, at `ts_ns`: the BPF-side counters and the
 * resident sizes (`live_rss_bytes`: the target's now, 0 if it exited). */
void us_bpf_memory_totals(const struct us_bpf_memory *b, uint32_t pid, uint64_t ts_ns,
			  uint64_t live_rss_bytes, struct us_mem_totals_event *totals);
void us_bpf_memory_detach(struct us_bpf_memory *b);
void us_bpf_memory_destroy(struct us_bpf_memory *b);

#endif
