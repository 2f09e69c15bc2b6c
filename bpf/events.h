/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one header shared by the BPF programs and userspace: fixed-width,
 * type-tagged event records. Every record starts with struct us_event_header;
 * `size` lets a reader skip record types it does not know. These structs are
 * also the on-disk event encoding of a recording (docs/format.md), so a change
 * here bumps US_RECORD_VERSION in user/record/record.h.
 */
#ifndef USCOPE_EVENTS_H
#define USCOPE_EVENTS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define US_COMM_LEN 16

enum us_event_type {
	US_EV_CALL_ENTRY = 1,	/* a traced function was entered */
	US_EV_CALL_EXIT = 2,	/* a traced function returned (uretprobe) */
	US_EV_THREAD_EXIT = 3,	/* a thread of the target exited */
	US_EV_PY_CODE = 4,	/* first sight of a Python code object: its names */
	US_EV_PY_ENTRY = 5,	/* a Python frame started or resumed running */
	US_EV_PY_EXIT = 6,	/* a Python frame returned, yielded or raised */
	US_EV_PY_ARGS = 7,	/* the first arguments of the call just entered */
	US_EV_PY_STOPPED = 8,	/* the target stopped itself at its first Python call */
	US_EV_PY_GC = 9,	/* a garbage collection (USDT gc__start/gc__done) */
	US_EV_PY_IMPORT = 10,	/* a module import (USDT import__find__load__*) */
	US_EV_PY_FINALIZE = 11,	/* the interpreter began to shut down (Py_FinalizeEx) */
	US_EV_MEM_ALLOC = 12,	/* a block was allocated (bpf/alloc.bpf.c) */
	US_EV_MEM_FREE = 13,	/* a tracked block was freed */
	US_EV_MEM_BREAK = 14,	/* the program lowered its break: brk blocks above are gone */
	US_EV_MEM_RSS = 15,	/* the resident size changed */
	US_EV_MEM_TOTALS = 16,	/* written by uscope at the end: counters and resident sizes */
	US_EV_LOST = 17,	/* the thread lost records (ring buffer full) before this point */
	US_EV_PY_EXCEPTION = 18,	/* what a raising frame raised: sent just before its exit */
	US_EV_SAMPLE_RAW = 19,		/* profile: a thread's registers, stack copy and Python
					 * frames (bpf/profile.bpf.c); unwound by uscope, never
					 * kept in a recording */
	US_EV_PROCESS_EXEC = 20,	/* profile: a profiled process exec'd a new program */
	US_EV_PROFILE_FRAME = 21,	/* profile: one place a stack passes, named (uscope) */
	US_EV_PROFILE_STACK = 22,	/* profile: one distinct stack of frame ids (uscope) */
	US_EV_PROFILE_SAMPLE = 23,	/* profile: samples of one stack (uscope) */
	US_EV_PROFILE_TOTALS = 24,	/* profile: the last record: samples and losses by cause */
	US_EV_SAMPLE_CODE = 25,		/* profile: a code object a sample saw first, named while
					 * alive (struct us_py_code_event, hdr.tid = the pid);
					 * never kept in a recording */
	US_EV_UNWIND_STOP = 26,		/* the target's stack unwinder is about to read return
					 * addresses the kernel replaced: the target stopped
					 * itself until uscope puts them back */
	US_EV_PY_RECURSION_STOP = 27,	/* CPython 3.12+ ran out of C recursion budget: the
					 * target stopped itself for uscope to widen it */
	US_EV_FUNC_STATS = 28,		/* --aggregate: one function's counters, kept in BPF
					 * maps (no per-call records), written by uscope */
	US_EV_TASK_NEW = 29,		/* --follow: a traced process made a thread or a
					 * process (stopped until its probes are in) */
	US_EV_PROCESS_INFO = 30,	/* --follow: a process's command line, written by uscope */
	US_EV_PY_LINE = 31,		/* --lines: a Python frame started a line */
	US_EV_PY_LINE_HOOK = 32,	/* --lines: a thread the line hook is not in yet stopped
					 * itself at its first Python call, for uscope to put it
					 * in (user/target/target_python.c) */
	US_EV_PY_VARNAMES = 33,		/* --locals: a code object's local variable names */
	US_EV_PY_LOCALS = 34,		/* --locals: some of a frame's local values at a line */
	US_EV_PY_TEST_REPORT = 35,	/* pytest made a TestReport: a test's phase ended */
	US_EV_PY_GLOBALS = 36,		/* --globals: some of a module's global values */
};

struct us_event_header {
	__u16 type;		/* enum us_event_type */
	__u16 size;		/* bytes in the whole record, header included */
	__u32 tid;		/* kernel thread id */
	__u64 ts_ns;		/* CLOCK_MONOTONIC, nanoseconds */
};

