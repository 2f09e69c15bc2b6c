// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "plan_python.h"
#include "plan_python_hook.h"
#include "plan_python_inline.h"
#include "plan_site.h"
#include "util.h"

/*
 * Offsets per CPython minor version, x86-64 (docs/cpython.md,
 * measured with gdb on the pyenv builds; tests/e2e/test_python_layout.py
 * checks them against DWARF on every interpreter with debug info).
 */
struct version_offsets {
	int minor;
	struct us_py_layout layout;
	int64_t eval_frame;		/* PyInterpreterState.eval_frame */
};

#define NONE (-1)

/* What 3.8, 3.9 and 3.10 share: PyFrameObject, and the same code object,
 * str, exception and thread-state layouts. */
#define LAYOUT_3_8_TO_3_10                                                          \
	.frame_code = 32, .frame_instr_ptr = NONE, .frame_owner = NONE,              \
	.code_flags = 36, .code_argcount = 16, .code_firstlineno = 40, .code_name = 112, \
	.code_qualname = NONE, .code_filename = 104, .code_linetable = 120,          \
	.frame_previous = 24, .tstate_frame = 24, .cframe_current_frame = NONE,      \
	.code_adaptive = NONE, .code_firsttraceable = NONE,                           \
	.heap_type_init = NONE, .heap_type_getitem = NONE, .function_code = 48,       \
	.unicode_ascii_data = 48, .unicode_utf8 = 56, .long_tagged = 0,               \
	.exception_args = 24, .exception_traceback = 32, .traceback_lasti = 32,       \
	.traceback_lineno = 36, .oserror_errno = 64, .type_base = 256,                \
	.runtime_main_interp = 40, .interp_gil_last_holder = NONE,                    \
	.tstate_exc_type = 88, .tstate_exc_value = 96, .tstate_exc_traceback = 104,  \
	.tstate_c_tracefunc = 64, .pyframe_frame = NONE, .tstate_tracing_what = NONE,  \
	.frame_object = NONE, .code_nlocals = 28, .code_varnames = 72,                 \
	.code_cellvars = 88, .code_freevars = 80, .code_nfreevars = NONE,            \
	.frame_function = NONE, .function_closure = NONE, .frame_globals = 48

/* What 3.11, 3.12 and 3.13 share: _PyInterpreterFrame, most of the code object. */
#define LAYOUT_3_11_TO_3_13                                                     \
	.frame_lasti = NONE, .frame_instr_ptr = 56, .frame_localsplus = 72,     \
	.lasti_bytes = 0,                                                       \
	.code_flags = 48, .code_name = 120, .code_qualname = 128,               \
	.code_filename = 112, .code_linetable = 136, .function_code = 48,       \
	.exception_args = 24, .exception_traceback = 40, .traceback_lasti = 32, \
	.traceback_lineno = NONE, .oserror_errno = 72, .type_base = 256,        \
	.function_closure = 72

/* What 3.12 and 3.13 share beyond that: f_executable, compact str, tagged int,
 * one current exception. */
#define LAYOUT_3_12_TO_3_13                                                    \
	.frame_code = 0, .frame_owner = 70, .code_argcount = 52, .frame_previous = 8, \
	.code_firstlineno = 68, .unicode_ascii_data = 40, .unicode_utf8 = 48,  \
	.long_tagged = 1, .runtime_tstate_current = NONE, .tstate_exc_type = NONE, \
	.tstate_exc_traceback = NONE, .tstate_c_tracefunc = NONE, .pyframe_frame = NONE, \
	.pyframe_lineno = NONE, .tstate_tracing_what = NONE, .frame_object = NONE,     \
	.code_cellvars = NONE, .code_freevars = NONE, .code_nfreevars = 88,    \
	.frame_function = 16, .frame_globals = 24

