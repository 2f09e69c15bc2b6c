/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* report: a profile pushed in pprof form to a Pyroscope-compatible ingest
 * endpoint (uscope profile --push URL). */
#ifndef USCOPE_REPORT_PUSH_H
#define USCOPE_REPORT_PUSH_H

#include <stddef.h>
#include <stdint.h>
#include "report.h"

struct us_push {
	const char *url;		/* http://host[:port][/path], default path /ingest */
	const char *app_name;		/* the series: "uscope.app{host=web1}" */
	unsigned frequency_hz;
};

/* Whether `url` is one --push can send to: 0, or -1 with `err`. */
int us_push_url_check(const char *url, char *err, size_t errlen);
/* Sends `p` (the samples from `from_s` to `until_s`, Unix seconds). Returns 0
 * once the server answered 2xx, or -1 with `err` saying what failed. */
int us_push_pprof(const struct us_push *push, uint64_t from_s, uint64_t until_s,
		  const struct us_recording *rec, const struct us_profile *p, char *err,
		  size_t errlen);

#endif
