/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * plan: turn function patterns into probe sites. Pure: it reads ELF files
 * but touches no process and needs no privilege.
 *
 * A pattern is [OBJECT:]GLOB. OBJECT is a path or the name prefix of one of
 * the target's objects ("libc", "libz", "libfoo.so"); without it, the main
 * executable.
 */
#ifndef USCOPE_PLAN_H
#define USCOPE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "elf_symbols.h"
#include "objects.h"

struct us_pattern {
	char *object;		/* NULL: the main executable */
	char *glob;
};

/* Parses "[OBJECT:]GLOB". Returns false on an empty glob or object. */
bool us_pattern_parse(const char *text, struct us_pattern *out);
void us_pattern_free(struct us_pattern *pat);

struct us_site {
	char *function;
	char *object;		/* us_object.path */
	char *open_path;	/* us_object.open_path */
	uint64_t vaddr;		/* symbol address in the object */
	uint64_t probe_offset;	/* file offset of the probe (plan_site.h) */
	bool probeable;		/* false: the kernel refuses to probe it; not attached */
	bool emulated;
	char *insn;		/* the instruction at the probe ("push", "mov") */
	uint32_t probe_skip;	/* bytes from the function's start to the probe */
	const char *why;	/* why the probe is there (a static string), or NULL */
	bool loop_head;		/* a jump in the function lands on its probed entry */
};

struct us_plan {
	struct us_site *sites;	/* index = site id = attach cookie */
	size_t count, cap;
};

/* Adds the functions `pat` matches, minus those matching an `exclude` glob.
 * Returns the number added (0 is not an error here), or -1 with `err` when the
 * object cannot be found or read. */
int us_plan_add_pattern(struct us_plan *plan, const struct us_pattern *pat,
			const struct us_object_list *objects, char *const *excludes,
			size_t n_excludes, char *err, size_t errlen);
/* One line naming the closest function names to an unmatched glob, or why
 * there are none (a stripped binary). */
void us_plan_suggest(const struct us_pattern *pat, const struct us_object_list *objects,
		     char *out, size_t outlen);
/* Whether an object has any function symbol (.symtab or .dynsym). */
bool us_has_function_symbols(const char *path);
/* Adds one site by hand (used by tests and by record readers). */
void us_plan_add_site(struct us_plan *plan, const struct us_site *site);
void us_plan_free(struct us_plan *plan);

#endif
