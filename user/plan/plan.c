// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan.h"
#include "demangle.h"
#include "ifunc.h"
#include "plan_site.h"
#include "util.h"

bool us_pattern_parse(const char *text, struct us_pattern *out)
{
	const char *colon = strrchr(text, ':');

	memset(out, 0, sizeof(*out));
	if (colon) {
		if (colon == text || !colon[1])
			return false;
		out->object = strndup(text, (size_t)(colon - text));
		out->glob = us_strdup(colon + 1);
	} else {
		if (!*text)
			return false;
		out->glob = us_strdup(text);
	}
	return true;
}

void us_pattern_free(struct us_pattern *pat)
{
	free(pat->object);
	free(pat->glob);
	memset(pat, 0, sizeof(*pat));
}

static bool excluded(const char *name, char *const *excludes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (us_glob_match(excludes[i], name))
			return true;
	return false;
}

static bool plan_has(const struct us_plan *plan, const char *open_path, uint64_t vaddr)
{
	for (size_t i = 0; i < plan->count; i++)
		if (plan->sites[i].vaddr == vaddr && strcmp(plan->sites[i].open_path, open_path) == 0)
			return true;
	return false;
}

void us_plan_add_site(struct us_plan *plan, const struct us_site *site)
{
	us_grow(&plan->sites, &plan->cap, plan->count + 1, sizeof(*plan->sites));
	plan->sites[plan->count++] = (struct us_site){
		.function = us_strdup(site->function),
		.object = us_strdup(site->object),
		.open_path = us_strdup(site->open_path ? site->open_path : site->object),
		.vaddr = site->vaddr,
		.probe_offset = site->probe_offset,
		.probeable = site->probeable,
		.emulated = site->emulated,
		.insn = us_strdup(site->insn ? site->insn : "unknown"),
		.why = site->why, .loop_head = site->loop_head, .probe_skip = site->probe_skip,
	};
}

/* The code a call of `sym` runs: its own, or for an IFUNC the implementation
 * the loader chooses on this machine (with its size from the symbol there). */
static bool code_of(const struct us_object *obj, const struct us_symtab *tab,
		    const struct us_symbol *sym, uint64_t *vaddr, uint64_t *offset, uint64_t *size)
{
	*vaddr = sym->vaddr;
	*offset = sym->file_offset;
	*size = sym->size;
	if (!sym->is_ifunc)
		return true;
	*vaddr = us_ifunc_implementation(obj->open_path, sym->name);
	if (!*vaddr || !us_elf_code_offset(obj->open_path, *vaddr, offset))
		return false;
	*size = 0;
	for (size_t i = 0; i < tab->count; i++)
		if (tab->syms[i].vaddr == *vaddr)
			*size = tab->syms[i].size;
	return true;
}

/* Adds the site of `sym` unless the plan has its code already (an alias, an
 * IFUNC whose implementation is planned). Returns whether it was added. */
static bool add_symbol_site(struct us_plan *plan, const struct us_object *obj,
			    const struct us_symtab *tab, const struct us_symbol *sym)
{
	uint64_t vaddr, offset, size;
	uint8_t *code;
	size_t n;
	struct us_placement where = { .insn = "IFUNC whose choice uscope cannot see" };
	struct us_site site = {
		.function = sym->name, .object = obj->path, .open_path = obj->open_path,
		.vaddr = sym->vaddr, .probe_offset = sym->file_offset,
	};

	if (code_of(obj, tab, sym, &vaddr, &offset, &size)) {
		if (plan_has(plan, obj->open_path, vaddr))
			return false;
		size = size < 16 ? 16 : size > 65536 ? 65536 : size;
		code = us_calloc(size, 1);
		n = us_read_code(obj->open_path, offset, code, size);
		where = us_place_call_probe(code, n);
		free(code);
		site.vaddr = vaddr;
		site.probe_offset = offset + where.skip;
		if (sym->is_ifunc && where.probeable && !where.loop_head)
			where.why = "an IFUNC: its implementation on this machine";
	}
	site.probeable = where.probeable;
	site.emulated = where.emulated;
	site.insn = (char *)where.insn;
	site.why = where.why;
	site.loop_head = where.loop_head;
	site.probe_skip = where.skip;
	us_plan_add_site(plan, &site);
	return true;
}

