/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * model: --lines. Each US_EV_PY_LINE is one start of a line by a frame, as
 * sys.settrace's 'line' event: counted per (function, line), and timed
 * from that start to the frame's next line or its end (the calls made on
 * the line included, as line_profiler times them).
 */
#ifndef USCOPE_MODEL_LINES_H
#define USCOPE_MODEL_LINES_H

#include "model_core.h"

void us_model_on_py_line(struct us_model *m, const struct us_event_header *ev);
/* The frame f ends (returns, yields, or tracing stopped) at end_ns: its
 * current line does too, and its locals are let go. */
void us_model_end_line(struct us_model *m, struct us_thread *t, struct us_frame *f,
		       uint64_t end_ns);
void us_model_on_py_varnames(struct us_model *m, const struct us_event_header *ev);
void us_model_on_py_locals(struct us_model *m, const struct us_event_header *ev);
/* --globals: a module's globals, told with the locals of one of its frames. */
void us_model_on_py_globals(struct us_model *m, const struct us_event_header *ev);
void us_model_free_lines(struct us_model *m);

#endif
