// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `steps` (--lines): every line in the order it ran, written while the
 * model is built: the time since the start, the time since the thread's
 * previous line (the step tracer's "Runtime"), the thread, the depth of
 * its stack, file:line and function, and the line's text, as `python -m
 * trace --trace --timing` prints it. The program's own lines, unless --all.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "model_program.h"
#include "model_python.h"
#include "report_lines.h"
#include "report_stream.h"
#include "util.h"

struct steps {
	FILE *out;
	const struct us_report_options *ro;
	const struct us_recording *rec;
	struct us_source_file *files;	/* read so far */
	size_t n_files, files_cap;
	uint64_t written;
	bool globals_cut;	/* a module had more globals than were read */
	/* the call or return row just written, with only its variables after it */
	bool row_open;
	uint32_t row_tid, row_fn;
	enum us_locals_moment row_moment;
};

static const struct us_source_file *source_of(struct steps *st, const char *file)
{
	char path[PATH_MAX];

	us_source_path(st->rec, file, path, sizeof(path));
	for (size_t i = 0; i < st->n_files; i++)
		if (strcmp(st->files[i].path, path) == 0)
			return &st->files[i];
	us_grow(&st->files, &st->files_cap, st->n_files + 1, sizeof(*st->files));
	us_source_file_read(&st->files[st->n_files], path);
	return &st->files[st->n_files++];
}

static void begin(void *ctx, const struct us_recording *rec)
{
	struct steps *st = ctx;

	st->rec = rec;
	fprintf(st->out, "%12s %10s  %8s %5s  %s\n", "TIME(ms)", "STEP", "TID", "DEPTH",
		"FILE:LINE (FUNCTION)  SOURCE");
}

static void line_started(void *ctx, const struct us_model *m, size_t thread, uint32_t fn_id,
			 int32_t line, uint64_t ts_ns, uint64_t since_ns, size_t depth)
{
	struct steps *st = ctx;
	const struct us_thread *t = &m->threads[thread];
	const struct us_function *fn = &m->functions[fn_id];
	const char *text;
	char step[32] = "";

	if (!st->ro->all && t->phase != US_PHASE_PROGRAM)
		return;
	if (since_ns)
		us_format_duration(step, sizeof(step), since_ns);
	st->row_open = false;
	text = us_source_line(source_of(st, fn->file), line);
	fprintf(st->out, "%12.3f %10s  [%6u] %5zu  %s:%d (%s)  %s\n",
		us_ns_to_ms(ts_ns > st->rec->start_ns ? ts_ns - st->rec->start_ns : 0), step,
		t->tid, depth, us_module_relative_path(fn->file, st->rec->cwd), line, fn->name,
		text ? text : "");
	st->written++;
}

/* --locals without --lines: a call's or a return's row, the variables
 * under it. */
static void moment_row(struct steps *st, const struct us_model *m, size_t thread,
		       uint32_t fn_id, enum us_locals_moment moment, uint64_t ts_ns)
{
	const struct us_thread *t = &m->threads[thread];
	const struct us_function *fn = &m->functions[fn_id];

	fprintf(st->out, "%12.3f %10s  [%6u] %5zu  %-6s %s:%d (%s)\n",
		us_ns_to_ms(ts_ns > st->rec->start_ns ? ts_ns - st->rec->start_ns : 0), "",
		t->tid, t->depth, moment == US_LOCALS_AT_CALL ? "call" : "return",
		us_module_relative_path(fn->file, st->rec->cwd), (int)fn->line, fn->name);
	st->written++;
	st->row_open = true;
	st->row_tid = t->tid;
	st->row_fn = fn_id;
	st->row_moment = moment;
}

/* One variable under the step, as the step tracer writes them: all of
 * them ("x: int :: 5"), or what is new or changed since `was` (NULL: it
 * was not bound): "[NEW] x: int :: 5", "[CHANGED] y: int :: 5 -> 10", or
 * when its type changed too "[CHANGED] self: Handle :: <Handle> -> NoneType
 * :: None". `kind`: "" for a local, "global " for a global. */
static void write_variable(struct steps *st, const char *kind, const char *name, int name_len,
			   const struct us_py_value *now, const struct us_py_value *was)
{
	char type[64], value[128], old_type[64], old[128];

	us_py_local_format(now, type, sizeof(type), value, sizeof(value));
	if (st->ro->locals == US_LOCALS_ALL) {
		fprintf(st->out, "%50s%s%.*s: %s :: %s\n", "", kind, name_len, name, type, value);
	} else if (!was) {
		fprintf(st->out, "%50s[NEW] %s%.*s: %s :: %s\n", "", kind, name_len, name, type,
			value);
	} else if (memcmp(was, now, sizeof(*was)) != 0) {
		us_py_local_format(was, old_type, sizeof(old_type), old, sizeof(old));
		if (strcmp(old_type, type) == 0)
			fprintf(st->out, "%50s[CHANGED] %s%.*s: %s :: %s -> %s\n", "", kind, name_len,
				name, type, old, value);
		else
			fprintf(st->out, "%50s[CHANGED] %s%.*s: %s :: %s -> %s :: %s\n", "", kind,
				name_len, name, old_type, old, type, value);
	}
}

/* --locals: under the step, the frame's variables (write_variable), new or
 * changed since the frame was last seen. */
static void locals_seen(void *ctx, const struct us_model *m, size_t thread, uint32_t fn_id,
			enum us_locals_moment moment, uint64_t ts_ns,
			const struct us_py_value *values, const struct us_py_value *previous,
			uint32_t count)
{
	struct steps *st = ctx;
	const struct us_function *fn = &m->functions[fn_id];

	if (!st->ro->locals || (!st->ro->all && m->threads[thread].phase != US_PHASE_PROGRAM))
		return;
	if (moment != US_LOCALS_AT_LINE)
		moment_row(st, m, thread, fn_id, moment, ts_ns);
	/* bounded, and said so: in full at each step, else the first time */
	if (fn->n_slots > count && (st->ro->locals == US_LOCALS_ALL || !previous))
		fprintf(st->out, "%50s(%u more variables not read: uscope reads a frame's first %d)\n",
			"", fn->n_slots - count, US_PY_LOCALS_MAX);
	for (uint32_t i = 0; i < count && i < fn->n_varnames; i++) {
		const struct us_py_value *was = previous ? &previous[i] : NULL;
		bool bound = values[i].kind != US_PY_VALUE_UNKNOWN;
		bool was_bound = was && was->kind != US_PY_VALUE_UNKNOWN;

		if (bound)
			write_variable(st, "", fn->varnames[i], (int)strlen(fn->varnames[i]),
				       &values[i], was_bound ? was : NULL);
	}
}

static const struct us_py_global *global_named(const struct us_globals_snapshot *snap,
					       const char *name)
{
	for (uint32_t i = 0; snap && i < snap->total && i < US_PY_GLOBALS_MAX; i++)
		if (strncmp(snap->vars[i].name, name, sizeof(snap->vars[i].name)) == 0)
			return &snap->vars[i];
	return NULL;
}

/* --globals: after the locals, the module's globals (write_variable):
 * "global x: int :: 5", "[CHANGED] global y: int :: 5 -> 10". */
static void globals_seen(void *ctx, const struct us_model *m, size_t thread,
			 const struct us_globals_snapshot *now,
			 const struct us_globals_snapshot *before)
{
	struct steps *st = ctx;

	if (!st->ro->locals || !st->ro->globals ||
	    (!st->ro->all && m->threads[thread].phase != US_PHASE_PROGRAM))
		return;
	if (now->scanned < now->entries || now->total >= US_PY_GLOBALS_MAX)
		st->globals_cut = true;
	/* a frame with no locals (a module's body) had no row written */
	if (now->moment != US_LOCALS_AT_LINE &&
	    !(st->row_open && st->row_tid == m->threads[thread].tid && st->row_fn == now->fn_id &&
	      st->row_moment == (enum us_locals_moment)now->moment))
		moment_row(st, m, thread, now->fn_id, (enum us_locals_moment)now->moment,
			   now->ts_ns);
	st->row_open = false;
	for (uint32_t i = 0; i < now->total && i < US_PY_GLOBALS_MAX; i++) {
		const struct us_py_global *g = &now->vars[i];
		const struct us_py_global *was = global_named(before, g->name);

		write_variable(st, "global ", g->name, (int)strnlen(g->name, sizeof(g->name)),
			       &g->value, was ? &was->value : NULL);
	}
}

static void *create(FILE *out, const struct us_report_options *ro)
{
	struct steps *st = us_calloc(1, sizeof(*st));

	st->out = out;
	st->ro = ro;
	return st;
}

static void discard(void *state)
{
	struct steps *st = state;

	for (size_t i = 0; i < st->n_files; i++)
		us_source_file_free(&st->files[i]);
	free(st->files);
	free(st);
}

static void finish(void *state, const struct us_recording *rec, const struct us_model *m)
{
	struct steps *st = state;

	us_report_summary(st->out, rec, m, st->ro);
	if (st->globals_cut)
		fprintf(st->out, "uscope: --globals shows a module's first %d variables among the "
			"first %d names of its dict: some module had more\n", US_PY_GLOBALS_MAX,
			US_PY_GLOBALS_SCANNED);
	if (!st->written)
		fprintf(st->out, "uscope: no %s of the program's own code ran%s\n",
			m->line_events || !st->ro->locals ? "line" : "call",
			m->line_events ? " (--all shows start-up and shutdown)"
			: st->ro->locals ? "" : ": trace with --lines (or --locals)");
	discard(st);
}

const struct us_stream_ops us_steps_ops = {
	.create = create,
	.sink = { .begin = begin, .line_started = line_started, .locals_seen = locals_seen,
		  .globals_seen = globals_seen },
	.finish = finish,
	.discard = discard,
};
