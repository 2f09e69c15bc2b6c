// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "log.h"
#include "record.h"
#include "record_meta.h"
#include "util.h"

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Straight to the file: a chunk is in the kernel's hands when this returns,
 * so a killed uscope leaves every chunk written before it. */
static void write_bytes(struct us_record_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (!w->failed && len) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->failed = true;
			w->error = n < 0 ? errno : ENOSPC;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* A chunk: u32 type, u32 raw size, u32 stored size, u32 crc32 of the raw
 * bytes, then the zlib-compressed bytes. */
static void write_chunk(struct us_record_writer *w, uint32_t type, const struct us_bytes *raw)
{
	uLongf stored_len = compressBound(raw->len);
	uint8_t *stored = us_calloc(stored_len, 1);
	struct us_bytes head = { 0 };

	if (compress2(stored, &stored_len, raw->data ? raw->data : (const Bytef *)"", raw->len,
		      Z_BEST_SPEED) != Z_OK) {
		w->failed = true;
		w->error = ENOMEM;
		free(stored);
		return;
	}
	us_bytes_put_u32(&head, type);
	us_bytes_put_u32(&head, (uint32_t)raw->len);
	us_bytes_put_u32(&head, (uint32_t)stored_len);
	us_bytes_put_u32(&head, (uint32_t)crc32(0, raw->data ? raw->data : (const Bytef *)"", raw->len));
	write_bytes(w, head.data, head.len);
	write_bytes(w, stored, stored_len);
	us_bytes_free(&head);
	free(stored);
}

static void write_meta(struct us_record_writer *w, const struct us_recording *rec)
{
	struct us_bytes b = { 0 };

	us_meta_write(&b, rec, US_META_START);
	write_chunk(w, US_CHUNK_META, &b);
	us_bytes_free(&b);
}

/* Writes a STRINGS chunk and returns the id of its first string. */
static uint32_t write_strings(struct us_record_writer *w, const char *const *strings, size_t n)
{
	uint32_t first = w->next_string;
	struct us_bytes b = { 0 };

	us_bytes_put_u32(&b, first);
	us_bytes_put_u32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		us_bytes_put_str(&b, strings[i]);
	write_chunk(w, US_CHUNK_STRINGS, &b);
	us_bytes_free(&b);
	w->next_string += (uint32_t)n;
	return first;
}

/* Sites [from, count): each one's function, object and instruction names
 * go to the string table. A later SITES chunk adds to the earlier ones. */
static void write_sites(struct us_record_writer *w, const struct us_plan *plan, size_t from)
{
	size_t n = plan->count - from;
	const char **strings = us_calloc(n * 3 + 1, sizeof(*strings));
	struct us_bytes b = { 0 };
	uint32_t first;

	for (size_t i = 0; i < n; i++) {
		strings[3 * i] = plan->sites[from + i].function;
		strings[3 * i + 1] = plan->sites[from + i].object;
		strings[3 * i + 2] = plan->sites[from + i].insn;
	}
	first = write_strings(w, strings, n * 3);
	us_bytes_put_u32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const struct us_site *s = &plan->sites[from + i];
		uint32_t id = first + 3 * (uint32_t)i;

		us_bytes_put_u32(&b, id);
		us_bytes_put_u32(&b, id + 1);
		us_bytes_put_u32(&b, id + 2);
		us_bytes_put_u32(&b, (uint32_t)s->emulated | (uint32_t)s->probeable << 1);
		us_bytes_put_u64(&b, s->vaddr);
		us_bytes_put_u64(&b, s->probe_offset);
	}
	write_chunk(w, US_CHUNK_SITES, &b);
	us_bytes_free(&b);
	free(strings);
}