/* US_EV_CALL_ENTRY and US_EV_CALL_EXIT */
struct us_call_event {
	struct us_event_header hdr;
	__u32 site_id;		/* attach cookie: index into the plan's probe sites */
	__u32 flags;		/* US_CALL_* */
	__u64 sp;		/* user stack pointer when the probe fired */
};

/* Entry flag: the return address slot already holds the uretprobe trampoline,
 * so this function was tail-called (jumped to) by a traced function whose
 * frame it reuses; the kernel reports both returns at once. */
#define US_CALL_TAIL 1u
/* A call probe's attach cookie is its site id, and this bit when a jump in
 * the function lands on the probed entry (a loop head): a pass that comes
 * back there is not a call (bpf/calls.bpf.c). */
#define US_COOKIE_LOOP_HEAD (1ull << 32)
/* Entry flag: no return was armed for this call (the thread has 63 armed
 * returns live, bpf/shared.bpf.h); its end is inferred from later events. */
#define US_CALL_NO_RETURN 2u

/* US_EV_THREAD_EXIT */
struct us_thread_event {
	struct us_event_header hdr;
	__u32 pid;		/* thread group id */
	__s32 exit_code;	/* wait(2)-style status of the exiting thread */
	char comm[US_COMM_LEN];	/* thread name at exit */
};

/* The state every probe family shares (bpf/shared.bpf.h), in a global
 * userspace reads and writes through the skeleton. Not a record. */
struct us_shared_state {
	__u32 tracing_stopped;	/* set by userspace, or when uscope itself exits */
	__u32 processes_made;	/* --follow: the target made a process (task_made) */
	__u64 lost_events;	/* records that did not fit in the ring buffer */
};

/* US_EV_LOST: sent before the next record of a thread that lost some. */
struct us_lost_event {
	struct us_event_header hdr;
	__u64 count;		/* records of this thread lost since its previous US_EV_LOST */
};

/* ---- Python (bpf/python.bpf.c) ---------------------------------------- */

#define US_PY_NAME_LEN 128
#define US_PY_FILE_LEN 256
#define US_PY_TYPE_LEN 32
#define US_PY_TEXT_LEN 48
#define US_PY_MAX_ARGS 3
#define US_PY_LINETABLE_LEN 1024
#define US_PY_MESSAGE_LEN 256

/* US_EV_PY_CODE: sent once per code object, before its first entry. */
struct us_py_code_event {
	struct us_event_header hdr;
	__u64 code;			/* PyCodeObject address */
	__u32 flags;			/* co_flags */
	__u32 first_line;		/* co_firstlineno */
	__u32 arg_count;		/* co_argcount */
	__u32 linetable_len;		/* bytes used in linetable */
	char qualname[US_PY_NAME_LEN];	/* co_qualname (3.11+) or co_name */
	char file[US_PY_FILE_LEN];	/* co_filename */
	__u8 linetable[US_PY_LINETABLE_LEN]; /* 3.11+: co_linetable, to map offsets to lines */
};

/* How a frame came to run (us_py_entry_event.kind). */
enum us_py_entry_kind {
	US_PY_CALL = 0,		/* a call: the frame runs from its start */
	US_PY_RESUME = 1,	/* a generator or coroutine resumed after a yield/await */
	US_PY_GENERATOR_NEW = 2,/* 3.11+: the frame only creates its generator object */
	US_PY_INLINE_CALL = 3,	/* run inside its caller's C frame, no exit: 3.13's __init__
				 * of a class call, 3.11.0-3.11.3's __getitem__ of obj[i] */
};

struct us_py_entry_event {
	struct us_event_header hdr;
	__u64 code;		/* PyCodeObject address (see US_EV_PY_CODE) */
	__u64 sp;		/* C stack pointer at _PyEval_EvalFrameDefault's entry */
	__u32 kind;		/* enum us_py_entry_kind */
	__u32 flags;		/* US_CALL_NO_RETURN */
	/* US_PY_CALL: the calling frame's bytecode offset, in bytes (with its
	 * line table: the line the call was made from); -1 unknown */
	__s32 caller_offset;
	__u32 pad;
	/* Only in the records of a generator's or coroutine's runs (US_PY_CALL
	 * or US_PY_RESUME of a suspendable code object; others end before it):
	 * its frame's address, the same from its first run to its last, so it
	 * names the generator or coroutine across its resumes. */
	__u64 frame;
};
/* A record that ends before `frame`; version 3's ended before caller_offset. */
#define US_PY_ENTRY_SHORT_SIZE 48
#define US_PY_ENTRY_V3_SIZE 40

