// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "report_formats.h"
#include "report_profile.h"
#include "report_stream.h"
#include "util.h"

/* Every report: its name, and how it is written of a trace and of a
 * profile (NULL: not a report of that kind of recording). */
static const struct {
	const char *name;
	void (*write)(FILE *out, const struct us_recording *rec, const struct us_model *m,
		      const struct us_report_options *ro);
	const struct us_stream_ops *stream;	/* written while the model is built */
	us_profile_report_fn profile;
} formats[] = {
	[US_FORMAT_TREE] = { "tree", us_report_tree, NULL, us_report_profile_tree },
	[US_FORMAT_FLAT] = { "flat", us_report_flat, NULL, us_report_profile_flat },
	[US_FORMAT_JSON] = { "json", us_report_json, NULL, us_report_profile_json },
	[US_FORMAT_TIMELINE] = { "timeline", NULL, &us_timeline_text_ops, NULL },
	[US_FORMAT_TIMELINE_JSON] = { "timeline-json", NULL, &us_timeline_json_ops, NULL },
	[US_FORMAT_CHROME] = { "chrome", NULL, &us_chrome_ops, NULL },
	[US_FORMAT_MEMORY] = { "memory", us_report_memory, NULL, NULL },
	[US_FORMAT_FOLDED] = { "folded", NULL, NULL, us_report_profile_folded },
	[US_FORMAT_SPEEDSCOPE] = { "speedscope", NULL, NULL, us_report_profile_speedscope },
	[US_FORMAT_PPROF] = { "pprof", NULL, NULL, us_report_profile_pprof },
	[US_FORMAT_FLAMEGRAPH] = { "flamegraph", NULL, NULL, us_report_profile_flamegraph },
	[US_FORMAT_PATTERNS] = { "patterns", us_report_patterns, NULL, NULL },
	[US_FORMAT_BOTTLENECKS] = { "bottlenecks", us_report_bottlenecks, NULL,
				    us_report_profile_bottlenecks },
	[US_FORMAT_HTML] = { "html", NULL, &us_html_ops, us_report_profile_html },
	[US_FORMAT_LINES] = { "lines", us_report_lines, NULL, NULL },
	[US_FORMAT_COVERAGE] = { "coverage", us_report_coverage, NULL, NULL },
	[US_FORMAT_STEPS] = { "steps", NULL, &us_steps_ops, NULL },
	[US_FORMAT_AWAITS] = { "awaits", us_report_awaits, NULL, NULL },
	[US_FORMAT_TESTS] = { "tests", us_report_tests, NULL, NULL },
};

bool us_format_parse(const char *name, enum us_format *out)
{
	for (size_t i = 0; i < US_ARRAY_SIZE(formats); i++) {
		if (strcmp(name, formats[i].name) == 0) {
			*out = (enum us_format)i;
			return true;
		}
	}
	return false;
}

const char *us_format_names(void)
{
	return "tree, flat, json, timeline, timeline-json, chrome, memory, patterns, bottlenecks, "
	       "html, lines, coverage, steps, awaits, tests, folded, speedscope, pprof, flamegraph";
}

const char *us_format_name(enum us_format f)
{
	return formats[f].name;
}

bool us_format_for_profiles(enum us_format f)
{
	return formats[f].profile != NULL;
}

bool us_format_for_traces(enum us_format f)
{
	return formats[f].write || formats[f].stream;
}

void us_report_write_profile(FILE *out, enum us_format f, const struct us_recording *rec,
			     const struct us_model *m, const struct us_report_options *ro)
{
	if (formats[f].profile)
		formats[f].profile(out, rec, m, ro);
	fflush(out);
}

bool us_format_needs_lines(enum us_format f)
{
	return f == US_FORMAT_LINES || f == US_FORMAT_COVERAGE || f == US_FORMAT_STEPS;
}

bool us_format_streams(enum us_format f)
{
	return formats[f].stream != NULL;
}

void us_report_write(FILE *out, enum us_format f, const struct us_recording *rec,
		     const struct us_model *m, const struct us_report_options *ro)
{
	if (formats[f].write)
		formats[f].write(out, rec, m, ro);
	fflush(out);
}

struct us_report_stream {
	const struct us_stream_ops *ops;
	void *state;
	struct us_model_sink sink;
};

struct us_report_stream *us_report_stream_new(FILE *out, enum us_format f,
					      const struct us_report_options *ro)
{
	struct us_report_stream *s;

	if (!formats[f].stream)
		return NULL;
	s = us_calloc(1, sizeof(*s));
	s->ops = formats[f].stream;
	s->state = s->ops->create(out, ro);
	s->sink = s->ops->sink;
	s->sink.ctx = s->state;
	return s;
}

const struct us_model_sink *us_report_stream_sink(const struct us_report_stream *s)
{
	return s ? &s->sink : NULL;
}

void us_report_stream_discard(struct us_report_stream *s)
{
	if (!s)
		return;
	s->ops->discard(s->state);
	free(s);
}

void us_report_stream_finish(struct us_report_stream *s, const struct us_recording *rec,
			     const struct us_model *m)
{
	if (!s)
		return;
	s->ops->finish(s->state, rec, m);
	free(s);
}
