/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* lib: the function symbols of one ELF object (.symtab and .dynsym). */
#ifndef USCOPE_ELF_SYMBOLS_H
#define USCOPE_ELF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct us_symbol {
	char *name;
	uint64_t vaddr;		/* st_value: link-time virtual address */
	uint64_t file_offset;	/* where the code is in the file (uprobe offset) */
	uint64_t size;
	bool is_ifunc;		/* STT_GNU_IFUNC: the code here is the resolver (ifunc.h) */
	char *aliases;		/* other names of this address, "\0"-separated, or NULL */
};

bool us_symbol_has_alias(const struct us_symbol *sym, const char *name);
/* Whether `name` is the symbol's name or one of its aliases. */
bool us_symbol_is(const struct us_symbol *sym, const char *name);

struct us_symtab {
	char *path;
	struct us_symbol *syms;	/* sorted by vaddr, one entry per address (its other
				 * names are aliases) */
	size_t count;
	size_t cap;
	bool has_symtab;	/* false: stripped, only .dynsym exports */
	char *debug_path;	/* the separate debug file .symtab came from, or NULL */
	bool is_pie_or_shared;	/* ET_DYN */
};

/* Loads the defined function symbols of `path`: .symtab and .dynsym, or
 * for a stripped object the .symtab of its separate debug file (by GNU
 * build id under /usr/lib/debug/.build-id, or by .gnu_debuglink beside it,
 * in its .debug folder or under /usr/lib/debug; USCOPE_DEBUG_ROOT replaces
 * /usr/lib/debug). Returns 0, or a negative errno with `err` (of errlen
 * bytes) saying what failed; a failed load holds nothing to free. */
int us_symtab_load(const char *path, struct us_symtab *out, char *err, size_t errlen);
void us_symtab_free(struct us_symtab *tab);

/* Reads `len` bytes of code at `file_offset` of `path`; returns bytes read. */
size_t us_read_code(const char *path, uint64_t file_offset, uint8_t *buf, size_t len);

/* The PT_INTERP of an executable (its dynamic loader), or NULL. Caller frees. */
char *us_elf_interpreter(const char *path);
/* Finds symbols of any type by name in .dynsym and .symtab: vaddrs[i] is
 * the address of names[i], or 0. Returns 0, or -ENOEXEC for a non-ELF file. */
int us_elf_lookup(const char *path, const char *const *names, size_t n, uint64_t *vaddrs);
/* Reads `len` bytes the file holds at ELF virtual address `vaddr`. */
size_t us_elf_read_at(const char *path, uint64_t vaddr, void *buf, size_t len);
/* The file offset of code at virtual address `vaddr` (an executable
 * PT_LOAD segment holds it); false when none does. */
bool us_elf_code_offset(const char *path, uint64_t vaddr, uint64_t *file_offset);
/* The page-aligned virtual address of the first PT_LOAD segment. */
uint64_t us_elf_first_load_vaddr(const char *path);
/* An allocated section's place: link-time address and size in bytes. */
struct us_elf_range {
	uint64_t vaddr, size;
};

/* The allocated PROGBITS sections (bytes the file holds, loaded in memory)
 * that are code (`code`) or data (not code), at most `max` of them in `out`.
 * Returns how many there are. */
size_t us_elf_sections(const char *path, bool code, struct us_elf_range *out, size_t max);
/* True when the object has a section of that name (".note.stapsdt"). */
bool us_elf_has_section(const char *path, const char *name);
/* True when the file starts with the ELF magic. */
bool us_is_elf(const char *path);

#endif
