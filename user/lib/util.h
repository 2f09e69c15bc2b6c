/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Small helpers every stage uses: growable arrays, parsing, strings. */
#ifndef USCOPE_UTIL_H
#define USCOPE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define US_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Grow *items (of *cap elements) so that it holds at least `need` elements.
 * Aborts with a message when memory runs out: uscope cannot go on without it. */
void us_grow(void *items_ptr, size_t *cap, size_t need, size_t elem_size);
void *us_calloc(size_t n, size_t size);
char *us_strdup(const char *s);
/* qsort that also takes an empty (possibly NULL) array. */
/* qsort_r: `ctx` reaches the comparison as its third argument. */
void us_sort_with(void *items, size_t n, size_t elem_size,
		  int (*compare)(const void *, const void *, void *), void *ctx);
void us_sort(void *items, size_t n, size_t elem_size,
	     int (*compare)(const void *, const void *));
char *us_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A whole (small) file, NUL-terminated; NULL with errno set when it cannot
 * be read. */
char *us_read_file(const char *path, size_t *len);

/* "500us", "2ms", "1.5s", "750ns", a bare number is seconds. */
bool us_parse_duration_ns(const char *text, uint64_t *out_ns);
/* A non-negative decimal integer that fits in `max`. */
bool us_parse_uint(const char *text, uint64_t max, uint64_t *out);

/* A byte count: "4096", "64K", "1M", "2G" (powers of 1024). */
bool us_parse_bytes(const char *text, uint64_t *out);

/* Edit distance, for "did you mean" suggestions. */
size_t us_edit_distance(const char *a, const char *b);

/* Stable 64-bit hash for strings and integers (FNV-1a / splitmix). */
uint64_t us_hash_str(const char *s);
uint64_t us_hash_u64(uint64_t x);

/* True when `path` is `dir` or inside it (textually: no symlinks resolved). */
bool us_path_under(const char *path, const char *dir);
/* Whether `name` matches the shell glob `glob` (fnmatch). */
bool us_glob_match(const char *glob, const char *name);
/* The part of `path` after its last '/'. */
const char *us_base_name(const char *path);

/* Read a small text file (e.g. /proc/PID/comm) into buf, newline stripped. */
bool us_read_text_file(const char *path, char *buf, size_t size);

#endif