static const struct version_offsets offset_table[] = {
	{ 8, { LAYOUT_3_8_TO_3_10, .frame_in_rdi = 1, .frame_lasti = 104, .lasti_bytes = 1,
	       .frame_localsplus = 360, .pyframe_lineno = 108,
	       .runtime_tstate_current = 1368 }, 568 },
	{ 9, { LAYOUT_3_8_TO_3_10, .frame_lasti = 104, .lasti_bytes = 1, .frame_localsplus = 360,
	       .pyframe_lineno = 108, .runtime_tstate_current = 568 }, 1400 },
	{ 10, { LAYOUT_3_8_TO_3_10, .frame_lasti = 96, .lasti_bytes = 2, .frame_localsplus = 352,
		.pyframe_lineno = 100, .runtime_tstate_current = 568 }, 1368 },
	{ 11, { LAYOUT_3_11_TO_3_13, .frame_code = 32, .frame_owner = 69, .frame_previous = 48,
		.tstate_frame = 56, .cframe_current_frame = 8,
		.code_argcount = 56,
		.code_firstlineno = 72, .code_adaptive = 184, .code_firsttraceable = 168,
		.heap_type_init = NONE, .heap_type_getitem = 896, .unicode_ascii_data = 48,
		.unicode_utf8 = 56, .long_tagged = 0, .runtime_tstate_current = 576, .runtime_main_interp = 48,
		.interp_gil_last_holder = NONE, .tstate_exc_type = 96, .tstate_exc_value = 104,
		.tstate_exc_traceback = 112, .tstate_c_tracefunc = 72, .pyframe_frame = 24,
		.pyframe_lineno = 40, .tstate_tracing_what = 48, .frame_object = 40,
		.code_nlocals = 76, .code_varnames = 96, .code_cellvars = NONE,
		.code_freevars = NONE, .code_nfreevars = 92, .frame_function = 0,
		.frame_globals = 8 }, 1424 },
	{ 12, { LAYOUT_3_11_TO_3_13, LAYOUT_3_12_TO_3_13, .code_adaptive = 192,
		.code_nlocals = 72, .code_varnames = 96,
		.tstate_frame = 56, .cframe_current_frame = 0,
		.code_firsttraceable = 176, .heap_type_init = NONE, .heap_type_getitem = NONE,
		.runtime_main_interp = 48,
		.interp_gil_last_holder = 1048, .tstate_exc_value = 96 }, 1744 },
	{ 13, { LAYOUT_3_11_TO_3_13, LAYOUT_3_12_TO_3_13, .code_adaptive = 200,
		.code_nlocals = 72, .code_varnames = 96,
		.tstate_frame = 72, .cframe_current_frame = NONE,
		.code_firsttraceable = 184, .heap_type_init = 920, .heap_type_getitem = NONE,
		.runtime_main_interp = 640,
		.interp_gil_last_holder = 7760, .tstate_exc_value = 112 }, 8472 },
};

/* The code-object fields the probe reads at every call span 128 bytes at
 * most from the lowest of them (tests/unit checks it for every version). */
static int32_t lowest_code_offset(const struct us_py_layout *l)
{
	int32_t offsets[] = { l->code_flags, l->code_argcount, l->code_firstlineno, l->code_name,
			      l->code_qualname, l->code_filename };
	int32_t lowest = INT32_MAX;

	for (size_t i = 0; i < US_ARRAY_SIZE(offsets); i++)
		if (offsets[i] >= 0 && offsets[i] < lowest)
			lowest = offsets[i];
	return lowest;
}

bool us_python_layout_for(int minor, struct us_py_layout *layout, int64_t *eval_frame_offset)
{
	for (size_t i = 0; i < US_ARRAY_SIZE(offset_table); i++) {
		if (offset_table[i].minor != minor)
			continue;
		*layout = offset_table[i].layout;
		layout->minor = (uint32_t)minor;
		layout->code_header_start = lowest_code_offset(layout);
		*eval_frame_offset = offset_table[i].eval_frame;
		return true;
	}
	return false;
}

int us_python_minor_from_name(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *p;
	char *end;
	long minor;

	base = base ? base + 1 : path;
	p = strncmp(base, "libpython3.", 11) == 0 ? base + 11
	    : strncmp(base, "python3.", 8) == 0   ? base + 8
						  : NULL;
	if (!p)
		return -1;
	minor = strtol(p, &end, 10);
	if (end == p || (*end && *end != '.' && *end != 'd' && *end != 'm' && *end != 't'))
		return -1;
	return (int)minor;
}

enum python_symbol {
	SYM_EVAL, SYM_RUNTIME, SYM_NONE, SYM_TRUE, SYM_BOOL_TYPE, SYM_LONG_TYPE, SYM_FLOAT_TYPE,
	SYM_UNICODE_TYPE, SYM_VERSION, SYM_GET_EVAL_FRAME, SYM_OSERROR, SYM_CELL_TYPE,
	SYM_MODULE_TYPE, SYM_FUNCTION_TYPE, SYM_CFUNCTION_TYPE, SYM_COUNT
};

