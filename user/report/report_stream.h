/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* report: the reports written while the model is built (report.h has the
 * public side: us_report_stream_*). */
#ifndef USCOPE_REPORT_STREAM_H
#define USCOPE_REPORT_STREAM_H

#include <stdio.h>
#include "model.h"
#include "record.h"
#include "report.h"

struct us_stream_ops {
	void *(*create)(FILE *out, const struct us_report_options *ro);
	struct us_model_sink sink;	/* ctx: what create returned */
	void (*finish)(void *state, const struct us_recording *rec, const struct us_model *m);
	void (*discard)(void *state);	/* the recording failed: free, write nothing more */
};

extern const struct us_stream_ops us_timeline_text_ops;
extern const struct us_stream_ops us_timeline_json_ops;
extern const struct us_stream_ops us_chrome_ops;
extern const struct us_stream_ops us_html_ops;
extern const struct us_stream_ops us_steps_ops;

#endif
