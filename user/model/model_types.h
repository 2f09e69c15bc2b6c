/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: the model's types. events -> calls -> aggregates. Each thread has a shadow stack of the
 * calls it is in, native and Python alike (each Python frame is one C call of
 * _PyEval_EvalFrameDefault, so both nest by stack pointer). Returns the kernel
 * never reports (more than 64 pending uretprobes on a thread, longjmp, a
 * thread exiting mid-call) are reconciled from the stack pointer of later
 * events, so call counts stay exact; such calls end at the first event that
 * proves they returned and are counted as inferred exits.
 */
#ifndef USCOPE_MODEL_TYPES_H
#define USCOPE_MODEL_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include "events.h"
#include "filters.h"
#include "hashmap.h"
#include "plan.h"

#define US_NO_NODE UINT32_MAX
#define US_ROOT_FN UINT32_MAX

enum us_function_kind { US_FN_NATIVE, US_FN_PYTHON };

/* A function a report names: a native probe site, or a Python code object
 * (code objects with the same name, file and line are one function). */
struct us_function {
	enum us_function_kind kind;
	char *name;		/* native: symbol; Python: qualified name */
	char *label;		/* as reports show it: "Shape.area (shapes.py:12)" */
	char *object;		/* native: the ELF object; Python: the interpreter's */
	char *file;		/* Python: co_filename */
	char *module;		/* Python: its module ("json.decoder"); native: the object's name */
	uint32_t line;		/* Python: first line */
	uint32_t code_flags;	/* Python: co_flags */
	uint8_t *linetable;	/* Python 3.11+: co_linetable (maybe truncated) */
	size_t linetable_len;
	char **varnames;	/* --locals: its local slots' names */
	uint32_t n_varnames;	/* the names kept (at most US_PY_LOCALS_MAX) */
	uint32_t n_slots;	/* its slots, all of them */
	bool hidden;		/* a filter hides it */
	bool out_of_scope;	/* --scope: its file is outside the directory */
	bool is_focus;		/* --focus names it */
};

/* An exception type and message seen leaving a node's frames. */
struct us_node_exception {
	uint32_t node;
	uint32_t next;		/* next of the same node, or US_NO_NODE */
	char *type, *message;
	uint64_t count;
};

/* Memory (--memory) of a node or a function. Counts and bytes are weighted:
 * a block kept one-in-K by sampling counts K times. */
struct us_memory_stats {
	uint64_t allocs, bytes;		/* made while it was the innermost traced call */
	uint64_t frees, freed_bytes;	/* of the blocks it made */
	uint64_t temporary;		/* of its blocks, freed right away by the same call */
	uint64_t live_count, live_bytes;	/* its blocks live now (end: at the end) */
	uint64_t peak_bytes;		/* its blocks live at the heap's peak */
	uint64_t leaked, leaked_bytes;	/* its blocks live at the leak cut */
	uint64_t incl_allocs, incl_bytes;	/* with everything it called */
};

/* A node of a thread's aggregated call-path tree. */
#define US_NODE_CALL_LINES 4

struct us_node {
	uint32_t fn_id;		/* US_ROOT_FN for a thread's root */
	uint32_t parent, first_child, last_child, next_sibling;
	uint64_t count;		/* calls (Python: not counting resumes) */
	uint64_t resumes;	/* Python generator/coroutine resumes */
	uint64_t total_ns, self_ns, min_ns, max_ns;
	uint64_t timed;		/* activations min/max cover: both ends seen */
	uint64_t inferred_exits;	/* calls whose return was not reported */
	uint64_t unfinished;		/* calls still running when tracing stopped */
	uint64_t exception_exits;	/* activations that ended by raising */
	uint32_t first_exception;	/* index in us_model.node_exceptions */
	bool collapsed;		/* --scope: stands for everything it called */
	bool on_exception_path;	/* it or a descendant raised */
	char *last_return;	/* Python: summary of the last value returned */
	int32_t call_lines[US_NODE_CALL_LINES];	/* Python: the lines of the caller it
						 * was called from, first seen first */
	uint8_t n_call_lines;
	bool more_call_lines;	/* called from more lines than call_lines holds */
	char *last_args;	/* Python (--args): summary of the last call's arguments */
	struct us_memory_stats mem;
	uint64_t mem_saved_bytes;	/* live_bytes when the heap last peaked (see model_memory.c) */
	uint32_t mem_saved_epoch;
};

