// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* record: the file format round trip, and damaged files. */
#include <stdlib.h>
#include <unistd.h>
#include "model_helpers.h"
#include "model_load.h"
#include "record.h"
#include "unit.h"
#include "util.h"

static const char *const names[] = { "main", "work" };

static char *temp_path(void)
{
	char *path = us_strdup("/tmp/uscope-unit-XXXXXX");
	int fd = mkstemp(path);

	close(fd);
	return path;
}

/* Writes a recording with `n_calls` calls of work() inside main(). */
static void write_sample(const char *path, int n_calls)
{
	struct us_recording rec = { 0 };
	struct us_record_writer w;
	struct us_call_event e;
	struct us_thread_event te = { .hdr = { US_EV_THREAD_EXIT, sizeof(te), 7, 0 } };
	uint64_t ts = 1000;
	char *argv[] = { "prog", "--flag" };

	make_plan(&rec.plan, names, 2);
	rec.uscope_version = "test";
	rec.mode = "run";
	rec.argv = argv;
	rec.argc = 2;
	rec.pid = 7;
	rec.start_ns = 1000;
	rec.kernel = "6.0";
	CHECK(us_record_writer_open(&w, path, &rec) == 0);
	e = call_event(US_EV_CALL_ENTRY, 7, ts++, 0, 0x9000);
	us_record_append(&w, &e.hdr);
	for (int i = 0; i < n_calls; i++) {
		e = call_event(US_EV_CALL_ENTRY, 7, ts++, 1, 0x8000);
		us_record_append(&w, &e.hdr);
		e = call_event(US_EV_CALL_EXIT, 7, ts++, 1, 0x8008);
		us_record_append(&w, &e.hdr);
	}
	e = call_event(US_EV_CALL_EXIT, 7, ts++, 0, 0x9008);
	us_record_append(&w, &e.hdr);
	te.hdr.ts_ns = ts;
	memcpy(te.comm, "prog", 5);
	us_record_append(&w, &te.hdr);
	rec.end_ns = ts + 1;
	rec.exited = true;
	rec.exit_status = 3;
	rec.lost_events = 5;
	us_recording_set_thread_name(&rec, 7, "prog");
	CHECK(us_record_writer_finish(&w, &rec) == 0);
	free(rec.threads[0].name);
	free(rec.threads);
	us_plan_free(&rec.plan);
}

TEST(record_round_trip)
{
	char *path = temp_path();
	struct us_recording rec;
	struct us_model m;
	char err[256];
	const int calls = 100000;	/* several compressed chunks */

	write_sample(path, calls);
	CHECK(us_model_load(path, NULL, false, &rec, &m, err, sizeof(err)) == 0);
	CHECK_STR(rec.mode, "run");
	CHECK_EQ(rec.argc, 2);
	CHECK_STR(rec.argv[1], "--flag");
	CHECK_EQ(rec.pid, 7);
	CHECK_EQ(rec.plan.count, 2);
	CHECK_STR(rec.plan.sites[1].function, "work");
	CHECK(rec.plan.sites[1].probeable && rec.plan.sites[1].emulated);
	CHECK(rec.exited && rec.exit_status == 3);
	CHECK_EQ(rec.lost_events, 5);
	CHECK_EQ(rec.event_count, 2 * calls + 3);
	CHECK_STR(us_recording_thread_name(&rec, 7), "prog");
	CHECK_EQ(m.funcs[1].count, calls);
	CHECK_EQ(m.funcs[0].count, 1);
	us_model_free(&m);
	us_recording_free(&rec);
	unlink(path);
	free(path);
}

static int read_fails_with(const char *path, const char *expected)
{
	struct us_recording rec;
	struct us_model m;
	char err[256] = "";
	int rc = us_model_load(path, NULL, false, &rec, &m, err, sizeof(err));

	if (rc == 0) {
		us_model_free(&m);
		us_recording_free(&rec);
		return 0;
	}
	if (!strstr(err, expected))
		fprintf(stderr, "    error was: %s\n", err);
	return strstr(err, expected) != NULL;
}

static long file_size(const char *path)
{
	FILE *f = fopen(path, "r");
	long size;

	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	return size;
}

/* A recording cut short (uscope killed) reads up to its last whole chunk. */
TEST(record_cut_short_reads_its_whole_chunks)
{
	char *path = temp_path();
	struct us_recording rec;
	struct us_model m;
	char err[256];
	const int calls = 200000;	/* several chunks */
	long size;

	write_sample(path, calls);
	size = file_size(path);
	CHECK(truncate(path, size - 10) == 0);	/* inside the END chunk */
	CHECK(us_model_load(path, NULL, false, &rec, &m, err, sizeof(err)) == 0);
	CHECK(rec.truncated);
	CHECK_EQ(m.funcs[1].count, calls);
	us_model_free(&m);
	us_recording_free(&rec);

	CHECK(truncate(path, size / 2) == 0);	/* inside an events chunk */
	CHECK(us_model_load(path, NULL, false, &rec, &m, err, sizeof(err)) == 0);
	CHECK(rec.truncated);
	CHECK(m.funcs[1].count > 0 && m.funcs[1].count < (uint64_t)calls);
	CHECK(rec.end_ns > rec.start_ns);
	us_model_free(&m);
	us_recording_free(&rec);
	unlink(path);
	free(path);
}

TEST(record_damaged_files_fail_cleanly)
{
	char *path = temp_path();
	long size;
	FILE *f;

	write_sample(path, 1000);
	size = file_size(path);
	CHECK(truncate(path, 60) == 0);
	CHECK(read_fails_with(path, "truncated"));
	CHECK(truncate(path, 10) == 0);
	CHECK(read_fails_with(path, "not a uscope recording"));

	write_sample(path, 1000);
	f = fopen(path, "r+");
	fseek(f, size / 2, SEEK_SET);
	fputc(fgetc(f) ^ 0x5a, f);	/* flip bits inside a compressed chunk */
	fclose(f);
	CHECK(read_fails_with(path, "corrupt"));
	CHECK(read_fails_with("/nonexistent/rec", "cannot open"));
	unlink(path);
	free(path);
}