/* What a summarised Python object is (us_py_value.kind). */
enum us_py_value_kind {
	US_PY_VALUE_UNKNOWN = 0,	/* unreadable */
	US_PY_VALUE_NONE = 1,
	US_PY_VALUE_BOOL = 2,		/* number: 0 or 1 */
	US_PY_VALUE_INT = 3,		/* number: the value */
	US_PY_VALUE_BIG_INT = 4,	/* an int beyond 60 bits */
	US_PY_VALUE_FLOAT = 5,		/* number: the double's bits */
	US_PY_VALUE_STR = 6,		/* text: the start of the string */
	US_PY_VALUE_OBJECT = 7,		/* type_name only */
	US_PY_VALUE_EXCEPTION = 8,	/* type_name; text: the message when a str */
	US_PY_VALUE_SIZED = 9,		/* a list, tuple, dict, set or frozenset: type_name,
					 * number: its length */
};

/* A Python object summarised in the probe, while it is still alive. */
struct us_py_value {
	__u8 kind;			/* enum us_py_value_kind */
	__u8 truncated;			/* text holds only the start of the string */
	__u16 pad;
	__u32 text_len;			/* bytes used in text */
	__s64 number;
	char type_name[US_PY_TYPE_LEN];	/* tp_name of the object's type */
	char text[US_PY_TEXT_LEN];	/* not NUL-terminated: see text_len */
};

/* US_EV_PY_EXIT: the value is the return value, or the exception raised. */
struct us_py_exit_event {
	struct us_event_header hdr;
	__u64 sp;			/* C stack pointer after the return */
	__u64 exception;		/* exception object address, 0 for a return */
	/* where the frame left: a raise, its traceback entry; a generator's or
	 * coroutine's run that yielded (or awaited), where it is suspended */
	__s32 line;			/* the line; -1 unknown (the offset tells it) */
	__s32 offset;			/* the bytecode offset in bytes; -1 unknown */
	struct us_py_value value;
};

/* US_EV_PY_EXCEPTION: the exception of the US_EV_PY_EXIT that follows it on
 * the same thread, at more length than the exit's value summary. */
struct us_py_exception_event {
	struct us_event_header hdr;
	__u64 exception;		/* the exception object */
	__s64 os_errno;			/* an OSError's errno; -1 otherwise or unknown */
	__u32 message_len;		/* bytes used in message */
	__u32 filename_len;		/* an OSError's filename, bytes used */
	__u8 message_truncated;
	__u8 filename_truncated;
	__u8 is_os_error;		/* message is its strerror, filename its filename */
	__u8 pad[5];
	char message[US_PY_MESSAGE_LEN];	/* str(args[0]), not NUL-terminated */
	char filename[US_PY_MESSAGE_LEN];
};

/* US_EV_PY_ARGS follows the US_EV_PY_ENTRY of the same call (--args). */
struct us_py_args_event {
	struct us_event_header hdr;
	__u32 count;			/* values used */
	__u32 pad;
	struct us_py_value args[US_PY_MAX_ARGS];
};

/* US_EV_PY_STOPPED: sent with SIGSTOP at the target's first Python call, so
 * userspace can make every call visible (python_layout.h: deinline). */
struct us_py_stopped_event {
	struct us_event_header hdr;
	__u64 load_delta;		/* runtime address minus ELF address of the interpreter */
};

/* US_EV_UNWIND_STOP: sent with SIGSTOP where the target's stack unwinder
 * starts (a C++ throw, pthread_cancel, backtrace()) on a kernel that lets no
 * BPF program write user memory (lockdown): each slot of a live frame that
 * holds the uretprobe trampoline (address 0: a slot that does not), and the
 * return address the kernel keeps for it; uscope writes those back and
 * continues the target. */
#define US_UNWIND_MAX_SLOTS 64	/* the kernel arms at most 64 returns a thread */
struct us_return_slot {
	__u64 address;			/* where the return address is on the stack */
	__u64 real;			/* the return address the kernel replaced */
};

struct us_unwind_stop_event {
	struct us_event_header hdr;
	__u64 trampoline;		/* what a slot holds while the kernel's */
	__u32 count;			/* slots used */
	__u32 rearm;			/* 1: write the trampoline back where `real` is */
	struct us_return_slot slots[US_UNWIND_MAX_SLOTS];
};

/* Attach cookies of the unwinder probes: at the unwinder's start the real
 * return addresses go back; where an exception is caught, the trampoline. */
#define US_UNWIND_RESTORE 0
#define US_UNWIND_REARM 1

/* US_EV_PY_RECURSION_STOP: sent with SIGSTOP from _Py_CheckRecursiveCall,
 * which 3.12+ calls once a thread's C recursion budget is spent. Traced,
 * every Python call is a C call that spends it (untraced, most run inline
 * and do not): uscope gives the thread back what tracing spent, so its
 * recursion limits stay what they are untraced (docs/cpython.md). */
struct us_py_recursion_event {
	struct us_event_header hdr;
	__u64 tstate;			/* the thread's PyThreadState */
};

