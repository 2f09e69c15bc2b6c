// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CPython calls: a uprobe and a uretprobe on _PyEval_EvalFrameDefault, which
 * runs one Python frame per C-level call (3.11+ once userspace has disabled
 * call inlining). The entry names the frame's code object, sending its
 * strings once per code object; the exit summarises the return value or the
 * exception while the object is still alive. USDT probes, where the
 * interpreter has them, add garbage collections and imports.
 * Offsets: python_layout.h, docs/cpython.md.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#include "shared.bpf.h"
#include "python_layout.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern bool bpf_session_is_return(void) __ksym;

const volatile struct us_py_layout layout = {};
const volatile bool capture_args = false;
/* Stop the target at its first Python call so userspace can write eval_frame
 * (3.11+ `run`: every Python-to-Python call is a C call from then on). */
const volatile bool stop_at_first_call = false;

/* --aggregate: counters per code object, no per-call records. */
const volatile bool aggregate = false;

/* --lines through the C trace hook: each thread gets it at a Python call. */
const volatile bool line_hook = false;
/* --locals: at each line, the frame's local slots (the first 32). */
const volatile bool capture_locals = false;
/* --locals without --lines: the slots at each call and each return. */
const volatile bool capture_call_locals = false;
/* --globals: with the locals, the module's globals. */
const volatile bool capture_globals = false;
/* Set by userspace when it takes the hooks out: no thread asks again. */
__u32 line_hook_closed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct us_call_stats);
} code_stats SEC(".maps");

/* Runtime address minus ELF address of the interpreter's object, learned at
 * each entry from the probe's own address (one target, one mapping). */
__u64 load_delta = 0;
__u64 stop_sent = 0;

/* What identifies a code object at an address: addresses are reused once
 * a code object is freed (a module's <module> code after its import). */
struct code_info {
	__u64 name;		/* the name and file str objects */
	__u64 file;
	__u32 first_line;
	__u32 flags;
	__u32 arg_count;
	__u32 role;		/* CODE_ROLE_*: what uscope reads at its calls */
};

#define CODE_ROLE_NONE 0
#define CODE_ROLE_TEST_REPORT 1	/* pytest's TestReport.__init__ */

/* Set by userspace once python_code_freed is attached: a code object's
 * entry in code_sent then holds until the object is freed, so a hit needs
 * no read of its header (~0.1 us a call). Not once the target has made a
 * process: one address may then be a different code object in each, and
 * the header tells them apart. */
__u32 code_frees_watched = 0;

/* Code objects whose strings were sent. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct code_info);
} code_sent SEC(".maps");

#define CODE_HEADER_LEN 128

static __always_inline __u64 header_field(const __u8 *header, __s32 offset, __u32 size)
{
	__u32 at = (__u32)(offset - layout.code_header_start);
	__u64 v = 0;

	if (at > CODE_HEADER_LEN - 8)
		return 0;
	__builtin_memcpy(&v, header + at, 8);
	return size == 4 ? (__u32)v : v;
}

/* The fields that identify a code object, from one read of its header.
 * Global, so that its 128 bytes of stack are not the calling program's
 * (whose other calls need room too: the stack is 512 bytes in all). */
__noinline int read_code_info(__u64 code, struct code_info *info)
{
	__u8 header[CODE_HEADER_LEN];
	__s32 name_off = layout.code_qualname >= 0 ? layout.code_qualname : layout.code_name;

	if (!info)
		return 0;
	if (bpf_probe_read_user(header, sizeof(header), (void *)(code + layout.code_header_start)))
		__builtin_memset(header, 0, sizeof(header));
	info->name = header_field(header, name_off, 8);
	info->file = header_field(header, layout.code_filename, 8);
	info->first_line = header_field(header, layout.code_firstlineno, 4);
	info->flags = header_field(header, layout.code_flags, 4);
	info->arg_count = header_field(header, layout.code_argcount, 4);
	info->role = CODE_ROLE_NONE;
	return 0;
}

#include "python_objects.bpf.h"

/* --aggregate: how many code objects at each address were freed. Counters
 * are kept under the address and that number (code_key), so a code object
 * made where a freed one was has its own (records tell them apart by
 * their order instead). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u32);
} codes_freed SEC(".maps");

#define CODE_GENERATION_SHIFT 48	/* user addresses are below 2^47 */

static __always_inline __u64 code_key(__u64 code)
{
	__u32 *freed = aggregate ? bpf_map_lookup_elem(&codes_freed, &code) : NULL;

	return freed ? code | (__u64)*freed << CODE_GENERATION_SHIFT : code;
}

static const char pytest_reports[] US_RODATA = "_pytest/reports.py";
static const char test_report_init[] US_RODATA = "TestReport.__init__";
static const char init_name[] US_RODATA = "__init__";

/* Whether text (len bytes, in a buffer of mask + 1, a power of two) ends
 * with tail. */
