/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ring buffer every probe family writes to. Each BPF object declares it;
 * userspace makes them one map (bpf_map__reuse_fd) so events of all families
 * keep one order. Records go in without waking the consumer, which drains on
 * a short timer, unless the buffer is filling up (DESIGN.md: 6.7 vs 2.4 us).
 */
#ifndef USCOPE_RING_BPF_H
#define USCOPE_RING_BPF_H

#include "events.h"

const volatile __u32 target_tgid = 0;
/* Wake the consumer once this many bytes wait in the ring buffer. */
const volatile __u64 wakeup_bytes = 1 << 20;

/* Events that did not fit in the ring buffer. */
__u64 lost_events = 0;

/* Set by userspace before it removes the probes: links go one at a time,
 * and a return probe left alone would report returns of calls whose entry
 * no longer is. */
__u32 tracing_stopped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);	/* resized by userspace before load */
} events SEC(".maps");

static __always_inline __u64 submit_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* The kernel thread id when the current task belongs to the target, else 0. */
static __always_inline __u32 target_thread(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (tracing_stopped)
		return 0;
	return (__u32)(pid_tgid >> 32) == target_tgid ? (__u32)pid_tgid : 0;
}

/* Reserves a record and fills its header; a full buffer counts a lost event. */
static __always_inline void *reserve_event(__u16 type, __u16 size, __u32 tid)
{
	struct us_event_header *hdr = bpf_ringbuf_reserve(&events, size, 0);

	if (!hdr) {
		__sync_fetch_and_add(&lost_events, 1);
		return NULL;
	}
	hdr->type = type;
	hdr->size = size;
	hdr->tid = tid;
	hdr->ts_ns = bpf_ktime_get_ns();
	return hdr;
}

#endif /* USCOPE_RING_BPF_H */