/* --aggregate: a function's calls and times, added up in BPF at each call
 * and return (bcc's funccount and funclatency are the models). Bucket i of
 * the latency histogram counts durations of [2^i, 2^(i+1)) ns; the last
 * one, everything longer. */
#define US_LATENCY_BUCKETS 36
struct us_call_stats {
	__u64 calls;			/* entries */
	__u64 timed;			/* returns seen: what the times cover */
	__u64 total_ns, self_ns;	/* self: less the calls it made of traced functions */
	__u64 min_ns, max_ns;
	__u64 latency[US_LATENCY_BUCKETS];
};

/* US_EV_FUNC_STATS: written by uscope when tracing ends, one per function
 * with calls: a native probe site, or a Python code object. */
struct us_func_stats_event {
	struct us_event_header hdr;
	__u64 code;			/* python: the code object (named by US_EV_PY_CODE) */
	__u32 site_id;			/* native: the probe site */
	__u32 python;
	struct us_call_stats stats;
};

/* US_EV_TASK_NEW: hdr.tid is the new thread; pid its process. A new
 * process (pid == hdr.tid) is stopped before its first instruction until
 * uscope has put its probes in; an exec stops it the same way and comes as
 * US_EV_PROCESS_EXEC. */
struct us_task_event {
	struct us_event_header hdr;
	__u32 pid;			/* its thread group */
	__u32 parent_pid;		/* the process that made it */
	__u32 parent_tid;		/* the thread that made it (0 in recordings before 0.2) */
	__u32 pad;
};
/* Recordings before parent_tid end the record after parent_pid. */
#define US_TASK_OLD_SIZE 24

/* US_EV_PROCESS_INFO: what a traced process runs, read by uscope from
 * /proc when it starts or execs (hdr.tid is the pid). */
#define US_CMDLINE_LEN 256
struct us_process_info_event {
	struct us_event_header hdr;
	__u32 pid, parent_pid;
	char cmdline[US_CMDLINE_LEN];	/* arguments joined by spaces, cut */
};

/* US_EV_PY_GC: one collection. */
struct us_py_gc_event {
	struct us_event_header hdr;
	__u64 start_ns;
	__s32 generation;
	__s32 collected;		/* objects collected, -1 unknown */
};

/* US_EV_PY_IMPORT: one import that loaded a module (find and load). */
struct us_py_import_event {
	struct us_event_header hdr;
	__u64 start_ns;
	__s32 found;
	__u32 depth;			/* nested imports: 0 for the outermost */
	char module[US_PY_NAME_LEN];
};

/* US_EV_PY_FINALIZE: header only, padded. */
struct us_py_finalize_event {
	struct us_event_header hdr;
	__u64 pad;
};

/* ---- Memory (bpf/alloc.bpf.c) ----------------------------------------- */

/* What made or released a block (us_mem_event.allocator). */
enum us_allocator {
	US_ALLOC_MALLOC = 1,
	US_ALLOC_CALLOC = 2,
	US_ALLOC_REALLOC = 3,
	US_ALLOC_REALLOCARRAY = 4,
	US_ALLOC_POSIX_MEMALIGN = 5,
	US_ALLOC_ALIGNED_ALLOC = 6,
	US_ALLOC_MEMALIGN = 7,
	US_ALLOC_VALLOC = 8,
	US_ALLOC_PVALLOC = 9,
	US_ALLOC_FREE = 10,
	US_ALLOC_MMAP = 11,	/* anonymous mmap(2) outside the allocators */
	US_ALLOC_MUNMAP = 12,
	US_ALLOC_MREMAP = 13,
	US_ALLOC_BRK = 14,	/* brk(2) outside the allocators: the break grew */
	US_ALLOC_PY_MALLOC = 15,	/* --memory=objects: CPython's object allocator */
	US_ALLOC_PY_CALLOC = 16,
	US_ALLOC_PY_REALLOC = 17,
	US_ALLOC_PY_FREE = 18,
	US_ALLOC_KINDS = 19,
};

/* The attach cookie of an allocator probe: the allocator, and flags. */
#define US_ALLOC_COOKIE_KIND 0xffu
#define US_ALLOC_ARG_SHIFT 0x100u	/* arguments start at the second: (ctx, ...) */
#define US_ALLOC_OUTER_FREE 0x200u	/* a free that may call libc's free itself */

/* US_EV_MEM_ALLOC and US_EV_MEM_FREE. A realloc is a free of the old block
 * (when tracked) followed by an allocation of the new one. */
struct us_mem_event {
	struct us_event_header hdr;
	__u64 address;		/* the block (US_EV_MEM_BREAK: the new break) */
	__u64 size;		/* bytes asked for; a free repeats its allocation's */
	__u32 allocator;	/* enum us_allocator: what allocated, or what freed */
	__u32 weight;		/* sampling: 1, or K for a kept one-in-K small block */
};

