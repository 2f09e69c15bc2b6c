/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every probe family shares. Each BPF object declares these maps;
 * userspace makes them the same maps (bpf_map__reuse_fd) before loading the
 * second and later objects, so that:
 * - events of all families go into one ring buffer and keep one order;
 * - one `shared` state stops them all at once. When tracing stops, every
 *   entry probe declines to arm its return probe (session programs returning
 *   US_SKIP_RETURN): a return probe armed on a frame that never returns
 *   (`main`, a server loop) would hold the kernel's uretprobe SRCU read lock,
 *   and each later arm on that thread pushes back the timer that releases
 *   it, so detach would wait in the kernel for as long as the target runs.
 * Records go in without waking the consumer, which drains on a short timer,
 * unless the buffer is filling up (docs/performance.md: 6.7 vs 2.4 us).
 */
#ifndef USCOPE_SHARED_BPF_H
#define USCOPE_SHARED_BPF_H

#include "events.h"

/* What a session program returns at a function's entry. */
#define US_KEEP_RETURN 0	/* run this program again when the function returns */
#define US_SKIP_RETURN 1	/* do not arm a return probe for this call */

const volatile __u32 target_tgid = 0;
/* Wake the consumer once this many bytes wait in the ring buffer. */
const volatile __u64 wakeup_bytes = 1 << 20;

struct us_shared_state shared SEC(".data.shared");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);	/* resized by userspace before load */
} events SEC(".maps");

/* Per thread: records lost since its last US_EV_LOST record. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} thread_losses SEC(".maps");

static __always_inline __u64 submit_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* --follow: the processes the target made, traced too (tgid -> 1). Their
 * probes are links for their own pid, so only they reach this lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u32);
} followed SEC(".maps");

static __always_inline bool traced_process(__u32 tgid)
{
	return tgid == target_tgid || bpf_map_lookup_elem(&followed, &tgid);
}

/* The kernel thread id when the current task belongs to the target, else 0. */
static __always_inline __u32 target_thread(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (shared.tracing_stopped)
		return 0;
	return traced_process((__u32)(pid_tgid >> 32)) ? (__u32)pid_tgid : 0;
}

static __always_inline void fill_header(struct us_event_header *hdr, __u16 type, __u16 size,
					__u32 tid)
{
	hdr->type = type;
	hdr->size = size;
	hdr->tid = tid;
	hdr->ts_ns = bpf_ktime_get_ns();
}

static __always_inline void count_loss(void)
{
	__u64 *n = bpf_task_storage_get(&thread_losses, bpf_get_current_task_btf(), 0,
					BPF_LOCAL_STORAGE_GET_F_CREATE);

	__sync_fetch_and_add(&shared.lost_events, 1);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Before a thread's next record: the records it lost since its last one, so
 * the model knows which of its calls cannot be paired with certainty. Costs
 * one read of a shared counter until the first loss. */
static __always_inline void report_thread_losses(__u32 tid)
{
	struct us_lost_event *e;
	__u64 *n;

	if (!shared.lost_events)
		return;
	n = bpf_task_storage_get(&thread_losses, bpf_get_current_task_btf(), 0, 0);
	if (!n || !*n)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	fill_header(&e->hdr, US_EV_LOST, sizeof(*e), tid);
	e->count = __sync_lock_test_and_set(n, 0);
	bpf_ringbuf_submit(e, submit_flags());
}

/* A record that asks uscope to act on a stopped thread, and the stop. The
 * SIGSTOP is made pending first: uscope may read the record and send SIGCONT
 * the moment it is submitted (even before this program ends, if the reader
 * preempts the target), and a SIGCONT then drops the pending stop instead
 * of arriving before it and leaving the target stopped for good. */
static __always_inline void submit_and_stop(void *record)
{
	bpf_send_signal(19 /* SIGSTOP */);
	bpf_ringbuf_submit(record, BPF_RB_FORCE_WAKEUP);
}

/*
 * The kernel arms at most 64 returns per thread (MAX_URETPROBE_DEPTH) and
 * drops the returns a longjmp or an exception skipped only when it arms the
 * next one, after checking that limit: a thread that jumped out of 64 armed
 * frames would get no return again until an older frame returned. uscope
 * arms no return while 63 armed frames are live, so the kernel's count stays
 * below its limit and each arm drops the stale returns first.
 */
#define US_KERNEL_RETURN_LIMIT 64

/* Whether a return may be armed for a call whose entry has stack pointer sp
 * (tail_call: the frame of an armed caller is reused, so a return armed at
 * the same sp stays live: the kernel's chained check). */
static __always_inline bool return_can_be_armed(__u64 sp, bool tail_call)
{
	struct uprobe_task *utask = bpf_get_current_task_btf()->utask;
	struct return_instance *newest;
	__u64 newest_sp;

	if (!utask || utask->depth < US_KERNEL_RETURN_LIMIT - 1)
		return true;
	newest = utask->return_instances;
	if (!newest)
		return true;
	newest_sp = newest->stack;
	/* the newest armed frame is gone: arming drops it (and all stale ones) */
	return newest_sp < sp || (newest_sp == sp && !tail_call);
}

/* ---- --aggregate: counters in BPF maps, no per-call records ----------- */

extern __u64 *bpf_session_cookie(void) __ksym;

/* Per thread: the time spent in traced calls made by each open call, for
 * self times (at most US_KERNEL_RETURN_LIMIT - 1 returns are armed). */
struct aggregate_thread {
	__u32 depth;
	__u32 pad;
	__u64 child_ns[US_KERNEL_RETURN_LIMIT];
	__u64 key[US_KERNEL_RETURN_LIMIT];	/* what each open call counts under */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct aggregate_thread);
} aggregate_threads SEC(".maps");