static __always_inline bool ends_with(const char *text, int len, int mask, const char *tail,
				      int tail_len)
{
	if (len < tail_len)
		return false;
	for (int i = 0; i < tail_len; i++)
		if (text[(len - tail_len + i) & mask] != tail[i])
			return false;
	return true;
}

/* pytest's TestReport.__init__(self, nodeid, location, keywords, outcome,
 * longrepr, when, ...): 3.8-3.10 name it __init__ only, which
 * CollectReport's (six arguments) shares. */
static __always_inline __u32 code_role(const struct us_py_code_event *e, int name_len,
				       int file_len)
{
	if (!ends_with(e->file, file_len, US_PY_FILE_LEN - 1, pytest_reports,
		       sizeof(pytest_reports) - 1))
		return CODE_ROLE_NONE;
	if (layout.code_qualname >= 0)
		return name_len == sizeof(test_report_init) - 1 &&
		       ends_with(e->qualname, name_len, US_PY_NAME_LEN - 1, test_report_init,
				 sizeof(test_report_init) - 1) ? CODE_ROLE_TEST_REPORT
							       : CODE_ROLE_NONE;
	return name_len == sizeof(init_name) - 1 &&
	       ends_with(e->qualname, name_len, US_PY_NAME_LEN - 1, init_name,
			 sizeof(init_name) - 1) &&
	       e->arg_count >= 7 ? CODE_ROLE_TEST_REPORT : CODE_ROLE_NONE;
}

static __always_inline void send_code(__u64 code, __u32 tid, struct code_info *info)
{
	int name_len, file_len;
	struct us_py_code_event *e = reserve_event(US_EV_PY_CODE, sizeof(*e), tid);
	__u64 linetable, size;

	if (!e)
		return;
	e->code = code_key(code);
	e->flags = info->flags;
	e->arg_count = info->arg_count;
	e->first_line = info->first_line;
	e->linetable_len = 0;
	name_len = read_str(info->name, e->qualname, sizeof(e->qualname));
	file_len = read_str(info->file, e->file, sizeof(e->file));
	info->role = code_role(e, name_len, file_len);
	if (layout.code_linetable >= 0) {	/* the line table, in the version's format */
		linetable = read_u64(code + layout.code_linetable);
		size = linetable ? read_u64(linetable + US_PY_OB_SIZE) : 0;
		if (size > US_PY_LINETABLE_LEN)
			size = US_PY_LINETABLE_LEN;
		if (size && !bpf_probe_read_user(e->linetable, size, (void *)(linetable + US_PY_BYTES_DATA)))
			e->linetable_len = size;
	}
	bpf_ringbuf_submit(e, submit_flags());
}

/* The code object's flags into *out; sends its strings the first time it
 * is seen at this address. Global: its stack is its own. */
__noinline int lookup_code_info(__u64 code, __u32 tid, struct code_info *out)
{
	struct code_info *known;
	struct code_info info, seen = {};
	bool was_seen = false;

	if (!out)
		return 0;
	known = bpf_map_lookup_elem(&code_sent, &code);
	if (known) {	/* copied once, null-checked first (the verifier's rule) */
		barrier_var(known);
		__builtin_memcpy(&seen, known, sizeof(seen));
		was_seen = true;
	}
	if (was_seen && code_frees_watched && !shared.processes_made) {
		*out = seen;
		return 0;
	}
	read_code_info(code, &info);
	if (was_seen && seen.name == info.name && seen.file == info.file &&
	    seen.first_line == info.first_line) {
		*out = seen;
		return 0;
	}
	send_code(code, tid, &info);
	bpf_map_update_elem(&code_sent, &code, &info, BPF_ANY);
	*out = info;
	return 0;
}

static __always_inline struct code_info code_info_of(__u64 code, __u32 tid)
{
	struct code_info info = {};

	lookup_code_info(code, tid, &info);
	return info;
}

/* A call runs the frame from its start; a resume continues a suspended
 * generator or coroutine frame (docs/cpython.md, "Call or resume"). */
static __always_inline __u32 entry_kind(__u64 frame, __u64 code, const struct code_info *info)
{
	__u8 owner = 0;
	__s64 offset;

	if (layout.frame_lasti >= 0)
		return read_s32(frame + layout.frame_lasti) < 0 ? US_PY_CALL : US_PY_RESUME;
	bpf_probe_read_user(&owner, 1, (void *)(frame + layout.frame_owner));
	if (owner != US_FRAME_OWNED_BY_GENERATOR)
		return info->flags & US_CO_SUSPENDABLE ? US_PY_GENERATOR_NEW : US_PY_CALL;
	/* before the first RESUME instruction: the generator's first run */
	offset = (__s64)(read_u64(frame + layout.frame_instr_ptr) - (code + layout.code_adaptive));
	return offset < 2 * (__s64)read_s32(code + layout.code_firsttraceable) ? US_PY_CALL
									       : US_PY_RESUME;
}

