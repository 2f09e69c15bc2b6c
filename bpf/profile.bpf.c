// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sampling: a perf event on every CPU (software cpu-clock at -F Hz) runs
 * on_cpu_sample on whatever thread is running there. For a profiled
 * thread it sends the thread's user registers, a copy of the top of its
 * user stack (up to 16 KiB: uscope unwinds it with DWARF call-frame
 * information, user/probe/profile_stacks.c) and, in a CPython process
 * uscope registered, the Python frames the thread is running: code object
 * and bytecode offset, found from _PyRuntime's thread list by the thread's
 * fs base (docs/cpython.md, "Sampling"). Forks of profiled processes are
 * profiled too (--subprocesses), and an exec is reported so uscope reads
 * the new program's objects.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "shared.bpf.h"
#include "python_layout.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile bool profile_all = false;	/* -a: every process but uscope */
const volatile bool follow_children = false;	/* --subprocesses */
const volatile __u32 uscope_tgid = 0;
/* --off-cpu, --wall: a blocked thread's time is sampled as it runs again,
 * once per this much of it (the sampling period, 1/F) */
const volatile __u64 off_cpu_period_ns = 0;
const volatile bool with_kernel = false;	/* --kernel: kernel stacks too */

#define PROFILED_PROCESSES_MAX 8192
#define PY_THREADS_MAX 64	/* threads of one interpreter searched for the sampled one */

/* Processes profiled (without -a): the target, and its children. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROFILED_PROCESSES_MAX);
	__type(key, __u32);
	__type(value, __u8);
} profiled SEC(".maps");

/* CPython processes, as uscope found them: where their frames are. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROFILED_PROCESSES_MAX);
	__type(key, __u32);
	__type(value, struct us_py_sampling);
} python_processes SEC(".maps");

/* One sample is built here: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct us_raw_sample_event);
} sample_scratch SEC(".maps");

__u64 samples_taken = 0;	/* every sample of a profiled thread */
__u64 stacks_unreadable = 0;
__u64 off_cpu_samples_taken = 0;

/* Per thread: its time off the CPU not yet sampled. */
struct off_cpu_time {
	__u64 switched_out_ns;	/* 0: on a CPU */
	__u64 pending_ns;	/* blocked time since its last off-CPU sample */
	__u32 state;		/* enum us_thread_state of its last block */
	__u32 kernel_bytes;	/* --kernel: of kernel_ips, where it blocked */
	__u64 kernel_ips[US_SAMPLE_KERNEL_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct off_cpu_time);
} off_cpu SEC(".maps");

static __always_inline bool is_profiled(__u32 tgid)
{
	if (tgid == 0 || shared.tracing_stopped)
		return false;
	if (profile_all)
		return tgid != uscope_tgid;
	return bpf_map_lookup_elem(&profiled, &tgid) != NULL;
}

static __always_inline __u64 read_ptr(__u64 address)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)address);
	return v;
}

/* Code objects named to uscope, per process: what was at the address when
 * it was (a freed code object's address is reused by a new one). */
struct code_key {
	__u32 pid;
	__u32 pad;
	__u64 code;
};

struct code_identity {
	__u64 name, file;
	__u32 first_line, pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct code_key);
	__type(value, struct code_identity);
} codes_named SEC(".maps");

static __always_inline __u32 read_u32(__u64 address)
{
	__u32 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)address);
	return v;
}

static __always_inline void read_python_str(const struct us_py_sampling *py, __u64 str,
					    char *buf, __u32 len)
{
	__u8 state = 0;
	__u64 utf8;

	buf[0] = '\0';
	bpf_probe_read_user(&state, 1, (void *)(str + US_PY_STR_STATE));
	if ((state & 0x60) == 0x60) {			/* compact ASCII */
		bpf_probe_read_user_str(buf, len, (void *)(str + py->unicode_ascii_data));
	} else if (state & 0x20) {			/* compact, with a UTF-8 copy? */
		utf8 = read_ptr(str + py->unicode_utf8);
		if (utf8)
			bpf_probe_read_user_str(buf, len, (void *)utf8);
	}
}

/* Sends the names and line table of a code object the first time this
 * process's samples see it at this address (the process may be gone by the
 * time uscope would read them). */
