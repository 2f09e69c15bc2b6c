/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* target: a CPython code object read from a live process's memory: its
 * names and line table, for naming sampled frames. */
#ifndef USCOPE_PYTHON_CODE_H
#define USCOPE_PYTHON_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "events.h"
#include <sys/types.h>
#include "python_layout.h"

struct us_python_code {
	char *qualname;
	char *file;
	uint32_t first_line;
	uint8_t *lines;		/* the line table (format: us_py_line_for_version) */
	size_t lines_len;
};

/* What tells one code object from another that later sits at its address. */
struct us_python_code_identity {
	uint64_t name, file;	/* its str objects */
	uint32_t first_line, pad;
};

/* Reads the identity of the code object at `code`. Returns 0 or -1. */
int us_python_code_identity(pid_t pid, uint64_t code, const struct us_py_layout *layout,
			    struct us_python_code_identity *out);
/* Reads the code object at `code` in process `pid`, laid out as `layout`
 * says, its line table at `lines_offset`. Returns 0, or -1 (unreadable: the
 * process is gone, or this is no code object). */
int us_python_read_code(pid_t pid, uint64_t code, const struct us_py_layout *layout,
			int32_t lines_offset, struct us_python_code *out);
void us_python_code_free(struct us_python_code *c);

/* The Python frames the thread whose pthread_self() is `fs_base` runs in
 * process `pid`, innermost first, as bpf/profile.bpf.c reads them while
 * sampling (the same walk, from user space). Returns how many (at most
 * `max`; *truncated when there were more). */
size_t us_python_thread_frames(pid_t pid, const struct us_py_sampling *py, uint64_t fs_base,
			       struct us_py_sample_frame *out, size_t max, bool *truncated);

/* Whether `tstate` is one of the main interpreter's thread states (not
 * freed). Async-signal-safe. */
/* The 8 bytes at `address` in process `pid`, 0 when unreadable. */
uint64_t us_python_read_word(pid_t pid, uint64_t address);
bool us_python_thread_state_listed(pid_t pid, const struct us_py_sampling *py, uint64_t tstate);
/* 3.12+: how many C calls of the eval loop the thread of `tstate` is in (its
 * frames owned by the C stack). */
size_t us_python_eval_calls(pid_t pid, const struct us_py_sampling *py, uint64_t tstate);

#endif