static __always_inline void send_args(__u64 frame, __u32 tid, __u32 arg_count)
{
	struct us_py_args_event *e = reserve_event(US_EV_PY_ARGS, sizeof(*e), tid);

	if (!e)
		return;
	__builtin_memset(&e->count, 0, sizeof(*e) - sizeof(e->hdr));
	e->count = arg_count < US_PY_MAX_ARGS ? arg_count : US_PY_MAX_ARGS;
	for (int i = 0; i < US_PY_MAX_ARGS; i++)
		if (i < e->count)
			summarise(read_u64(frame + layout.frame_localsplus + 8 * i), &e->args[i]);
	bpf_ringbuf_submit(e, submit_flags());
}

#define TEST_REPORT_NODEID 1	/* TestReport.__init__'s arguments, self at 0 */
#define TEST_REPORT_OUTCOME 4
#define TEST_REPORT_WHEN 6
#define TEST_REPORT_DURATION 8

static __always_inline void send_test_report(__u64 frame, __u32 tid)
{
	struct us_py_test_report_event *e = reserve_event(US_EV_PY_TEST_REPORT, sizeof(*e), tid);
	__u64 args = frame + layout.frame_localsplus, duration;

	if (!e)
		return;
	__builtin_memset(e->nodeid, 0, sizeof(*e) - sizeof(e->hdr));
	read_str(read_u64(args + 8 * TEST_REPORT_NODEID), e->nodeid, sizeof(e->nodeid));
	read_str(read_u64(args + 8 * TEST_REPORT_OUTCOME), e->outcome, sizeof(e->outcome));
	read_str(read_u64(args + 8 * TEST_REPORT_WHEN), e->when, sizeof(e->when));
	duration = read_u64(args + 8 * TEST_REPORT_DURATION);
	e->duration_bits = duration && read_u64(duration + US_PY_OB_TYPE) ==
					layout.float_type_vaddr + load_delta
			   ? read_u64(duration + US_PY_FLOAT_VALUE) : 0x7ff8000000000000ull;
	bpf_ringbuf_submit(e, submit_flags());
}

static __always_inline void stop_for_userspace(__u32 tid)
{
	struct us_py_stopped_event *e;

	if (__sync_fetch_and_add(&stop_sent, 1))
		return;
	e = reserve_event(US_EV_PY_STOPPED, sizeof(*e), tid);
	if (!e)
		return;
	e->load_delta = load_delta;
	submit_and_stop(e);
}

/* The frame: rsi, or rdi on 3.8. Both registers are read, so the compiler
 * cannot turn the choice into a computed context offset (the verifier
 * refuses those). */
static __always_inline __u64 frame_argument(struct pt_regs *ctx)
{
	__u64 rdi = PT_REGS_PARM1(ctx), rsi = PT_REGS_PARM2(ctx);

	barrier_var(rdi);
	barrier_var(rsi);
	return layout.frame_in_rdi ? rdi : rsi;
}

static __always_inline void learn_load_delta(struct pt_regs *ctx)
{
	__u64 delta = PT_REGS_IP(ctx) - layout.eval_probe_vaddr;

	if (delta != load_delta)	/* once: a shared line, kept clean for every CPU */
		load_delta = delta;
}

/* The frame thread state `tstate` runs now (3.11+: through its C frame). */
static __always_inline __u64 running_frame(__u64 tstate)
{
	__u64 frame = read_u64(tstate + layout.tstate_frame);

	if (frame && layout.cframe_current_frame >= 0)
		frame = read_u64(frame + layout.cframe_current_frame);
	return frame;
}

/* Where the calling frame is in its bytecode (bytes), which its line table
 * turns into the line the call was made from; -1 unknown. <= 3.10: the
 * frame's f_back, set when it was made. 3.11+ links a frame to its caller
 * only inside the eval function, after this probe (what `previous` holds
 * here is stale), so the caller is the frame the thread runs now: its
 * state is the eval function's first argument. A 3.12+ entry frame of
 * its own (a C caller) stands for the Python frame before it. */
static __always_inline __s32 caller_offset(struct pt_regs *ctx, __u64 frame)
{
	__u64 caller, code, ip;
	__u8 owner = 0;
	__s32 lasti;

	if (layout.frame_lasti >= 0) {	/* <= 3.10: f_lasti, in lasti_bytes units */
		caller = read_u64(frame + layout.frame_previous);
		lasti = caller ? read_s32(caller + layout.frame_lasti) : -1;
		return lasti < 0 ? -1 : lasti * (__s32)layout.lasti_bytes;
	}
	caller = running_frame(PT_REGS_PARM1(ctx));
	if (!caller || caller == frame)
		return -1;
	bpf_probe_read_user(&owner, 1, (void *)(caller + layout.frame_owner));
	if (owner == US_FRAME_OWNED_BY_CSTACK)
		caller = read_u64(caller + layout.frame_previous);
	if (!caller)
		return -1;
	code = read_u64(caller + layout.frame_code);
	ip = read_u64(caller + layout.frame_instr_ptr);
	return code && ip > code + layout.code_adaptive
	       ? (__s32)(ip - (code + layout.code_adaptive)) : -1;
}

