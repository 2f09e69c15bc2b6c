// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Function entry and exit for every traced function: one session program
 * (a multi-uprobe link per object, BPF_TRACE_UPROBE_SESSION) runs at each
 * entry and again at its return; the attach cookie names the probe site.
 * Also: thread exits, uscope's own exit (which stops every probe family
 * before the kernel removes the probes), and the stop at each exec that lets
 * `run` follow a shim or wrapper to the program it execs.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "shared.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern bool bpf_session_is_return(void) __ksym;

/* user/probe/bpf_links.c makes multi-uprobe links with the bpf() syscall from its
 * own copy of these kernel definitions, which Debian 12's headers lack. */
_Static_assert(BPF_TRACE_UPROBE_MULTI == 48, "user/probe/bpf_links.c: attach type");
_Static_assert(BPF_TRACE_UPROBE_SESSION == 57, "user/probe/bpf_links.c: attach type");
_Static_assert(__builtin_offsetof(union bpf_attr, link_create.uprobe_multi.path) == 16 &&
	       __builtin_offsetof(union bpf_attr, link_create.uprobe_multi.cookies) == 40 &&
	       __builtin_offsetof(union bpf_attr, link_create.uprobe_multi.pid) == 56,
	       "user/probe/bpf_links.c: struct uprobe_multi_attr");

/* --aggregate: counters per probe site, no per-call records. */
const volatile bool aggregate = false;
/* --follow: processes the target makes are traced too (task_made). */
const volatile bool follow = false;

/* --aggregate: the counters of the first sites are in a per-CPU array (a
 * lookup the verifier inlines: ~60 ns a hit less than a hash here), sized
 * by userspace to a fixed memory budget; sites past it (many CPUs, many
 * functions) in a hash that holds only the sites called. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);	/* US_DENSE_SITES_BUDGET / (CPUs x value size) */
	__type(key, __u32);
	__type(value, struct us_call_stats);
} dense_site_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct us_call_stats);
} site_stats SEC(".maps");

const volatile __u32 dense_sites = 0;	/* entries of dense_site_stats */

/* uscope's own process: when it exits (even by SIGKILL), tracing stops. */
const volatile __u32 uscope_tgid = 0;

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

/* Returns a longjmp or an exception left armed in frames that are gone
 * (below sp) are skipped up to this many; past them, [sp] is read. */
#define US_STALE_RETURNS_SKIPPED 8

/* The return address at [sp] is the uretprobe trampoline: the function was
 * jumped to from a traced function whose return is already hijacked. Only
 * a live armed return whose slot is [sp] can have put it there, so the
 * kernel's list of armed returns answers most entries with BTF loads; the
 * slot itself is read (a helper call, ~40 ns) only when one is at sp. */
static __always_inline __u32 tail_call_flag(struct pt_regs *ctx)
{
	struct uprobe_task *utask = bpf_get_current_task_btf()->utask;
	struct return_instance *armed = utask ? utask->return_instances : NULL;
	unsigned long trampoline;
	__u64 sp = PT_REGS_SP(ctx), return_address = 0;
	int stale = 0;

	for (; stale < US_STALE_RETURNS_SKIPPED && armed && armed->stack < sp; stale++)
		armed = armed->next;
	if (!armed || (stale < US_STALE_RETURNS_SKIPPED && armed->stack != sp))
		return 0;
	trampoline = uretprobe_trampoline();
	if (!trampoline)
		return 0;
	bpf_probe_read_user(&return_address, sizeof(return_address), (void *)sp);
	return return_address == trampoline ? US_CALL_TAIL : 0;
}

static __always_inline void emit_call(struct pt_regs *ctx, __u16 type, __u32 tid, __u32 flags)
{
	struct us_call_event *e = reserve_event(type, sizeof(*e), tid);

	if (!e)
		return;
	e->site_id = (__u32)bpf_get_attach_cookie(ctx);
	e->flags = flags;
	e->sp = PT_REGS_SP(ctx);
	bpf_ringbuf_submit(e, submit_flags());
}

/* At a loop-head entry with the trampoline at [sp]: the newest armed return
 * is this very function's, at this very sp, so the loop came back to the
 * entry (a tail call from another traced function has the caller's). */
static __always_inline bool loop_came_back(struct pt_regs *ctx)
{
	struct uprobe_task *utask = bpf_get_current_task_btf()->utask;
	struct return_instance *newest = utask ? utask->return_instances : NULL;

	return newest && newest->stack == PT_REGS_SP(ctx) && newest->func == PT_REGS_IP(ctx);
}