static const char *const python_symbols[SYM_COUNT] = {
	"_PyEval_EvalFrameDefault", "_PyRuntime", "_Py_NoneStruct", "_Py_TrueStruct",
	"PyBool_Type", "PyLong_Type", "PyFloat_Type", "PyUnicode_Type", "Py_Version",
	"_PyInterpreterState_GetEvalFrameFunc", "PyExc_OSError", "PyCell_Type",
	"PyModule_Type", "PyFunction_Type", "PyCFunction_Type",
};

/* The version from the file name, else from Py_Version (3.11+). */
static int detect_minor(const char *path, const char *open_path, uint64_t version_vaddr)
{
	int minor = us_python_minor_from_name(path);
	uint64_t hex = 0;

	if (minor >= 0)
		return minor;
	if (version_vaddr && us_elf_read_at(open_path, version_vaddr, &hex, 8) == 8 &&
	    (hex >> 24) == 3)
		return (int)(hex >> 16 & 0xff);
	return -1;
}

/* The micro version from Py_Version (3.11+), or -1. */
static int detect_micro(const char *open_path, uint64_t version_vaddr)
{
	uint64_t hex = 0;

	if (version_vaddr && us_elf_read_at(open_path, version_vaddr, &hex, 8) == 8 &&
	    (hex >> 24 & 0xff) == 3)
		return (int)(hex >> 8 & 0xff);
	return -1;
}

/* 3.9+: the getter's first instruction is `mov disp32(%rdi),%rax`
 * (48 8b 87 disp32): the offset of eval_frame, straight from the build. */
static void check_eval_frame_offset(struct us_python *py, uint64_t getter_vaddr)
{
	uint8_t code[7];
	int32_t disp;

	if (!getter_vaddr || us_elf_read_at(py->open_path, getter_vaddr, code, 7) != 7 ||
	    code[0] != 0x48 || code[1] != 0x8b || code[2] != 0x87)
		return;
	memcpy(&disp, code + 3, 4);
	if (disp != py->eval_frame_offset) {
		us_warn("%s: eval_frame is at offset %d, not %lld as in uscope's table for 3.%d; "
			"using %d", py->object, disp, (long long)py->eval_frame_offset, py->minor, disp);
		py->eval_frame_offset = disp;
	}
}

/* Bytes to the first call instruction (emulated by the kernel: ~1 us a hit
 * instead of ~13) when only instructions that leave the first argument (rdi)
 * alone come before it; 0 otherwise. */
static uint32_t skip_to_first_call(const uint8_t *code, size_t len)
{
	size_t at = 0;

	while (at < len) {
		if (code[at] == 0xe8)
			return (uint32_t)at;
		if (at + 4 <= len && code[at] == 0x48 && code[at + 1] == 0x83 && code[at + 2] == 0xec)
			at += 4;	/* sub $imm8,%rsp */
		else if (at + 2 <= len && code[at] == 0x31 && code[at + 1] == 0xf6)
			at += 2;	/* xor %esi,%esi */
		else if (code[at] >= 0x50 && code[at] <= 0x57 && code[at] != 0x57)
			at += 1;	/* push, not of rdi */
		else
			return 0;
	}
	return 0;
}

/* 3.13 runs the __init__ of a class called from Python inside the caller's
 * C frame, eval_frame or not (CALL_ALLOC_AND_ENTER_INIT); its one call of
 * _PyType_NewManagedObject marks each such call. */
static void place_inline_init_probe(struct us_python *py, const struct us_symtab *tab)
{
	if (py->layout.heap_type_init < 0)
		return;
	for (size_t i = 0; i < tab->count; i++) {
		uint8_t code[16];
		struct us_placement place;
		size_t n;

		if (!us_symbol_is(&tab->syms[i], "_PyType_NewManagedObject"))
			continue;
		n = us_read_code(py->open_path, tab->syms[i].file_offset, code, sizeof(code));
		place = us_place_probe(code, n);
		if (!place.emulated && skip_to_first_call(code, n))
			place.skip = skip_to_first_call(code, n);
		if (place.probeable)
			py->inline_init_probe_offset = tab->syms[i].file_offset + place.skip;
		return;
	}
}