#define AGGREGATE_DEPTH_SHIFT 56
#define AGGREGATE_TIME_MASK ((1ull << AGGREGATE_DEPTH_SHIFT) - 1)

/* At an entry whose return is armed: the session cookie keeps the start
 * time and the thread's nesting depth (resynchronised at the return, so a
 * longjmp or an exception that skipped returns does not shift it). */
static __always_inline void aggregate_entered(__u64 key)
{
	struct aggregate_thread *t = bpf_task_storage_get(&aggregate_threads,
							  bpf_get_current_task_btf(), 0,
							  BPF_LOCAL_STORAGE_GET_F_CREATE);
	__u64 *cookie = bpf_session_cookie();
	__u32 depth;

	if (!t || !cookie)
		return;
	depth = t->depth < US_KERNEL_RETURN_LIMIT ? t->depth : US_KERNEL_RETURN_LIMIT - 1;
	t->child_ns[depth] = 0;
	t->key[depth] = key;
	t->depth = depth + 1;
	*cookie = (bpf_ktime_get_ns() & AGGREGATE_TIME_MASK) | (__u64)depth << AGGREGATE_DEPTH_SHIFT;
}

static __always_inline __u32 latency_bucket(__u64 ns)
{
	__u32 bucket = 0;

	for (int shift = 32; shift > 0; shift >>= 1) {
		if (ns >= 1ull << shift) {
			ns >>= shift;
			bucket += shift;
		}
	}
	return bucket < US_LATENCY_BUCKETS ? bucket : US_LATENCY_BUCKETS - 1;
}

/* A constant a probe reads: kept in .rodata, where its BTF says it is
 * (clang would put a plain `static const char[]` into .rodata.str1.1, and
 * the kernel then rejects the object's BTF, so that global functions stop
 * being verified on their own). */
#define US_RODATA __attribute__((section(".rodata")))

/* At the return: the call's time, and the key its entry kept (0: none). */
struct aggregate_return {
	__u64 dur, self, key;
};

static __always_inline bool aggregate_return_of(struct aggregate_return *r)
{
	struct aggregate_thread *t = bpf_task_storage_get(&aggregate_threads,
							  bpf_get_current_task_btf(), 0, 0);
	__u64 *cookie = bpf_session_cookie();
	__u64 child = 0;
	__u32 depth;

	if (!cookie || !*cookie)
		return false;
	r->dur = (bpf_ktime_get_ns() - *cookie) & AGGREGATE_TIME_MASK;
	depth = (__u32)(*cookie >> AGGREGATE_DEPTH_SHIFT) & (US_KERNEL_RETURN_LIMIT - 1);
	r->key = 0;
	if (t) {
		child = t->child_ns[depth];
		r->key = t->key[depth];
		t->depth = depth;
		if (depth > 0)
			t->child_ns[depth - 1] += r->dur;
	}
	r->self = r->dur > child ? r->dur - child : 0;
	return true;
}

/* The counters of `key` in per-CPU hash `map`, made at their first call. */
/* New counters: zero, from .rodata rather than 300 bytes of the stack. */
static const struct us_call_stats zero_call_stats US_RODATA;

static __always_inline struct us_call_stats *call_stats_of(void *map, const void *key)
{
	struct us_call_stats *st = bpf_map_lookup_elem(map, key);

	if (st)
		return st;
	bpf_map_update_elem(map, key, &zero_call_stats, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* The call's time into its counters. */
static __always_inline void aggregate_returned(struct us_call_stats *st,
					       const struct aggregate_return *r)
{
	__u64 dur = r->dur;

	st->timed++;
	st->total_ns += dur;
	st->self_ns += r->self;
	if (!st->min_ns || dur < st->min_ns)
		st->min_ns = dur;
	if (dur > st->max_ns)
		st->max_ns = dur;
	st->latency[latency_bucket(dur)]++;
}

/* Reserves a record and fills its header; a full buffer counts a lost event. */
static __always_inline void *reserve_event(__u16 type, __u16 size, __u32 tid)
{
	struct us_event_header *hdr;

	report_thread_losses(tid);
	hdr = bpf_ringbuf_reserve(&events, size, 0);
	if (!hdr) {
		count_loss();
		return NULL;
	}
	fill_header(hdr, type, size, tid);
	return hdr;
}

#endif /* USCOPE_SHARED_BPF_H */
