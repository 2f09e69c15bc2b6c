// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "util.h"
#include "report.h"

double us_ns_to_ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

void us_format_duration(char *buf, size_t len, uint64_t ns)
{
	if (ns >= 10000000000ULL)
		snprintf(buf, len, "%.3f s", (double)ns / 1e9);
	else if (ns >= 1000000)
		snprintf(buf, len, "%.3f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3f us", (double)ns / 1e3);
}

static void print_command(FILE *out, const struct us_recording *rec)
{
	if (rec->argc == 0) {
		fprintf(out, "pid %d", rec->pid);
		return;
	}
	for (size_t i = 0; i < rec->argc && i < 8; i++)
		fprintf(out, "%s%s", i ? " " : "", rec->argv[i]);
	if (rec->argc > 8)
		fputs(" ...", out);
	fprintf(out, " (pid %d)", rec->pid);
}

uint64_t us_program_span_ns(const struct us_recording *rec, const struct us_model *m)
{
	uint64_t start = rec->program_start_ns ? rec->program_start_ns : rec->start_ns;
	uint64_t end = rec->program_end_ns ? rec->program_end_ns : rec->end_ns;

	if (rec->truncated || !end)
		end = m->last_ns;
	return end > start ? end - start : 0;
}

static void print_overheads(FILE *out, const struct us_recording *rec)
{
	char setup[32], detach[32];

	if (!rec->setup_start_ns || !rec->program_start_ns)
		return;
	us_format_duration(setup, sizeof(setup), rec->program_start_ns - rec->setup_start_ns);
	us_format_duration(detach, sizeof(detach), rec->detach_end_ns > rec->detach_start_ns
			   ? rec->detach_end_ns - rec->detach_start_ns : 0);
	fprintf(out, "uscope: set-up %s (loading and attaching the probes), detach %s\n", setup,
		detach);
}

void us_report_summary(FILE *out, const struct us_recording *rec, const struct us_model *m,
		       const struct us_report_options *ro)
{
	char dur[32];

	us_format_duration(dur, sizeof(dur), us_program_span_ns(rec, m));
	fputs("uscope: ", out);
	print_command(out, rec);
	fprintf(out, ": %s traced, %llu calls, %llu lost events", dur,
		(unsigned long long)m->total_calls, (unsigned long long)rec->lost_events);
	if (rec->exited)
		fprintf(out, ", exit status %d", rec->exit_status);
	fputc('\n', out);
	if (m->inferred_exits || m->unfinished_calls || m->unmatched_exits)
		fprintf(out, "uscope: %llu returns inferred (not reported by the kernel), "
			"%llu calls still running at the end, %llu returns of calls entered before tracing\n",
			(unsigned long long)m->inferred_exits, (unsigned long long)m->unfinished_calls,
			(unsigned long long)m->unmatched_exits);
	if (m->condition)
		fprintf(out, "uscope: only the calls --condition \"%s\" matches, and their callers\n",
			m->filters.condition);
	if (ro && ro->verbosity > 0)
		print_overheads(out, rec);
	if (rec->truncated)
		fprintf(out, "uscope: warning: the recording was cut short (uscope was killed?): "
			"read up to its last whole chunk; lost events and thread names are unknown\n");
	if (rec->lost_events)
		fprintf(out, "uscope: warning: %llu events were lost (ring buffer full): counts are low; "
			"trace fewer functions or raise --buffer-size\n",
			(unsigned long long)rec->lost_events);
}

void us_json_command(struct us_json *j, const struct us_recording *rec)
{
	us_json_key(j, "command");
	us_json_array_begin(j);
	for (size_t i = 0; i < rec->argc; i++)
		us_json_string(j, rec->argv[i]);
	us_json_array_end(j);
	us_json_kv_int(j, "pid", rec->pid);
}

void us_json_function_location(struct us_json *j, const struct us_function *fn)
{
	us_json_kv_string(j, "function", fn->name);
	if (fn->kind == US_FN_PYTHON) {
		us_json_kv_string(j, "file", fn->file);
		us_json_kv_uint(j, "line", fn->line);
	} else {
		us_json_kv_string(j, "object", fn->object);
	}
}

const char *us_function_name(const struct us_model *m, uint32_t fn_id)
{
	return fn_id < m->n_functions ? m->functions[fn_id].name : "[root]";
}

const char *us_function_label(const struct us_model *m, uint32_t fn_id)
{
	return fn_id < m->n_functions ? m->functions[fn_id].label : "[root]";
}

const char *us_function_object(const struct us_model *m, uint32_t fn_id)
{
	return fn_id < m->n_functions ? m->functions[fn_id].object : "";
}

const char *us_thread_display_name(const struct us_recording *rec, const struct us_thread *t)
{
	return t->name ? t->name : us_recording_thread_name(rec, t->tid);
}

void us_write_script_safe(FILE *out, const char *json, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (json[i] == '<' && i + 1 < len && json[i + 1] == '/')
			fputs("<\\", out);
		else
			fputc(json[i], out);
	}
}
