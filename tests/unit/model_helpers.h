/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Synthetic event streams for the model, record and report tests. */
#ifndef USCOPE_MODEL_HELPERS_H
#define USCOPE_MODEL_HELPERS_H

#include <string.h>
#include "model.h"
#include "plan.h"
#include "report_formats.h"

/* A plan with sites 0..n-1 named by `names`. */
static inline void make_plan(struct us_plan *plan, const char *const *names, size_t n)
{
	memset(plan, 0, sizeof(*plan));
	for (size_t i = 0; i < n; i++) {
		struct us_site s = {
			.function = (char *)names[i], .object = "/bin/prog", .vaddr = 0x1000 + i * 16,
			.probe_offset = 0x1000 + i * 16, .probeable = true, .emulated = true, .insn = "push",
		};
		us_plan_add_site(plan, &s);
	}
}

static inline struct us_call_event call_event(uint16_t type, uint32_t tid, uint64_t ts,
					      uint32_t site, uint64_t sp)
{
	struct us_call_event e = {
		.hdr = { .type = type, .size = sizeof(e), .tid = tid, .ts_ns = ts },
		.site_id = site, .sp = sp,
	};
	return e;
}

/* entry of `site` at stack pointer sp; its exit comes with sp + 8 */
static inline void enter(struct us_model *m, uint32_t tid, uint64_t ts, uint32_t site, uint64_t sp)
{
	struct us_call_event e = call_event(US_EV_CALL_ENTRY, tid, ts, site, sp);

	us_model_add_event(m, &e.hdr);
}

static inline void leave(struct us_model *m, uint32_t tid, uint64_t ts, uint32_t site, uint64_t sp)
{
	struct us_call_event e = call_event(US_EV_CALL_EXIT, tid, ts, site, sp + US_RETURN_SP_DELTA);

	us_model_add_event(m, &e.hdr);
}

/* What us_model_load does once a recording's META is read. */
static inline void stream_begin(struct us_report_stream *stream, const struct us_recording *rec)
{
	const struct us_model_sink *sink = us_report_stream_sink(stream);

	if (sink && sink->begin)
		sink->begin(sink->ctx, rec);
}

/* The node reached from the thread's root by following site ids. */
static inline const struct us_node *node_at(const struct us_model *m, size_t thread,
					    const uint32_t *path, size_t len)
{
	uint32_t node = m->threads[thread].root;

	for (size_t i = 0; i < len; i++) {
		uint32_t next = US_NO_NODE;

		us_node_for_each_child(m, node, c)
			if (m->nodes[c].fn_id == path[i])
				next = c;
		if (next == US_NO_NODE)
			return NULL;
		node = next;
	}
	return &m->nodes[node];
}

#endif
