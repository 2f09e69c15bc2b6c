// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Memory: allocations and frees of the target, for `--memory`.
 *
 * - The allocator functions (libc's malloc family; with --memory=objects also
 *   CPython's object allocator) get a uprobe for their arguments and a
 *   uretprobe for the block they return. Only the outermost allocator call
 *   of a thread counts: realloc calling malloc, PyObject_Malloc calling
 *   malloc, malloc calling mmap are one allocation. "Inside an allocator"
 *   is told by the stack pointer, below that of the outermost call (or at
 *   it, for a tail call), so a return the kernel never reports (past 64
 *   pending uretprobes) cannot leave a thread stuck inside one.
 * - free needs no return probe: it goes at the first instruction the
 *   kernel emulates after free's NULL check (plan_memory.c).
 * - mmap, munmap, mremap and brk made outside the allocators come from the
 *   raw syscall tracepoints (no tracefs needed), filtered to the target.
 * - Live blocks are kept in a hash map: a free of a block allocated before
 *   tracing (or not sampled) is counted, not sent.
 * - The resident size comes from the rss_stat tracepoint.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "shared.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern bool bpf_session_is_return(void) __ksym;

/* Sampling: blocks of at least sample_min_bytes are always kept, smaller
 * ones one in sample_one_in (1: all of them). */
const volatile __u64 sample_min_bytes = 0;
const volatile __u32 sample_one_in = 1;
/* Send a resident-size record when it moved this much since the last one. */
const volatile __u64 rss_step_bytes = 256 << 10;

__u64 unknown_frees = 0;
__u64 untracked_allocs = 0;
__u64 missed_returns = 0;
__u64 peak_rss_bytes = 0;
__u64 current_rss_bytes = 0;
__u64 sent_rss_bytes = 0;
__u64 program_break = 0;	/* the target's break after its last brk(2) */

#define SYS_MMAP 9
#define SYS_MUNMAP 11
#define SYS_BRK 12
#define SYS_MREMAP 25
#define MAP_SHARED_FLAG 0x01
#define MAP_ANONYMOUS_FLAG 0x20
#define MAP_STACK_FLAG 0x20000
#define PF_EXITING_FLAG 0x4
#define PAGE_BYTES 4096

struct live_block {
	__u64 size;
	__u32 weight;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 22);	/* resized by userspace before load */
	__type(key, __u64);
	__type(value, struct live_block);
} live_blocks SEC(".maps");

/* Per thread: the outermost allocator call in progress, and a pending
 * memory syscall. */
struct thread_state {
	__u64 entry_sp;		/* stack pointer at the call's entry; 0: none */
	__u64 size;
	__u64 old_address;	/* realloc: the block it replaces */
	__u64 out_pointer;	/* posix_memalign: where the block's address goes */
	__u32 allocator;
	__u32 syscall;		/* the memory syscall in progress, 0 none */
	__u32 syscall_by_allocator;	/* brk: made by malloc itself */
	__u32 pad;
	__u64 syscall_address;	/* mremap: the old block */
	__u64 syscall_size;	/* mmap, mremap: the new length */
	__u64 outer_free_address;	/* PyObject_Free in progress: its block */
	__u64 outer_free_sp;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} thread_states SEC(".maps");

