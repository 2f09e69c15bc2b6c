// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hashmap.h"
#include "kallsyms.h"
#include "log.h"
#include "plan_python.h"
#include "profile_stacks.h"
#include "python_code.h"
#include "python_lines.h"
#include "target.h"
#include "unwind.h"
#include "util.h"

#define NATIVE_FRAMES_MAX 512
#define RECHECK_NS 1000000000ULL	/* a process's interpreter, looked at again */
#define REMAP_NS 100000000ULL		/* a process's maps, read again at most this often */
#define PYTHON_CHECKS_MAX 5		/* a process with no interpreter yet: looked at this often */

struct python_code_entry {
	uint64_t address;
	struct us_python_code_identity identity;	/* what was there when it was read */
	struct us_python_code code;
	bool readable;
	bool from_probe;	/* named by the sampler, which names it again if it changes */
};

/* What uscope knows of one profiled process. */
struct process {
	pid_t pid;
	struct us_unwinder *unwinder;
	uint64_t unwinder_ns;		/* when it read the maps */
	struct us_map pc_frames;	/* pc << 1 | return address -> frame id: naming is slow */
	bool gone;			/* its maps could not be read: it exited */
	struct us_python python;	/* object == NULL: no interpreter (yet) */
	struct us_py_sampling sampling;	/* where its threads' frames are */
	int32_t lines_offset;
	unsigned python_checks;
	uint64_t python_checked_ns;
	struct us_map codes;		/* code address -> index in code_entries */
	struct python_code_entry *code_entries;
	size_t n_codes, codes_cap;
};

struct us_profile_stacks {
	struct us_bpf_profile *bpf;
	us_profile_emit_fn emit;
	void *ctx;
	struct us_map process_index;	/* pid -> index in processes */
	struct process **processes;
	size_t n_processes, processes_cap;
	struct us_map frame_ids;	/* hash of a frame's identity -> id */
	uint32_t n_frames;
	struct us_map stack_ids;	/* hash of its frame ids -> id */
	uint32_t n_stacks;
	uint8_t *frame_kinds;		/* frame id -> NATIVE_* bits */
	size_t frame_kinds_cap;
	struct us_kallsyms *kallsyms;	/* read at the first kernel frame */
	bool kallsyms_tried;
	uint64_t losses[US_LOSS_CAUSES];
	size_t python_processes;
	uint64_t samples;		/* unwound */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct us_profile_stacks *us_profile_stacks_new(struct us_bpf_profile *bpf,
						us_profile_emit_fn emit, void *ctx)
{
	struct us_profile_stacks *s = us_calloc(1, sizeof(*s));

	s->bpf = bpf;
	s->emit = emit;
	s->ctx = ctx;
	return s;
}

/* ---- processes ---------------------------------------------------------- */

static void forget_python(struct process *p)
{
	for (size_t i = 0; i < p->n_codes; i++)
		us_python_code_free(&p->code_entries[i].code);
	free(p->code_entries);
	p->code_entries = NULL;
	p->n_codes = p->codes_cap = 0;
	us_map_free(&p->codes);
	us_python_free(&p->python);
}

/* Its interpreter, if it has one uscope can sample: registered with the
 * sampler, which then reads its threads' Python frames. */
static void find_python(struct us_profile_stacks *s, struct process *p)
{
	struct us_object_list objects = { 0 };
	struct us_eval_frame_slot slot;
	struct us_py_sampling layout;
	uint64_t delta;
	char err[512];

	p->python_checks++;
	p->python_checked_ns = now_ns();
	if (us_process_objects(p->pid, &objects))
		return;
	if (us_python_detect(&objects, &p->python, err, sizeof(err)) <= 0) {
		us_objects_free(&objects);
		return;
	}
	us_objects_free(&objects);
	slot = us_python_eval_frame_slot(&p->python);
	if (us_python_load_delta(p->pid, &slot, &delta) ||
	    !us_python_sampling_layout(&p->python, delta, &layout) ||
	    (s->bpf && us_bpf_profile_add_python(s->bpf, p->pid, &layout))) {
		us_python_free(&p->python);
		return;
	}
	p->sampling = layout;
	p->lines_offset = us_python_code_lines_offset(&p->python);
	s->python_processes++;
	us_debug("PID %d runs CPython 3.%d (%s): sampling its Python frames", (int)p->pid,
		 p->python.minor, p->python.object);
}

static void refresh_unwinder(struct process *p)
{
	us_map_free(&p->pc_frames);
	us_unwinder_free(p->unwinder);
	p->unwinder = us_unwinder_for_process_quiet(p->pid);
	p->unwinder_ns = now_ns();
	p->gone = p->unwinder == NULL;
}

static struct process *process_of(struct us_profile_stacks *s, pid_t pid)
{
	uint32_t i = us_map_get(&s->process_index, (uint64_t)pid);
	struct process *p;

