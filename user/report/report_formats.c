// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "report_formats.h"
#include "report_stream.h"
#include "util.h"

/* Every report: its name, and how it is written. */
static const struct {
	const char *name;
	void (*write)(FILE *out, const struct us_recording *rec, const struct us_model *m,
		      const struct us_report_options *ro);
	const struct us_stream_ops *stream;	/* written while the model is built */
} formats[] = {
	[US_FORMAT_TREE] = { "tree", us_report_tree, NULL },
	[US_FORMAT_FLAT] = { "flat", us_report_flat, NULL },
	[US_FORMAT_JSON] = { "json", us_report_json, NULL },
	[US_FORMAT_TIMELINE] = { "timeline", NULL, &us_timeline_text_ops },
	[US_FORMAT_TIMELINE_JSON] = { "timeline-json", NULL, &us_timeline_json_ops },
	[US_FORMAT_CHROME] = { "chrome", NULL, &us_chrome_ops },
	[US_FORMAT_MEMORY] = { "memory", us_report_memory, NULL },
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
	return "tree, flat, json, timeline, timeline-json, chrome, memory";
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
