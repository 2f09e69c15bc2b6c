// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plan_memory.h"
#include "plan_site.h"
#include "util.h"

struct allocator_function {
	const char *name;
	enum us_allocator allocator;
	uint32_t flags;		/* US_ALLOC_ARG_SHIFT, US_ALLOC_OUTER_FREE */
};

static const struct allocator_function libc_functions[] = {
	{ "malloc", US_ALLOC_MALLOC, 0 },
	{ "calloc", US_ALLOC_CALLOC, 0 },
	{ "realloc", US_ALLOC_REALLOC, 0 },
	{ "reallocarray", US_ALLOC_REALLOCARRAY, 0 },
	{ "posix_memalign", US_ALLOC_POSIX_MEMALIGN, 0 },
	{ "aligned_alloc", US_ALLOC_ALIGNED_ALLOC, 0 },
	{ "memalign", US_ALLOC_MEMALIGN, 0 },
	{ "valloc", US_ALLOC_VALLOC, 0 },
	{ "pvalloc", US_ALLOC_PVALLOC, 0 },
	{ "free", US_ALLOC_FREE, 0 },
};

/* pymalloc itself (a .symtab symbol): serves both PyObject_ and PyMem_. */
static const struct allocator_function pymalloc_functions[] = {
	{ "_PyObject_Malloc", US_ALLOC_PY_MALLOC, US_ALLOC_ARG_SHIFT },
	{ "_PyObject_Calloc", US_ALLOC_PY_CALLOC, US_ALLOC_ARG_SHIFT },
	{ "_PyObject_Realloc", US_ALLOC_PY_REALLOC, US_ALLOC_ARG_SHIFT },
	{ "_PyObject_Free", US_ALLOC_PY_FREE, US_ALLOC_ARG_SHIFT | US_ALLOC_OUTER_FREE },
};

/* A stripped interpreter: its exported entry points. */
static const struct allocator_function python_api_functions[] = {
	{ "PyObject_Malloc", US_ALLOC_PY_MALLOC, 0 },
	{ "PyObject_Calloc", US_ALLOC_PY_CALLOC, 0 },
	{ "PyObject_Realloc", US_ALLOC_PY_REALLOC, 0 },
	{ "PyObject_Free", US_ALLOC_PY_FREE, US_ALLOC_OUTER_FREE },
	{ "PyMem_Malloc", US_ALLOC_PY_MALLOC, 0 },
	{ "PyMem_Calloc", US_ALLOC_PY_CALLOC, 0 },
	{ "PyMem_Realloc", US_ALLOC_PY_REALLOC, 0 },
	{ "PyMem_Free", US_ALLOC_PY_FREE, US_ALLOC_OUTER_FREE },
};

static const char *const allocator_names[US_ALLOC_KINDS] = {
	[US_ALLOC_MALLOC] = "malloc", [US_ALLOC_CALLOC] = "calloc",
	[US_ALLOC_REALLOC] = "realloc", [US_ALLOC_REALLOCARRAY] = "reallocarray",
	[US_ALLOC_POSIX_MEMALIGN] = "posix_memalign", [US_ALLOC_ALIGNED_ALLOC] = "aligned_alloc",
	[US_ALLOC_MEMALIGN] = "memalign", [US_ALLOC_VALLOC] = "valloc",
	[US_ALLOC_PVALLOC] = "pvalloc", [US_ALLOC_FREE] = "free", [US_ALLOC_MMAP] = "mmap",
	[US_ALLOC_MUNMAP] = "munmap", [US_ALLOC_MREMAP] = "mremap", [US_ALLOC_BRK] = "brk",
	[US_ALLOC_PY_MALLOC] = "PyObject_Malloc", [US_ALLOC_PY_CALLOC] = "PyObject_Calloc",
	[US_ALLOC_PY_REALLOC] = "PyObject_Realloc", [US_ALLOC_PY_FREE] = "PyObject_Free",
};

const char *us_allocator_name(uint32_t allocator)
{
	if (allocator < US_ALLOC_KINDS && allocator_names[allocator])
		return allocator_names[allocator];
	return "unknown";
}

uint32_t us_skip_null_check(const uint8_t *code, size_t len, int arg)
{
	/* test %rdi,%rdi or test %rsi,%rsi */
	const uint8_t modrm = arg == 0 ? 0xff : 0xf6;
	struct us_placement next;
	uint32_t at;

	if (len < 5 || code[0] != 0x48 || code[1] != 0x85 || code[2] != modrm)
		return 0;
	if (code[3] == 0x74)
		at = 5;		/* je rel8 */
	else if (len >= 9 && code[3] == 0x0f && code[4] == 0x84)
		at = 9;		/* je rel32 */
	else
		return 0;
	if (at >= len)
		return 0;
	next = us_place_probe(code + at, len - at);
	return next.probeable && next.emulated && next.skip == 0 ? at : 0;
}

static const struct us_symbol *symbol_at(const struct us_symtab *tab, uint64_t vaddr)
{
	for (size_t i = 0; i < tab->count; i++)
		if (tab->syms[i].vaddr == vaddr)
			return &tab->syms[i];
	return NULL;
}