/* One activation, as a streaming report sees it end. */
struct us_call {
	uint32_t tid, fn_id, depth;
	bool inferred, resume, raised;
	uint64_t start_ns, end_ns;
	const char *exception;	/* raised, Python: the exception's type (valid during the call) */
	bool raised_here;	/* the exception started in this call (not a callee's passing) */
	uint64_t instance;	/* us_frame.instance */
	int32_t call_line;	/* us_frame.call_line */
	bool unfinished;	/* still running when tracing stopped (end_ns: then) */
};

/* Per function, all threads. */
struct us_func_stats {
	uint64_t seen;		/* calls, whatever the filters show (they may hide all) */
	uint64_t count, resumes;
	uint64_t total_ns;	/* outermost activations only: recursion not counted twice */
	uint64_t sum_ns;	/* every activation's duration, for the average */
	uint64_t self_ns, min_ns, max_ns;
	uint64_t timed;		/* activations min/max cover: both ends seen */
	uint64_t inferred_exits;
	uint64_t unfinished;		/* still running when tracing stopped */
	uint64_t *latency;		/* --aggregate: US_LATENCY_BUCKETS log2 buckets, or NULL */
	struct us_memory_stats mem;	/* incl_*: outermost activations only */
};

struct us_frame {
	uint32_t fn_id;
	uint32_t node;		/* US_NO_NODE: hidden by a filter */
	uint32_t depth;		/* visible depth (1 = top level) */
	uint32_t native_site;	/* native: the probe site (tail-call matching) */
	bool python;
	bool resume;		/* Python: a resume, not a call */
	bool counted;		/* counts as an activation (not a generator's creation) */
	bool exit_expected;	/* the kernel armed a uretprobe for it */
	bool collapsed_below;	/* --scope: its callees are folded into it */
	uint64_t sp, start_ns, child_ns;
	uint64_t serial;	/* tells activations apart (temporary allocations) */
	uint32_t loss_epoch;	/* the thread's loss_epoch at entry */
	bool still_running;	/* tracing stopped before it returned */
	bool starts_phase;	/* __main__'s frame: it hangs from the program's root */
	bool shown_below;	/* --condition: a callee was shown, so it is shown too */
	uint64_t instance;	/* a generator's or coroutine's run: its frame address
				 * (the same over its resumes); 0 other calls */
	int32_t call_line;	/* Python: the line of its caller it was called from; 0 unknown */
	uint32_t callees;	/* the calls it made (--condition's calls) */
	uint64_t callee_ns;	/* their time, shown or not (--condition's self_ms) */
	uint64_t alloc_bytes;	/* allocated in it and its callees (--condition) */
	uint32_t awaited_fn;	/* a coroutine's run: the last suspendable callee whose
				 * run ended in it (what it awaits): its fn_id + 1, 0 none */
	int32_t line;		/* --lines: the line it runs now; 0 none yet */
	struct us_py_value *last_locals;	/* --locals: its slots at its last line (owned) */
	uint32_t line_stat;	/* its entry in us_model.lines */
	uint64_t line_start_ns;	/* when that line started */
};

/* An exception propagating out of frames, from the raising one outward. */
struct us_exception_chain {
	char *type, *message;
	uint32_t *fn_ids;	/* frames it left, innermost first */
	int32_t *lines;		/* the line each frame was at, -1 unknown */
	size_t n_frames;
	bool caught;		/* a frame still on the stack went on after it */
	uint64_t count;		/* identical chains merged */
	uint32_t tid;
	uint64_t first_ns;
};

