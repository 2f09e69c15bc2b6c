// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record_meta.h"
#include "util.h"

enum meta_kind {
	META_STRING,	/* char *, written when set */
	META_STRINGS,	/* char ** with its size_t count: one key per item */
	META_U64,
	META_U32,
	META_I32,
	META_BOOL,
};

struct meta_key {
	const char *key;
	enum meta_kind kind;
	size_t offset;		/* of the field in struct us_recording */
	size_t count_offset;	/* META_STRINGS: of its count */
	enum us_meta_part part;
	bool only_with_memory;	/* written only when --memory recorded */
};

#define FIELD(f) offsetof(struct us_recording, f)
#define START(k, kind, f) { k, kind, FIELD(f), 0, US_META_START, false }
#define LIST(k, f, n) { k, META_STRINGS, FIELD(f), FIELD(n), US_META_START, false }
#define MEMORY(k, kind, f) { k, kind, FIELD(f), 0, US_META_START, true }
#define END(k, f) { k, META_U64, FIELD(f), 0, US_META_END, false }

static const struct meta_key keys[] = {
	START("uscope_version", META_STRING, uscope_version),
	START("mode", META_STRING, mode),
	LIST("argv", argv, argc),
	LIST("exec_argv", exec_argv, exec_argc),
	START("cwd", META_STRING, cwd),
	START("pid", META_I32, pid),
	START("start_ns", META_U64, start_ns),
	START("start_realtime_ns", META_U64, start_realtime_ns),
	START("kernel", META_STRING, kernel),
	START("filter.min_duration_ns", META_U64, filters.min_duration_ns),
	START("filter.max_depth", META_U32, filters.max_depth),
	LIST("filter.exclude", filters.excludes, filters.n_excludes),
	LIST("filter.include", filters.includes, filters.n_includes),
	START("filter.scope", META_STRING, filters.scope),
	START("filter.focus", META_STRING, filters.focus),
	START("filter.exception_only", META_BOOL, filters.exception_only),
	START("filter.no_imports", META_BOOL, filters.no_imports),
	START("filter.condition", META_STRING, filters.condition),
	START("python", META_STRING, python),
	START("aggregate", META_BOOL, aggregate),
	MEMORY("memory", META_STRING, memory),
	MEMORY("memory.sample_one_in", META_U32, memory_sample_one_in),
	MEMORY("memory.sample_min_bytes", META_U64, memory_sample_min_bytes),
	END("setup_start_ns", setup_start_ns),
	END("program_start_ns", program_start_ns),
	END("program_end_ns", program_end_ns),
	END("detach_start_ns", detach_start_ns),
	END("detach_end_ns", detach_end_ns),
};

static void *field_of(const struct us_recording *rec, size_t offset)
{
	return (char *)rec + offset;
}

static void put(struct us_bytes *b, const char *key, const char *value)
{
	us_bytes_put_str(b, key);
	us_bytes_put_str(b, value);
}

static void put_u64(struct us_bytes *b, const char *key, uint64_t value)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu", (unsigned long long)value);
	put(b, key, text);
}

static void write_key(struct us_bytes *b, const struct us_recording *rec, const struct meta_key *k)
{
	const void *f = field_of(rec, k->offset);

	switch (k->kind) {
	case META_STRING:
		if (*(char *const *)f)
			put(b, k->key, *(char *const *)f);
		break;
	case META_STRINGS:
		for (size_t i = 0; i < *(const size_t *)field_of(rec, k->count_offset); i++)
			put(b, k->key, (*(char **const *)f)[i]);
		break;
	case META_U64:
		put_u64(b, k->key, *(const uint64_t *)f);
		break;
	case META_U32:
		put_u64(b, k->key, *(const uint32_t *)f);
		break;
	case META_I32:
		put_u64(b, k->key, (uint64_t)*(const int32_t *)f);
		break;
	case META_BOOL:
		put_u64(b, k->key, *(const bool *)f);
		break;
	}
}

void us_meta_write(struct us_bytes *b, const struct us_recording *rec, enum us_meta_part part)
{
	for (size_t i = 0; i < US_ARRAY_SIZE(keys); i++)
		if (keys[i].part == part && (!keys[i].only_with_memory || rec->memory))
			write_key(b, rec, &keys[i]);
	if (part == US_META_START)
		put(b, "clock", "CLOCK_MONOTONIC");	/* for readers of the format */
}

static void add_to_list(char ***items, size_t *count, const char *value)
{
	size_t cap = *count;

	us_grow(items, &cap, *count + 1, sizeof(**items));
	(*items)[(*count)++] = us_strdup(value);
}

void us_meta_read(struct us_recording *rec, const char *key, const char *value)
{
	uint64_t n = strtoull(value, NULL, 10);

	for (size_t i = 0; i < US_ARRAY_SIZE(keys); i++) {
		const struct meta_key *k = &keys[i];
		void *f = field_of(rec, k->offset);

		if (strcmp(k->key, key) != 0)
			continue;
		switch (k->kind) {
		case META_STRING:
			if (!*(char **)f)	/* the first wins */
				*(char **)f = us_strdup(value);
			break;
		case META_STRINGS:
			add_to_list((char ***)f, (size_t *)field_of(rec, k->count_offset), value);
			break;
		case META_U64:
			*(uint64_t *)f = n;
			break;
		case META_U32:
			*(uint32_t *)f = (uint32_t)n;
			break;
		case META_I32:
			*(int32_t *)f = (int32_t)n;
			break;
		case META_BOOL:
			*(bool *)f = n != 0;
			break;
		}
		return;
	}
}
