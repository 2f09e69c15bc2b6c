/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record: the recording file (docs/format.md). The writer streams events into
 * zlib-compressed chunks while tracing, so memory stays bounded; the reader
 * streams them back to a callback. Live reports are made by reading the
 * recording back, so a live report and `uscope report FILE` agree.
 */
#ifndef USCOPE_RECORD_H
#define USCOPE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "bytes.h"
#include "events.h"
#include "filters.h"
#include "plan.h"

#define US_RECORD_MAGIC "USCOPE\0\1"
#define US_RECORD_VERSION 4
/* Version 3 differs only in records 4 made longer (docs/format.md): read too. */
#define US_RECORD_OLDEST_VERSION 3
#define US_RECORD_CHUNK_BYTES (1u << 20)
/* Events wait at most this long before they are written as a chunk: a
 * killed uscope loses at most the last second. */
#define US_RECORD_FLUSH_NS 1000000000ULL

enum us_chunk_type {
	US_CHUNK_META = 1,	/* key/value strings */
	US_CHUNK_STRINGS = 2,	/* appends to the string table */
	US_CHUNK_SITES = 3,	/* probe sites, in site-id order */
	US_CHUNK_EVENTS = 4,	/* struct us_event_header records, back to back */
	US_CHUNK_END = 5,	/* trailer: counts, exit status, thread names */
};

struct us_thread_info {
	uint32_t tid;
	char *name;
};

/* Everything about a recording except its events. */
struct us_recording {
	/* META */
	char *uscope_version;
	char *mode;			/* "run" or "attach" */
	char **argv;			/* the traced command (run) */
	size_t argc;
	char **exec_argv;		/* what the target runs: its command line once traced */
	size_t exec_argc;
	char *cwd;			/* the target's working directory */
	int32_t pid;
	uint64_t start_ns;		/* CLOCK_MONOTONIC when tracing started */
	uint64_t start_realtime_ns;	/* wall clock at the same instant */
	char *kernel;			/* uname -r */
	char *python;			/* "3.12 /path/libpython3.12.so.1.0" when Python was traced */
	bool aggregate;			/* --aggregate: counters per function, no calls */
	char *memory;			/* --memory: "libc" or "objects"; NULL without */
	uint32_t memory_sample_one_in;	/* 1: every allocation recorded */
	uint64_t memory_sample_min_bytes;	/* blocks this big always recorded */
	struct us_filters filters;	/* record-time filters */
	/* SITES */
	struct us_plan plan;
	/* END (and the META chunk written just before it) */
	uint64_t setup_start_ns;	/* uscope began loading the probes */
	uint64_t program_start_ns;	/* run: the command was let go; attach: probes in */
	uint64_t program_end_ns;	/* the target exited, or tracing stopped */
	uint64_t detach_start_ns, detach_end_ns;	/* removing the probes */
	uint64_t end_ns;		/* CLOCK_MONOTONIC when tracing stopped */
	uint64_t event_count;
	uint64_t lost_events;
	bool exited;			/* the target exited while traced */
	int32_t exit_status;		/* exit code (run: 128+N for signal N) */
	struct us_thread_info *threads;
	size_t n_threads, threads_cap;
	/* reading */
	bool truncated;			/* it ends before its END chunk (uscope was killed) */
	uint64_t truncated_at_ns;	/* the last event read then */
};

void us_recording_set_thread_name(struct us_recording *rec, uint32_t tid, const char *name);
const char *us_recording_thread_name(const struct us_recording *rec, uint32_t tid);
void us_recording_free(struct us_recording *rec);

struct us_record_writer {
	int fd;
	char *path;
	struct us_bytes pending;	/* events not yet in a chunk */
	uint32_t next_string;		/* string ids written so far */
	uint64_t event_count;
	uint64_t last_flush_ns;		/* CLOCK_MONOTONIC of the last chunk */
	bool failed;			/* a write failed: nothing more is written */
	int error;			/* its errno */
	bool reported;
};

/* Opens `path` and writes the header, META, STRINGS and SITES. Returns 0, or
 * -1 after saying what failed. */
int us_record_writer_open(struct us_record_writer *w, const char *path,
			  const struct us_recording *rec);
/* Appends one event record (hdr.size bytes); a full chunk is written. */
void us_record_append(struct us_record_writer *w, const struct us_event_header *ev);
/* Sites [from, plan->count) were added while tracing (a program a followed
 * process exec'd): they go in after the events written so far. */
void us_record_writer_add_sites(struct us_record_writer *w, const struct us_plan *plan,
				size_t from);
/* Writes the waiting events when the last chunk is US_RECORD_FLUSH_NS old.
 * Returns us_record_writer_check(). */
int us_record_flush_due(struct us_record_writer *w);
/* 0, or -1 once a write failed (said once, at the first call after it). */
int us_record_writer_check(struct us_record_writer *w);
/* Flushes events and writes the trailer from rec's END fields. Returns 0 or
 * -1 after saying what failed. Closes the file either way. */
int us_record_writer_finish(struct us_record_writer *w, const struct us_recording *rec);
void us_record_writer_abandon(struct us_record_writer *w);

typedef void (*us_event_fn)(void *ctx, const struct us_event_header *ev);

/* Reads `path`: fills `rec` and calls `on_event` for each event in order.
 * `on_start` (may be NULL) runs once META and SITES are known, before the
 * first event. A recording cut short (no END chunk: uscope was killed) is
 * read up to its last whole chunk and marked `truncated`. Returns 0, or -1
 * with `err` saying what is wrong. */
int us_record_read(const char *path, struct us_recording *rec,
		   void (*on_start)(void *ctx, const struct us_recording *rec),
		   us_event_fn on_event, void *ctx, char *err, size_t errlen);

/* Reads only the header and the first META chunk of `path`. */
int us_record_read_meta(const char *path, struct us_recording *rec, char *err, size_t errlen);
/* Whether `path` is a readable recording made by `uscope profile`. */
bool us_recording_holds_profile(const char *path);

#endif