/* Parts of the main thread of a Python program traced from its start. */
enum us_phase {
	US_PHASE_STARTUP,	/* the interpreter before __main__ runs */
	US_PHASE_PROGRAM,	/* __main__ (every other thread is all program) */
	US_PHASE_SHUTDOWN,	/* after __main__ ended */
	US_PHASES,
};

/* --follow: a process the recording holds (US_EV_PROCESS_INFO). */
struct us_process {
	uint32_t pid, parent_pid;	/* parent 0: not known (an exec) */
	char *command;			/* its command line, the last program it exec'd */
};

/* ---- repeated call patterns (model_patterns.h) ---- */

/* One call among its parent's children. */
struct us_child_call {
	uint64_t shape;		/* its function and its subtree's shape */
	uint64_t start_ns, end_ns;
	uint64_t serial;	/* its activation number (model_types.h us_frame) */
	uint32_t fn_id;
};

/* The children of one open call, kept until it ends. */
struct us_child_calls {
	struct us_child_call *calls;
	size_t n, cap;
	uint64_t dropped;	/* past US_PATTERN_MAX_CHILDREN: shaped, not searched */
};

#define US_NO_PATTERN UINT32_MAX

/* A repeated block. A top-level one merges every call of its parent
 * function where the same block repeated (occurrences); the figures of
 * position, repeats, outliers and nested patterns are the first one's. */
struct us_call_pattern {
	uint32_t parent_fn;		/* the function whose children repeat */
	uint32_t tid;			/* the thread of the first occurrence */
	int phase;			/* enum us_phase of that thread then */
	uint32_t enclosing;		/* nested: the pattern whose block holds it; else US_NO_PATTERN */
	uint32_t offset;		/* nested: where in the enclosing block it starts */
	uint32_t period, repeats;
	uint32_t *block;		/* the `period` functions of one iteration */
	uint64_t first_call, last_call;	/* activation numbers */
	uint64_t occurrences;		/* calls of the parent it was found in */
	uint64_t iterations;		/* all occurrences' */
	uint64_t iteration_total_ns, iteration_min_ns, iteration_max_ns;
	uint32_t *outliers;		/* iteration numbers (from 0), the first occurrence's */
	size_t n_outliers;		/* kept (US_PATTERN_MAX_OUTLIERS at most) */
	uint64_t outliers_total;	/* all of them */
};

struct us_thread {
	uint32_t tid;
	uint32_t pid;			/* its process; 0: the target's (not followed) */
	uint32_t root;			/* the root of the current phase */
	uint32_t roots[US_PHASES];	/* US_NO_NODE: a phase it never had */
	enum us_phase phase;
	uint64_t phase_start_ns[US_PHASES], phase_end_ns[US_PHASES];
	size_t main_frame_depth;	/* __main__'s frame is stack[main_frame_depth - 1]; 0 none */
	struct us_frame *stack;
	size_t depth, cap;
	uint32_t focus_depth;		/* --focus: activations of the focus function open */
	uint64_t last_line_ns;		/* --lines: when its last line started */
	bool line_dropped;		/* --lines: its last line record was no line for
					 * settrace: the locals after it go too */
	bool xfail_marked;		/* pytest: the test it runs is marked xfail */
	uint32_t current_test;		/* pytest: the test whose call phase it runs, + 1; 0 none */
	size_t test_base;		/* pytest: stack index of pytest_pyfunc_call + 1; 0 unknown */
	struct us_locals_snapshot *locals;	/* --locals: the slots coming in now */
	struct us_globals_snapshot *globals;	/* --globals: the module's, coming in now */
	uint64_t first_ns, last_ns;
	bool exited;
	char *name;			/* its name when it exited (NULL: still running) */
	struct us_exception_chain *open_chain;	/* still propagating: owned here */
	size_t open_chain_depth;	/* stack depth after its last frame left */
	uint64_t last_alloc_address;	/* its latest allocation, while nothing else was */
	uint64_t last_alloc_serial;	/* allocated: the call that made it */
	uint32_t loss_epoch;		/* how many times it lost records (US_EV_LOST) */
	struct us_map open_by_function;	/* fn_id -> its shown activations on the stack */
	char *raised_message;		/* US_EV_PY_EXCEPTION's, for the exit that follows */
	const char *exit_exception;	/* the frame being popped raised this type; else NULL */
	const char *exit_return;	/* and returned this (Python: a value's summary); else NULL */
	bool exit_raised_here;		/* and the exception started there */
	struct us_child_calls *children;	/* of each frame on the stack, by its index */
	size_t children_cap;
	struct us_child_calls top_calls;	/* the calls with no shown parent */
};