	if (i != US_MAP_NONE)
		return s->processes[i];
	p = us_calloc(1, sizeof(*p));
	p->pid = pid;
	us_grow(&s->processes, &s->processes_cap, s->n_processes + 1, sizeof(*s->processes));
	us_map_put(&s->process_index, (uint64_t)pid, (uint32_t)s->n_processes);
	s->processes[s->n_processes++] = p;
	refresh_unwinder(p);
	if (!p->gone)
		find_python(s, p);
	return p;
}

void us_profile_stacks_watch(struct us_profile_stacks *s, pid_t pid)
{
	process_of(s, pid);
}

/* A new program in the process: everything known of the old one goes. */
static void process_execd(struct us_profile_stacks *s, pid_t pid)
{
	uint32_t i = us_map_get(&s->process_index, (uint64_t)pid);
	struct process *p;

	if (i == US_MAP_NONE)
		return;
	p = s->processes[i];
	if (p->python.object && s->python_processes)
		s->python_processes--;
	forget_python(p);
	p->python_checks = 0;
	refresh_unwinder(p);
	if (!p->gone)
		find_python(s, p);
}

/* ---- frames and stacks -------------------------------------------------- */

/* The id of a frame; sent the first time it is seen. */
static uint32_t frame_id(struct us_profile_stacks *s, uint32_t kind, const char *function,
			 const char *file, int32_t line, uint64_t address)
{
	uint64_t key = us_hash_u64(us_hash_str(function) ^ us_hash_u64(us_hash_str(file) + kind) ^
				   us_hash_u64(((uint64_t)(uint32_t)line << 1) ^ (address << 20)));
	uint32_t id = us_map_get(&s->frame_ids, key);
	struct us_profile_frame_event ev;

	if (id != US_MAP_NONE)
		return id;
	id = s->n_frames++;
	us_map_put(&s->frame_ids, key, id);
	memset(&ev, 0, sizeof(ev));
	ev.hdr = (struct us_event_header){ .type = US_EV_PROFILE_FRAME, .size = sizeof(ev),
					   .ts_ns = now_ns() };
	ev.id = id;
	ev.kind = kind;
	ev.line = line;
	ev.address = address;
	snprintf(ev.function, sizeof(ev.function), "%s", function);
	snprintf(ev.file, sizeof(ev.file), "%s", file);
	s->emit(s->ctx, &ev.hdr);
	return id;
}

/* A native frame is its function in its object (every address in it is one
 * frame), or, with no symbol, its address. */
/* Where every thread's stack begins: a walk that ends in one is whole, even
 * when libdw then fails to step past it. */
static bool is_thread_start(const char *function)
{
	static const char *const starts[] = { "_start", "__clone3", "__clone", "clone", "clone3" };

	for (size_t i = 0; function && i < US_ARRAY_SIZE(starts); i++)
		if (strcmp(function, starts[i]) == 0)
			return true;
	return false;
}

/* What a native frame is, beyond its id (frame_kinds bits). */
#define NATIVE_INTERPRETER 1u	/* _PyEval_EvalFrameDefault: runs Python frames */
#define NATIVE_THREAD_START 2u	/* _start, clone: the outermost frame */
#define NATIVE_GIL_WAIT 4u	/* CPython's take_gil: waiting for the GIL */
#define NATIVE_COND_WAIT 8u	/* pthread_cond_(timed)wait, where take_gil sleeps */
#define NATIVE_GIL_TAKER 16u	/* what calls take_gil (a static function, unnamed when stripped) */

/* The functions that take the GIL through take_gil. */
static bool takes_gil(const char *function)
{
	static const char *const takers[] = { "PyEval_RestoreThread", "PyEval_AcquireThread",
					      "PyEval_AcquireLock", "PyGILState_Ensure",
					      "_PyEval_EvalFrameDefault" };

	for (size_t i = 0; i < US_ARRAY_SIZE(takers); i++)
		if (strcmp(function, takers[i]) == 0)
			return true;
	return false;
}

static unsigned kind_of_function(const char *function)
{
	unsigned kind = 0;

	if (!function)
		return 0;
	if (is_thread_start(function))
		kind |= NATIVE_THREAD_START;
	if (strcmp(function, "take_gil") == 0)
		kind |= NATIVE_GIL_WAIT;
	if (strcmp(function, "pthread_cond_timedwait") == 0 ||
	    strcmp(function, "pthread_cond_wait") == 0 ||
	    strcmp(function, "__pthread_cond_wait") == 0)
		kind |= NATIVE_COND_WAIT;
	if (takes_gil(function))
		kind |= NATIVE_GIL_TAKER;
	if (strncmp(function, "_PyEval_EvalFrameDefault", 24) == 0 &&
	    (function[24] == '\0' || function[24] == '.'))
		kind |= NATIVE_INTERPRETER;
	return kind;
}

static void set_frame_kind(struct us_profile_stacks *s, uint32_t id, unsigned kind)
{
	size_t old = s->frame_kinds_cap;

	if (id >= old) {
		us_grow(&s->frame_kinds, &s->frame_kinds_cap, id + 1, sizeof(*s->frame_kinds));
		memset(s->frame_kinds + old, 0, s->frame_kinds_cap - old);
	}
	s->frame_kinds[id] = (uint8_t)kind;
}

/* The frame of a pc: its function in its object (every address in it is one
 * frame), or, with no symbol, its address. libdw's symbol lookup is slow,
 * so each pc is named once per process. */
static uint32_t native_frame(struct us_profile_stacks *s, struct process *p, uint64_t pc,
			     bool return_address, unsigned *kind)
{
	uint64_t key = pc << 1 | return_address;
	uint32_t id = us_map_get(&p->pc_frames, key);
	struct us_frame_name n;

	if (id == US_MAP_NONE) {
		us_unwinder_name(p->unwinder, pc, return_address, &n);
		if (n.function)
			id = frame_id(s, US_FRAME_NATIVE, n.function, n.object ? n.object : "", 0, 0);
		else
			id = frame_id(s, US_FRAME_NATIVE, "", n.object ? n.object : "", 0,
				      n.object ? n.object_address : pc);
		set_frame_kind(s, id, kind_of_function(n.function));
		us_map_put(&p->pc_frames, key, id);
	}
	*kind = s->frame_kinds[id];
	return id;
}

static struct python_code_entry *code_of(struct process *p, uint64_t address)
{
	uint32_t i = us_map_get(&p->codes, address);
	struct us_python_code_identity now;
	struct python_code_entry *e;