/* US_EV_MEM_RSS */
struct us_rss_event {
	struct us_event_header hdr;
	__u64 rss_bytes;	/* file, anonymous and shared-memory pages, in bytes */
};

/* US_EV_MEM_TOTALS: the last memory record of a recording. */
struct us_mem_totals_event {
	struct us_event_header hdr;
	__u64 initial_rss_bytes;	/* when tracing started */
	__u64 peak_rss_bytes;		/* the highest seen while traced */
	__u64 final_rss_bytes;		/* when tracing stopped, or before the exit */
	__u64 unknown_frees;		/* frees of blocks allocated before tracing */
	__u64 untracked_allocs;		/* allocations the live map had no room for */
	__u64 missed_returns;		/* allocator returns the kernel did not report */
};

/* ---- Profile (bpf/profile.bpf.c, user/probe/profile_stacks.c) ---------- */

#define US_SAMPLE_STACK_BYTES 16384	/* user stack copied per sample, at most */
#define US_SAMPLE_PY_FRAMES 96		/* Python frames read per sample, at most */
#define US_SAMPLE_KERNEL_FRAMES 48	/* --kernel: kernel frames per sample, at most */
#define US_PROFILE_MAX_DEPTH 256	/* frames kept per stack; deeper ones are cut */
#define US_PROFILE_NAME_LEN 160
#define US_PROFILE_FILE_LEN 256

/* What a sample measures (us_raw_sample_event.kind, us_profile_sample_event.kind). */
enum us_sample_kind {
	US_SAMPLE_ON_CPU = 0,	/* the thread was running: weight is the sampling period */
	US_SAMPLE_OFF_CPU = 1,	/* the thread was blocked: weight is the time it was off */
};

/* One Python frame a sampled thread was running. */
struct us_py_sample_frame {
	__u64 code;		/* PyCodeObject address */
	__s32 offset;		/* bytecode offset in bytes of its current instruction; -1 unknown */
	__u32 flags;		/* US_PY_FRAME_* */
};

/* The frame is the first its C call of _PyEval_EvalFrameDefault ran: the
 * frames from the previous entry (or the innermost) to this one belong to
 * one native interpreter frame. */
#define US_PY_FRAME_ENTRY 1u

/* US_EV_SAMPLE_RAW: sent with only the bytes of `stack` used. */
struct us_raw_sample_event {
	struct us_event_header hdr;
	__u32 pid;			/* thread group id */
	__u16 cpu;
	__u8 state;			/* off-CPU: US_THREAD_* the thread was in */
	__u8 pad;
	__u64 weight_ns;
	__u64 ip, sp, bp;		/* user registers */
	__u32 stack_len;		/* bytes of stack copied from sp up */
	__u16 py_count;			/* Python frames, innermost first */
	__u8 kind;			/* enum us_sample_kind */
	__u8 flags;			/* US_RAW_* */
	__u32 kernel_count;		/* --kernel: kernel frames, innermost first */
	__u32 pad2;
	char thread_comm[US_COMM_LEN];
	char process_comm[US_COMM_LEN];
	__u64 kernel_ips[US_SAMPLE_KERNEL_FRAMES];
	struct us_py_sample_frame py[US_SAMPLE_PY_FRAMES];
	__u8 stack[US_SAMPLE_STACK_BYTES];
	__u8 page_room[2 * 4096];	/* lets the verifier prove a page copy fits */
};

/* What a blocked thread waited in (us_raw_sample_event.state). */
enum us_thread_state {
	US_THREAD_RUNNABLE = 0,		/* R: preempted, waiting for a CPU */
	US_THREAD_SLEEPING = 1,		/* S: interruptible sleep (a read, a lock, a timer) */
	US_THREAD_UNINTERRUPTIBLE = 2,	/* D: uninterruptible (disk I/O, page faults) */
	US_THREAD_OTHER = 3,
};

#define US_RAW_STACK_UNREADABLE 1u	/* no byte of the user stack could be copied */
#define US_RAW_PY_TRUNCATED 2u		/* more Python frames than US_SAMPLE_PY_FRAMES */
#define US_RAW_EXITING 4u		/* the thread exits: its memory is gone */
#define US_RAW_KERNEL_ONLY 16u		/* a kernel thread (--kernel): no user part */
#define US_RAW_STACK_HOLE 8u		/* a page of the copy could not be read: zeros */

/* US_EV_PROCESS_EXEC: pid's old program is gone; hdr.tid is the pid.
 * Traced with --follow, the process is stopped before the new program's
 * first instruction until uscope has put its probes in. */
struct us_process_exec_event {
	struct us_event_header hdr;
	char comm[US_COMM_LEN];
};

