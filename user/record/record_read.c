// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "record.h"
#include "record_meta.h"
#include "util.h"

#define MAX_CHUNK_BYTES (256u << 20)

struct reader {
	FILE *file;
	const char *path;
	char *err;
	size_t errlen;
	char **strings;
	size_t n_strings, strings_cap;
	bool started;
	bool have_sites;
	uint32_t chunk_index;
	uint64_t last_ts_ns;
};

static int fail(struct reader *r, const char *what)
{
	snprintf(r->err, r->errlen, "%s: %s", r->path, what);
	return -1;
}

static int fail_corrupt(struct reader *r, const char *what)
{
	char text[160];

	snprintf(text, sizeof(text), "corrupt recording: chunk %u %s", r->chunk_index, what);
	return fail(r, text);
}

static const char *string_at(struct reader *r, uint32_t id)
{
	return id < r->n_strings ? r->strings[id] : NULL;
}

enum chunk_read { CHUNK_READ = 1, CHUNK_NONE = 0, CHUNK_CORRUPT = -1, CHUNK_CUT = -2 };

/* Reads the next chunk into raw: CHUNK_READ; CHUNK_NONE at the end of the
 * file; CHUNK_CUT when the file ends inside it (the writer was killed);
 * CHUNK_CORRUPT with r->err filled. */
static int read_chunk(struct reader *r, uint32_t *type, struct us_bytes *raw)
{
	uint8_t head_bytes[16];
	struct us_cursor head = { head_bytes, sizeof(head_bytes), 0, false };
	uint32_t raw_len, stored_len, crc;
	uint8_t *stored;
	uLongf out_len;
	size_t n = fread(head_bytes, 1, sizeof(head_bytes), r->file);

	if (n == 0 && feof(r->file))
		return CHUNK_NONE;
	if (n != sizeof(head_bytes))
		return CHUNK_CUT;
	*type = us_cursor_u32(&head);
	raw_len = us_cursor_u32(&head);
	stored_len = us_cursor_u32(&head);
	crc = us_cursor_u32(&head);
	if (raw_len > MAX_CHUNK_BYTES || stored_len > compressBound(raw_len))
		return fail_corrupt(r, "has impossible sizes");
	stored = us_calloc(stored_len, 1);
	if (fread(stored, 1, stored_len, r->file) != stored_len) {
		free(stored);
		return CHUNK_CUT;
	}
	raw->len = 0;
	us_grow(&raw->data, &raw->cap, raw_len ? raw_len : 1, 1);
	out_len = raw_len;
	if (uncompress(raw->data, &out_len, stored, stored_len) != Z_OK || out_len != raw_len) {
		free(stored);
		return fail_corrupt(r, "does not decompress");
	}
	free(stored);
	raw->len = raw_len;
	if ((uint32_t)crc32(0, raw->data, raw_len) != crc)
		return fail_corrupt(r, "fails its checksum");
	return CHUNK_READ;
}

static int parse_meta(struct reader *r, struct us_cursor *c, struct us_recording *rec)
{
	while (c->pos < c->len) {
		char *key = us_cursor_str(c), *value = us_cursor_str(c);

		if (!key || !value) {
			free(key);
			free(value);
			return fail_corrupt(r, "(metadata) is malformed");
		}
		us_meta_read(rec, key, value);
		free(key);
		free(value);
	}
	return 0;
}

static int parse_strings(struct reader *r, struct us_cursor *c)
{
	uint32_t first = us_cursor_u32(c), count = us_cursor_u32(c);

	if (c->bad || first != r->n_strings || count > c->len)
		return fail_corrupt(r, "(strings) is out of sequence");
	for (uint32_t i = 0; i < count; i++) {
		char *s = us_cursor_str(c);

		if (!s)
			return fail_corrupt(r, "(strings) is malformed");
		us_grow(&r->strings, &r->strings_cap, r->n_strings + 1, sizeof(*r->strings));
		r->strings[r->n_strings++] = s;
	}
	return 0;
}

static int parse_sites(struct reader *r, struct us_cursor *c, struct us_recording *rec)
{
	uint32_t count = us_cursor_u32(c);

	if (c->bad || count > c->len / 32)
		return fail_corrupt(r, "(sites) is malformed");
	for (uint32_t i = 0; i < count; i++) {
		struct us_site site = { 0 };
		const char *function = string_at(r, us_cursor_u32(c));
		const char *object = string_at(r, us_cursor_u32(c));
		const char *insn = string_at(r, us_cursor_u32(c));

		uint32_t flags = us_cursor_u32(c);

		site.emulated = flags & 1;
		site.probeable = flags & 2;
		site.vaddr = us_cursor_u64(c);
		site.probe_offset = us_cursor_u64(c);
		if (c->bad || !function || !object || !insn)
			return fail_corrupt(r, "(sites) names a missing string");
		site.function = (char *)function;
		site.object = (char *)object;
		site.insn = (char *)insn;
		us_plan_add_site(&rec->plan, &site);
	}
	return 0;
}

