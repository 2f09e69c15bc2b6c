// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The profile's pure pieces: line tables of every CPython version, the
 * protobuf writer, kallsyms, and the model and reports of profile records
 * (call paths, folded stacks, flat totals with recursion counted once). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kallsyms.h"
#include "model.h"
#include "profile_paths.h"
#include "protobuf.h"
#include "python_lines.h"
#include "report_profile.h"
#include "unit.h"

TEST(lnotab_lines_of_3_8_and_3_9)
{
	/* first line 10; +6 bytes -> line 11; +4 bytes -> line 13; +10 -> back to 12 */
	const uint8_t table[] = { 6, 1, 4, 2, 10, (uint8_t)-1 };

	CHECK_EQ(us_py_line_for_version(8, table, sizeof(table), 10, 0), 10);
	CHECK_EQ(us_py_line_for_version(8, table, sizeof(table), 10, 5), 10);
	CHECK_EQ(us_py_line_for_version(9, table, sizeof(table), 10, 6), 11);
	CHECK_EQ(us_py_line_for_version(9, table, sizeof(table), 10, 12), 13);
	CHECK_EQ(us_py_line_for_version(9, table, sizeof(table), 10, 20), 12);
	CHECK_EQ(us_py_line_for_version(9, table, sizeof(table), 10, -1), -1);
}

TEST(linetable_lines_of_3_10)
{
	/* bytes 0-3 line first+1, 4-9 no line, 10-13 line first+3 (from +1: +2) */
	const uint8_t table[] = { 4, 1, 6, (uint8_t)-128, 4, 2 };

	CHECK_EQ(us_py_line_for_version(10, table, sizeof(table), 20, 2), 21);
	CHECK_EQ((int32_t)us_py_line_for_version(10, table, sizeof(table), 20, 5), -1);
	CHECK_EQ(us_py_line_for_version(10, table, sizeof(table), 20, 12), 23);
	CHECK_EQ((int32_t)us_py_line_for_version(10, table, sizeof(table), 20, 40), -1);
}

TEST(protobuf_varints_and_fields)
{
	struct us_bytes b = { 0 };
	const uint64_t packed[] = { 1, 300 };

	us_pb_varint(&b, 300);
	CHECK_EQ(b.len, 2);
	CHECK_EQ(b.data[0], 0xac);
	CHECK_EQ(b.data[1], 0x02);
	b.len = 0;
	us_pb_uint(&b, 1, 0);	/* zero is left out */
	CHECK_EQ(b.len, 0);
	us_pb_uint(&b, 2, 150);
	CHECK(b.len == 3 && b.data[0] == 0x10 && b.data[1] == 0x96 && b.data[2] == 0x01);
	b.len = 0;
	us_pb_packed(&b, 1, packed, 2);
	CHECK(b.len == 5 && b.data[0] == 0x0a && b.data[1] == 3 && b.data[2] == 1 &&
	      b.data[3] == 0xac && b.data[4] == 0x02);
	us_bytes_free(&b);
}

TEST(kallsyms_names_addresses_by_the_function_below)
{
	char path[] = "/tmp/uscope-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "ffffffff81000000 T _stext\n"
			   "ffffffff81000100 t do_nanosleep\n"
			   "ffffffff81000200 D some_data\n"
			   "ffffffffc0000000 t ext4_read [ext4]\n";
	const char *function = NULL, *module = NULL;
	struct us_kallsyms *k;

	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	k = us_kallsyms_load(path);
	unlink(path);
	CHECK(k != NULL);
	CHECK(us_kallsyms_name(k, 0xffffffff81000150ULL, &function, &module));
	CHECK_STR(function, "do_nanosleep");
	CHECK_STR(module, "");
	CHECK(us_kallsyms_name(k, 0xffffffffc0000010ULL, &function, &module));
	CHECK_STR(function, "ext4_read");
	CHECK_STR(module, "ext4");
	CHECK(!us_kallsyms_name(k, 0x1000, &function, &module));
	us_kallsyms_free(k);
}

/* ---- profile records through the model --------------------------------- */

static void frame(struct us_model *m, uint32_t id, uint32_t kind, const char *function,
		  const char *file, int32_t line)
{
	struct us_profile_frame_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr = (struct us_event_header){ .type = US_EV_PROFILE_FRAME, .size = sizeof(ev),
					   .ts_ns = 1 };
	ev.id = id;
	ev.kind = kind;
	ev.line = line;
	snprintf(ev.function, sizeof(ev.function), "%s", function);
	snprintf(ev.file, sizeof(ev.file), "%s", file);
	us_model_add_event(m, &ev.hdr);
}