/* The value of register `reg` (enum us_register) at the probe. Every
 * register is loaded at its own constant offset (the verifier refuses a
 * computed offset into the context), then one is picked. */
static __always_inline __u64 register_value(struct pt_regs *ctx, __u32 reg)
{
	__u64 values[16] = {
		0, ctx->ax, ctx->bx, ctx->cx, ctx->dx, ctx->si, ctx->di, ctx->bp,
		ctx->r8, ctx->r9, ctx->r10, ctx->r11, ctx->r12, ctx->r13, ctx->r14, ctx->r15,
	};

	return values[reg & 15];
}

/* ---- --lines ------------------------------------------------------------ */

/* The thread holding the GIL (<= 3.11): the one the probe runs in. */
static __always_inline __u64 current_thread_state(void)
{
	return read_u64(layout.runtime_vaddr + load_delta + (__u64)layout.runtime_tstate_current);
}

/* Threads whose thread state uscope was asked to hook: tid -> tstate (a
 * thread state's address is reused by a later thread). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} line_hook_asked SEC(".maps");

/* A thread whose state has no trace function stops for userspace to put
 * the hook in (user/target/target_python.c); one with a trace function,
 * ours or the program's own, goes on. */
static __always_inline void ask_for_line_hook(__u32 tid)
{
	struct us_py_line_hook_event *e;
	__u64 tstate = current_thread_state(), *asked;

	if (!tstate || read_u64(tstate + (__u64)layout.tstate_c_tracefunc))
		return;
	asked = bpf_map_lookup_elem(&line_hook_asked, &tid);
	if (asked && *asked == tstate)
		return;
	bpf_map_update_elem(&line_hook_asked, &tid, &tstate, BPF_ANY);
	e = reserve_event(US_EV_PY_LINE_HOOK, sizeof(*e), tid);
	if (!e)
		return;
	e->tstate = tstate;
	submit_and_stop(e);
}

static __always_inline void send_line_event(__u32 tid, __u64 code, __s32 offset, __s32 line,
					   __s32 prev_offset, __u32 flags)
{
	struct us_py_line_event *e;

	if (!code)
		return;
	code_info_of(code, tid);
	e = reserve_event(US_EV_PY_LINE, sizeof(*e), tid);
	if (!e)
		return;
	e->code = code;
	e->offset = offset;
	e->line = line;
	e->prev_offset = prev_offset;
	e->flags = flags;
	bpf_ringbuf_submit(e, submit_flags());
}

/* A line the interpreter decided on (settrace's own event). */
static __always_inline void send_line(__u32 tid, __u64 code, __s32 offset, __s32 line)
{
	send_line_event(tid, code, offset, line, -1, 0);
}

/* Where a frame is in its bytecode, in bytes; -1 unknown. */
static __always_inline __s32 frame_offset(__u64 frame, __u64 code)
{
	__s32 lasti;
	__u64 ip;

	if (layout.frame_lasti >= 0) {
		lasti = read_s32(frame + layout.frame_lasti);
		return lasti < 0 ? -1 : lasti * (__s32)layout.lasti_bytes;
	}
	ip = read_u64(frame + layout.frame_instr_ptr);
	return ip >= code + layout.code_adaptive ? (__s32)(ip - (code + layout.code_adaptive)) : -1;
}

#define PY_TRACE_LINE 2		/* PyTrace_LINE */


/* ---- --locals, --globals ------------------------------------------------ */

#include "python_variables.bpf.h"

/* trace_trampoline(obj, frame, what, arg), the C trace function uscope
 * puts into each thread: with no Python trace function (obj is NULL) it
 * returns 0 at once. The interpreter calls it as for sys.settrace, so the
 * 'line' events are settrace's own; f_lineno holds the line meanwhile. */
SEC("uprobe")
int BPF_KPROBE(python_line_hook, __u64 obj, __u64 frame_object, int what)
{
	__u32 tid = target_thread();
	__u64 frame, code;

	if (!tid || what != PY_TRACE_LINE || !frame_object)
		return 0;
	frame = layout.pyframe_frame >= 0 ? read_u64(frame_object + layout.pyframe_frame)
					  : frame_object;
	code = frame ? read_u64(frame + layout.frame_code) : 0;
	send_line(tid, code, frame_offset(frame, code),
		  read_s32(frame_object + layout.pyframe_lineno));
	if (capture_locals && code)
		send_locals(tid, code, frame, US_LOCALS_AT_LINE, false);
	return 0;
}