static __always_inline void name_code_object(const struct us_py_sampling *py, __u32 pid,
					     __u64 code)
{
	struct code_key key = { .pid = pid, .code = code };
	struct code_identity now, *known = bpf_map_lookup_elem(&codes_named, &key);
	struct us_py_code_event *e;
	__u64 lines, size;

	now.name = read_ptr(code + py->code_name);
	now.file = read_ptr(code + py->code_filename);
	now.first_line = read_u32(code + py->code_firstlineno);
	now.pad = 0;
	if (known && known->name == now.name && known->file == now.file &&
	    known->first_line == now.first_line)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_loss();
		return;
	}
	fill_header(&e->hdr, US_EV_SAMPLE_CODE, sizeof(*e), pid);
	e->code = code;
	e->flags = 0;
	e->arg_count = 0;
	e->first_line = now.first_line;
	e->linetable_len = 0;
	read_python_str(py, now.name, e->qualname, sizeof(e->qualname));
	read_python_str(py, now.file, e->file, sizeof(e->file));
	lines = read_ptr(code + py->code_lines);
	size = lines ? read_ptr(lines + US_PY_OB_SIZE) : 0;
	if (size > US_PY_LINETABLE_LEN)
		size = US_PY_LINETABLE_LEN;
	if (size && !bpf_probe_read_user(e->linetable, size, (void *)(lines + US_PY_BYTES_DATA)))
		e->linetable_len = size;
	bpf_ringbuf_submit(e, submit_flags());
	bpf_map_update_elem(&codes_named, &key, &now, BPF_ANY);
}

/* One step of the search for the thread state whose thread id is the
 * sampled thread's fs base (bpf_loop: verified once, not per step). */
struct thread_search {
	const struct us_py_sampling *py;
	__u64 fsbase, tstate, found;
};

static long check_one_thread(__u32 i, void *arg)
{
	struct thread_search *t = arg;

	if (!t->tstate)
		return 1;
	if (read_ptr(t->tstate + t->py->tstate_thread_id) == t->fsbase) {
		t->found = t->tstate;
		return 1;
	}
	t->tstate = read_ptr(t->tstate + t->py->tstate_next);
	return 0;
}

static __always_inline __u64 python_thread_state(const struct us_py_sampling *py, __u64 fsbase)
{
	__u64 interp = read_ptr(py->runtime_address + py->runtime_main_interp);
	struct thread_search t = { .py = py, .fsbase = fsbase };

	t.tstate = interp ? read_ptr(interp + py->interp_threads_head) : 0;
	bpf_loop(PY_THREADS_MAX, check_one_thread, &t, 0);
	return t.found;
}

static __always_inline __u64 current_python_frame(const struct us_py_sampling *py, __u64 tstate)
{
	__u64 frame = read_ptr(tstate + py->tstate_frame);

	if (py->cframe_current_frame >= 0 && frame)
		frame = read_ptr(frame + py->cframe_current_frame);
	return frame;
}

/* One frame's code object and offset; false when the walk should end. */
static __always_inline bool read_python_frame(const struct us_py_sampling *py, __u64 frame,
					      struct us_py_sample_frame *out)
{
	__s32 lasti = -1;
	__u8 is_entry = 0;
	__u64 ip;

	out->code = read_ptr(frame + py->frame_code);
	if (!out->code)
		return false;
	if (py->minor <= 10) {
		bpf_probe_read_user(&lasti, sizeof(lasti), (void *)(frame + py->frame_lasti));
		out->offset = lasti < 0 ? -1 : lasti * (__s32)py->lasti_bytes;
		out->flags = US_PY_FRAME_ENTRY;	/* one C call per frame */
		return true;
	}
	ip = read_ptr(frame + py->frame_instr_ptr);
	out->offset = ip > out->code ? (__s32)(ip - (out->code + py->code_adaptive)) : -1;
	if (py->frame_is_entry >= 0)
		bpf_probe_read_user(&is_entry, 1, (void *)(frame + py->frame_is_entry));
	out->flags = is_entry ? US_PY_FRAME_ENTRY : 0;
	return true;
}

/* One step of the walk down a thread's Python frames. */
struct frame_walk {
	const struct us_py_sampling *py;
	__u64 frame;
	__u32 n;
	__u32 truncated;
	__u32 pid;
};

static long read_one_frame(__u32 i, void *arg)
{
	struct frame_walk *w = arg;
	struct us_raw_sample_event *e;
	__u32 zero = 0, n = w->n;
	__u8 owner = 0;

	e = bpf_map_lookup_elem(&sample_scratch, &zero);
	if (!e || !w->frame)
		return 1;
	if (w->py->minor >= 12)
		bpf_probe_read_user(&owner, 1, (void *)(w->frame + w->py->frame_owner));
	if (owner == US_FRAME_OWNED_BY_CSTACK) {
		/* the C call's entry frame: the frame above it was its first */
		if (n > 0 && n <= US_SAMPLE_PY_FRAMES)
			e->py[n - 1].flags |= US_PY_FRAME_ENTRY;
	} else if (n < US_SAMPLE_PY_FRAMES) {
		if (!read_python_frame(w->py, w->frame, &e->py[n]))
			return 1;
		name_code_object(w->py, w->pid, e->py[n].code);
		w->n = n + 1;
	} else {
		w->truncated = 1;
		return 1;
	}
	w->frame = read_ptr(w->frame + w->py->frame_previous);
	return 0;
}

