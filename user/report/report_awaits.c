// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Await points (model_awaits.h): `awaits` lists each suspension of a
 * coroutine, when it began, how long it lasted, the line it awaited at and
 * what it awaited, then each coroutine's number of awaits and time spent
 * awaiting; json has the same under "awaits" and "coroutines".
 * --await-threshold keeps the slower suspensions in the listing (the
 * totals count them all).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "model_program.h"
#include "report_formats.h"
#include "report_lines.h"
#include "util.h"

struct coroutine_total {
	uint64_t instance;
	uint32_t coroutine;
	uint32_t fn_id;
	uint64_t awaits, await_ns, first_ns;
};

static uint64_t await_ns(const struct us_await *a)
{
	return a->end_ns > a->start_ns ? a->end_ns - a->start_ns : 0;
}

static bool listed(const struct us_await *a, const struct us_report_options *ro)
{
	return a->resumed && await_ns(a) >= ro->await_threshold_ns;
}

/* Each coroutine's frame with its awaits, in order of its first. */
static struct coroutine_total *coroutine_totals(const struct us_model *m, size_t *n_out)
{
	struct coroutine_total *totals = us_calloc(m->n_awaits + 1, sizeof(*totals));
	struct us_map index = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < m->n_awaits; i++) {
		const struct us_await *a = &m->awaits[i];
		uint32_t at;

		if (!a->resumed)
			continue;
		at = us_map_get(&index, a->coroutine);
		if (at == US_MAP_NONE) {
			at = (uint32_t)n++;
			totals[at] = (struct coroutine_total){
				.instance = a->instance, .coroutine = a->coroutine, .fn_id = a->fn_id,
				.first_ns = a->start_ns,
			};
			us_map_put(&index, a->coroutine, at);
		}
		totals[at].awaits++;
		totals[at].await_ns += await_ns(a);
	}
	us_map_free(&index);
	*n_out = n;
	return totals;
}

/* "sleep -> Future": the coroutine or generator it awaited, and what the
 * run yielded up to the event loop. */
static void awaited_text(const struct us_model *m, const struct us_await *a, char *buf,
			 size_t len)
{
	if (a->awaited_fn)
		snprintf(buf, len, "%s -> %s", m->functions[a->awaited_fn - 1].name,
			 a->awaited_type);
	else
		snprintf(buf, len, "%s", a->awaited_type);
}

static double ms_since(const struct us_recording *rec, uint64_t ts)
{
	return us_ns_to_ms(ts > rec->start_ns ? ts - rec->start_ns : 0);
}