/* frames innermost first */
static void stack(struct us_model *m, uint32_t id, const uint32_t *frames, uint16_t depth)
{
	struct us_profile_stack_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr = (struct us_event_header){ .type = US_EV_PROFILE_STACK, .size = sizeof(ev),
					   .ts_ns = 1 };
	ev.id = id;
	ev.depth = depth;
	memcpy(ev.frames, frames, depth * sizeof(*frames));
	us_model_add_event(m, &ev.hdr);
}

static void sample(struct us_model *m, uint32_t tid, uint32_t stack_id, uint32_t count)
{
	struct us_profile_sample_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.hdr = (struct us_event_header){ .type = US_EV_PROFILE_SAMPLE, .size = sizeof(ev),
					   .tid = tid, .ts_ns = 2 };
	ev.pid = 100;
	ev.stack_id = stack_id;
	ev.count = count;
	ev.weight_ns = count * 10000000ULL;
	snprintf(ev.thread_comm, sizeof(ev.thread_comm), "t%u", tid);
	snprintf(ev.process_comm, sizeof(ev.process_comm), "app");
	us_model_add_event(m, &ev.hdr);
}

/* main -> a -> b (3 samples), main -> a -> a -> b (1), main -> c (2), one thread */
static void build_profile(struct us_model *m, struct us_plan *plan)
{
	const uint32_t ab[] = { 3, 1, 0 }, aab[] = { 3, 1, 1, 0 }, c[] = { 2, 0 };

	memset(plan, 0, sizeof(*plan));
	us_model_init(m, plan, NULL, NULL);
	frame(m, 0, US_FRAME_NATIVE, "main", "app", 0);
	frame(m, 1, US_FRAME_PYTHON, "a", "/src/a.py", 12);
	frame(m, 2, US_FRAME_NATIVE, "", "libc.so.6", 0);
	frame(m, 3, US_FRAME_PYTHON, "b", "/src/b;c.py", 3);
	stack(m, 0, ab, 3);
	stack(m, 1, aab, 4);
	stack(m, 2, c, 2);
	sample(m, 7, 0, 2);
	sample(m, 7, 1, 1);
	sample(m, 7, 0, 1);	/* adds to the first */
	sample(m, 7, 2, 2);
}

static char *report_text(const struct us_model *m,
			 void (*write)(FILE *, const struct us_recording *, const struct us_model *,
				       const struct us_report_options *))
{
	struct us_recording rec = { .mode = "profile" };
	struct us_report_options ro = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	write(f, &rec, m, &ro);
	fclose(f);
	return text;
}

TEST(profile_samples_of_one_stack_and_thread_add_up)
{
	struct us_model m;
	struct us_plan plan;

	build_profile(&m, &plan);
	CHECK_EQ(m.profile.n_samples, 3);
	CHECK_EQ(m.profile.count[US_SAMPLE_ON_CPU], 6);
	CHECK_EQ(m.profile.samples[0].count, 3);
	CHECK_EQ(m.profile.samples[0].weight_ns, 30000000);
	us_model_free(&m);
}

TEST(folded_stacks_are_root_first_with_counts)
{
	struct us_model m;
	struct us_plan plan;
	char *text;

	build_profile(&m, &plan);
	text = report_text(&m, us_report_profile_folded);
	CHECK(strstr(text, "main (app);a (a.py);b (b:c.py) 3\n") != NULL);	/* ';' is a separator */
	CHECK(strstr(text, "main (app);a (a.py);a (a.py);b (b:c.py) 1\n") != NULL);
	CHECK(strstr(text, "main (app);libc.so.6+0x0 2\n") != NULL);
	free(text);
	us_model_free(&m);
}

TEST(flat_counts_a_recursive_function_once_in_its_total)
{
	struct us_model m;
	struct us_plan plan;
	struct us_profile_paths paths;
	char *text;

	build_profile(&m, &plan);
	us_profile_paths_build(&paths, &m.profile, 1u << US_SAMPLE_ON_CPU);
	CHECK_EQ(paths.nodes[0].count, 6);
	CHECK_EQ(paths.n_threads, 1);
	us_profile_paths_free(&paths);
	text = report_text(&m, us_report_profile_flat);
	/* a: in 4 of the 6 samples (66.7%), though a -> a appears once */
	CHECK(strstr(text, "66.7%") != NULL);
	CHECK(strstr(text, "a (a.py)") != NULL);
	CHECK(strstr(text, "losses: unknown") != NULL);	/* no totals record: said */
	free(text);
	us_model_free(&m);
}