/* The Python frames the thread runs, innermost first; returns how many. */
static __always_inline __u32 read_python_stack(struct us_raw_sample_event *e,
					       struct task_struct *task)
{
	const struct us_py_sampling *py = bpf_map_lookup_elem(&python_processes, &e->pid);
	struct frame_walk w = { 0 };
	__u64 tstate;

	if (!py)
		return 0;
	tstate = python_thread_state(py, BPF_CORE_READ(task, thread.fsbase));
	if (!tstate)
		return 0;
	w.py = py;
	w.pid = e->pid;
	w.frame = current_python_frame(py, tstate);
	bpf_loop(US_SAMPLE_PY_FRAMES + 16, read_one_frame, &w, 0);
	if (w.truncated)
		e->flags |= US_RAW_PY_TRUNCATED;
	return w.n;
}

static long note_vma_end(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	*(__u64 *)ctx = vma->vm_end;
	return 0;
}

#define PAGE_BYTES 4096

/* Copies the top of the user stack: up to 16 KiB, not past the end of the
 * mapping it is in, a page at a time: a page the thread never touched (or
 * one swapped out) cannot be read here and is left zero, the pages above it
 * still copied. Returns the bytes copied, 0 when the first page failed. */
static __always_inline __u32 copy_user_stack(struct us_raw_sample_event *e,
					     struct task_struct *task)
{
	__u64 end = 0, len, off = 0, size;

	if (bpf_find_vma(task, e->sp, note_vma_end, &end, 0) || end <= e->sp)
		end = e->sp + US_SAMPLE_STACK_BYTES;	/* busy: assume the mapping goes on */
	len = end - e->sp;
	if (len > US_SAMPLE_STACK_BYTES)
		len = US_SAMPLE_STACK_BYTES;
	for (int i = 0; i < US_SAMPLE_STACK_BYTES / PAGE_BYTES + 1; i++) {
		if (off >= len)
			break;
		size = PAGE_BYTES - ((e->sp + off) & (PAGE_BYTES - 1));
		if (size > len - off)
			size = len - off;
		off &= US_SAMPLE_STACK_BYTES - 1;
		size &= 2 * PAGE_BYTES - 1;
		if (bpf_probe_read_user(e->stack + off, size, (void *)(e->sp + off))) {
			if (off == 0)
				return 0;
			e->flags |= US_RAW_STACK_HOLE;
		}
		off += size;
	}
	return (__u32)(off < len ? off : len);
}

#define PF_KTHREAD 0x00200000	/* include/linux/sched.h */

/* Sends one sample of the current thread: its user registers and stack,
 * its Python frames, and (--kernel) the kernel stack `ctx` has, or the one
 * `blocked` kept from where the thread blocked. */
static __always_inline void send_sample(void *ctx, __u32 kind, __u64 weight_ns, __u32 state,
					const struct off_cpu_time *blocked)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task = bpf_get_current_task_btf();
	struct us_raw_sample_event *e;
	struct pt_regs *regs;
	__u32 zero = 0, size;

	e = bpf_map_lookup_elem(&sample_scratch, &zero);
	if (!e)
		return;
	fill_header(&e->hdr, US_EV_SAMPLE_RAW, 0, (__u32)pid_tgid);
	e->pid = pid_tgid >> 32;
	e->cpu = (__u16)bpf_get_smp_processor_id();
	e->state = (__u8)state;
	e->weight_ns = weight_ns;
	e->kind = (__u8)kind;
	e->flags = 0;
	e->py_count = 0;
	e->stack_len = 0;
	e->kernel_count = 0;
	bpf_get_current_comm(e->thread_comm, sizeof(e->thread_comm));
	BPF_CORE_READ_STR_INTO(&e->process_comm, task, group_leader, comm);
	if (with_kernel && blocked) {
		__u32 bytes = blocked->kernel_bytes;

		if (bytes > sizeof(e->kernel_ips))
			bytes = sizeof(e->kernel_ips);
		bpf_probe_read_kernel(e->kernel_ips, bytes, blocked->kernel_ips);
		e->kernel_count = bytes / 8;
	} else if (with_kernel) {
		long bytes = bpf_get_stack(ctx, e->kernel_ips, sizeof(e->kernel_ips), 0);

		e->kernel_count = bytes > 0 ? (__u32)bytes / 8 : 0;
	}
	if (task->flags & PF_KTHREAD) {	/* --kernel: a kernel thread's own work */
		e->flags |= US_RAW_KERNEL_ONLY;
		e->ip = e->sp = e->bp = 0;
	} else if (!task->mm) {	/* a thread past the release of its memory: exiting */
		e->flags |= US_RAW_EXITING;
		e->ip = e->sp = e->bp = 0;
	} else {
		regs = (struct pt_regs *)bpf_task_pt_regs(task);	/* the user registers */
		e->ip = BPF_CORE_READ(regs, ip);
		e->sp = BPF_CORE_READ(regs, sp);
		e->bp = BPF_CORE_READ(regs, bp);
		e->py_count = read_python_stack(e, task);
		e->stack_len = copy_user_stack(e, task);
		if (!e->stack_len) {
			e->flags |= US_RAW_STACK_UNREADABLE;
			__sync_fetch_and_add(&stacks_unreadable, 1);
		}
	}
	size = __builtin_offsetof(struct us_raw_sample_event, stack) + e->stack_len;
	if (size > sizeof(*e))
		return;
	e->hdr.size = size;
	report_thread_losses(e->hdr.tid);
	if (bpf_ringbuf_output(&events, e, size, submit_flags()))
		count_loss();
}