/* A PGO build's inlined copy of the hook (user/plan/plan_python_hook.h):
 * the probe is on the jump after `cmp $hook, %reg`, the register in the
 * cookie. The event and the frame come from the thread's state: call_trace
 * has set tracing_what, and f_lineno of the frame object. */
SEC("uprobe")
int BPF_KPROBE(python_line_hook_site)
{
	__u32 tid = target_thread();
	__u64 tstate, frame, code, frame_object;

	if (!tid || register_value(ctx, (__u32)bpf_get_attach_cookie(ctx)) !=
			    layout.line_hook_vaddr + load_delta)
		return 0;
	tstate = current_thread_state();
	if (!tstate || read_s32(tstate + layout.tstate_tracing_what) != PY_TRACE_LINE)
		return 0;
	frame = running_frame(tstate);
	code = frame ? read_u64(frame + layout.frame_code) : 0;
	frame_object = frame ? read_u64(frame + layout.frame_object) : 0;
	send_line(tid, code, frame_offset(frame, code),
		  frame_object ? read_s32(frame_object + layout.pyframe_lineno) : 0);
	if (capture_locals && code)
		send_locals(tid, code, frame, US_LOCALS_AT_LINE, false);
	return 0;
}

/* ---- --lines through sys.monitoring (3.12+) ---------------------------- */

/* A bytecode address as an offset in bytes into `code`'s instructions. */
static __always_inline __s32 instruction_offset(__u64 code, __u64 instr)
{
	__u64 start = code + layout.code_adaptive;

	return instr >= start && instr - start < (1u << 30) ? (__s32)(instr - start) : -1;
}

/* _Py_call_instrumentation_line(tstate, frame, instr, prev): an
 * INSTRUMENTED_LINE ran; the interpreter then skips it when prev is on the
 * same line (unless prev is a RESUME), as the model does from the table. */
SEC("uprobe")
int BPF_KPROBE(python_line_monitor, __u64 tstate, __u64 frame, __u64 instr, __u64 prev)
{
	__u32 tid = target_thread();
	__u64 code = frame ? read_u64(frame + layout.frame_code) : 0;
	__u8 prev_opcode = 0;
	__u32 flags = US_LINE_IF_NEW_LINE;

	if (!tid || !code)
		return 0;
	bpf_probe_read_user(&prev_opcode, 1, (void *)prev);
	/* settrace's own tool instruments RESUME; without it 3.13 may have
	 * specialised it */
	if (prev_opcode == layout.resume_opcode || prev_opcode == layout.instrumented_resume_opcode ||
	    (layout.resume_check_opcode && prev_opcode == layout.resume_check_opcode))
		flags |= US_LINE_AFTER_RESUME;
	send_line_event(tid, code, instruction_offset(code, instr), 0,
			instruction_offset(code, prev), flags);
	if (capture_locals)	/* kept by the model only when the line is */
		send_locals(tid, code, frame, US_LOCALS_AT_LINE, false);
	return 0;
}

/* _Py_call_instrumentation_jump(tstate, event, frame, instr, target): a
 * backward jump to its own line is a line for settrace (a forward one, or
 * one to another line, is not: the target's INSTRUMENTED_LINE tells). */
SEC("uprobe")
int BPF_KPROBE(python_jump_monitor, __u64 tstate, int event, __u64 frame, __u64 instr,
	       __u64 target)
{
	__u32 tid = target_thread();
	__u64 code = frame ? read_u64(frame + layout.frame_code) : 0;

	if (!tid || !code || (__u32)event != layout.jump_event || target > instr)
		return 0;
	send_line_event(tid, code, instruction_offset(code, target), 0,
			instruction_offset(code, instr), US_LINE_IF_SAME_LINE);
	if (capture_locals)
		send_locals(tid, code, frame, US_LOCALS_AT_LINE, false);
	return 0;
}

/* A generator's or coroutine's run: its frame, kept for its return (the
 * session's cookie), where it says where it suspended. */
#define RUN_FOR_LOCALS_ONLY 1ull	/* in a cookie: not a generator's run */

static __always_inline void remember_run(__u64 frame)
{
	__u64 *cookie = bpf_session_cookie();

	if (cookie)
		*cookie = frame;
}

static __always_inline void fill_entry(struct us_py_entry_event *e, struct pt_regs *ctx,
				      __u64 code, __u32 kind, __u32 flags, __s32 caller)
{
	e->code = code;
	e->sp = PT_REGS_SP(ctx);
	e->kind = kind;
	e->flags = flags;
	e->caller_offset = caller;
	e->pad = 0;
}

/* --locals without --lines: the slots as a call or a resume finds them;
 * the run is remembered for its return (up to 3.11 the frame is intact
 * when the eval function returns; 3.12+ clears it before, see
 * python_frame_cleared), a generator's run already is. */