/* What a profile frame is (us_profile_frame_event.kind). */
enum us_frame_kind {
	US_FRAME_NATIVE = 0,	/* a machine-code function: object and address */
	US_FRAME_PYTHON = 1,	/* a Python function: file and line */
	US_FRAME_KERNEL = 2,
	US_FRAME_MARK = 3,	/* uscope's own note: a process, a thread, a cut stack */
};

/* US_EV_PROFILE_FRAME: sent before the first stack that uses frame `id`. */
struct us_profile_frame_event {
	struct us_event_header hdr;
	__u32 id;
	__u32 kind;			/* enum us_frame_kind */
	__s32 line;			/* Python: the current line; 0 unknown */
	__u32 pad;
	__u64 address;			/* native: the address in its object's own terms */
	char function[US_PROFILE_NAME_LEN];	/* "" when no symbol covers the address */
	char file[US_PROFILE_FILE_LEN];	/* native: the object's path; Python: the file */
};

/* US_EV_PROFILE_STACK: sent before the first sample of stack `id`. */
struct us_profile_stack_event {
	struct us_event_header hdr;
	__u32 id;
	__u16 depth;			/* frames used, innermost first */
	__u16 flags;			/* US_STACK_* */
	__u32 frames[US_PROFILE_MAX_DEPTH];
};

#define US_STACK_CUT 1u			/* deeper than US_PROFILE_MAX_DEPTH: outer frames cut */
#define US_STACK_INCOMPLETE 2u		/* the unwinding stopped before the outermost frame */

/* US_EV_PROFILE_SAMPLE: `count` samples of one stack in one thread. */
struct us_profile_sample_event {
	struct us_event_header hdr;	/* tid: the thread; ts_ns: the (last) sample */
	__u32 pid;
	__u32 stack_id;
	__u64 weight_ns;		/* their summed weight */
	__u32 count;
	__u32 kind;			/* enum us_sample_kind */
	char thread_comm[US_COMM_LEN];
	char process_comm[US_COMM_LEN];
};

/* Why a sample was lost or came out incomplete (us_profile_totals_event). */
enum us_sample_loss {
	US_LOSS_RING_FULL = 0,		/* lost: the ring buffer was full */
	US_LOSS_STACK_UNREADABLE = 1,	/* lost: the user stack could not be copied */
	US_LOSS_PROCESS_GONE = 2,	/* lost: the process exited before it could be unwound */
	US_LOSS_UNWIND_STOPPED = 3,	/* kept, incomplete: no call-frame information, or past the copy */
	US_LOSS_DEPTH_CUT = 4,		/* kept, cut: deeper than US_PROFILE_MAX_DEPTH frames */
	US_LOSS_PYTHON_UNPLACED = 5,	/* kept: Python frames with no interpreter frame to go in */
	US_LOSS_PYTHON_TRUNCATED = 6,	/* kept: more Python frames than the probe reads */
	US_LOSS_CAUSES = 7,
};

/* US_EV_PROFILE_TOTALS */
struct us_profile_totals_event {
	struct us_event_header hdr;
	__u64 samples;			/* taken in the kernel, lost ones included */
	__u32 frequency_hz;
	__u32 kinds;			/* bit 1 << us_sample_kind: what was sampled */
	__u64 losses[US_LOSS_CAUSES];
};

/* US_EV_PY_LINE: the frame running code object `code` started a line: as
 * sys.settrace's 'line' event, once per line run, again at each jump back. */
struct us_py_line_event {
	struct us_event_header hdr;
	__u64 code;		/* PyCodeObject address (see US_EV_PY_CODE) */
	__s32 offset;		/* bytecode offset, bytes: the instruction starting it; -1 unknown */
	__s32 line;		/* the line, as the interpreter computed it; 0 unknown */
	/* 3.12+ (sys.monitoring): the probe runs before the interpreter decides,
	 * so the model decides as settrace does, from the line table: */
	__s32 prev_offset;	/* the instruction run before it (a jump: the jump) */
	__u32 flags;		/* US_LINE_* */
};

#define US_LINE_IF_NEW_LINE 1u	/* a line only if its line differs from prev's */
#define US_LINE_AFTER_RESUME 2u	/* prev is a RESUME: a line even on the same line */
#define US_LINE_IF_SAME_LINE 4u	/* a backward jump: a line only if prev's line is its own */

/* US_EV_PY_LINE_HOOK: sent with SIGSTOP; uscope writes the hook into this
 * thread state, then lets the thread go on. */
struct us_py_line_hook_event {
	struct us_event_header hdr;
	__u64 tstate;		/* the thread's PyThreadState */
};

#define US_PY_LOCALS_MAX 32	/* local slots read: the first 32 */
#define US_PY_VARNAME_LEN 32
#define US_PY_LOCALS_PER_RECORD 8