SEC("perf_event")
int on_cpu_sample(struct bpf_perf_event_data *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!is_profiled(bpf_get_current_pid_tgid() >> 32))
		return 0;
	if ((task->flags & PF_KTHREAD) && !with_kernel)
		return 0;	/* no user stack: only --kernel shows kernel threads */
	__sync_fetch_and_add(&samples_taken, 1);
	send_sample(ctx, US_SAMPLE_ON_CPU, ctx->sample_period, 0, NULL);
	return 0;
}

static __always_inline __u32 thread_state_of(bool preempt, unsigned int prev_state)
{
	if (preempt || prev_state == 0)
		return US_THREAD_RUNNABLE;
	if (prev_state & 0x1)
		return US_THREAD_SLEEPING;
	if (prev_state & 0x2)
		return US_THREAD_UNINTERRUPTIBLE;
	return US_THREAD_OTHER;
}

/* A profiled thread leaves its CPU (its time off starts), or comes back
 * (the time adds up until it is sampled). */
SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 now = bpf_ktime_get_ns();
	struct off_cpu_time *t;

	if (is_profiled(prev->tgid) && prev->mm) {
		t = bpf_task_storage_get(&off_cpu, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (t) {
			t->switched_out_ns = now;
			t->state = thread_state_of(preempt, prev_state);
			if (with_kernel) {	/* prev is current: where it blocks */
				long bytes = bpf_get_stack(ctx, t->kernel_ips,
							   sizeof(t->kernel_ips), 0);

				t->kernel_bytes = bytes > 0 ? (__u32)bytes : 0;
			}
		}
	}
	if (is_profiled(next->tgid)) {
		t = bpf_task_storage_get(&off_cpu, next, 0, 0);
		if (t && t->switched_out_ns) {
			t->pending_ns += now - t->switched_out_ns;
			t->switched_out_ns = 0;
		}
	}
	return 0;
}

/* Back from a system call (where threads block): for each period of its
 * blocked time, a sample of the stack it blocked in. Its user stack is as
 * it was when it blocked: the thread has not run user code since. */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	struct off_cpu_time *t;
	__u64 periods;

	if (!is_profiled(bpf_get_current_pid_tgid() >> 32))
		return 0;
	t = bpf_task_storage_get(&off_cpu, bpf_get_current_task_btf(), 0, 0);
	if (!t || t->pending_ns < off_cpu_period_ns || !off_cpu_period_ns)
		return 0;
	periods = t->pending_ns / off_cpu_period_ns;
	t->pending_ns -= periods * off_cpu_period_ns;
	__sync_fetch_and_add(&off_cpu_samples_taken, 1);
	send_sample(ctx, US_SAMPLE_OFF_CPU, periods * off_cpu_period_ns, t->state, t);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = parent->tgid, child_tgid = child->tgid;
	__u8 yes = 1;

	if (!follow_children || profile_all || child->pid != child->tgid)
		return 0;	/* threads share their process's entry */
	if (bpf_map_lookup_elem(&profiled, &parent_tgid))
		bpf_map_update_elem(&profiled, &child_tgid, &yes, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = task->tgid;
	struct us_process_exec_event *e;

	if (!is_profiled(tgid))
		return 0;
	bpf_map_delete_elem(&python_processes, &tgid);	/* a new program: found again */
	e = reserve_event(US_EV_PROCESS_EXEC, sizeof(*e), tgid);
	if (!e)
		return 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}
