// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The model: the core plus its parts, and the table that routes each event
 * type to the part that handles it. */
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "model_awaits.h"
#include "model_lines.h"
#include "model_patterns.h"
#include "model_tests.h"
#include "util.h"

typedef void (*us_event_handler)(struct us_model *m, const struct us_event_header *ev);

/* Py_FinalizeEx: the program is over, the interpreter's teardown begins. */
static void on_finalize(struct us_model *m, const struct us_event_header *ev)
{
	struct us_thread *t = us_model_thread(m, ev->tid, ev->ts_ns);

	if (t->phase == US_PHASE_PROGRAM && t->tid == m->program.main_tid)
		us_model_enter_phase(m, t, US_PHASE_SHUTDOWN, ev->ts_ns);
	if (!m->shutdown_seen)
		m->gc_at_shutdown = m->gc;
	m->shutdown_seen = true;
	us_model_memory_at_finalize(m, ev->ts_ns);
}

/* Every record type (bpf/events.h's US_EVENT_TYPES) and who handles it;
 * NULL: nothing to model (the stop at the first Python call is userspace's). */
static const us_event_handler handlers[US_EV_TYPE_LIMIT] = {
	[US_EV_CALL_ENTRY] = us_model_on_call,
	[US_EV_CALL_EXIT] = us_model_on_return,
	[US_EV_THREAD_EXIT] = us_model_on_thread_exit,
	[US_EV_LOST] = us_model_on_lost,
	[US_EV_PY_CODE] = us_model_on_py_code,
	[US_EV_PY_ENTRY] = us_model_on_py_entry,
	[US_EV_PY_EXIT] = us_model_on_py_exit,
	[US_EV_PY_ARGS] = us_model_on_py_args,
	[US_EV_PY_EXCEPTION] = us_model_on_py_exception,
	[US_EV_PY_STOPPED] = NULL,
	[US_EV_PY_GC] = us_model_on_py_gc,
	[US_EV_PY_IMPORT] = us_model_on_py_import,
	[US_EV_PY_FINALIZE] = on_finalize,
	[US_EV_MEM_ALLOC] = us_model_on_mem_alloc,
	[US_EV_MEM_FREE] = us_model_on_mem_free,
	[US_EV_MEM_BREAK] = us_model_on_mem_break,
	[US_EV_MEM_RSS] = us_model_on_mem_rss,
	[US_EV_MEM_TOTALS] = us_model_on_mem_totals,
	[US_EV_SAMPLE_RAW] = NULL,	/* unwound into the profile records below */
	[US_EV_PROCESS_EXEC] = us_model_on_exec,
	[US_EV_PROFILE_FRAME] = us_model_on_profile_frame,
	[US_EV_PROFILE_STACK] = us_model_on_profile_stack,
	[US_EV_PROFILE_SAMPLE] = us_model_on_profile_sample,
	[US_EV_PROFILE_TOTALS] = us_model_on_profile_totals,
	[US_EV_SAMPLE_CODE] = NULL,	/* named into the profile's frames */
	[US_EV_UNWIND_STOP] = NULL,	/* uscope let the target's unwinder pass */
	[US_EV_PY_RECURSION_STOP] = NULL,	/* uscope widened a C recursion budget */
	[US_EV_FUNC_STATS] = us_model_on_func_stats,
	[US_EV_TASK_NEW] = us_model_on_task_new,
	[US_EV_PROCESS_INFO] = us_model_on_process_info,
	[US_EV_PY_LINE] = us_model_on_py_line,
	[US_EV_PY_LINE_HOOK] = NULL,	/* uscope put the line hook into a thread */
	[US_EV_PY_VARNAMES] = us_model_on_py_varnames,
	[US_EV_PY_LOCALS] = us_model_on_py_locals,
	[US_EV_PY_GLOBALS] = us_model_on_py_globals,
	[US_EV_PY_TEST_REPORT] = us_model_on_test_report,
};

/* A frame leaves the stack: its line ends (--lines), and in a test's call
 * phase it counts in the test's own tree (pytest). */
static void frame_ending(struct us_model *m, struct us_thread *t, struct us_frame *f,
			 uint64_t end_ns)
{
	us_model_end_line(m, t, f, end_ns);
	us_model_test_frame_ending(m, t, f, end_ns);
}

/* What the core asks of the parts. */
static const struct us_model_parts parts = {
	.describe_function = us_model_describe_function,
	.end_propagation = us_model_close_chain,
	.frame_ending = frame_ending,
};

void us_model_init(struct us_model *m, const struct us_plan *plan,
		   const struct us_filters *filters, const struct us_model_sink *sink)
{
	us_model_core_init(m, plan, filters, sink, &parts);
}

void us_model_set_program(struct us_model *m, const struct us_program_info *info)
{
	us_program_info_free(&m->program);
	m->program = *info;
	m->program.cwd = info->cwd ? us_strdup(info->cwd) : NULL;
	m->program.main_path = info->main_path ? us_strdup(info->main_path) : NULL;
	m->program.main_module = info->main_module ? us_strdup(info->main_module) : NULL;
	for (size_t i = 0; i < m->n_functions; i++)
		us_model_label_function(m, &m->functions[i]);
}

void us_model_add_event(struct us_model *m, const struct us_event_header *ev)
{
	if (!m->first_ns || ev->ts_ns < m->first_ns)
		m->first_ns = ev->ts_ns;
	if (ev->ts_ns > m->last_ns)
		m->last_ns = ev->ts_ns;
	if (ev->type < US_EV_TYPE_LIMIT && handlers[ev->type])
		handlers[ev->type](m, ev);	/* other types: a newer uscope's, skipped */
}

void us_model_finish(struct us_model *m, uint64_t end_ns)
{
	us_model_core_finish(m, end_ns);
	us_model_shorten_labels(m);
	us_model_finish_memory(m, end_ns);
}

void us_model_free(struct us_model *m)
{
	us_model_free_python(m);
	us_model_free_lines(m);
	us_model_free_awaits(m);
	us_model_free_tests(m);
	us_model_free_memory(m);
	us_model_free_profile(m);
	us_patterns_free(m);
	us_model_core_free(m);
}