int us_record_writer_open(struct us_record_writer *w, const char *path,
			  const struct us_recording *rec)
{
	struct us_bytes head = { 0 };

	memset(w, 0, sizeof(*w));
	w->path = us_strdup(path);
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		us_error("cannot write the recording %s: %s", path, strerror(errno));
		free(w->path);
		w->path = NULL;
		return -1;
	}
	us_bytes_put(&head, US_RECORD_MAGIC, 8);
	us_bytes_put_u32(&head, US_RECORD_VERSION);
	us_bytes_put_u32(&head, 24);	/* header size */
	us_bytes_put_u64(&head, 0);	/* flags, none defined */
	write_bytes(w, head.data, head.len);
	us_bytes_free(&head);
	write_meta(w, rec);
	write_sites(w, &rec->plan, 0);
	w->last_flush_ns = monotonic_ns();
	return us_record_writer_check(w);
}

static void flush_events(struct us_record_writer *w)
{
	w->last_flush_ns = monotonic_ns();
	if (w->pending.len == 0)
		return;
	write_chunk(w, US_CHUNK_EVENTS, &w->pending);
	w->pending.len = 0;
}

void us_record_append(struct us_record_writer *w, const struct us_event_header *ev)
{
	if (w->failed)
		return;
	us_bytes_put(&w->pending, ev, ev->size);
	w->event_count++;
	if (w->pending.len >= US_RECORD_CHUNK_BYTES)
		flush_events(w);
}

int us_record_flush_due(struct us_record_writer *w)
{
	if (!w->failed && monotonic_ns() - w->last_flush_ns >= US_RECORD_FLUSH_NS)
		flush_events(w);
	return us_record_writer_check(w);
}

int us_record_writer_check(struct us_record_writer *w)
{
	if (!w->failed)
		return 0;
	if (!w->reported)
		us_error("writing the recording %s failed: %s", w->path, strerror(w->error));
	w->reported = true;
	return -1;
}

/* What only the end knows, as a second META chunk. */
static void write_timing(struct us_record_writer *w, const struct us_recording *rec)
{
	struct us_bytes b = { 0 };

	us_meta_write(&b, rec, US_META_END);
	write_chunk(w, US_CHUNK_META, &b);
	us_bytes_free(&b);
}

static void write_end(struct us_record_writer *w, const struct us_recording *rec)
{
	const char **names = us_calloc(rec->n_threads, sizeof(*names));
	struct us_bytes b = { 0 };
	uint32_t first;

	for (size_t i = 0; i < rec->n_threads; i++)
		names[i] = rec->threads[i].name;
	first = write_strings(w, names, rec->n_threads);
	us_bytes_put_u64(&b, rec->end_ns);
	us_bytes_put_u64(&b, w->event_count);
	us_bytes_put_u64(&b, rec->lost_events);
	us_bytes_put_u32(&b, rec->exited);
	us_bytes_put_u32(&b, (uint32_t)rec->exit_status);
	us_bytes_put_u32(&b, (uint32_t)rec->n_threads);
	for (size_t i = 0; i < rec->n_threads; i++) {
		us_bytes_put_u32(&b, rec->threads[i].tid);
		us_bytes_put_u32(&b, first + (uint32_t)i);
	}
	write_chunk(w, US_CHUNK_END, &b);
	us_bytes_free(&b);
	free(names);
}

int us_record_writer_finish(struct us_record_writer *w, const struct us_recording *rec)
{
	int err;

	flush_events(w);
	write_timing(w, rec);
	write_end(w, rec);
	if (close(w->fd) != 0 && !w->failed) {
		w->failed = true;
		w->error = errno;
	}
	w->fd = -1;
	err = us_record_writer_check(w);
	us_bytes_free(&w->pending);
	free(w->path);
	w->path = NULL;
	return err;
}

void us_record_writer_abandon(struct us_record_writer *w)
{
	if (w->path && w->fd >= 0)
		close(w->fd);
	us_bytes_free(&w->pending);
	free(w->path);
	memset(w, 0, sizeof(*w));
}

void us_record_writer_add_sites(struct us_record_writer *w, const struct us_plan *plan,
				size_t from)
{
	if (from >= plan->count)
		return;
	flush_events(w);	/* the events before refer to the earlier sites only */
	write_sites(w, plan, from);
}