	if (i != US_MAP_NONE && p->code_entries[i].from_probe)
		return &p->code_entries[i];
	if (us_python_code_identity(p->pid, address, &p->python.layout, &now))
		memset(&now, 0, sizeof(now));	/* gone: what was read stands */
	if (i != US_MAP_NONE) {
		e = &p->code_entries[i];
		if (!now.name || memcmp(&now, &e->identity, sizeof(now)) == 0)
			return e;
		us_python_code_free(&e->code);
	} else {
		us_grow(&p->code_entries, &p->codes_cap, p->n_codes + 1, sizeof(*p->code_entries));
		e = &p->code_entries[p->n_codes];
		us_map_put(&p->codes, address, (uint32_t)p->n_codes++);
	}
	e->address = address;
	e->identity = now;
	e->readable = us_python_read_code(p->pid, address, &p->python.layout, p->lines_offset,
					  &e->code) == 0;
	return e;
}

static uint32_t python_frame(struct us_profile_stacks *s, struct process *p,
			     const struct us_py_sample_frame *f)
{
	struct python_code_entry *e = code_of(p, f->code);
	int32_t line;

	if (!e->readable)
		return frame_id(s, US_FRAME_PYTHON, "<unreadable code object>", "", 0, 0);
	line = us_py_line_for_version(p->python.minor, e->code.lines, e->code.lines_len,
				      e->code.first_line, f->offset);
	return frame_id(s, US_FRAME_PYTHON, e->code.qualname, e->code.file,
			line > 0 ? line : (int32_t)e->code.first_line, 0);
}

/* A stack's frames as they build up, innermost first. */
struct stack_build {
	uint32_t frames[US_PROFILE_MAX_DEPTH];
	uint32_t depth;
	uint16_t flags;
};

static void push_frame(struct stack_build *b, uint32_t id)
{
	if (b->depth < US_PROFILE_MAX_DEPTH)
		b->frames[b->depth++] = id;
	else
		b->flags |= US_STACK_CUT;
}

/* The Python frames one interpreter frame runs: from `*next` to the next
 * entry frame, innermost first. */
static void push_python_group(struct us_profile_stacks *s, struct process *p,
			      const struct us_sample_view *v, uint32_t *next,
			      struct stack_build *b)
{
	while (*next < v->py_count) {
		const struct us_py_sample_frame *f = &v->py[*next];

		(*next)++;
		push_frame(b, python_frame(s, p, f));
		if (f->flags & US_PY_FRAME_ENTRY)
			break;
	}
}

static uint32_t stack_id(struct us_profile_stacks *s, const struct stack_build *b)
{
	uint64_t key = us_hash_u64(b->flags + ((uint64_t)b->depth << 16));
	struct us_profile_stack_event ev;
	uint32_t id;

	for (uint32_t i = 0; i < b->depth; i++)
		key = us_hash_u64(key ^ b->frames[i]);
	id = us_map_get(&s->stack_ids, key);
	if (id != US_MAP_NONE)
		return id;
	id = s->n_stacks++;
	us_map_put(&s->stack_ids, key, id);
	memset(&ev, 0, sizeof(ev));
	ev.hdr = (struct us_event_header){ .type = US_EV_PROFILE_STACK, .size = sizeof(ev),
					   .ts_ns = now_ns() };
	ev.id = id;
	ev.depth = (uint16_t)b->depth;
	ev.flags = b->flags;
	memcpy(ev.frames, b->frames, b->depth * sizeof(b->frames[0]));
	s->emit(s->ctx, &ev.hdr);
	return id;
}

static const char *const state_marks[] = {
	[US_THREAD_RUNNABLE] = "[runnable R: waiting for a CPU]",
	[US_THREAD_SLEEPING] = "[sleeping S]",
	[US_THREAD_UNINTERRUPTIBLE] = "[uninterruptible D]",
	[US_THREAD_OTHER] = "[blocked]",
};

static void load_kallsyms(struct us_profile_stacks *s)
{
	if (!s->kallsyms_tried) {
		s->kallsyms = us_kallsyms_load(NULL);
		s->kallsyms_tried = true;
	}
}

static uint32_t kernel_frame(struct us_profile_stacks *s, uint64_t ip)
{
	const char *function, *module;

	if (!us_kallsyms_name(s->kallsyms, ip, &function, &module))
		return frame_id(s, US_FRAME_KERNEL, "", "[kernel]", 0, ip);
	return frame_id(s, US_FRAME_KERNEL, function, *module ? module : "[kernel]", 0, 0);
}

/* The kernel stack taken in sched_switch starts in uscope's own probe:
 * those frames are not the program's. */
static uint32_t first_kernel_frame(struct us_profile_stacks *s, const struct us_sample_view *v)
{
	static const char *const probe_frames[] = { "bpf_prog_", "bpf_trace_run", "__bpf_",
						    "__traceiter_", "bpf_overflow_handler" };
	const char *function, *module;
	uint32_t i = 0;

	for (; i < v->kernel_count && i < 8; i++) {
		bool ours = false;

		if (!s->kallsyms || !us_kallsyms_name(s->kallsyms, v->kernel_ips[i], &function,
						      &module))
			break;
		for (size_t k = 0; k < US_ARRAY_SIZE(probe_frames); k++)
			ours |= strncmp(function, probe_frames[k], strlen(probe_frames[k])) == 0;
		if (!ours)
			break;
	}
	return i;
}

/* The innermost frames: an off-CPU sample's state, then the kernel's. */
static void push_kernel_part(struct us_profile_stacks *s, const struct us_sample_view *v,
			     bool gil_wait, struct stack_build *b)
{
	if (v->kernel_count)
		load_kallsyms(s);
	if (v->kind == US_SAMPLE_OFF_CPU)
		push_frame(b, frame_id(s, US_FRAME_MARK, gil_wait ? "[waiting for the GIL]" :
				       state_marks[v->state <= US_THREAD_OTHER ? v->state
										: US_THREAD_OTHER],
				       "", 0, 0));
	for (uint32_t i = first_kernel_frame(s, v); i < v->kernel_count; i++)
		push_frame(b, kernel_frame(s, v->kernel_ips[i]));
}

/* Whether a blocked CPython thread waits for the GIL: in take_gil, or (its
 * symbol stripped, as in Debian's python3.11) in a condition wait at most
 * three frames below a function that takes the GIL. CPython's own locks
 * wait on semaphores, not condition variables, so the eval loop's condition
 * wait is the GIL's. */
static bool waits_for_gil(const unsigned *kinds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (kinds[i] & NATIVE_GIL_WAIT)
			return true;
		if (!(kinds[i] & NATIVE_COND_WAIT))
			continue;
		for (size_t j = i + 1; j < n && j <= i + 3; j++)
			if (kinds[j] & NATIVE_GIL_TAKER)
				return true;
		return false;
	}
	return false;
}

