/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where bpf/python.bpf.c finds things in a CPython interpreter: struct offsets
 * for one version (user/plan/plan_python.c fills them from its tables, checked
 * against DWARF in the tests) and ELF addresses of a few objects. Offsets of
 * -1 mean "this version has no such field". Addresses are ELF virtual
 * addresses of the object holding the interpreter; the probe adds the load
 * delta it computes from its own instruction pointer.
 */
#ifndef USCOPE_PYTHON_LAYOUT_H
#define USCOPE_PYTHON_LAYOUT_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Offsets every supported version (3.8-3.13, x86-64) shares. */
#define US_PY_OB_TYPE 8			/* PyObject.ob_type */
#define US_PY_OB_SIZE 16		/* PyVarObject.ob_size: a tuple's or bytes' length */
#define US_PY_TUPLE_ITEMS 24		/* PyTupleObject.ob_item[0] */
#define US_PY_LONG_DIGITS 24		/* PyLongObject's digits (ob_digit / long_value) */
#define US_PY_BYTES_DATA 32		/* PyBytesObject.ob_sval: a line table's bytes */
#define US_PY_STR_LENGTH 16		/* PyASCIIObject.length */
#define US_PY_STR_STATE 32		/* PyASCIIObject.state: compact (0x20), ascii (0x40) */
#define US_PY_TYPE_NAME 24		/* PyTypeObject.tp_name */
#define US_PY_FLOAT_VALUE 16		/* PyFloatObject.ob_fval */
#define US_PY_TYPE_FLAGS 168		/* PyTypeObject.tp_flags */
#define US_PY_TPFLAGS_TYPE_SUBCLASS (1ull << 31)	/* the object is a class */
#define US_PY_DICT_KEYS 32		/* PyDictObject.ma_keys */
#define US_PY_DICT_VALUES 40		/* PyDictObject.ma_values: split tables only */

/* A general-purpose x86-64 register, as a probe reads it from pt_regs. */
enum us_register {
	US_REG_NONE, US_REG_RAX, US_REG_RBX, US_REG_RCX, US_REG_RDX, US_REG_RSI, US_REG_RDI,
	US_REG_RBP, US_REG_R8, US_REG_R9, US_REG_R10, US_REG_R11, US_REG_R12, US_REG_R13,
	US_REG_R14, US_REG_R15,
};

struct us_py_layout {
	__u32 minor;			/* 3.minor */
	__u32 frame_in_rdi;		/* 3.8: the frame is the first argument */

	/* PyFrameObject (<= 3.10) or _PyInterpreterFrame (>= 3.11) */
	__s32 frame_code;
	__s32 frame_lasti;		/* <= 3.10: int f_lasti, -1 before the first instruction */
	__s32 frame_instr_ptr;		/* >= 3.11: prev_instr / instr_ptr */
	__s32 frame_owner;		/* >= 3.11: char owner */
	__s32 frame_localsplus;		/* arguments, then other locals */
	__s32 frame_previous;		/* f_back / previous: the calling frame */
	__u32 lasti_bytes;		/* <= 3.10: bytes per f_lasti unit (3.10: 2) */
	/* 3.11+: the frame a thread runs, from its state (the eval function's
	 * first argument): the caller, when the callee's is being entered */
	__s32 tstate_frame;		/* the current frame, or (3.11, 3.12) the cframe */
	__s32 cframe_current_frame;	/* 3.11, 3.12: _PyCFrame.current_frame; -1 none */

	/* PyCodeObject */
	__s32 code_flags;
	__s32 code_argcount;
	__s32 code_firstlineno;
	__s32 code_name;
	__s32 code_qualname;		/* >= 3.11 */
	__s32 code_filename;
	__s32 code_linetable;		/* bytes: the line table (co_lnotab, co_linetable) */
	__s32 code_adaptive;		/* >= 3.11: the bytecode inside the code object */
	__s32 code_firsttraceable;	/* >= 3.11: index of the first RESUME */
	__s32 code_header_start;	/* the lowest of the offsets above: one read gets them all */

	/* 3.13: the __init__ a specialised class call runs inline */
	__s32 heap_type_init;		/* PyHeapTypeObject._spec_cache.init */
	__s32 function_code;		/* PyFunctionObject.func_code */
	/* 3.11.0-3.11.3: the __getitem__ a specialised subscript runs inline */
	__s32 heap_type_getitem;	/* PyHeapTypeObject._spec_cache.getitem */
	__u32 getitem_function_register; /* enum us_register: holds it at the probe */

	/* objects */
	__s32 unicode_ascii_data;	/* compact ASCII characters */
	__s32 unicode_utf8;		/* compact non-ASCII: char *utf8 */
	__u32 long_tagged;		/* 3.12+: lv_tag; before: signed ob_size */
	__s32 exception_args;		/* PyBaseExceptionObject.args */
	__s32 exception_traceback;
	__s32 traceback_lasti;
	__s32 traceback_lineno;		/* valid <= 3.10 */
	__s32 oserror_errno;		/* PyOSErrorObject.myerrno; strerror and filename follow */
	__s32 type_base;		/* PyTypeObject.tp_base */

	/* the thread holding the GIL (the one returning from eval) */
	__s32 runtime_tstate_current;	/* <= 3.11: _PyRuntime.gilstate.tstate_current */
	__s32 runtime_main_interp;	/* 3.12+: _PyRuntime.interpreters.main */
	__s32 interp_gil_last_holder;	/* 3.12+ */
	__s32 tstate_exc_type;		/* <= 3.11: curexc_type */
	__s32 tstate_exc_value;		/* <= 3.11: curexc_value; 3.12+: current_exception */
	__s32 tstate_exc_traceback;	/* <= 3.11: curexc_traceback */

