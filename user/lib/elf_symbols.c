// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "elf_symbols.h"
#include "util.h"

struct load_segment {
	uint64_t vaddr, offset, filesz;
};

static bool vaddr_to_offset(const struct load_segment *segs, size_t n, uint64_t vaddr,
			    uint64_t *offset)
{
	for (size_t i = 0; i < n; i++) {
		if (vaddr >= segs[i].vaddr && vaddr < segs[i].vaddr + segs[i].filesz) {
			*offset = vaddr - segs[i].vaddr + segs[i].offset;
			return true;
		}
	}
	return false;
}

static size_t load_exec_segments(Elf *elf, struct load_segment **out)
{
	size_t phnum = 0, n = 0;

	if (elf_getphdrnum(elf, &phnum))
		return 0;
	*out = us_calloc(phnum, sizeof(**out));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		(*out)[n++] = (struct load_segment){ ph.p_vaddr, ph.p_offset, ph.p_filesz };
	}
	return n;
}

static void add_symbols(struct us_symtab *tab, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			const struct load_segment *segs, size_t nsegs)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < count; i++) {
		GElf_Sym sym;
		const char *name;
		uint64_t offset;

		if (!gelf_getsym(data, (int)i, &sym) || (GELF_ST_TYPE(sym.st_info) != STT_FUNC &&
							  GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC))
			continue;
		if (sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name || !vaddr_to_offset(segs, nsegs, sym.st_value, &offset))
			continue;
		us_grow(&tab->syms, &tab->cap, tab->count + 1, sizeof(*tab->syms));
		tab->syms[tab->count++] = (struct us_symbol){
			.name = us_strdup(name), .vaddr = sym.st_value,
			.file_offset = offset, .size = sym.st_size,
			.is_ifunc = GELF_ST_TYPE(sym.st_info) == STT_GNU_IFUNC,
		};
	}
}

static int by_vaddr_then_name(const void *a, const void *b)
{
	const struct us_symbol *x = a, *y = b;

	if (x->vaddr != y->vaddr)
		return (x->vaddr > y->vaddr) - (x->vaddr < y->vaddr);
	/* prefer the public name: fewer leading underscores, then shorter
	 * (sqrt, not __sqrt or sqrtf32x) */
	size_t ux = strspn(x->name, "_"), uy = strspn(y->name, "_");
	size_t lx = strlen(x->name), ly = strlen(y->name);
	if (ux != uy)
		return (ux > uy) - (ux < uy);
	if (lx != ly)
		return (lx > ly) - (lx < ly);
	return strcmp(x->name, y->name);
}

/* Keeps one symbol per address (.symtab and .dynsym repeat each other). */
/* Another name of the same code ("\0"-separated, ending "\0\0"), unless
 * it is already there (.dynsym and .symtab both name it). */
static void add_alias(struct us_symbol *sym, const char *name)
{
	size_t used = 0, len = strlen(name);

	if (strcmp(sym->name, name) == 0 || us_symbol_has_alias(sym, name))
		return;
	for (const char *a = sym->aliases; a && *a; a += strlen(a) + 1)
		used += strlen(a) + 1;
	sym->aliases = realloc(sym->aliases, used + len + 2);
	if (!sym->aliases)
		abort();
	memcpy(sym->aliases + used, name, len + 1);
	sym->aliases[used + len + 1] = '\0';
}

bool us_symbol_has_alias(const struct us_symbol *sym, const char *name)
{
	for (const char *a = sym->aliases; a && *a; a += strlen(a) + 1)
		if (strcmp(a, name) == 0)
			return true;
	return false;
}

bool us_symbol_is(const struct us_symbol *sym, const char *name)
{
	return strcmp(sym->name, name) == 0 || us_symbol_has_alias(sym, name);
}

static void dedupe_by_address(struct us_symtab *tab)
{
	size_t kept = 0;

	us_sort(tab->syms, tab->count, sizeof(*tab->syms), by_vaddr_then_name);
	for (size_t i = 0; i < tab->count; i++) {
		struct us_symbol *first = kept ? &tab->syms[kept - 1] : NULL;

		if (first && first->vaddr == tab->syms[i].vaddr) {
			add_alias(first, tab->syms[i].name);
			free(tab->syms[i].name);
			continue;
		}
		tab->syms[kept++] = tab->syms[i];
	}
	tab->count = kept;
}

/* ---- separate debug files --------------------------------------------- */

/* Where distributions install debug files (Debian's *-dbgsym packages);
 * USCOPE_DEBUG_ROOT replaces it. */
static const char *debug_root(void)
{
	const char *root = getenv("USCOPE_DEBUG_ROOT");

	return root && *root ? root : "/usr/lib/debug";
}

static Elf_Data *section_named(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && strcmp(n, name) == 0)
			return elf_getdata(scn, NULL);
	}
	return NULL;
}

static bool is_elf_file(const char *path)
{
	return access(path, R_OK) == 0 && us_is_elf(path);
}

