/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* lib: writing protocol buffers (the wire format only: varints and
 * length-delimited fields), enough for pprof's profile.proto. */
#ifndef USCOPE_PROTOBUF_H
#define USCOPE_PROTOBUF_H

#include <stdint.h>
#include "bytes.h"

void us_pb_varint(struct us_bytes *b, uint64_t v);
/* Field `field` as a varint (int64, uint64, bool); 0 is omitted, as proto3 does. */
void us_pb_uint(struct us_bytes *b, uint32_t field, uint64_t v);
/* Field `field` holding `len` bytes: a string, or a message built apart. */
void us_pb_bytes(struct us_bytes *b, uint32_t field, const void *data, size_t len);
/* A packed repeated varint field. */
void us_pb_packed(struct us_bytes *b, uint32_t field, const uint64_t *values, size_t n);
/* gzip of `in` (RFC 1952), as pprof files are. Returns 0 or -1. */
int us_gzip(const struct us_bytes *in, struct us_bytes *out);

#endif