/* US_EV_PY_VARNAMES: sent once per code object before its first
 * US_EV_PY_LOCALS: the names of its local slots, in order (arguments and
 * other locals, then cells, then free variables). */
struct us_py_varnames_event {
	struct us_event_header hdr;
	__u64 code;
	__u32 count;		/* its slots (more than US_PY_LOCALS_MAX: the first are named) */
	__u32 pad;
	char names[US_PY_LOCALS_MAX][US_PY_VARNAME_LEN];	/* NUL-terminated, cut */
};

/* Where a frame's locals were read. */
enum us_locals_moment {
	US_LOCALS_AT_LINE = 0,	/* it started the line just sent (--lines) */
	US_LOCALS_AT_CALL = 1,	/* it was entered: a call, or a generator's resume */
	US_LOCALS_AT_RETURN = 2,/* it is leaving: a return, a yield, an exception */
};

/* US_EV_PY_LOCALS: slots first..first+count-1 of a frame, summarised, at
 * `moment`: with --lines, of the frame that just started a line (the
 * US_EV_PY_LINE before it on this thread); without, of the frame entered
 * (after its US_EV_PY_ENTRY) or leaving (before its US_EV_PY_EXIT). A
 * frame's slots come in records of 8 until `total` (an unbound slot: kind 0). */
struct us_py_locals_event {
	struct us_event_header hdr;
	__u64 code;
	__u16 first;
	__u16 count;
	__u16 total;		/* the slots read: at most US_PY_LOCALS_MAX */
	__u16 moment;		/* enum us_locals_moment */
	__u32 pad2;
	__u32 pad3;
	struct us_py_value values[US_PY_LOCALS_PER_RECORD];
};

#define US_PY_GLOBALS_MAX 32	/* a module's globals read: the first 32 shown */
#define US_PY_GLOBALS_PER_RECORD 6	/* a record under 1 KiB: clang zeroes it inline */
#define US_PY_GLOBALS_SCANNED 128	/* entries of its dict looked at */

struct us_py_global {
	char name[US_PY_VARNAME_LEN];	/* NUL-terminated, cut */
	struct us_py_value value;
};

/* US_EV_PY_GLOBALS: right after a frame's US_EV_PY_LOCALS records (--locals
 * with --globals), globals first..first+count-1 of the frame's module (its
 * globals dict), in the dict's order: the module's own variables, without
 * names starting with "__", modules, functions and classes. They come in
 * records of 6 until `total` (none: one record with total 0). */
struct us_py_globals_event {
	struct us_event_header hdr;
	__u64 code;		/* the frame's code object */
	__u64 dict;		/* the module's globals dict */
	__u16 first;
	__u16 count;
	__u16 total;		/* the globals shown: at most US_PY_GLOBALS_MAX */
	__u16 moment;		/* enum us_locals_moment */
	__u32 scanned;		/* entries of the dict looked at */
	__u32 entries;		/* entries the dict has (deleted ones included) */
	struct us_py_global vars[US_PY_GLOBALS_PER_RECORD];
};

#define US_TEST_NODEID_LEN 384

/* US_EV_PY_TEST_REPORT: pytest's TestReport(nodeid, location, keywords,
 * outcome, longrepr, when, sections, duration, ...) was made: one phase
 * (setup, call, teardown) of one test ended. Read from the arguments of
 * its __init__ at its entry, in the thread that runs the test. */
struct us_py_test_report_event {
	struct us_event_header hdr;
	char nodeid[US_TEST_NODEID_LEN];	/* "tests/test_x.py::TestA::test_b[1]", cut */
	char outcome[16];		/* passed, failed, skipped */
	char when[16];			/* setup, call, teardown */
	__u64 duration_bits;		/* the phase's duration in s, a double; NaN unknown */
};

/* The on-disk sizes (docs/format.md): a change here is a format change. */
#define US_ASSERT_SIZE(type, bytes) _Static_assert(sizeof(type) == (bytes), #type " changed size")
US_ASSERT_SIZE(struct us_event_header, 16);
US_ASSERT_SIZE(struct us_call_event, 32);
US_ASSERT_SIZE(struct us_task_event, 32);
_Static_assert(__builtin_offsetof(struct us_task_event, parent_tid) == US_TASK_OLD_SIZE,
	       "an old task record ends where parent_tid starts");
US_ASSERT_SIZE(struct us_thread_event, 40);
US_ASSERT_SIZE(struct us_lost_event, 24);
US_ASSERT_SIZE(struct us_py_code_event, 1448);
US_ASSERT_SIZE(struct us_py_entry_event, 56);
_Static_assert(__builtin_offsetof(struct us_py_entry_event, frame) == US_PY_ENTRY_SHORT_SIZE,
	       "the short Python entry record ends where frame starts");