struct us_gc_stats {
	uint64_t collections, total_ns;
	uint64_t by_generation[3];
};

/* A live block, for attributing its free. */
struct us_block {
	uint64_t address, size;		/* size: bytes asked for */
	uint32_t weight, node, tid;
	bool from_brk;			/* the program's own brk(2) growth */
};

/* When the leaks were taken. */
enum us_leak_cut { US_LEAKS_AT_END, US_LEAKS_AT_FINALIZE };

struct us_memory {
	bool recorded;			/* the recording has memory records */
	uint64_t heap_bytes;		/* live now */
	uint64_t peak_heap_bytes, peak_ns;
	uint32_t peak_node;		/* innermost call of the allocation that made the peak */
	uint32_t peak_epoch;		/* how many times the peak rose */
	uint64_t allocs, alloc_bytes, frees, freed_bytes, temporary, temporary_bytes;
	uint64_t by_allocator[US_ALLOC_KINDS][2];	/* count, bytes */
	uint64_t unknown_frees;		/* BPF's, plus frees the model could not match */
	enum us_leak_cut leak_cut;
	uint64_t leak_cut_ns;
	bool leaks_taken;
	uint64_t leaked, leaked_bytes;
	struct us_mem_totals_event totals;
	bool have_totals;

	struct us_block *blocks;	/* slots; free slots chained through .node */
	size_t n_blocks, blocks_cap;
	uint32_t free_slot;		/* first free slot, US_NO_NODE none */
	struct us_map block_index;	/* address -> slot */
	uint64_t *brk_blocks;		/* addresses of the blocks it got from brk(2) */
	size_t n_brk_blocks, brk_blocks_cap;

	uint64_t heap_point_bytes;	/* the heap at the last counter point sent */
};

/* One import (USDT), or one collection when module is NULL. */
struct us_span {
	uint32_t tid, depth;
	const char *module;
	uint64_t start_ns, end_ns;
	int32_t generation;
};

struct us_model;
struct us_recording;

/* The counter tracks a streaming report may draw. */
enum us_counter { US_COUNTER_HEAP, US_COUNTER_RSS };

/*
 * What a streaming report sees while the model is built (the timeline and
 * chrome reports), so that no report keeps every call in memory. Every
 * callback may be NULL. `thread` indexes us_model.threads.
 */