static __always_inline struct thread_state *thread_state(void)
{
	return bpf_task_storage_get(&thread_states, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/* A syscall made by an allocator function runs deeper than its entry. */
static __always_inline bool inside_allocator(const struct thread_state *st, __u64 sp)
{
	return st->entry_sp && sp < st->entry_sp;
}

/* An allocator function called by one: deeper, or tail-called at the same
 * stack pointer (realloc(NULL, n) jumps to malloc). */
static __always_inline bool called_by_allocator(const struct thread_state *st, __u64 sp)
{
	return st->entry_sp && sp <= st->entry_sp;
}

/* The first four integer arguments, read once (indexing ctx by a variable
 * is not allowed). */
struct arguments {
	__u64 v[4];
};

static __always_inline void read_arguments(struct pt_regs *ctx, struct arguments *a)
{
	a->v[0] = PT_REGS_PARM1(ctx);
	a->v[1] = PT_REGS_PARM2(ctx);
	a->v[2] = PT_REGS_PARM3(ctx);
	a->v[3] = PT_REGS_PARM4(ctx);
}

static __always_inline void send_mem_event(__u16 type, __u32 tid, __u64 address, __u64 size,
					   __u32 allocator, __u32 weight)
{
	struct us_mem_event *e = reserve_event(type, sizeof(*e), tid);

	if (!e)
		return;
	e->address = address;
	e->size = size;
	e->allocator = allocator;
	e->weight = weight;
	bpf_ringbuf_submit(e, submit_flags());
}

/* The weight a new block is kept with, 0 when sampling drops it. */
static __always_inline __u32 sample_weight(__u64 size)
{
	if (sample_one_in <= 1 || size >= sample_min_bytes)
		return 1;
	return bpf_get_prandom_u32() % sample_one_in == 0 ? sample_one_in : 0;
}

static __always_inline void record_alloc(__u32 tid, __u64 address, __u64 size, __u32 allocator)
{
	struct live_block block = { .size = size };

	block.weight = sample_weight(size);
	if (!block.weight)
		return;
	if (bpf_map_update_elem(&live_blocks, &address, &block, BPF_ANY)) {
		__sync_fetch_and_add(&untracked_allocs, 1);
		return;
	}
	send_mem_event(US_EV_MEM_ALLOC, tid, address, size, allocator, block.weight);
}

/* A block goes: sent when tracked; `count_unknown` for allocator frees
 * (munmap of a file mapping or of malloc's own chunk is no news). */
static __always_inline void record_free(__u32 tid, __u64 address, __u32 allocator,
					bool count_unknown)
{
	struct live_block *block = bpf_map_lookup_elem(&live_blocks, &address);
	__u64 size;
	__u32 weight;

	if (!block) {
		if (count_unknown && sample_one_in <= 1)
			__sync_fetch_and_add(&unknown_frees, 1);
		return;
	}
	size = block->size;
	weight = block->weight;
	bpf_map_delete_elem(&live_blocks, &address);
	send_mem_event(US_EV_MEM_FREE, tid, address, size, allocator, weight);
}

/* ---- allocator functions ------------------------------------------------ */

static __always_inline int allocator_entered(struct pt_regs *ctx)
{
	__u32 cookie = (__u32)bpf_get_attach_cookie(ctx);
	__u32 allocator = cookie & US_ALLOC_COOKIE_KIND;
	__u32 first = cookie & US_ALLOC_ARG_SHIFT ? 1 : 0;
	__u64 sp = PT_REGS_SP(ctx);
	struct thread_state *st;
	struct arguments args;

	if (!target_thread())
		return US_SKIP_RETURN;
	read_arguments(ctx, &args);
	st = thread_state();
	if (!st || called_by_allocator(st, sp))
		return US_SKIP_RETURN;
	if (!return_can_be_armed(sp, false)) {
		__sync_fetch_and_add(&missed_returns, 1);	/* its block is not seen */
		return US_SKIP_RETURN;
	}
	if (st->entry_sp)
		__sync_fetch_and_add(&missed_returns, 1);	/* its return never came */
	st->entry_sp = sp;
	st->allocator = allocator;
	st->old_address = 0;
	st->out_pointer = 0;
	switch (allocator) {
	case US_ALLOC_CALLOC:
	case US_ALLOC_PY_CALLOC:
		st->size = args.v[first] * args.v[first + 1];
		break;
	case US_ALLOC_REALLOC:
	case US_ALLOC_PY_REALLOC:
		st->old_address = args.v[first];
		st->size = args.v[first + 1];
		break;
	case US_ALLOC_REALLOCARRAY:
		st->old_address = args.v[0];
		st->size = args.v[1] * args.v[2];
		break;
	case US_ALLOC_POSIX_MEMALIGN:
		st->out_pointer = args.v[0];
		st->size = args.v[2];
		break;
	case US_ALLOC_ALIGNED_ALLOC:
	case US_ALLOC_MEMALIGN:
		st->size = args.v[1];
		break;
	default:	/* malloc, valloc, pvalloc, PyObject_Malloc */
		st->size = args.v[first];
	}
	return US_KEEP_RETURN;
}

static __always_inline bool is_realloc(__u32 allocator)
{
	return allocator == US_ALLOC_REALLOC || allocator == US_ALLOC_REALLOCARRAY ||
	       allocator == US_ALLOC_PY_REALLOC;
}

static __always_inline int allocator_returned(struct pt_regs *ctx)
{
	__u64 sp = PT_REGS_SP(ctx), address = PT_REGS_RC(ctx);
	struct thread_state *st;
	__u32 tid = target_thread();

	if (!tid)
		return 0;
	st = thread_state();
	if (!st || !st->entry_sp || sp != st->entry_sp + US_RETURN_SP_DELTA)
		return 0;	/* a nested allocator call returned */
	st->entry_sp = 0;
	if (st->allocator == US_ALLOC_POSIX_MEMALIGN) {
		if (address != 0)	/* an error number */
			return 0;
		bpf_probe_read_user(&address, sizeof(address), (void *)st->out_pointer);
	}
	/* realloc(p, 0) frees p; a failed realloc leaves p alone */
	if (is_realloc(st->allocator) && st->old_address && (address || st->size == 0))
		record_free(tid, st->old_address, st->allocator, true);
	if (address)
		record_alloc(tid, address, st->size, st->allocator);
	return 0;
}

/* A session program on each allocator function: entry, then its return. */
SEC("uprobe")
int BPF_KPROBE(allocator)
{
	return bpf_session_is_return() ? allocator_returned(ctx) : allocator_entered(ctx);
}

SEC("uprobe")
int BPF_KPROBE(free_enter)
{
	__u32 cookie = (__u32)bpf_get_attach_cookie(ctx);
	__u64 sp = PT_REGS_SP(ctx), address;
	struct thread_state *st;
	__u32 tid = target_thread();
	struct arguments args;

	read_arguments(ctx, &args);
	address = args.v[cookie & US_ALLOC_ARG_SHIFT ? 1 : 0];
	if (!tid || !address)
		return 0;
	st = thread_state();
	if (!st || called_by_allocator(st, sp))
		return 0;
	if (address == st->outer_free_address && sp < st->outer_free_sp) {
		st->outer_free_address = 0;	/* PyObject_Free handing a big block to free */
		return 0;
	}
	if (cookie & US_ALLOC_OUTER_FREE) {
		st->outer_free_address = address;
		st->outer_free_sp = sp;
	}
	record_free(tid, address, cookie & US_ALLOC_COOKIE_KIND, true);
	return 0;
}

/* ---- memory syscalls ---------------------------------------------------- */

static __always_inline bool is_error(__s64 ret)
{
	return ret < 0 && ret > -4096;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(syscall_enter, struct pt_regs *regs, long id)
{
	struct thread_state *st;
	__u64 flags;
	__u32 tid;

	if (id != SYS_MMAP && id != SYS_MUNMAP && id != SYS_MREMAP && id != SYS_BRK)
		return 0;
	tid = target_thread();
	if (!tid)
		return 0;
	st = thread_state();
	if (!st)
		return 0;
	st->syscall = 0;
	if (id == SYS_BRK) {
		st->syscall = SYS_BRK;
		st->syscall_by_allocator = inside_allocator(st, regs->sp);
		return 0;
	}
	if (inside_allocator(st, regs->sp))
		return 0;
	if (id == SYS_MUNMAP) {
		record_free(tid, regs->di, US_ALLOC_MUNMAP, false);
		return 0;
	}
	if (id == SYS_MREMAP) {
		__u64 old_address = regs->di;

		if (!bpf_map_lookup_elem(&live_blocks, &old_address))
			return 0;
		st->syscall_address = old_address;
		st->syscall_size = regs->dx;
		st->syscall = SYS_MREMAP;
		return 0;
	}
	/* mmap: anonymous memory, not a thread stack, not a PROT_NONE reservation */
	flags = regs->r10;
	if (!(flags & MAP_ANONYMOUS_FLAG) || (flags & MAP_STACK_FLAG) || regs->dx == 0)
		return 0;
	st->syscall_size = (regs->si + PAGE_BYTES - 1) & ~(__u64)(PAGE_BYTES - 1);
	st->syscall = SYS_MMAP;
	return 0;
}

static __always_inline void break_moved(__u32 tid, __u64 new_break, bool by_allocator)
{
	__u64 old_break = program_break;

	program_break = new_break;
	if (by_allocator || !old_break || new_break == old_break)
		return;
	if (new_break > old_break)
		send_mem_event(US_EV_MEM_ALLOC, tid, old_break, new_break - old_break,
			       US_ALLOC_BRK, 1);
	else
		send_mem_event(US_EV_MEM_BREAK, tid, new_break, 0, US_ALLOC_BRK, 1);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(syscall_exit, struct pt_regs *regs, long ret)
{
	struct thread_state *st;
	__u32 tid, syscall;

	if (regs->orig_ax != SYS_MMAP && regs->orig_ax != SYS_MREMAP && regs->orig_ax != SYS_BRK)
		return 0;
	tid = target_thread();
	if (!tid)
		return 0;
	st = bpf_task_storage_get(&thread_states, bpf_get_current_task_btf(), 0, 0);
	if (!st || !st->syscall)
		return 0;
	syscall = st->syscall;
	st->syscall = 0;
	if (syscall == SYS_BRK) {
		if (!is_error(ret))
			break_moved(tid, (__u64)ret, st->syscall_by_allocator);
		return 0;
	}
	if (is_error(ret))
		return 0;
	if (syscall == SYS_MREMAP)
		record_free(tid, st->syscall_address, US_ALLOC_MREMAP, false);
	record_alloc(tid, (__u64)ret, st->syscall_size,
		     syscall == SYS_MMAP ? US_ALLOC_MMAP : US_ALLOC_MREMAP);
	return 0;
}

/* ---- resident size ------------------------------------------------------ */

static __always_inline __s64 pages(struct mm_struct *mm, int member)
{
	__s64 n = mm->rss_stat[member].count;

	return n > 0 ? n : 0;
}

SEC("tp_btf/rss_stat")
int BPF_PROG(rss_change, struct mm_struct *mm, int member)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct us_rss_event *e;
	__u32 tid = target_thread();
	__u64 rss, sent;

	/* the target's own mm, not its teardown at exit */
	if (!tid || task->mm != mm || (task->flags & PF_EXITING_FLAG))
		return 0;
	rss = (__u64)(pages(mm, 0) + pages(mm, 1) + pages(mm, 3)) * PAGE_BYTES;
	current_rss_bytes = rss;
	if (rss > peak_rss_bytes)
		peak_rss_bytes = rss;
	sent = sent_rss_bytes;
	if (rss < sent + rss_step_bytes && rss + rss_step_bytes > sent)
		return 0;
	sent_rss_bytes = rss;
	e = reserve_event(US_EV_MEM_RSS, sizeof(*e), tid);
	if (!e)
		return 0;
	e->rss_bytes = rss;
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}