/* The size each known record type has; 0 for types a newer uscope wrote. */
static size_t known_event_size(uint16_t type)
{
#define US_EVENT_SIZE(type, record) [type] = sizeof(record),
	static const size_t sizes[US_EV_TYPE_LIMIT] = { US_EVENT_TYPES(US_EVENT_SIZE) };
#undef US_EVENT_SIZE

	return type < US_EV_TYPE_LIMIT ? sizes[type] : 0;
}

/* Records that may end early: a Python entry that names no generator, a
 * new task of a recording before parent_tid. Readers check the size before
 * they read the later fields. */
static size_t short_event_size(uint16_t type)
{
	if (type == US_EV_PY_ENTRY)
		return US_PY_ENTRY_SHORT_SIZE;
	if (type == US_EV_TASK_NEW)
		return US_TASK_OLD_SIZE;
	return 0;
}

static bool event_is_sane(const struct us_event_header *ev, const struct us_recording *rec)
{
	size_t size = known_event_size(ev->type);

	if (!size)
		return true;	/* a newer record type: skipped by its size */
	if (ev->size != size && ev->size != short_event_size(ev->type) &&
	    !(ev->type == US_EV_PY_ENTRY && ev->size == US_PY_ENTRY_V3_SIZE))
		return false;
	if (ev->type == US_EV_CALL_ENTRY || ev->type == US_EV_CALL_EXIT)
		return ((const struct us_call_event *)ev)->site_id < rec->plan.count;
	return true;
}

static int parse_events(struct reader *r, struct us_bytes *raw, struct us_recording *rec,
			us_event_fn on_event, void *ctx)
{
	size_t pos = 0;

	while (pos < raw->len) {
		struct us_event_header ev_head;
		const struct us_event_header *ev;

		if (raw->len - pos < sizeof(ev_head))
			return fail_corrupt(r, "(events) ends inside a record");
		memcpy(&ev_head, raw->data + pos, sizeof(ev_head));
		if (ev_head.size < sizeof(ev_head) || ev_head.size > raw->len - pos || ev_head.size % 8)
			return fail_corrupt(r, "(events) has a record of impossible size");
		ev = (const struct us_event_header *)(raw->data + pos);
		if (!event_is_sane(ev, rec))
			return fail_corrupt(r, "(events) has a malformed record");
		if (known_event_size(ev->type)) {
			if (ev->ts_ns > r->last_ts_ns)
				r->last_ts_ns = ev->ts_ns;
			on_event(ctx, ev);
		}
		pos += ev_head.size;
	}
	return 0;
}

static int parse_end(struct reader *r, struct us_cursor *c, struct us_recording *rec)
{
	uint32_t n_threads;

	rec->end_ns = us_cursor_u64(c);
	rec->event_count = us_cursor_u64(c);
	rec->lost_events = us_cursor_u64(c);
	rec->exited = us_cursor_u32(c) != 0;
	rec->exit_status = (int32_t)us_cursor_u32(c);
	n_threads = us_cursor_u32(c);
	if (c->bad || n_threads > c->len / 8)
		return fail_corrupt(r, "(end) is malformed");
	for (uint32_t i = 0; i < n_threads; i++) {
		uint32_t tid = us_cursor_u32(c);
		const char *name = string_at(r, us_cursor_u32(c));

		if (c->bad || !name)
			return fail_corrupt(r, "(end) names a missing string");
		us_recording_set_thread_name(rec, tid, name);
	}
	return 0;
}

static int read_header(struct reader *r)
{
	uint8_t bytes[24];
	struct us_cursor c = { bytes + 8, 16, 0, false };
	uint32_t version;

	if (fread(bytes, 1, sizeof(bytes), r->file) != sizeof(bytes) ||
	    memcmp(bytes, US_RECORD_MAGIC, 8) != 0)
		return fail(r, "not a uscope recording");
	version = us_cursor_u32(&c);
	if (version < US_RECORD_OLDEST_VERSION || version > US_RECORD_VERSION) {
		char text[128];

		snprintf(text, sizeof(text), "recording format version %u; this uscope reads versions "
			 "%u to %u", version, US_RECORD_OLDEST_VERSION, US_RECORD_VERSION);
		return fail(r, text);
	}
	if (us_cursor_u32(&c) != sizeof(bytes))
		return fail(r, "not a uscope recording (bad header size)");
	return 0;
}