struct us_model_sink {
	void *ctx;
	/* the recording's META and SITES are known; no event yet */
	void (*begin)(void *ctx, const struct us_recording *rec);
	/* a call the filters show at entry (--min-duration is decided at its end) */
	void (*call_started)(void *ctx, const struct us_model *m, size_t thread,
			     const struct us_frame *f);
	/* the same call ended; `shown`: it passes --min-duration too */
	void (*call_ended)(void *ctx, const struct us_model *m, size_t thread,
			   const struct us_call *c, bool shown);
	/* a garbage collection or an import ended */
	void (*span)(void *ctx, const struct us_model *m, const struct us_span *s);
	/* a counter moved (heap: in steps of 64 KiB) */
	void (*counter)(void *ctx, const struct us_model *m, enum us_counter which,
			uint64_t ts_ns, uint64_t bytes);
	/* --lines: a frame of function fn_id started `line`, `since_ns` after
	 * the thread's previous line; `depth`: its frames on the stack */
	void (*line_started)(void *ctx, const struct us_model *m, size_t thread, uint32_t fn_id,
			     int32_t line, uint64_t ts_ns, uint64_t since_ns, size_t depth);
	/* --locals: the slots of the frame (function fn_id) at `moment`: it
	 * started the line just told, or (without --lines) it was entered or
	 * is leaving; `previous` those it had when last seen (NULL: none) */
	void (*locals_seen)(void *ctx, const struct us_model *m, size_t thread, uint32_t fn_id,
			    enum us_locals_moment moment, uint64_t ts_ns,
			    const struct us_py_value *values, const struct us_py_value *previous,
			    uint32_t count);
	/* --globals: the globals of the module of the frame whose locals were
	 * just told; `before` those last seen (NULL: none) */
	void (*globals_seen)(void *ctx, const struct us_model *m, size_t thread,
			     const struct us_globals_snapshot *now,
			     const struct us_globals_snapshot *before);
	/* thread `parent_tid` made thread or process `tid` (--follow) */
	void (*task_made)(void *ctx, const struct us_model *m, uint32_t parent_tid, uint32_t tid,
			  uint64_t ts_ns);
};

/* --globals: a module's globals, gathered from their records. */
struct us_globals_snapshot {
	uint64_t code;		/* of the frame they were read with */
	uint64_t dict;		/* the module's globals dict */
	uint64_t ts_ns;		/* when */
	uint32_t moment;	/* enum us_locals_moment: at a line, a call, a return */
	uint32_t fn_id;		/* the function of that frame */
	uint32_t total, received;
	uint32_t scanned, entries;	/* dict entries looked at, and in all */
	struct us_py_global vars[US_PY_GLOBALS_MAX];
};

/* --locals: a frame's slots, gathered from their records. */
struct us_locals_snapshot {
	uint64_t code;
	uint32_t total, received;
	struct us_py_value values[US_PY_LOCALS_MAX];
};

/* --lines: one line of one function, as settrace's 'line' events count it. */
struct us_line_stats {
	uint32_t fn_id;
	int32_t line;
	uint64_t count;		/* times a frame started it */
	uint64_t time_ns;	/* from each start to the frame's next line or its end:
				 * the calls made on the line included */
	uint64_t program_count;	/* the same, in the program (not start-up, shutdown) */
	uint64_t program_ns;
	uint64_t untimed;	/* starts in a frame whose entry was not seen (attach) */
	uint32_t open;		/* frames on it now: a recursive run is timed once */
	uint32_t pad;
};

/* One suspension of a coroutine's frame, from the end of a run to the
 * start of the next (model_awaits.h). */
struct us_await {
	uint32_t fn_id;		/* the coroutine */
	uint32_t tid;
	uint64_t instance;	/* its frame: the same over its runs */
	uint32_t coroutine;	/* which coroutine: a frame is reused by later ones */
	int32_t line;		/* where it suspended; 0 unknown */
	uint32_t awaited_fn;	/* the coroutine or generator it awaits: fn_id + 1, 0 none */
	char awaited_type[US_PY_TYPE_LEN + 1];	/* what its run yielded: "Future", "None" */
	uint64_t start_ns, end_ns;
	bool resumed;		/* false: the run ended for good (or tracing did) */
};

/* pytest: one test, from the TestReports of its phases (model_tests.h). */
struct us_test_phase {
	char outcome[16];	/* "" when the phase did not run */
	double duration_s;	/* pytest's own measure */
};

enum us_test_phase_kind { US_TEST_SETUP, US_TEST_CALL, US_TEST_TEARDOWN, US_TEST_PHASES };

/* A call path in one test's own call tree: below the test function's caller. */
struct us_test_node {
	uint32_t fn_id;
	uint32_t parent;	/* UINT32_MAX: a top-level call (the test function) */
	uint64_t calls, total_ns;
};

