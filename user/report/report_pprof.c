// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pprof: a gzipped profile.proto (github.com/google/pprof/proto), as
 * `go tool pprof`, Grafana Pyroscope and Parca read it. Sample values are
 * [samples/count, cpu|off-cpu|wall/nanoseconds]; every frame is a location
 * with its function (name, file, line) and, for native code, its mapping
 * (object) and address; each sample is labelled with its pid, tid, thread
 * and process names. */
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "profile_paths.h"
#include "protobuf.h"
#include "report_profile.h"
#include "util.h"

/* profile.proto field numbers */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3,
	MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_HAS_FUNCTIONS = 7,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

struct pprof {
	struct us_bytes out;
	struct us_map string_index;	/* hash -> index */
	char **strings;
	size_t n_strings, strings_cap;
	struct us_map function_index;	/* hash of name and file -> id */
	uint64_t n_functions;
	struct us_map mapping_index;	/* hash of the object -> id */
	uint64_t n_mappings;
};

static uint64_t string_id(struct pprof *pp, const char *s)
{
	uint64_t key = us_hash_str(s);
	uint32_t id = us_map_get(&pp->string_index, key);

	if (id != US_MAP_NONE)
		return id;
	us_grow(&pp->strings, &pp->strings_cap, pp->n_strings + 1, sizeof(*pp->strings));
	pp->strings[pp->n_strings] = us_strdup(s);
	us_map_put(&pp->string_index, key, (uint32_t)pp->n_strings);
	return pp->n_strings++;
}

static void value_type(struct pprof *pp, uint32_t field, const char *type, const char *unit)
{
	struct us_bytes m = { 0 };

	us_pb_uint(&m, VALUE_TYPE_TYPE, string_id(pp, type));
	us_pb_uint(&m, VALUE_TYPE_UNIT, string_id(pp, unit));
	us_pb_bytes(&pp->out, field, m.data, m.len);
	us_bytes_free(&m);
}

/* A function per name and file; an address no symbol covers is its own
 * ("libfoo.so+0x1a2b"). */
static uint64_t function_id(struct pprof *pp, const struct us_profile_frame *f)
{
	char unnamed[320];
	const char *name = f->function;
	uint64_t key;
	uint32_t id;
	struct us_bytes m = { 0 };

	if (!*name) {
		snprintf(unnamed, sizeof(unnamed), "%s+0x%llx", us_base_name(f->file),
			 (unsigned long long)f->address);
		name = unnamed;
	}
	key = us_hash_str(name) ^ us_hash_u64(us_hash_str(f->file));
	id = us_map_get(&pp->function_index, key);
	if (id != US_MAP_NONE)
		return id;
	id = (uint32_t)++pp->n_functions;
	us_map_put(&pp->function_index, key, id);
	us_pb_uint(&m, FUNCTION_ID, id);
	us_pb_uint(&m, FUNCTION_NAME, string_id(pp, name));
	us_pb_uint(&m, FUNCTION_SYSTEM_NAME, string_id(pp, name));
	us_pb_uint(&m, FUNCTION_FILENAME, string_id(pp, f->file));
	us_pb_bytes(&pp->out, PROFILE_FUNCTION, m.data, m.len);
	us_bytes_free(&m);
	return id;
}

static uint64_t mapping_id(struct pprof *pp, const char *object)
{
	uint64_t key = us_hash_str(object);
	uint32_t id = us_map_get(&pp->mapping_index, key);
	struct us_bytes m = { 0 };

	if (id != US_MAP_NONE)
		return id;
	id = (uint32_t)++pp->n_mappings;
	us_map_put(&pp->mapping_index, key, id);
	us_pb_uint(&m, MAPPING_ID, id);
	us_pb_uint(&m, MAPPING_FILENAME, string_id(pp, object));
	us_pb_uint(&m, MAPPING_HAS_FUNCTIONS, 1);
	us_pb_bytes(&pp->out, PROFILE_MAPPING, m.data, m.len);
	us_bytes_free(&m);
	return id;
}

/* Location i + 1 is frame i. */
static void location(struct pprof *pp, uint32_t id, const struct us_profile_frame *f)
{
	struct us_bytes m = { 0 }, line = { 0 };

	us_pb_uint(&m, LOCATION_ID, (uint64_t)id + 1);
	if (f->kind == US_FRAME_NATIVE && *f->file) {
		us_pb_uint(&m, LOCATION_MAPPING_ID, mapping_id(pp, f->file));
		us_pb_uint(&m, LOCATION_ADDRESS, f->address);
	}
	us_pb_uint(&line, LINE_FUNCTION_ID, function_id(pp, f));
	us_pb_uint(&line, LINE_LINE, f->line > 0 ? (uint64_t)f->line : 0);
	us_pb_bytes(&m, LOCATION_LINE, line.data, line.len);
	us_pb_bytes(&pp->out, PROFILE_LOCATION, m.data, m.len);
	us_bytes_free(&m);
	us_bytes_free(&line);
}