static bool already_planned(const struct us_memory_plan *mp, const char *open_path,
			    uint64_t offset)
{
	for (size_t i = 0; i < mp->count; i++)
		if (mp->sites[i].probe_offset == offset && strcmp(mp->sites[i].open_path, open_path) == 0)
			return true;
	return false;
}

static void add_site(struct us_memory_plan *mp, const struct us_object *obj,
		     const struct allocator_function *fn, const struct us_symbol *sym)
{
	bool is_free = fn->allocator == US_ALLOC_FREE || fn->allocator == US_ALLOC_PY_FREE;
	uint8_t code[32];
	size_t n = us_read_code(obj->open_path, sym->file_offset, code, sizeof(code));
	struct us_placement place = us_place_probe(code, n);

	/* a free has no return probe, so it may go past its NULL check */
	if (is_free && place.probeable && !place.emulated) {
		uint32_t skip = us_skip_null_check(code + place.skip, n - place.skip,
						   fn->flags & US_ALLOC_ARG_SHIFT ? 1 : 0);

		if (skip) {
			place.skip += skip;
			place.emulated = true;
			place.insn = "push";
		}
	}
	if (!place.probeable || already_planned(mp, obj->open_path, sym->file_offset + place.skip))
		return;
	us_grow(&mp->sites, &mp->cap, mp->count + 1, sizeof(*mp->sites));
	mp->sites[mp->count++] = (struct us_alloc_site){
		.allocator = fn->allocator,
		.function = us_strdup(fn->name),
		.object = us_strdup(obj->path),
		.open_path = us_strdup(obj->open_path),
		.probe_offset = sym->file_offset + place.skip,
		.cookie = (uint32_t)fn->allocator | fn->flags,
		.is_free = is_free,
		.emulated = place.emulated,
		.insn = place.insn,
	};
}

/* Plans the functions of `table` that `obj` defines; returns how many. */
static size_t add_functions(struct us_memory_plan *mp, const struct us_object *obj,
			    const struct allocator_function *table, size_t n)
{
	const char *names[16];
	uint64_t vaddrs[16];
	struct us_symtab tab;
	char err[256];
	size_t before = mp->count;

	for (size_t i = 0; i < n; i++)
		names[i] = table[i].name;
	if (us_elf_lookup(obj->open_path, names, n, vaddrs) ||
	    us_symtab_load(obj->open_path, &tab, err, sizeof(err)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct us_symbol *sym = vaddrs[i] ? symbol_at(&tab, vaddrs[i]) : NULL;

		if (sym)
			add_site(mp, obj, &table[i], sym);
	}
	us_symtab_free(&tab);
	return mp->count - before;
}

static bool defines_malloc(const struct us_object *obj)
{
	const char *name = "malloc";
	uint64_t vaddr = 0;

	return us_elf_lookup(obj->open_path, &name, 1, &vaddr) == 0 && vaddr != 0;
}

/* The executable when it defines malloc (static, or its own allocator),
 * else the first library that does, in the loader's order. */
static const struct us_object *malloc_provider(const struct us_object_list *objects)
{
	const struct us_object *main_obj = &objects->items[objects->main_index];

	if (defines_malloc(main_obj))
		return main_obj;
	for (size_t i = 0; i < objects->count; i++)
		if (i != objects->main_index && defines_malloc(&objects->items[i]))
			return &objects->items[i];
	return NULL;
}

static void add_python_functions(struct us_memory_plan *mp, const char *object,
				 const char *open_path)
{
	struct us_object obj = { .path = (char *)object, .open_path = (char *)open_path };

	if (add_functions(mp, &obj, pymalloc_functions, US_ARRAY_SIZE(pymalloc_functions)))
		return;
	/* stripped: only the exported entry points, which an optimised build
	 * may have inlined into their callers */
	mp->objects_inlined = true;
	add_functions(mp, &obj, python_api_functions, US_ARRAY_SIZE(python_api_functions));
}

int us_memory_plan_build(struct us_memory_plan *mp, const struct us_object_list *objects,
			 enum us_memory_mode mode, const char *python_object,
			 const char *python_open_path, char *err, size_t errlen)
{
	const struct us_object *libc;

	memset(mp, 0, sizeof(*mp));
	if (mode == US_MEMORY_OFF)
		return 0;
	libc = malloc_provider(objects);
	if (!libc) {
		snprintf(err, errlen, "no object of the target defines malloc (a static binary "
			 "without symbols?): --memory has nothing to probe");
		return -1;
	}
	mp->libc = libc->path;
	if (!add_functions(mp, libc, libc_functions, US_ARRAY_SIZE(libc_functions)) ||
	    mp->sites[0].allocator != US_ALLOC_MALLOC) {
		snprintf(err, errlen, "%s: the kernel cannot probe malloc", libc->path);
		us_memory_plan_free(mp);
		return -1;
	}
	if (mode == US_MEMORY_OBJECTS && python_object)
		add_python_functions(mp, python_object, python_open_path);
	return 0;
}

void us_memory_plan_free(struct us_memory_plan *mp)
{
	for (size_t i = 0; i < mp->count; i++) {
		free(mp->sites[i].function);
		free(mp->sites[i].object);
		free(mp->sites[i].open_path);
	}
	free(mp->sites);
	memset(mp, 0, sizeof(*mp));
}