static __always_inline void entry_locals(__u64 frame, __u64 code, __u32 tid, __u32 kind,
					 __u32 code_flags)
{
	send_locals(tid, code, frame, US_LOCALS_AT_CALL, kind == US_PY_CALL);
	if (!(code_flags & US_CO_SUSPENDABLE) && layout.minor <= 11)
		remember_run(frame | RUN_FOR_LOCALS_ONLY);
}

static __always_inline void frame_entered(struct pt_regs *ctx, __u32 tid, __u32 flags)
{
	__u64 frame, code;
	struct us_py_entry_event *e;
	struct code_info info;
	__s32 caller;
	__u32 kind;

	frame = frame_argument(ctx);
	code = read_u64(frame + layout.frame_code);
	info = code_info_of(code, tid);
	kind = entry_kind(frame, code, &info);
	caller = kind == US_PY_CALL ? caller_offset(ctx, frame) : -1;
	/* a generator's or coroutine's run: with its frame, which names it */
	if ((info.flags & US_CO_SUSPENDABLE) && kind != US_PY_GENERATOR_NEW) {
		remember_run(frame);
		e = reserve_event(US_EV_PY_ENTRY, sizeof(*e), tid);
		if (e) {
			fill_entry(e, ctx, code, kind, flags, caller);
			e->frame = frame;
			bpf_ringbuf_submit(e, submit_flags());
		}
	} else {
		e = reserve_event(US_EV_PY_ENTRY, US_PY_ENTRY_SHORT_SIZE, tid);
		if (e) {
			fill_entry(e, ctx, code, kind, flags, caller);
			bpf_ringbuf_submit(e, submit_flags());
		}
	}
	if (capture_args && kind == US_PY_CALL && info.arg_count)
		send_args(frame, tid, info.arg_count);
	if (capture_call_locals && (kind == US_PY_CALL || kind == US_PY_RESUME))
		entry_locals(frame, code, tid, kind, info.flags);
	if (info.role == CODE_ROLE_TEST_REPORT && kind == US_PY_CALL)
		send_test_report(frame, tid);
	/* one stop at a time: userspace hooks the first thread at this one */
	if (stop_at_first_call && !stop_sent)
		stop_for_userspace(tid);
	else if (line_hook && !line_hook_closed)
		ask_for_line_hook(tid);
}

/* A call of Python function `function` that CPython runs inside the
 * calling frame's C call, where no return is seen: counted, no exit. */
static __always_inline void inline_call(struct pt_regs *ctx, __u32 tid, __u64 function)
{
	struct us_py_entry_event *e;
	__u64 code = function ? read_u64(function + layout.function_code) : 0;

	if (!code)
		return;
	code_info_of(code, tid);
	e = reserve_event(US_EV_PY_ENTRY, US_PY_ENTRY_SHORT_SIZE, tid);
	if (!e)
		return;
	fill_entry(e, ctx, code, US_PY_INLINE_CALL, US_CALL_NO_RETURN, -1);
	bpf_ringbuf_submit(e, submit_flags());
}

/* 3.13: a specialised class call allocates the object here, then runs its
 * __init__ inside the calling frame's C call. */
SEC("uprobe")
int BPF_KPROBE(python_inline_init, __u64 type)
{
	__u32 tid = target_thread();

	if (tid)
		inline_call(ctx, tid, read_u64(type + layout.heap_type_init));
	return 0;
}

/* 3.11.0-3.11.3: BINARY_SUBSCR_GETITEM passed its checks and pushes the
 * frame of the type's __getitem__ inside this C call (gh-104405; the place
 * and the register are found in user/plan/plan_python_inline.c). */
SEC("uprobe")
int BPF_KPROBE(python_inline_getitem)
{
	__u32 tid = target_thread();

	if (tid)
		inline_call(ctx, tid, register_value(ctx, layout.getitem_function_register));
	return 0;
}

/* Where a generator's or coroutine's run that ends here stands in its
 * bytecode: its suspension point when it yielded (a final return leaves
 * a cleared frame; the model only asks when the run is resumed). */
static __always_inline __s32 suspended_at(void)
{
	__u64 *cookie = bpf_session_cookie();
	__u64 frame = cookie ? *cookie : 0, code;

	if (!frame || (frame & RUN_FOR_LOCALS_ONLY))
		return -1;
	code = read_u64(frame + layout.frame_code);
	return code ? frame_offset(frame, code) : -1;
}

/* 3.12+: the frame a thread's returning run cleared last (its locals were
 * sent then); a generator's that only suspended is intact. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} frame_cleared SEC(".maps");

/* --locals without --lines: the slots of `frame`, whose run ends here,
 * sent before its exit record. */
static __always_inline void send_return_locals(__u32 tid, __u64 frame)
{
	__u64 *cleared, code;

	if (layout.minor >= 12) {
		cleared = bpf_map_lookup_elem(&frame_cleared, &tid);
		if (cleared && *cleared == frame)
			frame = 0;
		if (cleared)
			bpf_map_delete_elem(&frame_cleared, &tid);
	}
	code = frame ? read_u64(frame + layout.frame_code) : 0;
	if (code)
		send_locals(tid, code, frame, US_LOCALS_AT_RETURN, false);
}

