// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "python_code.h"
#include "util.h"

#define MAX_NAME_BYTES 4096
#define MAX_LINES_BYTES (1u << 20)

static int read_memory(pid_t pid, uint64_t address, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)address, len };

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

static uint64_t read_word(pid_t pid, uint64_t address)
{
	uint64_t v = 0;

	read_memory(pid, address, &v, sizeof(v));
	return v;
}

/* A str object's text: compact ASCII, or its cached UTF-8 form. */
static char *read_str(pid_t pid, uint64_t str, const struct us_py_layout *layout)
{
	uint64_t length = read_word(pid, str + US_PY_STR_LENGTH), data;
	uint8_t state = 0;
	char *text;

	if (!str || length > MAX_NAME_BYTES || read_memory(pid, str + US_PY_STR_STATE, &state, 1))
		return NULL;
	if ((state & 0x60) == 0x60) {	/* compact and ASCII */
		data = str + (uint64_t)layout->unicode_ascii_data;
	} else {
		data = read_word(pid, str + (uint64_t)layout->unicode_utf8);
		length = read_word(pid, str + (uint64_t)layout->unicode_utf8 - 8);
		if (!data || length > MAX_NAME_BYTES)
			return NULL;
	}
	text = us_calloc(length + 1, 1);
	if (read_memory(pid, data, text, length)) {
		free(text);
		return NULL;
	}
	return text;
}

static void read_lines(pid_t pid, uint64_t bytes, struct us_python_code *out)
{
	uint64_t size = bytes ? read_word(pid, bytes + US_PY_OB_SIZE) : 0;

	if (!size || size > MAX_LINES_BYTES)
		return;
	out->lines = us_calloc(size, 1);
	if (read_memory(pid, bytes + US_PY_BYTES_DATA, out->lines, size)) {
		free(out->lines);
		out->lines = NULL;
		return;
	}
	out->lines_len = size;
}

int us_python_code_identity(pid_t pid, uint64_t code, const struct us_py_layout *layout,
			    struct us_python_code_identity *out)
{
	int32_t name_offset = layout->code_qualname >= 0 ? layout->code_qualname : layout->code_name;
	int32_t lo = layout->code_header_start, hi = lo + 160;
	uint8_t header[160];

	memset(out, 0, sizeof(*out));
	if (name_offset < lo || name_offset + 8 > hi || layout->code_filename < lo ||
	    layout->code_filename + 8 > hi || layout->code_firstlineno < lo ||
	    layout->code_firstlineno + 4 > hi ||
	    read_memory(pid, code + (uint64_t)lo, header, sizeof(header)))
		return -1;
	memcpy(&out->name, header + (name_offset - lo), 8);
	memcpy(&out->file, header + (layout->code_filename - lo), 8);
	memcpy(&out->first_line, header + (layout->code_firstlineno - lo), 4);
	return 0;
}

int us_python_read_code(pid_t pid, uint64_t code, const struct us_py_layout *layout,
			int32_t lines_offset, struct us_python_code *out)
{
	int32_t name_offset = layout->code_qualname >= 0 ? layout->code_qualname : layout->code_name;
	uint32_t first_line = 0;

	memset(out, 0, sizeof(*out));
	if (read_memory(pid, code + (uint64_t)layout->code_firstlineno, &first_line,
			sizeof(first_line)))
		return -1;
	out->first_line = first_line;
	out->qualname = read_str(pid, read_word(pid, code + (uint64_t)name_offset), layout);
	out->file = read_str(pid, read_word(pid, code + (uint64_t)layout->code_filename), layout);
	if (!out->qualname || !out->file) {
		us_python_code_free(out);
		return -1;
	}
	read_lines(pid, read_word(pid, code + (uint64_t)lines_offset), out);
	return 0;
}

void us_python_code_free(struct us_python_code *c)
{
	free(c->qualname);
	free(c->file);
	free(c->lines);
	memset(c, 0, sizeof(*c));
}
