/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * collect: consume the ring buffer into the recording until the target exits,
 * --duration passes, SIGINT/SIGTERM arrives or a write fails; then detach
 * (saying so when it is slow), drain what is left, and fill the recording's
 * END fields (lost events, exit status, names). What the trace session
 * restores or adds on the way comes through us_collect_hooks.
 */
#ifndef USCOPE_COLLECT_H
#define USCOPE_COLLECT_H

#include <stdint.h>
#include "probe_session.h"
#include "record.h"
#include "target.h"

/* Ring-buffer drain period: events are submitted without waking us. */
#define US_DRAIN_PERIOD_MS 20

/* What the trace session does at the collector's steps; each may be NULL. */
struct us_collect_hooks {
	/* each event first: true when the hook took it (and recorded what it
	 * makes of it), so it is not recorded as it came */
	bool (*consume)(void *ctx, const struct us_event_header *ev);
	us_event_fn on_event;		/* each event, after it is recorded */
	void (*on_tick)(void *ctx);	/* after each drain of the ring (every ~20 ms) */
	void (*on_stopped)(void *ctx);	/* tracing stopped, probes still in */
	void (*on_drained)(void *ctx);	/* detached and drained: the last records */
	void *ctx;
};

/* `t` with pid 0: no one target (every process): only a signal or the
 * duration stops the collection. */
int us_collect(struct us_target *t, struct us_probe_session *b, struct us_record_writer *w,
	       struct us_recording *rec, uint64_t duration_ns, const struct us_collect_hooks *hooks);

uint64_t us_monotonic_ns(void);
uint64_t us_realtime_ns(void);

#endif