	/* --lines through the C-level trace hook (3.8-3.11; docs/cpython.md, "Lines") */
	__s32 tstate_c_tracefunc;	/* PyThreadState.c_tracefunc; -1: no hook */
	__s32 pyframe_frame;		/* 3.11: PyFrameObject.f_frame; -1: it is the frame */
	__s32 pyframe_lineno;		/* PyFrameObject.f_lineno, set while the hook runs */
	__s32 tstate_tracing_what;	/* 3.11: PyThreadState.tracing_what, the event the
					 * hook is called for; -1 none */
	__s32 frame_object;		/* 3.11: _PyInterpreterFrame.frame_obj; -1 none */
	/* --locals: the names of a frame's slots */
	__s32 code_nlocals;		/* <= 3.10: co_nlocals; 3.11: co_nlocalsplus */
	__s32 code_varnames;		/* <= 3.10: co_varnames; 3.11: co_localsplusnames */
	__s32 code_cellvars;		/* <= 3.10: co_cellvars, then co_freevars; -1 */
	__s32 code_freevars;
	/* --locals at a call, 3.11+: free variables are copied into the frame
	 * by its first instruction, so at entry they come from the closure */
	__s32 code_nfreevars;		/* co_nfreevars; -1 */
	__s32 frame_function;		/* f_func / f_funcobj */
	__s32 function_closure;		/* PyFunctionObject.func_closure */
	/* --globals: the frame's module dict, read as its version lays it out */
	__s32 frame_globals;		/* f_globals */
	/* --lines through sys.monitoring (3.12+) */
	__u32 line_monitor;		/* the line and jump probes are on its instrumentation */
	__u32 resume_opcode;		/* RESUME */
	__u32 instrumented_resume_opcode;	/* INSTRUMENTED_RESUME */
	__u32 resume_check_opcode;	/* 3.13: RESUME_CHECK, RESUME specialised; 0 none */
	__u32 jump_event;		/* PY_MONITORING_EVENT_JUMP */

	/* ELF addresses */
	__u64 eval_probe_vaddr;		/* where the entry probe sits */
	__u64 runtime_vaddr;		/* _PyRuntime */
	__u64 none_vaddr;		/* _Py_NoneStruct */
	__u64 true_vaddr;		/* _Py_TrueStruct */
	__u64 bool_type_vaddr;
	__u64 long_type_vaddr;
	__u64 float_type_vaddr;
	__u64 unicode_type_vaddr;
	__u64 oserror_pointer_vaddr;	/* PyExc_OSError: holds the OSError type's address; 0 none */
	__u64 line_hook_vaddr;		/* trace_trampoline: the C trace function uscope puts in */
	__u64 cell_type_vaddr;		/* PyCell_Type: a cell's value is at 16 */
	/* --globals: what a module's dict holds that is not a variable of it */
	__u64 module_type_vaddr;	/* PyModule_Type */
	__u64 function_type_vaddr;	/* PyFunction_Type */
	__u64 cfunction_type_vaddr;	/* PyCFunction_Type: a builtin */
};

/* How a sampler finds the Python frames a thread runs (bpf/profile.bpf.c),
 * for one process: its _PyRuntime at its runtime address, and the offsets
 * of its version (docs/cpython.md, "Sampling"). */
struct us_py_sampling {
	__u64 runtime_address;		/* _PyRuntime in the process */
	__u32 minor;
	__s32 runtime_main_interp;	/* _PyRuntime.interpreters.main */
	__s32 interp_threads_head;	/* PyInterpreterState.tstate_head / threads.head */
	__s32 tstate_next;
	__s32 tstate_thread_id;		/* pthread_self() of the thread: its fs base */
	__s32 tstate_frame;		/* the current frame, or (3.11, 3.12) the cframe */
	__s32 cframe_current_frame;	/* 3.11, 3.12: _PyCFrame.current_frame; -1 none */
	__s32 frame_previous;		/* f_back / previous */
	__s32 frame_code;
	__s32 frame_lasti;		/* <= 3.10: int f_lasti */
	__s32 frame_instr_ptr;		/* >= 3.11 */
	__s32 frame_owner;		/* >= 3.11 */
	__s32 frame_is_entry;		/* 3.11: bool is_entry; -1 none */
	__s32 code_adaptive;		/* >= 3.11 */
	__u32 lasti_bytes;		/* <= 3.10: bytes per f_lasti unit (3.10: 2) */
	/* naming a code object the first time a sample sees it */
	__s32 code_name;		/* co_qualname (3.11+) or co_name */
	__s32 code_filename;
	__s32 code_firstlineno;
	__s32 code_lines;		/* the line table: co_lnotab, co_linetable */
	__s32 unicode_ascii_data;	/* compact ASCII characters */
	__s32 unicode_utf8;		/* compact non-ASCII: char *utf8 */
};

/* _PyInterpreterFrame.owner of the entry frame 3.12+ pushes on the C stack */
#define US_FRAME_OWNED_BY_CSTACK 3

/* co_flags bits */
#define US_CO_GENERATOR 0x20
#define US_CO_COROUTINE 0x80
#define US_CO_ASYNC_GENERATOR 0x200
#define US_CO_SUSPENDABLE (US_CO_GENERATOR | US_CO_COROUTINE | US_CO_ASYNC_GENERATOR)

/* _PyInterpreterFrame.owner */
#define US_FRAME_OWNED_BY_GENERATOR 1

#endif /* USCOPE_PYTHON_LAYOUT_H */