static void label(struct pprof *pp, struct us_bytes *sample, const char *key, const char *str,
		  uint64_t num)
{
	struct us_bytes m = { 0 };

	us_pb_uint(&m, LABEL_KEY, string_id(pp, key));
	if (str)
		us_pb_uint(&m, LABEL_STR, string_id(pp, str));
	else
		us_pb_uint(&m, LABEL_NUM, num);
	us_pb_bytes(sample, SAMPLE_LABEL, m.data, m.len);
	us_bytes_free(&m);
}

static void sample(struct pprof *pp, const struct us_profile *p, const struct us_profile_samples *s)
{
	const struct us_profile_stack *stack = us_profile_stack_of(p, s->stack_id);
	uint64_t values[2] = { s->count, s->weight_ns }, *ids;
	struct us_bytes m = { 0 };
	size_t n = 0;

	ids = us_calloc(stack ? stack->depth + 1u : 1u, sizeof(*ids));
	for (uint16_t i = 0; stack && i < stack->depth; i++)	/* the leaf first */
		if (us_profile_frame_of(p, stack->frames[i]))
			ids[n++] = (uint64_t)stack->frames[i] + 1;
	us_pb_packed(&m, SAMPLE_LOCATION_ID, ids, n);
	us_pb_packed(&m, SAMPLE_VALUE, values, 2);
	label(pp, &m, "pid", NULL, s->pid);
	label(pp, &m, "tid", NULL, s->tid);
	label(pp, &m, "thread_name", s->thread_comm, 0);
	label(pp, &m, "process_name", s->process_comm, 0);
	us_pb_bytes(&pp->out, PROFILE_SAMPLE, m.data, m.len);
	us_bytes_free(&m);
	free(ids);
}

static const char *measure_name(unsigned kinds)
{
	if (kinds == ((1u << US_SAMPLE_ON_CPU) | (1u << US_SAMPLE_OFF_CPU)))
		return "wall";
	return kinds & (1u << US_SAMPLE_OFF_CPU) ? "off-cpu" : "cpu";
}

int us_profile_pprof_bytes(const struct us_recording *rec, const struct us_profile *p,
			   struct us_bytes *gzipped)
{
	struct us_model view = { .profile = *p };	/* for the losses line */
	char *losses = us_profile_losses_line(&view);
	unsigned kinds = us_profile_kinds(p);
	struct pprof pp = { 0 };
	uint64_t period = p->has_totals && p->totals.frequency_hz
		? 1000000000ULL / p->totals.frequency_hz : 0;
	int err;

	string_id(&pp, "");	/* string 0 is "" */
	value_type(&pp, PROFILE_SAMPLE_TYPE, "samples", "count");
	value_type(&pp, PROFILE_SAMPLE_TYPE, measure_name(kinds), "nanoseconds");
	for (size_t i = 0; i < p->n_samples; i++)
		if (kinds & (1u << p->samples[i].kind))
			sample(&pp, p, &p->samples[i]);
	for (size_t i = 0; i < p->n_frames; i++)
		if (p->frames[i].function)
			location(&pp, (uint32_t)i, &p->frames[i]);
	us_pb_uint(&pp.out, PROFILE_TIME_NANOS, rec->start_realtime_ns);
	us_pb_uint(&pp.out, PROFILE_DURATION_NANOS,
		   rec->end_ns > rec->start_ns ? rec->end_ns - rec->start_ns : 0);
	value_type(&pp, PROFILE_PERIOD_TYPE, measure_name(kinds), "nanoseconds");
	us_pb_uint(&pp.out, PROFILE_PERIOD, period);
	us_pb_uint(&pp.out, PROFILE_COMMENT, string_id(&pp, losses));	/* every loss, by cause */
	free(losses);
	for (size_t i = 0; i < pp.n_strings; i++) {
		us_pb_bytes(&pp.out, PROFILE_STRING_TABLE, pp.strings[i], strlen(pp.strings[i]));
		free(pp.strings[i]);
	}
	err = us_gzip(&pp.out, gzipped);
	free(pp.strings);
	us_bytes_free(&pp.out);
	us_map_free(&pp.string_index);
	us_map_free(&pp.function_index);
	us_map_free(&pp.mapping_index);
	return err;
}

void us_report_profile_pprof(FILE *out, const struct us_recording *rec, const struct us_model *m,
			     const struct us_report_options *ro)
{
	struct us_bytes gz = { 0 };

	if (us_profile_pprof_bytes(rec, &m->profile, &gz) == 0)
		fwrite(gz.data, 1, gz.len, out);
	us_bytes_free(&gz);
}