/* The file offset of a probe on the start of function `name` (which reads
 * its arguments: placed as us_place_probe says), or 0. */
static uint64_t probe_offset_at(const struct us_python *py, const struct us_symtab *tab,
				const char *name)
{
	for (size_t i = 0; i < tab->count; i++) {
		uint8_t code[16];
		struct us_placement place;

		if (!us_symbol_is(&tab->syms[i], name))
			continue;
		place = us_place_probe(code, us_read_code(py->open_path, tab->syms[i].file_offset,
							  code, sizeof(code)));
		return place.probeable ? tab->syms[i].file_offset + place.skip : 0;
	}
	return 0;
}

/* Without USDT, a collection is one call of the collector's main function:
 * gc_collect_main (3.10+) or collect (3.9), a .symtab symbol taking
 * (tstate, generation, ...). 3.8's is split into clones with other
 * arguments: no probe there. */
static void place_gc_probe(struct us_python *py, const struct us_symtab *tab)
{
	const char *name = py->minor >= 10 ? "gc_collect_main" : py->minor == 9 ? "collect" : NULL;

	if (name && !py->has_usdt)
		py->gc_probe_offset = probe_offset_at(py, tab, name);
}

/* Where a code object is freed: code_dealloc, a .symtab symbol, or for a
 * stripped interpreter the tp_dealloc of PyCode_Type (an exported object
 * whose initialised pointer the file holds when the object is not
 * position-independent, as Debian's python3.11). The code object's address
 * may then hold another one: uscope forgets the names it sent for it. */
#define TYPE_DEALLOC_OFFSET 48	/* PyTypeObject.tp_dealloc, every version */

static uint64_t code_dealloc_vaddr(const struct us_python *py, const struct us_symtab *tab)
{
	const char *const names[] = { "PyCode_Type" };
	uint64_t type = 0, dealloc = 0;

	for (size_t i = 0; i < tab->count; i++)
		if (us_symbol_is(&tab->syms[i], "code_dealloc"))
			return tab->syms[i].vaddr;
	if (us_elf_lookup(py->open_path, names, 1, &type) || !type)
		return 0;
	if (us_elf_read_at(py->open_path, type + TYPE_DEALLOC_OFFSET, &dealloc, sizeof(dealloc)) !=
	    sizeof(dealloc))
		return 0;
	return dealloc;
}

static void place_code_freed_probe(struct us_python *py, const struct us_symtab *tab)
{
	uint64_t vaddr = code_dealloc_vaddr(py, tab), offset;
	struct us_placement place;
	uint8_t code[16];

	if (!vaddr || !us_elf_code_offset(py->open_path, vaddr, &offset))
		return;
	place = us_place_probe(code, us_read_code(py->open_path, offset, code, sizeof(code)));
	if (place.probeable)
		py->code_freed_probe_offset = offset + place.skip;
}

/* 3.12+: each C call of the eval loop spends two units of the thread's C
 * recursion budget (PY_EVAL_C_STACK_UNITS); traced, every Python call is
 * one. When the budget is spent, _Py_CheckRecursiveCall runs: a probe
 * there lets uscope give the thread back what tracing spent. */
static void place_recursion_probe(struct us_python *py, const struct us_symtab *tab)
{
	py->c_recursion_offset = py->minor == 12 ? 36 : py->minor == 13 ? 52 : -1;
	if (py->c_recursion_offset >= 0)
		py->recursion_probe_offset = probe_offset_at(py, tab, "_Py_CheckRecursiveCall");
}

/* --lines (3.8-3.11): trace_trampoline, the C trace function sys.settrace
 * installs, a .symtab symbol. uscope writes its address into each thread's
 * c_tracefunc (user/target/target_python.c) and probes it. */
