// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include <zlib.h>
#include "protobuf.h"

enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };

void us_pb_varint(struct us_bytes *b, uint64_t v)
{
	uint8_t buf[10];
	size_t n = 0;

	do {
		buf[n] = v & 0x7f;
		v >>= 7;
		if (v)
			buf[n] |= 0x80;
		n++;
	} while (v);
	us_bytes_put(b, buf, n);
}

void us_pb_uint(struct us_bytes *b, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	us_pb_varint(b, (uint64_t)field << 3 | WIRE_VARINT);
	us_pb_varint(b, v);
}

void us_pb_bytes(struct us_bytes *b, uint32_t field, const void *data, size_t len)
{
	us_pb_varint(b, (uint64_t)field << 3 | WIRE_BYTES);
	us_pb_varint(b, len);
	us_bytes_put(b, data, len);
}

void us_pb_packed(struct us_bytes *b, uint32_t field, const uint64_t *values, size_t n)
{
	struct us_bytes packed = { 0 };

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		us_pb_varint(&packed, values[i]);
	us_pb_bytes(b, field, packed.data, packed.len);
	us_bytes_free(&packed);
}

int us_gzip(const struct us_bytes *in, struct us_bytes *out)
{
	z_stream z;
	uint8_t chunk[16384];
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -1;
	z.next_in = in->data;
	z.avail_in = (uInt)in->len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = deflate(&z, Z_FINISH);
		us_bytes_put(out, chunk, sizeof(chunk) - z.avail_out);
	} while (rc == Z_OK);
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}
