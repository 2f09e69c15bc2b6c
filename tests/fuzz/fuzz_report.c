// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: any bytes as a recording file, read through the model
 * into every report, as `uscope report` does. It must reject what is
 * malformed with an error, never crash, read out of bounds or leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "model_load.h"
#include "report_formats.h"

static char path[] = "/tmp/uscope-fuzz-XXXXXX";
static int fd = -1;

static void write_input(const uint8_t *data, size_t size)
{
	if (fd < 0)
		fd = mkstemp(path);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
}

static void render(enum us_format format, FILE *out)
{
	struct us_report_options ro = { .sort = US_SORT_TOTAL, .all = true, .width = 100 };
	struct us_report_stream *stream = us_report_stream_new(out, format, &ro);
	struct us_recording rec;
	struct us_model m;
	char err[512];

	if (us_model_load(path, NULL, us_report_stream_sink(stream), &rec, &m, err, sizeof(err))) {
		us_report_stream_discard(stream);
		return;
	}
	if (stream)
		us_report_stream_finish(stream, &rec, &m);
	else
		us_report_write(out, format, &rec, &m, &ro);
	us_model_free(&m);
	us_recording_free(&rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum us_format formats[] = {
		US_FORMAT_TREE, US_FORMAT_FLAT, US_FORMAT_JSON, US_FORMAT_TIMELINE,
		US_FORMAT_TIMELINE_JSON, US_FORMAT_CHROME, US_FORMAT_MEMORY,
	};
	FILE *out = fopen("/dev/null", "w");

	write_input(data, size);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		render(formats[i], out);
	fclose(out);
	return 0;
}