/* 3.12+: _PyFrame_ClearExceptCode(frame), the frame of a run that ended
 * (a return, an exception; the thread's frame already its caller) or of a
 * generator dropped unfinished (no caller: not a return). Its slots still
 * hold the values; they are released right after. */
SEC("uprobe")
int BPF_KPROBE(python_frame_cleared, __u64 frame)
{
	__u32 tid = target_thread();
	__u64 tstate, previous, code;

	if (!tid || !frame)
		return 0;
	tstate = gil_holder();	/* the thread clearing it runs Python */
	previous = read_u64(frame + layout.frame_previous);
	if (!tstate || !previous || previous != running_frame(tstate))
		return 0;
	code = read_u64(frame + layout.frame_code);
	if (!code)
		return 0;
	send_locals(tid, code, frame, US_LOCALS_AT_RETURN, false);
	bpf_map_update_elem(&frame_cleared, &tid, &frame, BPF_ANY);
	return 0;
}

static __always_inline void frame_returned(struct pt_regs *ctx, __u32 tid)
{
	struct us_py_exit_event *e;
	__u64 result;

	__u64 *cookie;

	if (capture_call_locals) {
		cookie = bpf_session_cookie();
		send_return_locals(tid, cookie ? *cookie & ~RUN_FOR_LOCALS_ONLY : 0);
	}
	result = PT_REGS_RC(ctx);
	if (!result)
		send_exception(tid, raised_value());
	e = reserve_event(US_EV_PY_EXIT, sizeof(*e), tid);
	if (!e)
		return;
	__builtin_memset(&e->sp, 0, sizeof(*e) - sizeof(e->hdr));
	e->sp = PT_REGS_SP(ctx);
	e->line = -1;
	e->offset = -1;
	if (result) {
		summarise(result, &e->value);
		e->offset = suspended_at();
	} else {
		summarise_exception(e);
	}
	bpf_ringbuf_submit(e, submit_flags());
}

/* --aggregate: the call counted under its code object (names sent once, as
 * for a record); a resume or a generator's creation is timed, not counted. */
static __always_inline void frame_entered_aggregated(struct pt_regs *ctx, __u32 tid, __u32 flags)
{
	__u64 frame = frame_argument(ctx), code = read_u64(frame + layout.frame_code);
	struct code_info info = code_info_of(code, tid);
	__u64 key = code_key(code);
	struct us_call_stats *st = call_stats_of(&code_stats, &key);

	if (st && entry_kind(frame, code, &info) == US_PY_CALL)
		st->calls++;
	if (!flags)
		aggregate_entered(key);
	if (stop_at_first_call && !stop_sent)
		stop_for_userspace(tid);
}

static __always_inline void frame_returned_aggregated(void)
{
	struct aggregate_return r;
	struct us_call_stats *st;

	if (!aggregate_return_of(&r) || !r.key)
		return;
	st = call_stats_of(&code_stats, &r.key);
	if (st)
		aggregate_returned(st, &r);
}

/* One session program on _PyEval_EvalFrameDefault: its entry and return. */
SEC("uprobe")
int BPF_KPROBE(python_frame)
{
	__u32 tid = target_thread();
	__u32 flags;

	if (bpf_session_is_return()) {
		if (tid && aggregate)
			frame_returned_aggregated();
		else if (tid)
			frame_returned(ctx, tid);
		return 0;
	}
	if (!tid)
		return US_SKIP_RETURN;
	learn_load_delta(ctx);
	flags = return_can_be_armed(PT_REGS_SP(ctx), false) ? 0 : US_CALL_NO_RETURN;
	if (aggregate)
		frame_entered_aggregated(ctx, tid, flags);
	else
		frame_entered(ctx, tid, flags);
	return flags ? US_SKIP_RETURN : US_KEEP_RETURN;
}

/* ---- USDT: garbage collections and imports (Debian's python3.11) ------- */

#define IMPORT_NESTING 8

struct thread_marks {
	__u64 gc_start_ns;
	__s32 gc_generation;
	__u32 import_depth;
	__u64 import_start_ns[IMPORT_NESTING];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct thread_marks);
} marks SEC(".maps");

static __always_inline struct thread_marks *marks_of(__u32 tid)
{
	struct thread_marks *m = bpf_map_lookup_elem(&marks, &tid);
	struct thread_marks zero = {};

	if (m)
		return m;
	bpf_map_update_elem(&marks, &tid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&marks, &tid);
}

