/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * target: the one change uscope makes in a Python target. CPython 3.11+ runs
 * most Python-to-Python calls inside the caller's C frame, where no probe can
 * see them, unless PyInterpreterState.eval_frame is set. Writing the address
 * of _PyEval_EvalFrameDefault there (through /proc/PID/mem; the official
 * setter would turn it back into NULL) makes every call a C call to it.
 * The NULL goes back on every way uscope ends: the end of tracing, Ctrl-C,
 * SIGTERM, and a crash of uscope itself (fatal-signal handler).
 */
#ifndef USCOPE_TARGET_PYTHON_H
#define USCOPE_TARGET_PYTHON_H

#include <stdbool.h>
#include <stdint.h>
#include "python_code.h"
#include <sys/types.h>

/* Where eval_frame is in an interpreter, as the plan found it (ELF
 * addresses of its object; plan_python.h fills one). */
struct us_eval_frame_slot {
	const char *object;		/* the interpreter's object, as the target sees it */
	const char *open_path;		/* the same, as uscope opens it */
	uint64_t main_interp_vaddr;	/* &_PyRuntime.interpreters.main */
	int64_t eval_frame_offset;	/* PyInterpreterState.eval_frame */
	uint64_t default_eval_vaddr;	/* _PyEval_EvalFrameDefault */
};

/* Where the C-level trace hook goes in an interpreter (3.8-3.11), as the
 * plan found it (plan_python.h fills one). --lines sets each thread's
 * c_tracefunc to trace_trampoline, CPython's own C trace function for
 * sys.settrace: with no Python trace object it returns 0 at once, and a
 * probe on it sees settrace's 'line' events. */
struct us_line_hook_slot {
	uint64_t hook_vaddr;		/* trace_trampoline (ELF address) */
	int32_t c_tracefunc;		/* PyThreadState.c_tracefunc (c_traceobj 16 bytes on) */
	int32_t c_profilefunc;		/* PyThreadState.c_profilefunc */
	int32_t use_tracing;		/* 3.8, 3.9: PyThreadState.use_tracing (int); -1 */
	int32_t cframe;			/* 3.10, 3.11: PyThreadState.cframe, use_tracing first; -1 */
	uint32_t use_tracing_size;	/* bytes: 4, or 1 (3.11) */
	uint32_t use_tracing_on;	/* the value meaning on: 1, or 255 (3.11) */
	int32_t runtime_tracing_possible; /* 3.8: _PyRuntime.ceval.tracing_possible; -1 */
	int32_t interp_tracing_possible;  /* 3.9: PyInterpreterState.ceval.tracing_possible; -1 */
};

/* Puts the line hook into the thread state `tstate` of process `pid` (its
 * thread stopped by uscope). Leaves a thread that has a trace function of
 * its own. `walk` finds the thread states again at the end, when
 * us_python_restore takes the hooks out of those still alive. Returns 0,
 * or -1 after saying why. */
int us_python_hook_lines(pid_t pid, const struct us_line_hook_slot *slot,
			 const struct us_py_sampling *walk, uint64_t load_delta, uint64_t tstate);

/* Where sys.monitoring keeps its state in an interpreter (3.12), as the
 * plan found it. --lines there gives a tool nobody uses the LINE and JUMP
 * events, with no callback: the interpreter instruments every code object
 * at its next start, and calls the tools, which do nothing, where probes
 * see the events. */
struct us_line_monitor_slot {
	uint64_t main_interp_vaddr;	/* &_PyRuntime.interpreters.main (ELF address) */
	int32_t monitors;		/* PyInterpreterState.monitors: u8 tools[event] */
	int32_t tool_names;		/* .monitoring_tool_names[8]: a claimed tool has one */
	int32_t version;		/* .monitoring_version (u64): a change re-instruments */
	uint32_t version_step;		/* what one change adds to it */
	/* 3.13: each thread's eval_breaker holds the version too (above its 8
	 * event bits), a word the threads change themselves: written with the
	 * process stopped */
	int32_t tstate_eval_breaker;	/* -1: 3.12 */
	uint32_t line_event, jump_event;
};

/* Turns sys.monitoring's LINE and JUMP events on for a free tool in
 * process `pid` (`walk` finds its threads; `stopped`: the process is
 * stopped already). Returns 0, or -1 after saying why. */
int us_python_monitor_lines(pid_t pid, const struct us_line_monitor_slot *slot,
			    const struct us_py_sampling *walk, uint64_t load_delta, bool stopped);

/* 3.12+: the thread of `tstate` spent its C recursion budget with
 * `eval_calls` C calls of the eval loop on its stack, each spending
 * PY_EVAL_C_STACK_UNITS (2); traced, all of them are C calls, where untraced
 * most would run inline. Adds what they spent, less what was added before,
 * to its c_recursion_remaining (at `c_offset`), so its recursion limits
 * are the untraced ones; us_python_restore takes it back from each thread
 * still alive (`walk` finds them). Returns the units added, or -1. */
int us_python_widen_c_budget(pid_t pid, const struct us_py_sampling *walk, int32_t c_offset,
			     uint64_t tstate, size_t eval_calls);

/* Runtime address minus ELF address of the interpreter's object in a running
 * process, from /proc/PID/maps. Returns 0, or -1 when it is not mapped. */
int us_python_load_delta(pid_t pid, const struct us_eval_frame_slot *slot, uint64_t *delta);
/* Makes every Python call visible. Returns 0, or -1 after saying why (the
 * trace then sees only calls the interpreter does not inline). */
int us_python_deinline(pid_t pid, const struct us_eval_frame_slot *slot, uint64_t load_delta);
/* Puts back what us_python_deinline and us_python_hook_lines changed, if
 * the process is still there. Async-signal-safe; does nothing the second
 * time. */
void us_python_restore(void);

#endif
