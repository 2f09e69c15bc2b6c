/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record: the recording's metadata keys, in one table the writer and the
 * reader share (docs/format.md lists them). A META chunk is a sequence of
 * (key, value) strings; a key given many times is a list.
 */
#ifndef USCOPE_RECORD_META_H
#define USCOPE_RECORD_META_H

#include "bytes.h"
#include "record.h"

enum us_meta_part {
	US_META_START,	/* the META chunk written when tracing starts */
	US_META_END,	/* the one written just before the END chunk */
};

/* Appends every key of `part` that `rec` has to `b`. */
void us_meta_write(struct us_bytes *b, const struct us_recording *rec, enum us_meta_part part);
/* Sets the field `key` names from `value`; keys it does not know are
 * skipped (a newer uscope's). */
void us_meta_read(struct us_recording *rec, const char *key, const char *value);

#endif
