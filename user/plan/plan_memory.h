/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * plan: where the memory probes go (--memory). The malloc family of the
 * object that really serves the target's malloc (the executable when it
 * defines one, else the first library that does: a preloaded allocator or
 * libc), and with --memory=objects CPython's object allocator too. Pure:
 * reads ELF files only.
 */
#ifndef USCOPE_PLAN_MEMORY_H
#define USCOPE_PLAN_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "events.h"
#include "plan.h"

enum us_memory_mode { US_MEMORY_OFF = 0, US_MEMORY_LIBC, US_MEMORY_OBJECTS };

struct us_memory_options {
	enum us_memory_mode mode;
	uint32_t sample_one_in;		/* 1: every allocation */
	uint64_t sample_min_bytes;	/* blocks this big are always kept */
};

#define US_DEFAULT_SAMPLE_MIN_BYTES (64u << 10)

struct us_alloc_site {
	enum us_allocator allocator;
	char *function;
	char *object, *open_path;
	uint64_t probe_offset;
	uint32_t cookie;	/* allocator | US_ALLOC_ARG_SHIFT | US_ALLOC_OUTER_FREE */
	bool is_free;		/* entry probe only */
	bool emulated;		/* the kernel emulates the probed instruction */
	const char *insn;
};

struct us_memory_plan {
	struct us_alloc_site *sites;
	size_t count, cap;
	const char *libc;		/* the object serving malloc (an objects path) */
	bool objects_inlined;		/* objects: the allocator is inlined; some calls unseen */
};

/* Plans the probes. `python_object`/`python_open_path` name the interpreter
 * for US_MEMORY_OBJECTS (NULL otherwise). Returns 0, or -1 with `err`. */
int us_memory_plan_build(struct us_memory_plan *mp, const struct us_object_list *objects,
			 enum us_memory_mode mode, const char *python_object,
			 const char *python_open_path, char *err, size_t errlen);
void us_memory_plan_free(struct us_memory_plan *mp);

/* Bytes past a leading NULL check of the pointer argument (`test REG,REG;
 * je`) at a free's start, when the instruction after it is emulated; 0
 * otherwise. `arg` is 0 for the first argument (rdi), 1 for the second. */
uint32_t us_skip_null_check(const uint8_t *code, size_t len, int arg);

/* The name users know an allocator by ("malloc", "PyObject_Malloc"). */
const char *us_allocator_name(uint32_t allocator);

#endif