struct us_test {
	char *nodeid;
	struct us_test_node *nodes;	/* its call phase's calls, by path */
	size_t n_nodes, nodes_cap;
	struct us_map node_index;	/* (parent << 32 | function) -> nodes[] */
	uint32_t tid;
	struct us_test_phase phases[US_TEST_PHASES];
	bool xfail;		/* marked xfail and its call failed: pytest counts it skipped */
	uint64_t start_ns, end_ns;	/* the first phase's start, the last report */
	uint64_t calls_at_start, calls;	/* calls made in it (all threads, setup to teardown) */
};

/* What the model knows of the program beyond its events (model_program.h). */
enum us_main_kind { US_MAIN_UNKNOWN, US_MAIN_SCRIPT, US_MAIN_MODULE, US_MAIN_CODE };

struct us_program_info {
	char *cwd;			/* the target's working directory */
	uint32_t main_tid;		/* the main thread (the process id) */
	bool from_start;		/* run: traced from the first instruction */
	enum us_main_kind main_kind;	/* a Python program's __main__ */
	char *main_path;		/* US_MAIN_SCRIPT: the script, absolute */
	char *main_module;		/* US_MAIN_MODULE: -m MODULE */
	int python_minor;		/* 3.minor of the interpreter traced; 0 none */
};

/* What the parts beyond the core (model_program.c, model_python.c) do when
 * the core asks; model.c fills it. Either may be NULL. */
struct us_model_parts {
	/* a function appeared: its label and what the filters say of it */
	void (*describe_function)(const struct us_model *m, struct us_function *fn);
	/* the thread went on (a call, a return, its exit, the end): an exception
	 * still propagating there has ended; caught says whether a frame went on */
	void (*end_propagation)(struct us_model *m, struct us_thread *t, bool caught);
	/* frame f leaves the stack at end_ns (--lines: its line ends) */
	void (*frame_ending)(struct us_model *m, struct us_thread *t, struct us_frame *f,
			     uint64_t end_ns);
};

/* ---- profile (model_profile.c): samples of stacks ---------------------- */

struct us_profile_frame {
	char *function;			/* "" when no symbol covers the address */
	char *file;			/* native: the object; Python: the source file */
	int32_t line;
	uint32_t kind;			/* enum us_frame_kind */
	uint64_t address;
};

struct us_profile_stack {
	uint32_t *frames;		/* frame ids, innermost first */
	uint16_t depth, flags;		/* US_STACK_* */
};

/* The samples of one stack in one thread, of one kind. */
struct us_profile_samples {
	uint32_t pid, tid, stack_id, kind;
	uint64_t count, weight_ns;
	char thread_comm[US_COMM_LEN + 1];
	char process_comm[US_COMM_LEN + 1];
};

struct us_profile {
	struct us_profile_frame *frames;	/* by id */
	size_t n_frames, frames_cap;
	struct us_profile_stack *stacks;	/* by id */
	size_t n_stacks, stacks_cap;
	struct us_profile_samples *samples;
	size_t n_samples, samples_cap;
	struct us_map sample_index;	/* hash of pid, tid, stack, kind -> samples */
	uint64_t count[2], weight_ns[2];	/* by enum us_sample_kind */
	struct us_profile_totals_event totals;
	bool has_totals;
};

struct us_model {
	const struct us_model_parts *parts;
	const struct us_plan *plan;	/* native probe sites (a recording's SITES chunks) */
	struct us_process *processes;	/* --follow: in the order they were made */
	size_t n_processes, processes_cap;
	struct us_map task_pid;		/* --follow: thread id -> process id */
	size_t n_sites;			/* the sites that have a function */
	uint32_t *site_fn;		/* site -> function (us_model_site_function) */
	size_t site_fn_cap;
	struct us_filters filters;
	struct us_condition *condition;	/* filters.condition, parsed; NULL: none */
	const struct us_model_sink *sink;	/* NULL: aggregates only */
	struct us_program_info program;
	uint32_t main_code_fn;		/* __main__'s function once seen, US_ROOT_FN before */
	bool aggregated;		/* --aggregate: counters per function, no call tree */
	struct us_call_stats *aggregates;	/* --aggregate: the last record of each key */
	size_t n_aggregates, aggregates_cap;
	struct us_map aggregate_index;	/* site, or code | 1 << 63 -> aggregates[] */