/* The native stack, each interpreter frame replaced by its Python frames;
 * an off-CPU sample ends in the state the thread waited in. */
static void build_stack(struct us_profile_stacks *s, struct process *p,
			const struct us_sample_view *v, struct stack_build *b)
{
	uint32_t ids[NATIVE_FRAMES_MAX], next_python = 0;
	unsigned kinds[NATIVE_FRAMES_MAX];
	uint64_t pcs[NATIVE_FRAMES_MAX];
	bool complete;
	size_t n = us_unwind(p->unwinder, v->tid, &v->regs, v->stack, v->stack_len, pcs,
			     NATIVE_FRAMES_MAX, &complete);

	if (n == 0)
		pcs[n++] = v->regs.ip;
	for (size_t i = 0; i < n; i++)
		ids[i] = native_frame(s, p, pcs[i], i > 0, &kinds[i]);
	push_kernel_part(s, v, p->python.object && waits_for_gil(kinds, n), b);
	for (size_t i = 0; i < n; i++) {
		if ((kinds[i] & NATIVE_INTERPRETER) && next_python < v->py_count)
			push_python_group(s, p, v, &next_python, b);
		else
			push_frame(b, ids[i]);
	}
	if (!complete && !(kinds[n - 1] & NATIVE_THREAD_START))
		b->flags |= US_STACK_INCOMPLETE;
	if (next_python < v->py_count) {	/* no interpreter frame found for them */
		s->losses[US_LOSS_PYTHON_UNPLACED]++;
		while (next_python < v->py_count)
			push_python_group(s, p, v, &next_python, b);
	}
}