static __always_inline void send_collection(__u32 tid, struct thread_marks *m, __u64 end_ns,
					    long collected)
{
	struct us_py_gc_event *e = reserve_event(US_EV_PY_GC, sizeof(*e), tid);

	if (e) {
		e->hdr.ts_ns = end_ns;
		e->start_ns = m->gc_start_ns;
		e->generation = m->gc_generation;
		e->collected = (__s32)collected;
		bpf_ringbuf_submit(e, submit_flags());
	}
	m->gc_start_ns = 0;
}

static __always_inline void collection_started(int generation)
{
	__u32 tid = target_thread();
	struct thread_marks *m = tid ? marks_of(tid) : NULL;

	if (!m)
		return;
	/* the last one's return never came (past 64 pending uretprobes): it
	 * still counts, with its time unknown */
	if (m->gc_start_ns)
		send_collection(tid, m, m->gc_start_ns, -1);
	m->gc_start_ns = bpf_ktime_get_ns();
	m->gc_generation = generation;
}

static __always_inline void collection_done(long collected)
{
	__u32 tid = target_thread();
	struct thread_marks *m = tid ? marks_of(tid) : NULL;

	if (m && m->gc_start_ns)
		send_collection(tid, m, bpf_ktime_get_ns(), collected);
}

SEC("usdt")
int BPF_USDT(gc_start, int generation)
{
	collection_started(generation);
	return 0;
}

SEC("usdt")
int BPF_USDT(gc_done, long collected)
{
	collection_done(collected);
	return 0;
}

/* Interpreters without USDT: the collector's main function, (tstate,
 * generation, ...). What it returns differs by version: not read. */
SEC("uprobe")
int BPF_KPROBE(gc_collect)
{
	if (bpf_session_is_return()) {
		collection_done(-1);
		return 0;
	}
	if (!target_thread())
		return US_SKIP_RETURN;
	/* unarmed, it still counts, its time unknown (collection_started) */
	collection_started((int)PT_REGS_PARM2(ctx));
	return return_can_be_armed(PT_REGS_SP(ctx), false) ? US_KEEP_RETURN : US_SKIP_RETURN;
}

SEC("usdt")
int BPF_USDT(import_start, const char *module)
{
	__u32 tid = target_thread();
	struct thread_marks *m = tid ? marks_of(tid) : NULL;
	__u32 depth;

	if (!m)
		return 0;
	depth = m->import_depth++;
	if (depth < IMPORT_NESTING)
		m->import_start_ns[depth] = bpf_ktime_get_ns();
	return 0;
}

SEC("usdt")
int BPF_USDT(import_done, const char *module, int found)
{
	__u32 tid = target_thread();
	struct thread_marks *m = tid ? marks_of(tid) : NULL;
	struct us_py_import_event *e;
	__u32 depth;

	if (!m || !m->import_depth)
		return 0;
	depth = --m->import_depth;
	if (depth >= IMPORT_NESTING)
		return 0;
	e = reserve_event(US_EV_PY_IMPORT, sizeof(*e), tid);
	if (!e)
		return 0;
	e->start_ns = m->import_start_ns[depth];
	e->found = found;
	e->depth = depth;
	bpf_probe_read_user_str(e->module, sizeof(e->module), module);
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}

/* _Py_CheckRecursiveCall(tstate, where): the C recursion budget is spent.
 * The thread stops here, before the function reads the budget, until
 * uscope has given back what tracing spent (user/target/target_python.c). */
SEC("uprobe")
int BPF_KPROBE(python_recursion_exhausted, __u64 tstate)
{
	__u32 tid = target_thread();
	struct us_py_recursion_event *e;

	if (!tid)
		return 0;
	e = reserve_event(US_EV_PY_RECURSION_STOP, sizeof(*e), tid);
	if (!e)
		return 0;
	e->tstate = tstate;
	submit_and_stop(e);
	return 0;
}

/* code_dealloc(code): its address may hold another code object next; the
 * names sent for it no longer hold (user/plan/plan_python.c). */
SEC("uprobe")
int BPF_KPROBE(python_code_freed, __u64 code)
{
	__u32 one = 1, *freed;

	if (!target_thread())
		return 0;
	bpf_map_delete_elem(&code_sent, &code);
	bpf_map_delete_elem(&varnames_sent, &code);
	if (!aggregate)
		return 0;
	freed = bpf_map_lookup_elem(&codes_freed, &code);
	if (freed)
		__sync_fetch_and_add(freed, 1);
	else
		bpf_map_update_elem(&codes_freed, &code, &one, BPF_NOEXIST);
	return 0;
}

/* Py_FinalizeEx: the program is done; what is still live now is its leaks
 * (the interpreter's own teardown frees much of it after). */
SEC("uprobe")
int BPF_KPROBE(python_finalize)
{
	__u32 tid = target_thread();
	struct us_py_finalize_event *e;

	if (!tid)
		return 0;
	e = reserve_event(US_EV_PY_FINALIZE, sizeof(*e), tid);
	if (!e)
		return 0;
	e->pad = 0;
	bpf_ringbuf_submit(e, submit_flags());
	return 0;
}
