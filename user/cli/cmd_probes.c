// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `uscope probes`: the dry run. What each pattern matches, where the probe
 * goes, and whether the kernel emulates it (cheap) or single-steps it (slow). */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "trace_plan.h"
#include "log.h"
#include "plan_memory.h"
#include "plan_python.h"
#include "target.h"

static int objects_for(const struct us_options *o, struct us_target *t)
{
	if (o->pid)
		return us_target_attach(t, o->pid) || us_target_list_objects(t) ? -1 : 0;
	memset(t, 0, sizeof(*t));
	t->release_fd = t->exec_error_fd = t->pidfd = -1;
	t->exe_path = us_resolve_command(o->binary);
	if (!t->exe_path) {
		us_error("%s: no such executable", o->binary);
		return -1;
	}
	return us_objects_of_executable(t->exe_path, &t->objects);
}

static void print_sites(const struct us_plan *plan)
{
	int width = 8;

	for (size_t i = 0; i < plan->count; i++)
		if ((int)strlen(plan->sites[i].function) > width)
			width = (int)strlen(plan->sites[i].function);
	printf("%-*s %-18s %-5s %-26s %s\n", width, "FUNCTION", "ADDRESS", "AT", "PROBE",
	       "OBJECT: WHY THERE");
	for (size_t i = 0; i < plan->count; i++) {
		const struct us_site *s = &plan->sites[i];
		char probe[64];

		snprintf(probe, sizeof(probe), "%s (%s)",
			 !s->probeable ? "cannot probe" : s->emulated ? "emulated" : "single-step",
			 s->insn);
		printf("%-*s 0x%-16llx +%-4u %-26s %s%s%s\n", width, s->function,
		       (unsigned long long)s->vaddr, s->probe_skip, probe, s->object,
		       s->why ? ": " : "", s->why ? s->why : "");
	}
}

static void print_objects(const struct us_object_list *objects)
{
	printf("objects:\n");
	for (size_t i = 0; i < objects->count; i++)
		printf("  %s%s\n", objects->items[i].path, i == objects->main_index ? "  (main)" : "");
}

static void print_layout(const struct us_python *py)
{
	const struct us_py_layout *l = &py->layout;
	struct us_line_hook_slot hook = us_python_line_hook_slot(py);
	const struct { const char *name; long long value; } fields[] = {
		{ "frame_code", l->frame_code }, { "frame_lasti", l->frame_lasti },
		{ "frame_instr_ptr", l->frame_instr_ptr }, { "frame_owner", l->frame_owner },
		{ "frame_localsplus", l->frame_localsplus }, { "code_flags", l->code_flags },
		{ "code_argcount", l->code_argcount }, { "code_firstlineno", l->code_firstlineno },
		{ "code_name", l->code_name }, { "code_qualname", l->code_qualname },
		{ "code_filename", l->code_filename }, { "code_adaptive", l->code_adaptive },
		{ "code_firsttraceable", l->code_firsttraceable },
		{ "unicode_ascii_data", l->unicode_ascii_data }, { "unicode_utf8", l->unicode_utf8 },
		{ "exception_args", l->exception_args },
		{ "exception_traceback", l->exception_traceback },
		{ "traceback_lasti", l->traceback_lasti }, { "traceback_lineno", l->traceback_lineno },
		{ "oserror_errno", l->oserror_errno }, { "type_base", l->type_base },
		{ "runtime_tstate_current", l->runtime_tstate_current },
		{ "runtime_main_interp", l->runtime_main_interp },
		{ "interp_gil_last_holder", l->interp_gil_last_holder },
		{ "tstate_exc_type", l->tstate_exc_type }, { "tstate_exc_value", l->tstate_exc_value },
		{ "tstate_exc_traceback", l->tstate_exc_traceback },
		{ "tstate_c_tracefunc", l->tstate_c_tracefunc }, { "pyframe_frame", l->pyframe_frame },
		{ "pyframe_lineno", l->pyframe_lineno },
		{ "tstate_tracing_what", l->tstate_tracing_what }, { "frame_object", l->frame_object },
		{ "code_nlocals", l->code_nlocals }, { "code_varnames", l->code_varnames },
		{ "code_cellvars", l->code_cellvars }, { "code_freevars", l->code_freevars },
		{ "code_nfreevars", l->code_nfreevars }, { "frame_function", l->frame_function },
		{ "function_closure", l->function_closure }, { "frame_globals", l->frame_globals },
		{ "tstate_c_profilefunc", l->tstate_c_tracefunc >= 0 ? hook.c_profilefunc : -1 },
		{ "tstate_use_tracing", hook.use_tracing }, { "tstate_cframe", hook.cframe },
		{ "runtime_tracing_possible", hook.runtime_tracing_possible },
		{ "interp_tracing_possible", hook.interp_tracing_possible },
	};

	struct us_line_monitor_slot monitor = us_python_line_monitor_slot(py);

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		printf("  offset %s = %lld\n", fields[i].name, fields[i].value);
	if (py->line_monitor_probe_offset) {	/* 3.12: sys.monitoring's state */
		printf("  offset interp_monitors = %d\n", monitor.monitors);
		printf("  offset interp_monitoring_tool_names = %d\n", monitor.tool_names);
		printf("  offset interp_monitoring_version = %d\n", monitor.version);
		if (monitor.tstate_eval_breaker >= 0)
			printf("  offset tstate_eval_breaker = %d\n", monitor.tstate_eval_breaker);
	}
}

