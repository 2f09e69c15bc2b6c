/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * plan: find CPython in the target's objects (the executable, or a mapped
 * libpython3.X), tell its version, and fill the layout the Python probes use:
 * per-version offset tables (docs/cpython.md, checked against DWARF
 * by the tests) and ELF addresses of the objects the probes compare with.
 * Pure: reads ELF files, touches no process.
 */
#ifndef USCOPE_PLAN_PYTHON_H
#define USCOPE_PLAN_PYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "plan.h"
#include "plan_python_hook.h"
#include "target_python.h"
#include "python_layout.h"

#define US_PYTHON_MIN_MINOR 8
#define US_PYTHON_MAX_MINOR 13

struct us_python {
	int minor;			/* 3.minor */
	int micro;			/* 3.minor.micro (from Py_Version, 3.11+), or -1 */
	char *object;			/* the ELF object holding the interpreter, as the target sees it */
	char *open_path;		/* the same, as uscope opens it */
	uint64_t eval_vaddr;		/* _PyEval_EvalFrameDefault */
	uint64_t eval_size;		/* its size in bytes */
	uint64_t eval_probe_offset;	/* file offset of the probe on _PyEval_EvalFrameDefault */
	const char *eval_insn;		/* the instruction there */
	bool eval_emulated;
	uint64_t inline_init_probe_offset; /* 3.13: _PyType_NewManagedObject, 0 if not found */
	uint64_t inline_getitem_probe_offset; /* 3.11.0-3.11.3: BINARY_SUBSCR_GETITEM pushes
					       * its frame there (plan_python_inline.h), or 0 */
	uint64_t finalize_probe_offset;	/* Py_FinalizeEx, 0 if not found */
	uint64_t code_freed_probe_offset; /* code_dealloc, 0 if not found */
	uint64_t recursion_probe_offset; /* 3.12+: _Py_CheckRecursiveCall, 0 if none */
	int32_t c_recursion_offset;	/* 3.12+: PyThreadState.c_recursion_remaining, or -1 */
	uint64_t line_hook_probe_offset; /* 3.8-3.11: trace_trampoline (--lines), 0 if not found */
	struct us_hook_site hook_sites[US_HOOK_SITES_MAX]; /* its inlined copies (PGO) */
	uint64_t line_monitor_probe_offset; /* 3.12: _Py_call_instrumentation_line, 0 none */
	uint64_t jump_monitor_probe_offset; /* 3.12: _Py_call_instrumentation_jump, 0 none */
	uint64_t frame_cleared_probe_offset; /* 3.12+: _PyFrame_ClearExceptCode (--locals at
					      * returns), 0 none */
	size_t n_hook_sites;
	uint64_t gc_probe_offset;	/* the collector's main function (no USDT), 0 if not found */
	bool inlines_calls;		/* 3.11+: Python-to-Python calls skip the C function */
	int64_t eval_frame_offset;	/* PyInterpreterState.eval_frame */
	bool has_usdt;			/* the object carries python's USDT probes */
	struct us_py_layout layout;
};

/* Looks for CPython among `objects`. Returns 1 and fills `py` when found, 0
 * when the target is not CPython, -1 with `err` when it is a CPython uscope
 * cannot trace (an unsupported version, no _PyRuntime symbol). */
int us_python_detect(const struct us_object_list *objects, struct us_python *py, char *err,
		     size_t errlen);
/* 3.11.0-3.11.3 (gh-104405): where BINARY_SUBSCR_GETITEM runs a
 * __getitem__ inside its caller's C call, for the tracer (a search of the
 * interpreter's code and data, ~10 ms, not done by us_python_detect): sets
 * inline_getitem_probe_offset and the layout's register when found. */
void us_python_place_inline_getitem(struct us_python *py);
/* Fills the offset part of a layout for 3.minor; false if unsupported. */
bool us_python_layout_for(int minor, struct us_py_layout *layout, int64_t *eval_frame_offset);
/* The minor version a file name says ("libpython3.12.so.1.0", "python3.8"), or -1. */
int us_python_minor_from_name(const char *path);
void us_python_free(struct us_python *py);
/* What the sampler needs to find the frames of a thread of `py` loaded at
 * `load_delta` (runtime minus ELF address); false for an unknown version. */
bool us_python_sampling_layout(const struct us_python *py, uint64_t load_delta,
			       struct us_py_sampling *out);
/* Where a code object keeps its line table (us_py_line_for_version reads it). */
int32_t us_python_code_lines_offset(const struct us_python *py);
/* Where eval_frame is, for target_python.h's write and restore. */
struct us_eval_frame_slot us_python_eval_frame_slot(const struct us_python *py);
/* Where the line hook goes, for target_python.h (3.8-3.11: the layout has
 * tstate_c_tracefunc and line_hook_vaddr). */
struct us_line_hook_slot us_python_line_hook_slot(const struct us_python *py);
/* Where sys.monitoring's state is, for target_python.h (3.12). */
struct us_line_monitor_slot us_python_line_monitor_slot(const struct us_python *py);

#endif
