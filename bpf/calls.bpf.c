// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Function entry and exit for every traced function. One program serves all
 * entry sites and one all returns; the attach cookie names the probe site.
 * Events go to a ring buffer without waking the consumer, which drains it on
 * a short timer, unless the buffer is filling up (DESIGN.md: 6.7 vs 2.4 us).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 target_tgid = 0;
/* Wake the consumer once this many bytes wait in the ring buffer. */
const volatile __u64 wakeup_bytes = 1 << 20;

/* Events that did not fit in the ring buffer. */
__u64 lost_events = 0;

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

/* The uretprobe trampoline's address in the target's address space. The
 * kernel maps it at the first probe hit and keeps it for the life of that mm;
 * an exec brings a new mm, so the cache is keyed by it. */
static struct mm_struct *trampoline_mm;
static unsigned long trampoline_vaddr;

static __always_inline unsigned long uretprobe_trampoline(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = task->mm;	/* BTF loads: fault-safe */
	struct xol_area *area;

	if (mm == trampoline_mm && trampoline_vaddr)
		return trampoline_vaddr;
	area = mm->uprobes_state.xol_area;
	trampoline_mm = mm;
	trampoline_vaddr = area ? area->vaddr : 0;
	return trampoline_vaddr;
}

/* The return address at [sp] is the uretprobe trampoline: the function was
 * jumped to from a traced function whose return is already hijacked. */
static __always_inline __u32 tail_call_flag(struct pt_regs *ctx)
{
	unsigned long trampoline = uretprobe_trampoline();
	__u64 return_address = 0;

	if (!trampoline)
		return 0;
	bpf_probe_read_user(&return_address, sizeof(return_address), (void *)PT_REGS_SP(ctx));
	return return_address == trampoline ? US_CALL_TAIL : 0;
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

static __always_inline int emit_call(struct pt_regs *ctx, __u16 type)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct us_call_event *e;

	if ((__u32)(pid_tgid >> 32) != target_tgid)
		return 0;
	e = reserve_event(type, sizeof(*e), (__u32)pid_tgid);
	if (!e)
		return 0;
	e->site_id = (__u32)bpf_get_attach_cookie(ctx);
	e->flags = type == US_EV_CALL_ENTRY ? tail_call_flag(ctx) : 0;
	e->sp = PT_REGS_SP(ctx);
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(call_entry)
{
	return emit_call(ctx, US_EV_CALL_ENTRY);
}

SEC("uretprobe")
int BPF_KRETPROBE(call_exit)
{
	return emit_call(ctx, US_EV_CALL_EXIT);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct us_thread_event *e;

	if ((__u32)(pid_tgid >> 32) != target_tgid)
		return 0;
	e = reserve_event(US_EV_THREAD_EXIT, sizeof(*e), (__u32)pid_tgid);
	if (!e)
		return 0;
	e->pid = target_tgid;
	e->exit_code = BPF_CORE_READ(task, exit_code);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* a thread exit is rare and may end the trace: always wake */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}
