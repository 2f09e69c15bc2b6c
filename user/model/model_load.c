// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "model_load.h"
#include "model_program.h"

struct load_ctx {
	struct us_model *model;
	const struct us_filters *extra;
	const struct us_model_sink *sink;
	bool started;
};

static void start_model(void *ctx, const struct us_recording *rec)
{
	struct load_ctx *l = ctx;
	struct us_filters filters = { 0 };
	struct us_program_info program;

	us_filters_merge(&filters, &rec->filters);
	if (l->extra)
		us_filters_merge(&filters, l->extra);
	us_model_init(l->model, &rec->plan, &filters, l->sink);
	us_filters_free(&filters);
	us_program_info_from_recording(rec, &program);
	us_model_set_program(l->model, &program);
	us_program_info_free(&program);
	if (l->sink && l->sink->begin)
		l->sink->begin(l->sink->ctx, rec);
	l->started = true;
}

static void add_event(void *ctx, const struct us_event_header *ev)
{
	struct load_ctx *l = ctx;

	us_model_add_event(l->model, ev);
}

int us_model_load(const char *path, const struct us_filters *extra,
		  const struct us_model_sink *sink, struct us_recording *rec, struct us_model *m,
		  char *err, size_t errlen)
{
	struct load_ctx l = { .model = m, .extra = extra, .sink = sink };

	memset(m, 0, sizeof(*m));
	if (us_record_read(path, rec, start_model, add_event, &l, err, errlen) != 0) {
		if (l.started)
			us_model_free(m);
		us_recording_free(rec);
		return -1;
	}
	us_model_finish(m, rec->end_ns);
	return 0;
}
