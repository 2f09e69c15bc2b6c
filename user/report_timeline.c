// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Every call in order, as call/return events with times (seed 000's timeline). */
#include <stdlib.h>
#include "json_writer.h"
#include "report.h"
#include "util.h"

struct timeline_event {
	uint64_t ts_ns;
	uint32_t call;		/* index into model calls */
	bool is_return;
};

static int by_time(const void *a, const void *b)
{
	const struct timeline_event *x = a, *y = b;

	if (x->ts_ns != y->ts_ns)
		return (x->ts_ns > y->ts_ns) - (x->ts_ns < y->ts_ns);
	if (x->is_return != y->is_return)
		return x->is_return ? -1 : 1;	/* returns before calls at the same instant */
	/* calls in call order, returns in reverse */
	return x->is_return ? (x->call < y->call) - (x->call > y->call)
			    : (x->call > y->call) - (x->call < y->call);
}

void us_report_timeline(FILE *out, const struct us_recording *rec, const struct us_model *m)
{
	struct timeline_event *events = us_calloc(m->n_calls * 2, sizeof(*events));
	struct us_json j;

	for (size_t i = 0; i < m->n_calls; i++) {
		events[2 * i] = (struct timeline_event){ m->calls[i].start_ns, (uint32_t)i, false };
		events[2 * i + 1] = (struct timeline_event){ m->calls[i].end_ns, (uint32_t)i, true };
	}
	qsort(events, m->n_calls * 2, sizeof(*events), by_time);

	us_json_init(&j, out, 2);
	us_json_object_begin(&j);
	us_json_key(&j, "pid");
	us_json_int(&j, rec->pid);
	us_json_key(&j, "lost_events");
	us_json_uint(&j, rec->lost_events);
	us_json_key(&j, "timeline");
	us_json_array_begin(&j);
	for (size_t i = 0; i < m->n_calls * 2; i++) {
		const struct us_call *c = &m->calls[events[i].call];

		us_json_object_begin(&j);
		us_json_key(&j, "time_ms");
		us_json_double(&j, us_ns_to_ms(events[i].ts_ns - rec->start_ns));
		us_json_key(&j, "event");
		us_json_string(&j, events[i].is_return ? (c->raised ? "raise" : "return")
						       : (c->resume ? "resume" : "call"));
		us_json_key(&j, "function");
		us_json_string(&j, us_function_name(m, c->fn_id));
		us_json_key(&j, "tid");
		us_json_uint(&j, c->tid);
		us_json_key(&j, "depth");
		us_json_uint(&j, c->depth);
		if (events[i].is_return && c->inferred) {
			us_json_key(&j, "inferred");
			us_json_bool(&j, true);
		}
		us_json_object_end(&j);
	}
	us_json_array_end(&j);
	us_json_object_end(&j);
	us_json_finish(&j);
	free(events);
}