/* A C++ symbol matched by the name people write: 'level*' or 'ns::f*'
 * matches _Z6level1i (level1(int)). */
static bool demangled_matches(const char *glob, const char *name)
{
	char *readable = us_demangle(name);
	bool match = readable && us_glob_match(glob, readable);

	free(readable);
	return match;
}

/* The symbol's name, or the first of its other names, that the glob
 * matches, as written or demangled. */
static char *matching_name(const struct us_symbol *sym, const char *glob)
{
	if (us_glob_match(glob, sym->name) || demangled_matches(glob, sym->name))
		return sym->name;
	for (char *a = sym->aliases; a && *a; a += strlen(a) + 1)
		if (us_glob_match(glob, a))
			return a;
	return NULL;
}

int us_plan_add_pattern(struct us_plan *plan, const struct us_pattern *pat,
			const struct us_object_list *objects, char *const *excludes,
			size_t n_excludes, char *err, size_t errlen)
{
	const struct us_object *obj = us_objects_find(objects, pat->object, err, errlen);
	struct us_symtab tab;
	int added = 0;

	if (!obj) {
		if (!pat->object)
			snprintf(err, errlen, "the target has no main executable");
		return -1;
	}
	if (us_symtab_load(obj->open_path, &tab, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < tab.count; i++) {
		struct us_symbol sym = tab.syms[i];

		/* `-f libm:sqrt` names the code that __sqrt and sqrtf64 name too */
		sym.name = matching_name(&tab.syms[i], pat->glob);
		if (!sym.name || excluded(sym.name, excludes, n_excludes))
			continue;
		if (plan_has(plan, obj->open_path, sym.vaddr))
			continue;
		added += add_symbol_site(plan, obj, &tab, &sym);
	}
	us_symtab_free(&tab);
	return added;
}

struct near_name {
	const char *name;
	size_t distance;
};

static int by_distance(const void *a, const void *b)
{
	const struct near_name *x = a, *y = b;

	if (x->distance != y->distance)
		return (x->distance > y->distance) - (x->distance < y->distance);
	return strcmp(x->name, y->name);
}

void us_plan_suggest(const struct us_pattern *pat, const struct us_object_list *objects,
		     char *out, size_t outlen)
{
	const struct us_object *obj = us_objects_find(objects, pat->object, out, outlen);
	struct near_name *near;
	struct us_symtab tab;
	char err[256];
	size_t used;

	if (!obj)
		return;
	if (us_symtab_load(obj->open_path, &tab, err, sizeof(err)) < 0) {
		snprintf(out, outlen, "%s", err);
		return;
	}
	if (tab.count == 0) {
		snprintf(out, outlen, "%s has no function symbols (stripped?); install its debug symbols "
			 "or rebuild it without -s", obj->path);
		us_symtab_free(&tab);
		return;
	}
	near = us_calloc(tab.count, sizeof(*near));
	for (size_t i = 0; i < tab.count; i++)
		near[i] = (struct near_name){ tab.syms[i].name,
					      us_edit_distance(pat->glob, tab.syms[i].name) };
	us_sort(near, tab.count, sizeof(*near), by_distance);
	used = (size_t)snprintf(out, outlen, "closest in %s:", us_base_name(obj->path));
	for (size_t i = 0; i < tab.count && i < 5 && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s %s", i ? "," : "", near[i].name);
	if (!tab.has_symtab && used < outlen)
		snprintf(out + used, outlen - used, " (stripped: only exported functions are visible)");
	free(near);
	us_symtab_free(&tab);
}

void us_plan_free(struct us_plan *plan)
{
	for (size_t i = 0; i < plan->count; i++) {
		free(plan->sites[i].function);
		free(plan->sites[i].object);
		free(plan->sites[i].open_path);
		free(plan->sites[i].insn);
	}
	free(plan->sites);
	memset(plan, 0, sizeof(*plan));
}

bool us_has_function_symbols(const char *path)
{
	struct us_symtab tab;
	char err[256];
	bool has;

	if (us_symtab_load(path, &tab, err, sizeof(err)) < 0)
		return true;	/* unreadable: the plan will say why */
	has = tab.count > 0;
	us_symtab_free(&tab);
	return has;
}