/* ROOT/.build-id/ab/cdef....debug for the object's GNU build id. */
static char *debug_file_by_build_id(Elf *elf)
{
	Elf_Data *data = section_named(elf, ".note.gnu.build-id");
	size_t offset = 0, name_at, desc_at;
	GElf_Nhdr note;

	while (data && (offset = gelf_getnote(data, offset, &note, &name_at, &desc_at)) > 0) {
		const uint8_t *id = (const uint8_t *)data->d_buf + desc_at;
		char hex[2 * 64 + 1], *path;

		if (note.n_type != NT_GNU_BUILD_ID || note.n_descsz < 2 || note.n_descsz > 64)
			continue;
		for (size_t i = 0; i < note.n_descsz; i++)
			snprintf(hex + 2 * i, 3, "%02x", id[i]);
		path = us_asprintf("%s/.build-id/%.2s/%s.debug", debug_root(), hex, hex + 2);
		if (is_elf_file(path))
			return path;
		free(path);
	}
	return NULL;
}

static bool crc_matches(const char *path, uint32_t want)
{
	uint8_t buf[65536];
	uint32_t crc = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = (uint32_t)crc32(crc, buf, (uInt)n);
	close(fd);
	return n == 0 && crc == want;
}

/* .gnu_debuglink: the file name, then its CRC-32; looked for beside the
 * object, in its .debug folder, and under the debug root. */
static char *debug_file_by_link(Elf *elf, const char *path)
{
	Elf_Data *data = section_named(elf, ".gnu_debuglink");
	const char *name, *slash = strrchr(path, '/');
	size_t len, crc_at;
	uint32_t crc;
	int dir_len = slash ? (int)(slash - path) : 1;
	const char *dir = slash ? path : ".";

	if (!data || !data->d_buf || data->d_size < 8)
		return NULL;
	name = data->d_buf;
	len = strnlen(name, data->d_size);
	crc_at = (len + 4) & ~(size_t)3;
	if (len == 0 || crc_at + 4 > data->d_size)
		return NULL;
	memcpy(&crc, (const char *)data->d_buf + crc_at, 4);
	char *candidates[] = {
		us_asprintf("%.*s/%s", dir_len, dir, name),
		us_asprintf("%.*s/.debug/%s", dir_len, dir, name),
		us_asprintf("%s%.*s/%s", debug_root(), dir_len, dir, name),
	};
	char *found = NULL;

	for (size_t i = 0; i < US_ARRAY_SIZE(candidates); i++) {
		if (!found && strcmp(candidates[i], path) != 0 && is_elf_file(candidates[i]) &&
		    crc_matches(candidates[i], crc))
			found = candidates[i];
		else
			free(candidates[i]);
	}
	return found;
}

/* A stripped object's .symtab from its separate debug file, with file
 * offsets from the object's own segments (the debug file has no code). */
static void add_debug_symbols(struct us_symtab *out, Elf *elf, const char *path,
			      const struct load_segment *segs, size_t nsegs)
{
	char *debug = debug_file_by_build_id(elf);
	Elf_Scn *scn = NULL;
	Elf *delf;
	int fd;

	if (!debug)
		debug = debug_file_by_link(elf, path);
	if (!debug)
		return;
	fd = open(debug, O_RDONLY | O_CLOEXEC);
	delf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	while (delf && (scn = elf_nextscn(delf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		add_symbols(out, delf, scn, &sh, segs, nsegs);
		out->has_symtab = true;
		out->debug_path = us_strdup(debug);
	}
	if (delf)
		elf_end(delf);
	if (fd >= 0)
		close(fd);
	free(debug);
}

int us_symtab_load(const char *path, struct us_symtab *out, char *err, size_t errlen)
{
	struct load_segment *segs = NULL;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t nsegs;
	Elf *elf;
	int fd;

	memset(out, 0, sizeof(*out));
	out->path = us_strdup(path);
	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		us_symtab_free(out);	/* a failed load holds nothing (callers do not free it) */
		return -e;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		snprintf(err, errlen, "%s is not an ELF object", path);
		if (elf)
			elf_end(elf);
		close(fd);
		us_symtab_free(out);
		return -ENOEXEC;
	}
	out->is_pie_or_shared = eh.e_type == ET_DYN;
	nsegs = load_exec_segments(elf, &segs);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			out->has_symtab = true;
		add_symbols(out, elf, scn, &sh, segs, nsegs);
	}
	if (!out->has_symtab)
		add_debug_symbols(out, elf, path, segs, nsegs);
	dedupe_by_address(out);
	free(segs);
	elf_end(elf);
	close(fd);
	return 0;
}

void us_symtab_free(struct us_symtab *tab)
{
	for (size_t i = 0; i < tab->count; i++) {
		free(tab->syms[i].name);
		free(tab->syms[i].aliases);
	}
	free(tab->syms);
	free(tab->path);
	free(tab->debug_path);
	memset(tab, 0, sizeof(*tab));
}