void us_report_awaits(FILE *out, const struct us_recording *rec, const struct us_model *m,
		      const struct us_report_options *ro)
{
	size_t n_totals, shown = 0, all = 0;
	struct coroutine_total *totals = coroutine_totals(m, &n_totals);
	struct us_source_file src = { 0 };
	const char *src_file = NULL;	/* the function file src holds */
	uint64_t awaiting = 0;
	int width = 17;
	char dur[32], what[96], where[PATH_MAX + 16], path[PATH_MAX];

	us_report_summary(out, rec, m, ro);
	for (size_t i = 0; i < m->n_awaits; i++) {
		all += m->awaits[i].resumed;
		shown += listed(&m->awaits[i], ro);
		awaiting += m->awaits[i].resumed ? await_ns(&m->awaits[i]) : 0;
	}
	us_format_duration(dur, sizeof(dur), awaiting);
	fprintf(out, "uscope: %zu await points of %zu coroutines, %s awaiting in all", all, n_totals,
		dur);
	if (ro->await_threshold_ns)
		fprintf(out, "; %zu of them %.3f ms or longer shown", shown,
			us_ns_to_ms(ro->await_threshold_ns));
	fputc('\n', out);
	if (!all) {
		fprintf(out, "uscope: no coroutine suspended while traced\n");
		free(totals);
		return;
	}
	for (size_t i = 0; i < m->n_awaits; i++) {
		const struct us_function *fn = &m->functions[m->awaits[i].fn_id];
		int w = snprintf(NULL, 0, "%s (%s:%d)", fn->name,
				 us_module_relative_path(fn->file, rec->cwd), m->awaits[i].line);

		if (listed(&m->awaits[i], ro) && w > width)
			width = w;
	}
	fprintf(out, "\n%12s %12s  %8s  %-*s  %s\n", "START(ms)", "SUSPENDED", "TID", width,
		"COROUTINE AT LINE", "AWAITS");
	for (size_t i = 0; i < m->n_awaits; i++) {
		const struct us_await *a = &m->awaits[i];
		const struct us_function *fn = &m->functions[a->fn_id];
		const char *text;

		if (!listed(a, ro))
			continue;
		if (!src_file || strcmp(src_file, fn->file) != 0) {
			us_source_file_free(&src);
			us_source_path(rec, fn->file, path, sizeof(path));
			us_source_file_read(&src, path);
			src_file = fn->file;
		}
		text = us_source_line(&src, a->line);
		us_format_duration(dur, sizeof(dur), await_ns(a));
		awaited_text(m, a, what, sizeof(what));
		snprintf(where, sizeof(where), "%s (%s:%d)", fn->name,
			 us_module_relative_path(fn->file, rec->cwd), a->line);
		fprintf(out, "%12.3f %12s  [%6u]  %-*s  %s", ms_since(rec, a->start_ns), dur, a->tid,
			width, where, what);
		if (text) {
			while (*text == ' ' || *text == '\t')
				text++;
			fprintf(out, "  | %s", text);
		}
		fputc('\n', out);
	}
	us_source_file_free(&src);
	fprintf(out, "\n%8s %12s  %s\n", "AWAITS", "AWAITING", "COROUTINE");
	for (size_t i = 0; i < n_totals; i++) {
		us_format_duration(dur, sizeof(dur), totals[i].await_ns);
		fprintf(out, "%8" PRIu64 " %12s  %s  [frame 0x%" PRIx64 "]\n", totals[i].awaits, dur,
			us_function_label(m, totals[i].fn_id), totals[i].instance);
	}
	free(totals);
}

void us_json_awaits(struct us_json *j, const struct us_recording *rec, const struct us_model *m,
		    const struct us_report_options *ro)
{
	size_t n_totals;
	struct coroutine_total *totals = coroutine_totals(m, &n_totals);
	char frame[32];

	us_json_key(j, "awaits");
	us_json_array_begin(j);
	for (size_t i = 0; i < m->n_awaits; i++) {
		const struct us_await *a = &m->awaits[i];
		const struct us_function *fn = &m->functions[a->fn_id];

		if (!listed(a, ro))
			continue;
		us_json_object_begin(j);
		us_json_kv_string(j, "coroutine", fn->name);
		us_json_kv_string(j, "file", fn->file);
		us_json_kv_int(j, "line", a->line);
		if (a->awaited_fn)
			us_json_kv_string(j, "awaited", m->functions[a->awaited_fn - 1].name);
		us_json_kv_string(j, "yielded", a->awaited_type);
		us_json_kv_double(j, "start_ms", ms_since(rec, a->start_ns));
		us_json_kv_double(j, "duration_ms", us_ns_to_ms(await_ns(a)));
		us_json_kv_uint(j, "tid", a->tid);
		snprintf(frame, sizeof(frame), "0x%" PRIx64, a->instance);
		us_json_kv_string(j, "frame", frame);
		us_json_kv_uint(j, "coroutine_id", a->coroutine);
		us_json_object_end(j);
	}
	us_json_array_end(j);
	us_json_key(j, "coroutines");
	us_json_array_begin(j);
	for (size_t i = 0; i < n_totals; i++) {
		const struct us_function *fn = &m->functions[totals[i].fn_id];

		us_json_object_begin(j);
		us_json_kv_string(j, "coroutine", fn->name);
		us_json_kv_string(j, "file", fn->file);
		us_json_kv_int(j, "first_line", fn->line);
		snprintf(frame, sizeof(frame), "0x%" PRIx64, totals[i].instance);
		us_json_kv_string(j, "frame", frame);
		us_json_kv_uint(j, "coroutine_id", totals[i].coroutine);
		us_json_kv_uint(j, "awaits", totals[i].awaits);
		us_json_kv_double(j, "await_ms", us_ns_to_ms(totals[i].await_ns));
		us_json_object_end(j);
	}
	us_json_array_end(j);
	free(totals);
}