static void place_line_hook(struct us_python *py, const struct us_symtab *tab)
{
	const char *const names[] = { "_PyEval_SetTrace" };
	uint64_t hook = 0, set_trace = 0, offset;
	struct us_placement place;
	uint8_t code[16];

	if (py->layout.tstate_c_tracefunc < 0)
		return;
	for (size_t i = 0; i < tab->count && !hook; i++)
		if (us_symbol_is(&tab->syms[i], "trace_trampoline"))
			hook = tab->syms[i].vaddr;
	/* no .symtab: the function sys.settrace passes to _PyEval_SetTrace */
	if (!hook && !us_elf_lookup(py->open_path, names, 1, &set_trace) && set_trace)
		hook = us_find_trace_trampoline(py->open_path, set_trace);
	if (!hook || !us_elf_code_offset(py->open_path, hook, &offset))
		return;
	place = us_place_probe(code, us_read_code(py->open_path, offset, code, sizeof(code)));
	if (!place.probeable)
		return;
	/* a PGO build may run inlined copies where it compares with the hook */
	py->n_hook_sites = us_find_hook_sites(py->open_path, hook, py->hook_sites);
	if (py->n_hook_sites > US_HOOK_SITES_MAX ||
	    (py->n_hook_sites && py->layout.tstate_tracing_what < 0))
		return;
	py->line_hook_probe_offset = offset + place.skip;
	py->layout.line_hook_vaddr = hook;
}

/* --lines on 3.12 and 3.13: sys.monitoring's LINE and JUMP events of a
 * tool with no callback; probes where the interpreter calls the tools
 * (.symtab). */
#define MONITORING_EVENT_JUMP 7	/* sys.monitoring.events.JUMP == 1 << 7 */

static void place_line_monitor(struct us_python *py, const struct us_symtab *tab)
{
	if (py->minor != 12 && py->minor != 13)
		return;
	py->line_monitor_probe_offset = probe_offset_at(py, tab, "_Py_call_instrumentation_line");
	py->jump_monitor_probe_offset = probe_offset_at(py, tab, "_Py_call_instrumentation_jump");
	if (!py->line_monitor_probe_offset || !py->jump_monitor_probe_offset) {
		py->line_monitor_probe_offset = py->jump_monitor_probe_offset = 0;
		return;
	}
	py->layout.line_monitor = 1;
	py->layout.resume_opcode = py->minor == 12 ? 151 : 149;	/* dis.opmap */
	py->layout.instrumented_resume_opcode = py->minor == 12 ? 240 : 236;
	py->layout.resume_check_opcode = py->minor == 12 ? 0 : 207;	/* _specialized_opmap */
	py->layout.jump_event = MONITORING_EVENT_JUMP;
}

/* --locals without --lines, 3.12+: the interpreter clears a returning
 * frame before the eval function returns; this is where (frame.c, called
 * from ceval.c, so not inlined there). */
static void place_frame_cleared_probe(struct us_python *py, const struct us_symtab *tab)
{
	if (py->minor >= 12)
		py->frame_cleared_probe_offset = probe_offset_at(py, tab, "_PyFrame_ClearExceptCode");
}

/* Py_FinalizeEx: where the program ends and the interpreter's teardown begins. */
static void place_finalize_probe(struct us_python *py, const struct us_symtab *tab)
{
	py->finalize_probe_offset = probe_offset_at(py, tab, "Py_FinalizeEx");
}

void us_python_place_inline_getitem(struct us_python *py)
{
	struct us_inline_getitem_site site;

	if (py->minor != 11 || py->micro < 0 || py->micro > 3 || py->layout.heap_type_getitem < 0)
		return;
	if (!us_find_inline_getitem(py->open_path, py->eval_vaddr, py->eval_size,
				    py->layout.heap_type_getitem, &site))
		return;
	py->inline_getitem_probe_offset = site.file_offset;
	py->layout.getitem_function_register = site.function_register;
}

static bool place_eval_probe(struct us_python *py, uint64_t eval_vaddr, char *err, size_t errlen)
{
	struct us_symtab tab;
	struct us_placement place;
	uint8_t code[16];
	size_t n;

	if (us_symtab_load(py->open_path, &tab, err, errlen))
		return false;
	place_inline_init_probe(py, &tab);
	place_gc_probe(py, &tab);
	place_finalize_probe(py, &tab);
	place_code_freed_probe(py, &tab);
	place_recursion_probe(py, &tab);
	place_line_hook(py, &tab);
	place_line_monitor(py, &tab);
	place_frame_cleared_probe(py, &tab);
	for (size_t i = 0; i < tab.count; i++) {
		if (tab.syms[i].vaddr != eval_vaddr)
			continue;
		n = us_read_code(py->open_path, tab.syms[i].file_offset, code, sizeof(code));
		place = us_place_probe(code, n);
		py->eval_probe_offset = tab.syms[i].file_offset + place.skip;
		py->layout.eval_probe_vaddr = eval_vaddr + place.skip;
		py->eval_insn = place.insn;
		py->eval_emulated = place.emulated;
		py->eval_size = tab.syms[i].size;
		us_symtab_free(&tab);
		if (!place.probeable)
			snprintf(err, errlen, "%s: the kernel cannot probe _PyEval_EvalFrameDefault (%s)",
				 py->object, place.insn);
		return place.probeable;
	}
	us_symtab_free(&tab);
	snprintf(err, errlen, "%s: _PyEval_EvalFrameDefault is not a function symbol", py->object);
	return false;
}

