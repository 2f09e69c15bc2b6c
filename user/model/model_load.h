/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* record -> model: stream a recording file through the model. Live reports
 * and `uscope report` both come through here, so they agree. */
#ifndef USCOPE_MODEL_LOAD_H
#define USCOPE_MODEL_LOAD_H

#include "model.h"
#include "record.h"

/* `extra` filters apply on top of those stored in the recording; `sink`
 * (may be NULL) sees the calls as they are rebuilt. Returns 0, or -1 with
 * `err` saying what is wrong with the file. */
int us_model_load(const char *path, const struct us_filters *extra,
		  const struct us_model_sink *sink, struct us_recording *rec, struct us_model *m,
		  char *err, size_t errlen);

#endif
