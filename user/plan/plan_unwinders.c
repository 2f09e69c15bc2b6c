// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "elf_symbols.h"
#include "events.h"
#include "plan_unwinders.h"
#include "util.h"

/* libgcc's unwinder (and LLVM's libunwind, which exports the same names),
 * and where a C++ exception is caught (libstdc++, libc++abi). */
static const struct {
	const char *name;
	uint64_t cookie;
} unwinder_functions[] = {
	{ "_Unwind_RaiseException", US_UNWIND_RESTORE },
	{ "_Unwind_Resume", US_UNWIND_RESTORE },
	{ "_Unwind_Resume_or_Rethrow", US_UNWIND_RESTORE },
	{ "_Unwind_ForcedUnwind", US_UNWIND_RESTORE },
	{ "_Unwind_Backtrace", US_UNWIND_RESTORE },
	{ "__cxa_begin_catch", US_UNWIND_REARM },
};

static void add_entries_of(const char *open_path, struct us_unwinder_entries *out)
{
	struct us_symtab tab = { 0 };
	char err[256];

	for (size_t i = 0; i < out->count; i++)
		if (strcmp(out->items[i].open_path, open_path) == 0)
			return;
	if (us_symtab_load(open_path, &tab, err, sizeof(err)) < 0)
		return;
	for (size_t i = 0; i < tab.count; i++) {
		for (size_t j = 0; j < sizeof(unwinder_functions) / sizeof(*unwinder_functions); j++) {
			if (!us_symbol_is(&tab.syms[i], unwinder_functions[j].name))
				continue;
			us_grow(&out->items, &out->cap, out->count + 1, sizeof(*out->items));
			out->items[out->count++] = (struct us_unwinder_entry){
				.open_path = us_strdup(open_path),
				.file_offset = tab.syms[i].file_offset,
				.function = us_strdup(tab.syms[i].name),
				.cookie = unwinder_functions[j].cookie,
			};
		}
	}
	us_symtab_free(&tab);
}

/* /lib/x86_64-linux-gnu/libc.so.6 -> /lib/x86_64-linux-gnu/libgcc_s.so.1 */
static char *libgcc_beside_libc(const struct us_object_list *objects)
{
	for (size_t i = 0; i < objects->count; i++) {
		const char *open_path = objects->items[i].open_path;
		const char *base = us_base_name(open_path);
		char *path;

		if (strcmp(base, "libc.so.6") != 0)
			continue;
		path = us_asprintf("%.*slibgcc_s.so.1", (int)(base - open_path), open_path);
		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

void us_plan_unwinder_entries(const struct us_object_list *objects,
			      struct us_unwinder_entries *out)
{
	char *libgcc = libgcc_beside_libc(objects);

	for (size_t i = 0; i < objects->count; i++)
		add_entries_of(objects->items[i].open_path, out);
	if (libgcc)
		add_entries_of(libgcc, out);
	free(libgcc);
}

void us_unwinder_entries_free(struct us_unwinder_entries *entries)
{
	for (size_t i = 0; i < entries->count; i++) {
		free(entries->items[i].open_path);
		free(entries->items[i].function);
	}
	free(entries->items);
	memset(entries, 0, sizeof(*entries));
}
