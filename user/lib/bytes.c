// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "bytes.h"
#include "util.h"

void us_bytes_put(struct us_bytes *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	us_grow(&b->data, &b->cap, b->len + len, 1);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void us_bytes_put_u32(struct us_bytes *b, uint32_t v)
{
	uint8_t le[4] = { v, v >> 8, v >> 16, v >> 24 };

	us_bytes_put(b, le, sizeof(le));
}

void us_bytes_put_u64(struct us_bytes *b, uint64_t v)
{
	us_bytes_put_u32(b, (uint32_t)v);
	us_bytes_put_u32(b, (uint32_t)(v >> 32));
}

void us_bytes_put_str(struct us_bytes *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	us_bytes_put_u32(b, (uint32_t)n);
	us_bytes_put(b, s ? s : "", n);
}

void us_bytes_free(struct us_bytes *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static const uint8_t *take(struct us_cursor *c, size_t n)
{
	const uint8_t *p;

	if (c->bad || n > c->len - c->pos) {
		c->bad = true;
		return NULL;
	}
	p = c->data + c->pos;
	c->pos += n;
	return p;
}

uint32_t us_cursor_u32(struct us_cursor *c)
{
	const uint8_t *p = take(c, 4);

	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}

uint64_t us_cursor_u64(struct us_cursor *c)
{
	uint64_t lo = us_cursor_u32(c);

	return lo | (uint64_t)us_cursor_u32(c) << 32;
}

char *us_cursor_str(struct us_cursor *c)
{
	uint32_t n = us_cursor_u32(c);
	const uint8_t *p = take(c, n);
	char *s;

	if (!p)
		return NULL;
	s = us_calloc(n + 1, 1);
	memcpy(s, p, n);
	return s;
}