/* An address outside every object the unwinder knows: the maps changed
 * (dlopen, an extension module imported), read them again. */
static void refresh_if_unknown(struct process *p, uint64_t ip)
{
	struct us_frame_name n;

	us_unwinder_name(p->unwinder, ip, false, &n);
	if (!n.object && now_ns() - p->unwinder_ns > REMAP_NS)
		refresh_unwinder(p);
}

/* The process of a sample, ready to unwind in; NULL (counted) when gone. */
static struct process *live_process(struct us_profile_stacks *s, pid_t pid, uint64_t ip)
{
	struct process *p = process_of(s, pid);

	if (p->gone && now_ns() - p->unwinder_ns > RECHECK_NS)
		refresh_unwinder(p);
	if (p->gone) {
		s->losses[US_LOSS_PROCESS_GONE]++;
		return NULL;
	}
	refresh_if_unknown(p, ip);
	if (p->gone) {	/* it exited while its maps were read again */
		s->losses[US_LOSS_PROCESS_GONE]++;
		return NULL;
	}
	if (!p->python.object && p->python_checks < PYTHON_CHECKS_MAX &&
	    now_ns() - p->python_checked_ns > RECHECK_NS)
		find_python(s, p);
	return p;
}

int64_t us_profile_stacks_resolve(struct us_profile_stacks *s, const struct us_sample_view *v,
				  uint16_t *flags)
{
	struct stack_build b = { .depth = 0 };
	struct process *p;

	if (v->kernel_only) {	/* a kernel thread: its kernel stack is all */
		push_kernel_part(s, v, false, &b);
		s->samples++;
		return stack_id(s, &b);
	}
	p = live_process(s, v->pid, v->regs.ip);
	if (!p)
		return -1;
	if (v->py_truncated)
		s->losses[US_LOSS_PYTHON_TRUNCATED]++;
	build_stack(s, p, v, &b);
	s->samples++;
	if (b.flags & US_STACK_INCOMPLETE)
		s->losses[US_LOSS_UNWIND_STOPPED]++;
	if (b.flags & US_STACK_CUT)
		s->losses[US_LOSS_DEPTH_CUT]++;
	if (flags)
		*flags = b.flags;
	return stack_id(s, &b);
}

