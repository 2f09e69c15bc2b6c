/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Little-endian byte buffers: building chunks and reading them back safely. */
#ifndef USCOPE_BYTES_H
#define USCOPE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct us_bytes {
	uint8_t *data;
	size_t len, cap;
};

void us_bytes_put(struct us_bytes *b, const void *data, size_t len);
void us_bytes_put_u32(struct us_bytes *b, uint32_t v);
void us_bytes_put_u64(struct us_bytes *b, uint64_t v);
void us_bytes_put_str(struct us_bytes *b, const char *s);	/* u32 length + bytes */
void us_bytes_free(struct us_bytes *b);

/* A bounds-checked cursor; once a read overruns, `bad` stays set. */
struct us_cursor {
	const uint8_t *data;
	size_t len, pos;
	bool bad;
};

uint32_t us_cursor_u32(struct us_cursor *c);
uint64_t us_cursor_u64(struct us_cursor *c);
char *us_cursor_str(struct us_cursor *c);	/* malloc'd, NUL-terminated; NULL if bad */

#endif