static __always_inline struct us_call_stats *stats_of_site(struct pt_regs *ctx)
{
	__u32 site = (__u32)bpf_get_attach_cookie(ctx);

	if (site < dense_sites)
		return bpf_map_lookup_elem(&dense_site_stats, &site);
	return call_stats_of(&site_stats, &site);
}

static __always_inline void call_entered_aggregated(struct pt_regs *ctx, __u32 flags)
{
	struct us_call_stats *st = stats_of_site(ctx);

	if (st)
		st->calls++;
	if (!(flags & US_CALL_NO_RETURN))
		aggregate_entered(0);
}

static __always_inline void call_returned_aggregated(struct pt_regs *ctx)
{
	struct us_call_stats *st = stats_of_site(ctx);
	struct aggregate_return r;

	if (st && aggregate_return_of(&r))
		aggregate_returned(st, &r);
}

/* Set at load: the program is a session program (user/probe/bpf_links.c). */
SEC("uprobe")
int BPF_KPROBE(call_probe)
{
	__u32 tid = target_thread();
	__u32 flags;

	if (bpf_session_is_return()) {
		if (tid && aggregate)
			call_returned_aggregated(ctx);
		else if (tid)
			emit_call(ctx, US_EV_CALL_EXIT, tid, 0);
		return 0;
	}
	if (!tid)
		return US_SKIP_RETURN;
	flags = tail_call_flag(ctx);
	if ((flags & US_CALL_TAIL) && (bpf_get_attach_cookie(ctx) & US_COOKIE_LOOP_HEAD) &&
	    loop_came_back(ctx))
		return US_SKIP_RETURN;
	if (!return_can_be_armed(PT_REGS_SP(ctx), flags & US_CALL_TAIL))
		flags |= US_CALL_NO_RETURN;
	if (aggregate)
		call_entered_aggregated(ctx, flags);
	else
		emit_call(ctx, US_EV_CALL_ENTRY, tid, flags);
	return flags & US_CALL_NO_RETURN ? US_SKIP_RETURN : US_KEEP_RETURN;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(thread_exit, struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct us_thread_event *e;
	__u32 tid;

	/* uscope is exiting: its probes go when its files close, after this */
	if (uscope_tgid && (__u32)pid_tgid == uscope_tgid && (__u32)(pid_tgid >> 32) == uscope_tgid) {
		shared.tracing_stopped = 1;
		return 0;
	}
	tid = target_thread();
	if (!tid)
		return 0;
	if (follow && (__u32)(pid_tgid >> 32) == tid && tid != target_tgid)
		bpf_map_delete_elem(&followed, &tid);	/* a followed process ended */
	e = reserve_event(US_EV_THREAD_EXIT, sizeof(*e), tid);
	if (!e)
		return 0;
	e->pid = (__u32)(pid_tgid >> 32);
	e->exit_code = BPF_CORE_READ(task, exit_code);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* a thread exit is rare and may end the trace: always wake */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* `run` through a shim, and --follow: a traced process stops right after
 * each exec, before its first instruction, so userspace can see what it
 * became and place probes. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(stop_after_exec)
{
	__u32 tid = target_thread();
	struct us_process_exec_event *e;

	if (!tid)
		return 0;
	if (!follow) {
		bpf_send_signal(19 /* SIGSTOP */);	/* uscope waits for the stop */
		return 0;
	}
	/* stopped with its record, which uscope answers with SIGCONT; when the
	 * buffer is full there is no record, so no stop either */
	e = reserve_event(US_EV_PROCESS_EXEC, sizeof(*e), tid);
	if (!e)
		return 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	submit_and_stop(e);
	return 0;
}

extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type,
				__u64 value) __ksym;

/* --follow: a traced process made a thread or a process. A new process is
 * stopped before its first instruction (the signal waits for it) until
 * uscope has put its probes in: its own links, for its pid. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(task_made, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_pid = parent->tgid, pid = child->tgid, tid = child->pid, one = 1;
	struct us_task_event *e;

	if (shared.tracing_stopped || !traced_process(parent_pid))
		return 0;
	if (pid == tid) {
		bpf_map_update_elem(&followed, &pid, &one, BPF_ANY);
		shared.processes_made = 1;
	}
	e = reserve_event(US_EV_TASK_NEW, sizeof(*e), tid);
	if (!e)
		return 0;	/* counted lost: uscope would not continue it, so no stop */
	e->pid = pid;
	e->parent_pid = parent_pid;
	e->parent_tid = parent->pid;
	e->pad = 0;
	/* stop first: uscope may continue the child as soon as it reads this */
	if (pid == tid)
		bpf_send_signal_task(child, 19 /* SIGSTOP */, PIDTYPE_TGID, 0);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/*
 * The target's stack unwinder starts: a C++ throw, pthread_cancel, glibc's
 * backtrace() (_Unwind_RaiseException, _Unwind_ForcedUnwind, _Unwind_Resume,
 * _Unwind_Backtrace ...). The unwinder reads each frame's return address;
 * where the kernel armed a return probe, that slot holds the uretprobe
 * trampoline, which no unwind table covers, and the unwinder gives up:
 * std::terminate, "terminate called ...", status 134. So the real return
 * addresses go back into those slots, from the kernel's own list of armed
 * returns, before the unwinder reads them. Those calls then return without
 * the kernel seeing it, as after a longjmp: their ends are inferred, and the
 * kernel drops the stale returns at its next arm (return_can_be_armed).
 * Only a slot of a live frame that still holds the trampoline is written,
 * with the address the kernel itself would put back there. Where the
 * exception is caught (__cxa_begin_catch), the frames still live get the
 * trampoline back, so their returns are seen again: only the frames the
 * exception unwound end inferred.
 *
 * Where the kernel lets BPF write user memory, restore_return_addresses does
 * it at once. In lockdown (Secure Boot kernels, and these machines) it does
 * not: stop_for_unwinder sends the slots to uscope and stops the target,
 * which uscope continues once it has written them (user/cli/cmd_trace.c).
 */

/* The next armed return's slot when it is live (above sp) and holds what
 * is to be replaced: the trampoline, to put the real return address back;
 * or, to re-arm (US_UNWIND_REARM), the real return address the unwinder
 * left there, to put the trampoline back. The walk goes from the newest
 * armed return to the oldest. */
static __always_inline bool slot_to_write(struct return_instance *armed, __u64 sp,
					  unsigned long trampoline, bool rearm,
					  struct us_return_slot *out)
{
	__u64 held = 0;

	out->address = armed->stack;
	out->real = armed->orig_ret_vaddr;
	return out->address > sp && out->real != trampoline &&
	       !bpf_probe_read_user(&held, sizeof(held), (void *)out->address) &&
	       held == (rearm ? out->real : trampoline);
}

static __always_inline struct return_instance *newest_armed_return(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct uprobe_task *utask = task->utask;

	if (!traced_process((__u32)(bpf_get_current_pid_tgid() >> 32)) || !utask)
		return NULL;
	return utask->return_instances;
}

SEC("uprobe")
int BPF_KPROBE(restore_return_addresses)
{
	struct return_instance *armed = newest_armed_return();
	unsigned long trampoline = uretprobe_trampoline();
	struct us_return_slot slot;

	bool rearm = bpf_get_attach_cookie(ctx) == US_UNWIND_REARM;
	__u64 trampoline_value = trampoline;

	for (int i = 0; i < US_UNWIND_MAX_SLOTS && armed && trampoline; i++) {
		if (slot_to_write(armed, PT_REGS_SP(ctx), trampoline, rearm, &slot))
			bpf_probe_write_user((void *)slot.address,
					     rearm ? &trampoline_value : &slot.real, 8);
		armed = armed->next;
	}
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(stop_for_unwinder)
{
	struct return_instance *armed = newest_armed_return();
	unsigned long trampoline = uretprobe_trampoline();
	struct us_unwind_stop_event *e;
	__u32 tid = target_thread();
	__u32 n = 0, found = 0;

	/* once tracing stops, nobody would continue the target */
	if (!armed || !trampoline || !tid)
		return 0;
	e = reserve_event(US_EV_UNWIND_STOP, sizeof(*e), tid);
	if (!e)
		return 0;
	e->rearm = bpf_get_attach_cookie(ctx) == US_UNWIND_REARM;
	/* slot i is armed return i; address 0 where nothing is to be written */
	for (; n < US_UNWIND_MAX_SLOTS && armed; n++) {
		if (slot_to_write(armed, PT_REGS_SP(ctx), trampoline, e->rearm, &e->slots[n]))
			found = 1;
		else
			e->slots[n].address = 0;
		armed = armed->next;
	}
	if (!found) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	e->trampoline = trampoline;
	e->count = n;
	submit_and_stop(e);
	return 0;
}