size_t us_read_code(const char *path, uint64_t file_offset, uint8_t *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, buf, len, (off_t)file_offset);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

char *us_elf_interpreter(const char *path)
{
	char *interp = NULL;
	size_t phnum = 0;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF && !elf_getphdrnum(elf, &phnum)) {
		for (size_t i = 0; i < phnum && !interp; i++) {
			GElf_Phdr ph;
			char buf[4096];

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_INTERP ||
			    ph.p_filesz == 0 || ph.p_filesz >= sizeof(buf))
				continue;
			if (pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz) {
				buf[ph.p_filesz] = '\0';
				interp = us_strdup(buf);
			}
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return interp;
}

bool us_is_elf(const char *path)
{
	uint8_t magic[4];

	return us_read_code(path, 0, magic, 4) == 4 && memcmp(magic, "\177ELF", 4) == 0;
}

/* Opens `path` as ELF; NULL (and fd closed) when it is not one. */
static Elf *open_elf(const char *path, int *fd)
{
	Elf *elf;

	elf_version(EV_CURRENT);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	elf = elf_begin(*fd, ELF_C_READ, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		return elf;
	if (elf)
		elf_end(elf);
	close(*fd);
	return NULL;
}

static void lookup_in_section(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			      const char *const *names, size_t n, uint64_t *vaddrs)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; data && i < count; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		for (size_t j = 0; name && j < n; j++)
			if (!vaddrs[j] && strcmp(name, names[j]) == 0)
				vaddrs[j] = sym.st_value;
	}
}

int us_elf_lookup(const char *path, const char *const *names, size_t n, uint64_t *vaddrs)
{
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd;

	memset(vaddrs, 0, n * sizeof(*vaddrs));
	elf = open_elf(path, &fd);
	if (!elf)
		return -ENOEXEC;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_DYNSYM || sh.sh_type == SHT_SYMTAB))
			lookup_in_section(elf, scn, &sh, names, n, vaddrs);
	}
	elf_end(elf);
	close(fd);
	return 0;
}

size_t us_elf_read_at(const char *path, uint64_t vaddr, void *buf, size_t len)
{
	size_t phnum = 0, got = 0;
	Elf *elf;
	int fd;

	elf = open_elf(path, &fd);
	if (!elf)
		return 0;
	for (size_t i = 0; !elf_getphdrnum(elf, &phnum) && i < phnum; i++) {
		GElf_Phdr ph;
		ssize_t r;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || vaddr < ph.p_vaddr ||
		    vaddr + len > ph.p_vaddr + ph.p_filesz)
			continue;
		r = pread(fd, buf, len, (off_t)(ph.p_offset + vaddr - ph.p_vaddr));
		got = r > 0 ? (size_t)r : 0;
		break;
	}
	elf_end(elf);
	close(fd);
	return got;
}

uint64_t us_elf_first_load_vaddr(const char *path)
{
	size_t phnum = 0;
	uint64_t lowest = UINT64_MAX;
	Elf *elf;
	int fd;

	elf = open_elf(path, &fd);
	if (!elf)
		return 0;
	for (size_t i = 0; !elf_getphdrnum(elf, &phnum) && i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < lowest)
			lowest = ph.p_vaddr & ~(uint64_t)(ph.p_align > 1 ? ph.p_align - 1 : 0);
	}
	elf_end(elf);
	close(fd);
	return lowest == UINT64_MAX ? 0 : lowest;
}

size_t us_elf_sections(const char *path, bool code, struct us_elf_range *out, size_t max)
{
	Elf_Scn *scn = NULL;
	size_t n = 0;
	Elf *elf;
	int fd;

	elf = open_elf(path, &fd);
	if (!elf)
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || !!(sh.sh_flags & SHF_EXECINSTR) != code)
			continue;
		if (n < max)
			out[n] = (struct us_elf_range){ .vaddr = sh.sh_addr, .size = sh.sh_size };
		n++;
	}
	elf_end(elf);
	close(fd);
	return n;
}

bool us_elf_has_section(const char *path, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;
	Elf *elf;
	int fd;

	elf = open_elf(path, &fd);
	if (!elf)
		return false;
	while (!found && !elf_getshdrstrndx(elf, &shstrndx) && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		found = sname && strcmp(sname, name) == 0;
	}
	elf_end(elf);
	close(fd);
	return found;
}

bool us_elf_code_offset(const char *path, uint64_t vaddr, uint64_t *file_offset)
{
	struct load_segment *segs = NULL;
	bool found = false;
	size_t n;
	Elf *elf;
	int fd;

	elf = open_elf(path, &fd);
	if (!elf)
		return false;
	n = load_exec_segments(elf, &segs);
	found = vaddr_to_offset(segs, n, vaddr, file_offset);
	free(segs);
	elf_end(elf);
	close(fd);
	return found;
}
