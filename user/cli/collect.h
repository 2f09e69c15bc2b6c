/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * collect: consume the ring buffer into the recording until the target exits,
 * --duration passes, or SIGINT/SIGTERM arrives; then detach, drain what is
 * left, and fill the recording's END fields (lost events, exit status, names).
 */
#ifndef USCOPE_COLLECT_H
#define USCOPE_COLLECT_H

#include <stdint.h>
#include "bpf_calls.h"
#include "record.h"
#include "target.h"

/* Ring-buffer drain period: events are submitted without waking us. */
#define US_DRAIN_PERIOD_MS 20

/* `on_event` (may be NULL) sees each event after it is recorded. */
int us_collect(struct us_target *t, struct us_bpf_calls *b, struct us_record_writer *w,
	       struct us_recording *rec, uint64_t duration_ns, us_event_fn on_event, void *ctx);

uint64_t us_monotonic_ns(void);
uint64_t us_realtime_ns(void);

#endif