static int fill_python(const struct us_object *obj, const uint64_t *sym, struct us_python *py,
		       char *err, size_t errlen)
{
	memset(py, 0, sizeof(*py));
	py->object = us_strdup(obj->path);
	py->open_path = us_strdup(obj->open_path ? obj->open_path : obj->path);
	py->minor = detect_minor(obj->path, py->open_path, sym[SYM_VERSION]);
	py->micro = detect_micro(py->open_path, sym[SYM_VERSION]);
	if (py->minor < 0) {
		snprintf(err, errlen, "%s holds a CPython interpreter of unknown version: uscope "
			 "traces CPython 3.%d to 3.%d", obj->path, US_PYTHON_MIN_MINOR,
			 US_PYTHON_MAX_MINOR);
		return -1;
	}
	if (!us_python_layout_for(py->minor, &py->layout, &py->eval_frame_offset)) {
		snprintf(err, errlen, "%s is CPython 3.%d: uscope traces CPython 3.%d to 3.%d",
			 obj->path, py->minor, US_PYTHON_MIN_MINOR, US_PYTHON_MAX_MINOR);
		return -1;
	}
	if (!sym[SYM_RUNTIME] || !sym[SYM_NONE] || !sym[SYM_LONG_TYPE] || !sym[SYM_UNICODE_TYPE]) {
		snprintf(err, errlen, "%s: CPython 3.%d without the _PyRuntime, _Py_NoneStruct, "
			 "PyLong_Type and PyUnicode_Type symbols cannot be traced", obj->path, py->minor);
		return -1;
	}
	py->eval_vaddr = sym[SYM_EVAL];
	py->layout.runtime_vaddr = sym[SYM_RUNTIME];
	py->layout.none_vaddr = sym[SYM_NONE];
	py->layout.true_vaddr = sym[SYM_TRUE];
	py->layout.bool_type_vaddr = sym[SYM_BOOL_TYPE];
	py->layout.long_type_vaddr = sym[SYM_LONG_TYPE];
	py->layout.float_type_vaddr = sym[SYM_FLOAT_TYPE];
	py->layout.unicode_type_vaddr = sym[SYM_UNICODE_TYPE];
	py->layout.oserror_pointer_vaddr = sym[SYM_OSERROR];
	py->layout.cell_type_vaddr = sym[SYM_CELL_TYPE];
	py->layout.module_type_vaddr = sym[SYM_MODULE_TYPE];
	py->layout.function_type_vaddr = sym[SYM_FUNCTION_TYPE];
	py->layout.cfunction_type_vaddr = sym[SYM_CFUNCTION_TYPE];
	py->inlines_calls = py->minor >= 11;
	check_eval_frame_offset(py, sym[SYM_GET_EVAL_FRAME]);
	py->has_usdt = us_elf_has_section(py->open_path, ".note.stapsdt");
	return place_eval_probe(py, sym[SYM_EVAL], err, errlen) ? 1 : -1;
}

int us_python_detect(const struct us_object_list *objects, struct us_python *py, char *err,
		     size_t errlen)
{
	for (size_t i = 0; i < objects->count; i++) {
		const struct us_object *obj = &objects->items[i];
		uint64_t sym[SYM_COUNT];
		int r;

		if (us_elf_lookup(obj->open_path ? obj->open_path : obj->path, python_symbols,
				  SYM_COUNT, sym) || !sym[SYM_EVAL])
			continue;
		r = fill_python(obj, sym, py, err, errlen);
		if (r < 0)
			us_python_free(py);
		return r;
	}
	return 0;
}

void us_python_free(struct us_python *py)
{
	free(py->object);
	free(py->open_path);
	memset(py, 0, sizeof(*py));
}

