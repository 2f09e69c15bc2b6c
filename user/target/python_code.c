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

uint64_t us_python_read_word(pid_t pid, uint64_t address)
{
	return read_word(pid, address);
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

#define THREADS_MAX 4096

static uint64_t thread_state(pid_t pid, const struct us_py_sampling *py, uint64_t fs_base)
{
	uint64_t interp = read_word(pid, py->runtime_address + (uint64_t)py->runtime_main_interp);
	uint64_t tstate = interp ? read_word(pid, interp + (uint64_t)py->interp_threads_head) : 0;

	for (int i = 0; i < THREADS_MAX && tstate; i++) {
		if (read_word(pid, tstate + (uint64_t)py->tstate_thread_id) == fs_base)
			return tstate;
		tstate = read_word(pid, tstate + (uint64_t)py->tstate_next);
	}
	return 0;
}

static bool read_frame(pid_t pid, const struct us_py_sampling *py, uint64_t frame,
		       struct us_py_sample_frame *out)
{
	int32_t lasti = -1;
	uint8_t is_entry = 0;
	uint64_t ip;

	out->code = read_word(pid, frame + (uint64_t)py->frame_code);
	if (!out->code)
		return false;
	if (py->minor <= 10) {
		read_memory(pid, frame + (uint64_t)py->frame_lasti, &lasti, sizeof(lasti));
		out->offset = lasti < 0 ? -1 : lasti * (int32_t)py->lasti_bytes;
		out->flags = US_PY_FRAME_ENTRY;
		return true;
	}
	ip = read_word(pid, frame + (uint64_t)py->frame_instr_ptr);
	out->offset = ip > out->code ? (int32_t)(ip - (out->code + (uint64_t)py->code_adaptive)) : -1;
	if (py->frame_is_entry >= 0)
		read_memory(pid, frame + (uint64_t)py->frame_is_entry, &is_entry, 1);
	out->flags = is_entry ? US_PY_FRAME_ENTRY : 0;
	return true;
}

size_t us_python_thread_frames(pid_t pid, const struct us_py_sampling *py, uint64_t fs_base,
			       struct us_py_sample_frame *out, size_t max, bool *truncated)
{
	uint64_t tstate = thread_state(pid, py, fs_base), frame;
	size_t n = 0;

	*truncated = false;
	if (!tstate)
		return 0;
	frame = read_word(pid, tstate + (uint64_t)py->tstate_frame);
	if (py->cframe_current_frame >= 0 && frame)
		frame = read_word(pid, frame + (uint64_t)py->cframe_current_frame);
	for (size_t steps = 0; frame && steps < max + 64; steps++) {
		uint8_t owner = 0;

		if (py->minor >= 12)
			read_memory(pid, frame + (uint64_t)py->frame_owner, &owner, 1);
		if (owner == US_FRAME_OWNED_BY_CSTACK) {
			if (n > 0)
				out[n - 1].flags |= US_PY_FRAME_ENTRY;
		} else if (n == max) {
			*truncated = true;
			break;
		} else if (!read_frame(pid, py, frame, &out[n++])) {
			n--;
			break;
		}
		frame = read_word(pid, frame + (uint64_t)py->frame_previous);
	}
	return n;
}

bool us_python_thread_state_listed(pid_t pid, const struct us_py_sampling *py, uint64_t tstate)
{
	uint64_t interp = read_word(pid, py->runtime_address + (uint64_t)py->runtime_main_interp);
	uint64_t t = interp ? read_word(pid, interp + (uint64_t)py->interp_threads_head) : 0;

	for (int i = 0; i < THREADS_MAX && t; i++) {
		if (t == tstate)
			return true;
		t = read_word(pid, t + (uint64_t)py->tstate_next);
	}
	return false;
}

size_t us_python_eval_calls(pid_t pid, const struct us_py_sampling *py, uint64_t tstate)
{
	uint64_t frame = read_word(pid, tstate + (uint64_t)py->tstate_frame);
	size_t calls = 0;

	if (py->cframe_current_frame >= 0 && frame)
		frame = read_word(pid, frame + (uint64_t)py->cframe_current_frame);
	for (size_t steps = 0; frame && steps < (1u << 20); steps++) {
		uint8_t owner = 0;

		read_memory(pid, frame + (uint64_t)py->frame_owner, &owner, 1);
		calls += owner == US_FRAME_OWNED_BY_CSTACK;
		frame = read_word(pid, frame + (uint64_t)py->frame_previous);
	}
	return calls;
}