bool us_profile_stacks_python(struct us_profile_stacks *s, pid_t pid, struct us_py_sampling *out)
{
	struct process *p = process_of(s, pid);

	if (!p->python.object)
		return false;
	*out = p->sampling;
	return true;
}

static void add_sample(struct us_profile_stacks *s, const struct us_raw_sample_event *raw)
{
	const struct us_sample_view v = {
		.pid = (pid_t)raw->pid, .tid = (pid_t)raw->hdr.tid, .kind = raw->kind,
		.state = raw->state, .regs = { raw->ip, raw->sp, raw->bp }, .stack = raw->stack,
		.stack_len = raw->stack_len, .py = raw->py, .py_count = raw->py_count,
		.py_truncated = raw->flags & US_RAW_PY_TRUNCATED,
		.kernel_ips = (const uint64_t *)raw->kernel_ips,
		.kernel_count = raw->kernel_count <= US_SAMPLE_KERNEL_FRAMES ? raw->kernel_count : 0,
		.kernel_only = raw->flags & US_RAW_KERNEL_ONLY,
	};
	struct us_profile_sample_event ev;
	int64_t stack;

	if (raw->flags & US_RAW_EXITING) {
		s->losses[US_LOSS_PROCESS_GONE]++;
		return;
	}
	if ((raw->flags & US_RAW_STACK_UNREADABLE) && !v.kernel_only) {
		s->losses[US_LOSS_STACK_UNREADABLE]++;
		return;
	}
	stack = us_profile_stacks_resolve(s, &v, NULL);
	if (stack < 0)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.hdr = (struct us_event_header){ .type = US_EV_PROFILE_SAMPLE, .size = sizeof(ev),
					   .tid = raw->hdr.tid, .ts_ns = raw->hdr.ts_ns };
	ev.pid = raw->pid;
	ev.stack_id = (uint32_t)stack;
	ev.weight_ns = raw->weight_ns;
	ev.count = 1;
	ev.kind = raw->kind;
	memcpy(ev.thread_comm, raw->thread_comm, sizeof(ev.thread_comm));
	memcpy(ev.process_comm, raw->process_comm, sizeof(ev.process_comm));
	s->emit(s->ctx, &ev.hdr);
}