struct us_eval_frame_slot us_python_eval_frame_slot(const struct us_python *py)
{
	return (struct us_eval_frame_slot){
		.object = py->object, .open_path = py->open_path,
		.main_interp_vaddr = py->layout.runtime_vaddr + (uint64_t)py->layout.runtime_main_interp,
		.eval_frame_offset = py->eval_frame_offset, .default_eval_vaddr = py->eval_vaddr,
	};
}

struct us_line_hook_slot us_python_line_hook_slot(const struct us_python *py)
{
	int minor = py->minor;

	return (struct us_line_hook_slot){
		.hook_vaddr = py->layout.line_hook_vaddr,
		.c_tracefunc = py->layout.tstate_c_tracefunc,
		.c_profilefunc = py->layout.tstate_c_tracefunc - 8,
		.use_tracing = minor <= 9 ? 48 : NONE,
		.cframe = minor == 10 ? 48 : minor == 11 ? 56 : NONE,	/* 3.12+: no hook */
		.use_tracing_size = minor == 11 ? 1 : 4,
		.use_tracing_on = minor == 11 ? 255 : 1,
		.runtime_tracing_possible = minor == 8 ? 588 : NONE,
		.interp_tracing_possible = minor == 9 ? 68 : NONE,
	};
}

struct us_line_monitor_slot us_python_line_monitor_slot(const struct us_python *py)
{
	bool v12 = py->minor == 12;	/* else 3.13; offsets from DWARF */

	return (struct us_line_monitor_slot){
		.main_interp_vaddr = py->layout.runtime_vaddr + (uint64_t)py->layout.runtime_main_interp,
		.monitors = v12 ? 381744 : 193136, .tool_names = v12 ? 382872 : 194264,
		/* 3.12: monitoring_version; 3.13: ceval.instrumentation_version */
		.version = v12 ? 48 : 0, .version_step = v12 ? 1 : 1u << 8,
		.tstate_eval_breaker = v12 ? -1 : 24,
		.line_event = 5, .jump_event = MONITORING_EVENT_JUMP,
	};
}

/* Sampling: from _PyRuntime to a thread's frames (docs/cpython.md,
 * "Sampling"; measured on every version). */
struct thread_walk {
	int minor;
	int32_t interp_threads_head, tstate_thread_id;
	int32_t frame_is_entry;
};

static const struct thread_walk thread_walks[] = {
	{ 8, 8, 176, NONE },
	{ 9, 8, 176, NONE },
	{ 10, 8, 176, NONE },
	{ 11, 16, 152, 68 },
	{ 12, 72, 136, NONE },
	{ 13, 7344, 152, NONE },
};

bool us_python_sampling_layout(const struct us_python *py, uint64_t load_delta,
			       struct us_py_sampling *out)
{
	const struct us_py_layout *l = &py->layout;

	for (size_t i = 0; i < US_ARRAY_SIZE(thread_walks); i++) {
		const struct thread_walk *w = &thread_walks[i];

		if (w->minor != py->minor)
			continue;
		*out = (struct us_py_sampling){
			.runtime_address = l->runtime_vaddr + load_delta,
			.minor = (uint32_t)py->minor,
			.runtime_main_interp = l->runtime_main_interp,
			.interp_threads_head = w->interp_threads_head,
			.tstate_next = 8,
			.tstate_thread_id = w->tstate_thread_id,
			.tstate_frame = l->tstate_frame,
			.cframe_current_frame = l->cframe_current_frame,
			.frame_previous = l->frame_previous,
			.frame_code = l->frame_code,
			.frame_lasti = l->frame_lasti,
			.frame_instr_ptr = l->frame_instr_ptr,
			.frame_owner = l->frame_owner,
			.frame_is_entry = w->frame_is_entry,
			.code_adaptive = l->code_adaptive,
			.lasti_bytes = l->lasti_bytes,
			.code_name = l->code_qualname >= 0 ? l->code_qualname : l->code_name,
			.code_filename = l->code_filename,
			.code_firstlineno = l->code_firstlineno,
			.code_lines = us_python_code_lines_offset(py),
			.unicode_ascii_data = l->unicode_ascii_data,
			.unicode_utf8 = l->unicode_utf8,
		};
		return true;
	}
	return false;
}

int32_t us_python_code_lines_offset(const struct us_python *py)
{
	return py->layout.code_linetable;
}