/* Says whether the target is CPython, and how its calls will be traced. */
static int print_python(const struct us_object_list *objects, bool *is_python)
{
	struct us_python py;
	char err[1024];
	int found = us_python_detect(objects, &py, err, sizeof(err));

	if (found > 0)
		us_python_place_inline_getitem(&py);
	*is_python = found == 1;
	if (found < 0) {
		us_error("%s", err);
		return -1;
	}
	if (!found)
		return 0;
	printf("interpreter: CPython 3.%d in %s\n", py.minor, py.object);
	printf("  _PyEval_EvalFrameDefault: probe at file offset 0x%llx (%s, %s)\n",
	       (unsigned long long)py.eval_probe_offset, py.eval_insn,
	       py.eval_emulated ? "emulated" : "single-step");
	if (py.inlines_calls)
		printf("  inlines Python-to-Python calls: uscope writes eval_frame (offset %lld) "
		       "while tracing\n", (long long)py.eval_frame_offset);
	printf("  USDT probes (garbage collections, imports): %s\n", py.has_usdt ? "yes" : "no");
	if (py.line_hook_probe_offset)
		printf("  --lines: C trace hook trace_trampoline at 0x%llx, probe at file offset "
		       "0x%llx\n", (unsigned long long)py.layout.line_hook_vaddr,
		       (unsigned long long)py.line_hook_probe_offset);
	for (size_t i = 0; py.line_hook_probe_offset && i < py.n_hook_sites; i++)
		printf("  --lines: an inlined copy of the hook (PGO), probe at file offset 0x%llx\n",
		       (unsigned long long)py.hook_sites[i].file_offset);
	if (py.line_monitor_probe_offset)
		printf("  --lines: sys.monitoring's LINE and JUMP events, probes at file offsets "
		       "0x%llx and 0x%llx\n", (unsigned long long)py.line_monitor_probe_offset,
		       (unsigned long long)py.jump_monitor_probe_offset);
	else if (!py.line_hook_probe_offset)
		printf("  --lines: not possible: %s\n", py.minor >= 12
		       ? "no _Py_call_instrumentation_line/_jump symbols"
		       : "trace_trampoline not found");
	if (py.minor == 11 && py.micro >= 0 && py.micro < 4) {
		if (py.inline_getitem_probe_offset)
			printf("  3.11.%d runs obj[i]'s __getitem__ inline (gh-104405): probe where "
			       "BINARY_SUBSCR_GETITEM pushes its frame, file offset 0x%llx\n", py.micro,
			       (unsigned long long)py.inline_getitem_probe_offset);
		else
			printf("  3.11.%d runs obj[i]'s __getitem__ inline (gh-104405): the place was "
			       "not found, those calls are not counted\n", py.micro);
	}
	if (us_log_verbosity() > 0)
		print_layout(&py);
	us_python_free(&py);
	return 0;
}

/* --memory: the allocator functions `run --memory` would probe. */
static int print_memory(const struct us_object_list *objects, enum us_memory_mode mode)
{
	struct us_memory_plan mp;
	struct us_python py = { 0 };
	char err[1024];

	if (mode == US_MEMORY_OBJECTS && us_python_detect(objects, &py, err, sizeof(err)) < 0)
		memset(&py, 0, sizeof(py));
	if (us_memory_plan_build(&mp, objects, mode, py.object, py.open_path, err, sizeof(err))) {
		us_error("%s", err);
		us_python_free(&py);
		return -1;
	}
	printf("memory: %zu allocator functions%s\n", mp.count,
	       mp.objects_inlined ? " (pymalloc has no symbol: calls inlined into callers are "
				    "not seen)" : "");
	for (size_t i = 0; i < mp.count; i++) {
		const struct us_alloc_site *s = &mp.sites[i];

		printf("  %-18s offset 0x%-8llx %-22s %s%s\n", s->function,
		       (unsigned long long)s->probe_offset, s->emulated ? "emulated" : "single-step",
		       s->object, s->is_free ? "  (entry only)" : "");
	}
	us_memory_plan_free(&mp);
	us_python_free(&py);
	return 0;
}

int us_cmd_probes(struct us_options *o)
{
	struct us_options plan_opts = *o;
	struct us_plan plan = { 0 };
	struct us_target t;
	size_t slow = 0;
	bool is_python = false;
	int rc = 0;

	if (!o->pid && !o->binary) {
		if (o->n_rest == 0) {
			us_error("probes needs -p PID or --binary PATH");
			return 2;
		}
		plan_opts.binary = o->rest[0];	/* uscope probes COMMAND [PATTERN...] */
		plan_opts.rest++;
		plan_opts.n_rest--;
	}
	if (objects_for(&plan_opts, &t)) {
		us_target_close(&t);
		return 1;
	}
	plan_opts.patterns = plan_opts.rest;
	plan_opts.n_patterns = (size_t)plan_opts.n_rest;
	print_objects(&t.objects);
	if (print_python(&t.objects, &is_python) ||
	    us_build_plan(&plan, &plan_opts, &t.objects, is_python, false)) {
		rc = 1;
	} else if (plan.count) {
		print_sites(&plan);
		for (size_t i = 0; i < plan.count; i++)
			slow += plan.sites[i].probeable && !plan.sites[i].emulated;
		printf("%zu functions, %zu single-stepped (~13 us a hit; emulated ~1 us)\n", plan.count,
		       slow);
	}
	if (!rc && o->memory.mode && print_memory(&t.objects, o->memory.mode))
		rc = 1;
	us_plan_free(&plan);
	us_target_close(&t);
	return rc;
}