US_ASSERT_SIZE(struct us_py_exit_event, 136);
US_ASSERT_SIZE(struct us_py_args_event, 312);
US_ASSERT_SIZE(struct us_py_exception_event, 560);
US_ASSERT_SIZE(struct us_py_stopped_event, 24);
US_ASSERT_SIZE(struct us_py_gc_event, 32);
US_ASSERT_SIZE(struct us_py_import_event, 160);
US_ASSERT_SIZE(struct us_py_finalize_event, 24);
US_ASSERT_SIZE(struct us_mem_event, 40);
US_ASSERT_SIZE(struct us_rss_event, 24);
US_ASSERT_SIZE(struct us_mem_totals_event, 64);
US_ASSERT_SIZE(struct us_process_exec_event, 32);
US_ASSERT_SIZE(struct us_profile_frame_event, 456);
US_ASSERT_SIZE(struct us_profile_stack_event, 1048);
US_ASSERT_SIZE(struct us_profile_sample_event, 72);
US_ASSERT_SIZE(struct us_profile_totals_event, 88);
US_ASSERT_SIZE(struct us_py_line_event, 40);
US_ASSERT_SIZE(struct us_py_line_hook_event, 24);
US_ASSERT_SIZE(struct us_py_varnames_event, 1056);
US_ASSERT_SIZE(struct us_py_locals_event, 808);
US_ASSERT_SIZE(struct us_py_test_report_event, 440);
US_ASSERT_SIZE(struct us_py_globals_event, 816);

/* Every record type with its struct, in one list: the recording reader
 * takes each type's size from it (user/record/record_read.c), and the
 * model's event table routes each type to its handler (user/model/model.c).
 * A new record type is one line here and one row there. */
#define US_EVENT_TYPES(X)                                              \
	X(US_EV_CALL_ENTRY, struct us_call_event)                      \
	X(US_EV_CALL_EXIT, struct us_call_event)                       \
	X(US_EV_THREAD_EXIT, struct us_thread_event)                   \
	X(US_EV_PY_CODE, struct us_py_code_event)                      \
	X(US_EV_PY_ENTRY, struct us_py_entry_event)                    \
	X(US_EV_PY_EXIT, struct us_py_exit_event)                      \
	X(US_EV_PY_ARGS, struct us_py_args_event)                      \
	X(US_EV_PY_STOPPED, struct us_py_stopped_event)                \
	X(US_EV_PY_GC, struct us_py_gc_event)                          \
	X(US_EV_PY_IMPORT, struct us_py_import_event)                  \
	X(US_EV_PY_FINALIZE, struct us_py_finalize_event)              \
	X(US_EV_MEM_ALLOC, struct us_mem_event)                        \
	X(US_EV_MEM_FREE, struct us_mem_event)                         \
	X(US_EV_MEM_BREAK, struct us_mem_event)                        \
	X(US_EV_MEM_RSS, struct us_rss_event)                          \
	X(US_EV_MEM_TOTALS, struct us_mem_totals_event)                \
	X(US_EV_LOST, struct us_lost_event)                            \
	X(US_EV_PY_EXCEPTION, struct us_py_exception_event)            \
	X(US_EV_SAMPLE_RAW, struct us_raw_sample_event)                \
	X(US_EV_PROCESS_EXEC, struct us_process_exec_event)            \
	X(US_EV_PROFILE_FRAME, struct us_profile_frame_event)          \
	X(US_EV_PROFILE_STACK, struct us_profile_stack_event)          \
	X(US_EV_PROFILE_SAMPLE, struct us_profile_sample_event)        \
	X(US_EV_PROFILE_TOTALS, struct us_profile_totals_event)        \
	X(US_EV_SAMPLE_CODE, struct us_py_code_event)                  \
	X(US_EV_UNWIND_STOP, struct us_unwind_stop_event)              \
	X(US_EV_PY_RECURSION_STOP, struct us_py_recursion_event)      \
	X(US_EV_FUNC_STATS, struct us_func_stats_event)                \
	X(US_EV_TASK_NEW, struct us_task_event)                        \
	X(US_EV_PROCESS_INFO, struct us_process_info_event)            \
	X(US_EV_PY_LINE, struct us_py_line_event)                      \
	X(US_EV_PY_LINE_HOOK, struct us_py_line_hook_event)            \
	X(US_EV_PY_VARNAMES, struct us_py_varnames_event)              \
	X(US_EV_PY_LOCALS, struct us_py_locals_event)                  \
	X(US_EV_PY_TEST_REPORT, struct us_py_test_report_event)        \
	X(US_EV_PY_GLOBALS, struct us_py_globals_event)

#define US_EV_TYPE_LIMIT 37	/* one past the largest type */

/* At entry the stack pointer points at the return address; the uretprobe
 * fires after `ret` popped it, so a call's exit sp is its entry sp plus this. */
#define US_RETURN_SP_DELTA 8

#endif /* USCOPE_EVENTS_H */
