// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The report at the end of run and attach, and of `uscope report`: the
 * recording read back through the model, shown as the options say. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "log.h"
#include "model_load.h"
#include "model_program.h"
#include "print_report.h"
#include "report_profile.h"
#include "util.h"

/* Terminal columns of `out`, 0 when it is not a terminal (nothing is cut). */
static int terminal_width(FILE *out)
{
	struct winsize ws;

	if (!isatty(fileno(out)))
		return 0;
	if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static bool wants_color(const struct us_options *o, FILE *out)
{
	const char *term = getenv("TERM");

	if (o->color != US_COLOR_AUTO)
		return o->color == US_COLOR_ALWAYS;
	return isatty(fileno(out)) && !getenv("NO_COLOR") && term && strcmp(term, "dumb") != 0;
}

void us_report_options_for(const struct us_options *o, FILE *out, struct us_report_options *ro)
{
	*ro = (struct us_report_options){
		.sort = o->sort, .all = o->all, .color = wants_color(o, out),
		.width = o->width ? o->width : terminal_width(out), .verbosity = us_log_verbosity(),
		.coverdir = o->coverdir, .await_threshold_ns = o->await_threshold_ns,
		.locals = o->locals, .globals = o->globals,
	};
}

/* A filter that names no function that ran: said with the closest names.
 * Returns how many there were. */
static int check_filters(const struct us_model *m, bool fatal)
{
	const struct us_filters *f = &m->filters;
	int unmatched = 0;
	char near[1024];

	for (size_t i = 0; i <= f->n_includes; i++) {
		const char *glob = i < f->n_includes ? f->includes[i] : f->focus;
		const char *option = i < f->n_includes ? "--include" : "--focus";

		if (!glob || us_model_glob_matched(m, glob))
			continue;
		us_model_closest_functions(m, glob, near, sizeof(near));
		if (fatal)
			us_error("%s '%s' names no function that ran%s%s", option, glob,
				 *near ? "; closest: " : "", near);
		else
			us_warn("%s '%s' names no function that ran%s%s", option, glob,
				*near ? "; closest: " : "", near);
		unmatched++;
	}
	return unmatched;
}

static void say_losses(const struct us_model *m)
{
	char *losses = us_profile_losses_line(m);

	if (strcmp(losses, "losses: none") != 0)
		us_warn("%s", losses);
	free(losses);
}

static int write_profile_report(FILE *out, const char *recording, const struct us_options *o,
				const struct us_report_options *ro)
{
	struct us_recording rec;
	struct us_model m;
	char err[512];

	if (!us_format_for_profiles(o->format)) {
		us_error("--format %s is a report of a trace; a profile has tree, flat, folded, "
			 "json, speedscope, pprof, flamegraph, bottlenecks and html", us_format_name(o->format));
		return -1;
	}
	if (us_model_load(recording, &o->filters, NULL, &rec, &m, err, sizeof(err))) {
		us_error("%s", err);
		return -1;
	}
	if (rec.truncated)
		us_warn("the recording %s was cut short (uscope was killed?): read up to its last "
			"whole chunk", recording);
	us_report_write_profile(out, o->format, &rec, &m, ro);
	if (o->format == US_FORMAT_FOLDED || o->format == US_FORMAT_SPEEDSCOPE)
		say_losses(&m);	/* these formats have no place for them */
	us_model_free(&m);
	us_recording_free(&rec);
	return 0;
}

static int write_report(FILE *out, const char *recording, const struct us_options *o)
{
	struct us_report_options ro;
	struct us_report_stream *stream;
	struct us_recording rec;
	struct us_model m;
	char err[512];

	us_report_options_for(o, out, &ro);
	if (us_recording_holds_profile(recording))
		return write_profile_report(out, recording, o, &ro);
	if (!us_format_for_traces(o->format)) {
		us_error("--format %s is a report of a profile (uscope profile); %s is a trace",
			 us_format_name(o->format), recording);
		return -1;
	}
	stream = us_report_stream_new(out, o->format, &ro);
	if (us_model_load(recording, &o->filters, us_report_stream_sink(stream), &rec, &m, err,
			  sizeof(err))) {
		us_report_stream_discard(stream);
		us_error("%s", err);
		return -1;
	}
	/* json, chrome, timeline-json and html carry it as a key: say it too */
	if (rec.truncated && (o->format == US_FORMAT_JSON || o->format == US_FORMAT_CHROME ||
			      o->format == US_FORMAT_TIMELINE_JSON || o->format == US_FORMAT_HTML))
		us_warn("the recording %s was cut short (uscope was killed?): read up to its last "
			"whole chunk", recording);
	if (check_filters(&m, o->filters_are_fatal) && o->filters_are_fatal) {
		us_report_stream_discard(stream);
		us_model_free(&m);
		us_recording_free(&rec);
		return -1;
	}
	if (stream)
		us_report_stream_finish(stream, &rec, &m);
	else
		us_report_write(out, o->format, &rec, &m, &ro);
	us_model_free(&m);
	us_recording_free(&rec);
	return 0;
}

int us_print_report(const char *recording, const struct us_options *o, FILE *default_out)
{
	FILE *out = default_out;
	int err;

	if (o->report_path) {
		out = fopen(o->report_path, "we");
		if (!out) {
			us_error("cannot write the report to %s: %s", o->report_path, strerror(errno));
			return -1;
		}
	}
	err = write_report(out, recording, o);
	if (fflush(out) != 0 || ferror(out)) {
		us_error("writing the report to %s failed: %s",
			 o->report_path ? o->report_path : "the output", strerror(errno));
		err = -1;
	}
	if (out != default_out && fclose(out) != 0 && !err) {
		us_error("writing the report to %s failed: %s", o->report_path, strerror(errno));
		err = -1;
	}
	return err;
}