static int dispatch_chunk(struct reader *r, uint32_t type, struct us_bytes *raw,
			  struct us_recording *rec,
			  void (*on_start)(void *, const struct us_recording *),
			  us_event_fn on_event, void *ctx)
{
	struct us_cursor c = { raw->data, raw->len, 0, false };

	switch (type) {
	case US_CHUNK_META:
		return parse_meta(r, &c, rec);
	case US_CHUNK_STRINGS:
		return parse_strings(r, &c);
	case US_CHUNK_SITES:
		r->have_sites = true;
		return parse_sites(r, &c, rec);
	case US_CHUNK_EVENTS:
		if (!r->started) {
			r->started = true;
			if (on_start)
				on_start(ctx, rec);
		}
		return parse_events(r, raw, rec, on_event, ctx);
	case US_CHUNK_END:
		return parse_end(r, &c, rec);
	default:
		return 0;	/* a chunk type from a newer writer: skipped */
	}
}

static int read_recording(const char *path, struct us_recording *rec,
			  void (*on_start)(void *ctx, const struct us_recording *rec),
			  us_event_fn on_event, void *ctx, char *err, size_t errlen, bool meta_only)
{
	struct reader r = { .path = path, .err = err, .errlen = errlen };
	struct us_bytes raw = { 0 };
	bool ended = false;
	int rc;

	memset(rec, 0, sizeof(*rec));
	r.file = fopen(path, "rbe");
	if (!r.file) {
		snprintf(err, errlen, "cannot open the recording %s: %s", path, strerror(errno));
		return -1;
	}
	rc = read_header(&r);
	while (rc == 0 && !ended) {
		uint32_t type;
		int got = read_chunk(&r, &type, &raw);

		if (got == CHUNK_CORRUPT) {
			rc = -1;
			break;
		}
		if (got == CHUNK_NONE || got == CHUNK_CUT) {
			/* the writer was killed: what it wrote before is whole */
			if (!r.have_sites)
				rc = fail(&r, "truncated recording: it ends before its first events "
					  "(uscope was stopped while it set up)");
			rec->truncated = true;
			rec->truncated_at_ns = r.last_ts_ns;
			if (!rec->end_ns)
				rec->end_ns = r.last_ts_ns;
			break;
		}
		rc = dispatch_chunk(&r, type, &raw, rec, on_start, on_event, ctx);
		ended = type == US_CHUNK_END || (meta_only && type == US_CHUNK_META);
		r.chunk_index++;
	}
	if (rc == 0 && !r.started && on_start && !meta_only)
		on_start(ctx, rec);
	for (size_t i = 0; i < r.n_strings; i++)
		free(r.strings[i]);
	free(r.strings);
	us_bytes_free(&raw);
	fclose(r.file);
	return rc;
}

int us_record_read(const char *path, struct us_recording *rec,
		   void (*on_start)(void *ctx, const struct us_recording *rec),
		   us_event_fn on_event, void *ctx, char *err, size_t errlen)
{
	return read_recording(path, rec, on_start, on_event, ctx, err, errlen, false);
}

int us_record_read_meta(const char *path, struct us_recording *rec, char *err, size_t errlen)
{
	return read_recording(path, rec, NULL, NULL, NULL, err, errlen, true);
}

bool us_recording_holds_profile(const char *path)
{
	struct us_recording rec;
	char err[256];
	bool profile = us_record_read_meta(path, &rec, err, sizeof(err)) == 0 && rec.mode &&
		       strcmp(rec.mode, "profile") == 0;

	us_recording_free(&rec);
	return profile;
}

void us_recording_set_thread_name(struct us_recording *rec, uint32_t tid, const char *name)
{
	for (size_t i = 0; i < rec->n_threads; i++) {
		if (rec->threads[i].tid == tid) {
			free(rec->threads[i].name);
			rec->threads[i].name = us_strdup(name);
			return;
		}
	}
	us_grow(&rec->threads, &rec->threads_cap, rec->n_threads + 1, sizeof(*rec->threads));
	rec->threads[rec->n_threads++] = (struct us_thread_info){ tid, us_strdup(name) };
}

const char *us_recording_thread_name(const struct us_recording *rec, uint32_t tid)
{
	for (size_t i = 0; i < rec->n_threads; i++)
		if (rec->threads[i].tid == tid)
			return rec->threads[i].name;
	return "?";
}

void us_recording_free(struct us_recording *rec)
{
	free(rec->uscope_version);
	free(rec->mode);
	for (size_t i = 0; i < rec->argc; i++)
		free(rec->argv[i]);
	free(rec->argv);
	for (size_t i = 0; i < rec->exec_argc; i++)
		free(rec->exec_argv[i]);
	free(rec->exec_argv);
	free(rec->cwd);
	free(rec->kernel);
	free(rec->python);
	free(rec->memory);
	us_filters_free(&rec->filters);
	us_plan_free(&rec->plan);
	for (size_t i = 0; i < rec->n_threads; i++)
		free(rec->threads[i].name);
	free(rec->threads);
	memset(rec, 0, sizeof(*rec));
}