static char *bounded_copy(const char *text, size_t max)
{
	size_t n = strnlen(text, max);
	char *copy = us_calloc(n + 1, 1);

	memcpy(copy, text, n);
	return copy;
}

/* The sampler named a code object while its process was alive. */
static void code_named(struct us_profile_stacks *s, const struct us_py_code_event *ev)
{
	struct process *p = process_of(s, (pid_t)ev->hdr.tid);
	uint32_t i = us_map_get(&p->codes, ev->code);
	struct python_code_entry *e;

	if (i == US_MAP_NONE) {
		us_grow(&p->code_entries, &p->codes_cap, p->n_codes + 1, sizeof(*p->code_entries));
		i = (uint32_t)p->n_codes++;
		us_map_put(&p->codes, ev->code, i);
		memset(&p->code_entries[i], 0, sizeof(p->code_entries[i]));
	}
	e = &p->code_entries[i];
	us_python_code_free(&e->code);
	e->address = ev->code;
	e->code.qualname = bounded_copy(ev->qualname, sizeof(ev->qualname));
	e->code.file = bounded_copy(ev->file, sizeof(ev->file));
	e->code.first_line = ev->first_line;
	if (ev->linetable_len && ev->linetable_len <= sizeof(ev->linetable)) {
		e->code.lines = us_calloc(ev->linetable_len, 1);
		memcpy(e->code.lines, ev->linetable, ev->linetable_len);
		e->code.lines_len = ev->linetable_len;
	}
	e->readable = true;
	e->from_probe = true;
}

bool us_profile_stacks_add(struct us_profile_stacks *s, const struct us_event_header *ev)
{
	if (ev->type == US_EV_SAMPLE_CODE && ev->size == sizeof(struct us_py_code_event)) {
		code_named(s, (const struct us_py_code_event *)ev);
		return true;
	}
	if (ev->type == US_EV_SAMPLE_RAW &&
	    ev->size >= __builtin_offsetof(struct us_raw_sample_event, stack)) {
		const struct us_raw_sample_event *raw = (const void *)ev;

		if (raw->stack_len <= ev->size - __builtin_offsetof(struct us_raw_sample_event, stack) &&
		    raw->py_count <= US_SAMPLE_PY_FRAMES)
			add_sample(s, raw);
		else
			s->losses[US_LOSS_STACK_UNREADABLE]++;	/* malformed: never sent so */
		return true;
	}
	if (ev->type == US_EV_PROCESS_EXEC) {
		process_execd(s, (pid_t)ev->tid);
		return true;
	}
	return ev->type == US_EV_SAMPLE_RAW || ev->type == US_EV_SAMPLE_CODE;
}

void us_profile_stacks_losses(const struct us_profile_stacks *s,
			      struct us_profile_totals_event *totals)
{
	for (int i = 0; i < US_LOSS_CAUSES; i++)
		totals->losses[i] += s->losses[i];
}

void us_profile_stacks_counts(const struct us_profile_stacks *s,
			      struct us_profile_stacks_counts *out)
{
	*out = (struct us_profile_stacks_counts){ .samples = s->samples, .frames = s->n_frames,
						  .stacks = s->n_stacks,
						  .processes = s->n_processes };
}

size_t us_profile_stacks_python_count(const struct us_profile_stacks *s)
{
	return s->python_processes;
}

void us_profile_stacks_free(struct us_profile_stacks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_processes; i++) {
		forget_python(s->processes[i]);
		us_map_free(&s->processes[i]->pc_frames);
		us_unwinder_free(s->processes[i]->unwinder);
		free(s->processes[i]);
	}
	free(s->processes);
	us_map_free(&s->process_index);
	us_map_free(&s->frame_ids);
	us_map_free(&s->stack_ids);
	us_kallsyms_free(s->kallsyms);
	free(s->frame_kinds);
	free(s);
}