	struct us_function *functions;
	size_t n_functions, functions_cap;
	struct us_map code_index;	/* code object address -> function */
	struct us_map function_index;	/* hash of name, file, line -> function */

	struct us_node *nodes;
	size_t n_nodes, nodes_cap;
	struct us_map node_index;	/* (parent << 32 | function) -> node */
	struct us_node_exception *node_exceptions;
	size_t n_node_exceptions, node_exceptions_cap;

	struct us_thread *threads;	/* in order of first event */
	size_t n_threads, threads_cap;
	struct us_map thread_index;	/* tid -> its live thread (a tid is reused after an exit) */
	struct us_call_pattern *patterns;	/* repeated call patterns (model_patterns.h) */
	size_t n_patterns, patterns_cap;
	struct us_map pattern_index;	/* parent function and block -> top-level pattern */

	struct us_func_stats *funcs;	/* by function id */
	size_t funcs_cap;

	struct us_exception_chain *chains;	/* closed chains, identical ones merged */
	size_t n_chains, chains_cap;
	struct us_map chain_index;	/* hash of a chain -> its index */
	struct us_map chain_messages;	/* hash of a chain's path -> distinct messages */
	struct us_map call_site_lines;	/* (function, bytecode offset) -> its line + 1 */
	struct us_line_stats *lines;	/* --lines, in order of first run */
	size_t n_lines, lines_cap;
	struct us_map line_index;	/* (function << 32 | line) -> lines[] */
	uint64_t line_events;		/* every line started, shown or not */
	struct us_globals_snapshot *module_globals;	/* --globals: each module's, as last seen */
	struct us_py_value **suspended_locals;	/* --locals: a suspended generator's slots */
	size_t n_suspended_locals, suspended_locals_cap;
	struct us_map suspended_locals_index;	/* its frame (instance) -> suspended_locals[] */
	size_t n_module_globals, module_globals_cap;
	struct us_await *awaits;	/* coroutines' suspensions, in order of suspending */
	size_t n_awaits, awaits_cap;
	struct us_map open_awaits;	/* a suspended coroutine's frame -> awaits[] */
	struct us_map coroutine_ids;	/* a coroutine's frame -> its coroutine (counted) */
	struct us_test *tests;		/* pytest's tests, in the order they ran */
	size_t n_tests, tests_cap;
	struct us_map test_index;	/* hash of a node id -> tests[] */
	uint32_t n_coroutines;
	uint64_t lines_unknown;		/* starts whose line could not be told */

	struct us_gc_stats gc;
	struct us_gc_stats gc_at_shutdown;	/* collections before Py_FinalizeEx */
	bool shutdown_seen;
	uint64_t imports;

	struct us_memory memory;
	struct us_profile profile;
	uint64_t next_serial;

	uint64_t first_ns, last_ns;
	uint64_t total_calls;		/* every call seen, filtered or not (not resumes) */
	uint64_t python_calls;
	uint64_t inferred_exits;	/* returns never reported, reconciled */
	uint64_t unfinished_calls;	/* still running when tracing stopped */
	uint64_t unmatched_exits;	/* returns of calls entered before tracing */
	uint64_t lost_records;		/* as the threads' US_EV_LOST records count them */
};

/* Children of a node, in order of first call. */
#define us_node_for_each_child(m, parent_idx, child_idx)                            \
	for (uint32_t child_idx = (m)->nodes[parent_idx].first_child; child_idx != US_NO_NODE; \
	     child_idx = (m)->nodes[child_idx].next_sibling)

#endif
